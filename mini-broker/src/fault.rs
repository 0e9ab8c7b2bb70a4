//! Fault injection for tests: make an RPC answer with business codes, slow it down, or lose
//! its next responses after the work is done (so clients see a failure for a request that took
//! effect, which is how retries are tested). Keyed by [`Rpc`], so a misspelt name cannot make
//! a fault that never fires.

use parking_lot::Mutex;
use rmq_proto::{Code, Rpc};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// How one RPC fails: first the queued codes, one per call, then `always` if set.
#[derive(Debug, Default)]
struct Failing {
    queued: VecDeque<Code>,
    always: Option<Code>,
}

#[derive(Debug, Default)]
struct Plan {
    fail: HashMap<Rpc, Failing>,
    latency: HashMap<Rpc, Duration>,
    latency_all: Duration,
    drop: HashMap<Rpc, u32>,
    /// ReceiveMessage answers with messages still to break after their messages.
    break_receives: u32,
}

/// The faults in force and the calls received; `clear` resets the plan, not the counts.
#[derive(Debug, Default)]
pub(crate) struct Faults(Mutex<Plan>, Mutex<HashMap<Rpc, u64>>);

impl Faults {
    /// Replaces `rpc`'s failures: `code` for the next `times` calls, or until cleared.
    pub(crate) fn fail(&self, rpc: Rpc, code: Code, times: Option<u32>) {
        let failing = match times {
            Some(n) => Failing {
                queued: std::iter::repeat_n(code, n as usize).collect(),
                always: None,
            },
            None => Failing {
                queued: VecDeque::new(),
                always: Some(code),
            },
        };
        self.0.lock().fail.insert(rpc, failing);
    }

    /// Queues one code per coming call of `rpc`, after the ones already queued.
    pub(crate) fn push(&self, rpc: Rpc, codes: &[Code]) {
        let mut plan = self.0.lock();
        plan.fail.entry(rpc).or_default().queued.extend(codes);
    }

    pub(crate) fn latency(&self, rpc: Rpc, latency: Duration) {
        self.0.lock().latency.insert(rpc, latency);
    }

    pub(crate) fn latency_all(&self, latency: Duration) {
        self.0.lock().latency_all = latency;
    }

    pub(crate) fn drop_responses(&self, rpc: Rpc, count: u32) {
        self.0.lock().drop.insert(rpc, count);
    }

    pub(crate) fn break_receives(&self, count: u32) {
        self.0.lock().break_receives = count;
    }

    /// Whether this ReceiveMessage answer with messages breaks after them (and counts it).
    pub(crate) fn take_break_receive(&self) -> bool {
        let mut plan = self.0.lock();
        let armed = plan.break_receives > 0;
        plan.break_receives = plan.break_receives.saturating_sub(1);
        armed
    }

    pub(crate) fn clear(&self) {
        *self.0.lock() = Plan::default();
    }

    /// The injected failure for this call, if any, with its status text.
    pub(crate) fn failure(&self, rpc: Rpc) -> Option<(Code, String)> {
        let mut plan = self.0.lock();
        let failing = plan.fail.get_mut(&rpc)?;
        let code = failing.queued.pop_front().or(failing.always)?;
        Some((code, format!("{} injected by test", code.as_str_name())))
    }

    /// Counts a call of `rpc` and returns the latency to add to it, if any.
    pub(crate) fn admit(&self, rpc: Rpc) -> Option<Duration> {
        self.count(rpc);
        let plan = self.0.lock();
        let total = plan.latency_all + plan.latency.get(&rpc).copied().unwrap_or_default();
        (!total.is_zero()).then_some(total)
    }

    /// Counts a call that has no admission step (e.g. a command on a Telemetry stream).
    pub(crate) fn count(&self, rpc: Rpc) {
        *self.1.lock().entry(rpc).or_default() += 1;
    }

    /// Calls of `rpc` received so far.
    pub(crate) fn calls(&self, rpc: Rpc) -> u64 {
        self.1.lock().get(&rpc).copied().unwrap_or(0)
    }

    /// Whether this call's response is to be lost (consuming one).
    pub(crate) fn take_drop(&self, rpc: Rpc) -> bool {
        let mut plan = self.0.lock();
        match plan.drop.get_mut(&rpc) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_codes_come_first_then_the_standing_one() {
        let faults = Faults::default();
        faults.fail(Rpc::SendMessage, Code::InternalServerError, None);
        faults.push(Rpc::SendMessage, &[Code::TooManyRequests, Code::Forbidden]);
        let next = || faults.failure(Rpc::SendMessage).map(|(c, _)| c);
        assert_eq!(next(), Some(Code::TooManyRequests));
        assert_eq!(next(), Some(Code::Forbidden));
        assert_eq!(next(), Some(Code::InternalServerError));
        assert_eq!(faults.failure(Rpc::AckMessage), None);
    }

    #[test]
    fn counted_failures_run_out() {
        let faults = Faults::default();
        faults.fail(Rpc::AckMessage, Code::TooManyRequests, Some(2));
        assert!(faults.failure(Rpc::AckMessage).is_some());
        assert!(faults.failure(Rpc::AckMessage).is_some());
        assert!(faults.failure(Rpc::AckMessage).is_none());
    }
}
