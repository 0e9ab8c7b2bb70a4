//! Which queue a send goes to: the reference client's choice, so every SDK picks the same.

use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::route::{Queue, Route};
use std::collections::HashSet;

/// Queues to try, in order: the group's queue for FIFO messages (every attempt), else one
/// queue per broker, round robin from `start`, with isolated brokers (recently failing) last.
pub(crate) fn candidates<'a>(
    route: &'a Route,
    group: Option<&str>,
    start: usize,
    isolated: &HashSet<Endpoint>,
) -> Result<Vec<&'a Queue>> {
    let queues = &route.writable;
    if queues.is_empty() {
        return Err(Error::new(
            ErrorKind::Forbidden,
            "send",
            "the topic has no writable queue",
        ));
    }
    if let Some(group) = group {
        // Guava's sipHash24 (keys 00..0f) read as a signed long, floor-mod the queue count.
        // Isolation does not apply: a message group has exactly one queue.
        let index = fifo_hash(group).rem_euclid(queues.len() as i64) as usize;
        return Ok(vec![&queues[index]]);
    }
    let mut picked: Vec<&Queue> = Vec::new();
    for step in 0..queues.len() {
        let queue = &queues[(start + step) % queues.len()];
        let broker = queue.queue.broker.as_ref().map(|b| b.name.as_str());
        if !picked
            .iter()
            .any(|p| p.queue.broker.as_ref().map(|b| b.name.as_str()) == broker)
        {
            picked.push(queue);
        }
    }
    // Healthy brokers first; isolated ones stay as a last resort.
    picked.sort_by_key(|q| isolated.contains(&q.endpoint));
    Ok(picked)
}

fn fifo_hash(group: &str) -> i64 {
    siphasher::sip::SipHasher24::new_with_keys(0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908)
        .hash(group.as_bytes()) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmq_proto::v2;

    fn two_broker_route() -> Route {
        let queue = |broker: &str, port: u16, id: i32| Queue {
            queue: v2::MessageQueue {
                id,
                broker: Some(v2::Broker {
                    name: broker.into(),
                    id: 0,
                    endpoints: None,
                }),
                ..Default::default()
            },
            endpoint: Endpoint {
                host: "127.0.0.1".into(),
                port,
            },
        };
        Route {
            writable: vec![queue("a", 1, 0), queue("b", 2, 0), queue("a", 1, 1)],
            readable: Vec::new(),
            ..Route::default()
        }
    }

    #[test]
    fn isolated_brokers_are_tried_last_and_fifo_ignores_isolation() {
        let route = two_broker_route();
        let none = HashSet::new();
        let order = |start, isolated: &HashSet<Endpoint>| -> Vec<u16> {
            candidates(&route, None, start, isolated)
                .expect("queues")
                .iter()
                .map(|q| q.endpoint.port)
                .collect()
        };
        assert_eq!(order(0, &none), [1, 2], "one queue per broker, round robin");
        assert_eq!(order(1, &none), [2, 1]);
        let isolated: HashSet<Endpoint> = [Endpoint {
            host: "127.0.0.1".into(),
            port: 1,
        }]
        .into();
        assert_eq!(order(0, &isolated), [2, 1], "the isolated broker goes last");
        assert_eq!(order(1, &isolated), [2, 1]);
        let fifo = candidates(&route, Some("g"), 0, &isolated).expect("queue");
        assert_eq!(fifo.len(), 1, "a message group keeps its one queue");
    }

    #[test]
    fn fifo_queue_matches_guava_siphash() {
        // The empty-input vector of the SipHash-2-4 reference implementation (keys 00..0f).
        assert_eq!(fifo_hash("") as u64, 0x726f_db47_dd0e_0e31);
    }
}
