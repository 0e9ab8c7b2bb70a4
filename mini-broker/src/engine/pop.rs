//! Pop consumption: leases with invisible time, ack, invisible-time changes and
//! dead-lettering.

use super::fifo::pop_fifo;
use super::*;
use crate::clock::Millis;
use crate::metadata::TopicType;
use crate::receipt::ReceiptHandle;
use crate::store::TopicLog;
use crate::validate::{Checked, Reject, texts};
use rmq_proto::Code;
use rmq_proto::names::DLQ_TOPIC_PREFIX;

impl Engine {
    /// A subscription's progress, with a cursor for every queue of the topic.
    pub(super) fn group_topic(&mut self, group: &str, topic: &str) -> &mut GroupTopic {
        let queues = self.topics.get(topic).map_or(0, |t| t.queues.len());
        self.consumers.entry(group, topic, queues)
    }

    /// Pops up to `max` visible messages. Never blocks; the caller long-polls. Returns the
    /// deliveries and whether any state changed (an unchanged pop need not be journaled).
    pub(crate) fn pop(&mut self, req: &PopRequest<'_>, now: Millis) -> (Vec<Delivery>, bool) {
        if req.fifo
            && let Some(repeat) = self.repeat_attempt(req, now)
        {
            return (repeat, false);
        }
        let Some(log) = self.topics.get(req.topic) else {
            return (Vec::new(), false);
        };
        let mut changed = false;
        let queue_count = log.queues.len();
        let mut picked: Vec<(usize, i64, i32)> = Vec::new();
        // Apache 5.4+ "priority mode" for a PRIORITY topic read by a non-FIFO group: queues
        // from the highest id (the highest priority) down, new messages before retries.
        let by_priority = !req.fifo
            && self
                .meta
                .topics
                .get(req.topic)
                .is_some_and(|t| t.topic_type == TopicType::Priority);
        {
            // A group's first poll of a topic makes it a reader that retention waits for, so
            // it changes state (and is journaled) even when it finds nothing.
            changed |= self.consumers.get(req.group, req.topic).is_none();
            let state = self.consumers.entry(req.group, req.topic, queue_count);
            let log = &self.topics[req.topic];
            if by_priority {
                for retries in [false, true] {
                    for queue in (0..queue_count).rev() {
                        let cursor = &mut state.queues[queue];
                        changed |= cursor.skip_to(log.start(queue));
                        let (picked, changed) = (&mut picked, &mut changed);
                        match retries {
                            false => take_new(cursor, log, queue, req, picked, changed),
                            true => take_ready(cursor, log, queue, req, picked, changed),
                        }
                    }
                }
            } else {
                let start = state.rotation.wrapping_add(1);
                for step in 0..queue_count {
                    if picked.len() >= req.max {
                        break;
                    }
                    let queue = (start + step) % queue_count;
                    let cursor = &mut state.queues[queue];
                    // Retention may have dropped what this group never read: it starts at the
                    // first message kept.
                    changed |= cursor.skip_to(log.start(queue));
                    if req.fifo {
                        pop_fifo(cursor, log, queue, req, now, &mut picked, &mut changed);
                    } else {
                        pop_concurrent(cursor, log, queue, req, &mut picked, &mut changed);
                    }
                }
                // The rotation only moves when the pop is journaled, so replay sees the same
                // order.
                if changed || !picked.is_empty() {
                    state.rotation = start;
                }
            }
            changed |= !picked.is_empty();
        }
        let deliveries = self.lease(req, req.topic, picked, now);
        if req.fifo && changed {
            let handed: Vec<(usize, i64)> = deliveries
                .iter()
                .map(|d| {
                    (
                        usize::try_from(d.message.queue_id).unwrap_or(0),
                        d.handle.offset,
                    )
                })
                .collect();
            self.group_topic(req.group, req.topic).last_attempt =
                req.attempt_id.map(|id| (id.to_owned(), handed));
        }
        (deliveries, changed)
    }

    /// Leases what a pop picked from `topic` (`(queue, offset, attempt)`) to the request's
    /// group and returns the deliveries.
    pub(super) fn lease(
        &mut self,
        req: &PopRequest<'_>,
        topic: &str,
        picked: Vec<(usize, i64, i32)>,
        now: Millis,
    ) -> Vec<Delivery> {
        let broker = self.config.broker_name.clone();
        let mut deliveries = Vec::with_capacity(picked.len());
        for (queue, offset, attempt) in picked {
            let id = self.fresh_id();
            let lease = Lease {
                id,
                pop_time: now,
                invisible: req.invisible,
                attempt,
                fifo: req.fifo,
                owner: req.owner.map(str::to_owned),
                leased_at: now,
                renewals: 0,
            };
            let deadline = lease.deadline();
            let state = self.group_topic(req.group, topic);
            let replaced = state.queues[queue].leases.insert(offset, lease);
            let key = state.lease_key(queue, offset, id);
            if let Some(old) = replaced {
                let old_key = state.lease_key(queue, offset, old.id);
                self.due.remove(&(old.deadline(), Due::Lease(old_key)));
            }
            self.due.insert((deadline, Due::Lease(key)));
            let Some(message) = self.topics[topic].get(queue, offset).cloned() else {
                continue;
            };
            deliveries.push(Delivery {
                handle: ReceiptHandle {
                    pop_time: now,
                    invisible: req.invisible,
                    fifo: req.fifo,
                    broker: broker.clone(),
                    queue_id: message.queue_id,
                    offset,
                    lease: id,
                },
                message,
                attempt,
                invisible: req.invisible,
            });
        }
        deliveries
    }

    /// A FIFO receive retried with the same attempt id: the messages it was handed, still in
    /// flight, come back with their current handles and unchanged attempts.
    pub(super) fn repeat_attempt(
        &mut self,
        req: &PopRequest<'_>,
        now: Millis,
    ) -> Option<Vec<Delivery>> {
        let attempt_id = req.attempt_id?;
        let broker = self.config.broker_name.clone();
        let state = self.consumers.get(req.group, req.topic)?;
        let (last, handed) = state.last_attempt.as_ref()?;
        if last != attempt_id {
            return None;
        }
        let log = self.topics.get(req.topic)?;
        let again: Vec<Delivery> = handed
            .iter()
            .filter_map(|(queue, offset)| {
                let lease = state.queues.get(*queue)?.leases.get(offset)?;
                if lease.deadline() <= now {
                    return None;
                }
                let message = log.get(*queue, *offset)?.clone();
                Some(Delivery {
                    handle: ReceiptHandle {
                        pop_time: lease.pop_time,
                        invisible: lease.invisible,
                        fifo: true,
                        broker: broker.clone(),
                        queue_id: message.queue_id,
                        offset: *offset,
                        lease: lease.id,
                    },
                    message,
                    attempt: lease.attempt,
                    invisible: lease.invisible,
                })
            })
            .collect();
        (!again.is_empty()).then_some(again)
    }

    /// Finds the lease a handle names, with Apache's checks: expired first, then unknown.
    pub(super) fn leased(
        &mut self,
        group: &str,
        topic: &str,
        handle: &ReceiptHandle,
        now: Millis,
        check_expiry: bool,
    ) -> Checked<Option<(usize, i64)>> {
        // The proxy swaps in the renewed handle of an auto-renewed message, so the client's
        // original handle stays good while the lease lives.
        let renewed = self
            .consumers
            .get(group, topic)
            .and_then(|s| s.queues.get(usize::try_from(handle.queue_id).ok()?))
            .and_then(|c| c.leases.get(&handle.offset))
            .is_some_and(|l| l.id == handle.lease && l.owner.is_some() && l.deadline() > now);
        if check_expiry && handle.expired(now) && !renewed {
            return Err(Reject::new(
                Code::InvalidReceiptHandle,
                texts::HANDLE_EXPIRED,
            ));
        }
        if handle.broker != self.config.broker_name {
            return Err(Reject::new(
                Code::InvalidReceiptHandle,
                texts::unknown_broker(&handle.broker),
            ));
        }
        let queue = usize::try_from(handle.queue_id).map_err(|_| {
            Reject::new(
                Code::InvalidReceiptHandle,
                "receipt handle has a bad queue id",
            )
        })?;
        // Looked up, not created: a refused handle changes nothing.
        let Some(cursor) = self
            .consumers
            .get(group, topic)
            .and_then(|state| state.queues.get(queue))
        else {
            return Err(Reject::new(
                Code::InvalidReceiptHandle,
                "receipt handle names an unknown queue",
            ));
        };
        match cursor.leases.get(&handle.offset) {
            Some(lease) if lease.id == handle.lease => Ok(Some((queue, handle.offset))),
            Some(_) => Err(Reject::new(
                Code::InvalidReceiptHandle,
                "receipt handle was replaced by a newer one",
            )),
            // Already acked or dead-lettered: acking again is harmless, as on Apache.
            None if cursor.is_acked(handle.offset) => Ok(None),
            None => Err(Reject::new(
                Code::InvalidReceiptHandle,
                "receipt handle does not match a delivered message",
            )),
        }
    }

    /// Acks a leased message; says whether it was still leased (acking twice is harmless).
    pub(crate) fn ack(
        &mut self,
        group: &str,
        topic: &str,
        handle: &ReceiptHandle,
        now: Millis,
    ) -> Checked<bool> {
        let Some((queue, offset)) = self.leased(group, topic, handle, now, true)? else {
            return Ok(false);
        };
        self.settle(group, topic, queue, offset);
        Ok(true)
    }

    /// Gives a leased message a new invisible time and returns the replacement handle.
    pub(crate) fn change_invisible(
        &mut self,
        group: &str,
        topic: &str,
        handle: &ReceiptHandle,
        invisible: Millis,
        now: Millis,
    ) -> Checked<ReceiptHandle> {
        let Some((queue, offset)) = self.leased(group, topic, handle, now, true)? else {
            return Err(Reject::new(
                Code::InvalidReceiptHandle,
                "message was already acknowledged",
            ));
        };
        let id = self.fresh_id();
        let state = self.group_topic(group, topic);
        let cursor = &mut state.queues[queue];
        let Some(lease) = cursor.leases.get_mut(&offset) else {
            return Err(Reject::new(Code::InvalidReceiptHandle, "lease vanished"));
        };
        let before = (lease.deadline(), lease.id);
        lease.id = id;
        lease.pop_time = now;
        lease.invisible = invisible;
        lease.owner = None;
        let fifo = lease.fifo;
        let key = state.lease_key(queue, offset, id);
        let old_key = state.lease_key(queue, offset, before.1);
        self.due.remove(&(before.0, Due::Lease(old_key)));
        self.due.insert((now + invisible, Due::Lease(key)));
        Ok(ReceiptHandle {
            pop_time: now,
            invisible,
            fifo,
            broker: handle.broker.clone(),
            queue_id: handle.queue_id,
            offset,
            lease: id,
        })
    }

    /// Moves a leased message to the group's dead-letter topic; says whether it was still
    /// leased.
    pub(crate) fn forward_to_dlq(
        &mut self,
        group: &str,
        topic: &str,
        handle: &ReceiptHandle,
        now: Millis,
    ) -> Checked<bool> {
        let Some((queue, offset)) = self.leased(group, topic, handle, now, false)? else {
            return Ok(false);
        };
        self.dead_letter(group, topic, queue, offset, now);
        Ok(true)
    }

    /// Acks an offset for a group, forgetting the deadline of its lease if it has one.
    fn settle(&mut self, group: &str, topic: &str, queue: usize, offset: i64) {
        let state = self.group_topic(group, topic);
        let lease = state
            .queues
            .get(queue)
            .and_then(|c| c.leases.get(&offset))
            .map(|l| (l.deadline(), l.id));
        let due = lease.map(|(at, id)| (at, Due::Lease(state.lease_key(queue, offset, id))));
        if let Some(cursor) = state.queues.get_mut(queue) {
            cursor.ack(offset);
        }
        if let Some(due) = due {
            self.due.remove(&due);
        }
    }

    pub(super) fn dead_letter(
        &mut self,
        group: &str,
        topic: &str,
        queue: usize,
        offset: i64,
        now: Millis,
    ) {
        let original = self
            .topics
            .get(topic)
            .and_then(|log| log.get(queue, offset))
            .cloned();
        // Settled even when the message is gone, so its lease cannot outlive it.
        self.settle(group, topic, queue, offset);
        let Some(original) = original else {
            return;
        };
        let dlq = format!("{DLQ_TOPIC_PREFIX}{group}");
        if !self.meta.topics.contains_key(&dlq)
            && let Some(config) = self.meta.auto_topic(&dlq)
        {
            self.declare_topic(config);
        }
        let mut copy = (*original).clone();
        copy.dead_letter = Some((original.topic.clone(), original.message_id.clone()));
        copy.topic = dlq;
        copy.store_timestamp = now;
        copy.delivery_timestamp = None;
        self.append(copy, 0);
    }
}

/// Concurrent consumption: redeliveries first, then fresh messages from the frontier.
pub(super) fn pop_concurrent(
    cursor: &mut Cursor,
    log: &TopicLog,
    queue: usize,
    req: &PopRequest<'_>,
    picked: &mut Vec<(usize, i64, i32)>,
    changed: &mut bool,
) {
    take_ready(cursor, log, queue, req, picked, changed);
    take_new(cursor, log, queue, req, picked, changed);
}

/// Takes messages of `queue` whose lease ran out (redeliveries).
fn take_ready(
    cursor: &mut Cursor,
    log: &TopicLog,
    queue: usize,
    req: &PopRequest<'_>,
    picked: &mut Vec<(usize, i64, i32)>,
    changed: &mut bool,
) {
    while picked.len() < req.max {
        let Some(offset) = cursor.ready.pop_first() else {
            break;
        };
        let attempt = cursor.leases.get(&offset).map_or(0, |l| l.attempt);
        match log.get(queue, offset) {
            Some(message) if req.filter.matches(message) => {
                picked.push((queue, offset, attempt + 1));
            }
            _ => cursor.ack(offset),
        }
        *changed = true;
    }
}

/// Takes messages of `queue` never delivered to the group.
fn take_new(
    cursor: &mut Cursor,
    log: &TopicLog,
    queue: usize,
    req: &PopRequest<'_>,
    picked: &mut Vec<(usize, i64, i32)>,
    changed: &mut bool,
) {
    let end = log.end(queue);
    cursor.next = cursor.next.max(cursor.committed);
    while picked.len() < req.max && cursor.next < end {
        let offset = cursor.next;
        cursor.next += 1;
        *changed = true;
        if cursor.is_acked(offset) || cursor.leases.contains_key(&offset) {
            continue;
        }
        match log.get(queue, offset) {
            Some(message) if req.filter.matches(message) => picked.push((queue, offset, 1)),
            // A message the subscription does not want is consumed for this group, as the
            // Apache proxy acks tag mismatches.
            _ => cursor.ack(offset),
        }
    }
}
