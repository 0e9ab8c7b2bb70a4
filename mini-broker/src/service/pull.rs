//! The pull-consumer RPCs (`PullMessage`, `UpdateOffset`, `GetOffset`, `QueryOffset`). The
//! Apache proxy leaves them unimplemented; we serve them over the same queues, with offsets
//! owned by the client as in the classic pull model.

use crate::convert;
use crate::filter::Filter;
use crate::service::{GrpcResult, Service, ok, status};
use crate::validate::texts;
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc, limits};
use std::time::Duration;
use tonic::{Request, Response};

/// Validates the queue a pull RPC names; returns (topic, queue index).
fn queue_of(
    service: &Service,
    queue: Option<&MessageQueue>,
) -> Result<(String, usize), v2::Status> {
    let topic = queue
        .and_then(|q| q.topic.as_ref())
        .map_or_else(String::new, |t| t.name.clone());
    let config = service.checked_topic(&topic)?;
    let id = queue.map_or(-1, |q| q.id);
    match usize::try_from(id) {
        Ok(index) if index < config.queues as usize => Ok((topic, index)),
        _ => Err(status(
            Code::BadRequest,
            format!("topic {topic} has no queue {id}"),
        )),
    }
}

pub(crate) async fn pull(
    service: &Service,
    request: Request<PullMessageRequest>,
) -> GrpcResult<crate::service::BoxStream<PullMessageResponse>> {
    let (metadata, _, request) = request.into_parts();
    let store_host = service.core.store_host.lock().clone();
    let result = async {
        service.admit_rpc(Rpc::PullMessage, &metadata).await?;
        let group = request.group.as_ref().map_or("", |g| g.name.as_str());
        service.checked_group(group)?;
        let (topic, queue) = queue_of(service, request.message_queue.as_ref())?;
        let filter =
            Filter::compile(request.filter_expression.as_ref()).map_err(v2::Status::from)?;
        // The pull family has no Apache reference; a batch of no messages is a client bug,
        // refused rather than read as one.
        if request.batch_size < 1 {
            return Err(status(
                Code::BadRequest,
                format!("batch size {} must be at least 1", request.batch_size),
            ));
        }
        let max = usize::try_from(request.batch_size.min(limits::MAX_RECEIVE_BATCH)).unwrap_or(1);
        let wait = request
            .long_polling_timeout
            .and_then(|d| convert::millis(d.seconds, d.nanos))
            .and_then(|ms| u64::try_from(ms).ok())
            .map_or(Duration::ZERO, Duration::from_millis)
            .min(limits::MAX_LONG_POLLING);
        let core = service.core.clone();
        let offset = request.offset;
        let read = || core.inspect(|e| e.read(&topic, queue, offset, max, &filter));
        match read() {
            Err(corrected) => Ok((
                status(
                    Code::IllegalOffset,
                    format!("offset {offset} is out of range"),
                ),
                Vec::new(),
                corrected,
            )),
            Ok((found, next)) if !found.is_empty() || wait.is_zero() => Ok((ok(), found, next)),
            Ok(_) => {
                let polled = service
                    .wait_for(wait, || match read() {
                        Ok((found, next)) if !found.is_empty() => Some((found, next)),
                        _ => None,
                    })
                    .await;
                Ok(match polled {
                    Some((found, next)) => (ok(), found, next),
                    None => (
                        status(Code::MessageNotFound, "no new message"),
                        Vec::new(),
                        offset,
                    ),
                })
            }
        }
    }
    .await;
    let mut out = Vec::new();
    match result {
        Ok((st, found, next)) => {
            let empty = found.is_empty() && st.code == Code::Ok as i32;
            out.push(pull_message_response::Content::Status(if empty {
                status(Code::MessageNotFound, "no new message")
            } else {
                st
            }));
            let ns = request
                .message_queue
                .as_ref()
                .and_then(|q| q.topic.as_ref())
                .map_or_else(String::new, |t| t.resource_namespace.clone());
            for message in &found {
                out.push(pull_message_response::Content::Message(convert::message(
                    message,
                    &ns,
                    &store_host,
                )));
            }
            out.push(pull_message_response::Content::NextOffset(next));
        }
        Err(st) => out.push(pull_message_response::Content::Status(st)),
    }
    let stream = tokio_stream::iter(
        out.into_iter()
            .map(|c| Ok(PullMessageResponse { content: Some(c) })),
    );
    Ok(Response::new(Box::pin(stream)))
}

pub(crate) async fn update_offset(
    service: &Service,
    request: Request<UpdateOffsetRequest>,
) -> GrpcResult<UpdateOffsetResponse> {
    let (metadata, _, request) = request.into_parts();
    let result = async {
        service.admit_rpc(Rpc::UpdateOffset, &metadata).await?;
        let group = request.group.as_ref().map_or("", |g| g.name.as_str());
        service.checked_group(group)?;
        let (topic, queue) = queue_of(service, request.message_queue.as_ref())?;
        let end = service
            .core
            .inspect(|e| e.queue_end(&topic, queue))
            .unwrap_or(0);
        if !(0..=end).contains(&request.offset) {
            return Err(status(
                Code::IllegalOffset,
                format!("offset {} is outside [0, {end}]", request.offset),
            ));
        }
        let ((), flushed) = service.core.execute(crate::store::journal::PullOffset {
            group: group.to_owned(),
            topic: topic.clone(),
            queue: u32::try_from(queue).unwrap_or(0),
            offset: request.offset,
        });
        service.core.durable(flushed).await?;
        Ok(())
    }
    .await;
    Ok(Response::new(UpdateOffsetResponse {
        status: Some(result.map_or_else(|st| st, |()| ok())),
    }))
}

pub(crate) async fn get_offset(
    service: &Service,
    request: Request<GetOffsetRequest>,
) -> GrpcResult<GetOffsetResponse> {
    let (metadata, _, request) = request.into_parts();
    let result = async {
        service.admit_rpc(Rpc::GetOffset, &metadata).await?;
        let group = request.group.as_ref().map_or("", |g| g.name.as_str());
        service.checked_group(group)?;
        let (topic, queue) = queue_of(service, request.message_queue.as_ref())?;
        service
            .core
            .inspect(|e| e.pull_offset(group, &topic, queue))
            .ok_or_else(|| {
                status(
                    Code::OffsetNotFound,
                    "the group has not committed an offset",
                )
            })
    }
    .await;
    Ok(Response::new(match result {
        Ok(offset) => GetOffsetResponse {
            status: Some(ok()),
            offset,
        },
        Err(st) => GetOffsetResponse {
            status: Some(st),
            offset: 0,
        },
    }))
}

pub(crate) async fn query_offset(
    service: &Service,
    request: Request<QueryOffsetRequest>,
) -> GrpcResult<QueryOffsetResponse> {
    let (metadata, _, request) = request.into_parts();
    let result = async {
        service.admit_rpc(Rpc::QueryOffset, &metadata).await?;
        let (topic, queue) = queue_of(service, request.message_queue.as_ref())?;
        let policy = QueryOffsetPolicy::try_from(request.query_offset_policy).map_err(|_| {
            status(
                Code::BadRequest,
                texts::unsupported_offset_policy("UNRECOGNIZED"),
            )
        })?;
        let offset = match policy {
            QueryOffsetPolicy::Beginning => service.core.inspect(|e| e.queue_start(&topic, queue)),
            QueryOffsetPolicy::End => service.core.inspect(|e| e.queue_end(&topic, queue)),
            QueryOffsetPolicy::Timestamp => {
                let ts = request
                    .timestamp
                    .ok_or_else(|| status(Code::BadRequest, texts::OFFSET_TIMESTAMP_REQUIRED))?;
                let at = convert::millis(ts.seconds, ts.nanos)
                    .ok_or_else(|| status(Code::BadRequest, "timestamp out of range"))?;
                service.core.inspect(|e| e.offset_at(&topic, queue, at))
            }
        };
        Ok(offset.unwrap_or(0))
    }
    .await;
    Ok(Response::new(match result {
        Ok(offset) => QueryOffsetResponse {
            status: Some(ok()),
            offset,
        },
        Err(st) => QueryOffsetResponse {
            status: Some(st),
            offset: 0,
        },
    }))
}
