//! `PushConsumer`: the core receives and acks; each message goes to the JS listener on its
//! environment's thread (see `callbacks.rs`).

use crate::callbacks::{self, Js};
use crate::config::pairs;
use crate::error::OrThrow;
use crate::filter::subscriptions;
use crate::message::MessageView;
use crate::runtime;
use napi::bindgen_prelude::*;
use rmq_client as core;
use std::sync::Arc;

/// The core listener that hands each message to `dispatch` on the JS thread and waits for
/// its answer (true: consumed).
pub(crate) fn listener(
    env: &Env,
    dispatch: Function<MessageView, Promise<bool>>,
) -> Result<impl Fn(&core::MessageView) -> core::ConsumeResult + Send + Sync + 'static> {
    let dispatch: Arc<Js<bool>> = callbacks::callback(env, dispatch)?;
    Ok(
        move |view: &core::MessageView| match callbacks::call(&dispatch, view) {
            Some(true) => core::ConsumeResult::Success,
            _ => core::ConsumeResult::Failure,
        },
    )
}

/// A started push consumer.
#[napi]
pub struct PushConsumer {
    inner: core::PushConsumer,
    registration: runtime::Slot,
}

/// Starts a push consumer of `group`. `dispatch(view)` resolves to true when the message
/// was consumed; it never rejects (the JS wrapper logs a listener's throw and answers false).
#[napi(ts_return_type = "Promise<PushConsumer>")]
pub fn start_push_consumer<'env>(
    env: &'env Env,
    group: String,
    options: Vec<String>,
    subscribed: Vec<String>,
    dispatch: Function<MessageView, Promise<bool>>,
) -> Result<PromiseRaw<'env, PushConsumer>> {
    let mut builder = core::PushConsumer::builder_from_map(group, pairs(&options)).or_throw(env)?;
    for (topic, filter) in subscriptions(subscribed) {
        builder = builder.subscribe(topic, filter);
    }
    builder = builder.listener(listener(env, dispatch)?);
    runtime::start_client(
        env,
        builder.start(),
        |client: core::PushConsumer| async move { client.shutdown().await },
        |inner, registration| PushConsumer {
            inner,
            registration,
        },
    )
}

#[napi]
impl PushConsumer {
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

    /// Messages received and not yet settled.
    #[napi(getter)]
    pub fn cached_messages(&self) -> u32 {
        u32::try_from(self.inner.cached_messages()).unwrap_or(u32::MAX)
    }

    /// Queues this consumer is assigned.
    #[napi(getter)]
    pub fn assigned_queues(&self) -> u32 {
        u32::try_from(self.inner.assigned_queues()).unwrap_or(u32::MAX)
    }

    #[napi(getter)]
    pub fn is_fifo(&self) -> bool {
        self.inner.is_fifo()
    }
}
