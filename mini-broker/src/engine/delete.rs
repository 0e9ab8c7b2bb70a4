//! Deleting a topic or a consumer group (the admin path's `deleteTopic` / `deleteSubGroup`).
//! A deleted topic takes its messages with it, as Apache deletes a topic's consume queues:
//! its queues, every group's progress and leases on it, its scheduled and half messages and
//! their deadlines. Declared again later, it starts empty at offset 0.

use super::command::record;
use super::*;
use crate::store::journal::{Delete, Deleted, Op};

impl Engine {
    fn delete_topic(&mut self, topic: &str) -> bool {
        let declared = self.meta.topics.remove(topic).is_some();
        let stored = self.topics.remove(topic).is_some();
        let progress = self.consumers.remove_topic(topic);
        let timers = self.timers.len();
        self.timers.retain(|_, t| t.message.topic != topic);
        let halves = self.halves.len();
        self.halves.retain(|_, h| h.message.topic != topic);
        let pending = timers != self.timers.len() || halves != self.halves.len();
        if progress || pending {
            self.forget_stale_deadlines();
        }
        declared || stored || progress || pending
    }

    fn delete_group(&mut self, group: &str, clean_offset: bool) -> bool {
        let declared = self.meta.groups.remove(group).is_some();
        let progress = clean_offset && self.consumers.remove_group(group);
        if progress {
            self.forget_stale_deadlines();
        }
        declared || progress
    }

    /// Drops the deadlines of leases, timers and transactions that no longer exist.
    fn forget_stale_deadlines(&mut self) {
        let (consumers, timers, halves) = (&self.consumers, &self.timers, &self.halves);
        self.due.retain(|(_, due)| match due {
            Due::Lease(key) => consumers
                .get(&key.subscription.group, &key.subscription.topic)
                .and_then(|s| s.queues.get(key.queue))
                .and_then(|c| c.leases.get(&key.offset))
                .is_some_and(|lease| lease.id == key.lease),
            Due::Timer(id) => timers.contains_key(id),
            Due::TransactionCheck { transaction_id, .. } => halves.contains_key(transaction_id),
        });
    }
}

impl Command for Delete {
    /// Whether there was anything to delete.
    type Output = bool;
    fn apply(self, engine: &mut Engine, _: Millis, keep: bool) -> (bool, Option<Op>) {
        let changed = match &self.what {
            Some(Deleted::Topic(topic)) => engine.delete_topic(topic),
            Some(Deleted::Group(group)) => engine.delete_group(group, self.clean_offset),
            None => false,
        };
        (changed, record(self, changed, keep))
    }
}
