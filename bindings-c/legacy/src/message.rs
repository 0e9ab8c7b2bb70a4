//! `CMessage` (a message being built, reusable: each send gets a new id) and `CBatchMessage`
//! (copies of messages sent in one request). Reserved 4.x property names are mapped to the
//! typed 5.x fields or dropped, never sent; delay levels become delivery timestamps at each send.

use crate::common::{NULL_POINTER, OK, c, empty, failed, guard, handle, text};
use rmq_client::proto::properties::is_reserved;
use rmq_client::{Error, Message};
use std::ffi::{CString, c_char, c_int};
use std::ptr::null;
use std::time::{Duration, SystemTime};

/// The 4.x broker's default `messageDelayLevel` table, levels 1 to 18, in seconds.
const DELAY_LEVELS: [u64; 18] = [
    1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
];

/// The delay of `level` (≤ 0: none; above 18: 2 h, as the 4.x broker clamps).
pub fn delay_of(level: i32) -> Option<Duration> {
    let index = usize::try_from(level).ok()?.checked_sub(1)?;
    Some(Duration::from_secs(
        DELAY_LEVELS[index.min(DELAY_LEVELS.len() - 1)],
    ))
}

/// A message being built.
#[derive(Clone)]
pub struct CMessage {
    topic: CString,
    tags: CString,
    keys: CString,
    /// The body followed by a NUL, so `GetOriginMessageBody` can hand it to `printf`.
    body: Vec<u8>,
    properties: Vec<(CString, CString)>,
    delay_level: i32,
    delay_text: CString,
    sharding_key: Option<String>,
    /// `UNIQ_KEY`: the id of this message's last send.
    pub(crate) last_id: CString,
}

impl CMessage {
    fn new(topic: &str) -> CMessage {
        CMessage {
            topic: c(topic),
            tags: CString::default(),
            keys: CString::default(),
            body: vec![0],
            properties: Vec::new(),
            delay_level: 0,
            delay_text: c("0"),
            sharding_key: None,
            last_id: CString::default(),
        }
    }

    pub(crate) fn topic(&self) -> String {
        self.topic.to_string_lossy().into_owned()
    }

    /// The body without the NUL kept after it.
    pub(crate) fn body(&self) -> &[u8] {
        self.body.split_last().map_or(&[][..], |(_, body)| body)
    }

    fn set_body(&mut self, bytes: &[u8]) {
        self.body = Vec::with_capacity(bytes.len() + 1);
        self.body.extend_from_slice(bytes);
        self.body.push(0);
    }

    pub(crate) fn delay_level(&self) -> i32 {
        self.delay_level
    }

    fn set_delay(&mut self, level: i32) {
        self.delay_level = level;
        self.delay_text = c(&level.to_string());
    }

    fn set_property(&mut self, key: &str, value: &str) {
        match key {
            "KEYS" => self.keys = c(value),
            "TAGS" => self.tags = c(value),
            "DELAY" => self.set_delay(value.trim().parse().unwrap_or(0)),
            "__SHARDINGKEY" => self.sharding_key = Some(value.to_owned()),
            reserved if is_reserved(reserved) => {
                tracing::warn!(
                    key = reserved,
                    "rmq legacy API: dropped reserved property {reserved:?}; RocketMQ 5 servers \
                     refuse messages that carry it"
                );
            }
            _ => {
                self.properties
                    .retain(|(k, _)| k.to_bytes() != key.as_bytes());
                self.properties.push((c(key), c(value)));
            }
        }
    }

    fn property(&self, key: &str) -> *const c_char {
        match key {
            "KEYS" => self.keys.as_ptr(),
            "TAGS" => self.tags.as_ptr(),
            "DELAY" => self.delay_text.as_ptr(),
            "UNIQ_KEY" => self.last_id.as_ptr(),
            _ => self
                .properties
                .iter()
                .find(|(k, _)| k.to_bytes() == key.as_bytes())
                .map_or(empty(), |(_, v)| v.as_ptr()),
        }
    }

    /// The 5.x message for one send: the delay from now, `group` (or the sharding-key
    /// property) as the message group.
    pub(crate) fn to_core(&self, group: Option<&str>) -> Result<Message, Error> {
        let body = self.body().to_vec();
        let mut b = Message::builder(self.topic.to_string_lossy(), body);
        let tags = self.tags.to_string_lossy();
        if !tags.is_empty() {
            b = b.tag(tags);
        }
        b = b.keys(
            self.keys
                .to_string_lossy()
                .split(' ')
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        );
        for (k, v) in &self.properties {
            b = b.property(k.to_string_lossy(), v.to_string_lossy());
        }
        if let Some(group) = group.or(self.sharding_key.as_deref()) {
            b = b.message_group(group);
        }
        if let Some(delay) = delay_of(self.delay_level) {
            b = b.delivery_timestamp(SystemTime::now() + delay);
        }
        b.build()
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn CreateMessage(topic: *const c_char) -> *mut CMessage {
    guard("CreateMessage", std::ptr::null_mut(), || {
        // SAFETY: NULL or NUL-terminated.
        let topic = match unsafe { crate::common::arg(topic) } {
            Ok(topic) => topic.unwrap_or_default(),
            Err(e) => {
                failed(NULL_POINTER, &format!("CreateMessage: the topic is {e}"));
                return std::ptr::null_mut();
            }
        };
        Box::into_raw(Box::new(CMessage::new(&topic)))
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn DestroyMessage(msg: *mut CMessage) -> c_int {
    guard("DestroyMessage", NULL_POINTER, || {
        if msg.is_null() {
            return failed(NULL_POINTER, "DestroyMessage: NULL message");
        }
        // SAFETY: a message from CreateMessage, not used afterwards.
        drop(unsafe { Box::from_raw(msg) });
        OK
    })
}

/// Applies `set` to a message with a string argument.
fn with_text(
    what: &str,
    msg: *mut CMessage,
    value: *const c_char,
    set: impl FnOnce(&mut CMessage, String),
) -> c_int {
    guard(what, NULL_POINTER, || {
        let m = handle!(msg);
        let v = text!(value, "value");
        set(m, v);
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetMessageTopic(msg: *mut CMessage, topic: *const c_char) -> c_int {
    with_text("SetMessageTopic", msg, topic, |m, v| m.topic = c(&v))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetMessageTags(msg: *mut CMessage, tags: *const c_char) -> c_int {
    with_text("SetMessageTags", msg, tags, |m, v| m.tags = c(&v))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetMessageKeys(msg: *mut CMessage, keys: *const c_char) -> c_int {
    with_text("SetMessageKeys", msg, keys, |m, v| m.keys = c(&v))
}

/// The body is `strlen(body)` bytes, taken as they are (GBK or Latin-1 text stays intact).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetMessageBody(msg: *mut CMessage, body: *const c_char) -> c_int {
    guard("SetMessageBody", NULL_POINTER, || {
        let m = handle!(msg);
        // SAFETY: the legacy contract: NULL or NUL-terminated.
        let Some(bytes) = (unsafe { crate::common::arg_bytes(body) }) else {
            return failed(NULL_POINTER, "SetMessageBody: NULL body");
        };
        m.set_body(bytes);
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetByteMessageBody(
    msg: *mut CMessage,
    body: *const c_char,
    len: c_int,
) -> c_int {
    guard("SetByteMessageBody", NULL_POINTER, || {
        let m = handle!(msg);
        let Ok(len) = usize::try_from(len) else {
            return failed(NULL_POINTER, "SetByteMessageBody: negative length");
        };
        if body.is_null() && len > 0 {
            return failed(NULL_POINTER, "SetByteMessageBody: NULL body");
        }
        let bytes = match len {
            0 => &[][..],
            // SAFETY: `len` readable bytes at `body`, by the caller's contract.
            _ => unsafe { std::slice::from_raw_parts(body.cast::<u8>(), len) },
        };
        m.set_body(bytes);
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetMessageProperty(
    msg: *mut CMessage,
    key: *const c_char,
    value: *const c_char,
) -> c_int {
    guard("SetMessageProperty", NULL_POINTER, || {
        let m = handle!(msg);
        let key = text!(key, "key");
        let value = text!(value, "value");
        m.set_property(&key, &value);
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn SetDelayTimeLevel(msg: *mut CMessage, level: c_int) -> c_int {
    guard("SetDelayTimeLevel", NULL_POINTER, || {
        handle!(msg).set_delay(level);
        OK
    })
}

/// Reads a field for a getter; a NULL message (or a panic) gives `default`.
fn get<T: Copy>(what: &str, msg: *mut CMessage, default: T, f: impl FnOnce(&CMessage) -> T) -> T {
    // SAFETY: the getters' contract: NULL or a live message of this library.
    unsafe { rmq::message::read_field(what, msg.cast_const(), default, f) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetOriginMessageTopic(msg: *mut CMessage) -> *const c_char {
    get("GetOriginMessageTopic", msg, null(), |m| m.topic.as_ptr())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetOriginMessageTags(msg: *mut CMessage) -> *const c_char {
    get("GetOriginMessageTags", msg, null(), |m| m.tags.as_ptr())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetOriginMessageKeys(msg: *mut CMessage) -> *const c_char {
    get("GetOriginMessageKeys", msg, null(), |m| m.keys.as_ptr())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetOriginMessageBody(msg: *mut CMessage) -> *const c_char {
    get("GetOriginMessageBody", msg, null(), |m| {
        m.body.as_ptr().cast()
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetOriginMessageBodyLength(msg: *mut CMessage) -> c_int {
    get("GetOriginMessageBodyLength", msg, 0, |m| {
        c_int::try_from(m.body().len()).unwrap_or(c_int::MAX)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetOriginMessageProperty(
    msg: *mut CMessage,
    key: *const c_char,
) -> *const c_char {
    // SAFETY: NULL or NUL-terminated.
    let Some(key) = (unsafe { crate::common::arg_or_none(key, "the key") }) else {
        return null();
    };
    get("GetOriginMessageProperty", msg, null(), |m| {
        m.property(&key)
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn GetOriginDelayTimeLevel(msg: *mut CMessage) -> c_int {
    get("GetOriginDelayTimeLevel", msg, -1, |m| m.delay_level)
}

/// Copies of messages to send in one request.
#[derive(Default)]
pub struct CBatchMessage {
    pub(crate) messages: Vec<CMessage>,
}

// Declared with `()` in the original header; called with or without an argument.
#[unsafe(no_mangle)]
pub extern "C" fn CreateBatchMessage() -> *mut CBatchMessage {
    guard("CreateBatchMessage", std::ptr::null_mut(), || {
        Box::into_raw(Box::default())
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn AddMessage(batch: *mut CBatchMessage, msg: *mut CMessage) -> c_int {
    guard("AddMessage", NULL_POINTER, || {
        let batch = handle!(batch);
        let msg = handle!(msg);
        batch.messages.push(msg.clone());
        OK
    })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn DestroyBatchMessage(batch: *mut CBatchMessage) -> c_int {
    guard("DestroyBatchMessage", NULL_POINTER, || {
        if batch.is_null() {
            return failed(NULL_POINTER, "DestroyBatchMessage: NULL batch");
        }
        // SAFETY: a batch from CreateBatchMessage, not used afterwards.
        drop(unsafe { Box::from_raw(batch) });
        OK
    })
}
