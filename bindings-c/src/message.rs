//! `rmq_message`, a message being built for sending, with an accessor for every field
//! (`view.rs` has `rmq_message_view`, a message as received). Bodies are
//! `(const uint8_t *, size_t)`; strings handed out are owned by the message, NUL-terminated, and
//! valid until the message changes or is freed.

#![allow(non_camel_case_types)]

use crate::error::{boundary, boundary_or, rmq_err};
use crate::ffi::{self, check, cstring};
use rmq_client::Message;
use std::ffi::{CString, c_char};
use std::ptr::null;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A message being built. Validated (by the core, with the server's rules) when it is sent.
#[derive(Clone, Debug)]
pub struct rmq_message {
    topic: CString,
    body: Vec<u8>,
    tag: Option<CString>,
    keys: Vec<CString>,
    properties: Vec<(CString, CString)>,
    group: Option<CString>,
    delivery_timestamp_ms: Option<i64>,
    priority: Option<i32>,
    lite_topic: Option<CString>,
    /// The core message, built and checked at the first send and reused by later sends until
    /// the message changes (a loop of sends of one message builds it once).
    built: OnceLock<Message>,
}

pub(crate) fn text(c: &CString) -> &str {
    // Set only from checked UTF-8 (`ffi::text`).
    c.to_str().unwrap_or_default()
}

impl rmq_message {
    /// The core message, checked (built once per change).
    pub(crate) fn build(&self) -> Result<Message, rmq_client::Error> {
        if let Some(built) = self.built.get() {
            return Ok(built.clone());
        }
        let built = self.build_now()?;
        Ok(self.built.get_or_init(|| built).clone())
    }

    /// For a setter: the message changes, so it is built again at the next send.
    fn edit(&mut self) -> &mut rmq_message {
        self.built.take();
        self
    }

    fn build_now(&self) -> Result<Message, rmq_client::Error> {
        let mut b = Message::builder(text(&self.topic), self.body.clone());
        if let Some(tag) = &self.tag {
            b = b.tag(text(tag));
        }
        b = b.keys(self.keys.iter().map(text));
        for (k, v) in &self.properties {
            b = b.property(text(k), text(v));
        }
        if let Some(group) = &self.group {
            b = b.message_group(text(group));
        }
        if let Some(ms) = self.delivery_timestamp_ms {
            let at = u64::try_from(ms)
                .ok()
                .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
                .ok_or_else(|| {
                    rmq_client::Error::invalid(
                        "message",
                        format!("delivery timestamp {ms} ms is before 1970"),
                    )
                })?;
            b = b.delivery_timestamp(at);
        }
        if let Some(p) = self.priority {
            b = b.priority(p);
        }
        if let Some(lite) = &self.lite_topic {
            b = b.lite_topic(text(lite));
        }
        b.build()
    }
}

/// A new message for `topic` with a copy of `body_len` bytes at `body`, written to `*out`.
/// Free it with `rmq_message_free`.
///
/// # Safety
/// `topic` is a NUL-terminated string; `body` points to `body_len` bytes (or is NULL with 0);
/// `out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_new(
    topic: *const c_char,
    body: *const u8,
    body_len: usize,
    out: *mut *mut rmq_message,
) -> rmq_err {
    boundary("rmq_message_new", || {
        // SAFETY: the caller's contract.
        let topic = check!(unsafe { ffi::text(topic, "topic") });
        // SAFETY: the caller's contract.
        let body = check!(unsafe { ffi::bytes(body, body_len, "body") });
        let out = check!(ffi::out(out, "out"));
        let message = rmq_message {
            topic: cstring(topic),
            body: body.to_vec(),
            tag: None,
            keys: Vec::new(),
            properties: Vec::new(),
            group: None,
            delivery_timestamp_ms: None,
            priority: None,
            lite_topic: None,
            built: OnceLock::new(),
        };
        // SAFETY: checked by `ffi::out`.
        unsafe { ffi::write(out, ffi::boxed(message)) };
        rmq_err::RMQ_OK
    })
}

/// Frees a message; NULL is a no-op.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_free(message: *mut rmq_message) {
    // SAFETY: the caller's contract.
    boundary_or("rmq_message_free", (), || unsafe { ffi::free(message) })
}

/// Applies `set` to the message with a checked string argument.
unsafe fn set_text(
    what: &'static str,
    message: *mut rmq_message,
    value: *const c_char,
    set: impl FnOnce(&mut rmq_message, CString),
) -> rmq_err {
    boundary(what, || {
        // SAFETY: the caller's contract.
        let message = check!(unsafe { ffi::handle_mut(message, "message") }).edit();
        // SAFETY: the caller's contract.
        let value = check!(unsafe { ffi::text(value, "value") });
        set(message, cstring(value));
        rmq_err::RMQ_OK
    })
}

/// Sets the topic.
///
/// # Safety
/// `message` is a live `rmq_message`; `topic` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_set_topic(
    message: *mut rmq_message,
    topic: *const c_char,
) -> rmq_err {
    // SAFETY: the caller's contract.
    unsafe { set_text("rmq_message_set_topic", message, topic, |m, v| m.topic = v) }
}

/// Replaces the body with a copy of `body_len` bytes at `body`.
///
/// # Safety
/// `message` is a live `rmq_message`; `body` points to `body_len` bytes (or is NULL with 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_set_body(
    message: *mut rmq_message,
    body: *const u8,
    body_len: usize,
) -> rmq_err {
    boundary("rmq_message_set_body", || {
        // SAFETY: the caller's contract.
        let message = check!(unsafe { ffi::handle_mut(message, "message") }).edit();
        // SAFETY: the caller's contract.
        message.body = check!(unsafe { ffi::bytes(body, body_len, "body") }).to_vec();
        rmq_err::RMQ_OK
    })
}

/// Sets the tag (consumers filter on it).
///
/// # Safety
/// `message` is a live `rmq_message`; `tag` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_set_tag(
    message: *mut rmq_message,
    tag: *const c_char,
) -> rmq_err {
    // SAFETY: the caller's contract.
    unsafe { set_text("rmq_message_set_tag", message, tag, |m, v| m.tag = Some(v)) }
}

/// Adds a key (an index to look the message up by).
///
/// # Safety
/// `message` is a live `rmq_message`; `key` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_add_key(
    message: *mut rmq_message,
    key: *const c_char,
) -> rmq_err {
    // SAFETY: the caller's contract.
    unsafe { set_text("rmq_message_add_key", message, key, |m, v| m.keys.push(v)) }
}

/// Sets user property `key` to `value` (replacing an earlier value).
///
/// # Safety
/// `message` is a live `rmq_message`; `key` and `value` NUL-terminated strings.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_set_property(
    message: *mut rmq_message,
    key: *const c_char,
    value: *const c_char,
) -> rmq_err {
    boundary("rmq_message_set_property", || {
        // SAFETY: the caller's contract.
        let message = check!(unsafe { ffi::handle_mut(message, "message") }).edit();
        // SAFETY: the caller's contract.
        let key = check!(unsafe { ffi::text(key, "key") });
        // SAFETY: the caller's contract.
        let value = check!(unsafe { ffi::text(value, "value") });
        message.properties.retain(|(k, _)| text(k) != key);
        message.properties.push((cstring(key), cstring(value)));
        rmq_err::RMQ_OK
    })
}

/// Makes the message a FIFO message of `group` (messages of one group are delivered in order).
///
/// # Safety
/// `message` is a live `rmq_message`; `group` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_set_message_group(
    message: *mut rmq_message,
    group: *const c_char,
) -> rmq_err {
    // SAFETY: the caller's contract.
    unsafe {
        set_text("rmq_message_set_message_group", message, group, |m, v| {
            m.group = Some(v)
        })
    }
}

/// Makes the message a delayed message, delivered at `epoch_ms` (milliseconds since 1970).
///
/// # Safety
/// `message` is a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_set_delivery_timestamp(
    message: *mut rmq_message,
    epoch_ms: i64,
) -> rmq_err {
    boundary("rmq_message_set_delivery_timestamp", || {
        // SAFETY: the caller's contract.
        let message = check!(unsafe { ffi::handle_mut(message, "message") }).edit();
        message.delivery_timestamp_ms = Some(epoch_ms);
        rmq_err::RMQ_OK
    })
}

/// Sets the priority (priority topics; Apache RocketMQ 5.4 and later).
///
/// # Safety
/// `message` is a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_set_priority(
    message: *mut rmq_message,
    priority: i32,
) -> rmq_err {
    boundary("rmq_message_set_priority", || {
        // SAFETY: the caller's contract.
        let message = check!(unsafe { ffi::handle_mut(message, "message") }).edit();
        message.priority = Some(priority);
        rmq_err::RMQ_OK
    })
}

/// Sends the message to lite topic `lite_topic` under its (LITE) topic (Apache RocketMQ 5.5
/// and later; 1 to 64 of `[A-Za-z0-9_-]`).
///
/// # Safety
/// `message` is a live `rmq_message`; `lite_topic` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_set_lite_topic(
    message: *mut rmq_message,
    lite_topic: *const c_char,
) -> rmq_err {
    // SAFETY: the caller's contract.
    unsafe {
        set_text("rmq_message_set_lite_topic", message, lite_topic, |m, v| {
            m.lite_topic = Some(v)
        })
    }
}

/// Reads a field of a live object; a NULL handle (or a panic) gives `default`.
pub(crate) fn read<O, T: Copy>(
    what: &str,
    object: *const O,
    default: T,
    f: impl FnOnce(&O) -> T,
) -> T {
    boundary_or(what, default, || {
        // SAFETY: every accessor's contract: NULL or a live object of this library.
        match unsafe { object.as_ref() } {
            Some(o) => f(o),
            None => default,
        }
    })
}

/// [`read`] for the legacy library's getters.
///
/// # Safety
/// `object` is NULL or a live object of that library.
pub unsafe fn read_field<O, T: Copy>(
    what: &str,
    object: *const O,
    default: T,
    f: impl FnOnce(&O) -> T,
) -> T {
    read(what, object, default, f)
}

pub(crate) fn opt(c: &Option<CString>) -> *const c_char {
    c.as_ref().map_or(null(), |c| c.as_ptr())
}

/// The topic (NULL for a NULL message).
///
/// # Safety
/// `message` is NULL or a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_topic(message: *const rmq_message) -> *const c_char {
    read("rmq_message_topic", message, null(), |m| m.topic.as_ptr())
}

/// The body: its address, and its length in `*len` (`len` may be NULL).
///
/// # Safety
/// `message` is NULL or a live `rmq_message`; `len` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_body(
    message: *const rmq_message,
    len: *mut usize,
) -> *const u8 {
    let (p, n) = read("rmq_message_body", message, (null(), 0), |m| {
        (m.body.as_ptr(), m.body.len())
    });
    if !len.is_null() {
        // SAFETY: the caller's contract.
        unsafe { len.write(n) };
    }
    p
}

/// The tag, or NULL if none.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_tag(message: *const rmq_message) -> *const c_char {
    read("rmq_message_tag", message, null(), |m| opt(&m.tag))
}

/// How many keys the message has.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_key_count(message: *const rmq_message) -> usize {
    read("rmq_message_key_count", message, 0, |m| m.keys.len())
}

/// Key number `index`, or NULL past the end.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_key(
    message: *const rmq_message,
    index: usize,
) -> *const c_char {
    read("rmq_message_key", message, null(), |m| {
        m.keys.get(index).map_or(null(), |k| k.as_ptr())
    })
}

/// The value of user property `key`, or NULL if it is not set.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`; `key` NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_property(
    message: *const rmq_message,
    key: *const c_char,
) -> *const c_char {
    // SAFETY: the caller's contract.
    let Ok(key) = (unsafe { ffi::text(key, "key") }) else {
        return null();
    };
    read("rmq_message_property", message, null(), |m| {
        m.properties
            .iter()
            .find(|(k, _)| text(k) == key)
            .map_or(null(), |(_, v)| v.as_ptr())
    })
}

/// The message group, or NULL if the message is not a FIFO message.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_message_group(message: *const rmq_message) -> *const c_char {
    read("rmq_message_message_group", message, null(), |m| {
        opt(&m.group)
    })
}

/// The delivery timestamp in milliseconds since 1970, or -1 if the message is not delayed.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_delivery_timestamp(message: *const rmq_message) -> i64 {
    read("rmq_message_delivery_timestamp", message, -1, |m| {
        m.delivery_timestamp_ms.unwrap_or(-1)
    })
}

/// The lite topic, or NULL if the message has none.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_lite_topic(message: *const rmq_message) -> *const c_char {
    read("rmq_message_lite_topic", message, null(), |m| {
        opt(&m.lite_topic)
    })
}

/// Writes the priority to `*priority` and returns 1 if the message has one; 0 otherwise.
///
/// # Safety
/// `message` is NULL or a live `rmq_message`; `priority` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rmq_message_priority(
    message: *const rmq_message,
    priority: *mut i32,
) -> i32 {
    let p = read("rmq_message_priority", message, None, |m| m.priority);
    write_opt(p, priority)
}

/// Writes `value` to `dest` if both are there: 1 if written, 0 otherwise.
pub(crate) fn write_opt<T>(value: Option<T>, dest: *mut T) -> i32 {
    match (value, dest.is_null()) {
        (Some(v), false) => {
            // SAFETY: not NULL; the accessors' contract says writable.
            unsafe { dest.write(v) };
            1
        }
        _ => 0,
    }
}

/// Milliseconds since 1970, -1 when unknown.
pub fn epoch_ms(t: Option<SystemTime>) -> i64 {
    t.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
