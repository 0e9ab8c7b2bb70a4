//! OpenTelemetry metrics as an application would collect them: a meter provider installed
//! globally before the clients start, flushed to an in-memory exporter.

mod common;

use common::eventually;

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, SdkMeterProvider};
use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, Message, MessageView, Producer, PushConsumer,
    SimpleConsumer,
};
use rmq_mini_broker::MiniBroker;
use std::time::Duration;

/// One exported data point: instrument, labels, and its count (histograms) or value (gauges).
#[derive(Debug)]
struct Point {
    name: String,
    labels: Vec<(String, String)>,
    count: u64,
    bounds: Vec<f64>,
}

fn points(exporter: &InMemoryMetricExporter) -> Vec<Point> {
    let labels = |attrs: &mut dyn Iterator<Item = &KeyValue>| {
        attrs
            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
            .collect::<Vec<_>>()
    };
    let mut out = Vec::new();
    for resource in exporter.get_finished_metrics().expect("metrics") {
        for scope in resource.scope_metrics() {
            for metric in scope.metrics() {
                let name = metric.name().to_owned();
                match metric.data() {
                    AggregatedMetrics::F64(MetricData::Histogram(h)) => {
                        for p in h.data_points() {
                            out.push(Point {
                                name: name.clone(),
                                labels: labels(&mut p.attributes()),
                                count: p.count(),
                                bounds: p.bounds().collect(),
                            });
                        }
                    }
                    AggregatedMetrics::U64(MetricData::Gauge(g)) => {
                        for p in g.data_points() {
                            out.push(Point {
                                name: name.clone(),
                                labels: labels(&mut p.attributes()),
                                count: p.value(),
                                bounds: Vec::new(),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

fn has(point: &Point, key: &str, value: &str) -> bool {
    point.labels.iter().any(|(k, v)| k == key && v == value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_record_the_official_instruments() {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_periodic_exporter(exporter.clone())
        .build();
    opentelemetry::global::set_meter_provider(provider.clone());

    let broker = MiniBroker::builder().start().await.expect("start");
    let config = ClientConfig::builder()
        .endpoints(broker.endpoint())
        .build()
        .expect("config");
    let producer = Producer::builder(config.clone())
        .topics(["t"])
        .start()
        .await
        .expect("producer");
    for i in 0..3 {
        producer
            .send(&Message::builder("t", format!("m{i}")).build().expect("m"))
            .await
            .expect("send");
    }
    let too_big = Message::builder("t", vec![0u8; 5 << 20])
        .build()
        .expect("m");
    producer.send(&too_big).await.expect_err("too large");

    let simple = SimpleConsumer::builder(config.clone(), "simple")
        .subscribe("t", FilterExpression::all())
        .await_duration(Duration::from_secs(5))
        .start()
        .await
        .expect("simple consumer");
    let mut got = 0;
    while got < 3 {
        got += simple
            .receive(8, Duration::from_secs(30))
            .await
            .expect("receive")
            .len();
    }

    let consumed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = consumed.clone();
    let push = PushConsumer::builder(config, "push")
        .subscribe("t", FilterExpression::all())
        .listener(move |_: &MessageView| {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            ConsumeResult::Success
        })
        .start()
        .await
        .expect("push consumer");
    // Settled (and so recorded: a message leaves the cache after its listener call is
    // measured and its ack is answered).
    eventually("three consumed and settled", || {
        consumed.load(std::sync::atomic::Ordering::SeqCst) >= 3 && push.cached_messages() == 0
    })
    .await;
    provider.force_flush().expect("flush");
    let points = points(&exporter);
    let find = |name: &str| -> Vec<&Point> { points.iter().filter(|p| p.name == name).collect() };

    let sends = find("rocketmq_send_cost_time");
    let ok: u64 = sends
        .iter()
        .filter(|p| has(p, "topic", "t") && has(p, "invocation_status", "success"))
        .map(|p| p.count)
        .sum();
    assert_eq!(ok, 3, "{sends:?}");
    assert!(
        sends
            .iter()
            .any(|p| has(p, "invocation_status", "failure") && p.count == 1),
        "{sends:?}"
    );
    assert!(
        sends
            .iter()
            .all(|p| has(p, "client_id", producer.client_id()))
    );
    assert_eq!(
        sends[0].bounds,
        [1.0, 5.0, 10.0, 20.0, 50.0, 200.0, 500.0],
        "the official buckets"
    );

    let delivery = find("rocketmq_delivery_latency");
    assert!(
        delivery
            .iter()
            .any(|p| has(p, "consumer_group", "simple") && has(p, "topic", "t") && p.count == 3),
        "{delivery:?}"
    );
    for name in ["rocketmq_await_time", "rocketmq_process_time"] {
        let found = find(name);
        let total: u64 = found
            .iter()
            .filter(|p| has(p, "consumer_group", "push"))
            .map(|p| p.count)
            .sum();
        assert!(total >= 3, "{name}: {found:?}");
    }
    assert!(
        find("rocketmq_process_time")
            .iter()
            .all(|p| has(p, "invocation_status", "success")),
    );
    let cached = find("rocketmq_consumer_cached_messages");
    assert!(
        cached.iter().any(|p| has(p, "consumer_group", "push")),
        "{cached:?}"
    );
    assert!(!find("rocketmq_consumer_cached_bytes").is_empty());
    push.shutdown().await;
    simple.shutdown().await;
    producer.shutdown().await;
    provider.shutdown().expect("provider shuts down");
}
