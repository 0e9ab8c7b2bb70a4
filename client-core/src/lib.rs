//! rmq's RocketMQ 5 client core. Every binding (Python, Node.js, C) is a thin shell over this
//! crate, which owns all client behaviour.
//!
//! Built so far: configuration ([`ClientConfig`]), the error contract bindings map
//! ([`Error`], [`ErrorKind`]), request signing ([`auth`]), and the official message-id and
//! client-id formats. Producers and consumers come next (see the client-core issue).

#![deny(missing_docs)]

pub mod auth;
pub mod client_id;
pub mod config;
pub mod error;
pub mod message_id;

pub use config::{ClientConfig, ClientConfigBuilder, Credentials, Endpoint, Tls};
pub use error::{Error, ErrorKind, Result};
pub use rmq_proto as proto;
