//! Message property keys of the RocketMQ storage model.
//!
//! On the wire most of these travel as `SystemProperties` fields; inside a broker they are
//! entries of the message's property map, which is what SQL92 filters see, and the server
//! refuses the reserved ones as user-property keys (`ILLEGAL_MESSAGE_PROPERTY_KEY`).

/// The message tag (SQL92 filters reference it as `TAGS`).
pub const TAGS: &str = "TAGS";
/// Space-separated message keys.
pub const KEYS: &str = "KEYS";
/// The client-generated message id.
pub const UNIQ_KEY: &str = "UNIQ_KEY";
/// The FIFO message group; not reserved, so it also appears among delivered user properties.
pub const SHARDING_KEY: &str = "__SHARDINGKEY";
/// Trace context carried for tracing systems; not reserved.
pub const TRACE_CONTEXT: &str = "TRACE_CONTEXT";
/// Delivery time of a scheduled message, epoch milliseconds.
pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
/// Classic delay level of a scheduled message.
pub const DELAY: &str = "DELAY";
/// Marks a half (prepared) transactional message.
pub const TRAN_MSG: &str = "TRAN_MSG";
/// Producer group of a message; the transaction path uses the topic name.
pub const PRODUCER_GROUP: &str = "PGROUP";
/// Transaction id of a half message; not reserved.
pub const TRANSACTION_ID: &str = "__transactionId__";
/// How many times a message has been redelivered (delivery attempt − 1).
pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
/// Id of the original message, on retried and dead-lettered copies.
pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
/// Original topic of a dead-lettered message.
pub const DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
/// Original message id of a dead-lettered message.
pub const DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";
/// Born host of a message (`host:port`).
pub const BORN_HOST: &str = "__BORNHOST";
/// Born time of a message, epoch milliseconds.
pub const BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";

/// Property keys the server reserves for itself: refused as user-property keys on send and
/// dropped from `user_properties` on delivery.
pub const RESERVED: &[&str] = &[
    "TRACE_ON",
    "MSG_REGION",
    KEYS,
    TAGS,
    "WAIT",
    DELAY,
    "RETRY_TOPIC",
    "REAL_TOPIC",
    "REAL_QID",
    TRAN_MSG,
    PRODUCER_GROUP,
    "MIN_OFFSET",
    "MAX_OFFSET",
    "BUYER_ID",
    ORIGIN_MESSAGE_ID,
    "TRANSFER_FLAG",
    "CORRECTION_FLAG",
    RECONSUME_TIME,
    UNIQ_KEY,
    "MAX_RECONSUME_TIMES",
    "CONSUME_START_TIME",
    "POP_CK",
    "POP_CK_OFFSET",
    "1ST_POP_TIME",
    "TRAN_PREPARED_QUEUE_OFFSET",
    "DUP_INFO",
    "EXTEND_UNIQ_INFO",
    "INSTANCE_ID",
    "CORRELATION_ID",
    "REPLY_TO_CLIENT",
    "TTL",
    "ARRIVE_TIME",
    "PUSH_REPLY_TIME",
    "CLUSTER",
    "MSG_TYPE",
    "INNER_MULTI_QUEUE_OFFSET",
    "TIMER_DELAY_MS",
    "TIMER_DELAY_SEC",
    TIMER_DELIVER_MS,
    "TIMER_ENQUEUE_MS",
    "TIMER_DEQUEUE_MS",
    "TIMER_ROLL_TIMES",
    "TIMER_OUT_MS",
    "TIMER_DEL_UNIQKEY",
    "TIMER_DELAY_LEVEL",
    BORN_HOST,
    BORN_TIMESTAMP,
    DLQ_ORIGIN_TOPIC,
    DLQ_ORIGIN_MESSAGE_ID,
];

/// Whether `key` is one of the [`RESERVED`] property keys (exact, case-sensitive match).
pub fn is_reserved(key: &str) -> bool {
    RESERVED.contains(&key)
}
