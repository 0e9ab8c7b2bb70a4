//! The assignment scan, the push consumer's chore in the client's upkeep task: asks which
//! queues of each subscribed topic this consumer should receive from, starts a receive loop
//! for each new one (opening a session to a new broker first), and stops the loops of queues
//! that left the assignment.

use super::Inner;
use super::receive_loop::receive_loop;
use crate::client::lock;
use crate::config::Endpoint;
use crate::error::Result;
use rmq_proto::v2::{MessageQueue, QueryAssignmentRequest};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::watch;

/// Receive loops by (topic, queue id, broker name), each with the flag that stops it.
pub(super) type Running = HashMap<(String, i32, String), watch::Sender<bool>>;

/// One scan of every subscribed topic.
pub(super) async fn scan(inner: &Arc<Inner>, running: &mut Running) {
    // Brokers whose session could not be opened in this scan: each costs a Settings wait, so
    // their other queues wait for the next scan instead of paying it again.
    let mut unreachable: Vec<Endpoint> = Vec::new();
    for (topic, filter) in &inner.subscriptions {
        let queues = match assignments(inner, topic).await {
            Ok(queues) => queues,
            Err(error) => {
                tracing::warn!(%topic, %error, "query assignment failed");
                continue;
            }
        };
        let mut assigned = Vec::new();
        for queue in queues {
            let broker = queue
                .broker
                .as_ref()
                .map(|b| b.name.clone())
                .unwrap_or_default();
            let key = (topic.clone(), queue.id, broker);
            if running.contains_key(&key) {
                assigned.push(key);
                continue;
            }
            let endpoint = endpoint_of(&queue, inner);
            if unreachable.contains(&endpoint) {
                continue;
            }
            if let Err(error) = inner
                .base
                .open_sessions(std::slice::from_ref(&endpoint))
                .await
            {
                tracing::warn!(%endpoint, %error, "no session with an assigned broker; retrying at the next scan");
                unreachable.push(endpoint);
                continue;
            }
            let (dropped, dropped_rx) = watch::channel(false);
            running.insert(key.clone(), dropped);
            assigned.push(key);
            inner.queues.fetch_add(1, Ordering::Relaxed);
            let task = tokio::spawn(receive_loop(
                inner.clone(),
                queue,
                endpoint,
                filter.clone(),
                dropped_rx,
            ));
            lock(&inner.tasks).push(task);
        }
        // Queues no longer assigned (a rebalance, a shrunk topic) stop receiving.
        running.retain(|key, dropped| {
            let keep = key.0 != *topic || assigned.contains(key);
            if !keep {
                // Its loop ends once the receive it has in flight is answered.
                let _ = dropped.send(true);
                inner.queues.fetch_sub(1, Ordering::Relaxed);
            }
            keep
        });
    }
    lock(&inner.tasks).retain(|t| !t.is_finished());
}

async fn assignments(inner: &Inner, topic: &str) -> Result<Vec<MessageQueue>> {
    let base = &inner.base;
    let config = base.config();
    let request = || QueryAssignmentRequest {
        topic: base.resource(topic),
        group: base.resource(&inner.group),
        endpoints: Some(config.access_point()),
    };
    let (response, _) = base
        .transport
        .call_access_ok("query assignment", request, |mut stub, r| async move {
            stub.query_assignment(r).await
        })
        .await
        .map_err(|e| e.with_topic(topic).with_group(&inner.group))?;
    Ok(response
        .assignments
        .into_iter()
        .filter_map(|a| a.message_queue)
        .filter(|q| q.broker.as_ref().is_some_and(|b| b.id == 0))
        .collect())
}

/// The broker endpoint a queue is served at (the access point when the server names none).
fn endpoint_of(queue: &MessageQueue, inner: &Inner) -> Endpoint {
    queue
        .broker
        .as_ref()
        .and_then(|b| b.endpoints.as_ref())
        .and_then(|e| e.addresses.first())
        .and_then(|a| {
            Some(Endpoint {
                host: a.host.clone(),
                port: u16::try_from(a.port).ok()?,
            })
        })
        .unwrap_or_else(|| inner.base.config().endpoints()[0].clone())
}
