//! `rmq_message_view`: a message as received, with an accessor for every field. Strings are
//! NUL-terminated copies made when first asked for, owned by the view and valid until it is
//! freed; the body is `(const uint8_t *, size_t)`.

#![allow(non_camel_case_types)]

use crate::ffi::{self, cstring};
use crate::message::{epoch_ms, opt, read, text, write_opt};
use rmq_client::MessageView;
use std::ffi::{CString, c_char};
use std::ptr::null;
use std::sync::OnceLock;

/// A received message. Views from `rmq_simple_consumer_receive` are the caller's (free each
/// with `rmq_message_view_free`); a listener's or checker's view is borrowed for the call.
pub struct rmq_message_view {
    pub(crate) inner: MessageView,
    strings: Strings,
    /// Receipt handles replaced by `change_invisible_duration`, kept so a pointer the
    /// application took earlier stays valid until the view is freed.
    retired: Vec<CString>,
}

/// NUL-terminated copies of the view's strings, made when first asked for.
#[derive(Default)]
struct Strings {
    id: OnceLock<CString>,
    topic: OnceLock<CString>,
    tag: OnceLock<Option<CString>>,
    keys: OnceLock<Vec<CString>>,
    properties: OnceLock<Vec<(CString, CString)>>,
    group: OnceLock<Option<CString>>,
    born_host: OnceLock<CString>,
    receipt_handle: OnceLock<CString>,
    corrupted: OnceLock<Option<CString>>,
    lite_topic: OnceLock<Option<CString>>,
}

impl rmq_message_view {
    pub(crate) fn new(inner: MessageView) -> rmq_message_view {
        rmq_message_view {
            inner,
            strings: Strings::default(),
            retired: Vec::new(),
        }
    }

    /// Takes the message with its new receipt handle. Every string handed out before stays
    /// valid: the others are the same message's, and the old handle is kept.
    pub(crate) fn replace(&mut self, inner: MessageView) {
        self.inner = inner;
        if let Some(old) = self.strings.receipt_handle.take() {
            self.retired.push(old);
        }
    }

    fn properties(&self) -> &[(CString, CString)] {
        self.strings.properties.get_or_init(|| {
            let mut p: Vec<_> = self
                .inner
                .properties
                .iter()
                .map(|(k, v)| (cstring(k), cstring(v)))
                .collect();
            p.sort();
            p
        })
    }
}

fn lazy(cell: &OnceLock<CString>, s: &str) -> *const c_char {
    cell.get_or_init(|| cstring(s)).as_ptr()
}

fn lazy_opt(cell: &OnceLock<Option<CString>>, s: Option<&str>) -> *const c_char {
    opt(cell.get_or_init(|| s.map(cstring)))
}

/// The message id (the one its send returned).
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_message_id(
    view: *const rmq_message_view,
) -> *const c_char {
    read("rmq_message_view_message_id", view, null(), |v| {
        lazy(&v.strings.id, &v.inner.message_id)
    })
}

/// The topic.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_topic(view: *const rmq_message_view) -> *const c_char {
    read("rmq_message_view_topic", view, null(), |v| {
        lazy(&v.strings.topic, &v.inner.topic)
    })
}

/// The tag, or NULL if none.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_tag(view: *const rmq_message_view) -> *const c_char {
    read("rmq_message_view_tag", view, null(), |v| {
        lazy_opt(&v.strings.tag, v.inner.tag.as_deref())
    })
}

/// The message group, or NULL if it is not a FIFO message.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_message_group(
    view: *const rmq_message_view,
) -> *const c_char {
    read("rmq_message_view_message_group", view, null(), |v| {
        lazy_opt(&v.strings.group, v.inner.message_group.as_deref())
    })
}

/// The lite topic, or NULL if the message was not sent to one.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_lite_topic(
    view: *const rmq_message_view,
) -> *const c_char {
    read("rmq_message_view_lite_topic", view, null(), |v| {
        lazy_opt(&v.strings.lite_topic, v.inner.lite_topic.as_deref())
    })
}

/// The producer's host.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_born_host(
    view: *const rmq_message_view,
) -> *const c_char {
    read("rmq_message_view_born_host", view, null(), |v| {
        lazy(&v.strings.born_host, &v.inner.born_host)
    })
}

/// The receipt handle (replaced by `rmq_simple_consumer_change_invisible_duration`).
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_receipt_handle(
    view: *const rmq_message_view,
) -> *const c_char {
    read("rmq_message_view_receipt_handle", view, null(), |v| {
        lazy(&v.strings.receipt_handle, v.inner.receipt_handle())
    })
}

/// Why the body is unusable (digest mismatch, failed decompression), or NULL if it is fine.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_corrupted(
    view: *const rmq_message_view,
) -> *const c_char {
    read("rmq_message_view_corrupted", view, null(), |v| {
        lazy_opt(&v.strings.corrupted, v.inner.corrupted.as_deref())
    })
}

/// 1 on the first delivery, 2 on the second, ...
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_delivery_attempt(view: *const rmq_message_view) -> i32 {
    read("rmq_message_view_delivery_attempt", view, 0, |v| {
        v.inner.delivery_attempt
    })
}

/// The queue id.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_queue_id(view: *const rmq_message_view) -> i32 {
    read("rmq_message_view_queue_id", view, -1, |v| v.inner.queue_id)
}

/// The queue offset, or -1 if the server gave none.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_offset(view: *const rmq_message_view) -> i64 {
    read("rmq_message_view_offset", view, -1, |v| {
        v.inner.queue_offset.unwrap_or(-1)
    })
}

/// When the producer built the message, in milliseconds since 1970 (-1 if unknown).
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_born_timestamp(view: *const rmq_message_view) -> i64 {
    read("rmq_message_view_born_timestamp", view, -1, |v| {
        epoch_ms(v.inner.born_timestamp)
    })
}

/// The scheduled delivery time in milliseconds since 1970, or -1 if it was not delayed.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_delivery_timestamp(view: *const rmq_message_view) -> i64 {
    read("rmq_message_view_delivery_timestamp", view, -1, |v| {
        epoch_ms(v.inner.delivery_timestamp)
    })
}

/// How many keys the message has.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_key_count(view: *const rmq_message_view) -> usize {
    read("rmq_message_view_key_count", view, 0, |v| {
        v.inner.keys.len()
    })
}

/// How many user properties the message has.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_property_count(view: *const rmq_message_view) -> usize {
    read("rmq_message_view_property_count", view, 0, |v| {
        v.inner.properties.len()
    })
}

/// The body: its address, and its length in `*len` (`len` may be NULL).
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_body(
    view: *const rmq_message_view,
    len: *mut usize,
) -> *const u8 {
    let (p, n) = read("rmq_message_view_body", view, (null(), 0), |v| {
        (v.inner.body.as_ptr(), v.inner.body.len())
    });
    if !len.is_null() {
        // SAFETY: the caller's contract.
        unsafe { len.write(n) };
    }
    p
}

/// Key number `index`, or NULL past the end.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_key(
    view: *const rmq_message_view,
    index: usize,
) -> *const c_char {
    read("rmq_message_view_key", view, null(), |v| {
        let keys = v
            .strings
            .keys
            .get_or_init(|| v.inner.keys.iter().map(|k| cstring(k)).collect());
        keys.get(index).map_or(null(), |k| k.as_ptr())
    })
}

/// The value of user property `key`, or NULL if the message has none.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`; `key` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_property(
    view: *const rmq_message_view,
    key: *const c_char,
) -> *const c_char {
    // SAFETY: the caller's contract.
    let Ok(key) = (unsafe { ffi::text(key, "key") }) else {
        return null();
    };
    read("rmq_message_view_property", view, null(), |v| {
        v.properties()
            .iter()
            .find(|(k, _)| text(k) == key)
            .map_or(null(), |(_, value)| value.as_ptr())
    })
}

/// Property number `index` (in key order): writes its key and value and returns 1, or returns
/// 0 past the end.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`; `key` and `value` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_property_at(
    view: *const rmq_message_view,
    index: usize,
    key: *mut *const c_char,
    value: *mut *const c_char,
) -> i32 {
    let pair = read("rmq_message_view_property_at", view, None, |v| {
        v.properties()
            .get(index)
            .map(|(k, v)| (k.as_ptr(), v.as_ptr()))
    });
    match pair {
        Some((k, v)) => {
            write_opt(Some(k), key);
            write_opt(Some(v), value);
            1
        }
        None => 0,
    }
}

/// Writes the priority to `*priority` and returns 1 if the message has one; 0 otherwise.
///
/// # Safety
/// `view` is NULL or a live `rmq_message_view`; `priority` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_view_priority(
    view: *const rmq_message_view,
    priority: *mut i32,
) -> i32 {
    write_opt(
        read("rmq_message_view_priority", view, None, |v| {
            v.inner.priority
        }),
        priority,
    )
}
