//! ReceiveMessage: long polling and Pop.

use super::unsent::{ReceiveStream, Unsent};
use super::*;
use crate::convert;
use crate::engine::{Delivery, Popping};
use crate::store::journal::{self, Flushed};
use crate::validate::{self, texts};
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc, headers, limits};
use std::time::Duration;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response};

impl Service {
    /// Long-polls `attempt` until it yields something or `wait` runs out.
    pub(crate) async fn long_poll<T>(
        &self,
        wait: Duration,
        mut attempt: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        let until = tokio::time::Instant::now() + wait;
        let mut changes = self.core.visible.subscribe();
        let mut stopping = self.core.stopping.clone();
        loop {
            changes.borrow_and_update();
            if let Some(found) = attempt() {
                return Some(found);
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return None },
                () = tokio::time::sleep_until(until) => return attempt(),
                // A stopping broker answers open polls at once instead of holding shutdown.
                _ = stopping.wait_for(|s| *s) => return attempt(),
            }
        }
    }

    /// The poll time Apache's proxy would use, or the code it would refuse with.
    pub(crate) fn polling_time(
        &self,
        metadata: &MetadataMap,
        requested: Option<&prost_types::Duration>,
        request_timeout_ms: i64,
    ) -> Result<Duration, v2::Status> {
        let Some(remaining) = deadline_remaining(metadata) else {
            return Err(status(
                Code::InternalServerError,
                "a gRPC deadline is required on ReceiveMessage",
            ));
        };
        let wanted = match requested {
            Some(d) => Duration::from_millis(
                u64::try_from(convert::millis(d.seconds, d.nanos).unwrap_or(0)).unwrap_or(0),
            ),
            None => remaining.saturating_sub(Duration::from_millis(
                u64::try_from(request_timeout_ms / 2).unwrap_or(0),
            )),
        };
        let wanted = wanted.clamp(limits::MIN_LONG_POLLING, limits::MAX_LONG_POLLING);
        if wanted <= remaining {
            return Ok(wanted);
        }
        if remaining >= limits::MIN_LONG_POLLING {
            // Answer a little before the caller gives up.
            return Ok(remaining.saturating_sub(Duration::from_millis(50)));
        }
        let version = metadata
            .get(headers::CLIENT_VERSION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let code = if version < "5.0.3" {
            Code::BadRequest
        } else {
            Code::IllegalPollingTime
        };
        Err(status(code, texts::POLLING_TIME_TOO_SHORT))
    }

    pub(crate) async fn receive(
        &self,
        metadata: &MetadataMap,
        request: &ReceiveMessageRequest,
    ) -> Result<(Vec<Delivery>, String, Flushed), v2::Status> {
        let client = self.admit(Rpc::ReceiveMessage, metadata).await?;
        let Some(session) = self.core.sessions.get(&client) else {
            return Err(status(
                Code::InternalServerError,
                format!("no Settings for client {client}: open Telemetry and send Settings first"),
            ));
        };
        let wait = self.polling_time(
            metadata,
            request.long_polling_timeout.as_ref(),
            session.request_timeout_ms,
        )?;
        let queue_topic = request
            .message_queue
            .as_ref()
            .and_then(|q| q.topic.as_ref());
        let topic_name = resource_name(queue_topic).to_owned();
        let ns = namespace(queue_topic);
        self.topic(&topic_name)?;
        let group_name = resource_name(request.group.as_ref()).to_owned();
        let group = self.group(&group_name)?;
        let invisible = if request.auto_renew {
            i64::try_from(limits::AUTO_RENEW_INVISIBLE.as_millis()).unwrap_or(60_000)
        } else {
            let d = request.invisible_duration.unwrap_or_default();
            let ms = convert::millis(d.seconds, d.nanos).unwrap_or(-1);
            let min = i64::try_from(limits::MIN_RECEIVE_INVISIBLE.as_millis()).unwrap_or(0);
            validate::invisible_time(ms, min)?;
            ms
        };

        let max =
            usize::try_from(request.batch_size.clamp(1, limits::MAX_RECEIVE_BATCH)).unwrap_or(1);
        let owner = request.auto_renew.then(|| client.clone());
        let record = journal::Pop {
            group: group_name.clone(),
            topic: topic_name.clone(),
            filter: request.filter_expression.clone(),
            max: u32::try_from(max).unwrap_or(1),
            invisible,
            fifo: group.fifo,
            owner,
            attempt_id: request.attempt_id.clone(),
            lite_queues: Vec::new(),
        };
        let core = self.core.clone();
        // A lite consumer reads the lite queues it subscribed (looked up on every attempt, as
        // a subscription may arrive while it waits), one batch in flight per queue as
        // Apache's PopLite, whatever the group's order.
        let lite = group.lite.is_some();
        let record = if lite {
            journal::Pop {
                fifo: true,
                attempt_id: None,
                ..record
            }
        } else {
            record
        };
        let fixed = Popping::new(record.clone())?;
        let found = self
            .long_poll(wait, || {
                let subscribed;
                let popping = if lite {
                    let lite_queues: Vec<String> = core
                        .lite
                        .poll_order(&client, &group_name, &topic_name)
                        .iter()
                        .map(|name| crate::engine::lite_queue(&topic_name, name))
                        .collect();
                    if lite_queues.is_empty() {
                        return None;
                    }
                    subscribed = Popping::new(journal::Pop {
                        lite_queues,
                        ..record.clone()
                    })
                    .ok()?;
                    &subscribed
                } else {
                    &fixed
                };
                let (popped, flushed) = core.execute(popping);
                (!popped.is_empty()).then_some((popped, flushed))
            })
            .await;
        let (found, flushed) = found.unwrap_or_default();
        Ok((found, ns, flushed))
    }

    pub(crate) async fn serve_receive_message(
        &self,
        request: Request<ReceiveMessageRequest>,
    ) -> GrpcResult<BoxStream<ReceiveMessageResponse>> {
        let rpc = Rpc::ReceiveMessage;
        let (metadata, _, request) = request.into_parts();
        let store_host = self.core.store_host.lock().clone();
        let mut out = Vec::new();
        let group = resource_name(request.group.as_ref()).to_owned();
        let received = self.receive(&metadata, &request).await;
        // From the pop on, the messages are this call's: if it is dropped before they are
        // sent (while the pop is made durable, or later in the stream), they go back.
        let mut unsent = Unsent::new(self.core.clone(), group.clone(), Vec::new());
        let received = match received {
            Ok((deliveries, ns, flushed)) => {
                let handles = deliveries.iter().map(settled_handle).collect();
                unsent = Unsent::new(self.core.clone(), group, handles);
                self.core.durable(flushed).await.map(|()| (deliveries, ns))
            }
            Err(st) => Err(st),
        };
        match received {
            Ok((deliveries, _)) if deliveries.is_empty() => {
                out.push(receive_message_response::Content::Status(status(
                    Code::MessageNotFound,
                    "no new message",
                )));
            }
            Ok((deliveries, ns)) => {
                out.push(receive_message_response::Content::Status(ok()));
                for d in &deliveries {
                    out.push(receive_message_response::Content::Message(
                        convert::delivery(d, &ns, &store_host),
                    ));
                }
            }
            Err(st) => out.push(receive_message_response::Content::Status(st)),
        }
        let with_messages = out.len() > 1;
        let stream = if with_messages && self.core.faults.take_break_receive() {
            ReceiveStream::new(out, unsent).broken(tonic::Status::unavailable(format!(
                "{rpc} stream broken after its messages by fault injection"
            )))
        } else {
            out.push(receive_message_response::Content::DeliveryTimestamp(
                convert::timestamp(self.core.now()),
            ));
            ReceiveStream::new(out, unsent)
        };
        if self.core.faults.take_drop(rpc) {
            // The stream goes with the response, and gives its messages back.
            return Err(tonic::Status::unavailable(format!(
                "{rpc} response dropped by fault injection"
            )));
        }
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Where a delivered message is settled (its topic or lite queue) and its receipt handle.
fn settled_handle(d: &Delivery) -> (String, String) {
    let topic = super::ack::settled_in(&d.message.topic, d.message.lite_topic.as_deref());
    (topic, d.handle.encode())
}
