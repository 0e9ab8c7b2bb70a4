//! Answers to the server's verify-message commands.

use super::ConsumeResult;
use super::consume::{ListenerSlot, consume_on_pool};
use crate::config::Endpoint;
use crate::message::MessageView;
use crate::session::{CommandHandler, Replies};
use rmq_proto::Code;
use rmq_proto::v2::{Status, TelemetryCommand, VerifyMessageResult, telemetry_command};
use std::sync::Arc;

/// Answers the server's request to verify a message (an administrator's "consume this
/// message directly"): the listener consumes it and the outcome goes back on the stream, as
/// the reference client does.
pub(super) fn verifier(listener: Arc<ListenerSlot>) -> CommandHandler {
    Arc::new(
        move |endpoint: &Endpoint, command: &TelemetryCommand, replies: &Replies| {
            let Some(telemetry_command::Command::VerifyMessageCommand(verify)) = &command.command
            else {
                return false;
            };
            let listener = listener.clone();
            let replies = replies.clone();
            let nonce = verify.nonce.clone();
            let view = verify
                .message
                .clone()
                .map(|m| Arc::new(MessageView::from_proto(m, endpoint)));
            tokio::spawn(async move {
                let status = match view {
                    None => Status {
                        code: Code::BadRequest as i32,
                        message: "the verify command carries no message".into(),
                    },
                    Some(view) => match consume_on_pool(&listener, &view).await {
                        ConsumeResult::Success => Status {
                            code: Code::Ok as i32,
                            message: "OK".into(),
                        },
                        ConsumeResult::Failure => Status {
                            code: Code::FailedToConsumeMessage as i32,
                            message: "the listener did not consume the message".into(),
                        },
                    },
                };
                let reply = TelemetryCommand {
                    status: Some(status),
                    command: Some(telemetry_command::Command::VerifyMessageResult(
                        VerifyMessageResult { nonce },
                    )),
                };
                let _ = replies.send(reply).await;
            });
            true
        },
    )
}
