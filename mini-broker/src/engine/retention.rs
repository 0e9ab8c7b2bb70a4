//! Retention: a queue drops the messages at its front that every group with progress on the
//! topic has consumed and that are at least the retention time old (Apache keeps commit-log
//! files `fileReservedTime` hours whatever was consumed; we never drop what a group still
//! has to read). Offsets never move: a queue remembers the offset of its first kept message.

use super::command::record;
use super::*;
use crate::store::journal::{Op, Trim};

impl Engine {
    /// Drops consumed messages at least `retention` old. Returns whether any was dropped.
    pub(crate) fn trim(&mut self, now: Millis, retention: Millis) -> bool {
        let mut dropped = false;
        for (topic, log) in &mut self.topics {
            let readers: Vec<&GroupTopic> = self
                .consumers
                .iter()
                .filter(|s| &*s.key.topic == topic.as_str())
                .collect();
            if readers.is_empty() {
                continue;
            }
            for (index, queue) in log.queues.iter_mut().enumerate() {
                let consumed = readers
                    .iter()
                    .map(|s| consumed_below(s, index))
                    .min()
                    .unwrap_or(0);
                while let Some(first) = queue.messages.front() {
                    if queue.base >= consumed
                        || first.store_timestamp.saturating_add(retention) > now
                    {
                        break;
                    }
                    queue.messages.pop_front();
                    queue.base += 1;
                    dropped = true;
                }
            }
        }
        dropped
    }
}

/// Every offset of `queue` below this one is consumed by the group: its Pop progress and
/// the offset a pull consumer committed, whichever is behind when it uses both.
fn consumed_below(state: &GroupTopic, queue: usize) -> i64 {
    let popped = state.queues.get(queue).map(|c| c.committed);
    let pulled = state.pull_offsets.get(&queue).copied();
    match (popped, pulled) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(0),
    }
}

impl Command for Trim {
    type Output = bool;
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (bool, Option<Op>) {
        let dropped = engine.trim(now, self.retention.max(0));
        (dropped, record(self, dropped, keep))
    }
}
