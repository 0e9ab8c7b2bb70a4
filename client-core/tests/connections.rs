//! A closed client closes its connections at once, even while a handle to it lives on (a
//! binding's user object keeps one until it is collected). One test in this binary, so the
//! process's socket count is this test's alone.

mod common;

use rmq_client::{
    ConsumeResult, FilterExpression, MessageView, Producer, PushConsumer, SimpleConsumer,
};
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};

/// Sockets this process holds (both ends of every loopback connection to the in-process broker).
#[cfg(target_os = "linux")]
fn sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_clients_hold_no_connection() {
    let broker = common::start(
        MiniBroker::builder().topic(TopicConfig::new("t", TopicType::Normal).queues(2)),
    )
    .await;
    let config = common::config(&broker);
    let before = sockets();
    let mut kept = Vec::new();
    for _ in 0..5 {
        let producer = Producer::builder(config.clone())
            .topics(["t"])
            .start()
            .await
            .expect("producer");
        producer.shutdown().await;
        let simple = SimpleConsumer::builder(config.clone(), "g")
            .subscribe("t", FilterExpression::all())
            .start()
            .await
            .expect("simple consumer");
        simple.shutdown().await;
        let push = PushConsumer::builder(config.clone(), "g")
            .subscribe("t", FilterExpression::all())
            .listener(|_: &MessageView| ConsumeResult::Success)
            .start()
            .await
            .expect("push consumer");
        push.shutdown().await;
        kept.push((producer, simple, push));
    }
    // The broker's side of a closed connection goes as soon as it reads the end of stream.
    common::eventually("every connection of the closed clients gone", || {
        sockets() <= before
    })
    .await;
    drop(kept);
}
