//! The simple consumer end to end against an in-process mini-broker.

mod common;

use common::eventually;

use rmq_client::{ClientConfig, ErrorKind, FilterExpression, Message, Producer, SimpleConsumer};
use rmq_mini_broker::{MiniBroker, Rpc, TopicConfig, TopicType};
use std::time::Duration;

async fn setup() -> (MiniBroker, Producer, ClientConfig) {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("t", TopicType::Normal).queues(2))
        .strict(false)
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

async fn consumer(config: &ClientConfig, group: &str, filter: FilterExpression) -> SimpleConsumer {
    SimpleConsumer::builder(config.clone(), group)
        .subscribe("t", filter)
        .await_duration(Duration::from_secs(5))
        .start()
        .await
        .expect("consumer")
}

async fn receive_n(consumer: &SimpleConsumer, n: usize) -> Vec<rmq_client::MessageView> {
    let mut got = Vec::new();
    for _ in 0..20 {
        if got.len() >= n {
            break;
        }
        got.extend(
            consumer
                .receive(32, Duration::from_secs(30))
                .await
                .expect("receive"),
        );
    }
    got
}

#[tokio::test]
async fn receives_acks_and_sees_every_field() {
    let (broker, producer, config) = setup().await;
    let sent = producer
        .send(
            &Message::builder("t", "hello")
                .tag("TagA")
                .keys(["k"])
                .property("p", "v")
                .build()
                .expect("m"),
        )
        .await
        .expect("send");
    let consumer = consumer(&config, "g", FilterExpression::all()).await;
    let got = receive_n(&consumer, 1).await;
    assert_eq!(got.len(), 1);
    let view = &got[0];
    assert_eq!(view.message_id, sent.message_id);
    assert_eq!(view.topic, "t");
    assert_eq!(view.body, &b"hello"[..]);
    assert_eq!(view.tag.as_deref(), Some("TagA"));
    assert_eq!(view.keys, ["k"]);
    assert_eq!(view.properties.get("p").map(String::as_str), Some("v"));
    assert_eq!(view.delivery_attempt, 1);
    assert!(view.born_timestamp.is_some());
    assert_eq!(view.corrupted, None, "the broker's MD5 digest verifies");
    consumer.ack(view).await.expect("ack");
    assert!(broker.in_flight("g", "t").is_empty());
}

#[tokio::test]
async fn filters_select_by_tag_and_sql() {
    let (_broker, producer, config) = setup().await;
    for (tag, region) in [("A", "eu"), ("B", "us"), ("C", "eu")] {
        let m = Message::builder("t", tag)
            .tag(tag)
            .property("region", region)
            .build()
            .expect("m");
        producer.send(&m).await.expect("send");
    }
    let tags = consumer(&config, "tags", FilterExpression::tag("A || C")).await;
    let mut bodies: Vec<Vec<u8>> = receive_n(&tags, 2)
        .await
        .into_iter()
        .map(|v| v.body.to_vec())
        .collect();
    bodies.sort();
    assert_eq!(bodies, [b"A".to_vec(), b"C".to_vec()]);
    let sql = consumer(&config, "sql", FilterExpression::sql("region = 'us'")).await;
    let got = receive_n(&sql, 1).await;
    assert_eq!(
        got.iter().map(|v| v.body.clone()).collect::<Vec<_>>(),
        [b"B".to_vec()]
    );
}

#[tokio::test]
async fn change_invisible_duration_hands_back_a_working_handle() {
    let (_broker, producer, config) = setup().await;
    producer
        .send(&Message::builder("t", "x").build().expect("m"))
        .await
        .expect("send");
    let consumer = consumer(&config, "g", FilterExpression::all()).await;
    let first = receive_n(&consumer, 1).await.remove(0);
    let moved = consumer
        .change_invisible_duration(&first, Duration::from_secs(60))
        .await
        .expect("change");
    assert_ne!(moved.receipt_handle(), first.receipt_handle());
    let stale = consumer.ack(&first).await.expect_err("old handle");
    assert_eq!(stale.kind(), ErrorKind::BadRequest, "{stale}");
    consumer.ack(&moved).await.expect("new handle acks");
}

#[tokio::test]
async fn server_refusals_surface_as_typed_errors() {
    let (_broker, _producer, config) = setup().await;
    let consumer = consumer(&config, "g", FilterExpression::all()).await;
    let error = consumer
        .receive(1, Duration::from_secs(1))
        .await
        .expect_err("too short");
    assert_eq!(error.kind(), ErrorKind::BadRequest);
    assert_eq!(
        error.code(),
        Some(rmq_proto::Code::IllegalInvisibleTime as i32)
    );
    let invalid = consumer
        .receive(0, Duration::from_secs(30))
        .await
        .expect_err("zero");
    assert_eq!(invalid.kind(), ErrorKind::InvalidArgument);
    let bad_sql = SimpleConsumer::builder(config.clone(), "g")
        .subscribe("t", FilterExpression::sql(" "))
        .start()
        .await
        .err()
        .expect("empty sql");
    assert_eq!(bad_sql.kind(), ErrorKind::InvalidArgument);
    consumer.shutdown().await;
    let closed = consumer
        .receive(1, Duration::from_secs(30))
        .await
        .expect_err("closed");
    assert_eq!(closed.kind(), ErrorKind::Closed);
}

#[tokio::test]
async fn ack_batch_answers_each_message_on_its_own() {
    let (broker, producer, config) = setup().await;
    for i in 0..3 {
        producer
            .send(&Message::builder("t", format!("m{i}")).build().expect("m"))
            .await
            .expect("send");
    }
    let consumer = consumer(&config, "g", FilterExpression::all()).await;
    let mut got = receive_n(&consumer, 3).await;
    assert_eq!(got.len(), 3);
    // The first view's handle goes stale once its invisible duration is changed.
    let fresh = consumer
        .change_invisible_duration(&got[0], Duration::from_secs(30))
        .await
        .expect("change");
    let results = consumer.ack_batch(&got).await.expect("ack request");
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].as_ref().expect_err("stale handle").kind(),
        ErrorKind::BadRequest
    );
    assert!(results[1].is_ok() && results[2].is_ok(), "{results:?}");
    let left = broker.in_flight("g", "t");
    assert_eq!(
        left.len(),
        1,
        "only the stale-handle message is still in flight"
    );
    assert_eq!(left[0].0.message_id, got[0].message_id);
    got[0] = fresh;
    consumer.ack(&got[0]).await.expect("the fresh handle acks");
    assert!(broker.in_flight("g", "t").is_empty());
}

#[tokio::test]
async fn routes_are_refreshed_until_shutdown() {
    // The server pops from every queue of the broker a receive names, so a refresh matters
    // for brokers that join the route; here it is seen in the QueryRoute calls it makes.
    let (broker, _producer, _) = setup().await;
    let quick = |broker: &MiniBroker| {
        common::config_with(broker, |b| {
            b.route_refresh_interval(Duration::from_millis(50))
        })
    };
    let before = broker.rpc_calls(Rpc::QueryRoute);
    let consumer = SimpleConsumer::builder(quick(&broker), "g")
        .subscribe("t", FilterExpression::all())
        .start()
        .await
        .expect("consumer");
    eventually("four refreshes", || {
        broker.rpc_calls(Rpc::QueryRoute) >= before + 5
    })
    .await;
    consumer.shutdown().await;
    let after_shutdown = broker.rpc_calls(Rpc::QueryRoute);
    // A witness with the same period on a broker of its own: once it has refreshed four
    // times, the stopped consumer would have too.
    let (other, _other_producer, _) = setup().await;
    let witness = SimpleConsumer::builder(quick(&other), "g")
        .subscribe("t", FilterExpression::all())
        .start()
        .await
        .expect("witness");
    let started = other.rpc_calls(Rpc::QueryRoute);
    eventually("the witness's refreshes", || {
        other.rpc_calls(Rpc::QueryRoute) >= started + 4
    })
    .await;
    assert_eq!(
        broker.rpc_calls(Rpc::QueryRoute),
        after_shutdown,
        "no refresh after shutdown"
    );
    witness.shutdown().await;
}

#[tokio::test]
async fn short_awaits_work_and_wait_the_servers_minimum() {
    let (broker, producer, config) = setup().await;
    let consumer = SimpleConsumer::builder(config, "short")
        .subscribe("t", FilterExpression::all())
        .await_duration(Duration::from_secs(1))
        .start()
        .await
        .expect("consumer");
    producer
        .send(&Message::builder("t", "now").build().expect("m"))
        .await
        .expect("send");
    let got = receive_n(&consumer, 1).await;
    assert_eq!(got.len(), 1, "a 1 s await receives");
    consumer.ack(&got[0]).await.expect("ack");
    // An empty poll is held for the server's minimum (5 s), inside the client's deadline.
    let started = std::time::Instant::now();
    let empty = consumer
        .receive(1, Duration::from_secs(30))
        .await
        .expect("an empty poll is no error");
    assert!(empty.is_empty());
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(broker.rpc_calls(Rpc::ReceiveMessage) >= 2);
    consumer.shutdown().await;
}

#[tokio::test]
async fn bad_arguments_are_refused_with_clear_errors() {
    let (_broker, _producer, config) = setup().await;
    let empty_tag = SimpleConsumer::builder(config.clone(), "g")
        .subscribe("t", FilterExpression::tag(" "))
        .start()
        .await;
    let error = empty_tag.err().expect("an empty tag expression is refused");
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert_eq!(error.topic(), Some("t"));
    let no_group = SimpleConsumer::builder(config.clone(), " ")
        .subscribe("t", FilterExpression::all())
        .start()
        .await;
    assert_eq!(
        no_group.err().map(|e| e.kind()),
        Some(ErrorKind::InvalidArgument)
    );
    let consumer = consumer(&config, "g", FilterExpression::all()).await;
    for max in [0, 33] {
        let error = consumer
            .receive(max, Duration::from_secs(30))
            .await
            .expect_err("max out of range");
        assert_eq!(
            error.message(),
            format!("max_messages must be 1 to 32, got {max}")
        );
    }
    consumer.shutdown().await;
}

/// A server that refuses the client's Settings on the Telemetry stream (here: a strict broker
/// that does not know the group) fails the start at once with the server's reason, not with
/// a timeout once the Settings wait runs out.
#[tokio::test]
async fn refused_settings_fail_the_start_with_the_servers_reason() {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("t", TopicType::Normal))
        .strict(true)
        .start()
        .await
        .expect("start");
    let config = common::config(&broker);
    let Err(error) = SimpleConsumer::builder(config, "nobody-declared-me")
        .subscribe("t", FilterExpression::all())
        .start()
        .await
    else {
        panic!("an unknown group is refused")
    };
    assert_eq!(error.kind(), ErrorKind::BadRequest, "{error}");
    assert!(error.to_string().contains("nobody-declared-me"), "{error}");
}

/// A receive whose stream breaks after its messages still returns them: they are leased to
/// this client, and dropping them would leave them invisible until their lease ends.
#[tokio::test]
async fn a_receive_stream_broken_after_its_messages_returns_them() {
    let (broker, producer, config) = setup().await;
    let consumer = consumer(&config, "broken", FilterExpression::all()).await;
    let sent = producer
        .send(&Message::builder("t", "leased").build().expect("m"))
        .await
        .expect("send");
    broker.break_receive_streams(1);
    let got = consumer
        .receive(32, Duration::from_secs(30))
        .await
        .expect("the messages read before the break");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message_id, sent.message_id);
    consumer.ack(&got[0]).await.expect("ack");
    consumer.shutdown().await;
}
