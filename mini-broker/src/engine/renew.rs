//! Auto-renewal: the leases of push consumers' messages extended while the consumer lives
//! (Apache's proxy renews them), and released when it leaves.

use super::*;
use crate::clock::Millis;
use crate::store::journal::Renew;

impl Engine {
    /// Auto-renewed leases whose invisible time ends within [`RENEW_AHEAD`] and that may
    /// still be renewed: the renewal to apply, and the client it is for.
    pub(crate) fn renewable(&self, now: Millis) -> Vec<(Renew, String)> {
        let mut due = Vec::new();
        for state in self.consumers.iter() {
            for (queue, cursor) in state.queues.iter().enumerate() {
                for (offset, lease) in &cursor.leases {
                    let Some(owner) = &lease.owner else { continue };
                    if lease.deadline() > now
                        && lease.deadline() - now <= RENEW_AHEAD
                        && now - lease.leased_at < MAX_RENEW
                    {
                        let renew = Renew {
                            group: state.key.group.to_string(),
                            topic: state.key.topic.to_string(),
                            queue: u32::try_from(queue).unwrap_or(u32::MAX),
                            offset: *offset,
                            lease: lease.id,
                        };
                        due.push((renew, owner.clone()));
                    }
                }
            }
        }
        due.sort_by_key(|(k, _)| (k.lease, k.offset));
        due
    }

    /// Extends an auto-renewed lease. The lease (and so the client's handle) stays the same.
    pub(crate) fn renew(&mut self, key: &Renew, now: Millis) -> bool {
        let queue = usize::try_from(key.queue).unwrap_or(usize::MAX);
        let Some(state) = self.consumers.get_mut(&key.group, &key.topic) else {
            return false;
        };
        let due = state.lease_key(queue, key.offset, key.lease);
        let Some(lease) = state
            .queues
            .get_mut(queue)
            .and_then(|c| c.leases.get_mut(&key.offset))
        else {
            return false;
        };
        if lease.id != key.lease || lease.owner.is_none() || lease.deadline() <= now {
            return false;
        }
        let step = RENEW_STEPS[(lease.renewals as usize).min(RENEW_STEPS.len() - 1)];
        let before = lease.deadline();
        lease.pop_time = now;
        lease.invisible = step;
        lease.renewals += 1;
        // The lease keeps its id, so its old deadline must go or it would fire as a no-op.
        self.due.remove(&(before, Due::Lease(due.clone())));
        self.due.insert((now + step, Due::Lease(due)));
        true
    }

    /// A restart. Apache's proxy keeps what it renews in memory, so a restart ends every
    /// renewal and each message comes back when its lease ends. Kept across a restart, a lease
    /// whose receive response was lost in the crash would be renewed for its (reconnected)
    /// owner for hours, and a FIFO group would stay blocked behind it.
    pub(crate) fn forget_renewals(&mut self) {
        for state in self.consumers.iter_mut() {
            for cursor in &mut state.queues {
                for lease in cursor.leases.values_mut() {
                    lease.owner = None;
                }
            }
        }
    }

    /// A consumer left: its auto-renewed messages become visible again in a second.
    pub(crate) fn release_owner(&mut self, client: &str, now: Millis) -> bool {
        let mut released = Vec::new();
        for state in self.consumers.iter_mut() {
            for (queue, cursor) in state.queues.iter_mut().enumerate() {
                for (offset, lease) in &mut cursor.leases {
                    if lease.owner.as_deref() == Some(client) && lease.deadline() > now {
                        let before = lease.deadline();
                        lease.owner = None;
                        lease.pop_time = now;
                        lease.invisible = RELEASE_INVISIBLE;
                        let key = LeaseKey {
                            subscription: state.key.clone(),
                            queue,
                            offset: *offset,
                            lease: lease.id,
                        };
                        released.push((before, Due::Lease(key)));
                    }
                }
            }
        }
        let any = !released.is_empty();
        for (before, due) in released {
            self.due.remove(&(before, due.clone()));
            self.due.insert((now + RELEASE_INVISIBLE, due));
        }
        any
    }
}
