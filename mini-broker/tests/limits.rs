//! Every input limit of LIMITS.md, at its value (accepted) and just past it (refused with the
//! documented code, or clamped where the limit is a clamp).

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::limits;
use rmq_proto::names::{MAX_GROUP_LEN, MAX_TOPIC_LEN};
use rmq_proto::v2::*;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

async fn broker() -> MiniBroker {
    MiniBroker::builder()
        .topic(TopicConfig::new("t", TopicType::Normal).queues(1))
        .topic(TopicConfig::new("fifo", TopicType::Fifo))
        .topic(TopicConfig::new("delay", TopicType::Delay))
        .start()
        .await
        .expect("start")
}

/// Sends one message and returns the code it got.
async fn sent(stub: &mut Stub, m: Message) -> Code {
    code(&send(stub, vec![m]).await.status)
}

fn with_properties(count: usize, value_len: usize) -> Message {
    let mut m = message("t", "x");
    m.user_properties = (0..count)
        .map(|i| (format!("k{i:03}"), "v".repeat(value_len)))
        .collect();
    m
}

fn timestamp_in(ahead: Duration) -> Option<prost_types::Timestamp> {
    let at = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock") + ahead;
    Some(prost_types::Timestamp {
        seconds: i64::try_from(at.as_secs()).expect("secs"),
        nanos: 0,
    })
}

#[tokio::test]
async fn names_at_and_past_their_length() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    for (len, expected) in [
        (MAX_TOPIC_LEN, Code::Ok),
        (MAX_TOPIC_LEN + 1, Code::IllegalTopic),
    ] {
        let route = stub
            .query_route(QueryRouteRequest {
                topic: resource(&"t".repeat(len)),
                endpoints: None,
            })
            .await
            .expect("rpc")
            .into_inner();
        assert_eq!(code(&route.status), expected, "topic of {len}");
    }
    for (len, expected) in [
        (MAX_GROUP_LEN, Code::Ok),
        (MAX_GROUP_LEN + 1, Code::IllegalConsumerGroup),
    ] {
        let assignment = stub
            .query_assignment(QueryAssignmentRequest {
                topic: resource("t"),
                group: resource(&"g".repeat(len)),
                endpoints: None,
            })
            .await
            .expect("rpc")
            .into_inner();
        assert_eq!(code(&assignment.status), expected, "group of {len}");
    }
}

#[tokio::test]
async fn message_sizes_at_and_past_their_limit() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    let body = |len: usize| Message {
        body: vec![7; len].into(),
        ..message("t", "")
    };
    assert_eq!(sent(&mut stub, body(limits::MAX_BODY_SIZE)).await, Code::Ok);
    assert_eq!(
        sent(&mut stub, body(limits::MAX_BODY_SIZE + 1)).await,
        Code::MessageBodyTooLarge
    );
    let count = limits::MAX_USER_PROPERTIES;
    assert_eq!(sent(&mut stub, with_properties(count, 1)).await, Code::Ok);
    assert_eq!(
        sent(&mut stub, with_properties(count + 1, 1)).await,
        Code::MessagePropertiesTooLarge
    );
    // One property whose key and value fill the size limit exactly ("k000" is 4 bytes).
    let fill = limits::MAX_USER_PROPERTIES_SIZE - 4;
    assert_eq!(sent(&mut stub, with_properties(1, fill)).await, Code::Ok);
    assert_eq!(
        sent(&mut stub, with_properties(1, fill + 1)).await,
        Code::MessagePropertiesTooLarge
    );
    let grouped = |len: usize| {
        with_sys(message("fifo", "x"), |s| {
            s.message_group = Some("g".repeat(len))
        })
    };
    let longest = limits::MAX_MESSAGE_GROUP_BYTES - 1;
    assert_eq!(sent(&mut stub, grouped(longest)).await, Code::Ok);
    assert_eq!(
        sent(&mut stub, grouped(longest + 1)).await,
        Code::IllegalMessageGroup
    );
}

#[tokio::test]
async fn times_at_and_past_their_limit() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-"))).await;
    let delayed = |ahead: Duration| {
        with_sys(message("delay", "x"), |s| {
            s.delivery_timestamp = timestamp_in(ahead)
        })
    };
    let minute = Duration::from_secs(60);
    assert_eq!(
        sent(&mut stub, delayed(limits::MAX_DELAY - minute)).await,
        Code::Ok
    );
    assert_eq!(
        sent(&mut stub, delayed(limits::MAX_DELAY + minute)).await,
        Code::IllegalDeliveryTime
    );
    let recovering = |seconds: i64| {
        with_sys(message("t", "x"), |s| {
            s.orphaned_transaction_recovery_duration = secs(seconds)
        })
    };
    let hour = i64::try_from(limits::MAX_TRANSACTION_RECOVERY.as_secs()).expect("secs");
    assert_eq!(sent(&mut stub, recovering(hour)).await, Code::Ok);
    assert_eq!(
        sent(&mut stub, recovering(hour + 1)).await,
        Code::BadRequest
    );
}

#[tokio::test]
async fn invisible_durations_and_batches_at_and_past_their_limit() {
    let broker = broker().await;
    let mut producer = stub_with(&broker, Some(unique("p-"))).await;
    send(
        &mut producer,
        (0..40).map(|i| message("t", &format!("{i}"))).collect(),
    )
    .await;
    let mut consumer = consumer(&broker, "g", "t").await;
    let min = i64::try_from(limits::MIN_RECEIVE_INVISIBLE.as_secs()).expect("secs");
    let max = i64::try_from(limits::MAX_INVISIBLE.as_secs()).expect("secs");
    for (invisible, expected) in [
        (min - 1, Code::IllegalInvisibleTime),
        (max + 1, Code::IllegalInvisibleTime),
    ] {
        let got = receive(&mut consumer.stub, "g", "t", 1, invisible).await;
        assert_eq!(code(&Some(got.status)), expected, "invisible {invisible} s");
    }
    // A batch past the largest is clamped to it, as on the proxy.
    let past = limits::MAX_RECEIVE_BATCH + 1;
    let got = receive(&mut consumer.stub, "g", "t", past, max).await;
    assert_eq!(code(&Some(got.status)), Code::Ok);
    assert_eq!(got.messages.len(), 32);
    let got = receive(&mut consumer.stub, "g", "t", 1, min).await;
    assert_eq!(code(&Some(got.status)), Code::Ok);
    let leased = &got.messages[0];
    for (invisible, expected) in [(max, Code::Ok), (max + 1, Code::IllegalInvisibleTime)] {
        let changed = consumer
            .stub
            .change_invisible_duration(ChangeInvisibleDurationRequest {
                group: resource("g"),
                topic: resource("t"),
                receipt_handle: handle(leased),
                invisible_duration: secs(invisible),
                message_id: id(leased),
                lite_topic: None,
                suspend: None,
            })
            .await
            .expect("rpc")
            .into_inner();
        assert_eq!(code(&changed.status), expected, "change to {invisible} s");
    }
}

#[tokio::test]
async fn a_request_past_the_grpc_message_limit_is_refused_before_it_is_read() {
    let broker = broker().await;
    let mut stub = stub_with(&broker, Some(unique("c-")))
        .await
        .max_encoding_message_size(usize::MAX);
    let huge = Message {
        body: vec![0; limits::MAX_INBOUND_MESSAGE + 1].into(),
        ..message("t", "")
    };
    let error = stub
        .send_message(SendMessageRequest {
            messages: vec![huge],
        })
        .await
        .expect_err("refused by the transport");
    // tonic's code; grpc-java (so the Apache proxy) says RESOURCE_EXHAUSTED (FIDELITY.md).
    assert_eq!(error.code(), tonic::Code::OutOfRange, "{error:?}");
    // Just under it the request is read, and the body rule answers.
    let big = Message {
        body: vec![0; limits::MAX_INBOUND_MESSAGE - 1024].into(),
        ..message("t", "")
    };
    assert_eq!(sent(&mut stub, big).await, Code::MessageBodyTooLarge);
}
