//! ReceiveMessage, AckMessage, ChangeInvisibleDuration, ForwardMessageToDeadLetterQueue and
//! QueryOffset.

use super::*;

async fn receive_status(
    c: &mut Client,
    invisible: i64,
    filter: Option<FilterExpression>,
) -> Status {
    let poll = Duration::from_secs(5);
    receive_with(&mut c.stub, "g", "t", 1, invisible, filter, poll)
        .await
        .status
}

#[tokio::test]
async fn receive_message() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let mut c = consumer(&broker, "g", "t").await;
    let texts = [
        (
            receive_status(&mut c, 9, None).await,
            Code::IllegalInvisibleTime,
            "the invisibleTime is too small. min is 10000",
        ),
        (
            receive_status(&mut c, 43_201, None).await,
            Code::IllegalInvisibleTime,
            "the invisibleTime is too large. max is 43200000",
        ),
        (
            receive_status(&mut c, 30, sql("")).await,
            Code::IllegalFilterExpression,
            "Expression can't be null! SQL92",
        ),
        (
            receive_status(&mut c, 30, sql("a >")).await,
            Code::IllegalFilterExpression,
            "parse the consumer's subscription failed: unexpected end of expression in \"a >\"",
        ),
        (
            receive_within(&mut c.stub, "g", "t", Duration::from_secs(1)).await,
            Code::IllegalPollingTime,
            "The deadline time remaining is not enough for polling, please check network condition",
        ),
        (
            receive_status(&mut c, 30, None).await,
            Code::MessageNotFound,
            "no new message",
        ),
    ];
    for (status, expected, text) in texts {
        pinned(&Some(status), expected, text);
    }
    send(&mut c.stub, vec![message("t", "x")]).await;
    pinned(
        &Some(receive_status(&mut c, 30, None).await),
        Code::Ok,
        "OK",
    );
}

/// A handle of one received message of topic `t` in group `g`.
async fn received_handle(broker: &MiniBroker, c: &mut Client) -> (String, String) {
    let mut p = stub_with(broker, Some(unique("p-"))).await;
    send(&mut p, vec![message("t", "x")]).await;
    let m = receive(&mut c.stub, "g", "t", 1, 10)
        .await
        .messages
        .remove(0);
    (id(&m), handle(&m))
}

async fn ack_all(stub: &mut Stub, entries: &[(&str, &str)]) -> AckMessageResponse {
    let entries = entries
        .iter()
        .map(|(message_id, handle)| AckMessageEntry {
            message_id: (*message_id).into(),
            receipt_handle: (*handle).into(),
            lite_topic: None,
        })
        .collect();
    let request = AckMessageRequest {
        group: resource("g"),
        topic: resource("t"),
        entries,
    };
    stub.ack_message(request).await.expect("rpc").into_inner()
}

#[tokio::test]
async fn ack_message() {
    let broker = virtual_broker().await;
    let mut c = consumer(&broker, "g", "t").await;
    let malformed = "not a handle";
    let (id1, h1) = received_handle(&broker, &mut c).await;
    let one = ack_all(&mut c.stub, &[(&id1, &h1)]).await;
    pinned(&one.status, Code::Ok, "OK");
    pinned(&one.entries[0].status, Code::Ok, "OK");
    let none = ack_all(&mut c.stub, &[]).await;
    pinned(
        &none.status,
        Code::InternalServerError,
        "ack message result is empty",
    );
    let bad = ack_all(&mut c.stub, &[("x", malformed)]).await;
    pinned(
        &bad.status,
        Code::InternalServerError,
        "INTERNAL_SERVER_ERROR",
    );
    pinned(
        &bad.entries[0].status,
        Code::InternalServerError,
        "receipt handle is malformed",
    );
    let (id2, h2) = received_handle(&broker, &mut c).await;
    let mixed = ack_all(&mut c.stub, &[(&id2, &h2), ("x", malformed)]).await;
    pinned(&mixed.status, Code::MultipleResults, "MULTIPLE_RESULTS");
    pinned(&mixed.entries[0].status, Code::Ok, "OK");
    pinned(
        &mixed.entries[1].status,
        Code::InternalServerError,
        "receipt handle is malformed",
    );
    // The sixth field of a handle names its broker.
    let (id3, h3) = received_handle(&broker, &mut c).await;
    let mut fields: Vec<&str> = h3.split(' ').collect();
    fields[5] = "elsewhere";
    let elsewhere = ack_all(&mut c.stub, &[(&id3, &fields.join(" "))]).await;
    pinned(
        &elsewhere.status,
        Code::InvalidReceiptHandle,
        "INVALID_RECEIPT_HANDLE",
    );
    let text = format!("{PE}cannot find broker elsewhere");
    pinned(
        &elsewhere.entries[0].status,
        Code::InvalidReceiptHandle,
        &text,
    );
    assert!(broker.advance(Duration::from_secs(10)));
    let expired = ack_all(&mut c.stub, &[(&id3, &h3)]).await;
    pinned(
        &expired.status,
        Code::InvalidReceiptHandle,
        "INVALID_RECEIPT_HANDLE",
    );
    let text = format!("{PE}receipt handle is expired");
    pinned(
        &expired.entries[0].status,
        Code::InvalidReceiptHandle,
        &text,
    );
}

async fn change_invisible(stub: &mut Stub, handle: &str, seconds: i64) -> Option<Status> {
    let request = ChangeInvisibleDurationRequest {
        group: resource("g"),
        topic: resource("t"),
        receipt_handle: handle.into(),
        invisible_duration: secs(seconds),
        ..Default::default()
    };
    let reply = stub.change_invisible_duration(request).await.expect("rpc");
    reply.into_inner().status
}

#[tokio::test]
async fn change_invisible_duration() {
    let broker = virtual_broker().await;
    let mut c = consumer(&broker, "g", "t").await;
    let (_, h) = received_handle(&broker, &mut c).await;
    let small = change_invisible(&mut c.stub, &h, -1).await;
    pinned(
        &small,
        Code::IllegalInvisibleTime,
        "the invisibleTime is too small. min is 0",
    );
    let large = change_invisible(&mut c.stub, &h, 43_201).await;
    pinned(
        &large,
        Code::IllegalInvisibleTime,
        "the invisibleTime is too large. max is 43200000",
    );
    let malformed = change_invisible(&mut c.stub, "not a handle", 30).await;
    pinned(
        &malformed,
        Code::InternalServerError,
        "receipt handle is malformed",
    );
    pinned(&change_invisible(&mut c.stub, &h, 30).await, Code::Ok, "OK");
    assert!(broker.advance(Duration::from_secs(10)));
    let expired = change_invisible(&mut c.stub, &h, 30).await;
    let text = format!("{PE}receipt handle is expired");
    pinned(&expired, Code::InvalidReceiptHandle, &text);
}

#[tokio::test]
async fn forward_message_to_dead_letter_queue() {
    let broker = virtual_broker().await;
    let mut c = consumer(&broker, "g", "t").await;
    let (message_id, h) = received_handle(&broker, &mut c).await;
    for (receipt_handle, expected, text) in [
        (
            "not a handle",
            Code::InternalServerError,
            "receipt handle is malformed",
        ),
        (h.as_str(), Code::Ok, "0"),
    ] {
        let request = ForwardMessageToDeadLetterQueueRequest {
            group: resource("g"),
            topic: resource("t"),
            receipt_handle: receipt_handle.into(),
            message_id: message_id.clone(),
            delivery_attempt: 1,
            max_delivery_attempts: 16,
            lite_topic: None,
        };
        let reply = c.stub.forward_message_to_dead_letter_queue(request).await;
        pinned(&reply.expect("rpc").into_inner().status, expected, text);
    }
}

#[tokio::test]
async fn query_offset() {
    let broker = MiniBroker::builder().start().await.expect("start");
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    for (policy, expected, text) in [
        (
            99,
            Code::BadRequest,
            "unsupported query offset policy: UNRECOGNIZED",
        ),
        (
            QueryOffsetPolicy::Timestamp as i32,
            Code::BadRequest,
            "timestamp is required for TIMESTAMP query offset policy",
        ),
        (QueryOffsetPolicy::Beginning as i32, Code::Ok, "OK"),
    ] {
        let request = QueryOffsetRequest {
            message_queue: Some(MessageQueue {
                topic: resource("t"),
                ..Default::default()
            }),
            query_offset_policy: policy,
            timestamp: None,
        };
        let reply = stub.query_offset(request).await.expect("rpc");
        pinned(&reply.into_inner().status, expected, text);
    }
}
