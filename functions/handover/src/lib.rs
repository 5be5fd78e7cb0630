//! Step 4 of the seed's handover dialog: hand the chat to an MSC agent, exactly once.
//!
//! `POST /handover` claims the chat's handover with a conditional DynamoDB write (reading its
//! intake meanwhile), then sends one routing mutation request to CM.com with everything the
//! customer already told the bot in its Context. A duplicate while that runs answers `pending`;
//! after a success, `success` is replayed without a call for `HANDOVER_DEDUP_SECONDS`; a failure
//! releases the claim so a retry may run.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use jiff::tz::TimeZone;
use lambda_http::http::Method;
use lambda_http::{Body, Request, RequestExt, Response};
use shared::ApiError;
use shared::auth::CalloutTokens;
use shared::clock::{Clock, SystemClock};
use shared::cm::{RoutingControl, UpstreamError};
use shared::config::{self, ConfigError, Env};
use shared::http;
use shared::secrets::{self, Refreshing};
use shared::store::{Claim, ClaimTerms, EpochSeconds, IntakeRecord, Store};
use shared::telemetry::ChatTagger;
use shared::validate::{self, ChatId};
use shared::warm;
use shared::wire::{
    HandoverReason, HandoverRequest, HandoverResponse, HandoverStatus, IntakeField,
    RoutingMutation, RoutingMutationRequest,
};

pub const DEFAULT_BUDGET_MS: u64 = 5000;
pub const DEFAULT_DEDUP_SECONDS: u64 = 900;
const MAX_DEDUP_SECONDS: u64 = 7 * 86_400;

/// Kept back from the budget for recording the outcome after the upstream call.
const FINISH_RESERVE: Duration = Duration::from_millis(300);
/// How long a claim outlives the budget before another invocation may take it over: more than
/// recording the outcome can take (DynamoDB's 2 s operation timeout) plus clock granularity.
const LEASE_MARGIN_SECONDS: u64 = 5;

pub const CONTEXT_MAX_PAIRS: usize = 20;
pub const CONTEXT_KEY_MAX_LEN: usize = 64;
pub const CONTEXT_VALUE_MAX_LEN: usize = 500;
/// Context keys that our own values fill; a request may not set them, in any case.
pub const RESERVED_CONTEXT_KEYS: [&str; 11] = [
    "name",
    "email",
    "phone",
    "question",
    "language",
    "skill",
    "webstore",
    "summary",
    ROUTING_KEYWORDS,
    WEBSTORE_REFERRER,
    CUSTOMER_INFO,
];
/// MSC's Routing Keywords (skill-based routing): the request's `skill`, `""` when none.
pub const ROUTING_KEYWORDS: &str = "RoutingKeywords";
/// MSC's Webstore Referrer: the request's `webstore`; left out when none (MSC then routes on the
/// customer's URL).
pub const WEBSTORE_REFERRER: &str = "WebStoreReferrer";
/// The customer as the agent's profile shows them: a JSON *string* of the stored `name`,
/// `email` and `phone`; left out when none is stored.
pub const CUSTOMER_INFO: &str = "CustomerInfo";
/// The `summary` line's bound, in characters (a long question is cut with an ellipsis).
pub const SUMMARY_MAX_CHARS: usize = 500;

pub struct App {
    tokens: Refreshing<CalloutTokens>,
    store: Store,
    routing: RoutingControl,
    mutations: Vec<RoutingMutation>,
    dedup_seconds: u64,
    budget: Duration,
    /// The zone of the time in the `summary` line (`HANDOVER_TIME_ZONE`, UTC by default).
    time_zone: TimeZone,
    clock: Arc<dyn Clock>,
    /// Tags the request's log lines with its chat (`CHAT_LOG_KEY`; off when unset).
    chats: ChatTagger,
    /// How long init may spend opening each connection (`WARM_UP_MS`).
    warm_up: Duration,
}

impl App {
    pub async fn from_env(env: &Env, sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let tokens = secrets::callout_tokens(env, sdk).await?;
        let table = env.required(config::TABLE_NAME)?;
        let base_url = config::cm_api_base_url(env)?;
        let technical_link_id = config::technical_link_id(env)?;
        let mutations = config::routing_mutations(env)?;
        let product_token = Arc::new(secrets::product_token(env, sdk).await?);
        Ok(Self {
            tokens,
            store: Store::new(aws_sdk_dynamodb::Client::new(sdk), table),
            routing: RoutingControl::new(
                shared::cm::http_client()?,
                base_url,
                technical_link_id,
                product_token,
            ),
            mutations,
            dedup_seconds: env.positive_u64(
                config::HANDOVER_DEDUP_SECONDS,
                DEFAULT_DEDUP_SECONDS,
                MAX_DEDUP_SECONDS,
            )?,
            budget: env.duration_ms(config::HANDOVER_BUDGET_MS, DEFAULT_BUDGET_MS)?,
            time_zone: time_zone(env)?,
            clock: Arc::new(SystemClock),
            chats: secrets::chat_tagger(env, sdk).await?,
            warm_up: warm::limit(env)?,
        })
    }

    /// The same app reading time from `clock` (tests, replays).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Opens the connections the first handover uses before it arrives, side by side (see
    /// [`shared::warm`]): two to DynamoDB, as a handover claims the chat and reads its intake at
    /// the same time, each on a connection of its own, and one to Routing Control.
    pub async fn warm_up(&self) {
        tokio::join!(
            warm::warm_up("dynamodb", self.warm_up, self.store.warm_up()),
            warm::warm_up("dynamodb", self.warm_up, self.store.warm_up()),
            warm::warm_up("routing-control", self.warm_up, self.routing.warm_up()),
        );
    }

    /// `now` as the agent reads it in the summary: `2026-11-24 15:05 CET`.
    fn asked_at(&self, now: EpochSeconds) -> String {
        shared::clock::timestamp(now)
            .to_zoned_datetime(self.time_zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// Gives the claim up, so that the dialog's retry can hand the chat over; if that fails
    /// too, the claim ends with its lease.
    async fn release(&self, chat: &ChatId, claim_id: &str) {
        if let Err(error) = self.store.release_handover(chat, claim_id).await {
            tracing::error!(%error, "claim not released; it ends with its lease");
        }
    }

    /// Hands the chat over within `budget` (the configured budget, or less when the Lambda
    /// invocation ends sooner).
    async fn hand_over(
        &self,
        order: &HandoverOrder,
        claim_id: &str,
        budget: Duration,
    ) -> HandoverResponse {
        let started = Instant::now();
        let now = self.clock.now();
        let terms = ClaimTerms {
            now,
            lease_until: now + budget.as_millis().div_ceil(1000) as u64 + LEASE_MARGIN_SECONDS,
            dedup_until: now + self.dedup_seconds,
        };
        // The claim and the intake read are independent: side by side, the handover waits for
        // one DynamoDB round trip instead of two. An unread intake releases the claim.
        let (claim, intake) = tokio::join!(
            self.store.claim_handover(&order.chat, claim_id, terms),
            self.store.intake(&order.chat, now),
        );
        match claim {
            Ok(Claim::Claimed) => {}
            Ok(Claim::InProgress) => {
                return answer(
                    HandoverStatus::Pending,
                    Some(HandoverReason::HandoverInProgress),
                );
            }
            Ok(Claim::AlreadyHandedOver) => {
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
        let intake = match intake {
            Ok(record) => record.unwrap_or_default(),
            Err(error) => {
                tracing::error!(%error, "intake not read; claim released, nothing sent");
                self.release(&order.chat, claim_id).await;
                return failed(HandoverReason::StoreUnavailable);
            }
        };

        let body = RoutingMutationRequest {
            chat_id: order.chat.as_str().to_owned(),
            mutations: self.mutations.clone(),
            context: handover_context(&intake, order, &self.asked_at(now)),
        };
        let deadline = started + budget.saturating_sub(FINISH_RESERVE);
        let calling = Instant::now();
        let outcome = self
            .routing
            .request_mutations(&order.chat, &body, deadline)
            .await;
        shared::metrics::latency(shared::metrics::ROUTING_LATENCY, calling.elapsed());

        match outcome {
            Ok(()) => {
                let now = self.clock.now();
                let recorded = self
                    .store
                    .record_handover_success(&order.chat, claim_id, now, now + self.dedup_seconds)
                    .await;
                if let Err(error) = recorded {
                    // The chat is handed over; the claim stays pending until its lease ends.
                    tracing::error!(%error, "handover succeeded but was not recorded");
                }
                answer(HandoverStatus::Success, None)
            }
            Err(error) if cm_may_have_acted(&error) => {
                // Keep the claim until its lease ends: a duplicate arriving meanwhile (an
                // automatic retry) must not hand the chat over a second time.
                tracing::warn!(%error, "routing control outcome unknown; claim kept until its lease ends");
                failed(upstream_reason(&error))
            }
            Err(error) => {
                tracing::warn!(%error, "routing control refused; claim released");
                self.release(&order.chat, claim_id).await;
                failed(upstream_reason(&error))
            }
        }
    }
}

/// A handover request that passed every check.
#[derive(Debug)]
pub struct HandoverOrder {
    pub chat: ChatId,
    pub skill: Option<String>,
    pub webstore: Option<String>,
    pub context: BTreeMap<String, String>,
}

impl HandoverOrder {
    pub fn parse(request: HandoverRequest) -> Result<Self, ApiError> {
        let chat =
            ChatId::parse(&request.chat_id).map_err(|e| ApiError::invalid_field("chatId", e))?;
        let skill = optional_text("skill", request.skill.as_deref())?;
        let webstore = optional_text("webstore", request.webstore.as_deref())?;
        let raw_context = request.context.unwrap_or_default();
        if raw_context.len() > CONTEXT_MAX_PAIRS {
            return Err(ApiError::bad_request(format!(
                "context must hold at most {CONTEXT_MAX_PAIRS} pairs"
            )));
        }
        let mut context = BTreeMap::new();
        for (key, value) in raw_context {
            let key_ok = (1..=CONTEXT_KEY_MAX_LEN).contains(&key.len())
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !key_ok {
                return Err(ApiError::bad_request(format!(
                    "context keys must be 1-{CONTEXT_KEY_MAX_LEN} letters, digits, _ - or ."
                )));
            }
            if RESERVED_CONTEXT_KEYS
                .iter()
                .any(|reserved| reserved.eq_ignore_ascii_case(&key))
            {
                return Err(ApiError::bad_request(format!(
                    "context key `{key}` is reserved: it is filled from intake or the request"
                )));
            }
            let value = validate::text(&value, CONTEXT_VALUE_MAX_LEN)
                .map_err(|e| ApiError::invalid_field(&format!("context.{key}"), e))?;
            context.insert(key, value);
        }
        Ok(Self {
            chat,
            skill,
            webstore,
            context,
        })
    }
}

fn optional_text(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|v| validate::text(v, 128).map_err(|e| ApiError::invalid_field(field, e)))
        .transpose()
}

/// `HANDOVER_TIME_ZONE`: an IANA zone name, UTC when unset.
fn time_zone(env: &Env) -> Result<TimeZone, ConfigError> {
    match env.get(config::HANDOVER_TIME_ZONE) {
        None => Ok(TimeZone::UTC),
        Some(name) => TimeZone::get(name).map_err(|_| ConfigError::Invalid {
            var: config::HANDOVER_TIME_ZONE,
            problem: format!("`{name}` is not an IANA time zone name (like Europe/Amsterdam)"),
        }),
    }
}

/// The Context CM.com receives: the stored intake fields, skill, webstore, the `summary` line,
/// the keys MSC routes on and fills the customer profile from as CM.com's own bot builder sends
/// them ([`ROUTING_KEYWORDS`], [`WEBSTORE_REFERRER`], [`CUSTOMER_INFO`]), and the request's own
/// pairs (which cannot overwrite the others: see [`RESERVED_CONTEXT_KEYS`]).
pub fn handover_context(
    intake: &IntakeRecord,
    order: &HandoverOrder,
    asked_at: &str,
) -> BTreeMap<String, String> {
    let mut context = order.context.clone();
    context.insert(
        "summary".to_owned(),
        summary(intake, order.skill.as_deref(), asked_at),
    );
    for field in IntakeField::ALL {
        if let Some(value) = intake.get(&field) {
            context.insert(field.as_str().to_owned(), value.clone());
        }
    }
    if let Some(skill) = &order.skill {
        context.insert("skill".to_owned(), skill.clone());
    }
    if let Some(webstore) = &order.webstore {
        context.insert("webstore".to_owned(), webstore.clone());
        context.insert(WEBSTORE_REFERRER.to_owned(), webstore.clone());
    }
    context.insert(
        ROUTING_KEYWORDS.to_owned(),
        order.skill.clone().unwrap_or_default(),
    );
    if let Some(info) = customer_info(intake) {
        context.insert(CUSTOMER_INFO.to_owned(), info);
    }
    context
}

/// `CustomerInfo`: `{"name":…,"email":…,"phone":…}` with the stored fields only, as a JSON
/// string; `None` when none of them is stored.
pub fn customer_info(intake: &IntakeRecord) -> Option<String> {
    #[derive(serde::Serialize)]
    struct CustomerInfo<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        phone: Option<&'a str>,
    }
    let field = |f: IntakeField| intake.get(&f).map(String::as_str);
    let info = CustomerInfo {
        name: field(IntakeField::Name),
        email: field(IntakeField::Email),
        phone: field(IntakeField::Phone),
    };
    if info.name.is_none() && info.email.is_none() && info.phone.is_none() {
        return None;
    }
    serde_json::to_string(&info).ok()
}

/// One line an agent can act on without asking again: who, how to reach them, when they asked,
/// in which language, for which skill, and their question, e.g.
/// `Jan de Vries (jan@example.nl, +31 6 1234 5678) asked for an agent at 2026-11-24 15:05 CET,
/// language nl, skill billing: "Where is my order?"`. At most [`SUMMARY_MAX_CHARS`] characters.
pub fn summary(intake: &IntakeRecord, skill: Option<&str>, asked_at: &str) -> String {
    let field = |f: IntakeField| intake.get(&f).map(String::as_str);
    let mut line = field(IntakeField::Name)
        .unwrap_or("The customer")
        .to_owned();
    let contact: Vec<&str> = [IntakeField::Email, IntakeField::Phone]
        .into_iter()
        .filter_map(field)
        .collect();
    if !contact.is_empty() {
        line.push_str(&format!(" ({})", contact.join(", ")));
    }
    line.push_str(&format!(" asked for an agent at {asked_at}"));
    if let Some(language) = field(IntakeField::Language) {
        line.push_str(&format!(", language {language}"));
    }
    if let Some(skill) = skill {
        line.push_str(&format!(", skill {skill}"));
    }
    match field(IntakeField::Question) {
        Some(question) => line.push_str(&format!(": \"{question}\"")),
        None => line.push('.'),
    }
    if line.chars().count() > SUMMARY_MAX_CHARS {
        line = line.chars().take(SUMMARY_MAX_CHARS - 1).collect();
        line.push('…');
    }
    line
}

/// Whether CM.com may have acted on a handover that failed this way: when the request may have
/// been received and the answer does not say it was refused (a timeout, a connection lost after
/// sending, a 5xx). Then the outcome is unknown. "Could not connect" and a 4xx are refusals.
pub fn cm_may_have_acted(error: &UpstreamError) -> bool {
    match error {
        // a 2xx, whatever its body says, is CM.com's word that it took the request
        UpstreamError::Timeout
        | UpstreamError::Unreachable
        | UpstreamError::UnrecognisedAnswer { .. } => true,
        UpstreamError::Status(status) => *status >= 500,
        UpstreamError::NotConnected
        | UpstreamError::UnreadableBody
        | UpstreamError::InvalidToken => false,
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

/// A claim id unique to this invocation: the Lambda request id where there is one, plus random
/// bytes (so that two runs outside Lambda never share one).
fn claim_id(req: &Request) -> String {
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    format!("{request_id}:{suffix}")
}

/// The lambda_http entry point: every outcome is a response.
pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, Infallible> {
    // boxed: the future holds the SDK's and is tens of KB; moved by value, every layer above
    // (our span, lambda_http, lambda_runtime) would copy it (docs/performance.md)
    Ok(http::serve("handover", &req, Box::pin(respond(app, &req))).await)
}

async fn respond(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    http::admit(
        req,
        &*app.tokens.get().await,
        "handover",
        Method::POST,
        "POST",
    )?;
    let order = HandoverOrder::parse(http::json_body(req, None)?)?;
    app.chats.record(&order.chat);
    let budget = http::budget(req, app.budget);
    let answer = app.hand_over(&order, &claim_id(req), budget).await;
    // wire names, as the dialog gets them; no `reason` field when there is none
    tracing::info!(
        status = answer.handover_status.as_str(),
        reason = answer.reason.map(HandoverReason::as_str),
        "handover answered"
    );
    Ok(http::with_outcome(answer.metric(), http::ok_json(&answer)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(body: serde_json::Value) -> Result<HandoverOrder, ApiError> {
        HandoverOrder::parse(
            serde_json::from_value(body).unwrap_or_else(|e| panic!("fixture: {e}")),
        )
    }

    #[test]
    fn context_joins_intake_request_fields_and_pairs() {
        let order = order(json!({
            "chatId": "c1", "skill": " billing ", "webstore": "shop-nl", "context": {"orderId": "A-17"}
        }));
        let mut intake = IntakeRecord::new();
        intake.insert(IntakeField::Name, "Jan".into());
        intake.insert(IntakeField::Email, "jan@example.nl".into());
        let context = order.map(|o| handover_context(&intake, &o, "2026-11-24 15:05 CET"));
        let expected: BTreeMap<String, String> = [
            ("email", "jan@example.nl"),
            ("name", "Jan"),
            ("orderId", "A-17"),
            ("skill", "billing"),
            ("webstore", "shop-nl"),
            ("RoutingKeywords", "billing"),
            ("WebStoreReferrer", "shop-nl"),
            ("CustomerInfo", r#"{"name":"Jan","email":"jan@example.nl"}"#),
            (
                "summary",
                "Jan (jan@example.nl) asked for an agent at 2026-11-24 15:05 CET, skill billing.",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(context, Ok(expected));
    }

    #[test]
    fn without_skill_webstore_or_intake_only_the_routing_keywords_are_sent() {
        let order = order(json!({"chatId": "c1"}));
        let context =
            order.map(|o| handover_context(&IntakeRecord::new(), &o, "2026-11-24 15:05 CET"));
        let keys = context.map(|c| {
            c.into_iter()
                .filter(|(k, _)| k != "summary")
                .collect::<Vec<_>>()
        });
        assert_eq!(
            keys,
            Ok(vec![("RoutingKeywords".to_owned(), String::new())])
        );
    }

    #[test]
    fn customer_info_is_a_json_string_of_what_is_stored() {
        let mut intake = IntakeRecord::new();
        assert_eq!(customer_info(&intake), None);
        intake.insert(IntakeField::Question, "Where?".into());
        assert_eq!(customer_info(&intake), None);
        intake.insert(IntakeField::Phone, "+31 6 1234 5678".into());
        assert_eq!(
            customer_info(&intake).as_deref(),
            Some(r#"{"phone":"+31 6 1234 5678"}"#)
        );
        intake.insert(IntakeField::Name, "Zoë \"Q\" de Vries".into());
        intake.insert(IntakeField::Email, "zoe@example.nl".into());
        let info = customer_info(&intake).unwrap_or_default();
        assert_eq!(
            info,
            r#"{"name":"Zoë \"Q\" de Vries","email":"zoe@example.nl","phone":"+31 6 1234 5678"}"#
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&info).ok(),
            Some(
                json!({"name": "Zoë \"Q\" de Vries", "email": "zoe@example.nl", "phone": "+31 6 1234 5678"})
            )
        );
    }

    #[test]
    fn the_routing_keys_are_reserved_in_any_case() {
        for key in [
            "RoutingKeywords",
            "routingkeywords",
            "WebStoreReferrer",
            "WEBSTOREREFERRER",
            "CustomerInfo",
            "customerInfo",
            "Summary",
        ] {
            let parsed = order(json!({"chatId": "c", "context": {key: "x"}}));
            assert_eq!(
                parsed.map(|_| ()),
                Err(ApiError::bad_request(format!(
                    "context key `{key}` is reserved: it is filled from intake or the request"
                ))),
                "{key}"
            );
        }
    }

    #[test]
    fn context_refuses_reserved_bad_and_too_many_keys() {
        let reserved = order(json!({"chatId": "c", "context": {"email": "x@example.nl"}}));
        assert_eq!(
            reserved.map(|_| ()),
            Err(ApiError::bad_request(
                "context key `email` is reserved: it is filled from intake or the request"
            ))
        );
        let bad_key = order(json!({"chatId": "c", "context": {"a b": "x"}}));
        assert_eq!(
            bad_key.map(|_| ()),
            Err(ApiError::bad_request(
                "context keys must be 1-64 letters, digits, _ - or ."
            ))
        );
        let bad_value = order(json!({"chatId": "c", "context": {"k": "a\u{0}b"}}));
        assert_eq!(
            bad_value.map(|_| ()),
            Err(ApiError::bad_request(
                "context.k must not contain control or bidirectional-override characters"
            ))
        );
        let many: serde_json::Map<String, serde_json::Value> = (0..=CONTEXT_MAX_PAIRS)
            .map(|i| (format!("k{i}"), json!("v")))
            .collect();
        assert_eq!(
            order(json!({"chatId": "c", "context": many})).map(|_| ()),
            Err(ApiError::bad_request("context must hold at most 20 pairs"))
        );
    }

    #[test]
    fn the_summary_says_what_the_customer_gave() {
        let mut intake = IntakeRecord::new();
        assert_eq!(
            summary(&intake, None, "2026-11-24 14:05 UTC"),
            "The customer asked for an agent at 2026-11-24 14:05 UTC."
        );
        intake.insert(IntakeField::Phone, "+31 6 1234 5678".into());
        intake.insert(IntakeField::Question, "Where is my order?".into());
        intake.insert(IntakeField::Language, "nl".into());
        assert_eq!(
            summary(&intake, None, "2026-11-24 15:05 CET"),
            "The customer (+31 6 1234 5678) asked for an agent at 2026-11-24 15:05 CET, language nl: \"Where is my order?\""
        );
        intake.insert(IntakeField::Name, "Jan de Vries".into());
        intake.insert(IntakeField::Email, "jan@example.nl".into());
        assert_eq!(
            summary(&intake, Some("billing"), "2026-11-24 15:05 CET"),
            "Jan de Vries (jan@example.nl, +31 6 1234 5678) asked for an agent at 2026-11-24 15:05 CET, language nl, skill billing: \"Where is my order?\""
        );
    }

    #[test]
    fn a_long_question_is_cut_to_the_bound() {
        let mut intake = IntakeRecord::new();
        intake.insert(IntakeField::Name, "Zoë".into());
        intake.insert(IntakeField::Question, "é".repeat(2000));
        let line = summary(&intake, None, "2026-11-24 15:05 CET");
        assert_eq!(line.chars().count(), SUMMARY_MAX_CHARS);
        assert!(line.starts_with("Zoë asked for an agent at 2026-11-24 15:05 CET: \"éé"));
        assert!(line.ends_with("é…"));
    }

    #[test]
    fn only_refusals_are_known_outcomes() {
        for unknown in [
            UpstreamError::Timeout,
            UpstreamError::Unreachable,
            UpstreamError::Status(500),
            UpstreamError::Status(502),
            UpstreamError::Status(503),
            UpstreamError::Status(504),
        ] {
            assert!(cm_may_have_acted(&unknown), "{unknown:?}");
        }
        for refused in [
            UpstreamError::NotConnected,
            UpstreamError::Status(400),
            UpstreamError::Status(401),
            UpstreamError::Status(404),
            UpstreamError::Status(429),
            UpstreamError::Status(302),
        ] {
            assert!(!cm_may_have_acted(&refused), "{refused:?}");
        }
    }

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
