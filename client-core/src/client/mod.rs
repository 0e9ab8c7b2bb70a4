//! The client base every producer and consumer is a thin layer over: identity, the transport,
//! one Telemetry session per broker, the route cache, the server's Settings as live state,
//! ONE upkeep task (heartbeats, route refresh, isolation healing, Settings re-sync, and a
//! client's own periodic chore), and one shutdown path. Dropping the last handle of a client
//! stops it too (see [`DropGuard`]).

pub(crate) mod id;
mod upkeep;

pub(crate) use upkeep::Chore;

use crate::config::{ClientConfig, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::message::FilterExpression;
use crate::route::{Route, RouteCache};
use crate::session::{CommandHandler, ServerSettings, Session};
use crate::transport::Transport;
use rmq_proto::v2::{
    self, ClientType, HeartbeatRequest, NotifyClientTerminationRequest, Publishing, Resource,
    Settings, Subscription, settings,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// What kind of client the base serves, with what its Settings and heartbeats carry.
pub(crate) enum Role {
    Producer {
        max_attempts: u32,
    },
    SimpleConsumer {
        group: String,
        subscriptions: Vec<(String, FilterExpression)>,
        await_duration: Duration,
        /// A lite simple consumer.
        lite: bool,
    },
    PushConsumer {
        group: String,
        subscriptions: Vec<(String, FilterExpression)>,
        /// A lite push consumer.
        lite: bool,
    },
}

impl Role {
    fn client_type(&self) -> ClientType {
        match self {
            Role::Producer { .. } => ClientType::Producer,
            Role::SimpleConsumer { lite: false, .. } => ClientType::SimpleConsumer,
            Role::SimpleConsumer { lite: true, .. } => ClientType::LiteSimpleConsumer,
            Role::PushConsumer { lite: false, .. } => ClientType::PushConsumer,
            Role::PushConsumer { lite: true, .. } => ClientType::LitePushConsumer,
        }
    }

    /// The consumer group, for consumers.
    pub(crate) fn group(&self) -> Option<&str> {
        match self {
            Role::Producer { .. } => None,
            Role::SimpleConsumer { group, .. } | Role::PushConsumer { group, .. } => Some(group),
        }
    }

    /// The subscriptions, for consumers (empty for a producer).
    pub(crate) fn subscriptions(&self) -> &[(String, FilterExpression)] {
        match self {
            Role::Producer { .. } => &[],
            Role::SimpleConsumer { subscriptions, .. }
            | Role::PushConsumer { subscriptions, .. } => subscriptions,
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// State and behaviour shared by every client.
pub(crate) struct ClientBase {
    pub(crate) transport: Transport,
    pub(crate) client_id: String,
    pub(crate) role: Role,
    pub(crate) routes: RouteCache,
    sessions: Mutex<HashMap<Endpoint, Arc<Session>>>,
    /// One session open at a time per endpoint: concurrent first uses of a broker (many sends
    /// to a new topic) share one Telemetry stream. An Apache proxy keeps one stream per client
    /// and answers Settings on it, so a second stream opened meanwhile waits in vain.
    opening: Mutex<HashMap<Endpoint, Arc<tokio::sync::Mutex<()>>>>,
    server: ServerSettings,
    handler: Option<CommandHandler>,
    stop: watch::Sender<bool>,
    closed: AtomicBool,
    /// The runtime the client was started on, where a dropped client says goodbye.
    runtime: tokio::runtime::Handle,
}

impl ClientBase {
    /// A base for `role` on the current runtime; `handler` (made with the client's transport)
    /// takes the server commands the role answers. Called from a client's async `start`.
    fn new(
        config: ClientConfig,
        role: Role,
        handler: impl FnOnce(&Transport) -> Option<CommandHandler>,
    ) -> Result<Arc<ClientBase>> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                ErrorKind::Unexpected,
                "start",
                "clients start on a tokio runtime",
            )
        })?;
        let client_id = id::next();
        let transport = Transport::new(config, &client_id)?;
        let handler = handler(&transport);
        Ok(Arc::new(ClientBase {
            transport,
            client_id,
            role,
            routes: RouteCache::default(),
            sessions: Mutex::new(HashMap::new()),
            opening: Mutex::new(HashMap::new()),
            server: watch::channel(None).0,
            handler,
            stop: watch::channel(false).0,
            closed: AtomicBool::new(false),
            runtime,
        }))
    }

    /// A started base: routes of `topics` fetched and their brokers' sessions open, with the
    /// guard the client's public handles hold. A start that fails drops the guard, so the
    /// sessions it opened are closed and the brokers told.
    pub(crate) async fn start(
        config: ClientConfig,
        role: Role,
        handler: impl FnOnce(&Transport) -> Option<CommandHandler>,
        topics: &[String],
    ) -> Result<(Arc<ClientBase>, Arc<DropGuard>)> {
        let base = ClientBase::new(config, role, handler)?;
        let guard = DropGuard::new(base.clone());
        for topic in topics {
            base.route(topic).await.map_err(|e| {
                let e = e.with_topic(topic);
                match base.role.group() {
                    Some(group) => e.with_group(group),
                    None => e,
                }
            })?;
        }
        tracing::debug!(
            client_id = %base.client_id,
            kind = base.role.client_type().as_str_name(),
            "client started"
        );
        Ok((base, guard))
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        self.transport.config()
    }

    /// `name` in the client's namespace.
    pub(crate) fn resource(&self, name: &str) -> Option<Resource> {
        Some(Resource {
            resource_namespace: self.config().namespace().to_owned(),
            name: name.to_owned(),
        })
    }

    /// The server's latest Settings (from any broker), if one has answered.
    pub(crate) fn server_settings(&self) -> Option<Arc<Settings>> {
        self.server.borrow().clone()
    }

    /// Fails with [`ErrorKind::Closed`] once the client is shut down or dropped.
    pub(crate) fn check_open(&self, op: &'static str) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, op, "the client is shut down"));
        }
        Ok(())
    }

    /// Resolves once the client stops.
    pub(crate) async fn stopped(&self) {
        let mut stop = self.stop.subscribe();
        let _ = stop.wait_for(|s| *s).await;
    }

    /// Whether the client has stopped.
    pub(crate) fn is_stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// The Settings this client reports: its type, group and subscriptions, or the topics it
    /// publishes to.
    fn local_settings(&self) -> Settings {
        let config = self.config();
        let namespace = config.namespace();
        let (pub_sub, backoff_policy) = match &self.role {
            Role::Producer { max_attempts } => {
                let topics = self
                    .routes
                    .topics()
                    .iter()
                    .filter_map(|t| self.resource(t))
                    .collect();
                let publishing = settings::PubSub::Publishing(Publishing {
                    topics,
                    max_body_size: 0,
                    validate_message_type: true,
                });
                let policy = v2::RetryPolicy {
                    max_attempts: i32::try_from(*max_attempts).unwrap_or(i32::MAX),
                    strategy: Some(v2::retry_policy::Strategy::ExponentialBackoff(
                        v2::ExponentialBackoff {
                            initial: Some(prost_types::Duration::default()),
                            max: Some(prost_types::Duration::default()),
                            multiplier: 1.0,
                        },
                    )),
                };
                (publishing, Some(policy))
            }
            Role::SimpleConsumer { group, .. } | Role::PushConsumer { group, .. } => {
                let long_polling_timeout = match &self.role {
                    Role::SimpleConsumer { await_duration, .. } => {
                        prost_types::Duration::try_from(*await_duration).ok()
                    }
                    _ => None,
                };
                let subscription = settings::PubSub::Subscription(Subscription {
                    group: self.resource(group),
                    subscriptions: self
                        .role
                        .subscriptions()
                        .iter()
                        .map(|(topic, filter)| v2::SubscriptionEntry {
                            topic: Some(Resource {
                                resource_namespace: namespace.to_owned(),
                                name: topic.clone(),
                            }),
                            expression: Some(filter.to_proto()),
                        })
                        .collect(),
                    long_polling_timeout,
                    ..Default::default()
                });
                (subscription, None)
            }
        };
        Settings {
            client_type: Some(self.role.client_type() as i32),
            access_point: Some(config.access_point()),
            backoff_policy,
            request_timeout: prost_types::Duration::try_from(config.request_timeout()).ok(),
            pub_sub: Some(pub_sub),
            user_agent: Some(user_agent()),
            metric: None,
            client_properties: HashMap::new(),
        }
    }

    /// The route of `topic`: cached, or fetched now (its brokers' sessions opened, and a
    /// producer's Settings updated with the new topic).
    pub(crate) async fn route(&self, topic: &str) -> Result<Arc<Route>> {
        if let Some(route) = self.routes.get(topic) {
            return Ok(route);
        }
        self.fetch_route(topic).await
    }

    async fn fetch_route(&self, topic: &str) -> Result<Arc<Route>> {
        let (route, new) = self.routes.fetch(&self.transport, topic).await?;
        if new && matches!(self.role, Role::Producer { .. }) {
            let settings = self.local_settings();
            for session in self.sessions() {
                session.update(settings.clone());
            }
        }
        // A route is usable while one of its brokers answers: the others are isolated (tried
        // last by producers) and their sessions opened again at the next route refresh or
        // assignment scan, as a cluster with one broker down expects.
        let endpoints = route.endpoints();
        let mut unreachable = Vec::new();
        let mut last_error = None;
        for endpoint in &endpoints {
            match self.open_sessions(std::slice::from_ref(endpoint)).await {
                Ok(()) => {}
                Err(error) if error.kind() == ErrorKind::Closed => return Err(error),
                Err(error) => {
                    unreachable.push(endpoint);
                    last_error = Some(error);
                }
            }
        }
        if let Some(error) = last_error {
            if unreachable.len() == endpoints.len() {
                // Uncached, so the next use tries the brokers' sessions again.
                if new {
                    self.routes.forget(topic);
                }
                return Err(error);
            }
            for endpoint in unreachable {
                if self.routes.isolate(endpoint) {
                    tracing::warn!(%endpoint, %topic, %error, "a broker of the route is unreachable; isolated");
                }
            }
        }
        Ok(route)
    }

    /// Fetches every cached route again; a failed fetch keeps the old route.
    pub(crate) async fn refresh_routes(&self) {
        for topic in self.routes.topics() {
            if self.is_stopped() {
                return;
            }
            if let Err(error) = self.fetch_route(&topic).await {
                tracing::debug!(%topic, %error, "route refresh failed; keeping the old route");
            }
        }
    }

    fn sessions(&self) -> Vec<Arc<Session>> {
        lock(&self.sessions).values().cloned().collect()
    }

    /// Opens a session to each of `endpoints` that has none yet.
    pub(crate) async fn open_sessions(&self, endpoints: &[Endpoint]) -> Result<()> {
        for endpoint in endpoints {
            if lock(&self.sessions).contains_key(endpoint) {
                continue;
            }
            let gate = lock(&self.opening)
                .entry(endpoint.clone())
                .or_default()
                .clone();
            let _opening = gate.lock().await;
            // Opened by a caller this one waited for.
            if lock(&self.sessions).contains_key(endpoint) {
                continue;
            }
            let wait = Duration::from_secs(3) + self.config().request_timeout();
            let session = Session::open(
                self.transport.clone(),
                endpoint.clone(),
                self.local_settings(),
                self.handler.clone(),
                wait,
                self.server.clone(),
            )
            .await
            .map_err(|e| e.with_endpoint(endpoint))?;
            let mut sessions = lock(&self.sessions);
            // `terminate` drains the map after `closed` is set: a session opened meanwhile
            // must not outlive the client.
            if self.closed.load(Ordering::Acquire) {
                session.close();
                return Err(Error::new(
                    ErrorKind::Closed,
                    "start",
                    "the client is shut down",
                ));
            }
            sessions
                .entry(endpoint.clone())
                .or_insert_with(|| Arc::new(session));
        }
        Ok(())
    }

    /// Heartbeats every broker with a session, and every isolated one; a broker that
    /// answers OK leaves isolation.
    async fn heartbeat(&self) {
        let mut endpoints: Vec<Endpoint> = lock(&self.sessions).keys().cloned().collect();
        for isolated in self.routes.isolated() {
            if !endpoints.contains(&isolated) {
                endpoints.push(isolated);
            }
        }
        for endpoint in endpoints {
            let request = HeartbeatRequest {
                group: self.role.group().and_then(|g| self.resource(g)),
                client_type: self.role.client_type() as i32,
            };
            let answer = self
                .transport
                .call_ok("heartbeat", &endpoint, request, |mut stub, r| async move {
                    stub.heartbeat(r).await
                })
                .await;
            match answer {
                Ok(_) => {
                    if self.routes.heal(&endpoint) {
                        tracing::info!(%endpoint, "endpoint back from isolation");
                    }
                }
                Err(error) => tracing::debug!(%endpoint, %error, "heartbeat failed"),
            }
        }
    }

    /// Sends every session's Settings again.
    fn resync(&self) {
        for session in self.sessions() {
            session.resync();
        }
    }

    /// Marks the client closed and signals its tasks to stop; false if it already was.
    pub(crate) fn begin_shutdown(&self) -> bool {
        if self.closed.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.stop.send_replace(true);
        true
    }

    /// Tells every broker this client leaves (a consumer's unsettled messages come back at
    /// once for others), closes the sessions, then the connections.
    pub(crate) async fn terminate(&self) {
        tracing::debug!(client_id = %self.client_id, "client shutting down");
        let sessions: Vec<(Endpoint, Arc<Session>)> = lock(&self.sessions).drain().collect();
        for (endpoint, session) in sessions {
            let request = NotifyClientTerminationRequest {
                group: self.role.group().and_then(|g| self.resource(g)),
            };
            let _ = self
                .transport
                .call(
                    "notify termination",
                    &endpoint,
                    request,
                    None,
                    |mut s, r| async move { s.notify_client_termination(r).await },
                )
                .await;
            session.close();
        }
        self.transport.close();
    }
}

/// The user agent every client reports in its Settings.
fn user_agent() -> v2::Ua {
    v2::Ua {
        language: v2::Language::Rust as i32,
        version: crate::transport::CLIENT_VERSION.to_owned(),
        platform: std::env::consts::OS.to_owned(),
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
    }
}

/// Held (in an `Arc`) by every public handle of a client and by nothing inside it, so it
/// drops with the last handle the user holds: the client then stops as `shutdown` would,
/// without blocking the dropping thread (the brokers are told on the client's runtime, from
/// any thread, runtime or not).
pub(crate) struct DropGuard {
    base: Arc<ClientBase>,
}

impl DropGuard {
    pub(crate) fn new(base: Arc<ClientBase>) -> Arc<DropGuard> {
        Arc::new(DropGuard { base })
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if !self.base.begin_shutdown() {
            return;
        }
        tracing::debug!(client_id = %self.base.client_id, "client dropped without shutdown; stopping it");
        let base = self.base.clone();
        // On a runtime already shut down this does nothing, and the sessions' tasks are gone.
        self.base
            .runtime
            .spawn(async move { base.terminate().await });
    }
}
