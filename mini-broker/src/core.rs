//! State shared by the gRPC service, the scheduler and the `MiniBroker` handle.

use crate::auth::Credentials;
use crate::clock::{Clock, Millis};
use crate::engine::{Action, Engine};
use crate::fault::Faults;
use crate::session::Sessions;
use parking_lot::Mutex;
use rmq_proto::v2::{
    RecoverOrphanedTransactionCommand, Status, TelemetryCommand, telemetry_command,
};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{Notify, watch};

pub(crate) struct Core {
    pub(crate) engine: Mutex<Engine>,
    pub(crate) clock: Clock,
    /// Bumped whenever messages may have become visible; long polls watch it.
    pub(crate) visible: watch::Sender<u64>,
    /// Wakes the scheduler when an earlier deadline appears.
    pub(crate) scheduler: Notify,
    pub(crate) sessions: Sessions,
    pub(crate) faults: Faults,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) max_body_size: usize,
    /// `host:port` the broker serves on; set once bound.
    pub(crate) store_host: Mutex<String>,
    next_stream: AtomicU64,
}

impl Core {
    pub(crate) fn new(
        engine: Engine,
        clock: Clock,
        credentials: Option<Credentials>,
        max_body_size: usize,
    ) -> Self {
        Core {
            engine: Mutex::new(engine),
            clock,
            visible: watch::Sender::new(0),
            scheduler: Notify::new(),
            sessions: Sessions::default(),
            faults: Faults::default(),
            credentials,
            max_body_size,
            store_host: Mutex::new(String::new()),
            next_stream: AtomicU64::new(1),
        }
    }

    pub(crate) fn now(&self) -> Millis {
        self.clock.now()
    }

    pub(crate) fn stream_id(&self) -> u64 {
        self.next_stream.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs `f` on the engine after firing due deadlines, then publishes what changed.
    pub(crate) fn with_engine<R>(&self, f: impl FnOnce(&mut Engine, Millis) -> R) -> R {
        let now = self.now();
        let (result, visible, actions, rescheduled) = {
            let mut engine = self.engine.lock();
            let before = engine.next_due();
            let (visible, actions) = engine.tick(now);
            let result = f(&mut engine, now);
            let after = engine.next_due();
            (result, visible, actions, after.is_some() && after != before)
        };
        self.publish(visible, actions, rescheduled);
        result
    }

    /// Fires due deadlines (scheduler and virtual-clock entry point).
    pub(crate) fn tick(&self) -> Option<Millis> {
        self.with_engine(|engine, _| engine.next_due())
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
