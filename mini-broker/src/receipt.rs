//! Receipt handles. Clients treat them as opaque; we keep the nine space-separated fields of
//! the Apache layout (start offset, pop time, invisible time, revive queue, retry flag, broker
//! name, queue id, queue offset, and a ninth number) so tools that peek at them still work.
//! The ninth field, a commit-log offset on Apache, is our lease id: it tells a current handle
//! from one replaced by ChangeInvisibleDuration.

use crate::clock::Millis;

/// Revive queue id that marks a handle of an ordered (FIFO) pop, as on Apache.
pub(crate) const FIFO_REVIVE_QUEUE: i32 = 999;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReceiptHandle {
    pub(crate) pop_time: Millis,
    pub(crate) invisible: Millis,
    pub(crate) fifo: bool,
    pub(crate) broker: String,
    pub(crate) queue_id: i32,
    pub(crate) offset: i64,
    pub(crate) lease: u64,
}

impl ReceiptHandle {
    pub(crate) fn encode(&self) -> String {
        let revive = if self.fifo { FIFO_REVIVE_QUEUE } else { 0 };
        format!(
            "{} {} {} {} 0 {} {} {} {}",
            self.offset,
            self.pop_time,
            self.invisible,
            revive,
            self.broker,
            self.queue_id,
            self.offset,
            self.lease
        )
    }

    /// Parses a handle; `None` when it is not one of ours (the caller answers like Apache).
    pub(crate) fn decode(handle: &str) -> Option<ReceiptHandle> {
        let fields: Vec<&str> = handle.split(' ').collect();
        if fields.len() != 9 {
            return None;
        }
        Some(ReceiptHandle {
            pop_time: fields[1].parse().ok()?,
            invisible: fields[2].parse().ok()?,
            fifo: fields[3].parse::<i32>().ok()? == FIFO_REVIVE_QUEUE,
            broker: fields[5].to_owned(),
            queue_id: fields[6].parse().ok()?,
            offset: fields[7].parse().ok()?,
            lease: fields[8].parse().ok()?,
        })
    }

    /// Apache counts a handle as expired once pop time + invisible time has passed.
    pub(crate) fn expired(&self, now: Millis) -> bool {
        self.pop_time.saturating_add(self.invisible) <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let handle = ReceiptHandle {
            pop_time: 1_715_000_000_000,
            invisible: 30_000,
            fifo: true,
            broker: "broker-0".into(),
            queue_id: 3,
            offset: 42,
            lease: 7,
        };
        let text = handle.encode();
        assert_eq!(text, "42 1715000000000 30000 999 0 broker-0 3 42 7");
        assert_eq!(ReceiptHandle::decode(&text), Some(handle));
        assert_eq!(ReceiptHandle::decode("not a handle"), None);
        assert_eq!(ReceiptHandle::decode("1 2 3 4 5 b x 8 9"), None);
    }
}
