//! Leases: auto-renewal while the consumer lives, release when it terminates, and a FIFO receive
//! retried with its attempt id.

mod common;

use common::*;
use rmq_proto::v2::*;
use std::time::Duration;

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
