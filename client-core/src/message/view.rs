//! Received messages.

use crate::config::Endpoint;
use bytes::Bytes;
use rmq_proto::v2;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A message as a consumer receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageView {
    /// Message id.
    pub message_id: String,
    /// Topic.
    pub topic: String,
    /// Body.
    pub body: Bytes,
    /// Tag, if any.
    pub tag: Option<String>,
    /// Keys.
    pub keys: Vec<String>,
    /// User properties.
    pub properties: HashMap<String, String>,
    /// FIFO message group, if any.
    pub message_group: Option<String>,
    /// Scheduled delivery time, if the message was scheduled.
    pub delivery_timestamp: Option<SystemTime>,
    /// 1 on the first delivery.
    pub delivery_attempt: i32,
    /// When the producer built it.
    pub born_timestamp: Option<SystemTime>,
    /// The producer's host.
    pub born_host: String,
    /// Queue id.
    pub queue_id: i32,
    /// Queue offset, when the server gave one.
    pub queue_offset: Option<i64>,
    /// Why the body is unusable (digest mismatch or a failed decompression), if it is. A
    /// corrupted message is never given to a push consumer's listener.
    pub corrupted: Option<String>,
    /// Priority (priority topics only; Apache 5.4+), if the message carried one.
    pub priority: Option<i32>,
    /// Lite topic (lite topics only; Apache 5.5+), if the message was sent to one.
    pub lite_topic: Option<String>,
    pub(crate) receipt_handle: String,
    pub(crate) endpoint: Endpoint,
}

impl MessageView {
    /// The receipt handle (opaque; replaced by `change_invisible_duration`).
    pub fn receipt_handle(&self) -> &str {
        &self.receipt_handle
    }

    pub(crate) fn from_proto(message: v2::Message, endpoint: &Endpoint) -> MessageView {
        let sys = message.system_properties.unwrap_or_default();
        let time = |t: Option<prost_types::Timestamp>| {
            t.and_then(|t| {
                let secs = u64::try_from(t.seconds).ok()?;
                let nanos = u64::try_from(t.nanos).ok()?;
                UNIX_EPOCH.checked_add(Duration::from_secs(secs) + Duration::from_nanos(nanos))
            })
        };
        let (body, corrupted) =
            match super::body::decode(&message.body, sys.body_digest.as_ref(), sys.body_encoding) {
                Ok(Some(decoded)) => (Bytes::from(decoded), None),
                Ok(None) => (message.body, None),
                Err(why) => (message.body, Some(why)),
            };
        MessageView {
            message_id: sys.message_id,
            topic: message.topic.map(|t| t.name).unwrap_or_default(),
            body,
            corrupted,
            tag: sys.tag,
            keys: sys.keys,
            properties: message.user_properties,
            message_group: sys.message_group,
            delivery_timestamp: time(sys.delivery_timestamp),
            delivery_attempt: sys.delivery_attempt.unwrap_or(1),
            born_timestamp: time(sys.born_timestamp),
            born_host: sys.born_host,
            queue_id: sys.queue_id,
            queue_offset: sys.queue_offset,
            priority: sys.priority,
            lite_topic: sys.lite_topic,
            receipt_handle: sys.receipt_handle.unwrap_or_default(),
            endpoint: endpoint.clone(),
        }
    }
}
