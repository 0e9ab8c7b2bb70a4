//! librocketmq: rocketmq-client-cpp's C API (the headers in `include/rocketmq/`) as a drop-in
//! replacement over rmq's RocketMQ 5 core, so a legacy C application moves to a RocketMQ 5
//! proxy by recompiling against those headers and linking `-lrocketmq`. How each function maps
//! to 5.x is documented in `bindings-c/README.md`.
//!
//! The exported names are the legacy ones, exactly (checked with `nm -D` against
//! `legacy/symbols.txt`), plus the modern `rmq_*` API this library is built on.

#![allow(non_snake_case, clippy::missing_safety_doc)]

mod common;
mod message;
mod message_ext;
mod producer;
mod pull_consumer;
mod push_consumer;
mod results;
mod send;
mod setters;
