//! Pop consumption: long polling, ack, invisible time and redelivery, change invisible
//! duration, dead-letter queues, FIFO ordering and filters. Time-based behaviour runs on the
//! virtual clock. Timers and transactions are in `timers_and_transactions.rs`, lease renewal
//! and release in `leases.rs`.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, Rpc};
use rmq_proto::v2::*;
use std::time::{Duration, Instant};

#[tokio::test]
async fn receive_ack_and_nothing_left() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let mut c = consumer(&broker, "g", "t").await;
    send(&mut p.stub, vec![message("t", "a"), message("t", "b")]).await;
    let got = receive(&mut c.stub, "g", "t", 32, 30).await;
    assert_eq!(got.status.code, Code::Ok as i32);
    assert_eq!(got.messages.len(), 2);
    for m in &got.messages {
        assert_eq!(attempt(m), 1);
        let sys = m.system_properties.as_ref().expect("sys");
        assert!(sys.body_digest.is_some());
        assert!(sys.store_timestamp.is_some());
        let acked = ack(&mut c.stub, "g", "t", m).await;
        assert_eq!(code(&acked.status), Code::Ok);
    }
    assert!(broker.in_flight("g", "t").is_empty());
    broker.advance(Duration::from_secs(60));
    let again = receive(&mut c.stub, "g", "t", 32, 30).await;
    assert_eq!(again.status.code, Code::MessageNotFound as i32);
}

#[tokio::test]
async fn long_poll_answers_as_soon_as_a_message_arrives() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let mut p = producer(&broker, &["lp"]).await;
    let mut c = consumer(&broker, "g", "lp").await;
    let started = Instant::now();
    let poll = tokio::spawn(async move {
        receive_with(&mut c.stub, "g", "lp", 1, 30, None, Duration::from_secs(10)).await
    });
    until("the long poll reaches the broker", || {
        broker.rpc_calls(Rpc::ReceiveMessage) >= 1
    })
    .await;
    send(&mut p.stub, vec![message("lp", "late")]).await;
    let got = poll.await.expect("join");
    assert_eq!(got.messages.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered early: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_deadline_shorter_than_the_minimum_poll_is_illegal_polling_time() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let mut c = consumer(&broker, "g", "t").await;
    let s = receive_within(&mut c.stub, "g", "t", Duration::from_secs(2)).await;
    assert_eq!(s.code, Code::IllegalPollingTime as i32);
}

#[tokio::test]
async fn invisible_time_out_of_range_is_rejected() {
    let broker = virtual_broker().await;
    let mut c = consumer(&broker, "g", "t").await;
    let got = receive(&mut c.stub, "g", "t", 1, 5).await;
    assert_eq!(got.status.code, Code::IllegalInvisibleTime as i32);
}

#[tokio::test]
async fn unacked_messages_come_back_at_the_deadline_with_the_next_attempt() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let mut c = consumer(&broker, "g", "t").await;
    send(&mut p.stub, vec![message("t", "x")]).await;
    let first = receive(&mut c.stub, "g", "t", 1, 10)
        .await
        .messages
        .remove(0);
    assert_eq!(broker.in_flight("g", "t").len(), 1);
    broker.advance(Duration::from_millis(9_999));
    assert_eq!(
        receive(&mut c.stub, "g", "t", 1, 10).await.status.code,
        Code::MessageNotFound as i32
    );
    broker.advance(Duration::from_millis(1));
    let second = receive(&mut c.stub, "g", "t", 1, 10)
        .await
        .messages
        .remove(0);
    assert_eq!(id(&second), id(&first));
    assert_eq!(attempt(&second), 2);
    let stale = ack(&mut c.stub, "g", "t", &first).await;
    assert_eq!(
        code(&stale.status),
        Code::InvalidReceiptHandle,
        "an expired handle is refused"
    );
    assert_eq!(
        code(&ack(&mut c.stub, "g", "t", &second).await.status),
        Code::Ok
    );
    assert_eq!(
        code(&ack(&mut c.stub, "g", "t", &second).await.status),
        Code::Ok,
        "acking twice is harmless"
    );
    assert_eq!(
        broker.committed_offset(
            "g",
            "t",
            second.system_properties.as_ref().expect("sys").queue_id as usize
        ),
        Some(1)
    );
}

#[tokio::test]
async fn change_invisible_duration_returns_a_new_handle_and_retires_the_old_one() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let mut c = consumer(&broker, "g", "t").await;
    send(&mut p.stub, vec![message("t", "x")]).await;
    let m = receive(&mut c.stub, "g", "t", 1, 10)
        .await
        .messages
        .remove(0);
    let changed = c
        .stub
        .change_invisible_duration(ChangeInvisibleDurationRequest {
            group: resource("g"),
            topic: resource("t"),
            receipt_handle: handle(&m),
            invisible_duration: secs(60),
            message_id: id(&m),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&changed.status), Code::Ok);
    assert_ne!(changed.receipt_handle, handle(&m));
    broker.advance(Duration::from_secs(30));
    assert_eq!(
        receive(&mut c.stub, "g", "t", 1, 10).await.status.code,
        Code::MessageNotFound as i32,
        "still invisible"
    );
    let old = ack(&mut c.stub, "g", "t", &m).await;
    assert_eq!(code(&old.status), Code::InvalidReceiptHandle);
    let new = ack_handle(&mut c.stub, "g", "t", &id(&m), &changed.receipt_handle).await;
    assert_eq!(code(&new.status), Code::Ok);
    let out_of_range = c
        .stub
        .change_invisible_duration(ChangeInvisibleDurationRequest {
            group: resource("g"),
            topic: resource("t"),
            receipt_handle: changed.receipt_handle,
            invisible_duration: secs(13 * 3600),
            message_id: id(&m),
            ..Default::default()
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&out_of_range.status), Code::IllegalInvisibleTime);
}

#[tokio::test]
async fn after_max_attempts_the_message_moves_to_the_dead_letter_queue() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let mut c = consumer(&broker, "short", "t").await;
    let sent = message("t", "poison");
    let sent_id = id(&sent);
    send(&mut p.stub, vec![sent]).await;
    for expected in 1..=2 {
        let m = receive(&mut c.stub, "short", "t", 1, 10)
            .await
            .messages
            .remove(0);
        assert_eq!(attempt(&m), expected);
        broker.advance(Duration::from_secs(10));
    }
    assert_eq!(
        receive(&mut c.stub, "short", "t", 1, 10).await.status.code,
        Code::MessageNotFound as i32
    );
    let dlq = broker.dead_letters("short");
    assert_eq!(dlq.len(), 1);
    assert_eq!(dlq[0].message_id, sent_id);
    assert_eq!(dlq[0].dead_letter, Some(("t".to_string(), sent_id.clone())));
    // The DLQ topic is readable like any other topic.
    let mut reader = consumer(&broker, "dlq-reader", "%DLQ%short").await;
    let read = receive(&mut reader.stub, "dlq-reader", "%DLQ%short", 1, 10).await;
    assert_eq!(read.messages.len(), 1);
    let sys = read.messages[0].system_properties.as_ref().expect("sys");
    assert_eq!(
        sys.dead_letter_queue.as_ref().map(|d| d.topic.as_str()),
        Some("t")
    );
}

#[tokio::test]
async fn forward_to_dead_letter_queue_on_request() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let mut c = consumer(&broker, "g", "t").await;
    send(&mut p.stub, vec![message("t", "x")]).await;
    let m = receive(&mut c.stub, "g", "t", 1, 10)
        .await
        .messages
        .remove(0);
    let forwarded = c
        .stub
        .forward_message_to_dead_letter_queue(ForwardMessageToDeadLetterQueueRequest {
            group: resource("g"),
            topic: resource("t"),
            receipt_handle: handle(&m),
            message_id: id(&m),
            delivery_attempt: 1,
            max_delivery_attempts: 1,
            lite_topic: None,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&forwarded.status), Code::Ok);
    assert_eq!(broker.dead_letters("g").len(), 1);
    assert!(broker.in_flight("g", "t").is_empty());
}

#[tokio::test]
async fn fifo_groups_block_per_message_group_until_settled() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["fifo"]).await;
    let mut c = consumer(&broker, "fg", "fifo").await;
    for m in [
        fifo_message("A", "a1"),
        fifo_message("A", "a2"),
        fifo_message("B", "b1"),
    ] {
        send(&mut p.stub, vec![m]).await;
    }
    let body = |m: &Message| String::from_utf8(m.body.to_vec()).expect("utf8");
    let first = receive(&mut c.stub, "fg", "fifo", 1, 10)
        .await
        .messages
        .remove(0);
    assert_eq!(body(&first), "a1");
    let second = receive(&mut c.stub, "fg", "fifo", 1, 10)
        .await
        .messages
        .remove(0);
    assert_eq!(body(&second), "b1", "group B flows while A is blocked");
    assert_eq!(
        receive(&mut c.stub, "fg", "fifo", 1, 10).await.status.code,
        Code::MessageNotFound as i32
    );
    // a1 not acked: it comes back first, before a2, with the next attempt.
    broker.advance(Duration::from_secs(10));
    let again = receive(&mut c.stub, "fg", "fifo", 1, 10)
        .await
        .messages
        .remove(0);
    assert_eq!((body(&again), attempt(&again)), ("a1".to_string(), 2));
    assert_eq!(
        code(&ack(&mut c.stub, "fg", "fifo", &again).await.status),
        Code::Ok
    );
    let next = receive(&mut c.stub, "fg", "fifo", 1, 10)
        .await
        .messages
        .remove(0);
    assert_eq!(body(&next), "a2");
}

#[tokio::test]
async fn tag_and_sql_filters_select_messages() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let tagged = |tag: &str, region: &str| Message {
        user_properties: [("region".to_string(), region.to_string())].into(),
        ..with_sys(message("t", tag), |s| s.tag = Some(tag.into()))
    };
    send(
        &mut p.stub,
        vec![tagged("A", "eu"), tagged("B", "us"), tagged("C", "eu")],
    )
    .await;
    let mut c = consumer(&broker, "tags", "t").await;
    let tags = Some(FilterExpression {
        r#type: FilterType::Tag as i32,
        expression: "A || C".into(),
    });
    let got = receive_with(
        &mut c.stub,
        "tags",
        "t",
        32,
        30,
        tags,
        Duration::from_secs(5),
    )
    .await;
    let mut bodies: Vec<String> = got
        .messages
        .iter()
        .map(|m| String::from_utf8(m.body.to_vec()).expect("utf8"))
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["A", "C"]);
    let mut s = consumer(&broker, "sql", "t").await;
    let sql = Some(FilterExpression {
        r#type: FilterType::Sql as i32,
        expression: "region = 'us' OR TAGS = 'C'".into(),
    });
    let got = receive_with(&mut s.stub, "sql", "t", 32, 30, sql, Duration::from_secs(5)).await;
    let mut bodies: Vec<String> = got
        .messages
        .iter()
        .map(|m| String::from_utf8(m.body.to_vec()).expect("utf8"))
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["B", "C"]);
    let bad = Some(FilterExpression {
        r#type: FilterType::Sql as i32,
        expression: "region = ".into(),
    });
    let got = receive_with(&mut s.stub, "sql", "t", 32, 30, bad, Duration::from_secs(5)).await;
    assert_eq!(got.status.code, Code::IllegalFilterExpression as i32);
}

#[tokio::test]
async fn shutdown_ends_open_streams_and_long_polls_promptly() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let mut c = consumer(&broker, "g", "t").await;
    let poll = tokio::spawn(async move {
        let got = receive_with(&mut c.stub, "g", "t", 1, 30, None, Duration::from_secs(20)).await;
        (got, c)
    });
    until("the long poll reaches the broker", || {
        broker.rpc_calls(Rpc::ReceiveMessage) >= 1
    })
    .await;
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), broker.shutdown())
        .await
        .expect("shutdown does not wait for clients to leave");
    let (got, mut c) = poll.await.expect("join");
    assert_eq!(got.status.code, Code::MessageNotFound as i32);
    assert!(started.elapsed() < Duration::from_secs(5));
    let ended = tokio::time::timeout(Duration::from_secs(5), c.inbound.message())
        .await
        .expect("telemetry ends");
    assert!(
        !matches!(ended, Ok(Some(_))),
        "no more commands after shutdown"
    );
}
