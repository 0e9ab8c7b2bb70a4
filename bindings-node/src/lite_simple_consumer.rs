//! The lite simple consumer's subscriptions: a `SimpleConsumer` started by
//! `startLiteSimpleConsumer` (receive, ack and the rest are the simple consumer's own).

use crate::error;
use crate::lite;
use crate::simple_consumer::SimpleConsumer;
use napi::bindgen_prelude::*;
use rmq_client as core;

impl SimpleConsumer {
    fn lite(&self, env: &Env) -> Result<core::LiteSimpleConsumer> {
        self.lite
            .clone()
            .ok_or_else(|| error::invalid(env, "not a lite simple consumer".to_owned()))
    }
}

#[napi]
impl SimpleConsumer {
    /// Subscribes a lite topic, optionally from an offset option `(kind, value)`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn subscribe_lite<'env>(
        &self,
        env: &'env Env,
        lite_topic: String,
        offset_kind: Option<String>,
        offset_value: Option<f64>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let consumer = self.lite(env)?;
        lite::subscribe(env, offset_kind, offset_value, |offset| async move {
            consumer.subscribe_lite_at(&lite_topic, offset).await
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn unsubscribe_lite<'env>(
        &self,
        env: &'env Env,
        lite_topic: String,
    ) -> Result<PromiseRaw<'env, ()>> {
        let consumer = self.lite(env)?;
        lite::unsubscribe(
            env,
            async move { consumer.unsubscribe_lite(&lite_topic).await },
        )
    }

    /// The lite topics subscribed now, in name order (none for a plain simple consumer).
    #[napi(getter)]
    pub fn lite_topics(&self) -> Vec<String> {
        self.lite
            .as_ref()
            .map(core::LiteSimpleConsumer::lite_topics)
            .unwrap_or_default()
    }
}
