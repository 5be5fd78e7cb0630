//! `limit#...`: the day's e-mail counts to the support mailbox, per reply inbox, per reply domain
//! and in all, counted in one transaction.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use sha2::{Digest, Sha256};

use super::table::{EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE, Store, StoreError, number};
use crate::rules::clock::EpochSeconds;

/// The limits on e-mails to the support mailbox, per UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimits {
    /// E-mails whose reply address is one inbox (`MESSAGE_LIMIT_PER_ADDRESS`, counted by
    /// [`crate::rules::mail::inbox`]).
    pub per_address: u64,
    /// E-mails whose reply address is in one domain (`MESSAGE_LIMIT_PER_DOMAIN`).
    pub per_domain: u64,
    /// E-mails in all (`MESSAGE_LIMIT_PER_DAY`).
    pub per_day: u64,
}

/// Which limit an e-mail ran into (the metric's `Limit` dimension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitReached {
    /// This reply address (its inbox) had its day's e-mails.
    Address,
    /// This reply address's domain had its day's e-mails.
    Domain,
    /// The deployment had its day's e-mails.
    Day,
}

impl LimitReached {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::Domain => "domain",
            Self::Day => "day",
        }
    }
}

impl Store {
    /// Counts one e-mail to `reply_to` (its ASCII form) against the day's `limits`: its inbox
    /// ([`crate::rules::mail::inbox`]: `+tag`, case and Gmail's dots folded), its domain and the day, all
    /// three counts in one transaction with a condition each, so that the limits hold across
    /// execution environments and no count moves when any is reached.
    pub async fn count_message(
        &self,
        reply_to: &str,
        limits: MessageLimits,
        now: EpochSeconds,
    ) -> Result<Result<(), LimitReached>, StoreError> {
        const COUNT: &str = "sent";
        let day = now / 86_400;
        let expires_at = (day + 2) * 86_400;
        let digest = |text: &str| -> String {
            Sha256::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let inbox = digest(&crate::rules::mail::inbox(reply_to));
        let domain = digest(&crate::rules::mail::domain(reply_to));
        let counter = |key: String, limit: u64| {
            Update::builder()
                .table_name(&self.table)
                .key(KEY_ATTRIBUTE, AttributeValue::S(key))
                .update_expression("ADD #count :one SET #exp = :exp")
                .condition_expression("attribute_not_exists(#count) OR #count < :limit")
                .expression_attribute_names("#count", COUNT)
                .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE)
                .expression_attribute_values(":one", number(1))
                .expression_attribute_values(":exp", number(expires_at))
                .expression_attribute_values(":limit", number(limit))
                .build()
                .map_err(|e| StoreError::build("TransactWriteItems", e))
        };
        // the order of the items is the order of the cancellation reasons read below
        let address = counter(format!("limit#address#{day}#{inbox}"), limits.per_address)?;
        let in_domain = counter(format!("limit#domain#{day}#{domain}"), limits.per_domain)?;
        let all = counter(format!("limit#day#{day}"), limits.per_day)?;
        let counted = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(address).build())
            .transact_items(TransactWriteItem::builder().update(in_domain).build())
            .transact_items(TransactWriteItem::builder().update(all).build())
            .send()
            .await;
        match counted {
            Ok(_) => Ok(Ok(())),
            Err(SdkError::ServiceError(service))
                if service.err().is_transaction_canceled_exception() =>
            {
                let failed = |i: usize| match service.err() {
                    TransactWriteItemsError::TransactionCanceledException(e) => e
                        .cancellation_reasons()
                        .get(i)
                        .and_then(|r| r.code())
                        .is_some_and(|code| code == "ConditionalCheckFailed"),
                    _ => false,
                };
                if failed(0) {
                    Ok(Err(LimitReached::Address))
                } else if failed(1) {
                    Ok(Err(LimitReached::Domain))
                } else if failed(2) {
                    Ok(Err(LimitReached::Day))
                } else {
                    Err(StoreError::from_sdk(
                        "TransactWriteItems",
                        SdkError::ServiceError(service),
                    ))
                }
            }
            Err(e) => Err(StoreError::from_sdk("TransactWriteItems", e)),
        }
    }
}
