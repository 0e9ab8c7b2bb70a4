//! rmq's embeddable RocketMQ 5 broker: the `apache.rocketmq.v2` gRPC service over an
//! in-process store, with Pop consumption (invisible time, ack, redelivery, dead-letter
//! queues), FIFO groups, timers with recall, transactions with orphan checks, tag and SQL92
//! filters, the pull RPCs, optional AK/SK authentication, fault injection and a virtual clock.
//!
//! It depends on `rmq-proto` only, never on the client, so the two cannot share a misreading
//! of the protocol.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
//! let broker = MiniBroker::builder()
//!     .topic(TopicConfig::new("orders", TopicType::Fifo))
//!     .start()
//!     .await?;
//! println!("serving on {}", broker.endpoint());
//! broker.shutdown().await;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod auth;
mod broker;
mod clock;
mod cluster;
mod convert;
mod core;
mod engine;
mod fault;
mod filter;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod listener;
mod lite;
mod metadata;
mod recall;
mod receipt;
mod remoting;
mod service;
mod session;
mod sql;
mod store;
mod tls;
mod validate;

pub use broker::{MiniBroker, MiniBrokerBuilder, StartError};
pub use cluster::MiniCluster;
pub use metadata::{
    DEFAULT_LITE_QUOTA, DEFAULT_QUEUES, GroupConfig, LiteGroup, RetryPolicy, TopicConfig, TopicType,
};
pub use rmq_proto as proto;
pub use rmq_proto::Rpc;
pub use store::StoredMessage;
#[doc(hidden)]
pub use store::journal::DiskFaults;
pub use store::journal::FlushMode;
