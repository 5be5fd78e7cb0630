//! CM.com's Routing Control API: `POST .../chats/{ChatId}/routing/mutationrequests`, the
//! handover call (developers.cm.com, "Control routing").

use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Client, Url};
use tokio::time::Instant;

use super::{PRODUCT_TOKEN_HEADER, open_connection, token_header};
use crate::contract::RoutingMutationRequest;
use crate::contract::validate::ChatId;
use crate::rules::secret::Secret;
use crate::rules::upstream::{UpstreamError, classify};
use crate::setup::config::{
    CM_API_BASE_URL, CM_TECHNICAL_LINK_ID, ConfigError, Env, outbound_base_url,
};
use crate::setup::refreshing::Refreshing;
use crate::setup::retry::{Backoff, action_may_repeat, retrying};

pub const DEFAULT_CM_API_BASE_URL: &str = "https://api.conversational.cm.com";

/// `CM_API_BASE_URL`, default `https://api.conversational.cm.com`.
pub fn cm_api_base_url(env: &Env) -> Result<Url, ConfigError> {
    let raw = env.get(CM_API_BASE_URL).unwrap_or(DEFAULT_CM_API_BASE_URL);
    outbound_base_url(CM_API_BASE_URL, raw, "must not have a query or fragment")
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
        Err(ConfigError::invalid(
            CM_TECHNICAL_LINK_ID,
            "must be up to 128 letters, digits, - or _ (the id from Conversational Router settings)",
        ))
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
    /// sent again only when CM.com certainly did not act on it ([`action_may_repeat`]).
    pub async fn request_mutations(
        &self,
        chat: &ChatId,
        body: &RoutingMutationRequest,
        deadline: Instant,
    ) -> Result<(), UpstreamError> {
        let json = serde_json::to_vec(body).map_err(|_| UpstreamError::UnreadableBody)?;
        let token = token_header(&*self.product_token.get().await)?;
        let url = self.mutation_requests_url(chat);
        retrying(deadline, Backoff::UPSTREAM, action_may_repeat, |limit| {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
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
