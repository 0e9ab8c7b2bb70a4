//! The journal's records: an entry is `(now, op)` where the op is one engine command, framed on
//! disk as `[len: u32 LE][crc32: u32 LE][entry]` with the CRC over the entry bytes.

use crate::metadata::{GroupConfig, LiteGroup, RetryPolicy, TopicConfig, TopicType};
use crate::store::StoredMessage;
use prost::Message as _;
use std::time::Duration;

pub(super) const HEADER: usize = 8;
/// Larger lengths can only come from a corrupt header.
const MAX_RECORD: usize = 256 * 1024 * 1024;

/// Generated from `proto/journal.proto` (the on-disk schema).
#[allow(clippy::all, clippy::pedantic, missing_docs)]
mod pb {
    include!(concat!(env!("OUT_DIR"), "/rmq.journal.v1.rs"));
}

pub(crate) use pb::delete::What as Deleted;
pub(crate) use pb::entry::Op;
pub(crate) use pb::{
    Ack, ChangeInvisible, Configure, Delete, EndTransaction, Entry, ForwardToDlq, LiteOffset,
    Place, Pop, PullOffset, Recall, Release, Renew, Tick, Trim,
};
pub(crate) use pb::{Group as JGroup, Message as JMessage, Topic as JTopic};

/// The snapshot schema: `engine/snapshot.rs` fills and reads it, `snapshot.rs` stores it.
pub(crate) mod state {
    pub(crate) use super::pb::due_state::What;
    pub(crate) use super::pb::{
        CheckDue, CursorState, DueState, HalfState, LeaseDue, LeaseState, QueueOffset, QueueState,
        Snapshot, SubscriptionState, TimerState, TopicQueues,
    };
}

/// Each command record is the op of its own variant.
macro_rules! op_from {
    ($($record:ty => $variant:ident),* $(,)?) => {
        $(impl From<$record> for Op {
            fn from(record: $record) -> Op {
                Op::$variant(record)
            }
        })*
    };
}

op_from! {
    Place => Place, Pop => Pop, Ack => Ack, ChangeInvisible => ChangeInvisible,
    ForwardToDlq => ForwardToDlq, Recall => Recall, EndTransaction => EndTransaction,
    Tick => Tick, JTopic => DeclareTopic, JGroup => DeclareGroup, PullOffset => PullOffset,
    Renew => Renew, Release => Release, Trim => Trim, Configure => Configure,
    Delete => Delete, LiteOffset => LiteOffset,
}

impl From<StoredMessage> for JMessage {
    fn from(m: StoredMessage) -> Self {
        let (dlq_topic, dlq_message_id) = m.dead_letter.unzip();
        JMessage {
            topic: m.topic,
            message_id: m.message_id,
            tag: m.tag,
            keys: m.keys,
            message_group: m.message_group,
            user_properties: m.user_properties,
            body: m.body,
            body_encoding: m.body_encoding,
            message_type: m.message_type as i32,
            born_timestamp: m.born_timestamp,
            born_host: m.born_host,
            store_timestamp: m.store_timestamp,
            delivery_timestamp: m.delivery_timestamp,
            trace_context: m.trace_context,
            priority: m.priority,
            dlq_topic,
            dlq_message_id,
            transaction_id: m.transaction_id,
            lite_topic: m.lite_topic,
        }
    }
}

impl From<JMessage> for StoredMessage {
    fn from(m: JMessage) -> Self {
        StoredMessage {
            topic: m.topic,
            queue_id: 0,
            offset: 0,
            message_id: m.message_id,
            tag: m.tag,
            keys: m.keys,
            message_group: m.message_group,
            user_properties: m.user_properties,
            body: m.body,
            body_encoding: m.body_encoding,
            message_type: rmq_proto::v2::MessageType::try_from(m.message_type)
                .unwrap_or(rmq_proto::v2::MessageType::Normal),
            born_timestamp: m.born_timestamp,
            born_host: m.born_host,
            store_timestamp: m.store_timestamp,
            delivery_timestamp: m.delivery_timestamp,
            trace_context: m.trace_context,
            priority: m.priority,
            dead_letter: m.dlq_topic.zip(m.dlq_message_id),
            transaction_id: m.transaction_id,
            lite_topic: m.lite_topic,
        }
    }
}

impl From<&TopicConfig> for JTopic {
    fn from(t: &TopicConfig) -> Self {
        JTopic {
            name: t.name.clone(),
            topic_type: t.topic_type.name().into(),
            queues: t.queues,
        }
    }
}

impl From<JTopic> for TopicConfig {
    fn from(t: JTopic) -> Self {
        TopicConfig::new(t.name, t.topic_type.parse().unwrap_or(TopicType::Mixed)).queues(t.queues)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn dur(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl From<&GroupConfig> for JGroup {
    fn from(g: &GroupConfig) -> Self {
        let mut out = JGroup {
            name: g.name.clone(),
            fifo: g.fifo,
            max_attempts: g.max_delivery_attempts,
            ..Default::default()
        };
        if let Some(lite) = &g.lite {
            out.lite_bind_topic = Some(lite.bind_topic.clone());
            out.lite_quota = lite.quota;
            out.lite_exclusive = lite.exclusive;
        }
        match &g.retry_policy {
            RetryPolicy::Customized(delays) => {
                out.customized_ms = delays.iter().map(|d| ms(*d)).collect()
            }
            RetryPolicy::Exponential {
                initial,
                max,
                multiplier,
            } => {
                out.exponential = true;
                out.initial_ms = ms(*initial);
                out.max_ms = ms(*max);
                out.multiplier = *multiplier;
            }
        }
        out
    }
}

impl From<JGroup> for GroupConfig {
    fn from(g: JGroup) -> Self {
        let policy = if g.exponential {
            RetryPolicy::Exponential {
                initial: dur(g.initial_ms),
                max: dur(g.max_ms),
                multiplier: g.multiplier,
            }
        } else {
            RetryPolicy::Customized(g.customized_ms.into_iter().map(dur).collect())
        };
        let group = GroupConfig::new(g.name)
            .fifo(g.fifo)
            .max_delivery_attempts(g.max_attempts)
            .retry_policy(policy);
        match g.lite_bind_topic {
            Some(bind_topic) => group.lite(LiteGroup {
                bind_topic,
                quota: g.lite_quota,
                exclusive: g.lite_exclusive,
            }),
            None => group,
        }
    }
}

/// Appends one framed record to `out`, encoding the entry in place.
pub(crate) fn frame(entry: &Entry, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    entry.encode_raw(out);
    let len = u32::try_from(out.len() - start - HEADER).unwrap_or(u32::MAX);
    let crc = crc32fast::hash(&out[start + HEADER..]);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
}

pub(super) fn read_record(bytes: &[u8]) -> Option<(Entry, usize)> {
    let len = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    if len == 0 || len > MAX_RECORD {
        return None;
    }
    let body = bytes.get(HEADER..HEADER + len)?;
    if crc32fast::hash(body) != crc {
        return None;
    }
    let entry = Entry::decode(body).ok()?;
    Some((entry, HEADER + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The on-disk bytes of one record, written out by hand from the field numbers: a schema
    /// change that renumbers a field breaks every existing journal, and this test.
    #[test]
    fn field_numbers_are_the_on_disk_format() {
        let entry = Entry {
            now: 5,
            op: Some(Op::Place(Place {
                message: Some(Box::new(JMessage {
                    topic: "t".into(),
                    message_id: "id".into(),
                    body: bytes::Bytes::from_static(b"b"),
                    ..Default::default()
                })),
                queue: 1,
                half: false,
            })),
        };
        let message = [0x0a, 0x01, b't', 0x12, 0x02, b'i', b'd', 0x3a, 0x01, b'b'];
        let mut place = vec![0x0a, 0x0a];
        place.extend_from_slice(&message);
        place.extend_from_slice(&[0x10, 0x01]);
        let mut want = vec![0x08, 0x05, 0x12, 0x0e];
        want.extend_from_slice(&place);
        assert_eq!(entry.encode_to_vec(), want);
        assert_eq!(Entry::decode(want.as_slice()).ok(), Some(entry));
    }
}
