//! Authentication end to end: every client type works with the right key and fails clearly
//! with a wrong one.

mod common;

use rmq_client::{
    ClientConfig, ConsumeResult, ErrorKind, FilterExpression, Message, MessageView, Producer,
    PushConsumer, SimpleConsumer,
};
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use std::time::Duration;

fn config(broker: &MiniBroker, secret: &str) -> ClientConfig {
    ClientConfig::builder()
        .endpoints(broker.endpoint())
        .credentials("ak", secret, None)
        .build()
        .expect("config")
}

#[tokio::test]
async fn signed_clients_work_and_wrong_keys_fail_at_start() {
    let broker = MiniBroker::builder()
        .credentials("ak", "sk")
        .topic(TopicConfig::new("t", TopicType::Normal))
        .start()
        .await
        .expect("start");
    let good = config(&broker, "sk");
    let producer = Producer::builder(good.clone())
        .topics(["t"])
        .start()
        .await
        .expect("producer");
    producer
        .send(&Message::builder("t", "x").build().expect("m"))
        .await
        .expect("send");
    let simple = SimpleConsumer::builder(good.clone(), "g")
        .subscribe("t", FilterExpression::all())
        .await_duration(Duration::from_secs(5))
        .start()
        .await
        .expect("simple consumer");
    let got = simple
        .receive(1, Duration::from_secs(30))
        .await
        .expect("receive");
    assert_eq!(got.len(), 1);
    simple.ack(&got[0]).await.expect("ack");
    let push = PushConsumer::builder(good, "p")
        .subscribe("t", FilterExpression::all())
        .listener(|_: &MessageView| ConsumeResult::Success)
        .start()
        .await
        .expect("push consumer");
    push.shutdown().await;

    let bad = config(&broker, "wrong");
    let error = Producer::builder(bad.clone())
        .topics(["t"])
        .start()
        .await
        .err()
        .expect("refused");
    assert_eq!(error.kind(), ErrorKind::Unauthorized, "{error}");
    let error = SimpleConsumer::builder(bad, "g")
        .subscribe("t", FilterExpression::all())
        .start()
        .await
        .err()
        .expect("refused");
    assert_eq!(error.kind(), ErrorKind::Unauthorized, "{error}");
}
