//! One ReceiveMessage call, shared by the simple and push consumers: exactly one status,
//! the messages, a delivery timestamp; MESSAGE_NOT_FOUND means an empty poll, not an error.

use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::message::MessageView;
use crate::metrics::ConsumerMetrics;
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::limits::MIN_LONG_POLLING;
use rmq_proto::v2::{ReceiveMessageRequest, receive_message_response};
use std::time::{Duration, SystemTime};
use tokio_stream::StreamExt;

const OP: &str = "receive";

/// The gRPC deadline of a receive that asks to long-poll for `await_duration`. Servers hold a
/// poll for at least their minimum (Apache's `grpcClientConsumerMinLongPollingTimeoutMillis`,
/// 5 s) whatever is asked, and refuse a deadline that cannot cover it, so the deadline covers
/// the longer of the two plus the request timeout.
pub(crate) fn deadline(await_duration: Duration, request_timeout: Duration) -> Duration {
    await_duration.max(MIN_LONG_POLLING) + request_timeout
}

/// Receives from `endpoint` with a gRPC deadline of `deadline`.
pub(crate) async fn receive(
    transport: &Transport,
    endpoint: &Endpoint,
    request: ReceiveMessageRequest,
    deadline: Duration,
    metrics: Option<&ConsumerMetrics>,
) -> Result<Vec<MessageView>> {
    let topic = request
        .message_queue
        .as_ref()
        .and_then(|q| q.topic.as_ref())
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let context = |e: Error| e.with_topic(&topic).with_endpoint(endpoint);
    let mut stream = transport
        .call(
            OP,
            endpoint,
            request,
            Some(deadline),
            |mut stub, r| async move { stub.receive_message(r).await },
        )
        .await
        .map_err(context)?;
    let mut status: Option<rmq_proto::v2::Status> = None;
    let mut delivered = None;
    let mut messages = Vec::new();
    while let Some(item) = stream.next().await {
        let item = match item {
            Ok(item) => item,
            // Messages already read are leased to this client: dropping them would leave
            // them invisible until their lease ends (or, auto-renewed, until the client
            // goes). They are consumed; the broken stream shows in the log.
            Err(broken)
                if !messages.is_empty()
                    && status.as_ref().is_some_and(|s| s.code == Code::Ok as i32) =>
            {
                tracing::warn!(
                    %endpoint, error = %broken, messages = messages.len(),
                    "the receive stream broke after its messages; consuming them"
                );
                break;
            }
            Err(broken) => return Err(context(Error::from_grpc(OP, broken))),
        };
        match item.content {
            Some(receive_message_response::Content::Status(s)) => status = Some(s),
            Some(receive_message_response::Content::Message(m)) => {
                messages.push(MessageView::from_proto(m, endpoint));
            }
            Some(receive_message_response::Content::DeliveryTimestamp(t)) => {
                delivered = SystemTime::try_from(t).ok();
            }
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
    if let (Some(metrics), Some(delivered)) = (metrics, delivered)
        && !messages.is_empty()
    {
        metrics.received(&topic, delivered, messages.len());
    }
    match Code::try_from(status.code) {
        Ok(Code::Ok) => Ok(messages),
        Ok(Code::MessageNotFound) => Ok(Vec::new()),
        _ => Err(context(polling_refusal(Error::from_status(
            OP,
            status.code,
            status.message,
        )))),
    }
}

/// A server that finds the deadline too short for its minimum long poll answers
/// ILLEGAL_POLLING_TIME, or BAD_REQUEST to client versions it compares below "5.0.3" as
/// strings (Apache does, and ours is "0.1.0"): both become one ILLEGAL_POLLING_TIME error.
fn polling_refusal(error: Error) -> Error {
    let refused = match Code::try_from(error.code().unwrap_or_default()) {
        Ok(Code::IllegalPollingTime) => true,
        Ok(Code::BadRequest) => error.message().to_ascii_lowercase().contains("polling"),
        _ => false,
    };
    if !refused {
        return error;
    }
    Error::from_status(
        OP,
        Code::IllegalPollingTime as i32,
        format!(
            "the server's minimum long-polling time does not fit the request deadline ({})",
            error.message()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_awaits_still_cover_the_servers_minimum_poll() {
        let timeout = Duration::from_secs(3);
        assert_eq!(
            deadline(Duration::from_secs(1), timeout),
            Duration::from_secs(8)
        );
        assert_eq!(deadline(Duration::ZERO, timeout), Duration::from_secs(8));
        assert_eq!(
            deadline(Duration::from_secs(30), timeout),
            Duration::from_secs(33)
        );
    }

    #[test]
    fn both_refusal_codes_are_one_condition() {
        let apache_old = Error::from_status(
            OP,
            Code::BadRequest as i32,
            "The deadline time remaining is not enough for polling, please check network condition",
        );
        let apache_new = Error::from_status(OP, Code::IllegalPollingTime as i32, "too short");
        for error in [apache_old, apache_new] {
            let mapped = polling_refusal(error);
            assert_eq!(mapped.code(), Some(Code::IllegalPollingTime as i32));
            assert_eq!(mapped.kind(), ErrorKind::BadRequest);
        }
        let other = polling_refusal(Error::from_status(
            OP,
            Code::BadRequest as i32,
            "bad filter",
        ));
        assert_eq!(other.code(), Some(Code::BadRequest as i32));
    }
}
