//! Sending every message type and reading it back: filters, properties, batches, FIFO order,
//! delays and recall, transactions.

use super::*;

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
    // Acked as they come: on a cluster the orphan may arrive only after polls of the other
    // broker, later than the committed message's invisible time, which would otherwise bring
    // that one back a second time. A cluster's broker checks an orphan only once the proxy's
    // transaction heartbeat told it of the producer (every 20 s by Apache's default, 1 s in
    // our harness), so the window allows for a server set up with the default.
    let mut got_bodies = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while got_bodies.len() < 2 && Instant::now() < deadline {
        let got = consumer.receive(32, INVISIBLE).await.expect("receive");
        ack_all(&consumer, &got).await;
        got_bodies.extend(bodies(&got));
    }
    got_bodies.sort();
    assert_eq!(got_bodies, ["committed", "orphan"]);
    assert!(
        checked.lock().expect("lock").iter().any(|b| b == "orphan"),
        "the checker was asked about the orphan"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_priority_backlog_comes_back_highest_first() {
    let server = Server::start().await;
    if !server.priority {
        eprintln!(
            "skipped: the server has no priority messages (Apache 5.4+; RMQ_SERVER_PRIORITY=1)"
        );
        return;
    }
    let topic = rmq_interop_scenarios::PRIORITY_TOPIC;
    let producer = producer(&server, &[topic]).await;
    let tag = unique("tag");
    // Priorities 0..8 three times over, scrambled; a backlog before any consumer reads.
    let sent: Vec<i32> = (0..24).map(|i| (i * 5) % 8).collect();
    for (i, priority) in sent.iter().enumerate() {
        let m = Message::builder(topic, format!("p{i}"))
            .tag(&tag)
            .priority(*priority)
            .build()
            .expect("m");
        producer.send(&m).await.expect("send");
    }
    let reader = consumer(&server, &unique("g"), topic, FilterExpression::tag(&tag)).await;
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.len() < sent.len() && Instant::now() < deadline {
        let batch = reader.receive(4, INVISIBLE).await.expect("receive");
        let priorities: Vec<i32> = batch.iter().map(|v| v.priority.unwrap_or(-1)).collect();
        // Within one receive (one broker) the order is always highest first.
        assert!(
            priorities.windows(2).all(|w| w[0] >= w[1]),
            "a batch out of priority order: {priorities:?}"
        );
        ack_all(&reader, &batch).await;
        got.extend(priorities);
    }
    let mut expected = sent.clone();
    expected.sort_by(|a, b| b.cmp(a));
    let mut all = got.clone();
    all.sort_by(|a, b| b.cmp(a));
    assert_eq!(all, expected, "every message came back with its priority");
    if !server.external {
        // One broker: the whole backlog in priority order (Apache orders per broker only).
        assert_eq!(got, expected);
    }
}
