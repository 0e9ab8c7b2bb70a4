//! Inspection for tests and tools.

use super::*;
use crate::store::StoredMessage;
use std::sync::Arc;

impl Engine {
    pub(crate) fn messages(&self, topic: &str) -> Vec<Arc<StoredMessage>> {
        self.topics
            .get(topic)
            .map(|log| {
                log.queues
                    .iter()
                    .flat_map(|q| q.messages.iter().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn in_flight(&self, group: &str, topic: &str) -> Vec<(Arc<StoredMessage>, i32)> {
        let (Some(state), Some(log)) = (self.consumers.get(group, topic), self.topics.get(topic))
        else {
            return Vec::new();
        };
        state
            .queues
            .iter()
            .enumerate()
            .flat_map(|(queue, cursor)| {
                cursor.leases.iter().filter_map(move |(offset, lease)| {
                    (!cursor.ready.contains(offset))
                        .then(|| log.get(queue, *offset).map(|m| (m.clone(), lease.attempt)))
                        .flatten()
                })
            })
            .collect()
    }

    pub(crate) fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    pub(crate) fn half_messages(&self) -> Vec<HalfMessage> {
        self.halves.values().cloned().collect()
    }

    pub(crate) fn queue_end(&self, topic: &str, queue: usize) -> Option<i64> {
        let log = self.topics.get(topic)?;
        (queue < log.queues.len()).then(|| log.end(queue))
    }

    /// The first offset of a queue still kept.
    pub(crate) fn queue_start(&self, topic: &str, queue: usize) -> Option<i64> {
        let log = self.topics.get(topic)?;
        (queue < log.queues.len()).then(|| log.start(queue))
    }

    /// Each queue's first kept offset, next offset and last store time (0 when empty).
    pub(crate) fn queue_offsets(&self, topic: &str) -> Vec<(i64, i64, i64)> {
        let Some(log) = self.topics.get(topic) else {
            return Vec::new();
        };
        log.queues
            .iter()
            .enumerate()
            .map(|(q, queue)| {
                let last = queue.messages.back().map_or(0, |m| m.store_timestamp);
                (log.start(q), log.end(q), last)
            })
            .collect()
    }

    pub(crate) fn committed(&self, group: &str, topic: &str, queue: usize) -> Option<i64> {
        self.consumers
            .get(group, topic)?
            .queues
            .get(queue)
            .map(|c| c.committed)
    }
}

#[cfg(test)]
impl Engine {
    /// Every piece of state, in a stable order: two engines with equal fingerprints behave
    /// the same from here on.
    pub(crate) fn fingerprint(&self) -> String {
        fn sorted<T: std::fmt::Debug>(items: impl Iterator<Item = T>) -> Vec<String> {
            let mut out: Vec<String> = items.map(|i| format!("{i:?}")).collect();
            out.sort();
            out
        }
        format!(
            "config {:?}\ntopics {:?}\nconsumers {:?}\ntimers {:?}\nhalves {:?}\ndue {:?}\nnext {}\nmeta {:?} {:?}",
            self.config,
            sorted(self.topics.iter()),
            sorted(self.consumers.iter()),
            self.timers,
            sorted(self.halves.iter()),
            self.due,
            self.next_id,
            sorted(self.meta.topics.iter()),
            sorted(self.meta.groups.iter()),
        )
    }
}
