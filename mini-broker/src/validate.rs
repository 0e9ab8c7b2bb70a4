//! Request validation with the rules and status codes of the Apache proxy.

use rmq_proto::Code;
use rmq_proto::limits;
use rmq_proto::names;

pub(crate) mod texts;

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
        return Err(Reject::new(Code::IllegalTopic, texts::TOPIC_BLANK));
    }
    if name.len() > names::MAX_TOPIC_LEN {
        return Err(Reject::new(
            Code::IllegalTopic,
            texts::topic_too_long(names::MAX_TOPIC_LEN),
        ));
    }
    if !legal_name_chars(name) {
        return Err(Reject::new(Code::IllegalTopic, texts::topic_illegal(name)));
    }
    if names::SYSTEM_TOPICS.contains(&name) || name.starts_with(names::SYSTEM_TOPIC_PREFIX) {
        return Err(Reject::new(Code::IllegalTopic, texts::SYSTEM_TOPIC));
    }
    Ok(())
}

pub(crate) fn group(name: &str) -> Checked {
    if name.trim().is_empty() {
        return Err(Reject::new(Code::IllegalConsumerGroup, texts::GROUP_BLANK));
    }
    if name.len() > names::MAX_GROUP_LEN {
        return Err(Reject::new(
            Code::IllegalConsumerGroup,
            texts::group_too_long(name, names::MAX_GROUP_LEN),
        ));
    }
    if !legal_name_chars(name) {
        return Err(Reject::new(
            Code::IllegalConsumerGroup,
            texts::group_illegal(name),
        ));
    }
    if name.starts_with(names::SYSTEM_GROUP_PREFIX) {
        return Err(Reject::new(Code::IllegalConsumerGroup, texts::SYSTEM_GROUP));
    }
    Ok(())
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

// Each field's rules are checked in Apache's order, so a value that breaks several gets the
// text of the same rule. An empty tag, key or message group is refused here though Apache
// lets it through (interop/FIDELITY.md, "Status texts and checks").
pub(crate) fn tag(tag: &str) -> Checked {
    let text = if tag.trim().is_empty() {
        texts::TAG_BLANK
    } else if tag.contains('|') {
        texts::TAG_BAR
    } else if has_control(tag) {
        texts::TAG_CONTROL
    } else {
        return Ok(());
    };
    Err(Reject::new(Code::IllegalMessageTag, text))
}

pub(crate) fn key(key: &str) -> Checked {
    let text = if key.trim().is_empty() {
        texts::KEY_BLANK
    } else if has_control(key) {
        texts::KEY_CONTROL
    } else {
        return Ok(());
    };
    Err(Reject::new(Code::IllegalMessageKey, text))
}

pub(crate) fn message_group(group: &str) -> Checked {
    let text = if group.trim().is_empty() {
        texts::MESSAGE_GROUP_BLANK.to_owned()
    } else if group.len() >= limits::MAX_MESSAGE_GROUP_BYTES {
        texts::message_group_too_long(limits::MAX_MESSAGE_GROUP_BYTES)
    } else if has_control(group) {
        texts::MESSAGE_GROUP_CONTROL.to_owned()
    } else {
        return Ok(());
    };
    Err(Reject::new(Code::IllegalMessageGroup, text))
}

/// A lite topic's name, checked as the proxy does: not blank, at most 64 bytes, and only
/// `[A-Za-z0-9_-]`.
pub(crate) fn lite_topic(name: &str) -> Checked {
    let text = if name.trim().is_empty() {
        texts::LITE_TOPIC_BLANK.to_owned()
    } else if name.len() > limits::MAX_LITE_TOPIC_BYTES {
        texts::lite_topic_too_long(limits::MAX_LITE_TOPIC_BYTES)
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        texts::LITE_TOPIC_CHARS.to_owned()
    } else {
        return Ok(());
    };
    Err(Reject::new(Code::IllegalLiteTopic, text))
}

pub(crate) fn user_properties<'a>(
    properties: impl ExactSizeIterator<Item = (&'a String, &'a String)>,
    tag: Option<&str>,
    keys: &[String],
) -> Checked {
    if properties.len() > limits::MAX_USER_PROPERTIES {
        return Err(Reject::new(
            Code::MessagePropertiesTooLarge,
            texts::too_many_properties(limits::MAX_USER_PROPERTIES),
        ));
    }
    let mut size = tag.map_or(0, str::len) + keys.iter().map(String::len).sum::<usize>();
    for (key, value) in properties {
        let refused = if key.is_empty() {
            Some(texts::PROPERTY_KEY_EMPTY.to_owned())
        } else if rmq_proto::properties::is_reserved(key) {
            Some(texts::reserved_property(key))
        } else if has_control(key) {
            Some(texts::PROPERTY_KEY_CONTROL.to_owned())
        } else if has_control(value) {
            Some(texts::PROPERTY_VALUE_CONTROL.to_owned())
        } else {
            None
        };
        if let Some(text) = refused {
            return Err(Reject::new(Code::IllegalMessagePropertyKey, text));
        }
        size += key.len() + value.len();
    }
    if size > limits::MAX_USER_PROPERTIES_SIZE {
        return Err(Reject::new(
            Code::MessagePropertiesTooLarge,
            texts::properties_too_large(limits::MAX_USER_PROPERTIES_SIZE),
        ));
    }
    Ok(())
}

/// Apache's `GrpcValidator.validateInvisibleTime`: at least `min_ms`, at most 12 hours.
pub(crate) fn invisible_time(ms: i64, min_ms: i64) -> Checked {
    let max = i64::try_from(limits::MAX_INVISIBLE.as_millis()).unwrap_or(i64::MAX);
    if ms < min_ms {
        return Err(Reject::new(
            Code::IllegalInvisibleTime,
            texts::invisible_too_small(min_ms),
        ));
    }
    if ms > max {
        return Err(Reject::new(
            Code::IllegalInvisibleTime,
            texts::invisible_too_large(max),
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
