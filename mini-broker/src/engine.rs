//! The broker's state machine: topics and queues, consumer progress and leases (Pop with
//! invisible time), FIFO ordering, timers, half transactions, and the deadlines that drive
//! redelivery, dead-lettering, scheduled delivery and transaction checks.
//!
//! Every method takes `now` from the caller's clock and nothing here sleeps or spawns, so the
//! same code runs under the wall clock and under a virtual clock.

use crate::clock::Millis;
use crate::filter::Filter;
use crate::metadata::{GroupConfig, Metadata, TopicConfig, TopicType};
use crate::receipt::ReceiptHandle;
use crate::store::journal::{Entry, Op};
use crate::store::{StoredMessage, TopicLog};
use crate::validate::{Checked, Reject};
use rmq_proto::Code;
use rmq_proto::names::DLQ_TOPIC_PREFIX;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Engine settings that are not per topic or group.
#[derive(Clone, Debug)]
pub(crate) struct EngineConfig {
    pub(crate) broker_name: String,
    /// Delay before the first orphaned-transaction check.
    pub(crate) transaction_check_delay: Millis,
    /// Delay between later checks.
    pub(crate) transaction_check_interval: Millis,
    /// Checks before an undecided half message is discarded.
    pub(crate) transaction_check_max: u32,
}

/// A consumer lease on one popped message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Lease {
    pub(crate) id: u64,
    pub(crate) pop_time: Millis,
    pub(crate) invisible: Millis,
    pub(crate) attempt: i32,
    pub(crate) fifo: bool,
    /// The client whose auto-renewed receive took this message; the broker renews the
    /// lease for it while it lives, as the Apache proxy does for push consumers.
    pub(crate) owner: Option<String>,
    /// First pop of this delivery, which bounds renewals to [`MAX_RENEW`].
    pub(crate) leased_at: Millis,
    pub(crate) renewals: u32,
}

/// Renewal lengths by renewal number (the last repeats), lead time, and total cap, as on the
/// Apache proxy.
const RENEW_STEPS: [Millis; 6] = [60_000, 180_000, 300_000, 600_000, 1_800_000, 3_600_000];
pub(crate) const RENEW_AHEAD: Millis = 10_000;
const MAX_RENEW: Millis = 3 * 3_600_000;
/// Invisible time left to the leases of a consumer that terminates, as on Apache.
const RELEASE_INVISIBLE: Millis = 1_000;

/// A lease the broker should renew soon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RenewKey {
    pub(crate) group: String,
    pub(crate) topic: String,
    pub(crate) queue: usize,
    pub(crate) offset: i64,
    pub(crate) lease: u64,
    pub(crate) owner: String,
}

impl Lease {
    fn deadline(&self) -> Millis {
        self.pop_time.saturating_add(self.invisible)
    }
}

/// One group's progress on one queue.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    /// Every offset below this one is acked.
    pub(crate) committed: i64,
    /// Acked offsets at or above `committed`.
    acked: BTreeSet<i64>,
    /// Popped and not yet acked.
    pub(crate) leases: BTreeMap<i64, Lease>,
    /// Leased offsets whose invisible time ran out: visible again.
    ready: BTreeSet<i64>,
    /// Non-FIFO only: the first offset never popped.
    next: i64,
}

impl Cursor {
    fn ack(&mut self, offset: i64) {
        self.leases.remove(&offset);
        self.ready.remove(&offset);
        if offset >= self.committed {
            self.acked.insert(offset);
        }
        while self.acked.remove(&self.committed) {
            self.committed += 1;
        }
    }

    fn is_acked(&self, offset: i64) -> bool {
        offset < self.committed || self.acked.contains(&offset)
    }
}

#[derive(Debug, Default)]
struct GroupTopic {
    queues: Vec<Cursor>,
    rotation: usize,
    /// The last FIFO receive's attempt id and what it handed out.
    last_attempt: Option<(String, Vec<(usize, i64)>)>,
}

/// A scheduled message waiting for its delivery time.
#[derive(Debug)]
struct PendingTimer {
    message: StoredMessage,
    queue_id: usize,
}

/// A half (prepared) transactional message.
#[derive(Clone, Debug)]
pub(crate) struct HalfMessage {
    pub(crate) message: StoredMessage,
    queue_id: usize,
    pub(crate) checks: u32,
    generation: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Lease {
        group: String,
        topic: String,
        queue: usize,
        offset: i64,
        lease: u64,
    },
    Timer(u64),
    TransactionCheck {
        transaction_id: String,
        generation: u64,
    },
}

/// Something the server must do outside the engine lock.
#[derive(Debug)]
pub(crate) enum Action {
    /// Ask a producer of `topic` to resolve an orphaned transaction.
    CheckTransaction {
        topic: String,
        transaction_id: String,
        message: StoredMessage,
    },
}

/// What a send did with one message.
#[derive(Debug)]
pub(crate) struct Placed {
    pub(crate) offset: i64,
    pub(crate) recall_handle: String,
    pub(crate) transaction_id: String,
}

/// One message handed to a consumer.
#[derive(Debug)]
pub(crate) struct Delivery {
    pub(crate) message: Arc<StoredMessage>,
    pub(crate) handle: ReceiptHandle,
    pub(crate) attempt: i32,
    pub(crate) invisible: Millis,
}

/// What a poll asks for.
pub(crate) struct PopRequest<'a> {
    pub(crate) group: &'a str,
    pub(crate) topic: &'a str,
    pub(crate) filter: &'a Filter,
    pub(crate) max: usize,
    pub(crate) invisible: Millis,
    pub(crate) fifo: bool,
    /// Set for auto-renewed receives: the client to renew for.
    pub(crate) owner: Option<&'a str>,
    /// A FIFO receive that repeats the previous attempt id gets the same messages back.
    pub(crate) attempt_id: Option<&'a str>,
}

pub(crate) struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) meta: Metadata,
    topics: HashMap<String, TopicLog>,
    consumers: HashMap<(String, String), GroupTopic>,
    timers: BTreeMap<u64, PendingTimer>,
    halves: HashMap<String, HalfMessage>,
    due: BTreeSet<(Millis, Due)>,
    /// Offsets committed by pull consumers, per (group, topic, queue).
    pull_offsets: HashMap<(String, String, usize), i64>,
    next_id: u64,
    send_rotation: usize,
}

fn not_found_topic(topic: &str) -> Reject {
    Reject::new(Code::TopicNotFound, format!("topic {topic} does not exist"))
}

impl Engine {
    pub(crate) fn new(config: EngineConfig, meta: Metadata) -> Self {
        Engine {
            config,
            meta,
            topics: HashMap::new(),
            consumers: HashMap::new(),
            timers: BTreeMap::new(),
            halves: HashMap::new(),
            due: BTreeSet::new(),
            pull_offsets: HashMap::new(),
            next_id: 1,
            send_rotation: 0,
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Looks up (or auto-creates) a topic; also says whether it was created just now.
    pub(crate) fn ensure_topic(&mut self, name: &str) -> (Checked<TopicConfig>, bool) {
        let known = self.meta.topics.contains_key(name);
        let found = self.topic(name);
        let created = !known && found.is_ok();
        (found, created)
    }

    /// Looks up (or auto-creates) a consumer group; also says whether it was created just now.
    pub(crate) fn ensure_group(&mut self, name: &str) -> (Checked<GroupConfig>, bool) {
        let known = self.meta.groups.contains_key(name);
        let found = self.group(name);
        let created = !known && found.is_ok();
        (found, created)
    }

    /// Looks up (or auto-creates) a topic.
    pub(crate) fn topic(&mut self, name: &str) -> Checked<TopicConfig> {
        let config = self
            .meta
            .topic(name)
            .cloned()
            .ok_or_else(|| not_found_topic(name))?;
        self.topics
            .entry(name.to_owned())
            .or_insert_with(|| TopicLog::new(config.queues));
        Ok(config)
    }

    /// Looks up (or auto-creates) a consumer group.
    pub(crate) fn group(&mut self, name: &str) -> Checked<GroupConfig> {
        self.meta.group(name).cloned().ok_or_else(|| {
            Reject::new(
                Code::ConsumerGroupNotFound,
                format!("consumer group {name} does not exist"),
            )
        })
    }

    pub(crate) fn declare_topic(&mut self, config: TopicConfig) {
        let queues = config.queues.max(1);
        let log = self
            .topics
            .entry(config.name.clone())
            .or_insert_with(|| TopicLog::new(queues));
        while log.queues.len() < queues as usize {
            log.queues.push(Vec::new());
        }
        self.meta.topics.insert(config.name.clone(), config);
    }

    pub(crate) fn declare_group(&mut self, config: GroupConfig) {
        self.meta.groups.insert(config.name.clone(), config);
    }

    // ---- sending ----

    /// Picks a queue: by message group hash for ordered messages, else round robin.
    pub(crate) fn choose_queue(&mut self, queues: u32, message_group: Option<&str>) -> usize {
        let queues = queues.max(1) as usize;
        match message_group {
            Some(group) => {
                // FNV-1a: stable across runs and platforms, so a group always lands on the
                // same queue of a topic.
                let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
                for byte in group.as_bytes() {
                    hash ^= u64::from(*byte);
                    hash = hash.wrapping_mul(0x0100_0000_01b3);
                }
                (hash % queues as u64) as usize
            }
            None => {
                self.send_rotation = self.send_rotation.wrapping_add(1);
                self.send_rotation % queues
            }
        }
    }

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

    fn append(&mut self, message: StoredMessage, queue_id: usize) -> Arc<StoredMessage> {
        let queues = self.meta.topics.get(&message.topic).map_or(1, |t| t.queues);
        self.topics
            .entry(message.topic.clone())
            .or_insert_with(|| TopicLog::new(queues))
            .append(queue_id, message)
    }

    /// Cancels a scheduled message. Returns its message id.
    pub(crate) fn recall(&mut self, topic: &str, message_id: &str) -> Option<String> {
        let id = self.timers.iter().find_map(|(id, timer)| {
            (timer.message.topic == topic && timer.message.message_id == message_id).then_some(*id)
        })?;
        let timer = self.timers.remove(&id)?;
        Some(timer.message.message_id)
    }

    pub(crate) fn end_transaction(
        &mut self,
        topic: &str,
        transaction_id: &str,
        commit: Option<bool>,
        now: Millis,
    ) -> Checked {
        let known = self
            .halves
            .get(transaction_id)
            .is_some_and(|h| h.message.topic == topic);
        if !known {
            return Err(Reject::new(
                Code::InternalServerError,
                format!("cannot find transaction data for {transaction_id}"),
            ));
        }
        let Some(commit) = commit else {
            return Ok(());
        };
        if let Some(half) = self.halves.remove(transaction_id)
            && commit
        {
            self.place(half.message, half.queue_id, false, now);
        }
        Ok(())
    }

    // ---- consuming ----

    fn group_topic(&mut self, group: &str, topic: &str) -> &mut GroupTopic {
        let queues = self.topics.get(topic).map_or(0, |t| t.queues.len());
        let state = self
            .consumers
            .entry((group.to_owned(), topic.to_owned()))
            .or_default();
        while state.queues.len() < queues {
            state.queues.push(Cursor::default());
        }
        state
    }

    /// Pops up to `max` visible messages. Never blocks; the caller long-polls. Returns the
    /// deliveries and whether any state changed (an unchanged pop need not be journaled).
    pub(crate) fn pop(&mut self, req: &PopRequest<'_>, now: Millis) -> (Vec<Delivery>, bool) {
        if req.fifo
            && let Some(repeat) = self.repeat_attempt(req, now)
        {
            return (repeat, false);
        }
        let broker = self.config.broker_name.clone();
        let Some(log) = self.topics.get(req.topic) else {
            return (Vec::new(), false);
        };
        let mut changed = false;
        let queue_count = log.queues.len();
        let mut picked: Vec<(usize, i64, i32)> = Vec::new();
        {
            let queues = self.topics.get(req.topic).map_or(0, |t| t.queues.len());
            let state = self
                .consumers
                .entry((req.group.to_owned(), req.topic.to_owned()))
                .or_default();
            while state.queues.len() < queues {
                state.queues.push(Cursor::default());
            }
            let log = &self.topics[req.topic];
            let start = state.rotation.wrapping_add(1);
            for step in 0..queue_count {
                if picked.len() >= req.max {
                    break;
                }
                let queue = (start + step) % queue_count;
                let cursor = &mut state.queues[queue];
                if req.fifo {
                    pop_fifo(cursor, log, queue, req, now, &mut picked, &mut changed);
                } else {
                    pop_concurrent(cursor, log, queue, req, &mut picked, &mut changed);
                }
            }
            changed |= !picked.is_empty();
            // The rotation only moves when the pop is journaled, so replay sees the same order.
            if changed {
                state.rotation = start;
            }
        }
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
            let state = self.group_topic(req.group, req.topic);
            state.queues[queue].leases.insert(offset, lease);
            self.due.insert((
                deadline,
                Due::Lease {
                    group: req.group.to_owned(),
                    topic: req.topic.to_owned(),
                    queue,
                    offset,
                    lease: id,
                },
            ));
            let Some(message) = self.topics[req.topic].get(queue, offset).cloned() else {
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

    /// A FIFO receive retried with the same attempt id: the messages it was handed, still in
    /// flight, come back with their current handles and unchanged attempts.
    fn repeat_attempt(&mut self, req: &PopRequest<'_>, now: Millis) -> Option<Vec<Delivery>> {
        let attempt_id = req.attempt_id?;
        let broker = self.config.broker_name.clone();
        let state = self
            .consumers
            .get(&(req.group.to_owned(), req.topic.to_owned()))?;
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

    /// Auto-renewed leases whose invisible time ends within [`RENEW_AHEAD`] and that may
    /// still be renewed.
    pub(crate) fn renewable(&self, now: Millis) -> Vec<RenewKey> {
        let mut due = Vec::new();
        for ((group, topic), state) in &self.consumers {
            for (queue, cursor) in state.queues.iter().enumerate() {
                for (offset, lease) in &cursor.leases {
                    let Some(owner) = &lease.owner else { continue };
                    if lease.deadline() > now
                        && lease.deadline() - now <= RENEW_AHEAD
                        && now - lease.leased_at < MAX_RENEW
                    {
                        due.push(RenewKey {
                            group: group.clone(),
                            topic: topic.clone(),
                            queue,
                            offset: *offset,
                            lease: lease.id,
                            owner: owner.clone(),
                        });
                    }
                }
            }
        }
        due.sort_by_key(|k| (k.lease, k.offset));
        due
    }

    /// Extends an auto-renewed lease. The lease (and so the client's handle) stays the same.
    pub(crate) fn renew(&mut self, key: &RenewKey, now: Millis) -> bool {
        let Some(cursor) = self
            .consumers
            .get_mut(&(key.group.clone(), key.topic.clone()))
            .and_then(|s| s.queues.get_mut(key.queue))
        else {
            return false;
        };
        let Some(lease) = cursor.leases.get_mut(&key.offset) else {
            return false;
        };
        if lease.id != key.lease || lease.owner.is_none() || lease.deadline() <= now {
            return false;
        }
        let step = RENEW_STEPS[(lease.renewals as usize).min(RENEW_STEPS.len() - 1)];
        lease.pop_time = now;
        lease.invisible = step;
        lease.renewals += 1;
        self.due.insert((
            now + step,
            Due::Lease {
                group: key.group.clone(),
                topic: key.topic.clone(),
                queue: key.queue,
                offset: key.offset,
                lease: key.lease,
            },
        ));
        true
    }

    /// A consumer left: its auto-renewed messages become visible again in a second.
    pub(crate) fn release_owner(&mut self, client: &str, now: Millis) -> bool {
        let mut released = Vec::new();
        for ((group, topic), state) in &mut self.consumers {
            for (queue, cursor) in state.queues.iter_mut().enumerate() {
                for (offset, lease) in &mut cursor.leases {
                    if lease.owner.as_deref() == Some(client) && lease.deadline() > now {
                        lease.owner = None;
                        lease.pop_time = now;
                        lease.invisible = RELEASE_INVISIBLE;
                        released.push(Due::Lease {
                            group: group.clone(),
                            topic: topic.clone(),
                            queue,
                            offset: *offset,
                            lease: lease.id,
                        });
                    }
                }
            }
        }
        let any = !released.is_empty();
        for due in released {
            self.due.insert((now + RELEASE_INVISIBLE, due));
        }
        any
    }

    /// Finds the lease a handle names, with Apache's checks: expired first, then unknown.
    fn leased(
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
            .get(&(group.to_owned(), topic.to_owned()))
            .and_then(|s| s.queues.get(usize::try_from(handle.queue_id).ok()?))
            .and_then(|c| c.leases.get(&handle.offset))
            .is_some_and(|l| l.id == handle.lease && l.owner.is_some() && l.deadline() > now);
        if check_expiry && handle.expired(now) && !renewed {
            return Err(Reject::new(
                Code::InvalidReceiptHandle,
                "receipt handle is expired",
            ));
        }
        if handle.broker != self.config.broker_name {
            return Err(Reject::new(
                Code::InvalidReceiptHandle,
                format!("receipt handle names unknown broker {}", handle.broker),
            ));
        }
        let queue = usize::try_from(handle.queue_id).map_err(|_| {
            Reject::new(
                Code::InvalidReceiptHandle,
                "receipt handle has a bad queue id",
            )
        })?;
        let state = self.group_topic(group, topic);
        let Some(cursor) = state.queues.get(queue) else {
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

    pub(crate) fn ack(
        &mut self,
        group: &str,
        topic: &str,
        handle: &ReceiptHandle,
        now: Millis,
    ) -> Checked {
        if let Some((queue, offset)) = self.leased(group, topic, handle, now, true)? {
            self.group_topic(group, topic).queues[queue].ack(offset);
        }
        Ok(())
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
        lease.id = id;
        lease.pop_time = now;
        lease.invisible = invisible;
        lease.owner = None;
        let fifo = lease.fifo;
        self.due.insert((
            now + invisible,
            Due::Lease {
                group: group.to_owned(),
                topic: topic.to_owned(),
                queue,
                offset,
                lease: id,
            },
        ));
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

    /// Moves a leased message to the group's dead-letter topic.
    pub(crate) fn forward_to_dlq(
        &mut self,
        group: &str,
        topic: &str,
        handle: &ReceiptHandle,
        now: Millis,
    ) -> Checked {
        if let Some((queue, offset)) = self.leased(group, topic, handle, now, false)? {
            self.dead_letter(group, topic, queue, offset, now);
        }
        Ok(())
    }

    fn dead_letter(&mut self, group: &str, topic: &str, queue: usize, offset: i64, now: Millis) {
        let Some(original) = self
            .topics
            .get(topic)
            .and_then(|log| log.get(queue, offset))
            .cloned()
        else {
            return;
        };
        self.group_topic(group, topic).queues[queue].ack(offset);
        let dlq = format!("{DLQ_TOPIC_PREFIX}{group}");
        if self.topic(&dlq).is_err() {
            self.declare_topic(TopicConfig::new(dlq.clone(), TopicType::Normal).queues(1));
        }
        let mut copy = (*original).clone();
        copy.dead_letter = Some((original.topic.clone(), original.message_id.clone()));
        copy.topic = dlq;
        copy.store_timestamp = now;
        copy.delivery_timestamp = None;
        self.append(copy, 0);
    }

    // ---- time ----

    /// The earliest pending deadline, if any.
    pub(crate) fn next_due(&self) -> Option<Millis> {
        self.due.first().map(|(at, _)| *at)
    }

    /// Fires every deadline at or before `now`. Returns whether anything became visible to
    /// consumers, and the actions to run outside the lock.
    pub(crate) fn tick(&mut self, now: Millis) -> (bool, Vec<Action>) {
        let (visible, actions, _) = self.tick_all(now);
        (visible, actions)
    }

    /// Like [`Engine::tick`], also saying whether any deadline fired (state changed).
    pub(crate) fn tick_all(&mut self, now: Millis) -> (bool, Vec<Action>, bool) {
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
                Due::Lease {
                    group,
                    topic,
                    queue,
                    offset,
                    lease,
                } => visible |= self.expire_lease(&group, &topic, queue, offset, lease, now),
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

    fn expire_lease(
        &mut self,
        group: &str,
        topic: &str,
        queue: usize,
        offset: i64,
        lease: u64,
        now: Millis,
    ) -> bool {
        let max_attempts = self
            .meta
            .groups
            .get(group)
            .map_or(rmq_proto::limits::DEFAULT_MAX_DELIVERY_ATTEMPTS, |g| {
                g.max_delivery_attempts
            });
        let Some(state) = self
            .consumers
            .get_mut(&(group.to_owned(), topic.to_owned()))
        else {
            return false;
        };
        let Some(cursor) = state.queues.get_mut(queue) else {
            return false;
        };
        // Renewals keep the lease id, so an earlier deadline of the same lease may still be
        // queued: only the current deadline counts.
        let attempt = match cursor.leases.get(&offset) {
            Some(current) if current.id == lease && current.deadline() <= now => current.attempt,
            _ => return false,
        };
        if attempt >= max_attempts {
            self.dead_letter(group, topic, queue, offset, now);
        } else {
            cursor.ready.insert(offset);
        }
        true
    }

    fn check_transaction(
        &mut self,
        transaction_id: &str,
        generation: u64,
        now: Millis,
    ) -> Option<Action> {
        let max = self.config.transaction_check_max;
        let interval = self.config.transaction_check_interval;
        let half = self.halves.get_mut(transaction_id)?;
        if half.generation != generation {
            return None;
        }
        if half.checks >= max {
            self.halves.remove(transaction_id);
            return None;
        }
        half.checks += 1;
        let action = Action::CheckTransaction {
            topic: half.message.topic.clone(),
            transaction_id: transaction_id.to_owned(),
            message: half.message.clone(),
        };
        self.due.insert((
            now + interval,
            Due::TransactionCheck {
                transaction_id: transaction_id.to_owned(),
                generation,
            },
        ));
        Some(action)
    }

    // ---- pull consumers ----

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
        if offset < 0 {
            return Err(0);
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

    pub(crate) fn set_pull_offset(&mut self, group: &str, topic: &str, queue: usize, offset: i64) {
        self.pull_offsets
            .insert((group.to_owned(), topic.to_owned(), queue), offset);
    }

    pub(crate) fn pull_offset(&self, group: &str, topic: &str, queue: usize) -> Option<i64> {
        self.pull_offsets
            .get(&(group.to_owned(), topic.to_owned(), queue))
            .copied()
    }

    /// The first offset of a queue stored at or after `at` (the end when none).
    pub(crate) fn offset_at(&self, topic: &str, queue: usize, at: Millis) -> Option<i64> {
        let log = self.topics.get(topic)?;
        let messages = log.queues.get(queue)?;
        let index = messages.partition_point(|m| m.store_timestamp < at);
        Some(i64::try_from(index).unwrap_or(i64::MAX))
    }

    // ---- recovery ----

    /// Applies one journaled entry exactly as it was applied live.
    pub(crate) fn replay(&mut self, entry: Entry) {
        let now = entry.now;
        // Deadlines fire first, as `Core` fires them before every operation; the actions
        // (transaction checks) are dropped: the next live check re-sends them.
        let _ = self.tick(now);
        let Some(op) = entry.op else { return };
        match op {
            Op::Place(place) => {
                if let Some(message) = place.message {
                    self.place((*message).into(), place.queue as usize, place.half, now);
                }
            }
            Op::Pop(pop) => {
                let Ok(filter) = Filter::compile(pop.filter.as_ref()) else {
                    return;
                };
                let _ = self.pop(
                    &PopRequest {
                        group: &pop.group,
                        topic: &pop.topic,
                        filter: &filter,
                        max: pop.max as usize,
                        invisible: pop.invisible,
                        fifo: pop.fifo,
                        owner: pop.owner.as_deref(),
                        attempt_id: pop.attempt_id.as_deref(),
                    },
                    now,
                );
            }
            Op::Renew(op) => {
                let _ = self.renew(
                    &RenewKey {
                        group: op.group,
                        topic: op.topic,
                        queue: op.queue as usize,
                        offset: op.offset,
                        lease: op.lease,
                        owner: String::new(),
                    },
                    now,
                );
            }
            Op::Release(op) => {
                let _ = self.release_owner(&op.client, now);
            }
            Op::Ack(op) => {
                if let Some(handle) = ReceiptHandle::decode(&op.handle) {
                    let _ = self.ack(&op.group, &op.topic, &handle, now);
                }
            }
            Op::ChangeInvisible(op) => {
                if let Some(handle) = ReceiptHandle::decode(&op.handle) {
                    let _ = self.change_invisible(&op.group, &op.topic, &handle, op.invisible, now);
                }
            }
            Op::ForwardToDlq(op) => {
                if let Some(handle) = ReceiptHandle::decode(&op.handle) {
                    let _ = self.forward_to_dlq(&op.group, &op.topic, &handle, now);
                }
            }
            Op::Recall(op) => {
                let _ = self.recall(&op.topic, &op.message_id);
            }
            Op::EndTransaction(op) => {
                let decision = match op.decision {
                    1 => Some(true),
                    2 => Some(false),
                    _ => None,
                };
                let _ = self.end_transaction(&op.topic, &op.transaction_id, decision, now);
            }
            Op::Tick(_) => {}
            Op::DeclareTopic(topic) => self.declare_topic(topic.into()),
            Op::DeclareGroup(group) => self.declare_group(group.into()),
            Op::PullOffset(op) => {
                self.set_pull_offset(&op.group, &op.topic, op.queue as usize, op.offset);
            }
        }
    }

    // ---- inspection ----

    pub(crate) fn messages(&self, topic: &str) -> Vec<Arc<StoredMessage>> {
        self.topics
            .get(topic)
            .map(|log| log.queues.iter().flatten().cloned().collect())
            .unwrap_or_default()
    }

    pub(crate) fn in_flight(&self, group: &str, topic: &str) -> Vec<(Arc<StoredMessage>, i32)> {
        let (Some(state), Some(log)) = (
            self.consumers.get(&(group.to_owned(), topic.to_owned())),
            self.topics.get(topic),
        ) else {
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

    pub(crate) fn committed(&self, group: &str, topic: &str, queue: usize) -> Option<i64> {
        self.consumers
            .get(&(group.to_owned(), topic.to_owned()))?
            .queues
            .get(queue)
            .map(|c| c.committed)
    }
}

/// Concurrent consumption: redeliveries first, then fresh messages from the frontier.
fn pop_concurrent(
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

/// Ordered consumption: per message group, only the oldest unacked message may be out, and
/// nothing behind it is handed out while it is in flight. Messages without a group share one
/// ordering per queue, as Apache orders a whole queue.
fn pop_fifo(
    cursor: &mut Cursor,
    log: &TopicLog,
    queue: usize,
    req: &PopRequest<'_>,
    now: Millis,
    picked: &mut Vec<(usize, i64, i32)>,
    changed: &mut bool,
) {
    let end = log.end(queue);
    let mut blocked: HashSet<&str> = HashSet::new();
    let mut offset = cursor.committed;
    while offset < end && picked.len() < req.max {
        let current = offset;
        offset += 1;
        if cursor.is_acked(current) {
            continue;
        }
        let Some(message) = log.get(queue, current) else {
            break;
        };
        let group = message.message_group.as_deref().unwrap_or("");
        if blocked.contains(group) {
            continue;
        }
        let attempt = match cursor.leases.get(&current) {
            Some(lease) if lease.deadline() > now && !cursor.ready.contains(&current) => {
                blocked.insert(group);
                continue;
            }
            Some(lease) => lease.attempt + 1,
            None => 1,
        };
        if !req.filter.matches(message) {
            cursor.ack(current);
            *changed = true;
            continue;
        }
        cursor.ready.remove(&current);
        picked.push((queue, current, attempt));
        // Later messages of this group may join the same batch, in order, but a later poll
        // must wait until this one is settled.
    }
}
