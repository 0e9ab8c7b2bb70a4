//! `rmq_transaction`: half messages made visible or dropped together. A producer that begins
//! transactions needs a checker (`rmq_conf_set_transaction_checker`), which resolves
//! transactions a crashed or silent producer left undecided.

#![allow(non_camel_case_types)]

use crate::error::{boundary, boundary_or, fail, fail_with, result, rmq_err};
use crate::ffi::{self, check, core_try};
use crate::message::rmq_message;
use crate::producer::{give_receipt, rmq_producer, rmq_send_receipt};
use crate::runtime::{Owner, block_on};
use rmq_client::Transaction;

/// A transaction: send messages in it, then commit or roll back (once).
pub struct rmq_transaction {
    inner: Option<Transaction>,
    owner: Owner,
}

impl rmq_transaction {
    fn open(&mut self) -> Result<Transaction, rmq_err> {
        self.owner.check("transaction").map_err(|e| fail(&e))?;
        self.inner.take().ok_or_else(|| {
            fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                "the transaction was already committed or rolled back",
            )
        })
    }
}

/// Begins a transaction on `producer`, written to `*out`; free it with `rmq_transaction_free`.
///
/// # Safety
/// `producer` is live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_producer_begin_transaction(
    producer: *const rmq_producer,
    out: *mut *mut rmq_transaction,
) -> rmq_err {
    boundary("rmq_producer_begin_transaction", || {
        // SAFETY: the caller's contract.
        let producer_handle = check!(unsafe { ffi::handle(producer, "producer") });
        let producer = check!(producer_handle.live());
        let out = check!(ffi::out(out, "out"));
        let inner = core_try!(producer.begin_transaction());
        let transaction = rmq_transaction {
            inner: Some(inner),
            owner: producer_handle.owner,
        };
        // SAFETY: checked by `ffi::out`.
        unsafe { ffi::write(out, ffi::boxed(transaction)) };
        rmq_err::RMQ_OK
    })
}

/// Sends `message` as a half message of the transaction (invisible until commit).
///
/// # Safety
/// `transaction` and `message` are live; `receipt` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_transaction_send(
    transaction: *mut rmq_transaction,
    message: *const rmq_message,
    receipt: *mut *mut rmq_send_receipt,
) -> rmq_err {
    boundary("rmq_transaction_send", || {
        // SAFETY: the caller's contract.
        let transaction = check!(unsafe { ffi::handle_mut(transaction, "transaction") });
        // SAFETY: the caller's contract.
        let message = check!(unsafe { ffi::handle(message, "message") });
        check!(transaction.owner.check("transaction").map_err(|e| fail(&e)));
        let Some(inner) = transaction.inner.as_ref() else {
            return fail_with(
                rmq_err::RMQ_ERR__INVALID_ARGUMENT,
                "the transaction was already committed or rolled back",
            );
        };
        let message = core_try!(message.build());
        let sent = core_try!(core_try!(block_on(inner.send(&message))));
        give_receipt(sent, receipt);
        rmq_err::RMQ_OK
    })
}

/// Commits: the transaction's messages become visible to consumers.
///
/// # Safety
/// `transaction` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_transaction_commit(transaction: *mut rmq_transaction) -> rmq_err {
    boundary("rmq_transaction_commit", || {
        // SAFETY: the caller's contract.
        let transaction = check!(unsafe { ffi::handle_mut(transaction, "transaction") });
        let inner = check!(transaction.open());
        result(core_try!(block_on(inner.commit())))
    })
}

/// Rolls back: the transaction's messages are dropped.
///
/// # Safety
/// `transaction` is live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_transaction_rollback(transaction: *mut rmq_transaction) -> rmq_err {
    boundary("rmq_transaction_rollback", || {
        // SAFETY: the caller's contract.
        let transaction = check!(unsafe { ffi::handle_mut(transaction, "transaction") });
        let inner = check!(transaction.open());
        result(core_try!(block_on(inner.rollback())))
    })
}

/// Frees the transaction; NULL is a no-op. One neither committed nor rolled back stays
/// undecided: the server asks the producer's checker later.
///
/// # Safety
/// `transaction` is NULL or live, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_transaction_free(transaction: *mut rmq_transaction) {
    // SAFETY: the caller's contract.
    boundary_or("rmq_transaction_free", (), || unsafe {
        ffi::free(transaction)
    })
}
