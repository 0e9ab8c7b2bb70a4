//! Pop consumption: long polling, ack, invisible time and redelivery, change invisible
//! duration, dead-letter queues, FIFO ordering, filters, timers with recall, and transactions
//! with orphan checks. Time-based behaviour runs on the virtual clock.

mod common;

use common::*;
use rmq_mini_broker::{GroupConfig, MiniBroker, Rpc, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::time::{Duration, Instant};

async fn virtual_broker() -> MiniBroker {
    MiniBroker::builder()
        .virtual_clock(true)
        .topic(TopicConfig::new("t", TopicType::Normal).queues(2))
        .topic(TopicConfig::new("fifo", TopicType::Fifo).queues(1))
        .topic(TopicConfig::new("delay", TopicType::Delay))
        .topic(TopicConfig::new("tx", TopicType::Transaction))
        .group(GroupConfig::new("fg").fifo(true))
        .group(GroupConfig::new("short").max_delivery_attempts(2))
        .start()
        .await
        .expect("start")
}

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
    let mut request = tonic::Request::new(ReceiveMessageRequest {
        group: resource("g"),
        message_queue: Some(MessageQueue {
            topic: resource("t"),
            ..Default::default()
        }),
        batch_size: 1,
        invisible_duration: secs(30),
        long_polling_timeout: secs(20),
        ..Default::default()
    });
    request.set_timeout(Duration::from_secs(2));
    let mut stream = c
        .stub
        .receive_message(request)
        .await
        .expect("rpc")
        .into_inner();
    let first = stream.message().await.expect("item").expect("some");
    let Some(receive_message_response::Content::Status(s)) = first.content else {
        panic!("status first")
    };
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

fn fifo_message(group: &str, body: &str) -> Message {
    with_sys(message("fifo", body), |s| {
        s.message_group = Some(group.into());
        s.message_type = MessageType::Fifo as i32;
    })
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
async fn delayed_messages_appear_at_their_time_and_can_be_recalled() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["delay"]).await;
    let mut c = consumer(&broker, "g", "delay").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let at = |s: i64| {
        Some(prost_types::Timestamp {
            seconds: now + s,
            nanos: 0,
        })
    };
    let later = with_sys(message("delay", "later"), |s| {
        s.delivery_timestamp = at(60);
        s.message_type = MessageType::Delay as i32
    });
    let recalled = with_sys(message("delay", "recalled"), |s| {
        s.delivery_timestamp = at(60);
        s.message_type = MessageType::Delay as i32
    });
    send(&mut p.stub, vec![later]).await;
    let sent = send(&mut p.stub, vec![recalled]).await;
    let recall_handle = sent.entries[0].recall_handle.clone();
    assert!(!recall_handle.is_empty());
    assert_eq!(broker.pending_timers(), 2);
    let recall = p
        .stub
        .recall_message(RecallMessageRequest {
            topic: resource("delay"),
            recall_handle: recall_handle.clone(),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&recall.status), Code::Ok);
    assert_eq!(recall.message_id, sent.entries[0].message_id);
    assert_eq!(
        receive(&mut c.stub, "g", "delay", 8, 30).await.status.code,
        Code::MessageNotFound as i32
    );
    broker.advance(Duration::from_secs(61));
    let got = receive(&mut c.stub, "g", "delay", 8, 30).await;
    assert_eq!(got.messages.len(), 1);
    assert_eq!(got.messages[0].body, &b"later"[..]);
    let again = p
        .stub
        .recall_message(RecallMessageRequest {
            topic: resource("delay"),
            recall_handle,
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_ne!(
        code(&again.status),
        Code::Ok,
        "a recalled message cannot be recalled twice"
    );
}

fn half(body: &str) -> Message {
    with_sys(message("tx", body), |s| {
        s.message_type = MessageType::Transaction as i32
    })
}

async fn end(
    stub: &mut Stub,
    entry: &SendResultEntry,
    resolution: TransactionResolution,
    source: TransactionSource,
) -> Code {
    let ended = stub
        .end_transaction(EndTransactionRequest {
            topic: resource("tx"),
            message_id: entry.message_id.clone(),
            transaction_id: entry.transaction_id.clone(),
            resolution: resolution as i32,
            source: source as i32,
            trace_context: String::new(),
        })
        .await
        .expect("rpc")
        .into_inner();
    code(&ended.status)
}

#[tokio::test]
async fn transactions_commit_rollback_and_orphan_checks() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["tx"]).await;
    let committed = send(&mut p.stub, vec![half("commit-me")])
        .await
        .entries
        .remove(0);
    let rolled = send(&mut p.stub, vec![half("roll-me")])
        .await
        .entries
        .remove(0);
    assert!(!committed.transaction_id.is_empty());
    assert_eq!(broker.half_messages().len(), 2);
    assert!(
        broker.messages("tx").is_empty(),
        "half messages are invisible"
    );
    assert_eq!(
        end(
            &mut p.stub,
            &committed,
            TransactionResolution::Commit,
            TransactionSource::SourceClient
        )
        .await,
        Code::Ok
    );
    assert_eq!(
        end(
            &mut p.stub,
            &rolled,
            TransactionResolution::Rollback,
            TransactionSource::SourceClient
        )
        .await,
        Code::Ok
    );
    let stored = broker.messages("tx");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].body.as_ref(), b"commit-me");
    assert_eq!(
        end(
            &mut p.stub,
            &rolled,
            TransactionResolution::Commit,
            TransactionSource::SourceClient
        )
        .await,
        Code::InternalServerError
    );

    // No decision: the broker asks the producer over Telemetry.
    let orphan = send(&mut p.stub, vec![half("orphan")])
        .await
        .entries
        .remove(0);
    broker.advance(Duration::from_secs(1));
    let command = tokio::time::timeout(Duration::from_secs(5), p.inbound.message())
        .await
        .expect("check in time")
        .expect("stream ok")
        .expect("a command");
    let Some(telemetry_command::Command::RecoverOrphanedTransactionCommand(check)) =
        command.command
    else {
        panic!("expected an orphan check, got {command:?}")
    };
    assert_eq!(check.transaction_id, orphan.transaction_id);
    assert_eq!(check.message.expect("message").body, &b"orphan"[..]);
    assert_eq!(
        end(
            &mut p.stub,
            &orphan,
            TransactionResolution::Commit,
            TransactionSource::SourceServerCheck
        )
        .await,
        Code::Ok
    );
    assert_eq!(broker.messages("tx").len(), 2);
}

#[tokio::test]
async fn undecided_transactions_are_discarded_after_the_last_check() {
    let broker = MiniBroker::builder()
        .virtual_clock(true)
        .topic(TopicConfig::new("tx", TopicType::Transaction))
        .transaction_check_max(2)
        .start()
        .await
        .expect("start");
    let mut p = producer(&broker, &["tx"]).await;
    send(&mut p.stub, vec![half("never")]).await;
    for _ in 0..3 {
        broker.advance(Duration::from_secs(1));
    }
    assert!(broker.half_messages().is_empty());
    assert!(broker.messages("tx").is_empty());
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

async fn receive_auto_renew(
    c: &mut Client,
    group: &str,
    topic: &str,
    attempt_id: Option<&str>,
) -> Received {
    let mut request = tonic::Request::new(ReceiveMessageRequest {
        group: resource(group),
        message_queue: Some(MessageQueue {
            topic: resource(topic),
            ..Default::default()
        }),
        batch_size: 1,
        invisible_duration: None,
        auto_renew: true,
        long_polling_timeout: secs(5),
        attempt_id: attempt_id.map(str::to_owned),
        ..Default::default()
    });
    request.set_timeout(Duration::from_secs(8));
    let mut stream = c
        .stub
        .receive_message(request)
        .await
        .expect("rpc")
        .into_inner();
    let mut status = None;
    let mut messages = Vec::new();
    while let Some(item) = stream.message().await.expect("item") {
        match item.content.expect("content") {
            receive_message_response::Content::Status(s) => status = Some(s),
            receive_message_response::Content::Message(m) => messages.push(m),
            receive_message_response::Content::DeliveryTimestamp(_) => {}
        }
    }
    Received {
        status: status.expect("status"),
        messages,
    }
}

#[tokio::test]
async fn auto_renewed_messages_stay_invisible_while_the_consumer_lives() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let mut owner = consumer(&broker, "push", "t").await;
    let mut other = consumer(&broker, "push", "t").await;
    send(&mut p.stub, vec![message("t", "slow")]).await;
    let m = receive_auto_renew(&mut owner, "push", "t", None)
        .await
        .messages
        .remove(0);
    broker.advance(Duration::from_secs(600));
    assert_eq!(
        receive(&mut other.stub, "push", "t", 1, 10)
            .await
            .status
            .code,
        Code::MessageNotFound as i32,
        "renewed past its 60 s invisible time"
    );
    assert_eq!(
        code(&ack(&mut owner.stub, "push", "t", &m).await.status),
        Code::Ok,
        "the first handle still acks"
    );
}

#[tokio::test]
async fn a_terminating_consumer_releases_its_messages_within_a_second() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let mut owner = consumer(&broker, "push", "t").await;
    let mut other = consumer(&broker, "push", "t").await;
    send(&mut p.stub, vec![message("t", "orphaned")]).await;
    let m = receive_auto_renew(&mut owner, "push", "t", None)
        .await
        .messages
        .remove(0);
    let bye = owner
        .stub
        .notify_client_termination(NotifyClientTerminationRequest {
            group: resource("push"),
        })
        .await
        .expect("rpc")
        .into_inner();
    assert_eq!(code(&bye.status), Code::Ok);
    broker.advance(Duration::from_secs(1));
    let again = receive(&mut other.stub, "push", "t", 1, 10).await.messages;
    assert_eq!(again.len(), 1);
    assert_eq!(id(&again[0]), id(&m));
    assert_eq!(attempt(&again[0]), 2);
}

#[tokio::test]
async fn a_fifo_receive_retried_with_its_attempt_id_gets_the_same_messages() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["fifo"]).await;
    let mut c = consumer(&broker, "fg", "fifo").await;
    send(&mut p.stub, vec![fifo_message("A", "a1")]).await;
    send(&mut p.stub, vec![fifo_message("A", "a2")]).await;
    let first = receive_auto_renew(&mut c, "fg", "fifo", Some("attempt-1"))
        .await
        .messages;
    assert_eq!(first.len(), 1);
    let retried = receive_auto_renew(&mut c, "fg", "fifo", Some("attempt-1"))
        .await
        .messages;
    assert_eq!(retried.len(), 1);
    assert_eq!(id(&retried[0]), id(&first[0]));
    assert_eq!(handle(&retried[0]), handle(&first[0]));
    assert_eq!(
        attempt(&retried[0]),
        1,
        "a retried attempt is not another delivery"
    );
    let next = receive_auto_renew(&mut c, "fg", "fifo", Some("attempt-2")).await;
    assert_eq!(
        next.status.code,
        Code::MessageNotFound as i32,
        "a new attempt is blocked"
    );
}
