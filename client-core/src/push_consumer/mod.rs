//! `PushConsumer`: messages are received in the background and handed to a listener.
//!
//! The client's upkeep task scans the assignment (every 5 s by default) and runs one receive
//! loop per assigned queue (auto-renewed invisibility, a new attempt id after each non-empty
//! answer). Listeners run on tokio's blocking pool, never on runtime workers; a panic counts as
//! a failure. In concurrent mode a success is acked and a failure made visible again after the
//! server's backoff; in FIFO mode (the group's `fifo` flag from the server) a queue's batch is
//! consumed in order, failures are retried locally, and a message out of attempts is forwarded
//! to the dead-letter queue. The group's policy is read from the server's latest Settings each
//! time, so a re-sync takes effect.

mod assignment;
mod consume;
mod lite;
mod policy;
mod receive_loop;
mod settle;
mod verify;

use crate::ack::Acker;
use crate::client::{Chore, ClientBase, DropGuard, Role, lock};
use crate::config::ClientConfig;
use crate::error::Result;
use crate::message::{FilterExpression, MessageView};
use crate::metrics::ConsumerMetrics;
use crate::options::{self, Applies, Configurable, Value};
pub(crate) use policy::GroupPolicy;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

pub use lite::{LitePushConsumer, LitePushConsumerBuilder};

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

struct Inner {
    base: Arc<ClientBase>,
    group: String,
    subscriptions: Vec<(String, FilterExpression)>,
    listener: Arc<consume::ListenerSlot>,
    max_cache_messages: usize,
    max_cache_bytes: usize,
    workers: Arc<Semaphore>,
    /// Held (shared) by each concurrent-mode settle after its listener returned; shutdown
    /// takes it whole to wait for them.
    settling: tokio::sync::RwLock<()>,
    consumption_threads: usize,
    cached_messages: AtomicUsize,
    cached_bytes: AtomicUsize,
    queues: AtomicUsize,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Coalesces the acks of messages consumed at about the same time.
    acker: Acker,
    metrics: ConsumerMetrics,
    /// Set for a lite push consumer.
    lite: Option<Arc<crate::lite::LiteSubscriptions>>,
}

impl Inner {
    fn policy(&self) -> GroupPolicy {
        GroupPolicy::from_settings(self.base.server_settings().as_deref())
    }
}

/// Builder of [`PushConsumer`].
pub struct PushConsumerBuilder {
    pub(crate) config: ClientConfig,
    pub(crate) group: String,
    pub(crate) subscriptions: Vec<(String, FilterExpression)>,
    pub(crate) listener: Option<Arc<dyn MessageListener>>,
    pub(crate) max_cache_messages: usize,
    pub(crate) max_cache_bytes: usize,
    pub(crate) consumption_threads: usize,
    pub(crate) scan_every: Duration,
}

impl PushConsumerBuilder {
    /// How often the consumer asks for its assignment: queues that join are received from,
    /// queues that leave stop being received from, new brokers get a session. Default 5 s;
    /// 10 ms to 1 h.
    pub fn assignment_scan_interval(mut self, every: Duration) -> Self {
        self.scan_every = every;
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
        self.max_cache_messages = n;
        self
    }

    /// Body bytes cached before receiving pauses. Default 64 MiB.
    pub fn max_cache_bytes(mut self, n: usize) -> Self {
        self.max_cache_bytes = n;
        self
    }

    /// Listener calls at once. Default 20; 1 to 1024.
    pub fn consumption_threads(mut self, n: usize) -> Self {
        self.consumption_threads = n;
        self
    }

    /// The listener calls at once this builder is set for (bindings size the thread pools
    /// their listeners run on with it).
    pub fn listener_concurrency(&self) -> usize {
        self.consumption_threads
    }

    /// Sets one option from strings (a push-consumer key of [`options::OPTIONS`]).
    pub fn set(self, key: &str, value: &str) -> Result<Self> {
        options::set(self, key, value)
    }

    fn check(&self) -> Result<()> {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        options::bounded_count("max_cache_messages", count(self.max_cache_messages))?;
        options::bounded_count("max_cache_bytes", count(self.max_cache_bytes))?;
        options::bounded_count("consumption_threads", count(self.consumption_threads))?;
        options::bounded("assignment_scan_interval", self.scan_every)?;
        crate::simple_consumer::check_subscriptions(&self.group, &self.subscriptions)
    }

    /// Starts consuming on the current tokio runtime.
    pub async fn start(self) -> Result<PushConsumer> {
        self.start_with(None).await
    }

    async fn start_with(
        self,
        lite: Option<Arc<crate::lite::LiteSubscriptions>>,
    ) -> Result<PushConsumer> {
        self.check()?;
        let listener =
            consume::ListenerSlot::new(self.listener.ok_or_else(|| {
                crate::Error::invalid("start", "a push consumer needs a listener")
            })?);
        let role = Role::PushConsumer {
            group: self.group.clone(),
            subscriptions: self.subscriptions.clone(),
            lite: lite.is_some(),
        };
        let verifying = listener.clone();
        let topics: Vec<String> = self.subscriptions.iter().map(|(t, _)| t.clone()).collect();
        let handler = |_: &_| {
            let verifier = verify::verifier(verifying);
            Some(match &lite {
                Some(lite) => lite.handler(Some(verifier)),
                None => verifier,
            })
        };
        let (base, guard) = ClientBase::start(self.config, role, handler, &topics).await?;
        let inner = Arc::new(Inner {
            acker: Acker::start(base.transport.clone(), self.group.clone()),
            metrics: ConsumerMetrics::new(&base.client_id, &self.group),
            group: self.group,
            subscriptions: self.subscriptions,
            listener,
            max_cache_messages: self.max_cache_messages,
            max_cache_bytes: self.max_cache_bytes,
            workers: Arc::new(Semaphore::new(self.consumption_threads)),
            settling: tokio::sync::RwLock::new(()),
            consumption_threads: self.consumption_threads,
            cached_messages: AtomicUsize::new(0),
            cached_bytes: AtomicUsize::new(0),
            queues: AtomicUsize::new(0),
            tasks: Mutex::new(Vec::new()),
            base: base.clone(),
            lite,
        });
        let weak = Arc::downgrade(&inner);
        inner.metrics.cache_gauges(move || {
            weak.upgrade().map(|inner| {
                (
                    inner.cached_messages.load(Ordering::Relaxed) as u64,
                    inner.cached_bytes.load(Ordering::Relaxed) as u64,
                )
            })
        });
        base.start_upkeep(Some((self.scan_every, scan_chore(&inner))));
        Ok(PushConsumer {
            _guard: guard,
            inner,
        })
    }
}

impl Configurable for PushConsumerBuilder {
    const APPLIES: Applies = Applies::PushConsumer;

    fn apply(mut self, key: &'static str, value: Value) -> Result<Self> {
        let count = usize::try_from(value.count()).unwrap_or(usize::MAX);
        match key {
            "max_cache_messages" => self.max_cache_messages = count,
            "max_cache_bytes" => self.max_cache_bytes = count,
            "consumption_threads" => self.consumption_threads = count,
            "assignment_scan_interval" => self.scan_every = value.duration().unwrap_or_default(),
            other => return Err(options::unhandled(other)),
        }
        Ok(self)
    }
}

/// The assignment scan as the upkeep task's chore; it holds the consumer weakly.
fn scan_chore(inner: &Arc<Inner>) -> Chore {
    let weak = Arc::downgrade(inner);
    let running = Arc::new(tokio::sync::Mutex::new(assignment::Running::new()));
    Box::new(move || {
        let weak = weak.clone();
        let running = running.clone();
        Box::pin(async move {
            let Some(inner) = weak.upgrade() else {
                return false;
            };
            assignment::scan(&inner, &mut *running.lock().await).await;
            if let Some(lite) = &inner.lite {
                lite.maintain(&inner.base).await;
            }
            true
        })
    })
}

/// Consumes in the background until [`PushConsumer::shutdown`], or until the last clone of
/// the handle is dropped. Clone it freely.
#[derive(Clone)]
pub struct PushConsumer {
    inner: Arc<Inner>,
    _guard: Arc<DropGuard>,
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

    /// A builder for `group` from string keys: the client keys and the push-consumer keys of
    /// [`options::OPTIONS`] (see `OPTIONS.md`).
    pub fn builder_from_map<K: AsRef<str>, V: AsRef<str>>(
        group: impl Into<String>,
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<PushConsumerBuilder> {
        options::build(map, |config| PushConsumer::builder(config, group))
    }

    /// This client's id.
    pub fn client_id(&self) -> &str {
        &self.inner.base.client_id
    }

    /// Whether the server runs this group in FIFO mode (as of its latest Settings).
    pub fn is_fifo(&self) -> bool {
        self.inner.policy().fifo
    }

    /// Delivery attempts the server allows this group (as of its latest Settings).
    pub fn max_delivery_attempts(&self) -> u32 {
        self.inner.policy().retry.max_attempts
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
        let inner = &self.inner;
        if !inner.base.begin_shutdown() {
            return;
        }
        let tasks: Vec<_> = lock(&inner.tasks).drain(..).collect();
        for task in tasks {
            let _ = task.await;
        }
        let permits = u32::try_from(inner.consumption_threads).unwrap_or(u32::MAX);
        let _ = inner.workers.acquire_many(permits).await;
        // Settles still retrying stop at the stop signal; one in progress is waited for.
        drop(inner.settling.write().await);
        inner.listener.release();
        inner.base.terminate().await;
    }
}
