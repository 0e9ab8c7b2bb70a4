//! The threads user callbacks (message listeners, transaction checkers) run on: the core's
//! [`CallbackPool`], so Python code never runs on a runtime thread and a callback waiting for
//! the GIL never holds a thread the runtime needs.

pub use rmq_client::callback_pool::CallbackPool;
