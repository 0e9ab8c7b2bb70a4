//! Lite topics against an in-process mini-broker, as Apache 5.5 serves them: a lite push
//! consumer receives only the lite topics it subscribed, each in order; unsubscribing stops
//! delivery; offsets, quotas and exclusive groups behave as on Apache.

mod common;

use common::{config, eventually, start};
use rmq_client::proto::Code;
use rmq_client::{
    ConsumeResult, ErrorKind, LitePushConsumer, Message, MessageView, OffsetOption, Producer,
};
use rmq_mini_broker::{GroupConfig, LiteGroup, MiniBroker, TopicConfig, TopicType};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Seen = Arc<Mutex<Vec<(String, String, i32)>>>;

async fn broker() -> MiniBroker {
    start(MiniBroker::builder().topic(TopicConfig::new("replies", TopicType::Lite))).await
}

async fn producer(broker: &MiniBroker) -> Producer {
    Producer::builder(config(broker))
        .topics(["replies"])
        .start()
        .await
        .expect("producer")
}

/// A lite consumer recording (lite topic, body, attempt) and answering with `result`.
async fn consumer(
    broker: &MiniBroker,
    group: &str,
    result: impl Fn(&MessageView) -> ConsumeResult + Send + Sync + 'static,
) -> (LitePushConsumer, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let consumer = LitePushConsumer::builder(config(broker), group, "replies")
        .listener(move |view: &MessageView| {
            let body = String::from_utf8_lossy(&view.body).into_owned();
            let lite = view.lite_topic.clone().unwrap_or_default();
            record
                .lock()
                .unwrap()
                .push((lite, body, view.delivery_attempt));
            result(view)
        })
        .start()
        .await
        .expect("lite consumer");
    (consumer, seen)
}

async fn send(producer: &Producer, lite: &str, body: &str) {
    let message = Message::builder("replies", body.to_owned())
        .lite_topic(lite)
        .build()
        .expect("message");
    producer.send(&message).await.expect("send");
}

fn bodies(seen: &Seen, lite: &str) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(l, _, _)| l == lite)
        .map(|(_, b, _)| b.clone())
        .collect()
}

#[tokio::test]
async fn each_consumer_gets_only_its_lite_topics_in_order() {
    let broker = broker().await;
    let producer = producer(&broker).await;
    let (alice, alice_seen) = consumer(&broker, "agents", |_| ConsumeResult::Success).await;
    let (bob, bob_seen) = consumer(&broker, "agents", |_| ConsumeResult::Success).await;
    alice.subscribe_lite("session-a").await.expect("subscribe");
    bob.subscribe_lite("session-b").await.expect("subscribe");
    assert_eq!(alice.lite_topics(), ["session-a"]);
    for i in 0..20 {
        for lite in ["session-a", "session-b", "session-c"] {
            send(&producer, lite, &format!("{lite}-{i}")).await;
        }
    }
    let expected = |lite: &str| (0..20).map(|i| format!("{lite}-{i}")).collect::<Vec<_>>();
    eventually("both sessions delivered", || {
        bodies(&alice_seen, "session-a").len() == 20 && bodies(&bob_seen, "session-b").len() == 20
    })
    .await;
    assert_eq!(bodies(&alice_seen, "session-a"), expected("session-a"));
    assert_eq!(bodies(&bob_seen, "session-b"), expected("session-b"));
    assert_eq!(
        alice_seen.lock().unwrap().len(),
        20,
        "alice got only session-a"
    );
    assert_eq!(bob_seen.lock().unwrap().len(), 20, "bob got only session-b");
    // Stored once in the parent topic and once in each lite queue.
    assert_eq!(broker.messages("replies").len(), 60);

    // Unsubscribing stops delivery; another subscribed topic goes on.
    alice
        .unsubscribe_lite("session-a")
        .await
        .expect("unsubscribe");
    alice.subscribe_lite("session-d").await.expect("subscribe");
    send(&producer, "session-a", "late-a").await;
    send(&producer, "session-d", "d-0").await;
    eventually("session-d delivered", || {
        bodies(&alice_seen, "session-d").len() == 1
    })
    .await;
    assert!(
        bodies(&alice_seen, "session-a").len() == 20,
        "nothing after unsubscribing"
    );
    alice.shutdown().await;
    bob.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn a_new_subscription_starts_at_the_end_unless_told_otherwise() {
    let broker = broker().await;
    let producer = producer(&broker).await;
    for i in 0..3 {
        send(&producer, "backlog", &format!("old-{i}")).await;
    }
    let (latest, latest_seen) = consumer(&broker, "g-latest", |_| ConsumeResult::Success).await;
    let (oldest, oldest_seen) = consumer(&broker, "g-oldest", |_| ConsumeResult::Success).await;
    latest.subscribe_lite("backlog").await.expect("subscribe");
    oldest
        .subscribe_lite_from("backlog", OffsetOption::Min)
        .await
        .expect("subscribe from the oldest");
    send(&producer, "backlog", "new-0").await;
    eventually("both saw the new message", || {
        bodies(&latest_seen, "backlog").contains(&"new-0".to_owned())
            && bodies(&oldest_seen, "backlog").len() == 4
    })
    .await;
    assert_eq!(bodies(&latest_seen, "backlog"), ["new-0"]);
    assert_eq!(
        bodies(&oldest_seen, "backlog"),
        ["old-0", "old-1", "old-2", "new-0"]
    );
    latest.shutdown().await;
    oldest.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn a_failed_message_comes_back_before_the_next_of_its_lite_topic() {
    let broker = broker().await;
    let producer = producer(&broker).await;
    let failed_once = Arc::new(Mutex::new(false));
    let fail = failed_once.clone();
    let (consumer, seen) = consumer(&broker, "retrying", move |view| {
        let mut failed = fail.lock().unwrap();
        if view.body.as_ref() == b"m-1" && !*failed {
            *failed = true;
            return ConsumeResult::Failure;
        }
        ConsumeResult::Success
    })
    .await;
    consumer.subscribe_lite("ordered").await.expect("subscribe");
    for i in 0..4 {
        send(&producer, "ordered", &format!("m-{i}")).await;
    }
    eventually("all consumed", || bodies(&seen, "ordered").len() == 5).await;
    // Retried locally, as a FIFO group's message, before the next one starts.
    assert_eq!(
        bodies(&seen, "ordered"),
        ["m-0", "m-1", "m-1", "m-2", "m-3"]
    );
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn quotas_names_and_groups_are_checked() {
    let broker = start(
        MiniBroker::builder()
            .topic(TopicConfig::new("replies", TopicType::Lite))
            .topic(TopicConfig::new("other", TopicType::Normal))
            .group(GroupConfig::new("small").lite(LiteGroup {
                quota: 1,
                ..LiteGroup::new("replies")
            }))
            .group(GroupConfig::new("plain")),
    )
    .await;
    let (consumer, _) = consumer(&broker, "small", |_| ConsumeResult::Success).await;
    consumer
        .subscribe_lite("one")
        .await
        .expect("within the quota");
    consumer
        .subscribe_lite("one")
        .await
        .expect("again: nothing to do");
    let over = consumer
        .subscribe_lite("two")
        .await
        .expect_err("over the quota");
    assert_eq!(
        over.code(),
        Some(Code::LiteSubscriptionQuotaExceeded as i32)
    );
    assert_eq!(consumer.lite_topics(), ["one"]);
    let bad = consumer
        .subscribe_lite("bad name!")
        .await
        .expect_err("illegal");
    assert_eq!(bad.kind(), ErrorKind::InvalidArgument);
    consumer.shutdown().await;

    // A regular group cannot serve a lite consumer.
    let refused = LitePushConsumer::builder(config(&broker), "plain", "replies")
        .listener(|_: &MessageView| ConsumeResult::Success)
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

    // A lite message needs a LITE topic.
    let producer = Producer::builder(config(&broker))
        .topics(["other"])
        .start()
        .await
        .expect("producer");
    let message = Message::builder("other", "x")
        .lite_topic("l")
        .build()
        .expect("message");
    let conflict = producer.send(&message).await.expect_err("not a LITE topic");
    assert!(
        matches!(
            conflict.kind(),
            ErrorKind::InvalidArgument | ErrorKind::BadRequest
        ),
        "{conflict}"
    );
    producer.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn an_exclusive_subscription_takes_the_lite_topic_from_the_others() {
    let broker = start(
        MiniBroker::builder()
            .topic(TopicConfig::new("replies", TopicType::Lite))
            .group(GroupConfig::new("solo").lite(LiteGroup {
                exclusive: true,
                ..LiteGroup::new("replies")
            })),
    )
    .await;
    let producer = producer(&broker).await;
    let (first, first_seen) = consumer(&broker, "solo", |_| ConsumeResult::Success).await;
    let (second, second_seen) = consumer(&broker, "solo", |_| ConsumeResult::Success).await;
    first.subscribe_lite("chat").await.expect("subscribe");
    second.subscribe_lite("chat").await.expect("subscribe");
    eventually("the first consumer was told", || {
        first.lite_topics().is_empty()
    })
    .await;
    for i in 0..5 {
        send(&producer, "chat", &format!("c-{i}")).await;
    }
    eventually("the second consumer got them", || {
        bodies(&second_seen, "chat").len() == 5
    })
    .await;
    assert!(first_seen.lock().unwrap().is_empty());
    first.shutdown().await;
    second.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
}

#[tokio::test]
async fn lite_subscriptions_survive_a_broker_restart() {
    let dir = std::env::temp_dir().join(format!("rmq-lite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let builder = MiniBroker::builder()
        .topic(TopicConfig::new("replies", TopicType::Lite))
        .data_dir(&dir);
    let broker = start(builder.clone()).await;
    let endpoint = broker.endpoint();
    let producer = producer(&broker).await;
    let (consumer, seen) = consumer(&broker, "durable", |_| ConsumeResult::Success).await;
    consumer.subscribe_lite("kept").await.expect("subscribe");
    send(&producer, "kept", "before").await;
    eventually("delivered before the restart", || {
        bodies(&seen, "kept").len() == 1
    })
    .await;
    broker.shutdown().await;
    let broker = start(builder.listen(endpoint)).await;
    // The client's sessions come back and it syncs its set again.
    let sent_after = async {
        loop {
            let message = Message::builder("replies", "after")
                .lite_topic("kept")
                .build()
                .expect("message");
            if producer.send(&message).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), sent_after)
        .await
        .expect("the producer recovers");
    eventually("delivered after the restart", || {
        bodies(&seen, "kept").len() == 2
    })
    .await;
    assert_eq!(bodies(&seen, "kept"), ["before", "after"]);
    consumer.shutdown().await;
    producer.shutdown().await;
    broker.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
