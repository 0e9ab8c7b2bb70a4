//! Consumption: redelivery, invisibility, dead letters, push consumers, short awaits.

use super::*;

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
    // The group keeps polling meanwhile: on a cluster, each of its receives asks the next
    // broker, and only one on the broker that holds the message moves it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut dead = Vec::new();
    while dead.is_empty() && Instant::now() < deadline {
        let more = consumer.receive(32, INVISIBLE).await.expect("receive");
        assert!(more.is_empty(), "delivered past the maximum");
        dead.extend(
            reader
                .receive(32, INVISIBLE)
                .await
                .expect("receive")
                .into_iter()
                .filter(|v| v.message_id == sent.message_id),
        );
    }
    assert_eq!(dead.len(), 1, "the message is in {dlq}");
    ack_all(&reader, &dead).await;
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
