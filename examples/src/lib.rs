//! Runnable rmq programs live under `examples/`; this library is empty on purpose.
