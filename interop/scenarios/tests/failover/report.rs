//! What the broker failover scenario measured, and its printout.

use super::{CONSUME_LAG, Delivery, GRACE, Send};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The scenario's instants.
pub(crate) struct Timeline {
    pub(crate) started: Instant,
    pub(crate) backlog_stopped: Instant,
    pub(crate) killed: Instant,
    pub(crate) restarting: Instant,
    pub(crate) back: Instant,
    pub(crate) stopped: Instant,
}

/// What a group consumed.
pub(crate) struct Group {
    /// Acknowledged sends it never consumed.
    pub(crate) missing: Vec<u64>,
    /// Consumptions past the first.
    pub(crate) duplicates: usize,
    /// Consumptions past the first, by broker.
    pub(crate) duplicates_by_broker: Vec<(String, usize)>,
    /// Failed sends it consumed all the same.
    pub(crate) failed_but_consumed: usize,
}

impl Group {
    pub(crate) fn new(sends: &[Send], consumed: &HashMap<u64, Vec<Delivery>>) -> Group {
        Group {
            missing: sends
                .iter()
                .filter(|s| s.ok() && !consumed.contains_key(&s.n))
                .map(|s| s.n)
                .collect(),
            duplicates: consumed.values().map(|at| at.len() - 1).sum(),
            duplicates_by_broker: {
                let mut by: Vec<(String, usize)> = Vec::new();
                for d in consumed.values().flat_map(|d| d.iter().skip(1)) {
                    match by.iter_mut().find(|(b, _)| *b == d.broker) {
                        Some((_, n)) => *n += 1,
                        None => by.push((d.broker.clone(), 1)),
                    }
                }
                by.sort();
                by
            },
            failed_but_consumed: sends
                .iter()
                .filter(|s| !s.ok() && consumed.contains_key(&s.n))
                .count(),
        }
    }
}

/// When `n` was first consumed, and from which broker.
pub(crate) fn first(consumed: &HashMap<u64, Vec<Delivery>>, n: u64) -> Option<&Delivery> {
    consumed.get(&n).and_then(|d| d.iter().min_by_key(|d| d.at))
}

/// What the scenario measured.
pub(crate) struct Report<'a> {
    pub(crate) sends: &'a [Send],
    /// Sends started while the broker was down (from the kill to the restart).
    pub(crate) down: Vec<&'a Send>,
    pub(crate) down_ok: usize,
    /// Failed sends started more than GRACE after the kill, before the restart.
    pub(crate) late_failures: usize,
    pub(crate) first_ok_after_kill: Option<Duration>,
    /// Sends acknowledged while down, CONSUME_LAG before the restart at least.
    pub(crate) acked_while_down: usize,
    /// Of those, how many the live group consumed before the restart.
    pub(crate) consumed_while_down: usize,
    /// Acknowledged sends of the backlog window (the backlog group stopped, before the kill).
    pub(crate) backlog_sent: usize,
    /// Of those, consumed by the backlog group during the outage (the live broker's share).
    pub(crate) backlog_before_restart: usize,
    /// And only after the restart (the stopped broker's share).
    pub(crate) backlog_after_restart: usize,
    /// Backlog messages from the stopped broker consumed while it was down (none can be).
    pub(crate) backlog_of_stopped_during_outage: usize,
    /// Messages the live group consumed from the stopped broker, sent after it was back.
    pub(crate) stopped_broker_after_restart: usize,
    pub(crate) live: Group,
    pub(crate) backlog: Group,
}

impl<'a> Report<'a> {
    pub(crate) fn new(
        sends: &'a [Send],
        live: &HashMap<u64, Vec<Delivery>>,
        backlog: &HashMap<u64, Vec<Delivery>>,
        t: &Timeline,
        stopped_broker: &str,
    ) -> Report<'a> {
        let down: Vec<&Send> = sends
            .iter()
            .filter(|s| s.started >= t.killed && s.started < t.restarting)
            .collect();
        let acked_while_down: Vec<&&Send> = down
            .iter()
            .filter(|s| s.ok() && s.started + CONSUME_LAG < t.restarting)
            .collect();
        let backlog_sent: Vec<&Send> = sends
            .iter()
            .filter(|s| s.ok() && s.started >= t.backlog_stopped && s.started < t.killed)
            .collect();
        let backlog_first = |s: &&Send| first(backlog, s.n);
        Report {
            sends,
            down_ok: down.iter().filter(|s| s.ok()).count(),
            late_failures: down
                .iter()
                .filter(|s| !s.ok() && s.started >= t.killed + GRACE)
                .count(),
            first_ok_after_kill: down
                .iter()
                .find(|s| s.ok())
                .map(|s| s.started + s.took - t.killed),
            acked_while_down: acked_while_down.len(),
            consumed_while_down: acked_while_down
                .iter()
                .filter(|s| first(live, s.n).is_some_and(|d| d.at < t.restarting))
                .count(),
            backlog_sent: backlog_sent.len(),
            backlog_before_restart: backlog_sent
                .iter()
                .filter(|s| backlog_first(s).is_some_and(|d| d.at < t.restarting))
                .count(),
            backlog_after_restart: backlog_sent
                .iter()
                .filter(|s| backlog_first(s).is_some_and(|d| d.at >= t.restarting))
                .count(),
            backlog_of_stopped_during_outage: backlog_sent
                .iter()
                .filter(|s| {
                    backlog_first(s)
                        .is_some_and(|d| d.at < t.restarting && d.broker == stopped_broker)
                })
                .count(),
            stopped_broker_after_restart: sends
                .iter()
                .filter(|s| s.started >= t.back)
                .filter(|s| first(live, s.n).is_some_and(|d| d.broker == stopped_broker))
                .count(),
            live: Group::new(sends, live),
            backlog: Group::new(sends, backlog),
            down,
        }
    }

    pub(crate) fn print(&self, t: &Timeline, kill_took: Duration, drained: Duration) {
        let failed: Vec<&Send> = self.sends.iter().filter(|s| !s.ok()).collect();
        let slowest = self.down.iter().map(|s| s.took).max().unwrap_or_default();
        let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
        println!(
            "  timeline: kill after {} of traffic (took {kill_took:?}), down {}, restart {}, \
             traffic {} after it",
            secs(t.killed - t.started),
            secs(t.restarting - t.killed),
            secs(t.back - t.restarting),
            secs(t.stopped - t.back),
        );
        println!(
            "  sends: {} OK of {} ({} failed); while down: {} OK of {}, {} failed past the \
             {GRACE:?} grace; first OK after the kill {:?} after it; slowest while down \
             {slowest:?}",
            self.sends.len() - failed.len(),
            self.sends.len(),
            failed.len(),
            self.down_ok,
            self.down.len(),
            self.late_failures,
            self.first_ok_after_kill,
        );
        if let (Some(first), Some(last)) = (failed.first(), failed.last()) {
            let at = |s: &Send| s.started.saturating_duration_since(t.killed).as_secs_f64();
            let (kind, text) = first.error.as_ref().expect("a failure");
            println!(
                "  failed sends from +{:.3} s to +{:.3} s after the kill; the first: {} ({text})",
                at(first),
                at(last),
                kind.as_str()
            );
        }
        println!(
            "  live group: consumed {} of {} sends acknowledged while down before the restart; \
             {} duplicates {:?}; {} failed sends consumed all the same",
            self.consumed_while_down,
            self.acked_while_down,
            self.live.duplicates,
            self.live.duplicates_by_broker,
            self.live.failed_but_consumed,
        );
        println!(
            "  backlog group: {} sent while it was stopped, {} consumed during the outage, {} \
             after the restart; {} duplicates {:?}",
            self.backlog_sent,
            self.backlog_before_restart,
            self.backlog_after_restart,
            self.backlog.duplicates,
            self.backlog.duplicates_by_broker,
        );
        println!(
            "  sends after the restart that the restarted broker took: {}",
            self.stopped_broker_after_restart
        );
        println!(
            "  everything acknowledged consumed by both groups {} after the producer stopped; \
             missing: live {}, backlog {}",
            secs(drained),
            self.live.missing.len(),
            self.backlog.missing.len(),
        );
    }
}
