//! `LitePushConsumer`: the core's lite push consumer (Apache 5.5 lite topics); messages go to
//! the JS listener on its environment's thread, as for `PushConsumer`.

use crate::config::pairs;
use crate::error::OrThrow;
use crate::lite;
use crate::message::MessageView;
use crate::push_consumer::listener;
use crate::runtime;
use napi::bindgen_prelude::*;
use rmq_client as core;

/// A started lite push consumer.
#[napi]
pub struct LitePushConsumer {
    inner: core::LitePushConsumer,
    registration: runtime::Slot,
}

/// Starts a lite push consumer of lite group `group` bound to the LITE topic `topic`.
#[napi(ts_return_type = "Promise<LitePushConsumer>")]
pub fn start_lite_push_consumer<'env>(
    env: &'env Env,
    group: String,
    topic: String,
    options: Vec<String>,
    dispatch: Function<MessageView, Promise<bool>>,
) -> Result<PromiseRaw<'env, LitePushConsumer>> {
    let builder =
        core::LitePushConsumer::builder_from_map(group, topic, pairs(&options)).or_throw(env)?;
    let builder = builder.listener(listener(env, dispatch)?);
    runtime::start_client(
        env,
        builder.start(),
        |client: core::LitePushConsumer| async move { client.shutdown().await },
        |inner, registration| LitePushConsumer {
            inner,
            registration,
        },
    )
}

#[napi]
impl LitePushConsumer {
    /// Subscribes a lite topic, optionally from an offset option `(kind, value)`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn subscribe_lite<'env>(
        &self,
        env: &'env Env,
        lite_topic: String,
        offset_kind: Option<String>,
        offset_value: Option<f64>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let consumer = self.inner.clone();
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
        let consumer = self.inner.clone();
        lite::unsubscribe(
            env,
            async move { consumer.unsubscribe_lite(&lite_topic).await },
        )
    }

    /// The lite topics subscribed now, in name order.
    #[napi(getter)]
    pub fn lite_topics(&self) -> Vec<String> {
        self.inner.lite_topics()
    }

    /// Stops receiving and waits for listener calls in progress and their acks (idempotent).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let consumer = self.inner.clone();
        runtime::close_client(
            env,
            &self.registration,
            async move { consumer.shutdown().await },
        )
    }

    #[napi(getter)]
    pub fn client_id(&self) -> String {
        self.inner.client_id().to_owned()
    }

    #[napi(getter)]
    pub fn cached_messages(&self) -> u32 {
        u32::try_from(self.inner.cached_messages()).unwrap_or(u32::MAX)
    }

    #[napi(getter)]
    pub fn assigned_queues(&self) -> u32 {
        u32::try_from(self.inner.assigned_queues()).unwrap_or(u32::MAX)
    }
}
