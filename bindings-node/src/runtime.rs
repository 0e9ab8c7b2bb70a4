//! The one runtime and the JS environment's state.
//!
//! Futures run on one runtime per process, shared by every JS environment of it (the main
//! thread and each worker) and driven by a thread of its own; their results come back to the
//! environment's own thread, where promises are settled. Each environment keeps a registry of
//! its started clients: when the environment goes away (a worker terminates, the process exits
//! normally) every client still open is shut down, so a terminated worker leaves nothing
//! running.

use crate::cancel::CancelToken;
use crate::error;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{JsError, check_status, sys};
use parking_lot::Mutex;
use rmq_client as core;
use rmq_client::caller_driven::CallerDriven;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

/// What a JS environment keeps: how to build its error objects, and its open clients.
pub(crate) struct EnvState {
    pub(crate) make_error: FunctionRef<error::FactoryArgs, Unknown<'static>>,
    pub(crate) clients: Arc<Registry>,
    completions: Arc<Completions>,
    /// Calls in flight (their promises are not settled yet).
    pending: u32,
}

/// Closers of the open clients of one environment.
#[derive(Default)]
pub(crate) struct Registry {
    next: AtomicU64,
    closers: Mutex<HashMap<u64, Box<dyn FnOnce() + Send>>>,
    /// Cancelled when the environment goes away: JS callbacks waiting for it give up.
    pub(crate) gone: CancelToken,
}

impl Registry {
    fn close_all(&self) {
        self.gone.cancel();
        let closers: Vec<_> = self.closers.lock().drain().map(|(_, c)| c).collect();
        for close in closers {
            close();
        }
    }
}

/// A client's place in its environment's registry; leaving it (on `close()` or when the
/// client object is collected) removes the closer.
pub(crate) struct Registration {
    registry: Weak<Registry>,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            registry.closers.lock().remove(&self.id);
        }
    }
}

/// Sets this environment up: `make_error` builds the public error objects (`lib/errors.cjs`);
/// `noop` is any function (the completion channel needs one to exist). Called once per
/// environment by `lib/native.cjs`.
#[napi]
pub fn init(
    env: Env,
    make_error: Function<error::FactoryArgs, Unknown<'static>>,
    noop: Function<(), ()>,
) -> Result<()> {
    let clients = Arc::new(Registry::default());
    let state = EnvState {
        make_error: make_error.create_ref()?,
        clients: clients.clone(),
        completions: Arc::new(completions(noop)?),
        pending: 0,
    };
    env.set_instance_data(state, (), |_| {})?;
    env.add_env_cleanup_hook(clients, |clients| clients.close_all())?;
    crate::logging::attach(&env)?;
    Ok(())
}

pub(crate) fn state(env: &Env) -> Result<&'static mut EnvState> {
    env.get_instance_data::<EnvState>()?
        .ok_or_else(|| Error::from_reason("rmq: the native module was loaded without init()"))
}

/// Registers a started client: if the environment goes away while it is open, `shutdown` is
/// spawned on the client's runtime (the environment's thread cannot wait during its teardown).
pub(crate) fn register(
    env: &Env,
    runtime: tokio::runtime::Handle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Registration> {
    let close: Box<dyn FnOnce() + Send> = Box::new(move || {
        runtime.spawn(shutdown);
    });
    let registry = &state(env)?.clients;
    let id = registry.next.fetch_add(1, Ordering::Relaxed);
    registry.closers.lock().insert(id, close);
    Ok(Registration {
        registry: Arc::downgrade(registry),
        id,
    })
}

/// The runtime every call of this process runs on, shared by all its JS environments: the
/// core's current-thread runtime, driven by its own thread (JS never blocks on it, so no
/// caller ever drives it). One thread runs every client's tasks and the HTTP/2 connections,
/// so a call and its connection never wake each other across threads; beside napi's
/// two-worker runtime it gave sequential sends 8 % more throughput and 10,000 sends in
/// flight 18 % less memory, at the same concurrent throughput (BENCHMARKS.md).
fn runtime() -> Result<&'static tokio::runtime::Handle> {
    static RUNTIME: OnceLock<std::result::Result<&'static tokio::runtime::Handle, String>> =
        OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            CallerDriven::start("rmq-node")
                .map(CallerDriven::handle)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .copied()
        .map_err(|e| Error::from_reason(format!("rmq: could not start its runtime: {e}")))
}

/// How a future ended: with the core's result, or cancelled by its token.
enum Outcome<T> {
    Done(core::Result<T>),
    Aborted,
}

/// Work for the JS thread: settles one promise.
type Settle = Box<dyn FnOnce(&Env) + Send>;

/// The one channel from the runtime to an environment's JS thread: a thread-safe function
/// made once per environment (napi's own future bridge makes and tears down one per call).
/// Weak: the environment holds its event loop only while calls are in flight (`pending`).
pub(crate) type Completions = ThreadsafeFunction<Settle, (), (), Status, false, true>;

pub(crate) fn completions(noop: Function<(), ()>) -> Result<Completions> {
    noop.build_threadsafe_function::<Settle>()
        .weak::<true>()
        .build_callback(|ctx: ThreadsafeCallContext<Settle>| {
            (ctx.value)(&ctx.env);
            Ok(())
        })
}

/// A napi deferred, handed to the runtime and back (only ever used on its JS thread).
struct Deferred(sys::napi_deferred);
// SAFETY: the pointer is only dereferenced by napi on the environment's own thread, in the
// completion callback; other threads merely carry it.
unsafe impl Send for Deferred {}

/// Counts calls in flight; the first holds the event loop, the last lets it go. JS thread only.
fn pending(env: &Env, state: &mut EnvState, delta: i32) {
    let before = state.pending;
    state.pending = before.saturating_add_signed(delta);
    let raw = state.completions.raw();
    // SAFETY: called on the environment's thread with its own thread-safe function.
    unsafe {
        if before == 0 && state.pending > 0 {
            sys::napi_ref_threadsafe_function(env.raw(), raw);
        } else if before > 0 && state.pending == 0 {
            sys::napi_unref_threadsafe_function(env.raw(), raw);
        }
    }
}

/// Runs `work` on the runtime and returns a promise settled on this environment's thread:
/// `done` turns the value into JS, a core error becomes its `RmqError` subclass, and a
/// cancelled token rejects with `AbortError`.
pub(crate) fn promise<'env, T, V, F, D>(
    env: &'env Env,
    cancel: Option<&CancelToken>,
    work: F,
    done: D,
) -> Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = core::Result<T>> + Send + 'static,
    D: FnOnce(&Env, T) -> Result<V> + Send + 'static,
{
    let here = state(env)?;
    let runtime = runtime()?;
    let mut deferred = std::ptr::null_mut();
    let mut promise = std::ptr::null_mut();
    // SAFETY: plain napi call on the environment's thread.
    check_status!(unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) })?;
    let deferred = Deferred(deferred);
    let completions = here.completions.clone();
    pending(env, here, 1);
    let cancelled = cancel.map(CancelToken::waiter);
    runtime.spawn(async move {
        let out = match cancelled {
            None => Outcome::Done(work.await),
            Some(cancelled) => tokio::select! {
                out = work => Outcome::Done(out),
                () = cancelled => Outcome::Aborted,
            },
        };
        let settle: Settle = Box::new(move |env| {
            let deferred = deferred;
            let result = match out {
                Outcome::Done(Ok(value)) => {
                    done(env, value).and_then(|v| unsafe { V::to_napi_value(env.raw(), v) })
                }
                Outcome::Done(Err(e)) => Err(error::to_js(env, &e)),
                Outcome::Aborted => Err(error::aborted(env)),
            };
            // SAFETY: the deferred was made on this thread and is settled exactly once here.
            unsafe {
                match result {
                    Ok(value) => sys::napi_resolve_deferred(env.raw(), deferred.0, value),
                    Err(e) => {
                        let reason = JsError::from(e).into_value(env.raw());
                        sys::napi_reject_deferred(env.raw(), deferred.0, reason)
                    }
                };
            }
            if let Ok(here) = state(env) {
                pending(env, here, -1);
            }
        });
        // A closing environment drops it: nobody is left to see the promise.
        completions.call(settle, ThreadsafeFunctionCallMode::NonBlocking);
    });
    Ok(PromiseRaw::new(env.raw(), promise))
}

/// A started client's place in its environment's registry, given up by `close()`.
pub(crate) type Slot = Mutex<Option<Registration>>;

/// Starts a client on the runtime; once started it is registered (shut down if the
/// environment goes away first) and `made` builds its JS object.
pub(crate) fn start_client<'env, C, V, S, F>(
    env: &'env Env,
    start: impl Future<Output = core::Result<C>> + Send + 'static,
    shutdown: S,
    made: impl FnOnce(C, Slot) -> V + Send + 'static,
) -> Result<PromiseRaw<'env, V>>
where
    C: Clone + Send + 'static,
    V: ToNapiValue,
    S: FnOnce(C) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let start = async move {
        let client = start.await?;
        Ok((client, tokio::runtime::Handle::current()))
    };
    promise(env, None, start, move |env, (client, handle): (C, _)| {
        let registration = register(env, handle, shutdown(client.clone()))?;
        Ok(made(client, Mutex::new(Some(registration))))
    })
}

/// Closes a client: `shutdown` runs on the runtime, then the client leaves the registry.
pub(crate) fn close_client<'env>(
    env: &'env Env,
    slot: &Slot,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<PromiseRaw<'env, ()>> {
    let registration = slot.lock().take();
    promise(
        env,
        None,
        async move {
            shutdown.await;
            drop(registration);
            Ok(())
        },
        |_, ()| Ok(()),
    )
}
