//! The CloudWatch metrics (Embedded Metric Format) each invocation writes, read back as
//! CloudWatch Logs would: one JSON document per invocation and set of dimensions, with the
//! namespace, the dimensions, the request id and every outcome of that invocation.
//!
//! The metrics recorder is process-wide, so this file is its own test binary and its one test
//! runs the invocations in sequence.

use std::io::Write;
use std::sync::Mutex;

use availability::{App, handle};
use e2e::{env, event, event_with_body, request, with_header};
use serde_json::{Value, json};

static WRITTEN: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Collects what the functions write, as stdout would.
struct Captured;

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        WRITTEN.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The JSON documents written since the last call.
fn documents() -> Vec<Value> {
    let bytes = std::mem::take(&mut *WRITTEN.lock().expect("lock"));
    String::from_utf8(bytes)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON document per line"))
        .collect()
}

/// The metric names a document declares, with their units.
fn declared(document: &Value) -> Vec<(String, Option<String>)> {
    document["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .map(|m| {
            (
                m["Name"].as_str().expect("name").to_owned(),
                m["Unit"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_answer_is_counted_in_one_document_per_invocation() {
    shared::setup::metrics::init_with_sink(
        &env(&[
            ("METRICS_NAMESPACE", "HandoverTest"),
            ("METRICS_SERVICE", "shop-prod"),
        ]),
        "availability",
        || Box::new(Captured),
    );
    let (_presence, url) = e2e::json_presence_online().await;
    let sdk = e2e::sdk_at("http://127.0.0.1:9").await;
    let app = App::from_env(&env(&[("AVAILABILITY_URL", url.as_str())]), &sdk)
        .await
        .expect("config");

    // an answer from the presence source: counted, and the call timed; and counted again by the
    // chat's channel, in a document of its own (its dimensions differ)
    let ok = event("availability");
    let response = handle(&app, request(&ok)).await.expect("infallible");
    assert_eq!(response.status(), 200);
    let mut written = documents();
    written.sort_by_key(|d| d.get("Channel").map(Value::to_string));
    assert_eq!(written.len(), 2, "{written:?}");
    assert_eq!(
        written[1]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Service", "Function", "Channel"]])
    );
    assert_eq!(
        (&written[1]["Channel"], &written[1]["AgentsOnline"]),
        (&json!("WebChat"), &json!(1))
    );
    assert_eq!(
        declared(&written[1]),
        vec![("AgentsOnline".to_owned(), None)]
    );
    let document = &written[0];
    assert_eq!(
        document["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "HandoverTest"
    );
    assert_eq!(
        document["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Service", "Function"]])
    );
    assert_eq!(document["Service"], "shop-prod");
    assert_eq!(document["Function"], "availability");
    assert_eq!(document["AgentsOnline"], 1);
    // a histogram: the values recorded in this invocation (here one call)
    let latencies = document["PresenceLatency"].as_array().expect("latencies");
    assert_eq!(latencies.len(), 1, "{document}");
    let latency = latencies[0].as_f64().expect("a latency in ms");
    assert!((0.0..3000.0).contains(&latency), "{latency}");
    let mut names = declared(document);
    names.sort();
    assert_eq!(
        names,
        vec![
            ("AgentsOnline".to_owned(), None),
            (
                "PresenceLatency".to_owned(),
                Some("Milliseconds".to_owned())
            )
        ]
    );

    // a refused request is counted too, in its own document: counters start again at each flush
    let refused = with_header(event("availability"), "x-callout-token", None);
    let response = handle(&app, request(&refused)).await.expect("infallible");
    assert_eq!(response.status(), 401);
    let written = documents();
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0]["RefusedUnauthorized"], 1);
    assert_eq!(written[0].get("AgentsOnline"), None);
    assert_eq!(
        declared(&written[0]),
        vec![("RefusedUnauthorized".to_owned(), None)]
    );

    // each refusal by its reason: a body that breaks a rule is a bad request, not a 401
    let bad = event_with_body("availability", serde_json::json!({"webstore": ".."}));
    let response = handle(&app, request(&bad)).await.expect("infallible");
    assert_eq!(response.status(), 400);
    let written = documents();
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0]["RefusedBadRequest"], 1);
    assert_eq!(written[0].get("RefusedUnauthorized"), None);

    // an unfilled placeholder is counted by its field, beside the answer: a document of its own
    // (its dimensions differ), and never with the value
    let unfilled = event_with_body(
        "availability",
        serde_json::json!({"webstore": "{{mscWebstore}}", "skill": "{{skill}}"}),
    );
    let response = handle(&app, request(&unfilled)).await.expect("infallible");
    assert_eq!(response.status(), 200);
    let mut written = documents();
    written.retain(|d| d.get("Channel").is_none());
    written.sort_by_key(|d| d.get("Field").map(Value::to_string));
    assert_eq!(written.len(), 3, "{written:?}");
    assert_eq!(written[0]["AgentsOnline"], 1);
    for (document, field) in written[1..].iter().zip(["skill", "webstore"]) {
        assert_eq!(
            document["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Service", "Function", "Field"]])
        );
        assert_eq!(
            (&document["Function"], &document["Field"]),
            (&json!("availability"), &json!(field))
        );
        assert_eq!(document[shared::setup::metrics::UNFILLED_PLACEHOLDER], 1);
        assert!(!document.to_string().contains("{{"), "{document}");
    }
}
