//! `MiniCluster`: several mini-brokers that answer as one cluster, for testing what users of a
//! real deployment meet — a route over several brokers, one of them down, one of them slow.
//!
//! Each broker keeps its own queues, like a broker of an Apache cluster with a proxy in local
//! mode in front of it: a route or an assignment asked of any of them lists the queues of all,
//! each under its broker's name (`broker-0`, `broker-1`, …) and address, so clients spread
//! sends over the brokers and consume from each at its own endpoint.

use crate::broker::{MiniBroker, MiniBrokerBuilder, StartError};
use crate::core::Peer;
use crate::metadata::{GroupConfig, TopicConfig};
use crate::store::StoredMessage;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// N brokers sharing one view of the cluster. Brokers are numbered from 0 in the order of
/// [`MiniCluster::endpoints`].
pub struct MiniCluster {
    brokers: Vec<MiniBroker>,
}

impl MiniCluster {
    /// Starts `brokers` brokers (at least 1) configured like `template`. Each is named
    /// `broker-<i>` and listens on its own free port of the template's host (with a fixed
    /// template port `p`, broker `i` takes `p + i`; the same for an admin port); with a data
    /// directory, broker `i` keeps its journal in `<dir>/broker-<i>`. Topics and groups of
    /// the template are declared on every broker.
    pub async fn start(
        template: MiniBrokerBuilder,
        brokers: usize,
    ) -> Result<MiniCluster, StartError> {
        if brokers == 0 {
            return Err(StartError::new("a mini-cluster needs at least one broker"));
        }
        let (host, port) = template.listen_host_port()?;
        let mut started = Vec::with_capacity(brokers);
        let admin = template.admin_host_port()?;
        for i in 0..brokers {
            let mut builder = template
                .clone()
                .broker_name(format!("broker-{i}"))
                .listen(format!("{host}:{}", nth_port(port, i)?));
            if let Some((admin_host, admin_port)) = &admin {
                builder =
                    builder.admin_listen(format!("{admin_host}:{}", nth_port(*admin_port, i)?));
            }
            if let Some(dir) = template.data_dir_path() {
                builder = builder.data_dir(dir.join(format!("broker-{i}")));
            }
            started.push(builder.start().await?);
        }
        let peers: Vec<Peer> = started
            .iter()
            .enumerate()
            .map(|(i, b)| Peer {
                name: format!("broker-{i}"),
                addr: b.local_addr(),
                admin: b.admin_addr(),
                core: std::sync::Arc::downgrade(&b.core),
                listed: std::sync::Arc::new(AtomicBool::new(true)),
            })
            .collect();
        for broker in &started {
            *broker.core.peers.write() = peers.clone();
        }
        Ok(MiniCluster { brokers: started })
    }

    /// The admin facade's `host:port` (see [`MiniBrokerBuilder::admin_listen`]): any
    /// broker's answers as the cluster's name server, listing every broker. `None` when off.
    pub fn admin_endpoint(&self) -> Option<String> {
        self.brokers.first().and_then(MiniBroker::admin_endpoint)
    }

    /// Every broker's `host:port`, joined with `;` as clients take an endpoint list.
    pub fn endpoints(&self) -> String {
        self.brokers
            .iter()
            .map(MiniBroker::endpoint)
            .collect::<Vec<_>>()
            .join(";")
    }

    /// The brokers, for per-broker inspection and faults (`fail_rpc`, `rpc_calls`, …).
    pub fn brokers(&self) -> &[MiniBroker] {
        &self.brokers
    }

    /// Broker `i`. Panics when `i` is out of range, as indexing does.
    pub fn broker(&self, i: usize) -> &MiniBroker {
        &self.brokers[i]
    }

    /// Takes broker `i` off the network with its state kept: its port refuses connections
    /// and its open connections are cut (see [`MiniBroker::take_down`]). Routes still list
    /// it, as a cluster's name server does until the broker's registration expires.
    pub async fn broker_down(&self, i: usize) {
        self.broker(i).take_down().await;
    }

    /// Brings broker `i` back on its port.
    pub async fn broker_up(&self, i: usize) -> Result<(), StartError> {
        self.broker(i).bring_up().await
    }

    /// Stops (`false`) or resumes listing broker `i` in the routes and assignments every broker
    /// answers, while it keeps serving: what clients meet when an Apache proxy's route cache
    /// has dropped a broker whose registration lapsed (a restarting broker) and calls already
    /// made to it are still going on.
    pub fn set_listed(&self, i: usize, listed: bool) {
        if let Some(peer) = self.broker(i).core.peers.read().get(i) {
            peer.listed.store(listed, Ordering::Relaxed);
        }
    }

    /// Adds `latency` to every call broker `i` serves; `Duration::ZERO` removes it.
    pub fn set_latency(&self, i: usize, latency: Duration) {
        self.broker(i).delay_all(latency);
    }

    /// Declares (or redeclares) a topic on every broker.
    pub fn create_topic(&self, topic: TopicConfig) {
        for broker in &self.brokers {
            broker.create_topic(topic.clone());
        }
    }

    /// Declares (or redeclares) a consumer group on every broker.
    pub fn create_group(&self, group: GroupConfig) {
        for broker in &self.brokers {
            broker.create_group(group.clone());
        }
    }

    /// Every message stored in the topic, broker after broker.
    pub fn messages(&self, topic: &str) -> Vec<StoredMessage> {
        self.brokers
            .iter()
            .flat_map(|b| b.messages(topic))
            .collect()
    }

    /// Moves every broker's virtual clock forward (see [`MiniBroker::advance`]).
    pub fn advance(&self, by: Duration) -> bool {
        self.brokers.iter().all(|b| b.advance(by))
    }

    /// Removes every injected fault and latency on every broker.
    pub fn clear_faults(&self) {
        for broker in &self.brokers {
            broker.clear_faults();
        }
    }

    /// Stops every broker.
    pub async fn shutdown(self) {
        for broker in self.brokers {
            broker.shutdown().await;
        }
    }
}

/// Broker `i`'s port: a free one when the template's is 0, else the template's plus `i`.
fn nth_port(port: u16, i: usize) -> Result<u16, StartError> {
    if port == 0 {
        return Ok(0);
    }
    u16::try_from(i)
        .ok()
        .and_then(|o| port.checked_add(o))
        .ok_or_else(|| StartError::new("the cluster's ports run past 65535"))
}
