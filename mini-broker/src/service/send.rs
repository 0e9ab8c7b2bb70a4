//! SendMessage (a message's checks and classification, then placement) and RecallMessage.

use super::*;
use crate::clock::Millis;
use crate::convert;
use crate::store::StoredMessage;
use crate::store::journal::{self, Flushed};
use crate::validate::{self, Checked, Reject, texts};
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc, limits};
use tonic::Request;

/// A message's type, read from its properties in the proxy's order.
fn kind_of(sys: &SystemProperties) -> MessageType {
    if sys.message_type == MessageType::Transaction as i32 {
        MessageType::Transaction
    } else if sys.delivery_timestamp.is_some() {
        MessageType::Delay
    } else if sys.message_group.is_some() {
        MessageType::Fifo
    } else if sys.priority.is_some() {
        MessageType::Priority
    } else if sys.lite_topic.is_some() {
        MessageType::Lite
    } else {
        MessageType::Normal
    }
}

impl Service {
    pub(crate) fn build_message(
        &self,
        message: &v2::Message,
        topic: &crate::metadata::TopicConfig,
        now: Millis,
        peer: &str,
    ) -> Checked<(StoredMessage, bool)> {
        let sys = message.system_properties.clone().unwrap_or_default();
        if sys.message_id.trim().is_empty() {
            return Err(Reject::new(Code::IllegalMessageId, texts::MESSAGE_ID_EMPTY));
        }
        if let Some(tag) = &sys.tag {
            validate::tag(tag)?;
        }
        for key in &sys.keys {
            validate::key(key)?;
        }
        if let Some(group) = &sys.message_group {
            validate::message_group(group)?;
        }
        if let Some(lite) = &sys.lite_topic {
            validate::lite_topic(lite)?;
        }
        validate::user_properties(
            message.user_properties.iter(),
            sys.tag.as_deref(),
            &sys.keys,
        )?;
        if message.body.is_empty() {
            return Err(Reject::new(
                Code::MessageBodyEmpty,
                "message body cannot be empty",
            ));
        }
        if message.body.len() > self.core.limits.max_body_size {
            return Err(Reject::new(
                Code::MessageBodyTooLarge,
                texts::body_too_large(self.core.limits.max_body_size),
            ));
        }
        let delivery = match &sys.delivery_timestamp {
            Some(ts) => Some(convert::millis(ts.seconds, ts.nanos).ok_or_else(|| {
                Reject::new(Code::IllegalDeliveryTime, "delivery timestamp out of range")
            })?),
            None => None,
        };
        if let Some(at) = delivery {
            let max = i64::try_from(limits::MAX_DELAY.as_millis()).unwrap_or(i64::MAX);
            if at - now > max {
                return Err(Reject::new(
                    Code::IllegalDeliveryTime,
                    texts::delay_too_large(max),
                ));
            }
        }
        if let Some(d) = &sys.orphaned_transaction_recovery_duration {
            let ms = convert::millis(d.seconds, d.nanos).unwrap_or(i64::MAX);
            let max = i64::try_from(limits::MAX_TRANSACTION_RECOVERY.as_millis()).unwrap_or(0);
            if ms > max {
                return Err(Reject::new(
                    Code::BadRequest,
                    texts::recovery_too_large(limits::MAX_TRANSACTION_RECOVERY.as_secs()),
                ));
            }
        }
        // The proxy copies a priority into the message while converting it, and a negative
        // one makes that throw: INTERNAL_SERVER_ERROR, whatever the topic.
        if sys.priority.is_some_and(|p| p < 0) {
            return Err(Reject::new(
                Code::InternalServerError,
                texts::NEGATIVE_PRIORITY,
            ));
        }
        let kind = kind_of(&sys);
        let half = kind == MessageType::Transaction;
        let checked = topic.name.starts_with(rmq_proto::names::DLQ_TOPIC_PREFIX)
            || topic.name.starts_with(rmq_proto::names::RETRY_TOPIC_PREFIX);
        if !checked && !topic.topic_type.accepts(kind) {
            return Err(Reject::new(
                Code::MessagePropertyConflictWithType,
                texts::type_conflict(Some(topic.topic_type), kind.as_str_name()),
            ));
        }
        let born = sys
            .born_timestamp
            .and_then(|t| convert::millis(t.seconds, t.nanos))
            .unwrap_or(now);
        Ok((
            StoredMessage {
                topic: topic.name.clone(),
                queue_id: 0,
                offset: 0,
                message_id: sys.message_id.clone(),
                tag: sys.tag.clone(),
                keys: sys.keys.clone(),
                message_group: sys.message_group.clone(),
                user_properties: message
                    .user_properties
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                // The request's body is a view into the connection's receive buffer: kept as
                // is, an 8-byte body would pin kilobytes for as long as the message is stored.
                body: bytes::Bytes::copy_from_slice(&message.body),
                body_encoding: sys.body_encoding,
                message_type: kind,
                born_timestamp: born,
                born_host: if sys.born_host.is_empty() {
                    peer.to_owned()
                } else {
                    sys.born_host.clone()
                },
                store_timestamp: now,
                delivery_timestamp: delivery,
                trace_context: sys.trace_context.clone(),
                // As the Apache broker: a message whose type is not PRIORITY (it also has a
                // group, a delay or a transaction) loses its priority.
                priority: sys.priority.filter(|_| kind == MessageType::Priority),
                dead_letter: None,
                transaction_id: None,
                // Kept only on a lite message; another type (a group, a delay, a priority or
                // a transaction comes first) is stored in its topic alone.
                lite_topic: sys.lite_topic.clone().filter(|_| kind == MessageType::Lite),
            },
            half,
        ))
    }

    pub(crate) fn send(
        &self,
        request: &SendMessageRequest,
        peer: &str,
    ) -> (SendMessageResponse, Flushed) {
        let fail_all = |reject: Reject| {
            let st: v2::Status = reject.into();
            SendMessageResponse {
                status: Some(st.clone()),
                entries: request
                    .messages
                    .iter()
                    .map(|m| SendResultEntry {
                        status: Some(st.clone()),
                        message_id: m
                            .system_properties
                            .as_ref()
                            .map_or_else(String::new, |s| s.message_id.clone()),
                        ..Default::default()
                    })
                    .collect(),
            }
        };
        let Some(first) = request.messages.first() else {
            return (
                fail_all(Reject::new(Code::MessageCorrupted, "no message to send")),
                Flushed::default(),
            );
        };
        let topic_name = resource_name(first.topic.as_ref());
        if request
            .messages
            .iter()
            .any(|m| resource_name(m.topic.as_ref()) != topic_name)
        {
            return (
                fail_all(Reject::new(Code::MessageCorrupted, texts::TOPICS_DIFFER)),
                Flushed::default(),
            );
        }
        let topic = match self.topic(topic_name) {
            Ok(t) => t,
            // The Apache proxy checks the message type against the topic's before the topic
            // is looked up, and an unknown topic has no type: so a send to a missing topic
            // fails the type check, not with TOPIC_NOT_FOUND (QueryRoute does say that).
            Err(e) if e.code == Code::TopicNotFound => {
                let kind = kind_of(&first.system_properties.clone().unwrap_or_default());
                let conflict = Reject::new(
                    Code::MessagePropertyConflictWithType,
                    texts::type_conflict(None, kind.as_str_name()),
                );
                return (fail_all(conflict), Flushed::default());
            }
            Err(e) => return (fail_all(e), Flushed::default()),
        };
        let now = self.core.now();
        let mut built = Vec::with_capacity(request.messages.len());
        for message in &request.messages {
            match self.build_message(message, &topic, now, peer) {
                Ok(b) => built.push(b),
                Err(e) => return (fail_all(e), Flushed::default()),
            }
        }
        if let Err(e) = self.lite_quota(built.iter().map(|(m, _)| m)) {
            return (fail_all(e), Flushed::default());
        }
        let single = built.len() == 1;
        let commands = built
            .into_iter()
            .map(|(message, half)| {
                let group = if single {
                    message.message_group.as_deref()
                } else {
                    None
                };
                let queue = match (message.priority, &message.lite_topic) {
                    // As the Apache 5.4+ broker: priority p goes to queue min(p, queues - 1),
                    // whatever queue the client asked for.
                    (Some(p), _) => usize::try_from(p)
                        .unwrap_or(0)
                        .min(topic.queues.max(1) as usize - 1),
                    // As the proxy: a lite topic is its messages' sharding key.
                    (None, Some(lite)) => self.core.choose_queue(topic.queues, Some(lite)),
                    (None, None) => self.core.choose_queue(topic.queues, group),
                };
                journal::Place {
                    queue: u32::try_from(queue).unwrap_or(0),
                    half,
                    message: Some(Box::new(message.into())),
                }
            })
            .collect::<Vec<_>>();
        let ids: Vec<String> = commands
            .iter()
            .filter_map(|c| c.message.as_ref().map(|m| m.message_id.clone()))
            .collect();
        let (placed, flushed) = self.core.execute_all(commands);
        let entries: Vec<SendResultEntry> = placed
            .into_iter()
            .zip(ids)
            .map(|(placed, message_id)| SendResultEntry {
                status: Some(ok()),
                message_id,
                transaction_id: placed.transaction_id,
                offset: placed.offset,
                recall_handle: placed.recall_handle,
            })
            .collect();
        self.core.notify_visible();
        let statuses: Vec<&v2::Status> = entries.iter().filter_map(|e| e.status.as_ref()).collect();
        (
            SendMessageResponse {
                status: Some(combined(&statuses, texts::SEND_EMPTY)),
                entries,
            },
            flushed,
        )
    }

    pub(crate) async fn serve_send_message(
        &self,
        request: Request<SendMessageRequest>,
    ) -> GrpcResult<SendMessageResponse> {
        let rpc = Rpc::SendMessage;
        let remote = request.remote_addr();
        let (metadata, _, request) = request.into_parts();
        if let Err(st) = self.admit(rpc, &metadata).await {
            return self.reply(
                rpc,
                SendMessageResponse {
                    entries: request
                        .messages
                        .iter()
                        .map(|_| SendResultEntry {
                            status: Some(st.clone()),
                            ..Default::default()
                        })
                        .collect(),
                    status: Some(st),
                },
            );
        }
        let (mut response, flushed) = self.send(&request, &peer(&metadata, remote));
        if let Err(st) = self.core.durable(flushed).await {
            for entry in &mut response.entries {
                entry.status = Some(st.clone());
            }
            response.status = Some(st);
        }
        self.reply(rpc, response)
    }

    pub(crate) async fn serve_recall_message(
        &self,
        request: Request<RecallMessageRequest>,
    ) -> GrpcResult<RecallMessageResponse> {
        let rpc = Rpc::RecallMessage;
        let (metadata, _, request) = request.into_parts();
        let result = async {
            self.admit(rpc, &metadata).await?;
            let name = resource_name(request.topic.as_ref());
            let topic = self.topic(name)?;
            if !topic.topic_type.accepts(MessageType::Delay) {
                return Err(status(
                    Code::MessagePropertyConflictWithType,
                    texts::type_conflict(Some(topic.topic_type), MessageType::Delay.as_str_name()),
                ));
            }
            let recall = crate::recall::decode(&request.recall_handle)
                .ok_or_else(|| status(Code::InternalServerError, texts::RECALL_HANDLE_INVALID))?;
            // The broker's checks, in its order; their codes are not among those the proxy
            // maps, so both reach the client as INTERNAL_SERVER_ERROR.
            if recall.topic != name {
                return Err(status(
                    Code::InternalServerError,
                    texts::RECALL_TOPIC_MISMATCH,
                ));
            }
            if recall.broker != self.core.inspect(|e| e.config.broker_name.clone()) {
                return Err(status(
                    Code::InternalServerError,
                    texts::RECALL_OTHER_BROKER,
                ));
            }
            let (result, flushed) = self.core.execute(journal::Recall {
                topic: name.to_owned(),
                message_id: recall.message_id,
            });
            self.core.durable(flushed).await?;
            result.ok_or_else(|| status(Code::InternalServerError, texts::RECALL_TOO_LATE))
        }
        .await;
        let response = match result {
            Ok(id) => RecallMessageResponse {
                status: Some(ok()),
                message_id: id,
            },
            Err(st) => RecallMessageResponse {
                status: Some(st),
                message_id: String::new(),
            },
        };
        self.reply(rpc, response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{TopicConfig, TopicType};

    #[tokio::test]
    async fn a_stored_body_does_not_pin_the_request_buffer() {
        let broker = crate::MiniBroker::builder()
            .topic(TopicConfig::new("t", TopicType::Normal))
            .start()
            .await
            .expect("broker");
        let service = Service {
            core: broker.core.clone(),
        };
        let received = bytes::Bytes::from(vec![7u8; 8192]);
        let message = v2::Message {
            body: received.slice(100..108),
            system_properties: Some(SystemProperties {
                message_id: "m".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let topic = TopicConfig::new("t", TopicType::Normal);
        let (stored, _) = service
            .build_message(&message, &topic, 0, "peer")
            .map_err(|_| "rejected")
            .expect("a valid message");
        assert_eq!(stored.body, received.slice(100..108));
        let buffer = received.as_ptr_range();
        assert!(
            !buffer.contains(&stored.body.as_ptr()),
            "the stored body is a view into the request's buffer"
        );
    }
}
