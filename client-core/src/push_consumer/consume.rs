//! Handing messages to the listener: concurrently (each settled on its own), or in FIFO
//! order with the reference client's accelerator (message groups side by side, each in order,
//! failures retried locally with the group's backoff, then dead-lettered).

use super::settle::{Settle, settle};
use super::{ConsumeResult, Inner, MessageListener};
use crate::message::MessageView;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing::Instrument;

/// Runs the listener off the runtime's workers; a panic is a failure.
async fn listen(inner: &Inner, message: &Arc<MessageView>) -> ConsumeResult {
    let span = tracing::info_span!(
        "rmq.process",
        group = %inner.group,
        topic = %message.topic,
        message_id = %message.message_id,
        delivery_attempt = message.delivery_attempt,
        result = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = consume_on_pool(&inner.listener, message)
        .instrument(span.clone())
        .await;
    inner.metrics.processed(
        &message.topic,
        started.elapsed(),
        result == ConsumeResult::Success,
    );
    span.record("result", tracing::field::debug(result));
    result
}

/// The user's listener until the consumer shuts down. A binding's listener often refers back
/// to the object that owns the consumer (a JS closure over `this`, a Python bound method), a
/// cycle its garbage collector cannot see through native code: letting the listener go at
/// shutdown breaks it, so a closed consumer is freed with all it holds.
pub(super) struct ListenerSlot(Mutex<Option<Arc<dyn MessageListener>>>);

impl ListenerSlot {
    pub(super) fn new(listener: Arc<dyn MessageListener>) -> Arc<ListenerSlot> {
        Arc::new(ListenerSlot(Mutex::new(Some(listener))))
    }

    fn get(&self) -> Option<Arc<dyn MessageListener>> {
        crate::client::lock(&self.0).clone()
    }

    /// Lets the listener go; later messages are failures (they come back to the group).
    pub(super) fn release(&self) {
        crate::client::lock(&self.0).take();
    }
}

/// Runs the listener on tokio's blocking pool; a panic, or a consumer already shut down, is a
/// failure. The view is shared, not copied, however often it is retried.
pub(super) async fn consume_on_pool(
    listener: &ListenerSlot,
    message: &Arc<MessageView>,
) -> ConsumeResult {
    let Some(listener) = listener.get() else {
        return ConsumeResult::Failure;
    };
    let view = message.clone();
    match tokio::task::spawn_blocking(move || listener.consume(&view)).await {
        Ok(result) => result,
        Err(error) => {
            tracing::warn!(message_id = %message.message_id, %error, "listener panicked; counted as a failure");
            ConsumeResult::Failure
        }
    }
}

pub(super) fn release(inner: &Inner, message: &MessageView) {
    inner.cached_messages.fetch_sub(1, Ordering::AcqRel);
    inner
        .cached_bytes
        .fetch_sub(message.body.len(), Ordering::AcqRel);
}

/// Consumes one message holding `worker` (a consumption thread), which is let go once the
/// listener returns: settling may retry for as long as the message's broker is down, and must
/// not keep the consumer from the messages of the brokers that are up.
pub(super) async fn consume_concurrently(
    inner: &Inner,
    message: Arc<MessageView>,
    received_at: Instant,
    worker: tokio::sync::OwnedSemaphorePermit,
) {
    inner.metrics.awaited(&message.topic, received_at.elapsed());
    let result = if message.corrupted.is_some() {
        tracing::warn!(message_id = %message.message_id, why = ?message.corrupted, "corrupted message nacked");
        ConsumeResult::Failure
    } else {
        listen(inner, &message).await
    };
    // Shutdown waits for settles in progress through this lock (taken before the thread is
    // let go, so shutdown cannot slip in between).
    let _settling = inner.settling.read().await;
    drop(worker);
    match result {
        ConsumeResult::Success => settle(inner, &message, Settle::Ack).await,
        ConsumeResult::Failure => {
            let delay = inner.policy().delay(message.delivery_attempt);
            settle(inner, &message, Settle::Nack(delay)).await;
        }
    }
    release(inner, &message);
}

/// One queue's batch in FIFO mode, with the reference client's FIFO consume accelerator:
/// message groups are independent, so each group's messages run in order while different
/// groups run side by side (bounded by the consumption threads). The next receive waits for
/// the whole batch.
pub(super) async fn consume_in_order(
    inner: &Arc<Inner>,
    messages: Vec<Arc<MessageView>>,
    received_at: Instant,
) {
    // A lite topic orders its messages as a message group does.
    let mut groups: Vec<(Option<String>, Vec<Arc<MessageView>>)> = Vec::new();
    for message in messages {
        let key = message
            .lite_topic
            .as_ref()
            .or(message.message_group.as_ref());
        match groups.iter_mut().find(|(g, _)| g.as_ref() == key) {
            Some((_, members)) => members.push(message),
            None => groups.push((key.cloned(), vec![message])),
        }
    }
    let mut running = tokio::task::JoinSet::new();
    for (_, members) in groups {
        let Ok(permit) = inner.workers.clone().acquire_owned().await else {
            return;
        };
        let inner = inner.clone();
        running.spawn(async move {
            consume_group_in_order(&inner, members, received_at).await;
            drop(permit);
        });
    }
    while running.join_next().await.is_some() {}
}

/// One message group's messages, strictly in order: each is settled before the next starts.
async fn consume_group_in_order(
    inner: &Inner,
    messages: Vec<Arc<MessageView>>,
    received_at: Instant,
) {
    for message in messages {
        inner.metrics.awaited(&message.topic, received_at.elapsed());
        let mut attempt = message.delivery_attempt;
        if message.corrupted.is_some() {
            tracing::warn!(message_id = %message.message_id, why = ?message.corrupted, "corrupted message dead-lettered");
            settle(inner, &message, Settle::DeadLetter(attempt)).await;
            release(inner, &message);
            continue;
        }
        loop {
            match listen(inner, &message).await {
                ConsumeResult::Success => {
                    settle(inner, &message, Settle::Ack).await;
                    break;
                }
                ConsumeResult::Failure if attempt < inner.policy().max_attempts() => {
                    let delay = inner.policy().delay(attempt);
                    tokio::select! {
                        () = inner.base.stopped() => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                    attempt += 1;
                }
                ConsumeResult::Failure => {
                    settle(inner, &message, Settle::DeadLetter(attempt)).await;
                    break;
                }
            }
        }
        release(inner, &message);
    }
}
