//! Fault injection on a running broker: failing, slow and lost calls, and the broker going
//! off the network and back.

use super::{MiniBroker, StartError};
use crate::store::journal::Configure;
use rmq_proto::{Code, Rpc};
use std::time::Duration;

impl MiniBroker {
    /// Makes `rpc` answer with `code`, for the next `times` calls or until cleared when `times`
    /// is `None`. Replaces what was set for `rpc` before.
    pub fn fail_rpc(&self, rpc: Rpc, code: Code, times: Option<u32>) {
        self.core.faults.fail(rpc, code, times);
    }

    /// Makes the coming calls of `rpc` answer with `codes`, one per call in order, after any
    /// codes queued before (librdkafka's `push_request_errors`); a standing `fail_rpc` applies
    /// once they run out.
    pub fn push_rpc_errors(&self, rpc: Rpc, codes: &[Code]) {
        self.core.faults.push(rpc, codes);
    }

    /// How many calls of `rpc` the broker has received, for tests that check how a client uses
    /// the protocol ([`Rpc::TelemetrySettings`] counts the Settings received on Telemetry
    /// streams). Not reset by [`MiniBroker::clear_faults`].
    pub fn rpc_calls(&self, rpc: Rpc) -> u64 {
        self.core.faults.calls(rpc)
    }

    /// Delays every call of `rpc`.
    pub fn delay_rpc(&self, rpc: Rpc, latency: Duration) {
        self.core.faults.latency(rpc, latency);
    }

    /// Processes the next `count` calls of `rpc` but loses their responses (the caller sees
    /// gRPC `UNAVAILABLE`).
    pub fn drop_responses(&self, rpc: Rpc, count: u32) {
        self.core.faults.drop_responses(rpc, count);
    }

    /// The next `count` ReceiveMessage answers that carry messages break after them: the
    /// status and the messages go out, then the stream ends with `UNAVAILABLE` instead of its
    /// delivery timestamp. The messages stay leased to the caller, as sent (a connection cut
    /// mid-answer looks like this).
    pub fn break_receive_streams(&self, count: u32) {
        self.core.faults.break_receives(count);
    }

    /// Adds `latency` to every call (on top of any `delay_rpc`), as a distant broker;
    /// `Duration::ZERO` removes it.
    pub fn delay_all(&self, latency: Duration) {
        self.core.faults.latency_all(latency);
    }

    /// Takes the broker off the network with its state kept, as a crashed or partitioned
    /// proxy looks to clients: once this returns the port refuses connections, and every
    /// connection open until then (Telemetry streams and long polls included) is cut. The
    /// admin port, when served, goes down with it.
    pub async fn take_down(&self) {
        self.gate.down().await;
        if let Some((_, gate)) = &self.admin {
            gate.down().await;
        }
        // Every client's connection is cut, and Apache's proxy then drops the renewals it kept
        // for them (a crashed one loses them all): each auto-renewed message comes back when
        // its lease ends. Kept, a message whose receive response the cut lost would be renewed
        // for its reconnected owner for hours. Journaled as a start's `Configure` (the same
        // settings), so a replay forgets at the same point.
        let (_, flushed) = self
            .core
            .execute_with(|engine| Configure::from(&engine.config));
        if let Err(status) = self.core.durable(flushed).await {
            tracing::warn!(error = %status.message, "take_down: renewals forgotten but not journaled");
        }
    }

    /// Listens again on the same port (and admin port) after [`MiniBroker::take_down`]; a
    /// no-op when up.
    pub async fn bring_up(&self) -> Result<(), StartError> {
        let again = |addr| move |e| StartError::new(format!("cannot listen on {addr} again: {e}"));
        self.gate.up().await.map_err(again(self.addr))?;
        if let Some((addr, gate)) = &self.admin {
            gate.up().await.map_err(again(*addr))?;
        }
        Ok(())
    }

    /// False between [`MiniBroker::take_down`] and [`MiniBroker::bring_up`].
    pub fn is_up(&self) -> bool {
        self.gate.is_up()
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.core.faults.clear();
    }
}
