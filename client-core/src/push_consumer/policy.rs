//! The server's view of a push consumer's group, read from its latest Settings each time it
//! is needed, so a re-sync (a changed retry policy, FIFO flag or batch size) takes effect.

use crate::retry::{self, Backoff, RetryPolicy};
use rmq_proto::v2::{Settings, settings};
use std::time::Duration;

/// Wait between failed deliveries before the server says otherwise.
pub(super) const RETRY_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub(crate) struct GroupPolicy {
    pub fifo: bool,
    pub batch: i32,
    pub long_polling: Duration,
    pub retry: RetryPolicy,
}

impl GroupPolicy {
    /// The policy `settings` describe; without Settings, the reference client's defaults.
    pub(crate) fn from_settings(settings: Option<&Settings>) -> GroupPolicy {
        let fallback = RetryPolicy {
            max_attempts: u32::try_from(rmq_proto::limits::DEFAULT_MAX_DELIVERY_ATTEMPTS)
                .unwrap_or(17),
            backoff: Backoff::Customized(vec![RETRY_EVERY]),
        };
        let sub = settings.and_then(|s| match &s.pub_sub {
            Some(settings::PubSub::Subscription(sub)) => Some(sub),
            _ => None,
        });
        GroupPolicy {
            fifo: sub.and_then(|s| s.fifo).unwrap_or(false),
            batch: sub
                .and_then(|s| s.receive_batch_size)
                .filter(|b| *b > 0)
                .unwrap_or(32),
            long_polling: sub
                .and_then(|s| s.long_polling_timeout.as_ref())
                .map_or(Duration::from_secs(30), retry::duration),
            retry: settings
                .and_then(|s| s.backoff_policy.as_ref())
                .map_or(fallback.clone(), |p| RetryPolicy::from_proto(p, &fallback)),
        }
    }

    /// Delivery attempts before a FIFO message goes to the dead-letter queue.
    pub(super) fn max_attempts(&self) -> i32 {
        i32::try_from(self.retry.max_attempts).unwrap_or(i32::MAX)
    }

    /// Wait after delivery attempt `attempt` failed.
    pub(super) fn delay(&self, attempt: i32) -> Duration {
        self.retry
            .backoff
            .delay(u32::try_from(attempt).unwrap_or(1))
    }
}
