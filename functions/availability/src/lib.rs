//! Step 1 of the seed's handover dialog: are MSC agents available?
//!
//! `POST /availability` answers `{"agentStatus","agentAvailable","reason"}` in a 200 whatever the
//! presence source does, within the time budget. The same endpoint serves as CAIC's Third-Party
//! presence-check webhook (`{"url","channel","data":{"context"}}`, webstore = `data.context`).
//! With `BUSINESS_HOURS` set, a request outside the opening hours is answered offline with the
//! next opening, and the presence source is not asked (see [`hours`]).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::ApiError;
use shared::clock::{Clock, SystemClock};
use shared::cm::PresenceSource;
use shared::config::{self, ConfigError, Env};
use shared::secrets::{self, Refreshing};
use shared::telemetry::ChatTagger;
use shared::validate::{self, ChatId};
use shared::warm;
use shared::wire::{AgentStatus, AvailabilityReason, AvailabilityRequest, AvailabilityResponse};
use shared::{auth::CalloutTokens, http};

pub mod hours;
pub mod memory;

use hours::{BusinessHours, ClosedReason, Verdict};
use memory::{MemorySettings, Plan, PresenceMemory};

pub const DEFAULT_BUDGET_MS: u64 = 3000;
pub const DEFAULT_CACHE_SECONDS: u64 = 10;

/// Kept back from the budget for our own work around the upstream call.
const MARGIN: Duration = Duration::from_millis(50);

pub struct App {
    tokens: Refreshing<CalloutTokens>,
    hours: Option<Refreshing<BusinessHours>>,
    presence: Option<Presence>,
    /// How long init may spend opening the presence source's connection (`WARM_UP_MS`).
    warm_up: Duration,
    budget: Duration,
    clock: Arc<dyn Clock>,
    /// Tags the request's log lines with its chat (`CHAT_LOG_KEY`; off when unset).
    chats: ChatTagger,
}

struct Presence {
    source: PresenceSource,
    online_pointer: String,
    memory: Mutex<PresenceMemory>,
}

impl Presence {
    fn remember<T>(&self, f: impl FnOnce(&mut PresenceMemory) -> T) -> T {
        // a panic elsewhere cannot leave the memory half-written: it is plain data
        let mut memory = self
            .memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut memory)
    }
}

impl App {
    pub async fn from_env(env: &Env, sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let tokens = secrets::callout_tokens(env, sdk).await?;
        let budget = env.duration_ms(config::AVAILABILITY_BUDGET_MS, DEFAULT_BUDGET_MS)?;
        let hours = if env.get(config::BUSINESS_HOURS).is_some()
            || env.get(config::BUSINESS_HOURS_PARAM).is_some()
        {
            Some(
                Refreshing::load(
                    env,
                    config::BUSINESS_HOURS,
                    config::BUSINESS_HOURS_PARAM,
                    sdk,
                    secrets::refresh_interval(env)?,
                    |json| BusinessHours::parse(json.expose()),
                )
                .await?,
            )
        } else {
            None
        };
        let presence = match env.get(config::AVAILABILITY_URL) {
            None => None,
            Some(url) => {
                let has_token = env.get(config::CM_PRODUCT_TOKEN).is_some()
                    || env.get(config::CM_PRODUCT_TOKEN_PARAM).is_some();
                let token = if has_token {
                    Some(std::sync::Arc::new(secrets::product_token(env, sdk).await?))
                } else {
                    None
                };
                let source = PresenceSource::new(
                    shared::cm::http_client()?,
                    config::AVAILABILITY_URL,
                    url,
                    token,
                )?;
                let cache_seconds = env.u64_in(
                    config::AVAILABILITY_CACHE_SECONDS,
                    DEFAULT_CACHE_SECONDS,
                    0,
                    300,
                )?;
                Some(Presence {
                    source,
                    online_pointer: config::online_pointer(env)?,
                    memory: Mutex::new(PresenceMemory::new(MemorySettings::with_fresh_for(
                        Duration::from_secs(cache_seconds),
                    ))),
                })
            }
        };
        Ok(Self {
            tokens,
            hours,
            presence,
            budget,
            clock: Arc::new(SystemClock),
            chats: secrets::chat_tagger(env, sdk).await?,
            warm_up: warm::limit(env)?,
        })
    }

    /// The same app reading time from `clock` (tests, replays).
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self }
    }

    /// Opens the presence source's connection before the first request (see [`shared::warm`]).
    pub async fn warm_up(&self) {
        if let Some(presence) = &self.presence {
            warm::warm_up("presence", self.warm_up, presence.source.warm_up()).await;
        }
    }

    /// Offline with the next opening when the opening hours say closed; `None` when open (or
    /// when no hours are configured).
    async fn closed_now(&self, webstore: Option<&str>) -> Option<AvailabilityResponse> {
        let hours = self.hours.as_ref()?.get().await;
        let schedule = hours.schedule_for(webstore);
        match schedule.verdict(shared::clock::timestamp(self.clock.now())) {
            Verdict::Open => None,
            Verdict::Closed {
                reason,
                next_opening,
            } => Some(AvailabilityResponse::closed(
                match reason {
                    ClosedReason::OutsideHours => AvailabilityReason::OutsideBusinessHours,
                    ClosedReason::ClosedDate => AvailabilityReason::Closed,
                },
                next_opening.map(|at| schedule.rfc3339(at)),
            )),
        }
    }

    /// Answers from memory or asks the presence source (see [`memory`]) within the budget;
    /// never fails.
    async fn check(&self, webstore: Option<&str>, budget: Duration) -> AvailabilityResponse {
        if let Some(closed) = self.closed_now(webstore).await {
            return closed;
        }
        let Some(presence) = &self.presence else {
            return AvailabilityResponse::new(
                AgentStatus::Online,
                AvailabilityReason::PresenceCheckDisabled,
            );
        };
        let unavailable = AvailabilityResponse::new(
            AgentStatus::Offline,
            AvailabilityReason::UpstreamUnavailable,
        );
        match presence.remember(|m| m.plan(webstore, Instant::now())) {
            Plan::Remembered(online) => answer(online),
            Plan::DoNotAsk { fallback } => fallback.map(answer).unwrap_or(unavailable),
            Plan::Ask { fallback } => {
                let started = tokio::time::Instant::now();
                let deadline = started + budget.saturating_sub(MARGIN);
                let fetched = presence.source.fetch(webstore, deadline).await;
                shared::metrics::latency(shared::metrics::PRESENCE_LATENCY, started.elapsed());
                match fetched {
                    Ok(document) => {
                        let online = is_online(&document, &presence.online_pointer);
                        presence.remember(|m| m.succeeded(webstore, online, Instant::now()));
                        answer(online)
                    }
                    Err(error) => {
                        tracing::warn!(%error, stale_answer = fallback.is_some(), "presence source failed");
                        presence.remember(|m| m.failed(Instant::now()));
                        fallback.map(answer).unwrap_or(unavailable)
                    }
                }
            }
        }
    }
}

fn answer(online: bool) -> AvailabilityResponse {
    if online {
        AvailabilityResponse::new(AgentStatus::Online, AvailabilityReason::AgentsAvailable)
    } else {
        AvailabilityResponse::new(AgentStatus::Offline, AvailabilityReason::NoAgentsAvailable)
    }
}

/// The presence rule: the value at `pointer` means "agents online" when it is `true`, a number
/// above 0, or the string "online" or "available" (any case). Anything else, a missing value
/// included, means offline.
pub fn is_online(document: &Value, pointer: &str) -> bool {
    match document.pointer(pointer) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n > 0.0),
        Some(Value::String(s)) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("online") || s.eq_ignore_ascii_case("available")
        }
        _ => false,
    }
}

/// The chat (when given) and the webstore a request asks about, with every field checked (400
/// otherwise).
fn chat_and_webstore(
    request: AvailabilityRequest,
) -> Result<(Option<ChatId>, Option<String>), ApiError> {
    let chat = request
        .chat_id
        .as_deref()
        .map(|chat_id| ChatId::parse(chat_id).map_err(|e| ApiError::invalid_field("chatId", e)))
        .transpose()?;
    let optional_text =
        |name: &str, value: &Option<String>, max: usize| -> Result<Option<String>, ApiError> {
            value
                .as_deref()
                .map(|v| validate::text(v, max).map_err(|e| ApiError::invalid_field(name, e)))
                .transpose()
        };
    optional_text("skill", &request.skill, 128)?;
    optional_text("url", &request.url, 2048)?;
    optional_text("channel", &request.channel, 64)?;
    if let Some(language) = &request.language {
        validate::language(language).map_err(|e| ApiError::invalid_field("language", e))?;
    }
    let webstore = optional_text("webstore", &request.webstore, 128)?;
    let context = optional_text("data.context", &request.data.and_then(|d| d.context), 128)?;
    Ok((chat, webstore.or(context)))
}

/// The lambda_http entry point: every outcome is a response.
pub async fn handle(app: &App, req: Request) -> Result<Response<Body>, Infallible> {
    Ok(http::serve("availability", &req, respond(app, &req)).await)
}

async fn respond(app: &App, req: &Request) -> Result<Response<Body>, ApiError> {
    http::admit(
        req,
        &*app.tokens.get().await,
        "availability",
        Method::POST,
        "POST",
    )?;
    let request: AvailabilityRequest = http::json_body(req, Some(AvailabilityRequest::default()))?;
    let (chat, webstore) = chat_and_webstore(request)?;
    if let Some(chat) = &chat {
        app.chats.record(chat);
    }
    let budget = http::budget(req, app.budget);
    let answer = app.check(webstore.as_deref(), budget).await;
    Ok(http::with_outcome(answer.metric(), http::ok_json(&answer)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn online_values() {
        for doc in [
            json!({"available": true}),
            json!({"available": 1}),
            json!({"available": 0.5}),
            json!({"available": "online"}),
            json!({"available": " Available "}),
            json!({"available": "ONLINE"}),
        ] {
            assert!(is_online(&doc, "/available"), "{doc}");
        }
    }

    #[test]
    fn offline_values() {
        for doc in [
            json!({"available": false}),
            json!({"available": 0}),
            json!({"available": -3}),
            json!({"available": "offline"}),
            json!({"available": "true"}),
            json!({"available": null}),
            json!({"available": [true]}),
            json!({"available": {"online": true}}),
            json!({"other": true}),
            json!(true),
        ] {
            assert!(!is_online(&doc, "/available"), "{doc}");
        }
    }

    #[test]
    fn nested_pointers_and_escapes() {
        let doc = json!({"agents": {"online": 2}, "a/b": "online", "list": [false, true]});
        assert!(is_online(&doc, "/agents/online"));
        assert!(is_online(&doc, "/a~1b"));
        assert!(is_online(&doc, "/list/1"));
        assert!(!is_online(&doc, "/list/0"));
        assert!(!is_online(&doc, "/agents/offline"));
    }
}
