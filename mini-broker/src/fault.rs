//! Fault injection for tests: make an RPC answer with a business code, slow it down, or lose
//! its next responses after the work is done (so clients see a failure for a request that took
//! effect, which is how retries are tested).

use parking_lot::Mutex;
use rmq_proto::Code;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Default)]
struct Plan {
    fail: HashMap<String, (Code, String, Option<u32>)>,
    latency: HashMap<String, Duration>,
    drop: HashMap<String, u32>,
}

/// Calls received, by RPC name; kept apart from the plan so `clear` does not reset it.
#[derive(Debug, Default)]
struct Calls(HashMap<String, u64>);

/// The faults in force, by RPC name (`"SendMessage"`, `"ReceiveMessage"`, …).
#[derive(Debug, Default)]
pub(crate) struct Faults(Mutex<Plan>, Mutex<Calls>);

impl Faults {
    pub(crate) fn fail(&self, rpc: &str, code: Code, message: String, times: Option<u32>) {
        self.0
            .lock()
            .fail
            .insert(rpc.to_owned(), (code, message, times));
    }

    pub(crate) fn latency(&self, rpc: &str, latency: Duration) {
        self.0.lock().latency.insert(rpc.to_owned(), latency);
    }

    pub(crate) fn drop_responses(&self, rpc: &str, count: u32) {
        self.0.lock().drop.insert(rpc.to_owned(), count);
    }

    pub(crate) fn clear(&self) {
        *self.0.lock() = Plan::default();
    }

    /// The injected failure for this call, if any (consuming one use of a counted one).
    pub(crate) fn failure(&self, rpc: &str) -> Option<(Code, String)> {
        let mut plan = self.0.lock();
        let (code, message, remaining) = plan.fail.get_mut(rpc)?;
        let out = (*code, message.clone());
        if let Some(left) = remaining {
            *left = left.saturating_sub(1);
            if *left == 0 {
                plan.fail.remove(rpc);
            }
        }
        Some(out)
    }

    /// Counts a call of `rpc` and returns the latency to add to it, if any.
    pub(crate) fn admit(&self, rpc: &str) -> Option<Duration> {
        self.count(rpc);
        self.0.lock().latency.get(rpc).copied()
    }

    /// Counts a call that has no admission step (e.g. a command on a Telemetry stream).
    pub(crate) fn count(&self, rpc: &str) {
        let mut calls = self.1.lock();
        match calls.0.get_mut(rpc) {
            Some(n) => *n += 1,
            None => {
                calls.0.insert(rpc.to_owned(), 1);
            }
        }
    }

    /// Calls of `rpc` received so far.
    pub(crate) fn calls(&self, rpc: &str) -> u64 {
        self.1.lock().0.get(rpc).copied().unwrap_or(0)
    }

    /// Whether this call's response is to be lost (consuming one).
    pub(crate) fn take_drop(&self, rpc: &str) -> bool {
        let mut plan = self.0.lock();
        match plan.drop.get_mut(rpc) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }
}
