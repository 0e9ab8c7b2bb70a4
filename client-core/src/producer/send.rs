//! Sending: checks, queue choice, attempts with the server's backoff and endpoint isolation,
//! and the receipts.

use super::linger::{BatchFuture, SendBatch};
use super::queue::candidates;
use super::{Inner, Policy, Producer};
use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::message::{Message, id};
use crate::route::Queue;
use rmq_proto::Code;
use rmq_proto::v2::{MessageType, SendMessageRequest};
use std::sync::{Arc, Weak};
use tracing::Instrument;

const OP: &str = "send";

/// What a successful send returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReceipt {
    /// The message id (client-generated).
    pub message_id: String,
    /// Transaction id of a transactional message; empty otherwise.
    pub transaction_id: String,
    /// Queue offset the server reported.
    pub offset: i64,
    /// Handle to recall a scheduled message with; empty for other messages.
    pub recall_handle: String,
    /// Queue id the message was sent to.
    pub queue_id: i32,
    /// Topic it was sent to.
    pub topic: String,
    /// Broker endpoint that took it.
    pub endpoint: Endpoint,
}

impl Producer {
    /// Sends one message, retrying transient failures on other queues.
    pub async fn send(&self, message: &Message) -> Result<SendReceipt> {
        let one = std::slice::from_ref(message);
        let span = send_span(one, false);
        if let Some(linger) = &self.inner.linger
            && message.message_type(false)? == MessageType::Normal
        {
            self.inner.base.check_open(OP)?;
            check_size(one, &self.inner.policy())?;
            span.record("lingered", true);
            return self
                .timed(message.topic(), linger.send(message.clone()))
                .instrument(span)
                .await;
        }
        let sent = self
            .timed(message.topic(), self.send_messages(one, false))
            .instrument(span)
            .await;
        first(sent?)
    }

    /// Sends several messages in one request. They must share a topic and a type (and FIFO
    /// messages a message group); the receipts come back in order.
    pub async fn send_batch(&self, messages: &[Message]) -> Result<Vec<SendReceipt>> {
        let topic = messages.first().map_or("", |m| m.topic());
        self.timed(topic, self.send_messages(messages, false))
            .instrument(send_span(messages, false))
            .await
    }

    pub(crate) async fn send_in_transaction(&self, message: &Message) -> Result<SendReceipt> {
        let one = std::slice::from_ref(message);
        let sent = self
            .timed(message.topic(), self.send_messages(one, true))
            .instrument(send_span(one, true))
            .await;
        first(sent?)
    }

    /// Runs a send, recording `rocketmq_send_cost_time`.
    async fn timed<T>(&self, topic: &str, send: impl Future<Output = Result<T>>) -> Result<T> {
        let started = std::time::Instant::now();
        let result = send.await;
        self.inner
            .metrics
            .sent(topic, started.elapsed(), result.is_ok());
        result
    }

    async fn send_messages(
        &self,
        messages: &[Message],
        transactional: bool,
    ) -> Result<Vec<SendReceipt>> {
        self.inner.base.check_open(OP)?;
        // Beyond the limit a send waits here as this small future; the request's own state
        // is allocated (boxed) only once it may go.
        let _turn = self
            .inner
            .in_flight
            .acquire()
            .await
            .map_err(|_| Error::new(ErrorKind::Closed, OP, "producer is shut down"))?;
        Box::pin(self.inner.deliver(messages, transactional)).await
    }
}

impl Inner {
    /// Checks and sends a batch, with retries; does not look at `closed`, so lingered
    /// batches still leave during shutdown.
    async fn deliver(&self, messages: &[Message], transactional: bool) -> Result<Vec<SendReceipt>> {
        let Some(head) = messages.first() else {
            return Err(Error::invalid(OP, "nothing to send"));
        };
        self.attempts(head, messages, transactional)
            .await
            .map_err(|e| e.with_topic(head.topic()))
    }

    async fn attempts(
        &self,
        head: &Message,
        messages: &[Message],
        transactional: bool,
    ) -> Result<Vec<SendReceipt>> {
        let kind = head.message_type(transactional)?;
        for message in &messages[1..] {
            if message.topic() != head.topic() {
                return Err(Error::invalid(OP, "a batch must share one topic"));
            }
            if message.message_type(transactional)? != kind {
                return Err(Error::invalid(OP, "a batch must share one message type"));
            }
            if message.message_group() != head.message_group() {
                return Err(Error::invalid(
                    OP,
                    "a FIFO batch must share one message group",
                ));
            }
            if message.lite_topic() != head.lite_topic() {
                return Err(Error::invalid(OP, "a lite batch must share one lite topic"));
            }
        }
        let policy = self.policy();
        check_size(messages, &policy)?;
        let base = &self.base;
        let route = base.route(head.topic()).await?;
        let start = route.turn.next();
        // A lite topic shards like a message group (as the proxy chooses its queue), so its
        // messages stay on one broker, in order.
        let sharding = head.message_group().or(head.lite_topic());
        let candidates = candidates(&route, sharding, start, &base.routes.isolated())?;
        if policy.validate_message_type && !candidates[0].accepts(kind) {
            return Err(Error::invalid(
                OP,
                format!(
                    "topic {} does not accept {} messages",
                    head.topic(),
                    kind.as_str_name()
                ),
            ));
        }
        // Ids are fixed before the first attempt, so retries resend the same messages.
        let ids: Vec<String> = messages.iter().map(|_| id::next()).collect();
        let span = tracing::Span::current();
        let mut attempt = 1;
        loop {
            let queue = candidates[(attempt as usize - 1) % candidates.len()];
            span.record("attempts", attempt);
            let outcome = self.send_once(messages, &ids, kind, queue).await;
            match &outcome {
                Err(error) if isolates(error) => {
                    if base.routes.isolate(&queue.endpoint) {
                        tracing::info!(endpoint = %queue.endpoint, %error, "endpoint isolated");
                    }
                }
                Ok(_) => {
                    base.routes.heal(&queue.endpoint);
                }
                Err(_) => {}
            }
            match outcome {
                Ok(receipts) => {
                    if let Some(receipt) = receipts.first() {
                        span.record("message_id", receipt.message_id.as_str());
                    }
                    return Ok(receipts);
                }
                Err(error) if attempt >= policy.retry.max_attempts || !error.is_retriable() => {
                    span.record("error", tracing::field::display(&error));
                    return Err(error);
                }
                Err(error) => {
                    if error.kind() == ErrorKind::TooManyRequests {
                        tokio::time::sleep(policy.retry.delay_before(attempt + 1)).await;
                    }
                    tracing::debug!(attempt, %error, "send attempt failed; retrying");
                    attempt += 1;
                }
            }
        }
    }

    async fn send_once(
        &self,
        messages: &[Message],
        ids: &[String],
        kind: MessageType,
        queue: &Queue,
    ) -> Result<Vec<SendReceipt>> {
        let base = &self.base;
        let namespace = base.config().namespace();
        let wire = messages
            .iter()
            .zip(ids)
            .map(|(message, id)| {
                let mut wire = message.to_proto(namespace, id, &self.born_host, kind);
                if let Some(sys) = wire.system_properties.as_mut() {
                    sys.queue_id = queue.queue.id;
                }
                wire
            })
            .collect();
        let request = SendMessageRequest { messages: wire };
        let endpoint = &queue.endpoint;
        let response = base
            .transport
            .call(OP, endpoint, request, None, |mut stub, r| async move {
                stub.send_message(r).await
            })
            .await?;
        // A failed entry fails the send; so does a count that does not match.
        if let Some(bad) = response
            .entries
            .iter()
            .filter_map(|e| e.status.as_ref())
            .chain(response.status.as_ref())
            .find(|s| s.code != Code::Ok as i32 && s.code != Code::MultipleResults as i32)
        {
            return Err(
                Error::from_status(OP, bad.code, bad.message.clone()).with_endpoint(endpoint)
            );
        }
        let receipt =
            |message_id, entry: &rmq_proto::v2::SendResultEntry, message: &Message| SendReceipt {
                message_id,
                transaction_id: entry.transaction_id.clone(),
                offset: entry.offset,
                recall_handle: entry.recall_handle.clone(),
                queue_id: queue.queue.id,
                topic: message.topic().to_owned(),
                endpoint: endpoint.clone(),
            };
        // Apache's proxy in local mode answers a batch with one entry for the whole batch
        // (whose id is the batch's): the batch is stored, so every message gets a receipt
        // under its own id, with the offset and transaction id the entry gives.
        if response.entries.len() == 1 && messages.len() > 1 {
            let entry = &response.entries[0];
            return Ok(messages
                .iter()
                .zip(ids)
                .map(|(message, id)| receipt(id.clone(), entry, message))
                .collect());
        }
        if response.entries.len() != messages.len() {
            return Err(Error::new(
                ErrorKind::Unexpected,
                OP,
                format!(
                    "the server returned {} results for {} messages",
                    response.entries.len(),
                    messages.len()
                ),
            ));
        }
        Ok(response
            .entries
            .iter()
            .zip(messages)
            .map(|(entry, message)| receipt(entry.message_id.clone(), entry, message))
            .collect())
    }
}

fn check_size(messages: &[Message], policy: &Policy) -> Result<()> {
    let limit = policy.max_body_size;
    match messages.iter().find(|m| m.body().len() > limit) {
        Some(big) => Err(Error::new(
            ErrorKind::PayloadTooLarge,
            OP,
            format!(
                "body of {} bytes exceeds the limit of {limit} bytes",
                big.body().len(),
            ),
        )),
        None => Ok(()),
    }
}

/// The span of one send call: topic, message count, whether it is transactional; the send
/// fills in the first message id, the attempts made, whether it lingered, and any error.
fn send_span(messages: &[Message], transactional: bool) -> tracing::Span {
    tracing::info_span!(
        "rmq.send",
        topic = messages.first().map_or("", |m| m.topic()),
        messages = messages.len(),
        transactional,
        message_id = tracing::field::Empty,
        attempts = tracing::field::Empty,
        lingered = tracing::field::Empty,
        error = tracing::field::Empty,
    )
}

/// Whether a failed attempt says something about the broker it went to (rather than about
/// the request or the load).
fn isolates(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::Network
            | ErrorKind::Timeout
            | ErrorKind::InternalServer
            | ErrorKind::ProxyTimeout
    )
}

/// What linger mode sends a gathered batch with.
pub(super) fn batch_sender(inner: Weak<Inner>) -> SendBatch {
    Arc::new(move |messages: Vec<Message>| {
        let inner = inner.clone();
        Box::pin(async move {
            let inner = inner
                .upgrade()
                .ok_or_else(|| Error::new(ErrorKind::Closed, OP, "producer is shut down"))?;
            let span = send_span(&messages, false);
            span.record("lingered", true);
            // The batch holds the client, not a handle: dropping the last handle still stops it.
            inner.deliver(&messages, false).instrument(span).await
        }) as BatchFuture
    })
}

fn first(mut receipts: Vec<SendReceipt>) -> Result<SendReceipt> {
    receipts.drain(..).next().ok_or_else(|| {
        Error::new(
            ErrorKind::Unexpected,
            OP,
            "the server returned no send result",
        )
    })
}
