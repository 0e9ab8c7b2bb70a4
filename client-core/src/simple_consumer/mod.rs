//! `SimpleConsumer`: receive with long polling, then ack or change the invisible duration.

mod lite;

pub use lite::{LiteSimpleConsumer, LiteSimpleConsumerBuilder};

use crate::client::{Chore, ClientBase, DropGuard, Role};
use crate::config::ClientConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::lite::LiteSubscriptions;
use crate::message::{FilterExpression, MessageView};
use crate::metrics::ConsumerMetrics;
use crate::options::{self, Applies, Configurable, Value};
use rmq_proto::v2::{ChangeInvisibleDurationRequest, ReceiveMessageRequest};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tracing::Instrument;

/// Long-polling time of a receive unless set: 30 s.
pub const DEFAULT_AWAIT: Duration = Duration::from_secs(30);
/// Most messages one receive returns.
pub const MAX_RECEIVE_BATCH: u32 = 32;

struct Inner {
    base: Arc<ClientBase>,
    group: String,
    subscriptions: Vec<(String, FilterExpression)>,
    await_duration: Duration,
    next_topic: AtomicUsize,
    metrics: ConsumerMetrics,
}

/// Builder of [`SimpleConsumer`].
pub struct SimpleConsumerBuilder {
    pub(crate) config: ClientConfig,
    pub(crate) group: String,
    pub(crate) subscriptions: Vec<(String, FilterExpression)>,
    pub(crate) await_duration: Duration,
}

impl SimpleConsumerBuilder {
    /// Subscribes to `topic` with `filter` (repeat for more topics).
    pub fn subscribe(mut self, topic: impl Into<String>, filter: FilterExpression) -> Self {
        self.subscriptions.push((topic.into(), filter));
        self
    }

    /// How long a receive waits for messages. Default 30 s; up to 1 h. Servers clamp it to
    /// their own range (5–20 s on Apache), so an empty receive can take 5 s whatever is set.
    pub fn await_duration(mut self, duration: Duration) -> Self {
        self.await_duration = duration;
        self
    }

    /// Sets one option from strings (a simple-consumer key of [`options::OPTIONS`]).
    pub fn set(self, key: &str, value: &str) -> Result<Self> {
        options::set(self, key, value)
    }

    /// Starts the consumer: fetches routes (fails clearly for a missing topic) and opens the
    /// brokers' sessions.
    pub async fn start(self) -> Result<SimpleConsumer> {
        self.start_with(None).await
    }

    async fn start_with(self, lite: Option<Arc<LiteSubscriptions>>) -> Result<SimpleConsumer> {
        check_subscriptions(&self.group, &self.subscriptions)?;
        options::bounded("await_duration", self.await_duration)?;
        let role = Role::SimpleConsumer {
            group: self.group.clone(),
            subscriptions: self.subscriptions.clone(),
            await_duration: self.await_duration,
            lite: lite.is_some(),
        };
        let topics: Vec<String> = self.subscriptions.iter().map(|(t, _)| t.clone()).collect();
        let handler = |_: &_| lite.as_ref().map(|lite| lite.handler(None));
        let (base, guard) = ClientBase::start(self.config, role, handler, &topics).await?;
        base.start_upkeep(lite.map(|lite| lite_chore(&base, lite)));
        Ok(SimpleConsumer {
            _guard: guard,
            inner: Arc::new(Inner {
                metrics: ConsumerMetrics::new(&base.client_id, &self.group),
                base,
                group: self.group,
                subscriptions: self.subscriptions,
                await_duration: self.await_duration,
                next_topic: AtomicUsize::new(rand::random::<u32>() as usize),
            }),
        })
    }
}

/// A lite consumer's periodic re-sync of its subscriptions as the upkeep task's chore, at the
/// push consumer's assignment-scan period; it holds the client weakly.
fn lite_chore(base: &Arc<ClientBase>, lite: Arc<LiteSubscriptions>) -> (Duration, Chore) {
    let weak = Arc::downgrade(base);
    let chore: Chore = Box::new(move || {
        let weak = weak.clone();
        let lite = lite.clone();
        Box::pin(async move {
            let Some(base) = weak.upgrade() else {
                return false;
            };
            lite.maintain(&base).await;
            true
        })
    });
    (crate::push_consumer::DEFAULT_ASSIGNMENT_SCAN, chore)
}

/// The checks every consumer makes of its group and subscriptions before it starts.
pub(crate) fn check_subscriptions(
    group: &str,
    subscriptions: &[(String, FilterExpression)],
) -> Result<()> {
    const OP: &str = "start";
    if group.trim().is_empty() {
        return Err(Error::invalid(OP, "consumer group must not be empty"));
    }
    if subscriptions.is_empty() {
        return Err(Error::invalid(OP, "subscribe to at least one topic"));
    }
    for (topic, filter) in subscriptions {
        if topic.trim().is_empty() {
            return Err(Error::invalid(OP, "a subscribed topic must not be empty"));
        }
        filter.check().map_err(|e| e.with_topic(topic))?;
    }
    Ok(())
}

impl Configurable for SimpleConsumerBuilder {
    const APPLIES: Applies = Applies::SimpleConsumer;

    fn apply(mut self, key: &'static str, value: Value) -> Result<Self> {
        match key {
            "await_duration" => self.await_duration = value.duration().unwrap_or_default(),
            other => return Err(options::unhandled(other)),
        }
        Ok(self)
    }
}

/// Receives and settles messages one call at a time. Clone it freely: clones share one
/// client, which stops when [`SimpleConsumer::shutdown`] is called or the last clone is
/// dropped.
#[derive(Clone)]
pub struct SimpleConsumer {
    inner: Arc<Inner>,
    _guard: Arc<DropGuard>,
}

impl SimpleConsumer {
    /// A builder for consumer group `group`.
    pub fn builder(config: ClientConfig, group: impl Into<String>) -> SimpleConsumerBuilder {
        SimpleConsumerBuilder {
            config,
            group: group.into(),
            subscriptions: Vec::new(),
            await_duration: DEFAULT_AWAIT,
        }
    }

    /// A builder for `group` from string keys: the client keys and the simple-consumer keys
    /// of [`options::OPTIONS`] (see `OPTIONS.md`).
    pub fn builder_from_map<K: AsRef<str>, V: AsRef<str>>(
        group: impl Into<String>,
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<SimpleConsumerBuilder> {
        options::build(map, |config| SimpleConsumer::builder(config, group))
    }

    /// `max` as a receive's batch size if it is 1 to 32; for bindings whose integers are
    /// signed, so every language refuses the same values with the same words.
    pub fn check_max_messages(max: i64) -> Result<u32> {
        u32::try_from(max)
            .ok()
            .filter(|m| (1..=MAX_RECEIVE_BATCH).contains(m))
            .ok_or_else(|| {
                Error::invalid(
                    "receive",
                    format!("max_messages must be 1 to {MAX_RECEIVE_BATCH}, got {max}"),
                )
            })
    }

    /// Receives up to `max` messages (1 to 32), hidden from the group for `invisible`
    /// (10 s to 12 h on Apache servers). An empty result means nothing arrived in time.
    pub async fn receive(&self, max: u32, invisible: Duration) -> Result<Vec<MessageView>> {
        const OP: &str = "receive";
        let inner = &self.inner;
        inner.base.check_open(OP)?;
        let max = SimpleConsumer::check_max_messages(i64::from(max))?;
        let (topic, filter) = &inner.subscriptions
            [inner.next_topic.fetch_add(1, Ordering::Relaxed) % inner.subscriptions.len()];
        let context = |e: Error| e.with_topic(topic).with_group(&inner.group);
        let route = inner.base.route(topic).await.map_err(context)?;
        if route.readable.is_empty() {
            return Err(context(Error::new(
                ErrorKind::Forbidden,
                OP,
                "the topic has no readable queue",
            )));
        }
        // A broker at a time: an empty long poll on one broker is followed by the next one,
        // not by another queue of the same broker.
        let brokers = route.readable_brokers();
        let queue = brokers[route.turn.next() % brokers.len()];
        let request = ReceiveMessageRequest {
            group: inner.base.resource(&inner.group),
            message_queue: Some(queue.queue.clone()),
            filter_expression: Some(filter.to_proto()),
            batch_size: i32::try_from(max).unwrap_or(32),
            invisible_duration: prost_types::Duration::try_from(invisible).ok(),
            auto_renew: false,
            long_polling_timeout: prost_types::Duration::try_from(inner.await_duration).ok(),
            attempt_id: None,
        };
        let deadline =
            crate::receive::deadline(inner.await_duration, inner.base.config().request_timeout());
        let span = tracing::info_span!(
            "rmq.receive",
            group = %inner.group,
            topic = %topic,
            queue = queue.queue.id,
            max,
            received = tracing::field::Empty,
        );
        let views = crate::receive::receive(
            &inner.base.transport,
            &queue.endpoint,
            request,
            deadline,
            Some(&inner.metrics),
        )
        .instrument(span.clone())
        .await
        .map_err(|e| e.with_group(&inner.group))?;
        span.record("received", views.len());
        Ok(views)
    }

    /// Acknowledges a message: it is consumed for the group.
    pub async fn ack(&self, view: &MessageView) -> Result<()> {
        let mut results = self.ack_batch(std::slice::from_ref(view)).await?;
        results.pop().unwrap_or_else(|| {
            Err(Error::new(
                ErrorKind::Unexpected,
                "ack",
                "the server returned no ack result",
            ))
        })
    }

    /// Acknowledges several messages with one request per broker and topic. The outer error
    /// is a failed request; otherwise each view gets its own result, in order (an expired
    /// receipt handle fails only its own entry).
    pub async fn ack_batch(&self, views: &[MessageView]) -> Result<Vec<Result<()>>> {
        let inner = &self.inner;
        inner.base.check_open("ack")?;
        let span = tracing::info_span!("rmq.ack", group = %inner.group, messages = views.len());
        let views: Vec<&MessageView> = views.iter().collect();
        crate::ack::ack_all(&inner.base.transport, &inner.group, &views)
            .instrument(span)
            .await
    }

    /// Hides the message for `invisible` from now and returns it with its new receipt handle;
    /// the old handle stops working.
    pub async fn change_invisible_duration(
        &self,
        view: &MessageView,
        invisible: Duration,
    ) -> Result<MessageView> {
        const OP: &str = "change invisible duration";
        let base = &self.inner.base;
        base.check_open(OP)?;
        let request = ChangeInvisibleDurationRequest {
            group: base.resource(&self.inner.group),
            topic: base.resource(&view.topic),
            receipt_handle: view.receipt_handle.clone(),
            invisible_duration: prost_types::Duration::try_from(invisible).ok(),
            message_id: view.message_id.clone(),
            lite_topic: view.lite_topic.clone(),
            suspend: None,
        };
        let response = base
            .transport
            .call_ok(OP, &view.endpoint, request, |mut stub, r| async move {
                stub.change_invisible_duration(r).await
            })
            .await
            .map_err(|e| e.with_topic(&view.topic).with_group(&self.inner.group))?;
        let mut updated = view.clone();
        updated.receipt_handle = response.receipt_handle;
        Ok(updated)
    }

    /// Tells the brokers this consumer leaves and closes its sessions. Calls fail with
    /// [`ErrorKind::Closed`] afterwards.
    pub async fn shutdown(&self) {
        if self.inner.base.begin_shutdown() {
            self.inner.base.terminate().await;
        }
    }

    /// This client's id.
    pub fn client_id(&self) -> &str {
        &self.inner.base.client_id
    }
}
