//! The request's time budget: the configured one, shrunk to what is left of the invocation.

use std::time::Duration;

use lambda_http::{Request, RequestExt};

/// How long Lambda still gives this invocation, from its context's deadline; `None` when
/// there is no usable deadline: no context (tests), or one that has already passed. Lambda
/// stops a function at its deadline, so a past one is not real: `cargo lambda watch` (1.9)
/// sends one with every invocation.
pub fn time_left(req: &Request) -> Option<Duration> {
    let context = req.lambda_context_ref()?;
    context
        .deadline()
        .duration_since(std::time::SystemTime::now())
        .ok()
        .filter(|left| !left.is_zero())
}

/// Kept back from a Lambda invocation's own deadline, to answer before Lambda cuts us off.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(250);

/// The time a request may take: the configured budget, or less when the invocation's deadline
/// comes sooner (`time_left` is what Lambda still gives it; `None` outside Lambda).
pub fn budget_within(configured: Duration, time_left: Option<Duration>) -> Duration {
    match time_left {
        Some(left) => configured.min(left.saturating_sub(DEADLINE_MARGIN)),
        None => configured,
    }
}

/// This request's time budget: `configured`, or less when the Lambda invocation ends sooner
/// (see [`budget_within`]).
pub fn budget(req: &Request, configured: Duration) -> Duration {
    let time_left = time_left(req);
    let budget = budget_within(configured, time_left);
    tracing::debug!(
        budget_ms = budget.as_millis() as u64,
        invocation_left_ms = time_left.map(|t| t.as_millis() as u64),
        "time budget"
    );
    budget
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_shrinks_to_the_invocations_deadline() {
        let five = Duration::from_secs(5);
        assert_eq!(budget_within(five, None), five);
        assert_eq!(budget_within(five, Some(Duration::from_secs(60))), five);
        assert_eq!(
            budget_within(five, Some(Duration::from_secs(1))),
            Duration::from_millis(750)
        );
        assert_eq!(
            budget_within(five, Some(Duration::from_millis(100))),
            Duration::ZERO
        );
    }

    #[test]
    fn only_a_future_lambda_deadline_counts() {
        use std::time::{SystemTime, UNIX_EPOCH};
        let at = |deadline: SystemTime| {
            let mut context = lambda_http::Context::default();
            context.deadline = deadline
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or_default();
            Request::default().with_lambda_context(context)
        };
        assert_eq!(time_left(&Request::default()), None);
        assert_eq!(time_left(&at(UNIX_EPOCH)), None);
        assert_eq!(
            time_left(&at(SystemTime::now() - Duration::from_secs(1))),
            None
        );
        let left = time_left(&at(SystemTime::now() + Duration::from_secs(60)));
        assert!(
            left.is_some_and(|l| l > Duration::from_secs(50) && l <= Duration::from_secs(60)),
            "{left:?}"
        );
    }
}
