//! The pull consumer against an in-process mini-broker: queues from the route, reads from
//! offsets the test keeps, every pull status, offsets, a long poll, and a closed client.

use rmq_client::{
    ClientConfig, ErrorKind, FilterExpression, Message, Producer, PullConsumer, PullStatus,
};
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use std::time::Duration;

async fn setup() -> (MiniBroker, Producer, ClientConfig) {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("t", TopicType::Normal).queues(1))
        .start()
        .await
        .expect("start");
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    let producer = Producer::builder(config.clone())
        .topics(["t"])
        .start()
        .await
        .expect("producer");
    (broker, producer, config)
}

async fn send(producer: &Producer, body: &str, tag: &str) {
    let message = Message::builder("t", body.as_bytes().to_vec())
        .tag(tag)
        .build()
        .expect("message");
    producer.send(&message).await.expect("send");
}

#[tokio::test]
async fn pulls_a_queue_from_offsets_the_caller_keeps() {
    let (broker, producer, config) = setup().await;
    for i in 0..5 {
        send(&producer, &format!("m{i}"), "a").await;
    }
    let consumer = PullConsumer::builder(config, "g")
        .start()
        .expect("consumer");
    let queues = consumer.queues("t").await.expect("queues");
    assert_eq!(queues.len(), 1);
    assert_eq!(queues[0].topic, "t");
    assert!(!queues[0].broker.is_empty());
    let queue = &queues[0];
    assert_eq!(consumer.offsets(queue).await.expect("offsets"), (0, 5));

    let all = FilterExpression::all();
    let first = consumer.pull(queue, &all, 0, 3).await.expect("pull");
    assert_eq!(first.status, PullStatus::Found);
    let bodies: Vec<&[u8]> = first.messages.iter().map(|m| m.body.as_ref()).collect();
    assert_eq!(bodies, [&b"m0"[..], b"m1", b"m2"]);
    assert_eq!(first.next_offset, 3);
    // Pulling the same offset again reads the same messages: the caller owns the offset.
    let again = consumer.pull(queue, &all, 0, 1).await.expect("pull");
    assert_eq!(again.messages[0].message_id, first.messages[0].message_id);

    let rest = consumer.pull(queue, &all, 3, 32).await.expect("pull");
    assert_eq!((rest.messages.len(), rest.next_offset), (2, 5));
    let empty = consumer.pull(queue, &all, 5, 32).await.expect("pull");
    assert_eq!(
        (empty.status, empty.next_offset),
        (PullStatus::NoNewMessage, 5)
    );

    let none_match = consumer
        .pull(queue, &FilterExpression::tag("b"), 0, 32)
        .await
        .expect("pull");
    assert_eq!(none_match.status, PullStatus::NoMatchedMessage);
    assert!(none_match.next_offset > 0);

    let beyond = consumer.pull(queue, &all, 100, 1).await.expect("pull");
    assert_eq!(beyond.status, PullStatus::OffsetIllegal);
    assert_eq!(beyond.next_offset, 5);

    consumer.shutdown();
    let closed = consumer.pull(queue, &all, 0, 1).await.expect_err("closed");
    assert_eq!(closed.kind(), ErrorKind::Closed);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_pull_with_an_await_duration_waits_for_the_next_message() {
    let (broker, producer, config) = setup().await;
    let consumer = PullConsumer::builder(config, "g")
        .await_duration(Duration::from_secs(10))
        .start()
        .expect("consumer");
    let queues = consumer.queues("t").await.expect("queues");
    let pulling = {
        let consumer = consumer.clone();
        let queue = queues[0].clone();
        tokio::spawn(async move { consumer.pull(&queue, &FilterExpression::all(), 0, 1).await })
    };
    send(&producer, "late", "a").await;
    let pulled = pulling.await.expect("task").expect("pull");
    assert_eq!(pulled.status, PullStatus::Found);
    assert_eq!(pulled.messages[0].body.as_ref(), b"late");
    broker.shutdown().await;
}

#[tokio::test]
async fn a_missing_topic_and_an_empty_group_are_refused() {
    let (broker, _producer, config) = setup().await;
    let empty = PullConsumer::builder(config.clone(), " ").start();
    assert_eq!(
        empty.err().map(|e| e.kind()),
        Some(ErrorKind::InvalidArgument)
    );
    let strict = MiniBroker::builder()
        .strict(true)
        .start()
        .await
        .expect("start");
    let config = ClientConfig::builder()
        .endpoints(strict.endpoint())
        .build()
        .expect("config");
    let consumer = PullConsumer::builder(config, "g")
        .start()
        .expect("consumer");
    let missing = consumer.queues("nope").await.expect_err("missing topic");
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    strict.shutdown().await;
    broker.shutdown().await;
}
