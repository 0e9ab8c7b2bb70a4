//! Client benchmark: msgs/s and per-call p50/p99 of rmq-client against an in-memory
//! mini-broker, next to the published crate `rocketmq` 5.0.0 doing the same work and a bare
//! tonic call carrying the same bytes (the floor). Run with:
//!
//!     cargo run --release -p rmq-client-bench -- [--scale F] [--body BYTES] [--only GROUP]...
//!
//! The broker runs on its own 2-thread runtime in this process and the clients on another,
//! so both ends share the machine's cores as a client and a local broker would.

mod floor;
mod peer;
mod stats;

use clap::Parser;
use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, LingerConfig, Message, MessageView, Producer,
    PushConsumer, SimpleConsumer,
};
use rmq_mini_broker::MiniBroker;
use stats::{Figures, closed_loop, closed_loop_cold};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "rmq-client benchmark against an in-memory mini-broker")]
struct Args {
    /// Multiplies every message count (0.1 for a quick look).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Body size in bytes.
    #[arg(long, default_value_t = 1024)]
    body: usize,
    /// Runtime of the clients: `current` (one thread, fewest hand-offs between threads) or
    /// `multi` (2 worker threads).
    #[arg(long, default_value = "current", value_parser = ["current", "multi"])]
    client_runtime: String,
    /// Run only these groups of scenarios (repeatable): send, batch, receive, push.
    #[arg(long, value_parser = ["send", "batch", "receive", "push"])]
    only: Vec<String>,
}

struct Run {
    endpoint: String,
    body: Vec<u8>,
    scale: f64,
}

impl Run {
    fn count(&self, n: usize) -> usize {
        ((n as f64 * self.scale) as usize).max(100)
    }

    fn config(&self) -> ClientConfig {
        ClientConfig::builder()
            .endpoints(self.endpoint.clone())
            .build()
            .expect("client config")
    }

    async fn producer(&self, topic: &str, linger: Option<LingerConfig>) -> Producer {
        let mut builder = Producer::builder(self.config()).topics([topic]);
        if let Some(linger) = linger {
            builder = builder.linger(linger);
        }
        builder.start().await.expect("rmq producer starts")
    }

    fn message(&self, topic: &str) -> Message {
        Message::builder(topic, self.body.clone())
            .build()
            .expect("message")
    }

    /// Fills `topic` quickly (bare batched sends) for the consumer scenarios.
    async fn prefill(&self, topic: &str, total: usize) {
        let floor = floor::Floor::connect(&self.endpoint, topic, &self.body).await;
        closed_loop_cold(total, 4, move || {
            let floor = floor.clone();
            async move {
                floor.send(128).await;
                128
            }
        })
        .await;
    }
}

fn row(scenario: &str, client: &str, figures: &Figures) {
    println!("{scenario:<38} {client:<16} {figures}");
}

async fn sends(run: &Run) {
    let body = run.body.clone();
    for (scenario, in_flight, total) in [
        ("send, sequential", 1, run.count(20_000)),
        ("send, 64 in flight", 64, run.count(100_000)),
        ("send, 256 in flight", 256, run.count(100_000)),
    ] {
        let topic = format!("send-{in_flight}");
        let producer = run.producer(&topic, None).await;
        let message = Arc::new(run.message(&topic));
        let f = closed_loop(total, in_flight, move || {
            let producer = producer.clone();
            let message = message.clone();
            async move {
                producer.send(&message).await.expect("rmq send");
                1
            }
        })
        .await;
        row(scenario, "rmq", &f);

        let peer = peer::producer(&run.endpoint, &topic).await;
        let (t, b) = (topic.clone(), body.clone());
        let f = closed_loop(total, in_flight, move || {
            let (peer, t, b) = (peer.clone(), t.clone(), b.clone());
            async move {
                peer::send(&peer, &t, &b).await;
                1
            }
        })
        .await;
        row(scenario, "rocketmq 5.0.0", &f);

        let floor = floor::Floor::connect(&run.endpoint, &topic, &body).await;
        let f = closed_loop(total, in_flight, move || {
            let floor = floor.clone();
            async move {
                floor.send(1).await;
                1
            }
        })
        .await;
        row(scenario, "bare tonic", &f);
    }
}

async fn batched(run: &Run) {
    let total = run.count(500_000);
    let topic = "batched";
    let producer = run
        .producer(
            topic,
            Some(LingerConfig {
                linger: Duration::from_millis(2),
                ..LingerConfig::default()
            }),
        )
        .await;
    let message = Arc::new(run.message(topic));
    let f = closed_loop(total, 2048, move || {
        let producer = producer.clone();
        let message = message.clone();
        async move {
            producer.send(&message).await.expect("rmq linger send");
            1
        }
    })
    .await;
    row("send, linger mode, 2048 in flight", "rmq", &f);

    const BATCH: usize = 64;
    let producer = run.producer(topic, None).await;
    let batch: Arc<Vec<Message>> = Arc::new((0..BATCH).map(|_| run.message(topic)).collect());
    let f = closed_loop(total, 8, move || {
        let producer = producer.clone();
        let batch = batch.clone();
        async move {
            producer.send_batch(&batch).await.expect("rmq batch send");
            BATCH
        }
    })
    .await;
    row("send_batch of 64, 8 in flight", "rmq", &f);

    let peer = peer::producer(&run.endpoint, topic).await;
    let body = run.body.clone();
    let f = closed_loop(total, 8, move || {
        let (peer, body) = (peer.clone(), body.clone());
        async move {
            peer::send_batch(&peer, topic, &body, BATCH).await;
            BATCH
        }
    })
    .await;
    row("send_batch of 64, 8 in flight", "rocketmq 5.0.0", &f);

    let floor = floor::Floor::connect(&run.endpoint, topic, &run.body).await;
    let f = closed_loop(total, 8, move || {
        let floor = floor.clone();
        async move {
            floor.send(BATCH).await;
            BATCH
        }
    })
    .await;
    row("send_batch of 64, 8 in flight", "bare tonic", &f);
}

async fn receive(run: &Run) {
    let total = run.count(200_000);
    let topic = "receive-rmq";
    run.prefill(topic, total).await;
    let consumer = SimpleConsumer::builder(run.config(), "bench-rmq")
        .subscribe(topic, FilterExpression::all())
        .await_duration(Duration::from_secs(5))
        .start()
        .await
        .expect("rmq consumer starts");
    let f = closed_loop_cold(total, 4, move || {
        let consumer = consumer.clone();
        async move {
            let views = consumer
                .receive(32, Duration::from_secs(30))
                .await
                .expect("rmq receive");
            for result in consumer.ack_batch(&views).await.expect("rmq ack") {
                result.expect("rmq ack entry");
            }
            views.len()
        }
    })
    .await;
    row("receive 32 + ack, 4 loops", "rmq", &f);

    let total = run.count(50_000);
    let topic = "receive-peer";
    run.prefill(topic, total).await;
    let consumer = peer::consumer(&run.endpoint, topic, "bench-peer").await;
    let f = closed_loop_cold(total, 4, move || {
        let consumer = consumer.clone();
        async move { peer::receive_and_ack(&consumer, topic).await }
    })
    .await;
    row("receive 32 + ack, 4 loops", "rocketmq 5.0.0", &f);
}

async fn push(run: &Run) {
    let total = run.count(200_000);
    let topic = "push";
    run.prefill(topic, total).await;
    let consumed = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(tokio::sync::Notify::new());
    let started = Instant::now();
    let consumer = {
        let (consumed, done) = (consumed.clone(), done.clone());
        PushConsumer::builder(run.config(), "bench-push")
            .subscribe(topic, FilterExpression::all())
            .listener(move |_: &MessageView| {
                if consumed.fetch_add(1, Ordering::Relaxed) + 1 == total {
                    done.notify_one();
                }
                ConsumeResult::Success
            })
            .start()
            .await
            .expect("rmq push consumer starts")
    };
    done.notified().await;
    let elapsed = started.elapsed();
    consumer.shutdown().await;
    println!(
        "{:<38} {:<16} {:>9.0} msg/s   ({total} messages from start to last listener call)",
        "push consume, backlog",
        "rmq",
        total as f64 / elapsed.as_secs_f64()
    );
}

fn main() {
    let args = Args::parse();
    let broker_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("broker")
        .enable_all()
        .build()
        .expect("broker runtime");
    let broker = broker_runtime
        .block_on(MiniBroker::builder().start())
        .expect("mini-broker starts");
    let client_runtime = match args.client_runtime.as_str() {
        "multi" => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("client")
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
    .expect("client runtime");
    let run = Run {
        endpoint: broker.endpoint(),
        body: vec![b'x'; args.body],
        scale: args.scale,
    };
    println!(
        "rmq-client benchmark: {} B bodies, in-memory mini-broker at {}, {} client runtime, {} cores",
        args.body,
        run.endpoint,
        args.client_runtime,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<38} {:<16} figures (latency per call)",
        "scenario", "client"
    );
    let wanted = |group: &str| args.only.is_empty() || args.only.iter().any(|g| g == group);
    client_runtime.block_on(async {
        if wanted("send") {
            sends(&run).await;
        }
        if wanted("batch") {
            batched(&run).await;
        }
        if wanted("receive") {
            receive(&run).await;
        }
        if wanted("push") {
            push(&run).await;
        }
    });
    drop(client_runtime);
    broker_runtime.block_on(broker.shutdown());
}
