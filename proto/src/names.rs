//! Naming rules for topics and groups, and the names the server derives from them.

/// Longest topic name the Apache proxy accepts.
pub const MAX_TOPIC_LEN: usize = 127;
/// Longest consumer-group name; kept short so derived retry and DLQ names fit.
pub const MAX_GROUP_LEN: usize = 120;
/// Characters allowed in topic and group names besides ASCII letters and digits.
pub const NAME_EXTRA_CHARS: &[char] = &['%', '|', '_', '-'];

/// Prefix of a consumer group's dead-letter topic: `%DLQ%<group>`.
pub const DLQ_TOPIC_PREFIX: &str = "%DLQ%";
/// Prefix of retry topics: `%RETRY%<group>` (classic) and `%RETRY%<group>_<topic>` (Pop).
pub const RETRY_TOPIC_PREFIX: &str = "%RETRY%";
/// Prefix of internal system consumer groups, refused as user group names.
pub const SYSTEM_GROUP_PREFIX: &str = "CID_RMQ_SYS_";
/// Prefix of internal system topics, refused as user topic names.
pub const SYSTEM_TOPIC_PREFIX: &str = "rmq_sys_";
/// Fixed internal topics of a RocketMQ broker that clients may not use directly (besides any
/// name starting with [`SYSTEM_TOPIC_PREFIX`]).
pub const SYSTEM_TOPICS: &[&str] = &[
    "TBW102",
    "SCHEDULE_TOPIC_XXXX",
    "BenchmarkTest",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "RMQ_SYS_TRACE_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
    "CHECKPOINT_TOPIC",
];
