//! Values that may live in SSM, kept current: a plain variable or its SSM twin (`..._PARAM`), read
//! at start-up, and when they come from SSM, read again after `SECRETS_REFRESH_SECONDS` so that a
//! rotation reaches running execution environments. The secrets (callout tokens:
//! `auth::callout_tokens`; the product token: `cm::product_token`; MSC's API key:
//! `cm::presence::msc_api_key`; the chat log key, read once: `telemetry::chat_tagger`) and
//! availability's opening hours are loaded this way, each beside the code that uses it. A refresh that
//! fails (or takes over 500 ms) keeps the last good value and is tried again 30 s later, not on
//! every request. A plain variable wins over its SSM twin and is never refreshed; then SSM is
//! never called.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::rules::secret::Secret;
use crate::setup::config::{ConfigError, Env, SECRETS_REFRESH_SECONDS};

pub const DEFAULT_REFRESH_SECONDS: u64 = 300;
/// How long a refresh may hold a request.
const REFRESH_TIMEOUT: Duration = Duration::from_millis(500);
/// After a failed refresh, the next try comes this much later (or after the refresh interval,
/// if that is shorter).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

/// A value parsed from a secret, kept current.
pub struct Refreshing<T> {
    source: Option<SsmParameter>,
    parse: fn(&Secret) -> Result<T, String>,
    refresh_after: Duration,
    state: RwLock<(Arc<T>, Instant)>,
}

struct SsmParameter {
    client: aws_sdk_ssm::Client,
    var: &'static str,
    name: String,
}

impl<T> Refreshing<T> {
    /// A value that never changes (a plain variable; tests).
    pub fn fixed(value: T) -> Self {
        Self {
            source: None,
            parse: |_| Err("a fixed value is never parsed again".to_owned()),
            refresh_after: Duration::MAX,
            state: RwLock::new((Arc::new(value), Instant::now())),
        }
    }

    /// Reads the secret from `plain`, else from the SSM parameter named by `param` (refreshed
    /// every `refresh_after`), and parses it; any failure names the variable.
    pub async fn load(
        env: &Env,
        plain: &'static str,
        param: &'static str,
        sdk: &aws_config::SdkConfig,
        refresh_after: Duration,
        parse: fn(&Secret) -> Result<T, String>,
    ) -> Result<Self, ConfigError> {
        let invalid = |var: &'static str, problem: String| ConfigError::Invalid { var, problem };
        if let Some(value) = env.get(plain) {
            let parsed = parse(&Secret::new(value.to_owned())).map_err(|p| invalid(plain, p))?;
            return Ok(Self::fixed(parsed));
        }
        let Some(name) = env.get(param) else {
            return Err(ConfigError::MissingSecret { plain, param });
        };
        let source = SsmParameter {
            client: aws_sdk_ssm::Client::new(sdk),
            var: param,
            name: name.to_owned(),
        };
        let secret = source.read().await.map_err(|problem| ConfigError::Ssm {
            var: param,
            problem,
        })?;
        let parsed = parse(&secret).map_err(|p| invalid(param, p))?;
        Ok(Self {
            source: Some(source),
            parse,
            refresh_after,
            state: RwLock::new((Arc::new(parsed), Instant::now())),
        })
    }

    /// [`Self::load`] when `plain` or `param` is set, refreshed every `SECRETS_REFRESH_SECONDS`;
    /// `None` when neither is (an optional setting).
    pub async fn load_if_set(
        env: &Env,
        plain: &'static str,
        param: &'static str,
        sdk: &aws_config::SdkConfig,
        parse: fn(&Secret) -> Result<T, String>,
    ) -> Result<Option<Self>, ConfigError> {
        if !env.either(plain, param) {
            return Ok(None);
        }
        Self::load(env, plain, param, sdk, refresh_interval(env)?, parse)
            .await
            .map(Some)
    }

    /// The current value, refreshed first when it is due.
    pub async fn get(&self) -> Arc<T> {
        let (value, checked_at) = self.snapshot();
        let Some(source) = &self.source else {
            return value;
        };
        if checked_at.elapsed() < self.refresh_after {
            return value;
        }
        let refreshed = tokio::time::timeout(REFRESH_TIMEOUT, source.read())
            .await
            .unwrap_or_else(|_| Err("no answer within 500 ms".to_owned()))
            .and_then(|secret| (self.parse)(&secret));
        match refreshed {
            Ok(parsed) => {
                let parsed = Arc::new(parsed);
                self.store(Arc::clone(&parsed), Instant::now());
                parsed
            }
            Err(problem) => {
                tracing::warn!(var = source.var, %problem, "secret not refreshed; the last good value stays in use");
                let retry_at = Instant::now() + RETRY_AFTER_FAILURE.min(self.refresh_after);
                self.store(
                    Arc::clone(&value),
                    retry_at
                        .checked_sub(self.refresh_after)
                        .unwrap_or(checked_at),
                );
                value
            }
        }
    }

    fn snapshot(&self) -> (Arc<T>, Instant) {
        let state = self
            .state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (Arc::clone(&state.0), state.1)
    }

    fn store(&self, value: Arc<T>, checked_at: Instant) {
        let mut state = self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *state = (value, checked_at);
    }
}

impl SsmParameter {
    async fn read(&self) -> Result<Secret, String> {
        let output = self
            .client
            .get_parameter()
            .name(&self.name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| aws_sdk_ssm::error::DisplayErrorContext(e).to_string())?;
        output
            .parameter
            .and_then(|p| p.value)
            .filter(|v| !v.trim().is_empty())
            .map(|v| Secret::new(v.trim().to_owned()))
            .ok_or_else(|| "the parameter has no value".to_owned())
    }
}

/// How often SSM secrets are read again (`SECRETS_REFRESH_SECONDS`).
pub fn refresh_interval(env: &Env) -> Result<Duration, ConfigError> {
    env.u64_in(SECRETS_REFRESH_SECONDS, DEFAULT_REFRESH_SECONDS, 1, 86_400)
        .map(Duration::from_secs)
}

impl Refreshing<Secret> {
    /// A secret used as it is (a token, a key), from `plain` or the SSM parameter named by
    /// `param`, refreshed every `SECRETS_REFRESH_SECONDS`.
    pub async fn secret(
        env: &Env,
        plain: &'static str,
        param: &'static str,
        sdk: &aws_config::SdkConfig,
    ) -> Result<Self, ConfigError> {
        Self::load(env, plain, param, sdk, refresh_interval(env)?, |secret| {
            Ok(secret.clone())
        })
        .await
    }
}
