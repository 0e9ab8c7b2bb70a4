//! The producer end to end against an in-process mini-broker.

mod common;

use common::eventually;

use rmq_client::{ClientConfig, ErrorKind, Message, Producer};
use rmq_mini_broker::{MiniBroker, Rpc, TopicConfig, TopicType};
use rmq_proto::Code;
use std::time::{Duration, SystemTime};

async fn broker() -> MiniBroker {
    MiniBroker::builder()
        .topic(TopicConfig::new("normal", TopicType::Normal).queues(4))
        .topic(TopicConfig::new("fifo", TopicType::Fifo).queues(4))
        .topic(TopicConfig::new("delay", TopicType::Delay))
        .strict(true)
        .start()
        .await
        .expect("start")
}

async fn producer(broker: &MiniBroker, topics: &[&str]) -> Producer {
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    Producer::builder(config)
        .topics(topics.iter().copied())
        .start()
        .await
        .expect("producer starts")
}

#[tokio::test]
async fn sends_messages_with_their_properties() {
    let broker = broker().await;
    let producer = producer(&broker, &["normal"]).await;
    assert_eq!(
        broker.connected_clients(),
        1,
        "a Telemetry session was opened"
    );
    let message = Message::builder("normal", "hello")
        .tag("TagA")
        .keys(["k1"])
        .property("color", "red")
        .build()
        .expect("message");
    let receipt = producer.send(&message).await.expect("sent");
    assert_eq!(receipt.message_id.len(), 34);
    let stored = broker.messages("normal");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].message_id, receipt.message_id);
    assert_eq!(stored[0].tag.as_deref(), Some("TagA"));
    assert_eq!(stored[0].keys, ["k1"]);
    assert_eq!(
        stored[0].user_properties.get("color").map(String::as_str),
        Some("red")
    );
    assert_eq!(stored[0].body.as_ref(), b"hello");
}

#[tokio::test]
async fn a_message_group_always_takes_the_same_queue() {
    let broker = broker().await;
    let producer = producer(&broker, &["fifo"]).await;
    let mut queues = Vec::new();
    for i in 0..5 {
        let m = Message::builder("fifo", format!("m{i}"))
            .message_group("order-42")
            .build()
            .expect("m");
        queues.push(producer.send(&m).await.expect("sent").queue_id);
    }
    assert!(queues.windows(2).all(|w| w[0] == w[1]), "{queues:?}");
}

#[tokio::test]
async fn delayed_messages_come_with_a_recall_handle() {
    let broker = broker().await;
    let producer = producer(&broker, &["delay"]).await;
    let m = Message::builder("delay", "later")
        .delivery_timestamp(SystemTime::now() + Duration::from_secs(60))
        .build()
        .expect("m");
    let receipt = producer.send(&m).await.expect("sent");
    assert!(!receipt.recall_handle.is_empty());
    assert_eq!(broker.pending_timers(), 1);
}

#[tokio::test]
async fn local_checks_fail_before_any_rpc() {
    let broker = broker().await;
    let producer = producer(&broker, &["normal"]).await;
    let grouped = Message::builder("normal", "x")
        .message_group("g")
        .build()
        .expect("m");
    let error = producer.send(&grouped).await.expect_err("type check");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
    let big = Message::builder("normal", vec![b'x'; 4 * 1024 * 1024 + 1])
        .build()
        .expect("m");
    let error = producer.send(&big).await.expect_err("size check");
    assert_eq!(error.kind(), ErrorKind::PayloadTooLarge, "{error}");
    assert!(broker.messages("normal").is_empty());
}

#[tokio::test]
async fn start_fails_clearly_for_a_missing_topic() {
    let broker = broker().await;
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    let error = Producer::builder(config)
        .topics(["missing"])
        .start()
        .await
        .err()
        .expect("fails");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert_eq!(error.code(), Some(Code::TopicNotFound as i32));
}

#[tokio::test]
async fn throttled_and_lost_sends_are_retried() {
    let broker = broker().await;
    let producer = producer(&broker, &["normal"]).await;
    let m = Message::builder("normal", "x").build().expect("m");
    broker.fail_rpc(Rpc::SendMessage, Code::TooManyRequests, Some(2));
    producer.send(&m).await.expect("third attempt succeeds");
    assert_eq!(broker.messages("normal").len(), 1);

    broker.fail_rpc(Rpc::SendMessage, Code::TooManyRequests, Some(3));
    let error = producer.send(&m).await.expect_err("three attempts used up");
    assert_eq!(error.kind(), ErrorKind::TooManyRequests);

    broker.drop_responses(Rpc::SendMessage, 1);
    producer
        .send(&m)
        .await
        .expect("retried after a lost response");
    assert_eq!(
        broker.messages("normal").len(),
        3,
        "the lost attempt was stored too: at least once"
    );

    broker.fail_rpc(Rpc::SendMessage, Code::IllegalMessageTag, Some(1));
    let error = producer.send(&m).await.expect_err("not retried");
    assert_eq!(error.kind(), ErrorKind::BadRequest);
    assert_eq!(broker.messages("normal").len(), 3);
}

#[tokio::test]
async fn shutdown_notifies_the_broker_and_refuses_later_sends() {
    let broker = broker().await;
    let producer = producer(&broker, &["normal"]).await;
    producer.shutdown().await;
    let m = Message::builder("normal", "x").build().expect("m");
    let error = producer.send(&m).await.expect_err("closed");
    assert_eq!(error.kind(), ErrorKind::Closed);
    eventually("the Telemetry stream closed", || {
        broker.connected_clients() == 0
    })
    .await;
}

#[tokio::test]
async fn a_batch_goes_in_one_request_with_receipts_in_order() {
    let broker = broker().await;
    let producer = producer(&broker, &["normal", "fifo"]).await;
    let batch: Vec<Message> = (0..5)
        .map(|i| {
            Message::builder("normal", format!("b{i}"))
                .build()
                .expect("m")
        })
        .collect();
    let receipts = producer.send_batch(&batch).await.expect("batch");
    assert_eq!(receipts.len(), 5);
    let stored = broker.messages("normal");
    for receipt in &receipts {
        assert!(stored.iter().any(|m| m.message_id == receipt.message_id));
    }
    let mixed = [
        Message::builder("normal", "a").build().expect("m"),
        Message::builder("fifo", "b")
            .message_group("g")
            .build()
            .expect("m"),
    ];
    assert_eq!(
        producer.send_batch(&mixed).await.expect_err("mixed").kind(),
        ErrorKind::InvalidArgument
    );
    let groups = [
        Message::builder("fifo", "a")
            .message_group("g1")
            .build()
            .expect("m"),
        Message::builder("fifo", "b")
            .message_group("g2")
            .build()
            .expect("m"),
    ];
    assert_eq!(
        producer
            .send_batch(&groups)
            .await
            .expect_err("groups")
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        producer.send_batch(&[]).await.expect_err("empty").kind(),
        ErrorKind::InvalidArgument
    );
}

#[tokio::test]
async fn a_scheduled_message_can_be_recalled() {
    let broker = broker().await;
    let producer = producer(&broker, &["delay", "normal"]).await;
    let m = Message::builder("delay", "later")
        .delivery_timestamp(SystemTime::now() + Duration::from_secs(60))
        .build()
        .expect("m");
    let receipt = producer.send(&m).await.expect("sent");
    let recalled = producer
        .recall("delay", &receipt.recall_handle)
        .await
        .expect("recall");
    assert_eq!(recalled, receipt.message_id);
    assert_eq!(broker.pending_timers(), 0);
    let again = producer
        .recall("delay", &receipt.recall_handle)
        .await
        .expect_err("gone");
    assert_eq!(
        again.kind(),
        ErrorKind::InternalServer,
        "as an Apache proxy answers"
    );
    let wrong_topic = producer
        .recall("normal", &receipt.recall_handle)
        .await
        .expect_err("type");
    assert_eq!(wrong_topic.kind(), ErrorKind::BadRequest);
    assert_eq!(
        producer
            .recall("delay", " ")
            .await
            .expect_err("empty")
            .kind(),
        ErrorKind::InvalidArgument
    );
}

#[tokio::test]
async fn refreshed_routes_bring_new_queues_into_use() {
    let broker = broker().await;
    broker.create_topic(TopicConfig::new("growing", TopicType::Normal).queues(1));
    let config = common::config_with(&broker, |b| {
        b.route_refresh_interval(Duration::from_millis(50))
    });
    let producer = Producer::builder(config)
        .topics(["growing"])
        .start()
        .await
        .expect("producer");
    let m = Message::builder("growing", "x").build().expect("m");
    assert_eq!(producer.send(&m).await.expect("sent").queue_id, 0);
    broker.create_topic(TopicConfig::new("growing", TopicType::Normal).queues(4));
    let queried = broker.rpc_calls(Rpc::QueryRoute);
    eventually("a refresh after the topic grew", || {
        broker.rpc_calls(Rpc::QueryRoute) >= queried + 2
    })
    .await;
    let mut queues = std::collections::HashSet::new();
    for _ in 0..8 {
        queues.insert(producer.send(&m).await.expect("sent").queue_id);
    }
    assert_eq!(
        queues.len(),
        4,
        "all four queues in use after the refresh: {queues:?}"
    );
    producer.shutdown().await;
}

async fn lingering_producer(broker: &MiniBroker, linger: rmq_client::LingerConfig) -> Producer {
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    Producer::builder(config)
        .topics(["normal"])
        .linger(linger)
        .start()
        .await
        .expect("producer starts")
}

#[tokio::test]
async fn linger_mode_gathers_concurrent_sends_into_batches() {
    let broker = broker().await;
    let producer = lingering_producer(
        &broker,
        rmq_client::LingerConfig {
            linger: Duration::from_secs(2),
            max_messages: 100,
            max_bytes: 128 << 20,
        },
    )
    .await;
    let sends: Vec<_> = (0..200)
        .map(|i| {
            let producer = producer.clone();
            tokio::spawn(async move {
                let message = Message::builder("normal", format!("m{i}"))
                    .build()
                    .expect("message");
                producer.send(&message).await
            })
        })
        .collect();
    let mut receipts = Vec::new();
    for send in sends {
        receipts.push(send.await.expect("join").expect("sent"));
    }
    // Full batches leave at once: 200 sends in two requests, each to one queue. Without
    // batching they would spread round robin over all 4 queues.
    let mut queues: Vec<i32> = receipts.iter().map(|r| r.queue_id).collect();
    queues.sort();
    queues.dedup();
    assert!(queues.len() <= 2, "batches went to queues {queues:?}");
    let mut ids: Vec<&str> = receipts.iter().map(|r| r.message_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200, "every send has its own message id");
    assert_eq!(broker.messages("normal").len(), 200);
}

#[tokio::test]
async fn linger_mode_sends_alone_after_the_linger_time_and_flushes_on_shutdown() {
    let broker = broker().await;
    let producer = lingering_producer(
        &broker,
        rmq_client::LingerConfig {
            linger: Duration::from_millis(20),
            ..Default::default()
        },
    )
    .await;
    let message = Message::builder("normal", "alone")
        .build()
        .expect("message");
    let receipt = producer.send(&message).await.expect("a lone send leaves");
    assert_eq!(broker.messages("normal")[0].message_id, receipt.message_id);

    // A send held for an hour still leaves when the producer shuts down.
    let held = lingering_producer(
        &broker,
        rmq_client::LingerConfig {
            linger: Duration::from_secs(3600),
            ..Default::default()
        },
    )
    .await;
    let pending = {
        let held = held.clone();
        tokio::spawn(async move {
            let message = Message::builder("normal", "held").build().expect("message");
            held.send(&message).await
        })
    };
    // The test runs on a current-thread runtime: one yield lets the spawned send run until it
    // waits in the linger queue.
    tokio::task::yield_now().await;
    assert_eq!(broker.messages("normal").len(), 1, "still held");
    held.shutdown().await;
    pending.await.expect("join").expect("flushed at shutdown");
    assert_eq!(broker.messages("normal").len(), 2);

    // Bad input is refused before it can spoil a batch.
    let too_big = Message::builder("normal", vec![0u8; rmq_proto::limits::MAX_BODY_SIZE + 1])
        .build()
        .expect("message");
    let error = producer.send(&too_big).await.expect_err("too large");
    assert_eq!(error.kind(), ErrorKind::PayloadTooLarge);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_beyond_the_in_flight_limit_wait_their_turn() {
    let broker = broker().await;
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    let producer = Producer::builder(config)
        .topics(["normal"])
        .max_sends_in_flight(2)
        .start()
        .await
        .expect("producer starts");
    // Slow answers keep the first two requests in flight while the others arrive.
    broker.delay_rpc(Rpc::SendMessage, Duration::from_millis(300));
    let sends: Vec<_> = (0..6)
        .map(|i| {
            let producer = producer.clone();
            tokio::spawn(async move {
                let message = Message::builder("normal", format!("m{i}")).build()?;
                producer.send(&message).await
            })
        })
        .collect();
    eventually("two requests at the broker", || {
        broker.rpc_calls(Rpc::SendMessage) >= 2
    })
    .await;
    assert_eq!(
        broker.rpc_calls(Rpc::SendMessage),
        2,
        "only two may be in flight"
    );
    for send in sends {
        send.await.expect("task").expect("sent");
    }
    assert_eq!(broker.rpc_calls(Rpc::SendMessage), 6);
    assert_eq!(broker.messages("normal").len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_sends_share_one_session() {
    let broker = broker().await;
    // No topic declared: the first sends fetch the route and open the broker's session
    // together. An Apache proxy keeps one Telemetry stream per client and answers Settings on
    // it alone, so a second stream would wait for Settings in vain.
    let producer = producer(&broker, &[]).await;
    let sends: Vec<_> = (0..16)
        .map(|i| {
            let producer = producer.clone();
            tokio::spawn(async move {
                let message = Message::builder("normal", format!("m{i}"))
                    .build()
                    .expect("m");
                producer.send(&message).await
            })
        })
        .collect();
    for send in sends {
        send.await.expect("task").expect("send");
    }
    assert_eq!(
        broker.rpc_calls(Rpc::TelemetrySettings),
        1,
        "one stream, one Settings"
    );
    producer.shutdown().await;
    broker.shutdown().await;
}
