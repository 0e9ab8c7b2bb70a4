//! The exact code and text of every status the broker answers with, one test per RPC. The
//! texts are Apache RocketMQ 5.5.0 proxy's words (`src/validate/texts.rs` names each source);
//! written out here so a changed text fails a test instead of drifting.

mod common;

use common::*;
use rmq_mini_broker::{GroupConfig, MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_stream::StreamExt;

#[path = "status_texts/clients.rs"]
mod clients;
#[path = "status_texts/consumer.rs"]
mod consumer;
#[path = "status_texts/lite.rs"]
mod lite;
#[path = "status_texts/producer.rs"]
mod producer;

/// What Apache puts before the text of an error it raises as a `ProxyException`.
const PE: &str = "org.apache.rocketmq.proxy.common.ProxyException: ";
const FAQ: &str = "https://rocketmq.apache.org/docs/bestPractice/06FAQ";
const NAME_RULE: &str = "allowing only ^[%|a-zA-Z0-9_-]+$";

#[track_caller]
fn pinned(status: &Option<Status>, expected: Code, text: &str) {
    let status = status.as_ref().expect("status present");
    assert_eq!(
        (Code::try_from(status.code).ok(), status.message.as_str()),
        (Some(expected), text)
    );
}

fn in_secs(ahead: i64) -> Option<prost_types::Timestamp> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock");
    Some(prost_types::Timestamp {
        seconds: i64::try_from(now.as_secs()).expect("secs") + ahead,
        nanos: 0,
    })
}

fn delayed(topic: &str) -> Message {
    with_sys(message(topic, "later"), |s| {
        s.delivery_timestamp = in_secs(60);
        s.message_type = MessageType::Delay as i32;
    })
}

fn sql(expression: &str) -> Option<FilterExpression> {
    Some(FilterExpression {
        r#type: FilterType::Sql as i32,
        expression: expression.into(),
    })
}
