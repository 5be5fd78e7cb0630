//! Step 3 of the seed's handover dialog: keep what the customer told the bot, per chat.
//!
//! `POST /intake` merges any subset of name, e-mail, phone, question and language into the
//! chat's record (one Capture Input node per field works) and says what is still missing.
//! `DELETE /intake/{chatId}` erases the chat's personal data (204, idempotent).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use shared::ApiError;
use shared::adapters::store::Store;
use shared::contract::validate::{self, ChatId, FieldError};
use shared::contract::{IntakeField, IntakeReason, IntakeRecord, IntakeRequest, IntakeResponse};
use shared::http;
use shared::rules::clock::{Clock, SystemClock};
use shared::setup::auth::CalloutTokens;
use shared::setup::config::{self, ConfigError, Env};
use shared::setup::refreshing::Refreshing;
use shared::setup::telemetry::ChatTagger;
use shared::setup::warm;

/// How long an intake record lives after its last write, by default: one hour. CAIC forgets a
/// session after 15 minutes without a message (knowledgecenter.cm.com/kc/sessions), so the
/// record is needed for one dialog; an hour covers a slow one with room to spare and keeps
/// personal data no longer than that (docs/configuration.md).
pub const DEFAULT_TTL_SECONDS: u64 = 3_600;
/// A record lives at most 30 days without a write.
const MAX_TTL_SECONDS: u64 = 30 * 86_400;

pub const NAME_MAX_LEN: usize = 100;
pub const QUESTION_MAX_LEN: usize = 1000;

pub struct App {
    tokens: Refreshing<CalloutTokens>,
    store: Store,
    required: Vec<IntakeField>,
    ttl_seconds: u64,
    clock: Arc<dyn Clock>,
    /// Tags the request's log lines with its chat (`CHAT_LOG_KEY`; off when unset).
    chats: ChatTagger,
    /// How long init may spend opening the DynamoDB connection (`WARM_UP_MS`).
    warm_up: Duration,
}

impl App {
    pub async fn from_env(env: &Env, sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let sdk = &shared::setup::aws::for_function(sdk, "intake");
        let tokens = shared::setup::auth::callout_tokens(env, sdk).await?;
        let table = env.required(config::TABLE_NAME)?;
        Ok(Self {
            tokens,
            store: Store::new(aws_sdk_dynamodb::Client::new(sdk), table),
            required: required_fields(env)?,
            ttl_seconds: env.positive_u64(
                config::INTAKE_TTL_SECONDS,
                DEFAULT_TTL_SECONDS,
                MAX_TTL_SECONDS,
            )?,
            clock: Arc::new(SystemClock),
            chats: shared::setup::telemetry::chat_tagger(env, sdk).await?,
            warm_up: warm::limit(env)?,
        })
    }

    /// The same app reading time from `clock` (tests, replays).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Opens the DynamoDB connection before the first request (see [`shared::setup::warm`]).
    pub async fn warm_up(&self) {
        warm::warm_up("dynamodb", self.warm_up, self.store.warm_up()).await;
    }

    async fn merge(&self, chat: &ChatId, request: &IntakeRequest) -> IntakeResponse {
        let now = self.clock.now();
        let fields = match normalise_fields(request) {
            Ok(fields) => fields,
            Err(invalid) => return self.unchanged(chat, invalid).await,
        };
        if fields.is_empty() {
            return self.unchanged(chat, Vec::new()).await;
        }
        match self
            .store
            .merge_intake(chat, &fields, now, now + self.ttl_seconds)
            .await
        {
            Ok(record) => self.answer(true, &record, Vec::new()),
            Err(error) => {
                tracing::error!(%error, "intake not stored");
                self.store_unavailable(Vec::new())
            }
        }
    }

    /// The answer when this request writes nothing: what the record already holds.
    async fn unchanged(&self, chat: &ChatId, invalid: Vec<IntakeField>) -> IntakeResponse {
        match self.store.intake(chat, self.clock.now()).await {
            Ok(record) => self.answer(false, &record.unwrap_or_default(), invalid),
            Err(error) => {
                tracing::error!(%error, "intake not read");
                self.store_unavailable(invalid)
            }
        }
    }

    fn answer(
        &self,
        stored: bool,
        record: &IntakeRecord,
        invalid: Vec<IntakeField>,
    ) -> IntakeResponse {
        IntakeResponse::new(stored, missing(&self.required, record), invalid, None)
    }

    fn store_unavailable(&self, invalid: Vec<IntakeField>) -> IntakeResponse {
        IntakeResponse::new(
            false,
            self.required.clone(),
            invalid,
            Some(IntakeReason::StoreUnavailable),
        )
    }
}

/// Checks and normalises one intake value (trimmed, NFC, within its bounds).
pub fn normalise(field: IntakeField, raw: &str) -> Result<String, FieldError> {
    match field {
        IntakeField::Name => validate::text(raw, NAME_MAX_LEN),
        IntakeField::Email => validate::email(raw),
        IntakeField::Phone => validate::phone(raw),
        IntakeField::Question => validate::text(raw, QUESTION_MAX_LEN),
        IntakeField::Language => validate::language(raw),
    }
}

/// All of a request's values normalised, or the fields that are invalid (then none is stored).
pub fn normalise_fields(
    request: &IntakeRequest,
) -> Result<Vec<(IntakeField, String)>, Vec<IntakeField>> {
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    for (field, raw) in request.fields() {
        match normalise(field, raw) {
            Ok(value) => valid.push((field, value)),
            Err(_) => invalid.push(field),
        }
    }
    if invalid.is_empty() {
        Ok(valid)
    } else {
        Err(invalid)
    }
}

/// The required fields the record does not hold yet.
pub fn missing(required: &[IntakeField], record: &IntakeRecord) -> Vec<IntakeField> {
    required
        .iter()
        .copied()
        .filter(|f| !record.contains_key(f))
        .collect()
}

/// The lambda_http entry point: every outcome is a response.
pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, Infallible> {
    // boxed: the future holds the SDK's and is tens of KB; moved by value, every layer above
    // (our span, lambda_http, lambda_runtime) would copy it (docs/performance.md)
    Ok(http::answer("intake", &req, Box::pin(respond(app, &req))).await)
}

async fn respond(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    http::authorize(req, &*app.tokens.get().await)?;
    let segments = http::path_segments(req);
    let is_intake = http::is_resource(&segments, "intake");
    let chat_in_path = match segments.as_slice() {
        [.., "intake", chat_id] => Some(*chat_id),
        _ => None,
    };
    // The method decides first, so that `/intake/intake` (a stage named intake) is still
    // `POST /intake`.
    match (req.method(), is_intake, chat_in_path) {
        (&Method::POST, true, _) => store(app, req).await,
        (&Method::DELETE, _, Some(chat_id)) => erase(app, chat_id).await,
        (_, true, _) => Err(ApiError::MethodNotAllowed { allow: "POST" }),
        (_, false, Some(_)) => Err(ApiError::MethodNotAllowed { allow: "DELETE" }),
        (_, false, None) => Err(ApiError::NotFound),
    }
}

async fn store(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let request: IntakeRequest = http::json_body(req, None)?;
    let chat = ChatId::parse(&request.chat_id).map_err(|e| ApiError::invalid_field("chatId", e))?;
    app.chats.record(&chat);
    let answer = app.merge(&chat, &request).await;
    // the invalid fields by their wire names (`email,phone`); no `invalid` field when none is
    let invalid = (!answer.invalid.is_empty()).then(|| {
        answer
            .invalid
            .iter()
            .map(|field| field.as_str())
            .collect::<Vec<_>>()
            .join(",")
    });
    tracing::info!(complete = answer.complete, invalid, "intake answered");
    Ok(http::with_outcome(answer.metric(), http::ok_json(&answer)))
}

async fn erase(app: &App, raw_chat_id: &str) -> Result<Response<Body>, ApiError> {
    let decoded = percent_encoding::percent_decode_str(raw_chat_id)
        .decode_utf8()
        .map_err(|_| ApiError::bad_request("chatId is not valid UTF-8"))?;
    let chat = ChatId::parse(&decoded).map_err(|e| ApiError::invalid_field("chatId", e))?;
    app.chats.record(&chat);
    app.store.erase_intake(&chat).await.map_err(|error| {
        tracing::error!(%error, "intake not erased");
        ApiError::StoreUnavailable
    })?;
    Ok(http::with_outcome(
        shared::contract::INTAKE_ERASED,
        http::no_content(),
    ))
}

/// `config::INTAKE_REQUIRED_FIELDS`: comma-separated intake field names, default `name,email`.
pub fn required_fields(env: &Env) -> Result<Vec<IntakeField>, ConfigError> {
    let raw = env
        .get(config::INTAKE_REQUIRED_FIELDS)
        .unwrap_or("name,email");
    let mut fields = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let field = IntakeField::parse(name).ok_or_else(|| {
            ConfigError::invalid(
                config::INTAKE_REQUIRED_FIELDS,
                format!("names `{name}`, not one of name, email, phone, question, language"),
            )
        })?;
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    fields.sort();
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> IntakeRequest {
        serde_json::from_value(json).unwrap_or_else(|e| panic!("fixture: {e}"))
    }

    #[test]
    fn all_valid_fields_are_normalised() {
        let req = request(serde_json::json!({
            "chatId": "c", "name": "  Ame\u{301}lie ", "email": " a@example.nl", "language": "nl_BE"
        }));
        assert_eq!(
            normalise_fields(&req),
            Ok(vec![
                (IntakeField::Name, "Am\u{e9}lie".to_owned()),
                (IntakeField::Email, "a@example.nl".to_owned()),
                (IntakeField::Language, "nl-BE".to_owned()),
            ])
        );
    }

    #[test]
    fn one_invalid_field_stores_nothing_and_names_each_bad_field() {
        let req = request(serde_json::json!({
            "chatId": "c", "name": "Jan", "email": "not-an-address", "phone": "   ", "question": "x\u{202E}y"
        }));
        assert_eq!(
            normalise_fields(&req),
            Err(vec![
                IntakeField::Email,
                IntakeField::Phone,
                IntakeField::Question
            ])
        );
    }

    #[test]
    fn over_long_values_are_invalid() {
        assert_eq!(
            normalise(IntakeField::Name, &"n".repeat(NAME_MAX_LEN + 1)),
            Err(FieldError::TooLong { max: NAME_MAX_LEN })
        );
        assert!(normalise(IntakeField::Question, &"q".repeat(QUESTION_MAX_LEN)).is_ok());
    }

    #[test]
    fn missing_lists_required_fields_not_stored() {
        let required = [IntakeField::Name, IntakeField::Email];
        let mut record = IntakeRecord::new();
        assert_eq!(missing(&required, &record), required.to_vec());
        record.insert(IntakeField::Email, "a@example.nl".into());
        record.insert(IntakeField::Phone, "0612345678".into());
        assert_eq!(missing(&required, &record), vec![IntakeField::Name]);
        record.insert(IntakeField::Name, "Jan".into());
        assert_eq!(missing(&required, &record), Vec::<IntakeField>::new());
    }

    #[test]
    fn required_fields_default_and_parse() {
        assert_eq!(
            required_fields(&Env::default()).ok(),
            Some(vec![IntakeField::Name, IntakeField::Email])
        );
        let e = Env::from_pairs([(config::INTAKE_REQUIRED_FIELDS, "question, email,email")]);
        assert_eq!(
            required_fields(&e).ok(),
            Some(vec![IntakeField::Email, IntakeField::Question])
        );
        let bad = required_fields(&Env::from_pairs([(
            config::INTAKE_REQUIRED_FIELDS,
            "name,age",
        )]))
        .map_err(|e| e.to_string());
        assert_eq!(
            bad,
            Err("configuration: INTAKE_REQUIRED_FIELDS names `age`, not one of name, email, phone, question, language".to_owned())
        );
    }
}
