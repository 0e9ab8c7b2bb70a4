//! The push consumer end to end against an in-process mini-broker.

mod common;

use common::eventually;

use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, Message, MessageView, Producer, PushConsumer,
};
use rmq_mini_broker::{GroupConfig, MiniBroker, RetryPolicy, Rpc, TopicConfig, TopicType};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Groups with a short retry policy, so failures come back in 100 ms.
fn quick(group: GroupConfig) -> GroupConfig {
    group.retry_policy(RetryPolicy::Customized(vec![Duration::from_millis(100)]))
}

async fn setup() -> (MiniBroker, Producer, ClientConfig) {
    let broker = MiniBroker::builder()
        .topic(TopicConfig::new("t", TopicType::Normal).queues(4))
        .topic(TopicConfig::new("fifo", TopicType::Fifo).queues(2))
        .group(quick(GroupConfig::new("retry")))
        .group(quick(GroupConfig::new("ordered").fifo(true)))
        .group(quick(
            GroupConfig::new("poisoned")
                .fifo(true)
                .max_delivery_attempts(2),
        ))
        .start()
        .await
        .expect("start");
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    let producer = Producer::builder(config.clone())
        .topics(["t", "fifo"])
        .start()
        .await
        .expect("producer");
    (broker, producer, config)
}

type Seen = Arc<Mutex<Vec<(String, i32)>>>;

fn recorder(seen: &Seen, fail_first: bool) -> impl Fn(&MessageView) -> ConsumeResult + use<> {
    let seen = seen.clone();
    move |view: &MessageView| {
        let body = String::from_utf8_lossy(&view.body).into_owned();
        seen.lock()
            .expect("lock")
            .push((body, view.delivery_attempt));
        if fail_first && view.delivery_attempt == 1 {
            ConsumeResult::Failure
        } else {
            ConsumeResult::Success
        }
    }
}

#[tokio::test]
async fn consumes_every_message_and_acks_it() {
    let (broker, producer, config) = setup().await;
    for i in 0..20 {
        producer
            .send(&Message::builder("t", format!("m{i}")).build().expect("m"))
            .await
            .expect("send");
    }
    let seen: Seen = Arc::default();
    let consumer = PushConsumer::builder(config, "plain")
        .subscribe("t", FilterExpression::all())
        .listener(recorder(&seen, false))
        .start()
        .await
        .expect("consumer");
    assert!(!consumer.is_fifo());
    eventually("20 messages", || seen.lock().expect("lock").len() >= 20).await;
    eventually("all acked", || broker.in_flight("plain", "t").is_empty()).await;
    let distinct: std::collections::HashSet<String> = seen
        .lock()
        .expect("lock")
        .iter()
        .map(|(b, _)| b.clone())
        .collect();
    assert_eq!(distinct.len(), 20);
    consumer.shutdown().await;
}

#[tokio::test]
async fn acks_of_messages_consumed_together_share_requests() {
    let (broker, producer, config) = setup().await;
    let batch: Vec<Message> = (0..100)
        .map(|i| Message::builder("t", format!("m{i}")).build().expect("m"))
        .collect();
    for _ in 0..3 {
        producer.send_batch(&batch).await.expect("send");
    }
    // Slow acks make the later ones queue up behind the first requests.
    broker.delay_rpc(Rpc::AckMessage, Duration::from_millis(30));
    let seen: Seen = Arc::default();
    let consumer = PushConsumer::builder(config, "coalesced")
        .subscribe("t", FilterExpression::all())
        .listener(recorder(&seen, false))
        .start()
        .await
        .expect("consumer");
    eventually("300 messages", || seen.lock().expect("lock").len() >= 300).await;
    eventually("all acked", || {
        broker.in_flight("coalesced", "t").is_empty()
            && (0..4).all(|q| broker.committed_offset("coalesced", "t", q).is_some())
    })
    .await;
    let requests = broker.rpc_calls(Rpc::AckMessage);
    assert!(
        requests < 100,
        "300 acks took {requests} AckMessage requests; they should share requests"
    );
    consumer.shutdown().await;
}

#[tokio::test]
async fn a_failed_message_comes_back_after_the_backoff() {
    let (_broker, producer, config) = setup().await;
    producer
        .send(&Message::builder("t", "flaky").build().expect("m"))
        .await
        .expect("send");
    let seen: Seen = Arc::default();
    let consumer = PushConsumer::builder(config, "retry")
        .subscribe("t", FilterExpression::all())
        .listener(recorder(&seen, true))
        .start()
        .await
        .expect("consumer");
    eventually("the second attempt", || {
        seen.lock().expect("lock").len() >= 2
    })
    .await;
    assert_eq!(
        seen.lock().expect("lock")[..2],
        [("flaky".to_string(), 1), ("flaky".to_string(), 2)]
    );
    consumer.shutdown().await;
}

#[tokio::test]
async fn fifo_groups_are_consumed_in_order_through_local_retries() {
    let (_broker, producer, config) = setup().await;
    for i in 0..6 {
        let m = Message::builder("fifo", format!("{i}"))
            .message_group("order-1")
            .build()
            .expect("m");
        producer.send(&m).await.expect("send");
    }
    let seen: Seen = Arc::default();
    let fail_three_once = {
        let seen = seen.clone();
        let failed = Arc::new(Mutex::new(false));
        move |view: &MessageView| {
            let body = String::from_utf8_lossy(&view.body).into_owned();
            seen.lock()
                .expect("lock")
                .push((body.clone(), view.delivery_attempt));
            let mut failed = failed.lock().expect("lock");
            if body == "3" && !*failed {
                *failed = true;
                return ConsumeResult::Failure;
            }
            ConsumeResult::Success
        }
    };
    let consumer = PushConsumer::builder(config, "ordered")
        .subscribe("fifo", FilterExpression::all())
        .listener(fail_three_once)
        .start()
        .await
        .expect("consumer");
    assert!(consumer.is_fifo());
    eventually("7 listener calls", || seen.lock().expect("lock").len() >= 7).await;
    let order: Vec<String> = seen
        .lock()
        .expect("lock")
        .iter()
        .map(|(b, _)| b.clone())
        .collect();
    assert_eq!(order, ["0", "1", "2", "3", "3", "4", "5"]);
    consumer.shutdown().await;
}

#[tokio::test]
async fn a_fifo_message_out_of_attempts_goes_to_the_dead_letter_queue() {
    let (broker, producer, config) = setup().await;
    let m = Message::builder("fifo", "poison")
        .message_group("g")
        .build()
        .expect("m");
    let sent = producer.send(&m).await.expect("send");
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let consumer = PushConsumer::builder(config, "poisoned")
        .subscribe("fifo", FilterExpression::all())
        .listener(move |_: &MessageView| -> ConsumeResult {
            *counter.lock().expect("lock") += 1;
            panic!("listener bug");
        })
        .start()
        .await
        .expect("consumer");
    eventually("the DLQ", || !broker.dead_letters("poisoned").is_empty()).await;
    assert_eq!(
        broker.dead_letters("poisoned")[0].message_id,
        sent.message_id
    );
    assert_eq!(
        *calls.lock().expect("lock"),
        2,
        "panics count as failures; 2 attempts"
    );
    consumer.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_consuming() {
    let (broker, producer, config) = setup().await;
    let seen: Seen = Arc::default();
    let consumer = PushConsumer::builder(config.clone(), "stopper")
        .subscribe("t", FilterExpression::all())
        .listener(recorder(&seen, false))
        .start()
        .await
        .expect("consumer");
    tokio::time::timeout(Duration::from_secs(10), consumer.shutdown())
        .await
        .expect("shutdown is prompt");
    producer
        .send(&Message::builder("t", "late").build().expect("m"))
        .await
        .expect("send");
    // A new consumer of the group gets the message: the stopped one did not take it.
    let fresh: Seen = Arc::default();
    let replacement = PushConsumer::builder(config, "stopper")
        .subscribe("t", FilterExpression::all())
        .listener(recorder(&fresh, false))
        .start()
        .await
        .expect("replacement");
    eventually("the replacement's delivery", || {
        fresh.lock().expect("lock").len() == 1
    })
    .await;
    assert!(seen.lock().expect("lock").is_empty());
    assert_eq!(broker.messages("t").len(), 1);
    replacement.shutdown().await;
}

#[tokio::test]
async fn the_listener_answers_the_servers_verify_requests() {
    let (broker, producer, config) = setup().await;
    let good = producer
        .send(&Message::builder("t", "good").build().expect("m"))
        .await
        .expect("send");
    let bad = producer
        .send(&Message::builder("t", "bad").build().expect("m"))
        .await
        .expect("send");
    let verified: Seen = Arc::default();
    let consumer = {
        let verified = verified.clone();
        PushConsumer::builder(config.clone(), "verify")
            .subscribe("t", FilterExpression::all())
            .listener(move |view: &MessageView| {
                let body = String::from_utf8_lossy(&view.body).into_owned();
                verified
                    .lock()
                    .expect("lock")
                    .push((body.clone(), view.delivery_attempt));
                if body == "good" {
                    ConsumeResult::Success
                } else {
                    ConsumeResult::Failure
                }
            })
            .start()
            .await
            .expect("consumer")
    };
    let wait = Duration::from_secs(5);
    let answer = broker
        .verify_message("verify", "t", &good.message_id, wait)
        .await
        .expect("answered");
    assert_eq!(answer.code, rmq_proto::Code::Ok as i32, "{answer:?}");
    let answer = broker
        .verify_message("verify", "t", &bad.message_id, wait)
        .await
        .expect("answered");
    assert_eq!(
        answer.code,
        rmq_proto::Code::FailedToConsumeMessage as i32,
        "{answer:?}"
    );
    let missing = broker
        .verify_message("verify", "t", "no-such-id", wait)
        .await
        .expect_err("no such message");
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    consumer.shutdown().await;

    // A simple consumer does not consume for the server: it says so.
    let simple = rmq_client::SimpleConsumer::builder(config, "simple-verify")
        .subscribe("t", FilterExpression::all())
        .start()
        .await
        .expect("simple consumer");
    let answer = broker
        .verify_message("simple-verify", "t", &good.message_id, wait)
        .await
        .expect("answered");
    assert_eq!(answer.code, rmq_proto::Code::NotImplemented as i32);
    simple.shutdown().await;
}

#[tokio::test]
async fn queues_follow_the_assignment_as_it_changes() {
    let (broker, _producer, config) = setup().await;
    broker.create_topic(TopicConfig::new("resized", TopicType::Fifo).queues(3));
    let consumer = PushConsumer::builder(config, "ordered")
        .subscribe("resized", FilterExpression::all())
        .listener(|_: &MessageView| ConsumeResult::Success)
        .assignment_scan_interval(Duration::from_millis(50))
        .start()
        .await
        .expect("consumer");
    assert!(consumer.is_fifo());
    // FIFO groups are assigned queue by queue.
    eventually("three queues", || consumer.assigned_queues() == 3).await;
    broker.create_topic(TopicConfig::new("resized", TopicType::Fifo).queues(1));
    eventually("one queue after the topic shrank", || {
        consumer.assigned_queues() == 1
    })
    .await;
    consumer.shutdown().await;
}

#[tokio::test]
async fn fifo_groups_in_one_queue_are_consumed_side_by_side() {
    let (broker, producer, config) = setup().await;
    broker.create_topic(TopicConfig::new("one-queue", TopicType::Fifo).queues(1));
    for i in 0..3 {
        for group in ["slow", "fast"] {
            let m = Message::builder("one-queue", format!("{group}{i}"))
                .message_group(group)
                .build()
                .expect("m");
            producer.send(&m).await.expect("send");
        }
    }
    let done: Arc<Mutex<Vec<String>>> = Arc::default();
    let consumer = {
        let done = done.clone();
        PushConsumer::builder(config, "ordered")
            .subscribe("one-queue", FilterExpression::all())
            .listener(move |view: &MessageView| {
                let body = String::from_utf8_lossy(&view.body).into_owned();
                if body.starts_with("slow") {
                    std::thread::sleep(Duration::from_millis(200));
                }
                done.lock().expect("lock").push(body);
                ConsumeResult::Success
            })
            .start()
            .await
            .expect("consumer")
    };
    eventually("six messages", || done.lock().expect("lock").len() >= 6).await;
    let done = done.lock().expect("lock").clone();
    let position = |b: &str| done.iter().position(|d| d == b).expect("consumed");
    // Each group in its own order...
    assert!(position("slow0") < position("slow1") && position("slow1") < position("slow2"));
    assert!(position("fast0") < position("fast1") && position("fast1") < position("fast2"));
    // ...and the fast group does not wait behind the slow one.
    assert!(
        position("fast2") < position("slow1"),
        "the fast group waited for the slow one: {done:?}"
    );
    consumer.shutdown().await;
}

#[tokio::test]
async fn a_backlog_is_received_no_faster_than_the_cache_allows() {
    let (broker, producer, config) = setup().await;
    let batch: Vec<Message> = (0..50)
        .map(|i| Message::builder("t", format!("m{i}")).build().expect("m"))
        .collect();
    for _ in 0..4 {
        producer.send_batch(&batch).await.expect("send");
    }
    let consumed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let consumer = {
        let consumed = consumed.clone();
        PushConsumer::builder(config, "cached")
            .subscribe("t", FilterExpression::all())
            .max_cache_messages(8)
            .consumption_threads(2)
            .listener(move |_: &MessageView| {
                std::thread::sleep(Duration::from_millis(5));
                consumed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                ConsumeResult::Success
            })
            .start()
            .await
            .expect("consumer")
    };
    let mut most_cached = 0;
    let mut most_in_flight = 0;
    for _ in 0..2000 {
        most_cached = most_cached.max(consumer.cached_messages());
        most_in_flight = most_in_flight.max(broker.in_flight("cached", "t").len());
        if consumed.load(std::sync::atomic::Ordering::SeqCst) >= 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(consumed.load(std::sync::atomic::Ordering::SeqCst), 200);
    assert!(most_cached <= 8, "cached {most_cached} with a limit of 8");
    assert!(
        most_in_flight <= 8,
        "{most_in_flight} received at once with a cache of 8"
    );
    consumer.shutdown().await;
}
