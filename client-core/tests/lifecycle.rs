//! Client lifecycles: a client dropped without `shutdown()` stops its tasks and leaves the
//! broker, and the server's Settings are live state that a re-sync updates.
//!
//! The broker and the producer that feeds it run on a runtime of their own, so the client
//! runtime's task count shows only the client under test.

mod common;

use common::{alive_tasks, eventually};
use rmq_client::{
    ConsumeResult, FilterExpression, Message, MessageView, Producer, PushConsumer, SimpleConsumer,
};
use rmq_mini_broker::{GroupConfig, MiniBroker, RetryPolicy, TopicConfig, TopicType};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A broker (with topic `t` and FIFO topic `fifo`) and a producer, on their own runtime.
struct Elsewhere {
    runtime: tokio::runtime::Runtime,
    broker: Option<MiniBroker>,
    producer: Producer,
}

impl Elsewhere {
    fn start(groups: Vec<GroupConfig>) -> Elsewhere {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("broker runtime");
        let (broker, producer) = runtime.block_on(async {
            let mut builder = MiniBroker::builder()
                .topic(TopicConfig::new("t", TopicType::Normal).queues(2))
                .topic(TopicConfig::new("fifo", TopicType::Fifo).queues(1));
            for group in groups {
                builder = builder.group(group);
            }
            let broker = common::start(builder).await;
            let producer = Producer::builder(common::config(&broker))
                .topics(["t", "fifo"])
                .start()
                .await
                .expect("producer");
            (broker, producer)
        });
        Elsewhere {
            runtime,
            broker: Some(broker),
            producer,
        }
    }

    fn broker(&self) -> &MiniBroker {
        self.broker.as_ref().expect("broker")
    }

    /// Sends and waits for the receipt, from the client runtime.
    async fn send_now(&self, message: Message) {
        let producer = self.producer.clone();
        self.runtime
            .spawn(async move { producer.send(&message).await })
            .await
            .expect("join")
            .expect("send");
    }
}

impl Drop for Elsewhere {
    fn drop(&mut self) {
        let broker = self.broker.take();
        self.runtime.block_on(async move { drop(broker) });
    }
}

fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime")
}

fn counting(
    count: &Arc<AtomicUsize>,
    result: ConsumeResult,
) -> impl Fn(&MessageView) -> ConsumeResult + use<> {
    let count = count.clone();
    move |_: &MessageView| {
        count.fetch_add(1, Ordering::SeqCst);
        result
    }
}

#[test]
fn a_dropped_push_consumer_stops_receiving_and_its_tasks_end() {
    let server = Elsewhere::start(Vec::new());
    client_runtime().block_on(async {
        let config = common::config(server.broker());
        let dropped_calls = Arc::new(AtomicUsize::new(0));
        let consumer = PushConsumer::builder(config.clone(), "g")
            .subscribe("t", FilterExpression::all())
            .listener(counting(&dropped_calls, ConsumeResult::Success))
            .start()
            .await
            .expect("consumer");
        // The server assigns a Pop consumer the whole broker: one receive loop.
        eventually("a running receive loop", || consumer.assigned_queues() == 1).await;
        assert!(alive_tasks() > 0, "the consumer runs tasks");
        drop(consumer);
        eventually("every task of the dropped consumer ended", || {
            alive_tasks() == 0
        })
        .await;
        eventually("the broker saw it leave", || {
            server.broker().connected_clients() == 1
        })
        .await;
        for i in 0..20 {
            server
                .send_now(Message::builder("t", format!("m{i}")).build().expect("m"))
                .await;
        }
        let fresh_calls = Arc::new(AtomicUsize::new(0));
        let fresh = PushConsumer::builder(config, "g")
            .subscribe("t", FilterExpression::all())
            .listener(counting(&fresh_calls, ConsumeResult::Success))
            .start()
            .await
            .expect("a new consumer of the group");
        eventually("the new consumer gets all 20", || {
            fresh_calls.load(Ordering::SeqCst) == 20
        })
        .await;
        assert_eq!(
            dropped_calls.load(Ordering::SeqCst),
            0,
            "the dropped consumer consumed"
        );
        fresh.shutdown().await;
    });
}

#[test]
fn a_dropped_simple_consumer_and_producer_end_their_tasks() {
    let server = Elsewhere::start(Vec::new());
    client_runtime().block_on(async {
        let config = common::config(server.broker());
        let consumer = SimpleConsumer::builder(config.clone(), "g")
            .subscribe("t", FilterExpression::all())
            .start()
            .await
            .expect("consumer");
        let producer = Producer::builder(config)
            .topics(["t"])
            .start()
            .await
            .expect("producer");
        producer
            .send(&Message::builder("t", "x").build().expect("m"))
            .await
            .expect("send");
        let clone = producer.clone();
        drop(producer);
        clone
            .send(&Message::builder("t", "y").build().expect("m"))
            .await
            .expect("a clone keeps the client alive");
        assert!(alive_tasks() > 0);
        assert_eq!(server.broker().connected_clients(), 3);
        drop(clone);
        drop(consumer);
        eventually("every task ended", || alive_tasks() == 0).await;
        eventually("the broker saw both leave", || {
            server.broker().connected_clients() == 1
        })
        .await;
    });
}

#[test]
fn clients_dropped_outside_a_runtime_still_stop() {
    let server = Elsewhere::start(Vec::new());
    let runtime = client_runtime();
    let consumer = runtime.block_on(async {
        SimpleConsumer::builder(common::config(server.broker()), "g")
            .subscribe("t", FilterExpression::all())
            .start()
            .await
            .expect("consumer")
    });
    drop(consumer);
    runtime.block_on(async {
        eventually("every task ended", || alive_tasks() == 0).await;
    });
}

#[test]
fn a_settings_resync_brings_the_groups_new_policy_into_use() {
    let quick = |attempts| {
        GroupConfig::new("live")
            .fifo(true)
            .max_delivery_attempts(attempts)
            .retry_policy(RetryPolicy::Customized(vec![Duration::from_millis(50)]))
    };
    let server = Elsewhere::start(vec![quick(5)]);
    client_runtime().block_on(async {
        let config = common::config_with(server.broker(), |b| {
            b.settings_resync_interval(Duration::from_millis(50))
        });
        let calls = Arc::new(AtomicUsize::new(0));
        let consumer = PushConsumer::builder(config, "live")
            .subscribe("fifo", FilterExpression::all())
            .listener(counting(&calls, ConsumeResult::Failure))
            .start()
            .await
            .expect("consumer");
        assert_eq!(consumer.max_delivery_attempts(), 5);
        server.broker().create_group(quick(2));
        eventually("the re-synced policy", || {
            consumer.max_delivery_attempts() == 2
        })
        .await;
        server
            .send_now(
                Message::builder("fifo", "poison")
                    .message_group("g")
                    .build()
                    .expect("m"),
            )
            .await;
        eventually("the dead-letter queue", || {
            !server.broker().dead_letters("live").is_empty()
        })
        .await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "two attempts, as the new policy says"
        );
        consumer.shutdown().await;
    });
}

#[test]
fn every_start_future_can_be_spawned() {
    // Bindings and applications spawn `start()`; a future that is not `Send + 'static` would
    // only show up as a compile error in their code.
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    let config = rmq_client::ClientConfig::builder()
        .endpoints("127.0.0.1:1")
        .build()
        .expect("config");
    spawnable(Producer::builder(config.clone()).start());
    spawnable(SimpleConsumer::builder(config.clone(), "g").start());
    spawnable(PushConsumer::builder(config, "g").start());
}

/// Bindings keep a handle to a closed consumer as long as their user object lives, and a
/// listener often refers back to that object (a JS closure over `this`): the consumer lets its
/// listener go at shutdown, so that cycle is broken.
#[test]
fn a_shut_down_push_consumer_lets_its_listener_go() {
    let server = Elsewhere::start(Vec::new());
    client_runtime().block_on(async {
        let held = Arc::new(());
        let in_listener = held.clone();
        let consumer = PushConsumer::builder(common::config(server.broker()), "g")
            .subscribe("t", FilterExpression::all())
            .listener(move |_: &MessageView| {
                let _ = &in_listener;
                ConsumeResult::Success
            })
            .start()
            .await
            .expect("consumer");
        let kept = consumer.clone();
        assert_eq!(Arc::strong_count(&held), 2);
        consumer.shutdown().await;
        assert_eq!(
            Arc::strong_count(&held),
            1,
            "a handle to a closed consumer still holds its listener"
        );
        drop(kept);
    });
}
