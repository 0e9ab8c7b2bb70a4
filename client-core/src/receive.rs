//! One ReceiveMessage call, shared by the simple and push consumers: exactly one status,
//! the messages, a delivery timestamp; MESSAGE_NOT_FOUND means an empty poll, not an error.

use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::message_view::MessageView;
use crate::metrics::ConsumerMetrics;
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::v2::{ReceiveMessageRequest, receive_message_response};
use std::time::{Duration, SystemTime};
use tokio_stream::StreamExt;

const OP: &str = "receive";

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
    let mut stream = transport
        .stub(endpoint)?
        .receive_message(transport.request(request, Some(deadline)))
        .await
        .map_err(|s| Error::from_grpc(OP, s))?
        .into_inner();
    let mut status = None;
    let mut delivered = None;
    let mut messages = Vec::new();
    while let Some(item) = stream.next().await {
        match item.map_err(|s| Error::from_grpc(OP, s))?.content {
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
    let status = status
        .ok_or_else(|| Error::new(ErrorKind::InternalServer, OP, "the server sent no status"))?;
    if let (Some(metrics), Some(delivered)) = (metrics, delivered)
        && !messages.is_empty()
    {
        metrics.received(&topic, delivered, messages.len());
    }
    match Code::try_from(status.code) {
        Ok(Code::Ok) => Ok(messages),
        Ok(Code::MessageNotFound) => Ok(Vec::new()),
        _ => Err(Error::from_status(OP, status.code, status.message)),
    }
}
