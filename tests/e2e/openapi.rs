//! openapi.yaml against reality: the checker the handler tests use rejects drift, and the valid
//! fixtures are requests the document accepts.

use e2e::{conforming, event, request, request_problems};
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use shared::http::json_response;

#[test]
#[should_panic(expected = "does not match openapi.yaml")]
fn a_response_body_that_drifted_is_caught() {
    let drifted = json_response(
        StatusCode::OK,
        &json!({"agentStatus": "maybe", "agentAvailable": true, "reason": "x"}),
    );
    conforming("post", "/availability", &drifted);
}

#[test]
#[should_panic(expected = "which openapi.yaml does not list")]
fn an_undocumented_status_is_caught() {
    let teapot = json_response(
        StatusCode::IM_A_TEAPOT,
        &json!({"error": "bad_request", "message": "m"}),
    );
    conforming("post", "/handover", &teapot);
}

#[test]
#[should_panic(expected = "does not match openapi.yaml")]
fn a_pending_handover_without_its_reason_is_caught() {
    let pending = json_response(StatusCode::OK, &json!({"handoverStatus": "pending"}));
    conforming("post", "/handover", &pending);
}

#[test]
fn the_valid_fixtures_are_documented_requests() {
    for (fixture, path) in [
        ("availability", "/availability"),
        ("availability-presence-check", "/availability"),
        ("availability-presence-check-token-in-url", "/availability"),
        ("availability-function-url", "/availability"),
        ("intake-name", "/intake"),
        ("intake-email", "/intake"),
        ("intake-question", "/intake"),
        ("handover", "/handover"),
        ("handover-staged", "/handover"),
        ("message", "/message"),
    ] {
        let raw = event(fixture)["body"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_default();
        let body: Value = serde_json::from_str(&raw).expect("fixture body is JSON");
        assert_eq!(
            request_problems("post", path, &body),
            Vec::<String>::new(),
            "{fixture}"
        );
        // and the fixture is an event lambda_http understands
        let req = request(&event(fixture));
        assert_eq!(req.method().as_str(), "POST", "{fixture}");
    }
}

#[test]
fn the_documented_request_rules_refuse_what_the_functions_refuse() {
    for (path, body) in [
        ("/intake", json!({"chatId": "c", "nickname": "x"})),
        ("/intake", json!({"name": "Jan"})),
        ("/handover", json!({"chatId": "../x"})),
        (
            "/handover",
            json!({"chatId": "c", "context": {"email": "x"}}),
        ),
        ("/availability", json!({"agentStatus": "online"})),
        ("/availability", json!({"chatId": "c", "sessionId": "s"})),
    ] {
        assert!(
            !request_problems("post", path, &body).is_empty(),
            "{path} {body}"
        );
    }
    // and accept what the functions accept: CAIC's presence-check body with fields CM.com adds
    let caic = json!({"url": "https://shop.example/p", "channel": "WebChat",
        "data": {"context": "shop-nl", "botId": "b"}, "sessionId": "s-1"});
    assert_eq!(
        request_problems("post", "/availability", &caic),
        Vec::<String>::new()
    );
}
