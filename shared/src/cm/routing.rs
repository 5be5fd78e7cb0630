//! CM.com's Routing Control API: `POST .../chats/{ChatId}/routing/mutationrequests`, the
//! handover call (developers.cm.com, "Control routing").

use std::sync::Arc;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Client, Url};
use tokio::time::Instant;

use super::{PRODUCT_TOKEN_HEADER, open_connection, token_header};
use crate::retry::{Backoff, handover_may_repeat, retrying};
use crate::secret::Secret;
use crate::secrets::Refreshing;
use crate::upstream::{UpstreamError, classify};
use crate::validate::ChatId;
use crate::wire::RoutingMutationRequest;

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
