//! Connection warm-up during init. A function's first request would otherwise open its
//! connections (TCP, TLS, the SDK's credential and endpoint set-up) while the customer waits;
//! Lambda runs init before that request and, at small memory sizes, with more CPU than the
//! request gets. So each function makes one cheap round trip on each connection its first
//! request uses (handover: two to DynamoDB) while it starts, bounded by `WARM_UP_MS`, and starts
//! anyway when a dependency is slow or down: a failed warm-up is logged and the first request
//! connects by itself, as it would have without.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use crate::setup::config::{ConfigError, Env, WARM_UP_MS};

pub const DEFAULT_WARM_UP_MS: u64 = 300;
pub const MAX_WARM_UP_MS: u64 = 2000;

/// How long init may spend on each warm-up: `WARM_UP_MS` (0 switches warm-up off).
pub fn limit(env: &Env) -> Result<Duration, ConfigError> {
    env.u64_in(WARM_UP_MS, DEFAULT_WARM_UP_MS, 0, MAX_WARM_UP_MS)
        .map(Duration::from_millis)
}

/// Makes `round_trip` (one request to `dependency`) within `limit`; logs how it went. Never
/// fails: `true` when the connection is open now.
pub async fn warm_up<E: Display>(
    dependency: &'static str,
    limit: Duration,
    round_trip: impl Future<Output = Result<(), E>>,
) -> bool {
    if limit.is_zero() {
        return false;
    }
    let started = Instant::now();
    let outcome = tokio::time::timeout(limit, round_trip).await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(Ok(())) => {
            tracing::info!(dependency, duration_ms, "connection warmed");
            true
        }
        Ok(Err(error)) => {
            tracing::warn!(dependency, duration_ms, %error, "warm-up failed; the first request connects by itself");
            false
        }
        Err(_) => {
            tracing::warn!(
                dependency,
                duration_ms,
                "warm-up timed out; the first request connects by itself"
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_dependency_that_never_answers_costs_the_limit_and_no_failure() {
        let started = tokio::time::Instant::now();
        let warmed = warm_up(
            "never",
            Duration::from_millis(300),
            std::future::pending::<Result<(), String>>(),
        )
        .await;
        assert!(!warmed);
        assert_eq!(started.elapsed(), Duration::from_millis(300));
    }

    #[tokio::test]
    async fn an_answer_warms_and_an_error_does_not() {
        let ok = warm_up("ok", Duration::from_secs(1), async { Ok::<(), String>(()) }).await;
        let refused = warm_up("refused", Duration::from_secs(1), async {
            Err::<(), _>("connection refused")
        })
        .await;
        assert!(ok);
        assert!(!refused);
    }

    #[tokio::test]
    async fn a_zero_limit_switches_warm_up_off_without_calling() {
        let called = AtomicBool::new(false);
        let warmed = warm_up("off", Duration::ZERO, async {
            called.store(true, Ordering::SeqCst);
            Ok::<(), String>(())
        })
        .await;
        assert!(!warmed);
        assert!(!called.load(Ordering::SeqCst));
    }

    #[test]
    fn the_limit_is_read_from_warm_up_ms() {
        let limit_of = |value: Option<&str>| {
            let pairs: Vec<(&str, &str)> = value.map(|v| (WARM_UP_MS, v)).into_iter().collect();
            limit(&Env::from_pairs(pairs))
        };
        assert_eq!(
            limit_of(None).ok(),
            Some(Duration::from_millis(DEFAULT_WARM_UP_MS))
        );
        assert_eq!(limit_of(Some("0")).ok(), Some(Duration::ZERO));
        assert_eq!(limit_of(Some("2000")).ok(), Some(Duration::from_secs(2)));
        let too_long = limit_of(Some("2001")).map_err(|e| e.to_string());
        assert_eq!(
            too_long,
            Err("configuration: WARM_UP_MS must be a whole number from 0 to 2000".to_owned())
        );
    }
}
