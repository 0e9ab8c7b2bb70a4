//! Typed keys of consumer progress: a subscription (group, topic) and a lease on one message,
//! and the map that finds a subscription's progress by name without building a key.

use super::Cursor;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A consumer group's subscription to a topic.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Subscription {
    pub(crate) group: Arc<str>,
    pub(crate) topic: Arc<str>,
}

/// One lease on one message, as the deadline queue names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LeaseKey {
    pub(crate) subscription: Subscription,
    pub(crate) queue: usize,
    pub(crate) offset: i64,
    /// The lease id; an older deadline of a replaced lease no longer matches.
    pub(crate) lease: u64,
}

/// One subscription's progress.
#[derive(Debug)]
pub(crate) struct GroupTopic {
    pub(crate) key: Subscription,
    pub(crate) queues: Vec<Cursor>,
    pub(crate) rotation: usize,
    /// The last FIFO receive's attempt id and what it handed out.
    pub(crate) last_attempt: Option<(String, Vec<(usize, i64)>)>,
    /// Offsets committed by pull consumers, by queue.
    pub(crate) pull_offsets: BTreeMap<usize, i64>,
}

impl GroupTopic {
    pub(crate) fn lease_key(&self, queue: usize, offset: i64, lease: u64) -> LeaseKey {
        LeaseKey {
            subscription: self.key.clone(),
            queue,
            offset,
            lease,
        }
    }
}

/// Every subscription's progress, by group then topic.
#[derive(Debug, Default)]
pub(crate) struct Subscriptions(HashMap<Arc<str>, HashMap<Arc<str>, GroupTopic>>);

impl Subscriptions {
    pub(crate) fn get(&self, group: &str, topic: &str) -> Option<&GroupTopic> {
        self.0.get(group)?.get(topic)
    }

    pub(crate) fn get_mut(&mut self, group: &str, topic: &str) -> Option<&mut GroupTopic> {
        self.0.get_mut(group)?.get_mut(topic)
    }

    /// The subscription's progress with at least `queues` cursors, created on first use.
    pub(crate) fn entry(&mut self, group: &str, topic: &str, queues: usize) -> &mut GroupTopic {
        if self.get(group, topic).is_none() {
            let key = Subscription {
                group: group.into(),
                topic: topic.into(),
            };
            let state = GroupTopic {
                key: key.clone(),
                queues: Vec::new(),
                rotation: 0,
                last_attempt: None,
                pull_offsets: BTreeMap::new(),
            };
            self.0
                .entry(key.group)
                .or_default()
                .insert(key.topic, state);
        }
        let Some(state) = self.0.get_mut(group).and_then(|t| t.get_mut(topic)) else {
            unreachable!("inserted above")
        };
        state
            .queues
            .resize_with(state.queues.len().max(queues), Cursor::default);
        state
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &GroupTopic> {
        self.0.values().flat_map(HashMap::values)
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut GroupTopic> {
        self.0.values_mut().flat_map(HashMap::values_mut)
    }
}

impl Subscriptions {
    /// Forgets every group's subscription to `topic`; says whether there was one.
    pub(crate) fn remove_topic(&mut self, topic: &str) -> bool {
        let mut removed = false;
        self.0.retain(|_, topics| {
            removed |= topics.remove(topic).is_some();
            !topics.is_empty()
        });
        removed
    }

    /// Forgets every subscription of `group`; says whether it had any.
    pub(crate) fn remove_group(&mut self, group: &str) -> bool {
        self.0.remove(group).is_some()
    }
}
