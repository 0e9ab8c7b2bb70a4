//! Priority messages against an in-process mini-broker, as Apache 5.4+ serves them: a message
//! with priority p is stored in queue min(p, queues - 1), and a backlog is received highest
//! priority first.

use rmq_client::{ClientConfig, FilterExpression, Message, Producer, SimpleConsumer};
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use std::time::Duration;

#[tokio::test]
async fn a_backlog_comes_back_highest_priority_first() {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("p", TopicType::Priority).queues(10))
        .start()
        .await
        .expect("start");
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    let producer = Producer::builder(config.clone())
        .topics(["p"])
        .start()
        .await
        .expect("producer");
    // 36 messages with priorities 0..=11 in a scrambled order; 10 and 11 share the top queue.
    let priorities: Vec<i32> = (0..36).map(|i| (i * 7) % 12).collect();
    for (i, priority) in priorities.iter().enumerate() {
        let message = Message::builder("p", format!("m{i}").into_bytes())
            .priority(*priority)
            .build()
            .expect("message");
        producer.send(&message).await.expect("send");
    }
    for stored in broker.messages("p") {
        let priority = stored.priority.expect("stored with its priority");
        assert_eq!(
            stored.queue_id,
            priority.min(9),
            "queue of priority {priority}"
        );
    }

    let consumer = SimpleConsumer::builder(config, "g")
        .subscribe("p", FilterExpression::all())
        .await_duration(Duration::from_secs(1))
        .start()
        .await
        .expect("consumer");
    let mut received = Vec::new();
    while received.len() < priorities.len() {
        let views = consumer
            .receive(4, Duration::from_secs(30))
            .await
            .expect("receive");
        assert!(!views.is_empty(), "the backlog ran dry after {received:?}");
        for view in &views {
            received.push(view.priority.expect("delivered with its priority").min(9));
            consumer.ack(view).await.expect("ack");
        }
    }
    let mut expected: Vec<i32> = priorities.iter().map(|p| (*p).min(9)).collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(received, expected, "highest priority first");
    broker.shutdown().await;
}
