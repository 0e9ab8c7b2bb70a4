//! `LitePushConsumer` (Apache 5.5, RIP-83): a push consumer of a LITE parent topic that
//! receives only the lite topics it subscribes, each in order.
//!
//! The subscribed set lives here and is told to every broker of the parent topic's route:
//! one `SyncLiteSubscription` PARTIAL_ADD or PARTIAL_REMOVE per change, and the whole set
//! (COMPLETE_ADD) every 30 s and whenever a session comes back (a broker keeps the set only
//! while the client's stream lives). A broker that gives the lite topic to another client of
//! an exclusive group says so with `NotifyUnsubscribeLiteCommand`, and the topic leaves the set.

use super::{Inner, PushConsumer, PushConsumerBuilder};
use crate::client::lock;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::message::{FilterExpression, check_lite_topic};
use crate::session::{CommandHandler, Replies};
use rmq_proto::Code;
use rmq_proto::v2::{
    self, LiteSubscriptionAction, Settings, SyncLiteSubscriptionRequest, TelemetryCommand,
    offset_option, settings, telemetry_command,
};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often the whole set is sent again, as the reference client.
const FULL_SYNC_EVERY: Duration = Duration::from_secs(30);

/// Where a new lite subscription starts reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetOption {
    /// The group's last position; a lite topic the group never read starts at its end (the
    /// default).
    Last,
    /// The oldest message the broker keeps.
    Min,
    /// The end: only messages sent from now on.
    Max,
    /// This queue offset.
    Offset(i64),
    /// This many messages before the group's last position.
    TailN(i64),
    /// The first message stored at or after this time (Apache 5.5.0 ignores it).
    Timestamp(SystemTime),
}

impl OffsetOption {
    fn to_proto(self) -> v2::OffsetOption {
        use offset_option::{OffsetType, Policy};
        let offset_type = match self {
            OffsetOption::Last => OffsetType::Policy(Policy::Last as i32),
            OffsetOption::Min => OffsetType::Policy(Policy::Min as i32),
            OffsetOption::Max => OffsetType::Policy(Policy::Max as i32),
            OffsetOption::Offset(n) => OffsetType::Offset(n),
            OffsetOption::TailN(n) => OffsetType::TailN(n),
            OffsetOption::Timestamp(at) => OffsetType::Timestamp(
                at.duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            ),
        };
        v2::OffsetOption {
            offset_type: Some(offset_type),
        }
    }
}

/// The lite side of a push consumer.
pub(super) struct Lite {
    topic: String,
    set: Mutex<BTreeSet<String>>,
    /// When the whole set was last sent, and the server Settings it was sent under (new
    /// Settings mean a new session, which starts with an empty set on the broker).
    full_sync: Mutex<(Option<Instant>, Option<Arc<Settings>>)>,
    /// Held across each sync, so a full sync cannot overtake a change with an older set.
    syncing: tokio::sync::Mutex<()>,
}

impl Lite {
    fn new(topic: String) -> Lite {
        Lite {
            topic,
            set: Mutex::new(BTreeSet::new()),
            full_sync: Mutex::new((None, None)),
            syncing: tokio::sync::Mutex::new(()),
        }
    }

    /// Takes `NotifyUnsubscribeLiteCommand`s, then offers every other command to `next`.
    pub(super) fn handler(self: &Arc<Self>, next: CommandHandler) -> CommandHandler {
        let lite = Arc::downgrade(self);
        Arc::new(
            move |endpoint, command: &TelemetryCommand, replies: &Replies| {
                if let Some(telemetry_command::Command::NotifyUnsubscribeLiteCommand(notice)) =
                    &command.command
                {
                    if let Some(lite) = lite.upgrade() {
                        tracing::info!(lite_topic = %notice.lite_topic, "the broker gave this lite topic to another consumer");
                        lock(&lite.set).remove(&notice.lite_topic);
                    }
                    return true;
                }
                next(endpoint, command, replies)
            },
        )
    }
}

/// The lite quota the server's Settings give, if they give one (a server without lite topics
/// does not, and then refuses the subscription itself).
fn quota(settings: Option<&Settings>) -> Option<usize> {
    let quota = settings.and_then(|s| match &s.pub_sub {
        Some(settings::PubSub::Subscription(sub)) => sub.lite_subscription_quota,
        _ => None,
    })?;
    Some(usize::try_from(quota).unwrap_or(0))
}

/// Tells every broker of the parent topic's route.
async fn sync(
    inner: &Inner,
    lite: &Lite,
    op: &'static str,
    action: LiteSubscriptionAction,
    names: Vec<String>,
    offset: Option<OffsetOption>,
) -> Result<()> {
    let base = &inner.base;
    let route = base.route(&lite.topic).await?;
    for endpoint in route.endpoints() {
        let request = SyncLiteSubscriptionRequest {
            action: action as i32,
            topic: base.resource(&lite.topic),
            group: base.resource(&inner.group),
            lite_topic_set: names.clone(),
            version: None,
            offset_option: offset.map(OffsetOption::to_proto),
        };
        base.transport
            .call_ok(op, &endpoint, request, |mut stub, r| async move {
                stub.sync_lite_subscription(r).await
            })
            .await
            .map_err(|e| e.with_topic(&lite.topic).with_group(&inner.group))?;
    }
    Ok(())
}

/// The consumer's periodic lite work (run with its assignment scan): the whole set again
/// when 30 s have passed or a session has (re)started since the last time.
pub(super) async fn maintain(inner: &Inner, lite: &Lite) {
    let settings = inner.base.server_settings();
    let due = {
        let last = lock(&lite.full_sync);
        let fresh_session = match (&last.1, &settings) {
            (Some(before), Some(now)) => !Arc::ptr_eq(before, now),
            (None, Some(_)) => true,
            _ => false,
        };
        fresh_session || last.0.is_none_or(|at| at.elapsed() >= FULL_SYNC_EVERY)
    };
    if !due {
        return;
    }
    let _syncing = lite.syncing.lock().await;
    let names: Vec<String> = lock(&lite.set).iter().cloned().collect();
    let op = "sync lite subscriptions";
    match sync(
        inner,
        lite,
        op,
        LiteSubscriptionAction::CompleteAdd,
        names,
        None,
    )
    .await
    {
        Ok(()) => *lock(&lite.full_sync) = (Some(Instant::now()), settings),
        Err(error) => {
            tracing::warn!(%error, "lite subscription sync failed; retrying at the next scan")
        }
    }
}

/// Builder of [`LitePushConsumer`].
pub struct LitePushConsumerBuilder {
    inner: PushConsumerBuilder,
    topic: String,
}

impl LitePushConsumerBuilder {
    /// The listener every message goes to. Required.
    pub fn listener(mut self, listener: impl super::MessageListener) -> Self {
        self.inner = self.inner.listener(listener);
        self
    }

    /// Messages cached (received, not yet settled) before receiving pauses. Default 4096.
    pub fn max_cache_messages(mut self, n: usize) -> Self {
        self.inner = self.inner.max_cache_messages(n);
        self
    }

    /// Body bytes cached before receiving pauses. Default 64 MiB.
    pub fn max_cache_bytes(mut self, n: usize) -> Self {
        self.inner = self.inner.max_cache_bytes(n);
        self
    }

    /// Listener calls at once (different lite topics side by side; one lite topic's messages
    /// always in order). Default 20; 1 to 1024.
    pub fn consumption_threads(mut self, n: usize) -> Self {
        self.inner = self.inner.consumption_threads(n);
        self
    }

    /// The listener calls at once this builder is set for.
    pub fn listener_concurrency(&self) -> usize {
        self.inner.listener_concurrency()
    }

    /// Sets one option from strings (a push-consumer key of [`crate::options::OPTIONS`]).
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        self.inner = self.inner.set(key, value)?;
        Ok(self)
    }

    /// Starts consuming on the current tokio runtime. No lite topic is subscribed yet.
    pub async fn start(self) -> Result<LitePushConsumer> {
        let lite = Arc::new(Lite::new(self.topic));
        let consumer = self.inner.start_with(Some(lite.clone())).await?;
        Ok(LitePushConsumer { consumer, lite })
    }
}

/// Takes the push consumer's keys.
impl crate::options::Configurable for LitePushConsumerBuilder {
    const APPLIES: crate::options::Applies = crate::options::Applies::PushConsumer;

    fn apply(mut self, key: &'static str, value: crate::options::Value) -> Result<Self> {
        self.inner = self.inner.apply(key, value)?;
        Ok(self)
    }
}

/// A push consumer of the lite topics it subscribes under one LITE parent topic. Clone it
/// freely; it consumes until [`LitePushConsumer::shutdown`] or until the last clone is dropped.
#[derive(Clone)]
pub struct LitePushConsumer {
    consumer: PushConsumer,
    lite: Arc<Lite>,
}

impl LitePushConsumer {
    /// A builder for lite group `group` of the LITE topic `topic` (its bind topic).
    pub fn builder(
        config: ClientConfig,
        group: impl Into<String>,
        topic: impl Into<String>,
    ) -> LitePushConsumerBuilder {
        let topic = topic.into();
        LitePushConsumerBuilder {
            inner: PushConsumer::builder(config, group)
                .subscribe(topic.clone(), FilterExpression::all()),
            topic,
        }
    }

    /// A builder from string keys: the client keys and the push-consumer keys of
    /// [`crate::options::OPTIONS`].
    pub fn builder_from_map<K: AsRef<str>, V: AsRef<str>>(
        group: impl Into<String>,
        topic: impl Into<String>,
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<LitePushConsumerBuilder> {
        crate::options::build(map, |config| {
            LitePushConsumer::builder(config, group, topic)
        })
    }

    /// Subscribes `lite_topic`, starting where the group left it (a lite topic new to the
    /// group: at its end). Subscribing one already subscribed does nothing.
    pub async fn subscribe_lite(&self, lite_topic: &str) -> Result<()> {
        self.subscribe(lite_topic, None).await
    }

    /// Subscribes `lite_topic`, starting at `offset`.
    pub async fn subscribe_lite_from(&self, lite_topic: &str, offset: OffsetOption) -> Result<()> {
        self.subscribe(lite_topic, Some(offset)).await
    }

    async fn subscribe(&self, lite_topic: &str, offset: Option<OffsetOption>) -> Result<()> {
        const OP: &str = "subscribe lite";
        let inner = &self.consumer.inner;
        inner.base.check_open(OP)?;
        check_lite_topic(OP, lite_topic)?;
        let _syncing = self.lite.syncing.lock().await;
        if offset.is_none() && lock(&self.lite.set).contains(lite_topic) {
            return Ok(());
        }
        let quota = quota(inner.base.server_settings().as_deref());
        let held = lock(&self.lite.set).len();
        if let Some(quota) = quota
            && !lock(&self.lite.set).contains(lite_topic)
            && held >= quota
        {
            return Err(Error::from_status(
                OP,
                Code::LiteSubscriptionQuotaExceeded as i32,
                format!("this consumer already holds its quota of {quota} lite topics"),
            )
            .with_topic(&self.lite.topic)
            .with_group(&inner.group));
        }
        let names = vec![lite_topic.to_owned()];
        let action = LiteSubscriptionAction::PartialAdd;
        sync(inner, &self.lite, OP, action, names, offset).await?;
        lock(&self.lite.set).insert(lite_topic.to_owned());
        Ok(())
    }

    /// Stops receiving `lite_topic` (messages already received are still consumed).
    pub async fn unsubscribe_lite(&self, lite_topic: &str) -> Result<()> {
        const OP: &str = "unsubscribe lite";
        let inner = &self.consumer.inner;
        inner.base.check_open(OP)?;
        check_lite_topic(OP, lite_topic)?;
        let _syncing = self.lite.syncing.lock().await;
        lock(&self.lite.set).remove(lite_topic);
        let names = vec![lite_topic.to_owned()];
        let action = LiteSubscriptionAction::PartialRemove;
        sync(inner, &self.lite, OP, action, names, None).await
    }

    /// The lite topics subscribed now, in name order.
    pub fn lite_topics(&self) -> Vec<String> {
        lock(&self.lite.set).iter().cloned().collect()
    }

    /// The parent (bind) topic.
    pub fn topic(&self) -> &str {
        &self.lite.topic
    }

    /// The consumer group.
    pub fn group(&self) -> &str {
        &self.consumer.inner.group
    }

    /// This client's id.
    pub fn client_id(&self) -> &str {
        self.consumer.client_id()
    }

    /// Messages received and not yet settled.
    pub fn cached_messages(&self) -> usize {
        self.consumer.cached_messages()
    }

    /// Brokers this consumer currently receives from (one assignment per broker).
    pub fn assigned_queues(&self) -> usize {
        self.consumer.assigned_queues()
    }

    /// Stops receiving, waits for running listeners, tells the brokers the consumer leaves
    /// and closes sessions.
    pub async fn shutdown(&self) {
        self.consumer.shutdown().await;
    }
}
