//! Retrying an upstream call, only where that is safe, inside the caller's deadline: capped
//! exponential backoff with full jitter (each wait is uniform between zero and the cap for that
//! retry), so that a crowd of functions retrying together spreads out instead of piling up.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::rules::upstream::UpstreamError;

/// An attempt with less time than this left is not worth starting.
pub const MIN_ATTEMPT: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The cap of the first wait; each retry doubles it...
    pub base: Duration,
    /// ...up to this.
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
}

impl Backoff {
    /// For CM.com calls: at most 3 attempts, waits of up to 100 ms, then 200 ms.
    pub const UPSTREAM: Backoff = Backoff {
        base: Duration::from_millis(100),
        cap: Duration::from_millis(400),
        max_attempts: 3,
    };

    /// The wait before retry number `retry` (1 for the first retry), for a random `draw`.
    pub fn delay(&self, retry: u32, draw: u64) -> Duration {
        let exponent = retry.saturating_sub(1).min(16);
        let ceiling = self.base.saturating_mul(1 << exponent).min(self.cap);
        let ceiling_ms = ceiling.as_millis() as u64;
        Duration::from_millis(if ceiling_ms == 0 {
            0
        } else {
            draw % (ceiling_ms + 1)
        })
    }
}

/// Whether a failure may pass when the call is made again: not connected, 429, 502, 503, 504.
fn may_pass(error: &UpstreamError) -> bool {
    matches!(
        error,
        UpstreamError::NotConnected | UpstreamError::Status(429 | 502 | 503 | 504)
    )
}

/// Whether a read (the presence GET) may be repeated after `error`: it changes nothing, so
/// whenever the failure may pass, but for a 429: the upstream asked us to slow down, and
/// another try within a second would spend the shop's quota (MSC's) for an answer that a stale
/// one or `upstream_unavailable` gives as well.
pub fn read_may_repeat(error: &UpstreamError) -> bool {
    may_pass(error) && *error != UpstreamError::Status(429)
}

/// Whether a call that acts (the handover POST) may be repeated after `error`: a failure that
/// may pass on which the upstream certainly did not act ([`UpstreamError::may_have_acted`]): it
/// never left (not connected) or was refused unprocessed (429). A 502-504 or a timeout may come
/// after the upstream received the request: never repeated.
pub fn action_may_repeat(error: &UpstreamError) -> bool {
    may_pass(error) && !error.may_have_acted()
}

/// Runs `attempt` (given the time left) until it succeeds, fails in a way `may_repeat` refuses,
/// runs out of attempts, or the deadline leaves no room for a wait and another attempt.
pub async fn retrying<T, F, Fut>(
    deadline: Instant,
    backoff: Backoff,
    may_repeat: fn(&UpstreamError) -> bool,
    mut attempt: F,
) -> Result<T, UpstreamError>
where
    F: FnMut(Duration) -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let mut retry = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left < MIN_ATTEMPT {
            return Err(UpstreamError::Timeout);
        }
        let error = match attempt(left).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        retry += 1;
        if retry >= backoff.max_attempts || !may_repeat(&error) {
            return Err(error);
        }
        let wait = backoff.delay(retry, random());
        if deadline.saturating_duration_since(Instant::now()) < wait + MIN_ATTEMPT {
            return Err(error);
        }
        tracing::debug!(%error, retry, wait_ms = wait.as_millis() as u64, "retrying upstream call");
        tokio::time::sleep(wait).await;
    }
}

fn random() -> u64 {
    let mut bytes = [0u8; 8];
    // without entropy the wait is simply the shortest: still correct, only less spread
    let _ = getrandom::getrandom(&mut bytes);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_jittered_below_a_doubling_capped_ceiling() {
        let b = Backoff::UPSTREAM;
        assert_eq!(b.delay(1, 0), Duration::ZERO);
        assert_eq!(b.delay(1, 100), Duration::from_millis(100));
        assert_eq!(b.delay(1, 101), Duration::ZERO);
        assert_eq!(b.delay(2, 200), Duration::from_millis(200));
        assert_eq!(b.delay(3, 400), Duration::from_millis(400));
        assert_eq!(b.delay(9, u64::MAX), Duration::from_millis(u64::MAX % 401));
        for draw in [1, 7, 12345, u64::MAX] {
            for retry in 1..40 {
                assert!(b.delay(retry, draw) <= b.cap);
            }
        }
    }

    #[test]
    fn only_safe_failures_are_repeated() {
        use UpstreamError::*;
        for e in [NotConnected, Status(502), Status(503), Status(504)] {
            assert!(read_may_repeat(&e), "{e:?}");
        }
        for e in [
            Status(429),
            Timeout,
            Unreachable,
            Status(500),
            Status(400),
            Status(302),
            UnreadableBody,
        ] {
            assert!(!read_may_repeat(&e), "{e:?}");
        }
        for e in [NotConnected, Status(429)] {
            assert!(action_may_repeat(&e), "{e:?}");
        }
        for e in [
            Timeout,
            Unreachable,
            Status(500),
            Status(502),
            Status(503),
            Status(504),
            Status(401),
        ] {
            assert!(!action_may_repeat(&e), "{e:?}");
        }
        // exactly these two, over every status and every other failure
        let mut repeated: Vec<UpstreamError> = (100..600).map(Status).collect();
        repeated.extend([
            Timeout,
            NotConnected,
            Unreachable,
            UnreadableBody,
            InvalidToken,
        ]);
        repeated.retain(action_may_repeat);
        assert_eq!(repeated, [Status(429), NotConnected]);
    }

    /// With less than [`MIN_ATTEMPT`] left, no attempt starts; with exactly that much, one does.
    #[tokio::test(start_paused = true)]
    async fn no_attempt_starts_with_less_than_the_minimum_left() {
        for (left, wanted_calls) in [
            (Duration::ZERO, 0),
            (MIN_ATTEMPT / 2, 0),
            (MIN_ATTEMPT - Duration::from_millis(1), 0),
            (MIN_ATTEMPT, 1),
            (MIN_ATTEMPT * 2, 1),
        ] {
            let mut calls = 0;
            let result = retrying(
                Instant::now() + left,
                Backoff::UPSTREAM,
                read_may_repeat,
                |_| {
                    calls += 1;
                    async { Ok(()) }
                },
            )
            .await;
            let wanted = if wanted_calls == 0 {
                Err(UpstreamError::Timeout)
            } else {
                Ok(())
            };
            assert_eq!((result, calls), (wanted, wanted_calls), "{left:?} left");
        }
    }

    /// A retry starts while its wait and a whole attempt still fit before the deadline, to the
    /// millisecond; with no wait (a zero backoff) and the clock standing, exactly
    /// [`MIN_ATTEMPT`] left is enough for every attempt.
    #[tokio::test(start_paused = true)]
    async fn a_retry_starts_while_its_wait_and_an_attempt_fit() {
        let no_wait = Backoff {
            base: Duration::ZERO,
            cap: Duration::ZERO,
            max_attempts: 3,
        };
        let mut calls = 0;
        let result: Result<(), _> = retrying(
            Instant::now() + MIN_ATTEMPT,
            no_wait,
            read_may_repeat,
            |_| {
                calls += 1;
                async { Err(UpstreamError::NotConnected) }
            },
        )
        .await;
        assert_eq!((result, calls), (Err(UpstreamError::NotConnected), 3));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_stop_at_the_attempt_limit_and_at_the_deadline() {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut calls = 0;
        let result: Result<(), _> = retrying(deadline, Backoff::UPSTREAM, read_may_repeat, |_| {
            calls += 1;
            async { Err(UpstreamError::Status(503)) }
        })
        .await;
        assert_eq!((result, calls), (Err(UpstreamError::Status(503)), 3));

        let mut calls = 0;
        let result: Result<(), _> =
            retrying(deadline, Backoff::UPSTREAM, action_may_repeat, |_| {
                calls += 1;
                async { Err(UpstreamError::Status(503)) }
            })
            .await;
        assert_eq!((result, calls), (Err(UpstreamError::Status(503)), 1));

        let mut calls = 0;
        let result = retrying(deadline, Backoff::UPSTREAM, read_may_repeat, |_| {
            calls += 1;
            let outcome = if calls < 3 {
                Err(UpstreamError::NotConnected)
            } else {
                Ok(calls)
            };
            async move { outcome }
        })
        .await;
        assert_eq!(result, Ok(3));

        let tight = Instant::now() + Duration::from_millis(150);
        let mut calls = 0;
        let result: Result<(), _> = retrying(tight, Backoff::UPSTREAM, read_may_repeat, |_| {
            calls += 1;
            async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(UpstreamError::Status(503))
            }
        })
        .await;
        assert_eq!((result, calls), (Err(UpstreamError::Status(503)), 1));
    }
}
