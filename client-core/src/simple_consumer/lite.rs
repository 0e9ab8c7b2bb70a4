//! `LiteSimpleConsumer` (RIP-83; served by Apache from 5.5.1): a simple consumer of a LITE
//! parent topic that receives only the lite topics it subscribes. Each receive takes the
//! next broker of the parent topic's route, and the broker answers from the caller's lite
//! topics, one batch in flight per lite topic (so a lite topic is read in order as long as
//! each batch is settled before the next receive). The subscriptions are [`crate::lite`]'s.

use super::{SimpleConsumer, SimpleConsumerBuilder};
use crate::config::ClientConfig;
use crate::error::Result;
use crate::lite::{LiteSubscriptions, OffsetOption};
use crate::message::{FilterExpression, MessageView};
use std::sync::Arc;
use std::time::Duration;

/// Builder of [`LiteSimpleConsumer`].
pub struct LiteSimpleConsumerBuilder {
    inner: SimpleConsumerBuilder,
    topic: String,
}

impl LiteSimpleConsumerBuilder {
    /// How long a receive waits for messages. Default 30 s; up to 1 h (servers clamp it).
    pub fn await_duration(mut self, duration: Duration) -> Self {
        self.inner = self.inner.await_duration(duration);
        self
    }

    /// Sets one option from strings (a simple-consumer key of [`crate::options::OPTIONS`]).
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        self.inner = self.inner.set(key, value)?;
        Ok(self)
    }

    /// Starts the consumer: fetches the parent topic's route and opens the brokers' sessions.
    /// No lite topic is subscribed yet.
    pub async fn start(self) -> Result<LiteSimpleConsumer> {
        let lite = LiteSubscriptions::new(self.topic, self.inner.group.clone());
        let consumer = self.inner.start_with(Some(lite.clone())).await?;
        Ok(LiteSimpleConsumer { consumer, lite })
    }
}

/// Takes the simple consumer's keys.
impl crate::options::Configurable for LiteSimpleConsumerBuilder {
    const APPLIES: crate::options::Applies = crate::options::Applies::SimpleConsumer;

    fn apply(mut self, key: &'static str, value: crate::options::Value) -> Result<Self> {
        self.inner = self.inner.apply(key, value)?;
        Ok(self)
    }
}

/// Receives and settles the messages of the lite topics it subscribes under one LITE parent
/// topic. Clone it freely: clones share one client, which stops at
/// [`LiteSimpleConsumer::shutdown`] or when the last clone is dropped.
#[derive(Clone)]
pub struct LiteSimpleConsumer {
    consumer: SimpleConsumer,
    lite: Arc<LiteSubscriptions>,
}

impl LiteSimpleConsumer {
    /// A builder for lite group `group` of the LITE topic `topic` (its bind topic).
    pub fn builder(
        config: ClientConfig,
        group: impl Into<String>,
        topic: impl Into<String>,
    ) -> LiteSimpleConsumerBuilder {
        let topic = topic.into();
        LiteSimpleConsumerBuilder {
            inner: SimpleConsumer::builder(config, group)
                .subscribe(topic.clone(), FilterExpression::all()),
            topic,
        }
    }

    /// A builder from string keys: the client keys and the simple-consumer keys of
    /// [`crate::options::OPTIONS`].
    pub fn builder_from_map<K: AsRef<str>, V: AsRef<str>>(
        group: impl Into<String>,
        topic: impl Into<String>,
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<LiteSimpleConsumerBuilder> {
        crate::options::build(map, |config| {
            LiteSimpleConsumer::builder(config, group, topic)
        })
    }

    crate::lite::lite_subscription_methods!();

    /// Receives up to `max` messages (1 to 32) of the subscribed lite topics, hidden from the
    /// group for `invisible`. Empty when nothing arrived in time (or nothing is subscribed).
    pub async fn receive(&self, max: u32, invisible: Duration) -> Result<Vec<MessageView>> {
        self.consumer.receive(max, invisible).await
    }

    /// Acknowledges a message: it is consumed for the group.
    pub async fn ack(&self, view: &MessageView) -> Result<()> {
        self.consumer.ack(view).await
    }

    /// Acknowledges several messages; see [`SimpleConsumer::ack_batch`].
    pub async fn ack_batch(&self, views: &[MessageView]) -> Result<Vec<Result<()>>> {
        self.consumer.ack_batch(views).await
    }

    /// Hides the message for `invisible` from now and returns it with its new receipt handle.
    pub async fn change_invisible_duration(
        &self,
        view: &MessageView,
        invisible: Duration,
    ) -> Result<MessageView> {
        self.consumer
            .change_invisible_duration(view, invisible)
            .await
    }

    /// The plain simple consumer underneath (for code written against [`SimpleConsumer`]).
    pub fn as_simple_consumer(&self) -> &SimpleConsumer {
        &self.consumer
    }

    /// Tells the brokers this consumer leaves and closes its sessions.
    pub async fn shutdown(&self) {
        self.consumer.shutdown().await;
    }
}
