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
//! the chat's id, records the decision on the chat, which the handover follows (see [`route`]).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::ApiError;
use shared::adapters::cm::json_presence::{self, JsonPresence};
use shared::adapters::cm::presence::{self, MscPresence};
use shared::adapters::store::{ROUTE_TTL_SECONDS, Route, Store};
use shared::contract::validate::{self, ChatId};
use shared::contract::{
    AgentStatus, AvailabilityReason, AvailabilityRequest, AvailabilityResponse,
};
use shared::http;
use shared::rules::clock::{Clock, SystemClock};
use shared::rules::language::{self, Language, Spoken};
use shared::rules::upstream::UpstreamError;
use shared::rules::words;
use shared::setup::auth::CalloutTokens;
use shared::setup::channel::{Channels, ChatChannel};
use shared::setup::config::{self, ConfigError, Env};
use shared::setup::refreshing::Refreshing;
use shared::setup::telemetry::ChatTagger;
use shared::setup::warm;

/// The query parameter that may carry a presence-check token, where the caller cannot send
/// headers (CAIC's presence-check webhook; see [`admit`]).
pub const URL_TOKEN_PARAMETER: &str = "calloutToken";

pub mod hours;
pub mod memory;
pub mod overflow;

use hours::{BusinessHours, ClosedReason, Verdict};
use memory::{MemorySettings, Plan, PresenceMemory};
use overflow::{Decision, Judgement, Judging, until_first_online};

pub const DEFAULT_BUDGET_MS: u64 = 2500;
pub const DEFAULT_CACHE_SECONDS: u64 = 10;

/// The longest page `url` accepted, in bytes: MSC's referrer carries it percent-encoded (up to
/// three times as long), which keeps the presence request well inside the 8 KiB request line
/// common servers accept (nginx's default). A longer one is refused before anything is asked.
pub const PAGE_URL_MAX_BYTES: usize = 2048;

/// Kept back from the budget for our own work around the upstream call.
const MARGIN: Duration = Duration::from_millis(50);
/// Kept back from the budget for recording a route decision (one DynamoDB write): a fifth of it,
/// at most this, so that a small budget still leaves the presence questions most of it.
const RECORD_RESERVE: Duration = Duration::from_millis(400);

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

struct Presence {
    source: Source,
    memory: Mutex<PresenceMemory>,
}

/// Where the answer comes from.
enum Source {
    /// MSC's presence API (`MSC_API_KEY`): plain text `Online`/`Offline` per referrer.
    Msc(MscPresence),
    /// A third-party presence system answering JSON (`AVAILABILITY_URL`), read at a pointer.
    Json {
        source: JsonPresence,
        online_pointer: String,
    },
}

impl Source {
    async fn agents_online(
        &self,
        channel: &str,
        key: Option<&str>,
        deadline: tokio::time::Instant,
    ) -> Result<bool, UpstreamError> {
        match self {
            Self::Msc(msc) => msc.agents_online(channel, key, deadline).await,
            Self::Json {
                source,
                online_pointer,
            } => source
                .fetch(key, channel, deadline)
                .await
                .map(|document| is_online(&document, online_pointer)),
        }
    }

    async fn warm_up(&self) -> Result<(), UpstreamError> {
        match self {
            Self::Msc(msc) => msc.warm_up().await,
            Self::Json { source, .. } => source.warm_up().await,
        }
    }
}

/// What a request asks about: its webstore (`webstore`, or `data.context` in CAIC's shape),
/// in CAIC's shape the page the customer is on (`url`), the chat's `channel` and the customer's
/// `language` as given.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Subject {
    pub webstore: Option<String>,
    pub page_url: Option<String>,
    pub channel: Option<String>,
    pub language: Option<String>,
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

    /// The answer for `subject` on `channel`, overflow included where it may apply: our own
    /// request shape with a chat id (the route is recorded on that chat, so that its handover
    /// goes where the answer says) and a web store whose entry names overflow web stores.
    /// CAIC's presence-check webhook sends no chat id, and CAIC's own handover routes on
    /// `mscWebstore`: it gets the requested web store's own answer.
    async fn decide(
        &self,
        chat: Option<&ChatId>,
        subject: &Subject,
        channel: &'static str,
        hours: Option<&BusinessHours>,
        budget: Duration,
    ) -> AvailabilityResponse {
        let started = tokio::time::Instant::now();
        let alone = || async {
            self.check(subject, channel, hours, &[], budget)
                .await
                .answer
        };
        let Some((chat, requested)) = chat.zip(subject.webstore.as_deref()) else {
            return alone().await;
        };
        let overflow = hours.map_or(&[][..], |hours| hours.overflow_for(requested));
        if overflow.is_empty() {
            return alone().await;
        }
        let Some(store) = &self.store else {
            // refused at start-up; reachable when the hours' SSM parameter gained overflow since
            tracing::warn!(
                "the web store names overflow web stores, but TABLE_NAME is not set: the chat does not overflow"
            );
            return alone().await;
        };
        // the recording's time comes out of the same budget
        let decision = self
            .check(
                subject,
                channel,
                hours,
                overflow,
                budget.saturating_sub(RECORD_RESERVE.min(budget / 5)),
            )
            .await;
        let route = Route {
            requested: requested.to_owned(),
            decided: decision
                .overflowed_to
                .clone()
                .unwrap_or_else(|| requested.to_owned()),
        };
        let expires_at = self.clock.now().saturating_add(ROUTE_TTL_SECONDS);
        let deadline = started + budget.saturating_sub(MARGIN);
        let recorded =
            tokio::time::timeout_at(deadline, store.record_route(chat, &route, expires_at)).await;
        match (recorded, &decision.overflowed_to) {
            (Ok(Ok(())), Some(to)) => {
                tracing::info!(overflow_from = requested, webstore = %to, "the chat overflows");
                shared::setup::metrics::overflowed(requested);
                decision.answer
            }
            (Ok(Ok(())), None) => decision.answer,
            (failed, overflowed_to) => {
                let error = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => "no answer within the budget".to_owned(),
                };
                if overflowed_to.is_none() {
                    // the answer is the requested web store's own: a handover goes there unless
                    // an earlier decision for this chat, not replaced now, says otherwise
                    tracing::warn!(%error, "route not recorded; the answer is the web store's own");
                    return decision.answer;
                }
                // the handover could not know where the chat goes: the answer must not promise
                // it, so it is the requested web store's own
                tracing::error!(%error, "route not recorded; the chat does not overflow");
                decision.own
            }
        }
    }

    /// The language the customer reads the next opening in ([`language::customer_language`]):
    /// the request's `language`, else (given the chat) the one stored with its intake, read by
    /// `deadline`; else the web store's, the deployment's, English.
    async fn customer_language(
        &self,
        chat: Option<&ChatId>,
        subject: &Subject,
        hours: Option<&BusinessHours>,
        deadline: tokio::time::Instant,
    ) -> Language {
        let webstore = hours.map_or_else(Spoken::default, |hours| {
            hours.languages().of(subject.webstore.as_deref())
        });
        let stored = match (&subject.language, chat, &self.store) {
            (None, Some(chat), Some(store)) => {
                let read = store.intake_language(chat, self.clock.now());
                match tokio::time::timeout_at(deadline, read).await {
                    Ok(Ok(language)) => language,
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "the intake's language not read; the web store's or the deployment's is used");
                        None
                    }
                    Err(_) => {
                        tracing::warn!(
                            "the intake's language not read within the budget; the web store's or the deployment's is used"
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        let asked = subject.language.as_deref().or(stored.as_deref());
        language::customer_language(asked, webstore, self.deployment)
    }

    /// The answer for one web store (`webstore`, else the request's page URL) on `channel`:
    /// closed by its opening hours, or what its agents' presence says (from memory, or asked
    /// within `deadline`); never fails.
    async fn judge(
        &self,
        hours: Option<&BusinessHours>,
        webstore: Option<&str>,
        page_url: Option<&str>,
        channel: &'static str,
        deadline: tokio::time::Instant,
    ) -> Judgement {
        if let Some(hours) = hours {
            let schedule = hours.schedule_for(webstore);
            if let Verdict::Closed {
                reason,
                next_opening,
            } = schedule.verdict(shared::rules::clock::timestamp(self.clock.now()))
            {
                let reason = match reason {
                    ClosedReason::OutsideHours => AvailabilityReason::OutsideBusinessHours,
                    ClosedReason::ClosedDate => AvailabilityReason::Closed,
                };
                return Judgement {
                    answer: AvailabilityResponse::closed(
                        reason,
                        next_opening.map(|at| schedule.zoned(at)),
                    ),
                };
            }
        }
        let answer = match &self.presence {
            None => AvailabilityResponse::new(
                AgentStatus::Online,
                AvailabilityReason::PresenceCheckDisabled,
            ),
            Some(presence) => {
                // what the source is asked about, and its answers remembered by: MSC's referrer
                // is the web store, else the page URL (URL-based routing, as CAIC does when
                // `mscWebstore` is empty); a JSON source's is the web store
                let referrer = match presence.source {
                    Source::Msc(_) => webstore.or(page_url),
                    Source::Json { .. } => webstore,
                };
                ask(presence, channel, referrer, deadline).await
            }
        };
        Judgement { answer }
    }

    /// The answer for `subject` within `budget`: its own web store's, or, when that one cannot
    /// take the chat and `overflow` names web stores, the first of them that can (each under
    /// its own opening hours, their presence asked side by side). Never fails.
    async fn check(
        &self,
        subject: &Subject,
        channel: &'static str,
        hours: Option<&BusinessHours>,
        overflow: &[String],
        budget: Duration,
    ) -> Decision {
        let deadline = tokio::time::Instant::now() + budget.saturating_sub(MARGIN);
        let own = || {
            self.judge(
                hours,
                subject.webstore.as_deref(),
                subject.page_url.as_deref(),
                channel,
                deadline,
            )
        };
        let Some(requested) = subject.webstore.as_deref().filter(|_| !overflow.is_empty()) else {
            return Decision::alone(own().await.answer);
        };
        let mut judging: Vec<Judging<'_>> = vec![Box::pin(own())];
        for webstore in overflow {
            judging.push(Box::pin(self.judge(
                hours,
                Some(webstore),
                None,
                channel,
                deadline,
            )));
        }
        overflow::pick(requested, overflow, until_first_online(judging).await)
    }
}

/// The presence of `referrer`'s agents on `channel`, from memory or asked by `deadline` (see
/// [`memory`]); offline with `upstream_unavailable` when neither can say.
async fn ask(
    presence: &Presence,
    channel: &'static str,
    referrer: Option<&str>,
    deadline: tokio::time::Instant,
) -> AvailabilityResponse {
    let key = memory::key(channel, referrer);
    let key = Some(key.as_str());
    match presence.remember(|m| m.plan(key, Instant::now())) {
        Plan::Remembered(online) => answer(online),
        Plan::DoNotAsk { fallback } => {
            fallback.map_or_else(AvailabilityResponse::unavailable, answer)
        }
        Plan::Ask { fallback } => {
            let started = tokio::time::Instant::now();
            let asked = presence
                .source
                .agents_online(channel, referrer, deadline)
                .await;
            shared::setup::metrics::latency(
                shared::setup::metrics::PRESENCE_LATENCY,
                started.elapsed(),
            );
            match asked {
                Ok(online) => {
                    presence.remember(|m| m.succeeded(key, online, Instant::now()));
                    answer(online)
                }
                Err(error) => {
                    // only the source's own trouble counts towards opening this key's circuit
                    // (a 4xx answers what this caller asked); no key's failures open
                    // another's, so no caller can close the check for the others
                    let counted = error.is_upstream_trouble();
                    tracing::warn!(%error, stale_answer = fallback.is_some(), counted, "presence source failed");
                    if counted {
                        presence.remember(|m| m.failed(key, Instant::now()));
                    }
                    fallback.map_or_else(AvailabilityResponse::unavailable, answer)
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

/// Which presence source a deployment uses. The person deploying names it (`PRESENCE_SOURCE`,
/// the template's required `JsonPresence`), so that "no presence check, always online" is a
/// choice made in words, never the result of a forgotten parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PresenceChoice {
    /// MSC's presence API (`MSC_API_KEY` or `MSC_API_KEY_PARAM`), as CM.com's guide does.
    Msc,
    /// A third-party presence system answering JSON (`AVAILABILITY_URL`).
    Json,
    /// No presence check: inside the opening hours every chat is answered online.
    None,
}

impl PresenceChoice {
    /// The values `PRESENCE_SOURCE` takes.
    pub const NAMES: [&'static str; 3] = ["msc", "json", "none"];

    pub fn name(self) -> &'static str {
        match self {
            Self::Msc => "msc",
            Self::Json => "json",
            Self::None => "none",
        }
    }

    /// The source the settings configure (`msc_key`: MSC's API key, plain or from SSM, is set;
    /// `json_url`: `AVAILABILITY_URL` is set), checked against `declared` (`PRESENCE_SOURCE`)
    /// when that is set: the two must agree. Without `declared` (local runs, tests) the settings
    /// decide alone. Both sources at once is always refused.
    pub fn decide(
        declared: Option<&str>,
        msc_key: bool,
        json_url: bool,
    ) -> Result<Self, ConfigError> {
        let configured = match (msc_key, json_url) {
            (true, true) => {
                return Err(ConfigError::Invalid {
                    var: config::AVAILABILITY_URL,
                    problem: format!(
                        "and {} (or {}) are both set: choose one presence source (MSC's presence API, or a JSON one at {})",
                        config::MSC_API_KEY,
                        config::MSC_API_KEY_PARAM,
                        config::AVAILABILITY_URL
                    ),
                });
            }
            (true, false) => Self::Msc,
            (false, true) => Self::Json,
            (false, false) => Self::None,
        };
        let Some(declared) = declared else {
            return Ok(configured);
        };
        let declared = match declared.trim() {
            "msc" => Self::Msc,
            "json" => Self::Json,
            "none" => Self::None,
            _ => {
                return Err(ConfigError::Invalid {
                    var: config::PRESENCE_SOURCE,
                    problem: format!("is not one of {}", Self::NAMES.join(", ")),
                });
            }
        };
        if declared == configured {
            return Ok(declared);
        }
        let problem = match declared {
            Self::Msc => format!(
                "is msc, but neither {} nor {} is set",
                config::MSC_API_KEY,
                config::MSC_API_KEY_PARAM
            ),
            Self::Json => format!("is json, but {} is not set", config::AVAILABILITY_URL),
            Self::None => format!(
                "is none, but {} is set: remove it, or set {} to {}",
                match configured {
                    Self::Msc => "MSC's API key",
                    _ => config::AVAILABILITY_URL,
                },
                config::PRESENCE_SOURCE,
                configured.name()
            ),
        };
        Err(ConfigError::Invalid {
            var: config::PRESENCE_SOURCE,
            problem,
        })
    }
}

/// The presence source the environment configures: MSC's presence API (`MSC_API_KEY` or
/// `MSC_API_KEY_PARAM`), a JSON one (`AVAILABILITY_URL`), or none (the check is off, said once
/// in the log); see [`PresenceChoice::decide`].
async fn presence_source(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Result<Option<Source>, ConfigError> {
    let msc = env.either(config::MSC_API_KEY, config::MSC_API_KEY_PARAM);
    let json_url = env.get(config::AVAILABILITY_URL);
    let choice = PresenceChoice::decide(env.get(config::PRESENCE_SOURCE), msc, json_url.is_some())?;
    match (choice, json_url) {
        (PresenceChoice::Msc, _) => {
            let url = presence::msc_presence_url(env)?;
            let key = Arc::new(presence::msc_api_key(env, sdk).await?);
            Ok(Some(Source::Msc(MscPresence::new(
                shared::adapters::cm::http_client()?,
                url,
                key,
            ))))
        }
        (PresenceChoice::Json, Some(url)) => {
            let token = json_presence::availability_token(env, sdk)
                .await?
                .map(Arc::new);
            Ok(Some(Source::Json {
                source: JsonPresence::new(
                    shared::adapters::cm::http_client()?,
                    config::AVAILABILITY_URL,
                    url,
                    token,
                )?,
                online_pointer: online_pointer(env)?,
            }))
        }
        (PresenceChoice::Json, None) => Err(ConfigError::Missing {
            var: config::AVAILABILITY_URL,
        }),
        (PresenceChoice::None, _) => {
            tracing::warn!(
                presence_source = "none",
                "presence check off: inside the opening hours every availability answer is online (reason presence_check_disabled), whether agents are there or not"
            );
            Ok(None)
        }
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

/// The chat (when given) and what a request asks about, with every field checked (400
/// otherwise). An unset value is already absent (`http::json_body`): CAIC sends `data.context`
/// empty when `mscWebstore` is unset.
fn chat_and_subject(request: AvailabilityRequest) -> Result<(Option<ChatId>, Subject), ApiError> {
    let presence_check = request.is_presence_check();
    let chat = request
        .chat_id
        .as_deref()
        .map(|chat_id| ChatId::parse(chat_id).map_err(|e| ApiError::invalid_field("chatId", e)))
        .transpose()?;
    let optional_text =
        |name: &str, value: Option<&str>, max: usize| -> Result<Option<String>, ApiError> {
            value
                .map(|v| validate::text(v, max).map_err(|e| ApiError::invalid_field(name, e)))
                .transpose()
        };
    optional_text("skill", request.skill.as_deref(), 128)?;
    let channel = request
        .channel
        .as_deref()
        .map(|v| validate::channel(v).map_err(|e| ApiError::invalid_field("channel", e)))
        .transpose()?
        // CAIC's presence check always says WebChat: MSC_CHANNEL decides there, as it always did
        // (a deployment whose MSC counts web chat agents under `Chat` keeps working)
        .filter(|_| !presence_check);
    // a hint, never an error: a value that is no language tag (`Nederlands`, `nl nl`) passes to
    // the next language of the chain, as an unset one does (docs/configuration.md, languages)
    let language = request.language.as_deref().and_then(|v| {
        validate::language(v)
            .inspect_err(|_| {
                tracing::warn!(
                    "the request's language is no language tag; the next language of the chain is used"
                );
            })
            .ok()
    });
    let page_url = optional_text("url", request.url.as_deref(), PAGE_URL_MAX_BYTES)?;
    if page_url
        .as_ref()
        .is_some_and(|url| url.len() > PAGE_URL_MAX_BYTES)
    {
        return Err(ApiError::bad_request(format!(
            "url must be at most {PAGE_URL_MAX_BYTES} bytes"
        )));
    }
    let webstore_field = |name: &str, value: Option<&str>| {
        value
            .map(|v| validate::webstore(v).map_err(|e| ApiError::invalid_field(name, e)))
            .transpose()
    };
    let webstore = webstore_field("webstore", request.webstore.as_deref())?;
    let context = request.data.and_then(|d| d.context);
    let context = webstore_field("data.context", context.as_deref())?;
    Ok((
        chat,
        Subject {
            webstore: webstore.or(context),
            page_url,
            channel,
            language,
        },
    ))
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

/// The JSON pointer read in a JSON presence answer by default.
pub const DEFAULT_ONLINE_POINTER: &str = "/available";

/// `config::AVAILABILITY_ONLINE_POINTER`: an RFC 6901 JSON pointer, default `/available`.
pub fn online_pointer(env: &Env) -> Result<String, ConfigError> {
    let pointer = env
        .get(config::AVAILABILITY_ONLINE_POINTER)
        .unwrap_or(DEFAULT_ONLINE_POINTER);
    if pointer.starts_with('/') {
        Ok(pointer.to_owned())
    } else {
        Err(ConfigError::invalid(
            config::AVAILABILITY_ONLINE_POINTER,
            "must be a JSON pointer starting with `/` (e.g. /available)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decide(declared: Option<&str>, msc: bool, json: bool) -> Result<PresenceChoice, String> {
        PresenceChoice::decide(declared, msc, json).map_err(|e| e.to_string())
    }

    #[test]
    fn the_presence_source_is_what_the_settings_configure_and_what_was_declared() {
        use PresenceChoice::{Json, Msc, None as Off};
        // undeclared (local runs): the settings decide
        assert_eq!(decide(None, true, false), Ok(Msc));
        assert_eq!(decide(None, false, true), Ok(Json));
        assert_eq!(decide(None, false, false), Ok(Off));
        // declared and matching
        assert_eq!(decide(Some("msc"), true, false), Ok(Msc));
        assert_eq!(decide(Some("json"), false, true), Ok(Json));
        assert_eq!(decide(Some("none"), false, false), Ok(Off));
        // declared, but the settings say otherwise: a forgotten key never means "always online"
        let refused = |declared, msc, json| decide(Some(declared), msc, json).unwrap_err();
        assert_eq!(
            refused("msc", false, false),
            "configuration: PRESENCE_SOURCE is msc, but neither MSC_API_KEY nor MSC_API_KEY_PARAM is set"
        );
        assert_eq!(
            refused("json", false, false),
            "configuration: PRESENCE_SOURCE is json, but AVAILABILITY_URL is not set"
        );
        assert_eq!(
            refused("json", true, false),
            "configuration: PRESENCE_SOURCE is json, but AVAILABILITY_URL is not set"
        );
        assert_eq!(
            refused("msc", false, true),
            "configuration: PRESENCE_SOURCE is msc, but neither MSC_API_KEY nor MSC_API_KEY_PARAM is set"
        );
        assert_eq!(
            refused("none", true, false),
            "configuration: PRESENCE_SOURCE is none, but MSC's API key is set: remove it, or set PRESENCE_SOURCE to msc"
        );
        assert_eq!(
            refused("none", false, true),
            "configuration: PRESENCE_SOURCE is none, but AVAILABILITY_URL is set: remove it, or set PRESENCE_SOURCE to json"
        );
        assert_eq!(
            refused("off", false, false),
            "configuration: PRESENCE_SOURCE is not one of msc, json, none"
        );
        // two sources are refused whatever was declared
        for declared in [None, Some("msc"), Some("json"), Some("none")] {
            assert!(
                decide(declared, true, true)
                    .unwrap_err()
                    .starts_with("configuration: AVAILABILITY_URL and MSC_API_KEY"),
                "{declared:?}"
            );
        }
    }

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
