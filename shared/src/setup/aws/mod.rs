//! The AWS SDK configuration, loaded once per execution environment. Region, credentials and
//! endpoints come from the standard variables (`AWS_REGION`, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SESV2`, ...), so a local DynamoDB is one variable away. The SDK sends its
//! requests through our own HTTP client ([`crate::setup::tls::http_client`]), not its hyper one.

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::setup::config::ConfigError;

mod connector;

pub use connector::{OPERATION_TIMEOUT, sdk_http_client};

use connector::{ATTEMPT_TIMEOUT, CONNECT_TIMEOUT, INITIAL_BACKOFF, MAX_BACKOFF};

/// The SDK configuration of a function, from the process environment. The standard variables are
/// checked first ([`standard_variables`]): a blank one is removed, so the SDK reads it as unset
/// (it would take `""` for a value: a blank `AWS_ENDPOINT_URL_DYNAMODB`, which `sam local` passes
/// for a template `Fn::If` it cannot resolve, made it panic), and a malformed one stops start-up
/// with an error naming it.
///
/// Call it from `main` before anything else starts a thread: it changes the process environment.
pub async fn sdk_config() -> Result<SdkConfig, ConfigError> {
    let blank = standard_variables(|var| std::env::var_os(var))?;
    for var in blank {
        // SAFETY: the functions call this from `main` on a current-thread runtime, before they
        // start any thread (the runtime's blocking pool starts with the first DNS look-up, which
        // comes later), so nothing reads the environment while it changes.
        unsafe { std::env::remove_var(var) };
    }
    Ok(sdk_loader()?.load().await)
}

/// `sdk` for the function named `function`: every AWS request it sends says so in its user agent
/// (`app/<function>`), as CloudTrail records it. The end-to-end tests tell the four functions'
/// requests apart by it, to check each against its own role (docs/development.md, permissions).
pub fn for_function(sdk: &SdkConfig, function: &'static str) -> SdkConfig {
    match aws_config::AppName::new(function) {
        Ok(name) => sdk.to_builder().app_name(name).build(),
        // a function's name is a constant of ours; one the SDK refuses is a bug the tests show
        Err(_) => sdk.clone(),
    }
}

/// The standard variables the SDK reads by itself, for the services the functions call.
pub const STANDARD_VARIABLES: [&str; 7] = [
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SESV2",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_STS",
];

/// Checks [`STANDARD_VARIABLES`] as `lookup` gives them: returns the blank ones (to be read as
/// unset), or an error naming the first malformed one: a region that is not a host label, an
/// endpoint that is not an http(s) URL with a host.
pub fn standard_variables(
    lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<Vec<&'static str>, ConfigError> {
    let mut blank = Vec::new();
    for var in STANDARD_VARIABLES {
        let Some(raw) = lookup(var) else { continue };
        let Some(value) = raw.to_str() else {
            return Err(ConfigError::Invalid {
                var,
                problem: "is not valid UTF-8".to_owned(),
            });
        };
        let value = value.trim();
        if value.is_empty() {
            blank.push(var);
            continue;
        }
        let problem = if var.starts_with("AWS_ENDPOINT_URL") {
            let url = reqwest::Url::parse(value).ok();
            let usable = url.as_ref().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some_and(|h| !h.is_empty())
            });
            (!usable).then_some(
                "is not an http(s) URL with a host (e.g. http://127.0.0.1:8000); leave it unset for AWS's own endpoint",
            )
        } else {
            let host_label = value.len() <= 63
                && !value.starts_with('-')
                && !value.ends_with('-')
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            (!host_label).then_some("is not an AWS region name (e.g. eu-west-1)")
        };
        if let Some(problem) = problem {
            return Err(ConfigError::Invalid {
                var,
                problem: problem.to_owned(),
            });
        }
    }
    Ok(blank)
}

/// The loader behind [`sdk_config`], for callers that add settings (tests point it elsewhere).
///
/// Where the environment holds the credentials and the region, as it always does on Lambda (and
/// under `make run` and `sam local`), they are read from there directly: the default chains would
/// find them there first too, but building them costs ~0.8 M instructions of init (an STS client
/// for web identity, IMDS clients, profile-file providers) that nothing uses
/// (docs/performance.md). Anywhere else the default chains apply.
pub fn sdk_loader() -> Result<aws_config::ConfigLoader, ConfigError> {
    let from_env = EnvironmentProvides::from(|var| std::env::var_os(var));
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if from_env.credentials {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    if from_env.region {
        loader = loader.region(EnvironmentVariableRegionProvider::new());
    }
    Ok(loader
        .http_client(sdk_http_client()?)
        // The bodies are a few hundred bytes, sent and read whole by our connector; the
        // operation and attempt timeouts bound a stalled call. Watching their throughput cost
        // instructions on every request (docs/performance.md).
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(OPERATION_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .connect_timeout(CONNECT_TIMEOUT)
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(INITIAL_BACKOFF)
                .with_max_backoff(MAX_BACKOFF),
        ))
}

/// Whether the environment holds the credentials (a key id and a secret key) and the region
/// ([`sdk_loader`] then reads them from there alone).
#[derive(Debug, PartialEq, Eq)]
pub struct EnvironmentProvides {
    pub credentials: bool,
    pub region: bool,
}

impl EnvironmentProvides {
    pub fn from(lookup: impl Fn(&str) -> Option<std::ffi::OsString>) -> Self {
        let set = |var: &str| lookup(var).is_some_and(|v| !v.is_empty());
        Self {
            credentials: set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY"),
            region: set("AWS_REGION") || set("AWS_DEFAULT_REGION"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Each function's requests carry its name (CloudTrail's user agent, the tests' IAM check),
    /// and everything else of the configuration stays as it was.
    #[tokio::test]
    async fn a_function_names_itself_in_its_requests() {
        let sdk = sdk_loader()
            .expect("TLS set-up")
            .region(aws_config::Region::new("eu-west-1"))
            .load()
            .await;
        for function in ["availability", "intake", "handover", "message"] {
            let named = for_function(&sdk, function);
            assert_eq!(named.app_name().map(|n| n.as_ref()), Some(function));
            assert_eq!(named.region(), sdk.region());
            assert_eq!(named.timeout_config(), sdk.timeout_config());
        }
    }

    /// The SDK as the functions build it gives an operation, retries included, less time than a
    /// claim's lease keeps after its call: settling the claim ends before anyone may take it over.
    #[tokio::test]
    async fn a_claim_outlives_the_operation_that_settles_it() {
        let sdk = sdk_loader()
            .map(|loader| loader.region(aws_config::Region::new("eu-west-1")))
            .unwrap_or_else(|e| panic!("{e}"))
            .load()
            .await;
        let operation = sdk.timeout_config().and_then(|t| t.operation_timeout());
        assert_eq!(operation, Some(OPERATION_TIMEOUT));
        // the claim's `now` is in whole seconds, so its lease may start up to a second early
        let margin = Duration::from_secs(crate::rules::once::LEASE_MARGIN_SECONDS);
        assert!(
            OPERATION_TIMEOUT + Duration::from_secs(1) < margin,
            "{OPERATION_TIMEOUT:?} + 1 s must be less than the lease margin {margin:?}"
        );
    }

    fn check(pairs: &[(&str, &str)]) -> Result<Vec<&'static str>, String> {
        standard_variables(|var| {
            pairs
                .iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| std::ffi::OsString::from(v))
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn credentials_and_region_come_from_the_environment_only_when_it_has_them() {
        let provides = |pairs: &[(&str, &str)]| {
            EnvironmentProvides::from(|var| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == var)
                    .map(|(_, v)| std::ffi::OsString::from(v))
            })
        };
        // Lambda's environment
        assert_eq!(
            provides(&[
                ("AWS_ACCESS_KEY_ID", "ASIA..."),
                ("AWS_SECRET_ACCESS_KEY", "s"),
                ("AWS_SESSION_TOKEN", "t"),
                ("AWS_REGION", "eu-west-1"),
            ]),
            EnvironmentProvides {
                credentials: true,
                region: true
            }
        );
        // a key id alone, or blank values: the default chains (profiles, IMDS, ...)
        assert_eq!(
            provides(&[
                ("AWS_ACCESS_KEY_ID", "AKIA..."),
                ("AWS_SECRET_ACCESS_KEY", ""),
                ("AWS_DEFAULT_REGION", "eu-central-1"),
            ]),
            EnvironmentProvides {
                credentials: false,
                region: true
            }
        );
        assert_eq!(
            provides(&[]),
            EnvironmentProvides {
                credentials: false,
                region: false
            }
        );
    }

    #[test]
    fn blank_standard_variables_read_as_unset() {
        assert_eq!(check(&[]), Ok(vec![]));
        assert_eq!(
            check(&[
                ("AWS_ENDPOINT_URL_DYNAMODB", ""),
                ("AWS_REGION", "  "),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:8000"),
                ("AWS_DEFAULT_REGION", "eu-west-1"),
            ]),
            Ok(vec!["AWS_REGION", "AWS_ENDPOINT_URL_DYNAMODB"])
        );
    }

    #[test]
    fn a_malformed_standard_variable_is_named() {
        for (var, value, problem) in [
            (
                "AWS_ENDPOINT_URL_DYNAMODB",
                "not a url",
                "is not an http(s) URL with a host",
            ),
            (
                "AWS_ENDPOINT_URL_DYNAMODB",
                "127.0.0.1:8000",
                "is not an http(s) URL with a host",
            ),
            (
                "AWS_ENDPOINT_URL",
                "ftp://127.0.0.1",
                "is not an http(s) URL with a host",
            ),
            (
                "AWS_ENDPOINT_URL_SSM",
                "file:///tmp",
                "is not an http(s) URL with a host",
            ),
            ("AWS_REGION", "eu west 1", "is not an AWS region name"),
            ("AWS_DEFAULT_REGION", "-eu", "is not an AWS region name"),
        ] {
            let message = check(&[(var, value)]);
            assert!(
                matches!(&message, Err(m) if m.starts_with(&format!("configuration: {var} {problem}"))),
                "{var}={value}: {message:?}"
            );
        }
    }
}
