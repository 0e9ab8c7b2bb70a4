//! Topics and consumer groups: declared ones and the auto-creation policy.

use rmq_proto::v2::MessageType;
use std::collections::HashMap;
use std::time::Duration;

/// The message type a topic accepts, as configured on a RocketMQ topic (`message.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TopicType {
    /// Plain messages.
    Normal,
    /// Messages with a message group, consumed in order by FIFO groups.
    Fifo,
    /// Scheduled messages with a delivery timestamp.
    Delay,
    /// Transactional (half) messages.
    Transaction,
    /// Priority messages (proto 2.1.1).
    Priority,
    /// Lite topics under this parent topic (proto 2.1.2, Apache 5.5).
    Lite,
    /// Every type; what auto-created topics accept.
    Mixed,
}

impl TopicType {
    /// The `accept_message_types` a route advertises for this topic type.
    pub(crate) fn accepted(self) -> Vec<MessageType> {
        match self {
            TopicType::Normal => vec![MessageType::Normal],
            TopicType::Fifo => vec![MessageType::Fifo],
            TopicType::Delay => vec![MessageType::Delay],
            TopicType::Transaction => vec![MessageType::Transaction],
            TopicType::Priority => vec![MessageType::Priority],
            TopicType::Lite => vec![MessageType::Lite],
            TopicType::Mixed => vec![
                MessageType::Normal,
                MessageType::Fifo,
                MessageType::Delay,
                MessageType::Transaction,
            ],
        }
    }

    /// The type's name as Apache writes `message.type` (and as `FromStr` reads it).
    pub(crate) fn name(self) -> &'static str {
        match self {
            TopicType::Normal => "NORMAL",
            TopicType::Fifo => "FIFO",
            TopicType::Delay => "DELAY",
            TopicType::Transaction => "TRANSACTION",
            TopicType::Priority => "PRIORITY",
            TopicType::Lite => "LITE",
            TopicType::Mixed => "MIXED",
        }
    }

    pub(crate) fn accepts(self, kind: MessageType) -> bool {
        self.accepted().contains(&kind)
    }
}

impl std::str::FromStr for TopicType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "NORMAL" => Ok(TopicType::Normal),
            "FIFO" => Ok(TopicType::Fifo),
            "DELAY" => Ok(TopicType::Delay),
            "TRANSACTION" => Ok(TopicType::Transaction),
            "PRIORITY" => Ok(TopicType::Priority),
            "LITE" => Ok(TopicType::Lite),
            "MIXED" => Ok(TopicType::Mixed),
            other => Err(format!(
                "unknown topic type {other:?} (NORMAL, FIFO, DELAY, TRANSACTION, PRIORITY, LITE or MIXED)"
            )),
        }
    }
}

/// A topic's declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicConfig {
    /// Topic name.
    pub name: String,
    /// Message type the topic accepts.
    pub topic_type: TopicType,
    /// Number of queues (at least 1).
    pub queues: u32,
}

impl TopicConfig {
    /// A topic with the default 8 queues.
    pub fn new(name: impl Into<String>, topic_type: TopicType) -> Self {
        TopicConfig {
            name: name.into(),
            topic_type,
            queues: DEFAULT_QUEUES,
        }
    }

    /// Sets the number of queues.
    pub fn queues(mut self, queues: u32) -> Self {
        self.queues = queues.max(1);
        self
    }
}

/// Default queue count of declared and auto-created topics, as in Apache RocketMQ.
pub const DEFAULT_QUEUES: u32 = 8;

/// How a consumer group spaces redeliveries; advertised to push consumers, which use it to
/// delay retries of failed messages.
#[derive(Clone, Debug, PartialEq)]
pub enum RetryPolicy {
    /// Delay before attempt n+1 is `delays[min(n, len) - 1]`.
    Customized(Vec<Duration>),
    /// `min(max, initial * multiplier^(n-1))`.
    Exponential {
        /// First delay.
        initial: Duration,
        /// Largest delay.
        max: Duration,
        /// Growth factor.
        multiplier: f32,
    },
}

impl Default for RetryPolicy {
    /// Apache RocketMQ's default group policy: 1s 5s 10s 30s 1m … 2h (18 steps).
    fn default() -> Self {
        let secs = [
            1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
        ];
        RetryPolicy::Customized(secs.iter().map(|s| Duration::from_secs(*s)).collect())
    }
}

/// A consumer group's declaration.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupConfig {
    /// Group name.
    pub name: String,
    /// Ordered consumption per message group (`Settings.subscription.fifo`).
    pub fifo: bool,
    /// Deliveries before a message moves to `%DLQ%<group>` (1 + retries; default 17).
    pub max_delivery_attempts: i32,
    /// Retry backoff advertised to push consumers.
    pub retry_policy: RetryPolicy,
    /// Set for a lite group (Apache's `lite.bind.topic`): only lite consumers of this parent
    /// topic may use it.
    pub lite: Option<LiteGroup>,
}

/// What makes a consumer group a lite group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiteGroup {
    /// The parent topic its lite topics live under (`lite.bind.topic`).
    pub bind_topic: String,
    /// Lite topics one client may subscribe (`lite.sub.client.quota`; default 2000).
    pub quota: i32,
    /// Exclusive model (`lite.sub.model=Exclusive`): a client subscribing a lite topic takes
    /// it from every other client of the group, which is told with
    /// `NotifyUnsubscribeLiteCommand`. Shared (the default) delivers each message to one of
    /// the subscribed clients.
    pub exclusive: bool,
}

/// Apache's default `lite.sub.client.quota`.
pub const DEFAULT_LITE_QUOTA: i32 = 2000;

impl LiteGroup {
    /// A shared lite group of `bind_topic` with the default quota.
    pub fn new(bind_topic: impl Into<String>) -> Self {
        LiteGroup {
            bind_topic: bind_topic.into(),
            quota: DEFAULT_LITE_QUOTA,
            exclusive: false,
        }
    }
}

impl GroupConfig {
    /// A non-FIFO group with Apache RocketMQ's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        GroupConfig {
            name: name.into(),
            fifo: false,
            max_delivery_attempts: rmq_proto::limits::DEFAULT_MAX_DELIVERY_ATTEMPTS,
            retry_policy: RetryPolicy::default(),
            lite: None,
        }
    }

    /// Sets FIFO consumption.
    pub fn fifo(mut self, fifo: bool) -> Self {
        self.fifo = fifo;
        self
    }

    /// Sets the maximum delivery attempts (at least 1).
    pub fn max_delivery_attempts(mut self, attempts: i32) -> Self {
        self.max_delivery_attempts = attempts.max(1);
        self
    }

    /// Sets the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// Makes this a lite group of a parent topic.
    pub fn lite(mut self, lite: LiteGroup) -> Self {
        self.lite = Some(lite);
        self
    }
}

/// `NAME:TYPE[:QUEUES]`, as the CLI's `--topic` and the bindings' string options take it.
impl std::str::FromStr for TopicConfig {
    type Err = String;

    fn from_str(spec: &str) -> Result<TopicConfig, String> {
        let mut parts = spec.split(':');
        let name = parts
            .next()
            .filter(|n| !n.is_empty())
            .ok_or("topic needs a name")?;
        let topic_type: TopicType = parts
            .next()
            .ok_or(format!("topic {name} needs a type"))?
            .parse()?;
        let mut topic = TopicConfig::new(name, topic_type);
        if let Some(queues) = parts.next() {
            let queues: u32 = queues
                .parse()
                .map_err(|_| format!("bad queue count {queues:?} for topic {name}"))?;
            if queues == 0 {
                return Err(format!("topic {name} needs at least one queue"));
            }
            topic = topic.queues(queues);
        }
        if parts.next().is_some() {
            return Err(format!("unexpected text after the queue count in {spec:?}"));
        }
        Ok(topic)
    }
}

/// `NAME[:fifo][:max-attempts=N][:lite-topic=PARENT[:lite-quota=N][:exclusive]]`, as the
/// CLI's `--group` and the bindings' string options take it.
impl std::str::FromStr for GroupConfig {
    type Err = String;

    fn from_str(spec: &str) -> Result<GroupConfig, String> {
        let mut parts = spec.split(':');
        let name = parts
            .next()
            .filter(|n| !n.is_empty())
            .ok_or("group needs a name")?;
        let mut group = GroupConfig::new(name);
        for part in parts {
            if part.eq_ignore_ascii_case("fifo") {
                group = group.fifo(true);
            } else if let Some(n) = part.strip_prefix("max-attempts=") {
                let n: i32 = n.parse().map_err(|_| format!("bad max-attempts {n:?}"))?;
                if n < 1 {
                    return Err("max-attempts must be at least 1".into());
                }
                group = group.max_delivery_attempts(n);
            } else if let Some(parent) = part.strip_prefix("lite-topic=") {
                if parent.is_empty() {
                    return Err("lite-topic needs a parent topic name".into());
                }
                let lite = group.lite.take().unwrap_or_else(|| LiteGroup::new(""));
                group.lite = Some(LiteGroup {
                    bind_topic: parent.to_owned(),
                    ..lite
                });
            } else if let Some(n) = part.strip_prefix("lite-quota=") {
                let n: i32 = n.parse().map_err(|_| format!("bad lite-quota {n:?}"))?;
                if n < 0 {
                    return Err("lite-quota must not be negative".into());
                }
                group.lite.get_or_insert_with(|| LiteGroup::new("")).quota = n;
            } else if part.eq_ignore_ascii_case("exclusive") {
                group
                    .lite
                    .get_or_insert_with(|| LiteGroup::new(""))
                    .exclusive = true;
            } else {
                return Err(format!(
                    "unknown group option {part:?} (fifo, max-attempts=N, lite-topic=PARENT, \
                     lite-quota=N, exclusive)"
                ));
            }
        }
        if group.lite.as_ref().is_some_and(|l| l.bind_topic.is_empty()) {
            return Err(format!(
                "group {name}: lite-quota and exclusive need lite-topic=PARENT"
            ));
        }
        Ok(group)
    }
}

/// Declared and auto-created topics and groups.
#[derive(Debug, Default)]
pub(crate) struct Metadata {
    pub(crate) topics: HashMap<String, TopicConfig>,
    pub(crate) groups: HashMap<String, GroupConfig>,
    pub(crate) auto_create: bool,
    /// Unknown groups are created on first use (Apache's `autoCreateSubscriptionGroup`).
    pub(crate) auto_create_groups: bool,
}

impl Metadata {
    /// The configuration a topic missing from the metadata gets on first use, when topics are
    /// auto-created (dead-letter topics always are).
    pub(crate) fn auto_topic(&self, name: &str) -> Option<TopicConfig> {
        let dead_letter = name.starts_with(rmq_proto::names::DLQ_TOPIC_PREFIX);
        if !self.auto_create && !dead_letter {
            return None;
        }
        let queues = if dead_letter { 1 } else { DEFAULT_QUEUES };
        Some(TopicConfig {
            name: name.to_owned(),
            topic_type: TopicType::Mixed,
            queues,
        })
    }

    /// The configuration a group missing from the metadata gets on first use (Apache's
    /// `autoCreateSubscriptionGroup`).
    pub(crate) fn auto_group(&self, name: &str) -> Option<GroupConfig> {
        self.auto_create_groups
            .then(|| GroupConfig::new(name.to_owned()))
    }
}
