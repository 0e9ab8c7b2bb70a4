//! `SimpleConsumer`: receive with long polling, then ack or change the invisible duration.

use crate::client_id;
use crate::config::{ClientConfig, Endpoint};
use crate::error::{Error, ErrorKind, Result};
use crate::message_view::{FilterExpression, MessageView};
use crate::metrics::ConsumerMetrics;
use crate::route::{self, Route};
use crate::session::Session;
use crate::transport::Transport;
use rmq_proto::v2::{
    ChangeInvisibleDurationRequest, ClientType, HeartbeatRequest, NotifyClientTerminationRequest,
    ReceiveMessageRequest, Resource, Settings, Subscription, settings,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

/// Long-polling time of a receive unless set: 30 s.
pub const DEFAULT_AWAIT: Duration = Duration::from_secs(30);

struct Inner {
    transport: Transport,
    client_id: String,
    group: String,
    subscriptions: Vec<(String, FilterExpression)>,
    await_duration: Duration,
    routes: Mutex<HashMap<String, Arc<Route>>>,
    sessions: Mutex<HashMap<Endpoint, Session>>,
    next_topic: AtomicUsize,
    next_queue: AtomicUsize,
    closed: AtomicBool,
    stop: watch::Sender<bool>,
    metrics: ConsumerMetrics,
}

/// Builder of [`SimpleConsumer`].
pub struct SimpleConsumerBuilder {
    config: ClientConfig,
    group: String,
    subscriptions: Vec<(String, FilterExpression)>,
    await_duration: Duration,
    route_refresh: Duration,
}

impl SimpleConsumerBuilder {
    /// How often the subscribed topics' routes are fetched again (new queues and brokers come
    /// into use). Default 30 s, as the reference client.
    pub fn route_refresh_interval(mut self, every: Duration) -> Self {
        self.route_refresh = every.max(Duration::from_millis(10));
        self
    }

    /// Subscribes to `topic` with `filter` (repeat for more topics).
    pub fn subscribe(mut self, topic: impl Into<String>, filter: FilterExpression) -> Self {
        self.subscriptions.push((topic.into(), filter));
        self
    }

    /// How long a receive waits for messages. Default 30 s (the server clamps to 5–20 s).
    pub fn await_duration(mut self, duration: Duration) -> Self {
        self.await_duration = duration;
        self
    }

    /// Starts the consumer: fetches routes (fails clearly for a missing topic) and opens the
    /// brokers' sessions.
    pub async fn start(self) -> Result<SimpleConsumer> {
        const OP: &str = "start";
        if self.group.trim().is_empty() {
            return Err(Error::invalid(OP, "consumer group must not be empty"));
        }
        if self.subscriptions.is_empty() {
            return Err(Error::invalid(OP, "subscribe to at least one topic"));
        }
        let empty_sql =
            |f: &FilterExpression| matches!(f, FilterExpression::Sql(e) if e.trim().is_empty());
        if let Some((topic, _)) = self.subscriptions.iter().find(|(_, f)| empty_sql(f)) {
            return Err(Error::invalid(OP, format!("empty SQL filter for {topic}")));
        }
        let client_id = client_id::next();
        let transport = Transport::new(self.config, &client_id)?;
        let mut routes = HashMap::new();
        for (topic, _) in &self.subscriptions {
            routes.insert(
                topic.clone(),
                Arc::new(route::query(&transport, topic).await?),
            );
        }
        let metrics = ConsumerMetrics::new(&client_id, &self.group);
        let consumer = SimpleConsumer {
            inner: Arc::new(Inner {
                transport,
                client_id,
                group: self.group,
                subscriptions: self.subscriptions,
                await_duration: self.await_duration,
                routes: Mutex::new(routes),
                sessions: Mutex::new(HashMap::new()),
                next_topic: AtomicUsize::new(rand::random::<u32>() as usize),
                next_queue: AtomicUsize::new(rand::random::<u32>() as usize),
                closed: AtomicBool::new(false),
                stop: watch::channel(false).0,
                metrics,
            }),
        };
        consumer.open_sessions().await?;
        tokio::spawn(upkeep(
            Arc::downgrade(&consumer.inner),
            consumer.inner.stop.subscribe(),
            self.route_refresh,
        ));
        Ok(consumer)
    }
}

/// Period of heartbeats, as the reference client.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

/// Refreshes routes (opening sessions to new brokers) and sends heartbeats until shutdown or
/// until every handle is dropped.
async fn upkeep(inner: Weak<Inner>, mut stop: watch::Receiver<bool>, refresh: Duration) {
    let mut next_refresh = tokio::time::Instant::now() + refresh;
    let mut next_heartbeat = tokio::time::Instant::now() + HEARTBEAT_EVERY;
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep_until(next_refresh.min(next_heartbeat)) => {}
        }
        let Some(inner) = inner.upgrade() else { return };
        let consumer = SimpleConsumer { inner };
        let now = tokio::time::Instant::now();
        if now >= next_refresh {
            for (topic, _) in &consumer.inner.subscriptions {
                match route::query(&consumer.inner.transport, topic).await {
                    Ok(route) => {
                        lock(&consumer.inner.routes).insert(topic.clone(), Arc::new(route));
                    }
                    Err(error) => {
                        tracing::debug!(%topic, %error, "route refresh failed; keeping the old route");
                    }
                }
            }
            if let Err(error) = consumer.open_sessions().await {
                tracing::debug!(%error, "opening a session to a new broker failed");
            }
            next_refresh = now + refresh;
        }
        if now >= next_heartbeat {
            let endpoints: Vec<Endpoint> = lock(&consumer.inner.sessions).keys().cloned().collect();
            for endpoint in endpoints {
                let transport = &consumer.inner.transport;
                let request = HeartbeatRequest {
                    group: consumer.resource(&consumer.inner.group),
                    client_type: ClientType::SimpleConsumer as i32,
                };
                if let Ok(mut stub) = transport.stub(&endpoint) {
                    let _ = stub.heartbeat(transport.request(request, None)).await;
                }
            }
            next_heartbeat = now + HEARTBEAT_EVERY;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Receives and settles messages one call at a time. Clone it freely.
#[derive(Clone)]
pub struct SimpleConsumer {
    inner: Arc<Inner>,
}

impl SimpleConsumer {
    /// A builder for consumer group `group`.
    pub fn builder(config: ClientConfig, group: impl Into<String>) -> SimpleConsumerBuilder {
        SimpleConsumerBuilder {
            config,
            group: group.into(),
            subscriptions: Vec::new(),
            await_duration: DEFAULT_AWAIT,
            route_refresh: crate::producer::DEFAULT_ROUTE_REFRESH,
        }
    }

    /// Opens a session to every broker of the current routes that has none yet.
    async fn open_sessions(&self) -> Result<()> {
        let wait = Duration::from_secs(3) + self.inner.transport.config().request_timeout();
        let endpoints: Vec<Endpoint> = {
            let routes = lock(&self.inner.routes);
            let sessions = lock(&self.inner.sessions);
            let mut all: Vec<Endpoint> = Vec::new();
            for route in routes.values() {
                for e in route.endpoints() {
                    if !all.contains(&e) && !sessions.contains_key(&e) {
                        all.push(e);
                    }
                }
            }
            all
        };
        for endpoint in endpoints {
            let session = Session::open(
                self.inner.transport.clone(),
                endpoint.clone(),
                self.settings(),
                None,
                wait,
            )
            .await?;
            lock(&self.inner.sessions).insert(endpoint, session);
        }
        Ok(())
    }

    fn resource(&self, name: &str) -> Option<Resource> {
        Some(Resource {
            resource_namespace: self.inner.transport.config().namespace().to_owned(),
            name: name.to_owned(),
        })
    }

    fn settings(&self) -> Settings {
        let config = self.inner.transport.config();
        Settings {
            client_type: Some(ClientType::SimpleConsumer as i32),
            access_point: Some(config.access_point()),
            request_timeout: prost_types::Duration::try_from(config.request_timeout()).ok(),
            pub_sub: Some(settings::PubSub::Subscription(Subscription {
                group: self.resource(&self.inner.group),
                subscriptions: crate::session::subscription_entries(
                    config.namespace(),
                    &self.inner.subscriptions,
                ),
                long_polling_timeout: prost_types::Duration::try_from(self.inner.await_duration)
                    .ok(),
                ..Default::default()
            })),
            user_agent: Some(crate::session::user_agent()),
            ..Default::default()
        }
    }

    fn check_open(&self, op: &'static str) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Error::new(ErrorKind::Closed, op, "consumer is shut down"));
        }
        Ok(())
    }

    /// Receives up to `max` messages (1 to 32), hidden from the group for `invisible`
    /// (10 s to 12 h on Apache servers). An empty result means nothing arrived in time.
    pub async fn receive(&self, max: u32, invisible: Duration) -> Result<Vec<MessageView>> {
        const OP: &str = "receive";
        self.check_open(OP)?;
        if max == 0 {
            return Err(Error::invalid(OP, "max must be at least 1"));
        }
        let inner = &self.inner;
        let (topic, filter) = &inner.subscriptions
            [inner.next_topic.fetch_add(1, Ordering::Relaxed) % inner.subscriptions.len()];
        let route = lock(&inner.routes)
            .get(topic)
            .cloned()
            .ok_or_else(|| Error::invalid(OP, format!("not subscribed to {topic}")))?;
        if route.readable.is_empty() {
            return Err(Error::new(
                ErrorKind::Forbidden,
                OP,
                format!("{topic} has no readable queue"),
            ));
        }
        let queue = &route.readable
            [inner.next_queue.fetch_add(1, Ordering::Relaxed) % route.readable.len()];
        let request = ReceiveMessageRequest {
            group: self.resource(&inner.group),
            message_queue: Some(queue.queue.clone()),
            filter_expression: Some(filter.to_proto()),
            batch_size: i32::try_from(max.min(32)).unwrap_or(32),
            invisible_duration: prost_types::Duration::try_from(invisible).ok(),
            auto_renew: false,
            long_polling_timeout: prost_types::Duration::try_from(inner.await_duration).ok(),
            attempt_id: None,
        };
        let deadline = inner.await_duration + inner.transport.config().request_timeout();
        let span = tracing::info_span!(
            "rmq.receive",
            group = %inner.group,
            topic = %topic,
            queue = queue.queue.id,
            max,
            received = tracing::field::Empty,
        );
        let views = crate::receive::receive(
            &inner.transport,
            &queue.endpoint,
            request,
            deadline,
            Some(&inner.metrics),
        )
        .instrument(span.clone())
        .await?;
        span.record("received", views.len());
        Ok(views)
    }

    /// Acknowledges a message: it is consumed for the group.
    pub async fn ack(&self, view: &MessageView) -> Result<()> {
        let mut results = self.ack_batch(std::slice::from_ref(view)).await?;
        results.pop().unwrap_or_else(|| {
            Err(Error::new(
                ErrorKind::Unexpected,
                "ack",
                "the server returned no ack result",
            ))
        })
    }

    /// Acknowledges several messages with one request per broker and topic. The outer error
    /// is a failed request; otherwise each view gets its own result, in order (an expired
    /// receipt handle fails only its own entry).
    pub async fn ack_batch(&self, views: &[MessageView]) -> Result<Vec<Result<()>>> {
        self.check_open("ack")?;
        let span =
            tracing::info_span!("rmq.ack", group = %self.inner.group, messages = views.len());
        let views: Vec<&MessageView> = views.iter().collect();
        crate::ack::ack_all(&self.inner.transport, &self.inner.group, &views)
            .instrument(span)
            .await
    }

    /// Hides the message for `invisible` from now and returns it with its new receipt handle;
    /// the old handle stops working.
    pub async fn change_invisible_duration(
        &self,
        view: &MessageView,
        invisible: Duration,
    ) -> Result<MessageView> {
        const OP: &str = "change invisible duration";
        self.check_open(OP)?;
        let transport = &self.inner.transport;
        let request = ChangeInvisibleDurationRequest {
            group: self.resource(&self.inner.group),
            topic: self.resource(&view.topic),
            receipt_handle: view.receipt_handle.clone(),
            invisible_duration: prost_types::Duration::try_from(invisible).ok(),
            message_id: view.message_id.clone(),
            lite_topic: None,
            suspend: None,
        };
        let response = transport
            .stub(&view.endpoint)?
            .change_invisible_duration(transport.request(request, None))
            .await
            .map_err(|s| Error::from_grpc(OP, s))?
            .into_inner();
        Error::check(OP, response.status)?;
        let mut updated = view.clone();
        updated.receipt_handle = response.receipt_handle;
        Ok(updated)
    }

    /// Tells the brokers this consumer leaves and closes its sessions.
    pub async fn shutdown(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let _ = self.inner.stop.send(true);
        let sessions: Vec<(Endpoint, Session)> = lock(&self.inner.sessions).drain().collect();
        for (endpoint, session) in sessions {
            if let Ok(mut stub) = self.inner.transport.stub(&endpoint) {
                let request = NotifyClientTerminationRequest {
                    group: self.resource(&self.inner.group),
                };
                let _ = stub
                    .notify_client_termination(self.inner.transport.request(request, None))
                    .await;
            }
            session.close();
        }
    }

    /// This client's id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }
}
