//! Stored messages and the per-topic queues that hold them.

pub(crate) mod journal;

use crate::clock::Millis;
use bytes::Bytes;
use rmq_proto::properties as keys;
use rmq_proto::v2::MessageType;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// One message as the broker keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredMessage {
    /// Topic the message is stored in.
    pub topic: String,
    /// Queue within the topic (set when the message is appended).
    pub queue_id: i32,
    /// Offset within the queue (set when the message is appended).
    pub offset: i64,
    /// Client-generated message id (`UNIQ_KEY`).
    pub message_id: String,
    /// Tag, if any.
    pub tag: Option<String>,
    /// Keys.
    pub keys: Vec<String>,
    /// FIFO message group, if any.
    pub message_group: Option<String>,
    /// User properties.
    pub user_properties: BTreeMap<String, String>,
    /// Body bytes as sent.
    pub body: Bytes,
    /// `Encoding` of the body as sent (identity or gzip).
    pub body_encoding: i32,
    /// Message type as classified on send.
    pub message_type: MessageType,
    /// Born time, epoch ms.
    pub born_timestamp: Millis,
    /// Born host.
    pub born_host: String,
    /// Store time, epoch ms.
    pub store_timestamp: Millis,
    /// Requested delivery time of a scheduled message, epoch ms.
    pub delivery_timestamp: Option<Millis>,
    /// Trace context, if any.
    pub trace_context: Option<String>,
    /// Priority, if any.
    pub priority: Option<i32>,
    /// For a dead-lettered copy: the original topic and message id.
    pub dead_letter: Option<(String, String)>,
    /// Transaction id of a transactional message.
    pub transaction_id: Option<String>,
    /// The lite topic (under `topic`, its parent) of a lite message.
    pub lite_topic: Option<String>,
}

impl StoredMessage {
    /// The value SQL92 filters see for a property name: user properties plus the system
    /// properties a broker keeps in the same map.
    pub(crate) fn property(&self, name: &str) -> Option<String> {
        match name {
            keys::TAGS => self.tag.clone(),
            keys::KEYS if !self.keys.is_empty() => Some(self.keys.join(" ")),
            keys::UNIQ_KEY => Some(self.message_id.clone()),
            keys::SHARDING_KEY => self.message_group.clone(),
            keys::TIMER_DELIVER_MS => self.delivery_timestamp.map(|t| t.to_string()),
            _ => self.user_properties.get(name).cloned(),
        }
    }
}

/// One queue: the messages still kept, from offset `base` on (retention drops a consumed
/// prefix; offsets never move).
#[derive(Debug, Default)]
pub(crate) struct Queue {
    pub(crate) base: i64,
    pub(crate) messages: VecDeque<Arc<StoredMessage>>,
}

impl Queue {
    /// The next offset to be written.
    pub(crate) fn end(&self) -> i64 {
        self.base
            .saturating_add(i64::try_from(self.messages.len()).unwrap_or(i64::MAX))
    }

    pub(crate) fn get(&self, offset: i64) -> Option<&Arc<StoredMessage>> {
        let index = usize::try_from(offset.checked_sub(self.base)?).ok()?;
        self.messages.get(index)
    }
}

/// The queues of one topic.
#[derive(Debug, Default)]
pub(crate) struct TopicLog {
    pub(crate) queues: Vec<Queue>,
}

impl TopicLog {
    pub(crate) fn new(queues: u32) -> Self {
        TopicLog {
            queues: (0..queues.max(1)).map(|_| Queue::default()).collect(),
        }
    }

    /// Appends to a queue, assigning the offset; returns the stored message.
    pub(crate) fn append(
        &mut self,
        queue_id: usize,
        mut message: StoredMessage,
    ) -> Arc<StoredMessage> {
        let queue_id = queue_id.min(self.queues.len().saturating_sub(1));
        if self.queues.is_empty() {
            self.queues.push(Queue::default());
        }
        let queue = &mut self.queues[queue_id];
        message.queue_id = i32::try_from(queue_id).unwrap_or(i32::MAX);
        message.offset = queue.end();
        let stored = Arc::new(message);
        queue.messages.push_back(stored.clone());
        stored
    }

    pub(crate) fn get(&self, queue_id: usize, offset: i64) -> Option<&Arc<StoredMessage>> {
        self.queues.get(queue_id)?.get(offset)
    }

    pub(crate) fn end(&self, queue_id: usize) -> i64 {
        self.queues.get(queue_id).map_or(0, Queue::end)
    }

    /// The first offset still kept.
    pub(crate) fn start(&self, queue_id: usize) -> i64 {
        self.queues.get(queue_id).map_or(0, |q| q.base)
    }
}
