//! Transactions: a half message that becomes visible on commit and is dropped on rollback,
//! and the checker that answers the broker when a transaction was left undecided.

use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::message::Message;
use crate::message::MessageView;
use crate::producer::{Producer, SendReceipt};
use crate::transport::Transport;
use rmq_proto::v2::{self, EndTransactionRequest, Resource, TransactionSource};
use std::sync::{Arc, Mutex};

/// A decision about a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionResolution {
    /// Make the message visible.
    Commit,
    /// Drop the message.
    Rollback,
    /// Not known yet; the broker asks again later.
    Unknown,
}

/// Answers the broker's question "what became of this transaction?" for a message whose
/// producer never committed or rolled back (it crashed, say). Called on a blocking thread,
/// never on the async runtime's workers.
pub trait TransactionChecker: Send + Sync + 'static {
    /// The decision for `message`.
    fn check(&self, message: &MessageView) -> TransactionResolution;
}

impl<F> TransactionChecker for F
where
    F: Fn(&MessageView) -> TransactionResolution + Send + Sync + 'static,
{
    fn check(&self, message: &MessageView) -> TransactionResolution {
        self(message)
    }
}

/// One transaction: send one message in it, then commit or roll back.
pub struct Transaction {
    producer: Producer,
    sent: Mutex<Option<SendReceipt>>,
}

const OP: &str = "transaction";

impl Transaction {
    pub(crate) fn new(producer: Producer) -> Transaction {
        Transaction {
            producer,
            sent: Mutex::new(None),
        }
    }

    /// Sends the transaction's message (at most one per transaction, as in the reference
    /// client); it stays invisible until [`Transaction::commit`].
    pub async fn send(&self, message: &Message) -> Result<SendReceipt> {
        if self.receipt().is_some() {
            return Err(Error::invalid(
                OP,
                "a transaction holds at most one message",
            ));
        }
        let receipt = self.producer.send_in_transaction(message).await?;
        *self
            .sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(receipt.clone());
        Ok(receipt)
    }

    fn receipt(&self) -> Option<SendReceipt> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Makes the message visible to consumers.
    pub async fn commit(self) -> Result<()> {
        self.end(TransactionResolution::Commit).await
    }

    /// Drops the message.
    pub async fn rollback(self) -> Result<()> {
        self.end(TransactionResolution::Rollback).await
    }

    async fn end(self, resolution: TransactionResolution) -> Result<()> {
        let receipt = self
            .receipt()
            .ok_or_else(|| Error::invalid(OP, "nothing was sent in this transaction"))?;
        end(
            self.producer.transport(),
            &receipt.endpoint,
            &receipt.topic,
            &receipt.message_id,
            &receipt.transaction_id,
            resolution,
            TransactionSource::SourceClient,
        )
        .await
    }
}

/// Sends EndTransaction to the broker that holds the half message.
pub(crate) async fn end(
    transport: &Transport,
    endpoint: &Endpoint,
    topic: &str,
    message_id: &str,
    transaction_id: &str,
    resolution: TransactionResolution,
    source: TransactionSource,
) -> Result<()> {
    let resolution = match resolution {
        TransactionResolution::Commit => v2::TransactionResolution::Commit,
        TransactionResolution::Rollback => v2::TransactionResolution::Rollback,
        TransactionResolution::Unknown => return Ok(()),
    };
    let request = EndTransactionRequest {
        topic: Some(Resource {
            resource_namespace: transport.config().namespace().to_owned(),
            name: topic.to_owned(),
        }),
        message_id: message_id.to_owned(),
        transaction_id: transaction_id.to_owned(),
        resolution: resolution as i32,
        source: source as i32,
        trace_context: String::new(),
    };
    transport
        .call_ok(OP, endpoint, request, |mut stub, r| async move {
            stub.end_transaction(r).await
        })
        .await
        .map(|_| ())
        .map_err(|e| e.with_topic(topic))
}

/// Answers one orphaned-transaction check: runs the checker off the runtime's workers, then
/// reports its decision.
pub(crate) fn answer_check(
    transport: Transport,
    checker: Arc<dyn TransactionChecker>,
    endpoint: Endpoint,
    command: v2::RecoverOrphanedTransactionCommand,
) {
    tokio::spawn(async move {
        let Some(message) = command.message else {
            return;
        };
        let view = MessageView::from_proto(message, &endpoint);
        let decided = tokio::task::spawn_blocking({
            let view = view.clone();
            move || checker.check(&view)
        })
        .await;
        let resolution = match decided {
            Ok(r) => r,
            Err(e) => {
                // A panicking checker decides nothing; the broker asks again.
                tracing::warn!(error = %e, "transaction checker failed");
                return;
            }
        };
        if let Err(error) = end(
            &transport,
            &endpoint,
            &view.topic,
            &view.message_id,
            &command.transaction_id,
            resolution,
            TransactionSource::SourceServerCheck,
        )
        .await
        {
            let kind: ErrorKind = error.kind();
            tracing::warn!(%error, ?kind, "could not report a transaction check");
        }
    });
}
