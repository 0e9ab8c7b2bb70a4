//! rmq's RocketMQ 5 client core. Every binding (Python, Node.js, C) is a thin shell over this
//! crate. Its behaviour is being built under the "client-core" issue.

#![deny(missing_docs)]

pub use rmq_proto as proto;
