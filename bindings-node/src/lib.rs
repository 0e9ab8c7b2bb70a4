//! The native module of the `rmq` npm package (private: `lib/native.cjs` loads it and the
//! public API in `lib/*.cjs` wraps it). Translation only: types, errors, the event loop and
//! ownership; every behaviour is `rmq-client`'s or `rmq-mini-broker`'s.

// Under `cfg(test)` napi-derive registers nothing, so every export looks unused.
#![cfg_attr(test, allow(dead_code))]

#[macro_use]
extern crate napi_derive;

mod broker;
mod callbacks;
mod cancel;
mod cluster;
mod config;
mod error;
mod filter;
mod lite;
mod lite_push_consumer;
mod lite_simple_consumer;
mod logging;
mod message;
mod producer;
mod push_consumer;
mod runtime;
mod simple_consumer;

/// The core's version (`rmq-client`), also sent to servers as the client version.
#[napi]
pub fn core_version() -> String {
    rmq_client::CLIENT_VERSION.to_string()
}

/// Whether the calling thread is the one this JS environment runs on (tests use it to check
/// that callbacks never run elsewhere).
#[napi]
pub fn thread_name() -> String {
    std::thread::current().name().map_or_else(
        || format!("{:?}", std::thread::current().id()),
        str::to_owned,
    )
}
