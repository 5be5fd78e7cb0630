//! Wall-clock time as epoch seconds, behind a seam so that expiry can be tested at any time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub type EpochSeconds = u64;

pub trait Clock: Send + Sync {
    fn now(&self) -> EpochSeconds;
}

/// Epoch seconds as a calendar-aware timestamp (for opening hours and the handover summary);
/// a value past year 9999 reads as the latest timestamp there is.
pub fn timestamp(epoch_seconds: EpochSeconds) -> jiff::Timestamp {
    i64::try_from(epoch_seconds)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or(jiff::Timestamp::MAX)
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
