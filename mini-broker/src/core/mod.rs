//! State shared by the gRPC service, the scheduler and the `MiniBroker` handle.

mod upkeep;

pub(crate) use upkeep::Upkeep;

use crate::auth::Credentials;
use crate::clock::{Clock, Millis};
use crate::engine::{Action, Command, Engine};
use crate::fault::Faults;
use crate::session::Sessions;
use crate::store::journal::{Entry, Flushed, Journal, Op, Tick};
use parking_lot::Mutex;
use rmq_proto::v2::{
    RecoverOrphanedTransactionCommand, Status, TelemetryCommand, telemetry_command,
};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{Notify, watch};

/// Size limits a request is checked against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Largest message body.
    pub(crate) max_body_size: usize,
    /// Most lite topics the broker holds (Apache's LMQ quota, `maxLmqConsumeQueueNum`);
    /// unbounded when `None`, as Apache without `enableLmqQuota`.
    pub(crate) max_lite_topics: Option<usize>,
}

/// A broker of a mini-cluster, as routes name it.
#[derive(Clone, Debug)]
pub(crate) struct Peer {
    pub(crate) name: String,
    pub(crate) addr: std::net::SocketAddr,
    /// Its admin (remoting) address, when it serves one.
    pub(crate) admin: Option<std::net::SocketAddr>,
    /// Its state, for the admin facade's name-server answers (which list only the brokers
    /// that hold a topic). Weak: every broker's core holds every peer.
    pub(crate) core: std::sync::Weak<Core>,
    /// Whether routes and assignments list it (see `MiniCluster::set_listed`); shared by
    /// every broker's copy of the peer list.
    pub(crate) listed: std::sync::Arc<std::sync::atomic::AtomicBool>,
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
    pub(crate) limits: Limits,
    /// Lite consumers' subscriptions.
    pub(crate) lite: crate::lite::LiteSubscriptions,
    /// Turns true when the broker shuts down; long polls and Telemetry streams end on it.
    pub(crate) stopping: watch::Receiver<bool>,
    /// `host:port` the broker serves on; set once bound.
    pub(crate) store_host: Mutex<String>,
    /// In a mini-cluster, every broker of it (this one included), in order; routes and
    /// assignments list their queues. Empty for a lone broker.
    pub(crate) peers: parking_lot::RwLock<Vec<Peer>>,
    next_stream: AtomicU64,
    /// Round-robin position of sends without a message group.
    send_turn: AtomicUsize,
    /// Retention and snapshots.
    upkeep: Upkeep,
}

/// The engine under its lock at one instant, applying commands and journaling their records.
struct Instant<'a> {
    engine: &'a mut Engine,
    journal: Option<&'a mut Journal>,
    now: Millis,
    /// What the records appended so far need before they may be acknowledged.
    flushed: Flushed,
}

impl Instant<'_> {
    fn apply<C: Command>(&mut self, command: C) -> C::Output {
        let keep = self.journal.is_some();
        let (output, record) = command.apply(self.engine, self.now, keep);
        match record {
            Some(op) => self.journal(op, true),
            // An answer from state not yet on disk waits for it like the change itself.
            None => {
                if let Some(journal) = self.journal.as_deref_mut() {
                    self.flushed = std::mem::take(&mut self.flushed).then(journal.barrier());
                }
            }
        }
        output
    }

    fn journal(&mut self, op: Op, wait: bool) {
        if let Some(journal) = self.journal.as_deref_mut() {
            let entry = Entry {
                now: self.now,
                op: Some(op),
            };
            // The writer completes in order, so waiting on the last entry covers the others.
            let appended = journal.append(entry, wait);
            self.flushed = std::mem::take(&mut self.flushed).then(appended);
        }
    }
}

impl Core {
    pub(crate) fn new(
        engine: Engine,
        journal: Option<Journal>,
        clock: Clock,
        credentials: Option<Credentials>,
        limits: Limits,
        stopping: watch::Receiver<bool>,
        upkeep: Upkeep,
    ) -> Self {
        Core {
            engine: Mutex::new((engine, journal)),
            clock,
            visible: watch::Sender::new(0),
            scheduler: Notify::new(),
            sessions: Sessions::default(),
            faults: Faults::default(),
            credentials,
            limits,
            lite: crate::lite::LiteSubscriptions::default(),
            stopping,
            store_host: Mutex::new(String::new()),
            peers: parking_lot::RwLock::new(Vec::new()),
            next_stream: AtomicU64::new(1),
            send_turn: AtomicUsize::new(0),
            upkeep,
        }
    }

    pub(crate) fn now(&self) -> Millis {
        self.clock.now()
    }

    pub(crate) fn stream_id(&self) -> u64 {
        self.next_stream.fetch_add(1, Ordering::Relaxed)
    }

    /// Reads the engine without changing it: no deadline fires, nothing is journaled.
    pub(crate) fn inspect<R>(&self, f: impl FnOnce(&Engine) -> R) -> R {
        f(&self.engine.lock().0)
    }

    /// Picks the queue of a message sent to a topic of `queues` queues.
    pub(crate) fn choose_queue(&self, queues: u32, message_group: Option<&str>) -> usize {
        let turn = self.send_turn.fetch_add(1, Ordering::Relaxed);
        crate::engine::choose_queue(queues, message_group, turn)
    }

    /// Applies one command (see `engine/command.rs`) and journals it if it changed state.
    /// Returns its output and what to await (with [`Core::durable`]) before acknowledging it.
    pub(crate) fn execute<C: Command>(&self, command: C) -> (C::Output, Flushed) {
        self.run(|at| at.apply(command))
    }

    /// Like [`Core::execute`], with the command made from the state under the same lock, so
    /// an update that keeps what it does not name cannot race another update.
    pub(crate) fn execute_with<C: Command>(
        &self,
        make: impl FnOnce(&Engine) -> C,
    ) -> (C::Output, Flushed) {
        self.run(|at| {
            let command = make(at.engine);
            at.apply(command)
        })
    }

    /// Applies several commands under one lock, in order, like [`Core::execute`].
    pub(crate) fn execute_all<C: Command>(&self, commands: Vec<C>) -> (Vec<C::Output>, Flushed) {
        self.run(|at| commands.into_iter().map(|c| at.apply(c)).collect())
    }

    /// Fires due deadlines, journaling the tick (scheduler and virtual-clock entry point);
    /// returns the next deadline.
    pub(crate) fn tick(&self) -> Option<Millis> {
        self.run(|at| at.engine.next_due()).0
    }

    /// Moves the engine to the current time (a journaled tick when deadlines fire), runs
    /// `f` at that instant, then publishes what changed.
    fn run<R>(&self, f: impl FnOnce(&mut Instant<'_>) -> R) -> (R, Flushed) {
        let now = self.now();
        let (result, flushed, visible, actions, rescheduled) = {
            let mut guard = self.engine.lock();
            let (engine, journal) = &mut *guard;
            let before = engine.next_due();
            let (visible, actions, fired) = engine.tick(now);
            let mut at = Instant {
                engine,
                journal: journal.as_mut(),
                now,
                flushed: Flushed::default(),
            };
            if fired {
                at.journal(Op::Tick(Tick {}), false);
            }
            let result = f(&mut at);
            let after = at.engine.next_due();
            let rescheduled = after.is_some() && after != before;
            (result, at.flushed, visible, actions, rescheduled)
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

    /// Snapshots what the journal holds since the last snapshot, so the next start reads
    /// little, then drops the journal, flushing and closing it.
    pub(crate) fn close_journal(&self) {
        self.snapshot_now();
        let journal = self.engine.lock().1.take();
        drop(journal);
    }

    /// Renews the auto-renewed leases that end soon and whose consumer is alive, as the
    /// Apache proxy does for push consumers.
    pub(crate) fn renew_leases(&self) {
        let due = self.inspect(|engine| engine.renewable(self.now()));
        for (renew, owner) in due {
            if self.sessions.alive(&owner) {
                self.execute(renew);
            }
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
