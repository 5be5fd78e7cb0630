//! At most once per chat: the protocol around an upstream call whose effect must not happen
//! twice (the handover, the message).
//!
//! 1. **Claim.** One conditional write takes the step for this invocation, with a lease that
//!    outlives the call's budget ([`ClaimTerms`]). It finds one of three things ([`Claim`]): the
//!    claim is ours; another invocation holds it right now; or the step succeeded within the
//!    dedup window. The atomic "is the claim free?" check is a DynamoDB condition, in the store
//!    (`store::Store::claim`, per [`crate::store::OnceStep`]).
//! 2. **Call**, within the budget, only when the claim is ours.
//! 3. **Settle** the claim by the call's outcome ([`Settle::after`]): a success is recorded and
//!    answers every duplicate until the dedup window ends; a failure the upstream certainly did
//!    not act on releases the claim at once, so that the dialog's retry can run; a failure it may
//!    have acted on ([`UpstreamError::may_have_acted`]) keeps the claim until its lease ends, so
//!    that an automatic retry arriving meanwhile cannot act a second time.
//!
//! A claim whose holder crashed ends with its lease. The store holds no personal data for it: a
//! status, a claim id and times.

use std::time::Duration;

use crate::clock::EpochSeconds;
use crate::upstream::UpstreamError;

/// How long a claim outlives the call's budget before another invocation may take it over: more
/// than settling it can take (one DynamoDB operation, bounded by `aws::OPERATION_TIMEOUT`: the
/// test beside it checks the two) plus a second for the claim's whole-second clock.
pub const LEASE_MARGIN_SECONDS: u64 = 5;

/// What claiming a step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This invocation holds the claim and may make the call once.
    Claimed,
    /// Another invocation holds an unexpired claim: it is making the call right now.
    InProgress,
    /// The step succeeded for this chat within the dedup window.
    AlreadyDone,
}

/// The timing of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimTerms {
    pub now: EpochSeconds,
    /// Until when this claim blocks others while its call runs; after that it may be taken over
    /// (its holder crashed or timed out).
    pub lease_until: EpochSeconds,
    /// Until when a success blocks the step from running again.
    pub dedup_until: EpochSeconds,
}

impl ClaimTerms {
    /// The terms of a claim taken at `now` for a call that may take `budget`, whose success
    /// blocks the step for `dedup_seconds`.
    pub fn new(now: EpochSeconds, budget: Duration, dedup_seconds: u64) -> Self {
        let budget_seconds = u64::try_from(budget.as_millis().div_ceil(1000)).unwrap_or(u64::MAX);
        Self {
            now,
            lease_until: now
                .saturating_add(budget_seconds)
                .saturating_add(LEASE_MARGIN_SECONDS),
            dedup_until: now.saturating_add(dedup_seconds),
        }
    }
}

/// What becomes of a held claim once its call is over.
#[derive(Debug, PartialEq, Eq)]
pub enum Settle<'e> {
    /// The call succeeded: record it, so that duplicates are answered from the record.
    Record,
    /// The upstream certainly did not act: give the claim up now.
    Release(&'e UpstreamError),
    /// The upstream may have acted: keep the claim until its lease ends.
    Keep(&'e UpstreamError),
}

impl<'e> Settle<'e> {
    pub fn after<T>(outcome: &'e Result<T, UpstreamError>) -> Self {
        match outcome {
            Ok(_) => Self::Record,
            Err(error) if error.may_have_acted() => Self::Keep(error),
            Err(error) => Self::Release(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_covers_the_whole_budget_and_the_margin() {
        let terms = ClaimTerms::new(1_000, Duration::from_millis(5_000), 900);
        assert_eq!(
            terms,
            ClaimTerms {
                now: 1_000,
                lease_until: 1_010,
                dedup_until: 1_900
            }
        );
        // a part of a second counts as a whole one
        assert_eq!(
            ClaimTerms::new(1_000, Duration::from_millis(4_001), 900).lease_until,
            1_010
        );
        assert_eq!(
            ClaimTerms::new(1_000, Duration::ZERO, 1).lease_until,
            1_000 + LEASE_MARGIN_SECONDS
        );
        assert_eq!(
            ClaimTerms::new(u64::MAX - 1, Duration::MAX, u64::MAX),
            ClaimTerms {
                now: u64::MAX - 1,
                lease_until: u64::MAX,
                dedup_until: u64::MAX
            }
        );
    }

    #[test]
    fn a_claim_is_kept_only_when_the_upstream_may_have_acted() {
        use UpstreamError::*;
        assert_eq!(Settle::after(&Ok::<(), UpstreamError>(())), Settle::Record);
        for kept in [Timeout, Unreachable, Status(500), Status(503)] {
            let outcome: Result<(), _> = Err(kept);
            assert!(
                matches!(Settle::after(&outcome), Settle::Keep(_)),
                "{outcome:?}"
            );
        }
        for released in [NotConnected, Status(400), Status(429), InvalidToken] {
            let outcome: Result<(), _> = Err(released);
            assert!(
                matches!(Settle::after(&outcome), Settle::Release(_)),
                "{outcome:?}"
            );
        }
    }
}
