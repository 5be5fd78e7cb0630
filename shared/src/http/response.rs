//! The responses the functions send: JSON with its media type, 204, and the outcome marker the
//! invocation wrapper ([`super::answer`]) counts. Imports nothing from its crate: the error type
//! ([`super::error`]) and the gate build on it.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

/// A JSON response. Serialising our own wire types cannot fail; if it ever did, the answer is
/// an empty object rather than a panic on the request path.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let json = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned());
    let mut response = Response::new(Body::Text(json));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub fn ok_json<T: Serialize>(body: &T) -> Response<Body> {
    json_response(StatusCode::OK, body)
}

pub fn no_content() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

/// The metric name of the answer a response carries (see [`super::answer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome(pub &'static str);

/// `response`, marked with the metric that counts it.
pub fn with_outcome(metric: &'static str, mut response: Response<Body>) -> Response<Body> {
    response.extensions_mut().insert(Outcome(metric));
    response
}
