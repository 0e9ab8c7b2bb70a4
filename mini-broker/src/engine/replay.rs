//! Recovery: journal entries applied again, in order.

use super::*;
use crate::filter::Filter;
use crate::receipt::ReceiptHandle;
use crate::store::journal::{Entry, Op};

impl Engine {
    /// Applies one journaled entry exactly as it was applied live.
    pub(crate) fn replay(&mut self, entry: Entry) {
        let now = entry.now;
        // Deadlines fire first, as `Core` fires them before every operation; the actions
        // (transaction checks) are dropped: the next live check re-sends them.
        let _ = self.tick(now);
        let Some(op) = entry.op else { return };
        match op {
            Op::Place(place) => {
                if let Some(message) = place.message {
                    self.place((*message).into(), place.queue as usize, place.half, now);
                }
            }
            Op::Pop(pop) => {
                let Ok(filter) = Filter::compile(pop.filter.as_ref()) else {
                    return;
                };
                let _ = self.pop(
                    &PopRequest {
                        group: &pop.group,
                        topic: &pop.topic,
                        filter: &filter,
                        max: pop.max as usize,
                        invisible: pop.invisible,
                        fifo: pop.fifo,
                        owner: pop.owner.as_deref(),
                        attempt_id: pop.attempt_id.as_deref(),
                    },
                    now,
                );
            }
            Op::Renew(op) => {
                let _ = self.renew(
                    &RenewKey {
                        group: op.group,
                        topic: op.topic,
                        queue: op.queue as usize,
                        offset: op.offset,
                        lease: op.lease,
                        owner: String::new(),
                    },
                    now,
                );
            }
            Op::Release(op) => {
                let _ = self.release_owner(&op.client, now);
            }
            Op::Ack(op) => {
                if let Some(handle) = ReceiptHandle::decode(&op.handle) {
                    let _ = self.ack(&op.group, &op.topic, &handle, now);
                }
            }
            Op::ChangeInvisible(op) => {
                if let Some(handle) = ReceiptHandle::decode(&op.handle) {
                    let _ = self.change_invisible(&op.group, &op.topic, &handle, op.invisible, now);
                }
            }
            Op::ForwardToDlq(op) => {
                if let Some(handle) = ReceiptHandle::decode(&op.handle) {
                    let _ = self.forward_to_dlq(&op.group, &op.topic, &handle, now);
                }
            }
            Op::Recall(op) => {
                let _ = self.recall(&op.topic, &op.message_id);
            }
            Op::EndTransaction(op) => {
                let decision = match op.decision {
                    1 => Some(true),
                    2 => Some(false),
                    _ => None,
                };
                let _ = self.end_transaction(&op.topic, &op.transaction_id, decision, now);
            }
            Op::Tick(_) => {}
            Op::DeclareTopic(topic) => self.declare_topic(topic.into()),
            Op::DeclareGroup(group) => self.declare_group(group.into()),
            Op::PullOffset(op) => {
                self.set_pull_offset(&op.group, &op.topic, op.queue as usize, op.offset);
            }
        }
    }
}
