//! Broker failover: one broker of two is stopped hard while a producer sends and push
//! consumers consume, then started again. No send that returned OK is lost, sends keep
//! succeeding on the other broker within the producer's retry budget, consumption goes on,
//! and the messages the stopped broker holds are consumed once it is back. Producer and
//! consumers use default options; the assertions and the figures measured on both clusters
//! are in `interop/README.md` and `interop/FIDELITY.md` ("Broker failover").
//!
//! The scenario is written once and runs on either cluster:
//! - a real Apache RocketMQ 5.5.0 cluster when `RMQ_SCENARIO_ENDPOINT` (its proxy) and
//!   `RMQ_APACHE_CLUSTER_DIR` (the directory `interop/apache/server.sh start-cluster` used)
//!   are both set: broker-a's JVM is SIGKILLed (`server.sh kill-broker`) and started again on
//!   its store (`server.sh start-broker`);
//! - otherwise an in-process `MiniCluster` of two brokers with a journal flushed before each
//!   answer: broker 0 goes off the network with its state kept (`broker_down`) and comes back
//!   (`broker_up`).
//!
//! Its own test binary, so it never shares the Apache cluster with the suite's scenarios
//! (cargo runs test binaries one after another). Figures are printed: run with `--nocapture`;
//! `RUST_LOG=rmq_client=debug` adds the client's log.

use rmq_client::{
    ConsumeResult, DEFAULT_MAX_ATTEMPTS, ErrorKind, FilterExpression, MessageView, Producer,
    PushConsumer,
};
use rmq_interop_scenarios::{FAILOVER_TOPIC, message, unique};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Time between two sends.
const PACE: Duration = Duration::from_millis(20);
/// Traffic with both brokers up (at least; until both groups consumed).
const BEFORE: Duration = Duration::from_secs(2);
/// Traffic while the backlog group is stopped, before the kill.
const BACKLOG: Duration = Duration::from_secs(1);
/// Traffic while the broker is down.
const DOWN: Duration = Duration::from_secs(9);
/// Traffic after the broker is back.
const AFTER: Duration = Duration::from_secs(2);
/// After the kill, the time the client and the servers are given to notice: past it, at most
/// [`LATE_FAILURES`] sends may fail.
const GRACE: Duration = Duration::from_secs(2);
/// Failed sends allowed past the grace period while the broker is down.
const LATE_FAILURES: usize = 3;
/// The sends just before the restart that must all have succeeded.
const LAST_OK: usize = 20;
/// Sends acknowledged this long before the restart must have been consumed before it.
const CONSUME_LAG: Duration = Duration::from_secs(2);
/// Each client request's timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for every acknowledged message to be consumed at the end.
const DRAIN: Duration = Duration::from_secs(120);
/// The whole scenario, restart included.
const TIMEOUT: Duration = Duration::from_secs(300);

#[path = "failover/cluster.rs"]
mod cluster;
#[path = "failover/proxy.rs"]
mod proxy;
#[path = "failover/report.rs"]
mod report;

/// The scenarios stop parts of one cluster: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

use cluster::Cluster;
use report::{Report, Timeline};

/// One send: its number, when it started, how long it took, and its error if it failed.
struct Send {
    n: u64,
    started: Instant,
    took: Duration,
    error: Option<(ErrorKind, String)>,
}

impl Send {
    fn ok(&self) -> bool {
        self.error.is_none()
    }
}

type Sends = Arc<Mutex<Vec<Send>>>;
/// One consumption: when, and from which broker.
struct Delivery {
    at: Instant,
    broker: String,
}

/// Every consumption of each number.
type Consumed = Arc<Mutex<HashMap<u64, Vec<Delivery>>>>;

/// Sends numbered messages every [`PACE`] until `stop`, each awaited before the next.
fn produce(
    producer: Producer,
    tag: String,
    sends: Sends,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Producer> {
    tokio::spawn(async move {
        let mut pace = tokio::time::interval(PACE);
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            pace.tick().await;
            n += 1;
            let started = Instant::now();
            let result = producer
                .send(&message(FAILOVER_TOPIC, &tag, &n.to_string()))
                .await;
            sends.lock().expect("lock").push(Send {
                n,
                started,
                took: started.elapsed(),
                error: result.err().map(|e| (e.kind(), e.to_string())),
            });
        }
        producer
    })
}

/// A push consumer of `group` (default options) recording the numbers it consumes.
async fn consume(cluster: &Cluster, group: &str, tag: &str, consumed: &Consumed) -> PushConsumer {
    let consumed = consumed.clone();
    PushConsumer::builder(cluster.config(), group)
        .subscribe(FAILOVER_TOPIC, FilterExpression::tag(tag))
        .listener(move |view: &MessageView| {
            if let Ok(n) = String::from_utf8_lossy(&view.body).parse::<u64>() {
                // Clients treat receipt handles as opaque; both servers use Apache's layout,
                // whose sixth field is the broker's name.
                let broker = view.receipt_handle().split(' ').nth(5).unwrap_or("?");
                let mut consumed = consumed.lock().expect("lock");
                consumed.entry(n).or_default().push(Delivery {
                    at: Instant::now(),
                    broker: broker.to_owned(),
                });
            }
            ConsumeResult::Success
        })
        .start()
        .await
        .expect("push consumer starts")
}

/// `RUST_LOG=rmq_client=debug` shows what the client does.
fn log_to_test_output() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

/// Waits until `done` holds, checking every 50 ms; fails after `within`.
async fn wait_until(what: &str, within: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_stopped_hard_loses_no_acknowledged_send_and_consumption_goes_on() {
    log_to_test_output();
    let _serial = SERIAL.lock().await;
    tokio::time::timeout(TIMEOUT, scenario())
        .await
        .expect("the failover scenario finishes in time");
}

async fn scenario() {
    let cluster = Cluster::start().await;
    let tag = unique("failover");
    // Two groups read the topic. The live group's consumer runs throughout. The backlog
    // group's consumer stops shortly before the kill and a new one starts right after it, so
    // the backlog group has messages on the stopped broker that no client holds, which only
    // its coming back can deliver.
    let (live, backlog) = (Consumed::default(), Consumed::default());
    let live_group = unique("failover-live");
    let backlog_group = unique("failover-backlog");
    let live_consumer = consume(&cluster, &live_group, &tag, &live).await;
    let backlog_consumer = consume(&cluster, &backlog_group, &tag, &backlog).await;
    let producer = Producer::builder(cluster.config())
        .topics([FAILOVER_TOPIC])
        .start()
        .await
        .expect("producer starts");
    let sends: Sends = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let producing = produce(producer, tag.clone(), sends.clone(), stop.clone());

    // (1) Both brokers up: traffic for BEFORE, and until both groups consumed and the live
    // group from both brokers (after an earlier failover, Apache's proxy may take its route
    // refresh, 20 s, to send to a restarted broker again).
    let brokers = |c: &Consumed| {
        let c = c.lock().expect("lock");
        let mut names: Vec<&str> = c.values().flatten().map(|d| d.broker.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    };
    wait_until(
        "both groups consume, from both brokers",
        Duration::from_secs(60),
        || started.elapsed() >= BEFORE && brokers(&live) == 2 && brokers(&backlog) > 0,
    )
    .await;
    backlog_consumer.shutdown().await;
    let backlog_stopped = Instant::now();
    tokio::time::sleep(BACKLOG).await;

    // (2) The first broker stops hard; traffic goes on for DOWN.
    let killed = Instant::now();
    cluster.kill().await;
    let kill_took = killed.elapsed();
    let backlog_consumer = consume(&cluster, &backlog_group, &tag, &backlog).await;
    tokio::time::sleep(DOWN.saturating_sub(killed.elapsed())).await;

    // (3) It starts again; traffic goes on during the restart and for AFTER.
    let restarting = Instant::now();
    cluster.restart().await;
    let back = Instant::now();
    tokio::time::sleep(AFTER).await;
    stop.store(true, Ordering::Relaxed);
    let producer = producing.await.expect("producer task");
    let stopped = Instant::now();

    // (4) Both groups consume every acknowledged send, at least once.
    let acked: Vec<u64> = {
        let sends = sends.lock().expect("lock");
        sends.iter().filter(|s| s.ok()).map(|s| s.n).collect()
    };
    let missing = |c: &Consumed| {
        let c = c.lock().expect("lock");
        acked.iter().filter(|n| !c.contains_key(n)).count()
    };
    let deadline = stopped + DRAIN;
    while (missing(&live) > 0 || missing(&backlog) > 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = stopped.elapsed();
    live_consumer.shutdown().await;
    backlog_consumer.shutdown().await;
    producer.shutdown().await;

    let t = Timeline {
        started,
        backlog_stopped,
        killed,
        restarting,
        back,
        stopped,
    };
    // Every client is shut down: what they recorded is final.
    let sends = std::mem::take(&mut *sends.lock().expect("lock"));
    let live = std::mem::take(&mut *live.lock().expect("lock"));
    let backlog = std::mem::take(&mut *backlog.lock().expect("lock"));
    let report = Report::new(&sends, &live, &backlog, &t, cluster.stopped_broker());
    println!("failover on the {}:", cluster.name());
    report.print(&t, kill_took, drained);
    for (group, missing) in [
        (&live_group, &report.live.missing),
        (&backlog_group, &report.backlog.missing),
    ] {
        for line in cluster.whereabouts(group, missing) {
            println!("  {group} missing {line}");
        }
    }
    if let Cluster::Mini { cluster, .. } = cluster {
        cluster.shutdown().await;
    }

    // No acknowledged send is lost: both groups consume every one. (A push consumer once gave
    // up its long poll on a broker that left the proxy's route, so what the proxy had already
    // popped for it stayed leased, auto-renewed, to a live client: one message missing in
    // 3 of 15 Apache runs. Fixed; interop/FIDELITY.md.)
    for (group, missing) in [
        ("live", &report.live.missing),
        ("backlog", &report.backlog.missing),
    ] {
        assert!(
            missing.is_empty(),
            "the {group} group never consumed {} acknowledged sends within {DRAIN:?}: {missing:?}",
            missing.len()
        );
    }
    // While the broker is down, sends keep succeeding on the other one within the retry
    // budget, and a failure is a typed error, never a hang.
    let budget = REQUEST_TIMEOUT * DEFAULT_MAX_ATTEMPTS + Duration::from_secs(1);
    for send in &report.down {
        assert!(send.took <= budget, "send #{} took {:?}", send.n, send.took);
        if let Some((kind, text)) = &send.error {
            assert_ne!(
                *kind,
                ErrorKind::Unexpected,
                "send #{} failed untyped: {text}",
                send.n
            );
        }
    }
    assert!(
        report.down_ok * 10 >= report.down.len() * 9,
        "{} of {} sends OK while the broker was down",
        report.down_ok,
        report.down.len()
    );
    assert!(
        report.late_failures <= LATE_FAILURES,
        "{} sends failed more than {GRACE:?} after the kill",
        report.late_failures
    );
    let tail = &report.down[report.down.len().saturating_sub(LAST_OK)..];
    assert!(
        tail.len() == LAST_OK && tail.iter().all(|s| s.ok()),
        "the last {LAST_OK} sends before the restart all succeeded"
    );
    // Consumption goes on while the broker is down.
    assert!(
        report.consumed_while_down * 10 >= report.acked_while_down * 9,
        "{} of {} sends acknowledged while the broker was down were consumed before it came back",
        report.consumed_while_down,
        report.acked_while_down
    );
    // The backlog group's messages: the live broker's while the other is down, the stopped
    // broker's once it is back (and only then).
    assert!(
        report.backlog_before_restart > 0 && report.backlog_after_restart > 0,
        "the backlog ({} messages) was consumed partly during the outage ({}) and partly after \
         the restart ({})",
        report.backlog_sent,
        report.backlog_before_restart,
        report.backlog_after_restart
    );
    assert_eq!(
        report.backlog_of_stopped_during_outage, 0,
        "messages of the stopped broker consumed while it was down"
    );
}
