//! librmq: the C API of rmq's RocketMQ 5 client (`include/rmq.h`, generated from this crate by
//! cbindgen). Translation only: every behaviour and check is the core's (`rmq-client`).
//!
//! Conventions (`README.md` documents them for C users): opaque handles made by
//! `rmq_<object>_new` and released by `rmq_<object>_free` (NULL is a no-op); every function
//! body runs inside a panic boundary; a NULL argument is `RMQ_ERR__NULL_ARGUMENT`, never a
//! crash; outputs are written only on success; enums from C are plain integers, checked; a
//! failing call leaves its full text in `rmq_last_error_message()` on the calling thread.

#![deny(missing_docs)]

pub mod broker;
pub mod callbacks;
pub mod config;
pub mod error;
pub mod ffi;
pub mod filter;
pub mod inflight;
pub mod lite;
pub mod lite_push_consumer;
pub mod lite_simple_consumer;
pub mod logging;
pub mod message;
pub mod panic;
pub mod producer;
pub mod push_consumer;
pub mod runtime;
mod sigpipe;
pub mod simple_consumer;
pub mod transaction;
mod version;
pub mod view;
