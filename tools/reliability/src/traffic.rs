//! Our side of the crash loop's traffic: one producer sending every message type in turn and
//! the four consumers (a concurrent push group, a FIFO push group, a lite push group and a
//! simple consumer), all recording into the [`Ledger`] and left to recover from broker
//! restarts by themselves.

use crate::body::{Key, Kind};
use crate::ledger::{Group, Ledger};
use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, LitePushConsumer, Message, MessageView,
    Producer, PushConsumer, SimpleConsumer, TransactionResolution,
};
use rmq_mini_broker::{GroupConfig, MiniBrokerBuilder, TopicConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};
use tokio::task::JoinHandle;

pub const NORMAL: &str = "cl-normal";
pub const FIFO: &str = "cl-fifo";
pub const DELAY: &str = "cl-delay";
pub const TRANSACTION: &str = "cl-tx";
pub const PRIORITY: &str = "cl-prio";
pub const LITE: &str = "cl-lite";
const LITE_TOPICS: [&str; 2] = ["lt0", "lt1"];
const FIFO_GROUPS: u64 = 3;

/// The consumer groups and what each must receive.
pub const GROUPS: [Group; 4] = [
    Group {
        name: "cl-push",
        kinds: &[
            Kind::Normal,
            Kind::Delay,
            Kind::TxCommit,
            Kind::TxOrphan,
            Kind::Priority,
        ],
        ordered: false,
    },
    Group {
        name: "cl-fifo",
        kinds: &[Kind::Fifo],
        ordered: true,
    },
    Group {
        name: "cl-lite",
        kinds: &[Kind::Lite],
        ordered: true,
    },
    Group {
        name: "cl-simple",
        kinds: &[Kind::Normal, Kind::Fifo],
        ordered: false,
    },
];

/// The topics, as the broker's `--topic` flag and `TopicConfig::from_str` take them.
const TOPIC_SPECS: [&str; 6] = [
    "cl-normal:NORMAL:4",
    "cl-fifo:FIFO:4",
    "cl-delay:DELAY:2",
    "cl-tx:TRANSACTION:2",
    "cl-prio:PRIORITY:4",
    "cl-lite:LITE",
];
/// The groups that need declaring (the others are created on first use).
const GROUP_SPECS: [&str; 2] = ["cl-fifo:fifo", "cl-lite:fifo:lite-topic=cl-lite"];
/// Orphaned transactions are checked this often.
const TRANSACTION_CHECK: Duration = Duration::from_secs(1);

/// The broker flags that declare the topics and groups above.
pub fn broker_args() -> Vec<String> {
    let mut args = Vec::new();
    for t in TOPIC_SPECS {
        args.extend(["--topic".to_owned(), t.to_owned()]);
    }
    for g in GROUP_SPECS {
        args.extend(["--group".to_owned(), g.to_owned()]);
    }
    let check = format!("{}ms", TRANSACTION_CHECK.as_millis());
    args.extend(["--transaction-check-interval".to_owned(), check]);
    args
}

/// The same for an in-process broker or mini-cluster.
pub fn declare(mut builder: MiniBrokerBuilder) -> MiniBrokerBuilder {
    for t in TOPIC_SPECS {
        builder = builder.topic(t.parse::<TopicConfig>().expect("a valid topic spec"));
    }
    for g in GROUP_SPECS {
        builder = builder.group(g.parse::<GroupConfig>().expect("a valid group spec"));
    }
    builder.transaction_check_interval(TRANSACTION_CHECK)
}

fn kind_of(view: &MessageView) -> Option<Kind> {
    Key::from_body(&view.body).ok().map(|k| k.kind)
}

async fn start_producer(config: &ClientConfig) -> rmq_client::Result<Producer> {
    Producer::builder(config.clone())
        .topics([NORMAL, FIFO, DELAY, TRANSACTION, PRIORITY, LITE])
        // Whatever the producer could not tell the broker (the broker was down) it answers
        // here: commit, except what it meant to roll back.
        .transaction_checker(|view: &MessageView| match kind_of(view) {
            Some(Kind::TxRollback) => TransactionResolution::Rollback,
            _ => TransactionResolution::Commit,
        })
        .start()
        .await
}

/// Sends every kind in turn until `stop`, recording each outcome.
async fn produce(producer: Producer, ledger: Arc<Ledger>, stop: Arc<AtomicBool>) {
    let mut seq = std::collections::HashMap::<String, u64>::new();
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let kind = Kind::ALL[(n % Kind::ALL.len() as u64) as usize];
        let round = n / Kind::ALL.len() as u64;
        n += 1;
        let group = match kind {
            Kind::Fifo => Some(format!("rs-g{}", round % FIFO_GROUPS)),
            Kind::Lite => Some(LITE_TOPICS[(round % 2) as usize].to_owned()),
            _ => None,
        };
        let counter = seq.entry(group.clone().unwrap_or_default()).or_default();
        let key = Key::new("rs", kind, group.as_deref(), *counter);
        *counter += 1;
        let ok = send(&producer, &ledger, &key, round).await;
        ledger.sent(&key, ok);
        if !ok {
            // The broker is down: do not spin.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn send(producer: &Producer, ledger: &Ledger, key: &Key, round: u64) -> bool {
    let topic = match key.kind {
        Kind::Normal => NORMAL,
        Kind::Fifo => FIFO,
        Kind::Delay => DELAY,
        Kind::TxCommit | Kind::TxRollback | Kind::TxOrphan => TRANSACTION,
        Kind::Priority => PRIORITY,
        Kind::Lite => LITE,
    };
    let builder = Message::builder(topic, key.body()).key(key.to_string());
    let builder = match key.kind {
        Kind::Fifo => builder.message_group(&key.group),
        Kind::Lite => builder.lite_topic(&key.group),
        Kind::Priority => builder.priority((round % 10) as i32),
        Kind::Delay => {
            let due = SystemTime::now() + Duration::from_millis(300 + (round % 8) * 300);
            ledger.due(key, due);
            builder.delivery_timestamp(due)
        }
        _ => builder,
    };
    let Ok(message) = builder.build() else {
        return false;
    };
    match key.kind {
        Kind::TxCommit | Kind::TxRollback | Kind::TxOrphan => {
            let Ok(transaction) = producer.begin_transaction() else {
                return false;
            };
            if transaction.send(&message).await.is_err() {
                return false;
            }
            // A decision lost with the broker is asked again by the broker's check.
            match key.kind {
                Kind::TxCommit => drop(transaction.commit().await),
                Kind::TxRollback => drop(transaction.rollback().await),
                _ => drop(transaction),
            }
            true
        }
        _ => producer.send(&message).await.is_ok(),
    }
}

/// The push, FIFO push and lite push consumers; they live until dropped or shut down.
struct PushConsumers(PushConsumer, PushConsumer, LitePushConsumer);

fn recorder(ledger: Arc<Ledger>, group: &'static str) -> impl Fn(&MessageView) -> ConsumeResult {
    move |view: &MessageView| {
        ledger.delivered(group, &view.body);
        ConsumeResult::Success
    }
}

async fn start_push_consumers(
    config: &ClientConfig,
    ledger: &Arc<Ledger>,
) -> rmq_client::Result<PushConsumers> {
    let all = FilterExpression::all;
    let push = PushConsumer::builder(config.clone(), GROUPS[0].name)
        .subscribe(NORMAL, all())
        .subscribe(DELAY, all())
        .subscribe(TRANSACTION, all())
        .subscribe(PRIORITY, all())
        .listener(recorder(ledger.clone(), GROUPS[0].name))
        .start()
        .await?;
    let fifo = PushConsumer::builder(config.clone(), GROUPS[1].name)
        .subscribe(FIFO, all())
        .listener(recorder(ledger.clone(), GROUPS[1].name))
        .start()
        .await?;
    let lite = LitePushConsumer::builder(config.clone(), GROUPS[2].name, LITE)
        .listener(recorder(ledger.clone(), GROUPS[2].name))
        .start()
        .await?;
    for lite_topic in LITE_TOPICS {
        lite.subscribe_lite(lite_topic).await?;
    }
    Ok(PushConsumers(push, fifo, lite))
}

impl PushConsumers {
    async fn shutdown(&self) {
        self.0.shutdown().await;
        self.1.shutdown().await;
        self.2.shutdown().await;
    }
}

async fn start_simple_consumer(config: &ClientConfig) -> rmq_client::Result<SimpleConsumer> {
    SimpleConsumer::builder(config.clone(), GROUPS[3].name)
        .subscribe(NORMAL, FilterExpression::all())
        .subscribe(FIFO, FilterExpression::all())
        .await_duration(Duration::from_secs(2))
        .start()
        .await
}

/// Receives and acks until `stop`; an error (the broker is down) is waited out.
async fn consume_simple(consumer: SimpleConsumer, ledger: Arc<Ledger>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        match consumer.receive(32, Duration::from_secs(10)).await {
            Ok(views) => {
                for view in views {
                    ledger.delivered(GROUPS[3].name, &view.body);
                    // A lost ack comes back as a redelivery, which the ledger counts.
                    if let Err(error) = consumer.ack(&view).await {
                        let code = error.code().map(|c| format!(" {c}")).unwrap_or_default();
                        ledger.ack_failed(GROUPS[3].name, format!("{:?}{code}", error.kind()));
                    }
                }
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Our producer and consumers at work, recording into one ledger.
pub struct Traffic {
    producer: Producer,
    push: PushConsumers,
    simple: SimpleConsumer,
    /// Until the producer is stopped.
    sending: Option<JoinHandle<()>>,
    receiving: JoinHandle<()>,
    stop_sending: Arc<AtomicBool>,
    stop_receiving: Arc<AtomicBool>,
}

impl Traffic {
    /// Starts every client against `config` and sets them to work.
    pub async fn start(config: &ClientConfig, ledger: &Arc<Ledger>) -> Result<Traffic, String> {
        let failed = |what: &str, e: rmq_client::Error| format!("{what} does not start: {e}");
        let producer = start_producer(config)
            .await
            .map_err(|e| failed("producer", e))?;
        let push = start_push_consumers(config, ledger)
            .await
            .map_err(|e| failed("push consumers", e))?;
        let simple = start_simple_consumer(config)
            .await
            .map_err(|e| failed("simple consumer", e))?;
        let stop_sending = Arc::new(AtomicBool::new(false));
        let stop_receiving = Arc::new(AtomicBool::new(false));
        let sending = tokio::spawn(produce(
            producer.clone(),
            ledger.clone(),
            stop_sending.clone(),
        ));
        let receiving = tokio::spawn(consume_simple(
            simple.clone(),
            ledger.clone(),
            stop_receiving.clone(),
        ));
        Ok(Traffic {
            producer,
            push,
            simple,
            sending: Some(sending),
            receiving,
            stop_sending,
            stop_receiving,
        })
    }

    /// Stops the producer after its current send (once; later calls return at once).
    pub async fn stop_sending(&mut self) {
        self.stop_sending.store(true, Ordering::Relaxed);
        if let Some(sending) = self.sending.take() {
            let _ = sending.await;
        }
    }

    /// Waits (up to `timeout`) for the consumers to receive everything acknowledged, gives
    /// late redeliveries a second to be counted, and shuts every client down.
    pub async fn drain_and_stop(mut self, ledger: &Ledger, timeout: Duration) {
        self.stop_sending().await;
        let deadline = Instant::now() + timeout;
        while ledger.outstanding() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.stop_receiving.store(true, Ordering::Relaxed);
        let _ = self.receiving.await;
        self.push.shutdown().await;
        self.simple.shutdown().await;
        self.producer.shutdown().await;
    }
}
