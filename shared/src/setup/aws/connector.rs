//! How the SDK's requests go out: through our own HTTP client ([`crate::setup::tls::http_client`]),
//! not the SDK's hyper one, within the timeouts and backoff every function uses.

use std::sync::Mutex;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_types::body::SdkBody;

use crate::setup::config::ConfigError;

/// DynamoDB answers in milliseconds; these bound how long a sick one can hold a request. A claim's
/// lease outlives its call by more than one operation (`once::LEASE_MARGIN_SECONDS`).
pub const OPERATION_TIMEOUT: Duration = Duration::from_millis(2000);

pub(super) const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(800);

pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// Throttling and transient errors are retried (standard mode, 3 attempts) with short waits:
/// someone is waiting on a chat, and the operation timeout caps the whole anyway.
pub(super) const INITIAL_BACKOFF: Duration = Duration::from_millis(25);

pub(super) const MAX_BACKOFF: Duration = Duration::from_millis(250);

/// The SDK's HTTP client: one [`SdkConnector`] per connect timeout the SDK asks for (it asks for
/// one: [`CONNECT_TIMEOUT`]), built when first asked and reused after.
pub fn sdk_http_client() -> Result<SharedHttpClient, ConfigError> {
    let first = SdkConnector::new(Some(CONNECT_TIMEOUT))?;
    let others: Mutex<Vec<SdkConnector>> = Mutex::new(Vec::new());
    Ok(http_client_fn(move |settings, _components| {
        let wanted = settings.connect_timeout();
        if first.connect_timeout == wanted {
            return SharedHttpConnector::new(first.clone());
        }
        let mut others = others
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(connector) = others.iter().find(|c| c.connect_timeout == wanted) {
            return SharedHttpConnector::new(connector.clone());
        }
        match SdkConnector::new(wanted) {
            Ok(connector) => {
                others.push(connector.clone());
                SharedHttpConnector::new(connector)
            }
            // the first connector was built with the same TLS set-up, so this cannot fail; if
            // it ever did, the first one still answers, with its own connect timeout
            Err(_) => SharedHttpConnector::new(first.clone()),
        }
    }))
}

/// Sends the SDK's requests (small JSON bodies, for DynamoDB and SSM) through reqwest and hands
/// back the whole response. Errors keep the kind the SDK's retry rules go by: a timeout, an
/// I/O failure (connection refused or reset: retried as transient), or other.
#[derive(Debug, Clone)]
struct SdkConnector {
    client: reqwest::Client,
    connect_timeout: Option<Duration>,
}

impl SdkConnector {
    fn new(connect_timeout: Option<Duration>) -> Result<Self, ConfigError> {
        // no connect timeout asked for: the operation timeouts bound the call anyway
        let client = crate::setup::tls::http_client(connect_timeout.unwrap_or(OPERATION_TIMEOUT))?;
        Ok(Self {
            client,
            connect_timeout,
        })
    }
}

impl HttpConnector for SdkConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let client = self.client.clone();
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::user(e.into()))?;
            let (parts, body) = request.into_parts();
            let Some(bytes) = body.bytes() else {
                return Err(ConnectorError::user(
                    "a streaming request body cannot be sent".into(),
                ));
            };
            let response = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(bytes.to_vec())
                .send()
                .await
                .map_err(connector_error)?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await.map_err(connector_error)?;
            let mut answer = lambda_http::http::Response::new(SdkBody::from(body));
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            HttpResponse::try_from(answer).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

fn connector_error(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else if error.is_connect() || error.is_request() || error.is_body() {
        ConnectorError::io(error.into())
    } else {
        ConnectorError::other(error.into(), None)
    }
}
