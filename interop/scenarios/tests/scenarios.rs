//! The behaviour scenarios, run unchanged against an in-process mini-broker (by default) or
//! the server named by `RMQ_SCENARIO_ENDPOINT` (a real Apache RocketMQ, see
//! `interop/run-scenarios.sh`). Where the two servers may differ on purpose, the scenario
//! asserts what both must do and `interop/FIDELITY.md` says how they differ.

use rmq_client::{
    ConsumeResult, ErrorKind, FilterExpression, Message, MessageView, Producer, PushConsumer,
    SimpleConsumer, TransactionResolution,
};
use rmq_interop_scenarios::{Server, message, unique};
use rmq_proto::Code;
use rmq_proto::v2;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

#[path = "scenarios/consumption.rs"]
mod consumption;
#[path = "scenarios/lite.rs"]
mod lite;
#[path = "scenarios/messages.rs"]
mod messages;
#[path = "scenarios/refusals.rs"]
mod refusals;

const NORMAL: &str = "sc-normal";
const FIFO: &str = "sc-fifo";
const DELAY: &str = "sc-delay";
const TX: &str = "sc-tx";
/// The shortest invisible duration Apache accepts for a receive.
const INVISIBLE: Duration = Duration::from_secs(10);

async fn producer(server: &Server, topics: &[&str]) -> Producer {
    Producer::builder(server.config())
        .topics(topics.iter().copied())
        .start()
        .await
        .expect("producer starts")
}

async fn consumer(
    server: &Server,
    group: &str,
    topic: &str,
    filter: FilterExpression,
) -> SimpleConsumer {
    SimpleConsumer::builder(server.config(), group)
        .subscribe(topic, filter)
        .await_duration(Duration::from_secs(5))
        .start()
        .await
        .expect("consumer starts")
}

/// Receives until `want` messages arrived or `within` passed.
async fn receive(consumer: &SimpleConsumer, want: usize, within: Duration) -> Vec<MessageView> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < deadline {
        got.extend(consumer.receive(32, INVISIBLE).await.expect("receive"));
    }
    got
}

fn bodies(views: &[MessageView]) -> Vec<String> {
    views
        .iter()
        .map(|v| String::from_utf8_lossy(&v.body).into_owned())
        .collect()
}

async fn ack_all(consumer: &SimpleConsumer, views: &[MessageView]) {
    for result in consumer.ack_batch(views).await.expect("ack request") {
        result.expect("ack");
    }
}
