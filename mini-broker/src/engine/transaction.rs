//! Half messages: the producer's decision and the orphan checks.

use super::*;
use crate::clock::Millis;
use crate::validate::{Checked, Reject, texts};
use rmq_proto::Code;

impl Engine {
    pub(crate) fn end_transaction(
        &mut self,
        topic: &str,
        transaction_id: &str,
        commit: Option<bool>,
        now: Millis,
    ) -> Checked {
        let known = self
            .halves
            .get(transaction_id)
            .is_some_and(|h| h.message.topic == topic);
        if !known {
            return Err(Reject::new(
                Code::InternalServerError,
                texts::TRANSACTION_NOT_FOUND,
            ));
        }
        let Some(commit) = commit else {
            return Ok(());
        };
        if let Some(half) = self.halves.remove(transaction_id)
            && commit
        {
            self.place(half.message, half.queue_id, false, now);
        }
        Ok(())
    }

    pub(super) fn check_transaction(
        &mut self,
        transaction_id: &str,
        generation: u64,
        now: Millis,
    ) -> Option<Action> {
        let max = self.config.transaction_check_max;
        let interval = self.config.transaction_check_interval;
        let half = self.halves.get_mut(transaction_id)?;
        if half.generation != generation {
            return None;
        }
        if half.checks >= max {
            self.halves.remove(transaction_id);
            return None;
        }
        half.checks += 1;
        let action = Action::CheckTransaction {
            topic: half.message.topic.clone(),
            transaction_id: transaction_id.to_owned(),
            message: half.message.clone(),
        };
        self.due.insert((
            now + interval,
            Due::TransactionCheck {
                transaction_id: transaction_id.to_owned(),
                generation,
            },
        ));
        Some(action)
    }
}
