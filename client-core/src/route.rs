//! Topic routes: the queues of a topic and the brokers (endpoints) that hold them.

use crate::config::Endpoint;
use crate::error::{Error, Result};
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::v2::{MessageQueue, MessageType, Permission, QueryRouteRequest, Resource};

/// One writable or readable queue of a topic on a master broker.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    /// The queue as the server described it (echoed back in requests).
    pub queue: MessageQueue,
    /// Where its broker is served.
    pub endpoint: Endpoint,
}

impl Queue {
    /// Whether the topic accepts messages of `kind` on this queue.
    pub fn accepts(&self, kind: MessageType) -> bool {
        self.queue.accept_message_types.contains(&(kind as i32))
    }
}

/// A topic's route.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Route {
    /// Queues producers may write to (master broker, WRITE or READ_WRITE), in server order.
    pub writable: Vec<Queue>,
    /// Queues consumers may read from (master broker, READ or READ_WRITE).
    pub readable: Vec<Queue>,
}

impl Route {
    /// Every broker endpoint of the route, without repeats.
    pub fn endpoints(&self) -> Vec<Endpoint> {
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
pub async fn query(transport: &Transport, topic: &str) -> Result<Route> {
    const OP: &str = "query route";
    let config = transport.config();
    let mut last = None;
    for access in config.endpoints() {
        let request = QueryRouteRequest {
            topic: Some(Resource {
                resource_namespace: config.namespace().to_owned(),
                name: topic.to_owned(),
            }),
            endpoints: Some(config.access_point()),
        };
        let mut stub = transport.stub(access)?;
        let response = match stub.query_route(transport.request(request, None)).await {
            Ok(r) => r.into_inner(),
            Err(status) => {
                last = Some(Error::from_grpc(OP, status));
                continue;
            }
        };
        let status = response.status.unwrap_or_default();
        if status.code != Code::Ok as i32 {
            return Err(Error::from_status(OP, status.code, status.message));
        }
        return Ok(build(response.message_queues, access));
    }
    Err(last.unwrap_or_else(|| Error::invalid(OP, "no endpoint configured")))
}

fn build(queues: Vec<MessageQueue>, access: &Endpoint) -> Route {
    let mut route = Route::default();
    for queue in queues {
        let Some(broker) = &queue.broker else {
            continue;
        };
        if broker.id != 0 {
            continue;
        }
        let endpoint = broker
            .endpoints
            .as_ref()
            .and_then(|e| e.addresses.first())
            .and_then(|a| {
                u16::try_from(a.port).ok().map(|port| Endpoint {
                    host: a.host.clone(),
                    port,
                })
            })
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
