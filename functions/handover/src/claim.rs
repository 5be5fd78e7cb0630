//! The handover, at most once per chat: claim it, read the chat's intake and route meanwhile, send the one
//! routing mutation request, settle the claim by its outcome (the protocol is
//! [`shared::rules::once`]), erase the intake once CM.com has it, and answer in the dialog's terms.

use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use tokio::time::Instant;

use crate::context::{destination, handover_context};
use crate::order::HandoverOrder;
use shared::adapters::cm::mutations::RoutingMutations;
use shared::adapters::cm::routing::RoutingControl;
use shared::adapters::store::{HeldClaim, OnceStep, Store};
use shared::contract::{HandoverReason, HandoverResponse, HandoverStatus, RoutingMutationRequest};
use shared::rules::clock::Clock;
use shared::rules::once::{Claim, ClaimTerms, Settle};
use shared::rules::summary::asked_at;
use shared::rules::upstream::UpstreamError;
use shared::rules::words;
use shared::setup::channel::ChatChannel;
use shared::setup::team_language::TeamLanguage;

/// Kept back from the budget for recording the outcome after the upstream call.
const FINISH_RESERVE: Duration = Duration::from_millis(300);

/// What a handover needs besides the request: the claim's store, CM.com's Routing Control, the
/// mutations it asks for (by the chat's channel) and the terms around it.
pub struct Handover {
    pub store: Store,
    pub routing: RoutingControl,
    pub mutations: RoutingMutations,
    /// How long a success answers duplicates (`HANDOVER_DEDUP_SECONDS`).
    pub dedup_seconds: u64,
    /// The zone of the time in the `summary` line (`HANDOVER_TIME_ZONE`, UTC by default).
    pub time_zone: TimeZone,
    /// The language of the `summary` line: the receiving web store's team's.
    pub team_language: TeamLanguage,
    pub clock: Arc<dyn Clock>,
}

impl Handover {
    /// Hands the chat, on `channel`, over within `budget` (the configured budget, or less when the Lambda
    /// invocation ends sooner).
    pub async fn hand_over(
        &self,
        order: &HandoverOrder,
        channel: ChatChannel,
        claim_id: &str,
        budget: Duration,
    ) -> HandoverResponse {
        let started = Instant::now();
        let now = self.clock.now();
        let terms = ClaimTerms::new(now, budget, self.dedup_seconds);
        // The claim and the read of the chat's intake and route (one BatchGetItem) are
        // independent: side by side, the handover waits for one DynamoDB round trip instead of
        // two. An unread chat releases the claim.
        let (claim, read) = tokio::join!(
            self.store
                .claim(OnceStep::Handover, &order.chat, claim_id, terms),
            self.store.intake_and_route(&order.chat, now),
        );
        match claim {
            // a handover's lapsed claim is taken over as before (it allows every attempt)
            Ok(Claim::Claimed | Claim::ClaimedAgain) => {}
            Ok(Claim::InProgress | Claim::OutOfAttempts) => {
                return answer(
                    HandoverStatus::Pending,
                    Some(HandoverReason::HandoverInProgress),
                );
            }
            Ok(Claim::AlreadyDone) => {
                return answer(
                    HandoverStatus::Success,
                    Some(HandoverReason::AlreadyHandedOver),
                );
            }
            Err(error) => {
                tracing::error!(%error, "handover not claimed; nothing sent");
                return failed(HandoverReason::StoreUnavailable);
            }
        }
        let held = HeldClaim {
            step: OnceStep::Handover,
            chat: &order.chat,
            claim_id,
        };
        let (intake, route) = match read {
            Ok((intake, route)) => (intake.unwrap_or_default(), route),
            Err(error) => {
                tracing::error!(%error, "intake and route not read; claim released, nothing sent");
                self.store.give_up(&held).await;
                return failed(HandoverReason::StoreUnavailable);
            }
        };

        let to = destination(order.webstore.as_deref(), route.as_ref());
        if let Some(from) = &to.overflow_from {
            tracing::info!(overflow_from = %from, webstore = to.webstore.as_deref(), "handing over to the web store the chat overflowed to");
        }
        let words = words::of(self.team_language.of(to.webstore.as_deref()).await);
        let body = RoutingMutationRequest {
            chat_id: order.chat.as_str().to_owned(),
            mutations: self.mutations.for_channel(channel).to_vec(),
            context: handover_context(&intake, order, &to, &asked_at(now, &self.time_zone), words),
        };
        let deadline = started + budget.saturating_sub(FINISH_RESERVE);
        let calling = Instant::now();
        let outcome = self
            .routing
            .request_mutations(&order.chat, &body, deadline)
            .await;
        shared::setup::metrics::latency(shared::setup::metrics::ROUTING_LATENCY, calling.elapsed());

        let now = self.clock.now();
        let settled = self
            .store
            .settle(
                &held,
                "routing control",
                Settle::after(&outcome),
                now,
                now + self.dedup_seconds,
            )
            .await;
        match settled {
            Ok(()) => answer(HandoverStatus::Success, None),
            Err(error) => failed(upstream_reason(error)),
        }
    }
}

pub fn upstream_reason(error: &UpstreamError) -> HandoverReason {
    match error {
        UpstreamError::Timeout => HandoverReason::UpstreamTimeout,
        UpstreamError::NotConnected | UpstreamError::Unreachable => {
            HandoverReason::UpstreamUnreachable
        }
        UpstreamError::Status(_)
        | UpstreamError::UnreadableBody
        | UpstreamError::UnrecognisedAnswer { .. }
        | UpstreamError::InvalidToken => HandoverReason::UpstreamRejected,
    }
}

fn answer(status: HandoverStatus, reason: Option<HandoverReason>) -> HandoverResponse {
    HandoverResponse {
        handover_status: status,
        reason,
    }
}

fn failed(reason: HandoverReason) -> HandoverResponse {
    answer(HandoverStatus::Failed, Some(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_errors_map_to_reasons() {
        assert_eq!(
            upstream_reason(&UpstreamError::Status(503)),
            HandoverReason::UpstreamRejected
        );
        assert_eq!(
            upstream_reason(&UpstreamError::Status(302)),
            HandoverReason::UpstreamRejected
        );
        assert_eq!(
            upstream_reason(&UpstreamError::Timeout),
            HandoverReason::UpstreamTimeout
        );
        assert_eq!(
            upstream_reason(&UpstreamError::NotConnected),
            HandoverReason::UpstreamUnreachable
        );
        assert_eq!(
            upstream_reason(&UpstreamError::Unreachable),
            HandoverReason::UpstreamUnreachable
        );
    }
}
