//! Settling a consumed message: ack (coalesced), nack (visible again after the backoff), or
//! dead-letter, retried until it works, the handle expires, or the consumer stops.

use super::Inner;
use super::policy::RETRY_EVERY;
use crate::error::Result;
use crate::message::MessageView;
use rmq_proto::Code;
use rmq_proto::v2::{ChangeInvisibleDurationRequest, ForwardMessageToDeadLetterQueueRequest};
use std::sync::Arc;
use std::time::Duration;

pub(super) enum Settle {
    Ack,
    Nack(Duration),
    DeadLetter(i32),
}

/// Acks, nacks or dead-letters a message, retrying every second until it works, the handle
/// is no longer valid, or the consumer stops.
pub(super) async fn settle(inner: &Inner, message: &Arc<MessageView>, how: Settle) {
    loop {
        let result = settle_once(inner, message, &how).await;
        match result {
            Ok(()) => return,
            Err(error) if error.code() == Some(Code::InvalidReceiptHandle as i32) => return,
            Err(error) => {
                tracing::debug!(%error, "settling a message failed; retrying");
                tokio::select! {
                    () = inner.base.stopped() => return,
                    () = tokio::time::sleep(RETRY_EVERY) => {}
                }
            }
        }
    }
}

async fn settle_once(inner: &Inner, message: &Arc<MessageView>, how: &Settle) -> Result<()> {
    let base = &inner.base;
    let endpoint = &message.endpoint;
    let group = base.resource(&inner.group);
    let topic = base.resource(&message.topic);
    let settled = match how {
        Settle::Ack => return inner.acker.ack(message).await,
        Settle::Nack(delay) => {
            let request = ChangeInvisibleDurationRequest {
                group,
                topic,
                receipt_handle: message.receipt_handle.clone(),
                invisible_duration: prost_types::Duration::try_from(*delay).ok(),
                message_id: message.message_id.clone(),
                lite_topic: message.lite_topic.clone(),
                suspend: None,
            };
            base.transport
                .call_ok("nack", endpoint, request, |mut stub, r| async move {
                    stub.change_invisible_duration(r).await
                })
                .await
                .map(|_| ())
        }
        Settle::DeadLetter(attempt) => {
            let request = ForwardMessageToDeadLetterQueueRequest {
                group,
                topic,
                receipt_handle: message.receipt_handle.clone(),
                message_id: message.message_id.clone(),
                delivery_attempt: *attempt,
                max_delivery_attempts: inner.policy().max_attempts(),
                lite_topic: message.lite_topic.clone(),
            };
            base.transport
                .call_ok("dead-letter", endpoint, request, |mut stub, r| async move {
                    stub.forward_message_to_dead_letter_queue(r).await
                })
                .await
                .map(|_| ())
        }
    };
    settled.map_err(|e| e.with_topic(&message.topic).with_group(&inner.group))
}
