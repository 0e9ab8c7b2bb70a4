//! One ReceiveMessage call, shared by the simple and push consumers: exactly one status,
//! the messages, a delivery timestamp; MESSAGE_NOT_FOUND means an empty poll, not an error.

use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::message_view::MessageView;
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::v2::{ReceiveMessageRequest, receive_message_response};
use std::time::Duration;
use tokio_stream::StreamExt;

const OP: &str = "receive";

/// Receives from `endpoint` with a gRPC deadline of `deadline`.
pub(crate) async fn receive(
    transport: &Transport,
    endpoint: &Endpoint,
    request: ReceiveMessageRequest,
    deadline: Duration,
) -> Result<Vec<MessageView>> {
    let mut stream = transport
        .stub(endpoint)?
        .receive_message(transport.request(request, Some(deadline)))
        .await
        .map_err(|s| Error::from_grpc(OP, s))?
        .into_inner();
    let mut status = None;
    let mut messages = Vec::new();
    while let Some(item) = stream.next().await {
        match item.map_err(|s| Error::from_grpc(OP, s))?.content {
            Some(receive_message_response::Content::Status(s)) => status = Some(s),
            Some(receive_message_response::Content::Message(m)) => {
                messages.push(MessageView::from_proto(m, endpoint));
            }
            _ => {}
        }
    }
    let status = status
        .ok_or_else(|| Error::new(ErrorKind::InternalServer, OP, "the server sent no status"))?;
    match Code::try_from(status.code) {
        Ok(Code::Ok) => Ok(messages),
        Ok(Code::MessageNotFound) => Ok(Vec::new()),
        _ => Err(Error::from_status(OP, status.code, status.message)),
    }
}
