//! Proxy failover, on the Apache cluster's two proxies (the mini-cluster has none): clients
//! given both proxies' addresses use the first; it is SIGKILLed under a producer and a push
//! consumer and started again. Apache's route answers give every broker both addresses, so
//! the clients must move to the second proxy by themselves: no acknowledged send lost, sends
//! keep succeeding, consumption goes on.

use super::cluster::{Cluster, server_sh};
use super::{
    Consumed, DRAIN, GRACE, LAST_OK, LATE_FAILURES, SERIAL, Sends, TIMEOUT, consume,
    log_to_test_output, produce, wait_until,
};
use rmq_client::Producer;
use rmq_interop_scenarios::{FAILOVER_TOPIC, unique};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Traffic while the first proxy is down.
const DOWN: Duration = Duration::from_secs(8);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_stopped_hard_moves_clients_to_the_other_one() {
    let (Ok(_), Ok(dir)) = (
        std::env::var("RMQ_SCENARIO_ENDPOINT"),
        std::env::var("RMQ_APACHE_CLUSTER_DIR"),
    ) else {
        println!("proxy failover: Apache only (RMQ_SCENARIO_ENDPOINT, RMQ_APACHE_CLUSTER_DIR)");
        return;
    };
    log_to_test_output();
    let dir = PathBuf::from(dir);
    let endpoints = std::fs::read_to_string(dir.join("endpoints"))
        .expect("server.sh start-cluster wrote DIR/endpoints (both proxies)");
    let cluster = Cluster::Apache {
        endpoint: endpoints.trim().to_owned(),
        dir,
    };
    let _serial = SERIAL.lock().await;
    tokio::time::timeout(TIMEOUT, scenario(cluster))
        .await
        .expect("the proxy failover scenario finishes in time");
}

async fn scenario(cluster: Cluster) {
    let Cluster::Apache { dir, .. } = &cluster else {
        unreachable!("built above")
    };
    let tag = unique("proxy-failover");
    let consumed = Consumed::default();
    let consumer = consume(&cluster, &unique("proxy-failover"), &tag, &consumed).await;
    let producer = Producer::builder(cluster.config())
        .topics([FAILOVER_TOPIC])
        .start()
        .await
        .expect("producer starts");
    let sends: Sends = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let producing = produce(producer, tag, sends.clone(), stop.clone());
    let count = |c: &Consumed| c.lock().expect("lock").len();
    wait_until(
        "consumption through the first proxy",
        Duration::from_secs(60),
        || started.elapsed() >= Duration::from_secs(2) && count(&consumed) >= 20,
    )
    .await;

    server_sh("kill-proxy", dir, "proxy").await;
    let killed = Instant::now();
    let consumed_at_kill = count(&consumed);
    tokio::time::sleep(DOWN).await;
    if let Some(failed) = sends
        .lock()
        .expect("lock")
        .iter()
        .rev()
        .find_map(|s| s.error.clone())
    {
        println!("proxy failover: the last failed send: {failed:?}");
    }
    let down: Vec<(bool, Duration)> = sends
        .lock()
        .expect("lock")
        .iter()
        .filter(|s| s.started >= killed)
        .map(|s| (s.ok(), s.started - killed))
        .collect();
    let ok = down.iter().filter(|(ok, _)| *ok).count();
    let late_failures = down.iter().filter(|(ok, at)| !ok && *at >= GRACE).count();
    let first_ok = down.iter().find(|(ok, _)| *ok).map(|(_, at)| *at);
    let consumed_while_down = count(&consumed) - consumed_at_kill;
    println!(
        "proxy failover: {ok} of {} sends OK while the first proxy was down, {late_failures} \
         failed past the {GRACE:?} grace, first OK {first_ok:?} after the kill; \
         {consumed_while_down} consumed meanwhile",
        down.len()
    );
    assert!(ok * 10 >= down.len() * 9, "at least 90 % of sends OK");
    assert!(
        late_failures <= LATE_FAILURES,
        "sends recover past the grace"
    );
    assert!(
        down.iter().rev().take(LAST_OK).all(|(ok, _)| *ok),
        "the last {LAST_OK} sends before the restart succeeded"
    );
    assert!(
        consumed_while_down > 0,
        "consumption goes on through the second proxy"
    );

    server_sh("start-proxy", dir, "proxy").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let producer = producing.await.expect("producer task");
    let acked: Vec<u64> = sends
        .lock()
        .expect("lock")
        .iter()
        .filter(|s| s.ok())
        .map(|s| s.n)
        .collect();
    let drained = Instant::now();
    wait_until("every acknowledged message consumed", DRAIN, || {
        let consumed = consumed.lock().expect("lock");
        acked.iter().all(|n| consumed.contains_key(n))
    })
    .await;
    println!(
        "proxy failover: {} acknowledged, all consumed {:?} after the producer stopped",
        acked.len(),
        drained.elapsed()
    );
    consumer.shutdown().await;
    producer.shutdown().await;
}
