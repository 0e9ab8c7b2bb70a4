//! Lite topics: SyncLiteSubscription, the lite checks of sends and of consumer registration,
//! and the notice an exclusive subscription sends the clients it takes a lite topic from.

use super::*;
use crate::engine::lite_queue;
use crate::metadata::{GroupConfig, LiteGroup};
use crate::store::StoredMessage;
use crate::store::journal::{self, Flushed, JGroup};
use crate::validate::{self, Checked, Reject, texts};
use rmq_proto::v2::{self, *};
use rmq_proto::{Code, Rpc};
use std::collections::BTreeSet;
use tonic::Request;

/// Lite topics a client may hold beyond its group's quota before the proxy refuses a sync
/// (Apache's allowance for the client's own check lagging behind).
const QUOTA_SLACK: usize = 300;

impl Service {
    /// `LITE_TOPIC_QUOTA_EXCEEDED` when the messages would create more lite topics than the
    /// broker holds.
    pub(crate) fn lite_quota<'a>(
        &self,
        messages: impl Iterator<Item = &'a StoredMessage>,
    ) -> Checked {
        let Some(max) = self.core.limits.max_lite_topics else {
            return Ok(());
        };
        let wanted: BTreeSet<String> = messages
            .filter_map(|m| m.lite_topic.as_ref().map(|l| lite_queue(&m.topic, l)))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        self.core.inspect(|engine| {
            let fresh = wanted.iter().filter(|q| !engine.has_lite_queue(q)).count();
            if fresh > 0 && engine.lite_queue_count().saturating_add(fresh) > max {
                return Err(Reject::new(
                    Code::LiteTopicQuotaExceeded,
                    texts::lite_topic_quota(max),
                ));
            }
            Ok(())
        })
    }

    /// The group a consumer registers with, checked as Apache's proxy checks lite mode: a
    /// lite group serves only lite consumers of its bind topic, and a lite consumer only a
    /// lite group. Unless strict, a group a lite consumer uses first becomes a lite group of
    /// the topic it subscribes (Apache would create a regular group and refuse it).
    pub(crate) fn registered_group(
        &self,
        name: &str,
        client_type: ClientType,
        topics: &[String],
    ) -> Checked<GroupConfig> {
        let lite_client = matches!(
            client_type,
            ClientType::LitePushConsumer | ClientType::LiteSimpleConsumer
        );
        validate::group(name)?;
        let bind = topics.first().cloned().unwrap_or_default();
        let group = self.declared::<_, JGroup>(
            |meta| {
                meta.groups.get(name).cloned().ok_or_else(|| {
                    let group = meta.auto_group(name)?;
                    Some(if lite_client && meta.auto_create {
                        group.lite(LiteGroup::new(bind.clone()))
                    } else {
                        group
                    })
                })
            },
            || Reject::new(Code::ConsumerGroupNotFound, texts::group_not_found(name)),
        )?;
        match (&group.lite, lite_client) {
            (Some(_), false) => Err(Reject::new(
                Code::IllegalConsumerGroup,
                texts::lite_group_needs_lite_client(name),
            )),
            (None, true) => Err(Reject::new(
                Code::IllegalConsumerGroup,
                texts::lite_client_needs_lite_group(name),
            )),
            (Some(lite), true) if bind != lite.bind_topic => Err(Reject::new(
                Code::IllegalTopic,
                texts::lite_bind_topic_mismatch(name, Some(&lite.bind_topic), &bind),
            )),
            _ => Ok(group),
        }
    }

    /// Checks a sync in the proxy's order and applies it; returns what to await before
    /// answering.
    async fn sync_lite(
        &self,
        client: &str,
        request: &SyncLiteSubscriptionRequest,
    ) -> Result<Flushed, v2::Status> {
        let topic = resource_name(request.topic.as_ref());
        let group_name = resource_name(request.group.as_ref());
        validate::topic(topic)?;
        validate::group(group_name)?;
        let action = LiteSubscriptionAction::try_from(request.action)
            .map_err(|_| status(Code::InternalServerError, texts::LITE_ACTION_UNKNOWN))?;
        let names: Vec<String> = request
            .lite_topic_set
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        // Only an add of some lite topics checks their names and takes an offset option.
        let partial_add = action == LiteSubscriptionAction::PartialAdd;
        let mut option = None;
        if partial_add {
            for name in &names {
                validate::lite_topic(name)?;
            }
            if let Some(o) = &request.offset_option {
                if o.offset_type.is_none() {
                    return Err(status(Code::InternalServerError, texts::LITE_OFFSET_UNSET));
                }
                option = Some(*o);
            }
        }
        // The group must exist: a sync never creates one.
        let group = self
            .core
            .inspect(|e| e.meta.groups.get(group_name).cloned())
            .ok_or_else(|| {
                status(
                    Code::IllegalConsumerGroup,
                    format!("group not found: {group_name}"),
                )
            })?;
        let lite = match &group.lite {
            Some(lite) if lite.bind_topic == topic => lite,
            other => {
                let bind = other.as_ref().map(|l| l.bind_topic.as_str());
                return Err(status(
                    Code::IllegalTopic,
                    texts::lite_bind_topic_mismatch(group_name, bind, topic),
                ));
            }
        };
        let quota = usize::try_from(lite.quota).unwrap_or(0);
        if !names.is_empty() && names.len() > quota.saturating_add(QUOTA_SLACK) {
            return Err(status(
                Code::LiteSubscriptionQuotaExceeded,
                texts::lite_subscription_quota(lite.quota),
            ));
        }
        self.topic(topic)?;
        let registry = &self.core.lite;
        let complete = match action {
            LiteSubscriptionAction::PartialRemove => {
                registry.remove(client, &names);
                return Ok(Flushed::default());
            }
            LiteSubscriptionAction::CompleteRemove => {
                registry.forget(client);
                return Ok(Flushed::default());
            }
            LiteSubscriptionAction::PartialAdd => false,
            LiteSubscriptionAction::CompleteAdd => true,
        };
        registry.add(client, group_name, topic, &names, complete);
        // A lite topic new to the group starts at its end unless an option says otherwise;
        // without one, a group that already reads it keeps its place.
        let commands: Vec<journal::LiteOffset> = names
            .iter()
            .map(|name| journal::LiteOffset {
                group: group_name.to_owned(),
                queue: lite_queue(topic, name),
                option,
                only_new: option.is_none(),
            })
            .collect();
        let (_, flushed) = self.core.execute_all(commands);
        if lite.exclusive && partial_add {
            for name in &names {
                for other in registry.take_from_others(client, group_name, name) {
                    self.notify_unsubscribed(&other, name).await;
                }
            }
        }
        Ok(flushed)
    }

    /// Tells a client it lost a lite topic to another client of its exclusive group.
    async fn notify_unsubscribed(&self, client: &str, lite_topic: &str) {
        let Some(stream) = self.core.sessions.stream_of(client) else {
            return;
        };
        let command = TelemetryCommand {
            status: Some(ok()),
            command: Some(telemetry_command::Command::NotifyUnsubscribeLiteCommand(
                NotifyUnsubscribeLiteCommand {
                    lite_topic: lite_topic.to_owned(),
                },
            )),
        };
        // A client whose stream is gone re-syncs when it comes back; nothing to wait for.
        let _ = stream.send(Ok(command)).await;
    }

    pub(crate) async fn serve_sync_lite_subscription(
        &self,
        request: Request<SyncLiteSubscriptionRequest>,
    ) -> GrpcResult<SyncLiteSubscriptionResponse> {
        let rpc = Rpc::SyncLiteSubscription;
        let (metadata, _, request) = request.into_parts();
        let result = async {
            let client = self.admit(rpc, &metadata).await?;
            let flushed = self.sync_lite(&client, &request).await?;
            self.core.durable(flushed).await?;
            // Long polls of the client now have queues to read.
            self.core.notify_visible();
            Ok(())
        }
        .await;
        let st = result.map_or_else(|st: v2::Status| st, |()| ok());
        self.reply(rpc, SyncLiteSubscriptionResponse { status: Some(st) })
    }
}
