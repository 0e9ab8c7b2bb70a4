//! What every message of the campaign carries: a key naming its producer, kind, message group
//! and sequence number, and a body derived from that key alone, so a consumer can tell a
//! corrupt or misdelivered record from a good one without asking anyone.

use std::fmt;

/// `source:kind:group:seq`, e.g. `rs:fifo:rs-g1:17` or `go:normal:-:42`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// Which producer sent it (`rs` for ours, `go` for the official Go client).
    pub source: String,
    pub kind: Kind,
    /// The message group (FIFO) or lite topic (lite), `-` for none.
    pub group: String,
    pub seq: u64,
}

/// The message types the crash loop sends, each to its own topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Normal,
    Fifo,
    Delay,
    /// Committed by the producer (or, when the commit is lost, by its checker).
    TxCommit,
    /// Rolled back: must never be delivered.
    TxRollback,
    /// Left undecided: the broker asks the checker, which commits.
    TxOrphan,
    Priority,
    Lite,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Normal,
        Kind::Fifo,
        Kind::Delay,
        Kind::TxCommit,
        Kind::TxRollback,
        Kind::TxOrphan,
        Kind::Priority,
        Kind::Lite,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Normal => "normal",
            Kind::Fifo => "fifo",
            Kind::Delay => "delay",
            Kind::TxCommit => "tx-commit",
            Kind::TxRollback => "tx-rollback",
            Kind::TxOrphan => "tx-orphan",
            Kind::Priority => "priority",
            Kind::Lite => "lite",
        }
    }

    /// Whether delivery order within a group is promised (FIFO groups, lite topics).
    pub fn ordered(self) -> bool {
        matches!(self, Kind::Fifo | Kind::Lite)
    }

    /// Whether an acknowledged send of this kind must be delivered.
    pub fn deliverable(self) -> bool {
        self != Kind::TxRollback
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}:{}",
            self.source,
            self.kind.name(),
            self.group,
            self.seq
        )
    }
}

impl Key {
    pub fn new(source: &str, kind: Kind, group: Option<&str>, seq: u64) -> Key {
        Key {
            source: source.to_owned(),
            kind,
            group: group.unwrap_or("-").to_owned(),
            seq,
        }
    }

    pub fn parse(text: &str) -> Option<Key> {
        let mut parts = text.split(':');
        let source = parts.next()?;
        let kind_name = parts.next()?;
        let group = parts.next()?;
        let seq = parts.next()?.parse().ok()?;
        if parts.next().is_some() || source.is_empty() || group.is_empty() {
            return None;
        }
        let kind = Kind::ALL.into_iter().find(|k| k.name() == kind_name)?;
        Some(Key {
            source: source.to_owned(),
            kind,
            group: group.to_owned(),
            seq,
        })
    }

    /// `key;` repeated past 256 bytes. The official Go producer builds the same.
    pub fn body(&self) -> Vec<u8> {
        let unit = format!("{self};");
        unit.repeat(256 / unit.len() + 1).into_bytes()
    }

    /// The key a body was made from, or why the body is not one the campaign sent.
    pub fn from_body(body: &[u8]) -> Result<Key, String> {
        let text = std::str::from_utf8(body).map_err(|_| "body is not UTF-8".to_owned())?;
        let first = text.split(';').next().unwrap_or_default();
        let key =
            Key::parse(first).ok_or_else(|| format!("no key at the start of {first:.60?}"))?;
        if key.body() != body {
            return Err(format!("body of {key} is corrupt ({} bytes)", body.len()));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_names_its_key_and_a_changed_byte_is_caught() {
        let key = Key::new("rs", Kind::Fifo, Some("rs-g1"), 17);
        let body = key.body();
        assert!(body.len() > 256);
        assert_eq!(Key::from_body(&body), Ok(key));
        let mut bad = body.clone();
        let last = bad.len() - 2;
        bad[last] ^= 1;
        assert!(Key::from_body(&bad).is_err());
        assert!(Key::from_body(&body[..body.len() - 1]).is_err());
        assert!(Key::from_body(b"rs:nope:-:1;").is_err());
    }

    #[test]
    fn the_go_producers_keys_parse() {
        let key = Key::parse("go:normal:-:42").expect("parses");
        assert_eq!(
            (key.kind, key.seq, key.group.as_str()),
            (Kind::Normal, 42, "-")
        );
    }
}
