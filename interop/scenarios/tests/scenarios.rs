//! The behaviour scenarios, run unchanged against an in-process mini-broker (by default) or
//! the server named by `RMQ_SCENARIO_ENDPOINT` (a real Apache RocketMQ, see
//! `interop/run-scenarios.sh`). Where the two servers may differ on purpose, the scenario
//! asserts what both must do and `interop/FIDELITY.md` says how they differ.

use rmq_client::{
    ConsumeResult, ErrorKind, FilterExpression, Message, MessageView, Producer, PushConsumer,
    SimpleConsumer, TransactionResolution,
};
use rmq_interop_scenarios::{Server, message, unique};
use rmq_proto::Code;
use rmq_proto::v2;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

const NORMAL: &str = "sc-normal";
const FIFO: &str = "sc-fifo";
const DELAY: &str = "sc-delay";
const TX: &str = "sc-tx";
/// The shortest invisible duration Apache accepts for a receive.
const INVISIBLE: Duration = Duration::from_secs(10);

async fn producer(server: &Server, topics: &[&str]) -> Producer {
    Producer::builder(server.config())
        .topics(topics.iter().copied())
        .start()
        .await
        .expect("producer starts")
}

async fn consumer(
    server: &Server,
    group: &str,
    topic: &str,
    filter: FilterExpression,
) -> SimpleConsumer {
    SimpleConsumer::builder(server.config(), group)
        .subscribe(topic, filter)
        .await_duration(Duration::from_secs(5))
        .start()
        .await
        .expect("consumer starts")
}

/// Receives until `want` messages arrived or `within` passed.
async fn receive(consumer: &SimpleConsumer, want: usize, within: Duration) -> Vec<MessageView> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < deadline {
        got.extend(consumer.receive(32, INVISIBLE).await.expect("receive"));
    }
    got
}

fn bodies(views: &[MessageView]) -> Vec<String> {
    views
        .iter()
        .map(|v| String::from_utf8_lossy(&v.body).into_owned())
        .collect()
}

async fn ack_all(consumer: &SimpleConsumer, views: &[MessageView]) {
    for result in consumer.ack_batch(views).await.expect("ack request") {
        result.expect("ack");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_messages_with_tag_and_sql_filters() {
    let server = Server::start().await;
    let producer = producer(&server, &[NORMAL]).await;
    let tag = unique("tag");
    let other = unique("other");
    for i in 0..4 {
        let m = Message::builder(NORMAL, format!("m{i}"))
            .tag(if i % 2 == 0 { &tag } else { &other })
            .property("n", i.to_string())
            .build()
            .expect("m");
        producer.send(&m).await.expect("send");
    }
    let by_tag = consumer(&server, &unique("g"), NORMAL, FilterExpression::tag(&tag)).await;
    let got = receive(&by_tag, 2, Duration::from_secs(20)).await;
    let mut got_bodies = bodies(&got);
    got_bodies.sort();
    assert_eq!(got_bodies, ["m0", "m2"]);
    ack_all(&by_tag, &got).await;

    let by_sql = consumer(
        &server,
        &unique("g"),
        NORMAL,
        FilterExpression::sql(format!("TAGS IN ('{tag}', '{other}') AND n > 1")),
    )
    .await;
    let got = receive(&by_sql, 2, Duration::from_secs(20)).await;
    let mut got_bodies = bodies(&got);
    got_bodies.sort();
    assert_eq!(got_bodies, ["m2", "m3"]);
    ack_all(&by_sql, &got).await;
    // Acked: nothing more comes for the group.
    assert!(
        by_sql
            .receive(32, INVISIBLE)
            .await
            .expect("receive")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn properties_keys_and_system_fields_round_trip() {
    let server = Server::start().await;
    let producer = producer(&server, &[NORMAL]).await;
    let tag = unique("tag");
    let before = SystemTime::now() - Duration::from_secs(1);
    let sent = producer
        .send(
            &Message::builder(NORMAL, b"\x00\x01binary\xff".to_vec())
                .tag(&tag)
                .keys(["k1", "k2"])
                .property("color", "red")
                .property("Mixed-Case", "kept")
                .build()
                .expect("m"),
        )
        .await
        .expect("send");
    let consumer = consumer(&server, &unique("g"), NORMAL, FilterExpression::tag(&tag)).await;
    let got = receive(&consumer, 1, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 1);
    let view = &got[0];
    assert_eq!(view.message_id, sent.message_id);
    assert_eq!(view.topic, NORMAL);
    assert_eq!(view.body, &b"\x00\x01binary\xff"[..]);
    assert_eq!(view.tag.as_deref(), Some(tag.as_str()));
    let keys: HashSet<&str> = view.keys.iter().map(String::as_str).collect();
    assert_eq!(keys, HashSet::from(["k1", "k2"]));
    assert_eq!(
        view.properties.get("color").map(String::as_str),
        Some("red")
    );
    assert_eq!(
        view.properties.get("Mixed-Case").map(String::as_str),
        Some("kept")
    );
    assert_eq!(view.delivery_attempt, 1);
    assert!(view.born_timestamp.is_some_and(|t| t >= before));
    assert!(!view.born_host.is_empty());
    assert_eq!(view.message_group, None);
    assert_eq!(view.corrupted, None);
    ack_all(&consumer, &got).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_stored_as_separate_messages() {
    let server = Server::start().await;
    let producer = producer(&server, &[NORMAL]).await;
    let tag = unique("tag");
    let batch: Vec<Message> = (0..5)
        .map(|i| message(NORMAL, &tag, &format!("b{i}")))
        .collect();
    let receipts = producer.send_batch(&batch).await.expect("batch send");
    assert_eq!(receipts.len(), 5);
    let consumer = consumer(&server, &unique("g"), NORMAL, FilterExpression::tag(&tag)).await;
    let got = receive(&consumer, 5, Duration::from_secs(20)).await;
    let mut got_bodies = bodies(&got);
    got_bodies.sort();
    assert_eq!(got_bodies, ["b0", "b1", "b2", "b3", "b4"]);
    ack_all(&consumer, &got).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_groups_come_in_order_and_block_until_acked() {
    let server = Server::start().await;
    let producer = producer(&server, &[FIFO]).await;
    let tag = unique("tag");
    let (a, b) = (unique("group-a"), unique("group-b"));
    for i in 0..3 {
        for group in [&a, &b] {
            let m = Message::builder(FIFO, format!("{group}/{i}"))
                .tag(&tag)
                .message_group(group.as_str())
                .build()
                .expect("m");
            producer.send(&m).await.expect("send");
        }
    }
    let consumer = consumer(&server, "sc-fifo-order", FIFO, FilterExpression::tag(&tag)).await;
    // Everything received while nothing is acked: per message group, in order, and never a
    // later message of a group whose earlier one is in flight.
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    let mut pending = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.values().map(Vec::len).sum::<usize>() < 6 && Instant::now() < deadline {
        let got = consumer.receive(32, INVISIBLE).await.expect("receive");
        if got.is_empty() && !pending.is_empty() {
            // Blocked: ack what is in flight so the groups move on.
            ack_all(&consumer, &pending).await;
            pending.clear();
            continue;
        }
        // One answer may hold several messages of a group, in order; a later answer must
        // not while the earlier ones are in flight.
        let in_flight: HashSet<Option<String>> = pending
            .iter()
            .map(|p: &MessageView| p.message_group.clone())
            .collect();
        for view in got {
            let group = view
                .message_group
                .clone()
                .expect("FIFO messages carry their group");
            let body = String::from_utf8_lossy(&view.body).into_owned();
            let list = seen.entry(group).or_default();
            assert!(
                !in_flight.contains(&view.message_group),
                "{body} delivered while an earlier message of its group was in flight"
            );
            list.push(body);
            pending.push(view);
        }
    }
    ack_all(&consumer, &pending).await;
    assert_eq!(
        seen[&a],
        [format!("{a}/0"), format!("{a}/1"), format!("{a}/2")]
    );
    assert_eq!(
        seen[&b],
        [format!("{b}/0"), format!("{b}/1"), format!("{b}/2")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_messages_arrive_at_their_time_and_can_be_recalled() {
    let server = Server::start().await;
    let producer = producer(&server, &[DELAY]).await;
    let tag = unique("tag");
    let due = SystemTime::now() + Duration::from_secs(3);
    let kept = Message::builder(DELAY, "kept")
        .tag(&tag)
        .delivery_timestamp(due)
        .build()
        .expect("m");
    let recalled = Message::builder(DELAY, "recalled")
        .tag(&tag)
        .delivery_timestamp(due)
        .build()
        .expect("m");
    producer.send(&kept).await.expect("send");
    let receipt = producer.send(&recalled).await.expect("send");
    assert!(
        !receipt.recall_handle.is_empty(),
        "scheduled messages get a recall handle"
    );
    let recalled_id = producer
        .recall(DELAY, &receipt.recall_handle)
        .await
        .expect("recall");
    assert_eq!(recalled_id, receipt.message_id);

    let consumer = consumer(&server, &unique("g"), DELAY, FilterExpression::tag(&tag)).await;
    let got = receive(&consumer, 1, Duration::from_secs(20)).await;
    let arrived = SystemTime::now();
    assert_eq!(bodies(&got), ["kept"]);
    // Apache's timer wheel has 1 s slots; the mini-broker is exact. Neither delivers
    // more than a slot early.
    assert!(
        arrived + Duration::from_secs(1) >= due,
        "delivered {:?} early",
        due.duration_since(arrived).unwrap_or_default()
    );
    assert!(got[0].delivery_timestamp.is_some());
    ack_all(&consumer, &got).await;
    // The recalled one never comes.
    let more = consumer.receive(32, INVISIBLE).await.expect("receive");
    assert!(more.is_empty(), "{:?}", bodies(&more));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_commit_roll_back_and_answer_checks() {
    let server = Server::start().await;
    let tag = unique("tag");
    let checked = Arc::new(Mutex::new(Vec::new()));
    let producer = {
        let checked = checked.clone();
        Producer::builder(server.config())
            .topics([TX])
            .transaction_checker(move |view: &MessageView| {
                checked
                    .lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&view.body).into_owned());
                TransactionResolution::Commit
            })
            .start()
            .await
            .expect("producer")
    };
    for (body, commit) in [
        ("committed", Some(true)),
        ("rolled-back", Some(false)),
        ("orphan", None),
    ] {
        let transaction = producer.begin_transaction().expect("transaction");
        transaction
            .send(&message(TX, &tag, body))
            .await
            .expect("half message");
        match commit {
            Some(true) => transaction.commit().await.expect("commit"),
            Some(false) => transaction.rollback().await.expect("rollback"),
            // Left undecided: the server asks the checker, which commits.
            None => drop(transaction),
        }
    }
    let consumer = consumer(&server, &unique("g"), TX, FilterExpression::tag(&tag)).await;
    let got = receive(&consumer, 2, Duration::from_secs(40)).await;
    let mut got_bodies = bodies(&got);
    got_bodies.sort();
    assert_eq!(got_bodies, ["committed", "orphan"]);
    assert!(
        checked.lock().expect("lock").iter().any(|b| b == "orphan"),
        "the checker was asked about the orphan"
    );
    ack_all(&consumer, &got).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacked_messages_come_back_with_the_attempt_incremented() {
    let server = Server::start().await;
    let producer = producer(&server, &[NORMAL]).await;
    let tag = unique("tag");
    producer
        .send(&message(NORMAL, &tag, "again"))
        .await
        .expect("send");
    let consumer = consumer(&server, &unique("g"), NORMAL, FilterExpression::tag(&tag)).await;
    let first = receive(&consumer, 1, Duration::from_secs(20)).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].delivery_attempt, 1);
    let received_at = Instant::now();
    let again = receive(&consumer, 1, Duration::from_secs(40)).await;
    assert_eq!(again.len(), 1, "redelivered after the invisible duration");
    assert_eq!(again[0].message_id, first[0].message_id);
    assert_eq!(again[0].delivery_attempt, 2);
    assert!(received_at.elapsed() + Duration::from_millis(200) >= INVISIBLE);
    // The first handle expired with its invisible time.
    let stale = consumer.ack(&first[0]).await.expect_err("expired handle");
    assert_eq!(
        stale.code(),
        Some(Code::InvalidReceiptHandle as i32),
        "{stale}"
    );
    ack_all(&consumer, &again).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_invisible_duration_hides_the_message_longer() {
    let server = Server::start().await;
    let producer = producer(&server, &[NORMAL]).await;
    let tag = unique("tag");
    producer
        .send(&message(NORMAL, &tag, "later"))
        .await
        .expect("send");
    let consumer = consumer(&server, &unique("g"), NORMAL, FilterExpression::tag(&tag)).await;
    let first = receive(&consumer, 1, Duration::from_secs(20)).await;
    assert_eq!(first.len(), 1);
    let moved = consumer
        .change_invisible_duration(&first[0], Duration::from_secs(30))
        .await
        .expect("change");
    assert_ne!(moved.receipt_handle(), first[0].receipt_handle());
    // Past the first invisible duration, the message is still hidden.
    let during = receive(&consumer, 1, INVISIBLE + Duration::from_secs(5)).await;
    assert!(during.is_empty(), "came back early: {:?}", bodies(&during));
    consumer.ack(&moved).await.expect("the new handle acks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_out_of_attempts_go_to_the_dead_letter_queue() {
    let server = Server::start().await;
    let producer = producer(&server, &[NORMAL]).await;
    let tag = unique("tag");
    let sent = producer
        .send(&message(NORMAL, &tag, "poison"))
        .await
        .expect("send");
    // The group allows 2 delivery attempts; neither is acked.
    let consumer = consumer(&server, "sc-dlq", NORMAL, FilterExpression::tag(&tag)).await;
    let mut attempts = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while attempts.len() < 2 && Instant::now() < deadline {
        for view in consumer.receive(32, INVISIBLE).await.expect("receive") {
            attempts.push(view.delivery_attempt);
        }
    }
    assert_eq!(attempts, [1, 2]);
    // Apache moves the message on the group's next receive after its last attempt expired;
    // the mini-broker when that attempt expires. A group that keeps polling sees both.
    let dlq = format!("%DLQ%{}", "sc-dlq");
    let deadline = Instant::now() + Duration::from_secs(60);
    let reader = loop {
        let more = consumer.receive(32, INVISIBLE).await.expect("receive");
        assert!(
            more.is_empty(),
            "delivered past the maximum: {:?}",
            bodies(&more)
        );
        match SimpleConsumer::builder(server.config(), unique("dlq-reader"))
            .subscribe(dlq.as_str(), FilterExpression::all())
            .await_duration(Duration::from_secs(5))
            .start()
            .await
        {
            Ok(reader) => break reader,
            // The dead-letter topic exists once a message went there.
            Err(e) if e.kind() == ErrorKind::NotFound && Instant::now() < deadline => {}
            Err(e) => panic!("cannot read {dlq}: {e}"),
        }
    };
    let dead = receive(&reader, 1, Duration::from_secs(30)).await;
    let dead: Vec<&MessageView> = dead
        .iter()
        .filter(|v| v.message_id == sent.message_id)
        .collect();
    assert_eq!(dead.len(), 1, "the message is in {dlq}");
    assert_eq!(dead[0].body, &b"poison"[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_consumers_retry_failures_and_keep_fifo_order() {
    let server = Server::start().await;
    let tag = unique("tag");
    let producer = producer(&server, &[NORMAL, FIFO]).await;
    producer
        .send(&message(NORMAL, &tag, "flaky"))
        .await
        .expect("send");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let concurrent = {
        let seen = seen.clone();
        PushConsumer::builder(server.config(), unique("push"))
            .subscribe(NORMAL, FilterExpression::tag(&tag))
            .listener(move |view: &MessageView| {
                seen.lock().expect("lock").push(view.delivery_attempt);
                if view.delivery_attempt == 1 {
                    ConsumeResult::Failure
                } else {
                    ConsumeResult::Success
                }
            })
            .start()
            .await
            .expect("push consumer")
    };
    let deadline = Instant::now() + Duration::from_secs(40);
    while seen.lock().expect("lock").len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        *seen.lock().expect("lock"),
        [1, 2],
        "failed once, redelivered, consumed"
    );
    concurrent.shutdown().await;

    let group = unique("ordered");
    for i in 0..5 {
        let m = Message::builder(FIFO, format!("{i}"))
            .tag(&tag)
            .message_group(group.as_str())
            .build()
            .expect("m");
        producer.send(&m).await.expect("send");
    }
    let order = Arc::new(Mutex::new(Vec::new()));
    let fifo = {
        let order = order.clone();
        PushConsumer::builder(server.config(), "sc-fifo-push")
            .subscribe(FIFO, FilterExpression::tag(&tag))
            .listener(move |view: &MessageView| {
                let body = String::from_utf8_lossy(&view.body).into_owned();
                let mut order = order.lock().expect("lock");
                // The third message fails once; FIFO retries it before anything after it.
                let fail = body == "2" && !order.iter().any(|b| b == "2");
                order.push(body);
                if fail {
                    ConsumeResult::Failure
                } else {
                    ConsumeResult::Success
                }
            })
            .start()
            .await
            .expect("FIFO push consumer")
    };
    assert!(fifo.is_fifo(), "the server's settings mark the group FIFO");
    let deadline = Instant::now() + Duration::from_secs(40);
    while order.lock().expect("lock").len() < 6 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(*order.lock().expect("lock"), ["0", "1", "2", "2", "3", "4"]);
    fifo.shutdown().await;
}

/// Raw requests with a bare gRPC stub and the protocol's identity headers, for the server's
/// own answers to requests the client would refuse before sending.
async fn send_raw(server: &Server, message: v2::Message) -> v2::Status {
    use rmq_proto::headers;
    let endpoint = format!("http://{}", server.config().endpoints()[0]);
    let channel = tonic::transport::Channel::from_shared(endpoint)
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut stub = v2::messaging_service_client::MessagingServiceClient::new(channel);
    let mut request = tonic::Request::new(v2::SendMessageRequest {
        messages: vec![message],
    });
    request.set_timeout(Duration::from_secs(3));
    let client_id = unique("raw");
    for (name, value) in [
        (headers::CLIENT_ID, client_id.as_str()),
        (headers::LANGUAGE, headers::LANGUAGE_RUST),
        (headers::PROTOCOL, headers::PROTOCOL_V2),
        (headers::CLIENT_VERSION, rmq_client::CLIENT_VERSION),
    ] {
        request
            .metadata_mut()
            .insert(name, value.parse().expect("ASCII header"));
    }
    let response = stub
        .send_message(request)
        .await
        .expect("a business answer, not a transport error")
        .into_inner();
    response
        .entries
        .first()
        .and_then(|e| e.status.clone())
        .or(response.status)
        .expect("a status")
}

fn raw(topic: &str, body: Vec<u8>, group: Option<&str>) -> v2::Message {
    v2::Message {
        topic: Some(v2::Resource {
            resource_namespace: String::new(),
            name: topic.to_owned(),
        }),
        user_properties: HashMap::new(),
        system_properties: Some(v2::SystemProperties {
            message_id: rmq_client::new_message_id(),
            message_type: if group.is_some() {
                v2::MessageType::Fifo
            } else {
                v2::MessageType::Normal
            } as i32,
            message_group: group.map(str::to_owned),
            body_encoding: v2::Encoding::Identity as i32,
            born_timestamp: Some(prost_types::Timestamp::from(SystemTime::now())),
            born_host: "scenario".into(),
            ..Default::default()
        }),
        body: body.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_bad_requests_with_the_documented_codes() {
    let server = Server::start().await;
    let code = |s: v2::Status| Code::try_from(s.code).unwrap_or(Code::Unspecified);
    assert_eq!(
        code(send_raw(&server, raw("bad topic!", b"x".to_vec(), None)).await),
        Code::IllegalTopic
    );
    // Apache checks the type before the topic: a missing topic has no type to match.
    assert_eq!(
        code(send_raw(&server, raw(&unique("missing"), b"x".to_vec(), None)).await),
        Code::MessagePropertyConflictWithType
    );
    assert_eq!(
        code(send_raw(&server, raw(NORMAL, vec![0u8; (4 << 20) + 1], None)).await),
        Code::MessageBodyTooLarge
    );
    assert_eq!(
        code(send_raw(&server, raw(NORMAL, b"x".to_vec(), Some("g"))).await),
        Code::MessagePropertyConflictWithType
    );

    // Through the client: a missing topic fails the start clearly.
    let missing = Producer::builder(server.config())
        .topics([unique("missing")])
        .start()
        .await
        .err()
        .expect("no such topic");
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    assert_eq!(missing.code(), Some(Code::TopicNotFound as i32));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_await_receives_and_its_empty_polls_are_not_errors() {
    // Servers hold a poll for at least 5 s whatever the client asks; a 1 s await must still
    // receive, and an empty poll must come back empty rather than refused.
    let server = Server::start().await;
    let producer = producer(&server, &[NORMAL]).await;
    let tag = unique("short");
    let consumer = SimpleConsumer::builder(server.config(), unique("g"))
        .subscribe(NORMAL, FilterExpression::tag(&tag))
        .await_duration(Duration::from_secs(1))
        .start()
        .await
        .expect("consumer starts");
    let empty = consumer
        .receive(32, INVISIBLE)
        .await
        .expect("an empty poll with a 1 s await is no error");
    assert!(empty.is_empty());
    producer
        .send(
            &Message::builder(NORMAL, "short")
                .tag(&tag)
                .build()
                .expect("m"),
        )
        .await
        .expect("send");
    let got = receive(&consumer, 1, Duration::from_secs(20)).await;
    assert_eq!(bodies(&got), ["short"]);
    ack_all(&consumer, &got).await;
}
