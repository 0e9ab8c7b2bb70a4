//! What a consumer does with a received message: AckMessage, ChangeInvisibleDuration and
//! ForwardMessageToDeadLetterQueue.

use super::*;
use crate::convert;
use crate::receipt::ReceiptHandle;
use crate::store::journal::{self, Flushed};
use crate::validate::{self, texts};
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc};
use tonic::Request;

/// Where a received message is settled: its topic, or for a lite message (which names its
/// lite topic, as Apache needs it to find the message) its lite queue.
pub(super) fn settled_in(topic: &str, lite_topic: Option<&str>) -> String {
    match lite_topic {
        Some(lite) => crate::engine::lite_queue(topic, lite),
        None => topic.to_owned(),
    }
}

impl Service {
    pub(crate) async fn serve_ack_message(
        &self,
        request: Request<AckMessageRequest>,
    ) -> GrpcResult<AckMessageResponse> {
        let rpc = Rpc::AckMessage;
        let (metadata, _, request) = request.into_parts();
        let checked = match self.admit(rpc, &metadata).await {
            Ok(_) => self
                .topic(resource_name(request.topic.as_ref()))
                .and_then(|_| self.group(resource_name(request.group.as_ref())))
                .map_err(v2::Status::from),
            Err(st) => Err(st),
        };
        if let Err(st) = checked {
            return self.reply(
                rpc,
                AckMessageResponse {
                    status: Some(st),
                    entries: vec![],
                },
            );
        }
        let topic = resource_name(request.topic.as_ref());
        let group = resource_name(request.group.as_ref());
        let mut last_flushed = Flushed::default();
        let mut entries: Vec<AckMessageResultEntry> = request
            .entries
            .iter()
            .map(|entry| {
                let result = match ReceiptHandle::decode(&entry.receipt_handle) {
                    None => status(Code::InternalServerError, texts::HANDLE_MALFORMED),
                    Some(_) => {
                        let (result, flushed) = self.core.execute(journal::Ack {
                            group: group.to_owned(),
                            topic: settled_in(topic, entry.lite_topic.as_deref()),
                            handle: entry.receipt_handle.clone(),
                        });
                        last_flushed = std::mem::take(&mut last_flushed).then(flushed);
                        match result {
                            Ok(()) => ok(),
                            Err(e) => e.into(),
                        }
                    }
                };
                AckMessageResultEntry {
                    message_id: entry.message_id.clone(),
                    receipt_handle: entry.receipt_handle.clone(),
                    status: Some(result),
                }
            })
            .collect();
        if let Err(st) = self.core.durable(last_flushed).await {
            // The journal stops for good on a failure, so no acknowledgement in this request
            // is on disk.
            for entry in &mut entries {
                if entry
                    .status
                    .as_ref()
                    .is_some_and(|s| s.code == Code::Ok as i32)
                {
                    entry.status = Some(st.clone());
                }
            }
        }
        self.core.notify_visible();
        let statuses: Vec<&v2::Status> = entries.iter().filter_map(|e| e.status.as_ref()).collect();
        let top = combined(&statuses, texts::ACK_EMPTY);
        self.reply(
            rpc,
            AckMessageResponse {
                status: Some(top),
                entries,
            },
        )
    }

    pub(crate) async fn serve_change_invisible_duration(
        &self,
        request: Request<ChangeInvisibleDurationRequest>,
    ) -> GrpcResult<ChangeInvisibleDurationResponse> {
        let rpc = Rpc::ChangeInvisibleDuration;
        let (metadata, _, request) = request.into_parts();
        let result = async {
            self.admit(rpc, &metadata).await?;
            let topic = resource_name(request.topic.as_ref());
            let group = resource_name(request.group.as_ref());
            self.topic(topic)?;
            self.group(group)?;
            let d = request.invisible_duration.unwrap_or_default();
            let ms = convert::millis(d.seconds, d.nanos).unwrap_or(-1);
            validate::invisible_time(ms, 0)?;
            if ReceiptHandle::decode(&request.receipt_handle).is_none() {
                return Err(status(Code::InternalServerError, texts::HANDLE_MALFORMED));
            }
            let (result, flushed) = self.core.execute(journal::ChangeInvisible {
                group: group.to_owned(),
                topic: settled_in(topic, request.lite_topic.as_deref()),
                handle: request.receipt_handle.clone(),
                invisible: ms,
            });
            self.core.durable(flushed).await?;
            result.map_err(v2::Status::from)
        }
        .await;
        let response = match result {
            Ok(handle) => ChangeInvisibleDurationResponse {
                status: Some(ok()),
                receipt_handle: handle.encode(),
            },
            Err(st) => ChangeInvisibleDurationResponse {
                status: Some(st),
                receipt_handle: String::new(),
            },
        };
        self.reply(rpc, response)
    }

    pub(crate) async fn serve_forward_message_to_dead_letter_queue(
        &self,
        request: Request<ForwardMessageToDeadLetterQueueRequest>,
    ) -> GrpcResult<ForwardMessageToDeadLetterQueueResponse> {
        let rpc = Rpc::ForwardMessageToDeadLetterQueue;
        let (metadata, _, request) = request.into_parts();
        let result = async {
            self.admit(rpc, &metadata).await?;
            let topic = resource_name(request.topic.as_ref());
            let group = resource_name(request.group.as_ref());
            self.topic(topic)?;
            self.group(group)?;
            let (result, flushed) = self.core.execute(journal::ForwardToDlq {
                group: group.to_owned(),
                topic: settled_in(topic, request.lite_topic.as_deref()),
                handle: request.receipt_handle.clone(),
            });
            self.core.durable(flushed).await?;
            result.map_err(v2::Status::from)
        }
        .await;
        self.core.notify_visible();
        let st = result.map_or_else(|st| st, |()| status(Code::Ok, texts::DLQ_OK));
        self.reply(
            rpc,
            ForwardMessageToDeadLetterQueueResponse { status: Some(st) },
        )
    }
}
