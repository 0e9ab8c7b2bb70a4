//! The admin facade: enough of RocketMQ's remoting protocol (the name server's and the
//! broker's admin requests) for Apache's own tools — `mqadmin updateTopic`, `updateSubGroup`,
//! `topicRoute`, `clusterList`, `deleteTopic`, Java's `DefaultMQAdminExt`, dashboards — to
//! create, change, delete and inspect topics and consumer groups. One port plays both the
//! name server and the broker; off unless [`crate::MiniBrokerBuilder::admin_listen`] asks.
//!
//! Requests are answered one at a time per connection, in order; a request code the facade
//! does not serve gets Apache's "request code not supported" answer, a malformed frame
//! closes the connection (as Apache's decoder does).

mod broker;
mod frame;
mod json;
mod namesrv;

use crate::core::Core;
use crate::listener::{self, Connection, Gate};
use crate::tls::PortTls;
pub(crate) use frame::Frame;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A connection that sends nothing for this long is closed (Apache's channel idle time).
const IDLE: std::time::Duration = std::time::Duration::from_secs(120);

/// The cluster every mini-broker belongs to, as Apache's default `brokerClusterName`.
pub(crate) const CLUSTER: &str = "DefaultCluster";

/// Remoting answer codes (`RemotingSysResponseCode`, `ResponseCode`).
pub(crate) mod code {
    pub(crate) const SUCCESS: i32 = 0;
    pub(crate) const SYSTEM_ERROR: i32 = 1;
    pub(crate) const REQUEST_CODE_NOT_SUPPORTED: i32 = 3;
    pub(crate) const TOPIC_NOT_EXIST: i32 = 17;
    pub(crate) const QUERY_NOT_FOUND: i32 = 22;
    pub(crate) const SUBSCRIPTION_GROUP_NOT_EXIST: i32 = 26;
    pub(crate) const INVALID_PARAMETER: i32 = 29;
}

/// Remoting request codes served (`RequestCode`).
mod request {
    pub(super) const UPDATE_AND_CREATE_TOPIC: i32 = 17;
    pub(super) const GET_ALL_TOPIC_CONFIG: i32 = 21;
    pub(super) const GET_BROKER_RUNTIME_INFO: i32 = 28;
    pub(super) const HEART_BEAT: i32 = 34;
    pub(super) const UNREGISTER_CLIENT: i32 = 35;
    pub(super) const PUT_KV_CONFIG: i32 = 100;
    pub(super) const GET_KV_CONFIG: i32 = 101;
    pub(super) const DELETE_KV_CONFIG: i32 = 102;
    pub(super) const GET_ROUTEINFO_BY_TOPIC: i32 = 105;
    pub(super) const GET_BROKER_CLUSTER_INFO: i32 = 106;
    pub(super) const UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: i32 = 200;
    pub(super) const GET_ALL_SUBSCRIPTIONGROUP_CONFIG: i32 = 201;
    pub(super) const GET_TOPIC_STATS_INFO: i32 = 202;
    pub(super) const GET_ALL_TOPIC_LIST_FROM_NAMESERVER: i32 = 206;
    pub(super) const DELETE_SUBSCRIPTIONGROUP: i32 = 207;
    pub(super) const DELETE_TOPIC_IN_BROKER: i32 = 215;
    pub(super) const DELETE_TOPIC_IN_NAMESRV: i32 = 216;
    pub(super) const GET_TOPIC_CONFIG: i32 = 351;
    pub(super) const GET_SUBSCRIPTIONGROUP_CONFIG: i32 = 352;
}

/// A request refused: the answer's code and remark.
pub(crate) struct Refusal {
    code: i32,
    remark: String,
}

impl Refusal {
    pub(crate) fn new(code: i32, remark: impl Into<String>) -> Refusal {
        Refusal {
            code,
            remark: remark.into(),
        }
    }
}

/// A handler's answer: the frame to send, or why the request is refused.
type Answered = Result<Frame, Refusal>;

/// A successful answer carrying `body`.
fn ok(request: &Frame, body: impl Into<bytes::Bytes>) -> Answered {
    Ok(Frame::answer(request, code::SUCCESS, "").with_body(body))
}

/// What the facade answers from: the broker's core, and the name server's key-value
/// configuration (kept in memory, as a name server restarted without its kvConfig file).
pub(crate) struct Admin {
    core: Arc<Core>,
    /// This broker's admin address, which routes and cluster listings give when the broker
    /// is not part of a mini-cluster.
    addr: SocketAddr,
    kv: Mutex<BTreeMap<(String, String), String>>,
}

impl Admin {
    /// Serves the admin protocol on `listener` until `stopping`; the gate takes the port
    /// down and up with the broker's own.
    pub(crate) fn serve(
        core: Arc<Core>,
        listener: TcpListener,
        tls: PortTls,
        stopping: watch::Receiver<bool>,
    ) -> io::Result<Gate> {
        let addr = listener.local_addr()?;
        let (gate, mut connections) = listener::serve(listener, tls, stopping)?;
        let admin = Arc::new(Admin {
            core,
            addr,
            kv: Mutex::new(BTreeMap::new()),
        });
        tokio::spawn(async move {
            while let Some(connection) = connections.recv().await {
                match connection {
                    Ok(connection) => {
                        tokio::spawn(admin.clone().converse(connection));
                    }
                    Err(e) => tracing::warn!(error = %e, "admin connection failed"),
                }
            }
        });
        Ok(gate)
    }

    async fn converse(self: Arc<Self>, mut io: Connection) {
        loop {
            let request = match tokio::time::timeout(IDLE, frame::read(&mut io)).await {
                Ok(Ok(Some(request))) => request,
                Ok(Ok(None)) => return,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "closing an admin connection");
                    return;
                }
                Err(_) => {
                    tracing::debug!("closing an idle admin connection");
                    return;
                }
            };
            if request.is_response() {
                continue;
            }
            let answer = self.answer(&request).await;
            if request.is_oneway() {
                continue;
            }
            let mut bytes = answer.encode();
            if bytes.len() > frame::MAX_FRAME + 4 {
                // Java closes the channel on a frame past its limit: say why instead.
                bytes = Frame::answer(
                    &request,
                    code::SYSTEM_ERROR,
                    format!(
                        "the answer exceeds the {}-byte frame limit",
                        frame::MAX_FRAME
                    ),
                )
                .encode();
            }
            if io.write_all(&bytes).await.is_err() {
                return;
            }
        }
    }

    /// The answer to one frame's bytes, as a connection would give it (the fuzz targets'
    /// entry into the admin port, without a socket).
    #[cfg(feature = "fuzzing")]
    pub(crate) async fn answer_bytes(core: Arc<Core>, bytes: bytes::Bytes) -> Option<Frame> {
        let request = Frame::decode(bytes).ok()?;
        let admin = Admin {
            core,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            kv: Mutex::new(BTreeMap::new()),
        };
        Some(admin.answer(&request).await)
    }

    async fn answer(&self, request: &Frame) -> Frame {
        self.dispatch(request)
            .await
            .unwrap_or_else(|r| Frame::answer(request, r.code, r.remark))
    }

    async fn dispatch(&self, request: &Frame) -> Answered {
        use request::*;
        match request.code {
            GET_ROUTEINFO_BY_TOPIC => self.route(request),
            GET_BROKER_CLUSTER_INFO => self.cluster_info(request),
            GET_ALL_TOPIC_LIST_FROM_NAMESERVER => self.topic_list(request),
            PUT_KV_CONFIG => self.put_kv(request),
            GET_KV_CONFIG => self.get_kv(request),
            DELETE_KV_CONFIG => self.delete_kv(request),
            // The name server forgets a topic when no broker serves it any more; here the
            // broker's own delete already did.
            DELETE_TOPIC_IN_NAMESRV | HEART_BEAT | UNREGISTER_CLIENT => {
                Ok(Frame::answer(request, code::SUCCESS, ""))
            }
            UPDATE_AND_CREATE_TOPIC => self.create_topic(request).await,
            DELETE_TOPIC_IN_BROKER => self.delete_topic(request).await,
            GET_TOPIC_CONFIG => self.topic_config(request),
            GET_ALL_TOPIC_CONFIG => self.all_topic_configs(request),
            GET_TOPIC_STATS_INFO => self.topic_stats(request),
            UPDATE_AND_CREATE_SUBSCRIPTIONGROUP => self.create_group(request).await,
            DELETE_SUBSCRIPTIONGROUP => self.delete_group(request).await,
            GET_SUBSCRIPTIONGROUP_CONFIG => self.group_config(request),
            GET_ALL_SUBSCRIPTIONGROUP_CONFIG => self.all_group_configs(request),
            GET_BROKER_RUNTIME_INFO => self.runtime_info(request),
            other => Err(Refusal::new(
                code::REQUEST_CODE_NOT_SUPPORTED,
                format!(" request type {other} not supported"),
            )),
        }
    }

    /// A header field the request must carry.
    fn required<'a>(request: &'a Frame, name: &str) -> Result<&'a str, Refusal> {
        request.field(name).ok_or_else(|| {
            Refusal::new(
                code::SYSTEM_ERROR,
                format!("the custom field <{name}> is null"),
            )
        })
    }

    /// Every broker of the cluster with its admin address: this one alone, or each broker
    /// of its mini-cluster.
    fn brokers(&self) -> Vec<json::BrokerEntry> {
        self.members()
            .into_iter()
            .map(|(broker, _)| broker)
            .collect()
    }

    /// The brokers that hold `topic`, each with its queue count, as a name server knows
    /// them from the brokers' registrations.
    fn holders(&self, topic: &str) -> Vec<(json::BrokerEntry, u32)> {
        self.members()
            .into_iter()
            .filter_map(|(broker, core)| {
                let queues = core?.inspect(|e| e.meta.topics.get(topic).map(|t| t.queues))?;
                Some((broker, queues))
            })
            .collect()
    }

    fn members(&self) -> Vec<(json::BrokerEntry, Option<Arc<Core>>)> {
        let peers = self.core.peers.read().clone();
        if peers.is_empty() {
            let name = self.core.inspect(|e| e.config.broker_name.clone());
            let own = json::BrokerEntry {
                name,
                addr: self.addr,
            };
            return vec![(own, Some(self.core.clone()))];
        }
        peers
            .into_iter()
            .filter_map(|p| {
                let addr = p.admin?;
                Some((json::BrokerEntry { name: p.name, addr }, p.core.upgrade()))
            })
            .collect()
    }
}
