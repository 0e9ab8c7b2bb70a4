//! `MiniBroker`: the running broker's handle — address, declarations, inspection, clock and
//! shutdown.

use super::MiniBrokerBuilder;
use crate::core::Core;
use crate::metadata::{GroupConfig, TopicConfig};
use crate::store::StoredMessage;
use crate::store::journal::{JGroup, JTopic};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running in-process broker. Dropping it stops it.
pub struct MiniBroker {
    pub(super) certificate_pem: String,
    pub(crate) core: Arc<Core>,
    pub(super) addr: SocketAddr,
    pub(super) gate: crate::listener::Gate,
    /// The admin facade's address and port gate, when it serves one.
    pub(super) admin: Option<(SocketAddr, crate::listener::Gate)>,
    pub(super) stop: watch::Sender<bool>,
    pub(super) server: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
    pub(super) scheduler: Option<JoinHandle<()>>,
}

impl MiniBroker {
    /// A builder with test defaults.
    pub fn builder() -> MiniBrokerBuilder {
        MiniBrokerBuilder::default()
    }

    /// `host:port` clients connect to.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// The PEM certificate the broker presents to TLS clients (the generated one unless
    /// [`MiniBrokerBuilder::tls`] gave one), for clients that verify it.
    pub fn tls_certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// `host:port` of the admin facade (see [`MiniBrokerBuilder::admin_listen`]), to give
    /// Apache's tools as their name server; `None` when it is off.
    pub fn admin_endpoint(&self) -> Option<String> {
        self.admin_addr().map(|a| a.to_string())
    }

    pub(crate) fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().map(|(addr, _)| *addr)
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// In durable mode, why the journal refuses changes once a write to it failed (a full or
    /// broken disk): from then on every request that changes state answers
    /// INTERNAL_SERVER_ERROR with this text, until the broker restarts. `None` while it writes.
    pub fn journal_error(&self) -> Option<String> {
        self.core.journal_failure()
    }

    /// Declares (or redeclares) a topic.
    pub fn create_topic(&self, topic: TopicConfig) {
        self.core.execute(JTopic::from(&topic));
    }

    /// Declares (or redeclares) a consumer group.
    pub fn create_group(&self, group: GroupConfig) {
        self.core.execute(JGroup::from(&group));
    }

    /// Every message stored in a topic's queues, queue by queue (scheduled messages appear
    /// once due, half messages once committed).
    pub fn messages(&self, topic: &str) -> Vec<StoredMessage> {
        self.core
            .inspect(|e| e.messages(topic))
            .into_iter()
            .map(|m| (*m).clone())
            .collect()
    }

    /// Asks a connected consumer of `group` to consume the stored message `message_id` of
    /// `topic` directly, as the Apache admin tool's `consumeMessageDirectly` does through the
    /// proxy (a `VerifyMessageCommand` on the client's Telemetry stream), and returns the
    /// client's answer: code `OK` when its listener consumed the message,
    /// `FAILED_TO_CONSUME_MESSAGE` when it did not, `NOT_IMPLEMENTED` from clients that do
    /// not consume. The message's own state does not change.
    ///
    /// Fails with `NotFound` when there is no such message or no connected consumer, and
    /// `TimedOut` when the client does not answer within `timeout`.
    pub async fn verify_message(
        &self,
        group: &str,
        topic: &str,
        message_id: &str,
        timeout: std::time::Duration,
    ) -> std::io::Result<rmq_proto::v2::Status> {
        use std::io::{Error, ErrorKind};
        let stored = self
            .core
            .inspect(|e| e.messages(topic))
            .into_iter()
            .find(|m| m.message_id == message_id)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("no message {message_id} in {topic}"),
                )
            })?;
        let consumer = self
            .core
            .sessions
            .consumers_of(group)
            .into_iter()
            .next()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("no connected consumer of {group}"),
                )
            })?;
        let nonce = format!("verify-{}", self.core.stream_id());
        let answer = self.core.sessions.expect_verification(&nonce);
        let store_host = self.core.store_host.lock().clone();
        let command = rmq_proto::v2::TelemetryCommand {
            status: None,
            command: Some(
                rmq_proto::v2::telemetry_command::Command::VerifyMessageCommand(
                    rmq_proto::v2::VerifyMessageCommand {
                        nonce: nonce.clone(),
                        message: Some(crate::convert::message(&stored, "", &store_host)),
                    },
                ),
            ),
        };
        let gone = || {
            Error::new(
                ErrorKind::NotFound,
                format!("the consumer of {group} went away"),
            )
        };
        let outcome = match consumer.send(Ok(command)).await {
            Ok(()) => tokio::time::timeout(timeout, answer).await,
            Err(_) => {
                self.core.sessions.forget_verification(&nonce);
                return Err(gone());
            }
        };
        self.core.sessions.forget_verification(&nonce);
        match outcome {
            Ok(Ok(status)) => Ok(status),
            Ok(Err(_)) => Err(gone()),
            Err(_) => Err(Error::new(
                ErrorKind::TimedOut,
                format!("the consumer of {group} did not answer within {timeout:?}"),
            )),
        }
    }

    /// Messages of `topic` that `group` holds in flight (delivered, not acked, still
    /// invisible), with their delivery attempt.
    pub fn in_flight(&self, group: &str, topic: &str) -> Vec<(StoredMessage, i32)> {
        self.core
            .inspect(|e| e.in_flight(group, topic))
            .into_iter()
            .map(|(m, attempt)| ((*m).clone(), attempt))
            .collect()
    }

    /// Contents of the group's dead-letter topic `%DLQ%<group>`.
    pub fn dead_letters(&self, group: &str) -> Vec<StoredMessage> {
        self.messages(&format!("{}{group}", rmq_proto::names::DLQ_TOPIC_PREFIX))
    }

    /// Scheduled messages not yet due.
    pub fn pending_timers(&self) -> usize {
        self.core.inspect(|e| e.pending_timers())
    }

    /// Half (prepared) transactional messages awaiting a decision.
    pub fn half_messages(&self) -> Vec<StoredMessage> {
        self.core
            .inspect(|e| e.half_messages())
            .into_iter()
            .map(|h| h.message)
            .collect()
    }

    /// The first offset of `topic`'s queue that `group` has not acked (everything below it
    /// is consumed), or `None` if the group never consumed that queue.
    pub fn committed_offset(&self, group: &str, topic: &str, queue: usize) -> Option<i64> {
        self.core.inspect(|e| e.committed(group, topic, queue))
    }

    /// Clients with an open Telemetry stream.
    pub fn connected_clients(&self) -> usize {
        self.core.sessions.connected()
    }

    /// Moves the virtual clock forward and fires everything that became due: redeliveries,
    /// dead-lettering, scheduled messages and transaction checks. Returns false (and does
    /// nothing) on a wall-clock broker.
    pub fn advance(&self, by: Duration) -> bool {
        if !self.core.clock.is_virtual() {
            return false;
        }
        // Small steps, so lease renewals (due 10 s before expiry) are not jumped over.
        let mut left = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        while left > 0 {
            let step = left.min(crate::engine::RENEW_AHEAD / 2);
            self.core.clock.advance(step);
            left -= step;
            self.core.renew_leases();
            self.core.tick();
        }
        self.core.notify_visible();
        true
    }

    /// Stops serving and waits for the server to finish in-flight requests.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        if let Some(scheduler) = self.scheduler.take() {
            let _ = scheduler.await;
        }
        // Open admin connections are cut, so no change is answered once the journal closes.
        if let Some((_, gate)) = &self.admin {
            gate.down().await;
        }
        // The final snapshot and the journal's last flush are blocking file work.
        let core = self.core.clone();
        if tokio::task::spawn_blocking(move || core.close_journal())
            .await
            .is_err()
        {
            tracing::warn!("closing the journal failed");
        }
    }
}

impl Drop for MiniBroker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
