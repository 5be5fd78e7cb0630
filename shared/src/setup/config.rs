//! Configuration from environment variables, read once at start-up. Every failure names the
//! variable and never repeats a secret; a function that cannot start says so in one log line
//! (see [`or_exit`]) instead of failing at its first request.
//!
//! The variable names are part of the contract (docs/configuration.md): they are all listed here,
//! once. Each variable's rule sits beside the code that uses its value (the CM.com ones in
//! `cm::routing` and `cm::presence`, a function's own in that function). This module imports
//! nothing from its crate: everything that reads configuration builds on it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

pub const TABLE_NAME: &str = "TABLE_NAME";
pub const CALLOUT_TOKENS: &str = "CALLOUT_TOKENS";
pub const CALLOUT_TOKEN_PARAM: &str = "CALLOUT_TOKEN_PARAM";
pub const PRESENCE_CHECK_TOKENS: &str = "PRESENCE_CHECK_TOKENS";
pub const PRESENCE_CHECK_TOKEN_PARAM: &str = "PRESENCE_CHECK_TOKEN_PARAM";
pub const CM_PRODUCT_TOKEN: &str = "CM_PRODUCT_TOKEN";
pub const CM_PRODUCT_TOKEN_PARAM: &str = "CM_PRODUCT_TOKEN_PARAM";
pub const CM_API_BASE_URL: &str = "CM_API_BASE_URL";
pub const CM_TECHNICAL_LINK_ID: &str = "CM_TECHNICAL_LINK_ID";
pub const CM_ROUTING_MUTATIONS: &str = "CM_ROUTING_MUTATIONS";
pub const CM_ROUTING_MUTATIONS_BY_CHANNEL: &str = "CM_ROUTING_MUTATIONS_BY_CHANNEL";
pub const AVAILABILITY_URL: &str = "AVAILABILITY_URL";
pub const AVAILABILITY_TOKEN: &str = "AVAILABILITY_TOKEN";
pub const AVAILABILITY_TOKEN_PARAM: &str = "AVAILABILITY_TOKEN_PARAM";
pub const AVAILABILITY_ONLINE_POINTER: &str = "AVAILABILITY_ONLINE_POINTER";
pub const AVAILABILITY_BUDGET_MS: &str = "AVAILABILITY_BUDGET_MS";
pub const AVAILABILITY_CACHE_SECONDS: &str = "AVAILABILITY_CACHE_SECONDS";
pub const INTAKE_REQUIRED_FIELDS: &str = "INTAKE_REQUIRED_FIELDS";
pub const INTAKE_TTL_SECONDS: &str = "INTAKE_TTL_SECONDS";
pub const HANDOVER_DEDUP_SECONDS: &str = "HANDOVER_DEDUP_SECONDS";
pub const HANDOVER_CONTEXT_KEYS: &str = "HANDOVER_CONTEXT_KEYS";
pub const HANDOVER_BUDGET_MS: &str = "HANDOVER_BUDGET_MS";
pub const MESSAGE_FROM: &str = "MESSAGE_FROM";
pub const MESSAGE_TO: &str = "MESSAGE_TO";
pub const MESSAGE_TO_BY_WEBSTORE: &str = "MESSAGE_TO_BY_WEBSTORE";
pub const MESSAGE_TO_BY_WEBSTORE_PARAM: &str = "MESSAGE_TO_BY_WEBSTORE_PARAM";
pub const MESSAGE_DEDUP_SECONDS: &str = "MESSAGE_DEDUP_SECONDS";
pub const MESSAGE_BUDGET_MS: &str = "MESSAGE_BUDGET_MS";
pub const MESSAGE_LIMIT_PER_ADDRESS: &str = "MESSAGE_LIMIT_PER_ADDRESS";
pub const MESSAGE_LIMIT_PER_DAY: &str = "MESSAGE_LIMIT_PER_DAY";
pub const MESSAGE_LIMIT_PER_DOMAIN: &str = "MESSAGE_LIMIT_PER_DOMAIN";
pub const SECRETS_REFRESH_SECONDS: &str = "SECRETS_REFRESH_SECONDS";
pub const BUSINESS_HOURS: &str = "BUSINESS_HOURS";
pub const BUSINESS_HOURS_PARAM: &str = "BUSINESS_HOURS_PARAM";
pub const HANDOVER_TIME_ZONE: &str = "HANDOVER_TIME_ZONE";
pub const CUSTOMER_LANGUAGE: &str = "CUSTOMER_LANGUAGE";
pub const AGENT_LANGUAGE: &str = "AGENT_LANGUAGE";
pub const METRICS_NAMESPACE: &str = "METRICS_NAMESPACE";
pub const METRICS_SERVICE: &str = "METRICS_SERVICE";
pub const WARM_UP_MS: &str = "WARM_UP_MS";
pub const CHAT_LOG_KEY: &str = "CHAT_LOG_KEY";
pub const CHAT_LOG_KEY_PARAM: &str = "CHAT_LOG_KEY_PARAM";
pub const MSC_API_KEY: &str = "MSC_API_KEY";
pub const MSC_API_KEY_PARAM: &str = "MSC_API_KEY_PARAM";
pub const MSC_PRESENCE_URL: &str = "MSC_PRESENCE_URL";
pub const MSC_CHANNEL: &str = "MSC_CHANNEL";
pub const MSC_CHANNELS: &str = "MSC_CHANNELS";
pub const PRESENCE_SOURCE: &str = "PRESENCE_SOURCE";

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

impl ConfigError {
    /// `var` is set to a value its rule refuses; `problem` says which rule, never the value when
    /// it may be a secret.
    pub fn invalid(var: &'static str, problem: impl Into<String>) -> Self {
        Self::Invalid {
            var,
            problem: problem.into(),
        }
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

    /// Whether a value or its SSM twin is set (`plain` or `param`): the value is configured.
    pub fn either(&self, plain: &str, param: &str) -> bool {
        self.get(plain).is_some() || self.get(param).is_some()
    }

    /// The value read by `parse`, or `None` when unset; a value `parse` refuses is an error
    /// that names `var` and says why.
    pub fn parsed<T>(
        &self,
        var: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(var)
            .map(|raw| parse(raw).map_err(|problem| ConfigError::invalid(var, problem)))
            .transpose()
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
                _ => Err(ConfigError::invalid(
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

/// `HANDOVER_TIME_ZONE`: the zone of the times an agent reads (the handover's summary, the
/// message's e-mail); an IANA zone name, UTC when unset.
pub fn time_zone(env: &Env) -> Result<jiff::tz::TimeZone, ConfigError> {
    match env.get(HANDOVER_TIME_ZONE) {
        None => Ok(jiff::tz::TimeZone::UTC),
        Some(name) => jiff::tz::TimeZone::get(name).map_err(|_| {
            ConfigError::invalid(
                HANDOVER_TIME_ZONE,
                format!("`{name}` is not an IANA time zone name (like Europe/Amsterdam)"),
            )
        }),
    }
}

/// An outbound URL we may send a secret to: https, or http only to a loopback host or to
/// `host.docker.internal`, the machine a container runs on (local runs: `make run`, `sam local`).
pub fn outbound_url(var: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url =
        Url::parse(raw).map_err(|e| ConfigError::invalid(var, format!("is not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::invalid(
                var,
                "must use https (http is accepted only for loopback hosts and host.docker.internal)",
            ));
        }
        _ => return Err(ConfigError::invalid(var, "must be an https URL")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ConfigError::invalid(var, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::invalid(var, "must not carry credentials"));
    }
    Ok(url)
}

/// An [`outbound_url`] we add to ourselves, so without a query or fragment (else `problem`).
pub fn outbound_base_url(var: &'static str, raw: &str, problem: &str) -> Result<Url, ConfigError> {
    let url = outbound_url(var, raw)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::invalid(var, problem));
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
        // (as for `crate::setup::aws::sdk_config`), so nothing reads the environment while it changes.
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
    use super::*;

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
}
