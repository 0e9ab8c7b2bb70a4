//! `PushConsumer`: messages are received in the background and handed to a listener.
//!
//! Every 5 s the consumer asks for its assignments and runs one receive loop per assigned
//! queue (auto-renewed invisibility, a new attempt id after each non-empty answer). Listeners
//! run on tokio's blocking pool, never on runtime workers; a panic counts as a failure. In
//! concurrent mode a success is acked and a failure made visible again after the server's
//! backoff; in FIFO mode (the group's `fifo` flag from the server) a queue's batch is consumed
//! in order, failures are retried locally, and a message out of attempts is forwarded to the
//! dead-letter queue.

use crate::ack::Acker;
use crate::client_id;
use crate::config::{ClientConfig, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::message_view::{FilterExpression, MessageView};
use crate::metrics::ConsumerMetrics;
use crate::route;
use crate::session::{CommandHandler, Replies, Session};
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::v2::{
    ChangeInvisibleDurationRequest, ClientType, ForwardMessageToDeadLetterQueueRequest,
    HeartbeatRequest, MessageQueue, NotifyClientTerminationRequest, QueryAssignmentRequest,
    ReceiveMessageRequest, Resource, Settings, Status, Subscription, TelemetryCommand,
    VerifyMessageResult, retry_policy, settings, telemetry_command,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};
use tracing::Instrument;

/// What a listener decided about a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumeResult {
    /// Consumed: acknowledge it.
    Success,
    /// Not consumed: deliver it again later.
    Failure,
}

/// Consumes one message. Called on a blocking thread; may block.
pub trait MessageListener: Send + Sync + 'static {
    /// Handles `message`.
    fn consume(&self, message: &MessageView) -> ConsumeResult;
}

impl<F> MessageListener for F
where
    F: Fn(&MessageView) -> ConsumeResult + Send + Sync + 'static,
{
    fn consume(&self, message: &MessageView) -> ConsumeResult {
        self(message)
    }
}

/// Messages cached by the whole client before receiving pauses (reference default).
pub const DEFAULT_MAX_CACHE_MESSAGES: usize = 4096;
/// Body bytes cached by the whole client before receiving pauses (reference default).
pub const DEFAULT_MAX_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Listener calls running at once (reference default).
pub const DEFAULT_CONSUMPTION_THREADS: usize = 20;

/// Period of assignment scans unless set, as the reference client.
pub const DEFAULT_ASSIGNMENT_SCAN: Duration = Duration::from_secs(5);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// The server's view of this group.
#[derive(Clone, Debug)]
struct GroupPolicy {
    fifo: bool,
    batch: i32,
    long_polling: Duration,
    max_attempts: i32,
    backoff: Backoff,
}

#[derive(Clone, Debug)]
enum Backoff {
    Customized(Vec<Duration>),
    Exponential {
        initial: Duration,
        max: Duration,
        multiplier: f32,
    },
}

impl Backoff {
    /// Delay before the next attempt after attempt `attempt` (1-based) failed.
    fn delay(&self, attempt: i32) -> Duration {
        let attempt = attempt.max(1);
        match self {
            Backoff::Customized(steps) if !steps.is_empty() => {
                let index = usize::try_from(attempt).unwrap_or(1).min(steps.len()) - 1;
                steps[index]
            }
            Backoff::Customized(_) => RETRY_EVERY,
            Backoff::Exponential {
                initial,
                max,
                multiplier,
            } => {
                let secs = initial.as_secs_f64() * f64::from(*multiplier).powi(attempt - 1);
                Duration::from_secs_f64(secs.min(max.as_secs_f64()).max(0.0))
            }
        }
    }
}

fn duration(d: &prost_types::Duration) -> Duration {
    Duration::from_secs(u64::try_from(d.seconds).unwrap_or(0))
        + Duration::from_nanos(u64::try_from(d.nanos).unwrap_or(0))
}

impl GroupPolicy {
    fn from_settings(settings: &Settings) -> GroupPolicy {
        let sub = match &settings.pub_sub {
            Some(settings::PubSub::Subscription(s)) => Some(s),
            _ => None,
        };
        let backoff = match settings
            .backoff_policy
            .as_ref()
            .and_then(|p| p.strategy.as_ref())
        {
            Some(retry_policy::Strategy::CustomizedBackoff(c)) => {
                Backoff::Customized(c.next.iter().map(duration).collect())
            }
            Some(retry_policy::Strategy::ExponentialBackoff(e)) => Backoff::Exponential {
                initial: e.initial.as_ref().map_or(RETRY_EVERY, duration),
                max: e.max.as_ref().map_or(RETRY_EVERY, duration),
                multiplier: if e.multiplier.is_finite() {
                    e.multiplier
                } else {
                    2.0
                },
            },
            None => Backoff::Customized(vec![RETRY_EVERY]),
        };
        GroupPolicy {
            fifo: sub.and_then(|s| s.fifo).unwrap_or(false),
            batch: sub
                .and_then(|s| s.receive_batch_size)
                .filter(|b| *b > 0)
                .unwrap_or(32),
            long_polling: sub
                .and_then(|s| s.long_polling_timeout.as_ref())
                .map_or(Duration::from_secs(30), duration),
            max_attempts: settings
                .backoff_policy
                .as_ref()
                .map_or(17, |p| p.max_attempts)
                .max(1),
            backoff,
        }
    }
}

struct Inner {
    transport: Transport,
    client_id: String,
    group: String,
    subscriptions: Vec<(String, FilterExpression)>,
    sessions: Mutex<HashMap<Endpoint, Session>>,
    listener: Arc<dyn MessageListener>,
    policy: GroupPolicy,
    max_cache_messages: usize,
    max_cache_bytes: usize,
    workers: Arc<Semaphore>,
    consumption_threads: usize,
    scan_every: Duration,
    cached_messages: AtomicUsize,
    cached_bytes: AtomicUsize,
    queues: AtomicUsize,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Coalesces the acks of messages consumed at about the same time.
    acker: Acker,
    metrics: ConsumerMetrics,
}

/// Builder of [`PushConsumer`].
pub struct PushConsumerBuilder {
    config: ClientConfig,
    group: String,
    subscriptions: Vec<(String, FilterExpression)>,
    listener: Option<Arc<dyn MessageListener>>,
    max_cache_messages: usize,
    max_cache_bytes: usize,
    consumption_threads: usize,
    scan_every: Duration,
}

impl PushConsumerBuilder {
    /// How often the consumer asks for its assignment: queues that join are received from,
    /// queues that leave stop being received from, new brokers get a session. Default 5 s.
    pub fn assignment_scan_interval(mut self, every: Duration) -> Self {
        self.scan_every = every.max(Duration::from_millis(10));
        self
    }

    /// Subscribes to `topic` with `filter` (repeat for more topics).
    pub fn subscribe(mut self, topic: impl Into<String>, filter: FilterExpression) -> Self {
        self.subscriptions.push((topic.into(), filter));
        self
    }

    /// The listener every message goes to. Required.
    pub fn listener(mut self, listener: impl MessageListener) -> Self {
        self.listener = Some(Arc::new(listener));
        self
    }

    /// Messages cached (received, not yet settled) before receiving pauses. Default 4096.
    pub fn max_cache_messages(mut self, n: usize) -> Self {
        self.max_cache_messages = n.max(1);
        self
    }

    /// Body bytes cached before receiving pauses. Default 64 MiB.
    pub fn max_cache_bytes(mut self, n: usize) -> Self {
        self.max_cache_bytes = n.max(1);
        self
    }

    /// Listener calls at once. Default 20.
    pub fn consumption_threads(mut self, n: usize) -> Self {
        self.consumption_threads = n.max(1);
        self
    }

    /// Starts consuming on the current tokio runtime.
    pub async fn start(self) -> Result<PushConsumer> {
        const OP: &str = "start";
        let listener = self
            .listener
            .ok_or_else(|| Error::invalid(OP, "a push consumer needs a listener"))?;
        if self.group.trim().is_empty() {
            return Err(Error::invalid(OP, "consumer group must not be empty"));
        }
        if self.subscriptions.is_empty() {
            return Err(Error::invalid(OP, "subscribe to at least one topic"));
        }
        let client_id = client_id::next();
        let transport = Transport::new(self.config, &client_id)?;
        let mut routes = HashMap::new();
        for (topic, _) in &self.subscriptions {
            routes.insert(
                topic.clone(),
                Arc::new(route::query(&transport, topic).await?),
            );
        }
        let settings = push_settings(&transport, &self.group, &self.subscriptions);
        let wait = Duration::from_secs(3) + transport.config().request_timeout();
        let mut sessions = HashMap::new();
        let mut policy = None;
        for route in routes.values() {
            for endpoint in route.endpoints() {
                if sessions.contains_key(&endpoint) {
                    continue;
                }
                let session = Session::open(
                    transport.clone(),
                    endpoint.clone(),
                    settings.clone(),
                    Some(verifier(listener.clone())),
                    wait,
                )
                .await?;
                if policy.is_none() {
                    policy = session
                        .server_settings()
                        .map(|s| GroupPolicy::from_settings(&s));
                }
                sessions.insert(endpoint, session);
            }
        }
        let policy = policy.ok_or_else(|| {
            Error::new(
                ErrorKind::Unexpected,
                OP,
                "no broker answered the consumer's Settings",
            )
        })?;
        let (stop, _) = watch::channel(false);
        let consumer = PushConsumer {
            inner: Arc::new(Inner {
                acker: Acker::start(transport.clone(), self.group.clone()),
                metrics: ConsumerMetrics::new(&client_id, &self.group),
                transport,
                client_id,
                group: self.group,
                subscriptions: self.subscriptions,
                sessions: Mutex::new(sessions),
                listener,
                policy,
                max_cache_messages: self.max_cache_messages,
                max_cache_bytes: self.max_cache_bytes,
                workers: Arc::new(Semaphore::new(self.consumption_threads)),
                consumption_threads: self.consumption_threads,
                scan_every: self.scan_every,
                cached_messages: AtomicUsize::new(0),
                cached_bytes: AtomicUsize::new(0),
                queues: AtomicUsize::new(0),
                stop,
                tasks: Mutex::new(Vec::new()),
            }),
        };
        let weak = Arc::downgrade(&consumer.inner);
        consumer.inner.metrics.cache_gauges(move || {
            weak.upgrade().map(|inner| {
                (
                    inner.cached_messages.load(Ordering::Relaxed) as u64,
                    inner.cached_bytes.load(Ordering::Relaxed) as u64,
                )
            })
        });
        let scan = tokio::spawn(scan(consumer.inner.clone()));
        let beat = tokio::spawn(heartbeat(consumer.inner.clone()));
        lock(&consumer.inner.tasks).extend([scan, beat]);
        Ok(consumer)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn resource(transport: &Transport, name: &str) -> Option<Resource> {
    Some(Resource {
        resource_namespace: transport.config().namespace().to_owned(),
        name: name.to_owned(),
    })
}

fn push_settings(
    transport: &Transport,
    group: &str,
    subscriptions: &[(String, FilterExpression)],
) -> Settings {
    let config = transport.config();
    Settings {
        client_type: Some(ClientType::PushConsumer as i32),
        access_point: Some(config.access_point()),
        request_timeout: prost_types::Duration::try_from(config.request_timeout()).ok(),
        pub_sub: Some(settings::PubSub::Subscription(Subscription {
            group: resource(transport, group),
            subscriptions: crate::session::subscription_entries(config.namespace(), subscriptions),
            ..Default::default()
        })),
        user_agent: Some(crate::session::user_agent()),
        ..Default::default()
    }
}

/// Resolves once the consumer stops.
async fn stopped(inner: &Inner) {
    let mut rx = inner.stop.subscribe();
    let _ = rx.wait_for(|s| *s).await;
}

/// Asks for assignments every few seconds and starts a receive loop per new queue.
async fn scan(inner: Arc<Inner>) {
    // Receive loops by (topic, queue id, broker name), each with the flag that stops it when
    // its queue leaves the assignment.
    let mut running: HashMap<(String, i32, String), watch::Sender<bool>> = HashMap::new();
    loop {
        for (topic, filter) in &inner.subscriptions {
            match assignments(&inner, topic).await {
                Ok(queues) => {
                    let mut assigned = Vec::new();
                    for queue in queues {
                        let broker = queue
                            .broker
                            .as_ref()
                            .map(|b| b.name.clone())
                            .unwrap_or_default();
                        let key = (topic.clone(), queue.id, broker);
                        assigned.push(key.clone());
                        if running.contains_key(&key) {
                            continue;
                        }
                        if let Some(endpoint) = endpoint_of(&queue, &inner)
                            && let Err(error) = ensure_session(&inner, &endpoint).await
                        {
                            tracing::warn!(%endpoint, %error, "no session with an assigned broker; retrying at the next scan");
                            assigned.pop();
                            continue;
                        }
                        let (dropped, dropped_rx) = watch::channel(false);
                        running.insert(key, dropped);
                        inner.queues.fetch_add(1, Ordering::Relaxed);
                        let task = tokio::spawn(receive_loop(
                            inner.clone(),
                            queue,
                            filter.clone(),
                            dropped_rx,
                        ));
                        lock(&inner.tasks).push(task);
                    }
                    // Queues no longer assigned (a rebalance, a shrunk topic) stop receiving.
                    running.retain(|key, dropped| {
                        let keep = key.0 != *topic || assigned.contains(key);
                        if !keep {
                            let _ = dropped.send(true);
                        }
                        keep
                    });
                }
                Err(error) => tracing::warn!(%topic, %error, "query assignment failed"),
            }
        }
        lock(&inner.tasks).retain(|t| !t.is_finished());
        tokio::select! {
            () = stopped(&inner) => return,
            () = tokio::time::sleep(inner.scan_every) => {}
        }
    }
}

/// Opens a session (Settings, verify answers) with a broker that joined the assignment.
async fn ensure_session(inner: &Inner, endpoint: &Endpoint) -> Result<()> {
    if lock(&inner.sessions).contains_key(endpoint) {
        return Ok(());
    }
    let transport = &inner.transport;
    let session = Session::open(
        transport.clone(),
        endpoint.clone(),
        push_settings(transport, &inner.group, &inner.subscriptions),
        Some(verifier(inner.listener.clone())),
        Duration::from_secs(3) + transport.config().request_timeout(),
    )
    .await?;
    lock(&inner.sessions).insert(endpoint.clone(), session);
    Ok(())
}

async fn assignments(inner: &Inner, topic: &str) -> Result<Vec<MessageQueue>> {
    const OP: &str = "query assignment";
    let transport = &inner.transport;
    let endpoint = transport
        .config()
        .endpoints()
        .first()
        .cloned()
        .ok_or_else(|| Error::invalid(OP, "no endpoint"))?;
    let request = QueryAssignmentRequest {
        topic: resource(transport, topic),
        group: resource(transport, &inner.group),
        endpoints: Some(transport.config().access_point()),
    };
    let response = transport
        .stub(&endpoint)?
        .query_assignment(transport.request(request, None))
        .await
        .map_err(|s| Error::from_grpc(OP, s))?
        .into_inner();
    let status = response.status.unwrap_or_default();
    if status.code != Code::Ok as i32 {
        return Err(Error::from_status(OP, status.code, status.message));
    }
    Ok(response
        .assignments
        .into_iter()
        .filter_map(|a| a.message_queue)
        .filter(|q| q.broker.as_ref().is_some_and(|b| b.id == 0))
        .collect())
}

async fn heartbeat(inner: Arc<Inner>) {
    loop {
        tokio::select! {
            () = stopped(&inner) => return,
            () = tokio::time::sleep(HEARTBEAT_EVERY) => {}
        }
        let endpoints: Vec<Endpoint> = lock(&inner.sessions).keys().cloned().collect();
        for endpoint in endpoints {
            let request = HeartbeatRequest {
                group: resource(&inner.transport, &inner.group),
                client_type: ClientType::PushConsumer as i32,
            };
            if let Ok(mut stub) = inner.transport.stub(&endpoint) {
                let _ = stub.heartbeat(inner.transport.request(request, None)).await;
            }
        }
    }
}

fn endpoint_of(queue: &MessageQueue, inner: &Inner) -> Option<Endpoint> {
    queue
        .broker
        .as_ref()
        .and_then(|b| b.endpoints.as_ref())
        .and_then(|e| e.addresses.first())
        .and_then(|a| {
            Some(Endpoint {
                host: a.host.clone(),
                port: u16::try_from(a.port).ok()?,
            })
        })
        .or_else(|| inner.transport.config().endpoints().first().cloned())
}

async fn receive_loop(
    inner: Arc<Inner>,
    queue: MessageQueue,
    filter: FilterExpression,
    mut dropped: watch::Receiver<bool>,
) {
    let Some(endpoint) = endpoint_of(&queue, &inner) else {
        inner.queues.fetch_sub(1, Ordering::Relaxed);
        return;
    };
    let policy = inner.policy.clone();
    let mut attempt_id = uuid::Uuid::new_v4().to_string();
    loop {
        if *inner.stop.borrow() {
            return;
        }
        if *dropped.borrow() {
            inner.queues.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let queues = inner.queues.load(Ordering::Relaxed).max(1);
        let count_limit = (inner.max_cache_messages / queues).max(1);
        let bytes_limit = (inner.max_cache_bytes / queues).max(1);
        let cached = inner.cached_messages.load(Ordering::Acquire);
        if cached >= count_limit || inner.cached_bytes.load(Ordering::Acquire) >= bytes_limit {
            tokio::select! {
                () = stopped(&inner) => return,
                () = tokio::time::sleep(RETRY_EVERY) => continue,
            }
        }
        let batch = policy
            .batch
            .min(i32::try_from(count_limit - cached).unwrap_or(i32::MAX))
            .max(1);
        let request = ReceiveMessageRequest {
            group: resource(&inner.transport, &inner.group),
            message_queue: Some(queue.clone()),
            filter_expression: Some(filter.to_proto()),
            batch_size: batch,
            invisible_duration: None,
            auto_renew: true,
            long_polling_timeout: prost_types::Duration::try_from(policy.long_polling).ok(),
            attempt_id: Some(attempt_id.clone()),
        };
        let received = tokio::select! {
            () = stopped(&inner) => return,
            _ = dropped.wait_for(|d| *d) => continue,
            r = receive(&inner, &endpoint, request, policy.long_polling) => r,
        };
        match received {
            Ok(messages) if messages.is_empty() => {}
            Ok(messages) => {
                attempt_id = uuid::Uuid::new_v4().to_string();
                let received_at = Instant::now();
                for m in &messages {
                    inner.cached_messages.fetch_add(1, Ordering::AcqRel);
                    inner.cached_bytes.fetch_add(m.body.len(), Ordering::AcqRel);
                }
                if policy.fifo {
                    consume_in_order(&inner, messages, received_at).await;
                } else {
                    for message in messages {
                        let Ok(permit) = inner.workers.clone().acquire_owned().await else {
                            return;
                        };
                        let inner = inner.clone();
                        tokio::spawn(async move {
                            consume_concurrently(&inner, message, received_at).await;
                            drop(permit);
                        });
                    }
                }
            }
            Err(error) => {
                let pause = if error.kind() == ErrorKind::TooManyRequests {
                    Duration::from_millis(20)
                } else {
                    RETRY_EVERY
                };
                tracing::debug!(%error, "receive failed");
                tokio::select! {
                    () = stopped(&inner) => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
}

async fn receive(
    inner: &Inner,
    endpoint: &Endpoint,
    request: ReceiveMessageRequest,
    long_polling: Duration,
) -> Result<Vec<MessageView>> {
    let deadline = long_polling + inner.transport.config().request_timeout();
    crate::receive::receive(
        &inner.transport,
        endpoint,
        request,
        deadline,
        Some(&inner.metrics),
    )
    .await
}

/// Runs the listener off the runtime's workers; a panic is a failure.
async fn listen(inner: &Inner, message: &MessageView) -> ConsumeResult {
    let span = tracing::info_span!(
        "rmq.process",
        group = %inner.group,
        topic = %message.topic,
        message_id = %message.message_id,
        delivery_attempt = message.delivery_attempt,
        result = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = consume_on_pool(inner.listener.clone(), message)
        .instrument(span.clone())
        .await;
    inner.metrics.processed(
        &message.topic,
        started.elapsed(),
        result == ConsumeResult::Success,
    );
    span.record("result", tracing::field::debug(result));
    result
}

/// Answers the server's request to verify a message (an administrator's "consume this
/// message directly"): the listener consumes it and the outcome goes back on the stream, as
/// the reference client does.
fn verifier(listener: Arc<dyn MessageListener>) -> CommandHandler {
    Arc::new(
        move |endpoint: &Endpoint, command: &TelemetryCommand, replies: &Replies| {
            let Some(telemetry_command::Command::VerifyMessageCommand(verify)) = &command.command
            else {
                return false;
            };
            let listener = listener.clone();
            let replies = replies.clone();
            let nonce = verify.nonce.clone();
            let view = verify
                .message
                .clone()
                .map(|m| MessageView::from_proto(m, endpoint));
            tokio::spawn(async move {
                let status = match view {
                    None => Status {
                        code: Code::BadRequest as i32,
                        message: "the verify command carries no message".into(),
                    },
                    Some(view) => match consume_on_pool(listener, &view).await {
                        ConsumeResult::Success => Status {
                            code: Code::Ok as i32,
                            message: "OK".into(),
                        },
                        ConsumeResult::Failure => Status {
                            code: Code::FailedToConsumeMessage as i32,
                            message: "the listener did not consume the message".into(),
                        },
                    },
                };
                let reply = TelemetryCommand {
                    status: Some(status),
                    command: Some(telemetry_command::Command::VerifyMessageResult(
                        VerifyMessageResult { nonce },
                    )),
                };
                let _ = replies.send(reply).await;
            });
            true
        },
    )
}

/// Runs `listener` on tokio's blocking pool; a panic is a failure.
async fn consume_on_pool(
    listener: Arc<dyn MessageListener>,
    message: &MessageView,
) -> ConsumeResult {
    let view = message.clone();
    match tokio::task::spawn_blocking(move || listener.consume(&view)).await {
        Ok(result) => result,
        Err(error) => {
            tracing::warn!(message_id = %message.message_id, %error, "listener panicked; counted as a failure");
            ConsumeResult::Failure
        }
    }
}

fn release(inner: &Inner, message: &MessageView) {
    inner.cached_messages.fetch_sub(1, Ordering::AcqRel);
    inner
        .cached_bytes
        .fetch_sub(message.body.len(), Ordering::AcqRel);
}

async fn consume_concurrently(inner: &Inner, message: MessageView, received_at: Instant) {
    inner.metrics.awaited(&message.topic, received_at.elapsed());
    let result = if message.corrupted.is_some() {
        tracing::warn!(message_id = %message.message_id, why = ?message.corrupted, "corrupted message nacked");
        ConsumeResult::Failure
    } else {
        listen(inner, &message).await
    };
    match result {
        ConsumeResult::Success => settle(inner, &message, Settle::Ack).await,
        ConsumeResult::Failure => {
            let delay = inner.policy.backoff.delay(message.delivery_attempt);
            settle(inner, &message, Settle::Nack(delay)).await;
        }
    }
    release(inner, &message);
}

/// One queue's batch, in order: each message is settled before the next starts.
/// One queue's batch in FIFO mode, with the reference client's FIFO consume accelerator:
/// message groups are independent, so each group's messages run in order while different
/// groups run side by side (bounded by the consumption threads). The next receive waits for
/// the whole batch.
async fn consume_in_order(inner: &Arc<Inner>, messages: Vec<MessageView>, received_at: Instant) {
    let mut groups: Vec<(Option<String>, Vec<MessageView>)> = Vec::new();
    for message in messages {
        match groups.iter_mut().find(|(g, _)| *g == message.message_group) {
            Some((_, members)) => members.push(message),
            None => groups.push((message.message_group.clone(), vec![message])),
        }
    }
    let mut running = tokio::task::JoinSet::new();
    for (_, members) in groups {
        let Ok(permit) = inner.workers.clone().acquire_owned().await else {
            return;
        };
        let inner = inner.clone();
        running.spawn(async move {
            consume_group_in_order(&inner, members, received_at).await;
            drop(permit);
        });
    }
    while running.join_next().await.is_some() {}
}

/// One message group's messages, strictly in order: each is settled before the next starts.
async fn consume_group_in_order(inner: &Inner, messages: Vec<MessageView>, received_at: Instant) {
    for message in messages {
        inner.metrics.awaited(&message.topic, received_at.elapsed());
        let mut attempt = message.delivery_attempt;
        if message.corrupted.is_some() {
            tracing::warn!(message_id = %message.message_id, why = ?message.corrupted, "corrupted message dead-lettered");
            settle(inner, &message, Settle::DeadLetter(attempt)).await;
            release(inner, &message);
            continue;
        }
        loop {
            match listen(inner, &message).await {
                ConsumeResult::Success => {
                    settle(inner, &message, Settle::Ack).await;
                    break;
                }
                ConsumeResult::Failure if attempt < inner.policy.max_attempts => {
                    let delay = inner.policy.backoff.delay(attempt);
                    tokio::select! {
                        () = stopped(inner) => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                    attempt += 1;
                }
                ConsumeResult::Failure => {
                    settle(inner, &message, Settle::DeadLetter(attempt)).await;
                    break;
                }
            }
        }
        release(inner, &message);
    }
}

enum Settle {
    Ack,
    Nack(Duration),
    DeadLetter(i32),
}

/// Acks, nacks or dead-letters a message, retrying every second until it works, the handle
/// is no longer valid, or the consumer stops.
async fn settle(inner: &Inner, message: &MessageView, how: Settle) {
    loop {
        let result = settle_once(inner, message, &how).await;
        match result {
            Ok(()) => return,
            Err(error) if error.code() == Some(Code::InvalidReceiptHandle as i32) => return,
            Err(error) => {
                tracing::debug!(%error, "settling a message failed; retrying");
                tokio::select! {
                    () = stopped(inner) => return,
                    () = tokio::time::sleep(RETRY_EVERY) => {}
                }
            }
        }
    }
}

async fn settle_once(inner: &Inner, message: &MessageView, how: &Settle) -> Result<()> {
    let transport = &inner.transport;
    let group = resource(transport, &inner.group);
    let topic = resource(transport, &message.topic);
    let (op, status) = match how {
        Settle::Ack => return inner.acker.ack(message).await,
        Settle::Nack(delay) => {
            let request = ChangeInvisibleDurationRequest {
                group,
                topic,
                receipt_handle: message.receipt_handle.clone(),
                invisible_duration: prost_types::Duration::try_from(*delay).ok(),
                message_id: message.message_id.clone(),
                lite_topic: None,
                suspend: None,
            };
            let r = transport
                .stub(&message.endpoint)?
                .change_invisible_duration(transport.request(request, None))
                .await
                .map_err(|s| Error::from_grpc("nack", s))?
                .into_inner();
            ("nack", r.status)
        }
        Settle::DeadLetter(attempt) => {
            let request = ForwardMessageToDeadLetterQueueRequest {
                group,
                topic,
                receipt_handle: message.receipt_handle.clone(),
                message_id: message.message_id.clone(),
                delivery_attempt: *attempt,
                max_delivery_attempts: inner.policy.max_attempts,
                lite_topic: None,
            };
            let r = transport
                .stub(&message.endpoint)?
                .forward_message_to_dead_letter_queue(transport.request(request, None))
                .await
                .map_err(|s| Error::from_grpc("dead-letter", s))?
                .into_inner();
            ("dead-letter", r.status)
        }
    };
    Error::check(op, status)
}

/// Consumes in the background until [`PushConsumer::shutdown`]. Clone it freely.
#[derive(Clone)]
pub struct PushConsumer {
    inner: Arc<Inner>,
}

impl PushConsumer {
    /// A builder for consumer group `group`.
    pub fn builder(config: ClientConfig, group: impl Into<String>) -> PushConsumerBuilder {
        PushConsumerBuilder {
            config,
            group: group.into(),
            subscriptions: Vec::new(),
            listener: None,
            max_cache_messages: DEFAULT_MAX_CACHE_MESSAGES,
            max_cache_bytes: DEFAULT_MAX_CACHE_BYTES,
            consumption_threads: DEFAULT_CONSUMPTION_THREADS,
            scan_every: DEFAULT_ASSIGNMENT_SCAN,
        }
    }

    /// This client's id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// Whether the server runs this group in FIFO mode.
    pub fn is_fifo(&self) -> bool {
        self.inner.policy.fifo
    }

    /// Queues this consumer currently receives from (its assignment).
    pub fn assigned_queues(&self) -> usize {
        self.inner.queues.load(Ordering::Relaxed)
    }

    /// Messages received and not yet settled.
    pub fn cached_messages(&self) -> usize {
        self.inner.cached_messages.load(Ordering::Acquire)
    }

    /// Stops receiving, waits for running listeners, tells the brokers the consumer leaves
    /// (its unsettled messages come back at once for other consumers) and closes sessions.
    pub async fn shutdown(&self) {
        if self.inner.stop.send_replace(true) {
            return;
        }
        let tasks: Vec<_> = lock(&self.inner.tasks).drain(..).collect();
        for task in tasks {
            let _ = task.await;
        }
        let permits = u32::try_from(self.inner.consumption_threads).unwrap_or(u32::MAX);
        let _ = self.inner.workers.acquire_many(permits).await;
        let sessions: Vec<(Endpoint, Session)> = lock(&self.inner.sessions).drain().collect();
        for (endpoint, session) in sessions {
            if let Ok(mut stub) = self.inner.transport.stub(&endpoint) {
                let request = NotifyClientTerminationRequest {
                    group: resource(&self.inner.transport, &self.inner.group),
                };
                let _ = stub
                    .notify_client_termination(self.inner.transport.request(request, None))
                    .await;
            }
            session.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_steps() {
        let custom = Backoff::Customized(vec![Duration::from_secs(1), Duration::from_secs(5)]);
        assert_eq!(custom.delay(1), Duration::from_secs(1));
        assert_eq!(custom.delay(2), Duration::from_secs(5));
        assert_eq!(custom.delay(9), Duration::from_secs(5));
        let exp = Backoff::Exponential {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(60),
            multiplier: 2.0,
        };
        assert_eq!(exp.delay(1), Duration::from_secs(5));
        assert_eq!(exp.delay(3), Duration::from_secs(20));
        assert_eq!(exp.delay(10), Duration::from_secs(60));
    }
}
