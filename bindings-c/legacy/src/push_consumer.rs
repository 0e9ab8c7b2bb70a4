//! `CPushConsumer` over the 5.x push consumer: the callback runs on the consumer's listener
//! threads, one message per call; `E_CONSUME_SUCCESS` acks, anything else is redelivered after
//! the group's backoff. Ordering is the group's (a FIFO group in 5.x), not the client's choice.

use crate::common::{
    NOT_SUPPORT_NOW, NULL_POINTER, OK, PUSHCONSUMER_START_FAILED, Settings, failed, guard, handle,
    text, version,
};
use crate::message_ext::CMessageExt;
use crate::setters::{self, Client};
use rmq::callbacks::listen_on_threads;
use rmq::inflight::{self, is_inside};
use rmq::runtime::block_on;
use rmq_client::callback_pool::CallbackPool;
use rmq_client::{FilterExpression, MessageView, PushConsumer};
use std::ffi::{c_char, c_int, c_long};
use std::sync::{Arc, Mutex, PoisonError};

/// `MessageCallBack`.
pub type MessageCallBack =
    Option<unsafe extern "C" fn(*mut CPushConsumer, *mut CMessageExt) -> c_int>;

/// `BROADCASTING` and `CLUSTERING` of `CMessageModel`.
const BROADCASTING: c_int = 0;
const CLUSTERING: c_int = 1;

/// A legacy push consumer.
pub struct CPushConsumer {
    settings: Settings,
    subscriptions: Vec<(String, String)>,
    /// Shared with the running listener, so unregistering takes effect at once.
    callback: Arc<Mutex<MessageCallBack>>,
    orderly: bool,
    threads: Option<usize>,
    max_cache_messages: Option<usize>,
    max_cache_bytes: Option<u64>,
    broadcasting: bool,
    running: Option<(PushConsumer, Arc<CallbackPool>)>,
    /// This consumer's number, to recognise a shutdown from inside its own callback.
    id: usize,
}

impl Client for CPushConsumer {
    const START_FAILED: c_int = PUSHCONSUMER_START_FAILED;

    fn settings(&mut self) -> &mut Settings {
        &mut self.settings
    }

    fn started(&self) -> bool {
        self.running.is_some()
    }
}

impl CPushConsumer {
    fn start(&mut self, me: *mut CPushConsumer) -> Result<(), String> {
        if self.running.is_some() {
            return Ok(());
        }
        if self.broadcasting {
            return Err(
                "BROADCASTING consumption has no RocketMQ 5 equivalent (Pop consumption \
                        is clustering only)"
                    .to_owned(),
            );
        }
        if self
            .callback
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
        {
            return Err("no message callback registered (RegisterMessageCallback)".to_owned());
        }
        let mut options = self.settings.options()?;
        if let Some(n) = self.threads {
            options.push(("consumption_threads".to_owned(), n.to_string()));
        }
        if let Some(n) = self.max_cache_messages {
            options.push(("max_cache_messages".to_owned(), n.to_string()));
        }
        if let Some(n) = self.max_cache_bytes {
            options.push(("max_cache_bytes".to_owned(), n.to_string()));
        }
        let mut builder = PushConsumer::builder_from_map(self.settings.group(), options)
            .map_err(|e| e.to_string())?;
        for (topic, expression) in &self.subscriptions {
            builder = builder.subscribe(topic.clone(), FilterExpression::tag(expression.clone()));
        }
        let (callback, me) = (self.callback.clone(), me as usize);
        let (builder, pool) =
            listen_on_threads(builder, self.id, move |view| consume(me, &callback, view))
                .map_err(|e| format!("cannot start the listener threads: {e}"))?;
        let consumer = block_on(builder.start())
            .and_then(|started| started)
            .map_err(|e| {
                pool.close();
                e.to_string()
            })?;
        if self.orderly && !consumer.is_fifo() {
            tracing::warn!(
                group = %self.settings.group(),
                "RegisterMessageCallbackOrderly: the group is not a FIFO group on the server, so \
                 RocketMQ 5 does not keep message order for it"
            );
        }
        self.running = Some((consumer, pool));
        Ok(())
    }

    fn shutdown(&mut self) {
        if let Some((consumer, pool)) = self.running.take() {
            let _ = block_on(consumer.shutdown());
            pool.close();
        }
    }
}

/// One callback call, on a listener thread: its status (a panic is "reconsume later").
fn consume(me: usize, callback: &Mutex<MessageCallBack>, view: MessageView) -> c_int {
    // The lock is released before the call: the callback may unregister itself.
    let Some(callback) = *callback.lock().unwrap_or_else(PoisonError::into_inner) else {
        return 1;
    };
    let mut message = CMessageExt::new(view);
    guard("message callback", 1, || {
        // SAFETY: the application's callback, with a message valid for the call.
        unsafe { callback(me as *mut CPushConsumer, &mut message) }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreatePushConsumer(group: *const c_char) -> *mut CPushConsumer {
    guard("CreatePushConsumer", std::ptr::null_mut(), || {
        // SAFETY: NULL or NUL-terminated.
        let Some(group) = (unsafe { crate::common::arg_or_none(group, "the group") }) else {
            return std::ptr::null_mut();
        };
        Box::into_raw(Box::new(CPushConsumer {
            settings: Settings::new(&group),
            subscriptions: Vec::new(),
            callback: Arc::new(Mutex::new(None)),
            orderly: false,
            threads: None,
            max_cache_messages: None,
            max_cache_bytes: None,
            broadcasting: false,
            running: None,
            id: inflight::next_id(),
        }))
    })
}

fn refuse_inside(consumer: *mut CPushConsumer, what: &str) -> Option<c_int> {
    // SAFETY: NULL or a live consumer.
    let id = unsafe { consumer.as_ref() }.map_or(0, |c| c.id);
    is_inside(id).then(|| {
        failed(
            NULL_POINTER,
            &format!("{what} from inside the consumer's own callback would wait for itself"),
        )
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn DestroyPushConsumer(consumer: *mut CPushConsumer) -> c_int {
    guard("DestroyPushConsumer", NULL_POINTER, || {
        if consumer.is_null() {
            return failed(NULL_POINTER, "DestroyPushConsumer: NULL consumer");
        }
        if let Some(code) = refuse_inside(consumer, "DestroyPushConsumer") {
            return code;
        }
        // SAFETY: a consumer from CreatePushConsumer, not used afterwards.
        let mut c = unsafe { Box::from_raw(consumer) };
        c.shutdown();
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn StartPushConsumer(consumer: *mut CPushConsumer) -> c_int {
    guard("StartPushConsumer", PUSHCONSUMER_START_FAILED, || {
        let c = handle!(consumer);
        match c.start(consumer) {
            Ok(()) => OK,
            Err(e) => failed(
                PUSHCONSUMER_START_FAILED,
                &format!("StartPushConsumer: {e}"),
            ),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ShutdownPushConsumer(consumer: *mut CPushConsumer) -> c_int {
    guard("ShutdownPushConsumer", NULL_POINTER, || {
        let c = handle!(consumer);
        if let Some(code) = refuse_inside(consumer, "ShutdownPushConsumer") {
            return code;
        }
        c.shutdown();
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ShowPushConsumerVersion(_consumer: *mut CPushConsumer) -> *const c_char {
    version()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerGroupID(c: *mut CPushConsumer, g: *const c_char) -> c_int {
    setters::group("SetPushConsumerGroupID", c, g)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetPushConsumerGroupID(c: *mut CPushConsumer) -> *const c_char {
    guard("GetPushConsumerGroupID", std::ptr::null(), || {
        // SAFETY: NULL or a live consumer.
        unsafe { c.as_ref() }.map_or(std::ptr::null(), |c| c.settings.group.as_ptr())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerNameServerAddress(
    c: *mut CPushConsumer,
    a: *const c_char,
) -> c_int {
    setters::name_server("SetPushConsumerNameServerAddress", c, a)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerNameServerDomain(
    c: *mut CPushConsumer,
    d: *const c_char,
) -> c_int {
    setters::name_server_domain("SetPushConsumerNameServerDomain", c, d)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn Subscribe(
    consumer: *mut CPushConsumer,
    topic: *const c_char,
    expression: *const c_char,
) -> c_int {
    guard("Subscribe", NULL_POINTER, || {
        let c = handle!(consumer);
        let topic = text!(topic, "topic");
        let expression = text!(expression, "expression");
        if c.running.is_some() {
            return failed(
                NULL_POINTER,
                "Subscribe after StartPushConsumer has no effect in rmq",
            );
        }
        c.subscriptions.retain(|(t, _)| *t != topic);
        c.subscriptions.push((topic, expression));
        OK
    })
}

fn register(
    what: &str,
    consumer: *mut CPushConsumer,
    callback: MessageCallBack,
    orderly: bool,
) -> c_int {
    guard(what, NULL_POINTER, || {
        let c = handle!(consumer);
        if callback.is_none() {
            return failed(NULL_POINTER, &format!("{what}: NULL callback"));
        }
        *c.callback.lock().unwrap_or_else(PoisonError::into_inner) = callback;
        c.orderly = orderly;
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn RegisterMessageCallback(
    c: *mut CPushConsumer,
    cb: MessageCallBack,
) -> c_int {
    register("RegisterMessageCallback", c, cb, false)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn RegisterMessageCallbackOrderly(
    c: *mut CPushConsumer,
    cb: MessageCallBack,
) -> c_int {
    register("RegisterMessageCallbackOrderly", c, cb, true)
}

fn unregister(what: &str, consumer: *mut CPushConsumer) -> c_int {
    guard(what, NULL_POINTER, || {
        *handle!(consumer)
            .callback
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn UnregisterMessageCallback(c: *mut CPushConsumer) -> c_int {
    unregister("UnregisterMessageCallback", c)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn UnregisterMessageCallbackOrderly(c: *mut CPushConsumer) -> c_int {
    unregister("UnregisterMessageCallbackOrderly", c)
}

/// Applies a positive count (0 or less: `NULL_POINTER`, as the original).
fn count(
    what: &str,
    consumer: *mut CPushConsumer,
    n: c_int,
    set: impl FnOnce(&mut CPushConsumer, usize),
) -> c_int {
    guard(what, NULL_POINTER, || {
        let c = handle!(consumer);
        match usize::try_from(n) {
            Ok(n) if n > 0 => {
                set(c, n);
                OK
            }
            _ => failed(
                NULL_POINTER,
                &format!("{what}: {n} is not a positive count"),
            ),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerThreadCount(c: *mut CPushConsumer, n: c_int) -> c_int {
    count("SetPushConsumerThreadCount", c, n, |c, n| {
        c.threads = Some(n)
    })
}

/// The callback takes one message per call in rmq (as the original's C wrapper did); the 5.x
/// receive batch comes from the server: accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerMessageBatchMaxSize(
    c: *mut CPushConsumer,
    n: c_int,
) -> c_int {
    count("SetPushConsumerMessageBatchMaxSize", c, n, |_, _| {})
}

/// The cache limit counts the whole client in 5.x (per queue in 4.x).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerMaxCacheMessageSize(
    c: *mut CPushConsumer,
    n: c_int,
) -> c_int {
    count("SetPushConsumerMaxCacheMessageSize", c, n, |c, n| {
        c.max_cache_messages = Some(n)
    })
}

/// Always `Not_Support` in the original; rmq honours it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerMaxCacheMessageSizeInMb(
    c: *mut CPushConsumer,
    mb: c_int,
) -> c_int {
    count("SetPushConsumerMaxCacheMessageSizeInMb", c, mb, |c, mb| {
        c.max_cache_bytes = Some(mb as u64 * 1024 * 1024);
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerInstanceName(
    c: *mut CPushConsumer,
    n: *const c_char,
) -> c_int {
    setters::instance("SetPushConsumerInstanceName", c, n)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerSessionCredentials(
    c: *mut CPushConsumer,
    access_key: *const c_char,
    secret_key: *const c_char,
    _channel: *const c_char,
) -> c_int {
    setters::credentials(
        "SetPushConsumerSessionCredentials",
        c,
        access_key,
        secret_key,
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerLogPath(
    c: *mut CPushConsumer,
    _path: *const c_char,
) -> c_int {
    setters::accepted("SetPushConsumerLogPath", c)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerLogFileNumAndSize(
    c: *mut CPushConsumer,
    n: c_int,
    size: c_long,
) -> c_int {
    setters::log_files("SetPushConsumerLogFileNumAndSize", c, n, size)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerLogLevel(c: *mut CPushConsumer, level: c_int) -> c_int {
    setters::log_level("SetPushConsumerLogLevel", c, level)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerMessageModel(
    consumer: *mut CPushConsumer,
    model: c_int,
) -> c_int {
    guard("SetPushConsumerMessageModel", NULL_POINTER, || {
        let c = handle!(consumer);
        match model {
            CLUSTERING => {
                c.broadcasting = false;
                OK
            }
            BROADCASTING => {
                c.broadcasting = true;
                failed(
                    NOT_SUPPORT_NOW,
                    "BROADCASTING has no RocketMQ 5 equivalent; StartPushConsumer will fail",
                )
            }
            other => failed(
                NULL_POINTER,
                &format!("{other} is neither BROADCASTING (0) nor CLUSTERING (1)"),
            ),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerMessageTrace(
    c: *mut CPushConsumer,
    _trace: c_int,
) -> c_int {
    setters::accepted("SetPushConsumerMessageTrace", c)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerSsl(c: *mut CPushConsumer, enable: c_int) -> c_int {
    setters::ssl("SetPushConsumerSsl", c, enable)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPushConsumerSslPropertyFile(
    c: *mut CPushConsumer,
    path: *const c_char,
) -> c_int {
    setters::ssl_file("SetPushConsumerSslPropertyFile", c, path)
}
