//! rmq's RocketMQ 5 client core. Every binding (Python, Node.js, C) is a thin shell over this
//! crate, which owns all client behaviour, validation included.
//!
//! - Configuration: [`ClientConfig`] (where the servers are, credentials, TLS, upkeep periods)
//!   and the [`options`] table, which builds every client's options from `(key, value)`
//!   strings — one code path for Python keyword arguments, JS option objects and C
//!   `rmq_conf_set`.
//! - Clients: [`Producer`] (normal, FIFO, delay, priority and transactional messages, batches,
//!   linger mode, recall), [`SimpleConsumer`] (receive, ack, change invisible duration),
//!   [`PushConsumer`] (a listener fed in the background, concurrently or in FIFO order) and
//!   [`PullConsumer`] (reads queues from offsets the application keeps; servers with the pull
//!   RPCs only, such as rmq's mini-broker). Each is a cheap `Clone` handle over one client; the
//!   first three run one background task on the caller's tokio runtime and stop on
//!   `shutdown()` or when their last handle is dropped.
//! - Messages: [`Message`] (built and checked by [`MessageBuilder`]), [`MessageView`] (as
//!   received), [`FilterExpression`].
//! - Errors: one [`Error`] with a stable [`ErrorKind`] every binding maps, the server's status
//!   code, and the topic, group and endpoint where known.
//! - Observability: [`metrics`] (OpenTelemetry instruments with the official names) and
//!   `tracing` spans `rmq.send`, `rmq.receive`, `rmq.ack`, `rmq.process`.

#![deny(missing_docs)]

mod ack;
mod auth;
pub mod callback_pool;
pub mod caller_driven;
mod client;
mod config;
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod lite;
pub mod log_text;
mod message;
pub mod metrics;
mod producer;
mod pull_consumer;
mod push_consumer;
mod receive;
mod retry;
mod route;
mod session;
mod simple_consumer;
mod transport;

pub use config::options;
pub use config::{
    ClientConfig, ClientConfigBuilder, Credentials, DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_ROUTE_REFRESH_INTERVAL, DEFAULT_SETTINGS_RESYNC_INTERVAL,
    Endpoint, Tls,
};
pub use error::{Error, ErrorKind, Result};
pub use lite::OffsetOption;
pub use message::{FilterExpression, Message, MessageBuilder, MessageView};
pub use producer::{
    DEFAULT_MAX_ATTEMPTS, LingerConfig, Producer, ProducerBuilder, SendReceipt, Transaction,
    TransactionChecker, TransactionResolution,
};
pub use pull_consumer::{PullConsumer, PullConsumerBuilder, PullQueue, PullStatus, Pulled};
pub use push_consumer::{
    ConsumeResult, DEFAULT_ASSIGNMENT_SCAN, DEFAULT_CONSUMPTION_THREADS, DEFAULT_MAX_CACHE_BYTES,
    DEFAULT_MAX_CACHE_MESSAGES, LitePushConsumer, LitePushConsumerBuilder, MessageListener,
    PushConsumer, PushConsumerBuilder,
};
pub use rmq_proto as proto;
pub use simple_consumer::{
    DEFAULT_AWAIT, LiteSimpleConsumer, LiteSimpleConsumerBuilder, MAX_RECEIVE_BATCH,
    SimpleConsumer, SimpleConsumerBuilder,
};
pub use transport::CLIENT_VERSION;

/// A fresh message id in the official format (what a producer gives each message); for
/// tools and tests that build wire messages themselves.
pub fn new_message_id() -> String {
    message::id::next()
}
