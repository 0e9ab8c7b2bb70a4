//! The broker's half of the facade: topics and consumer groups created, updated, deleted and
//! inspected, and the runtime figures `clusterList` shows. A change is answered once it is
//! journaled, like every gRPC change.

use super::{Admin, Answered, Refusal, code, json, ok};
use crate::metadata::{DEFAULT_QUEUES, TopicConfig, TopicType};
use crate::remoting::frame::Frame;
use crate::store::journal::{Delete, Deleted, Flushed, JGroup, JTopic};
use std::collections::BTreeMap;

impl Admin {
    /// Answers a change once it is on disk.
    async fn committed(&self, request: &Frame, flushed: Flushed) -> Answered {
        match self.core.durable(flushed).await {
            Ok(()) => Ok(Frame::answer(request, code::SUCCESS, "")),
            Err(status) => Err(Refusal::new(code::SYSTEM_ERROR, status.message)),
        }
    }

    /// UPDATE_AND_CREATE_TOPIC: the queue count is the larger of the read and write counts
    /// (one count serves both here; 1 to [`MAX_QUEUES`], never fewer than the topic has);
    /// `message.type` comes from the `attributes` field
    /// (`+message.type=FIFO`, `-message.type` to reset), and an update without it keeps the
    /// topic's type.
    pub(super) async fn create_topic(&self, request: &Frame) -> Answered {
        let name = Self::required(request, "topic")?;
        if let Err(reject) = crate::validate::topic(name) {
            return Err(Refusal::new(code::INVALID_PARAMETER, reject.message));
        }
        let kind = message_type(request.field("attributes").unwrap_or(""))
            .map_err(|text| Refusal::new(code::INVALID_PARAMETER, text))?;
        let count = |field: &str| -> Result<Option<u32>, Refusal> {
            request
                .field(field)
                .map(|v| {
                    v.parse::<u32>().map_err(|_| {
                        Refusal::new(
                            code::INVALID_PARAMETER,
                            format!("{field} {v:?} is not a queue count"),
                        )
                    })
                })
                .transpose()
        };
        let (read, write) = (count("readQueueNums")?, count("writeQueueNums")?);
        let requested = read.max(write).unwrap_or(DEFAULT_QUEUES);
        if !(1..=MAX_QUEUES).contains(&requested) {
            return Err(Refusal::new(
                code::INVALID_PARAMETER,
                format!("queue count {requested} is outside 1..={MAX_QUEUES}"),
            ));
        }
        let (_, flushed) = self.core.execute_with(|e| {
            let existing = e.meta.topics.get(name);
            let topic_type = kind
                .or(existing.map(|t| t.topic_type))
                .unwrap_or(TopicType::Normal);
            // Queues never go away here (their messages would be stranded): a smaller count
            // keeps the topic's.
            let queues = existing.map_or(requested, |t| t.queues.max(requested));
            JTopic::from(&TopicConfig::new(name, topic_type).queues(queues))
        });
        self.committed(request, flushed).await
    }

    /// DELETE_TOPIC_IN_BROKER: the topic and its messages. Deleting what does not exist
    /// succeeds, as on Apache (`deleteSubGroup` deletes `%RETRY%` and `%DLQ%` topics blindly).
    pub(super) async fn delete_topic(&self, request: &Frame) -> Answered {
        let name = Self::required(request, "topic")?;
        let (_, flushed) = self.core.execute(Delete {
            what: Some(Deleted::Topic(name.to_owned())),
            clean_offset: false,
        });
        self.committed(request, flushed).await
    }

    /// GET_TOPIC_CONFIG.
    pub(super) fn topic_config(&self, request: &Frame) -> Answered {
        let name = Self::required(request, "topic")?;
        match self.core.inspect(|e| e.meta.topics.get(name).cloned()) {
            Some(topic) => ok(
                request,
                serde_json::to_vec(&json::TopicConfigJson::from(&topic)).unwrap_or_default(),
            ),
            None => Err(Refusal::new(
                code::TOPIC_NOT_EXIST,
                format!("No topic in this broker. topic: {name}"),
            )),
        }
    }

    /// GET_ALL_TOPIC_CONFIG.
    pub(super) fn all_topic_configs(&self, request: &Frame) -> Answered {
        let mut topics: Vec<TopicConfig> = self
            .core
            .inspect(|e| e.meta.topics.values().cloned().collect());
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        ok(request, json::topic_configs(&topics, self.core.now()))
    }

    /// GET_TOPIC_STATS_INFO: each queue's first kept and next offsets.
    pub(super) fn topic_stats(&self, request: &Frame) -> Answered {
        let name = Self::required(request, "topic")?;
        let (broker, stats) = self.core.inspect(|e| {
            let known = e.meta.topics.contains_key(name);
            let stats = known.then(|| {
                e.queue_offsets(name)
                    .into_iter()
                    .map(|(min, max, last_update)| json::QueueStats {
                        min,
                        max,
                        last_update,
                    })
                    .collect::<Vec<_>>()
            });
            (e.config.broker_name.clone(), stats)
        });
        match stats {
            Some(stats) => ok(request, json::topic_stats(name, &broker, &stats)),
            None => Err(Refusal::new(
                code::TOPIC_NOT_EXIST,
                format!("topic[{name}] not exist"),
            )),
        }
    }

    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: the body is a `SubscriptionGroupConfig`; the
    /// broker keeps whether it is orderly, its retry count and its retry policy.
    pub(super) async fn create_group(&self, request: &Frame) -> Answered {
        let parsed = serde_json::from_slice::<json::SubscriptionGroupIn>(&request.body)
            .map_err(|e| format!("malformed SubscriptionGroupConfig: {e}"))
            .and_then(json::SubscriptionGroupIn::config);
        let group = match parsed {
            Ok(group) => group,
            Err(text) => return Err(Refusal::new(code::INVALID_PARAMETER, text)),
        };
        if let Err(reject) = crate::validate::group(&group.name) {
            return Err(Refusal::new(code::INVALID_PARAMETER, reject.message));
        }
        let (_, flushed) = self.core.execute(JGroup::from(&group));
        self.committed(request, flushed).await
    }

    /// DELETE_SUBSCRIPTIONGROUP: with `cleanOffset`, the group's progress goes too.
    pub(super) async fn delete_group(&self, request: &Frame) -> Answered {
        let name = Self::required(request, "groupName")?;
        // As Java's `Boolean.parseBoolean`.
        let clean_offset = request
            .field("cleanOffset")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let (_, flushed) = self.core.execute(Delete {
            what: Some(Deleted::Group(name.to_owned())),
            clean_offset,
        });
        self.committed(request, flushed).await
    }

    /// GET_SUBSCRIPTIONGROUP_CONFIG.
    pub(super) fn group_config(&self, request: &Frame) -> Answered {
        let name = Self::required(request, "group")?;
        match self.core.inspect(|e| e.meta.groups.get(name).cloned()) {
            Some(group) => ok(
                request,
                serde_json::to_vec(&json::group_config(&group)).unwrap_or_default(),
            ),
            None => Err(Refusal::new(
                code::SUBSCRIPTION_GROUP_NOT_EXIST,
                "No group in this broker",
            )),
        }
    }

    /// GET_ALL_SUBSCRIPTIONGROUP_CONFIG, in one answer (no paging fields, so Java takes it
    /// whole).
    pub(super) fn all_group_configs(&self, request: &Frame) -> Answered {
        let mut groups: Vec<_> = self
            .core
            .inspect(|e| e.meta.groups.values().cloned().collect());
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        ok(request, json::group_configs(&groups, self.core.now()))
    }

    /// GET_BROKER_RUNTIME_INFO: what `clusterList` prints; figures the broker does not keep
    /// are left out (the tool shows its defaults), never sent as text it cannot parse.
    pub(super) fn runtime_info(&self, request: &Frame) -> Answered {
        let table = BTreeMap::from([
            ("brokerActive", "true".to_owned()),
            (
                "brokerVersionDesc",
                concat!("rmq-mini-broker ", env!("CARGO_PKG_VERSION")).to_owned(),
            ),
            ("putTps", "0.0 0.0 0.0".to_owned()),
            ("getTransferredTps", "0.0 0.0 0.0".to_owned()),
        ]);
        ok(request, json::kv_table(&table))
    }
}

/// Most queues a topic made through the admin facade may have (each costs memory in every
/// route and every group's progress).
pub(crate) const MAX_QUEUES: u32 = 1024;

/// The `message.type` an `attributes` field sets: `Some` when it sets or resets one.
fn message_type(attributes: &str) -> Result<Option<TopicType>, String> {
    let mut kind = None;
    for item in attributes
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        if let Some(removed) = item.strip_prefix('-') {
            if removed == json::MESSAGE_TYPE {
                kind = Some(TopicType::Normal);
            }
            continue;
        }
        let Some((key, value)) = item.strip_prefix('+').and_then(|i| i.split_once('=')) else {
            return Err(format!("attribute {item:?} is neither +key=value nor -key"));
        };
        if key == json::MESSAGE_TYPE {
            kind = Some(match value.to_ascii_uppercase().as_str() {
                // A topic without a type takes normal messages, as on Apache.
                "UNSPECIFIED" => TopicType::Normal,
                other => other.parse::<TopicType>()?,
            });
        }
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_set_and_reset_the_message_type() {
        assert_eq!(message_type(""), Ok(None));
        assert_eq!(
            message_type("+message.type=FIFO"),
            Ok(Some(TopicType::Fifo))
        );
        assert_eq!(
            message_type("+queue.type=SimpleCQ,+message.type=delay"),
            Ok(Some(TopicType::Delay))
        );
        assert_eq!(message_type("-message.type"), Ok(Some(TopicType::Normal)));
        assert!(message_type("+message.type=SOMETIMES").is_err());
        assert!(message_type("message.type").is_err());
    }
}
