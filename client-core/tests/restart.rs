//! A broker restart mid-stream: the producer's later sends succeed and the push consumer
//! resumes, with no action from the application.

mod common;

use common::eventually;

use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, Message, MessageView, Producer, PushConsumer,
};
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

async fn start(dir: &std::path::Path, listen: &str) -> MiniBroker {
    MiniBroker::builder()
        .listen(listen)
        .data_dir(dir)
        .segment_size(1024 * 1024)
        .topic(TopicConfig::new("t", TopicType::Normal).queues(2))
        .start()
        .await
        .expect("start")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_recover_when_the_broker_restarts() {
    let dir = std::env::temp_dir().join(format!("rmq-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let broker = start(&dir, "127.0.0.1:0").await;
    let endpoint = broker.endpoint();
    let config = ClientConfig::builder()
        .endpoints(&endpoint)
        .build()
        .expect("config");
    let producer = Producer::builder(config.clone())
        .topics(["t"])
        .start()
        .await
        .expect("producer");
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let record = seen.clone();
    let consumer = PushConsumer::builder(config, "g")
        .subscribe("t", FilterExpression::all())
        .listener(move |view: &MessageView| {
            record
                .lock()
                .expect("lock")
                .insert(String::from_utf8_lossy(&view.body).into_owned());
            ConsumeResult::Success
        })
        .start()
        .await
        .expect("consumer");
    for i in 0..5 {
        producer
            .send(
                &Message::builder("t", format!("before {i}"))
                    .build()
                    .expect("m"),
            )
            .await
            .expect("send");
    }
    eventually("the first 5", || seen.lock().expect("lock").len() >= 5).await;

    broker.shutdown().await;
    let broker = start(&dir, &endpoint).await;
    for i in 0..5 {
        let message = Message::builder("t", format!("after {i}"))
            .build()
            .expect("m");
        common::eventually_async("sends to work again after the restart", || async {
            producer.send(&message).await.is_ok()
        })
        .await;
    }
    eventually("the 5 sent after the restart", || {
        (0..5).all(|i| seen.lock().expect("lock").contains(&format!("after {i}")))
    })
    .await;
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
