//! `PullConsumer`: the classic pull model over the 5.x pull RPCs (`PullMessage`,
//! `QueryOffset`): the application lists a topic's queues and reads each from an offset it
//! keeps itself. The pull RPCs need no Telemetry session, so this client opens none and
//! heartbeats nothing. The Apache proxy (5.3–5.5) leaves these RPCs unimplemented: against it
//! every pull fails with [`ErrorKind::Unsupported`]; rmq's mini-broker serves them.

use crate::config::{ClientConfig, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::message::{FilterExpression, MessageView};
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::v2::{
    MessageQueue, PullMessageRequest, QueryOffsetPolicy, QueryOffsetRequest, pull_message_response,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_stream::StreamExt;

const OP: &str = "pull";

/// One readable queue of a topic on a master broker.
#[derive(Clone, Debug, PartialEq)]
pub struct PullQueue {
    /// The topic.
    pub topic: String,
    /// The broker that holds the queue.
    pub broker: String,
    /// The queue's id on that broker.
    pub id: i32,
    queue: MessageQueue,
    endpoint: Endpoint,
}

/// How a pull ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullStatus {
    /// Messages were found.
    Found,
    /// Nothing at or after the offset yet.
    NoNewMessage,
    /// Messages were there, but none matched the filter (`next_offset` skips them).
    NoMatchedMessage,
    /// The offset is outside the queue; `next_offset` is the nearest valid one.
    OffsetIllegal,
}

/// What a pull returned.
#[derive(Clone, Debug)]
pub struct Pulled {
    /// How it ended.
    pub status: PullStatus,
    /// The messages, in queue order.
    pub messages: Vec<MessageView>,
    /// Where the next pull of this queue starts.
    pub next_offset: i64,
}

struct Inner {
    transport: Transport,
    group: String,
    await_duration: Duration,
    closed: AtomicBool,
}

/// Builder of [`PullConsumer`].
pub struct PullConsumerBuilder {
    config: ClientConfig,
    group: String,
    await_duration: Duration,
}

impl PullConsumerBuilder {
    /// How long a pull waits for a message when none is there yet. Default 0: answer at once.
    pub fn await_duration(mut self, duration: Duration) -> Self {
        self.await_duration = duration;
        self
    }

    /// Makes the consumer. No request is sent until it is used.
    pub fn start(self) -> Result<PullConsumer> {
        if self.group.trim().is_empty() {
            return Err(Error::invalid("start", "consumer group must not be empty"));
        }
        let client_id = crate::client::id::next();
        Ok(PullConsumer {
            inner: Arc::new(Inner {
                transport: Transport::new(self.config, &client_id)?,
                group: self.group,
                await_duration: self.await_duration,
                closed: AtomicBool::new(false),
            }),
        })
    }
}

/// Reads queues from offsets the application keeps. Clone it freely.
#[derive(Clone)]
pub struct PullConsumer {
    inner: Arc<Inner>,
}

impl PullConsumer {
    /// A builder for consumer group `group`.
    pub fn builder(config: ClientConfig, group: impl Into<String>) -> PullConsumerBuilder {
        PullConsumerBuilder {
            config,
            group: group.into(),
            await_duration: Duration::ZERO,
        }
    }

    fn check_open(&self) -> Result<()> {
        match self.inner.closed.load(Ordering::Acquire) {
            true => Err(Error::new(ErrorKind::Closed, OP, "the client is shut down")),
            false => Ok(()),
        }
    }

    /// The readable queues of `topic` (master brokers, READ or READ_WRITE), from a fresh
    /// route.
    pub async fn queues(&self, topic: &str) -> Result<Vec<PullQueue>> {
        self.check_open()?;
        let route = crate::route::query(&self.inner.transport, topic).await?;
        Ok(route
            .readable
            .into_iter()
            .map(|q| PullQueue {
                topic: topic.to_owned(),
                broker: q
                    .queue
                    .broker
                    .as_ref()
                    .map(|b| b.name.clone())
                    .unwrap_or_default(),
                id: q.queue.id,
                queue: q.queue,
                endpoint: q.endpoint,
            })
            .collect())
    }

    /// Reads up to `max` messages of `queue` matching `filter`, from `offset`.
    pub async fn pull(
        &self,
        queue: &PullQueue,
        filter: &FilterExpression,
        offset: i64,
        max: u32,
    ) -> Result<Pulled> {
        self.check_open()?;
        filter.check()?;
        if max == 0 {
            return Err(Error::invalid(OP, "pull at least one message"));
        }
        let inner = &self.inner;
        let context = |e: Error| e.with_topic(&queue.topic).with_group(&inner.group);
        let request = PullMessageRequest {
            group: Some(rmq_proto::v2::Resource {
                resource_namespace: inner.transport.config().namespace().to_owned(),
                name: inner.group.clone(),
            }),
            message_queue: Some(queue.queue.clone()),
            offset,
            batch_size: i32::try_from(max).unwrap_or(i32::MAX),
            filter_expression: Some(filter.to_proto()),
            long_polling_timeout: prost_types::Duration::try_from(inner.await_duration).ok(),
        };
        let deadline = inner.await_duration + inner.transport.config().request_timeout();
        let mut stream = inner
            .transport
            .call(
                OP,
                &queue.endpoint,
                request,
                Some(deadline),
                |mut stub, r| async move { stub.pull_message(r).await },
            )
            .await
            .map_err(context)?;
        let (mut status, mut messages, mut next) = (None, Vec::new(), None);
        while let Some(item) = stream.next().await {
            let item = item.map_err(|s| context(Error::from_grpc(OP, s)))?;
            match item.content {
                Some(pull_message_response::Content::Status(s)) => status = Some(s),
                Some(pull_message_response::Content::Message(m)) => {
                    messages.push(MessageView::from_proto(m, &queue.endpoint));
                }
                Some(pull_message_response::Content::NextOffset(n)) => next = Some(n),
                None => {}
            }
        }
        let status = status.ok_or_else(|| {
            context(Error::new(
                ErrorKind::InternalServer,
                OP,
                "the server sent no status",
            ))
        })?;
        let next_offset = next.unwrap_or(offset);
        let status = match Code::try_from(status.code) {
            Ok(Code::Ok) if !messages.is_empty() => PullStatus::Found,
            Ok(Code::Ok | Code::MessageNotFound) if next_offset > offset => {
                PullStatus::NoMatchedMessage
            }
            Ok(Code::Ok | Code::MessageNotFound) => PullStatus::NoNewMessage,
            Ok(Code::IllegalOffset) => PullStatus::OffsetIllegal,
            _ => return Err(context(Error::from_status(OP, status.code, status.message))),
        };
        Ok(Pulled {
            status,
            messages,
            next_offset,
        })
    }

    /// The first and the next-to-be-written offsets of `queue`.
    pub async fn offsets(&self, queue: &PullQueue) -> Result<(i64, i64)> {
        Ok((
            self.query_offset(queue, QueryOffsetPolicy::Beginning)
                .await?,
            self.query_offset(queue, QueryOffsetPolicy::End).await?,
        ))
    }

    async fn query_offset(&self, queue: &PullQueue, policy: QueryOffsetPolicy) -> Result<i64> {
        const OP: &str = "query offset";
        self.check_open()?;
        let request = QueryOffsetRequest {
            message_queue: Some(queue.queue.clone()),
            query_offset_policy: policy as i32,
            timestamp: None,
        };
        let response = self
            .inner
            .transport
            .call_ok(OP, &queue.endpoint, request, |mut stub, r| async move {
                stub.query_offset(r).await
            })
            .await
            .map_err(|e| e.with_topic(&queue.topic))?;
        Ok(response.offset)
    }

    /// Closes the consumer; later calls fail with [`ErrorKind::Closed`]. It holds no session,
    /// so there is no one to tell.
    pub fn shutdown(&self) {
        self.inner.closed.store(true, Ordering::Release);
    }
}
