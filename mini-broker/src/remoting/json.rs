//! The JSON bodies of the admin requests and answers, with the field names of Apache's Java
//! classes (`TopicRouteData`, `ClusterInfo`, `TopicConfig`, `SubscriptionGroupConfig`, …).
//! Java decodes them with fastjson, which also takes map keys written as strings where its
//! own encoder would write numbers (`brokerAddrs: {"0": …}`).

use crate::metadata::{GroupConfig, RetryPolicy, TopicConfig, TopicType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// Read and write permission (`PermName.PERM_READ | PERM_WRITE`).
pub(super) const PERM_READ_WRITE: i32 = 6;
/// What `message.type` is called in topic attributes.
pub(super) const MESSAGE_TYPE: &str = "message.type";

/// A broker as routes and cluster listings name it.
#[derive(Clone, Debug)]
pub(super) struct BrokerEntry {
    pub(super) name: String,
    pub(super) addr: SocketAddr,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BrokerData<'a> {
    cluster: &'a str,
    broker_name: &'a str,
    broker_addrs: BTreeMap<&'static str, String>,
    enable_acting_master: bool,
}

fn broker_data<'a>(cluster: &'a str, broker: &'a BrokerEntry) -> BrokerData<'a> {
    BrokerData {
        cluster,
        broker_name: &broker.name,
        // Broker id 0 is the master.
        broker_addrs: BTreeMap::from([("0", broker.addr.to_string())]),
        enable_acting_master: false,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct QueueData<'a> {
    broker_name: &'a str,
    read_queue_nums: u32,
    write_queue_nums: u32,
    perm: i32,
    topic_sys_flag: i32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TopicRouteData<'a> {
    queue_datas: Vec<QueueData<'a>>,
    broker_datas: Vec<BrokerData<'a>>,
    filter_server_table: BTreeMap<String, Vec<String>>,
}

/// `TopicRouteData`: each broker holding the topic, with its queue count.
pub(super) fn route(cluster: &str, holders: &[(BrokerEntry, u32)]) -> Vec<u8> {
    let body = TopicRouteData {
        queue_datas: holders
            .iter()
            .map(|(b, queues)| QueueData {
                broker_name: &b.name,
                read_queue_nums: *queues,
                write_queue_nums: *queues,
                perm: PERM_READ_WRITE,
                topic_sys_flag: 0,
            })
            .collect(),
        broker_datas: holders
            .iter()
            .map(|(b, _)| broker_data(cluster, b))
            .collect(),
        filter_server_table: BTreeMap::new(),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterInfo<'a> {
    broker_addr_table: BTreeMap<&'a str, BrokerData<'a>>,
    cluster_addr_table: BTreeMap<&'a str, Vec<&'a str>>,
}

/// `ClusterInfo`: one cluster of every broker.
pub(super) fn cluster_info(cluster: &str, brokers: &[BrokerEntry]) -> Vec<u8> {
    let body = ClusterInfo {
        broker_addr_table: brokers
            .iter()
            .map(|b| (b.name.as_str(), broker_data(cluster, b)))
            .collect(),
        cluster_addr_table: BTreeMap::from([(
            cluster,
            brokers.iter().map(|b| b.name.as_str()).collect(),
        )]),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// `TopicList`.
pub(super) fn topic_list(topics: &[String]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "topicList": topics })).unwrap_or_default()
}

/// `KVTable`.
pub(super) fn kv_table(table: &BTreeMap<&str, String>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "table": table })).unwrap_or_default()
}

/// A topic's `TopicConfig` as the broker keeps it (attributes without their `+`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TopicConfigJson {
    topic_name: String,
    read_queue_nums: u32,
    write_queue_nums: u32,
    perm: i32,
    topic_filter_type: &'static str,
    topic_sys_flag: i32,
    order: bool,
    attributes: BTreeMap<&'static str, String>,
}

impl From<&TopicConfig> for TopicConfigJson {
    fn from(topic: &TopicConfig) -> Self {
        TopicConfigJson {
            topic_name: topic.name.clone(),
            read_queue_nums: topic.queues,
            write_queue_nums: topic.queues,
            perm: PERM_READ_WRITE,
            topic_filter_type: "SINGLE_TAG",
            topic_sys_flag: 0,
            order: topic.topic_type == TopicType::Fifo,
            attributes: BTreeMap::from([(MESSAGE_TYPE, topic.topic_type.name().to_owned())]),
        }
    }
}

/// `TopicConfigSerializeWrapper` (every topic of the broker).
pub(super) fn topic_configs(topics: &[TopicConfig], now: i64) -> Vec<u8> {
    let table: BTreeMap<&str, TopicConfigJson> = topics
        .iter()
        .map(|t| (t.name.as_str(), TopicConfigJson::from(t)))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "topicConfigTable": table,
        "dataVersion": data_version(now),
    }))
    .unwrap_or_default()
}

fn data_version(now: i64) -> serde_json::Value {
    serde_json::json!({ "counter": 0, "stateVersion": 0, "timestamp": now })
}

/// One queue's offsets in a `TopicStatsTable`.
pub(super) struct QueueStats {
    pub(super) min: i64,
    pub(super) max: i64,
    pub(super) last_update: i64,
}

/// `TopicStatsTable`. Its keys are `MessageQueue` objects, which fastjson writes (and
/// reads) as JSON objects in key position, not valid JSON: written by hand here.
pub(super) fn topic_stats(topic: &str, broker: &str, queues: &[QueueStats]) -> Vec<u8> {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let entries: Vec<String> = queues
        .iter()
        .enumerate()
        .map(|(id, q)| {
            format!(
                "{{\"brokerName\":{},\"queueId\":{id},\"topic\":{}}}:{{\"lastUpdateTimestamp\":{},\"maxOffset\":{},\"minOffset\":{}}}",
                quote(broker),
                quote(topic),
                q.last_update,
                q.max,
                q.min
            )
        })
        .collect();
    format!(
        "{{\"offsetTable\":{{{}}},\"topicPutTps\":0.0}}",
        entries.join(",")
    )
    .into_bytes()
}

/// The fields of `SubscriptionGroupConfig` the broker acts on; the others are kept as
/// Apache's defaults when read back.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SubscriptionGroupIn {
    pub(super) group_name: Option<String>,
    #[serde(default)]
    pub(super) consume_message_orderly: bool,
    #[serde(default = "default_retries")]
    pub(super) retry_max_times: i32,
    #[serde(default)]
    pub(super) group_retry_policy: Option<RetryPolicyJson>,
}

fn default_retries() -> i32 {
    rmq_proto::limits::DEFAULT_MAX_DELIVERY_ATTEMPTS - 1
}

#[derive(Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RetryPolicyJson {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exponential_retry_policy: Option<Exponential>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    customized_retry_policy: Option<Customized>,
}

#[derive(Deserialize, Serialize)]
struct Exponential {
    initial: i64,
    max: i64,
    multiplier: i64,
}

#[derive(Deserialize, Serialize)]
struct Customized {
    next: Vec<i64>,
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl SubscriptionGroupIn {
    /// The group as the broker keeps it; `Err` names what Apache would refuse.
    pub(super) fn config(self) -> Result<GroupConfig, String> {
        let name = self.group_name.unwrap_or_default();
        if self.retry_max_times < -1 {
            return Err(format!(
                "retryMaxTimes {} is negative",
                self.retry_max_times
            ));
        }
        let policy = match self.group_retry_policy {
            None => RetryPolicy::default(),
            Some(p) => p.policy()?,
        };
        // retryMaxTimes counts redeliveries; -1 means none.
        let attempts = self.retry_max_times.max(0).saturating_add(1);
        Ok(GroupConfig::new(name)
            .fifo(self.consume_message_orderly)
            .max_delivery_attempts(attempts)
            .retry_policy(policy))
    }
}

impl RetryPolicyJson {
    fn policy(self) -> Result<RetryPolicy, String> {
        let kind = self
            .kind
            .as_deref()
            .unwrap_or("CUSTOMIZED")
            .to_ascii_uppercase();
        match kind.as_str() {
            "EXPONENTIAL" => {
                let Some(e) = self.exponential_retry_policy else {
                    return Ok(RetryPolicy::Exponential {
                        initial: Duration::from_secs(5),
                        max: Duration::from_secs(7200),
                        multiplier: 2.0,
                    });
                };
                Ok(RetryPolicy::Exponential {
                    initial: millis(e.initial),
                    max: millis(e.max),
                    #[allow(clippy::cast_precision_loss)]
                    multiplier: e.multiplier as f32,
                })
            }
            "CUSTOMIZED" => Ok(match self.customized_retry_policy {
                Some(c) if !c.next.is_empty() => {
                    RetryPolicy::Customized(c.next.into_iter().map(millis).collect())
                }
                _ => RetryPolicy::default(),
            }),
            other => Err(format!("unknown retry policy type {other}")),
        }
    }

    fn from_policy(policy: &RetryPolicy) -> RetryPolicyJson {
        let ms = |d: &Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match policy {
            RetryPolicy::Customized(delays) => RetryPolicyJson {
                kind: Some("CUSTOMIZED".into()),
                exponential_retry_policy: None,
                customized_retry_policy: Some(Customized {
                    next: delays.iter().map(ms).collect(),
                }),
            },
            RetryPolicy::Exponential {
                initial,
                max,
                multiplier,
            } => RetryPolicyJson {
                kind: Some("EXPONENTIAL".into()),
                exponential_retry_policy: Some(Exponential {
                    initial: ms(initial),
                    max: ms(max),
                    #[allow(clippy::cast_possible_truncation)]
                    multiplier: multiplier.round() as i64,
                }),
                customized_retry_policy: None,
            },
        }
    }
}

/// A group's `SubscriptionGroupConfig`, Apache's defaults for what the broker does not model.
pub(super) fn group_config(group: &GroupConfig) -> serde_json::Value {
    serde_json::json!({
        "groupName": group.name,
        "consumeEnable": true,
        "consumeFromMinEnable": false,
        "consumeBroadcastEnable": false,
        "consumeMessageOrderly": group.fifo,
        "retryQueueNums": 1,
        "retryMaxTimes": group.max_delivery_attempts - 1,
        "groupRetryPolicy": RetryPolicyJson::from_policy(&group.retry_policy),
        "brokerId": 0,
        "whichBrokerWhenConsumeSlowly": 1,
        "notifyConsumerIdsChangedEnable": true,
        "groupSysFlag": 0,
        "consumeTimeoutMinute": 15,
        "attributes": {},
    })
}

/// `SubscriptionGroupWrapper` (every group of the broker).
pub(super) fn group_configs(groups: &[GroupConfig], now: i64) -> Vec<u8> {
    let table: serde_json::Map<String, serde_json::Value> = groups
        .iter()
        .map(|g| (g.name.clone(), group_config(g)))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "subscriptionGroupTable": table,
        "forbiddenTable": {},
        "dataVersion": data_version(now),
    }))
    .unwrap_or_default()
}
