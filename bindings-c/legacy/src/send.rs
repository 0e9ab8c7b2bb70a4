//! The legacy sends over the 5.x producer: sync, batch, async (two callback styles), oneway
//! (an async send whose result is dropped: 5.x has no oneway RPC), orderly by queue selector
//! (one message group per selected index: the 5.x server, not the client, picks the queue) and
//! by sharding key (the key is the message group), and transactions.

use crate::common::{
    NULL_POINTER, OK, PRODUCER_SEND_ASYNC_FAILED, PRODUCER_SEND_ONEWAY_FAILED,
    PRODUCER_SEND_ORDERLY_FAILED, PRODUCER_SEND_ORDERLYASYNC_FAILED, PRODUCER_SEND_SYNC_FAILED,
    PRODUCER_SEND_TRANSACTION_FAILED, c, failed, failed_with, guard, handle, handle_ref, text,
};
use crate::message::{CBatchMessage, CMessage};
use crate::producer::CProducer;
use crate::results::{CMQException, CSendResult};
use rmq::callbacks::{Opaque, complete_on_thread};
use rmq::runtime::{block_on, runtime};
use rmq_client::{Error, Message, SendReceipt};
use std::ffi::{c_char, c_int, c_void};

/// `QueueSelectorCallback`.
pub type Selector = Option<unsafe extern "C" fn(c_int, *mut CMessage, *mut c_void) -> c_int>;
/// `CSendSuccessCallback` / `CSendExceptionCallback`.
pub type OnSuccess = Option<unsafe extern "C" fn(CSendResult)>;
pub type OnException = Option<unsafe extern "C" fn(CMQException)>;
/// `COnSendSuccessCallback` / `COnSendExceptionCallback`.
pub type OnSuccessWith = Option<unsafe extern "C" fn(CSendResult, *mut CMessage, *mut c_void)>;
pub type OnExceptionWith = Option<unsafe extern "C" fn(CMQException, *mut CMessage, *mut c_void)>;
/// `CLocalTransactionExecutorCallback`; the status comes back as a plain int (checked).
pub type Executor =
    Option<unsafe extern "C" fn(*mut CProducer, *mut CMessage, *mut c_void) -> c_int>;

/// The 5.x message for a send of `msg`, checked against the producer's local size limit.
fn prepare(
    p: &CProducer,
    msg: &CMessage,
    group: Option<&str>,
    code: c_int,
) -> Result<Message, c_int> {
    let message = msg.to_core(group).map_err(|e| failed_with(code, &e))?;
    if let Some(max) = p.max_message_size
        && message.body().len() > max
    {
        return Err(failed(
            code,
            &format!(
                "the body ({} bytes) is larger than SetProducerMaxMessageSize ({max} bytes)",
                message.body().len()
            ),
        ));
    }
    Ok(message)
}

/// Sends and waits; on success the message remembers the id (`UNIQ_KEY`) and `result` is filled.
fn send_sync(
    p: &CProducer,
    msg: &mut CMessage,
    message: Message,
    result: *mut CSendResult,
    code: c_int,
) -> c_int {
    let producer = match p.live(code) {
        Ok(producer) => producer,
        Err(code) => return code,
    };
    match block_on(producer.send(&message)).and_then(|sent| sent) {
        Ok(receipt) => {
            msg.last_id = c(&receipt.message_id);
            // SAFETY: checked not NULL by the callers; the caller's result struct.
            unsafe { result.write(CSendResult::ok(&receipt.message_id, receipt.offset)) };
            OK
        }
        Err(e) => failed_with(code, &e),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendMessageSync(
    producer: *mut CProducer,
    msg: *mut CMessage,
    result: *mut CSendResult,
) -> c_int {
    guard("SendMessageSync", PRODUCER_SEND_SYNC_FAILED, || {
        let p = handle_ref!(producer);
        let m = handle!(msg);
        if result.is_null() {
            return failed(NULL_POINTER, "SendMessageSync: NULL result");
        }
        match prepare(p, m, None, PRODUCER_SEND_SYNC_FAILED) {
            Ok(message) => send_sync(p, m, message, result, PRODUCER_SEND_SYNC_FAILED),
            Err(code) => code,
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendMessageOrderlyByShardingKey(
    producer: *mut CProducer,
    msg: *mut CMessage,
    sharding_key: *const c_char,
    result: *mut CSendResult,
) -> c_int {
    guard(
        "SendMessageOrderlyByShardingKey",
        PRODUCER_SEND_ORDERLY_FAILED,
        || {
            let p = handle_ref!(producer);
            let m = handle!(msg);
            let key = text!(sharding_key, "sharding key");
            if result.is_null() {
                return failed(NULL_POINTER, "SendMessageOrderlyByShardingKey: NULL result");
            }
            orderly_checks(m).map_or_else(
                |code| code,
                |()| match prepare(p, m, Some(&key), PRODUCER_SEND_ORDERLY_FAILED) {
                    Ok(message) => send_sync(p, m, message, result, PRODUCER_SEND_ORDERLY_FAILED),
                    Err(code) => code,
                },
            )
        },
    )
}

/// A delayed message cannot be FIFO in 5.x: refused with the orderly code.
fn orderly_checks(m: &CMessage) -> Result<(), c_int> {
    match m.delay_level() > 0 {
        true => Err(failed(
            PRODUCER_SEND_ORDERLY_FAILED,
            "an ordered message cannot also have a delay level in RocketMQ 5",
        )),
        false => Ok(()),
    }
}

/// The message group of a queue selector's choice: `<topic>#<index>`, so the same index always
/// lands in the same group (ordered), as the same queue did in 4.x.
fn selected_group(
    p: &CProducer,
    m: &mut CMessage,
    selector: Selector,
    arg: *mut c_void,
    code: c_int,
) -> Result<String, c_int> {
    let Some(selector) = selector else {
        return Err(failed(NULL_POINTER, "NULL queue selector"));
    };
    let producer = p.live(code)?;
    let topic = m.topic();
    let size = block_on(producer.writable_queues(&topic))
        .and_then(|n| n)
        .map_err(|e| failed_with(code, &e))?;
    let size = c_int::try_from(size).unwrap_or(c_int::MAX);
    // SAFETY: the application's selector, called on this thread as in the original.
    let index = unsafe { selector(size, m, arg) };
    if !(0..size).contains(&index) {
        return Err(failed(
            code,
            &format!("the queue selector returned {index}, outside [0, {size})"),
        ));
    }
    Ok(format!("{topic}#{index}"))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendMessageOrderly(
    producer: *mut CProducer,
    msg: *mut CMessage,
    callback: Selector,
    arg: *mut c_void,
    _auto_retry_times: c_int,
    result: *mut CSendResult,
) -> c_int {
    guard("SendMessageOrderly", PRODUCER_SEND_ORDERLY_FAILED, || {
        let p = handle_ref!(producer);
        let m = handle!(msg);
        if arg.is_null() || result.is_null() {
            return failed(NULL_POINTER, "SendMessageOrderly: NULL arg or result");
        }
        let code = PRODUCER_SEND_ORDERLY_FAILED;
        let prepared = orderly_checks(m)
            .and_then(|()| selected_group(p, m, callback, arg, code))
            .and_then(|group| prepare(p, m, Some(&group), code));
        match prepared {
            Ok(message) => send_sync(p, m, message, result, code),
            Err(code) => code,
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendBatchMessage(
    producer: *mut CProducer,
    batch: *mut CBatchMessage,
    result: *mut CSendResult,
) -> c_int {
    guard("SendBatchMessage", PRODUCER_SEND_SYNC_FAILED, || {
        let p = handle_ref!(producer);
        let batch = handle!(batch);
        if result.is_null() {
            return failed(NULL_POINTER, "SendBatchMessage: NULL result");
        }
        let code = PRODUCER_SEND_SYNC_FAILED;
        let messages = match batch
            .messages
            .iter()
            .map(|m| prepare(p, m, None, code))
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(m) => m,
            Err(code) => return code,
        };
        let producer = match p.live(code) {
            Ok(producer) => producer,
            Err(code) => return code,
        };
        match block_on(producer.send_batch(&messages)).and_then(|sent| sent) {
            Ok(receipts) => {
                let ids: Vec<&str> = receipts.iter().map(|r| r.message_id.as_str()).collect();
                let offset = receipts.first().map_or(0, |r| r.offset);
                // SAFETY: checked not NULL.
                unsafe { result.write(CSendResult::ok(&ids.join(","), offset)) };
                OK
            }
            Err(e) => failed_with(code, &e),
        }
    })
}

/// What to do when an async send completes, on rmq's callback thread.
enum Done {
    Plain(OnSuccess, OnException),
    With(OnSuccessWith, OnExceptionWith, usize, Opaque),
    Dropped,
}

impl Done {
    fn run(self, sent: Result<SendReceipt, Error>, family: c_int) {
        let outcome = sent.map(|r| CSendResult::ok(&r.message_id, r.offset));
        crate::common::guard("send callback", (), || {
            // SAFETY: the application's callbacks; values are passed by value, and the
            // application keeps its message alive until SendAsync's callback has run.
            unsafe {
                match (self, outcome) {
                    (Done::Plain(Some(ok), _), Ok(r)) => ok(r),
                    (Done::Plain(_, Some(err)), Err(e)) => err(CMQException::of(&e, family)),
                    (Done::With(Some(ok), _, msg, data), Ok(r)) => {
                        ok(r, msg as *mut CMessage, data.get())
                    }
                    (Done::With(_, Some(err), msg, data), Err(e)) => err(
                        CMQException::of(&e, family),
                        msg as *mut CMessage,
                        data.get(),
                    ),
                    (Done::Dropped, Err(e)) => tracing::debug!("oneway send failed: {e}"),
                    _ => {}
                }
            }
        })
    }
}

/// Starts a send without waiting (the message was copied); the callback comes on rmq's
/// callback thread, and shutting the producer down waits for it.
fn send_async(p: &CProducer, message: Message, done: Done, code: c_int) -> c_int {
    let producer = match p.live(code) {
        Ok(producer) => producer.clone(),
        Err(code) => return code,
    };
    let Some(entered) = p.inflight.enter() else {
        return failed(code, "the producer is shutting down");
    };
    match runtime() {
        Ok(runtime) => {
            runtime.handle().spawn(async move {
                let sent = producer.send(&message).await;
                complete_on_thread(entered, move || done.run(sent, code));
            });
            OK
        }
        Err(e) => failed_with(code, &e),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendMessageAsync(
    producer: *mut CProducer,
    msg: *mut CMessage,
    on_success: OnSuccess,
    on_exception: OnException,
) -> c_int {
    guard("SendMessageAsync", PRODUCER_SEND_ASYNC_FAILED, || {
        let p = handle_ref!(producer);
        let m = handle!(msg);
        match prepare(p, m, None, PRODUCER_SEND_ASYNC_FAILED) {
            Ok(message) => send_async(
                p,
                message,
                Done::Plain(on_success, on_exception),
                PRODUCER_SEND_ASYNC_FAILED,
            ),
            Err(code) => code,
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendAsync(
    producer: *mut CProducer,
    msg: *mut CMessage,
    on_success: OnSuccessWith,
    on_exception: OnExceptionWith,
    user_data: *mut c_void,
) -> c_int {
    guard("SendAsync", PRODUCER_SEND_ASYNC_FAILED, || {
        let p = handle_ref!(producer);
        let m = handle!(msg);
        let done = Done::With(
            on_success,
            on_exception,
            msg as usize,
            Opaque::new(user_data),
        );
        match prepare(p, m, None, PRODUCER_SEND_ASYNC_FAILED) {
            Ok(message) => send_async(p, message, done, PRODUCER_SEND_ASYNC_FAILED),
            Err(code) => code,
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendMessageOrderlyAsync(
    producer: *mut CProducer,
    msg: *mut CMessage,
    callback: Selector,
    arg: *mut c_void,
    on_success: OnSuccess,
    on_exception: OnException,
) -> c_int {
    guard(
        "SendMessageOrderlyAsync",
        PRODUCER_SEND_ORDERLYASYNC_FAILED,
        || {
            let p = handle_ref!(producer);
            let m = handle!(msg);
            let code = PRODUCER_SEND_ORDERLYASYNC_FAILED;
            let prepared = orderly_checks(m)
                .map_err(|_| code)
                .and_then(|()| selected_group(p, m, callback, arg, code))
                .and_then(|group| prepare(p, m, Some(&group), code));
            match prepared {
                Ok(message) => send_async(p, message, Done::Plain(on_success, on_exception), code),
                Err(code) => code,
            }
        },
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendMessageOneway(producer: *mut CProducer, msg: *mut CMessage) -> c_int {
    guard("SendMessageOneway", PRODUCER_SEND_ONEWAY_FAILED, || {
        let p = handle_ref!(producer);
        let m = handle!(msg);
        match prepare(p, m, None, PRODUCER_SEND_ONEWAY_FAILED) {
            Ok(message) => send_async(p, message, Done::Dropped, PRODUCER_SEND_ONEWAY_FAILED),
            Err(code) => code,
        }
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendMessageOnewayOrderly(
    producer: *mut CProducer,
    msg: *mut CMessage,
    selector: Selector,
    arg: *mut c_void,
) -> c_int {
    guard(
        "SendMessageOnewayOrderly",
        PRODUCER_SEND_ONEWAY_FAILED,
        || {
            let p = handle_ref!(producer);
            let m = handle!(msg);
            let code = PRODUCER_SEND_ONEWAY_FAILED;
            let prepared = orderly_checks(m)
                .map_err(|_| code)
                .and_then(|()| selected_group(p, m, selector, arg, code))
                .and_then(|group| prepare(p, m, Some(&group), code));
            match prepared {
                Ok(message) => send_async(p, message, Done::Dropped, code),
                Err(code) => code,
            }
        },
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SendMessageTransaction(
    producer: *mut CProducer,
    msg: *mut CMessage,
    executor: Executor,
    user_data: *mut c_void,
    result: *mut CSendResult,
) -> c_int {
    let code = PRODUCER_SEND_TRANSACTION_FAILED;
    guard("SendMessageTransaction", code, || {
        let p = handle_ref!(producer);
        let m = handle!(msg);
        let Some(executor) = executor else {
            return failed(NULL_POINTER, "SendMessageTransaction: NULL executor");
        };
        if result.is_null() {
            return failed(NULL_POINTER, "SendMessageTransaction: NULL result");
        }
        if !p.transactional() {
            return failed(
                code,
                "SendMessageTransaction needs a producer made by CreateTransactionProducer with a checker",
            );
        }
        let message = match prepare(p, m, None, code) {
            Ok(message) => message,
            Err(code) => return code,
        };
        let client = match p.live(code) {
            Ok(client) => client,
            Err(code) => return code,
        };
        let transaction = match client.begin_transaction() {
            Ok(t) => t,
            Err(e) => return failed_with(code, &e),
        };
        let receipt = match block_on(transaction.send(&message)).and_then(|sent| sent) {
            Ok(r) => r,
            Err(e) => return failed_with(code, &e),
        };
        m.last_id = c(&receipt.message_id);
        // SAFETY: the application's executor, on the caller's thread as in the original.
        let status = unsafe { executor(producer, msg, user_data) };
        let decided = match status {
            0 => block_on(transaction.commit()).and_then(|r| r),
            1 => block_on(transaction.rollback()).and_then(|r| r),
            // Unknown: nothing is sent; the server asks the checker later.
            _ => Ok(()),
        };
        if let Err(e) = decided {
            return failed_with(code, &e);
        }
        // SAFETY: checked not NULL.
        unsafe { result.write(CSendResult::ok(&receipt.message_id, receipt.offset)) };
        OK
    })
}
