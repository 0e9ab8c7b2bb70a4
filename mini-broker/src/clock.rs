//! Broker time: the wall clock, or a virtual clock that tests move forward with
//! `MiniBroker::advance` so that timers, invisibility deadlines and transaction checks fire
//! without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub(crate) type Millis = i64;

/// Where the broker reads the current time from.
#[derive(Clone, Debug)]
pub(crate) enum Clock {
    Real,
    Virtual(Arc<AtomicI64>),
}

impl Clock {
    /// A virtual clock that starts at the current wall-clock time, so timestamps look real.
    pub(crate) fn virtual_from_now() -> Self {
        Clock::Virtual(Arc::new(AtomicI64::new(wall_millis())))
    }

    pub(crate) fn now(&self) -> Millis {
        match self {
            Clock::Real => wall_millis(),
            Clock::Virtual(now) => now.load(Ordering::Acquire),
        }
    }

    pub(crate) fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual(_))
    }

    /// Moves a virtual clock forward; returns false on a real clock.
    pub(crate) fn advance(&self, by: Millis) -> bool {
        match self {
            Clock::Real => false,
            Clock::Virtual(now) => {
                now.fetch_add(by, Ordering::AcqRel);
                true
            }
        }
    }
}

pub(crate) fn wall_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
