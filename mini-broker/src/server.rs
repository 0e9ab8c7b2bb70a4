//! The `apache.rocketmq.v2.MessagingService` implementation: header and request validation,
//! business codes in response `Status` (gRPC OK), long polling, and Telemetry.

use crate::clock::Millis;
use crate::convert;
use crate::core::Core;
use crate::engine::{Delivery, PopRequest};
use crate::filter::Filter;
use crate::metadata::RetryPolicy;
use crate::receipt::ReceiptHandle;
use crate::store::StoredMessage;
use crate::store::journal::{self, Flushed, Op};
use crate::validate::{self, Checked, Reject};
use rmq_proto::v2::messaging_service_server::MessagingService;
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc, headers, limits};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Streaming};

type GrpcResult<T> = Result<Response<T>, tonic::Status>;
pub(crate) type BoxStream<T> =
    Pin<Box<dyn Stream<Item = Result<T, tonic::Status>> + Send + 'static>>;

/// The tonic service; cheap to clone.
#[derive(Clone)]
pub(crate) struct Service {
    pub(crate) core: Arc<Core>,
}

fn status(code: Code, message: impl Into<String>) -> v2::Status {
    v2::Status {
        code: code as i32,
        message: message.into(),
    }
}

fn ok() -> v2::Status {
    status(Code::Ok, "OK")
}

impl From<Reject> for v2::Status {
    fn from(r: Reject) -> Self {
        status(r.code, r.message)
    }
}

/// The journal entry of a receipt-handle operation, when one is to be recorded.
fn journal_handle(
    record: bool,
    wrap: fn(journal::HandleOp) -> Op,
    group: &str,
    topic: &str,
    handle: &str,
    invisible: i64,
) -> Vec<Op> {
    if !record {
        return Vec::new();
    }
    vec![wrap(journal::HandleOp {
        group: group.to_owned(),
        topic: topic.to_owned(),
        handle: handle.to_owned(),
        invisible,
    })]
}

/// The common code of several results, or MULTIPLE_RESULTS when they differ.
fn combined(statuses: &[&v2::Status]) -> v2::Status {
    match statuses.first() {
        None => status(Code::InternalServerError, "no entries"),
        Some(first) if statuses.iter().all(|s| s.code == first.code) => (*first).clone(),
        Some(_) => status(Code::MultipleResults, "multiple results"),
    }
}

fn client_id(metadata: &MetadataMap) -> Option<String> {
    metadata
        .get(headers::CLIENT_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Time left before the caller's gRPC deadline, from the `grpc-timeout` header.
fn deadline_remaining(metadata: &MetadataMap) -> Option<Duration> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

fn resource_name(resource: Option<&Resource>) -> &str {
    resource.map_or("", |r| r.name.as_str())
}

fn namespace(resource: Option<&Resource>) -> String {
    resource.map_or_else(String::new, |r| r.resource_namespace.clone())
}

impl Service {
    /// Header checks, authentication and injected faults shared by every unary RPC.
    async fn admit(&self, rpc: Rpc, metadata: &MetadataMap) -> Result<String, v2::Status> {
        if let Some(latency) = self.core.faults.admit(rpc) {
            tokio::time::sleep(latency).await;
        }
        let Some(client) = client_id(metadata) else {
            return Err(status(
                Code::ClientIdRequired,
                "x-mq-client-id header is required",
            ));
        };
        if let Some(credentials) = &self.core.credentials {
            credentials
                .verify(metadata)
                .map_err(|reason| status(Code::Unauthorized, reason))?;
        }
        if let Some((code, message)) = self.core.faults.failure(rpc) {
            return Err(status(code, message));
        }
        Ok(client)
    }

    /// Turns a computed response into the reply, or loses it when a drop fault is armed.
    fn reply<T>(&self, rpc: Rpc, body: T) -> GrpcResult<T> {
        if self.core.faults.take_drop(rpc) {
            return Err(tonic::Status::unavailable(format!(
                "{rpc} response dropped by fault injection"
            )));
        }
        Ok(Response::new(body))
    }

    fn topic(&self, name: &str) -> Checked<crate::metadata::TopicConfig> {
        validate::topic(name)?;
        self.core
            .mutate(|engine, _, journaling| {
                let (found, created) = engine.ensure_topic(name);
                let ops = match &found {
                    Ok(topic) if journaling && created => vec![Op::DeclareTopic(topic.into())],
                    _ => Vec::new(),
                };
                (found, ops)
            })
            .0
    }

    fn group(&self, name: &str) -> Checked<crate::metadata::GroupConfig> {
        validate::group(name)?;
        self.core
            .mutate(|engine, _, journaling| {
                let (found, created) = engine.ensure_group(name);
                let ops = match &found {
                    Ok(group) if journaling && created => vec![Op::DeclareGroup(group.into())],
                    _ => Vec::new(),
                };
                (found, ops)
            })
            .0
    }

    fn endpoints(&self, requested: Option<&Endpoints>) -> Endpoints {
        match requested {
            Some(e) if !e.addresses.is_empty() => e.clone(),
            _ => {
                let host = self.core.store_host.lock().clone();
                let (h, p) = host.rsplit_once(':').unwrap_or(("127.0.0.1", "8081"));
                Endpoints {
                    scheme: AddressScheme::IPv4 as i32,
                    addresses: vec![Address {
                        host: h.to_owned(),
                        port: p.parse().unwrap_or(i32::from(limits::DEFAULT_PORT)),
                    }],
                }
            }
        }
    }

    /// The brokers a route or an assignment lists: this one, at the endpoints the client came
    /// through; in a mini-cluster every broker at its own address, as Apache proxies in local
    /// mode answer.
    fn brokers(&self, requested: Option<&Endpoints>) -> Vec<Broker> {
        let peers = self.core.peers.read();
        if peers.is_empty() {
            return vec![Broker {
                name: self.core.with_engine(|e, _| e.config.broker_name.clone()),
                id: 0,
                endpoints: Some(self.endpoints(requested)),
            }];
        }
        peers
            .iter()
            .map(|peer| Broker {
                name: peer.name.clone(),
                id: 0,
                endpoints: Some(Endpoints {
                    scheme: if peer.addr.is_ipv4() {
                        AddressScheme::IPv4 as i32
                    } else {
                        AddressScheme::IPv6 as i32
                    },
                    addresses: vec![Address {
                        host: peer.addr.ip().to_string(),
                        port: i32::from(peer.addr.port()),
                    }],
                }),
            })
            .collect()
    }

    fn build_message(
        &self,
        message: &v2::Message,
        topic: &crate::metadata::TopicConfig,
        now: Millis,
        peer: &str,
    ) -> Checked<(StoredMessage, bool)> {
        let sys = message.system_properties.clone().unwrap_or_default();
        if sys.message_id.trim().is_empty() {
            return Err(Reject::new(
                Code::IllegalMessageId,
                "message id cannot be blank",
            ));
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
        if message.body.len() > self.core.max_body_size {
            return Err(Reject::new(
                Code::MessageBodyTooLarge,
                format!(
                    "message body of {} bytes exceeds the limit of {} bytes",
                    message.body.len(),
                    self.core.max_body_size
                ),
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
                    "delivery timestamp is more than 1 day ahead",
                ));
            }
        }
        if let Some(d) = &sys.orphaned_transaction_recovery_duration {
            let ms = convert::millis(d.seconds, d.nanos).unwrap_or(i64::MAX);
            let max = i64::try_from(limits::MAX_TRANSACTION_RECOVERY.as_millis()).unwrap_or(0);
            if ms > max {
                return Err(Reject::new(
                    Code::BadRequest,
                    "orphaned transaction recovery duration exceeds 1 hour",
                ));
            }
        }
        let half = sys.message_type == MessageType::Transaction as i32;
        // The type is read from the message's properties in the proxy's order.
        let kind = if half {
            MessageType::Transaction
        } else if delivery.is_some() {
            MessageType::Delay
        } else if sys.message_group.is_some() {
            MessageType::Fifo
        } else if sys.priority.is_some() {
            MessageType::Priority
        } else {
            MessageType::Normal
        };
        let checked = topic.name.starts_with(rmq_proto::names::DLQ_TOPIC_PREFIX)
            || topic.name.starts_with(rmq_proto::names::RETRY_TOPIC_PREFIX);
        if !checked && !topic.topic_type.accepts(kind) {
            return Err(Reject::new(
                Code::MessagePropertyConflictWithType,
                format!(
                    "{} message does not fit topic {} of type {:?}",
                    kind.as_str_name(),
                    topic.name,
                    topic.topic_type
                ),
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
                body: message.body.clone(),
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
                priority: sys.priority,
                dead_letter: None,
                transaction_id: None,
            },
            half,
        ))
    }

    fn send(&self, request: &SendMessageRequest, peer: &str) -> (SendMessageResponse, Flushed) {
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
                fail_all(Reject::new(
                    Code::MessageCorrupted,
                    "all messages of one request must share a topic",
                )),
                Flushed::default(),
            );
        }
        let topic = match self.topic(topic_name) {
            Ok(t) => t,
            // The Apache proxy checks the message type against the topic's before the topic
            // is looked up, and an unknown topic has no type: so a send to a missing topic
            // fails the type check, not with TOPIC_NOT_FOUND (QueryRoute does say that).
            Err(e) if e.code == Code::TopicNotFound => {
                let conflict = Reject::new(
                    Code::MessagePropertyConflictWithType,
                    format!("topic {topic_name} does not exist, so no message type matches it"),
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
        let single = built.len() == 1;
        let (entries, flushed) = self.core.mutate(|engine, now, journaling| {
            let mut ops = Vec::new();
            let entries = built
                .into_iter()
                .map(|(mut message, half)| {
                    let group = if single {
                        message.message_group.clone()
                    } else {
                        None
                    };
                    let queue = engine.choose_queue(topic.queues, group.as_deref());
                    let id = message.message_id.clone();
                    message.store_timestamp = now;
                    if journaling {
                        ops.push(Op::Place(journal::Place {
                            message: Some(Box::new((&message).into())),
                            queue: u32::try_from(queue).unwrap_or(0),
                            half,
                        }));
                    }
                    let placed = engine.place(message, queue, half, now);
                    SendResultEntry {
                        status: Some(ok()),
                        message_id: id,
                        transaction_id: placed.transaction_id,
                        offset: placed.offset,
                        recall_handle: placed.recall_handle,
                    }
                })
                .collect::<Vec<_>>();
            (entries, ops)
        });
        self.core.notify_visible();
        (
            SendMessageResponse {
                status: Some(ok()),
                entries,
            },
            flushed,
        )
    }

    fn consumer_settings(&self, settings: &Settings) -> Result<Settings, Reject> {
        let Some(settings::PubSub::Subscription(sub)) = &settings.pub_sub else {
            return Err(Reject::new(Code::BadRequest, "no subscription"));
        };
        let group = self.group(resource_name(sub.group.as_ref()))?;
        for entry in &sub.subscriptions {
            validate::topic(resource_name(entry.topic.as_ref()))?;
            Filter::compile(entry.expression.as_ref())?;
        }
        let strategy = match &group.retry_policy {
            RetryPolicy::Customized(delays) => {
                retry_policy::Strategy::CustomizedBackoff(CustomizedBackoff {
                    next: delays
                        .iter()
                        .map(|d| convert::duration(i64::try_from(d.as_millis()).unwrap_or(0)))
                        .collect(),
                })
            }
            RetryPolicy::Exponential {
                initial,
                max,
                multiplier,
            } => retry_policy::Strategy::ExponentialBackoff(ExponentialBackoff {
                initial: Some(convert::duration(
                    i64::try_from(initial.as_millis()).unwrap_or(0),
                )),
                max: Some(convert::duration(
                    i64::try_from(max.as_millis()).unwrap_or(0),
                )),
                multiplier: *multiplier,
            }),
        };
        let mut merged = settings.clone();
        merged.backoff_policy = Some(v2::RetryPolicy {
            max_attempts: group.max_delivery_attempts,
            strategy: Some(strategy),
        });
        let mut sub = sub.clone();
        sub.fifo = Some(group.fifo);
        sub.receive_batch_size = Some(limits::MAX_RECEIVE_BATCH);
        sub.long_polling_timeout = Some(convert::duration(
            i64::try_from(limits::MAX_LONG_POLLING.as_millis()).unwrap_or(20_000),
        ));
        merged.pub_sub = Some(settings::PubSub::Subscription(sub));
        merged.metric = Some(Metric {
            on: false,
            endpoints: None,
        });
        Ok(merged)
    }

    fn producer_settings(&self, settings: &Settings) -> Result<Settings, Reject> {
        let Some(settings::PubSub::Publishing(publishing)) = &settings.pub_sub else {
            return Err(Reject::new(Code::BadRequest, "no publishing"));
        };
        for topic in &publishing.topics {
            self.topic(&topic.name)?;
        }
        let mut merged = settings.clone();
        merged.backoff_policy = Some(v2::RetryPolicy {
            max_attempts: limits::DEFAULT_PRODUCER_MAX_ATTEMPTS,
            strategy: Some(retry_policy::Strategy::ExponentialBackoff(
                ExponentialBackoff {
                    initial: Some(convert::duration(10)),
                    max: Some(convert::duration(1000)),
                    multiplier: 2.0,
                },
            )),
        });
        let mut publishing = publishing.clone();
        publishing.max_body_size = i32::try_from(self.core.max_body_size).unwrap_or(i32::MAX);
        publishing.validate_message_type = true;
        merged.pub_sub = Some(settings::PubSub::Publishing(publishing));
        merged.metric = Some(Metric {
            on: false,
            endpoints: None,
        });
        Ok(merged)
    }

    pub(crate) async fn admit_rpc(
        &self,
        rpc: Rpc,
        metadata: &MetadataMap,
    ) -> Result<String, v2::Status> {
        self.admit(rpc, metadata).await
    }

    pub(crate) fn checked_topic(
        &self,
        name: &str,
    ) -> Result<crate::metadata::TopicConfig, v2::Status> {
        self.topic(name).map_err(v2::Status::from)
    }

    pub(crate) fn checked_group(
        &self,
        name: &str,
    ) -> Result<crate::metadata::GroupConfig, v2::Status> {
        self.group(name).map_err(v2::Status::from)
    }

    pub(crate) async fn wait_for<T>(
        &self,
        wait: Duration,
        attempt: impl FnMut() -> Option<T>,
    ) -> Option<T> {
        self.long_poll(wait, attempt).await
    }

    /// Long-polls `attempt` until it yields something or `wait` runs out.
    async fn long_poll<T>(
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
    fn polling_time(
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
        Err(status(
            code,
            format!(
                "the gRPC deadline ({} ms) is shorter than the minimum long-polling time",
                remaining.as_millis()
            ),
        ))
    }

    async fn receive(
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
            let max = i64::try_from(limits::MAX_INVISIBLE.as_millis()).unwrap_or(0);
            if !(min..=max).contains(&ms) {
                return Err(status(
                    Code::IllegalInvisibleTime,
                    format!("invisible duration {ms} ms is outside [{min}, {max}] ms"),
                ));
            }
            ms
        };
        let filter = Filter::compile(request.filter_expression.as_ref())?;
        let max =
            usize::try_from(request.batch_size.clamp(1, limits::MAX_RECEIVE_BATCH)).unwrap_or(1);
        let owner = request.auto_renew.then(|| client.clone());
        let core = self.core.clone();
        let found = self
            .long_poll(wait, || {
                let (popped, flushed) = core.mutate(|engine, now, journaling| {
                    let (popped, changed) = engine.pop(
                        &PopRequest {
                            group: &group_name,
                            topic: &topic_name,
                            filter: &filter,
                            max,
                            invisible,
                            fifo: group.fifo,
                            owner: owner.as_deref(),
                            attempt_id: request.attempt_id.as_deref(),
                        },
                        now,
                    );
                    let ops = if journaling && changed {
                        vec![Op::Pop(journal::Pop {
                            group: group_name.clone(),
                            topic: topic_name.clone(),
                            filter: request.filter_expression.clone(),
                            max: u32::try_from(max).unwrap_or(1),
                            invisible,
                            fifo: group.fifo,
                            owner: owner.clone(),
                            attempt_id: request.attempt_id.clone(),
                        })]
                    } else {
                        Vec::new()
                    };
                    (popped, ops)
                });
                (!popped.is_empty()).then_some((popped, flushed))
            })
            .await;
        let (found, flushed) = found.unwrap_or_default();
        Ok((found, ns, flushed))
    }
}

fn peer(metadata: &MetadataMap, remote: Option<std::net::SocketAddr>) -> String {
    let _ = metadata;
    remote.map_or_else(String::new, |a| a.to_string())
}

#[tonic::async_trait]
impl MessagingService for Service {
    async fn query_route(
        &self,
        request: Request<QueryRouteRequest>,
    ) -> GrpcResult<QueryRouteResponse> {
        let rpc = Rpc::QueryRoute;
        let (metadata, _, request) = request.into_parts();
        if let Err(st) = self.admit(rpc, &metadata).await {
            return self.reply(
                rpc,
                QueryRouteResponse {
                    status: Some(st),
                    message_queues: vec![],
                },
            );
        }
        let name = resource_name(request.topic.as_ref());
        let topic = match self.topic(name) {
            Ok(t) => t,
            Err(e) => {
                return self.reply(
                    rpc,
                    QueryRouteResponse {
                        status: Some(e.into()),
                        message_queues: vec![],
                    },
                );
            }
        };
        let accepted: Vec<i32> = topic
            .topic_type
            .accepted()
            .into_iter()
            .map(|t| t as i32)
            .collect();
        let message_queues = self
            .brokers(request.endpoints.as_ref())
            .into_iter()
            .flat_map(|broker| {
                let (topic_name, accepted) = (&request.topic, &accepted);
                (0..topic.queues).map(move |id| MessageQueue {
                    topic: topic_name.clone(),
                    id: i32::try_from(id).unwrap_or(i32::MAX),
                    permission: Permission::ReadWrite as i32,
                    broker: Some(broker.clone()),
                    accept_message_types: accepted.clone(),
                })
            })
            .collect();
        self.reply(
            rpc,
            QueryRouteResponse {
                status: Some(ok()),
                message_queues,
            },
        )
    }

    async fn heartbeat(&self, request: Request<HeartbeatRequest>) -> GrpcResult<HeartbeatResponse> {
        let rpc = Rpc::Heartbeat;
        let (metadata, _, request) = request.into_parts();
        let client = match self.admit(rpc, &metadata).await {
            Ok(c) => c,
            Err(st) => return self.reply(rpc, HeartbeatResponse { status: Some(st) }),
        };
        if !self.core.sessions.touch(&client) {
            return self.reply(
                rpc,
                HeartbeatResponse {
                    status: Some(status(
                        Code::UnrecognizedClientType,
                        "no Settings registered for this client over Telemetry",
                    )),
                },
            );
        }
        if let Some(group) = &request.group
            && let Err(e) = self.group(&group.name)
        {
            return self.reply(
                rpc,
                HeartbeatResponse {
                    status: Some(e.into()),
                },
            );
        }
        self.reply(rpc, HeartbeatResponse { status: Some(ok()) })
    }

    async fn send_message(
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

    async fn query_assignment(
        &self,
        request: Request<QueryAssignmentRequest>,
    ) -> GrpcResult<QueryAssignmentResponse> {
        let rpc = Rpc::QueryAssignment;
        let (metadata, _, request) = request.into_parts();
        if let Err(st) = self.admit(rpc, &metadata).await {
            return self.reply(
                rpc,
                QueryAssignmentResponse {
                    status: Some(st),
                    assignments: vec![],
                },
            );
        }
        let checked = self
            .topic(resource_name(request.topic.as_ref()))
            .and_then(|t| {
                self.group(resource_name(request.group.as_ref()))
                    .map(|g| (t, g))
            });
        let (topic, group) = match checked {
            Ok(pair) => pair,
            Err(e) => {
                return self.reply(
                    rpc,
                    QueryAssignmentResponse {
                        status: Some(e.into()),
                        assignments: vec![],
                    },
                );
            }
        };
        let queue = |broker: &Broker, id: i32| Assignment {
            message_queue: Some(MessageQueue {
                topic: request.topic.clone(),
                id,
                permission: Permission::ReadWrite as i32,
                broker: Some(broker.clone()),
                accept_message_types: vec![],
            }),
        };
        // Like Apache: a FIFO group gets every queue, others one "any queue" (-1) assignment
        // per broker.
        let brokers = self.brokers(request.endpoints.as_ref());
        let assignments = if group.fifo {
            brokers
                .iter()
                .flat_map(|b| {
                    (0..topic.queues).map(|id| queue(b, i32::try_from(id).unwrap_or(i32::MAX)))
                })
                .collect()
        } else {
            brokers.iter().map(|b| queue(b, -1)).collect()
        };
        self.reply(
            rpc,
            QueryAssignmentResponse {
                status: Some(ok()),
                assignments,
            },
        )
    }

    type ReceiveMessageStream = BoxStream<ReceiveMessageResponse>;

    async fn receive_message(
        &self,
        request: Request<ReceiveMessageRequest>,
    ) -> GrpcResult<Self::ReceiveMessageStream> {
        let rpc = Rpc::ReceiveMessage;
        let (metadata, _, request) = request.into_parts();
        let store_host = self.core.store_host.lock().clone();
        let mut out = Vec::new();
        let received = self.receive(&metadata, &request).await;
        let received = match received {
            Ok((deliveries, ns, flushed)) => {
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
        out.push(receive_message_response::Content::DeliveryTimestamp(
            convert::timestamp(self.core.now()),
        ));
        let stream = tokio_stream::iter(
            out.into_iter()
                .map(|c| Ok(ReceiveMessageResponse { content: Some(c) })),
        );
        if self.core.faults.take_drop(rpc) {
            return Err(tonic::Status::unavailable(format!(
                "{rpc} response dropped by fault injection"
            )));
        }
        Ok(Response::new(Box::pin(stream)))
    }

    async fn ack_message(
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
                    None => status(Code::InternalServerError, "receipt handle is malformed"),
                    Some(handle) => {
                        let (result, flushed) = self.core.mutate(|e, now, journaling| {
                            let result = e.ack(group, topic, &handle, now);
                            let ops = journal_handle(
                                journaling && result.is_ok(),
                                Op::Ack,
                                group,
                                topic,
                                &entry.receipt_handle,
                                0,
                            );
                            (result, ops)
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
        let top = combined(&statuses);
        self.reply(
            rpc,
            AckMessageResponse {
                status: Some(top),
                entries,
            },
        )
    }

    async fn forward_message_to_dead_letter_queue(
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
            let handle = ReceiptHandle::decode(&request.receipt_handle)
                .ok_or_else(|| status(Code::InvalidReceiptHandle, "receipt handle is malformed"))?;
            let (result, flushed) = self.core.mutate(|e, now, journaling| {
                let result = e.forward_to_dlq(group, topic, &handle, now);
                let ops = journal_handle(
                    journaling && result.is_ok(),
                    Op::ForwardToDlq,
                    group,
                    topic,
                    &request.receipt_handle,
                    0,
                );
                (result, ops)
            });
            self.core.durable(flushed).await?;
            result.map_err(v2::Status::from)
        }
        .await;
        self.core.notify_visible();
        let st = result.map_or_else(|st| st, |()| ok());
        self.reply(
            rpc,
            ForwardMessageToDeadLetterQueueResponse { status: Some(st) },
        )
    }

    type PullMessageStream = BoxStream<PullMessageResponse>;

    async fn pull_message(
        &self,
        request: Request<PullMessageRequest>,
    ) -> GrpcResult<Self::PullMessageStream> {
        crate::pull::pull(self, request).await
    }

    async fn update_offset(
        &self,
        request: Request<UpdateOffsetRequest>,
    ) -> GrpcResult<UpdateOffsetResponse> {
        crate::pull::update_offset(self, request).await
    }

    async fn get_offset(
        &self,
        request: Request<GetOffsetRequest>,
    ) -> GrpcResult<GetOffsetResponse> {
        crate::pull::get_offset(self, request).await
    }

    async fn query_offset(
        &self,
        request: Request<QueryOffsetRequest>,
    ) -> GrpcResult<QueryOffsetResponse> {
        crate::pull::query_offset(self, request).await
    }

    async fn end_transaction(
        &self,
        request: Request<EndTransactionRequest>,
    ) -> GrpcResult<EndTransactionResponse> {
        let rpc = Rpc::EndTransaction;
        let (metadata, _, request) = request.into_parts();
        let result = async {
            self.admit(rpc, &metadata).await?;
            let topic = resource_name(request.topic.as_ref());
            self.topic(topic)?;
            if request.transaction_id.trim().is_empty() {
                return Err(status(
                    Code::InvalidTransactionId,
                    "transaction id cannot be blank",
                ));
            }
            let decision = match TransactionResolution::try_from(request.resolution) {
                Ok(TransactionResolution::Commit) => Some(true),
                Ok(TransactionResolution::Rollback) => Some(false),
                _ => None,
            };
            let (result, flushed) = self.core.mutate(|e, now, journaling| {
                let result = e.end_transaction(topic, &request.transaction_id, decision, now);
                let ops = if journaling && result.is_ok() {
                    vec![Op::EndTransaction(journal::EndTransaction {
                        topic: topic.to_owned(),
                        transaction_id: request.transaction_id.clone(),
                        decision: match decision {
                            Some(true) => 1,
                            Some(false) => 2,
                            None => 0,
                        },
                    })]
                } else {
                    Vec::new()
                };
                (result, ops)
            });
            self.core.durable(flushed).await?;
            result.map_err(v2::Status::from)
        }
        .await;
        self.core.notify_visible();
        let st = result.map_or_else(|st| st, |()| ok());
        self.reply(rpc, EndTransactionResponse { status: Some(st) })
    }

    type TelemetryStream = BoxStream<TelemetryCommand>;

    async fn telemetry(
        &self,
        request: Request<Streaming<TelemetryCommand>>,
    ) -> GrpcResult<Self::TelemetryStream> {
        let (metadata, _, mut inbound) = request.into_parts();
        if let Some(credentials) = &self.core.credentials
            && let Err(reason) = credentials.verify(&metadata)
        {
            return Err(tonic::Status::unauthenticated(reason));
        }
        let Some(client) = client_id(&metadata) else {
            return Err(tonic::Status::invalid_argument(
                "x-mq-client-id header is required",
            ));
        };
        let (tx, rx) = mpsc::channel(64);
        let stream_id = self.core.stream_id();
        let service = self.clone();
        let mut stopping = self.core.stopping.clone();
        tokio::spawn(async move {
            loop {
                let command = tokio::select! {
                    command = inbound.next() => command,
                    _ = stopping.wait_for(|s| *s) => None,
                };
                let Some(Ok(command)) = command else { break };
                let settings = match command.command {
                    Some(telemetry_command::Command::Settings(settings)) => {
                        service.core.faults.count(Rpc::TelemetrySettings);
                        settings
                    }
                    Some(telemetry_command::Command::VerifyMessageResult(result)) => {
                        let status = command.status.unwrap_or_default();
                        service.core.sessions.verified(&result.nonce, status);
                        continue;
                    }
                    // Stack traces answer an admin request we never send.
                    _ => continue,
                };
                let merged = match &settings.pub_sub {
                    Some(settings::PubSub::Publishing(_)) => service.producer_settings(&settings),
                    Some(settings::PubSub::Subscription(_)) => service.consumer_settings(&settings),
                    None => {
                        let _ = tx
                            .send(Err(tonic::Status::invalid_argument(
                                "there is no publishing or subscription data in settings",
                            )))
                            .await;
                        break;
                    }
                };
                match merged {
                    Ok(merged) => {
                        service
                            .core
                            .sessions
                            .register(&client, &settings, stream_id, tx.clone());
                        let reply = TelemetryCommand {
                            status: Some(ok()),
                            command: Some(telemetry_command::Command::Settings(merged)),
                        };
                        if tx.send(Ok(reply)).await.is_err() {
                            break;
                        }
                    }
                    Err(reject) => {
                        let code = reject.code as i32;
                        let error = if (40000..50000).contains(&code) {
                            tonic::Status::invalid_argument(reject.message)
                        } else {
                            tonic::Status::internal(reject.message)
                        };
                        let _ = tx.send(Err(error)).await;
                        break;
                    }
                }
            }
            service.core.sessions.detach(&client, stream_id);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn notify_client_termination(
        &self,
        request: Request<NotifyClientTerminationRequest>,
    ) -> GrpcResult<NotifyClientTerminationResponse> {
        let rpc = Rpc::NotifyClientTermination;
        let (metadata, _, request) = request.into_parts();
        let result = async {
            let client = self.admit(rpc, &metadata).await?;
            if let Some(group) = &request.group {
                self.group(&group.name)?;
            }
            if !self.core.sessions.remove(&client) {
                return Err(status(
                    Code::UnrecognizedClientType,
                    "no Settings registered for this client",
                ));
            }
            // Like the proxy, a leaving consumer's auto-renewed messages come back in a second.
            let (_, flushed) = self.core.mutate(|e, now, journaling| {
                let released = e.release_owner(&client, now);
                let ops = if journaling && released {
                    vec![Op::Release(journal::Release {
                        client: client.clone(),
                    })]
                } else {
                    Vec::new()
                };
                ((), ops)
            });
            self.core.durable(flushed).await?;
            self.core.notify_visible();
            Ok(())
        }
        .await;
        let st = result.map_or_else(|st| st, |()| ok());
        self.reply(rpc, NotifyClientTerminationResponse { status: Some(st) })
    }

    async fn change_invisible_duration(
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
            let max = i64::try_from(limits::MAX_INVISIBLE.as_millis()).unwrap_or(0);
            if !(0..=max).contains(&ms) {
                return Err(status(
                    Code::IllegalInvisibleTime,
                    format!("invisible duration {ms} ms is outside [0, {max}] ms"),
                ));
            }
            let handle = ReceiptHandle::decode(&request.receipt_handle)
                .ok_or_else(|| status(Code::InternalServerError, "receipt handle is malformed"))?;
            let (result, flushed) = self.core.mutate(|e, now, journaling| {
                let result = e.change_invisible(group, topic, &handle, ms, now);
                let ops = journal_handle(
                    journaling && result.is_ok(),
                    Op::ChangeInvisible,
                    group,
                    topic,
                    &request.receipt_handle,
                    ms,
                );
                (result, ops)
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

    async fn recall_message(
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
                    format!("topic {name} is not a DELAY topic"),
                ));
            }
            let recall = crate::recall::decode(&request.recall_handle)
                .ok_or_else(|| status(Code::InternalServerError, "recall handle is invalid"))?;
            let broker = self.core.with_engine(|e, _| e.config.broker_name.clone());
            if recall.topic != name || recall.broker != broker {
                return Err(status(
                    Code::InternalServerError,
                    "recall handle does not belong to this topic",
                ));
            }
            let (result, flushed) = self.core.mutate(|e, _, journaling| {
                let result = e.recall(name, &recall.message_id);
                let ops = if journaling && result.is_some() {
                    vec![Op::Recall(journal::Recall {
                        topic: name.to_owned(),
                        message_id: recall.message_id.clone(),
                    })]
                } else {
                    Vec::new()
                };
                (result, ops)
            });
            self.core.durable(flushed).await?;
            result
                .ok_or_else(|| status(Code::InternalServerError, "message is no longer scheduled"))
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

    async fn sync_lite_subscription(
        &self,
        _request: Request<SyncLiteSubscriptionRequest>,
    ) -> GrpcResult<SyncLiteSubscriptionResponse> {
        Err(tonic::Status::unimplemented(
            "lite topics are not supported",
        ))
    }
}
