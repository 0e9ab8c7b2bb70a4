//! Client sessions: Heartbeat, the Telemetry stream (Settings merged per role, orphaned
//! transaction checks and verify commands sent down) and NotifyClientTermination.

use super::*;
use crate::convert;
use crate::filter::Filter;
use crate::metadata::RetryPolicy;
use crate::store::journal::{self};
use crate::validate::{self, Reject, bounded, texts};
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc, limits};
use std::ops::ControlFlow;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Streaming};

impl Service {
    pub(crate) fn consumer_settings(&self, settings: &Settings) -> Result<Settings, Reject> {
        let Some(settings::PubSub::Subscription(sub)) = &settings.pub_sub else {
            return Err(Reject::new(Code::BadRequest, "no subscription"));
        };
        let client_type = settings
            .client_type
            .and_then(|t| ClientType::try_from(t).ok())
            .unwrap_or(ClientType::Unspecified);
        let topics: Vec<String> = sub
            .subscriptions
            .iter()
            .map(|e| resource_name(e.topic.as_ref()).to_owned())
            .collect();
        let group =
            self.registered_group(resource_name(sub.group.as_ref()), client_type, &topics)?;
        for entry in &sub.subscriptions {
            validate::topic(resource_name(entry.topic.as_ref()))?;
            // The one filter the proxy checks in Settings, with its own text.
            if let Some(expression) = &entry.expression
                && expression.r#type == FilterType::Sql as i32
                && expression.expression.trim().is_empty()
            {
                return Err(Reject::new(
                    Code::IllegalFilterExpression,
                    texts::SETTINGS_EXPRESSION,
                ));
            }
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
        // The proxy tells every consumer the lite limits.
        sub.lite_subscription_quota = Some(
            group
                .lite
                .as_ref()
                .map_or(crate::metadata::DEFAULT_LITE_QUOTA, |l| l.quota),
        );
        sub.max_lite_topic_size = Some(i32::try_from(limits::MAX_LITE_TOPIC_BYTES).unwrap_or(64));
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

    pub(crate) fn producer_settings(&self, settings: &Settings) -> Result<Settings, Reject> {
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
        publishing.max_body_size =
            i32::try_from(self.core.limits.max_body_size).unwrap_or(i32::MAX);
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

    pub(crate) async fn serve_heartbeat(
        &self,
        request: Request<HeartbeatRequest>,
    ) -> GrpcResult<HeartbeatResponse> {
        let rpc = Rpc::Heartbeat;
        let (metadata, _, request) = request.into_parts();
        let client = match self.admit(rpc, &metadata).await {
            Ok(c) => c,
            Err(st) => return self.reply(rpc, HeartbeatResponse { status: Some(st) }),
        };
        // As on the proxy, the type the client's Settings declared decides, not the request's.
        let kind = self.core.sessions.touch(&client);
        let refused = match kind {
            None => Some(texts::NO_CLIENT_SETTINGS),
            Some(ClientType::Producer) => None,
            Some(k) if is_consumer(k) => None,
            // Apache answers with the type's name alone.
            Some(other) => Some(other.as_str_name()),
        };
        if let Some(text) = refused {
            return self.reply(
                rpc,
                HeartbeatResponse {
                    status: Some(status(Code::UnrecognizedClientType, text)),
                },
            );
        }
        // A consumer's group is checked even when absent (an empty name, as protobuf's default
        // reads on the proxy); a producer's is ignored.
        if kind.is_some_and(is_consumer)
            && let Err(e) = self.group(group_name(request.group.as_ref()))
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

    pub(crate) async fn serve_telemetry(
        &self,
        request: Request<Streaming<TelemetryCommand>>,
    ) -> GrpcResult<BoxStream<TelemetryCommand>> {
        let (metadata, _, mut inbound) = request.into_parts();
        if let Some(credentials) = &self.core.credentials
            && let Err(reason) = credentials.verify(&metadata)
        {
            return Err(tonic::Status::unauthenticated(reason));
        }
        let Some(client) = client_id(&metadata) else {
            return Err(tonic::Status::invalid_argument(texts::CLIENT_ID_REQUIRED));
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
                let command = match command {
                    Some(Ok(command)) => command,
                    // A frame that does not decode fails the call, with the code the codec
                    // gave it (UNKNOWN, as the proxy answers: rmq_proto's server codec), rather
                    // than ending it as if all went well.
                    Some(Err(error)) => {
                        let text = bounded(format!(
                            "cannot read the Telemetry stream: {}",
                            error.message()
                        ));
                        let _ = tx.send(Err(tonic::Status::new(error.code(), text))).await;
                        break;
                    }
                    None => break,
                };
                if service
                    .telemetry_command(&client, stream_id, command, &tx)
                    .await
                    .is_break()
                {
                    break;
                }
            }
            // As the proxy when a stream ends: the client's lite subscriptions go with it (it
            // syncs them again on its next stream).
            if service.core.sessions.detach(&client, stream_id) {
                service.core.lite.forget(&client);
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    /// One command of a client's Telemetry stream: Settings are merged and answered (or end
    /// the stream with the proxy's error), a verification result is recorded. `Break` ends
    /// the stream.
    pub(crate) async fn telemetry_command(
        &self,
        client: &str,
        stream_id: u64,
        command: TelemetryCommand,
        tx: &mpsc::Sender<Result<TelemetryCommand, tonic::Status>>,
    ) -> ControlFlow<()> {
        let settings = match command.command {
            Some(telemetry_command::Command::Settings(settings)) => {
                self.core.faults.count(Rpc::TelemetrySettings);
                settings
            }
            Some(telemetry_command::Command::VerifyMessageResult(result)) => {
                let status = command.status.unwrap_or_default();
                self.core.sessions.verified(&result.nonce, status);
                return ControlFlow::Continue(());
            }
            // Stack traces answer an admin request we never send.
            _ => return ControlFlow::Continue(()),
        };
        let merged = match &settings.pub_sub {
            Some(settings::PubSub::Publishing(_)) => self.producer_settings(&settings),
            Some(settings::PubSub::Subscription(_)) => self.consumer_settings(&settings),
            None => {
                let _ = tx
                    .send(Err(tonic::Status::invalid_argument(
                        "there is no publishing or subscription data in settings",
                    )))
                    .await;
                return ControlFlow::Break(());
            }
        };
        match merged {
            Ok(merged) => {
                self.core
                    .sessions
                    .register(client, &settings, stream_id, tx.clone());
                let reply = TelemetryCommand {
                    status: Some(ok()),
                    command: Some(telemetry_command::Command::Settings(merged)),
                };
                if tx.send(Ok(reply)).await.is_err() {
                    return ControlFlow::Break(());
                }
            }
            Err(reject) => {
                let code = reject.code as i32;
                let text = bounded(texts::telemetry_failed(&reject.message));
                let error = if (40000..50000).contains(&code) {
                    tonic::Status::invalid_argument(text)
                } else {
                    tonic::Status::internal(text)
                };
                let _ = tx.send(Err(error)).await;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    pub(crate) async fn serve_notify_client_termination(
        &self,
        request: Request<NotifyClientTerminationRequest>,
    ) -> GrpcResult<NotifyClientTerminationResponse> {
        let rpc = Rpc::NotifyClientTermination;
        let (metadata, _, request) = request.into_parts();
        let result = async {
            let client = self.admit(rpc, &metadata).await?;
            if self.core.sessions.touch(&client).is_some_and(is_consumer) {
                self.group(group_name(request.group.as_ref()))?;
            }
            self.core.lite.forget(&client);
            if !self.core.sessions.remove(&client) {
                return Err(status(
                    Code::UnrecognizedClientType,
                    texts::NO_CLIENT_SETTINGS,
                ));
            }
            // Like the proxy, a leaving consumer's auto-renewed messages come back in a second.
            let (_, flushed) = self.core.execute(journal::Release { client });
            self.core.durable(flushed).await?;
            self.core.notify_visible();
            Ok(())
        }
        .await;
        let st = result.map_or_else(|st| st, |()| ok());
        self.reply(rpc, NotifyClientTerminationResponse { status: Some(st) })
    }
}

/// The client types whose Heartbeat and NotifyClientTermination name their consumer group.
fn is_consumer(kind: ClientType) -> bool {
    matches!(
        kind,
        ClientType::PushConsumer
            | ClientType::SimpleConsumer
            | ClientType::LitePushConsumer
            | ClientType::LiteSimpleConsumer
    )
}

fn group_name(group: Option<&Resource>) -> &str {
    group.map_or("", |g| g.name.as_str())
}
