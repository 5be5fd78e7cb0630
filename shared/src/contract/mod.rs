//! **Layer 1: the contract**, no I/O. What CAIC's API Callout nodes send us and what we answer,
//! route by route, what we send to CM.com's Routing Control API, and the rules of each field
//! ([`validate`]) and of what a callout really sends ([`callout`]). Imports nothing else of the
//! crate: every other layer may use it.
//!
//! Our own request shapes are strict (an unknown field is a dialog author's typo, refused);
//! CAIC's presence-check body is read leniently (CM.com may add fields). An unset optional value
//! (empty, or an unfilled `{{placeholder}}`) is not given (see [`callout`]). Responses are small
//! flat camelCase objects a CAIC Logical Step can branch on.

pub mod callout;
pub mod validate;

mod availability;
mod handover;
mod intake;
mod message;
mod routing;

pub use availability::*;
pub use handover::*;
pub use intake::*;
pub use message::*;
pub use routing::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_has_its_own_metric() {
        use AvailabilityReason as R;
        let availability: Vec<&str> = [
            R::AgentsAvailable,
            R::NoAgentsAvailable,
            R::UpstreamUnavailable,
            R::PresenceCheckDisabled,
            R::ChannelNotServed,
            R::OutsideBusinessHours,
            R::Closed,
            R::ClosedUntilFurtherNotice,
        ]
        .into_iter()
        .map(|r| AvailabilityResponse::new(AgentStatus::Offline, r).metric())
        .collect();
        assert_eq!(
            availability,
            [
                "AgentsOnline",
                "AgentsOffline",
                "PresenceUpstreamError",
                "PresenceCheckDisabled",
                "ChannelNotServed",
                "OutsideBusinessHours",
                "ClosedDate",
                "ClosedUntilFurtherNotice"
            ]
        );
        let intake = |stored, invalid: Vec<IntakeField>, reason| {
            IntakeResponse::new(stored, vec![IntakeField::Name], invalid, reason).metric()
        };
        assert_eq!(intake(true, vec![], None), "IntakeStored");
        assert_eq!(
            intake(false, vec![IntakeField::Email], None),
            "IntakeInvalid"
        );
        assert_eq!(intake(false, vec![], None), "IntakeRead");
        assert_eq!(
            intake(false, vec![], Some(IntakeReason::StoreUnavailable)),
            "IntakeStoreUnavailable"
        );
        let handover = |status, reason| {
            HandoverResponse {
                handover_status: status,
                reason,
            }
            .metric()
        };
        assert_eq!(handover(HandoverStatus::Success, None), "HandoverSucceeded");
        assert_eq!(
            handover(
                HandoverStatus::Success,
                Some(HandoverReason::AlreadyHandedOver)
            ),
            "HandoverDeduplicated"
        );
        assert_eq!(
            handover(
                HandoverStatus::Pending,
                Some(HandoverReason::HandoverInProgress)
            ),
            "HandoverInProgress"
        );
        for reason in [
            HandoverReason::UpstreamRejected,
            HandoverReason::UpstreamTimeout,
            HandoverReason::UpstreamUnreachable,
            HandoverReason::StoreUnavailable,
        ] {
            assert_eq!(
                handover(HandoverStatus::Failed, Some(reason)),
                "HandoverFailed"
            );
        }
    }
}
