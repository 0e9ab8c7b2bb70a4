//! `rmq_err`: the core's `ErrorKind`s and the server's status codes as stable C numbers, the
//! thread-local text of the last failure, and the panic boundary every exported function runs
//! in.
//!
//! Numbers: `RMQ_OK` is 0; a client-side kind is negative (`RMQ_ERR__TIMEOUT`, the double
//! underscore marks a local error, as in librdkafka); where the server refused, the value is the
//! server's `apache.rocketmq.v2.Code` (`RMQ_ERR_MESSAGE_PROPERTY_CONFLICT_WITH_TYPE` = 40014). A
//! server code this release does not know becomes its kind's local value, so a returned
//! `rmq_err` always holds a declared enumerator.

#![allow(non_camel_case_types)]

use rmq_client::proto::Code;
use rmq_client::{Error, ErrorKind};
use std::cell::RefCell;
use std::ffi::{CString, c_char};

pub use crate::panic::{boundary, boundary_or};

/// Every result of the C API. Stable numbers: 0 success, negative client-side errors
/// (`RMQ_ERR__*`), positive the server's status codes (`RMQ_ERR_*`).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum rmq_err {
    /// Success.
    RMQ_OK = 0,
    /// The caller passed something invalid; found before any I/O.
    RMQ_ERR__INVALID_ARGUMENT = -1,
    /// The server refused the request as malformed or illegal.
    RMQ_ERR__BAD_REQUEST = -2,
    /// Authentication or authorization failed.
    RMQ_ERR__UNAUTHORIZED = -3,
    /// Payment required (reserved by the protocol).
    RMQ_ERR__PAYMENT_REQUIRED = -4,
    /// Forbidden, for example no readable or writable queue.
    RMQ_ERR__FORBIDDEN = -5,
    /// Topic, consumer group, message or offset not found.
    RMQ_ERR__NOT_FOUND = -6,
    /// Message body too large.
    RMQ_ERR__PAYLOAD_TOO_LARGE = -7,
    /// Message body empty.
    RMQ_ERR__PAYLOAD_EMPTY = -8,
    /// The server is throttling; retry later.
    RMQ_ERR__TOO_MANY_REQUESTS = -9,
    /// Message properties too large.
    RMQ_ERR__REQUEST_HEADER_FIELDS_TOO_LARGE = -10,
    /// The server failed internally.
    RMQ_ERR__INTERNAL_SERVER = -11,
    /// The server timed out talking to its storage.
    RMQ_ERR__PROXY_TIMEOUT = -12,
    /// The server does not support the request.
    RMQ_ERR__UNSUPPORTED = -13,
    /// No answer within the request timeout.
    RMQ_ERR__TIMEOUT = -14,
    /// The connection failed or the server is unreachable.
    RMQ_ERR__NETWORK = -15,
    /// The client was closed.
    RMQ_ERR__CLOSED = -16,
    /// Anything else; the message says what.
    RMQ_ERR__UNEXPECTED = -17,
    /// A required pointer argument was NULL.
    RMQ_ERR__NULL_ARGUMENT = -100,
    /// A bug in rmq was caught at the API boundary; the message says where.
    RMQ_ERR__PANIC = -101,
    /// The call would wait for itself (closing a push consumer from inside its own listener).
    RMQ_ERR__WOULD_DEADLOCK = -102,
    /// The request was malformed.
    RMQ_ERR_BAD_REQUEST = 40000,
    /// Illegal access point.
    RMQ_ERR_ILLEGAL_ACCESS_POINT = 40001,
    /// Illegal topic name.
    RMQ_ERR_ILLEGAL_TOPIC = 40002,
    /// Illegal consumer group name.
    RMQ_ERR_ILLEGAL_CONSUMER_GROUP = 40003,
    /// Illegal message tag.
    RMQ_ERR_ILLEGAL_MESSAGE_TAG = 40004,
    /// Illegal message key.
    RMQ_ERR_ILLEGAL_MESSAGE_KEY = 40005,
    /// Illegal message group.
    RMQ_ERR_ILLEGAL_MESSAGE_GROUP = 40006,
    /// A reserved or illegal property key.
    RMQ_ERR_ILLEGAL_MESSAGE_PROPERTY_KEY = 40007,
    /// Unknown transaction id.
    RMQ_ERR_INVALID_TRANSACTION_ID = 40008,
    /// Illegal message id.
    RMQ_ERR_ILLEGAL_MESSAGE_ID = 40009,
    /// The filter expression does not parse.
    RMQ_ERR_ILLEGAL_FILTER_EXPRESSION = 40010,
    /// Invisible duration out of range.
    RMQ_ERR_ILLEGAL_INVISIBLE_TIME = 40011,
    /// Delivery time out of range.
    RMQ_ERR_ILLEGAL_DELIVERY_TIME = 40012,
    /// The receipt handle is stale or malformed.
    RMQ_ERR_INVALID_RECEIPT_HANDLE = 40013,
    /// The message's type does not match the topic's.
    RMQ_ERR_MESSAGE_PROPERTY_CONFLICT_WITH_TYPE = 40014,
    /// Unrecognized client type.
    RMQ_ERR_UNRECOGNIZED_CLIENT_TYPE = 40015,
    /// The message is corrupted.
    RMQ_ERR_MESSAGE_CORRUPTED = 40016,
    /// The request carried no client id.
    RMQ_ERR_CLIENT_ID_REQUIRED = 40017,
    /// Illegal polling time.
    RMQ_ERR_ILLEGAL_POLLING_TIME = 40018,
    /// Illegal offset.
    RMQ_ERR_ILLEGAL_OFFSET = 40019,
    /// Illegal lite topic.
    RMQ_ERR_ILLEGAL_LITE_TOPIC = 40020,
    /// Invalid client properties.
    RMQ_ERR_INVALID_CLIENT_PROPERTIES = 40021,
    /// Unauthorized.
    RMQ_ERR_UNAUTHORIZED = 40100,
    /// Payment required.
    RMQ_ERR_PAYMENT_REQUIRED = 40200,
    /// Forbidden.
    RMQ_ERR_FORBIDDEN = 40300,
    /// Not found.
    RMQ_ERR_NOT_FOUND = 40400,
    /// Message not found (nothing to receive).
    RMQ_ERR_MESSAGE_NOT_FOUND = 40401,
    /// Topic not found.
    RMQ_ERR_TOPIC_NOT_FOUND = 40402,
    /// Consumer group not found.
    RMQ_ERR_CONSUMER_GROUP_NOT_FOUND = 40403,
    /// Offset not found.
    RMQ_ERR_OFFSET_NOT_FOUND = 40404,
    /// The server timed out the request.
    RMQ_ERR_REQUEST_TIMEOUT = 40800,
    /// Payload too large.
    RMQ_ERR_PAYLOAD_TOO_LARGE = 41300,
    /// Message body too large.
    RMQ_ERR_MESSAGE_BODY_TOO_LARGE = 41301,
    /// Message body empty.
    RMQ_ERR_MESSAGE_BODY_EMPTY = 41302,
    /// Precondition failed.
    RMQ_ERR_PRECONDITION_FAILED = 42800,
    /// Too many requests.
    RMQ_ERR_TOO_MANY_REQUESTS = 42900,
    /// Lite topic quota exceeded.
    RMQ_ERR_LITE_TOPIC_QUOTA_EXCEEDED = 42901,
    /// Lite subscription quota exceeded.
    RMQ_ERR_LITE_SUBSCRIPTION_QUOTA_EXCEEDED = 42902,
    /// Request header fields too large.
    RMQ_ERR_REQUEST_HEADER_FIELDS_TOO_LARGE = 43100,
    /// Message properties too large.
    RMQ_ERR_MESSAGE_PROPERTIES_TOO_LARGE = 43101,
    /// Internal error.
    RMQ_ERR_INTERNAL_ERROR = 50000,
    /// Internal server error.
    RMQ_ERR_INTERNAL_SERVER_ERROR = 50001,
    /// High availability not available.
    RMQ_ERR_HA_NOT_AVAILABLE = 50002,
    /// Not implemented.
    RMQ_ERR_NOT_IMPLEMENTED = 50100,
    /// Proxy timeout.
    RMQ_ERR_PROXY_TIMEOUT = 50400,
    /// Master persistence timeout.
    RMQ_ERR_MASTER_PERSISTENCE_TIMEOUT = 50401,
    /// Slave persistence timeout.
    RMQ_ERR_SLAVE_PERSISTENCE_TIMEOUT = 50402,
    /// Unsupported.
    RMQ_ERR_UNSUPPORTED = 50500,
    /// Version unsupported.
    RMQ_ERR_VERSION_UNSUPPORTED = 50501,
    /// Verifying FIFO messages is unsupported.
    RMQ_ERR_VERIFY_FIFO_MESSAGE_UNSUPPORTED = 50502,
    /// The consumer failed to consume the message.
    RMQ_ERR_FAILED_TO_CONSUME_MESSAGE = 60000,
}

impl rmq_err {
    /// Every declared value, for lookups by number.
    const ALL: &'static [rmq_err] = &[
        rmq_err::RMQ_OK,
        rmq_err::RMQ_ERR__INVALID_ARGUMENT,
        rmq_err::RMQ_ERR__BAD_REQUEST,
        rmq_err::RMQ_ERR__UNAUTHORIZED,
        rmq_err::RMQ_ERR__PAYMENT_REQUIRED,
        rmq_err::RMQ_ERR__FORBIDDEN,
        rmq_err::RMQ_ERR__NOT_FOUND,
        rmq_err::RMQ_ERR__PAYLOAD_TOO_LARGE,
        rmq_err::RMQ_ERR__PAYLOAD_EMPTY,
        rmq_err::RMQ_ERR__TOO_MANY_REQUESTS,
        rmq_err::RMQ_ERR__REQUEST_HEADER_FIELDS_TOO_LARGE,
        rmq_err::RMQ_ERR__INTERNAL_SERVER,
        rmq_err::RMQ_ERR__PROXY_TIMEOUT,
        rmq_err::RMQ_ERR__UNSUPPORTED,
        rmq_err::RMQ_ERR__TIMEOUT,
        rmq_err::RMQ_ERR__NETWORK,
        rmq_err::RMQ_ERR__CLOSED,
        rmq_err::RMQ_ERR__UNEXPECTED,
        rmq_err::RMQ_ERR__NULL_ARGUMENT,
        rmq_err::RMQ_ERR__PANIC,
        rmq_err::RMQ_ERR__WOULD_DEADLOCK,
        rmq_err::RMQ_ERR_BAD_REQUEST,
        rmq_err::RMQ_ERR_ILLEGAL_ACCESS_POINT,
        rmq_err::RMQ_ERR_ILLEGAL_TOPIC,
        rmq_err::RMQ_ERR_ILLEGAL_CONSUMER_GROUP,
        rmq_err::RMQ_ERR_ILLEGAL_MESSAGE_TAG,
        rmq_err::RMQ_ERR_ILLEGAL_MESSAGE_KEY,
        rmq_err::RMQ_ERR_ILLEGAL_MESSAGE_GROUP,
        rmq_err::RMQ_ERR_ILLEGAL_MESSAGE_PROPERTY_KEY,
        rmq_err::RMQ_ERR_INVALID_TRANSACTION_ID,
        rmq_err::RMQ_ERR_ILLEGAL_MESSAGE_ID,
        rmq_err::RMQ_ERR_ILLEGAL_FILTER_EXPRESSION,
        rmq_err::RMQ_ERR_ILLEGAL_INVISIBLE_TIME,
        rmq_err::RMQ_ERR_ILLEGAL_DELIVERY_TIME,
        rmq_err::RMQ_ERR_INVALID_RECEIPT_HANDLE,
        rmq_err::RMQ_ERR_MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
        rmq_err::RMQ_ERR_UNRECOGNIZED_CLIENT_TYPE,
        rmq_err::RMQ_ERR_MESSAGE_CORRUPTED,
        rmq_err::RMQ_ERR_CLIENT_ID_REQUIRED,
        rmq_err::RMQ_ERR_ILLEGAL_POLLING_TIME,
        rmq_err::RMQ_ERR_ILLEGAL_OFFSET,
        rmq_err::RMQ_ERR_ILLEGAL_LITE_TOPIC,
        rmq_err::RMQ_ERR_INVALID_CLIENT_PROPERTIES,
        rmq_err::RMQ_ERR_UNAUTHORIZED,
        rmq_err::RMQ_ERR_PAYMENT_REQUIRED,
        rmq_err::RMQ_ERR_FORBIDDEN,
        rmq_err::RMQ_ERR_NOT_FOUND,
        rmq_err::RMQ_ERR_MESSAGE_NOT_FOUND,
        rmq_err::RMQ_ERR_TOPIC_NOT_FOUND,
        rmq_err::RMQ_ERR_CONSUMER_GROUP_NOT_FOUND,
        rmq_err::RMQ_ERR_OFFSET_NOT_FOUND,
        rmq_err::RMQ_ERR_REQUEST_TIMEOUT,
        rmq_err::RMQ_ERR_PAYLOAD_TOO_LARGE,
        rmq_err::RMQ_ERR_MESSAGE_BODY_TOO_LARGE,
        rmq_err::RMQ_ERR_MESSAGE_BODY_EMPTY,
        rmq_err::RMQ_ERR_PRECONDITION_FAILED,
        rmq_err::RMQ_ERR_TOO_MANY_REQUESTS,
        rmq_err::RMQ_ERR_LITE_TOPIC_QUOTA_EXCEEDED,
        rmq_err::RMQ_ERR_LITE_SUBSCRIPTION_QUOTA_EXCEEDED,
        rmq_err::RMQ_ERR_REQUEST_HEADER_FIELDS_TOO_LARGE,
        rmq_err::RMQ_ERR_MESSAGE_PROPERTIES_TOO_LARGE,
        rmq_err::RMQ_ERR_INTERNAL_ERROR,
        rmq_err::RMQ_ERR_INTERNAL_SERVER_ERROR,
        rmq_err::RMQ_ERR_HA_NOT_AVAILABLE,
        rmq_err::RMQ_ERR_NOT_IMPLEMENTED,
        rmq_err::RMQ_ERR_PROXY_TIMEOUT,
        rmq_err::RMQ_ERR_MASTER_PERSISTENCE_TIMEOUT,
        rmq_err::RMQ_ERR_SLAVE_PERSISTENCE_TIMEOUT,
        rmq_err::RMQ_ERR_UNSUPPORTED,
        rmq_err::RMQ_ERR_VERSION_UNSUPPORTED,
        rmq_err::RMQ_ERR_VERIFY_FIFO_MESSAGE_UNSUPPORTED,
        rmq_err::RMQ_ERR_FAILED_TO_CONSUME_MESSAGE,
    ];

    /// The enumerator's name (what `Debug` prints).
    pub fn name(self) -> String {
        format!("{self:?}")
    }
}

impl rmq_err {
    /// The declared value `n`, if there is one.
    pub fn from_i32(n: i32) -> Option<rmq_err> {
        rmq_err::ALL.iter().copied().find(|e| *e as i32 == n)
    }

    /// The local value of a kind; an unknown kind is "unexpected".
    pub fn of_kind(kind: ErrorKind) -> rmq_err {
        match kind {
            ErrorKind::InvalidArgument => rmq_err::RMQ_ERR__INVALID_ARGUMENT,
            ErrorKind::BadRequest => rmq_err::RMQ_ERR__BAD_REQUEST,
            ErrorKind::Unauthorized => rmq_err::RMQ_ERR__UNAUTHORIZED,
            ErrorKind::PaymentRequired => rmq_err::RMQ_ERR__PAYMENT_REQUIRED,
            ErrorKind::Forbidden => rmq_err::RMQ_ERR__FORBIDDEN,
            ErrorKind::NotFound => rmq_err::RMQ_ERR__NOT_FOUND,
            ErrorKind::PayloadTooLarge => rmq_err::RMQ_ERR__PAYLOAD_TOO_LARGE,
            ErrorKind::PayloadEmpty => rmq_err::RMQ_ERR__PAYLOAD_EMPTY,
            ErrorKind::TooManyRequests => rmq_err::RMQ_ERR__TOO_MANY_REQUESTS,
            ErrorKind::RequestHeaderFieldsTooLarge => {
                rmq_err::RMQ_ERR__REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            ErrorKind::InternalServer => rmq_err::RMQ_ERR__INTERNAL_SERVER,
            ErrorKind::ProxyTimeout => rmq_err::RMQ_ERR__PROXY_TIMEOUT,
            ErrorKind::Unsupported => rmq_err::RMQ_ERR__UNSUPPORTED,
            ErrorKind::Timeout => rmq_err::RMQ_ERR__TIMEOUT,
            ErrorKind::Network => rmq_err::RMQ_ERR__NETWORK,
            ErrorKind::Closed => rmq_err::RMQ_ERR__CLOSED,
            _ => rmq_err::RMQ_ERR__UNEXPECTED,
        }
    }

    /// The value of a core error: the server's code when the server refused with a known one,
    /// the kind's local value otherwise.
    pub fn of(error: &Error) -> rmq_err {
        error
            .code()
            .and_then(rmq_err::from_i32)
            .filter(|e| (*e as i32) > 0)
            .unwrap_or_else(|| rmq_err::of_kind(error.kind()))
    }

    /// The core's kind of this value.
    pub fn kind(self) -> ErrorKind {
        match self {
            rmq_err::RMQ_OK => ErrorKind::Unexpected,
            rmq_err::RMQ_ERR__INVALID_ARGUMENT | rmq_err::RMQ_ERR__NULL_ARGUMENT => {
                ErrorKind::InvalidArgument
            }
            rmq_err::RMQ_ERR__WOULD_DEADLOCK => ErrorKind::InvalidArgument,
            local if (local as i32) < 0 => rmq_err::ALL
                .iter()
                .copied()
                .zip(KINDS)
                .find(|(e, _)| *e == local)
                .map_or(ErrorKind::Unexpected, |(_, kind)| *kind),
            server => ErrorKind::from_code(server as i32),
        }
    }

    /// A short static description.
    pub fn describe(self) -> &'static str {
        match self {
            rmq_err::RMQ_OK => "success",
            rmq_err::RMQ_ERR__NULL_ARGUMENT => "a required argument was NULL",
            rmq_err::RMQ_ERR__PANIC => "internal error in rmq (a bug; please report it)",
            rmq_err::RMQ_ERR__WOULD_DEADLOCK => "the call would wait for itself",
            local if (local as i32) < 0 => kind_text(local.kind()),
            server => match Code::try_from(server as i32) {
                Ok(_) => server_text(server.kind()),
                Err(_) => "unknown error",
            },
        }
    }
}

/// The kinds in the order of their local values (-1, -2, ...), after `RMQ_OK`.
const KINDS: &[ErrorKind] = &[
    ErrorKind::Unexpected, // RMQ_OK: never asked
    ErrorKind::InvalidArgument,
    ErrorKind::BadRequest,
    ErrorKind::Unauthorized,
    ErrorKind::PaymentRequired,
    ErrorKind::Forbidden,
    ErrorKind::NotFound,
    ErrorKind::PayloadTooLarge,
    ErrorKind::PayloadEmpty,
    ErrorKind::TooManyRequests,
    ErrorKind::RequestHeaderFieldsTooLarge,
    ErrorKind::InternalServer,
    ErrorKind::ProxyTimeout,
    ErrorKind::Unsupported,
    ErrorKind::Timeout,
    ErrorKind::Network,
    ErrorKind::Closed,
    ErrorKind::Unexpected,
];

fn kind_text(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidArgument => "invalid argument",
        ErrorKind::BadRequest => "bad request",
        ErrorKind::Unauthorized => "unauthorized",
        ErrorKind::PaymentRequired => "payment required",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::NotFound => "not found",
        ErrorKind::PayloadTooLarge => "payload too large",
        ErrorKind::PayloadEmpty => "payload empty",
        ErrorKind::TooManyRequests => "too many requests",
        ErrorKind::RequestHeaderFieldsTooLarge => "message properties too large",
        ErrorKind::InternalServer => "server error",
        ErrorKind::ProxyTimeout => "server storage timeout",
        ErrorKind::Unsupported => "unsupported",
        ErrorKind::Timeout => "timed out",
        ErrorKind::Network => "network error",
        ErrorKind::Closed => "client closed",
        _ => "unexpected error",
    }
}

fn server_text(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadRequest => "the server refused the request as invalid",
        ErrorKind::Unauthorized => "the server refused the credentials",
        ErrorKind::Forbidden => "the server forbade the request",
        ErrorKind::NotFound => "the server did not find what was named",
        ErrorKind::PayloadTooLarge => "the server refused the message as too large",
        ErrorKind::PayloadEmpty => "the server refused an empty message body",
        ErrorKind::TooManyRequests => "the server is throttling requests",
        ErrorKind::InternalServer => "the server failed internally",
        ErrorKind::ProxyTimeout => "the server timed out storing the message",
        ErrorKind::Unsupported => "the server does not support the request",
        ErrorKind::Timeout => "the server timed out the request",
        _ => "the server refused the request",
    }
}

thread_local! {
    static LAST: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `text` as this thread's last failure (what `rmq_last_error_message` returns).
pub fn set_last(text: &str) {
    let text = CString::new(text.replace('\0', "\\0")).unwrap_or_default();
    LAST.with(|last| *last.borrow_mut() = text);
}

/// Records `error` as this thread's last failure and returns its number.
pub fn fail(error: &Error) -> rmq_err {
    set_last(&error.to_string());
    rmq_err::of(error)
}

/// A local failure with its message.
pub fn fail_with(err: rmq_err, text: &str) -> rmq_err {
    set_last(text);
    err
}

/// `Ok(())` as `RMQ_OK`, an error as [`fail`].
pub fn result(outcome: Result<(), Error>) -> rmq_err {
    match outcome {
        Ok(()) => rmq_err::RMQ_OK,
        Err(e) => fail(&e),
    }
}

/// A static description of `err` (any number; unknown numbers say so). Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn rmq_err2str(err: i32) -> *const c_char {
    boundary_or(
        "rmq_err2str",
        c"unknown error".as_ptr(),
        || match rmq_err::from_i32(err) {
            Some(e) => static_cstr(e.describe()),
            None => c"unknown error".as_ptr(),
        },
    )
}

/// The enumerator's name of `err` (e.g. `"RMQ_ERR__TIMEOUT"`), `"RMQ_ERR_UNKNOWN"` for a number
/// that is not one. Never NULL.
#[unsafe(no_mangle)]
pub extern "C" fn rmq_err2name(err: i32) -> *const c_char {
    boundary_or(
        "rmq_err2name",
        c"RMQ_ERR_UNKNOWN".as_ptr(),
        || match rmq_err::from_i32(err) {
            Some(e) => static_cstr(e.name()),
            None => c"RMQ_ERR_UNKNOWN".as_ptr(),
        },
    )
}

/// Whether the same call may succeed if made again (network, timeouts, throttling, server
/// faults): 1 or 0.
#[unsafe(no_mangle)]
pub extern "C" fn rmq_err_is_retriable(err: i32) -> i32 {
    boundary_or("rmq_err_is_retriable", 0, || match rmq_err::from_i32(err) {
        Some(rmq_err::RMQ_OK | rmq_err::RMQ_ERR__PANIC) | None => 0,
        Some(e) => i32::from(e.kind().is_retriable()),
    })
}

/// The full text of the last failure on the calling thread (`""` if none). Valid until the next
/// failing call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn rmq_last_error_message() -> *const c_char {
    boundary_or("rmq_last_error_message", c"".as_ptr(), || {
        LAST.with(|last| last.borrow().as_ptr())
    })
}

/// NUL-terminated copies of the texts above, made once each and kept for the process.
fn static_cstr(text: impl AsRef<str>) -> *const c_char {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock, PoisonError};
    static TEXTS: OnceLock<Mutex<HashMap<String, &'static std::ffi::CStr>>> = OnceLock::new();
    let text = text.as_ref();
    let mut texts = TEXTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(c) = texts.get(text) {
        return c.as_ptr();
    }
    let c: &'static std::ffi::CStr = Box::leak(crate::ffi::cstring(text).into_boxed_c_str());
    texts.insert(text.to_owned(), c);
    c.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_code_is_declared_under_its_own_name() {
        for n in 40_000..70_000 {
            if let Ok(code) = Code::try_from(n) {
                let err = rmq_err::from_i32(n).expect("declared");
                assert_eq!(err.name(), format!("RMQ_ERR_{}", code.as_str_name()));
                assert_eq!(err.kind(), ErrorKind::from_code(n));
            }
        }
    }

    #[test]
    fn local_values_are_their_kinds() {
        for kind in &KINDS[1..] {
            let err = rmq_err::of_kind(*kind);
            assert_eq!(err.kind(), *kind);
            assert_eq!(
                err.name(),
                format!("RMQ_ERR__{}", kind.as_str().to_ascii_uppercase())
            );
        }
        assert!(rmq_err::from_i32(12345).is_none());
    }

    #[test]
    fn a_server_error_keeps_its_code_and_an_unknown_one_its_kind() {
        let known = Error::from_status("send", 40014, "conflict");
        assert_eq!(
            rmq_err::of(&known),
            rmq_err::RMQ_ERR_MESSAGE_PROPERTY_CONFLICT_WITH_TYPE
        );
        let unknown = Error::from_status("send", 40099, "new");
        assert_eq!(rmq_err::of(&unknown), rmq_err::of_kind(unknown.kind()));
        assert!((rmq_err::of(&unknown) as i32) < 0);
    }
}
