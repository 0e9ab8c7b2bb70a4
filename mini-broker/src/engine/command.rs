//! The engine's commands. A journal record is one command, and applying commands is the only
//! way the engine's state changes: live through `Core::execute`, and again in order on
//! recovery through [`Engine::replay`]. Both run the same [`Command::apply`] on the same
//! inputs — the record, its time, and the settings of the last journaled `Configure` — so
//! the live and replayed states agree. A command is journaled only when applying it changed
//! something, and time moves the engine only through journaled ticks.

use super::*;
use crate::receipt::ReceiptHandle;
use crate::store::journal::{
    Ack, ChangeInvisible, Configure, EndTransaction, Entry, ForwardToDlq, JGroup, JTopic, Op,
    Place, Pop, PullOffset, Recall, Release, Renew,
};
use crate::validate::texts;

/// One engine command, as journaled.
pub(crate) trait Command: Into<Op> {
    type Output;
    /// Applies the command at `now`. Returns its output and, when `keep` is set and the
    /// command changed state, the record to journal.
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (Self::Output, Option<Op>);
}

/// The record of a command that changed state, when records are kept.
pub(super) fn record(command: impl Into<Op>, changed: bool, keep: bool) -> Option<Op> {
    (changed && keep).then(|| command.into())
}

/// A handle that does not decode is an internal error on Apache (its decoder throws), for
/// every command that takes one.
fn handle(text: &str) -> Checked<ReceiptHandle> {
    ReceiptHandle::decode(text)
        .ok_or_else(|| Reject::new(Code::InternalServerError, texts::HANDLE_MALFORMED))
}

fn queue_index(queue: u32) -> usize {
    usize::try_from(queue).unwrap_or(usize::MAX)
}

impl Command for Place {
    type Output = Placed;
    fn apply(mut self, engine: &mut Engine, now: Millis, keep: bool) -> (Placed, Option<Op>) {
        let Some(message) = self.message.take() else {
            return (Placed::default(), None);
        };
        // Copied only when journaled; the body is shared `Bytes` either way.
        let kept = keep.then(|| {
            Op::Place(Place {
                message: Some(message.clone()),
                ..self
            })
        });
        let placed = engine.place((*message).into(), queue_index(self.queue), self.half, now);
        (placed, kept)
    }
}

/// A Pop with its filter compiled once: a long poll applies the same command on every
/// wake-up, and a filter may be long.
pub(crate) struct Popping {
    record: Pop,
    filter: Filter,
}

impl Popping {
    /// A receive's Pop, its filter checked against today's limits.
    pub(crate) fn new(record: Pop) -> Checked<Popping> {
        let filter = Filter::compile(record.filter.as_ref())?;
        Ok(Popping { record, filter })
    }

    /// A journaled Pop, whose filter was accepted when it was applied.
    fn recorded(record: Pop) -> Checked<Popping> {
        let filter = Filter::compile_recorded(record.filter.as_ref())?;
        Ok(Popping { record, filter })
    }
}

impl From<&Popping> for Op {
    fn from(popping: &Popping) -> Op {
        Op::Pop(popping.record.clone())
    }
}

impl Command for &Popping {
    type Output = Vec<Delivery>;
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (Vec<Delivery>, Option<Op>) {
        let pop = &self.record;
        let req = PopRequest {
            group: &pop.group,
            topic: &pop.topic,
            filter: &self.filter,
            max: usize::try_from(pop.max).unwrap_or(1),
            invisible: pop.invisible,
            fifo: pop.fifo,
            owner: pop.owner.as_deref(),
            attempt_id: pop.attempt_id.as_deref(),
        };
        let (deliveries, changed) = if pop.lite_queues.is_empty() {
            engine.pop(&req, now)
        } else {
            engine.pop_lite(&req, &pop.lite_queues, now)
        };
        (deliveries, record(self, changed, keep))
    }
}

impl Command for Ack {
    type Output = Checked;
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (Checked, Option<Op>) {
        let result =
            handle(&self.handle).and_then(|h| engine.ack(&self.group, &self.topic, &h, now));
        let changed = matches!(result, Ok(true));
        (result.map(drop), record(self, changed, keep))
    }
}

impl Command for ChangeInvisible {
    type Output = Checked<ReceiptHandle>;
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (Self::Output, Option<Op>) {
        let result = handle(&self.handle).and_then(|h| {
            engine.change_invisible(&self.group, &self.topic, &h, self.invisible, now)
        });
        let changed = result.is_ok();
        (result, record(self, changed, keep))
    }
}

impl Command for ForwardToDlq {
    type Output = Checked;
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (Checked, Option<Op>) {
        let result = handle(&self.handle)
            .and_then(|h| engine.forward_to_dlq(&self.group, &self.topic, &h, now));
        let changed = matches!(result, Ok(true));
        (result.map(drop), record(self, changed, keep))
    }
}

impl Command for Recall {
    type Output = Option<String>;
    fn apply(self, engine: &mut Engine, _: Millis, keep: bool) -> (Option<String>, Option<Op>) {
        let recalled = engine.recall(&self.topic, &self.message_id);
        let changed = recalled.is_some();
        (recalled, record(self, changed, keep))
    }
}

/// How [`EndTransaction::decision`] spells a producer's resolution.
pub(crate) fn decision(commit: Option<bool>) -> i32 {
    match commit {
        Some(true) => 1,
        Some(false) => 2,
        None => 0,
    }
}

impl Command for EndTransaction {
    type Output = Checked;
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (Checked, Option<Op>) {
        let commit = match self.decision {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        };
        let result = engine.end_transaction(&self.topic, &self.transaction_id, commit, now);
        let changed = result.is_ok() && commit.is_some();
        (result, record(self, changed, keep))
    }
}

impl Command for JTopic {
    type Output = ();
    fn apply(self, engine: &mut Engine, _: Millis, keep: bool) -> ((), Option<Op>) {
        let config = TopicConfig::from(self.clone());
        let changed = engine.meta.topics.get(&config.name) != Some(&config);
        engine.declare_topic(config);
        ((), record(self, changed, keep))
    }
}

impl Command for JGroup {
    type Output = ();
    fn apply(self, engine: &mut Engine, _: Millis, keep: bool) -> ((), Option<Op>) {
        let config = GroupConfig::from(self.clone());
        let changed = engine.meta.groups.get(&config.name) != Some(&config);
        engine.declare_group(config);
        ((), record(self, changed, keep))
    }
}

impl Command for PullOffset {
    type Output = ();
    fn apply(self, engine: &mut Engine, _: Millis, keep: bool) -> ((), Option<Op>) {
        let changed = engine.set_pull_offset(
            &self.group,
            &self.topic,
            queue_index(self.queue),
            self.offset,
        );
        ((), record(self, changed, keep))
    }
}

impl Command for Renew {
    type Output = bool;
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (bool, Option<Op>) {
        let renewed = engine.renew(&self, now);
        (renewed, record(self, renewed, keep))
    }
}

impl Command for Release {
    type Output = bool;
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> (bool, Option<Op>) {
        let released = engine.release_owner(&self.client, now);
        (released, record(self, released, keep))
    }
}

/// Any record: what recovery applies. Outputs are dropped, and so are the transaction checks
/// a tick asks for (the next live check sends them again).
impl Command for Op {
    type Output = ();
    fn apply(self, engine: &mut Engine, now: Millis, keep: bool) -> ((), Option<Op>) {
        let record = match self {
            Op::Tick(tick) => {
                let (_, _, fired) = engine.tick(now);
                record(tick, fired, keep)
            }
            Op::Place(c) => c.apply(engine, now, keep).1,
            // The filter compiled when the Pop was applied live.
            Op::Pop(c) => Popping::recorded(c)
                .ok()
                .and_then(|p| (&p).apply(engine, now, keep).1),
            Op::Ack(c) => c.apply(engine, now, keep).1,
            Op::ChangeInvisible(c) => c.apply(engine, now, keep).1,
            Op::ForwardToDlq(c) => c.apply(engine, now, keep).1,
            Op::Recall(c) => c.apply(engine, now, keep).1,
            Op::EndTransaction(c) => c.apply(engine, now, keep).1,
            Op::DeclareTopic(c) => c.apply(engine, now, keep).1,
            Op::DeclareGroup(c) => c.apply(engine, now, keep).1,
            Op::PullOffset(c) => c.apply(engine, now, keep).1,
            Op::Renew(c) => c.apply(engine, now, keep).1,
            Op::Release(c) => c.apply(engine, now, keep).1,
            Op::Trim(c) => c.apply(engine, now, keep).1,
            Op::Configure(c) => c.apply(engine, now, keep).1,
            Op::Delete(c) => c.apply(engine, now, keep).1,
            Op::LiteOffset(c) => c.apply(engine, now, keep).1,
        };
        ((), record)
    }
}

impl Engine {
    /// Applies one journaled entry again, exactly as it was applied live.
    pub(crate) fn replay(&mut self, entry: Entry) {
        if let Some(op) = entry.op {
            op.apply(self, entry.now, false);
        }
    }
}

impl From<&EngineConfig> for Configure {
    fn from(config: &EngineConfig) -> Configure {
        Configure {
            broker_name: config.broker_name.clone(),
            transaction_check_delay: config.transaction_check_delay,
            transaction_check_interval: config.transaction_check_interval,
            transaction_check_max: config.transaction_check_max,
        }
    }
}

impl From<Configure> for EngineConfig {
    fn from(c: Configure) -> EngineConfig {
        EngineConfig {
            broker_name: c.broker_name,
            transaction_check_delay: c.transaction_check_delay,
            transaction_check_interval: c.transaction_check_interval,
            transaction_check_max: c.transaction_check_max,
        }
    }
}

/// Always journaled, once per start: replay starts under whatever settings the broker starts
/// with, and this record puts back the ones the entries after it were applied under. It also
/// marks a restart, which ends every auto-renewal (see `Engine::forget_renewals`), live and
/// in replay alike.
impl Command for Configure {
    type Output = ();
    fn apply(self, engine: &mut Engine, _: Millis, keep: bool) -> ((), Option<Op>) {
        engine.config = self.clone().into();
        engine.forget_renewals();
        ((), record(self, true, keep))
    }
}
