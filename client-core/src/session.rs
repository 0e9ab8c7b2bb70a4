//! The Telemetry session with one endpoint: the client's Settings go first, the server's
//! Settings come back and are published to the client's live state, server commands are
//! answered, and a broken stream is reopened (Settings sent again) a second later until the
//! session is closed. The client's upkeep task asks for periodic re-syncs.

use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::v2::{
    Settings, Status, TelemetryCommand, ThreadStackTrace, VerifyMessageResult, telemetry_command,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

const OP: &str = "telemetry";
/// Wait before reopening a broken stream, as the reference client.
const REOPEN_AFTER: Duration = Duration::from_secs(1);

/// The server's latest Settings from any of a client's sessions.
pub(crate) type ServerSettings = watch::Sender<Option<Arc<Settings>>>;

/// Called with server commands the session does not answer itself (orphaned-transaction
/// checks, message verification) and a sender for replies on the stream. Returns whether it
/// took the command; a verification nobody takes is answered "not implemented". Runs on the
/// session task, so it must not block.
pub(crate) type CommandHandler =
    Arc<dyn Fn(&Endpoint, &TelemetryCommand, &Replies) -> bool + Send + Sync>;

/// Sends commands to the server on the session's stream.
pub(crate) type Replies = mpsc::Sender<TelemetryCommand>;

/// How far the first exchange got: what [`Session::open`] waits on.
#[derive(Clone, Debug)]
enum Opening {
    Waiting,
    /// The server's Settings came back.
    Answered,
    /// The stream could not be opened, or ended before the server answered: the server is
    /// down, refused the connection, or refused the client's Settings.
    Refused(tonic::Status),
}

/// A live session; dropping it (or [`Session::close`]) ends the stream.
pub(crate) struct Session {
    settings: watch::Sender<Settings>,
    stop: watch::Sender<bool>,
}

impl Session {
    /// Opens the session and waits up to `wait` for the server's Settings, which are also
    /// published to `publish` whenever they arrive. A stream the server refuses, or ends
    /// before answering, fails at once with the server's status, instead of at the end of
    /// `wait` (a broker that is down is isolated without delaying the client's start).
    pub(crate) async fn open(
        transport: Transport,
        endpoint: Endpoint,
        settings: Settings,
        handler: Option<CommandHandler>,
        wait: Duration,
        publish: ServerSettings,
    ) -> Result<Session> {
        let (settings_tx, settings_rx) = watch::channel(settings);
        let (arrived_tx, mut arrived) = watch::channel(Opening::Waiting);
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(run(
            transport,
            endpoint.clone(),
            settings_rx,
            arrived_tx,
            stopped,
            handler,
            publish,
        ));
        let outcome =
            tokio::time::timeout(wait, arrived.wait_for(|a| !matches!(a, Opening::Waiting)))
                .await
                .ok()
                .and_then(|r| r.ok().map(|o| o.clone()));
        match outcome {
            Some(Opening::Answered) => Ok(Session {
                settings: settings_tx,
                stop,
            }),
            Some(Opening::Refused(status)) => {
                let _ = stop.send(true);
                Err(Error::from_grpc(OP, status))
            }
            Some(Opening::Waiting) | None => {
                let _ = stop.send(true);
                Err(Error::new(
                    ErrorKind::Timeout,
                    OP,
                    format!("no Settings from {endpoint} within {wait:?}"),
                ))
            }
        }
    }

    /// Sends new client Settings (also used after a reconnect).
    pub(crate) fn update(&self, settings: Settings) {
        let _ = self.settings.send(settings);
    }

    /// Sends the current Settings again, so a proxy that lost them (restart behind a load
    /// balancer, idle clean-up) learns them again and answers with its current ones.
    pub(crate) fn resync(&self) {
        self.settings.send_modify(|_| {});
    }

    /// Ends the stream.
    pub(crate) fn close(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// Resolves once the session is closed (the guard `wait_for` returns is dropped here, so it
/// never sits in a task's state).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

fn settings_command(settings: &Settings) -> TelemetryCommand {
    TelemetryCommand {
        status: None,
        command: Some(telemetry_command::Command::Settings(settings.clone())),
    }
}

async fn run(
    transport: Transport,
    endpoint: Endpoint,
    mut settings: watch::Receiver<Settings>,
    arrived: watch::Sender<Opening>,
    mut stopped: watch::Receiver<bool>,
    handler: Option<CommandHandler>,
    publish: ServerSettings,
) {
    loop {
        if *stopped.borrow() {
            return;
        }
        let (tx, rx) = mpsc::channel(16);
        let first = settings_command(&settings.borrow_and_update());
        if tx.send(first).await.is_err() {
            return;
        }
        let (opened, address) = match transport.stub(&endpoint) {
            // No deadline: the stream lives as long as the client.
            Ok((mut stub, address)) => {
                let opened = stub
                    .telemetry(tonic::Request::new(ReceiverStream::new(rx)))
                    .await
                    .map(tonic::Response::into_inner);
                (opened, Some(address))
            }
            Err(e) => (Err(tonic::Status::unavailable(e.to_string())), None),
        };
        // A stream that breaks with the address it runs to reopens at the next one.
        let failed = |status: &tonic::Status| {
            if let Some(address) = &address {
                transport.failed(&endpoint, address, status);
            }
        };
        // Only the first exchange is reported; later ones reopen quietly.
        let refused = |status: tonic::Status| {
            arrived.send_if_modified(|a| match a {
                Opening::Waiting => {
                    *a = Opening::Refused(status);
                    true
                }
                _ => false,
            });
        };
        if let Ok(mut inbound) = opened {
            let ended = loop {
                tokio::select! {
                    () = until_stopped(&mut stopped) => return,
                    changed = settings.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        let command = settings_command(&settings.borrow_and_update());
                        if tx.send(command).await.is_err() {
                            break tonic::Status::unavailable("the telemetry stream closed");
                        }
                    }
                    next = inbound.next() => {
                        let command = match next {
                            Some(Ok(command)) => command,
                            Some(Err(status)) => break status,
                            None => break tonic::Status::unavailable("the server ended the telemetry stream"),
                        };
                        let answered = answer(&endpoint, command, &tx, &arrived, &publish, handler.as_ref());
                        if !answered.await {
                            break tonic::Status::unavailable("the server asked for a reconnect");
                        }
                    }
                }
            };
            failed(&ended);
            refused(ended);
        } else if let Err(status) = opened {
            tracing::debug!(%endpoint, %status, "telemetry stream failed to open");
            failed(&status);
            refused(status);
        }
        tokio::select! {
            () = until_stopped(&mut stopped) => return,
            () = tokio::time::sleep(REOPEN_AFTER) => {}
        }
    }
}

/// Handles one server command; false asks for the stream to be reopened.
async fn answer(
    endpoint: &Endpoint,
    command: TelemetryCommand,
    tx: &mpsc::Sender<TelemetryCommand>,
    arrived: &watch::Sender<Opening>,
    publish: &ServerSettings,
    handler: Option<&CommandHandler>,
) -> bool {
    use telemetry_command::Command;
    let status = |code: Code, message: &str| {
        Some(Status {
            code: code as i32,
            message: message.to_owned(),
        })
    };
    match command.command {
        Some(Command::Settings(settings)) => {
            publish.send_replace(Some(Arc::new(settings)));
            arrived.send_replace(Opening::Answered);
            true
        }
        Some(Command::PrintThreadStackTraceCommand(c)) => {
            let reply = TelemetryCommand {
                status: status(
                    Code::NotImplemented,
                    "thread dumps are not available in rmq",
                ),
                command: Some(Command::ThreadStackTrace(ThreadStackTrace {
                    nonce: c.nonce,
                    thread_stack_trace: None,
                })),
            };
            tx.send(reply).await.is_ok()
        }
        Some(Command::ReconnectEndpointsCommand(_)) => false,
        Some(Command::VerifyMessageCommand(ref c)) => {
            if handler.is_some_and(|h| h(endpoint, &command, tx)) {
                return true;
            }
            let reply = TelemetryCommand {
                status: status(Code::NotImplemented, "this client does not consume"),
                command: Some(Command::VerifyMessageResult(VerifyMessageResult {
                    nonce: c.nonce.clone(),
                })),
            };
            tx.send(reply).await.is_ok()
        }
        Some(_) => {
            if let Some(handler) = handler {
                handler(endpoint, &command, tx);
            }
            true
        }
        None => true,
    }
}
