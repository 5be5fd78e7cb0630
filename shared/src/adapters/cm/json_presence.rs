//! A presence source for third-party presence systems that answer JSON (`AVAILABILITY_URL`):
//! a GET where `{webstore}` is replaced by the request's webstore and `{channel}` by the MSC
//! presence channel its chat is on, with a credential of its own
//! (`AVAILABILITY_TOKEN`) as `Authorization: Bearer <token>` when one is configured. CM.com's
//! product token is never sent here: it is for CM.com's API alone. MSC's own presence API is
//! [`super::presence`].

use std::sync::Arc;

use percent_encoding::utf8_percent_encode;
use reqwest::header::HeaderValue;
use reqwest::{Client, Url};
use tokio::time::Instant;

use super::{COMPONENT, MAX_UPSTREAM_BODY_BYTES, open_connection, read_body};
use crate::rules::secret::Secret;
use crate::rules::upstream::{UpstreamError, classify};
use crate::setup::config::{
    AVAILABILITY_TOKEN, AVAILABILITY_TOKEN_PARAM, ConfigError, Env, outbound_url,
};
use crate::setup::refreshing::Refreshing;
use crate::setup::retry::{Backoff, read_may_repeat, retrying};

/// The upstream that says whether agents are available: a GET to `AVAILABILITY_URL`, where
/// `{webstore}` is replaced (percent-encoded) by the request's webstore.
#[derive(Clone)]
pub struct JsonPresence {
    http: Client,
    url_template: String,
    bearer_token: Option<Arc<Refreshing<Secret>>>,
}

pub const WEBSTORE_PLACEHOLDER: &str = "{webstore}";
/// Replaced by the presence channel (`WebChat`, `WhatsApp`, ...; see [`crate::setup::channel`]).
pub const CHANNEL_PLACEHOLDER: &str = "{channel}";

impl JsonPresence {
    /// Checks the template once at start-up (as it will be with a webstore and a channel filled
    /// in): `{webstore}` and `{channel}` may stand only in the path or the query, where a
    /// filled-in value cannot change which host is asked.
    pub fn new(
        http: Client,
        var: &'static str,
        url_template: &str,
        bearer_token: Option<Arc<Refreshing<Secret>>>,
    ) -> Result<Self, ConfigError> {
        let url = outbound_url(
            var,
            &url_template
                .replace(WEBSTORE_PLACEHOLDER, "webstore")
                .replace(CHANNEL_PLACEHOLDER, "channel"),
        )?;
        for at in [WEBSTORE_PLACEHOLDER, CHANNEL_PLACEHOLDER]
            .into_iter()
            .flat_map(|placeholder| url_template.match_indices(placeholder))
            .map(|(at, _)| at)
        {
            let authority_ends = url_template
                .find("://")
                .map(|scheme| scheme + 3)
                .and_then(|start| {
                    url_template[start..]
                        .find(['/', '?', '#'])
                        .map(|end| start + end)
                })
                .unwrap_or(url_template.len());
            let fragment = url_template.find('#').unwrap_or(url_template.len());
            if at < authority_ends || at > fragment {
                return Err(ConfigError::invalid(
                    var,
                    "may hold {webstore} and {channel} only in its path or query",
                ));
            }
        }
        if url.fragment().is_some() {
            return Err(ConfigError::invalid(var, "must not have a fragment"));
        }
        Ok(Self {
            http,
            url_template: url_template.to_owned(),
            bearer_token,
        })
    }

    /// The URL asked for `webstore` (empty when none) on `channel`, each percent-encoded.
    pub fn url_for(&self, webstore: Option<&str>, channel: &str) -> String {
        let encode = |value: &str| utf8_percent_encode(value, COMPONENT).to_string();
        self.url_template
            .replace(WEBSTORE_PLACEHOLDER, &encode(webstore.unwrap_or_default()))
            .replace(CHANNEL_PLACEHOLDER, &encode(channel))
    }

    /// Opens the connection to the presence source's host (see [`open_connection`]).
    pub async fn warm_up(&self) -> Result<(), UpstreamError> {
        let url = Url::parse(&self.url_for(Some("warm-up"), "WebChat"))
            .map_err(|_| UpstreamError::NotConnected)?;
        open_connection(&self.http, &url).await
    }

    /// The presence document as JSON, read by `deadline` and at most 64 KiB. Retried where a
    /// read may be ([`read_may_repeat`]).
    pub async fn fetch(
        &self,
        webstore: Option<&str>,
        channel: &str,
        deadline: Instant,
    ) -> Result<serde_json::Value, UpstreamError> {
        let url = self.url_for(webstore, channel);
        let token = match &self.bearer_token {
            Some(token) => Some(bearer(&*token.get().await)?),
            None => None,
        };
        retrying(deadline, Backoff::UPSTREAM, read_may_repeat, |limit| {
            let mut request = self.http.get(url.as_str()).header(
                reqwest::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
            if let Some(token) = &token {
                request = request.header(reqwest::header::AUTHORIZATION, token.clone());
            }
            // One limit for the whole exchange, body included: a server that trickles its
            // body cannot hold us past it.
            async move {
                tokio::time::timeout(limit, read_json(request))
                    .await
                    .unwrap_or(Err(UpstreamError::Timeout))
            }
        })
        .await
    }
}

/// The JSON presence source's own credential, from `AVAILABILITY_TOKEN` or the SSM parameter
/// named by `AVAILABILITY_TOKEN_PARAM`; `None` when neither is set (the request then carries no
/// credential).
pub async fn availability_token(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Result<Option<Refreshing<Secret>>, ConfigError> {
    if !env.either(AVAILABILITY_TOKEN, AVAILABILITY_TOKEN_PARAM) {
        return Ok(None);
    }
    Refreshing::secret(env, AVAILABILITY_TOKEN, AVAILABILITY_TOKEN_PARAM, sdk)
        .await
        .map(Some)
}

/// `Authorization: Bearer <token>`, marked sensitive.
fn bearer(token: &Secret) -> Result<HeaderValue, UpstreamError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
        .map_err(|_| UpstreamError::InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

async fn read_json(request: reqwest::RequestBuilder) -> Result<serde_json::Value, UpstreamError> {
    let response = request.send().await.map_err(|e| classify(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(UpstreamError::Status(status.as_u16()));
    }
    let body = read_body(response, MAX_UPSTREAM_BODY_BYTES).await?;
    serde_json::from_slice(&body).map_err(|_| UpstreamError::UnreadableBody)
}
