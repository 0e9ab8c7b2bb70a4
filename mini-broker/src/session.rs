//! Connected clients: the Settings each registered over Telemetry and the stream used to send
//! it commands.

use parking_lot::Mutex;
use rmq_proto::v2::{self, ClientType, Settings, TelemetryCommand, settings};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

pub(crate) type CommandSender = mpsc::Sender<Result<TelemetryCommand, tonic::Status>>;

#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub(crate) client_type: ClientType,
    /// Consumer group, for consumers.
    pub(crate) group: Option<String>,
    pub(crate) topics: Vec<String>,
    pub(crate) request_timeout_ms: i64,
    stream: Option<(u64, CommandSender)>,
    last_seen: std::time::Instant,
}

/// A client with no Telemetry stream counts as gone this long after its last heartbeat,
/// the Apache proxy's idle limit.
const IDLE: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Debug, Default)]
pub(crate) struct Sessions(
    Mutex<HashMap<String, Session>>,
    /// Verifications sent to clients and not yet answered, by nonce.
    Mutex<HashMap<String, oneshot::Sender<v2::Status>>>,
);

impl Sessions {
    /// Records a client's Settings and the stream they came on.
    pub(crate) fn register(
        &self,
        client_id: &str,
        settings: &Settings,
        stream_id: u64,
        sender: CommandSender,
    ) {
        let topics = match &settings.pub_sub {
            Some(settings::PubSub::Publishing(p)) => {
                p.topics.iter().map(|t| t.name.clone()).collect()
            }
            Some(settings::PubSub::Subscription(s)) => s
                .subscriptions
                .iter()
                .filter_map(|e| e.topic.as_ref().map(|t| t.name.clone()))
                .collect(),
            None => Vec::new(),
        };
        let group = match &settings.pub_sub {
            Some(settings::PubSub::Subscription(s)) => s.group.as_ref().map(|g| g.name.clone()),
            _ => None,
        };
        let request_timeout_ms = settings
            .request_timeout
            .map_or(3_000, |d| d.seconds * 1000 + i64::from(d.nanos) / 1_000_000);
        self.0.lock().insert(
            client_id.to_owned(),
            Session {
                client_type: settings
                    .client_type
                    .and_then(|t| ClientType::try_from(t).ok())
                    .unwrap_or(ClientType::Unspecified),
                group,
                topics,
                request_timeout_ms,
                stream: Some((stream_id, sender)),
                last_seen: std::time::Instant::now(),
            },
        );
    }

    /// Records a heartbeat; returns the client type its Settings declared, `None` when the
    /// client sent no Settings.
    pub(crate) fn touch(&self, client_id: &str) -> Option<ClientType> {
        let mut sessions = self.0.lock();
        let session = sessions.get_mut(client_id)?;
        session.last_seen = std::time::Instant::now();
        Some(session.client_type)
    }

    /// Whether the client still counts as connected (for renewing its leases).
    pub(crate) fn alive(&self, client_id: &str) -> bool {
        self.0
            .lock()
            .get(client_id)
            .is_some_and(|s| s.stream.is_some() || s.last_seen.elapsed() < IDLE)
    }

    pub(crate) fn get(&self, client_id: &str) -> Option<Session> {
        self.0.lock().get(client_id).cloned()
    }

    /// Forgets a client (NotifyClientTermination). Returns whether it was known.
    pub(crate) fn remove(&self, client_id: &str) -> bool {
        self.0.lock().remove(client_id).is_some()
    }

    /// Detaches a finished Telemetry stream, keeping the Settings (as the Apache proxy does
    /// until the client terminates or idles out). Says whether it was the client's current
    /// stream.
    pub(crate) fn detach(&self, client_id: &str, stream_id: u64) -> bool {
        if let Some(session) = self.0.lock().get_mut(client_id)
            && session
                .stream
                .as_ref()
                .is_some_and(|(id, _)| *id == stream_id)
        {
            session.stream = None;
            return true;
        }
        false
    }

    /// Streams of producers that publish to `topic` and are connected.
    pub(crate) fn producers_of(&self, topic: &str) -> Vec<CommandSender> {
        self.0
            .lock()
            .values()
            .filter(|s| {
                s.client_type == ClientType::Producer && s.topics.iter().any(|t| t == topic)
            })
            .filter_map(|s| s.stream.as_ref().map(|(_, tx)| tx.clone()))
            .collect()
    }

    /// Streams of connected consumers of `group`.
    pub(crate) fn consumers_of(&self, group: &str) -> Vec<CommandSender> {
        self.0
            .lock()
            .values()
            .filter(|s| s.group.as_deref() == Some(group))
            .filter_map(|s| s.stream.as_ref().map(|(_, tx)| tx.clone()))
            .collect()
    }

    /// The Telemetry stream of a connected client.
    pub(crate) fn stream_of(&self, client_id: &str) -> Option<CommandSender> {
        let sessions = self.0.lock();
        let (_, tx) = sessions.get(client_id)?.stream.as_ref()?;
        Some(tx.clone())
    }

    /// Registers a verification about to be sent; the receiver gets the client's answer.
    pub(crate) fn expect_verification(&self, nonce: &str) -> oneshot::Receiver<v2::Status> {
        let (tx, rx) = oneshot::channel();
        self.1.lock().insert(nonce.to_owned(), tx);
        rx
    }

    /// A client answered the verification `nonce` (unknown nonces are ignored).
    pub(crate) fn verified(&self, nonce: &str, status: v2::Status) {
        if let Some(tx) = self.1.lock().remove(nonce) {
            let _ = tx.send(status);
        }
    }

    /// Drops a verification nobody answered.
    pub(crate) fn forget_verification(&self, nonce: &str) {
        self.1.lock().remove(nonce);
    }

    pub(crate) fn connected(&self) -> usize {
        self.0
            .lock()
            .values()
            .filter(|s| s.stream.is_some())
            .count()
    }
}
