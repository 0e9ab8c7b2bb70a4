//! Lite subscriptions (Apache 5.5, RIP-83), shared by the lite push and lite simple
//! consumers: the set of lite topics a consumer subscribes under its LITE parent topic.
//!
//! The set lives here and is told to every broker of the parent topic's route: one
//! `SyncLiteSubscription` PARTIAL_ADD or PARTIAL_REMOVE per change, and the whole set
//! (COMPLETE_ADD) every 30 s and whenever a session comes back (a broker keeps the set only
//! while the client's stream lives). A broker that gives a lite topic to another client of an
//! exclusive group says so with `NotifyUnsubscribeLiteCommand`, and the topic leaves the set.

use crate::client::{ClientBase, lock};
use crate::error::{Error, Result};
use crate::message::check_lite_topic;
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

/// The subscription methods of a lite consumer type with fields `consumer` (whose `inner.base`
/// is the client base) and `lite` (its [`LiteSubscriptions`]): the same in both.
macro_rules! lite_subscription_methods {
    () => {
        /// Subscribes `lite_topic`, starting where the group left it (a lite topic new to the
        /// group: at its end). Subscribing one already subscribed does nothing.
        pub async fn subscribe_lite(&self, lite_topic: &str) -> Result<()> {
            self.subscribe_lite_at(lite_topic, None).await
        }

        /// Subscribes `lite_topic`, starting at `offset`.
        pub async fn subscribe_lite_from(
            &self,
            lite_topic: &str,
            offset: OffsetOption,
        ) -> Result<()> {
            self.subscribe_lite_at(lite_topic, Some(offset)).await
        }

        /// [`Self::subscribe_lite_from`] with `offset`, [`Self::subscribe_lite`] without (for
        /// callers whose offset option is optional).
        pub async fn subscribe_lite_at(
            &self,
            lite_topic: &str,
            offset: Option<OffsetOption>,
        ) -> Result<()> {
            let base = &self.consumer.inner.base;
            self.lite.subscribe(base, lite_topic, offset).await
        }

        /// Stops receiving `lite_topic` (messages already received can still be settled).
        pub async fn unsubscribe_lite(&self, lite_topic: &str) -> Result<()> {
            let base = &self.consumer.inner.base;
            self.lite.unsubscribe(base, lite_topic).await
        }

        /// The lite topics subscribed now, in name order.
        pub fn lite_topics(&self) -> Vec<String> {
            self.lite.names()
        }

        /// The parent (bind) topic.
        pub fn topic(&self) -> &str {
            self.lite.topic()
        }

        /// The consumer group.
        pub fn group(&self) -> &str {
            &self.consumer.inner.group
        }

        /// This client's id.
        pub fn client_id(&self) -> &str {
            self.consumer.client_id()
        }
    };
}
pub(crate) use lite_subscription_methods;

/// One lite consumer's subscribed lite topics under its parent topic.
pub(crate) struct LiteSubscriptions {
    topic: String,
    group: String,
    set: Mutex<BTreeSet<String>>,
    /// When the whole set was last sent, and the server Settings it was sent under (new
    /// Settings mean a new session, which starts with an empty set on the broker).
    full_sync: Mutex<(Option<Instant>, Option<Arc<Settings>>)>,
    /// Held across each sync, so a full sync cannot overtake a change with an older set.
    syncing: tokio::sync::Mutex<()>,
}

impl LiteSubscriptions {
    pub(crate) fn new(topic: String, group: String) -> Arc<LiteSubscriptions> {
        Arc::new(LiteSubscriptions {
            topic,
            group,
            set: Mutex::new(BTreeSet::new()),
            full_sync: Mutex::new((None, None)),
            syncing: tokio::sync::Mutex::new(()),
        })
    }

    /// The parent (bind) topic.
    pub(crate) fn topic(&self) -> &str {
        &self.topic
    }

    /// The lite topics subscribed now, in name order.
    pub(crate) fn names(&self) -> Vec<String> {
        lock(&self.set).iter().cloned().collect()
    }

    /// Takes `NotifyUnsubscribeLiteCommand`s, then offers every other command to `next`.
    pub(crate) fn handler(self: &Arc<Self>, next: Option<CommandHandler>) -> CommandHandler {
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
                next.as_ref()
                    .is_some_and(|next| next(endpoint, command, replies))
            },
        )
    }

    /// Subscribes `lite_topic`, from `offset` or (without one) where the group left it;
    /// subscribing one already subscribed without an offset does nothing.
    pub(crate) async fn subscribe(
        &self,
        base: &ClientBase,
        lite_topic: &str,
        offset: Option<OffsetOption>,
    ) -> Result<()> {
        const OP: &str = "subscribe lite";
        base.check_open(OP)?;
        check_lite_topic(OP, lite_topic)?;
        let _syncing = self.syncing.lock().await;
        let (held, known) = {
            let set = lock(&self.set);
            (set.len(), set.contains(lite_topic))
        };
        if offset.is_none() && known {
            return Ok(());
        }
        if let Some(quota) = quota(base.server_settings().as_deref())
            && !known
            && held >= quota
        {
            return Err(Error::from_status(
                OP,
                Code::LiteSubscriptionQuotaExceeded as i32,
                format!("this consumer already holds its quota of {quota} lite topics"),
            )
            .with_topic(&self.topic)
            .with_group(&self.group));
        }
        let names = vec![lite_topic.to_owned()];
        let action = LiteSubscriptionAction::PartialAdd;
        self.sync(base, OP, action, names, offset).await?;
        lock(&self.set).insert(lite_topic.to_owned());
        Ok(())
    }

    /// Stops receiving `lite_topic` (messages already received stay valid).
    pub(crate) async fn unsubscribe(&self, base: &ClientBase, lite_topic: &str) -> Result<()> {
        const OP: &str = "unsubscribe lite";
        base.check_open(OP)?;
        check_lite_topic(OP, lite_topic)?;
        let _syncing = self.syncing.lock().await;
        lock(&self.set).remove(lite_topic);
        let names = vec![lite_topic.to_owned()];
        let action = LiteSubscriptionAction::PartialRemove;
        self.sync(base, OP, action, names, None).await
    }

    /// The consumer's periodic lite work: the whole set again when 30 s have passed or a
    /// session has (re)started since the last time.
    pub(crate) async fn maintain(&self, base: &ClientBase) {
        let settings = base.server_settings();
        let due = {
            let last = lock(&self.full_sync);
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
        let _syncing = self.syncing.lock().await;
        let names = self.names();
        let op = "sync lite subscriptions";
        let action = LiteSubscriptionAction::CompleteAdd;
        match self.sync(base, op, action, names, None).await {
            Ok(()) => *lock(&self.full_sync) = (Some(Instant::now()), settings),
            Err(error) => {
                tracing::warn!(%error, "lite subscription sync failed; retrying at the next scan")
            }
        }
    }

    /// Tells every broker of the parent topic's route.
    async fn sync(
        &self,
        base: &ClientBase,
        op: &'static str,
        action: LiteSubscriptionAction,
        names: Vec<String>,
        offset: Option<OffsetOption>,
    ) -> Result<()> {
        let context = |e: Error| e.with_topic(&self.topic).with_group(&self.group);
        let route = base.route(&self.topic).await.map_err(context)?;
        for endpoint in route.endpoints() {
            let request = SyncLiteSubscriptionRequest {
                action: action as i32,
                topic: base.resource(&self.topic),
                group: base.resource(&self.group),
                lite_topic_set: names.clone(),
                version: None,
                offset_option: offset.map(OffsetOption::to_proto),
            };
            base.transport
                .call_ok(op, &endpoint, request, |mut stub, r| async move {
                    stub.sync_lite_subscription(r).await
                })
                .await
                .map_err(context)?;
        }
        Ok(())
    }
}

/// The lite quota the server's Settings give, if they give one (a server without lite topics
/// does not, and then refuses the subscription itself).
pub(crate) fn quota(settings: Option<&Settings>) -> Option<usize> {
    let quota = settings.and_then(|s| match &s.pub_sub {
        Some(settings::PubSub::Subscription(sub)) => sub.lite_subscription_quota,
        _ => None,
    })?;
    Some(usize::try_from(quota).unwrap_or(0))
}
