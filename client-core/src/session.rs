//! The Telemetry session with one endpoint: the client's Settings go first, the server's
//! Settings come back and are published, server commands are answered, and a broken stream is
//! reopened (Settings sent again) a second later until the session is closed.

use crate::config::Endpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::Transport;
use rmq_proto::Code;
use rmq_proto::v2::{
    self, Settings, Status, TelemetryCommand, ThreadStackTrace, VerifyMessageResult,
    telemetry_command,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;

const OP: &str = "telemetry";
/// Wait before reopening a broken stream, as the reference client.
const REOPEN_AFTER: Duration = Duration::from_secs(1);
/// Period of re-sending Settings on a healthy stream, as the reference client, so a proxy
/// that lost them (restart behind a load balancer, idle clean-up) learns them again.
const RESYNC_EVERY: Duration = Duration::from_secs(5 * 60);

/// Called with server commands the session does not answer itself (orphaned-transaction
/// checks, message verification) and a sender for replies on the stream. Returns whether it
/// took the command; a verification nobody takes is answered "not implemented". Runs on the
/// session task, so it must not block.
pub type CommandHandler = Arc<dyn Fn(&Endpoint, &TelemetryCommand, &Replies) -> bool + Send + Sync>;

/// Sends commands to the server on the session's stream.
pub type Replies = mpsc::Sender<TelemetryCommand>;

/// A live session; dropping it (or [`Session::close`]) ends the stream.
pub struct Session {
    settings: watch::Sender<Settings>,
    server: watch::Receiver<Option<Settings>>,
    stop: watch::Sender<bool>,
}

impl Session {
    /// Opens the session and waits up to `wait` for the server's Settings.
    pub async fn open(
        transport: Transport,
        endpoint: Endpoint,
        settings: Settings,
        handler: Option<CommandHandler>,
        wait: Duration,
    ) -> Result<Session> {
        Self::open_with(transport, endpoint, settings, handler, wait, RESYNC_EVERY).await
    }

    /// [`Session::open`] with the period of Settings re-syncs.
    pub(crate) async fn open_with(
        transport: Transport,
        endpoint: Endpoint,
        settings: Settings,
        handler: Option<CommandHandler>,
        wait: Duration,
        resync_every: Duration,
    ) -> Result<Session> {
        let (settings_tx, settings_rx) = watch::channel(settings);
        let (server_tx, mut server) = watch::channel(None);
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(run(
            transport,
            endpoint.clone(),
            settings_rx,
            server_tx,
            stopped,
            handler,
            resync_every,
        ));
        let arrived = tokio::time::timeout(wait, server.wait_for(Option::is_some))
            .await
            .is_ok_and(|r| r.is_ok());
        match arrived {
            true => Ok(Session {
                settings: settings_tx,
                server,
                stop,
            }),
            false => {
                let _ = stop.send(true);
                Err(Error::new(
                    ErrorKind::Timeout,
                    OP,
                    format!("no Settings from {endpoint} within {wait:?}"),
                ))
            }
        }
    }

    /// The server's latest Settings.
    pub fn server_settings(&self) -> Option<Settings> {
        self.server.borrow().clone()
    }

    /// Sends new client Settings (also used after a reconnect).
    pub fn update(&self, settings: Settings) {
        let _ = self.settings.send(settings);
    }

    /// Ends the stream.
    pub fn close(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// The user agent every client reports in its Settings.
pub(crate) fn user_agent() -> v2::Ua {
    v2::Ua {
        language: v2::Language::Rust as i32,
        version: crate::transport::CLIENT_VERSION.to_owned(),
        platform: std::env::consts::OS.to_owned(),
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
    }
}

/// A consumer's subscriptions as Settings entries.
pub(crate) fn subscription_entries(
    namespace: &str,
    subscriptions: &[(String, crate::message_view::FilterExpression)],
) -> Vec<v2::SubscriptionEntry> {
    subscriptions
        .iter()
        .map(|(topic, filter)| v2::SubscriptionEntry {
            topic: Some(v2::Resource {
                resource_namespace: namespace.to_owned(),
                name: topic.clone(),
            }),
            expression: Some(filter.to_proto()),
        })
        .collect()
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
    server: watch::Sender<Option<Settings>>,
    mut stopped: watch::Receiver<bool>,
    handler: Option<CommandHandler>,
    resync_every: Duration,
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
        let opened = match transport.stub(&endpoint) {
            // No deadline: the stream lives as long as the client.
            Ok(mut stub) => stub
                .telemetry(tonic::Request::new(ReceiverStream::new(rx)))
                .await
                .map(tonic::Response::into_inner),
            Err(e) => Err(tonic::Status::unavailable(e.to_string())),
        };
        if let Ok(mut inbound) = opened {
            let mut resync =
                tokio::time::interval_at(tokio::time::Instant::now() + resync_every, resync_every);
            loop {
                tokio::select! {
                    () = until_stopped(&mut stopped) => return,
                    _ = resync.tick() => {
                        let command = settings_command(&settings.borrow());
                        if tx.send(command).await.is_err() {
                            break;
                        }
                    }
                    changed = settings.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        let command = settings_command(&settings.borrow_and_update());
                        if tx.send(command).await.is_err() {
                            break;
                        }
                    }
                    next = inbound.next() => {
                        let Some(Ok(command)) = next else { break };
                        if !answer(&endpoint, command, &tx, &server, handler.as_ref()).await {
                            break;
                        }
                    }
                }
            }
        } else if let Err(status) = opened {
            tracing::debug!(%endpoint, %status, "telemetry stream failed to open");
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
    server: &watch::Sender<Option<Settings>>,
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
            let _ = server.send(Some(settings));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    #[tokio::test]
    async fn settings_are_sent_again_on_a_healthy_stream() {
        let broker = rmq_mini_broker::MiniBroker::builder()
            .start()
            .await
            .expect("broker");
        let config = ClientConfig::builder()
            .endpoints(broker.endpoint())
            .build()
            .expect("config");
        let endpoint = config.endpoints()[0].clone();
        let transport = Transport::new(config.clone(), "resync-test").expect("transport");
        let settings = Settings {
            client_type: Some(v2::ClientType::Producer as i32),
            access_point: Some(config.access_point()),
            pub_sub: Some(v2::settings::PubSub::Publishing(v2::Publishing::default())),
            ..Default::default()
        };
        let session = Session::open_with(
            transport,
            endpoint,
            settings,
            None,
            Duration::from_secs(3),
            Duration::from_millis(50),
        )
        .await
        .expect("session");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let sent = broker.rpc_calls("Telemetry.Settings");
        assert!(sent >= 5, "{sent} Settings in 400 ms with a 50 ms re-sync");
        session.close();
    }
}
