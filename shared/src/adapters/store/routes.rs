//! `route#<chatId>`: where availability decided a chat goes when its web store overflows, and
//! the one read a handover makes of it beside the chat's intake.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::intake::{intake_key, intake_record};
use super::table::{
    EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE, Store, StoreError, is_expired, number, str_value, string,
};
use crate::contract::IntakeRecord;
use crate::contract::validate::ChatId;
use crate::rules::clock::EpochSeconds;

/// How long a route decision is followed: far longer than a dialog takes from its availability
/// step to its handover, short enough that a later chat of the same id never inherits it.
pub const ROUTE_TTL_SECONDS: u64 = 2 * 3600;
const ROUTE_REQUESTED: &str = "requested";
const ROUTE_DECIDED: &str = "decided";

/// Where a chat goes, as availability decided it: the web store the dialog asked about, and the
/// one that takes the chat (the same one, or the first of its overflow web stores that could).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub requested: String,
    pub decided: String,
}

impl Route {
    /// The web store the chat overflowed from, when it did.
    pub fn overflowed_from(&self) -> Option<&str> {
        (self.requested != self.decided).then_some(self.requested.as_str())
    }
}

fn route_key(chat: &ChatId) -> String {
    format!("route#{}", chat.as_str())
}

impl Store {
    /// Records where availability decided `chat` goes (`route#<chat>`), replacing any earlier
    /// decision: the last answer the dialog got is the one its handover follows.
    pub async fn record_route(
        &self,
        chat: &ChatId,
        route: &Route,
        expires_at: EpochSeconds,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(KEY_ATTRIBUTE, AttributeValue::S(route_key(chat)))
            .item(ROUTE_REQUESTED, AttributeValue::S(route.requested.clone()))
            .item(ROUTE_DECIDED, AttributeValue::S(route.decided.clone()))
            .item(EXPIRY_ATTRIBUTE, number(expires_at))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StoreError::from_sdk("PutItem", e))
    }

    /// The chat's intake record and its route (where availability last decided it goes), in one
    /// `BatchGetItem` with consistent reads: one round trip for both, what a handover reads
    /// beside its claim. Either is `None` when there is none or it has expired (a route also
    /// when availability decided nothing: no overflow configured, no chat id given). Keys
    /// DynamoDB leaves unprocessed (throttling) are asked once more after a short wait; still
    /// unread, an error.
    pub async fn intake_and_route(
        &self,
        chat: &ChatId,
        now: EpochSeconds,
    ) -> Result<(Option<IntakeRecord>, Option<Route>), StoreError> {
        const OPERATION: &str = "BatchGetItem";
        let key = |pk: String| HashMap::from([(KEY_ATTRIBUTE.to_owned(), AttributeValue::S(pk))]);
        let mut wanted = KeysAndAttributes::builder()
            .keys(key(intake_key(chat)))
            .keys(key(route_key(chat)))
            .consistent_read(true)
            .build()
            .map_err(|e| StoreError::build(OPERATION, e))?;
        let (mut intake, mut route) = (None, None);
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, wanted)
                .send()
                .await
                .map_err(|e| StoreError::from_sdk(OPERATION, e))?;
            let items = output
                .responses
                .and_then(|mut tables| tables.remove(&self.table))
                .unwrap_or_default();
            for item in items.into_iter().filter(|item| !is_expired(item, now)) {
                match str_value(&item, KEY_ATTRIBUTE) {
                    Some(pk) if pk.starts_with("intake#") => {
                        intake = Some(intake_record(Some(&item)));
                    }
                    Some(pk) if pk.starts_with("route#") => {
                        route = Some(Route {
                            requested: string(&item, ROUTE_REQUESTED).unwrap_or_default(),
                            decided: string(&item, ROUTE_DECIDED).unwrap_or_default(),
                        })
                        .filter(|r| !r.requested.is_empty() && !r.decided.is_empty());
                    }
                    _ => {}
                }
            }
            match output
                .unprocessed_keys
                .and_then(|mut tables| tables.remove(&self.table))
                .filter(|left| !left.keys().is_empty())
            {
                None => return Ok((intake, route)),
                Some(left) => wanted = left,
            }
        }
        Err(StoreError::build(
            OPERATION,
            "keys left unprocessed twice (throttled)",
        ))
    }
}
