//! The client's `tracing` spans: one per send, receive, ack and listener call, with the fields
//! a trace needs, seen through a subscriber like an application's.

mod common;

use common::eventually;

use rmq_client::{
    ClientConfig, ConsumeResult, FilterExpression, Message, MessageView, Producer, PushConsumer,
    SimpleConsumer,
};
use rmq_mini_broker::MiniBroker;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Every span as "name field=value ..." once closed, fields recorded later included.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(u64, String)>>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={}", field.name(), value));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut line = attrs.metadata().name().to_owned();
        attrs.record(&mut Fields(&mut line));
        self.0.lock().expect("lock").push((id.into_u64(), line));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().expect("lock");
        if let Some((_, line)) = spans.iter_mut().rev().find(|(i, _)| *i == id.into_u64()) {
            values.record(&mut Fields(line));
        }
    }
}

impl Spans {
    fn named(&self, name: &str) -> Vec<String> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, line)| line.split(' ').next() == Some(name))
            .map(|(_, line)| line.clone())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_receives_acks_and_listener_calls_have_spans() {
    let spans = Spans::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(spans.clone()))
        .expect("the only subscriber in this test binary");

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
    let receipt = producer
        .send(&Message::builder("t", "one").build().expect("m"))
        .await
        .expect("send");
    let sends = spans.named("rmq.send");
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert!(sends[0].contains(" topic=t"), "{}", sends[0]);
    assert!(sends[0].contains(" attempts=1"), "{}", sends[0]);
    assert!(
        sends[0].contains(&format!(" message_id={}", receipt.message_id)),
        "{}",
        sends[0]
    );

    let consumer = SimpleConsumer::builder(config.clone(), "g")
        .subscribe("t", FilterExpression::all())
        .await_duration(Duration::from_secs(2))
        .start()
        .await
        .expect("consumer");
    let views = consumer
        .receive(8, Duration::from_secs(30))
        .await
        .expect("receive");
    assert_eq!(views.len(), 1);
    consumer.ack_batch(&views).await.expect("ack");
    let receives = spans.named("rmq.receive");
    assert!(
        receives
            .iter()
            .any(|r| r.contains(" group=g") && r.contains(" received=1")),
        "{receives:?}"
    );
    assert!(
        spans
            .named("rmq.ack")
            .iter()
            .any(|a| a.contains(" messages=1")),
        "{:?}",
        spans.named("rmq.ack")
    );

    let push = PushConsumer::builder(config, "p")
        .subscribe("t", FilterExpression::all())
        .listener(|_: &MessageView| ConsumeResult::Success)
        .start()
        .await
        .expect("push consumer");
    eventually("a processed message", || {
        spans
            .named("rmq.process")
            .iter()
            .any(|p| p.contains("result=Success"))
    })
    .await;
    let processed = spans.named("rmq.process");
    assert!(
        processed.iter().any(|p| p.contains(" group=p")
            && p.contains(&format!(" message_id={}", receipt.message_id))
            && p.contains("result=Success")),
        "{processed:?}"
    );
    push.shutdown().await;
}
