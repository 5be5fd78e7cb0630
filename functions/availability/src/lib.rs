//! Step 1 of the seed's handover dialog: are MSC agents available?
//!
//! `POST /availability` answers `{"agentStatus","agentAvailable","reason"}` in a 200 whatever the
//! presence source does, within the time budget. The presence source is MSC's presence API, the
//! guide's own (`MSC_API_KEY`), or a third-party one that answers JSON (`AVAILABILITY_URL`).
//! The same endpoint serves as CAIC's Third-Party presence-check webhook
//! (`{"url","channel","data":{"context"}}`, webstore = `data.context`), which cannot send
//! headers: for that shape only, a token may ride in the URL (`?calloutToken=`), and it must be
//! a presence-check token (`PRESENCE_CHECK_TOKENS`), which opens nothing else.
//! With `BUSINESS_HOURS` set, a request outside the opening hours is answered offline with the
//! next opening, and the presence source is not asked (see [`hours`]).
//! The chat's `channel` picks the presence channel asked about (`MSC_CHANNELS`, see
//! [`shared::setup::channel`]); a channel without agents is answered offline without asking.
//! A web store whose opening-hours entry names `overflow` web stores hands a chat it cannot take
//! to the first of them that can: availability answers online with that `webstore`, and, given
//! the chat's id, records the decision on the chat, which the handover follows (see `decision.rs`).
//!
//! Here: the app and its start-up, the token check and the handler. The request is read in
//! `request.rs`, the answer decided in `decision.rs` (the opening hours in [`hours`], the
//! overflow in [`overflow`]), the presence asked of the [`source`] and remembered in [`memory`].

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use shared::ApiError;
use shared::adapters::store::Store;
use shared::contract::{
    AgentStatus, AvailabilityReason, AvailabilityRequest, AvailabilityResponse,
};
use shared::http;
use shared::rules::clock::{Clock, SystemClock};
use shared::rules::language::{Language, Spoken};
use shared::rules::words;
use shared::setup::auth::CalloutTokens;
use shared::setup::channel::{Channels, ChatChannel};
use shared::setup::config::{self, ConfigError, Env};
use shared::setup::refreshing::Refreshing;
use shared::setup::telemetry::ChatTagger;
use shared::setup::warm;

mod decision;
pub mod hours;
pub mod memory;
pub mod overflow;
mod request;
pub mod source;

pub use request::{PAGE_URL_MAX_BYTES, Subject, URL_TOKEN_PARAMETER};
pub use source::PresenceChoice;

use hours::BusinessHours;
use memory::{MemorySettings, PresenceMemory};
use request::chat_and_subject;
use source::{Presence, presence_source};

pub const DEFAULT_BUDGET_MS: u64 = 2500;
pub const DEFAULT_CACHE_SECONDS: u64 = 10;

/// Kept back from the budget for our own work around the upstream call.
const MARGIN: Duration = Duration::from_millis(50);

pub struct App {
    tokens: Refreshing<CalloutTokens>,
    /// The only tokens a URL may carry (`PRESENCE_CHECK_TOKENS`); without them, none is accepted.
    presence_check_tokens: Option<Refreshing<CalloutTokens>>,
    hours: Option<Refreshing<BusinessHours>>,
    presence: Option<Presence>,
    /// How long init may spend opening the presence source's connection (`WARM_UP_MS`).
    warm_up: Duration,
    budget: Duration,
    clock: Arc<dyn Clock>,
    /// Tags the request's log lines with its chat (`CHAT_LOG_KEY`; off when unset).
    chats: ChatTagger,
    /// The chat's channel to MSC's presence channel (`MSC_CHANNEL`, `MSC_CHANNELS`).
    channels: Channels,
    /// Where route decisions are recorded (`TABLE_NAME`); without it, no chat overflows. Also
    /// where a chat's intake says the customer's language.
    store: Option<Store>,
    /// The deployment's customer language (`CUSTOMER_LANGUAGE`).
    deployment: Spoken,
}

impl App {
    pub async fn from_env(env: &Env, sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let sdk = &shared::setup::aws::for_function(sdk, "availability");
        let tokens = shared::setup::auth::callout_tokens(env, sdk).await?;
        let presence_check_tokens = shared::setup::auth::presence_check_tokens(env, sdk).await?;
        if presence_check_tokens.is_none() {
            tracing::info!(
                "no presence-check tokens ({} or {}): a token in the URL, as CAIC's presence-check webhook sends it, answers 401",
                config::PRESENCE_CHECK_TOKENS,
                config::PRESENCE_CHECK_TOKEN_PARAM
            );
        }
        let budget = env.duration_ms(config::AVAILABILITY_BUDGET_MS, DEFAULT_BUDGET_MS)?;
        let hours = Refreshing::load_if_set(
            env,
            config::BUSINESS_HOURS,
            config::BUSINESS_HOURS_PARAM,
            sdk,
            |json| BusinessHours::parse(json.expose()),
        )
        .await?;
        let presence = match presence_source(env, sdk).await? {
            None => None,
            Some(source) => {
                let cache_seconds = env.u64_in(
                    config::AVAILABILITY_CACHE_SECONDS,
                    DEFAULT_CACHE_SECONDS,
                    0,
                    300,
                )?;
                Some(Presence {
                    source,
                    memory: Mutex::new(PresenceMemory::new(MemorySettings::with_fresh_for(
                        Duration::from_secs(cache_seconds),
                    ))),
                })
            }
        };
        let store = env
            .get(config::TABLE_NAME)
            .map(|table| Store::new(aws_sdk_dynamodb::Client::new(sdk), table));
        if store.is_none()
            && let Some(hours) = &hours
            && hours.get().await.has_overflow()
        {
            return Err(ConfigError::invalid(
                config::TABLE_NAME,
                format!(
                    "is not set, but {} names overflow web stores: availability records where a chat overflows to in the table, for the handover",
                    config::BUSINESS_HOURS
                ),
            ));
        }
        Ok(Self {
            tokens,
            presence_check_tokens,
            hours,
            presence,
            budget,
            clock: Arc::new(SystemClock),
            chats: shared::setup::telemetry::chat_tagger(env, sdk).await?,
            warm_up: warm::limit(env)?,
            channels: Channels::from_env(env)?,
            store,
            deployment: Spoken {
                customer: env.parsed(config::CUSTOMER_LANGUAGE, Language::configured)?,
                agent: None,
            },
        })
    }

    /// The same app reading time from `clock` (tests, replays).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Opens the presence source's connection before the first request (see [`shared::setup::warm`]).
    pub async fn warm_up(&self) {
        if let Some(presence) = &self.presence {
            warm::warm_up("presence", self.warm_up, presence.source.warm_up()).await;
        }
    }
}

/// The token check, in the contract's order (401 before 404 before 405). A callout token comes in
/// `X-Callout-Token`; where the caller cannot send headers, a presence-check token comes in the
/// `calloutToken` query parameter (percent-decoded exactly: see [`http::query_parameter`]), and
/// then the request must be CAIC's presence-check webhook (checked by [`respond`] once the body
/// is read). Neither kind is accepted in the other's place. When the header is sent, it decides.
/// Returns whether the token came in the URL.
async fn admit(app: &App, req: &Request) -> Result<bool, ApiError> {
    let url_token = match http::header_token(req) {
        Some(_) => None,
        None => http::query_parameter(req, URL_TOKEN_PARAMETER),
    };
    let Some(url_token) = url_token else {
        http::admit(
            req,
            &*app.tokens.get().await,
            "availability",
            Method::POST,
            "POST",
        )?;
        return Ok(false);
    };
    let Some(presence_check_tokens) = &app.presence_check_tokens else {
        return Err(ApiError::UrlTokenRefused);
    };
    http::admit_presented(
        req,
        Some(&url_token),
        &*presence_check_tokens.get().await,
        "availability",
        Method::POST,
        "POST",
    )
    .map_err(|refused| match refused {
        ApiError::Unauthorized => ApiError::UrlTokenRefused,
        other => other,
    })?;
    Ok(true)
}

/// The lambda_http entry point: every outcome is a response.
pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, Infallible> {
    // boxed: the future holds the SDK's and is tens of KB; moved by value, every layer above
    // (our span, lambda_http, lambda_runtime) would copy it (docs/performance.md)
    Ok(http::answer("availability", &req, Box::pin(respond(app, &req))).await)
}

async fn respond(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    let token_in_url = admit(app, req).await?;
    let request: AvailabilityRequest = http::json_body(req, Some(AvailabilityRequest::default()))?;
    if token_in_url && !request.is_presence_check() {
        return Err(ApiError::TokenInUrlRefused);
    }
    if let Some(field) = request.refused_field() {
        // our own shape is strict, as the other routes' bodies are: an unknown field is a typo
        return Err(http::unknown_field(field));
    }
    let (chat, subject) = chat_and_subject(request)?;
    if let Some(chat) = &chat {
        app.chats.record(chat);
    }
    let budget = http::budget(req, app.budget);
    let channel = app.channels.resolve(subject.channel.as_deref());
    let answer = match channel {
        ChatChannel::NotServed => {
            tracing::info!(
                channel = subject.channel.as_deref(),
                "the chat's channel has no MSC presence channel (MSC_CHANNELS): offline, presence not asked"
            );
            AvailabilityResponse::new(AgentStatus::Offline, AvailabilityReason::ChannelNotServed)
        }
        ChatChannel::Served(presence_channel) => {
            let started = tokio::time::Instant::now();
            // one reading of the hours for the whole request: every web store judged, and the
            // customer's language chosen, by the same
            let hours = match &app.hours {
                Some(hours) => Some(hours.get().await),
                None => None,
            };
            let hours = hours.as_deref();
            let mut answer = app
                .decide(chat.as_ref(), &subject, presence_channel, hours, budget)
                .await;
            answer.say_when_no_opening_follows();
            if let Some(opens) = &answer.next_opening {
                let deadline = started + budget.saturating_sub(MARGIN);
                let language = app
                    .customer_language(chat.as_ref(), &subject, hours, deadline)
                    .await;
                let now = shared::rules::clock::timestamp(app.clock.now())
                    .to_zoned_datetime(opens.time_zone().clone());
                answer.next_opening_text = Some(words::next_opening_text(language, opens, &now));
            }
            answer
        }
    };
    shared::setup::metrics::count_on_channel(answer.metric(), channel.dimension());
    Ok(http::with_outcome(answer.metric(), http::ok_json(&answer)))
}
