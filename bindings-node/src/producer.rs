//! `Producer` and `Transaction`: every call returns a Promise settled on the JS thread.

use crate::callbacks::{self, Js};
use crate::cancel::CancelToken;
use crate::config::pairs;
use crate::error::OrThrow;
use crate::message::{Message, MessageView, SendReceipt};
use crate::runtime::{self, promise};
use napi::bindgen_prelude::*;
use parking_lot::Mutex;
use rmq_client as core;
use std::sync::Arc;

/// A started producer.
#[napi]
pub struct Producer {
    inner: core::Producer,
    /// Leaves the environment's registry on close (or when collected).
    registration: runtime::Slot,
}

fn resolution(answer: Option<String>) -> core::TransactionResolution {
    match answer.as_deref() {
        Some("COMMIT") => core::TransactionResolution::Commit,
        Some("ROLLBACK") => core::TransactionResolution::Rollback,
        _ => core::TransactionResolution::Unknown,
    }
}

/// Starts a producer from `[key, value, ...]` options (the core's table). `checker(view)`
/// resolves to `"COMMIT"`, `"ROLLBACK"` or `"UNKNOWN"`.
#[napi(ts_return_type = "Promise<Producer>")]
pub fn start_producer<'env>(
    env: &'env Env,
    options: Vec<String>,
    checker: Option<Function<MessageView, Promise<String>>>,
) -> Result<PromiseRaw<'env, Producer>> {
    let mut builder = core::Producer::builder_from_map(pairs(&options)).or_throw(env)?;
    if let Some(checker) = checker {
        let checker: Arc<Js<String>> = callbacks::callback(env, checker)?;
        builder = builder.transaction_checker(move |view: &core::MessageView| {
            resolution(callbacks::call(&checker, view))
        });
    }
    runtime::start_client(
        env,
        builder.start(),
        |client: core::Producer| async move { client.shutdown().await },
        |inner, registration| Producer {
            inner,
            registration,
        },
    )
}

#[napi]
impl Producer {
    #[napi(ts_return_type = "Promise<SendReceipt>")]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        message: &Message,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, SendReceipt>> {
        let (producer, message) = (self.inner.clone(), message.inner.clone());
        promise(
            env,
            cancel,
            async move { producer.send(&message).await },
            |_, r| Ok(SendReceipt::from(r)),
        )
    }

    #[napi(ts_return_type = "Promise<SendReceipt[]>")]
    pub fn send_batch<'env>(
        &self,
        env: &'env Env,
        messages: Vec<&Message>,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, Vec<SendReceipt>>> {
        let producer = self.inner.clone();
        let batch: Vec<core::Message> = messages.iter().map(|m| m.inner.clone()).collect();
        promise(
            env,
            cancel,
            async move { producer.send_batch(&batch).await },
            |_, rs: Vec<core::SendReceipt>| Ok(rs.into_iter().map(SendReceipt::from).collect()),
        )
    }

    /// For the benchmark: `n` sequential sends of `message` by the core itself, in one task on
    /// the runtime (no JS between sends); resolves to each send's microseconds. What a JS
    /// `await send()` costs beyond the core is the difference, measured in the same process.
    #[napi(ts_return_type = "Promise<number[]>")]
    pub fn core_sequential_sends<'env>(
        &self,
        env: &'env Env,
        message: &Message,
        n: u32,
    ) -> Result<PromiseRaw<'env, Vec<f64>>> {
        let (producer, message) = (self.inner.clone(), message.inner.clone());
        promise(
            env,
            None,
            async move {
                let mut took = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let started = std::time::Instant::now();
                    producer.send(&message).await?;
                    took.push(started.elapsed().as_secs_f64() * 1e6);
                }
                Ok(took)
            },
            |_, took| Ok(took),
        )
    }

    #[napi]
    pub fn begin_transaction(&self, env: &Env) -> Result<Transaction> {
        let transaction = self.inner.begin_transaction().or_throw(env)?;
        Ok(Transaction {
            inner: Mutex::new(Some(Arc::new(transaction))),
        })
    }

    /// Recalls a scheduled message; resolves to its message id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn recall<'env>(
        &self,
        env: &'env Env,
        topic: String,
        handle: String,
        cancel: Option<&CancelToken>,
    ) -> Result<PromiseRaw<'env, String>> {
        let producer = self.inner.clone();
        promise(
            env,
            cancel,
            async move { producer.recall(&topic, &handle).await },
            |_, id| Ok(id),
        )
    }

    /// Stops the producer (idempotent): the brokers are told, sessions end.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let producer = self.inner.clone();
        runtime::close_client(
            env,
            &self.registration,
            async move { producer.shutdown().await },
        )
    }

    #[napi(getter)]
    pub fn client_id(&self) -> String {
        self.inner.client_id().to_owned()
    }
}

/// One transaction: at most one message, then commit or rollback.
#[napi]
pub struct Transaction {
    inner: Mutex<Option<Arc<core::Transaction>>>,
}

fn ended() -> core::Error {
    core::Error::invalid(
        "transaction",
        "the transaction was already committed or rolled back",
    )
}

impl Transaction {
    fn take(&self) -> core::Result<core::Transaction> {
        let mut slot = self.inner.lock();
        let shared = slot.take().ok_or_else(ended)?;
        Arc::try_unwrap(shared).map_err(|shared| {
            *slot = Some(shared);
            core::Error::invalid("transaction", "the transaction's send has not finished")
        })
    }

    fn end<'env>(&self, env: &'env Env, commit: bool) -> Result<PromiseRaw<'env, ()>> {
        let transaction = self.take().or_throw(env)?;
        promise(
            env,
            None,
            async move {
                match commit {
                    true => transaction.commit().await,
                    false => transaction.rollback().await,
                }
            },
            |_, ()| Ok(()),
        )
    }
}

#[napi]
impl Transaction {
    #[napi(ts_return_type = "Promise<SendReceipt>")]
    pub fn send<'env>(
        &self,
        env: &'env Env,
        message: &Message,
    ) -> Result<PromiseRaw<'env, SendReceipt>> {
        let transaction = self.inner.lock().clone().ok_or_else(ended).or_throw(env)?;
        let message = message.inner.clone();
        promise(
            env,
            None,
            async move { transaction.send(&message).await },
            |_, r| Ok(SendReceipt::from(r)),
        )
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        self.end(env, true)
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn rollback<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        self.end(env, false)
    }
}
