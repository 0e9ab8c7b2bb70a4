//! Time: the deadline queue (redeliveries, scheduled messages, lease renewals, transaction
//! checks) fired by `tick`, and recall of scheduled messages.

use super::*;
use crate::clock::Millis;

impl Engine {
    /// Cancels a scheduled message. Returns its message id.
    pub(crate) fn recall(&mut self, topic: &str, message_id: &str) -> Option<String> {
        let id = self.timers.iter().find_map(|(id, timer)| {
            (timer.message.topic == topic && timer.message.message_id == message_id).then_some(*id)
        })?;
        let timer = self.timers.remove(&id)?;
        if let Some(at) = timer.message.delivery_timestamp {
            self.due.remove(&(at, Due::Timer(id)));
        }
        Some(timer.message.message_id)
    }

    /// The earliest pending deadline, if any.
    pub(crate) fn next_due(&self) -> Option<Millis> {
        self.due.first().map(|(at, _)| *at)
    }

    /// Fires every deadline at or before `now`: the only way time moves the engine. Returns
    /// whether anything became visible to consumers, the actions to run outside the lock, and
    /// whether any deadline fired (state changed, so the tick is journaled).
    pub(crate) fn tick(&mut self, now: Millis) -> (bool, Vec<Action>, bool) {
        let mut visible = false;
        let mut fired = false;
        let mut actions = Vec::new();
        while let Some((at, _)) = self.due.first() {
            if *at > now {
                break;
            }
            let Some((_, due)) = self.due.pop_first() else {
                break;
            };
            fired = true;
            match due {
                Due::Lease(key) => visible |= self.expire_lease(&key, now),
                Due::Timer(id) => {
                    if let Some(timer) = self.timers.remove(&id) {
                        self.append(timer.message, timer.queue_id);
                        visible = true;
                    }
                }
                Due::TransactionCheck {
                    transaction_id,
                    generation,
                } => {
                    if let Some(action) = self.check_transaction(&transaction_id, generation, now) {
                        actions.push(action);
                    }
                }
            }
        }
        (visible, actions, fired)
    }

    pub(super) fn expire_lease(&mut self, key: &LeaseKey, now: Millis) -> bool {
        let (group, topic) = (&*key.subscription.group, &*key.subscription.topic);
        let (queue, offset) = (key.queue, key.offset);
        let max_attempts = self
            .meta
            .groups
            .get(group)
            .map_or(rmq_proto::limits::DEFAULT_MAX_DELIVERY_ATTEMPTS, |g| {
                g.max_delivery_attempts
            });
        let Some(state) = self.consumers.get_mut(group, topic) else {
            return false;
        };
        let Some(cursor) = state.queues.get_mut(queue) else {
            return false;
        };
        // Renewals keep the lease id, so an earlier deadline of the same lease may still be
        // queued: only the current deadline counts.
        let attempt = match cursor.leases.get(&offset) {
            Some(current) if current.id == key.lease && current.deadline() <= now => {
                current.attempt
            }
            _ => return false,
        };
        if attempt >= max_attempts {
            self.dead_letter(group, topic, queue, offset, now);
        } else {
            cursor.ready.insert(offset);
        }
        true
    }
}
