//! The gate, in the contract's order: the token first (in `X-Callout-Token`, or where a caller
//! cannot send headers, a presence-check token in the URL), then the route (method and raw path).

use std::borrow::Cow;

use lambda_http::http::{HeaderValue, Method};
use lambda_http::{Request, RequestExt};
use percent_encoding::percent_decode_str;

use crate::setup::auth::{CALLOUT_TOKEN_HEADER, CalloutTokens};

use super::error::ApiError;

/// 401 unless `X-Callout-Token` is one of the accepted tokens.
pub fn authorize(req: &Request, tokens: &CalloutTokens) -> Result<(), ApiError> {
    authorize_presented(header_token(req), tokens)
}

/// The token in `X-Callout-Token`, if any.
pub fn header_token(req: &Request) -> Option<&[u8]> {
    req.headers()
        .get(CALLOUT_TOKEN_HEADER)
        .map(HeaderValue::as_bytes)
}

fn authorize_presented(presented: Option<&[u8]>, tokens: &CalloutTokens) -> Result<(), ApiError> {
    match presented {
        Some(token) if tokens.accepts(token) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

/// The value of the query parameter `name` in the raw query string, percent-decoded exactly as
/// RFC 3986 says: `%2B` is `+` and a literal `+` stays `+` (lambda_http's own parameter map
/// decodes the query as an HTML form, turning `+` into a space, which breaks base64-style
/// tokens). The first occurrence counts; `None` when it is absent.
pub fn query_parameter<'r>(req: &'r Request, name: &str) -> Option<Cow<'r, [u8]>> {
    raw_query_parameter(req.uri().query()?, name)
}

fn raw_query_parameter<'q>(query: &'q str, name: &str) -> Option<Cow<'q, [u8]>> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode_str(key).eq(name.bytes())).then(|| Cow::from(percent_decode_str(value)))
    })
}

/// The raw request path split into its non-empty segments (`/prod/intake/abc/` ->
/// `["prod", "intake", "abc"]`).
pub fn path_segments(req: &Request) -> Vec<&str> {
    let raw = req.raw_http_path();
    let raw = if raw.is_empty() {
        req.uri().path()
    } else {
        raw
    };
    raw.split('/').filter(|s| !s.is_empty()).collect()
}

/// Whether the path names the endpoint `resource`: its last segment is `resource` (after any
/// stage or base-path prefix), or the path is `/` (a function URL called at its root).
pub fn is_resource(segments: &[&str], resource: &str) -> bool {
    segments.last().is_none_or(|last| *last == resource)
}

/// The gate of a single-route endpoint, in the contract's order: the token (401) before the
/// route (404) before the method (405).
pub fn admit(
    req: &Request,
    tokens: &CalloutTokens,
    resource: &str,
    method: Method,
    allow: &'static str,
) -> Result<(), ApiError> {
    admit_presented(req, header_token(req), tokens, resource, method, allow)
}

/// [`admit`] with the token the caller presented elsewhere than in `X-Callout-Token` (CAIC's
/// presence-check webhook, which cannot send headers, puts it in the URL).
pub fn admit_presented(
    req: &Request,
    presented: Option<&[u8]>,
    tokens: &CalloutTokens,
    resource: &str,
    method: Method,
    allow: &'static str,
) -> Result<(), ApiError> {
    authorize_presented(presented, tokens)?;
    if !is_resource(&path_segments(req), resource) {
        return Err(ApiError::NotFound);
    }
    require_method(req, method, allow)
}

/// 405 for any method but `allowed` (which is also named in the `Allow` header).
pub fn require_method(req: &Request, allowed: Method, allow: &'static str) -> Result<(), ApiError> {
    if req.method() == allowed {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_percent_decoded_exactly_not_as_a_form() {
        let value = |query: &str, name: &str| {
            raw_query_parameter(query, name).map(|v| String::from_utf8_lossy(&v).into_owned())
        };
        // a base64-style token: `+` stays `+`, `%2B` is `+`, `%2F` is `/`, `%3D` is `=`
        assert_eq!(
            value("calloutToken=ab+cd/ef==", "calloutToken").as_deref(),
            Some("ab+cd/ef==")
        );
        assert_eq!(
            value("calloutToken=ab%2Bcd%2Fef%3D%3D", "calloutToken").as_deref(),
            Some("ab+cd/ef==")
        );
        assert_eq!(
            value("x=1&calloutToken=a%20b&calloutToken=second", "calloutToken").as_deref(),
            Some("a b")
        );
        assert_eq!(
            value("callout%54oken=t", "calloutToken").as_deref(),
            Some("t")
        );
        assert_eq!(value("calloutToken", "calloutToken").as_deref(), Some(""));
        assert_eq!(
            value("calloutTokens=t&xcalloutToken=t", "calloutToken"),
            None
        );
        assert_eq!(value("", "calloutToken"), None);
    }

    #[test]
    fn resource_matching_ignores_prefixes_and_accepts_the_root() {
        assert!(is_resource(&[], "handover"));
        assert!(is_resource(&["handover"], "handover"));
        assert!(is_resource(&["prod", "handover"], "handover"));
        assert!(!is_resource(&["handover", "x"], "handover"));
        assert!(!is_resource(&["intake"], "handover"));
    }
}
