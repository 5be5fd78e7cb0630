//! At most once per chat: the protocol around an upstream call whose effect must not happen
//! twice (the handover, the message).
//!
//! 1. **Claim.** One conditional write takes the step for this invocation, with a lease that
//!    outlives the call's budget ([`ClaimTerms`]). It finds one of three things ([`Claim`]): the
//!    claim is ours; another invocation holds it right now; or the step succeeded within the
//!    dedup window. The atomic "is the claim free?" check is a DynamoDB condition, in the store
//!    (`store::Store::claim`, per [`crate::adapters::store::OnceStep`]).
//! 2. **Call**, within the budget, only when the claim is ours.
//! 3. **Settle** the claim by the call's outcome ([`Settle::after`]): a success is recorded and
//!    answers every duplicate until the dedup window ends; a failure the upstream certainly did
//!    not act on releases the claim at once, so that the dialog's retry can run; a failure it may
//!    have acted on ([`UpstreamError::may_have_acted`]) follows the step's rule
//!    (`store::OnceStep::after_unknown`). The handover keeps its claim until the lease ends:
//!    once CM.com has the chat, CAIC sends nothing more, and a second routing request could move
//!    a chat an agent already took. The message marks its claim unconfirmed, so that the next
//!    call sends again at once (its e-mail saying it may repeat the first), since the chat stays
//!    with the bot and the customer's message must not be lost; a step allows at most
//!    `max_attempts` attempts without a known outcome, so no chat gets more than two e-mails.
//!
//! A claim write whose answer came late is retried by the SDK and then finds the claim it wrote
//! itself: [`resolve`] reads that as ours (same claim id). A claim whose holder crashed is taken
//! over when its lease ends, as a new attempt. The store holds no personal data for it: a
//! status, a claim id, an attempt number and times.

use std::time::Duration;

use crate::rules::clock::EpochSeconds;
use crate::rules::upstream::UpstreamError;

/// How long a claim outlives the call's budget before another invocation may take it over: more
/// than settling it can take (one DynamoDB operation, bounded by `aws::OPERATION_TIMEOUT`: the
/// test beside it checks the two) plus a second for the claim's whole-second clock.
pub const LEASE_MARGIN_SECONDS: u64 = 5;

/// What claiming a step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This invocation holds the claim and may make the call once.
    Claimed,
    /// This invocation holds the claim after an earlier attempt whose outcome nobody knows (its
    /// holder's lease ran out, or the upstream's answer was unknown): the call may repeat it.
    ClaimedAgain,
    /// Another invocation holds an unexpired claim: it is making the call right now.
    InProgress,
    /// The step succeeded for this chat within the dedup window.
    AlreadyDone,
    /// Every attempt the step allows was made and none was confirmed
    /// ([`crate::adapters::store::OnceStep::max_attempts`]): no further call is made.
    OutOfAttempts,
}

/// The state of a claim item that a claim write found in its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// A holder is making the call; after `lease_until` it may be taken over.
    Pending { lease_until: EpochSeconds },
    /// The call was made and its outcome is unknown; the step may try again (the message).
    Unconfirmed,
    /// The call succeeded.
    Succeeded,
}

/// A claim item found in the way of a claim write (one that is not past its expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundClaim<'a> {
    pub claim_id: Option<&'a str>,
    /// `None` when the item's status is none we write.
    pub state: Option<ClaimState>,
    /// Which attempt wrote it (1 for the first).
    pub attempt: u32,
}

/// What a claim write that found `FoundClaim` in its way means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict<'a> {
    /// The claim this invocation wrote itself: its write took effect and the answer came late,
    /// so the SDK's retry ran into it. It is ours.
    Ours { attempt: u32 },
    /// Someone holds a live claim.
    Live,
    /// The step succeeded.
    Done,
    /// The earlier attempt (claim id `from`) is over without a known outcome: take the claim
    /// over as this attempt.
    Retake { attempt: u32, from: &'a str },
    /// The earlier attempt was the last one the step allows.
    OutOfAttempts,
    /// Nothing we write: left alone, and logged.
    Unexpected,
}

/// Reads a claim item found in the way of claim `ours` at `now`, for a step that allows
/// `max_attempts` attempts whose outcome is unknown.
pub fn resolve<'a>(
    found: &FoundClaim<'a>,
    ours: &str,
    now: EpochSeconds,
    max_attempts: u32,
) -> Conflict<'a> {
    if found.claim_id == Some(ours) && matches!(found.state, Some(ClaimState::Pending { .. })) {
        return Conflict::Ours {
            attempt: found.attempt,
        };
    }
    let over = match found.state {
        None => return Conflict::Unexpected,
        Some(ClaimState::Succeeded) => return Conflict::Done,
        Some(ClaimState::Pending { lease_until }) if lease_until > now => return Conflict::Live,
        Some(ClaimState::Pending { .. } | ClaimState::Unconfirmed) => found.attempt,
    };
    match found.claim_id {
        None => Conflict::Unexpected,
        Some(_) if over >= max_attempts => Conflict::OutOfAttempts,
        Some(from) => Conflict::Retake {
            attempt: over.saturating_add(1),
            from,
        },
    }
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
    /// The upstream may have acted: the step's rule for an unknown outcome applies
    /// ([`crate::adapters::store::OnceStep::after_unknown`]).
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
    fn a_claim_in_the_way_is_read_by_who_wrote_it_and_what_became_of_it() {
        let found = |claim_id, state, attempt| FoundClaim {
            claim_id,
            state,
            attempt,
        };
        let pending = |lease_until| Some(ClaimState::Pending { lease_until });
        // our own write, answered late: ours, whatever its lease says
        assert_eq!(
            resolve(&found(Some("me"), pending(1_010), 2), "me", 1_000, 2),
            Conflict::Ours { attempt: 2 }
        );
        assert_eq!(
            resolve(&found(Some("them"), pending(1_010), 1), "me", 1_000, 2),
            Conflict::Live
        );
        assert_eq!(
            resolve(
                &found(Some("them"), Some(ClaimState::Succeeded), 1),
                "me",
                1_000,
                2
            ),
            Conflict::Done
        );
        // a lapsed lease or an unconfirmed attempt is taken over as the next attempt
        assert_eq!(
            resolve(&found(Some("them"), pending(1_000), 1), "me", 1_000, 2),
            Conflict::Retake {
                attempt: 2,
                from: "them"
            }
        );
        assert_eq!(
            resolve(
                &found(Some("them"), Some(ClaimState::Unconfirmed), 1),
                "me",
                1_000,
                2
            ),
            Conflict::Retake {
                attempt: 2,
                from: "them"
            }
        );
        // until the attempts run out
        assert_eq!(
            resolve(
                &found(Some("them"), Some(ClaimState::Unconfirmed), 2),
                "me",
                1_000,
                2
            ),
            Conflict::OutOfAttempts
        );
        // nothing we write
        assert_eq!(
            resolve(&found(Some("them"), None, 1), "me", 1_000, 2),
            Conflict::Unexpected
        );
        assert_eq!(
            resolve(
                &found(None, Some(ClaimState::Unconfirmed), 1),
                "me",
                1_000,
                2
            ),
            Conflict::Unexpected
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
