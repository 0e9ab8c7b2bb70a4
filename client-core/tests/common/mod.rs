//! What the integration tests share: a broker with the test's topics and groups, a client
//! config for it, and waiting on a condition instead of sleeping.

#![allow(dead_code)] // each test file uses its own part

use rmq_client::ClientConfig;
use rmq_mini_broker::{MiniBroker, MiniBrokerBuilder};
use std::future::Future;
use std::time::Duration;

/// Starts `builder`'s broker on a free loopback port.
pub async fn start(builder: MiniBrokerBuilder) -> MiniBroker {
    builder.start().await.expect("the mini-broker starts")
}

/// A client config for `broker` with default options.
pub fn config(broker: &MiniBroker) -> ClientConfig {
    ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config")
}

/// A client config for `broker`, adjusted by `adjust`.
pub fn config_with(
    broker: &MiniBroker,
    adjust: impl FnOnce(rmq_client::ClientConfigBuilder) -> rmq_client::ClientConfigBuilder,
) -> ClientConfig {
    adjust(ClientConfig::builder().endpoints(broker.endpoint()))
        .build()
        .expect("config")
}

/// Longest wait for a condition before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Waits until `done` holds, checking every 10 ms; fails the test after [`PATIENCE`].
pub async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// [`eventually`] for a condition that must be awaited.
pub async fn eventually_async<F: Future<Output = bool>>(what: &str, mut done: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Tasks alive on the current runtime (the test's own included).
pub fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}
