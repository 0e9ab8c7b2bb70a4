//! Pull consumers: reads by offset and committed offsets.

use super::*;
use crate::clock::Millis;
use crate::filter::Filter;
use crate::store::StoredMessage;
use std::sync::Arc;

impl Engine {
    /// Reads matching messages of one queue from `offset`; returns them with the offset to
    /// read from next, or `Err(corrected)` when `offset` lies outside the queue.
    pub(crate) fn read(
        &self,
        topic: &str,
        queue: usize,
        offset: i64,
        max: usize,
        filter: &Filter,
    ) -> Result<(Vec<Arc<StoredMessage>>, i64), i64> {
        let Some(log) = self.topics.get(topic) else {
            return Err(0);
        };
        let end = log.end(queue);
        // Below the first message retention kept, reading resumes there.
        let start = log.start(queue);
        if offset < start {
            return Err(start);
        }
        if offset > end {
            return Err(end);
        }
        let mut found = Vec::new();
        let mut next = offset;
        while next < end && found.len() < max {
            if let Some(message) = log.get(queue, next)
                && filter.matches(message)
            {
                found.push(message.clone());
            }
            next += 1;
        }
        Ok((found, next))
    }

    /// Commits a pull consumer's offset; says whether it moved.
    pub(crate) fn set_pull_offset(
        &mut self,
        group: &str,
        topic: &str,
        queue: usize,
        offset: i64,
    ) -> bool {
        self.consumers
            .entry(group, topic, 0)
            .pull_offsets
            .insert(queue, offset)
            != Some(offset)
    }

    pub(crate) fn pull_offset(&self, group: &str, topic: &str, queue: usize) -> Option<i64> {
        self.consumers
            .get(group, topic)?
            .pull_offsets
            .get(&queue)
            .copied()
    }

    /// The first offset of a queue stored at or after `at` (the end when none).
    pub(crate) fn offset_at(&self, topic: &str, queue: usize, at: Millis) -> Option<i64> {
        let log = self.topics.get(topic)?;
        let kept = log.queues.get(queue)?;
        let index = kept.messages.partition_point(|m| m.store_timestamp < at);
        Some(
            kept.base
                .saturating_add(i64::try_from(index).unwrap_or(i64::MAX)),
        )
    }
}
