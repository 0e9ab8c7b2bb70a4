//! Status texts, word for word as Apache RocketMQ's proxy (5.5.0) puts them on the wire, so
//! a log line, a test or a support answer written against Apache reads the same here. Each
//! group names the Apache class that builds its texts; texts marked *ours* have no Apache
//! counterpart. `tests/status_texts.rs` pins every one through the RPC that sends it.

use crate::metadata::TopicType;
use std::fmt::Display;

/// An error Apache raises as `ProxyException` reaches the wire as the exception's
/// `toString()`: `GrpcProxyException(ProxyException)` wraps it as its cause, so the class
/// name comes first.
macro_rules! proxy_exception {
    ($text:literal) => {
        concat!("org.apache.rocketmq.proxy.common.ProxyException: ", $text)
    };
}

/// The prefix of every text Apache raises as a `ProxyException`.
const PROXY_EXCEPTION: &str = proxy_exception!("");

fn proxied(text: impl Display) -> String {
    format!("{PROXY_EXCEPTION}{text}")
}

/// `FAQUrl.DEFAULT_FAQ_URL`, which Apache appends to client and broker exceptions.
const FAQ_URL: &str = "https://rocketmq.apache.org/docs/bestPractice/06FAQ";

/// The character rule `Validators` quotes (as a literal, not the regex it checks with).
const NAME_RULE: &str = "^[%|a-zA-Z0-9_-]+$";

// Admission (`GrpcMessagingApplication.validateContext`) and authentication
// (`DefaultAuthenticationContextBuilder`, `DefaultAuthenticationHandler`).
pub(crate) const CLIENT_ID_REQUIRED: &str = "client id cannot be empty";
pub(crate) const NO_USERNAME: &str = "username cannot be null.";
pub(crate) const NO_DATETIME: &str = "datetime is null.";
pub(crate) const BAD_AUTH_HEADER: &str = "authentication header is incorrect.";
/// The builder's catch-all, which a signature that is not hex reaches.
pub(crate) const BAD_AUTH_CONTEXT: &str = "create authentication context error.";
pub(crate) const BAD_SIGNATURE: &str = "check signature failed.";

pub(crate) fn unknown_user(access_key: &str) -> String {
    format!("User:{access_key} is not found.")
}

// The signed-date check, which Apache does not make (our words).
pub(crate) fn unreadable_date(date: &str) -> String {
    format!("x-mq-date-time {date:?} is not a date in the form yyyyMMdd'T'HHmmss'Z'.")
}

pub(crate) fn stale_date(date: &str, limit: std::time::Duration) -> String {
    format!(
        "x-mq-date-time {date} is more than {} min from the broker's clock: an old or replayed \
         request, or a clock that is off.",
        limit.as_secs() / 60
    )
}

// Topic and group names (`client/Validators` messages, `GrpcValidator`).
pub(crate) const TOPIC_BLANK: &str = "The specified topic is blank";
pub(crate) const SYSTEM_TOPIC: &str = "cannot access system topic";
pub(crate) const GROUP_BLANK: &str = "the specified group is blank";
pub(crate) const SYSTEM_GROUP: &str = "cannot use system consumer group";

pub(crate) fn topic_too_long(max: usize) -> String {
    format!("The specified topic is longer than topic max length {max}.")
}

pub(crate) fn topic_illegal(topic: &str) -> String {
    format!("The specified topic[{topic}] contains illegal characters, allowing only {NAME_RULE}")
}

pub(crate) fn group_too_long(group: &str, max: usize) -> String {
    format!("the specified group[{group}] is longer than group max length: {max}.")
}

pub(crate) fn group_illegal(group: &str) -> String {
    format!("the specified group[{group}] contains illegal characters, allowing only {NAME_RULE}")
}

/// `TopicRouteService`'s `MQClientException(TOPIC_NOT_EXIST, …)`, whose message carries the
/// response code (17) and the FAQ line, as `ResponseBuilder` sends it.
pub(crate) fn topic_not_found(topic: &str) -> String {
    format!(
        "CODE: 17  DESC: No topic route info in name server for the topic: {topic}\n\
         For more information, please visit the url, {FAQ_URL}"
    )
}

/// The broker's remark (`PopMessageProcessor`, with `FAQUrl.suggestTodo`).
pub(crate) fn group_not_found(group: &str) -> String {
    format!("subscription group [{group}] does not exist, \nSee {FAQ_URL} for further details.")
}

// SendMessage (`SendMessageActivity`; `GrpcValidator.validateTag`).
pub(crate) const TOPICS_DIFFER: &str = "topic in message is not same";
pub(crate) const MESSAGE_ID_EMPTY: &str = "message id cannot be empty";
pub(crate) const TAG_BLANK: &str = "tag cannot be the char sequence of whitespace";
pub(crate) const TAG_BAR: &str = "tag cannot contain '|'";
pub(crate) const TAG_CONTROL: &str = "tag cannot contain control character";
pub(crate) const KEY_BLANK: &str = "key cannot be the char sequence of whitespace";
pub(crate) const KEY_CONTROL: &str = "key cannot contain control character";
pub(crate) const MESSAGE_GROUP_BLANK: &str =
    "message group cannot be the char sequence of whitespace";
pub(crate) const MESSAGE_GROUP_CONTROL: &str = "message group cannot contain control character";
pub(crate) const PROPERTY_KEY_CONTROL: &str =
    "the key of property cannot contain control character";
pub(crate) const PROPERTY_VALUE_CONTROL: &str =
    "the value of property cannot contain control character";
/// *Ours*: Apache accepts an empty property key; this broker refuses it.
pub(crate) const PROPERTY_KEY_EMPTY: &str = "the key of property cannot be empty";
/// `Message.setPriority`'s `IllegalArgumentException`, without the Java stack frame Apache's
/// `getErrorDetailMessage` appends.
pub(crate) const NEGATIVE_PRIORITY: &str = "The priority must be greater than or equal to 0";

pub(crate) fn message_group_too_long(max: usize) -> String {
    format!("message group exceed the max size {max}")
}

pub(crate) fn too_many_properties(max: usize) -> String {
    format!("too many user properties, max is {max}")
}

pub(crate) fn reserved_property(key: &str) -> String {
    format!("property is used by system: {key}")
}

pub(crate) fn properties_too_large(max: usize) -> String {
    format!("the total size of user property is too large, max is {max}")
}

pub(crate) fn body_too_large(max: usize) -> String {
    format!("message body cannot exceed the max {max}")
}

pub(crate) fn delay_too_large(max_ms: i64) -> String {
    format!("the max delay time of message is too large, max is {max_ms}")
}

pub(crate) fn recovery_too_large(max_secs: u64) -> String {
    format!("the max transaction recovery time of message is too large, max is {max_secs}")
}

/// `DefaultTopicMessageTypeValidator`; a topic that does not exist has no type
/// (`UNSPECIFIED`). Also what RecallMessage says of a topic that takes no DELAY messages.
pub(crate) fn type_conflict(topic: Option<TopicType>, message: &str) -> String {
    proxied(format_args!(
        "TopicMessageType validate failed, the expected type is {}, but actual type is {message}",
        topic.map_or("UNSPECIFIED", TopicType::name)
    ))
}

// RecallMessage (`RecallMessageActivity`; the broker's `RecallMessageProcessor` remarks).
pub(crate) const RECALL_HANDLE_INVALID: &str = proxy_exception!("recall handle is invalid");
pub(crate) const RECALL_TOPIC_MISMATCH: &str = "recall failed, topic not match";
pub(crate) const RECALL_OTHER_BROKER: &str = "recall failed, broker service not available";
pub(crate) const RECALL_TOO_LATE: &str = "recall failed, timestamp invalid";

// ReceiveMessage (`ReceiveMessageActivity`, `GrpcValidator.validateInvisibleTime`,
// `FilterAPI.build`).
pub(crate) const POLLING_TIME_TOO_SHORT: &str =
    "The deadline time remaining is not enough for polling, please check network condition";
pub(crate) const SQL_EMPTY: &str = "Expression can't be null! SQL92";

pub(crate) fn invisible_too_small(min_ms: i64) -> String {
    format!("the invisibleTime is too small. min is {min_ms}")
}

pub(crate) fn invisible_too_large(max_ms: i64) -> String {
    format!("the invisibleTime is too large. max is {max_ms}")
}

/// The broker's SUBSCRIPTION_PARSE_FAILED remark, with what our parser found and the
/// expression (Apache sends the remark alone, as INTERNAL_SERVER_ERROR).
pub(crate) fn sql_unparsable(error: impl Display, expression: &str) -> String {
    format!("parse the consumer's subscription failed: {error} in {expression:?}")
}

// AckMessage, ChangeInvisibleDuration, ForwardMessageToDeadLetterQueue
// (`AckMessageActivity`, `AbstractProcessor`, `ClusterMessageService`).
pub(crate) const ACK_EMPTY: &str = "ack message result is empty";
pub(crate) const SEND_EMPTY: &str = "send status is empty";
pub(crate) const HANDLE_EXPIRED: &str = proxy_exception!("receipt handle is expired");
/// *Ours*: Apache's text is a Java detail (`Parse failed, dataList size …` and a stack frame)
/// of its own handle format.
pub(crate) const HANDLE_MALFORMED: &str = "receipt handle is malformed";
/// The DLQ answer is the broker's remoting code when its remark is null, as it is on success.
pub(crate) const DLQ_OK: &str = "0";

pub(crate) fn unknown_broker(broker: &str) -> String {
    proxied(format_args!("cannot find broker {broker}"))
}

// EndTransaction (`EndTransactionActivity`, `TransactionProcessor`; "cannot found" is sic).
pub(crate) const TRANSACTION_ID_EMPTY: &str = "transaction id cannot be empty";
pub(crate) const TRANSACTION_NOT_FOUND: &str = proxy_exception!("cannot found transaction data");

// Heartbeat, NotifyClientTermination and Telemetry (`ClientActivity`).
pub(crate) const NO_CLIENT_SETTINGS: &str = "cannot find client settings for this client";
/// What an empty SQL expression in a subscription is refused with.
pub(crate) const SETTINGS_EXPRESSION: &str = "expression format is not correct";

/// The description of a Telemetry call failed over refused Settings.
pub(crate) fn telemetry_failed(message: &str) -> String {
    format!("process client telemetryCommand failed. {message}")
}

// QueryOffset (`OffsetActivity`).
pub(crate) const OFFSET_TIMESTAMP_REQUIRED: &str =
    "timestamp is required for TIMESTAMP query offset policy";

/// `policy` is the Java enum's name: `UNRECOGNIZED` for a number it does not know.
pub(crate) fn unsupported_offset_policy(policy: &str) -> String {
    format!("unsupported query offset policy: {policy}")
}

// Lite topics: names (`GrpcValidator.validateLiteTopic`), syncs and registration
// (`ClientProcessor`), quotas (`ClientProcessor.validateLiteSubscriptionQuota`).
pub(crate) const LITE_TOPIC_BLANK: &str = "lite topic cannot be the char sequence of whitespace";
pub(crate) fn lite_topic_too_long(max: usize) -> String {
    format!("lite topic exceed the max size {max}")
}
pub(crate) const LITE_TOPIC_CHARS: &str =
    "lite topic can only contain alphanumeric characters, hyphens(-), and underscores(_)";
pub(crate) fn lite_subscription_quota(quota: i32) -> String {
    format!("lite subscription quota exceeded: {quota}")
}
/// *Ours*: Apache's broker refuses with `LMQ_QUOTA_EXCEEDED` and a remark of its own.
pub(crate) fn lite_topic_quota(max: usize) -> String {
    format!("lite topic quota exceeded: the broker holds at most {max} lite topics")
}
pub(crate) fn lite_group_needs_lite_client(group: &str) -> String {
    format!("lite group must use LITE mode: {group}")
}
pub(crate) fn lite_client_needs_lite_group(group: &str) -> String {
    format!("regular group cannot use LITE mode: {group}")
}
/// A regular group has no bind topic: Apache prints `null`.
pub(crate) fn lite_bind_topic_mismatch(group: &str, bind: Option<&str>, topic: &str) -> String {
    let bind = bind.unwrap_or("null");
    format!("lite group {group} is expected to bind topic {bind}, but actual is {topic}")
}
pub(crate) const LITE_ACTION_UNKNOWN: &str = "unknown LiteSubscriptionAction: UNRECOGNIZED";
pub(crate) const LITE_OFFSET_UNSET: &str = "Unknown OffsetOption type: OFFSETTYPE_NOT_SET";
