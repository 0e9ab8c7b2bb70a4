//! The clients against a mini-cluster of three brokers, one of which goes down and comes back.

mod common;

use common::eventually;

use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, Message, MessageView, Producer, PushConsumer,
};
use rmq_mini_broker::{GroupConfig, MiniBroker, MiniCluster, RetryPolicy, TopicConfig, TopicType};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn cluster() -> (MiniCluster, ClientConfig) {
    let cluster = MiniCluster::start(
        MiniBroker::builder()
            .topic(TopicConfig::new("t", TopicType::Normal).queues(2))
            .topic(TopicConfig::new("fifo", TopicType::Fifo).queues(2))
            .group(
                GroupConfig::new("ordered")
                    .fifo(true)
                    .retry_policy(RetryPolicy::Customized(vec![Duration::from_millis(100)])),
            ),
        3,
    )
    .await
    .expect("cluster");
    let config = config(cluster.endpoints());
    (cluster, config)
}

/// Heartbeats every 200 ms, so a broker that comes back is back in use soon.
fn config(endpoints: String) -> ClientConfig {
    ClientConfig::builder()
        .endpoints(endpoints)
        .heartbeat_interval(Duration::from_millis(200))
        .build()
        .expect("config")
}

async fn producer(config: &ClientConfig, topics: impl IntoIterator<Item = &str>) -> Producer {
    Producer::builder(config.clone())
        .topics(topics)
        .start()
        .await
        .expect("producer")
}

fn stored_ids(cluster: &MiniCluster, topic: &str, broker: Option<usize>) -> HashSet<String> {
    let messages = match broker {
        Some(i) => cluster.broker(i).messages(topic),
        None => cluster.messages(topic),
    };
    messages.into_iter().map(|m| m.message_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_producer_keeps_sending_while_a_broker_is_down_and_loses_nothing() {
    let (cluster, config) = cluster().await;
    let producer = Producer::builder(config)
        .topics(["t"])
        .start()
        .await
        .expect("producer");
    let mut acked = Vec::new();
    let send = async |producer: &Producer, acked: &mut Vec<String>, body: String| {
        let m = Message::builder("t", body).build().expect("m");
        let receipt = producer.send(&m).await.expect("every send succeeds");
        acked.push(receipt.message_id);
    };
    for i in 0..30 {
        send(&producer, &mut acked, format!("before {i}")).await;
    }
    assert!(
        (0..3).all(|b| !stored_ids(&cluster, "t", Some(b)).is_empty()),
        "sends spread over the three brokers"
    );
    cluster.broker_down(1).await;
    let on_down_before = stored_ids(&cluster, "t", Some(1)).len();
    for i in 0..60 {
        send(&producer, &mut acked, format!("while down {i}")).await;
    }
    assert_eq!(
        stored_ids(&cluster, "t", Some(1)).len(),
        on_down_before,
        "nothing reached the down broker"
    );
    cluster.broker_up(1).await.expect("up");
    let stored = stored_ids(&cluster, "t", None);
    for id in &acked {
        assert!(stored.contains(id), "acknowledged {id} is stored");
    }
    // Once back and answering heartbeats, the broker takes sends again.
    let deadline = tokio::time::Instant::now() + common::PATIENCE;
    let mut i = 0;
    while stored_ids(&cluster, "t", Some(1)).len() == on_down_before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the broker that came back gets sends again"
        );
        send(&producer, &mut acked, format!("after {i}")).await;
        i += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    producer.shutdown().await;
    cluster.shutdown().await;
}

type Seen = Arc<Mutex<Vec<String>>>;

fn recorder(seen: &Seen) -> impl Fn(&MessageView) -> ConsumeResult + use<> {
    let seen = seen.clone();
    move |view: &MessageView| {
        seen.lock()
            .expect("lock")
            .push(String::from_utf8_lossy(&view.body).into_owned());
        ConsumeResult::Success
    }
}

fn seen_count(seen: &Seen, prefix: &str) -> usize {
    seen.lock()
        .expect("lock")
        .iter()
        .filter(|b| b.starts_with(prefix))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_consumer_drains_the_live_brokers_and_resumes_the_other_once_back() {
    let (cluster, config) = cluster().await;
    let producer = producer(&config, ["t"]).await;
    for i in 0..60 {
        let m = Message::builder("t", format!("m{i}")).build().expect("m");
        producer.send(&m).await.expect("send");
    }
    producer.shutdown().await;
    let stranded = cluster.broker(2).messages("t").len();
    assert!(stranded > 0);
    cluster.broker_down(2).await;
    let seen: Seen = Arc::default();
    // The access point is a live broker; the route still lists the down one.
    let consumer = PushConsumer::builder(self::config(cluster.broker(0).endpoint()), "plain")
        .subscribe("t", FilterExpression::all())
        .listener(recorder(&seen))
        .start()
        .await
        .expect("consumer");
    eventually("the live brokers' messages", || {
        seen_count(&seen, "m") >= 60 - stranded
    })
    .await;
    assert_eq!(
        seen_count(&seen, "m"),
        60 - stranded,
        "nothing from the down broker yet"
    );
    cluster.broker_up(2).await.expect("up");
    eventually("the stranded messages after broker_up", || {
        seen_count(&seen, "m") >= 60
    })
    .await;
    consumer.shutdown().await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_consumer_whose_first_access_point_is_down_asks_the_next() {
    let (cluster, config) = cluster().await;
    let producer = Producer::builder(config)
        .topics(["t"])
        .start()
        .await
        .expect("producer");
    for i in 0..30 {
        let m = Message::builder("t", format!("m{i}")).build().expect("m");
        producer.send(&m).await.expect("send");
    }
    producer.shutdown().await;
    let stranded = cluster.broker(0).messages("t").len();
    cluster.broker_down(0).await;
    let seen: Seen = Arc::default();
    // Routes and assignments come from the second access point while the first is down.
    let endpoints = format!(
        "{};{}",
        cluster.broker(0).endpoint(),
        cluster.broker(1).endpoint()
    );
    let consumer = PushConsumer::builder(self::config(endpoints), "plain")
        .subscribe("t", FilterExpression::all())
        .listener(recorder(&seen))
        .start()
        .await
        .expect("consumer");
    eventually("the live brokers' messages", || {
        seen_count(&seen, "m") >= 30 - stranded
    })
    .await;
    consumer.shutdown().await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_waiting_for_a_down_broker_does_not_hold_a_consumption_thread() {
    let (cluster, config) = cluster().await;
    // One consumption thread. The first message's listener returns only once its broker is
    // down, so its ack keeps failing until the broker is back.
    let first_broker: Arc<Mutex<Option<String>>> = Arc::default();
    let release = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen: Seen = Arc::default();
    let record = recorder(&seen);
    let (broker_of, released) = (first_broker.clone(), release.clone());
    let consumer = PushConsumer::builder(config.clone(), "plain")
        .subscribe("t", FilterExpression::all())
        .consumption_threads(1)
        .listener(move |view: &MessageView| {
            if view.body.as_ref() == b"first" {
                // Receipt handles are opaque to users; the mini-broker's name the broker
                // sixth, as Apache's do.
                let broker = view.receipt_handle().split(' ').nth(5).map(str::to_owned);
                *broker_of.lock().expect("lock") = broker;
                while !released.load(std::sync::atomic::Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            record(view)
        })
        .start()
        .await
        .expect("consumer");
    let producer = Producer::builder(config)
        .topics(["t"])
        .start()
        .await
        .expect("producer");
    let send = |body: String| {
        let producer = producer.clone();
        async move {
            let m = Message::builder("t", body).build().expect("m");
            producer.send(&m).await.expect("send");
        }
    };
    send("first".to_owned()).await;
    eventually("the first message is in its listener", || {
        first_broker.lock().expect("lock").is_some()
    })
    .await;
    let name = first_broker
        .lock()
        .expect("lock")
        .clone()
        .unwrap_or_default();
    let down: usize = name
        .trim_start_matches("broker-")
        .parse()
        .expect("a broker-N name");
    cluster.broker_down(down).await;
    release.store(true, std::sync::atomic::Ordering::Release);
    for i in 0..10 {
        send(format!("after-{i}")).await;
    }
    eventually("the live brokers' messages while the ack waits", || {
        seen_count(&seen, "after-") == 10
    })
    .await;
    cluster.broker_up(down).await.expect("up");
    consumer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_groups_on_a_down_broker_wait_and_the_others_flow_in_order() {
    let (cluster, config) = cluster().await;
    let producer = producer(&config, ["fifo"]).await;
    // Enough message groups that every broker holds some.
    for i in 0..10 {
        for group in 0..12 {
            let m = Message::builder("fifo", format!("g{group}-{i}"))
                .message_group(format!("g{group}"))
                .build()
                .expect("m");
            producer.send(&m).await.expect("send");
        }
    }
    producer.shutdown().await;
    let on_down: HashSet<String> = cluster
        .broker(0)
        .messages("fifo")
        .iter()
        .filter_map(|m| m.message_group.clone())
        .collect();
    assert!(!on_down.is_empty() && on_down.len() < 12);
    cluster.broker_down(0).await;
    let seen: Seen = Arc::default();
    let consumer = PushConsumer::builder(self::config(cluster.broker(1).endpoint()), "ordered")
        .subscribe("fifo", FilterExpression::all())
        .listener(recorder(&seen))
        .start()
        .await
        .expect("consumer");
    let live = (12 - on_down.len()) * 10;
    eventually("the live brokers' groups", || {
        seen_count(&seen, "g") >= live
    })
    .await;
    let in_order = |seen: &Seen| {
        let seen = seen.lock().expect("lock");
        (0..12).all(|g| {
            let got: Vec<&String> = seen
                .iter()
                .filter(|b| b.starts_with(&format!("g{g}-")))
                .collect();
            got.iter()
                .enumerate()
                .all(|(i, b)| **b == format!("g{g}-{i}"))
        })
    };
    assert!(in_order(&seen));
    assert!(
        seen.lock()
            .expect("lock")
            .iter()
            .all(|b| !on_down.contains(b.split('-').next().unwrap_or(""))),
        "the down broker's groups wait"
    );
    cluster.broker_up(0).await.expect("up");
    eventually("every group after broker_up", || {
        seen_count(&seen, "g") >= 120
    })
    .await;
    assert!(in_order(&seen), "order holds per group");
    consumer.shutdown().await;
    cluster.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simple_consumer_visits_each_broker_in_turn() {
    let (cluster, _) = cluster().await;
    // Routes refreshed between every two receives: a refresh keeps the turn (a fresh random
    // one asked a broker just found empty again, and a message waited out three receives).
    let config = ClientConfig::builder()
        .endpoints(cluster.endpoints())
        .route_refresh_interval(Duration::from_millis(300))
        .build()
        .expect("config");
    let producer = producer(&config, ["t"]).await;
    let consumer = rmq_client::SimpleConsumer::builder(config, "visitor")
        .subscribe("t", FilterExpression::all())
        .await_duration(Duration::from_millis(300))
        .start()
        .await
        .expect("consumer");
    // One message at a time, wherever it lands: each receive asks the next broker, so one
    // of every three receives in a row asks the broker that holds it.
    for i in 0..6 {
        let message = Message::builder("t", format!("m{i}")).build().expect("m");
        producer.send(&message).await.expect("send");
        let mut receives = 0;
        let got = loop {
            receives += 1;
            let views = consumer
                .receive(1, Duration::from_secs(10))
                .await
                .expect("receive");
            if let Some(view) = views.into_iter().next() {
                break view;
            }
            assert!(receives < 3, "three receives missed message {i}");
        };
        consumer.ack(&got).await.expect("ack");
    }
    consumer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// The chaos run found it: with two topics on two brokers, a simple consumer read each topic
/// from one broker only (its topic and broker turns stepped together), and the messages on
/// the other never came.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simple_consumer_of_two_topics_reads_each_from_every_broker() {
    let cluster = MiniCluster::start(
        MiniBroker::builder()
            .topic(TopicConfig::new("a", TopicType::Normal).queues(1))
            .topic(TopicConfig::new("b", TopicType::Normal).queues(1)),
        2,
    )
    .await
    .expect("cluster");
    let config = config(cluster.endpoints());
    let producer = producer(&config, ["a", "b"]).await;
    let mut sent = HashSet::new();
    for i in 0..20 {
        for topic in ["a", "b"] {
            let message = Message::builder(topic, format!("{topic}{i}"))
                .build()
                .expect("m");
            sent.insert(producer.send(&message).await.expect("send").message_id);
        }
    }
    for broker in 0..2 {
        for topic in ["a", "b"] {
            assert!(
                !stored_ids(&cluster, topic, Some(broker)).is_empty(),
                "{topic} has messages on broker-{broker}"
            );
        }
    }
    let consumer = rmq_client::SimpleConsumer::builder(config, "two-topics")
        .subscribe("a", FilterExpression::all())
        .subscribe("b", FilterExpression::all())
        .await_duration(Duration::from_millis(200))
        .start()
        .await
        .expect("consumer");
    let mut received = HashSet::new();
    for _ in 0..12 {
        for view in consumer
            .receive(32, Duration::from_secs(10))
            .await
            .expect("receive")
        {
            consumer.ack(&view).await.expect("ack");
            received.insert(view.message_id);
        }
    }
    assert_eq!(
        received, sent,
        "every message, from both brokers, of both topics"
    );
    consumer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}

/// A broker that leaves the routes while the consumer's long poll on it is in flight (as when
/// an Apache proxy's route drops a restarting broker): the poll is not abandoned, so what that
/// broker hands it is consumed. A poll given up after the server leased it messages leaves
/// them invisible for as long as the client is online, since the server renews their lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_in_flight_on_a_broker_that_leaves_the_routes_is_consumed() {
    let (cluster, config) = cluster().await;
    let producer = producer(&config, ["t"]).await;
    let seen: Seen = Arc::default();
    let consumer = PushConsumer::builder(config, "plain")
        .subscribe("t", FilterExpression::all())
        .listener(recorder(&seen))
        .assignment_scan_interval(Duration::from_millis(50))
        .start()
        .await
        .expect("consumer");
    eventually("a long poll on every broker", || {
        consumer.assigned_queues() == 3
            && cluster
                .brokers()
                .iter()
                .all(|b| b.rpc_calls(rmq_mini_broker::Rpc::ReceiveMessage) >= 1)
    })
    .await;
    cluster.set_listed(2, false);
    eventually("broker 2 left the assignment", || {
        consumer.assigned_queues() == 2
    })
    .await;
    // The producer's route still lists broker 2: send until it holds a message.
    let mut sent = 0;
    while cluster.broker(2).messages("t").is_empty() {
        assert!(sent < 30, "the producer never sent to broker 2");
        let m = Message::builder("t", format!("m{sent}"))
            .build()
            .expect("m");
        producer.send(&m).await.expect("send");
        sent += 1;
    }
    eventually("every message, broker 2's included", || {
        seen_count(&seen, "m") == sent
    })
    .await;
    consumer.shutdown().await;
    producer.shutdown().await;
    cluster.shutdown().await;
}
