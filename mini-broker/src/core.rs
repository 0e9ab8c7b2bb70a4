//! State shared by the gRPC service, the scheduler and the `MiniBroker` handle.

use crate::auth::Credentials;
use crate::clock::{Clock, Millis};
use crate::engine::{Action, Engine};
use crate::fault::Faults;
use crate::session::Sessions;
use crate::store::journal::{Entry, Flushed, Journal, Op, Tick};
use parking_lot::Mutex;
use rmq_proto::v2::{
    RecoverOrphanedTransactionCommand, Status, TelemetryCommand, telemetry_command,
};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Notify, watch};

/// A broker of a mini-cluster, as routes name it.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub(crate) name: String,
    pub(crate) addr: std::net::SocketAddr,
}

pub(crate) struct Core {
    /// The engine and, in durable mode, the journal every change is appended to under the
    /// same lock, so the journal order is the apply order.
    engine: Mutex<(Engine, Option<Journal>)>,
    pub(crate) clock: Clock,
    /// Bumped whenever messages may have become visible; long polls watch it.
    pub(crate) visible: watch::Sender<u64>,
    /// Wakes the scheduler when an earlier deadline appears.
    pub(crate) scheduler: Notify,
    pub(crate) sessions: Sessions,
    pub(crate) faults: Faults,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) max_body_size: usize,
    /// Turns true when the broker shuts down; long polls and Telemetry streams end on it.
    pub(crate) stopping: watch::Receiver<bool>,
    /// `host:port` the broker serves on; set once bound.
    pub(crate) store_host: Mutex<String>,
    /// In a mini-cluster, every broker of it (this one included), in order; routes and
    /// assignments list their queues. Empty for a lone broker.
    pub(crate) peers: parking_lot::RwLock<Vec<Peer>>,
    next_stream: AtomicU64,
}

impl Core {
    pub(crate) fn new(
        engine: Engine,
        journal: Option<Journal>,
        clock: Clock,
        credentials: Option<Credentials>,
        max_body_size: usize,
        stopping: watch::Receiver<bool>,
    ) -> Self {
        Core {
            engine: Mutex::new((engine, journal)),
            clock,
            visible: watch::Sender::new(0),
            scheduler: Notify::new(),
            sessions: Sessions::default(),
            faults: Faults::default(),
            credentials,
            max_body_size,
            stopping,
            store_host: Mutex::new(String::new()),
            peers: parking_lot::RwLock::new(Vec::new()),
            next_stream: AtomicU64::new(1),
        }
    }

    pub(crate) fn now(&self) -> Millis {
        self.clock.now()
    }

    pub(crate) fn stream_id(&self) -> u64 {
        self.next_stream.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs `f` on the engine after firing due deadlines, then publishes what changed. `f`
    /// must not change state other than through [`Core::mutate`]'s journaled operations.
    pub(crate) fn with_engine<R>(&self, f: impl FnOnce(&mut Engine, Millis) -> R) -> R {
        self.mutate(|engine, now, _| (f(engine, now), Vec::new())).0
    }

    /// Reads the engine without changing it: no deadline fires, nothing is journaled.
    pub(crate) fn inspect<R>(&self, f: impl FnOnce(&Engine) -> R) -> R {
        f(&self.engine.lock().0)
    }

    /// Runs a state change. `f` gets the engine, the time, and whether a journal is kept; it
    /// returns its result and, when journaling, the operations to append. Returns the result
    /// and what to await (with [`Core::durable`]) before acknowledging the change.
    pub(crate) fn mutate<R>(
        &self,
        f: impl FnOnce(&mut Engine, Millis, bool) -> (R, Vec<Op>),
    ) -> (R, Flushed) {
        let now = self.now();
        let mut flushed = Flushed::default();
        let (result, visible, actions, rescheduled) = {
            let mut guard = self.engine.lock();
            let (engine, journal) = &mut *guard;
            let before = engine.next_due();
            let (visible, actions, fired) = engine.tick_all(now);
            if fired && let Some(journal) = journal.as_mut() {
                flushed = journal.append(
                    Entry {
                        now,
                        op: Some(Op::Tick(Tick {})),
                    },
                    false,
                );
            }
            let (result, ops) = f(engine, now, journal.is_some());
            if let Some(journal) = journal.as_mut() {
                let last = ops.len();
                for (i, op) in ops.into_iter().enumerate() {
                    // The writer completes in order, so waiting on the last entry covers all.
                    let entry = Entry { now, op: Some(op) };
                    flushed = flushed.then(journal.append(entry, i + 1 == last));
                }
            }
            let after = engine.next_due();
            (result, visible, actions, after.is_some() && after != before)
        };
        self.publish(visible, actions, rescheduled);
        (result, flushed)
    }

    /// Waits until a journaled change is on disk (sync flush); returns at once otherwise. A
    /// change the journal could not write is not acknowledged: INTERNAL_SERVER_ERROR, with
    /// the I/O error in the text.
    pub(crate) async fn durable(&self, flushed: Flushed) -> Result<(), Status> {
        flushed.wait().await.map_err(|failure| Status {
            code: rmq_proto::Code::InternalServerError as i32,
            message: failure.to_string(),
        })
    }

    /// Why the journal refuses changes, once it does.
    pub(crate) fn journal_failure(&self) -> Option<String> {
        let guard = self.engine.lock();
        guard
            .1
            .as_ref()
            .and_then(|j| j.failure())
            .map(|f| f.to_string())
    }

    /// Drops the journal, flushing and closing it.
    pub(crate) fn close_journal(&self) {
        let journal = self.engine.lock().1.take();
        drop(journal);
    }

    /// Fires due deadlines (scheduler and virtual-clock entry point).
    pub(crate) fn tick(&self) -> Option<Millis> {
        self.with_engine(|engine, _| engine.next_due())
    }

    /// Renews the auto-renewed leases that end soon and whose consumer is alive, as the
    /// Apache proxy does for push consumers.
    pub(crate) fn renew_leases(&self) {
        let due = self.with_engine(|engine, now| engine.renewable(now));
        for key in due {
            if !self.sessions.alive(&key.owner) {
                continue;
            }
            self.mutate(|engine, now, journaling| {
                let renewed = engine.renew(&key, now);
                let ops = if journaling && renewed {
                    vec![Op::Renew(crate::store::journal::Renew {
                        group: key.group.clone(),
                        topic: key.topic.clone(),
                        queue: u32::try_from(key.queue).unwrap_or(0),
                        offset: key.offset,
                        lease: key.lease,
                    })]
                } else {
                    Vec::new()
                };
                ((), ops)
            });
        }
    }

    /// Tells long polls that messages may be visible.
    pub(crate) fn notify_visible(&self) {
        self.visible.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn publish(&self, visible: bool, actions: Vec<Action>, rescheduled: bool) {
        if visible {
            self.notify_visible();
        }
        if rescheduled {
            self.scheduler.notify_one();
        }
        for action in actions {
            match action {
                Action::CheckTransaction {
                    topic,
                    transaction_id,
                    message,
                } => {
                    let store_host = self.store_host.lock().clone();
                    let command = TelemetryCommand {
                        status: Some(Status {
                            code: rmq_proto::Code::Ok as i32,
                            message: "OK".into(),
                        }),
                        command: Some(
                            telemetry_command::Command::RecoverOrphanedTransactionCommand(
                                RecoverOrphanedTransactionCommand {
                                    message: Some(crate::convert::message(
                                        &message,
                                        "",
                                        &store_host,
                                    )),
                                    transaction_id: transaction_id.clone(),
                                },
                            ),
                        ),
                    };
                    // One live producer of the topic is asked, as on Apache; with none, the
                    // check is lost but still counts.
                    let delivered = self
                        .sessions
                        .producers_of(&topic)
                        .into_iter()
                        .any(|tx| tx.try_send(Ok(command.clone())).is_ok());
                    tracing::debug!(%topic, %transaction_id, delivered, "orphaned transaction check");
                }
            }
        }
    }
}
