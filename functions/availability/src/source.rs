//! The presence source step 1 asks: MSC's presence API or a JSON one, which one the settings
//! choose ([`PresenceChoice`]), its answers remembered ([`crate::memory`]), and the rule that reads
//! "agents online" in a JSON answer ([`is_online`]).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;
use shared::adapters::cm::json_presence::{self, JsonPresence};
use shared::adapters::cm::presence::{self, MscPresence};
use shared::contract::{AgentStatus, AvailabilityReason, AvailabilityResponse};
use shared::rules::upstream::UpstreamError;
use shared::setup::config::{self, ConfigError, Env};

use crate::memory::{self, Plan, PresenceMemory};

pub(crate) struct Presence {
    pub(crate) source: Source,
    pub(crate) memory: Mutex<PresenceMemory>,
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

/// Where the answer comes from.
pub(crate) enum Source {
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

    pub(crate) async fn warm_up(&self) -> Result<(), UpstreamError> {
        match self {
            Self::Msc(msc) => msc.warm_up().await,
            Self::Json { source, .. } => source.warm_up().await,
        }
    }
}

/// The presence of `referrer`'s agents on `channel`, from memory or asked by `deadline` (see
/// [`memory`]); offline with `upstream_unavailable` when neither can say.
pub(crate) async fn ask(
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
pub(crate) async fn presence_source(
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
