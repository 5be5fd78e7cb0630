//! Wall-clock time as epoch seconds, behind a seam so that expiry can be tested at any time.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::store::EpochSeconds;

pub trait Clock: Send + Sync {
    fn now(&self) -> EpochSeconds;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> EpochSeconds {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    }
}

/// A clock that always says the same time (for tests and replays).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub EpochSeconds);

impl Clock for FixedClock {
    fn now(&self) -> EpochSeconds {
        self.0
    }
}
