//! QueryRoute and QueryAssignment, and the topic and group lookups every call makes (creating
//! them on first use unless strict).

use super::*;
use crate::engine::Command;
use crate::metadata::{GroupConfig, Metadata, TopicConfig};
use crate::store::journal::{JGroup, JTopic};
use crate::validate::{self, Checked, Reject, texts};
use rmq_proto::v2::*;
use rmq_proto::{Rpc, limits};
use tonic::Request;

impl Service {
    /// A topic's configuration; an unknown one is declared on first use when topics are
    /// auto-created.
    pub(crate) fn topic(&self, name: &str) -> Checked<TopicConfig> {
        validate::topic(name)?;
        self.declared::<_, JTopic>(
            |meta| {
                meta.topics
                    .get(name)
                    .cloned()
                    .ok_or_else(|| meta.auto_topic(name))
            },
            || Reject::new(Code::TopicNotFound, texts::topic_not_found(name)),
        )
    }

    /// A consumer group's configuration; an unknown one is declared on first use when
    /// groups are auto-created.
    pub(crate) fn group(&self, name: &str) -> Checked<GroupConfig> {
        validate::group(name)?;
        self.declared::<_, JGroup>(
            |meta| {
                meta.groups
                    .get(name)
                    .cloned()
                    .ok_or_else(|| meta.auto_group(name))
            },
            || Reject::new(Code::ConsumerGroupNotFound, texts::group_not_found(name)),
        )
    }

    /// What `find` finds in the metadata; else the configuration it would auto-create,
    /// declared now through its journaled command; else `missing`.
    pub(super) fn declared<T, C>(
        &self,
        find: impl FnOnce(&Metadata) -> Result<T, Option<T>>,
        missing: impl FnOnce() -> Reject,
    ) -> Checked<T>
    where
        C: Command + for<'a> From<&'a T>,
    {
        match self.core.inspect(|e| find(&e.meta)) {
            Ok(found) => Ok(found),
            Err(Some(created)) => {
                // Not awaited here: whatever the request goes on to do waits on a later entry
                // or on a barrier behind this one (`Core::execute`).
                self.core.execute(C::from(&created));
                Ok(created)
            }
            Err(None) => Err(missing()),
        }
    }

    pub(crate) fn endpoints(&self, requested: Option<&Endpoints>) -> Endpoints {
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
    pub(crate) fn brokers(&self, requested: Option<&Endpoints>) -> Vec<Broker> {
        let peers = self.core.peers.read();
        if peers.is_empty() {
            return vec![Broker {
                name: self.core.inspect(|e| e.config.broker_name.clone()),
                id: 0,
                endpoints: Some(self.endpoints(requested)),
            }];
        }
        peers
            .iter()
            .filter(|peer| peer.listed.load(std::sync::atomic::Ordering::Relaxed))
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

    pub(crate) async fn serve_query_route(
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

    pub(crate) async fn serve_query_assignment(
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
        // A lite group gets the any-queue assignment whatever its order (its pops read the
        // client's lite queues).
        let assignments = if group.fifo && group.lite.is_none() {
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
}
