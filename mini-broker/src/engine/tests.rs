//! The live and the replayed engine agree: a long pseudo-random mix of every command and of
//! ticks runs on one engine as `Core` runs it (a journaled tick first, then the command, its
//! record kept when it changed state), and every record is replayed at once into a second
//! engine; after each step both engines' whole state must be equal. Every 500 steps the
//! replica is replaced by the engine an encoded snapshot of the live one restores.

use super::*;
use crate::metadata::TopicType;
use crate::store::journal::state::Snapshot;
use crate::store::journal::{
    Ack, ChangeInvisible, Configure, Delete, Deleted, EndTransaction, Entry, ForwardToDlq, JGroup,
    JMessage, JTopic, LiteOffset, Op, Place, Pop, PullOffset, Recall, Release, Tick, Trim,
};
use prost::Message as _;
use rmq_proto::v2::{FilterExpression, FilterType};

fn config() -> EngineConfig {
    EngineConfig {
        broker_name: "b".into(),
        transaction_check_delay: 40,
        transaction_check_interval: 40,
        transaction_check_max: 2,
    }
}

fn metadata() -> Metadata {
    Metadata {
        auto_create: true,
        auto_create_groups: true,
        ..Metadata::default()
    }
}

fn engine() -> Engine {
    Engine::new(config(), metadata())
}

/// A small deterministic generator (xorshift), so a failure names a reproducible step.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(usize::try_from(self.roll(items.len() as u64)).ok()?)
    }
}

struct Pair {
    live: Engine,
    replica: Engine,
    records: usize,
}

impl Pair {
    fn run<C: Command>(&mut self, now: Millis, command: C) -> C::Output {
        let (_, _, fired) = self.live.tick(now);
        if fired {
            self.replicate(now, Op::Tick(Tick {}));
        }
        let (output, record) = command.apply(&mut self.live, now, true);
        if let Some(op) = record {
            self.replicate(now, op);
        }
        output
    }

    fn replicate(&mut self, now: Millis, op: Op) {
        self.records += 1;
        self.replica.replay(Entry { now, op: Some(op) });
    }
}

fn message(topic: &str, id: u64, dice: &mut Dice, now: Millis) -> JMessage {
    JMessage {
        topic: topic.into(),
        message_id: format!("m{id}"),
        tag: Some(["a", "b"][usize::from(dice.roll(2) == 1)].into()),
        message_group: (topic == "f").then(|| format!("g{}", dice.roll(3))),
        lite_topic: (topic == "t" && dice.roll(3) == 0).then(|| format!("l{}", dice.roll(3))),
        body: bytes::Bytes::from(format!("body {id}")),
        delivery_timestamp: (dice.roll(6) == 0).then(|| now + 30),
        ..JMessage::default()
    }
}

fn pop(group: &str, topic: &str, fifo: bool, dice: &mut Dice) -> Pop {
    Pop {
        group: group.into(),
        topic: topic.into(),
        filter: (dice.roll(4) == 0).then(|| FilterExpression {
            r#type: FilterType::Tag as i32,
            expression: "a".into(),
        }),
        max: 1 + u32::try_from(dice.roll(3)).unwrap_or(0),
        invisible: 20 + i64::try_from(dice.roll(60)).unwrap_or(0),
        fifo,
        owner: (dice.roll(3) == 0).then(|| "c1".into()),
        attempt_id: (fifo && dice.roll(2) == 0).then(|| format!("a{}", dice.roll(2))),
        lite_queues: Vec::new(),
    }
}

/// The lite queues of topic `t` the mix uses.
fn lite_queues() -> Vec<String> {
    (0..3).map(|i| lite_queue("t", &format!("l{i}"))).collect()
}

/// A lite consumer's subscription starting point, with any offset option.
fn lite_offset(dice: &mut Dice) -> LiteOffset {
    use rmq_proto::v2::OffsetOption;
    use rmq_proto::v2::offset_option::{OffsetType, Policy};
    let n = i64::try_from(dice.roll(8)).unwrap_or(0);
    let option = match dice.roll(6) {
        0 => None,
        1 => Some(OffsetType::Policy(Policy::Min as i32)),
        2 => Some(OffsetType::Policy(Policy::Max as i32)),
        3 => Some(OffsetType::Policy(Policy::Last as i32)),
        4 => Some(OffsetType::Offset(n)),
        _ => Some(OffsetType::TailN(n)),
    };
    LiteOffset {
        group: "gl".into(),
        queue: dice.pick(&lite_queues()).cloned().unwrap_or_default(),
        option: option.map(|o| OffsetOption {
            offset_type: Some(o),
        }),
        only_new: dice.roll(2) == 0,
    }
}

/// Every lease and timer deadline queued belongs to a current lease or timer: an ack, a
/// renewal, a change, a recall or a deletion leaves none behind (they would fill memory and every snapshot).
fn no_stale_deadlines(engine: &Engine, step: u64) {
    for (at, due) in &engine.due {
        let current = match due {
            Due::Lease(key) => engine
                .consumers
                .get(&key.subscription.group, &key.subscription.topic)
                .and_then(|s| s.queues.get(key.queue))
                .and_then(|c| c.leases.get(&key.offset))
                .is_some_and(|l| l.id == key.lease && l.deadline() == *at),
            Due::Timer(id) => engine.timers.contains_key(id),
            // A decided transaction's next check stays queued until it fires (within one
            // check interval) and finds nothing: bounded, so not looked for here.
            Due::TransactionCheck { .. } => true,
        };
        assert!(current, "stale deadline {at} {due:?} after step {step}");
    }
}

#[test]
fn replay_rebuilds_exactly_the_live_state() {
    let mut pair = Pair {
        live: engine(),
        replica: engine(),
        records: 0,
    };
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut now: Millis = 1_000;
    pair.run(
        now,
        JTopic::from(&TopicConfig::new("t", TopicType::Mixed).queues(3)),
    );
    pair.run(
        now,
        JTopic::from(&TopicConfig::new("f", TopicType::Fifo).queues(2)),
    );
    let group = GroupConfig::new("g").max_delivery_attempts(3);
    pair.run(now, JGroup::from(&group));
    pair.run(now, JGroup::from(&GroupConfig::new("gf").fifo(true)));
    let mut handles: Vec<(String, String, String)> = Vec::new();
    let mut scheduled: Vec<String> = Vec::new();
    let mut halves: Vec<String> = Vec::new();
    let mut snapshots = 0;
    let mut deletes = 0;
    for step in 0..3_000u64 {
        now += i64::try_from(dice.roll(12)).unwrap_or(0);
        match dice.roll(12) {
            0 | 1 => {
                let topic = if dice.roll(2) == 0 { "t" } else { "f" };
                let half = topic == "t" && dice.roll(5) == 0;
                let body = message(topic, step, &mut dice, now);
                let queue = u32::try_from(dice.roll(3)).unwrap_or(0);
                let placed = pair.run(
                    now,
                    Place {
                        message: Some(Box::new(body)),
                        queue,
                        half,
                    },
                );
                if !placed.recall_handle.is_empty() {
                    scheduled.push(format!("m{step}"));
                }
                if half {
                    halves.push(placed.transaction_id);
                }
            }
            2 if dice.roll(3) == 0 => {
                // A lite consumer: now and then a subscription, then a pop of its queues in
                // some order.
                if dice.roll(3) == 0 {
                    pair.run(now, lite_offset(&mut dice));
                }
                let mut queues = lite_queues();
                queues.rotate_left(usize::try_from(dice.roll(3)).unwrap_or(0));
                queues.truncate(1 + usize::try_from(dice.roll(3)).unwrap_or(0));
                let mut record = pop("gl", "t", true, &mut dice);
                record.filter = None;
                record.attempt_id = None;
                record.lite_queues = queues;
                let request = Popping::new(record).expect("filter");
                for d in pair.run(now, &request) {
                    let lite = d.message.lite_topic.clone().unwrap_or_default();
                    handles.push(("gl".into(), lite_queue("t", &lite), d.handle.encode()));
                }
            }
            2 | 3 => {
                let (group, topic, fifo) = if dice.roll(2) == 0 {
                    ("g", "t", false)
                } else {
                    ("gf", "f", true)
                };
                let request = Popping::new(pop(group, topic, fifo, &mut dice)).expect("filter");
                for d in pair.run(now, &request) {
                    handles.push((group.into(), topic.into(), d.handle.encode()));
                }
            }
            4 => {
                if let Some((group, topic, handle)) = dice.pick(&handles).cloned() {
                    let _ = pair.run(
                        now,
                        Ack {
                            group,
                            topic,
                            handle,
                        },
                    );
                }
            }
            5 => {
                if let Some((group, topic, handle)) = dice.pick(&handles).cloned()
                    && let Ok(new) = pair.run(
                        now,
                        ChangeInvisible {
                            group: group.clone(),
                            topic: topic.clone(),
                            handle,
                            invisible: i64::try_from(dice.roll(50)).unwrap_or(0),
                        },
                    )
                {
                    handles.push((group, topic, new.encode()));
                }
            }
            6 => {
                if let Some((group, topic, handle)) = dice.pick(&handles).cloned() {
                    let _ = pair.run(
                        now,
                        ForwardToDlq {
                            group,
                            topic,
                            handle,
                        },
                    );
                }
            }
            7 => {
                if let Some(id) = dice.pick(&scheduled).cloned() {
                    pair.run(
                        now,
                        Recall {
                            topic: "t".into(),
                            message_id: id,
                        },
                    );
                }
            }
            8 => {
                if let Some(id) = dice.pick(&halves).cloned() {
                    let decision = i32::try_from(dice.roll(3)).unwrap_or(0);
                    let _ = pair.run(
                        now,
                        EndTransaction {
                            topic: "t".into(),
                            transaction_id: id,
                            decision,
                        },
                    );
                }
            }
            9 => {
                for (renew, _) in pair.live.renewable(now + 50) {
                    pair.run(now, renew);
                }
            }
            10 => {
                pair.run(
                    now,
                    Release {
                        client: "c1".into(),
                    },
                );
            }
            11 if dice.roll(20) == 0 => {
                // A restart with other settings: what follows applies under them.
                let mut changed = config();
                changed.transaction_check_interval = 20 + i64::try_from(dice.roll(60)).unwrap_or(0);
                changed.transaction_check_max = 1 + u32::try_from(dice.roll(3)).unwrap_or(0);
                pair.run(now, Configure::from(&changed));
            }
            11 if dice.roll(40) == 0 => {
                // Deleted through the admin path, then declared again (empty).
                let what = if dice.roll(2) == 0 {
                    Deleted::Topic("t".into())
                } else {
                    Deleted::Group("g".into())
                };
                let clean_offset = dice.roll(2) == 0;
                deletes += usize::from(pair.run(
                    now,
                    Delete {
                        what: Some(what),
                        clean_offset,
                    },
                ));
                pair.run(
                    now,
                    JTopic::from(&TopicConfig::new("t", TopicType::Mixed).queues(3)),
                );
                pair.run(now, JGroup::from(&group));
            }
            11 if dice.roll(3) == 0 => {
                let retention = [0, 20, 100][usize::try_from(dice.roll(3)).unwrap_or(0)];
                pair.run(now, Trim { retention });
            }
            _ => {
                let queue = u32::try_from(dice.roll(3)).unwrap_or(0);
                pair.run(
                    now,
                    PullOffset {
                        group: "p".into(),
                        topic: "t".into(),
                        queue,
                        offset: i64::try_from(dice.roll(20)).unwrap_or(0),
                    },
                );
            }
        }
        assert_eq!(
            pair.live.fingerprint(),
            pair.replica.fingerprint(),
            "replay disagrees after step {step}"
        );
        no_stale_deadlines(&pair.live, step);
        // A restart from a snapshot: the replica becomes the engine the encoded snapshot
        // restores, and the records after it keep being replayed into it.
        if step % 500 == 499 {
            let bytes = pair.live.snapshot().encode_to_vec();
            let decoded = Snapshot::decode(bytes.as_slice()).expect("decode");
            pair.replica = Engine::restore(config(), metadata(), decoded);
            assert_eq!(
                pair.live.fingerprint(),
                pair.replica.fingerprint(),
                "the snapshot disagrees after step {step}"
            );
            snapshots += 1;
        }
    }
    // The mix reached every corner it is meant to: leases that expired into the DLQ, timers,
    // transactions, and many journaled records.
    let dlq = format!("{}g", rmq_proto::names::DLQ_TOPIC_PREFIX);
    assert!(
        !pair.live.messages(&dlq).is_empty(),
        "nothing was dead-lettered"
    );
    assert!(pair.records > 1_000, "only {} records", pair.records);
    assert!(!scheduled.is_empty() && !halves.is_empty());
    assert_eq!(snapshots, 6);
    assert!(deletes > 0, "nothing was deleted");
    let trimmed = pair
        .live
        .topics
        .values()
        .any(|log| log.queues.iter().any(|q| q.base > 0));
    assert!(trimmed, "retention never dropped a message");
    let lite_delivered = handles.iter().filter(|(g, _, _)| g == "gl").count();
    assert!(lite_delivered > 20, "only {lite_delivered} lite deliveries");
    // Dead-lettered lite messages keep their lite topic but get no lite queue of their own.
    let lite_dlq = format!("{}gl", rmq_proto::names::DLQ_TOPIC_PREFIX);
    assert!(
        pair.live
            .messages(&lite_dlq)
            .iter()
            .any(|m| m.lite_topic.is_some())
    );
    assert!(
        pair.live
            .topics
            .keys()
            .all(|t| !t.starts_with("%LMQ%$%DLQ%")),
        "a dead letter was dispatched to a lite queue"
    );
}
