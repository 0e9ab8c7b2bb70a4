//! `Producer`: a cheap `Clone` handle that sends messages with the reference client's queue
//! selection, type and size checks, and retries with the server's backoff.

use crate::client_id;
use crate::config::{ClientConfig, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::linger::{BatchFuture, Linger, LingerConfig, SendBatch};
use crate::message::Message;
use crate::message_id;
use crate::metrics::ProducerMetrics;
use crate::route::{self, Queue, Route};
use crate::session::{CommandHandler, Replies, Session};
use crate::transaction::{self, Transaction, TransactionChecker};
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::v2::{
    self, ClientType, HeartbeatRequest, MessageType, NotifyClientTerminationRequest, Publishing,
    RecallMessageRequest, Resource, SendMessageRequest, Settings, TelemetryCommand, retry_policy,
    settings, telemetry_command,
};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;

const OP: &str = "send";

/// What a successful send returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReceipt {
    /// The message id (client-generated).
    pub message_id: String,
    /// Transaction id of a transactional message; empty otherwise.
    pub transaction_id: String,
    /// Queue offset the server reported.
    pub offset: i64,
    /// Handle to recall a scheduled message with; empty for other messages.
    pub recall_handle: String,
    /// Queue id the message was sent to.
    pub queue_id: i32,
    /// Topic it was sent to.
    pub topic: String,
    /// Broker endpoint that took it.
    pub endpoint: Endpoint,
}

/// Settings the server controls, with the reference client's values until it answers.
#[derive(Clone, Debug)]
struct Policy {
    max_body_size: usize,
    validate_message_type: bool,
    initial_backoff: Duration,
    max_backoff: Duration,
    multiplier: f32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_body_size: rmq_proto::limits::MAX_BODY_SIZE,
            validate_message_type: true,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(1),
            multiplier: 2.0,
        }
    }
}

impl Policy {
    fn apply(&mut self, settings: &Settings) {
        if let Some(settings::PubSub::Publishing(p)) = &settings.pub_sub {
            if let Ok(size) = usize::try_from(p.max_body_size)
                && size > 0
            {
                self.max_body_size = size;
            }
            self.validate_message_type = p.validate_message_type;
        }
        if let Some(retry_policy::Strategy::ExponentialBackoff(e)) = settings
            .backoff_policy
            .as_ref()
            .and_then(|p| p.strategy.as_ref())
        {
            let duration = |d: &Option<prost_types::Duration>, default: Duration| {
                d.as_ref()
                    .and_then(|d| {
                        Some(
                            Duration::from_secs(u64::try_from(d.seconds).ok()?)
                                + Duration::from_nanos(u64::try_from(d.nanos).ok()?),
                        )
                    })
                    .unwrap_or(default)
            };
            self.initial_backoff = duration(&e.initial, self.initial_backoff);
            self.max_backoff = duration(&e.max, self.max_backoff);
            if e.multiplier.is_finite() && e.multiplier >= 1.0 {
                self.multiplier = e.multiplier;
            }
        }
    }

    /// Delay before attempt `n` (2-based for the first retry) after a throttled attempt.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let delay = self.initial_backoff.as_secs_f64() * f64::from(self.multiplier).powi(exponent);
        Duration::from_secs_f64(delay.min(self.max_backoff.as_secs_f64()).max(0.0))
    }
}

struct Inner {
    transport: Transport,
    client_id: String,
    born_host: String,
    max_attempts: u32,
    topics: Mutex<Vec<String>>,
    routes: Mutex<HashMap<String, Arc<Route>>>,
    sessions: Mutex<HashMap<Endpoint, Arc<Session>>>,
    policy: Mutex<Policy>,
    next_queue: AtomicUsize,
    /// Brokers whose last attempt failed for a reason of theirs; tried last until a send or
    /// a heartbeat to them succeeds.
    isolated: Mutex<HashSet<Endpoint>>,
    closed: AtomicBool,
    checker: Option<Arc<dyn TransactionChecker>>,
    stop: tokio::sync::watch::Sender<bool>,
    linger: Option<Linger>,
    metrics: ProducerMetrics,
}

/// Default period of route refreshes, as the reference client.
pub const DEFAULT_ROUTE_REFRESH: Duration = Duration::from_secs(30);
/// Period of heartbeats, as the reference client; they keep the producer registered so
/// transaction checks can reach it.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

/// Builder of [`Producer`].
pub struct ProducerBuilder {
    config: ClientConfig,
    topics: Vec<String>,
    max_attempts: u32,
    checker: Option<Arc<dyn TransactionChecker>>,
    route_refresh: Duration,
    linger: Option<LingerConfig>,
}

impl ProducerBuilder {
    /// Topics to prepare at start; start fails clearly if one does not exist. Others are
    /// prepared on first send.
    pub fn topics<I: IntoIterator<Item = S>, S: Into<String>>(mut self, topics: I) -> Self {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Attempts per send, the first included. Default 3, as the reference client.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Answers the broker's checks of undecided transactions. Needed for transactions.
    pub fn transaction_checker(mut self, checker: impl TransactionChecker) -> Self {
        self.checker = Some(Arc::new(checker));
        self
    }

    /// How often cached routes are fetched again. Default 30 s.
    pub fn route_refresh_interval(mut self, every: Duration) -> Self {
        self.route_refresh = every.max(Duration::from_millis(10));
        self
    }

    /// Turns on linger mode: `send` of a normal message (no message group, delivery time or
    /// transaction) waits up to `config.linger` for other sends to the same topic and goes out
    /// with them in one request. Each send still gets its own receipt or error; a failed
    /// batch is retried as a whole and its error reaches every send in it. Off by default:
    /// every send is its own request.
    pub fn linger(mut self, config: LingerConfig) -> Self {
        self.linger = Some(LingerConfig {
            max_messages: config.max_messages.max(1),
            max_bytes: config.max_bytes.max(1),
            ..config
        });
        self
    }

    /// Starts the producer on the current tokio runtime.
    pub async fn start(self) -> Result<Producer> {
        let client_id = client_id::next();
        let transport = Transport::new(self.config, &client_id)?;
        let linger = self.linger;
        let metrics = ProducerMetrics::new(&client_id);
        let producer = Producer {
            inner: Arc::new_cyclic(|weak| Inner {
                transport,
                client_id,
                born_host: gethostname::gethostname().to_string_lossy().into_owned(),
                max_attempts: self.max_attempts,
                topics: Mutex::new(self.topics.clone()),
                routes: Mutex::new(HashMap::new()),
                sessions: Mutex::new(HashMap::new()),
                policy: Mutex::new(Policy::default()),
                next_queue: AtomicUsize::new(rand::random::<u32>() as usize),
                isolated: Mutex::new(HashSet::new()),
                closed: AtomicBool::new(false),
                checker: self.checker,
                stop: tokio::sync::watch::channel(false).0,
                linger: linger.map(|config| Linger::start(config, batch_sender(weak.clone()))),
                metrics,
            }),
        };
        for topic in &self.topics {
            producer.route(topic).await?;
        }
        tokio::spawn(upkeep(
            Arc::downgrade(&producer.inner),
            producer.inner.stop.subscribe(),
            self.route_refresh,
        ));
        Ok(producer)
    }
}

/// Sends messages. Clone it freely: clones share one client.
#[derive(Clone)]
pub struct Producer {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Producer {
    /// A builder over `config`.
    pub fn builder(config: ClientConfig) -> ProducerBuilder {
        ProducerBuilder {
            config,
            topics: Vec::new(),
            max_attempts: 3,
            checker: None,
            route_refresh: DEFAULT_ROUTE_REFRESH,
            linger: None,
        }
    }

    /// This client's id (`x-mq-client-id`).
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    fn settings(&self) -> Settings {
        let inner = &self.inner;
        let config = inner.transport.config();
        let topics = lock(&inner.topics)
            .iter()
            .map(|t| Resource {
                resource_namespace: config.namespace().to_owned(),
                name: t.clone(),
            })
            .collect();
        Settings {
            client_type: Some(ClientType::Producer as i32),
            access_point: Some(config.access_point()),
            backoff_policy: Some(v2::RetryPolicy {
                max_attempts: i32::try_from(inner.max_attempts).unwrap_or(i32::MAX),
                strategy: Some(retry_policy::Strategy::ExponentialBackoff(
                    v2::ExponentialBackoff {
                        initial: Some(prost_types::Duration::default()),
                        max: Some(prost_types::Duration::default()),
                        multiplier: 1.0,
                    },
                )),
            }),
            request_timeout: prost_types::Duration::try_from(config.request_timeout()).ok(),
            pub_sub: Some(settings::PubSub::Publishing(Publishing {
                topics,
                max_body_size: 0,
                validate_message_type: true,
            })),
            user_agent: Some(crate::session::user_agent()),
            metric: None,
            client_properties: HashMap::new(),
        }
    }

    /// The route of `topic`, fetched (and its brokers' sessions opened) on first use.
    async fn route(&self, topic: &str) -> Result<Arc<Route>> {
        if let Some(route) = lock(&self.inner.routes).get(topic) {
            return Ok(route.clone());
        }
        self.fetch_route(topic).await
    }

    /// Fetches `topic`'s route, opens sessions to new brokers, and caches it.
    async fn fetch_route(&self, topic: &str) -> Result<Arc<Route>> {
        let route = Arc::new(route::query(&self.inner.transport, topic).await?);
        let known = {
            let mut topics = lock(&self.inner.topics);
            let known = topics.iter().any(|t| t == topic);
            if !known {
                topics.push(topic.to_owned());
            }
            known
        };
        let settings = self.settings();
        let wait = Duration::from_secs(3) + self.inner.transport.config().request_timeout();
        for endpoint in route.endpoints() {
            let existing = lock(&self.inner.sessions).get(&endpoint).cloned();
            match existing {
                Some(session) => {
                    if !known {
                        session.update(settings.clone());
                    }
                }
                None => {
                    let session = Session::open(
                        self.inner.transport.clone(),
                        endpoint.clone(),
                        settings.clone(),
                        self.command_handler(),
                        wait,
                    )
                    .await?;
                    if let Some(server) = session.server_settings() {
                        lock(&self.inner.policy).apply(&server);
                    }
                    lock(&self.inner.sessions).insert(endpoint, Arc::new(session));
                }
            }
        }
        lock(&self.inner.routes).insert(topic.to_owned(), route.clone());
        Ok(route)
    }

    /// Orphaned-transaction checks go to the checker; without one they are ignored (and
    /// the broker eventually discards the half message).
    fn command_handler(&self) -> Option<CommandHandler> {
        let checker = self.inner.checker.clone()?;
        let transport = self.inner.transport.clone();
        Some(Arc::new(
            move |endpoint: &Endpoint, command: &TelemetryCommand, _: &Replies| {
                let Some(telemetry_command::Command::RecoverOrphanedTransactionCommand(check)) =
                    &command.command
                else {
                    return false;
                };
                transaction::answer_check(
                    transport.clone(),
                    checker.clone(),
                    endpoint.clone(),
                    check.clone(),
                );
                true
            },
        ))
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.transport
    }

    /// Starts a transaction. Needs a [`TransactionChecker`], so a crashed producer's
    /// transactions can still be resolved.
    pub fn begin_transaction(&self) -> Result<Transaction> {
        if self.inner.checker.is_none() {
            return Err(Error::invalid(
                "transaction",
                "transactions need a transaction checker (ProducerBuilder::transaction_checker)",
            ));
        }
        Ok(Transaction::new(self.clone()))
    }

    pub(crate) async fn send_in_transaction(&self, message: &Message) -> Result<SendReceipt> {
        let one = std::slice::from_ref(message);
        let sent = self
            .timed(message.topic(), self.send_messages(one, true))
            .instrument(send_span(one, true))
            .await;
        first(sent?)
    }

    /// Runs a send, recording `rocketmq_send_cost_time`.
    async fn timed<T>(&self, topic: &str, send: impl Future<Output = Result<T>>) -> Result<T> {
        let started = std::time::Instant::now();
        let result = send.await;
        self.inner
            .metrics
            .sent(topic, started.elapsed(), result.is_ok());
        result
    }

    /// Sends one message, retrying transient failures on other queues.
    pub async fn send(&self, message: &Message) -> Result<SendReceipt> {
        let one = std::slice::from_ref(message);
        let span = send_span(one, false);
        if let Some(linger) = &self.inner.linger
            && message.message_type(false)? == MessageType::Normal
        {
            self.check_open()?;
            self.check_size(one)?;
            span.record("lingered", true);
            return self
                .timed(message.topic(), linger.send(message.clone()))
                .instrument(span)
                .await;
        }
        let sent = self
            .timed(message.topic(), self.send_messages(one, false))
            .instrument(span)
            .await;
        first(sent?)
    }

    /// Sends several messages in one request. They must share a topic and a type (and FIFO
    /// messages a message group); the receipts come back in order.
    pub async fn send_batch(&self, messages: &[Message]) -> Result<Vec<SendReceipt>> {
        let topic = messages.first().map_or("", |m| m.topic());
        self.timed(topic, self.send_messages(messages, false))
            .instrument(send_span(messages, false))
            .await
    }

    fn check_open(&self) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, OP, "producer is shut down"));
        }
        Ok(())
    }

    fn check_size(&self, messages: &[Message]) -> Result<()> {
        let limit = lock(&self.inner.policy).max_body_size;
        match messages.iter().find(|m| m.body().len() > limit) {
            Some(big) => Err(Error::new(
                ErrorKind::PayloadTooLarge,
                OP,
                format!(
                    "body of {} bytes exceeds the limit of {limit} bytes",
                    big.body().len(),
                ),
            )),
            None => Ok(()),
        }
    }

    async fn send_messages(
        &self,
        messages: &[Message],
        transactional: bool,
    ) -> Result<Vec<SendReceipt>> {
        self.check_open()?;
        self.deliver(messages, transactional).await
    }

    /// Checks and sends a batch, with retries; does not look at `closed`, so lingered
    /// batches still leave during shutdown.
    async fn deliver(&self, messages: &[Message], transactional: bool) -> Result<Vec<SendReceipt>> {
        let Some(head) = messages.first() else {
            return Err(Error::invalid(OP, "nothing to send"));
        };
        let kind = head.message_type(transactional)?;
        for message in &messages[1..] {
            if message.topic() != head.topic() {
                return Err(Error::invalid(OP, "a batch must share one topic"));
            }
            if message.message_type(transactional)? != kind {
                return Err(Error::invalid(OP, "a batch must share one message type"));
            }
            if message.message_group() != head.message_group() {
                return Err(Error::invalid(
                    OP,
                    "a FIFO batch must share one message group",
                ));
            }
        }
        self.check_size(messages)?;
        let policy = lock(&self.inner.policy).clone();
        let route = self.route(head.topic()).await?;
        let candidates = self.candidates(&route, head.message_group())?;
        if policy.validate_message_type && !candidates[0].accepts(kind) {
            return Err(Error::invalid(
                OP,
                format!(
                    "topic {} does not accept {} messages",
                    head.topic(),
                    kind.as_str_name()
                ),
            ));
        }
        // Ids are fixed before the first attempt, so retries resend the same messages.
        let ids: Vec<String> = messages.iter().map(|_| message_id::next()).collect();
        let mut attempt = 1;
        loop {
            let queue = &candidates[(attempt as usize - 1) % candidates.len()];
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            let outcome = self.send_once(messages, &ids, kind, queue).await;
            match &outcome {
                Err(error) if isolates(error) => {
                    if lock(&self.inner.isolated).insert(queue.endpoint.clone()) {
                        tracing::info!(endpoint = %queue.endpoint, %error, "endpoint isolated");
                    }
                }
                Ok(_) => {
                    lock(&self.inner.isolated).remove(&queue.endpoint);
                }
                Err(_) => {}
            }
            match outcome {
                Ok(receipts) => {
                    if let Some(receipt) = receipts.first() {
                        span.record("message_id", receipt.message_id.as_str());
                    }
                    return Ok(receipts);
                }
                Err(error) if attempt >= self.inner.max_attempts || !retriable(&error) => {
                    span.record("error", tracing::field::display(&error));
                    return Err(error);
                }
                Err(error) => {
                    if error.kind() == ErrorKind::TooManyRequests {
                        tokio::time::sleep(policy.backoff(attempt + 1)).await;
                    }
                    tracing::debug!(attempt, %error, "send attempt failed; retrying");
                    attempt += 1;
                }
            }
        }
    }

    /// Cancels a scheduled message before it is delivered, with the handle its send returned.
    /// Returns the message id.
    pub async fn recall(&self, topic: &str, recall_handle: &str) -> Result<String> {
        const OP: &str = "recall";
        if recall_handle.trim().is_empty() {
            return Err(Error::invalid(OP, "the recall handle is empty"));
        }
        let transport = &self.inner.transport;
        let config = transport.config();
        let endpoint = config
            .endpoints()
            .first()
            .cloned()
            .ok_or_else(|| Error::invalid(OP, "no endpoint"))?;
        let request = RecallMessageRequest {
            topic: Some(Resource {
                resource_namespace: config.namespace().to_owned(),
                name: topic.to_owned(),
            }),
            recall_handle: recall_handle.to_owned(),
        };
        let response = transport
            .stub(&endpoint)?
            .recall_message(transport.request(request, None))
            .await
            .map_err(|s| Error::from_grpc(OP, s))?
            .into_inner();
        Error::check(OP, response.status)?;
        Ok(response.message_id)
    }

    fn candidates<'a>(&self, route: &'a Route, group: Option<&str>) -> Result<Vec<&'a Queue>> {
        let start = self.inner.next_queue.fetch_add(1, Ordering::Relaxed);
        candidates(route, group, start, &lock(&self.inner.isolated))
    }

    async fn send_once(
        &self,
        messages: &[Message],
        ids: &[String],
        kind: MessageType,
        queue: &Queue,
    ) -> Result<Vec<SendReceipt>> {
        let transport = &self.inner.transport;
        let wire = messages
            .iter()
            .zip(ids)
            .map(|(message, id)| {
                let mut wire = message.to_proto(
                    transport.config().namespace(),
                    id,
                    &self.inner.born_host,
                    kind,
                );
                if let Some(sys) = wire.system_properties.as_mut() {
                    sys.queue_id = queue.queue.id;
                }
                wire
            })
            .collect();
        let request = transport.request(SendMessageRequest { messages: wire }, None);
        let response = transport
            .stub(&queue.endpoint)?
            .send_message(request)
            .await
            .map_err(|s| Error::from_grpc(OP, s))?
            .into_inner();
        // A failed entry fails the send; so does a count that does not match.
        if let Some(bad) = response
            .entries
            .iter()
            .filter_map(|e| e.status.as_ref())
            .chain(response.status.as_ref())
            .find(|s| s.code != Code::Ok as i32 && s.code != Code::MultipleResults as i32)
        {
            return Err(Error::from_status(OP, bad.code, bad.message.clone()));
        }
        // Apache's proxy in local mode answers a batch with one entry for the whole batch
        // (whose id is the batch's): the batch is stored, so every message gets a receipt
        // under its own id, with the offset and transaction id the entry gives.
        if response.entries.len() == 1 && messages.len() > 1 {
            let entry = &response.entries[0];
            return Ok(messages
                .iter()
                .zip(ids)
                .map(|(message, id)| SendReceipt {
                    message_id: id.clone(),
                    transaction_id: entry.transaction_id.clone(),
                    offset: entry.offset,
                    recall_handle: entry.recall_handle.clone(),
                    queue_id: queue.queue.id,
                    topic: message.topic().to_owned(),
                    endpoint: queue.endpoint.clone(),
                })
                .collect());
        }
        if response.entries.len() != messages.len() {
            return Err(Error::new(
                ErrorKind::Unexpected,
                OP,
                format!(
                    "the server returned {} results for {} messages",
                    response.entries.len(),
                    messages.len()
                ),
            ));
        }
        Ok(response
            .entries
            .into_iter()
            .zip(messages)
            .map(|(entry, message)| SendReceipt {
                message_id: entry.message_id,
                transaction_id: entry.transaction_id,
                offset: entry.offset,
                recall_handle: entry.recall_handle,
                queue_id: queue.queue.id,
                topic: message.topic().to_owned(),
                endpoint: queue.endpoint.clone(),
            })
            .collect())
    }

    /// Tells the brokers this client is leaving and closes its sessions. Sends fail with
    /// [`ErrorKind::Closed`] afterwards.
    pub async fn shutdown(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let _ = self.inner.stop.send(true);
        if let Some(linger) = &self.inner.linger {
            linger.flush().await;
        }
        let sessions: Vec<(Endpoint, Arc<Session>)> = lock(&self.inner.sessions).drain().collect();
        for (endpoint, session) in sessions {
            if let Ok(mut stub) = self.inner.transport.stub(&endpoint) {
                let request = self
                    .inner
                    .transport
                    .request(NotifyClientTerminationRequest { group: None }, None);
                let _ = stub.notify_client_termination(request).await;
            }
            session.close();
        }
    }
}

/// Refreshes routes and sends heartbeats until shutdown (or until every handle is dropped).
async fn upkeep(
    inner: std::sync::Weak<Inner>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    refresh: Duration,
) {
    let mut next_refresh = tokio::time::Instant::now() + refresh;
    let mut next_heartbeat = tokio::time::Instant::now() + HEARTBEAT_EVERY;
    loop {
        let wake = next_refresh.min(next_heartbeat);
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep_until(wake) => {}
        }
        let Some(inner) = inner.upgrade() else { return };
        let producer = Producer { inner };
        let now = tokio::time::Instant::now();
        if now >= next_refresh {
            let topics: Vec<String> = lock(&producer.inner.routes).keys().cloned().collect();
            for topic in topics {
                if let Err(error) = producer.fetch_route(&topic).await {
                    tracing::debug!(%topic, %error, "route refresh failed; keeping the old route");
                }
            }
            next_refresh = now + refresh;
        }
        if now >= next_heartbeat {
            let mut endpoints: Vec<Endpoint> =
                lock(&producer.inner.sessions).keys().cloned().collect();
            for isolated in lock(&producer.inner.isolated).iter() {
                if !endpoints.contains(isolated) {
                    endpoints.push(isolated.clone());
                }
            }
            for endpoint in endpoints {
                let transport = &producer.inner.transport;
                let request = HeartbeatRequest {
                    group: None,
                    client_type: ClientType::Producer as i32,
                };
                let Ok(mut stub) = transport.stub(&endpoint) else {
                    continue;
                };
                let healthy = stub
                    .heartbeat(transport.request(request, None))
                    .await
                    .is_ok_and(|r| {
                        r.get_ref()
                            .status
                            .as_ref()
                            .is_some_and(|s| s.code == Code::Ok as i32)
                    });
                // A broker that answers again leaves isolation.
                if healthy && lock(&producer.inner.isolated).remove(&endpoint) {
                    tracing::info!(%endpoint, "endpoint back from isolation");
                }
            }
            next_heartbeat = now + HEARTBEAT_EVERY;
        }
    }
}

/// The span of one send call: topic, message count, whether it is transactional; the send
/// fills in the first message id, the attempts made, whether it lingered, and any error.
fn send_span(messages: &[Message], transactional: bool) -> tracing::Span {
    tracing::info_span!(
        "rmq.send",
        topic = messages.first().map_or("", |m| m.topic()),
        messages = messages.len(),
        transactional,
        message_id = tracing::field::Empty,
        attempts = tracing::field::Empty,
        lingered = tracing::field::Empty,
        error = tracing::field::Empty,
    )
}

/// Queues to try, in order: the group's queue for FIFO messages (every attempt), else one
/// queue per broker, round robin from `start`, with isolated brokers (recently failing) last.
fn candidates<'a>(
    route: &'a Route,
    group: Option<&str>,
    start: usize,
    isolated: &HashSet<Endpoint>,
) -> Result<Vec<&'a Queue>> {
    let queues = &route.writable;
    if queues.is_empty() {
        return Err(Error::new(
            ErrorKind::Forbidden,
            OP,
            "the topic has no writable queue",
        ));
    }
    if let Some(group) = group {
        // Guava's sipHash24 (keys 00..0f) read as a signed long, floor-mod the queue count:
        // the reference client's choice, so all SDKs pick the same queue. Isolation does not
        // apply: a message group has exactly one queue.
        let hash = siphasher::sip::SipHasher24::new_with_keys(
            0x0706_0504_0302_0100,
            0x0f0e_0d0c_0b0a_0908,
        )
        .hash(group.as_bytes()) as i64;
        let index = hash.rem_euclid(queues.len() as i64) as usize;
        return Ok(vec![&queues[index]]);
    }
    let mut picked: Vec<&Queue> = Vec::new();
    for step in 0..queues.len() {
        let queue = &queues[(start + step) % queues.len()];
        let broker = queue.queue.broker.as_ref().map(|b| b.name.as_str());
        if !picked
            .iter()
            .any(|p| p.queue.broker.as_ref().map(|b| b.name.as_str()) == broker)
        {
            picked.push(queue);
        }
    }
    // Healthy brokers first; isolated ones stay as a last resort.
    picked.sort_by_key(|q| isolated.contains(&q.endpoint));
    Ok(picked)
}

/// Whether a failed attempt says something about the broker it went to (rather than about
/// the request or the load).
fn isolates(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Network
            | ErrorKind::Timeout
            | ErrorKind::InternalServer
            | ErrorKind::ProxyTimeout
    )
}

/// What linger mode sends a gathered batch with.
fn batch_sender(inner: std::sync::Weak<Inner>) -> SendBatch {
    Arc::new(move |messages: Vec<Message>| {
        let inner = inner.clone();
        Box::pin(async move {
            let inner = inner
                .upgrade()
                .ok_or_else(|| Error::new(ErrorKind::Closed, OP, "producer is shut down"))?;
            let span = send_span(&messages, false);
            span.record("lingered", true);
            Producer { inner }
                .deliver(&messages, false)
                .instrument(span)
                .await
        }) as BatchFuture
    })
}

fn first(mut receipts: Vec<SendReceipt>) -> Result<SendReceipt> {
    receipts.drain(..).next().ok_or_else(|| {
        Error::new(
            ErrorKind::Unexpected,
            OP,
            "the server returned no send result",
        )
    })
}

/// Failures worth another attempt: the network, timeouts, throttling and server faults.
/// Requests the server refused as invalid fail at once.
fn retriable(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Network
            | ErrorKind::Timeout
            | ErrorKind::TooManyRequests
            | ErrorKind::InternalServer
            | ErrorKind::ProxyTimeout
            | ErrorKind::Unexpected
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let policy = Policy::default();
        assert_eq!(policy.backoff(2), Duration::from_millis(20));
        assert_eq!(policy.backoff(3), Duration::from_millis(40));
        assert_eq!(policy.backoff(30), Duration::from_secs(1));
    }

    fn two_broker_route() -> Route {
        let queue = |broker: &str, port: u16, id: i32| Queue {
            queue: v2::MessageQueue {
                id,
                broker: Some(v2::Broker {
                    name: broker.into(),
                    id: 0,
                    endpoints: None,
                }),
                ..Default::default()
            },
            endpoint: Endpoint {
                host: "127.0.0.1".into(),
                port,
            },
        };
        Route {
            writable: vec![queue("a", 1, 0), queue("b", 2, 0), queue("a", 1, 1)],
            readable: Vec::new(),
        }
    }

    #[test]
    fn isolated_brokers_are_tried_last_and_fifo_ignores_isolation() {
        let route = two_broker_route();
        let none = HashSet::new();
        let order = |start, isolated: &HashSet<Endpoint>| -> Vec<u16> {
            candidates(&route, None, start, isolated)
                .expect("queues")
                .iter()
                .map(|q| q.endpoint.port)
                .collect()
        };
        assert_eq!(order(0, &none), [1, 2], "one queue per broker, round robin");
        assert_eq!(order(1, &none), [2, 1]);
        let isolated: HashSet<Endpoint> = [Endpoint {
            host: "127.0.0.1".into(),
            port: 1,
        }]
        .into();
        assert_eq!(order(0, &isolated), [2, 1], "the isolated broker goes last");
        assert_eq!(order(1, &isolated), [2, 1]);
        let fifo = candidates(&route, Some("g"), 0, &isolated).expect("queue");
        assert_eq!(fifo.len(), 1, "a message group keeps its one queue");
    }

    #[test]
    fn fifo_queue_matches_guava_siphash() {
        let hash = siphasher::sip::SipHasher24::new_with_keys(
            0x0706_0504_0302_0100,
            0x0f0e_0d0c_0b0a_0908,
        )
        .hash(b"") as i64;
        // The empty-input vector of the SipHash-2-4 reference implementation (keys 00..0f).
        assert_eq!(hash as u64, 0x726f_db47_dd0e_0e31);
    }
}
