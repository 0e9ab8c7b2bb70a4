//! Retention: messages every reading group consumed are dropped once old enough, offsets
//! never move, and nothing a group still has to read is dropped.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::time::Duration;

async fn broker(retention: Option<Duration>, dir: Option<&std::path::Path>) -> MiniBroker {
    let mut builder = MiniBroker::builder()
        .retention(retention)
        .topic(TopicConfig::new("t", TopicType::Normal).queues(1))
        .topic(TopicConfig::new("u", TopicType::Normal).queues(1));
    if let Some(dir) = dir {
        builder = builder.data_dir(dir).snapshot_every(Some(1));
    }
    builder.start().await.expect("start")
}

async fn query_offset(stub: &mut Stub, policy: QueryOffsetPolicy) -> i64 {
    let reply = stub
        .query_offset(QueryOffsetRequest {
            message_queue: Some(MessageQueue {
                topic: resource("t"),
                id: 0,
                ..Default::default()
            }),
            query_offset_policy: policy as i32,
            timestamp: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&reply.status), Code::Ok);
    reply.offset
}

/// Sends ten messages to `topic` and lets group `g` consume (ack) the first six of them.
async fn consume_six(broker: &MiniBroker, topic: &str) -> Client {
    let mut p = stub_with(broker, Some(unique("p-"))).await;
    for i in 0..10 {
        send(&mut p, vec![message(topic, &format!("m{i}"))]).await;
    }
    let mut c = consumer(broker, "g", topic).await;
    let got = receive(&mut c.stub, "g", topic, 6, 30).await.messages;
    assert_eq!(got.len(), 6);
    for m in &got {
        assert_eq!(
            code(&ack(&mut c.stub, "g", topic, m).await.status),
            Code::Ok
        );
    }
    c
}

#[tokio::test]
async fn consumed_messages_are_dropped_and_offsets_stay() {
    let broker = broker(Some(Duration::ZERO), None).await;
    let mut c = consume_six(&broker, "t").await;
    until("the six consumed messages dropped", || {
        broker.messages("t").len() == 4
    })
    .await;
    let kept: Vec<i64> = broker.messages("t").iter().map(|m| m.offset).collect();
    assert_eq!(kept, [6, 7, 8, 9]);
    assert_eq!(
        query_offset(&mut c.stub, QueryOffsetPolicy::Beginning).await,
        6
    );
    assert_eq!(query_offset(&mut c.stub, QueryOffsetPolicy::End).await, 10);
    // The rest is still delivered, at its own offsets.
    let rest = receive(&mut c.stub, "g", "t", 32, 30).await.messages;
    let offsets: Vec<i64> = rest
        .iter()
        .filter_map(|m| m.system_properties.as_ref().expect("sys").queue_offset)
        .collect();
    assert_eq!(offsets, [6, 7, 8, 9]);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_group_that_has_not_read_keeps_every_message() {
    let broker = broker(Some(Duration::ZERO), None).await;
    // A second group polls once and reads nothing yet; the first consumes six.
    let mut slow = consumer(&broker, "slow", "t").await;
    let empty = receive_with(
        &mut slow.stub,
        "slow",
        "t",
        1,
        30,
        Some(FilterExpression {
            r#type: FilterType::Tag as i32,
            expression: "nothing".into(),
        }),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(empty.messages.len(), 0);
    let _fast = consume_six(&broker, "t").await;
    // The same consumption of a topic only `g` reads: once retention has dropped those, it
    // has also looked at `t`, after `g`'s acks there.
    let _other = consume_six(&broker, "u").await;
    until("retention on the other topic", || {
        broker.messages("u").len() == 4
    })
    .await;
    assert_eq!(
        broker.messages("t").len(),
        10,
        "the slow group still has to read them"
    );
    broker.shutdown().await;
}

#[tokio::test]
async fn without_retention_every_message_is_kept() {
    let broker = broker(None, None).await;
    let _c = consume_six(&broker, "t").await;
    assert_eq!(broker.messages("t").len(), 10);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_restart_after_retention_reads_only_what_is_live() {
    let dir = TempDir::new();
    let broker = broker(Some(Duration::ZERO), Some(&dir.0)).await;
    let _c = consume_six(&broker, "t").await;
    until("the six consumed messages dropped", || {
        broker.messages("t").len() == 4
    })
    .await;
    broker.shutdown().await;
    let broker = broker_again(&dir.0).await;
    let kept: Vec<i64> = broker.messages("t").iter().map(|m| m.offset).collect();
    assert_eq!(kept, [6, 7, 8, 9]);
    broker.shutdown().await;
}

async fn broker_again(dir: &std::path::Path) -> MiniBroker {
    broker(Some(Duration::ZERO), Some(dir)).await
}
