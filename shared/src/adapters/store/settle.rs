//! Settling a held claim after the upstream call ([`crate::rules::once::Settle`]): a success
//! recorded (with the chat's intake erased in the same transaction), a refusal released, an
//! unknown outcome kept or marked unconfirmed by the step's rule.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};

use super::claims::{
    ATTEMPT, AfterUnknown, CLAIM_ID, HeldClaim, LEASE_EXPIRES_AT, OnceStep, SUCCEEDED, UNCONFIRMED,
};
use super::intake::intake_key;
use super::table::{
    EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE, Store, StoreError, is_condition_failure, number,
};
use crate::contract::validate::ChatId;
use crate::rules::clock::EpochSeconds;
use crate::rules::once::Settle;
use crate::rules::upstream::UpstreamError;

impl Store {
    /// Carries out `settle` for the `held` claim, after a call to `upstream` (a name for the
    /// logs), and gives the call's error back, for the answer:
    /// - a success is recorded and the chat's intake erased in one transaction (one round trip,
    ///   all or nothing), since the upstream holds what the customer told the bot now;
    /// - a refusal releases the claim;
    /// - an unknown outcome follows the step's rule ([`OnceStep::after_unknown`]).
    ///
    /// A table failure here changes no answer: it is logged, and the claim or the intake ends
    /// with its lease or its TTL.
    pub async fn settle<'e>(
        &self,
        held: &HeldClaim<'_>,
        upstream: &str,
        settle: Settle<'e>,
        now: EpochSeconds,
        dedup_until: EpochSeconds,
    ) -> Result<(), &'e UpstreamError> {
        match settle {
            Settle::Record => {
                if let Err(error) = self.record_done(held, now, dedup_until).await {
                    // a write to the intake at the same moment cancels the transaction: the two
                    // writes one by one, side by side, so that the success is still recorded
                    tracing::warn!(%error, "success and erasure not written together; written one by one");
                    let (recorded, erased) = tokio::join!(
                        self.record_success(held, now, dedup_until),
                        self.erase_intake(held.chat),
                    );
                    if let Err(error) = recorded {
                        // done upstream; the claim stays pending until its lease ends
                        tracing::error!(%error, "{upstream} succeeded but was not recorded");
                    }
                    if let Err(error) = erased {
                        tracing::error!(%error, "{upstream} succeeded; intake not erased, it expires with its TTL");
                    }
                }
                Ok(())
            }
            Settle::Keep(error) => {
                match held.step.after_unknown() {
                    AfterUnknown::KeepLease => {
                        // a duplicate arriving meanwhile (an automatic retry) must not call again
                        tracing::warn!(%error, "{upstream} outcome unknown; claim kept until its lease ends");
                    }
                    AfterUnknown::TryAgain => {
                        tracing::warn!(%error, "{upstream} outcome unknown; claim marked unconfirmed, the next call may try again");
                        if let Err(error) = self.unconfirm(held, dedup_until).await {
                            tracing::error!(%error, "claim not marked unconfirmed; it ends with its lease");
                        }
                    }
                }
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

    /// Records that the `held` claim's step succeeded and erases the chat's intake, in one
    /// transaction: further claims find [`crate::rules::once::Claim::AlreadyDone`] until `dedup_until`. Only the
    /// claim's holder can do this; a retry of a transaction that took effect does it again to
    /// the same end.
    pub async fn record_done(
        &self,
        held: &HeldClaim<'_>,
        now: EpochSeconds,
        dedup_until: EpochSeconds,
    ) -> Result<(), StoreError> {
        let success = Success::new(held, now, dedup_until);
        let record = Update::builder()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(success.key))
            .update_expression(SUCCESS_UPDATE)
            .condition_expression(HELD_BY_US)
            .set_expression_attribute_names(Some(success.names))
            .set_expression_attribute_values(Some(success.values))
            .build()
            .map_err(|e| StoreError::build("TransactWriteItems", e))?;
        let erase = Delete::builder()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(intake_key(held.chat)))
            .build()
            .map_err(|e| StoreError::build("TransactWriteItems", e))?;
        self.client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(record).build())
            .transact_items(TransactWriteItem::builder().delete(erase).build())
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("TransactWriteItems", e))?;
        Ok(())
    }

    /// [`Self::record_done`] without the intake's erasure: one UpdateItem.
    async fn record_success(
        &self,
        held: &HeldClaim<'_>,
        now: EpochSeconds,
        dedup_until: EpochSeconds,
    ) -> Result<(), StoreError> {
        let success = Success::new(held, now, dedup_until);
        self.client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(success.key))
            .update_expression(SUCCESS_UPDATE)
            .condition_expression(HELD_BY_US)
            .set_expression_attribute_names(Some(success.names))
            .set_expression_attribute_values(Some(success.values))
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Marks the `held` claim's attempt as made without a known outcome: the next claim may take
    /// it over at once as a new attempt ([`AfterUnknown::TryAgain`]); the attempt count holds
    /// until `dedup_until`. A claim that is no longer ours is left alone.
    pub async fn unconfirm(
        &self,
        held: &HeldClaim<'_>,
        dedup_until: EpochSeconds,
    ) -> Result<(), StoreError> {
        self.mark_unconfirmed(held, Some(dedup_until)).await
    }

    /// [`Self::unconfirm`], keeping the item's expiry when `expires_at` is `None`.
    async fn mark_unconfirmed(
        &self,
        held: &HeldClaim<'_>,
        expires_at: Option<EpochSeconds>,
    ) -> Result<(), StoreError> {
        let item = held.step.item();
        let mut sets = "SET #status = :unconfirmed".to_owned();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(item.key(held.chat)))
            .condition_expression("#claim = :claim")
            .expression_attribute_names("#status", item.status)
            .expression_attribute_names("#lease", LEASE_EXPIRES_AT)
            .expression_attribute_names("#claim", CLAIM_ID)
            .expression_attribute_values(":unconfirmed", AttributeValue::S(UNCONFIRMED.to_owned()))
            .expression_attribute_values(":claim", AttributeValue::S(held.claim_id.to_owned()));
        if let Some(expires_at) = expires_at {
            sets.push_str(", #exp = :exp");
            update = update
                .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE)
                .expression_attribute_values(":exp", number(expires_at));
        }
        let update = update
            .update_expression(format!("{sets} REMOVE #lease"))
            .send()
            .await;
        match update {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(StoreError::from_sdk("UpdateItem", e)),
        }
    }

    /// Gives up a claim after a failed attempt, so that a retry may claim again: the first
    /// attempt's claim is deleted; a later one's is marked unconfirmed, so that the attempts
    /// before it still count and the next e-mail still says it may repeat one. A claim that is
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
            .condition_expression(
                "#claim = :claim AND (attribute_not_exists(#attempt) OR #attempt = :first)",
            )
            .expression_attribute_names("#claim", CLAIM_ID)
            .expression_attribute_names("#attempt", ATTEMPT)
            .expression_attribute_values(":claim", AttributeValue::S(claim_id.to_owned()))
            .expression_attribute_values(":first", number(1))
            .send()
            .await;
        match delete {
            Ok(_) => Ok(()),
            Err(e) if is_condition_failure(&e) => {
                let held = HeldClaim {
                    step,
                    chat,
                    claim_id,
                };
                self.mark_unconfirmed(&held, None).await
            }
            Err(e) => Err(StoreError::from_sdk("DeleteItem", e)),
        }
    }
}

/// The update that records a held claim's success, and its condition: the claim is ours.
const SUCCESS_UPDATE: &str = "SET #status = :success, #exp = :exp, #at = :now REMOVE #lease";

const HELD_BY_US: &str = "#claim = :claim";

/// The key, names and values of [`SUCCESS_UPDATE`] for a held claim.
struct Success {
    key: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Success {
    fn new(held: &HeldClaim<'_>, now: EpochSeconds, dedup_until: EpochSeconds) -> Self {
        let item = held.step.item();
        let names = [
            ("#status", item.status),
            ("#exp", EXPIRY_ATTRIBUTE),
            ("#at", item.done_at),
            ("#lease", LEASE_EXPIRES_AT),
            ("#claim", CLAIM_ID),
        ];
        let values = [
            (":success", AttributeValue::S(SUCCEEDED.to_owned())),
            (":exp", number(dedup_until)),
            (":now", number(now)),
            (":claim", AttributeValue::S(held.claim_id.to_owned())),
        ];
        Self {
            key: item.key(held.chat),
            names: names
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            values: values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }
}
