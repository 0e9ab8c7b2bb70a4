//! rmq's embeddable RocketMQ 5 broker. Its behaviour is being built under the "mini-broker"
//! issue; it depends on `rmq-proto` only, never on the client.

#![deny(missing_docs)]

pub use rmq_proto as proto;
