//! The core's `tracing` events, forwarded to a JS logger (`setLogger`).
//!
//! Events are formatted where they happen and queued to the logger's JS thread through a weak,
//! bounded thread-safe function: runtime threads never wait for JS, a busy JS thread loses
//! events beyond the queue instead of growing it, and the logger never keeps the process
//! alive. The logger set last (in any JS environment) receives the events; the level gate is
//! process-wide.

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use parking_lot::Mutex;
use rmq_client::log_text::{event_text, logger_name};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Events queued for a busy JS thread before further ones are dropped.
const QUEUE: usize = 10_000;

type Args = FnArgs<(String, String, String)>;
type LogFn = ThreadsafeFunction<Args, (), Args, Status, false, true, QUEUE>;

/// 1 error, 2 warn, 3 info, 4 debug, 5 trace; events at or below the gate pass.
static GATE: AtomicU8 = AtomicU8::new(2);

/// `(environment, logger)`, the last one receiving.
static SINKS: Mutex<Vec<(usize, Arc<LogFn>)>> = Mutex::new(Vec::new());

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

struct ToJs;

impl<S: Subscriber> Layer<S> for ToJs {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        metadata.is_event()
            && logger_name(metadata.target()).is_some()
            && rank(metadata.level()) <= GATE.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let Some(target) = logger_name(metadata.target()) else {
            return;
        };
        let Some(sink) = SINKS.lock().last().map(|(_, f)| f.clone()) else {
            return;
        };
        let args = (
            name(metadata.level()).to_owned(),
            target.to_owned(),
            event_text(event),
        );
        // A full queue or a closing environment drops the event.
        let _ = sink.call(args.into(), ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// Installs the forwarding once per process (leaving an application's own global subscriber
/// alone) and forgets this environment's logger when the environment goes away.
pub(crate) fn attach(env: &Env) -> Result<()> {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(ToJs));
    });
    let id = env.raw() as usize;
    env.add_env_cleanup_hook(id, |id| SINKS.lock().retain(|(env, _)| *env != id))?;
    Ok(())
}

/// Sends the core's events at `level` (`error`, `warn`, `info`, `debug`, `trace`) or more
/// severe to `logger(level, target, message)`; `null` stops forwarding from this environment.
#[napi]
pub fn set_logger(env: &Env, logger: Option<Function<Args, ()>>, level: String) -> Result<()> {
    let gate = match level.as_str() {
        "error" => 1,
        "warn" => 2,
        "info" => 3,
        "debug" => 4,
        "trace" => 5,
        _ => {
            return Err(crate::error::invalid(
                env,
                format!("level must be error, warn, info, debug or trace, not {level:?}"),
            ));
        }
    };
    let id = env.raw() as usize;
    let sink = match logger {
        Some(f) => Some(Arc::new(
            f.build_threadsafe_function::<Args>()
                .weak::<true>()
                .max_queue_size::<QUEUE>()
                .build()?,
        )),
        None => None,
    };
    let mut sinks = SINKS.lock();
    sinks.retain(|(env, _)| *env != id);
    if let Some(sink) = sink {
        sinks.push((id, sink));
    }
    drop(sinks);
    if GATE.swap(gate, Ordering::Relaxed) != gate {
        // Callsites cache whether they are enabled; make them ask again.
        tracing::callsite::rebuild_interest_cache();
    }
    Ok(())
}
