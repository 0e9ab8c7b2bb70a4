//! Timers (delayed delivery, recall) and transactions (commit, rollback, orphan checks, discard
//! after the last check), on the virtual clock.

mod common;

use common::*;
use rmq_mini_broker::{MiniBroker, TopicConfig, TopicType};
use rmq_proto::v2::*;
use std::time::Duration;

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
