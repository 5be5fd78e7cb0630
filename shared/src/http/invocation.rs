//! One invocation, wrapped: its span and chat tag, its answer counted, and the claim id that
//! names it in the at-most-once protocol.

use lambda_http::{Body, Request, RequestExt, Response};

use super::error::ApiError;
use super::response::{Outcome, with_outcome};

/// Every function's entry point around its `respond`: an error becomes its HTTP answer, the
/// answer's outcome is counted and logged with the status and the time taken, and the
/// invocation's metrics are written. `respond` runs in a `request` span carrying the request id
/// (so JSON lines have `span.requestId`, as the runtime's own span gives them outside ours);
/// once the chat id is known, the handler records the chat's tag on it (see
/// [`crate::setup::telemetry::ChatTagger::record`]), so the lines that follow carry `span.chat`.
pub async fn answer(
    route: &'static str,
    req: &Request,
    respond: impl Future<Output = Result<Response<Body>, ApiError>>,
) -> Response<Body> {
    use tracing::Instrument;
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.as_str())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        requestId = request_id,
        chat = tracing::field::Empty
    );
    let answer = counted(route, respond).instrument(span).await;
    crate::setup::metrics::flush(request_id);
    answer
}

/// `respond`'s answer (its error's, when it fails), counted and logged.
async fn counted(
    route: &'static str,
    respond: impl Future<Output = Result<Response<Body>, ApiError>>,
) -> Response<Body> {
    let started = std::time::Instant::now();
    let response = respond
        .await
        .unwrap_or_else(|error| with_outcome(error.metric(), error.into_response()));
    let outcome = response
        .extensions()
        .get::<Outcome>()
        .map_or("Unknown", |o| o.0);
    crate::setup::metrics::count(outcome);
    tracing::info!(
        route,
        outcome,
        status = response.status().as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "answered"
    );
    response
}

/// A claim id unique to this invocation (see [`crate::rules::once`]): the Lambda request id where there
/// is one, plus random bytes, so that two runs outside Lambda never share one.
pub fn claim_id(req: &Request) -> String {
    let mut random = [0u8; 8];
    let _ = getrandom::getrandom(&mut random);
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.as_str())
        .unwrap_or_default();
    format!("{request_id}:{suffix}")
}
