//! CloudWatch metrics in Embedded Metric Format: every answer a CAIC dialog can see is counted,
//! and the upstream calls are timed. One JSON document goes to stdout after each invocation;
//! CloudWatch Logs turns it into metrics (no API call, no extra permission).
//!
//! Namespace `METRICS_NAMESPACE` (default `CmLivechatHandover`), dimensions `Service`
//! (`METRICS_SERVICE`, the stack name when deployed) and `Function`. The answers' metric names
//! come from the wire types (`metric()`), the latencies are below (docs/operations.md).

use std::io::Write;
use std::sync::OnceLock;
use std::time::Duration;

use metrics_cloudwatch_embedded::Collector;

use crate::setup::config::{self, Env};

pub const DEFAULT_NAMESPACE: &str = "CmLivechatHandover";
pub const DEFAULT_SERVICE: &str = "local";

/// Milliseconds the presence source took to answer (availability).
pub const PRESENCE_LATENCY: &str = "PresenceLatency";
/// Milliseconds CM.com's Routing Control took to answer (handover).
pub const ROUTING_LATENCY: &str = "RoutingLatency";
/// Milliseconds Amazon SES took to answer `SendEmail` (message).
pub const MAIL_LATENCY: &str = "MailLatency";

/// Where each invocation's metrics go: stdout in Lambda (see [`init_with_sink`] for tests).
pub type Sink = fn() -> Box<dyn Write>;

static COLLECTOR: OnceLock<(&'static Collector, Sink)> = OnceLock::new();

/// Installs the collector for `function` (once per process). Metrics never stop a function: a
/// failure here is logged and the function runs without them.
pub fn init(env: &Env, function: &'static str) {
    init_with_sink(env, function, || Box::new(std::io::stdout()));
}

/// [`init`], writing each invocation's metrics to what `sink` gives.
pub fn init_with_sink(env: &Env, function: &'static str, sink: Sink) {
    let namespace = env
        .get(config::METRICS_NAMESPACE)
        .unwrap_or(DEFAULT_NAMESPACE)
        .to_owned();
    let service = env
        .get(config::METRICS_SERVICE)
        .unwrap_or(DEFAULT_SERVICE)
        .to_owned();
    let installed = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(namespace)
        .with_dimension("Service", service)
        .with_dimension("Function", function)
        .init();
    match installed {
        Ok(collector) => {
            metrics::describe_histogram!(PRESENCE_LATENCY, metrics::Unit::Milliseconds, "");
            metrics::describe_histogram!(ROUTING_LATENCY, metrics::Unit::Milliseconds, "");
            metrics::describe_histogram!(MAIL_LATENCY, metrics::Unit::Milliseconds, "");
            let _ = COLLECTOR.set((collector, sink));
        }
        Err(error) => tracing::warn!(%error, "metrics are off"),
    }
}

/// A request refused with 401: no token, a wrong one, or a token where it is not accepted. A
/// burst of them is a wrong token in CAIC, or someone probing the URLs (an alarm watches it).
pub const REFUSED_UNAUTHORIZED: &str = "RefusedUnauthorized";
/// The other 4xx refusals, one metric per reason (the `error` code of the answer).
pub const REFUSED_NOT_FOUND: &str = "RefusedNotFound";
pub const REFUSED_METHOD_NOT_ALLOWED: &str = "RefusedMethodNotAllowed";
pub const REFUSED_UNSUPPORTED_MEDIA_TYPE: &str = "RefusedUnsupportedMediaType";
pub const REFUSED_PAYLOAD_TOO_LARGE: &str = "RefusedPayloadTooLarge";
pub const REFUSED_BAD_REQUEST: &str = "RefusedBadRequest";
/// Every refusal metric.
pub const REFUSALS: [&str; 6] = [
    REFUSED_UNAUTHORIZED,
    REFUSED_NOT_FOUND,
    REFUSED_METHOD_NOT_ALLOWED,
    REFUSED_UNSUPPORTED_MEDIA_TYPE,
    REFUSED_PAYLOAD_TOO_LARGE,
    REFUSED_BAD_REQUEST,
];

/// A value a dialog sent as its unfilled `{{placeholder}}` (a CAIC variable that is not set),
/// counted by field (dimension `Field`, one of the contract's field names) beside `Service` and
/// `Function`: a rise names the variable to set (docs/operations.md).
pub const UNFILLED_PLACEHOLDER: &str = "UnfilledPlaceholder";

/// Counts one unfilled placeholder in `field`.
pub fn unfilled_placeholder(field: &'static str) {
    metrics::counter!(UNFILLED_PLACEHOLDER, "Field" => field).increment(1);
}

/// An e-mail not sent because a limit was reached, by limit (dimension `Limit`: `address` or
/// `day`): someone using the offline branch as a relay, or a day busier than the limit allows
/// (an alarm watches it; docs/operations.md).
pub const MESSAGE_LIMIT_REACHED: &str = "MessageLimitReached";

/// Counts one e-mail refused by `limit`.
pub fn message_limit_reached(limit: &'static str) {
    metrics::counter!(MESSAGE_LIMIT_REACHED, "Limit" => limit).increment(1);
}

/// Counts one answer again by the chat's channel (dimension `Channel`: the MSC presence channel
/// or `NotServed`, see [`crate::setup::channel::ChatChannel::dimension`]), besides its count in all.
pub fn count_on_channel(metric: &'static str, channel: &'static str) {
    metrics::counter!(metric, "Channel" => channel).increment(1);
}

/// A chat availability answered online for another web store than the one asked about: its
/// `overflow` took it (dimension `Webstore`: the one asked about, a name the opening-hours
/// configuration lists, so the values are as few as its entries).
pub const OVERFLOWED: &str = "Overflowed";

/// Counts one chat that overflowed from `webstore`.
pub fn overflowed(webstore: &str) {
    metrics::counter!(OVERFLOWED, "Webstore" => webstore.to_owned()).increment(1);
}

/// Counts one answer, by its metric name.
pub fn count(metric: &'static str) {
    metrics::counter!(metric).increment(1);
}

/// Records how long an upstream call took.
pub fn latency(metric: &'static str, took: Duration) {
    metrics::histogram!(metric).record(took.as_secs_f64() * 1000.0);
}

/// Writes this invocation's metrics, tagged with its request id, as one JSON line.
pub fn flush(request_id: &str) {
    let Some((collector, sink)) = COLLECTOR.get() else {
        return;
    };
    let mut writer = sink();
    if request_id.is_empty() {
        collector.remove_property("RequestId");
    } else {
        collector.set_property("RequestId", request_id.to_owned());
    }
    if let Err(error) = collector.flush(&mut writer).and_then(|()| writer.flush()) {
        tracing::warn!(%error, "metrics not written");
    }
}
