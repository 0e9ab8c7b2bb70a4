//! FIFO consumption: per message group, one message in flight at a time.

use super::*;
use crate::clock::Millis;
use crate::store::TopicLog;
use std::collections::HashSet;

/// Ordered consumption: per message group, only the oldest unacked message may be out, and
/// nothing behind it is handed out while it is in flight. Messages without a group share one
/// ordering per queue, as Apache orders a whole queue.
pub(super) fn pop_fifo(
    cursor: &mut Cursor,
    log: &TopicLog,
    queue: usize,
    req: &PopRequest<'_>,
    now: Millis,
    picked: &mut Vec<(usize, i64, i32)>,
    changed: &mut bool,
) {
    let end = log.end(queue);
    let mut blocked: HashSet<&str> = HashSet::new();
    let mut offset = cursor.committed;
    while offset < end && picked.len() < req.max {
        let current = offset;
        offset += 1;
        if cursor.is_acked(current) {
            continue;
        }
        let Some(message) = log.get(queue, current) else {
            break;
        };
        let group = message.message_group.as_deref().unwrap_or("");
        if blocked.contains(group) {
            continue;
        }
        let attempt = match cursor.leases.get(&current) {
            Some(lease) if lease.deadline() > now && !cursor.ready.contains(&current) => {
                blocked.insert(group);
                continue;
            }
            Some(lease) => lease.attempt + 1,
            None => 1,
        };
        if !req.filter.matches(message) {
            cursor.ack(current);
            *changed = true;
            continue;
        }
        cursor.ready.remove(&current);
        picked.push((queue, current, attempt));
        // Later messages of this group may join the same batch, in order, but a later poll
        // must wait until this one is settled.
    }
}
