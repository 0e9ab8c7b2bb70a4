//! `Producer`: a cheap `Clone` handle that sends messages with the reference client's queue
//! selection, type and size checks, and retries with the server's backoff.

mod linger;
mod queue;
mod send;
mod transaction;

pub use linger::LingerConfig;
pub use send::SendReceipt;
pub use transaction::{Transaction, TransactionChecker, TransactionResolution};

use crate::client::{ClientBase, DropGuard, Role};
use crate::config::{ClientConfig, Endpoint};
use crate::error::{Error, Result};
use crate::metrics::ProducerMetrics;
use crate::options::{self, Applies, Configurable, Value};
use crate::retry::RetryPolicy;
use crate::session::{CommandHandler, Replies};
use crate::transport::Transport;
use linger::Linger;
use rmq_proto::v2::{RecallMessageRequest, TelemetryCommand, settings, telemetry_command};
use std::sync::Arc;

/// Attempts per send unless set, as the reference client.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Send requests one producer has in flight at once unless set; more sends wait their turn.
pub const DEFAULT_MAX_SENDS_IN_FLIGHT: u32 = 1024;

struct Inner {
    base: Arc<ClientBase>,
    born_host: String,
    max_attempts: u32,
    checker: Option<Arc<dyn TransactionChecker>>,
    linger: Option<Linger>,
    metrics: ProducerMetrics,
    /// Admits sends: one permit per request in flight.
    in_flight: tokio::sync::Semaphore,
}

impl Inner {
    fn policy(&self) -> Policy {
        let mut policy = Policy {
            max_body_size: rmq_proto::limits::MAX_BODY_SIZE,
            validate_message_type: true,
            retry: RetryPolicy::producer_default(self.max_attempts),
        };
        let Some(server) = self.base.server_settings() else {
            return policy;
        };
        if let Some(settings::PubSub::Publishing(p)) = &server.pub_sub {
            if let Ok(size) = usize::try_from(p.max_body_size)
                && size > 0
            {
                policy.max_body_size = size;
            }
            policy.validate_message_type = p.validate_message_type;
        }
        if let Some(retry) = &server.backoff_policy {
            // The server sets the backoff; the attempts stay the application's.
            policy.retry.backoff = RetryPolicy::from_proto(retry, &policy.retry).backoff;
        }
        policy
    }
}

/// What the server decides for this producer, read from its latest Settings on every send,
/// so a re-sync takes effect at once.
struct Policy {
    max_body_size: usize,
    validate_message_type: bool,
    retry: RetryPolicy,
}

/// Builder of [`Producer`].
pub struct ProducerBuilder {
    pub(crate) config: ClientConfig,
    pub(crate) topics: Vec<String>,
    pub(crate) max_attempts: u32,
    pub(crate) max_sends_in_flight: u32,
    pub(crate) checker: Option<Arc<dyn TransactionChecker>>,
    pub(crate) linger: Option<LingerConfig>,
    /// `linger = off` was given as a string option: linger stays off whatever else is set.
    pub(crate) linger_off: bool,
}

impl ProducerBuilder {
    /// Topics to prepare at start; start fails clearly if one does not exist. Others are
    /// prepared on first send.
    pub fn topics<I: IntoIterator<Item = S>, S: Into<String>>(mut self, topics: I) -> Self {
        self.topics = topics.into_iter().map(Into::into).collect();
        self
    }

    /// Attempts per send, the first included. Default 3, as the reference client; 1 to 100.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Send requests in flight at once (default 1024; 1 to 65536). More concurrent sends
    /// wait for a turn, holding only their message: a request's state (a few KB, and an
    /// HTTP/2 stream) exists only while it is in flight, so memory stays bounded however many
    /// sends an application starts.
    pub fn max_sends_in_flight(mut self, n: u32) -> Self {
        self.max_sends_in_flight = n;
        self
    }

    /// Answers the broker's checks of undecided transactions. Needed for transactions.
    pub fn transaction_checker(mut self, checker: impl TransactionChecker) -> Self {
        self.checker = Some(Arc::new(checker));
        self
    }

    /// Turns on linger mode: `send` of a normal message (no message group, delivery time or
    /// transaction) waits up to `config.linger` for other sends to the same topic and goes out
    /// with them in one request. Each send still gets its own receipt or error; a failed
    /// batch is retried as a whole and its error reaches every send in it. Off by default:
    /// every send is its own request.
    pub fn linger(mut self, config: LingerConfig) -> Self {
        self.linger = Some(config);
        self.linger_off = false;
        self
    }

    /// The linger mode `start` will use, if any.
    pub fn linger_config(&self) -> Option<LingerConfig> {
        self.linger.filter(|_| !self.linger_off)
    }

    /// Sets one option from strings (a producer key of [`options::OPTIONS`]).
    pub fn set(self, key: &str, value: &str) -> Result<Self> {
        options::set(self, key, value)
    }

    /// Starts the producer on the current tokio runtime.
    pub async fn start(self) -> Result<Producer> {
        options::bounded_count("max_attempts", u64::from(self.max_attempts))?;
        options::bounded_count("max_sends_in_flight", u64::from(self.max_sends_in_flight))?;
        let linger = self.linger_config();
        if let Some(linger) = &linger {
            linger.check()?;
        }
        let checker = self.checker.clone();
        let (base, guard) = ClientBase::start(
            self.config,
            Role::Producer {
                max_attempts: self.max_attempts,
            },
            |transport| command_handler(transport, checker),
            &self.topics,
        )
        .await?;
        let metrics = ProducerMetrics::new(&base.client_id);
        let producer = Producer {
            inner: Arc::new_cyclic(|weak| Inner {
                base,
                born_host: gethostname::gethostname().to_string_lossy().into_owned(),
                max_attempts: self.max_attempts,
                checker: self.checker,
                linger: linger
                    .map(|config| Linger::start(config, send::batch_sender(weak.clone()))),
                metrics,
                in_flight: tokio::sync::Semaphore::new(self.max_sends_in_flight as usize),
            }),
            _guard: guard,
        };
        producer.inner.base.start_upkeep(None);
        Ok(producer)
    }
}

impl Configurable for ProducerBuilder {
    const APPLIES: Applies = Applies::Producer;

    fn apply(mut self, key: &'static str, value: Value) -> Result<Self> {
        let lingering = self.linger.unwrap_or_default();
        let count = usize::try_from(value.count()).unwrap_or(usize::MAX);
        match key {
            "topics" => {
                if let Value::List(topics) = value {
                    self.topics = topics;
                }
            }
            "max_attempts" => self.max_attempts = u32::try_from(value.count()).unwrap_or(0),
            "max_sends_in_flight" => {
                self.max_sends_in_flight = u32::try_from(value.count()).unwrap_or(0)
            }
            "linger" => match value.duration() {
                Some(linger) => {
                    self.linger = Some(LingerConfig {
                        linger,
                        ..lingering
                    });
                    self.linger_off = false;
                }
                None => self.linger_off = true,
            },
            "linger_max_messages" => {
                self.linger = Some(LingerConfig {
                    max_messages: count,
                    ..lingering
                });
            }
            "linger_max_bytes" => {
                self.linger = Some(LingerConfig {
                    max_bytes: count,
                    ..lingering
                });
            }
            other => return Err(options::unhandled(other)),
        }
        Ok(self)
    }
}

/// Sends messages. Clone it freely: clones share one client, which stops when
/// [`Producer::shutdown`] is called or the last clone is dropped.
#[derive(Clone)]
pub struct Producer {
    inner: Arc<Inner>,
    _guard: Arc<DropGuard>,
}

impl Producer {
    /// A builder over `config`.
    pub fn builder(config: ClientConfig) -> ProducerBuilder {
        ProducerBuilder {
            config,
            topics: Vec::new(),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            max_sends_in_flight: DEFAULT_MAX_SENDS_IN_FLIGHT,
            checker: None,
            linger: None,
            linger_off: false,
        }
    }

    /// A builder from string keys: the client keys and the producer keys of
    /// [`options::OPTIONS`] (see `OPTIONS.md`).
    pub fn builder_from_map<K: AsRef<str>, V: AsRef<str>>(
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<ProducerBuilder> {
        options::build(map, Producer::builder)
    }

    /// This client's id (`x-mq-client-id`).
    pub fn client_id(&self) -> &str {
        &self.inner.base.client_id
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner.base.transport
    }

    /// Starts a transaction. Needs a [`TransactionChecker`], so a crashed producer's
    /// transactions can still be resolved.
    pub fn begin_transaction(&self) -> Result<Transaction> {
        if self.inner.checker.is_none() {
            return Err(Error::invalid(
                "transaction",
                "transactions need a transaction checker (ProducerBuilder::transaction_checker)",
            ));
        }
        self.inner.base.check_open("transaction")?;
        Ok(Transaction::new(self.clone()))
    }

    /// How many queues of `topic` take sends (master brokers, writable), from the route
    /// cache (fetched if needed). The legacy C API's queue selectors choose among these.
    pub async fn writable_queues(&self, topic: &str) -> Result<usize> {
        self.inner.base.check_open("route")?;
        Ok(self.inner.base.route(topic).await?.writable.len())
    }

    /// Cancels a scheduled message before it is delivered, with the handle its send returned.
    /// Returns the message id.
    pub async fn recall(&self, topic: &str, recall_handle: &str) -> Result<String> {
        const OP: &str = "recall";
        let base = &self.inner.base;
        base.check_open(OP)?;
        if recall_handle.trim().is_empty() {
            return Err(Error::invalid(OP, "the recall handle is empty"));
        }
        let request = || RecallMessageRequest {
            topic: base.resource(topic),
            recall_handle: recall_handle.to_owned(),
        };
        let (response, _) = base
            .transport
            .call_access_ok(OP, request, |mut stub, r| async move {
                stub.recall_message(r).await
            })
            .await
            .map_err(|e| e.with_topic(topic))?;
        Ok(response.message_id)
    }

    /// Sends what linger mode holds, tells the brokers this client is leaving and closes its
    /// sessions. Sends fail with [`crate::ErrorKind::Closed`] afterwards.
    pub async fn shutdown(&self) {
        if !self.inner.base.begin_shutdown() {
            return;
        }
        if let Some(linger) = &self.inner.linger {
            linger.flush().await;
        }
        self.inner.base.terminate().await;
    }
}

/// Orphaned-transaction checks go to the checker; without one they are ignored (and the
/// broker eventually discards the half message).
fn command_handler(
    transport: &Transport,
    checker: Option<Arc<dyn TransactionChecker>>,
) -> Option<CommandHandler> {
    let checker = checker?;
    let transport = transport.clone();
    Some(Arc::new(
        move |endpoint: &Endpoint, command: &TelemetryCommand, _: &Replies| {
            let Some(telemetry_command::Command::RecoverOrphanedTransactionCommand(check)) =
                &command.command
            else {
                return false;
            };
            transaction::answer_check(
                transport.clone(),
                checker.clone(),
                endpoint.clone(),
                check.clone(),
            );
            true
        },
    ))
}
