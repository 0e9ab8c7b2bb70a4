//! The engine's whole state as a snapshot record, and the engine rebuilt from one: recovery
//! starts from the last snapshot instead of the journal's first entry, so restart time follows
//! what is live, not everything ever written.

use super::*;
use crate::store::Queue;
use crate::store::journal::state::*;
use crate::store::journal::{Configure, JGroup, JMessage, JTopic};

fn index(queue: u32) -> usize {
    usize::try_from(queue).unwrap_or(usize::MAX)
}

fn number(queue: usize) -> u32 {
    u32::try_from(queue).unwrap_or(u32::MAX)
}

fn message(stored: &StoredMessage) -> JMessage {
    stored.clone().into()
}

/// The engine's state read under its lock: queued messages, the bulk, are only pointed at
/// (their records are built outside the lock by [`Capture::snapshot`]); progress, leases,
/// timers and half messages, which follow what is in flight, are copied.
pub(crate) struct Capture {
    snapshot: Snapshot,
    queues: Vec<(String, Vec<KeptQueue>)>,
}

/// A queue's first kept offset and its messages.
type KeptQueue = (i64, Vec<Arc<StoredMessage>>);

impl Capture {
    pub(crate) fn snapshot(self) -> Snapshot {
        let mut snapshot = self.snapshot;
        snapshot.queues = self
            .queues
            .into_iter()
            .map(|(topic, queues)| TopicQueues {
                topic,
                queues: queues
                    .into_iter()
                    .map(|(base, messages)| QueueState {
                        base,
                        messages: messages.iter().map(|m| message(m)).collect(),
                    })
                    .collect(),
            })
            .collect();
        snapshot
    }
}

impl Engine {
    /// Everything the engine holds, as a snapshot record.
    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.capture().snapshot()
    }

    /// Everything the engine holds (the segment it covers up to is the caller's to set).
    pub(crate) fn capture(&self) -> Capture {
        let mut topics: Vec<JTopic> = self.meta.topics.values().map(JTopic::from).collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        let mut groups: Vec<JGroup> = self.meta.groups.values().map(JGroup::from).collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        let queues = self
            .topics
            .iter()
            .map(|(topic, log)| {
                let queues = log
                    .queues
                    .iter()
                    .map(|q| (q.base, q.messages.iter().cloned().collect()))
                    .collect();
                (topic.clone(), queues)
            })
            .collect();
        let snapshot = Snapshot {
            config: Some(Configure::from(&self.config)),
            segment: 0,
            next_id: self.next_id,
            topics,
            groups,
            queues: Vec::new(),
            subscriptions: self.consumers.iter().map(subscription).collect(),
            timers: self
                .timers
                .iter()
                .map(|(id, t)| TimerState {
                    id: *id,
                    message: Some(message(&t.message)),
                    queue: number(t.queue_id),
                })
                .collect(),
            halves: self
                .halves
                .iter()
                .map(|(id, h)| HalfState {
                    transaction_id: id.clone(),
                    message: Some(message(&h.message)),
                    queue: number(h.queue_id),
                    checks: h.checks,
                    generation: h.generation,
                })
                .collect(),
            due: self.due.iter().map(due).collect(),
        };
        Capture { snapshot, queues }
    }

    /// An engine in exactly the state `snapshot` holds.
    pub(crate) fn restore(config: EngineConfig, meta: Metadata, snapshot: Snapshot) -> Engine {
        let config = snapshot.config.clone().map_or(config, EngineConfig::from);
        let mut engine = Engine::new(config, meta);
        engine.next_id = snapshot.next_id;
        for topic in snapshot.topics {
            let config = TopicConfig::from(topic);
            engine.meta.topics.insert(config.name.clone(), config);
        }
        for group in snapshot.groups {
            let config = GroupConfig::from(group);
            engine.meta.groups.insert(config.name.clone(), config);
        }
        for topic in snapshot.queues {
            let queues = topic
                .queues
                .into_iter()
                .enumerate()
                .map(|(queue, state)| Queue {
                    base: state.base,
                    messages: (state.base..)
                        .zip(state.messages)
                        .map(|(offset, m)| {
                            let mut stored = StoredMessage::from(m);
                            stored.queue_id = i32::try_from(queue).unwrap_or(i32::MAX);
                            stored.offset = offset;
                            Arc::new(stored)
                        })
                        .collect(),
                })
                .collect();
            engine.topics.insert(topic.topic, TopicLog { queues });
        }
        for state in snapshot.subscriptions {
            restore_subscription(&mut engine, state);
        }
        for timer in snapshot.timers {
            let Some(m) = timer.message else { continue };
            let pending = PendingTimer {
                message: m.into(),
                queue_id: index(timer.queue),
            };
            engine.timers.insert(timer.id, pending);
        }
        for half in snapshot.halves {
            let Some(m) = half.message else { continue };
            let state = HalfMessage {
                message: m.into(),
                queue_id: index(half.queue),
                checks: half.checks,
                generation: half.generation,
            };
            engine.halves.insert(half.transaction_id, state);
        }
        for state in snapshot.due {
            if let Some(entry) = restore_due(&mut engine, state) {
                engine.due.insert(entry);
            }
        }
        engine
    }
}

fn subscription(state: &GroupTopic) -> SubscriptionState {
    let offsets = |pairs: &mut dyn Iterator<Item = (usize, i64)>| {
        pairs
            .map(|(queue, offset)| QueueOffset {
                queue: number(queue),
                offset,
            })
            .collect::<Vec<_>>()
    };
    let (last_attempt_id, last_attempt) = match &state.last_attempt {
        Some((id, handed)) => (Some(id.clone()), offsets(&mut handed.iter().copied())),
        None => (None, Vec::new()),
    };
    SubscriptionState {
        group: state.key.group.to_string(),
        topic: state.key.topic.to_string(),
        queues: state.queues.iter().map(cursor).collect(),
        rotation: u64::try_from(state.rotation).unwrap_or(u64::MAX),
        last_attempt_id,
        last_attempt,
        pull_offsets: offsets(&mut state.pull_offsets.iter().map(|(q, o)| (*q, *o))),
    }
}

fn cursor(cursor: &Cursor) -> CursorState {
    CursorState {
        committed: cursor.committed,
        acked: cursor.acked.iter().copied().collect(),
        leases: cursor
            .leases
            .iter()
            .map(|(offset, l)| LeaseState {
                offset: *offset,
                id: l.id,
                pop_time: l.pop_time,
                invisible: l.invisible,
                attempt: l.attempt,
                fifo: l.fifo,
                owner: l.owner.clone(),
                leased_at: l.leased_at,
                renewals: l.renewals,
            })
            .collect(),
        ready: cursor.ready.iter().copied().collect(),
        next: cursor.next,
    }
}

fn restore_subscription(engine: &mut Engine, state: SubscriptionState) {
    let target = engine.consumers.entry(&state.group, &state.topic, 0);
    target.queues = state
        .queues
        .into_iter()
        .map(|c| Cursor {
            committed: c.committed,
            acked: c.acked.into_iter().collect(),
            leases: c
                .leases
                .into_iter()
                .map(|l| {
                    let lease = Lease {
                        id: l.id,
                        pop_time: l.pop_time,
                        invisible: l.invisible,
                        attempt: l.attempt,
                        fifo: l.fifo,
                        owner: l.owner,
                        leased_at: l.leased_at,
                        renewals: l.renewals,
                    };
                    (l.offset, lease)
                })
                .collect(),
            ready: c.ready.into_iter().collect(),
            next: c.next,
        })
        .collect();
    target.rotation = usize::try_from(state.rotation).unwrap_or(0);
    target.last_attempt = state.last_attempt_id.map(|id| {
        let handed = state
            .last_attempt
            .iter()
            .map(|q| (index(q.queue), q.offset))
            .collect();
        (id, handed)
    });
    target.pull_offsets = state
        .pull_offsets
        .iter()
        .map(|q| (index(q.queue), q.offset))
        .collect();
}

fn due((at, due): &(Millis, Due)) -> DueState {
    let what = match due {
        Due::Lease(key) => What::Lease(LeaseDue {
            group: key.subscription.group.to_string(),
            topic: key.subscription.topic.to_string(),
            queue: number(key.queue),
            offset: key.offset,
            lease: key.lease,
        }),
        Due::Timer(id) => What::Timer(*id),
        Due::TransactionCheck {
            transaction_id,
            generation,
        } => What::Check(CheckDue {
            transaction_id: transaction_id.clone(),
            generation: *generation,
        }),
    };
    DueState {
        at: *at,
        what: Some(what),
    }
}

fn restore_due(engine: &mut Engine, state: DueState) -> Option<(Millis, Due)> {
    let due = match state.what? {
        What::Lease(l) => {
            // The subscription's own key, so every lease key of it shares the same names.
            let subscription = engine.consumers.entry(&l.group, &l.topic, 0);
            Due::Lease(subscription.lease_key(index(l.queue), l.offset, l.lease))
        }
        What::Timer(id) => Due::Timer(id),
        What::Check(c) => Due::TransactionCheck {
            transaction_id: c.transaction_id,
            generation: c.generation,
        },
    };
    Some((state.at, due))
}
