//! Configuration from environment variables, read once at start-up. Every failure names the
//! variable and never repeats a secret; a function that cannot start says so in one log line
//! (see [`or_exit`]) instead of failing at its first request.
//!
//! The variable names are part of the contract (docs/configuration.md).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use crate::wire::{IntakeField, RoutingMutation};

pub const TABLE_NAME: &str = "TABLE_NAME";
pub const CALLOUT_TOKENS: &str = "CALLOUT_TOKENS";
pub const CALLOUT_TOKEN_PARAM: &str = "CALLOUT_TOKEN_PARAM";
pub const CM_PRODUCT_TOKEN: &str = "CM_PRODUCT_TOKEN";
pub const CM_PRODUCT_TOKEN_PARAM: &str = "CM_PRODUCT_TOKEN_PARAM";
pub const CM_API_BASE_URL: &str = "CM_API_BASE_URL";
pub const CM_TECHNICAL_LINK_ID: &str = "CM_TECHNICAL_LINK_ID";
pub const CM_ROUTING_MUTATIONS: &str = "CM_ROUTING_MUTATIONS";
pub const AVAILABILITY_URL: &str = "AVAILABILITY_URL";
pub const AVAILABILITY_ONLINE_POINTER: &str = "AVAILABILITY_ONLINE_POINTER";
pub const AVAILABILITY_BUDGET_MS: &str = "AVAILABILITY_BUDGET_MS";
pub const AVAILABILITY_CACHE_SECONDS: &str = "AVAILABILITY_CACHE_SECONDS";
pub const INTAKE_REQUIRED_FIELDS: &str = "INTAKE_REQUIRED_FIELDS";
pub const INTAKE_TTL_SECONDS: &str = "INTAKE_TTL_SECONDS";
pub const HANDOVER_DEDUP_SECONDS: &str = "HANDOVER_DEDUP_SECONDS";
pub const HANDOVER_BUDGET_MS: &str = "HANDOVER_BUDGET_MS";
pub const SECRETS_REFRESH_SECONDS: &str = "SECRETS_REFRESH_SECONDS";
pub const BUSINESS_HOURS: &str = "BUSINESS_HOURS";
pub const BUSINESS_HOURS_PARAM: &str = "BUSINESS_HOURS_PARAM";
pub const HANDOVER_TIME_ZONE: &str = "HANDOVER_TIME_ZONE";
pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
pub const METRICS_SERVICE: &str = "METRICS_SERVICE";
pub const WARM_UP_MS: &str = "WARM_UP_MS";
pub const CHAT_LOG_KEY: &str = "CHAT_LOG_KEY";
pub const CHAT_LOG_KEY_PARAM: &str = "CHAT_LOG_KEY_PARAM";
pub const MSC_API_KEY: &str = "MSC_API_KEY";
pub const MSC_API_KEY_PARAM: &str = "MSC_API_KEY_PARAM";
pub const MSC_PRESENCE_URL: &str = "MSC_PRESENCE_URL";
pub const MSC_CHANNEL: &str = "MSC_CHANNEL";
pub const PRESENCE_SOURCE: &str = "PRESENCE_SOURCE";

pub const DEFAULT_CM_API_BASE_URL: &str = "https://api.conversational.cm.com";
pub const DEFAULT_ONLINE_POINTER: &str = "/available";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {var} is not set")]
    Missing { var: &'static str },
    #[error("configuration: neither {plain} nor {param} is set")]
    MissingSecret {
        plain: &'static str,
        param: &'static str,
    },
    #[error("configuration: {var} {problem}")]
    Invalid { var: &'static str, problem: String },
    #[error("configuration: SSM parameter named by {var} could not be read: {problem}")]
    Ssm { var: &'static str, problem: String },
    #[error("configuration: the TLS set-up of the {client} was refused: {problem}")]
    Tls {
        client: &'static str,
        problem: String,
    },
}

fn invalid(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        problem: problem.into(),
    }
}

/// A snapshot of the environment. Functions read it once; tests build one from pairs instead of
/// changing the process environment.
#[derive(Debug, Clone, Default)]
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The value, with an empty or blank value treated as unset.
    pub fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    pub fn required(&self, var: &'static str) -> Result<&str, ConfigError> {
        self.get(var).ok_or(ConfigError::Missing { var })
    }

    /// A whole number of seconds (or milliseconds) from 1 to `max`, or `default` when unset.
    pub fn positive_u64(
        &self,
        var: &'static str,
        default: u64,
        max: u64,
    ) -> Result<u64, ConfigError> {
        self.u64_in(var, default, 1, max)
    }

    /// A whole number from `min` to `max`, or `default` when unset.
    pub fn u64_in(
        &self,
        var: &'static str,
        default: u64,
        min: u64,
        max: u64,
    ) -> Result<u64, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => match raw.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(invalid(
                    var,
                    format!("must be a whole number from {min} to {max}"),
                )),
            },
        }
    }

    pub fn duration_ms(&self, var: &'static str, default_ms: u64) -> Result<Duration, ConfigError> {
        self.positive_u64(var, default_ms, 60_000)
            .map(Duration::from_millis)
    }
}

/// An outbound URL we may send a secret to: https, or http only to a loopback host or to
/// `host.docker.internal`, the machine a container runs on (local runs: `make run`, `sam local`).
pub fn outbound_url(var: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| invalid(var, format!("is not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(invalid(
                var,
                "must use https (http is accepted only for loopback hosts and host.docker.internal)",
            ));
        }
        _ => return Err(invalid(var, "must be an https URL")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(var, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(var, "must not carry credentials"));
    }
    Ok(url)
}

/// The name Docker gives the machine a container runs on (`--add-host
/// host.docker.internal:host-gateway`; Docker Desktop sets it by itself): `sam local`'s functions
/// reach the local stack there.
pub const DOCKER_HOST_NAME: &str = "host.docker.internal";

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.eq_ignore_ascii_case(DOCKER_HOST_NAME)
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `CM_API_BASE_URL`, default `https://api.conversational.cm.com`.
pub fn cm_api_base_url(env: &Env) -> Result<Url, ConfigError> {
    let raw = env.get(CM_API_BASE_URL).unwrap_or(DEFAULT_CM_API_BASE_URL);
    outbound_base_url(CM_API_BASE_URL, raw, "must not have a query or fragment")
}

/// An [`outbound_url`] we add to ourselves, so without a query or fragment (else `problem`).
fn outbound_base_url(var: &'static str, raw: &str, problem: &str) -> Result<Url, ConfigError> {
    let url = outbound_url(var, raw)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(var, problem));
    }
    Ok(url)
}

/// `CM_TECHNICAL_LINK_ID`: the id of the CONVERSATIONAL technical link (a path segment).
pub fn technical_link_id(env: &Env) -> Result<String, ConfigError> {
    let raw = env.required(CM_TECHNICAL_LINK_ID)?;
    let ok = raw.len() <= 128
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(invalid(
            CM_TECHNICAL_LINK_ID,
            "must be up to 128 letters, digits, - or _ (the id from Conversational Router settings)",
        ))
    }
}

/// `CM_ROUTING_MUTATIONS`: a non-empty JSON array of routing mutations, each checked by the
/// rules of its `$type` (see [`RoutingMutation`]); a bad entry is named by its position.
pub fn routing_mutations(env: &Env) -> Result<Vec<RoutingMutation>, ConfigError> {
    let raw = env.required(CM_ROUTING_MUTATIONS)?;
    let entries: Vec<serde_json::Value> = serde_json::from_str(raw).map_err(|e| {
        invalid(
            CM_ROUTING_MUTATIONS,
            format!("must be a JSON array of mutations ({e})"),
        )
    })?;
    if entries.is_empty() {
        return Err(invalid(
            CM_ROUTING_MUTATIONS,
            "must hold at least one mutation",
        ));
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let position = index + 1;
            let mutation: RoutingMutation = serde_json::from_value(entry).map_err(|e| {
                invalid(
                    CM_ROUTING_MUTATIONS,
                    format!(
                        "entry {position}: {e}; expected {}",
                        RoutingMutation::SHAPES
                    ),
                )
            })?;
            mutation.check().map_err(|problem| {
                invalid(CM_ROUTING_MUTATIONS, format!("entry {position}: {problem}"))
            })?;
            Ok(mutation)
        })
        .collect()
}

/// `MSC_PRESENCE_URL`, default `https://presence.robinhq.com/api/v1`: https (http only for
/// loopback hosts), no query (the query is ours to build) and no fragment.
pub fn msc_presence_url(env: &Env) -> Result<Url, ConfigError> {
    let raw = env
        .get(MSC_PRESENCE_URL)
        .unwrap_or(crate::cm::presence::DEFAULT_MSC_PRESENCE_URL);
    outbound_base_url(
        MSC_PRESENCE_URL,
        raw,
        "must not have a query or fragment (apikey, Channel and referrer are added to it)",
    )
}

/// `MSC_CHANNEL`, default `WebChat`: one of the channel names MSC's presence page lists (any
/// case; sent in the page's spelling).
pub fn msc_channel(env: &Env) -> Result<&'static str, ConfigError> {
    use crate::cm::presence::{DEFAULT_MSC_CHANNEL, MSC_CHANNELS, channel};
    let raw = env.get(MSC_CHANNEL).unwrap_or(DEFAULT_MSC_CHANNEL);
    channel(raw).ok_or_else(|| {
        invalid(
            MSC_CHANNEL,
            format!(
                "names `{raw}`, not one of the channels MSC's presence API lists: {}",
                MSC_CHANNELS.join(", ")
            ),
        )
    })
}

/// `INTAKE_REQUIRED_FIELDS`: comma-separated intake field names, default `name,email`.
pub fn intake_required_fields(env: &Env) -> Result<Vec<IntakeField>, ConfigError> {
    let raw = env.get(INTAKE_REQUIRED_FIELDS).unwrap_or("name,email");
    let mut fields = Vec::new();
    for name in raw.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let field = IntakeField::parse(name).ok_or_else(|| {
            invalid(
                INTAKE_REQUIRED_FIELDS,
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

/// `AVAILABILITY_ONLINE_POINTER`: an RFC 6901 JSON pointer, default `/available`.
pub fn online_pointer(env: &Env) -> Result<String, ConfigError> {
    let pointer = env
        .get(AVAILABILITY_ONLINE_POINTER)
        .unwrap_or(DEFAULT_ONLINE_POINTER);
    if pointer.starts_with('/') {
        Ok(pointer.to_owned())
    } else {
        Err(invalid(
            AVAILABILITY_ONLINE_POINTER,
            "must be a JSON pointer starting with `/` (e.g. /available)",
        ))
    }
}

/// The Lambda variable asking for requests side by side (Lambda Managed Instances).
pub const MAX_CONCURRENCY: &str = "AWS_LAMBDA_MAX_CONCURRENCY";

/// Whether the runtime's concurrency setting, as `lookup` gives it, asks for nothing but what the
/// functions do anyway: one request at a time (`1`, which `cargo lambda watch` sets for every
/// function).
pub fn concurrency_is_sequential(lookup: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    lookup(MAX_CONCURRENCY).is_some_and(|v| v.to_str().map(str::trim) == Some("1"))
}

/// Removes [`MAX_CONCURRENCY`] when it is `1`: lambda_runtime warns on every start that the
/// variable is set but the functions run one request at a time, which for `1` is no news. Above
/// 1 the variable stays and so does the warning, which then means something: the functions still
/// take one request at a time (docs/performance.md).
///
/// Call it first thing in `main`, before anything starts a thread: it changes the environment.
pub fn drop_sequential_concurrency() {
    if concurrency_is_sequential(|var| std::env::var_os(var)) {
        // SAFETY: called first in `main` on a current-thread runtime, before any thread starts
        // (as for `crate::aws::sdk_config`), so nothing reads the environment while it changes.
        unsafe { std::env::remove_var(MAX_CONCURRENCY) };
    }
}

/// Logs a start-up configuration error as one line and ends the process: a function with a bad
/// configuration must not start serving.
pub fn or_exit<T>(result: Result<T, ConfigError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => {
            tracing::error!("{error}");
            std::process::exit(1)
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_a_concurrency_of_one_is_dropped() {
        let with = |value: Option<&'static str>| {
            concurrency_is_sequential(move |var| {
                assert_eq!(var, MAX_CONCURRENCY);
                value.map(std::ffi::OsString::from)
            })
        };
        assert!(with(Some("1")));
        assert!(with(Some(" 1 ")));
        assert!(!with(Some("4")));
        assert!(!with(Some("")));
        assert!(!with(None));
    }
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn numbers_have_defaults_and_bounds() {
        let e = env(&[("A", "90"), ("B", "0"), ("C", "x"), ("D", " ")]);
        assert_eq!(e.positive_u64("A", 5, 100).ok(), Some(90));
        assert_eq!(e.positive_u64("D", 5, 100).ok(), Some(5));
        for var in ["B", "C"] {
            let message = e
                .positive_u64(if var == "B" { "B" } else { "C" }, 5, 100)
                .map_err(|e| e.to_string());
            assert_eq!(
                message,
                Err(format!(
                    "configuration: {var} must be a whole number from 1 to 100"
                ))
            );
        }
    }

    #[test]
    fn base_url_defaults_to_cm_and_allows_http_only_on_loopback() {
        let default = cm_api_base_url(&Env::default()).map(|u| u.to_string());
        assert_eq!(
            default.ok(),
            Some("https://api.conversational.cm.com/".to_owned())
        );
        for ok in [
            "http://127.0.0.1:9001",
            "http://localhost:1/",
            "http://[::1]:8080",
            "http://host.docker.internal:9001",
            "https://api.cm.com/base",
        ] {
            assert!(
                cm_api_base_url(&env(&[(CM_API_BASE_URL, ok)])).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://api.cm.com",
            "http://docker.internal:9001",
            "http://10.0.0.1",
            "ftp://x",
            "not a url",
            "https://u:p@api.cm.com",
            "https://api.cm.com/?q=1",
        ] {
            let err = cm_api_base_url(&env(&[(CM_API_BASE_URL, bad)])).map_err(|e| e.to_string());
            assert!(
                matches!(&err, Err(m) if m.starts_with("configuration: CM_API_BASE_URL")),
                "{bad}: {err:?}"
            );
        }
    }

    #[test]
    fn routing_mutations_must_be_a_non_empty_valid_array() {
        let ok = env(&[(
            CM_ROUTING_MUTATIONS,
            r#"[{"$type":"ruleMutation","action":"Enable","operator":"And"}]"#,
        )]);
        assert_eq!(routing_mutations(&ok).map(|m| m.len()).ok(), Some(1));
        assert!(matches!(
            routing_mutations(&Env::default()),
            Err(ConfigError::Missing {
                var: CM_ROUTING_MUTATIONS
            })
        ));
        for bad in [
            "[]",
            "{}",
            r#"[{"action":"Enable","operator":"And"}]"#,
            r#"[{"$type":"disableComponent"}]"#,
            r#"[{"$type":"disableComponent","ComponentId":" "}]"#,
            r#"[{"$type":"otherMutation"}]"#,
        ] {
            assert!(
                matches!(
                    routing_mutations(&env(&[(CM_ROUTING_MUTATIONS, bad)])),
                    Err(ConfigError::Invalid {
                        var: CM_ROUTING_MUTATIONS,
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_bad_mutation_is_named_by_its_position_and_type() {
        let message = |raw: &str| {
            routing_mutations(&env(&[(CM_ROUTING_MUTATIONS, raw)]))
                .map(|m| m.len())
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            message(
                r#"[{"$type":"ruleMutation","action":"Enable","operator":"And"},{"$type":"disableComponent","ComponentId":"CMBot"}]"#
            ),
            Ok(2)
        );
        let missing = message(
            r#"[{"$type":"ruleMutation","action":"Enable","operator":"And"},{"$type":"disableComponent"}]"#,
        );
        assert!(
            matches!(&missing, Err(m) if m.starts_with("configuration: CM_ROUTING_MUTATIONS entry 2: missing field `ComponentId`")),
            "{missing:?}"
        );
        let unknown = message(r#"[{"$type":"enableComponent","ComponentId":"x"}]"#);
        assert!(
            matches!(&unknown, Err(m) if m.starts_with("configuration: CM_ROUTING_MUTATIONS entry 1: unknown variant `enableComponent`")),
            "{unknown:?}"
        );
        assert_eq!(
            message(r#"[{"$type":"disableComponent","ComponentId":""}]"#),
            Err("configuration: CM_ROUTING_MUTATIONS entry 1: ComponentId must be 1-128 characters, not blank".to_owned())
        );
    }

    #[test]
    fn msc_presence_url_and_channel_have_defaults_and_rules() {
        assert_eq!(
            msc_presence_url(&Env::default())
                .map(|u| u.to_string())
                .ok(),
            Some("https://presence.robinhq.com/api/v1".to_owned())
        );
        assert!(
            msc_presence_url(&env(&[(MSC_PRESENCE_URL, "http://127.0.0.1:9001/api/v1")])).is_ok()
        );
        for bad in [
            "http://presence.robinhq.com/api/v1",
            "https://presence.robinhq.com/api/v1?apikey=x",
            "https://presence.robinhq.com/api/v1#x",
            "not a url",
        ] {
            let err = msc_presence_url(&env(&[(MSC_PRESENCE_URL, bad)])).map_err(|e| e.to_string());
            assert!(
                matches!(&err, Err(m) if m.starts_with("configuration: MSC_PRESENCE_URL")),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(msc_channel(&Env::default()).ok(), Some("WebChat"));
        assert_eq!(
            msc_channel(&env(&[(MSC_CHANNEL, "whatsapp")])).ok(),
            Some("WhatsApp")
        );
        let bad = msc_channel(&env(&[(MSC_CHANNEL, "Web Chat")])).map_err(|e| e.to_string());
        assert_eq!(
            bad,
            Err("configuration: MSC_CHANNEL names `Web Chat`, not one of the channels MSC's presence API lists: Email, Chat, WhatsApp, SMS, WebChat, Facebook Messenger, Instagram, Apple Business Chat, Twitter, Google Business Messages, RCS".to_owned())
        );
    }

    #[test]
    fn required_fields_default_and_parse() {
        assert_eq!(
            intake_required_fields(&Env::default()).ok(),
            Some(vec![IntakeField::Name, IntakeField::Email])
        );
        let e = env(&[(INTAKE_REQUIRED_FIELDS, "question, email,email")]);
        assert_eq!(
            intake_required_fields(&e).ok(),
            Some(vec![IntakeField::Email, IntakeField::Question])
        );
        let bad = intake_required_fields(&env(&[(INTAKE_REQUIRED_FIELDS, "name,age")]))
            .map_err(|e| e.to_string());
        assert_eq!(
            bad,
            Err("configuration: INTAKE_REQUIRED_FIELDS names `age`, not one of name, email, phone, question, language".to_owned())
        );
    }

    #[test]
    fn technical_link_id_is_a_safe_segment() {
        assert_eq!(
            technical_link_id(&env(&[(CM_TECHNICAL_LINK_ID, "8f1c-AB_2")])).ok(),
            Some("8f1c-AB_2".to_owned())
        );
        for bad in ["a/b", "a b", "..", "a%2F"] {
            assert!(
                technical_link_id(&env(&[(CM_TECHNICAL_LINK_ID, bad)])).is_err(),
                "{bad}"
            );
        }
    }
}
