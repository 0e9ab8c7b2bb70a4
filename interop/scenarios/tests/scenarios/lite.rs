//! Lite topics (Apache 5.5, RIP-83): lite push consumers of one lite group get only the lite
//! topics they subscribed, each in order, and nothing more of one they unsubscribed.

use super::*;
use rmq_client::LitePushConsumer;
use rmq_interop_scenarios::{LITE_GROUP, LITE_TOPIC};

type Seen = Arc<Mutex<Vec<(String, String)>>>;

async fn lite_consumer(server: &Server) -> (LitePushConsumer, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let consumer = LitePushConsumer::builder(server.config(), LITE_GROUP, LITE_TOPIC)
        .listener(move |view: &MessageView| {
            let lite = view.lite_topic.clone().unwrap_or_default();
            let body = String::from_utf8_lossy(&view.body).into_owned();
            record.lock().unwrap().push((lite, body));
            ConsumeResult::Success
        })
        .start()
        .await
        .expect("lite consumer starts");
    (consumer, seen)
}

fn of(seen: &Seen, lite: &str) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(l, _)| l == lite)
        .map(|(_, b)| b.clone())
        .collect()
}

async fn send_lite(producer: &Producer, lite: &str, body: &str) {
    let m = Message::builder(LITE_TOPIC, body.to_owned())
        .lite_topic(lite)
        .build()
        .expect("m");
    producer.send(&m).await.expect("send");
}

async fn wait_for(what: &str, within: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn lite_consumers_get_only_their_lite_topics_in_order() {
    let server = Server::start().await;
    if !server.lite {
        eprintln!("skipped: the server has no lite topics (Apache 5.5 cluster; RMQ_SERVER_LITE=1)");
        return;
    }
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|s| unique(&format!("lite-{s}")));
    let (alice, alice_seen) = lite_consumer(&server).await;
    let (bob, bob_seen) = lite_consumer(&server).await;
    alice.subscribe_lite(&a).await.expect("subscribe a");
    bob.subscribe_lite(&b).await.expect("subscribe b");
    let producer = producer(&server, &[LITE_TOPIC]).await;
    for i in 0..10 {
        for lite in [&a, &b, &c] {
            send_lite(&producer, lite, &format!("{i}")).await;
        }
    }
    let expected: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    wait_for("both lite topics", Duration::from_secs(60), || {
        of(&alice_seen, &a).len() >= 10 && of(&bob_seen, &b).len() >= 10
    })
    .await;
    assert_eq!(of(&alice_seen, &a), expected, "alice: a, in order");
    assert_eq!(of(&bob_seen, &b), expected, "bob: b, in order");
    assert!(of(&alice_seen, &c).is_empty() && of(&bob_seen, &c).is_empty());
    assert!(of(&alice_seen, &b).is_empty() && of(&bob_seen, &a).is_empty());

    // After unsubscribing a, nothing more of it arrives while d (subscribed now) does.
    alice.unsubscribe_lite(&a).await.expect("unsubscribe a");
    alice.subscribe_lite(&d).await.expect("subscribe d");
    assert_eq!(alice.lite_topics(), vec![d.clone()]);
    send_lite(&producer, &a, "late").await;
    send_lite(&producer, &d, "first").await;
    wait_for("d", Duration::from_secs(60), || {
        of(&alice_seen, &d).len() == 1
    })
    .await;
    assert_eq!(
        of(&alice_seen, &a).len(),
        10,
        "nothing of a after unsubscribing"
    );
    alice.shutdown().await;
    bob.shutdown().await;
    producer.shutdown().await;
}
