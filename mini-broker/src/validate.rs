//! Request validation with the rules and status codes of the Apache proxy.

use rmq_proto::Code;
use rmq_proto::limits;
use rmq_proto::names;

/// A business error: the code and message put into the response `Status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reject {
    pub(crate) code: Code,
    pub(crate) message: String,
}

impl Reject {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Self {
        Reject {
            code,
            message: bounded(message.into()),
        }
    }
}

/// Longest status text the broker sends, in bytes. Texts quote client input (a refused filter,
/// a name), and a standard gRPC client cannot read a status whose text passes its metadata
/// limit (16 KiB in grpc-java), so it would report RESOURCE_EXHAUSTED instead of the refusal.
pub(crate) const MAX_STATUS_TEXT: usize = 512;

/// `text` cut to [`MAX_STATUS_TEXT`] bytes at a character boundary, ending in an ellipsis
/// when cut.
pub(crate) fn bounded(mut text: String) -> String {
    if text.len() <= MAX_STATUS_TEXT {
        return text;
    }
    const ELLIPSIS: &str = "…";
    let mut end = MAX_STATUS_TEXT - ELLIPSIS.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(ELLIPSIS);
    text
}

pub(crate) type Checked<T = ()> = Result<T, Reject>;

fn legal_name_chars(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || names::NAME_EXTRA_CHARS.contains(&c))
}

pub(crate) fn topic(name: &str) -> Checked {
    if name.trim().is_empty() {
        return Err(Reject::new(
            Code::IllegalTopic,
            "topic name cannot be blank",
        ));
    }
    if name.len() > names::MAX_TOPIC_LEN {
        return Err(Reject::new(
            Code::IllegalTopic,
            format!("topic name is longer than {}", names::MAX_TOPIC_LEN),
        ));
    }
    if !legal_name_chars(name) {
        return Err(Reject::new(
            Code::IllegalTopic,
            format!("topic name {name:?} contains illegal characters"),
        ));
    }
    if names::SYSTEM_TOPICS.contains(&name) || name.starts_with(names::SYSTEM_TOPIC_PREFIX) {
        return Err(Reject::new(
            Code::IllegalTopic,
            format!("cannot access system topic {name}"),
        ));
    }
    Ok(())
}

pub(crate) fn group(name: &str) -> Checked {
    if name.trim().is_empty() {
        return Err(Reject::new(
            Code::IllegalConsumerGroup,
            "consumer group name cannot be blank",
        ));
    }
    if name.len() > names::MAX_GROUP_LEN {
        return Err(Reject::new(
            Code::IllegalConsumerGroup,
            format!(
                "consumer group name is longer than {}",
                names::MAX_GROUP_LEN
            ),
        ));
    }
    if !legal_name_chars(name) {
        return Err(Reject::new(
            Code::IllegalConsumerGroup,
            format!("consumer group name {name:?} contains illegal characters"),
        ));
    }
    if name.starts_with(names::SYSTEM_GROUP_PREFIX) {
        return Err(Reject::new(
            Code::IllegalConsumerGroup,
            format!("cannot use system consumer group {name}"),
        ));
    }
    Ok(())
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

pub(crate) fn tag(tag: &str) -> Checked {
    if tag.trim().is_empty() || tag.contains('|') || has_control(tag) {
        return Err(Reject::new(
            Code::IllegalMessageTag,
            format!("tag {tag:?} is illegal"),
        ));
    }
    Ok(())
}

pub(crate) fn key(key: &str) -> Checked {
    if key.trim().is_empty() || has_control(key) {
        return Err(Reject::new(
            Code::IllegalMessageKey,
            format!("key {key:?} is illegal"),
        ));
    }
    Ok(())
}

pub(crate) fn message_group(group: &str) -> Checked {
    if group.trim().is_empty()
        || group.len() >= limits::MAX_MESSAGE_GROUP_BYTES
        || has_control(group)
    {
        return Err(Reject::new(
            Code::IllegalMessageGroup,
            format!(
                "message group {group:?} is illegal (non-blank, under {} bytes, no control characters)",
                limits::MAX_MESSAGE_GROUP_BYTES
            ),
        ));
    }
    Ok(())
}

pub(crate) fn user_properties<'a>(
    properties: impl ExactSizeIterator<Item = (&'a String, &'a String)>,
    tag: Option<&str>,
    keys: &[String],
) -> Checked {
    if properties.len() > limits::MAX_USER_PROPERTIES {
        return Err(Reject::new(
            Code::MessagePropertiesTooLarge,
            format!(
                "a message may carry at most {} user properties",
                limits::MAX_USER_PROPERTIES
            ),
        ));
    }
    let mut size = tag.map_or(0, str::len) + keys.iter().map(String::len).sum::<usize>();
    for (key, value) in properties {
        if key.is_empty() || rmq_proto::properties::is_reserved(key) {
            return Err(Reject::new(
                Code::IllegalMessagePropertyKey,
                format!("property key {key:?} is reserved or empty"),
            ));
        }
        if has_control(key) || has_control(value) {
            return Err(Reject::new(
                Code::IllegalMessagePropertyKey,
                format!("property {key:?} contains control characters"),
            ));
        }
        size += key.len() + value.len();
    }
    if size > limits::MAX_USER_PROPERTIES_SIZE {
        return Err(Reject::new(
            Code::MessagePropertiesTooLarge,
            format!(
                "user properties, tag and keys exceed {} bytes",
                limits::MAX_USER_PROPERTIES_SIZE
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_texts_are_cut_at_the_limit_on_a_character() {
        let at = "x".repeat(MAX_STATUS_TEXT);
        assert_eq!(bounded(at.clone()), at);
        let past = bounded("x".repeat(MAX_STATUS_TEXT + 1));
        assert_eq!(past.len(), MAX_STATUS_TEXT);
        assert!(past.ends_with('…'));
        // Two-byte characters: the cut never splits one.
        let wide = bounded("é".repeat(MAX_STATUS_TEXT));
        assert!(wide.len() <= MAX_STATUS_TEXT && wide.ends_with('…'));
        assert!(wide.trim_end_matches('…').chars().all(|c| c == 'é'));
        assert_eq!(
            Reject::new(Code::BadRequest, "y".repeat(10_000))
                .message
                .len(),
            MAX_STATUS_TEXT
        );
    }

    #[test]
    fn names_follow_the_proxy_rules() {
        assert!(topic("Topic_a-1%|x").is_ok());
        assert_eq!(topic("").unwrap_err().code, Code::IllegalTopic);
        assert_eq!(topic("a b").unwrap_err().code, Code::IllegalTopic);
        assert_eq!(
            topic(&"t".repeat(128)).unwrap_err().code,
            Code::IllegalTopic
        );
        assert!(topic(&"t".repeat(127)).is_ok());
        assert_eq!(topic("TBW102").unwrap_err().code, Code::IllegalTopic);
        assert_eq!(topic("rmq_sys_x").unwrap_err().code, Code::IllegalTopic);
        assert!(group(&"g".repeat(120)).is_ok());
        assert_eq!(
            group(&"g".repeat(121)).unwrap_err().code,
            Code::IllegalConsumerGroup
        );
        assert_eq!(
            group("CID_RMQ_SYS_X").unwrap_err().code,
            Code::IllegalConsumerGroup
        );
    }

    #[test]
    fn message_fields() {
        assert_eq!(tag("a|b").unwrap_err().code, Code::IllegalMessageTag);
        assert_eq!(tag(" ").unwrap_err().code, Code::IllegalMessageTag);
        assert!(tag("TagA").is_ok());
        assert_eq!(key("\n").unwrap_err().code, Code::IllegalMessageKey);
        assert!(message_group(&"g".repeat(63)).is_ok());
        assert_eq!(
            message_group(&"g".repeat(64)).unwrap_err().code,
            Code::IllegalMessageGroup
        );
        let reserved = [("UNIQ_KEY".to_string(), "x".to_string())];
        assert_eq!(
            user_properties(reserved.iter().map(|(k, v)| (k, v)), None, &[])
                .unwrap_err()
                .code,
            Code::IllegalMessagePropertyKey
        );
        let big = [("k".to_string(), "v".repeat(16 * 1024))];
        assert_eq!(
            user_properties(big.iter().map(|(k, v)| (k, v)), None, &[])
                .unwrap_err()
                .code,
            Code::MessagePropertiesTooLarge
        );
    }
}
