//! rmq's RocketMQ 5 client core. Every binding (Python, Node.js, C) is a thin shell over this
//! crate, which owns all client behaviour.
//!
//! Built so far: configuration ([`ClientConfig`]), the error contract bindings map
//! ([`Error`], [`ErrorKind`]), request signing ([`auth`]), the official message-id and
//! client-id formats, and the gRPC [`transport`] (headers, deadlines, TLS modes). Producers
//! and consumers come next (see the client-core issue).

#![deny(missing_docs)]

mod ack;
pub mod auth;
mod body;
pub mod client_id;
pub mod config;
pub mod error;
pub mod linger;
pub mod message;
pub mod message_id;
pub mod message_view;
pub mod metrics;
pub mod producer;
pub mod push_consumer;
mod receive;
pub mod route;
pub mod session;
pub mod simple_consumer;
pub mod transaction;
pub mod transport;
mod trust_all;

pub use config::{ClientConfig, ClientConfigBuilder, Credentials, Endpoint, Tls};
pub use error::{Error, ErrorKind, Result};
pub use linger::LingerConfig;
pub use message::{Message, MessageBuilder};
pub use message_view::{FilterExpression, MessageView};
pub use producer::{Producer, ProducerBuilder, SendReceipt};
pub use push_consumer::{ConsumeResult, MessageListener, PushConsumer, PushConsumerBuilder};
pub use rmq_proto as proto;
pub use simple_consumer::{SimpleConsumer, SimpleConsumerBuilder};
pub use transaction::{Transaction, TransactionChecker, TransactionResolution};
