//! Running a closed-loop load and summarising it.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Throughput and latency of one scenario.
pub struct Figures {
    pub rate: f64,
    pub p50: Duration,
    pub p99: Duration,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:>9.0} msg/s   p50 {:>8.1} µs   p99 {:>8.1} µs",
            self.rate,
            self.p50.as_secs_f64() * 1e6,
            self.p99.as_secs_f64() * 1e6
        )
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs `op` from `workers` tasks at once until `total` messages have moved; each call
/// returns how many it moved (a send of a batch of 64 moves 64, an empty receive 0).
/// Latency is per call. A warm-up of a tenth of the work runs first, unmeasured, so every
/// client starts with warm connections and caches.
pub async fn closed_loop<F, Fut>(total: usize, workers: usize, op: F) -> Figures
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = usize> + Send + 'static,
{
    let op = Arc::new(op);
    run(total / 10, workers, op.clone()).await;
    run(total, workers, op).await
}

/// Like [`closed_loop`] without the warm-up, for work that cannot be repeated (draining a
/// backlog of a known size).
pub async fn closed_loop_cold<F, Fut>(total: usize, workers: usize, op: F) -> Figures
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = usize> + Send + 'static,
{
    run(total, workers, Arc::new(op)).await
}

async fn run<F, Fut>(total: usize, workers: usize, op: Arc<F>) -> Figures
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = usize> + Send + 'static,
{
    let moved = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers.max(1) {
        let op = op.clone();
        let moved = moved.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while moved.load(Ordering::Relaxed) < total {
                let t = Instant::now();
                let n = op().await;
                latencies.push(t.elapsed());
                moved.fetch_add(n, Ordering::Relaxed);
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("load worker"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Figures {
        rate: moved.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
    }
}
