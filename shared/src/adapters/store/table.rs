//! The table itself: its key and expiry attributes, the [`Store`] handle every record kind
//! works through, its error, and how an item's attributes are read and written.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::rules::clock::EpochSeconds;

/// The table's partition key attribute.
pub const KEY_ATTRIBUTE: &str = "pk";

/// The table's TTL attribute (epoch seconds).
pub const EXPIRY_ATTRIBUTE: &str = "expiresAt";

/// The key [`Store::warm_up`] reads: no item kind has it (theirs start `intake#`/`handover#`).
const WARM_UP_KEY: &str = "warm-up";

#[derive(Debug, thiserror::Error)]
#[error("DynamoDB {operation} failed: {detail}")]
pub struct StoreError {
    operation: &'static str,
    detail: String,
}

impl StoreError {
    /// A request we could not build (a required part missing): a bug of ours, said as such.
    pub(super) fn build(operation: &'static str, error: impl std::fmt::Display) -> Self {
        Self {
            operation,
            detail: format!("request not built: {error}"),
        }
    }

    pub(super) fn from_sdk<E, R>(operation: &'static str, error: SdkError<E, R>) -> Self
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

#[derive(Clone, Debug)]
pub struct Store {
    pub(super) client: Client,
    pub(super) table: String,
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
    /// [`crate::setup::warm`]); needs no permission beyond the functions' `GetItem`.
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
}

pub(super) fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

pub(super) fn string(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    str_value(item, name).map(str::to_owned)
}

pub(super) fn str_value<'i>(
    item: &'i HashMap<String, AttributeValue>,
    name: &str,
) -> Option<&'i str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub(super) fn number_value(item: &HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

pub(super) fn is_expired(item: &HashMap<String, AttributeValue>, now: EpochSeconds) -> bool {
    number_value(item, EXPIRY_ATTRIBUTE).is_some_and(|expires_at| expires_at <= now)
}

pub(super) fn is_condition_failure<E, R>(error: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    matches!(error, SdkError::ServiceError(s) if s.err().code() == Some("ConditionalCheckFailedException"))
}
