//! The one error type a request can end in, and the one place that decides how it looks on the
//! wire: `{"error": code, "message": text}` with a 4xx (or, for our own store, 503) status.
//!
//! Upstream (CM.com) trouble is deliberately *not* here: it is a status in a 200 body that a CAIC
//! Logical Step can branch on (see `wire`).

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use super::response::json_response;
use crate::contract::validate::FieldError;
use crate::setup::metrics;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApiError {
    #[error("missing or invalid X-Callout-Token header")]
    Unauthorized,
    /// The token in the URL (`?calloutToken=`) is not one of the presence-check tokens (the only
    /// tokens a URL may carry).
    #[error("the presence-check token in the URL (calloutToken) was refused")]
    UrlTokenRefused,
    /// A presence-check token in the URL, with a body that is not CAIC's presence-check webhook:
    /// it opens that check alone.
    #[error(
        "a presence-check token in the URL is accepted only with CAIC's presence-check body; send the X-Callout-Token header"
    )]
    TokenInUrlRefused,
    #[error("no such endpoint")]
    NotFound,
    #[error("method not allowed; allowed: {allow}")]
    MethodNotAllowed { allow: &'static str },
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    BadRequest(String),
    #[error("the store is unavailable; try again")]
    StoreUnavailable,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    /// 400 naming the field and the rule it broke (never its value).
    pub fn invalid_field(field: &str, error: FieldError) -> Self {
        Self::BadRequest(format!("{field} {error}"))
    }

    /// An optional field checked by `rule`: absent stays absent, a value that breaks the rule is
    /// [`Self::invalid_field`].
    pub fn check_optional(
        field: &str,
        value: Option<&str>,
        rule: fn(&str) -> Result<String, FieldError>,
    ) -> Result<Option<String>, Self> {
        value
            .map(|v| rule(v).map_err(|e| Self::invalid_field(field, e)))
            .transpose()
    }

    /// The metric that counts this answer.
    pub fn metric(&self) -> &'static str {
        match self {
            Self::StoreUnavailable => "IntakeStoreUnavailable",
            Self::Unauthorized | Self::UrlTokenRefused | Self::TokenInUrlRefused => {
                metrics::REFUSED_UNAUTHORIZED
            }
            Self::NotFound => metrics::REFUSED_NOT_FOUND,
            Self::MethodNotAllowed { .. } => metrics::REFUSED_METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType => metrics::REFUSED_UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => metrics::REFUSED_PAYLOAD_TOO_LARGE,
            Self::BadRequest(_) => metrics::REFUSED_BAD_REQUEST,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized | Self::UrlTokenRefused | Self::TokenInUrlRefused => {
                StatusCode::UNAUTHORIZED
            }
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The machine-readable code in the `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized | Self::UrlTokenRefused | Self::TokenInUrlRefused => "unauthorized",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::BadRequest(_) => "bad_request",
            Self::StoreUnavailable => "store_unavailable",
        }
    }

    pub fn into_response(self) -> Response<Body> {
        #[derive(Serialize)]
        struct ErrorBody<'a> {
            error: &'a str,
            message: String,
        }
        let mut response = json_response(
            self.status(),
            &ErrorBody {
                error: self.code(),
                message: self.to_string(),
            },
        );
        if let Self::MethodNotAllowed { allow } = self {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

impl From<ApiError> for Response<Body> {
    fn from(error: ApiError) -> Self {
        error.into_response()
    }
}
