//! `handover#<chatId>` and `message#<chatId>`: the claims that make a step happen at most once
//! ([`crate::rules::once`]): taking one (its "is the claim free?" condition), settling it after the
//! upstream call, and releasing it.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use super::table::{
    EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE, Store, StoreError, is_expired, number, number_value, str_value,
};
use crate::contract::validate::ChatId;
use crate::rules::once::{self, Claim, ClaimState, ClaimTerms, Conflict, FoundClaim};

pub(super) const CLAIM_ID: &str = "claimId";
pub(super) const LEASE_EXPIRES_AT: &str = "leaseExpiresAt";
pub(super) const ATTEMPT: &str = "attempt";
const PENDING: &str = "pending";
pub(super) const UNCONFIRMED: &str = "unconfirmed";
pub(super) const SUCCEEDED: &str = "success";

/// How many times a claim write looks again after finding an earlier attempt in its way.
const RETAKES: usize = 3;

/// A step done at most once per chat ([`crate::rules::once`]), each with a claim item of its own, so
/// that a chat whose handover failed can still leave a message, and the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnceStep {
    /// The handover to an MSC agent (dialog step 4).
    Handover,
    /// The one e-mail to the support mailbox (the dialog's offline branch).
    Message,
}

/// What a step does after a call whose outcome is unknown ([`crate::rules::once::Settle::Keep`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterUnknown {
    /// Keep the claim until its lease ends: duplicates meanwhile answer "in progress".
    KeepLease,
    /// Mark the claim unconfirmed: the next call may try again at once, up to
    /// [`OnceStep::max_attempts`].
    TryAgain,
}

impl OnceStep {
    /// The rule after an unknown outcome: the handover keeps its claim (CM.com may have the chat,
    /// and CAIC sends nothing more once it does); the message lets the next call send again (the
    /// chat stays with the bot, and a lost message is worse than a repeated one).
    pub fn after_unknown(self) -> AfterUnknown {
        match self {
            Self::Handover => AfterUnknown::KeepLease,
            Self::Message => AfterUnknown::TryAgain,
        }
    }

    /// How many attempts without a known outcome the step allows: a handover's lapsed claim is
    /// always taken over; a chat gets at most two e-mails.
    pub fn max_attempts(self) -> u32 {
        match self {
            Self::Handover => u32::MAX,
            Self::Message => 2,
        }
    }
}

/// A claim this invocation holds: which step, for which chat, under which claim id.
#[derive(Debug, Clone, Copy)]
pub struct HeldClaim<'a> {
    pub step: OnceStep,
    pub chat: &'a ChatId,
    pub claim_id: &'a str,
}

/// A step's claim item: its key prefix (`<prefix>#<chatId>`) and the names of its status and
/// completion-time attributes.
pub(super) struct OnceItem {
    prefix: &'static str,
    pub(super) status: &'static str,
    pub(super) done_at: &'static str,
}

impl OnceStep {
    pub(super) fn item(self) -> OnceItem {
        match self {
            Self::Handover => OnceItem {
                prefix: "handover",
                status: "handoverStatus",
                done_at: "handedOverAt",
            },
            Self::Message => OnceItem {
                prefix: "message",
                status: "messageStatus",
                done_at: "sentAt",
            },
        }
    }
}

impl OnceItem {
    pub(super) fn key(&self, chat: &ChatId) -> String {
        format!("{}#{}", self.prefix, chat.as_str())
    }
}

impl Store {
    /// Claims `step` for the chat, so that of any number of concurrent invocations exactly one
    /// gets [`Claim::Claimed`] (or [`Claim::ClaimedAgain`]). One conditional write takes a claim
    /// that is free (no record, or one past its expiry); what it finds in its way otherwise is
    /// read by [`once::resolve`]: our own write whose answer came late, a live claim, a success,
    /// or an earlier attempt without a known outcome, which a second conditional write takes over
    /// (at most [`OnceStep::max_attempts`] attempts).
    pub async fn claim(
        &self,
        step: OnceStep,
        chat: &ChatId,
        claim_id: &str,
        terms: ClaimTerms,
    ) -> Result<Claim, StoreError> {
        let mut taking_over: Option<(u32, String)> = None;
        for _ in 0..=RETAKES {
            let found = match self
                .write_claim(step, chat, claim_id, terms, taking_over.as_ref())
                .await?
            {
                None if taking_over.is_some() => return Ok(Claim::ClaimedAgain),
                None => return Ok(Claim::Claimed),
                Some(found) => found,
            };
            if found.is_empty() || is_expired(&found, terms.now) {
                // gone (released) or expired since: the claim is free again
                taking_over = None;
                continue;
            }
            let item = step.item();
            let conflict = once::resolve(
                &FoundClaim {
                    claim_id: str_value(&found, CLAIM_ID),
                    state: claim_state(&found, item.status),
                    attempt: number_value(&found, ATTEMPT)
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(1),
                },
                claim_id,
                terms.now,
                step.max_attempts(),
            );
            match conflict {
                Conflict::Ours { attempt } if attempt > 1 => return Ok(Claim::ClaimedAgain),
                Conflict::Ours { .. } => return Ok(Claim::Claimed),
                Conflict::Live => return Ok(Claim::InProgress),
                Conflict::Done => return Ok(Claim::AlreadyDone),
                Conflict::OutOfAttempts => {
                    tracing::warn!(
                        attempts = step.max_attempts(),
                        "every attempt was made and none was confirmed; nothing more is sent"
                    );
                    return Ok(Claim::OutOfAttempts);
                }
                Conflict::Unexpected => {
                    tracing::warn!(
                        "a claim item that is neither ours, nor live, nor a success, nor an earlier attempt is in the way; left alone"
                    );
                    return Ok(Claim::InProgress);
                }
                Conflict::Retake { attempt, from } => {
                    taking_over = Some((attempt, from.to_owned()));
                }
            }
        }
        tracing::warn!("the claim changed hands on every look; answered as in progress");
        Ok(Claim::InProgress)
    }

    /// One conditional write of a pending claim: when `taking_over` is `None`, a free claim (no
    /// record, or one past its expiry) as attempt 1; else the earlier attempt of that claim id,
    /// if it is still over (lapsed or unconfirmed), as the given attempt. `None` when written;
    /// else the item in the way (empty when there is none).
    async fn write_claim(
        &self,
        step: OnceStep,
        chat: &ChatId,
        claim_id: &str,
        terms: ClaimTerms,
        taking_over: Option<&(u32, String)>,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let item = step.item();
        let attempt = taking_over.map_or(1, |(attempt, _)| *attempt);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(item.key(chat)))
            .item(item.status, AttributeValue::S(PENDING.to_owned()))
            .item(CLAIM_ID, AttributeValue::S(claim_id.to_owned()))
            .item(ATTEMPT, number(u64::from(attempt)))
            .item(LEASE_EXPIRES_AT, number(terms.lease_until))
            .item(
                EXPIRY_ATTRIBUTE,
                number(terms.dedup_until.max(terms.lease_until)),
            )
            .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE)
            .expression_attribute_values(":now", number(terms.now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let put = match taking_over {
            None => put
                .condition_expression("attribute_not_exists(#pk) OR #exp <= :now")
                .expression_attribute_names("#pk", KEY_ATTRIBUTE),
            Some((_, old)) => put
                .condition_expression(
                    "#exp > :now AND #claim = :old AND (#status = :unconfirmed OR (#status = :pending AND #lease <= :now))",
                )
                .expression_attribute_names("#claim", CLAIM_ID)
                .expression_attribute_names("#status", item.status)
                .expression_attribute_names("#lease", LEASE_EXPIRES_AT)
                .expression_attribute_values(":old", AttributeValue::S(old.clone()))
                .expression_attribute_values(":pending", AttributeValue::S(PENDING.to_owned()))
                .expression_attribute_values(
                    ":unconfirmed",
                    AttributeValue::S(UNCONFIRMED.to_owned()),
                ),
        };
        match put.send().await {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(service))
                if service.err().is_conditional_check_failed_exception() =>
            {
                Ok(Some(match service.into_err() {
                    PutItemError::ConditionalCheckFailedException(e) => e.item.unwrap_or_default(),
                    _ => HashMap::new(),
                }))
            }
            Err(e) => Err(StoreError::from_sdk("PutItem", e)),
        }
    }
}

/// The state of a claim item, from its status attribute (`status`) and lease.
fn claim_state(item: &HashMap<String, AttributeValue>, status: &str) -> Option<ClaimState> {
    match str_value(item, status)? {
        PENDING => Some(ClaimState::Pending {
            lease_until: number_value(item, LEASE_EXPIRES_AT).unwrap_or(0),
        }),
        UNCONFIRMED => Some(ClaimState::Unconfirmed),
        SUCCEEDED => Some(ClaimState::Succeeded),
        _ => None,
    }
}
