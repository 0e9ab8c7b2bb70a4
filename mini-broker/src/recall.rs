//! Recall handles of scheduled messages: URL-safe base64 (with padding) of
//! `v1 <topic> <broker> <deliver-ms + 1> <message-id>`, the layout Apache brokers hand out.

use crate::clock::Millis;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;

pub(crate) fn encode(topic: &str, broker: &str, deliver_at: Millis, message_id: &str) -> String {
    URL_SAFE.encode(format!(
        "v1 {topic} {broker} {} {message_id}",
        deliver_at.saturating_add(1)
    ))
}

/// The parts of a recall handle: topic, broker name and message id.
pub(crate) struct Recall {
    pub(crate) topic: String,
    pub(crate) broker: String,
    pub(crate) message_id: String,
}

pub(crate) fn decode(handle: &str) -> Option<Recall> {
    let bytes = URL_SAFE.decode(handle.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let fields: Vec<&str> = text.split(' ').collect();
    match fields.as_slice() {
        ["v1", topic, broker, at, message_id] if at.parse::<i64>().is_ok() => Some(Recall {
            topic: (*topic).to_owned(),
            broker: (*broker).to_owned(),
            message_id: (*message_id).to_owned(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let handle = super::encode("T", "broker-0", 1_000, "01ABC");
        let recall = super::decode(&handle).expect("decodes");
        assert_eq!(
            (
                recall.topic.as_str(),
                recall.broker.as_str(),
                recall.message_id.as_str()
            ),
            ("T", "broker-0", "01ABC")
        );
        assert!(super::decode("%%%").is_none());
        assert!(super::decode(&super::encode("T", "b", 1, "x")[..4]).is_none());
    }
}
