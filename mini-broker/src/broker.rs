//! `MiniBroker`: the builder and handle tests use to run a broker in-process.

use crate::auth::Credentials;
use crate::clock::Clock;
use crate::core::Core;
use crate::engine::{Engine, EngineConfig};
use crate::metadata::{GroupConfig, Metadata, TopicConfig};
use crate::server::Service;
use crate::store::StoredMessage;
use crate::store::journal::{self, DiskFaults, FlushMode, Journal, Op};
use rmq_proto::v2::messaging_service_server::MessagingServiceServer;
use rmq_proto::{Code, Rpc};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;

/// Why a broker could not start.
#[derive(Debug)]
pub struct StartError(String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Configures and starts a [`MiniBroker`]. Every option has a default suited to tests.
#[derive(Clone, Debug)]
pub struct MiniBrokerBuilder {
    listen: String,
    broker_name: String,
    topics: Vec<TopicConfig>,
    groups: Vec<GroupConfig>,
    auto_create: bool,
    auto_create_groups: bool,
    credentials: HashMap<String, String>,
    virtual_clock: bool,
    max_body_size: usize,
    transaction_check_delay: Duration,
    transaction_check_interval: Duration,
    transaction_check_max: u32,
    data_dir: Option<PathBuf>,
    flush: FlushMode,
    segment_size: u64,
    disk_faults: DiskFaults,
    tls_files: Option<(PathBuf, PathBuf)>,
}

impl Default for MiniBrokerBuilder {
    fn default() -> Self {
        MiniBrokerBuilder {
            listen: "127.0.0.1:0".into(),
            broker_name: "broker-0".into(),
            topics: Vec::new(),
            groups: Vec::new(),
            auto_create: true,
            auto_create_groups: true,
            credentials: HashMap::new(),
            virtual_clock: false,
            max_body_size: rmq_proto::limits::MAX_BODY_SIZE,
            transaction_check_delay: Duration::from_secs(1),
            transaction_check_interval: Duration::from_secs(1),
            transaction_check_max: 15,
            data_dir: None,
            flush: FlushMode::Sync,
            segment_size: 16 * 1024 * 1024,
            disk_faults: DiskFaults::default(),
            tls_files: None,
        }
    }
}

impl MiniBrokerBuilder {
    /// Address to listen on. Default `127.0.0.1:0` (a free port).
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.listen = addr.into();
        self
    }

    /// Broker name shown in routes and receipt handles. Default `broker-0`.
    pub fn broker_name(mut self, name: impl Into<String>) -> Self {
        self.broker_name = name.into();
        self
    }

    /// Declares a topic.
    pub fn topic(mut self, topic: TopicConfig) -> Self {
        self.topics.push(topic);
        self
    }

    /// Declares a consumer group.
    pub fn group(mut self, group: GroupConfig) -> Self {
        self.groups.push(group);
        self
    }

    /// Refuses unknown topics and groups (`TOPIC_NOT_FOUND`, `CONSUMER_GROUP_NOT_FOUND`) like
    /// a production proxy. Default off: unknown topics are created accepting every message
    /// type, unknown groups as non-FIFO groups.
    pub fn strict(mut self, strict: bool) -> Self {
        self.auto_create = !strict;
        self.auto_create_groups = !strict;
        self
    }

    /// Whether unknown consumer groups are created on first use, as Apache brokers do by
    /// default (`autoCreateSubscriptionGroup`). Default on; `strict(true)` turns it off, and
    /// calling this after `strict` sets it on its own: a strict broker with auto-created
    /// groups refuses unknown topics only, like a stock Apache deployment.
    pub fn auto_create_groups(mut self, on: bool) -> Self {
        self.auto_create_groups = on;
        self
    }

    /// Requires requests signed with this access key / secret key pair (may be repeated).
    /// Default: no authentication.
    pub fn credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.credentials
            .insert(access_key.into(), secret_key.into());
        self
    }

    /// Runs on a virtual clock that only [`MiniBroker::advance`] moves. Default off.
    pub fn virtual_clock(mut self, on: bool) -> Self {
        self.virtual_clock = on;
        self
    }

    /// Largest accepted message body. Default 4 MiB.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// Time before the first orphaned-transaction check of an undecided half message.
    /// Default 1 s (Apache: 6 s to 36 s).
    pub fn transaction_check_delay(mut self, delay: Duration) -> Self {
        self.transaction_check_delay = delay;
        self
    }

    /// Time between later transaction checks. Default 1 s (Apache: 30 s).
    pub fn transaction_check_interval(mut self, interval: Duration) -> Self {
        self.transaction_check_interval = interval;
        self
    }

    /// Checks before an undecided half message is discarded. Default 15, as on Apache.
    pub fn transaction_check_max(mut self, checks: u32) -> Self {
        self.transaction_check_max = checks;
        self
    }

    /// Keeps everything in a journal under `dir` (created if missing) and recovers from it at
    /// start. Default: in memory only.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// How durable-mode changes reach the disk. Default [`FlushMode::Sync`]: an RPC answers
    /// only once its change is on disk (concurrent changes share one durable write).
    pub fn flush(mut self, mode: FlushMode) -> Self {
        self.flush = mode;
        self
    }

    /// Size of each journal segment file, pre-allocated when created. Default 16 MiB.
    pub fn segment_size(mut self, bytes: u64) -> Self {
        self.segment_size = bytes;
        self
    }

    /// Test-only: the journal writes through `faults`, which the caller arms to make them
    /// fail as a full or broken disk would. Not part of the supported API.
    #[doc(hidden)]
    pub fn disk_faults(mut self, faults: DiskFaults) -> Self {
        self.disk_faults = faults;
        self
    }

    /// Serves TLS with this PEM certificate chain and private key. Default: a self-signed
    /// certificate for `localhost` and `127.0.0.1`, generated at start. Either way the port
    /// also takes cleartext connections, as an Apache proxy does.
    pub fn tls(mut self, certificate: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls_files = Some((certificate.into(), key.into()));
        self
    }

    /// Binds the port and starts serving on the current tokio runtime. Returns once the
    /// broker accepts connections.
    pub async fn start(self) -> Result<MiniBroker, StartError> {
        let listener = TcpListener::bind(&self.listen)
            .await
            .map_err(|e| StartError(format!("cannot listen on {}: {e}", self.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError(format!("cannot read the bound address: {e}")))?;
        let identity = match &self.tls_files {
            Some((cert, key)) => crate::tls::TlsIdentity::from_files(cert, key),
            None => crate::tls::TlsIdentity::self_signed(),
        }
        .map_err(StartError)?;
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let mut engine = Engine::new(
            EngineConfig {
                broker_name: self.broker_name.clone(),
                transaction_check_delay: millis(self.transaction_check_delay),
                transaction_check_interval: millis(self.transaction_check_interval),
                transaction_check_max: self.transaction_check_max,
            },
            Metadata {
                auto_create: self.auto_create,
                auto_create_groups: self.auto_create_groups,
                ..Metadata::default()
            },
        );
        let mut journal = None;
        if let Some(dir) = &self.data_dir {
            let (entries, report, end) = journal::recover(dir)
                .map_err(|e| StartError(format!("cannot recover {}: {e}", dir.display())))?;
            if report.truncated_bytes > 0 {
                tracing::warn!(
                    bytes = report.truncated_bytes,
                    "cut a torn or corrupt journal tail"
                );
            }
            for entry in entries {
                engine.replay(entry);
            }
            tracing::info!(entries = report.entries, dir = %dir.display(), "recovered journal");
            journal = Some(
                Journal::open(dir, end, self.flush, self.segment_size, self.disk_faults)
                    .map_err(|e| StartError(format!("cannot open the journal: {e}")))?,
            );
        }
        let declarations: Vec<Op> = self
            .topics
            .iter()
            .map(|t| Op::DeclareTopic(t.into()))
            .chain(self.groups.iter().map(|g| Op::DeclareGroup(g.into())))
            .collect();
        for topic in self.topics {
            engine.declare_topic(topic);
        }
        for group in self.groups {
            engine.declare_group(group);
        }
        let clock = if self.virtual_clock {
            Clock::virtual_from_now()
        } else {
            Clock::Real
        };
        let credentials = (!self.credentials.is_empty()).then_some(Credentials(self.credentials));
        let (stop, stopped) = watch::channel(false);
        let core = Arc::new(Core::new(
            engine,
            journal,
            clock,
            credentials,
            self.max_body_size,
            stopped.clone(),
        ));
        // Declarations are journaled so a later start without them still knows the topics.
        let (_, flushed) = core
            .mutate(|_, _, journaling| ((), if journaling { declarations } else { Vec::new() }));
        core.durable(flushed).await.map_err(|st| {
            StartError(format!(
                "cannot journal the declared topics and groups: {}",
                st.message
            ))
        })?;
        *core.store_host.lock() = addr.to_string();

        let service = MessagingServiceServer::new(Service { core: core.clone() })
            .max_decoding_message_size(rmq_proto::limits::MAX_INBOUND_MESSAGE)
            .max_encoding_message_size(usize::MAX);
        let mut until_stop = stopped.clone();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(
                    ReceiverStream::new(crate::tls::incoming(
                        listener,
                        identity.acceptor.clone(),
                        stopped.clone(),
                    )),
                    async move {
                        let _ = until_stop.wait_for(|s| *s).await;
                    },
                ),
        );
        let scheduler = tokio::spawn(schedule(core.clone(), stopped));
        Ok(MiniBroker {
            certificate_pem: identity.certificate_pem,
            core,
            addr,
            stop,
            server: Some(server),
            scheduler: Some(scheduler),
        })
    }
}

const RENEW_SCAN: Duration = Duration::from_secs(1);

/// Fires deadlines on the wall clock. Under a virtual clock it only wakes when told, since
/// `advance` fires deadlines itself.
async fn schedule(core: Arc<Core>, mut stopped: watch::Receiver<bool>) {
    loop {
        core.renew_leases();
        let next = core.tick();
        // Renewals are looked for every second, like the proxy's 5 s scan but finer.
        let sleep = match next {
            Some(at) if !core.clock.is_virtual() => {
                let wait = u64::try_from(at - core.now()).unwrap_or(0);
                Duration::from_millis(wait).min(RENEW_SCAN)
            }
            _ if !core.clock.is_virtual() => RENEW_SCAN,
            _ => Duration::from_secs(3600),
        };
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = core.scheduler.notified() => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
    }
}

/// A running in-process broker. Dropping it stops it.
pub struct MiniBroker {
    certificate_pem: String,
    core: Arc<Core>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
    scheduler: Option<JoinHandle<()>>,
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
        self.core.mutate(|engine, _, journaling| {
            let ops = if journaling {
                vec![Op::DeclareTopic((&topic).into())]
            } else {
                Vec::new()
            };
            engine.declare_topic(topic);
            ((), ops)
        });
    }

    /// Declares (or redeclares) a consumer group.
    pub fn create_group(&self, group: GroupConfig) {
        self.core.mutate(|engine, _, journaling| {
            let ops = if journaling {
                vec![Op::DeclareGroup((&group).into())]
            } else {
                Vec::new()
            };
            engine.declare_group(group);
            ((), ops)
        });
    }

    /// Every message stored in a topic's queues, queue by queue (scheduled messages appear
    /// once due, half messages once committed).
    pub fn messages(&self, topic: &str) -> Vec<StoredMessage> {
        self.core
            .with_engine(|e, _| e.messages(topic))
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
            .with_engine(|e, _| e.messages(topic))
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
            .with_engine(|e, _| e.in_flight(group, topic))
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
        self.core.with_engine(|e, _| e.pending_timers())
    }

    /// Half (prepared) transactional messages awaiting a decision.
    pub fn half_messages(&self) -> Vec<StoredMessage> {
        self.core
            .with_engine(|e, _| e.half_messages())
            .into_iter()
            .map(|h| h.message)
            .collect()
    }

    /// The first offset of `topic`'s queue that `group` has not acked (everything below it
    /// is consumed), or `None` if the group never consumed that queue.
    pub fn committed_offset(&self, group: &str, topic: &str, queue: usize) -> Option<i64> {
        self.core
            .with_engine(|e, _| e.committed(group, topic, queue))
    }

    /// Clients with an open Telemetry stream.
    pub fn connected_clients(&self) -> usize {
        self.core.sessions.connected()
    }

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

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.core.faults.clear();
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
        self.core.close_journal();
    }
}

impl Drop for MiniBroker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
