//! The AWS SDK configuration, loaded once per execution environment. Region, credentials and
//! endpoints come from the standard variables (`AWS_REGION`, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_DYNAMODB`, ...), so a local DynamoDB is one variable away.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::config::ConfigError;

/// DynamoDB answers in milliseconds; these bound how long a sick one can hold a request.
const OPERATION_TIMEOUT: Duration = Duration::from_millis(2000);
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(800);
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Throttling and transient errors are retried (standard mode, 3 attempts) with short waits:
/// someone is waiting on a chat, and the operation timeout caps the whole anyway.
const INITIAL_BACKOFF: Duration = Duration::from_millis(25);
const MAX_BACKOFF: Duration = Duration::from_millis(250);

pub async fn sdk_config() -> Result<SdkConfig, ConfigError> {
    Ok(sdk_loader()?.load().await)
}

/// The loader behind [`sdk_config`], for callers that add settings (tests point it elsewhere).
pub fn sdk_loader() -> Result<aws_config::ConfigLoader, ConfigError> {
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::tls::sdk_http_client()?)
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
