//! The broker's state machine: topics and queues, consumer progress and leases (Pop with
//! invisible time), FIFO ordering, timers, half transactions, and the deadlines that drive
//! redelivery, dead-lettering, scheduled delivery and transaction checks.
//!
//! State changes only through the commands of `command.rs` (each one a journal record) and
//! through `tick`; every method takes `now` from the caller's clock and nothing here sleeps or
//! spawns, so the same code runs live, on replay, and under a virtual clock.

mod command;
mod delete;
mod fifo;
mod inspect;
mod lite;
mod place;
mod pop;
mod pull;
mod renew;
mod retention;
mod snapshot;
mod subscription;
#[cfg(test)]
mod tests;
mod timer;
mod transaction;

pub(crate) use command::{Command, Popping, decision};
pub(crate) use lite::lite_queue;
pub(crate) use place::choose_queue;
pub(crate) use snapshot::Capture;
use subscription::{GroupTopic, LeaseKey, Subscriptions};

use crate::clock::Millis;
use crate::filter::Filter;
use crate::metadata::{GroupConfig, Metadata, TopicConfig};
use crate::receipt::ReceiptHandle;
use crate::store::{StoredMessage, TopicLog};
use crate::validate::{Checked, Reject};
use rmq_proto::Code;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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

    /// Moves past offsets below `start` (dropped by retention). Says whether it moved.
    fn skip_to(&mut self, start: i64) -> bool {
        if self.committed >= start {
            return false;
        }
        self.committed = start;
        self.acked = self.acked.split_off(&start);
        while self.acked.remove(&self.committed) {
            self.committed += 1;
        }
        self.next = self.next.max(self.committed);
        true
    }

    fn is_acked(&self, offset: i64) -> bool {
        offset < self.committed || self.acked.contains(&offset)
    }
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
    Lease(LeaseKey),
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
#[derive(Debug, Default)]
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
#[derive(Clone, Copy)]
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
    consumers: Subscriptions,
    timers: BTreeMap<u64, PendingTimer>,
    halves: HashMap<String, HalfMessage>,
    due: BTreeSet<(Millis, Due)>,
    next_id: u64,
}

impl Engine {
    pub(crate) fn new(config: EngineConfig, meta: Metadata) -> Self {
        Engine {
            config,
            meta,
            topics: HashMap::new(),
            consumers: Subscriptions::default(),
            timers: BTreeMap::new(),
            halves: HashMap::new(),
            due: BTreeSet::new(),
            next_id: 1,
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Declares (or redeclares) a topic; its queues never shrink.
    pub(crate) fn declare_topic(&mut self, config: TopicConfig) {
        let queues = config.queues.max(1);
        let log = self
            .topics
            .entry(config.name.clone())
            .or_insert_with(|| TopicLog::new(queues));
        while log.queues.len() < queues as usize {
            log.queues.push(crate::store::Queue::default());
        }
        self.meta.topics.insert(config.name.clone(), config);
    }

    pub(crate) fn declare_group(&mut self, config: GroupConfig) {
        self.meta.groups.insert(config.name.clone(), config);
    }
}
