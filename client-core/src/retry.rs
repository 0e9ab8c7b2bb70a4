//! Retry policies as the server sends them in `Settings.backoff_policy`: how many attempts,
//! and how long to wait before the next one (exponential, or a customized list of steps).
//! The producer uses it between throttled send attempts, the push consumer between failed
//! deliveries of a message.

use rmq_proto::v2::{self, retry_policy};
use std::time::Duration;

/// How long to wait before the next attempt.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Backoff {
    /// `initial × multiplier^(attempt − 1)`, capped at `max`.
    Exponential {
        initial: Duration,
        max: Duration,
        multiplier: f64,
    },
    /// One step per attempt; the last step repeats.
    Customized(Vec<Duration>),
}

/// Attempts and backoff.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    pub backoff: Backoff,
}

impl RetryPolicy {
    /// The reference producer's policy until the server sends its own: 10 ms doubling to 1 s.
    pub(crate) fn producer_default(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts: max_attempts.max(1),
            backoff: Backoff::Exponential {
                initial: Duration::from_millis(10),
                max: Duration::from_secs(1),
                multiplier: 2.0,
            },
        }
    }

    /// The policy `proto` describes; fields it lacks or gets wrong keep `fallback`'s values.
    pub(crate) fn from_proto(proto: &v2::RetryPolicy, fallback: &RetryPolicy) -> RetryPolicy {
        let max_attempts = u32::try_from(proto.max_attempts)
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or(fallback.max_attempts);
        let backoff = match (&proto.strategy, &fallback.backoff) {
            (Some(retry_policy::Strategy::CustomizedBackoff(c)), _) if !c.next.is_empty() => {
                Backoff::Customized(c.next.iter().map(duration).collect())
            }
            (
                Some(retry_policy::Strategy::ExponentialBackoff(e)),
                Backoff::Exponential {
                    initial,
                    max,
                    multiplier,
                },
            ) => Backoff::Exponential {
                initial: e.initial.as_ref().map_or(*initial, duration),
                max: e.max.as_ref().map_or(*max, duration),
                multiplier: valid_multiplier(e.multiplier).unwrap_or(*multiplier),
            },
            (Some(retry_policy::Strategy::ExponentialBackoff(e)), Backoff::Customized(_)) => {
                Backoff::Exponential {
                    initial: e.initial.as_ref().map_or(Duration::from_secs(1), duration),
                    max: e.max.as_ref().map_or(Duration::from_secs(1), duration),
                    multiplier: valid_multiplier(e.multiplier).unwrap_or(2.0),
                }
            }
            _ => fallback.backoff.clone(),
        };
        RetryPolicy {
            max_attempts,
            backoff,
        }
    }

    /// Wait before attempt `next` (2 for the first retry). The reference producer asks its
    /// policy for step `next`, so the first retry already waits `initial × multiplier`.
    pub(crate) fn delay_before(&self, next: u32) -> Duration {
        self.backoff.delay(next)
    }
}

impl Backoff {
    /// Wait after attempt `attempt` (1-based) failed.
    pub(crate) fn delay(&self, attempt: u32) -> Duration {
        let attempt = attempt.max(1);
        match self {
            Backoff::Customized(steps) => {
                let index = usize::try_from(attempt - 1)
                    .unwrap_or(usize::MAX)
                    .min(steps.len().saturating_sub(1));
                steps.get(index).copied().unwrap_or(Duration::from_secs(1))
            }
            Backoff::Exponential {
                initial,
                max,
                multiplier,
            } => {
                let exponent = i32::try_from(attempt - 1).unwrap_or(i32::MAX);
                let secs = initial.as_secs_f64() * multiplier.powi(exponent);
                Duration::from_secs_f64(secs.min(max.as_secs_f64()).max(0.0))
            }
        }
    }
}

fn valid_multiplier(m: f32) -> Option<f64> {
    (m.is_finite() && m >= 1.0).then_some(f64::from(m))
}

/// A protobuf duration; negative parts count as zero.
pub(crate) fn duration(d: &prost_types::Duration) -> Duration {
    Duration::from_secs(u64::try_from(d.seconds).unwrap_or(0))
        + Duration::from_nanos(u64::try_from(d.nanos).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exponential(initial_ms: u64, max_ms: u64, multiplier: f64) -> Backoff {
        Backoff::Exponential {
            initial: Duration::from_millis(initial_ms),
            max: Duration::from_millis(max_ms),
            multiplier,
        }
    }

    #[test]
    fn exponential_grows_and_caps() {
        let policy = RetryPolicy::producer_default(3);
        assert_eq!(policy.delay_before(2), Duration::from_millis(20));
        assert_eq!(policy.delay_before(3), Duration::from_millis(40));
        assert_eq!(policy.delay_before(40), Duration::from_secs(1));
        let b = exponential(5_000, 60_000, 2.0);
        assert_eq!(b.delay(1), Duration::from_secs(5));
        assert_eq!(b.delay(3), Duration::from_secs(20));
        assert_eq!(b.delay(10), Duration::from_secs(60));
    }

    #[test]
    fn customized_steps_repeat_the_last() {
        let b = Backoff::Customized(vec![Duration::from_secs(1), Duration::from_secs(5)]);
        assert_eq!(b.delay(1), Duration::from_secs(1));
        assert_eq!(b.delay(2), Duration::from_secs(5));
        assert_eq!(b.delay(9), Duration::from_secs(5));
        assert_eq!(
            Backoff::Customized(Vec::new()).delay(1),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn server_policies_replace_what_they_carry() {
        let fallback = RetryPolicy::producer_default(3);
        let secs = |s| prost_types::Duration {
            seconds: s,
            nanos: 0,
        };
        let custom = v2::RetryPolicy {
            max_attempts: 5,
            strategy: Some(retry_policy::Strategy::CustomizedBackoff(
                v2::CustomizedBackoff {
                    next: vec![secs(1), secs(10)],
                },
            )),
        };
        let parsed = RetryPolicy::from_proto(&custom, &fallback);
        assert_eq!(parsed.max_attempts, 5);
        assert_eq!(parsed.backoff.delay(2), Duration::from_secs(10));
        let bad = v2::RetryPolicy {
            max_attempts: -1,
            strategy: Some(retry_policy::Strategy::ExponentialBackoff(
                v2::ExponentialBackoff {
                    initial: Some(secs(2)),
                    max: None,
                    multiplier: f32::NAN,
                },
            )),
        };
        let parsed = RetryPolicy::from_proto(&bad, &fallback);
        assert_eq!(
            parsed.max_attempts, 3,
            "a negative count keeps the fallback"
        );
        assert_eq!(parsed.backoff, exponential(2_000, 1_000, 2.0));
    }
}
