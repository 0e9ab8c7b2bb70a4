//! Lite topics (Apache 5.5, RIP-83). A lite message is stored in a queue of its parent topic
//! and dispatched to its lite queue: an LMQ named `%LMQ%$<parent>$<lite>` with one queue, as
//! Apache's broker names it. Lite consumers pop from the lite queues they subscribed, with one
//! batch in flight per (group, lite queue) as Apache's PopLite keeps them, and settle by the
//! lite queue their message came from.

use super::command::record;
use super::fifo::pop_fifo;
use super::*;
use crate::store::journal::{LiteOffset, Op};
use rmq_proto::v2::OffsetOption;
use rmq_proto::v2::offset_option::{OffsetType, Policy};

/// The prefix of every lite queue's name.
const LITE_QUEUE_PREFIX: &str = "%LMQ%$";

/// The lite queue (LMQ) of a lite topic under its parent.
pub(crate) fn lite_queue(parent: &str, lite: &str) -> String {
    format!("{LITE_QUEUE_PREFIX}{parent}${lite}")
}

impl Engine {
    /// Copies a message just stored in its parent topic into its lite queue (a dead-lettered
    /// copy keeps its lite topic but is not dispatched again).
    pub(super) fn dispatch_lite(&mut self, stored: &StoredMessage) {
        let (Some(lite), None) = (&stored.lite_topic, &stored.dead_letter) else {
            return;
        };
        let queue = lite_queue(&stored.topic, lite);
        let mut copy = stored.clone();
        copy.queue_id = 0;
        self.topics
            .entry(queue)
            .or_insert_with(|| TopicLog::new(1))
            .append(0, copy);
    }

    /// Whether the lite queue exists (has ever held a message).
    pub(crate) fn has_lite_queue(&self, queue: &str) -> bool {
        self.topics.contains_key(queue)
    }

    /// How many lite queues exist: what Apache's LMQ quota counts.
    pub(crate) fn lite_queue_count(&self) -> usize {
        self.topics
            .keys()
            .filter(|t| t.starts_with(LITE_QUEUE_PREFIX))
            .count()
    }

    /// Where a group starts reading a lite queue it subscribes: the queue's end (only what
    /// arrives from now on) unless the offset option says otherwise. With `only_new`, a
    /// group that already has progress on the queue keeps it. Says whether anything changed.
    pub(crate) fn start_lite(
        &mut self,
        group: &str,
        queue: &str,
        option: Option<&OffsetOption>,
        only_new: bool,
    ) -> bool {
        let (start, end) = self
            .topics
            .get(queue)
            .map_or((0, 0), |log| (log.start(0), log.end(0)));
        let known = self.consumers.get(group, queue).is_some();
        if known && only_new {
            return false;
        }
        let state = self.consumers.entry(group, queue, 1);
        let cursor = &mut state.queues[0];
        let committed = known.then_some(cursor.committed);
        let target = match option.and_then(|o| o.offset_type) {
            Some(OffsetType::Policy(p)) if p == Policy::Min as i32 => Some(start),
            Some(OffsetType::Policy(p)) if p == Policy::Max as i32 => Some(end),
            Some(OffsetType::Offset(n)) => Some(n.clamp(start, end)),
            Some(OffsetType::TailN(n)) => committed.map(|c| c.saturating_sub(n.max(0)).max(start)),
            // LAST keeps the group's progress, and Apache 5.5.0 ignores a timestamp: both
            // start a group new to the queue at its end.
            _ => None,
        };
        match (target, committed) {
            (Some(at), _) => cursor.reset_to(at),
            (None, None) => cursor.reset_to(end),
            (None, Some(_)) => {}
        }
        true
    }

    /// Pops for a lite consumer from its lite queues, in the order given (the service rotates
    /// it, so the record replays the same pop).
    pub(crate) fn pop_lite(
        &mut self,
        req: &PopRequest<'_>,
        queues: &[String],
        now: Millis,
    ) -> (Vec<Delivery>, bool) {
        let mut deliveries = Vec::new();
        let mut changed = false;
        for queue in queues {
            if deliveries.len() >= req.max {
                break;
            }
            let Some(log) = self.topics.get(queue.as_str()) else {
                continue;
            };
            let state = self.consumers.entry(req.group, queue, 1);
            let cursor = &mut state.queues[0];
            changed |= cursor.skip_to(log.start(0));
            let want = PopRequest {
                max: req.max - deliveries.len(),
                ..*req
            };
            let mut picked = Vec::new();
            pop_fifo(cursor, log, 0, &want, now, &mut picked, &mut changed);
            changed |= !picked.is_empty();
            deliveries.extend(self.lease(req, queue, picked, now));
        }
        (deliveries, changed)
    }
}

impl Cursor {
    /// Moves the group's progress on this queue to `offset`, as a reset offset does: what is
    /// below it counts as consumed, what is above as never delivered.
    fn reset_to(&mut self, offset: i64) {
        self.committed = offset;
        self.next = offset;
        self.acked = self.acked.split_off(&offset);
        self.ready = self.ready.split_off(&offset);
        while self.acked.remove(&self.committed) {
            self.committed += 1;
        }
    }
}

impl Command for LiteOffset {
    type Output = bool;
    fn apply(self, engine: &mut Engine, _: Millis, keep: bool) -> (bool, Option<Op>) {
        let changed = engine.start_lite(
            &self.group,
            &self.queue,
            self.option.as_ref(),
            self.only_new,
        );
        (changed, record(self, changed, keep))
    }
}
