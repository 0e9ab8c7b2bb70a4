//! Transactions end to end against an in-process mini-broker.

mod common;

use common::eventually;

use rmq_client::{ClientConfig, ErrorKind, Message, MessageView, Producer, TransactionResolution};
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

async fn broker() -> MiniBroker {
    MiniBroker::builder()
        .topic(TopicConfig::new("tx", TopicType::Transaction))
        .transaction_check_delay(Duration::from_millis(100))
        .transaction_check_interval(Duration::from_millis(100))
        .start()
        .await
        .expect("start")
}

async fn producer(
    broker: &MiniBroker,
    checker: impl Fn(&MessageView) -> TransactionResolution + Send + Sync + 'static,
) -> Producer {
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    Producer::builder(config)
        .topics(["tx"])
        .transaction_checker(checker)
        .start()
        .await
        .expect("producer")
}

#[tokio::test]
async fn commit_publishes_and_rollback_discards() {
    let broker = broker().await;
    let producer = producer(&broker, |_: &MessageView| TransactionResolution::Unknown).await;
    let tx = producer.begin_transaction().expect("begin");
    let receipt = tx
        .send(&Message::builder("tx", "commit me").build().expect("m"))
        .await
        .expect("half");
    assert!(!receipt.transaction_id.is_empty());
    assert!(broker.messages("tx").is_empty(), "invisible before commit");
    tx.commit().await.expect("commit");
    assert_eq!(broker.messages("tx").len(), 1);

    let tx = producer.begin_transaction().expect("begin");
    tx.send(&Message::builder("tx", "roll me").build().expect("m"))
        .await
        .expect("half");
    tx.rollback().await.expect("rollback");
    assert_eq!(broker.messages("tx").len(), 1);
    assert!(broker.half_messages().is_empty());
}

#[tokio::test]
async fn the_checker_resolves_an_abandoned_transaction() {
    let broker = broker().await;
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let producer = producer(&broker, move |view: &MessageView| {
        counter.fetch_add(1, Ordering::SeqCst);
        if view.body == b"keep"[..] {
            TransactionResolution::Commit
        } else {
            TransactionResolution::Rollback
        }
    })
    .await;
    for body in ["keep", "drop"] {
        let tx = producer.begin_transaction().expect("begin");
        tx.send(&Message::builder("tx", body).build().expect("m"))
            .await
            .expect("half");
        drop(tx); // never decided
    }
    eventually("both checks answered", || broker.half_messages().is_empty()).await;
    let stored: Vec<Vec<u8>> = broker
        .messages("tx")
        .into_iter()
        .map(|m| m.body.to_vec())
        .collect();
    assert_eq!(stored, [b"keep".to_vec()]);
    assert!(asked.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn a_panicking_checker_decides_nothing_and_breaks_nothing() {
    let broker = broker().await;
    let checks = Arc::new(AtomicUsize::new(0));
    let counted = checks.clone();
    let producer = producer(&broker, move |_: &MessageView| -> TransactionResolution {
        counted.fetch_add(1, Ordering::SeqCst);
        panic!("checker bug")
    })
    .await;
    let tx = producer.begin_transaction().expect("begin");
    tx.send(&Message::builder("tx", "x").build().expect("m"))
        .await
        .expect("half");
    drop(tx);
    eventually("two checks", || checks.load(Ordering::SeqCst) >= 2).await;
    assert_eq!(broker.half_messages().len(), 1, "still undecided");
    producer
        .send(&Message::builder("tx", "y").build().expect("m"))
        .await
        .expect_err("type check");
    let tx = producer.begin_transaction().expect("producer still works");
    tx.send(&Message::builder("tx", "z").build().expect("m"))
        .await
        .expect("half");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn misuse_is_refused_locally() {
    let broker = broker().await;
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    let plain = Producer::builder(config)
        .topics(["tx"])
        .start()
        .await
        .expect("producer");
    assert_eq!(
        plain.begin_transaction().err().expect("no checker").kind(),
        ErrorKind::InvalidArgument
    );

    let producer = producer(&broker, |_: &MessageView| TransactionResolution::Unknown).await;
    let tx = producer.begin_transaction().expect("begin");
    let grouped = Message::builder("tx", "x")
        .message_group("g")
        .build()
        .expect("m");
    assert_eq!(
        tx.send(&grouped).await.expect_err("group").kind(),
        ErrorKind::InvalidArgument
    );
    tx.send(&Message::builder("tx", "one").build().expect("m"))
        .await
        .expect("half");
    let second = tx
        .send(&Message::builder("tx", "two").build().expect("m"))
        .await
        .expect_err("second");
    assert_eq!(second.kind(), ErrorKind::InvalidArgument);
    let empty = producer.begin_transaction().expect("begin");
    assert_eq!(
        empty.commit().await.expect_err("nothing sent").kind(),
        ErrorKind::InvalidArgument
    );
}
