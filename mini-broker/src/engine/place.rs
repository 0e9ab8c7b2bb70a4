//! Sending: queue choice and placement (normal, FIFO, scheduled, half messages).

use super::*;
use crate::clock::Millis;
use crate::store::{StoredMessage, TopicLog};
use std::sync::Arc;

/// Picks a queue: by message group hash for ordered messages, else the `turn`-th in rotation.
pub(crate) fn choose_queue(queues: u32, message_group: Option<&str>, turn: usize) -> usize {
    let queues = queues.max(1) as usize;
    match message_group {
        Some(group) => {
            // FNV-1a: stable across runs and platforms, so a group always lands on the same
            // queue of a topic.
            let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
            for byte in group.as_bytes() {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
            (hash % queues as u64) as usize
        }
        None => turn % queues,
    }
}

impl Engine {
    /// Stores a validated message: appended now, held until its delivery time, or kept as a
    /// half transaction message.
    pub(crate) fn place(
        &mut self,
        mut message: StoredMessage,
        queue_id: usize,
        half: bool,
        now: Millis,
    ) -> Placed {
        message.store_timestamp = now;
        if half {
            let transaction_id = message.message_id.clone();
            message.transaction_id = Some(transaction_id.clone());
            let generation = self.fresh_id();
            self.halves.insert(
                transaction_id.clone(),
                HalfMessage {
                    message,
                    queue_id,
                    checks: 0,
                    generation,
                },
            );
            self.due.insert((
                now + self.config.transaction_check_delay,
                Due::TransactionCheck {
                    transaction_id: transaction_id.clone(),
                    generation,
                },
            ));
            return Placed {
                offset: 0,
                recall_handle: String::new(),
                transaction_id,
            };
        }
        match message.delivery_timestamp {
            Some(at) if at > now => {
                let id = self.fresh_id();
                let recall_handle = crate::recall::encode(
                    &message.topic,
                    &self.config.broker_name,
                    at,
                    &message.message_id,
                );
                self.timers.insert(id, PendingTimer { message, queue_id });
                self.due.insert((at, Due::Timer(id)));
                Placed {
                    offset: 0,
                    recall_handle,
                    transaction_id: String::new(),
                }
            }
            _ => {
                let stored = self.append(message, queue_id);
                Placed {
                    offset: stored.offset,
                    recall_handle: String::new(),
                    transaction_id: String::new(),
                }
            }
        }
    }

    pub(super) fn append(&mut self, message: StoredMessage, queue_id: usize) -> Arc<StoredMessage> {
        let queues = self.meta.topics.get(&message.topic).map_or(1, |t| t.queues);
        let stored = self
            .topics
            .entry(message.topic.clone())
            .or_insert_with(|| TopicLog::new(queues))
            .append(queue_id, message);
        self.dispatch_lite(&stored);
        stored
    }
}
