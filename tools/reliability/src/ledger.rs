//! The crash loop's ledger: every send a producer saw acknowledged, every delivery a consumer
//! saw, and at the end what the promises say of them — every acknowledged message delivered at
//! least once to every group that subscribes to it, FIFO groups and lite topics in order, no
//! corrupt, rolled-back or early record served — with the redelivery duplicates counted.

use crate::body::{Key, Kind};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Instant, SystemTime};

/// A consumer group of the run and the kinds it subscribes to.
#[derive(Debug, Clone)]
pub struct Group {
    pub name: &'static str,
    pub kinds: &'static [Kind],
    /// Whether the group promises order per message group (a FIFO or lite group).
    pub ordered: bool,
}

#[derive(Default)]
struct GroupLog {
    /// Deliveries per key.
    delivered: HashMap<Key, u32>,
    /// Sequence numbers in delivery order, per message group (ordered groups only).
    order: HashMap<String, Vec<u64>>,
    deliveries: u64,
    /// When each delivery happened, in order.
    times: Vec<Instant>,
}

#[derive(Default)]
struct Inner {
    acked: HashSet<Key>,
    failed: BTreeMap<String, u64>,
    sent_ok: BTreeMap<String, u64>,
    /// When each acknowledged send returned, in order, per producer.
    ack_times: HashMap<String, Vec<Instant>>,
    due: HashMap<Key, SystemTime>,
    groups: Vec<(Group, GroupLog)>,
    violations: Vec<String>,
    /// Errors a consumer's ack returned to its caller, by group and error.
    ack_errors: BTreeMap<(String, String), u64>,
}

/// Shared by every producer and consumer task of a run.
pub struct Ledger(Mutex<Inner>);

impl Ledger {
    pub fn new(groups: &[Group]) -> Ledger {
        Ledger(Mutex::new(Inner {
            groups: groups
                .iter()
                .map(|g| (g.clone(), GroupLog::default()))
                .collect(),
            ..Inner::default()
        }))
    }

    /// A delayed message's due time, recorded before it is sent.
    pub fn due(&self, key: &Key, at: SystemTime) {
        self.0.lock().due.insert(key.clone(), at);
    }

    /// A send's outcome as its producer saw it.
    pub fn sent(&self, key: &Key, ok: bool) {
        let mut inner = self.0.lock();
        let counter = if ok {
            &mut inner.sent_ok
        } else {
            &mut inner.failed
        };
        *counter.entry(key.source.clone()).or_default() += 1;
        if ok {
            inner.acked.insert(key.clone());
            let times = inner.ack_times.entry(key.source.clone()).or_default();
            times.push(Instant::now());
        }
    }

    /// A delivery to `group`, checked against its body and due time.
    pub fn delivered(&self, group: &str, body: &[u8]) {
        let now = SystemTime::now();
        let mut inner = self.0.lock();
        let key = match Key::from_body(body) {
            Ok(key) => key,
            Err(why) => {
                inner
                    .violations
                    .push(format!("{group}: corrupt record: {why}"));
                return;
            }
        };
        if !key.kind.deliverable() {
            inner
                .violations
                .push(format!("{group}: {key} was rolled back but delivered"));
        }
        // The broker's timer works in milliseconds; allow that much.
        let early = inner
            .due
            .get(&key)
            .and_then(|due| due.duration_since(now).ok())
            .filter(|ahead| ahead.as_millis() > 1);
        if let Some(ahead) = early {
            inner.violations.push(format!(
                "{group}: {key} delivered {ahead:?} before it was due"
            ));
        }
        let Some((spec, log)) = inner.groups.iter_mut().find(|(g, _)| g.name == group) else {
            return;
        };
        if !spec.kinds.contains(&key.kind) {
            let message = format!("{group}: {key} is of a kind it does not subscribe to");
            inner.violations.push(message);
            return;
        }
        log.deliveries += 1;
        log.times.push(Instant::now());
        if spec.ordered {
            log.order
                .entry(key.group.clone())
                .or_default()
                .push(key.seq);
        }
        *log.delivered.entry(key).or_default() += 1;
    }

    /// An ack that returned an error to the consumer's code.
    pub fn ack_failed(&self, group: &str, error: String) {
        *self
            .0
            .lock()
            .ack_errors
            .entry((group.to_owned(), error))
            .or_default() += 1;
    }

    /// Ack errors so far, by (group, error).
    pub fn ack_errors(&self) -> BTreeMap<(String, String), u64> {
        self.0.lock().ack_errors.clone()
    }

    /// Sends so far per producer: (acknowledged, failed).
    pub fn sends(&self, source: &str) -> (u64, u64) {
        let inner = self.0.lock();
        let get = |m: &BTreeMap<String, u64>| m.get(source).copied().unwrap_or(0);
        (get(&inner.sent_ok), get(&inner.failed))
    }

    /// (group, key) pairs acknowledged and due to a group but not delivered to it yet.
    pub fn outstanding(&self) -> usize {
        let inner = self.0.lock();
        inner
            .groups
            .iter()
            .map(|(spec, log)| {
                inner
                    .acked
                    .iter()
                    .filter(|k| expects(spec, k) && !log.delivered.contains_key(*k))
                    .count()
            })
            .sum()
    }

    /// Acknowledged sends so far.
    pub fn acked(&self) -> usize {
        self.0.lock().acked.len()
    }

    /// `source`'s first acknowledged send after `since`.
    pub fn first_ack_after(&self, source: &str, since: Instant) -> Option<Instant> {
        first_after(self.0.lock().ack_times.get(source)?, since)
    }

    /// The first delivery to `group` after `since`.
    pub fn first_delivery_after(&self, group: &str, since: Instant) -> Option<Instant> {
        let inner = self.0.lock();
        let (_, log) = inner.groups.iter().find(|(g, _)| g.name == group)?;
        first_after(&log.times, since)
    }

    /// The verdict. Call once traffic has stopped and deliveries have drained.
    pub fn report(&self) -> Report {
        let inner = self.0.lock();
        let mut violations = inner.violations.clone();
        let mut groups = Vec::new();
        for (spec, log) in &inner.groups {
            let expected: Vec<&Key> = inner.acked.iter().filter(|k| expects(spec, k)).collect();
            let mut lost: Vec<String> = expected
                .iter()
                .filter(|k| !log.delivered.contains_key(**k))
                .map(|k| k.to_string())
                .collect();
            lost.sort();
            let order_violations = order_violations(spec.name, &inner.acked, &log.order);
            violations.extend(order_violations.iter().cloned());
            groups.push(GroupReport {
                name: spec.name,
                expected: expected.len(),
                delivered: log.delivered.len(),
                deliveries: log.deliveries,
                duplicates: log.deliveries - log.delivered.len() as u64,
                lost,
                order_violations: order_violations.len(),
            });
        }
        Report {
            ack_errors: inner.ack_errors.clone(),
            sent_ok: inner.sent_ok.clone(),
            failed: inner.failed.clone(),
            groups,
            violations,
        }
    }
}

fn expects(group: &Group, key: &Key) -> bool {
    key.kind.deliverable() && group.kinds.contains(&key.kind)
}

fn first_after(times: &[Instant], since: Instant) -> Option<Instant> {
    // Appended in (nearly) time order by concurrent tasks: search from the end.
    times
        .iter()
        .rev()
        .take_while(|t| **t > since)
        .last()
        .copied()
}

/// Order per message group: whenever a delivery moves past the furthest sequence number seen,
/// no acknowledged message in between may have been skipped. Going back (a redelivery after a
/// lost ack) is allowed only to what was delivered before.
fn order_violations(
    group: &str,
    acked: &HashSet<Key>,
    order: &HashMap<String, Vec<u64>>,
) -> Vec<String> {
    let acked_seqs: HashMap<&str, Vec<u64>> =
        acked
            .iter()
            .filter(|k| k.kind.ordered())
            .fold(HashMap::new(), |mut m, k| {
                m.entry(k.group.as_str()).or_default().push(k.seq);
                m
            });
    let mut found = Vec::new();
    for (message_group, seqs) in order {
        let acked_here = acked_seqs.get(message_group.as_str());
        let mut furthest: Option<u64> = None;
        let mut seen = HashSet::new();
        for &seq in seqs {
            match furthest {
                Some(max) if seq <= max => {
                    if !seen.contains(&seq) {
                        found.push(format!(
                            "{group}: {message_group} #{seq} came after #{max} for the first time"
                        ));
                    }
                }
                _ => {
                    let from = furthest.map_or(0, |m| m + 1);
                    let skipped = acked_here
                        .into_iter()
                        .flatten()
                        .filter(|s| (from..seq).contains(*s))
                        .count();
                    if skipped > 0 {
                        found.push(format!(
                            "{group}: {message_group} #{seq} delivered before {skipped} acknowledged earlier one(s) from #{from}"
                        ));
                    }
                    furthest = Some(seq);
                }
            }
            seen.insert(seq);
        }
    }
    found
}

pub struct GroupReport {
    pub name: &'static str,
    pub expected: usize,
    pub delivered: usize,
    pub deliveries: u64,
    pub duplicates: u64,
    pub lost: Vec<String>,
    pub order_violations: usize,
}

pub struct Report {
    pub ack_errors: BTreeMap<(String, String), u64>,
    pub sent_ok: BTreeMap<String, u64>,
    pub failed: BTreeMap<String, u64>,
    pub groups: Vec<GroupReport>,
    pub violations: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.violations.is_empty() && self.groups.iter().all(|g| g.lost.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIFO: Group = Group {
        name: "f",
        kinds: &[Kind::Fifo],
        ordered: true,
    };

    fn key(seq: u64) -> Key {
        Key::new("rs", Kind::Fifo, Some("g"), seq)
    }

    #[test]
    fn a_redelivery_rewind_is_in_order_and_counted_as_duplicates() {
        let ledger = Ledger::new(&[FIFO]);
        for seq in 0..4 {
            ledger.sent(&key(seq), true);
        }
        for seq in [0, 1, 2, 1, 2, 3] {
            ledger.delivered("f", &key(seq).body());
        }
        let report = ledger.report();
        assert!(report.passed(), "{:?}", report.violations);
        assert_eq!(report.groups[0].duplicates, 2);
        assert_eq!(ledger.outstanding(), 0);
    }

    #[test]
    fn a_skipped_acknowledged_message_is_an_order_violation_and_a_loss() {
        let ledger = Ledger::new(&[FIFO]);
        for seq in 0..3 {
            ledger.sent(&key(seq), true);
        }
        ledger.delivered("f", &key(0).body());
        ledger.delivered("f", &key(2).body());
        assert_eq!(ledger.outstanding(), 1);
        let report = ledger.report();
        assert!(!report.passed());
        assert_eq!(report.groups[0].lost, ["rs:fifo:g:1"]);
        assert_eq!(report.groups[0].order_violations, 1);
    }

    #[test]
    fn an_unacknowledged_gap_is_not_a_violation() {
        let ledger = Ledger::new(&[FIFO]);
        ledger.sent(&key(0), true);
        ledger.sent(&key(1), false);
        ledger.sent(&key(2), true);
        ledger.delivered("f", &key(0).body());
        ledger.delivered("f", &key(2).body());
        assert!(ledger.report().passed());
    }

    #[test]
    fn rolled_back_and_corrupt_records_are_violations() {
        let group = Group {
            name: "p",
            kinds: &[Kind::TxCommit],
            ordered: false,
        };
        let ledger = Ledger::new(&[group]);
        ledger.delivered("p", &Key::new("rs", Kind::TxRollback, None, 1).body());
        ledger.delivered("p", b"garbage");
        assert_eq!(ledger.report().violations.len(), 3);
    }
}
