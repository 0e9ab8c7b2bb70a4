//! JS callbacks the core calls: message listeners and transaction checkers.
//!
//! The core calls them on its blocking threads and waits for the answer there. The JS
//! function runs on its environment's own thread (a thread-safe function queues the call to
//! that thread's event loop), so the JS thread never blocks: it runs the listener, and the
//! Promise the listener returns is awaited by the waiting blocking thread. The thread-safe
//! functions are weak: they never keep the process alive (a client that must, holds the event
//! loop from JS, see `lib/lifecycle.cjs`). Once the environment is gone, calls fail at once and
//! the core gets the failure answer (the message comes back later; the transaction stays open).

use crate::cancel::CancelToken;
use crate::message::MessageView;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use std::sync::Arc;

/// A JS function `(view) => Promise<R>` that never throws synchronously (the JS wrapper is an
/// async function that catches and logs the user's errors).
pub(crate) type Callback<R> =
    ThreadsafeFunction<MessageView, Promise<R>, MessageView, Status, false, true>;

/// A JS callback with the signal that its environment is gone (a terminated worker never
/// settles the Promise its listener returned).
pub(crate) struct Js<R: FromNapiValue + 'static> {
    f: Callback<R>,
    gone: CancelToken,
}

/// Makes `f` callable from any thread, without holding the process.
pub(crate) fn callback<R: FromNapiValue + 'static>(
    env: &Env,
    f: Function<MessageView, Promise<R>>,
) -> Result<Arc<Js<R>>> {
    Ok(Arc::new(Js {
        f: f.build_threadsafe_function::<MessageView>()
            .weak::<true>()
            .build()?,
        gone: crate::runtime::state(env)?.clients.gone.clone(),
    }))
}

/// Calls the callback with `view` on its JS thread and waits, on this (blocking) thread, for
/// the Promise it returns; `None` when the environment is (or goes) away or the Promise
/// rejected.
pub(crate) fn call<R: FromNapiValue + Send + 'static>(
    js: &Js<R>,
    view: &rmq_client::MessageView,
) -> Option<R> {
    let view = MessageView::new(view.clone());
    let answer = async {
        let promise = js.f.call_async_catch(view).await.ok()?;
        promise.await.ok()
    };
    let gone = js.gone.waiter();
    futures::executor::block_on(async {
        futures::pin_mut!(answer, gone);
        match futures::future::select(answer, gone).await {
            futures::future::Either::Left((answer, _)) => answer,
            futures::future::Either::Right(((), _)) => None,
        }
    })
}
