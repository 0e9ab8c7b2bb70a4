//! `CProducer`: lifecycle and configuration. The sends are in `send.rs`.

use crate::common::{
    NULL_POINTER, OK, PRODUCER_START_FAILED, Settings, failed, guard, handle, version,
};
use crate::message_ext::CMessageExt;
use crate::setters::{self, Client};
use rmq::callbacks::check_on_thread;
use rmq::inflight::{self, InFlight};
use rmq::runtime::block_on;
use rmq_client::Producer;
use std::ffi::{c_char, c_int, c_long, c_void};
use std::sync::Arc;

/// `CLocalTransactionCheckerCallback`; the status comes back as a plain int (checked).
pub type CheckerCallback =
    Option<unsafe extern "C" fn(*mut CProducer, *mut CMessageExt, *mut c_void) -> c_int>;

/// A legacy producer.
pub struct CProducer {
    settings: Settings,
    checker: CheckerCallback,
    checker_data: rmq::callbacks::Opaque,
    /// `SetProducerMaxMessageSize`: a local limit on body bytes.
    pub(crate) max_message_size: Option<usize>,
    pub(crate) client: Option<Producer>,
    /// Send callbacks and transaction checks still to come.
    pub(crate) inflight: Arc<InFlight>,
}

impl Client for CProducer {
    const START_FAILED: c_int = PRODUCER_START_FAILED;

    fn settings(&mut self) -> &mut Settings {
        &mut self.settings
    }

    fn started(&self) -> bool {
        self.client.is_some()
    }
}

impl CProducer {
    fn new(group: &str, checker: CheckerCallback, data: *mut c_void) -> CProducer {
        CProducer {
            settings: Settings::new(group),
            checker,
            checker_data: rmq::callbacks::Opaque::new(data),
            max_message_size: None,
            client: None,
            inflight: InFlight::new(inflight::next_id()),
        }
    }

    pub(crate) fn transactional(&self) -> bool {
        self.checker.is_some()
    }

    fn start(&mut self, me: *mut CProducer) -> Result<(), String> {
        if self.client.is_some() {
            return Ok(());
        }
        let mut options = self.settings.options()?;
        // A producer shut down before starts over with callbacks allowed again.
        self.inflight = InFlight::new(inflight::next_id());
        // 5.x sends transaction checks to producers whose topics match; a restarted legacy app
        // names them here to get checks before its first send.
        if let Ok(topics) = std::env::var("RMQ_TRANSACTION_TOPICS") {
            options.push(("topics".to_owned(), topics));
        }
        let mut builder = Producer::builder_from_map(options).map_err(|e| e.to_string())?;
        if let Some(callback) = self.checker {
            let (data, me) = (self.checker_data, me as usize);
            let checker = check_on_thread(self.inflight.clone(), move |view| {
                let mut ext = CMessageExt::new(view);
                guard("transaction checker", 2, || {
                    // SAFETY: the application's checker, with a message valid for the call;
                    // the producer outlives it (closing waits for checks in progress).
                    unsafe { callback(me as *mut CProducer, &mut ext, data.get()) }
                })
            })
            .map_err(|e| format!("cannot start the checker thread: {e}"))?;
            builder = builder.transaction_checker(checker);
        }
        let producer = block_on(builder.start())
            .and_then(|started| started)
            .map_err(|e| e.to_string())?;
        self.client = Some(producer);
        Ok(())
    }

    /// Waits for the send callbacks and checks in progress (refusing new ones), then shuts
    /// the client down; refused from inside one of them.
    fn shutdown(&mut self) -> c_int {
        if self.inflight.close().is_err() {
            return failed(
                NULL_POINTER,
                "a producer cannot be shut down or destroyed from inside its own send callback \
                 or transaction checker (shutting down waits for them)",
            );
        }
        if let Some(client) = self.client.take() {
            let _ = block_on(client.shutdown());
        }
        OK
    }

    /// The started producer, or the family's code with a message.
    pub(crate) fn live(&self, code: c_int) -> Result<&Producer, c_int> {
        self.client
            .as_ref()
            .ok_or_else(|| failed(code, "the producer is not started (StartProducer)"))
    }
}

fn create(group: *const c_char, checker: CheckerCallback, data: *mut c_void) -> *mut CProducer {
    guard("CreateProducer", std::ptr::null_mut(), || {
        // SAFETY: NULL or NUL-terminated.
        match unsafe { crate::common::arg_or_none(group, "the group") } {
            Some(group) => Box::into_raw(Box::new(CProducer::new(&group, checker, data))),
            None => std::ptr::null_mut(),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateProducer(group: *const c_char) -> *mut CProducer {
    create(group, None, std::ptr::null_mut())
}

/// Orderly producers differ only in how they are used (`SendMessageOrderly*`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateOrderlyProducer(group: *const c_char) -> *mut CProducer {
    create(group, None, std::ptr::null_mut())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateTransactionProducer(
    group: *const c_char,
    callback: CheckerCallback,
    user_data: *mut c_void,
) -> *mut CProducer {
    create(group, callback, user_data)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn DestroyProducer(producer: *mut CProducer) -> c_int {
    guard("DestroyProducer", NULL_POINTER, || {
        if producer.is_null() {
            return failed(NULL_POINTER, "DestroyProducer: NULL producer");
        }
        // SAFETY: a producer from Create*Producer.
        let status = unsafe { &mut *producer }.shutdown();
        if status == OK {
            // SAFETY: a producer from Create*Producer, not used afterwards.
            drop(unsafe { Box::from_raw(producer) });
        }
        status
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn StartProducer(producer: *mut CProducer) -> c_int {
    guard("StartProducer", PRODUCER_START_FAILED, || {
        let p = handle!(producer);
        match p.start(producer) {
            Ok(()) => OK,
            Err(e) => failed(PRODUCER_START_FAILED, &format!("StartProducer: {e}")),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ShutdownProducer(producer: *mut CProducer) -> c_int {
    guard("ShutdownProducer", NULL_POINTER, || {
        handle!(producer).shutdown()
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ShowProducerVersion(_producer: *mut CProducer) -> *const c_char {
    version()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerNameServerAddress(
    p: *mut CProducer,
    a: *const c_char,
) -> c_int {
    setters::name_server("SetProducerNameServerAddress", p, a)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerNameServerDomain(p: *mut CProducer, d: *const c_char) -> c_int {
    setters::name_server_domain("SetProducerNameServerDomain", p, d)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerGroupName(p: *mut CProducer, g: *const c_char) -> c_int {
    setters::group("SetProducerGroupName", p, g)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerInstanceName(p: *mut CProducer, n: *const c_char) -> c_int {
    setters::instance("SetProducerInstanceName", p, n)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerSessionCredentials(
    p: *mut CProducer,
    access_key: *const c_char,
    secret_key: *const c_char,
    _ons_channel: *const c_char,
) -> c_int {
    setters::credentials("SetProducerSessionCredentials", p, access_key, secret_key)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerLogPath(p: *mut CProducer, _path: *const c_char) -> c_int {
    setters::accepted("SetProducerLogPath", p)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerLogFileNumAndSize(
    p: *mut CProducer,
    n: c_int,
    size: c_long,
) -> c_int {
    setters::log_files("SetProducerLogFileNumAndSize", p, n, size)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerLogLevel(p: *mut CProducer, level: c_int) -> c_int {
    setters::log_level("SetProducerLogLevel", p, level)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerSendMsgTimeout(p: *mut CProducer, timeout: c_int) -> c_int {
    guard("SetProducerSendMsgTimeout", NULL_POINTER, || {
        let p = handle!(p);
        if timeout <= 0 {
            return failed(
                NULL_POINTER,
                "SetProducerSendMsgTimeout: the timeout must be positive",
            );
        }
        p.settings.timeout_ms = Some(i64::from(timeout));
        OK
    })
}

/// 5.x clients do not compress bodies: accepted.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerCompressLevel(p: *mut CProducer, _level: c_int) -> c_int {
    setters::accepted("SetProducerCompressLevel", p)
}

/// Exported by the original library without a declaration; accepted, as the level.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerCompressMsgBodyOverHowmuch(
    p: *mut CProducer,
    _howmuch: c_int,
) -> c_int {
    setters::accepted("SetProducerCompressMsgBodyOverHowmuch", p)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerMaxMessageSize(p: *mut CProducer, size: c_int) -> c_int {
    guard("SetProducerMaxMessageSize", NULL_POINTER, || {
        let p = handle!(p);
        match usize::try_from(size) {
            Ok(size) if size > 0 => {
                p.max_message_size = Some(size);
                OK
            }
            _ => failed(
                NULL_POINTER,
                "SetProducerMaxMessageSize: the size must be positive",
            ),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerMessageTrace(p: *mut CProducer, _trace: c_int) -> c_int {
    setters::accepted("SetProducerMessageTrace", p)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerSsl(p: *mut CProducer, enable: c_int) -> c_int {
    setters::ssl("SetProducerSsl", p, enable)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetProducerSslPropertyFile(
    p: *mut CProducer,
    path: *const c_char,
) -> c_int {
    setters::ssl_file("SetProducerSslPropertyFile", p, path)
}
