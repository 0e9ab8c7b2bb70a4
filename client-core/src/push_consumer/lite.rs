//! `LitePushConsumer` (Apache 5.5, RIP-83): a push consumer of a LITE parent topic that
//! receives only the lite topics it subscribes, each in order. The subscriptions themselves
//! are [`crate::lite`]'s.

use super::{PushConsumer, PushConsumerBuilder};
use crate::config::ClientConfig;
use crate::error::Result;
use crate::lite::{LiteSubscriptions, OffsetOption};
use crate::message::FilterExpression;
use std::sync::Arc;

/// Builder of [`LitePushConsumer`].
pub struct LitePushConsumerBuilder {
    inner: PushConsumerBuilder,
    topic: String,
}

impl LitePushConsumerBuilder {
    /// The listener every message goes to. Required.
    pub fn listener(mut self, listener: impl super::MessageListener) -> Self {
        self.inner = self.inner.listener(listener);
        self
    }

    /// Messages cached (received, not yet settled) before receiving pauses. Default 4096.
    pub fn max_cache_messages(mut self, n: usize) -> Self {
        self.inner = self.inner.max_cache_messages(n);
        self
    }

    /// Body bytes cached before receiving pauses. Default 64 MiB.
    pub fn max_cache_bytes(mut self, n: usize) -> Self {
        self.inner = self.inner.max_cache_bytes(n);
        self
    }

    /// Listener calls at once (different lite topics side by side; one lite topic's messages
    /// always in order). Default 20; 1 to 1024.
    pub fn consumption_threads(mut self, n: usize) -> Self {
        self.inner = self.inner.consumption_threads(n);
        self
    }

    /// The listener calls at once this builder is set for.
    pub fn listener_concurrency(&self) -> usize {
        self.inner.listener_concurrency()
    }

    /// Sets one option from strings (a push-consumer key of [`crate::options::OPTIONS`]).
    pub fn set(mut self, key: &str, value: &str) -> Result<Self> {
        self.inner = self.inner.set(key, value)?;
        Ok(self)
    }

    /// Starts consuming on the current tokio runtime. No lite topic is subscribed yet.
    pub async fn start(self) -> Result<LitePushConsumer> {
        let lite = LiteSubscriptions::new(self.topic, self.inner.group.clone());
        let consumer = self.inner.start_with(Some(lite.clone())).await?;
        Ok(LitePushConsumer { consumer, lite })
    }
}

/// Takes the push consumer's keys.
impl crate::options::Configurable for LitePushConsumerBuilder {
    const APPLIES: crate::options::Applies = crate::options::Applies::PushConsumer;

    fn apply(mut self, key: &'static str, value: crate::options::Value) -> Result<Self> {
        self.inner = self.inner.apply(key, value)?;
        Ok(self)
    }
}

/// A push consumer of the lite topics it subscribes under one LITE parent topic. Clone it
/// freely; it consumes until [`LitePushConsumer::shutdown`] or until the last clone is dropped.
#[derive(Clone)]
pub struct LitePushConsumer {
    consumer: PushConsumer,
    lite: Arc<LiteSubscriptions>,
}

impl LitePushConsumer {
    /// A builder for lite group `group` of the LITE topic `topic` (its bind topic).
    pub fn builder(
        config: ClientConfig,
        group: impl Into<String>,
        topic: impl Into<String>,
    ) -> LitePushConsumerBuilder {
        let topic = topic.into();
        LitePushConsumerBuilder {
            inner: PushConsumer::builder(config, group)
                .subscribe(topic.clone(), FilterExpression::all()),
            topic,
        }
    }

    /// A builder from string keys: the client keys and the push-consumer keys of
    /// [`crate::options::OPTIONS`].
    pub fn builder_from_map<K: AsRef<str>, V: AsRef<str>>(
        group: impl Into<String>,
        topic: impl Into<String>,
        map: impl IntoIterator<Item = (K, V)>,
    ) -> Result<LitePushConsumerBuilder> {
        crate::options::build(map, |config| {
            LitePushConsumer::builder(config, group, topic)
        })
    }

    crate::lite::lite_subscription_methods!();

    /// Messages received and not yet settled.
    pub fn cached_messages(&self) -> usize {
        self.consumer.cached_messages()
    }

    /// Brokers this consumer currently receives from (one assignment per broker).
    pub fn assigned_queues(&self) -> usize {
        self.consumer.assigned_queues()
    }

    /// Stops receiving, waits for running listeners, tells the brokers the consumer leaves
    /// and closes sessions.
    pub async fn shutdown(&self) {
        self.consumer.shutdown().await;
    }
}
