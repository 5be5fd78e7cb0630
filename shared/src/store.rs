//! The DynamoDB store: one table, one string partition key (`pk`), two kinds of item.
//!
//! - `intake#<chatId>`: what the customer told the bot (name, email, phone, question,
//!   language), merged field by field, with `expiresAt` (epoch seconds, the table's TTL
//!   attribute) refreshed on every write. An item past `expiresAt` reads as absent even before
//!   DynamoDB deletes it (which can take days), and a write never merges into one.
//! - `handover#<chatId>`: the claim that makes the handover happen at most once (the protocol is
//!   [`crate::once`]; its "is the claim free?" condition is here). No personal data: a status, a
//!   claim id and times.
//!
//! Every method takes `now` (epoch seconds) from the caller, so expiry is tested with any clock.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use crate::clock::EpochSeconds;
use crate::once::{Claim, ClaimTerms, Settle};
use crate::upstream::UpstreamError;
use crate::validate::ChatId;
use crate::wire::{IntakeField, IntakeRecord};

/// The table's partition key attribute.
pub const KEY_ATTRIBUTE: &str = "pk";
/// The table's TTL attribute (epoch seconds).
pub const EXPIRY_ATTRIBUTE: &str = "expiresAt";

const CLAIM_ID: &str = "claimId";
const LEASE_EXPIRES_AT: &str = "leaseExpiresAt";
/// The key [`Store::warm_up`] reads: no item kind has it (theirs start `intake#`/`handover#`).
const WARM_UP_KEY: &str = "warm-up";
const PENDING: &str = "pending";
const SUCCEEDED: &str = "success";

#[derive(Debug, thiserror::Error)]
#[error("DynamoDB {operation} failed: {detail}")]
pub struct StoreError {
    operation: &'static str,
    detail: String,
}

impl StoreError {
    fn from_sdk<E, R>(operation: &'static str, error: SdkError<E, R>) -> Self
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        // The service error's code and message (never our item's values: the SDK does not echo them).
        Self {
            operation,
            detail: aws_sdk_dynamodb::error::DisplayErrorContext(error).to_string(),
        }
    }
}

/// A step done at most once per chat ([`crate::once`]), each with a claim item of its own, so
/// that a chat whose handover failed can still leave a message, and the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnceStep {
    /// The handover to an MSC agent (dialog step 4).
    Handover,
    /// The one e-mail to the support mailbox (the dialog's offline branch).
    Message,
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
struct OnceItem {
    prefix: &'static str,
    status: &'static str,
    done_at: &'static str,
}

impl OnceStep {
    fn item(self) -> OnceItem {
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
    fn key(&self, chat: &ChatId) -> String {
        format!("{}#{}", self.prefix, chat.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// One read of a key that is never written, to open the connection during init (see
    /// [`crate::warm`]); needs no permission beyond the functions' `GetItem`.
    pub async fn warm_up(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(WARM_UP_KEY.to_owned()))
            .projection_expression(KEY_ATTRIBUTE)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StoreError::from_sdk("GetItem", e))
    }

    /// Merges `fields` into the chat's intake record and refreshes its expiry; returns the whole
    /// record as stored. An expired record is replaced, never merged into.
    pub async fn merge_intake(
        &self,
        chat: &ChatId,
        fields: &[(IntakeField, String)],
        now: EpochSeconds,
        expires_at: EpochSeconds,
    ) -> Result<IntakeRecord, StoreError> {
        let key = intake_key(chat);
        let mut names = HashMap::from([("#exp".to_owned(), EXPIRY_ATTRIBUTE.to_owned())]);
        let mut values = HashMap::from([
            (":exp".to_owned(), number(expires_at)),
            (":now".to_owned(), number(now)),
        ]);
        let mut sets = vec!["#exp = :exp".to_owned()];
        for (i, (field, value)) in fields.iter().enumerate() {
            names.insert(format!("#f{i}"), field.as_str().to_owned());
            values.insert(format!(":f{i}"), AttributeValue::S(value.clone()));
            sets.push(format!("#f{i} = :f{i}"));
        }
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(key.clone()))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_not_exists(#exp) OR #exp > :now")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match update {
            Ok(output) => Ok(intake_record(output.attributes.as_ref())),
            Err(e) if is_condition_failure(&e) => {
                // An expired record is in the way: replace it whole, unless someone refreshed it
                // in the meantime, in which case merging is right again.
                let mut item: HashMap<String, AttributeValue> = fields
                    .iter()
                    .map(|(f, v)| (f.as_str().to_owned(), AttributeValue::S(v.clone())))
                    .collect();
                item.insert(KEY_ATTRIBUTE.to_owned(), AttributeValue::S(key));
                item.insert(EXPIRY_ATTRIBUTE.to_owned(), number(expires_at));
                let put = self
                    .client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item.clone()))
                    .condition_expression("attribute_not_exists(#exp) OR #exp <= :now")
                    .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE)
                    .expression_attribute_values(":now", number(now))
                    .send()
                    .await;
                match put {
                    Ok(_) => Ok(intake_record(Some(&item))),
                    Err(e) if is_condition_failure(&e) => {
                        Box::pin(self.merge_intake(chat, fields, now, expires_at)).await
                    }
                    Err(e) => Err(StoreError::from_sdk("PutItem", e)),
                }
            }
            Err(e) => Err(StoreError::from_sdk("UpdateItem", e)),
        }
    }

    /// The chat's intake record; `None` when there is none or it has expired.
    pub async fn intake(
        &self,
        chat: &ChatId,
        now: EpochSeconds,
    ) -> Result<Option<IntakeRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(intake_key(chat)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("GetItem", e))?;
        Ok(output
            .item
            .filter(|item| !is_expired(item, now))
            .map(|item| intake_record(Some(&item))))
    }

    /// Deletes the chat's intake record (its personal data). Deleting nothing is not an error.
    pub async fn erase_intake(&self, chat: &ChatId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(intake_key(chat)))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("DeleteItem", e))?;
        Ok(())
    }

    /// Carries out `settle` for the `held` claim, after a call to `upstream`
    /// (a name for the logs): a success is recorded, and the chat's intake erased in the same
    /// round trip, since the upstream holds what the customer told the bot now (the record keeps
    /// no personal data); a refusal releases the claim; an unknown outcome keeps it until its
    /// lease ends. Gives the call's error back, for the answer. A table failure here changes no
    /// answer: it is logged, and the claim or the intake ends with its lease or its TTL.
    pub async fn settle<'e>(
        &self,
        held: &HeldClaim<'_>,
        upstream: &str,
        settle: Settle<'e>,
        now: EpochSeconds,
        dedup_until: EpochSeconds,
    ) -> Result<(), &'e UpstreamError> {
        let HeldClaim {
            step,
            chat,
            claim_id,
        } = *held;
        match settle {
            Settle::Record => {
                let (recorded, erased) = tokio::join!(
                    self.record_done(step, chat, claim_id, now, dedup_until),
                    self.erase_intake(chat),
                );
                if let Err(error) = recorded {
                    // done upstream; the claim stays pending until its lease ends
                    tracing::error!(%error, "{upstream} succeeded but was not recorded");
                }
                if let Err(error) = erased {
                    tracing::error!(%error, "{upstream} succeeded; intake not erased, it expires with its TTL");
                }
                Ok(())
            }
            Settle::Keep(error) => {
                // a duplicate arriving meanwhile (an automatic retry) must not call again
                tracing::warn!(%error, "{upstream} outcome unknown; claim kept until its lease ends");
                Err(error)
            }
            Settle::Release(error) => {
                tracing::warn!(%error, "{upstream} refused; claim released");
                self.give_up(held).await;
                Err(error)
            }
        }
    }

    /// Releases the `held` claim when nothing was sent, so that the dialog's retry may claim
    /// again; if that fails too, the claim ends with its lease (logged, no answer changes).
    pub async fn give_up(&self, held: &HeldClaim<'_>) {
        if let Err(error) = self.release(held.step, held.chat, held.claim_id).await {
            tracing::error!(%error, "claim not released; it ends with its lease");
        }
    }

    /// Claims `step` for the chat with one conditional write, so that of any number of
    /// concurrent invocations exactly one gets [`Claim::Claimed`]. The claim is free when there
    /// is no record, when the record's dedup window is over, or when a pending claim's lease ran
    /// out.
    pub async fn claim(
        &self,
        step: OnceStep,
        chat: &ChatId,
        claim_id: &str,
        terms: ClaimTerms,
    ) -> Result<Claim, StoreError> {
        let item = step.item();
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(item.key(chat)))
            .item(item.status, AttributeValue::S(PENDING.to_owned()))
            .item(CLAIM_ID, AttributeValue::S(claim_id.to_owned()))
            .item(LEASE_EXPIRES_AT, number(terms.lease_until))
            .item(EXPIRY_ATTRIBUTE, number(terms.dedup_until.max(terms.lease_until)))
            .condition_expression(
                "attribute_not_exists(#pk) OR #exp <= :now OR (#status = :pending AND #lease <= :now)",
            )
            .expression_attribute_names("#pk", KEY_ATTRIBUTE)
            .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE)
            .expression_attribute_names("#status", item.status)
            .expression_attribute_names("#lease", LEASE_EXPIRES_AT)
            .expression_attribute_values(":now", number(terms.now))
            .expression_attribute_values(":pending", AttributeValue::S(PENDING.to_owned()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match put {
            Ok(_) => Ok(Claim::Claimed),
            Err(SdkError::ServiceError(service))
                if service.err().is_conditional_check_failed_exception() =>
            {
                let status = match service.err() {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e) => {
                        e.item().and_then(|old| string(old, item.status))
                    }
                    _ => None,
                };
                Ok(match status.as_deref() {
                    Some(SUCCEEDED) => Claim::AlreadyDone,
                    _ => Claim::InProgress,
                })
            }
            Err(e) => Err(StoreError::from_sdk("PutItem", e)),
        }
    }

    /// Records that the claimed step succeeded: further claims find [`Claim::AlreadyDone`] until
    /// `dedup_until`. Only the claim's holder can do this.
    pub async fn record_done(
        &self,
        step: OnceStep,
        chat: &ChatId,
        claim_id: &str,
        now: EpochSeconds,
        dedup_until: EpochSeconds,
    ) -> Result<(), StoreError> {
        let item = step.item();
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(item.key(chat)))
            .update_expression("SET #status = :success, #exp = :exp, #at = :now REMOVE #lease")
            .condition_expression("#claim = :claim")
            .expression_attribute_names("#status", item.status)
            .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE)
            .expression_attribute_names("#at", item.done_at)
            .expression_attribute_names("#lease", LEASE_EXPIRES_AT)
            .expression_attribute_names("#claim", CLAIM_ID)
            .expression_attribute_values(":success", AttributeValue::S(SUCCEEDED.to_owned()))
            .expression_attribute_values(":exp", number(dedup_until))
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":claim", AttributeValue::S(claim_id.to_owned()))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Gives up a claim after a failed attempt, so that a retry may claim again. A claim that is
    /// no longer ours (taken over after its lease) is left alone.
    pub async fn release(
        &self,
        step: OnceStep,
        chat: &ChatId,
        claim_id: &str,
    ) -> Result<(), StoreError> {
        let item = step.item();
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(item.key(chat)))
            .condition_expression("#claim = :claim")
            .expression_attribute_names("#claim", CLAIM_ID)
            .expression_attribute_values(":claim", AttributeValue::S(claim_id.to_owned()))
            .send()
            .await;
        match delete {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(StoreError::from_sdk("DeleteItem", e)),
        }
    }
}

fn intake_key(chat: &ChatId) -> String {
    format!("intake#{}", chat.as_str())
}

fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn string(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}

fn is_expired(item: &HashMap<String, AttributeValue>, now: EpochSeconds) -> bool {
    item.get(EXPIRY_ATTRIBUTE)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|expires_at| expires_at <= now)
}

fn intake_record(item: Option<&HashMap<String, AttributeValue>>) -> IntakeRecord {
    let Some(item) = item else {
        return IntakeRecord::new();
    };
    IntakeField::ALL
        .into_iter()
        .filter_map(|field| string(item, field.as_str()).map(|v| (field, v)))
        .collect()
}

fn is_condition_failure<E, R>(error: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    matches!(error, SdkError::ServiceError(s) if s.err().code() == Some("ConditionalCheckFailedException"))
}
