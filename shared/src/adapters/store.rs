//! The DynamoDB store: one table, one string partition key (`pk`), four kinds of item.
//!
//! - `intake#<chatId>`: what the customer told the bot (name, email, phone, question,
//!   language), merged field by field, with `expiresAt` (epoch seconds, the table's TTL
//!   attribute) refreshed on every write. An item past `expiresAt` reads as absent even before
//!   DynamoDB deletes it (which can take days), and a write never merges into one.
//! - `handover#<chatId>` and `message#<chatId>`: the claims that make the handover and the
//!   message happen at most once (the protocol is [`crate::rules::once`]; its "is the claim free?"
//!   condition is here). No personal data: a status, a claim id, an attempt number and times.
//! - `limit#day#<day>`, `limit#domain#<day>#<digest>` and `limit#address#<day>#<digest>`: the
//!   day's e-mail counts, in all, per reply domain and per reply inbox
//!   ([`Store::count_message`]); domain and inbox only as SHA-256 digests. `<day>` is
//!   the UTC day's number since 1970; the items expire the day after.
//! - `route#<chatId>`: where availability decided the chat goes when its web store overflows
//!   ([`Store::record_route`]): the web store asked about and the one that takes the chat. No
//!   personal data; it expires after [`ROUTE_TTL_SECONDS`].
//!
//! Every method takes `now` (epoch seconds) from the caller, so expiry is tested with any clock.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

use sha2::{Digest, Sha256};

use crate::rules::clock::EpochSeconds;
use crate::rules::once::{self, Claim, ClaimState, ClaimTerms, Conflict, FoundClaim, Settle};
use crate::rules::upstream::UpstreamError;
use crate::contract::validate::ChatId;
use crate::contract::{IntakeField, IntakeRecord};

/// The table's partition key attribute.
pub const KEY_ATTRIBUTE: &str = "pk";
/// The table's TTL attribute (epoch seconds).
pub const EXPIRY_ATTRIBUTE: &str = "expiresAt";

const CLAIM_ID: &str = "claimId";
const LEASE_EXPIRES_AT: &str = "leaseExpiresAt";
/// The key [`Store::warm_up`] reads: no item kind has it (theirs start `intake#`/`handover#`).
const WARM_UP_KEY: &str = "warm-up";
const ATTEMPT: &str = "attempt";
const PENDING: &str = "pending";
const UNCONFIRMED: &str = "unconfirmed";
const SUCCEEDED: &str = "success";
/// How many times a claim write looks again after finding an earlier attempt in its way.
const RETAKES: usize = 3;
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

#[derive(Debug, thiserror::Error)]
#[error("DynamoDB {operation} failed: {detail}")]
pub struct StoreError {
    operation: &'static str,
    detail: String,
}

impl StoreError {
    /// A request we could not build (a required part missing): a bug of ours, said as such.
    fn build(operation: &'static str, error: impl std::fmt::Display) -> Self {
        Self {
            operation,
            detail: format!("request not built: {error}"),
        }
    }

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
        let item = self.read_intake(chat, now, None).await?;
        Ok(item.map(|item| intake_record(Some(&item))))
    }

    /// The language the customer gave in the chat's intake, and nothing else of it: the read
    /// projects the language and the expiry alone, as availability's role allows (its policy
    /// names these attributes, `dynamodb:Attributes`). `None` when there is none or it expired.
    pub async fn intake_language(
        &self,
        chat: &ChatId,
        now: EpochSeconds,
    ) -> Result<Option<String>, StoreError> {
        let item = self
            .read_intake(chat, now, Some(IntakeField::Language.as_str()))
            .await?;
        Ok(item.and_then(|item| string(&item, IntakeField::Language.as_str())))
    }

    /// The chat's unexpired intake item: whole, or only `attribute` (and the expiry it is judged
    /// by) where one is named.
    async fn read_intake(
        &self,
        chat: &ChatId,
        now: EpochSeconds,
        attribute: Option<&str>,
    ) -> Result<Option<HashMap<String, AttributeValue>>, StoreError> {
        let mut read = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY_ATTRIBUTE, AttributeValue::S(intake_key(chat)))
            .consistent_read(true);
        if let Some(attribute) = attribute {
            read = read
                .projection_expression("#wanted, #exp")
                .expression_attribute_names("#wanted", attribute)
                .expression_attribute_names("#exp", EXPIRY_ATTRIBUTE);
        }
        let output = read
            .send()
            .await
            .map_err(|e| StoreError::from_sdk("GetItem", e))?;
        Ok(output.item.filter(|item| !is_expired(item, now)))
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

    /// Records that the `held` claim's step succeeded and erases the chat's intake, in one
    /// transaction: further claims find [`Claim::AlreadyDone`] until `dedup_until`. Only the
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

fn route_key(chat: &ChatId) -> String {
    format!("route#{}", chat.as_str())
}

fn intake_key(chat: &ChatId) -> String {
    format!("intake#{}", chat.as_str())
}

fn number(n: u64) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

fn string(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    str_value(item, name).map(str::to_owned)
}

fn str_value<'i>(item: &'i HashMap<String, AttributeValue>, name: &str) -> Option<&'i str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn number_value(item: &HashMap<String, AttributeValue>, name: &str) -> Option<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
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

fn is_expired(item: &HashMap<String, AttributeValue>, now: EpochSeconds) -> bool {
    number_value(item, EXPIRY_ATTRIBUTE).is_some_and(|expires_at| expires_at <= now)
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
