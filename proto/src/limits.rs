//! Default limits of an Apache RocketMQ 5 proxy and broker, which both our client's local
//! checks and our mini-broker's validation follow.

use std::time::Duration;

/// Default gRPC port of a RocketMQ proxy.
pub const DEFAULT_PORT: u16 = 8081;
/// Largest message body accepted by default (`maxMessageSize`), in bytes.
pub const MAX_BODY_SIZE: usize = 4 * 1024 * 1024;
/// Most user properties one message may carry.
pub const MAX_USER_PROPERTIES: usize = 128;
/// Most bytes of user property keys and values, tag and keys together.
pub const MAX_USER_PROPERTIES_SIZE: usize = 16 * 1024;
/// A message group must be strictly shorter than this many UTF-8 bytes.
pub const MAX_MESSAGE_GROUP_BYTES: usize = 64;
/// A lite topic may have at most this many UTF-8 bytes (the proxy's `maxLiteTopicSize`).
pub const MAX_LITE_TOPIC_BYTES: usize = 64;
/// How far ahead a delivery timestamp may lie.
pub const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest orphaned-transaction recovery duration a producer may ask for.
pub const MAX_TRANSACTION_RECOVERY: Duration = Duration::from_secs(60 * 60);
/// Shortest invisible duration accepted by ReceiveMessage (without auto-renew).
pub const MIN_RECEIVE_INVISIBLE: Duration = Duration::from_secs(10);
/// Longest invisible duration accepted by ReceiveMessage and ChangeInvisibleDuration.
pub const MAX_INVISIBLE: Duration = Duration::from_secs(12 * 60 * 60);
/// Invisible time the server uses, and renews, for auto-renewed (push consumer) receives.
pub const AUTO_RENEW_INVISIBLE: Duration = Duration::from_secs(60);
/// Lower clamp of a long poll.
pub const MIN_LONG_POLLING: Duration = Duration::from_secs(5);
/// Upper clamp of a long poll, also the value advertised to push consumers.
pub const MAX_LONG_POLLING: Duration = Duration::from_secs(20);
/// Most messages one ReceiveMessage returns (larger batch sizes are clamped).
pub const MAX_RECEIVE_BATCH: i32 = 32;
/// Default delivery attempts of a consumer group: 1 + 16 retries.
pub const DEFAULT_MAX_DELIVERY_ATTEMPTS: i32 = 17;
/// Default producer attempts advertised by the server.
pub const DEFAULT_PRODUCER_MAX_ATTEMPTS: i32 = 3;
/// Largest gRPC message the proxy accepts, in bytes.
pub const MAX_INBOUND_MESSAGE: usize = 130 * 1024 * 1024;
/// Most `Settings.client_properties` entries.
pub const MAX_CLIENT_PROPERTIES: usize = 32;
/// Longest `client_properties` key, in characters.
pub const MAX_CLIENT_PROPERTY_KEY_LEN: usize = 64;
/// Longest `client_properties` value, in characters.
pub const MAX_CLIENT_PROPERTY_VALUE_LEN: usize = 256;
/// Largest serialized `client_properties` map, in bytes.
pub const MAX_CLIENT_PROPERTIES_SIZE: usize = 4 * 1024;
/// Key prefix reserved in `client_properties`.
pub const RESERVED_CLIENT_PROPERTY_PREFIX: &str = "rocketmq.";
