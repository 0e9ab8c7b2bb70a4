//! Messages: outgoing ones (a builder with the reference client's checks, the message type the
//! properties imply, the wire form), received ones ([`MessageView`]), subscription filters,
//! ids and body decoding.

pub(crate) mod body;
mod filter;
pub(crate) mod id;
mod view;

pub use filter::FilterExpression;
pub use view::MessageView;

use crate::error::{Error, Result};
use bytes::Bytes;
use rmq_proto::v2::{self, Encoding, MessageType, Resource, SystemProperties};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const OP: &str = "message";

/// A message to send. Build it with [`Message::builder`].
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    topic: String,
    body: Bytes,
    tag: Option<String>,
    keys: Vec<String>,
    properties: HashMap<String, String>,
    message_group: Option<String>,
    delivery_timestamp: Option<SystemTime>,
    priority: Option<i32>,
    lite_topic: Option<String>,
}

impl Message {
    /// A builder for a message to `topic` with `body` (a `Vec<u8>`, `String`, static text or
    /// [`Bytes`]; never copied afterwards, whatever the retries).
    pub fn builder(topic: impl Into<String>, body: impl Into<Bytes>) -> MessageBuilder {
        MessageBuilder {
            message: Message {
                topic: topic.into(),
                body: body.into(),
                tag: None,
                keys: Vec::new(),
                properties: HashMap::new(),
                message_group: None,
                delivery_timestamp: None,
                priority: None,
                lite_topic: None,
            },
        }
    }

    /// Topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// Keys.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// User properties.
    pub fn properties(&self) -> &HashMap<String, String> {
        &self.properties
    }

    /// FIFO message group, if any.
    pub fn message_group(&self) -> Option<&str> {
        self.message_group.as_deref()
    }

    /// Scheduled delivery time, if any.
    pub fn delivery_timestamp(&self) -> Option<SystemTime> {
        self.delivery_timestamp
    }

    /// Priority, if any.
    pub fn priority(&self) -> Option<i32> {
        self.priority
    }

    /// Lite topic (under the message's topic, a LITE topic), if any.
    pub fn lite_topic(&self) -> Option<&str> {
        self.lite_topic.as_deref()
    }

    /// The message type the properties imply, in the reference client's order; inside a
    /// transaction a message may carry none of group, delivery time, priority or lite topic.
    pub fn message_type(&self, transactional: bool) -> Result<MessageType> {
        let kind = if self.message_group.is_some() {
            MessageType::Fifo
        } else if self.delivery_timestamp.is_some() {
            MessageType::Delay
        } else if self.priority.is_some() {
            MessageType::Priority
        } else if self.lite_topic.is_some() {
            MessageType::Lite
        } else {
            MessageType::Normal
        };
        match (transactional, kind) {
            (false, kind) => Ok(kind),
            (true, MessageType::Normal) => Ok(MessageType::Transaction),
            (true, _) => Err(Error::invalid(
                OP,
                "a transactional message cannot have a message group, delivery time, priority \
                 or lite topic",
            )),
        }
    }

    /// The wire form, for one send attempt (`born_timestamp` is now).
    pub(crate) fn to_proto(
        &self,
        namespace: &str,
        message_id: &str,
        born_host: &str,
        kind: MessageType,
    ) -> v2::Message {
        v2::Message {
            topic: Some(Resource {
                resource_namespace: namespace.to_owned(),
                name: self.topic.clone(),
            }),
            user_properties: self.properties.clone(),
            system_properties: Some(SystemProperties {
                tag: self.tag.clone(),
                keys: self.keys.clone(),
                message_id: message_id.to_owned(),
                body_encoding: Encoding::Identity as i32,
                message_type: kind as i32,
                born_timestamp: Some(timestamp(SystemTime::now())),
                born_host: born_host.to_owned(),
                delivery_timestamp: self.delivery_timestamp.map(timestamp),
                message_group: self.message_group.clone(),
                priority: self.priority,
                lite_topic: self.lite_topic.clone(),
                ..Default::default()
            }),
            body: self.body.clone(),
        }
    }
}

fn timestamp(at: SystemTime) -> prost_types::Timestamp {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    prost_types::Timestamp {
        seconds: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        // Millisecond precision, as the reference client sends.
        nanos: i32::try_from(since.subsec_millis() * 1_000_000).unwrap_or(0),
    }
}

/// Builder of [`Message`]; `build` checks everything the reference client checks.
#[derive(Clone, Debug)]
pub struct MessageBuilder {
    message: Message,
}

impl MessageBuilder {
    /// Tag (one; no `|`, not blank).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.message.tag = Some(tag.into());
        self
    }

    /// Adds a key.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.message.keys.push(key.into());
        self
    }

    /// Sets all keys.
    pub fn keys<I: IntoIterator<Item = S>, S: Into<String>>(mut self, keys: I) -> Self {
        self.message.keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a user property.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.message.properties.insert(key.into(), value.into());
        self
    }

    /// FIFO message group (only for FIFO topics).
    pub fn message_group(mut self, group: impl Into<String>) -> Self {
        self.message.message_group = Some(group.into());
        self
    }

    /// Delivery time (only for DELAY topics; at most a day ahead on Apache).
    pub fn delivery_timestamp(mut self, at: SystemTime) -> Self {
        self.message.delivery_timestamp = Some(at);
        self
    }

    /// Priority, 0 or more (only for PRIORITY topics).
    pub fn priority(mut self, priority: i32) -> Self {
        self.message.priority = Some(priority);
        self
    }

    /// Lite topic (only for LITE topics): one of the parent topic's lightweight ordered
    /// sub-topics, 1 to 64 of `[A-Za-z0-9_-]`.
    pub fn lite_topic(mut self, lite_topic: impl Into<String>) -> Self {
        self.message.lite_topic = Some(lite_topic.into());
        self
    }

    /// Checks and builds.
    pub fn build(self) -> Result<Message> {
        let m = self.message;
        let legal = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '%' | '_' | '-'))
        };
        if m.topic.is_empty() || m.topic.len() > rmq_proto::names::MAX_TOPIC_LEN || !legal(&m.topic)
        {
            return Err(Error::invalid(
                OP,
                format!("topic {:?} must be 1 to 127 of [%a-zA-Z0-9_-]", m.topic),
            ));
        }
        if m.body.is_empty() {
            return Err(Error::invalid(OP, "body must not be empty"));
        }
        if let Some(tag) = &m.tag
            && (tag.trim().is_empty() || tag.contains('|'))
        {
            return Err(Error::invalid(
                OP,
                format!("tag {tag:?} must not be blank or contain |"),
            ));
        }
        if m.keys.iter().any(|k| k.trim().is_empty()) {
            return Err(Error::invalid(OP, "keys must not be blank"));
        }
        if m.properties
            .iter()
            .any(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
        {
            return Err(Error::invalid(
                OP,
                "property keys and values must not be blank",
            ));
        }
        if let Some(group) = &m.message_group
            && group.trim().is_empty()
        {
            return Err(Error::invalid(OP, "message group must not be blank"));
        }
        if m.priority.is_some_and(|p| p < 0) {
            return Err(Error::invalid(OP, "priority must be 0 or more"));
        }
        if let Some(lite) = &m.lite_topic {
            check_lite_topic(OP, lite)?;
        }
        let exclusive = [
            m.message_group.is_some(),
            m.delivery_timestamp.is_some(),
            m.priority.is_some(),
            m.lite_topic.is_some(),
        ];
        if exclusive.iter().filter(|set| **set).count() > 1 {
            return Err(Error::invalid(
                OP,
                "message group, delivery time, priority and lite topic exclude one another",
            ));
        }
        Ok(m)
    }
}

/// A lite topic's name, checked as the proxy checks it: not blank, at most 64 bytes, only
/// `[A-Za-z0-9_-]`.
pub(crate) fn check_lite_topic(op: &'static str, name: &str) -> Result<()> {
    let max = rmq_proto::limits::MAX_LITE_TOPIC_BYTES;
    if name.trim().is_empty() {
        return Err(Error::invalid(op, "lite topic must not be blank"));
    }
    if name.len() > max {
        return Err(Error::invalid(
            op,
            format!("lite topic {name:?} is longer than {max} bytes"),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::invalid(
            op,
            format!("lite topic {name:?} may only contain [A-Za-z0-9_-]"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn types_follow_the_properties() {
        let normal = Message::builder("t", "b").build().expect("valid");
        assert_eq!(normal.message_type(false).expect("ok"), MessageType::Normal);
        assert_eq!(
            normal.message_type(true).expect("ok"),
            MessageType::Transaction
        );
        let fifo = Message::builder("t", "b")
            .message_group("g")
            .build()
            .expect("valid");
        assert_eq!(fifo.message_type(false).expect("ok"), MessageType::Fifo);
        assert!(fifo.message_type(true).is_err());
        let delay = Message::builder("t", "b")
            .delivery_timestamp(SystemTime::now())
            .build()
            .expect("valid");
        assert_eq!(delay.message_type(false).expect("ok"), MessageType::Delay);
        let priority = Message::builder("t", "b")
            .priority(3)
            .build()
            .expect("valid");
        assert_eq!(
            priority.message_type(false).expect("ok"),
            MessageType::Priority
        );
        let lite = Message::builder("t", "b")
            .lite_topic("session-1_a")
            .build()
            .expect("valid");
        assert_eq!(lite.message_type(false).expect("ok"), MessageType::Lite);
        assert!(lite.message_type(true).is_err());
        let wire = lite.to_proto("", "id", "host", MessageType::Lite);
        let sys = wire.system_properties.expect("system properties");
        assert_eq!(sys.lite_topic.as_deref(), Some("session-1_a"));
    }

    #[test]
    fn invalid_messages_are_refused_before_any_io() {
        let cases = [
            Message::builder("", "b").build(),
            Message::builder("bad topic", "b").build(),
            Message::builder("t".repeat(128), "b").build(),
            Message::builder("t", "").build(),
            Message::builder("t", "b").tag("a|b").build(),
            Message::builder("t", "b").tag(" ").build(),
            Message::builder("t", "b").key("").build(),
            Message::builder("t", "b").property("k", " ").build(),
            Message::builder("t", "b").message_group(" ").build(),
            Message::builder("t", "b").priority(-1).build(),
            Message::builder("t", "b")
                .message_group("g")
                .priority(1)
                .build(),
            Message::builder("t", "b")
                .message_group("g")
                .delivery_timestamp(SystemTime::now())
                .build(),
            Message::builder("t", "b").lite_topic(" ").build(),
            Message::builder("t", "b").lite_topic("bad name!").build(),
            Message::builder("t", "b")
                .lite_topic("x".repeat(65))
                .build(),
            Message::builder("t", "b")
                .lite_topic("l")
                .priority(1)
                .build(),
            Message::builder("t", "b")
                .lite_topic("l")
                .message_group("g")
                .build(),
        ];
        for case in cases {
            assert_eq!(
                case.expect_err("invalid").kind(),
                ErrorKind::InvalidArgument
            );
        }
    }

    #[test]
    fn wire_form_carries_every_field() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let m = Message::builder("orders", b"body".to_vec())
            .tag("TagA")
            .keys(["k1", "k2"])
            .property("color", "red")
            .delivery_timestamp(at)
            .build()
            .expect("valid");
        let kind = m.message_type(false).expect("ok");
        let wire = m.to_proto("ns", "01ABC", "host-1", kind);
        let sys = wire.system_properties.expect("system properties");
        assert_eq!(
            wire.topic.map(|t| (t.resource_namespace, t.name)),
            Some(("ns".into(), "orders".into()))
        );
        assert_eq!(sys.tag.as_deref(), Some("TagA"));
        assert_eq!(sys.keys, ["k1", "k2"]);
        assert_eq!(sys.message_id, "01ABC");
        assert_eq!(sys.message_type, MessageType::Delay as i32);
        assert_eq!(
            sys.delivery_timestamp,
            Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 123_000_000
            })
        );
        assert_eq!(sys.born_host, "host-1");
        assert!(sys.born_timestamp.is_some());
        assert_eq!(
            wire.user_properties.get("color").map(String::as_str),
            Some("red")
        );
        assert_eq!(wire.body, &b"body"[..]);
    }
}
