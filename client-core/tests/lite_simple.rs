//! The lite simple consumer against an in-process mini-broker (Apache serves it from 5.5.1,
//! which we cannot run here): receives only its subscribed lite topics, one batch in flight
//! per lite topic, acks and invisible-time changes by lite topic, offsets and exclusive groups
//! as the lite push consumer.

mod common;

use common::{config, eventually, start};
use rmq_client::{
    ErrorKind, LiteSimpleConsumer, Message, MessageView, OffsetOption, Producer, SimpleConsumer,
};
use rmq_mini_broker::{GroupConfig, LiteGroup, MiniBroker, TopicConfig, TopicType};
use std::time::Duration;

const INVISIBLE: Duration = Duration::from_secs(30);

async fn broker(groups: &[GroupConfig]) -> MiniBroker {
    let mut builder = MiniBroker::builder().topic(TopicConfig::new("replies", TopicType::Lite));
    for group in groups {
        builder = builder.group(group.clone());
    }
    start(builder).await
}

async fn producer(broker: &MiniBroker) -> Producer {
    Producer::builder(config(broker))
        .topics(["replies"])
        .start()
        .await
        .expect("producer")
}

async fn consumer(broker: &MiniBroker, group: &str) -> LiteSimpleConsumer {
    LiteSimpleConsumer::builder(config(broker), group, "replies")
        .await_duration(Duration::from_millis(300))
        .start()
        .await
        .expect("lite simple consumer")
}

async fn send(producer: &Producer, lite: &str, body: &str) {
    let message = Message::builder("replies", body.to_owned())
        .lite_topic(lite)
        .build()
        .expect("message");
    producer.send(&message).await.expect("send");
}

fn bodies(views: &[MessageView]) -> Vec<String> {
    views
        .iter()
        .map(|v| String::from_utf8_lossy(&v.body).into_owned())
        .collect()
}

/// Receives until `want` messages arrived (acking none), or fails after 10 s.
async fn receive(consumer: &LiteSimpleConsumer, max: u32, want: usize) -> Vec<MessageView> {
    let mut got = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while got.len() < want {
        assert!(std::time::Instant::now() < deadline, "got only {got:?}");
        got.extend(consumer.receive(max, INVISIBLE).await.expect("receive"));
    }
    got
}

#[tokio::test]
async fn receives_only_subscribed_lite_topics_one_batch_at_a_time() {
    let broker = broker(&[]).await;
    let producer = producer(&broker).await;
    let consumer = consumer(&broker, "agents").await;
    assert!(
        consumer
            .receive(32, INVISIBLE)
            .await
            .expect("receive")
            .is_empty(),
        "nothing subscribed, nothing received"
    );
    consumer
        .subscribe_lite("session-a")
        .await
        .expect("subscribe");
    assert_eq!(consumer.lite_topics(), ["session-a"]);
    for i in 0..3 {
        send(&producer, "session-a", &format!("a-{i}")).await;
        send(&producer, "session-b", &format!("b-{i}")).await;
    }
    let first = receive(&consumer, 2, 2).await;
    assert_eq!(bodies(&first), ["a-0", "a-1"]);
    assert!(
        first
            .iter()
            .all(|v| v.lite_topic.as_deref() == Some("session-a"))
    );
    // The lite topic's batch is in flight: its next message waits for it.
    assert!(
        consumer
            .receive(32, INVISIBLE)
            .await
            .expect("receive")
            .is_empty(),
        "a-2 is held back while a-0 and a-1 are in flight"
    );
    // A new handle from an invisible-time change acks like the first one.
    let moved = consumer
        .change_invisible_duration(&first[1], INVISIBLE)
        .await
        .expect("change invisible duration");
    assert_ne!(moved.receipt_handle(), first[1].receipt_handle());
    consumer.ack(&first[0]).await.expect("ack");
    consumer.ack(&moved).await.expect("ack with the new handle");
    let rest = receive(&consumer, 32, 1).await;
    assert_eq!(bodies(&rest), ["a-2"]);
    for result in consumer.ack_batch(&rest).await.expect("ack batch") {
        result.expect("ack");
    }

    // Unsubscribing stops delivery; a new subscription goes on.
    consumer
        .unsubscribe_lite("session-a")
        .await
        .expect("unsubscribe");
    consumer
        .subscribe_lite("session-c")
        .await
        .expect("subscribe");
    send(&producer, "session-a", "late-a").await;
    send(&producer, "session-c", "c-0").await;
    let after = receive(&consumer, 32, 1).await;
    assert_eq!(bodies(&after), ["c-0"]);
    assert_eq!(consumer.lite_topics(), ["session-c"]);
    consumer.shutdown().await;
    let closed = consumer
        .receive(1, INVISIBLE)
        .await
        .expect_err("closed consumer");
    assert_eq!(closed.kind(), ErrorKind::Closed);
    producer.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn offsets_groups_and_exclusive_mode_work_as_for_the_push_consumer() {
    let solo = GroupConfig::new("solo").lite(LiteGroup {
        exclusive: true,
        ..LiteGroup::new("replies")
    });
    let broker = broker(&[solo, GroupConfig::new("plain")]).await;
    let producer = producer(&broker).await;
    for i in 0..3 {
        send(&producer, "backlog", &format!("old-{i}")).await;
    }
    let oldest = consumer(&broker, "g-oldest").await;
    oldest
        .subscribe_lite_from("backlog", OffsetOption::Min)
        .await
        .expect("subscribe from the oldest");
    assert_eq!(
        bodies(&receive(&oldest, 32, 3).await),
        ["old-0", "old-1", "old-2"]
    );
    oldest.shutdown().await;

    // Exclusive: the second subscriber takes the lite topic, and the first is told.
    let first = consumer(&broker, "solo").await;
    let second = consumer(&broker, "solo").await;
    first.subscribe_lite("chat").await.expect("subscribe");
    second.subscribe_lite("chat").await.expect("subscribe");
    eventually("the first consumer was told", || {
        first.lite_topics().is_empty()
    })
    .await;
    send(&producer, "chat", "c-0").await;
    assert_eq!(bodies(&receive(&second, 32, 1).await), ["c-0"]);
    assert!(
        first
            .receive(32, INVISIBLE)
            .await
            .expect("receive")
            .is_empty()
    );
    first.shutdown().await;
    second.shutdown().await;

    // The broker knows it as a lite client: a regular group refuses it, and a lite group
    // refuses a plain simple consumer.
    let refused = LiteSimpleConsumer::builder(config(&broker), "plain", "replies")
        .start()
        .await
        .err()
        .expect("a regular group is refused");
    assert!(
        refused
            .message()
            .contains("regular group cannot use LITE mode"),
        "{refused}"
    );
    let plain = SimpleConsumer::builder(config(&broker), "solo")
        .subscribe("replies", rmq_client::FilterExpression::all())
        .start()
        .await
        .err()
        .expect("a lite group is refused to a plain consumer");
    assert!(plain.message().contains("must use LITE mode"), "{plain}");
    producer.shutdown().await;
    broker.shutdown().await;
}
