//! One receive loop per assigned queue: long polls with auto-renewed invisibility while the
//! client's cache has room, a new attempt id after each non-empty answer, and the messages
//! handed to the consume services.

use super::Inner;
use super::consume::{consume_concurrently, consume_in_order};
use super::policy::RETRY_EVERY;
use crate::config::Endpoint;
use crate::error::ErrorKind;
use crate::message::{FilterExpression, MessageView};
use rmq_proto::v2::{MessageQueue, ReceiveMessageRequest};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Receives from `queue` at `endpoint` until the consumer stops or `dropped` says the queue
/// left the assignment. A receive in flight when the queue leaves is not abandoned: the
/// server may have leased messages to it already, and with auto-renewal on, a server renews
/// their lease for as long as this client is online (Apache's proxy: up to 3 hours), so
/// messages whose answer nobody reads would stay invisible to every consumer. The call
/// finishes (a long poll at most), its messages are consumed, then the loop ends.
pub(super) async fn receive_loop(
    inner: Arc<Inner>,
    queue: MessageQueue,
    endpoint: Endpoint,
    filter: FilterExpression,
    mut dropped: watch::Receiver<bool>,
) {
    let mut attempt_id = uuid::Uuid::new_v4().to_string();
    let request_timeout = inner.base.config().request_timeout();
    loop {
        if inner.base.is_stopped() {
            return;
        }
        if *dropped.borrow() {
            return;
        }
        let queues = inner.queues.load(Ordering::Relaxed).max(1);
        let count_limit = (inner.max_cache_messages / queues).max(1);
        let bytes_limit = (inner.max_cache_bytes / queues).max(1);
        let cached = inner.cached_messages.load(Ordering::Acquire);
        if cached >= count_limit || inner.cached_bytes.load(Ordering::Acquire) >= bytes_limit {
            tokio::select! {
                () = inner.base.stopped() => return,
                () = tokio::time::sleep(RETRY_EVERY) => continue,
            }
        }
        let policy = inner.policy();
        let batch = policy
            .batch
            .min(i32::try_from(count_limit - cached).unwrap_or(i32::MAX))
            .max(1);
        let request = ReceiveMessageRequest {
            group: inner.base.resource(&inner.group),
            message_queue: Some(queue.clone()),
            filter_expression: Some(filter.to_proto()),
            batch_size: batch,
            invisible_duration: None,
            auto_renew: true,
            long_polling_timeout: prost_types::Duration::try_from(policy.long_polling).ok(),
            attempt_id: Some(attempt_id.clone()),
        };
        let deadline = crate::receive::deadline(policy.long_polling, request_timeout);
        let transport = &inner.base.transport;
        let received = tokio::select! {
            () = inner.base.stopped() => return,
            r = crate::receive::receive(transport, &endpoint, request, deadline, Some(&inner.metrics)) => r,
        };
        match received {
            Ok(messages) if messages.is_empty() => {}
            Ok(messages) => {
                attempt_id = uuid::Uuid::new_v4().to_string();
                let received_at = Instant::now();
                let messages: Vec<Arc<MessageView>> = messages.into_iter().map(Arc::new).collect();
                for m in &messages {
                    inner.cached_messages.fetch_add(1, Ordering::AcqRel);
                    inner.cached_bytes.fetch_add(m.body.len(), Ordering::AcqRel);
                }
                // A lite topic's messages are always consumed in order (the broker hands out
                // one batch of it at a time).
                if policy.fifo || inner.lite.is_some() {
                    consume_in_order(&inner, messages, received_at).await;
                } else {
                    for message in messages {
                        let Ok(permit) = inner.workers.clone().acquire_owned().await else {
                            return;
                        };
                        let inner = inner.clone();
                        tokio::spawn(async move {
                            consume_concurrently(&inner, message, received_at, permit).await;
                        });
                    }
                }
            }
            Err(error) => {
                let pause = if error.kind() == ErrorKind::TooManyRequests {
                    Duration::from_millis(20)
                } else {
                    RETRY_EVERY
                };
                tracing::debug!(%error, "receive failed");
                tokio::select! {
                    () = inner.base.stopped() => return,
                    _ = dropped.wait_for(|d| *d) => return,
                    () = tokio::time::sleep(pause) => {}
                }
            }
        }
    }
}
