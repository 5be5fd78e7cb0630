//! MSC's presence API, the check in step 1 of CM.com's handover guide
//! (developers.cm.com/mobile-service-cloud/docs/presence):
//! `GET https://presence.robinhq.com/api/v1?apikey=<key>&Channel=<channel>&referrer=<referrer>`,
//! answered with the plain text `Online` or `Offline` (not JSON). The API key travels in the
//! query string, so the request URL is a secret: it is built here, handed to the HTTP client and
//! never logged, put in an error or kept (see [`crate::rules::upstream::classify`]).

use std::sync::Arc;

use percent_encoding::utf8_percent_encode;
use reqwest::header::HeaderValue;
use reqwest::{Client, Url};
use tokio::time::Instant;

use super::{COMPONENT, open_connection, read_body};
use crate::rules::secret::Secret;
use crate::rules::upstream::{UpstreamError, classify, sanitised_prefix};
use crate::setup::config::{
    ConfigError, Env, MSC_API_KEY, MSC_API_KEY_PARAM, MSC_PRESENCE_URL, outbound_base_url,
};
use crate::setup::refreshing::Refreshing;
use crate::setup::retry::{Backoff, read_may_repeat, retrying};

pub const DEFAULT_MSC_PRESENCE_URL: &str = "https://presence.robinhq.com/api/v1";

/// `MSC_PRESENCE_URL`, default `https://presence.robinhq.com/api/v1`: https (http only for
/// loopback hosts), no query (the query is ours to build) and no fragment.
pub fn msc_presence_url(env: &Env) -> Result<Url, ConfigError> {
    let raw = env
        .get(MSC_PRESENCE_URL)
        .unwrap_or(DEFAULT_MSC_PRESENCE_URL);
    outbound_base_url(
        MSC_PRESENCE_URL,
        raw,
        "must not have a query or fragment (apikey, Channel and referrer are added to it)",
    )
}

/// MSC's presence API key (Agent Inbox), from `MSC_API_KEY` or the SSM parameter named by
/// `MSC_API_KEY_PARAM`.
pub async fn msc_api_key(
    env: &Env,
    sdk: &aws_config::SdkConfig,
) -> Result<Refreshing<Secret>, ConfigError> {
    Refreshing::secret(env, MSC_API_KEY, MSC_API_KEY_PARAM, sdk).await
}

/// A presence answer is one word; anything longer than this is not one.
pub const MAX_PRESENCE_BODY_BYTES: usize = 1024;

/// MSC's presence API for one Agent Inbox subscription (its API key), asked per channel.
#[derive(Clone)]
pub struct MscPresence {
    http: Client,
    url: Url,
    api_key: Arc<Refreshing<Secret>>,
}

impl MscPresence {
    /// `url` is `MSC_PRESENCE_URL` as checked by [`msc_presence_url`] (no query).
    pub fn new(http: Client, url: Url, api_key: Arc<Refreshing<Secret>>) -> Self {
        Self { http, url, api_key }
    }

    /// The request URL for `channel` (one of [`crate::setup::channel::MSC_PRESENCE_CHANNELS`]) and
    /// `referrer` (left out when `None`): `apikey`, `Channel` and `referrer`, each value
    /// percent-encoded (everything but RFC 3986's unreserved characters), so that no value can
    /// add or change a parameter. It holds the key: never log it.
    pub fn request_url(&self, api_key: &Secret, channel: &str, referrer: Option<&str>) -> Url {
        let encode = |value: &str| utf8_percent_encode(value, COMPONENT).to_string();
        let mut query = format!(
            "apikey={}&Channel={}",
            encode(api_key.expose()),
            encode(channel)
        );
        if let Some(referrer) = referrer {
            query.push_str("&referrer=");
            query.push_str(&encode(referrer));
        }
        let mut url = self.url.clone();
        url.set_query(Some(&query));
        url
    }

    /// Opens the connection to the presence API's host, without the key (see
    /// [`open_connection`]).
    pub async fn warm_up(&self) -> Result<(), UpstreamError> {
        open_connection(&self.http, &self.url).await
    }

    /// Whether agents are online on `channel` for `referrer`, read by `deadline`. Retried where
    /// a read may be ([`read_may_repeat`]); an answer that is neither `Online` nor `Offline` is
    /// [`UpstreamError::UnrecognisedAnswer`].
    pub async fn agents_online(
        &self,
        channel: &str,
        referrer: Option<&str>,
        deadline: Instant,
    ) -> Result<bool, UpstreamError> {
        let url = self.request_url(&*self.api_key.get().await, channel, referrer);
        retrying(deadline, Backoff::UPSTREAM, read_may_repeat, |limit| {
            let request = self.http.get(url.clone()).header(
                reqwest::header::ACCEPT,
                HeaderValue::from_static("text/plain"),
            );
            // One limit for the whole exchange, body included: a server that trickles its body
            // cannot hold us past it.
            async move {
                tokio::time::timeout(limit, read_answer(request))
                    .await
                    .unwrap_or(Err(UpstreamError::Timeout))
            }
        })
        .await
    }
}

async fn read_answer(request: reqwest::RequestBuilder) -> Result<bool, UpstreamError> {
    let response = request.send().await.map_err(|e| classify(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(UpstreamError::Status(status.as_u16()));
    }
    let body = read_body(response, MAX_PRESENCE_BODY_BYTES).await?;
    parse_answer(&body).ok_or_else(|| UpstreamError::UnrecognisedAnswer {
        status: status.as_u16(),
        length: body.len(),
        prefix: sanitised_prefix(&body),
    })
}

/// The presence rule: the body, trimmed, in any case, with or without surrounding double quotes
/// (a JSON string), is `online` (`Some(true)`) or `offline` (`Some(false)`); anything else is no
/// answer (`None`).
pub fn parse_answer(body: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(body).ok()?.trim();
    let word = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    if word.eq_ignore_ascii_case("online") {
        Some(true)
    } else if word.eq_ignore_ascii_case("offline") {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_and_offline_in_any_dress() {
        for online in [
            "Online",
            "online\r\n",
            "\"Online\"",
            " ONLINE ",
            "\" online \"",
        ] {
            assert_eq!(parse_answer(online.as_bytes()), Some(true), "{online:?}");
        }
        for offline in ["Offline", "OFFLINE", "offline\n", "\"Offline\""] {
            assert_eq!(parse_answer(offline.as_bytes()), Some(false), "{offline:?}");
        }
        for neither in [
            "",
            "Busy",
            "Away",
            "\"Online",
            "Online Offline",
            "<html>Online</html>",
            "{\"status\":\"Online\"}",
            "true",
        ] {
            assert_eq!(parse_answer(neither.as_bytes()), None, "{neither:?}");
        }
        assert_eq!(parse_answer(&[0xff, b'O']), None);
    }

    #[test]
    fn every_value_is_percent_encoded_and_cannot_add_a_parameter() {
        let presence = MscPresence::new(
            super::super::http_client().unwrap_or_else(|e| panic!("{e}")),
            Url::parse("https://presence.example/api/v1").unwrap_or_else(|e| panic!("{e}")),
            Arc::new(Refreshing::fixed(Secret::new("k&y=1".to_owned()))),
        );
        let key = Secret::new("k&y=1 #".to_owned());
        let url = presence.request_url(
            &key,
            "Apple Business Chat",
            Some("shop nl&apikey=x=y#frag/é"),
        );
        assert_eq!(
            url.as_str(),
            "https://presence.example/api/v1?apikey=k%26y%3D1%20%23&Channel=Apple%20Business%20Chat&referrer=shop%20nl%26apikey%3Dx%3Dy%23frag%2F%C3%A9"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs.len(), 3);
        assert_eq!(
            pairs[2],
            (
                "referrer".to_owned(),
                "shop nl&apikey=x=y#frag/é".to_owned()
            )
        );
        assert_eq!(
            presence
                .request_url(&key, "Apple Business Chat", None)
                .query(),
            Some("apikey=k%26y%3D1%20%23&Channel=Apple%20Business%20Chat")
        );
    }

    #[test]
    fn msc_presence_url_has_a_default_and_rules() {
        assert_eq!(
            msc_presence_url(&Env::default())
                .map(|u| u.to_string())
                .ok(),
            Some("https://presence.robinhq.com/api/v1".to_owned())
        );
        assert!(
            msc_presence_url(&Env::from_pairs([(
                MSC_PRESENCE_URL,
                "http://127.0.0.1:9001/api/v1"
            )]))
            .is_ok()
        );
        for bad in [
            "http://presence.robinhq.com/api/v1",
            "https://presence.robinhq.com/api/v1?apikey=x",
            "https://presence.robinhq.com/api/v1#x",
            "not a url",
        ] {
            let err = msc_presence_url(&Env::from_pairs([(MSC_PRESENCE_URL, bad)]))
                .map_err(|e| e.to_string());
            assert!(
                matches!(&err, Err(m) if m.starts_with("configuration: MSC_PRESENCE_URL")),
                "{bad}: {err:?}"
            );
        }
    }
}
