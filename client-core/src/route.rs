//! Topic routes: the queues of a topic and the brokers (endpoints) that hold them, and the
//! client's cache of them: fetched on first use (or prefetched at start), refreshed by the
//! upkeep task, and the endpoints isolated after failing until they answer again.

use crate::config::Endpoint;
use crate::error::Result;
use crate::transport::Transport;
use rmq_proto::v2::{MessageQueue, MessageType, Permission, QueryRouteRequest, Resource};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One writable or readable queue of a topic on a master broker.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Queue {
    /// The queue as the server described it (echoed back in requests).
    pub(crate) queue: MessageQueue,
    /// Where its broker is served.
    pub(crate) endpoint: Endpoint,
}

impl Queue {
    /// Whether the topic accepts messages of `kind` on this queue.
    pub(crate) fn accepts(&self, kind: MessageType) -> bool {
        self.queue.accept_message_types.contains(&(kind as i32))
    }
}

/// A topic's route.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Route {
    /// Queues producers may write to (master broker, WRITE or READ_WRITE), in server order.
    pub(crate) writable: Vec<Queue>,
    /// Queues consumers may read from (master broker, READ or READ_WRITE).
    pub(crate) readable: Vec<Queue>,
    /// This topic's own round-robin position (as the reference client's load balancer per
    /// topic): a counter shared by every topic would, for a caller alternating two topics on
    /// two brokers, send or read each topic on one broker only.
    pub(crate) turn: Turn,
}

/// A round-robin counter from a random start; two routes are equal whatever their turns.
#[derive(Debug)]
pub(crate) struct Turn(AtomicUsize);

impl Turn {
    /// The next position.
    pub(crate) fn next(&self) -> usize {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

impl Default for Turn {
    fn default() -> Turn {
        Turn(AtomicUsize::new(rand::random::<u32>() as usize))
    }
}

impl Clone for Turn {
    fn clone(&self) -> Turn {
        Turn(AtomicUsize::new(self.0.load(Ordering::Relaxed)))
    }
}

impl PartialEq for Turn {
    fn eq(&self, _: &Turn) -> bool {
        true
    }
}

impl Route {
    /// One readable queue of each broker, in route order. A proxy receives from a whole
    /// broker whatever queue the request names, so rotating over these (not over every
    /// queue) visits each broker in turn.
    pub(crate) fn readable_brokers(&self) -> Vec<&Queue> {
        let mut out: Vec<&Queue> = Vec::new();
        for q in &self.readable {
            let broker = |q: &Queue| q.queue.broker.as_ref().map(|b| b.name.clone());
            if !out.iter().any(|seen| broker(seen) == broker(q)) {
                out.push(q);
            }
        }
        out
    }

    /// Every broker endpoint of the route, without repeats.
    pub(crate) fn endpoints(&self) -> Vec<Endpoint> {
        let mut out: Vec<Endpoint> = Vec::new();
        for q in self.writable.iter().chain(&self.readable) {
            if !out.contains(&q.endpoint) {
                out.push(q.endpoint.clone());
            }
        }
        out
    }
}

/// Asks the access point for `topic`'s route, trying each configured endpoint in turn while
/// they cannot be reached.
pub(crate) async fn query(transport: &Transport, topic: &str) -> Result<Route> {
    let config = transport.config();
    let request = || QueryRouteRequest {
        topic: Some(Resource {
            resource_namespace: config.namespace().to_owned(),
            name: topic.to_owned(),
        }),
        endpoints: Some(config.access_point()),
    };
    let (response, access) = transport
        .call_access_ok("query route", request, |mut stub, request| async move {
            stub.query_route(request).await
        })
        .await
        .map_err(|e| e.with_topic(topic))?;
    Ok(build(transport, response.message_queues, &access))
}

/// The routes a client uses and the endpoints it avoids.
#[derive(Default)]
pub(crate) struct RouteCache {
    routes: Mutex<HashMap<String, Arc<Route>>>,
    /// Brokers whose last attempt failed for a reason of theirs; tried last until a request
    /// to them succeeds.
    isolated: Mutex<HashSet<Endpoint>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RouteCache {
    /// The cached route of `topic`.
    pub(crate) fn get(&self, topic: &str) -> Option<Arc<Route>> {
        lock(&self.routes).get(topic).cloned()
    }

    /// Fetches `topic`'s route and caches it; returns it and whether the topic is new.
    pub(crate) async fn fetch(
        &self,
        transport: &Transport,
        topic: &str,
    ) -> Result<(Arc<Route>, bool)> {
        let mut route = query(transport, topic).await?;
        let mut routes = lock(&self.routes);
        let previous = routes.get(topic);
        // A refresh keeps the topic's position, as the reference client's load balancer does:
        // a fresh random start would make a consumer ask again a broker it just found empty.
        if let Some(previous) = previous {
            route.turn = previous.turn.clone();
        }
        let new = previous.is_none();
        let route = Arc::new(route);
        routes.insert(topic.to_owned(), route.clone());
        Ok((route, new))
    }

    /// Drops `topic`'s route.
    pub(crate) fn forget(&self, topic: &str) {
        lock(&self.routes).remove(topic);
    }

    /// Topics with a cached route.
    pub(crate) fn topics(&self) -> Vec<String> {
        lock(&self.routes).keys().cloned().collect()
    }

    /// Marks `endpoint` as failing; true if it was not isolated before.
    pub(crate) fn isolate(&self, endpoint: &Endpoint) -> bool {
        lock(&self.isolated).insert(endpoint.clone())
    }

    /// Takes `endpoint` out of isolation after a success; true if it was isolated.
    pub(crate) fn heal(&self, endpoint: &Endpoint) -> bool {
        let mut isolated = lock(&self.isolated);
        !isolated.is_empty() && isolated.remove(endpoint)
    }

    /// The isolated endpoints now.
    pub(crate) fn isolated(&self) -> HashSet<Endpoint> {
        lock(&self.isolated).clone()
    }
}

/// The route from a QueryRoute answer. A broker is named by its first address; one served at
/// several (a proxy cluster gives every broker all of its proxies) is told to the transport,
/// which moves to the next address when the one in use cannot be reached.
fn build(transport: &Transport, queues: Vec<MessageQueue>, access: &Endpoint) -> Route {
    let mut route = Route::default();
    for queue in queues {
        let Some(broker) = &queue.broker else {
            continue;
        };
        if broker.id != 0 {
            continue;
        }
        let mut addresses: Vec<Endpoint> = Vec::new();
        for address in broker.endpoints.iter().flat_map(|e| &e.addresses) {
            let Ok(port) = u16::try_from(address.port) else {
                continue;
            };
            let address = Endpoint {
                host: address.host.clone(),
                port,
            };
            // A proxy without useEndpointPortFromRequest puts its own port on every address.
            if !addresses.contains(&address) {
                addresses.push(address);
            }
        }
        transport.serve(&addresses);
        let endpoint = addresses
            .into_iter()
            .next()
            .unwrap_or_else(|| access.clone());
        let permission = Permission::try_from(queue.permission).unwrap_or(Permission::None);
        let entry = Queue { queue, endpoint };
        if matches!(permission, Permission::Write | Permission::ReadWrite) {
            route.writable.push(entry.clone());
        }
        if matches!(permission, Permission::Read | Permission::ReadWrite) {
            route.readable.push(entry);
        }
    }
    route
}
