//! `CPullConsumer` over the core's pull consumer (`PullMessage`, `QueryOffset`): the
//! application reads queues from offsets it keeps. Servers without the pull RPCs (the Apache
//! proxy) make `Pull` answer `E_BROKER_TIMEOUT` with the reason in `GetLatestErrorMessage`;
//! `FetchSubscriptionMessageQueues` works everywhere (it reads the route).

use crate::common::{
    MALLOC_FAILED, NULL_POINTER, OK, PULLCONSUMER_FETCH_MQ_FAILED, PULLCONSUMER_START_FAILED,
    Settings, failed, failed_with, fill, guard, handle, text, version,
};
use crate::message_ext::CMessageExt;
use crate::setters::{self, Client};
use rmq::runtime::block_on;
use rmq_client::{ClientConfig, FilterExpression, PullConsumer, PullQueue, PullStatus};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_long, c_longlong, c_void};
use std::sync::{Mutex, PoisonError};

const MAX_TOPIC_LENGTH: usize = 512;
const MAX_BROKER_NAME_ID_LENGTH: usize = 256;

/// `CMessageQueue` (`struct _CMessageQueue_`).
#[repr(C)]
pub struct CMessageQueue {
    pub topic: [c_char; MAX_TOPIC_LENGTH],
    pub broker_name: [c_char; MAX_BROKER_NAME_ID_LENGTH],
    pub queue_id: c_int,
}

/// `CPullResult` (`struct _CPullResult_`), returned by value.
#[repr(C)]
pub struct CPullResult {
    pub pull_status: c_int,
    pub next_begin_offset: c_longlong,
    pub min_offset: c_longlong,
    pub max_offset: c_longlong,
    pub msg_found_list: *mut *mut CMessageExt,
    pub size: c_int,
    pub p_data: *mut c_void,
}

// The layouts of the original headers on LP64 (x86-64, aarch64); tests/legacy_abi.c asserts
// the same sizes on the C side.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const _: () = {
    assert!(size_of::<CMessageQueue>() == 772);
    assert!(std::mem::offset_of!(CMessageQueue, queue_id) == 768);
    assert!(size_of::<CPullResult>() == 56);
    assert!(std::mem::offset_of!(CPullResult, msg_found_list) == 32);
    assert!(std::mem::offset_of!(CPullResult, p_data) == 48);
};

const E_FOUND: c_int = 0;
const E_NO_NEW_MSG: c_int = 1;
const E_NO_MATCHED_MSG: c_int = 2;
const E_OFFSET_ILLEGAL: c_int = 3;
const E_BROKER_TIMEOUT: c_int = 4;

/// A legacy pull consumer.
pub struct CPullConsumer {
    settings: Settings,
    client: Option<PullConsumer>,
    /// Each topic's queues as last read from its route, so a `Pull` costs one request.
    queues: Mutex<HashMap<String, Vec<PullQueue>>>,
}

impl Client for CPullConsumer {
    const START_FAILED: c_int = PULLCONSUMER_START_FAILED;

    fn settings(&mut self) -> &mut Settings {
        &mut self.settings
    }

    fn started(&self) -> bool {
        self.client.is_some()
    }
}

fn text_of<const N: usize>(field: &[c_char; N]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| *b as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreatePullConsumer(group: *const c_char) -> *mut CPullConsumer {
    guard("CreatePullConsumer", std::ptr::null_mut(), || {
        // SAFETY: NULL or NUL-terminated.
        match unsafe { crate::common::arg_or_none(group, "the group") } {
            Some(group) => Box::into_raw(Box::new(CPullConsumer {
                settings: Settings::new(&group),
                client: None,
                queues: Mutex::default(),
            })),
            None => std::ptr::null_mut(),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn DestroyPullConsumer(consumer: *mut CPullConsumer) -> c_int {
    guard("DestroyPullConsumer", NULL_POINTER, || {
        if consumer.is_null() {
            return failed(NULL_POINTER, "DestroyPullConsumer: NULL consumer");
        }
        // SAFETY: a consumer from CreatePullConsumer, not used afterwards.
        let c = unsafe { Box::from_raw(consumer) };
        if let Some(client) = &c.client {
            client.shutdown();
        }
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn StartPullConsumer(consumer: *mut CPullConsumer) -> c_int {
    guard("StartPullConsumer", PULLCONSUMER_START_FAILED, || {
        let c = handle!(consumer);
        let started = c
            .settings
            .options()
            .and_then(|o| ClientConfig::from_map(o).map_err(|e| e.to_string()))
            .and_then(|config| {
                PullConsumer::builder(config, c.settings.group())
                    .start()
                    .map_err(|e| e.to_string())
            });
        match started {
            Ok(client) => {
                c.client = Some(client);
                OK
            }
            Err(e) => failed(
                PULLCONSUMER_START_FAILED,
                &format!("StartPullConsumer: {e}"),
            ),
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ShutdownPullConsumer(consumer: *mut CPullConsumer) -> c_int {
    guard("ShutdownPullConsumer", NULL_POINTER, || {
        if let Some(client) = handle!(consumer).client.take() {
            client.shutdown();
        }
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ShowPullConsumerVersion(_consumer: *mut CPullConsumer) -> *const c_char {
    version()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerGroupID(c: *mut CPullConsumer, g: *const c_char) -> c_int {
    setters::group("SetPullConsumerGroupID", c, g)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetPullConsumerGroupID(c: *mut CPullConsumer) -> *const c_char {
    guard("GetPullConsumerGroupID", std::ptr::null(), || {
        // SAFETY: NULL or a live consumer.
        unsafe { c.as_ref() }.map_or(std::ptr::null(), |c| c.settings.group.as_ptr())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerNameServerAddress(
    c: *mut CPullConsumer,
    a: *const c_char,
) -> c_int {
    setters::name_server("SetPullConsumerNameServerAddress", c, a)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerNameServerDomain(
    c: *mut CPullConsumer,
    d: *const c_char,
) -> c_int {
    setters::name_server_domain("SetPullConsumerNameServerDomain", c, d)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerSessionCredentials(
    c: *mut CPullConsumer,
    access_key: *const c_char,
    secret_key: *const c_char,
    _channel: *const c_char,
) -> c_int {
    setters::credentials(
        "SetPullConsumerSessionCredentials",
        c,
        access_key,
        secret_key,
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerLogPath(
    c: *mut CPullConsumer,
    _path: *const c_char,
) -> c_int {
    setters::accepted("SetPullConsumerLogPath", c)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerLogFileNumAndSize(
    c: *mut CPullConsumer,
    n: c_int,
    size: c_long,
) -> c_int {
    setters::log_files("SetPullConsumerLogFileNumAndSize", c, n, size)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerLogLevel(c: *mut CPullConsumer, level: c_int) -> c_int {
    setters::log_level("SetPullConsumerLogLevel", c, level)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerSsl(c: *mut CPullConsumer, enable: c_int) -> c_int {
    setters::ssl("SetPullConsumerSsl", c, enable)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetPullConsumerSslPropertyFile(
    c: *mut CPullConsumer,
    path: *const c_char,
) -> c_int {
    setters::ssl_file("SetPullConsumerSslPropertyFile", c, path)
}

/// The started client, or `code` with a message.
fn live(c: &CPullConsumer, code: c_int) -> Result<&PullConsumer, c_int> {
    c.client
        .as_ref()
        .ok_or_else(|| failed(code, "the pull consumer is not started (StartPullConsumer)"))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn FetchSubscriptionMessageQueues(
    consumer: *mut CPullConsumer,
    topic: *const c_char,
    mqs: *mut *mut CMessageQueue,
    size: *mut c_int,
) -> c_int {
    guard(
        "FetchSubscriptionMessageQueues",
        PULLCONSUMER_FETCH_MQ_FAILED,
        || {
            let c = handle!(consumer);
            let topic = text!(topic, "topic");
            if mqs.is_null() || size.is_null() {
                return failed(NULL_POINTER, "FetchSubscriptionMessageQueues: NULL output");
            }
            // SAFETY: checked not NULL; cleared first, as the original does on failure.
            unsafe {
                mqs.write(std::ptr::null_mut());
                size.write(0);
            }
            let client = match live(c, PULLCONSUMER_FETCH_MQ_FAILED) {
                Ok(client) => client,
                Err(code) => return code,
            };
            let queues = match block_on(client.queues(&topic)).and_then(|q| q) {
                Ok(q) => q,
                Err(e) => return failed_with(PULLCONSUMER_FETCH_MQ_FAILED, &e),
            };
            if queues.is_empty() {
                return OK;
            }
            // The C allocator: legacy code may release the array with free().
            // SAFETY: a plain allocation of `len` structs, each written below before use.
            let array = unsafe { libc::calloc(queues.len(), size_of::<CMessageQueue>()) }
                .cast::<CMessageQueue>();
            if array.is_null() {
                return failed(
                    MALLOC_FAILED,
                    "FetchSubscriptionMessageQueues: out of memory",
                );
            }
            for (i, q) in queues.iter().enumerate() {
                // SAFETY: within the allocation; calloc zeroed it, a valid CMessageQueue.
                let slot = unsafe { &mut *array.add(i) };
                fill(&mut slot.topic, &q.topic);
                fill(&mut slot.broker_name, &q.broker);
                slot.queue_id = q.id;
            }
            // SAFETY: checked not NULL.
            unsafe {
                mqs.write(array);
                size.write(c_int::try_from(queues.len()).unwrap_or(c_int::MAX));
            }
            OK
        },
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReleaseSubscriptionMessageQueue(mqs: *mut CMessageQueue) -> c_int {
    guard("ReleaseSubscriptionMessageQueue", NULL_POINTER, || {
        if mqs.is_null() {
            return failed(NULL_POINTER, "ReleaseSubscriptionMessageQueue: NULL array");
        }
        // SAFETY: an array from FetchSubscriptionMessageQueues (calloc).
        unsafe { libc::free(mqs.cast()) };
        OK
    })
}

fn empty_result(status: c_int) -> CPullResult {
    CPullResult {
        pull_status: status,
        next_begin_offset: 0,
        min_offset: 0,
        max_offset: 0,
        msg_found_list: std::ptr::null_mut(),
        size: 0,
        p_data: std::ptr::null_mut(),
    }
}

/// Reads `topic`'s queues from its route and remembers them.
fn fetch_queues(
    c: &CPullConsumer,
    client: &PullConsumer,
    topic: &str,
) -> Result<Vec<PullQueue>, rmq_client::Error> {
    let queues = block_on(client.queues(topic))??;
    c.queues
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(topic.to_owned(), queues.clone());
    Ok(queues)
}

/// The core's queue that `mq` names: from the remembered route, or a fresh one when it is not
/// there (a new topic, or a queue that appeared since).
fn find_queue(
    c: &CPullConsumer,
    client: &PullConsumer,
    mq: &CMessageQueue,
) -> Result<PullQueue, rmq_client::Error> {
    let (topic, broker) = (text_of(&mq.topic), text_of(&mq.broker_name));
    let matches = |q: &PullQueue| q.id == mq.queue_id && (broker.is_empty() || q.broker == broker);
    let known = c
        .queues
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&topic)
        .and_then(|queues| queues.iter().find(|q| matches(q)).cloned());
    if let Some(queue) = known {
        return Ok(queue);
    }
    fetch_queues(c, client, &topic)?
        .into_iter()
        .find(|q| matches(q))
        .ok_or_else(|| {
            rmq_client::Error::new(
                rmq_client::ErrorKind::NotFound,
                "pull",
                format!(
                    "topic {topic} has no readable queue {} on broker {broker:?}",
                    mq.queue_id
                ),
            )
        })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn Pull(
    consumer: *mut CPullConsumer,
    mq: *const CMessageQueue,
    sub_expression: *const c_char,
    offset: c_longlong,
    max_nums: c_int,
) -> CPullResult {
    guard("Pull", empty_result(E_BROKER_TIMEOUT), || {
        let timeout = |text: &str| {
            failed(E_BROKER_TIMEOUT, text);
            empty_result(E_BROKER_TIMEOUT)
        };
        // SAFETY: NULL or live handles.
        let (Some(c), Some(mq)) = (unsafe { consumer.as_ref() }, unsafe { mq.as_ref() }) else {
            return timeout("Pull: NULL consumer or queue");
        };
        let Some(client) = c.client.as_ref() else {
            return timeout("Pull: the pull consumer is not started (StartPullConsumer)");
        };
        // SAFETY: NULL or NUL-terminated.
        let expression = match unsafe { crate::common::arg(sub_expression) } {
            Ok(e) => e.unwrap_or_else(|| "*".into()),
            Err(e) => return timeout(&format!("Pull: the expression is {e}")),
        };
        let max = u32::try_from(max_nums).unwrap_or(0).clamp(1, 32);
        let pulled = find_queue(c, client, mq).and_then(|queue| {
            let filter = FilterExpression::tag(expression);
            let pulled = block_on(client.pull(&queue, &filter, offset, max))??;
            // Best effort: a pull that worked is not lost to a failed offset query.
            let (min, max) = block_on(client.offsets(&queue))
                .and_then(|r| r)
                .unwrap_or((0, 0));
            Ok((pulled, min, max))
        });
        let (pulled, min, max) = match pulled {
            Ok(p) => p,
            Err(e) => return timeout(&format!("Pull: {e}")),
        };
        let status = match pulled.status {
            PullStatus::Found => E_FOUND,
            PullStatus::NoNewMessage => E_NO_NEW_MSG,
            PullStatus::NoMatchedMessage => E_NO_MATCHED_MSG,
            PullStatus::OffsetIllegal => E_OFFSET_ILLEGAL,
        };
        let mut result = empty_result(status);
        result.next_begin_offset = pulled.next_offset;
        result.min_offset = min;
        result.max_offset = max;
        if !pulled.messages.is_empty() {
            let messages: Vec<*mut CMessageExt> = pulled
                .messages
                .into_iter()
                .map(|m| Box::into_raw(Box::new(CMessageExt::new(m))))
                .collect();
            result.size = c_int::try_from(messages.len()).unwrap_or(c_int::MAX);
            let list: Box<[*mut CMessageExt]> = messages.into_boxed_slice();
            let list = Box::into_raw(list);
            result.msg_found_list = list.cast();
            // pData remembers the list's length for ReleasePullResult.
            result.p_data = Box::into_raw(Box::new(list)).cast();
        }
        result
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ReleasePullResult(result: CPullResult) -> c_int {
    guard("ReleasePullResult", NULL_POINTER, || {
        if result.p_data.is_null() {
            return NULL_POINTER;
        }
        // SAFETY: made by Pull: pData holds the boxed list of boxed messages.
        let list = unsafe { *Box::from_raw(result.p_data.cast::<*mut [*mut CMessageExt]>()) };
        // SAFETY: as above.
        let list = unsafe { Box::from_raw(list) };
        for m in list.iter() {
            // SAFETY: each came from Box::into_raw in Pull.
            drop(unsafe { Box::from_raw(*m) });
        }
        OK
    })
}
