//! The adapters of the upstream APIs, one file per API as CM.com documents them:
//! [`routing`] (Routing Control, the handover call, with the [`mutations`] it asks for, by the
//! chat's channel) and [`presence`] (MSC's presence API, the guide's availability check), plus
//! [`json_presence`], a presence source for third-party presence systems that answer JSON. None follows redirects; each gives up at the time limit
//! the caller passes. Upstream bodies are never returned to our callers or logged, nor are the
//! URLs (MSC's carries its API key).

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::HeaderValue;
use reqwest::{Client, Url};

use crate::rules::secret::Secret;
use crate::setup::config::ConfigError;

use crate::rules::upstream::{UpstreamError, classify};
use crate::setup::config::{CM_PRODUCT_TOKEN, CM_PRODUCT_TOKEN_PARAM, Env};
use crate::setup::refreshing::Refreshing;

pub mod json_presence;
pub mod mutations;
pub mod presence;
pub mod routing;

pub const PRODUCT_TOKEN_HEADER: &str = "X-Cm-Producttoken";

/// Upstream answers larger than this are treated as unreadable.
pub const MAX_UPSTREAM_BODY_BYTES: usize = 64 * 1024;

/// Everything but RFC 3986 unreserved characters is percent-encoded in a value we put in a URL
/// (a webstore in a path, MSC presence's query values).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How long establishing a TCP connection may take, at most (also bounded by each call's limit).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);

/// The HTTP client of the upstream adapters (see [`crate::setup::tls::http_client`]).
pub fn http_client() -> Result<Client, ConfigError> {
    crate::setup::tls::http_client(CONNECT_TIMEOUT)
}

/// The CM.com product token, from `CM_PRODUCT_TOKEN` or the SSM parameter named by
/// `CM_PRODUCT_TOKEN_PARAM`.
pub async fn product_token(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Result<Refreshing<Secret>, ConfigError> {
    Refreshing::secret(env, CM_PRODUCT_TOKEN, CM_PRODUCT_TOKEN_PARAM, sdk).await
}

fn token_header(token: &Secret) -> Result<HeaderValue, UpstreamError> {
    let mut value =
        HeaderValue::from_str(token.expose()).map_err(|_| UpstreamError::InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

/// A `HEAD /` on `url`'s host, without credentials: opens the connection (TCP, TLS) during init
/// (see [`crate::setup::warm`]). Any HTTP answer counts: the connection is in the pool now.
async fn open_connection(http: &Client, url: &Url) -> Result<(), UpstreamError> {
    let mut root = url.clone();
    root.set_path("/");
    root.set_query(None);
    root.set_fragment(None);
    http.head(root)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify(&e))
}

/// The body of `response`, read to its end, or [`UpstreamError::UnreadableBody`] once it grows
/// past `limit` bytes.
async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, UpstreamError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(UpstreamError::UnreadableBody);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
