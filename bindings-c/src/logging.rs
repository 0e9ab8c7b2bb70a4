//! The core's `tracing` events for C: `rmq_set_log_callback` sends them to the application's
//! function; without one, warnings and errors go to stderr (as librdkafka's default logger).
//!
//! Events are formatted where they happen and queued to one logging thread (`rmq-log`), which
//! calls the callback: runtime threads never wait for the application's code, and beyond the
//! queue's room events are dropped instead of piling up.

#![allow(non_camel_case_types)]

use crate::callbacks::Opaque;
use crate::error::{boundary, boundary_or, fail_with, rmq_err};
use crate::inflight;
use rmq_client::log_text::{event_text, logger_name};
use std::ffi::{c_char, c_void};
use std::io::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{OnceLock, PoisonError, RwLock};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// No events.
pub const RMQ_LOG_OFF: i32 = 0;
/// Errors only.
pub const RMQ_LOG_ERROR: i32 = 1;
/// Warnings and errors (the default).
pub const RMQ_LOG_WARN: i32 = 2;
/// Informational events and above.
pub const RMQ_LOG_INFO: i32 = 3;
/// Debugging events and above.
pub const RMQ_LOG_DEBUG: i32 = 4;
/// Everything.
pub const RMQ_LOG_TRACE: i32 = 5;

/// A log callback: `level` is one of `RMQ_LOG_ERROR` … `RMQ_LOG_TRACE`, `logger` the part of
/// rmq it comes from (`rmq.client`, `rmq.broker`, `rmq.c`), `message` one line. Called on
/// rmq's logging thread (`rmq-log`), one event at a time; the strings are borrowed for the
/// call.
pub type rmq_log_callback = Option<
    unsafe extern "C" fn(
        opaque: *mut c_void,
        level: i32,
        logger: *const c_char,
        message: *const c_char,
    ),
>;

/// Events queued for the logging thread before further ones are dropped.
const QUEUE: usize = 10_000;

static GATE: AtomicU8 = AtomicU8::new(RMQ_LOG_WARN as u8);

type Callback = unsafe extern "C" fn(*mut c_void, i32, *const c_char, *const c_char);

/// Where events go: the application's function, or stderr. Held for reading while the
/// function runs, so replacing it waits until no call of the old one is in progress.
static SINK: RwLock<Option<(Callback, Opaque)>> = RwLock::new(None);

/// The logging thread's mark while it calls the application (see `inflight::inside`).
const IN_LOG_CALLBACK: usize = usize::MAX;

struct Line {
    level: i32,
    logger: &'static str,
    text: String,
}

/// What the logging thread is sent: an event, or a mark it answers once every event queued
/// before it has been delivered.
enum Item {
    Line(Line),
    Drained(SyncSender<()>),
}

fn rank(level: &Level) -> i32 {
    match *level {
        Level::ERROR => RMQ_LOG_ERROR,
        Level::WARN => RMQ_LOG_WARN,
        Level::INFO => RMQ_LOG_INFO,
        Level::DEBUG => RMQ_LOG_DEBUG,
        Level::TRACE => RMQ_LOG_TRACE,
    }
}

fn level_name(level: i32) -> &'static str {
    match level {
        RMQ_LOG_ERROR => "ERROR",
        RMQ_LOG_WARN => "WARN",
        RMQ_LOG_INFO => "INFO",
        RMQ_LOG_DEBUG => "DEBUG",
        _ => "TRACE",
    }
}

fn deliver(item: Item) {
    let line = match item {
        Item::Line(line) => line,
        Item::Drained(done) => {
            let _ = done.send(());
            return;
        }
    };
    let sink = SINK.read().unwrap_or_else(PoisonError::into_inner);
    match *sink {
        Some((callback, opaque)) => {
            let logger = crate::ffi::cstring(line.logger);
            let text = crate::ffi::cstring(&line.text);
            inflight::inside(IN_LOG_CALLBACK, || {
                boundary_or("log callback", (), || {
                    // SAFETY: the application's callback, with strings valid for the call.
                    unsafe { callback(opaque.get(), line.level, logger.as_ptr(), text.as_ptr()) }
                })
            });
        }
        None => {
            // Nowhere to report a failed write to stderr.
            let _ = writeln!(
                std::io::stderr(),
                "rmq {} {}: {}",
                level_name(line.level),
                line.logger,
                line.text
            );
        }
    }
}

/// The logging thread's queue, started once.
fn queue() -> Option<&'static SyncSender<Item>> {
    static QUEUE_TX: OnceLock<Option<SyncSender<Item>>> = OnceLock::new();
    QUEUE_TX
        .get_or_init(|| {
            let (tx, rx) = sync_channel::<Item>(QUEUE);
            std::thread::Builder::new()
                .name("rmq-log".to_owned())
                .spawn(move || rx.into_iter().for_each(deliver))
                .ok()?;
            Some(tx)
        })
        .as_ref()
}

struct ToC;

impl<S: Subscriber> Layer<S> for ToC {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.is_event()
            && logger_name(metadata.target()).is_some()
            && rank(metadata.level()) <= i32::from(GATE.load(Ordering::Relaxed))
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let Some(logger) = logger_name(metadata.target()) else {
            return;
        };
        let line = Line {
            level: rank(metadata.level()),
            logger,
            text: event_text(event),
        };
        // A full queue drops the event.
        if let Some(queue) = queue() {
            let _ = queue.try_send(Item::Line(line));
        }
    }
}

/// Installs the forwarding once per process (an application's own global subscriber, if it
/// set one first, is left alone).
pub(crate) fn install() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(ToC));
    });
}

/// Lets events at `level` (`RMQ_LOG_OFF` … `RMQ_LOG_TRACE`) and more severe through.
pub fn set_level(level: i32) -> Result<(), rmq_err> {
    let gate = u8::try_from(level)
        .ok()
        .filter(|l| i32::from(*l) <= RMQ_LOG_TRACE)
        .ok_or_else(|| {
            fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                &format!("log level {level} is not one of RMQ_LOG_OFF (0) … RMQ_LOG_TRACE (5)"),
            )
        })?;
    install();
    if GATE.swap(gate, Ordering::Relaxed) != gate {
        // Callsites cache whether they are enabled; make them ask again.
        tracing::callsite::rebuild_interest_cache();
    }
    Ok(())
}

/// Sends rmq's log events at `level` (`RMQ_LOG_OFF` … `RMQ_LOG_TRACE`) and more severe to
/// `callback` (see `rmq_log_callback`); a NULL callback restores the default, which writes
/// them to stderr. Process-wide; the default level is `RMQ_LOG_WARN`. Every event raised before
/// the call is delivered to the previous callback first; it returns once no call of the
/// previous callback is in progress, so its `opaque` may then be released; from inside a log
/// callback it returns `RMQ_ERR__WOULD_DEADLOCK`.
///
/// # Safety
/// `callback` is NULL or a function valid for the rest of the process (or until replaced);
/// `opaque` is passed back as given.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_set_log_callback(
    callback: rmq_log_callback,
    opaque: *mut c_void,
    level: i32,
) -> rmq_err {
    boundary("rmq_set_log_callback", || {
        if inflight::is_inside(IN_LOG_CALLBACK) {
            return fail_with(
                rmq_err::RMQ_ERR__WOULD_DEADLOCK,
                "the log callback cannot be replaced from inside a log callback",
            );
        }
        // The events queued so far go to the callback that was set when they happened.
        if let Some(queue) = queue() {
            let (done, drained) = sync_channel(1);
            if queue.send(Item::Drained(done)).is_ok() {
                let _ = drained.recv();
            }
        }
        if let Err(e) = set_level(level) {
            return e;
        }
        *SINK.write().unwrap_or_else(PoisonError::into_inner) =
            callback.map(|f| (f, Opaque::new(opaque)));
        rmq_err::RMQ_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize};

    static FIRST: AtomicUsize = AtomicUsize::new(0);
    static SECOND: AtomicUsize = AtomicUsize::new(0);
    static RELEASE: AtomicBool = AtomicBool::new(false);

    unsafe extern "C" fn first(_: *mut c_void, _: i32, _: *const c_char, _: *const c_char) {
        FIRST.fetch_add(1, Ordering::SeqCst);
        // Holds the logging thread in its first event, so that the second is still queued
        // when the callback is replaced.
        while !RELEASE.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
    }

    unsafe extern "C" fn second(_: *mut c_void, _: i32, _: *const c_char, _: *const c_char) {
        SECOND.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn events_raised_before_a_replacement_reach_the_callback_set_when_they_happened() {
        // SAFETY: functions valid for the whole process, no opaque.
        let set = |f: Callback| unsafe {
            rmq_set_log_callback(Some(f), std::ptr::null_mut(), RMQ_LOG_WARN)
        };
        assert_eq!(set(first), rmq_err::RMQ_OK);
        tracing::warn!(target: "rmq_client", "one");
        tracing::warn!(target: "rmq_client", "two");
        let replacing = std::thread::spawn(move || set(second));
        while FIRST.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        RELEASE.store(true, Ordering::SeqCst);
        assert_eq!(replacing.join().expect("no panic"), rmq_err::RMQ_OK);
        assert_eq!(
            FIRST.load(Ordering::SeqCst),
            2,
            "both events went to the first callback"
        );
        tracing::warn!(target: "rmq_client", "three");
        // SAFETY: restores the default; drains "three" into the second callback first.
        let reset = unsafe { rmq_set_log_callback(None, std::ptr::null_mut(), RMQ_LOG_WARN) };
        assert_eq!(reset, rmq_err::RMQ_OK);
        assert_eq!(SECOND.load(Ordering::SeqCst), 1);
    }
}
