//! Leases: auto-renewal while the consumer lives, release when it terminates, and a FIFO receive
//! retried with its attempt id.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, Rpc, TopicConfig, TopicType};
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

/// The crash loop found it: a message whose auto-renewed receive response was lost in a
/// crash was renewed, after the restart, for its reconnected consumer (which never got it),
/// and kept its FIFO group blocked. Apache's proxy holds renewals in memory, so a restart
/// ends them and the message comes back when its lease ends.
#[tokio::test]
async fn a_restart_ends_auto_renewal_even_for_a_consumer_that_reconnects() {
    let dir = TempDir::new();
    let start = || {
        MiniBroker::builder()
            .virtual_clock(true)
            .data_dir(&dir.0)
            .topic(TopicConfig::new("t", TopicType::Normal).queues(1))
            .start()
    };
    let broker = start().await.expect("start");
    let mut p = producer(&broker, &["t"]).await;
    let mut owner = open_as(&broker, "owner", consumer_settings("push", "t")).await;
    send(&mut p.stub, vec![message("t", "cut off")]).await;
    let m = receive_auto_renew(&mut owner, "push", "t", None)
        .await
        .messages
        .remove(0);
    drop((owner, p));
    broker.shutdown().await;

    let broker = start().await.expect("restart");
    comes_back_when_its_lease_ends(&broker, &m).await;
}

/// The chaos run found it: an auto-renewed receive whose response was lost kept its message
/// leased and renewed for a consumer that never got it, blocking its FIFO group for good.
/// Like Apache's proxy, which nacks what it fails to write, the broker gives it back.
#[tokio::test]
async fn a_receive_response_that_is_lost_gives_its_messages_back_within_a_second() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["fifo"]).await;
    let mut owner = consumer(&broker, "fg", "fifo").await;
    send(&mut p.stub, vec![fifo_message("A", "a1")]).await;
    send(&mut p.stub, vec![fifo_message("A", "a2")]).await;
    broker.drop_responses(Rpc::ReceiveMessage, 1);
    let mut request = tonic::Request::new(ReceiveMessageRequest {
        group: resource("fg"),
        message_queue: Some(MessageQueue {
            topic: resource("fifo"),
            ..Default::default()
        }),
        batch_size: 1,
        auto_renew: true,
        long_polling_timeout: secs(5),
        ..Default::default()
    });
    request.set_timeout(Duration::from_secs(8));
    let lost = owner.stub.receive_message(request).await;
    assert_eq!(lost.err().map(|s| s.code()), Some(tonic::Code::Unavailable));
    broker.advance(Duration::from_millis(1_100));
    let again = receive_auto_renew(&mut owner, "fg", "fifo", None).await;
    assert_eq!(again.messages.len(), 1, "a1 is visible again, not renewed");
    assert_eq!(again.messages[0].body.as_ref(), b"a1");
}

/// The chaos run found it: a receive response cut off with the port (handed to the transport,
/// never read) left its message renewed for hours for the consumer that reconnected. Every
/// connection is cut, and Apache's proxy drops the renewals of clients whose connection went:
/// the message comes back when its lease ends.
#[tokio::test]
async fn taking_the_broker_off_the_network_ends_auto_renewal() {
    let broker = virtual_broker().await;
    let mut p = producer(&broker, &["t"]).await;
    let mut owner = open_as(&broker, "owner", consumer_settings("push", "t")).await;
    send(&mut p.stub, vec![message("t", "cut off")]).await;
    let m = receive_auto_renew(&mut owner, "push", "t", None)
        .await
        .messages
        .remove(0);
    drop((owner, p));
    broker.take_down().await;
    broker.bring_up().await.expect("back on the network");
    comes_back_when_its_lease_ends(&broker, &m).await;
}

/// With its owner reconnected (same client id), `m` stays leased for its 60 s, then another
/// consumer of the group gets it: it is not renewed.
async fn comes_back_when_its_lease_ends(broker: &MiniBroker, m: &Message) {
    let _owner = open_as(broker, "owner", consumer_settings("push", "t")).await;
    let mut other = consumer(broker, "push", "t").await;
    broker.advance(Duration::from_secs(30));
    let early = receive(&mut other.stub, "push", "t", 1, 10).await;
    assert_eq!(
        early.status.code,
        Code::MessageNotFound as i32,
        "its lease runs"
    );
    broker.advance(Duration::from_secs(31));
    let again = receive(&mut other.stub, "push", "t", 1, 10).await.messages;
    assert_eq!(again.len(), 1, "not renewed past its lease");
    assert_eq!(id(&again[0]), id(m));
}
