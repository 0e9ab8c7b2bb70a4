//! Harness of the interop scenario suite (`tests/scenarios.rs`): the same scenarios, written
//! once with rmq-client, run against whichever server `RMQ_SCENARIO_ENDPOINT` names (a real
//! Apache RocketMQ proxy, a mini-broker process) or, without it, an in-process mini-broker
//! per scenario.
//!
//! The server must have the topics and groups of [`TOPICS`] and [`GROUPS`];
//! `interop/apache/server.sh` creates them on Apache when given [`apache_topics`] and
//! [`apache_groups`] (see `interop/run-scenarios.sh`). Scenarios share the server, so each
//! tags its messages with a run-unique tag and uses run-unique groups (the FIFO and DLQ
//! groups, which must exist beforehand, are each used by one scenario only).

use rmq_client::{ClientConfig, Message};
use rmq_mini_broker::{GroupConfig, LiteGroup, MiniBroker, TopicConfig, TopicType};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Topics the scenarios use, with their message types. [`FAILOVER_TOPIC`] is the failover
/// scenario's alone (`tests/failover.rs`), so its traffic never meets the suite's.
pub const TOPICS: [(&str, &str); 5] = [
    ("sc-normal", "NORMAL"),
    ("sc-fifo", "FIFO"),
    ("sc-delay", "DELAY"),
    ("sc-tx", "TRANSACTION"),
    (FAILOVER_TOPIC, "NORMAL"),
];

/// The topic of the broker-failover scenario (`tests/failover.rs`).
pub const FAILOVER_TOPIC: &str = "sc-failover";

/// The priority topic (Apache 5.4+): declared on the in-process broker, and on an external
/// server only when it supports priority messages (`RMQ_SERVER_PRIORITY=1`, which the harness
/// of such a server sets; Apache 5.3 refuses the topic type).
pub const PRIORITY_TOPIC: &str = "sc-priority";

/// Queues of [`PRIORITY_TOPIC`] (Apache's default for a new topic).
pub const PRIORITY_QUEUES: u32 = 8;

/// Whether the server named by `RMQ_SCENARIO_ENDPOINT` (or `interop/apache/server.sh`'s) has
/// priority messages.
pub fn server_has_priority() -> bool {
    std::env::var("RMQ_SERVER_PRIORITY").is_ok_and(|v| v == "1")
}

/// The lite topic (Apache 5.5+, RIP-83) and its lite group: declared on the in-process
/// broker, and on an external server only when it serves lite topics (`RMQ_SERVER_LITE=1`:
/// Apache 5.5 in cluster mode; local mode and older servers do not).
pub const LITE_TOPIC: &str = "sc-lite";
/// The lite group bound to [`LITE_TOPIC`].
pub const LITE_GROUP: &str = "sc-lite-agents";

/// Whether the server named by `RMQ_SCENARIO_ENDPOINT` serves lite topics.
pub fn server_has_lite() -> bool {
    std::env::var("RMQ_SERVER_LITE").is_ok_and(|v| v == "1")
}

/// Groups that must exist beforehand: (name, FIFO, max delivery attempts).
pub const GROUPS: [(&str, bool, Option<i32>); 3] = [
    ("sc-fifo-order", true, None),
    ("sc-fifo-push", true, None),
    ("sc-dlq", false, Some(2)),
];

/// `RMQ_APACHE_TOPICS` for `interop/apache/server.sh`.
pub fn apache_topics() -> String {
    let priority = server_has_priority().then_some((PRIORITY_TOPIC, "PRIORITY"));
    let lite = server_has_lite().then_some((LITE_TOPIC, "LITE"));
    TOPICS
        .iter()
        .copied()
        .chain(priority)
        .chain(lite)
        .map(|(name, kind)| format!("{name}:{kind}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `RMQ_APACHE_GROUPS` for `interop/apache/server.sh`.
pub fn apache_groups() -> String {
    GROUPS
        .iter()
        .map(|(name, fifo, attempts)| {
            let mut spec = (*name).to_owned();
            if *fifo {
                spec.push_str(":fifo");
            }
            if let Some(n) = attempts {
                spec.push_str(&format!(":max-attempts={n}"));
            }
            spec
        })
        .chain(server_has_lite().then(|| format!("{LITE_GROUP}:lite-topic={LITE_TOPIC}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The server a scenario runs against; an in-process broker lives as long as this value.
pub struct Server {
    /// `host:port` of the server.
    pub endpoint: String,
    /// Whether it is an external server (rather than an in-process mini-broker).
    pub external: bool,
    /// Whether it has priority messages and [`PRIORITY_TOPIC`].
    pub priority: bool,
    /// Whether it serves lite topics, [`LITE_TOPIC`] and [`LITE_GROUP`].
    pub lite: bool,
    broker: Option<MiniBroker>,
}

impl Server {
    /// The server named by `RMQ_SCENARIO_ENDPOINT`, or a fresh in-process mini-broker with
    /// the scenarios' topics and groups.
    pub async fn start() -> Server {
        if let Ok(endpoint) = std::env::var("RMQ_SCENARIO_ENDPOINT")
            && !endpoint.is_empty()
        {
            return Server {
                endpoint,
                external: true,
                priority: server_has_priority(),
                lite: server_has_lite(),
                broker: None,
            };
        }
        let mut builder = MiniBroker::builder().strict(true);
        for (name, kind) in TOPICS {
            let kind: TopicType = kind.parse().expect("a topic type");
            builder = builder.topic(TopicConfig::new(name, kind).queues(4));
        }
        builder = builder
            .topic(TopicConfig::new(PRIORITY_TOPIC, TopicType::Priority).queues(PRIORITY_QUEUES))
            .topic(TopicConfig::new(LITE_TOPIC, TopicType::Lite).queues(4))
            .group(GroupConfig::new(LITE_GROUP).lite(LiteGroup::new(LITE_TOPIC)));
        for (name, fifo, attempts) in GROUPS {
            let mut group = GroupConfig::new(name).fifo(fifo);
            if let Some(n) = attempts {
                group = group.max_delivery_attempts(n);
            }
            builder = builder.group(group);
        }
        // Strict like a production proxy, but other groups are created on first use, as
        // Apache's `autoCreateSubscriptionGroup` (on by default) does.
        let broker = builder
            .auto_create_groups(true)
            .start()
            .await
            .expect("mini-broker starts");
        Server {
            endpoint: broker.endpoint(),
            external: false,
            priority: true,
            lite: true,
            broker: Some(broker),
        }
    }

    /// The in-process broker, when there is one.
    pub fn broker(&self) -> Option<&MiniBroker> {
        self.broker.as_ref()
    }

    /// A client configuration for the server.
    pub fn config(&self) -> ClientConfig {
        ClientConfig::builder()
            .endpoints(self.endpoint.clone())
            .request_timeout(Duration::from_secs(5))
            .build()
            .expect("client config")
    }
}

/// A name unique to this run and call: `prefix` plus process, time and a counter.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!(
        "{prefix}-{}-{millis}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A message to `topic` tagged `tag` with `body`.
pub fn message(topic: &str, tag: &str, body: &str) -> Message {
    Message::builder(topic, body.to_owned())
        .tag(tag)
        .build()
        .expect("valid message")
}
