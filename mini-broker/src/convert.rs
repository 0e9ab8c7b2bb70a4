//! Stored messages to wire messages.

use crate::clock::Millis;
use crate::engine::Delivery;
use crate::store::StoredMessage;
use md5::{Digest as _, Md5};
use rmq_proto::v2::{
    self, DeadLetterQueue, Digest, DigestType, Encoding, Resource, SystemProperties,
};

pub(crate) fn timestamp(ms: Millis) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

pub(crate) fn duration(ms: Millis) -> prost_types::Duration {
    prost_types::Duration {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// Milliseconds of a protobuf timestamp or duration, saturating; `None` when out of range.
pub(crate) fn millis(seconds: i64, nanos: i32) -> Option<Millis> {
    seconds
        .checked_mul(1000)?
        .checked_add(i64::from(nanos) / 1_000_000)
}

/// The wire form of a stored message, as a consumer sees it (no receipt data).
pub(crate) fn message(stored: &StoredMessage, namespace: &str, store_host: &str) -> v2::Message {
    v2::Message {
        topic: Some(Resource {
            resource_namespace: namespace.to_owned(),
            name: stored.topic.clone(),
        }),
        user_properties: stored
            .user_properties
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        system_properties: Some(SystemProperties {
            tag: stored.tag.clone(),
            keys: stored.keys.clone(),
            message_id: stored.message_id.clone(),
            body_digest: Some(Digest {
                r#type: DigestType::Md5 as i32,
                checksum: hex::encode_upper(Md5::digest(&stored.body)),
            }),
            body_encoding: if stored.body_encoding == Encoding::Gzip as i32 {
                Encoding::Gzip as i32
            } else {
                Encoding::Identity as i32
            },
            message_type: stored.message_type as i32,
            born_timestamp: Some(timestamp(stored.born_timestamp)),
            born_host: stored.born_host.clone(),
            store_timestamp: Some(timestamp(stored.store_timestamp)),
            store_host: store_host.to_owned(),
            delivery_timestamp: stored.delivery_timestamp.map(timestamp),
            queue_id: stored.queue_id,
            queue_offset: Some(stored.offset),
            message_group: stored.message_group.clone(),
            trace_context: stored.trace_context.clone(),
            dead_letter_queue: stored
                .dead_letter
                .as_ref()
                .map(|(topic, id)| DeadLetterQueue {
                    topic: topic.clone(),
                    message_id: id.clone(),
                }),
            priority: stored.priority,
            lite_topic: stored.lite_topic.clone(),
            ..Default::default()
        }),
        body: stored.body.clone(),
    }
}

/// A popped message with its receipt handle, attempt and invisible time.
pub(crate) fn delivery(d: &Delivery, namespace: &str, store_host: &str) -> v2::Message {
    let mut wire = message(&d.message, namespace, store_host);
    if let Some(sys) = wire.system_properties.as_mut() {
        sys.receipt_handle = Some(d.handle.encode());
        sys.delivery_attempt = Some(d.attempt);
        sys.invisible_duration = Some(duration(d.invisible));
    }
    wire
}
