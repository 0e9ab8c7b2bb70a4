//! The published Rust client, crate `rocketmq` 5.0.0, driven as its examples show.

use rocketmq::conf::{ClientOption, ProducerOption, SimpleConsumerOption};
use rocketmq::model::common::{FilterExpression, FilterType};
use rocketmq::model::message::MessageBuilder;
use std::sync::Arc;
use std::time::Duration;

fn client_option(endpoint: &str) -> ClientOption {
    let mut option = ClientOption::default();
    option.set_access_url(endpoint);
    option.set_enable_tls(false);
    option.set_long_polling_timeout(Duration::from_secs(5));
    option
}

pub async fn producer(endpoint: &str, topic: &str) -> Arc<rocketmq::Producer> {
    let mut option = ProducerOption::default();
    option.set_topics(vec![topic]);
    let mut producer =
        rocketmq::Producer::new(option, client_option(endpoint)).expect("rocketmq producer");
    producer.start().await.expect("rocketmq producer starts");
    Arc::new(producer)
}

fn message(topic: &str, body: &[u8]) -> impl rocketmq::model::message::Message + use<> {
    MessageBuilder::builder()
        .set_topic(topic)
        .set_body(body.to_vec())
        .build()
        .expect("rocketmq message")
}

pub async fn send(producer: &rocketmq::Producer, topic: &str, body: &[u8]) {
    producer
        .send(message(topic, body))
        .await
        .expect("rocketmq send");
}

pub async fn send_batch(producer: &rocketmq::Producer, topic: &str, body: &[u8], count: usize) {
    let messages: Vec<_> = (0..count).map(|_| message(topic, body)).collect();
    producer
        .batch_send(messages)
        .await
        .expect("rocketmq batch send");
}

pub async fn consumer(endpoint: &str, topic: &str, group: &str) -> Arc<rocketmq::SimpleConsumer> {
    let mut option = SimpleConsumerOption::default();
    option.set_topics(vec![topic]);
    option.set_consumer_group(group);
    let mut consumer =
        rocketmq::SimpleConsumer::new(option, client_option(endpoint)).expect("rocketmq consumer");
    consumer.start().await.expect("rocketmq consumer starts");
    Arc::new(consumer)
}

/// Receives up to 32 messages and acks each (the crate has no batch ack); returns how many.
pub async fn receive_and_ack(consumer: &rocketmq::SimpleConsumer, topic: &str) -> usize {
    let filter = FilterExpression::new(FilterType::Tag, "*");
    let views = consumer
        .receive_with(topic, &filter, 32, Duration::from_secs(30))
        .await
        .expect("rocketmq receive");
    // The acks overlap, as a user would await them together.
    let acks = views.iter().map(|view| consumer.ack(view));
    for result in futures::future::join_all(acks).await {
        result.expect("rocketmq ack");
    }
    views.len()
}
