//! The name server's half of the facade: routes, the cluster listing, the topic list and
//! the key-value configuration (`ORDER_TOPIC_CONFIG` and the like).

use super::{Admin, Answered, CLUSTER, Refusal, code, json, ok};
use crate::remoting::frame::Frame;

impl Admin {
    /// GET_ROUTEINFO_BY_TOPIC: the brokers that hold the topic, each with its queue count
    /// (the same counts gRPC QueryRoute gives). A route never creates a topic here; Apache's
    /// name server does not either.
    pub(super) fn route(&self, request: &Frame) -> Answered {
        let topic = Self::required(request, "topic")?;
        let holders = self.holders(topic);
        if holders.is_empty() {
            return Err(Refusal::new(
                code::TOPIC_NOT_EXIST,
                format!(
                    "No topic route info in name server for the topic: {topic}\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details."
                ),
            ));
        }
        ok(request, json::route(CLUSTER, &holders))
    }

    /// GET_BROKER_CLUSTER_INFO.
    pub(super) fn cluster_info(&self, request: &Frame) -> Answered {
        ok(request, json::cluster_info(CLUSTER, &self.brokers()))
    }

    /// GET_ALL_TOPIC_LIST_FROM_NAMESERVER: the declared topics, sorted.
    pub(super) fn topic_list(&self, request: &Frame) -> Answered {
        let mut topics: Vec<String> = self
            .core
            .inspect(|e| e.meta.topics.keys().cloned().collect());
        topics.sort();
        ok(request, json::topic_list(&topics))
    }

    fn kv_key(request: &Frame) -> Result<(String, String), Refusal> {
        let namespace = Self::required(request, "namespace")?;
        let key = Self::required(request, "key")?;
        Ok((namespace.to_owned(), key.to_owned()))
    }

    /// PUT_KV_CONFIG.
    pub(super) fn put_kv(&self, request: &Frame) -> Answered {
        let key = Self::kv_key(request)?;
        let value = Self::required(request, "value")?;
        self.kv.lock().insert(key, value.to_owned());
        ok(request, Vec::new())
    }

    /// GET_KV_CONFIG: the value in the answer's `value` header field.
    pub(super) fn get_kv(&self, request: &Frame) -> Answered {
        let key = Self::kv_key(request)?;
        let Some(value) = self.kv.lock().get(&key).cloned() else {
            return Err(Refusal::new(
                code::QUERY_NOT_FOUND,
                format!("No config item, Namespace: {} Key: {}", key.0, key.1),
            ));
        };
        let mut answer = Frame::answer(request, code::SUCCESS, "");
        answer.fields.insert("value".into(), value);
        Ok(answer)
    }

    /// DELETE_KV_CONFIG.
    pub(super) fn delete_kv(&self, request: &Frame) -> Answered {
        let key = Self::kv_key(request)?;
        self.kv.lock().remove(&key);
        ok(request, Vec::new())
    }
}
