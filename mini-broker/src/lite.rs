//! Lite subscriptions: which lite topics each lite consumer subscribed, per client, in memory
//! (as on Apache's broker, which rebuilds them from the clients' periodic full syncs).

use parking_lot::Mutex;
use std::collections::{BTreeSet, HashMap};

/// One client's lite subscription.
#[derive(Debug)]
struct ClientLite {
    group: String,
    topic: String,
    lites: BTreeSet<String>,
    /// Rotates the order its lite queues are read in, so one busy lite topic cannot starve
    /// the others.
    turn: usize,
}

#[derive(Debug, Default)]
pub(crate) struct LiteSubscriptions(Mutex<HashMap<String, ClientLite>>);

impl LiteSubscriptions {
    /// Adds lite topics to a client's set, or (complete) replaces its set.
    pub(crate) fn add(
        &self,
        client: &str,
        group: &str,
        topic: &str,
        names: &[String],
        complete: bool,
    ) {
        let mut clients = self.0.lock();
        let entry = clients
            .entry(client.to_owned())
            .or_insert_with(|| ClientLite {
                group: group.to_owned(),
                topic: topic.to_owned(),
                lites: BTreeSet::new(),
                turn: 0,
            });
        if entry.group != group || entry.topic != topic || complete {
            entry.group = group.to_owned();
            entry.topic = topic.to_owned();
            entry.lites = names.iter().cloned().collect();
            return;
        }
        entry.lites.extend(names.iter().cloned());
    }

    /// Removes lite topics from a client's set.
    pub(crate) fn remove(&self, client: &str, names: &[String]) {
        if let Some(entry) = self.0.lock().get_mut(client) {
            for name in names {
                entry.lites.remove(name);
            }
        }
    }

    /// Forgets a client (terminated, or its stream ended).
    pub(crate) fn forget(&self, client: &str) {
        self.0.lock().remove(client);
    }

    /// The client's lite topics under `topic` for `group`, in this poll's order.
    pub(crate) fn poll_order(&self, client: &str, group: &str, topic: &str) -> Vec<String> {
        let mut clients = self.0.lock();
        let Some(entry) = clients.get_mut(client) else {
            return Vec::new();
        };
        if entry.group != group || entry.topic != topic || entry.lites.is_empty() {
            return Vec::new();
        }
        let mut order: Vec<String> = entry.lites.iter().cloned().collect();
        let turn = entry.turn % order.len();
        entry.turn = entry.turn.wrapping_add(1);
        order.rotate_left(turn);
        order
    }

    /// Other clients of `group` subscribed to `lite`: an exclusive subscription takes it
    /// from them. Each loses it here; the caller tells them.
    pub(crate) fn take_from_others(&self, client: &str, group: &str, lite: &str) -> Vec<String> {
        let mut clients = self.0.lock();
        clients
            .iter_mut()
            .filter_map(|(id, c)| {
                (id.as_str() != client && c.group == group && c.lites.remove(lite))
                    .then(|| id.clone())
            })
            .collect()
    }

    /// The client's lite topics.
    #[cfg(test)]
    pub(crate) fn of(&self, client: &str) -> Vec<String> {
        self.0
            .lock()
            .get(client)
            .map(|c| c.lites.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn partial_adds_accumulate_and_complete_replaces() {
        let subs = LiteSubscriptions::default();
        subs.add("c", "g", "t", &names(&["a", "b"]), false);
        subs.add("c", "g", "t", &names(&["b", "c"]), false);
        assert_eq!(subs.of("c"), names(&["a", "b", "c"]));
        subs.add("c", "g", "t", &names(&["c", "e"]), true);
        assert_eq!(subs.of("c"), names(&["c", "e"]));
        subs.remove("c", &names(&["c"]));
        assert_eq!(subs.of("c"), names(&["e"]));
    }

    #[test]
    fn poll_order_rotates_and_exclusive_takes_from_others() {
        let subs = LiteSubscriptions::default();
        subs.add("c1", "g", "t", &names(&["a", "b", "c"]), false);
        subs.add("c2", "g", "t", &names(&["b"]), false);
        subs.add("c3", "other", "t", &names(&["b"]), false);
        assert_eq!(subs.poll_order("c1", "g", "t"), names(&["a", "b", "c"]));
        assert_eq!(subs.poll_order("c1", "g", "t"), names(&["b", "c", "a"]));
        assert!(subs.poll_order("c1", "other", "t").is_empty());
        assert_eq!(subs.take_from_others("c1", "g", "b"), names(&["c2"]));
        assert!(subs.of("c2").is_empty());
        assert_eq!(subs.of("c3"), names(&["b"]));
    }
}
