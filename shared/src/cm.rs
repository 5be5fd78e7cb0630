//! The CM.com adapters: Routing Control (the handover call) and the presence source (the
//! availability check). Both send the product token in `X-Cm-Producttoken`, never follow
//! redirects, and give up at the time limit the caller passes. Upstream bodies are never
//! returned to our callers or logged.

use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Client, Url};

use tokio::time::Instant;

use crate::config::{ConfigError, outbound_url};
use crate::retry::{Backoff, handover_may_repeat, read_may_repeat, retrying};
use std::sync::Arc;

use crate::secret::Secret;
use crate::secrets::Refreshing;
use crate::validate::ChatId;
use crate::wire::RoutingMutationRequest;

pub const PRODUCT_TOKEN_HEADER: &str = "X-Cm-Producttoken";

/// Upstream answers larger than this are treated as unreadable.
pub const MAX_UPSTREAM_BODY_BYTES: usize = 64 * 1024;

/// How long establishing a TCP connection may take, at most (also bounded by each call's limit).
const CONNECT_TIMEOUT: Duration = Duration::from_millis(1500);

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    #[error("no answer within the time budget")]
    Timeout,
    /// No connection could be made: the request never left.
    #[error("could not connect")]
    NotConnected,
    /// The connection failed once the request may have been sent (reset, TLS, protocol).
    #[error("the connection failed")]
    Unreachable,
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("answered with a body that is not JSON or too large")]
    UnreadableBody,
    #[error("the product token cannot be sent as a header")]
    InvalidToken,
}

/// The HTTP client of the CM.com adapters (see [`crate::tls::http_client`]).
pub fn http_client() -> Result<Client, ConfigError> {
    crate::tls::http_client(CONNECT_TIMEOUT)
}

fn token_header(token: &Secret) -> Result<HeaderValue, UpstreamError> {
    let mut value =
        HeaderValue::from_str(token.expose()).map_err(|_| UpstreamError::InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

/// A `HEAD /` on `url`'s host, without credentials: opens the connection (TCP, TLS) during init
/// (see [`crate::warm`]). Any HTTP answer counts: the connection is in the pool now.
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

fn classify(error: &reqwest::Error) -> UpstreamError {
    if error.is_connect() {
        UpstreamError::NotConnected
    } else if error.is_timeout() {
        UpstreamError::Timeout
    } else {
        UpstreamError::Unreachable
    }
}

/// CM.com's Routing Control API for one CONVERSATIONAL technical link.
#[derive(Clone)]
pub struct RoutingControl {
    http: Client,
    base_url: Url,
    technical_link_id: String,
    product_token: Arc<Refreshing<Secret>>,
}

impl RoutingControl {
    pub fn new(
        http: Client,
        base_url: Url,
        technical_link_id: String,
        product_token: Arc<Refreshing<Secret>>,
    ) -> Self {
        Self {
            http,
            base_url,
            technical_link_id,
            product_token,
        }
    }

    /// `{base}/conversational/control/v1/accounts/{technicalLinkId}/chats/{chatId}/routing/mutationrequests`,
    /// each id one percent-encoded path segment.
    pub fn mutation_requests_url(&self, chat: &ChatId) -> Url {
        let mut url = self.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend([
                "conversational",
                "control",
                "v1",
                "accounts",
                &self.technical_link_id,
                "chats",
                chat.as_str(),
                "routing",
                "mutationrequests",
            ]);
        }
        url
    }

    /// Opens the connection to the Routing Control API's host (see [`open_connection`]).
    pub async fn warm_up(&self) -> Result<(), UpstreamError> {
        open_connection(&self.http, &self.base_url).await
    }

    /// Sends the routing mutation request, by `deadline`. `Ok` only for a 2xx answer. It is
    /// sent again only when CM.com certainly did not act on it ([`handover_may_repeat`]).
    pub async fn request_mutations(
        &self,
        chat: &ChatId,
        body: &RoutingMutationRequest,
        deadline: Instant,
    ) -> Result<(), UpstreamError> {
        let json = serde_json::to_vec(body).map_err(|_| UpstreamError::UnreadableBody)?;
        let token = token_header(&*self.product_token.get().await)?;
        let url = self.mutation_requests_url(chat);
        retrying(deadline, Backoff::UPSTREAM, handover_may_repeat, |limit| {
            let request = self
                .http
                .post(url.clone())
                .header(PRODUCT_TOKEN_HEADER, token.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(json.clone())
                .timeout(limit);
            async move {
                let response = request.send().await.map_err(|e| classify(&e))?;
                let status = response.status();
                if status.is_success() {
                    Ok(())
                } else {
                    Err(UpstreamError::Status(status.as_u16()))
                }
            }
        })
        .await
    }
}

/// Everything but RFC 3986 unreserved characters is encoded in a substituted `{webstore}`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The upstream that says whether agents are available: a GET to `AVAILABILITY_URL`, where
/// `{webstore}` is replaced (percent-encoded) by the request's webstore.
#[derive(Clone)]
pub struct PresenceSource {
    http: Client,
    url_template: String,
    product_token: Option<Arc<Refreshing<Secret>>>,
}

pub const WEBSTORE_PLACEHOLDER: &str = "{webstore}";

impl PresenceSource {
    /// Checks the template once at start-up (as it will be with a webstore filled in).
    pub fn new(
        http: Client,
        var: &'static str,
        url_template: &str,
        product_token: Option<Arc<Refreshing<Secret>>>,
    ) -> Result<Self, ConfigError> {
        outbound_url(var, &url_template.replace(WEBSTORE_PLACEHOLDER, "webstore"))?;
        Ok(Self {
            http,
            url_template: url_template.to_owned(),
            product_token,
        })
    }

    pub fn url_for(&self, webstore: Option<&str>) -> String {
        let encoded = utf8_percent_encode(webstore.unwrap_or_default(), COMPONENT).to_string();
        self.url_template.replace(WEBSTORE_PLACEHOLDER, &encoded)
    }

    /// Opens the connection to the presence source's host (see [`open_connection`]).
    pub async fn warm_up(&self) -> Result<(), UpstreamError> {
        let url =
            Url::parse(&self.url_for(Some("warm-up"))).map_err(|_| UpstreamError::NotConnected)?;
        open_connection(&self.http, &url).await
    }

    /// The presence document as JSON, read by `deadline` and at most 64 KiB. Retried where a
    /// read may be ([`read_may_repeat`]).
    pub async fn fetch(
        &self,
        webstore: Option<&str>,
        deadline: Instant,
    ) -> Result<serde_json::Value, UpstreamError> {
        let url = self.url_for(webstore);
        let token = match &self.product_token {
            Some(token) => Some(token_header(&*token.get().await)?),
            None => None,
        };
        retrying(deadline, Backoff::UPSTREAM, read_may_repeat, |limit| {
            let mut request = self.http.get(url.as_str()).header(
                reqwest::header::ACCEPT,
                HeaderValue::from_static("application/json"),
            );
            if let Some(token) = &token {
                request = request.header(PRODUCT_TOKEN_HEADER, token.clone());
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

async fn read_json(request: reqwest::RequestBuilder) -> Result<serde_json::Value, UpstreamError> {
    let mut response = request.send().await.map_err(|e| classify(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(UpstreamError::Status(status.as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        if body.len() + chunk.len() > MAX_UPSTREAM_BODY_BYTES {
            return Err(UpstreamError::UnreadableBody);
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|_| UpstreamError::UnreadableBody)
}
