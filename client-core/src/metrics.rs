//! Client metrics as OpenTelemetry instruments, with the names, units, labels and histogram
//! buckets of the official clients, so dashboards built for them work unchanged:
//!
//! | instrument | kind | labels |
//! | --- | --- | --- |
//! | `rocketmq_send_cost_time` (ms) | histogram | `topic`, `client_id`, `invocation_status` |
//! | `rocketmq_delivery_latency` (ms) | histogram | `topic`, `client_id`, `consumer_group` |
//! | `rocketmq_await_time` (ms) | histogram | `topic`, `client_id`, `consumer_group` |
//! | `rocketmq_process_time` (ms) | histogram | `topic`, `client_id`, `consumer_group`, `invocation_status` |
//! | `rocketmq_consumer_cached_messages` | gauge | `client_id`, `consumer_group` |
//! | `rocketmq_consumer_cached_bytes` | gauge | `client_id`, `consumer_group` |
//!
//! The instruments come from the global meter provider (`opentelemetry::global`) when a client
//! starts: an application that wants metrics installs its provider (SDK and exporter of its
//! choice) before starting clients. Without one, recording is a no-op. Flushing belongs to the
//! application's provider (`SdkMeterProvider::force_flush` / `shutdown`).

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Histogram, Meter};
use std::time::{Duration, SystemTime};

/// Name of the instrumentation scope.
pub const SCOPE: &str = "rmq";

const SEND_COST_TIME: &str = "rocketmq_send_cost_time";
const DELIVERY_LATENCY: &str = "rocketmq_delivery_latency";
const AWAIT_TIME: &str = "rocketmq_await_time";
const PROCESS_TIME: &str = "rocketmq_process_time";
const CACHED_MESSAGES: &str = "rocketmq_consumer_cached_messages";
const CACHED_BYTES: &str = "rocketmq_consumer_cached_bytes";

// Bucket bounds of the reference clients, in milliseconds.
const SEND_BUCKETS: [f64; 7] = [1.0, 5.0, 10.0, 20.0, 50.0, 200.0, 500.0];
const AWAIT_BUCKETS: [f64; 7] = [1.0, 5.0, 20.0, 100.0, 1_000.0, 5_000.0, 10_000.0];
const PROCESS_BUCKETS: [f64; 7] = [1.0, 5.0, 10.0, 100.0, 1_000.0, 10_000.0, 60_000.0];

fn meter() -> Meter {
    opentelemetry::global::meter(SCOPE)
}

fn histogram(
    meter: &Meter,
    name: &'static str,
    description: &'static str,
    bounds: &[f64],
) -> Histogram<f64> {
    meter
        .f64_histogram(name)
        .with_unit("ms")
        .with_description(description)
        .with_boundaries(bounds.to_vec())
        .build()
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

fn status(success: bool) -> KeyValue {
    KeyValue::new(
        "invocation_status",
        if success { "success" } else { "failure" },
    )
}

/// A producer's instruments.
#[derive(Clone)]
pub(crate) struct ProducerMetrics {
    send_cost: Histogram<f64>,
    client_id: KeyValue,
}

impl ProducerMetrics {
    pub(crate) fn new(client_id: &str) -> Self {
        ProducerMetrics {
            send_cost: histogram(
                &meter(),
                SEND_COST_TIME,
                "Time a send took, retries included",
                &SEND_BUCKETS,
            ),
            client_id: KeyValue::new("client_id", client_id.to_owned()),
        }
    }

    pub(crate) fn sent(&self, topic: &str, took: Duration, success: bool) {
        self.send_cost.record(
            millis(took),
            &[
                KeyValue::new("topic", topic.to_owned()),
                self.client_id.clone(),
                status(success),
            ],
        );
    }
}

/// A consumer's instruments. The cached-message gauges read the consumer's counters through
/// `cached`, which returns `None` once the consumer is gone.
#[derive(Clone)]
pub(crate) struct ConsumerMetrics {
    delivery_latency: Histogram<f64>,
    await_time: Histogram<f64>,
    process_time: Histogram<f64>,
    client_id: KeyValue,
    group: KeyValue,
}

impl ConsumerMetrics {
    pub(crate) fn new(client_id: &str, group: &str) -> Self {
        let meter = meter();
        ConsumerMetrics {
            delivery_latency: histogram(
                &meter,
                DELIVERY_LATENCY,
                "Time from the server's delivery to the client's receipt",
                &SEND_BUCKETS,
            ),
            await_time: histogram(
                &meter,
                AWAIT_TIME,
                "Time a received message waited for its listener",
                &AWAIT_BUCKETS,
            ),
            process_time: histogram(
                &meter,
                PROCESS_TIME,
                "Time the listener took",
                &PROCESS_BUCKETS,
            ),
            client_id: KeyValue::new("client_id", client_id.to_owned()),
            group: KeyValue::new("consumer_group", group.to_owned()),
        }
    }

    /// Registers the cached-message gauges; `cached` gives (messages, bytes).
    pub(crate) fn cache_gauges(
        &self,
        cached: impl Fn() -> Option<(u64, u64)> + Send + Sync + Clone + 'static,
    ) {
        let meter = meter();
        let labels = [self.client_id.clone(), self.group.clone()];
        let (messages, bytes) = (cached.clone(), cached);
        let message_labels = labels.clone();
        meter
            .u64_observable_gauge(CACHED_MESSAGES)
            .with_description("Messages received and not yet settled")
            .with_callback(move |observer| {
                if let Some((count, _)) = messages() {
                    observer.observe(count, &message_labels);
                }
            })
            .build();
        meter
            .u64_observable_gauge(CACHED_BYTES)
            .with_unit("By")
            .with_description("Body bytes of messages received and not yet settled")
            .with_callback(move |observer| {
                if let Some((_, size)) = bytes() {
                    observer.observe(size, &labels);
                }
            })
            .build();
    }

    fn labels(&self, topic: &str) -> [KeyValue; 3] {
        [
            KeyValue::new("topic", topic.to_owned()),
            self.client_id.clone(),
            self.group.clone(),
        ]
    }

    /// `count` messages of `topic` arrived, delivered by the server at `delivered`.
    pub(crate) fn received(&self, topic: &str, delivered: SystemTime, count: usize) {
        let latency = SystemTime::now()
            .duration_since(delivered)
            .unwrap_or(Duration::ZERO);
        let labels = self.labels(topic);
        for _ in 0..count {
            self.delivery_latency.record(millis(latency), &labels);
        }
    }

    pub(crate) fn awaited(&self, topic: &str, waited: Duration) {
        self.await_time.record(millis(waited), &self.labels(topic));
    }

    pub(crate) fn processed(&self, topic: &str, took: Duration, success: bool) {
        let [topic, client, group] = self.labels(topic);
        self.process_time
            .record(millis(took), &[topic, client, group, status(success)]);
    }
}
