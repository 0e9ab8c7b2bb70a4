//! `SimpleConsumer`: receive, ack, change invisible duration; every call returns a Promise.

use crate::cancel::CancelToken;
use crate::config::pairs;
use crate::error::{self, OrThrow};
use crate::filter::subscriptions;
use crate::message::MessageView;
use crate::runtime::{self, promise};
use napi::bindgen_prelude::*;
use rmq_client as core;
use std::sync::Arc;

/// A started simple consumer.
#[napi]
pub struct SimpleConsumer {
    inner: core::SimpleConsumer,
    /// Set for a lite simple consumer (lib/lite_simple_consumer.cjs): its subscriptions, over
    /// the same client as `inner`.
    pub(crate) lite: Option<core::LiteSimpleConsumer>,
    registration: runtime::Slot,
}

/// Starts a simple consumer of `group` from `[key, value, ...]` options and
/// `[topic, kind, expression, ...]` subscriptions.
#[napi(ts_return_type = "Promise<SimpleConsumer>")]
pub fn start_simple_consumer<'env>(
    env: &'env Env,
    group: String,
    options: Vec<String>,
    subscribed: Vec<String>,
) -> Result<PromiseRaw<'env, SimpleConsumer>> {
    let mut builder =
        core::SimpleConsumer::builder_from_map(group, pairs(&options)).or_throw(env)?;
    for (topic, filter) in subscriptions(subscribed) {
        builder = builder.subscribe(topic, filter);
    }
    runtime::start_client(
        env,
        builder.start(),
        |client: core::SimpleConsumer| async move { client.shutdown().await },
        |inner, registration| SimpleConsumer {
            inner,
            lite: None,
            registration,
        },
    )
}

/// Starts a lite simple consumer of lite group `group` bound to the LITE topic `topic`.
#[napi(ts_return_type = "Promise<SimpleConsumer>")]
pub fn start_lite_simple_consumer<'env>(
    env: &'env Env,
    group: String,
    topic: String,
    options: Vec<String>,
) -> Result<PromiseRaw<'env, SimpleConsumer>> {
    let builder =
        core::LiteSimpleConsumer::builder_from_map(group, topic, pairs(&options)).or_throw(env)?;
    runtime::start_client(
        env,
        builder.start(),
        |client: core::LiteSimpleConsumer| async move { client.shutdown().await },
        |lite, registration| SimpleConsumer {
            inner: lite.as_simple_consumer().clone(),
            lite: Some(lite),
            registration,
        },
    )
}

/// `receive`'s arguments as the core checks them.
fn receive_args(max_messages: i64, invisible_ms: f64) -> core::Result<(u32, std::time::Duration)> {
    let max = core::SimpleConsumer::check_max_messages(max_messages)?;
    let invisible = core::options::duration_from_millis("invisibleDuration", invisible_ms)?;
    Ok((max, invisible))
}

/// Checks `receive`'s arguments without a consumer (argument errors come first, as they do
/// once started).
#[napi]
pub fn check_receive(env: &Env, max_messages: i64, invisible_ms: f64) -> Result<()> {
    receive_args(max_messages, invisible_ms)
        .map(|_| ())
        .or_throw(env)
}

#[napi]
impl SimpleConsumer {
    #[napi(ts_return_type = "Promise<MessageView[]>")]
    pub fn receive<'env>(
        &self,
        env: &'env Env,
        max_messages: i64,
        invisible_ms: f64,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Vec<MessageView>>> {
        let (max, invisible) = receive_args(max_messages, invisible_ms).or_throw(env)?;
        let consumer = self.inner.clone();
        promise(
            env,
            cancel,
            async move { consumer.receive(max, invisible).await },
            |_, views: Vec<core::MessageView>| {
                Ok(views.into_iter().map(MessageView::new).collect())
            },
        )
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn ack<'env>(
        &self,
        env: &'env Env,
        view: &MessageView,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let (consumer, view) = (self.inner.clone(), view.core());
        promise(
            env,
            cancel,
            async move { consumer.ack(&view).await },
            |_, ()| Ok(()),
        )
    }

    /// Resolves to one entry per view: `undefined` when acked, its error otherwise.
    #[napi(ts_return_type = "Promise<Array<Error | undefined>>")]
    pub fn ack_batch<'env>(
        &self,
        env: &'env Env,
        views: Vec<&MessageView>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Vec<Option<Unknown<'env>>>>> {
        let consumer = self.inner.clone();
        let views: Vec<core::MessageView> = views.iter().map(|v| (*v.core()).clone()).collect();
        promise(
            env,
            cancel,
            async move { consumer.ack_batch(&views).await },
            |env, results: Vec<core::Result<()>>| {
                results
                    .into_iter()
                    .map(|r| match r {
                        Ok(()) => Ok(None),
                        Err(e) => error::object(env, &e).map(Some),
                    })
                    .collect()
            },
        )
    }

    /// Changes how long the message stays invisible; the view gets the new receipt handle.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn change_invisible_duration<'env>(
        &self,
        env: &'env Env,
        view: &MessageView,
        invisible_ms: f64,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let invisible =
            core::options::duration_from_millis("invisibleDuration", invisible_ms).or_throw(env)?;
        let consumer = self.inner.clone();
        let cell = view.cell();
        promise(
            env,
            cancel,
            async move {
                let current = cell.lock().clone();
                let changed = consumer
                    .change_invisible_duration(&current, invisible)
                    .await?;
                *cell.lock() = Arc::new(changed);
                Ok(())
            },
            |_, ()| Ok(()),
        )
    }

    /// Stops the consumer (idempotent).
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
}
