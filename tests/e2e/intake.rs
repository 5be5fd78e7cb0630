//! `intake` through its lambda_http entry point, with the events/ fixtures and DynamoDB Local.

use std::sync::Arc;

use aws_config::SdkConfig;
use e2e::{
    CHAT, conforming, env, event, event_with_body, event_with_raw_body, fresh_table, items,
    request, sdk, with_header, with_route,
};
use intake::{App, handle};
use serde_json::{Value, json};
use shared::rules::clock::FixedClock;

const NOW: u64 = 1_795_590_000;

async fn app(extra: &[(&str, &str)]) -> (App, SdkConfig, String) {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let mut pairs = vec![("TABLE_NAME", table.as_str())];
    pairs.extend_from_slice(extra);
    let app = App::from_env(&env(&pairs), &sdk)
        .await
        .expect("valid configuration");
    (app.with_clock(Arc::new(FixedClock(NOW))), sdk, table)
}

async fn call(app: &App, event: &Value) -> (u16, Value) {
    let response = handle(app, request(event)).await.expect("infallible");
    match event["requestContext"]["http"]["method"].as_str() {
        Some("DELETE") => conforming("delete", "/intake/{chatId}", &response),
        _ => conforming("post", "/intake", &response),
    }
}

#[tokio::test]
async fn the_dialog_stores_name_then_email_and_reports_completion() {
    let (app, sdk, table) = app(&[]).await;
    assert_eq!(
        call(&app, &event("intake-name")).await,
        (
            200,
            json!({"intakeStatus": "incomplete", "stored": true, "complete": false, "missing": ["email"], "invalid": []})
        )
    );
    assert_eq!(
        call(&app, &event("intake-email")).await,
        (
            200,
            json!({"intakeStatus": "complete", "stored": true, "complete": true, "missing": [], "invalid": []})
        )
    );
    let stored = items(&sdk, &table).await;
    assert_eq!(stored.len(), 1);
    let item = &stored[0];
    assert_eq!(
        item["pk"].as_s().ok().map(String::as_str),
        Some("intake#chat-4f2a9c1e-demo")
    );
    assert_eq!(
        item["name"].as_s().ok().map(String::as_str),
        Some("Jan de Vries")
    );
    assert_eq!(
        item["email"].as_s().ok().map(String::as_str),
        Some("jan.devries@example.nl")
    );
    // the default lifetime: one hour after the last write
    assert_eq!(
        item["expiresAt"].as_n().ok().map(String::as_str),
        Some((NOW + 3600).to_string().as_str())
    );
}

#[tokio::test]
async fn values_are_trimmed_and_normalised_before_they_are_stored() {
    let (app, sdk, table) = app(&[]).await;
    let body = json!({"chatId": CHAT, "name": "  Ame\u{301}lie  ", "language": "nl_BE", "phone": " +31 6 1234 5678 "});
    assert_eq!(
        call(&app, &event_with_body("intake-name", body)).await.1["stored"],
        true
    );
    let item = &items(&sdk, &table).await[0];
    assert_eq!(
        item["name"].as_s().ok().map(String::as_str),
        Some("Am\u{e9}lie")
    );
    assert_eq!(
        item["language"].as_s().ok().map(String::as_str),
        Some("nl-BE")
    );
    assert_eq!(
        item["phone"].as_s().ok().map(String::as_str),
        Some("+31 6 1234 5678")
    );
}

#[tokio::test]
async fn an_invalid_value_stores_nothing_of_the_request() {
    let (app, sdk, table) = app(&[]).await;
    assert_eq!(
        call(&app, &event("intake-invalid-email")).await,
        (
            200,
            json!({"intakeStatus": "invalid", "stored": false, "complete": false, "missing": ["name", "email"], "invalid": ["email"]})
        )
    );
    assert!(items(&sdk, &table).await.is_empty());
    // a valid name next to a bad e-mail is not stored either
    let mixed = json!({"chatId": CHAT, "name": "Jan", "email": "jan@", "question": "x\u{0}y"});
    assert_eq!(
        call(&app, &event_with_body("intake-name", mixed)).await,
        (
            200,
            json!({"intakeStatus": "invalid", "stored": false, "complete": false, "missing": ["name", "email"], "invalid": ["email", "question"]})
        )
    );
    assert!(items(&sdk, &table).await.is_empty());
    // with a stored name, an invalid e-mail leaves it as it was
    call(&app, &event("intake-name")).await;
    for bad in ["jan@example", "\u{202E}jan@example.nl"] {
        let body = json!({"chatId": CHAT, "email": bad});
        assert_eq!(
            call(&app, &event_with_body("intake-email", body)).await,
            (
                200,
                json!({"intakeStatus": "invalid", "stored": false, "complete": false, "missing": ["email"], "invalid": ["email"]})
            ),
            "{bad:?}"
        );
    }
    let stored = items(&sdk, &table).await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains_key("email"));
}

#[tokio::test]
async fn a_request_without_fields_writes_nothing_and_reports_the_record() {
    let (app, sdk, table) = app(&[]).await;
    let only_chat = event_with_body("intake-name", json!({"chatId": CHAT, "email": null}));
    assert_eq!(
        call(&app, &only_chat).await,
        (
            200,
            json!({"intakeStatus": "incomplete", "stored": false, "complete": false, "missing": ["name", "email"], "invalid": []})
        )
    );
    assert!(items(&sdk, &table).await.is_empty());
}

#[tokio::test]
async fn required_fields_are_configurable() {
    let (app, _, _) = app(&[("INTAKE_REQUIRED_FIELDS", "question")]).await;
    assert_eq!(
        call(&app, &event("intake-name")).await,
        (
            200,
            json!({"intakeStatus": "incomplete", "stored": true, "complete": false, "missing": ["question"], "invalid": []})
        )
    );
    let question = json!({"chatId": CHAT, "question": "Waar blijft mijn bestelling?"});
    assert_eq!(
        call(&app, &event_with_body("intake-name", question))
            .await
            .1["complete"],
        true
    );
}

#[tokio::test]
async fn an_expired_record_reads_as_absent() {
    let (app, sdk, table) = app(&[("INTAKE_TTL_SECONDS", "60")]).await;
    call(&app, &event("intake-name")).await;
    call(&app, &event("intake-email")).await;
    let later = app.with_clock(Arc::new(FixedClock(NOW + 60)));
    let only_chat = event_with_body("intake-name", json!({"chatId": CHAT}));
    assert_eq!(
        call(&later, &only_chat).await,
        (
            200,
            json!({"intakeStatus": "incomplete", "stored": false, "complete": false, "missing": ["name", "email"], "invalid": []})
        )
    );
    // a new name after expiry does not bring the old e-mail back
    assert_eq!(
        call(&later, &event("intake-name")).await,
        (
            200,
            json!({"intakeStatus": "incomplete", "stored": true, "complete": false, "missing": ["email"], "invalid": []})
        )
    );
    assert_eq!(items(&sdk, &table).await.len(), 1);
}

#[tokio::test]
async fn delete_erases_the_chats_personal_data_idempotently() {
    let (app, sdk, table) = app(&[]).await;
    call(&app, &event("intake-name")).await;
    call(&app, &event("intake-email")).await;
    let other = event_with_body(
        "intake-name",
        json!({"chatId": "other-chat", "name": "Piet"}),
    );
    call(&app, &other).await;
    assert_eq!(
        call(&app, &event("intake-delete")).await,
        (204, Value::Null)
    );
    let left = items(&sdk, &table).await;
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0]["pk"].as_s().ok().map(String::as_str),
        Some("intake#other-chat")
    );
    assert_eq!(
        call(&app, &event("intake-delete")).await,
        (204, Value::Null)
    );
    // under a stage prefix, and with a percent-encoded id, as a proxy might send it
    let staged = with_route(
        event("intake-delete"),
        "DELETE",
        "/prod/intake/other%2Dchat",
    );
    assert_eq!(call(&app, &staged).await, (204, Value::Null));
    assert!(items(&sdk, &table).await.is_empty());
}

#[tokio::test]
async fn delete_refuses_bad_chat_ids_and_other_methods() {
    let (app, _, _) = app(&[]).await;
    for raw_path in [
        "/intake/a%2Fb",
        "/intake/..",
        "/intake/%FF",
        "/intake/a%20b",
    ] {
        let (status, body) = call(
            &app,
            &with_route(event("intake-delete"), "DELETE", raw_path),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("bad_request")),
            "{raw_path}: {body}"
        );
    }
    let (status, body) = call(
        &app,
        &with_route(event("intake-delete"), "POST", "/intake/abc"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
    let (status, _) = call(
        &app,
        &with_route(event("intake-delete"), "DELETE", "/intake"),
    )
    .await;
    assert_eq!(status, 405);
    let deeper = with_route(event("intake-delete"), "DELETE", "/intake/a/b");
    assert_eq!(call(&app, &deeper).await.0, 404);
}

#[tokio::test]
async fn a_stage_named_intake_still_routes_post_to_the_merge() {
    let (app, sdk, table) = app(&[]).await;
    let staged = with_route(event("intake-name"), "POST", "/intake/intake");
    assert_eq!(call(&app, &staged).await.1["stored"], true);
    assert_eq!(items(&sdk, &table).await.len(), 1);
}

#[tokio::test]
async fn bad_requests_get_their_4xx_and_write_nothing() {
    let (app, sdk, table) = app(&[]).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            with_header(event("intake-name"), "x-callout-token", None),
            401,
            "unauthorized",
        ),
        (
            with_header(event("intake-name"), "x-callout-token", Some("nope")),
            401,
            "unauthorized",
        ),
        (event("intake-unknown-field"), 400, "bad_request"),
        (
            event("intake-wrong-content-type"),
            415,
            "unsupported_media_type",
        ),
        (event_with_raw_body("intake-name", ""), 400, "bad_request"),
        (
            event_with_body("intake-name", json!({"name": "Jan"})),
            400,
            "bad_request",
        ),
        (
            event_with_body("intake-name", json!({"chatId": "a b", "name": "Jan"})),
            400,
            "bad_request",
        ),
        (
            event_with_body("intake-name", json!({"chatId": CHAT, "name": 42})),
            400,
            "bad_request",
        ),
        (
            event_with_raw_body(
                "intake-name",
                &format!(
                    "{{\"chatId\":\"{CHAT}\",\"question\":\"{}\"}}",
                    "q".repeat(8200)
                ),
            ),
            413,
            "payload_too_large",
        ),
        (
            with_route(event("intake-name"), "GET", "/intake"),
            405,
            "method_not_allowed",
        ),
        (
            with_route(event("intake-name"), "POST", "/intakes"),
            404,
            "not_found",
        ),
    ];
    for (bad, status, code) in cases {
        let (got, body) = call(&app, &bad).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            items(&sdk, &table).await.is_empty(),
            "{code} wrote something"
        );
    }
    assert_eq!(call(&app, &event("intake-name")).await.1["stored"], true);
}

#[tokio::test]
async fn error_bodies_never_repeat_personal_data() {
    let (app, _, _) = app(&[]).await;
    let sentinel = "sentinel.person@example.nl";
    for body in [
        json!({"chatId": CHAT, "name": {"first": sentinel}}),
        json!({"chatId": CHAT, "email": [sentinel]}),
        json!({"chatId": sentinel}),
        json!({"chatId": CHAT, sentinel: "x"}),
    ] {
        let (status, answer) = call(&app, &event_with_body("intake-name", body.clone())).await;
        assert_eq!(status, 400, "{body}");
        assert!(!answer.to_string().contains("sentinel"), "{answer}");
    }
}

#[tokio::test]
async fn an_unreachable_store_is_a_status_not_a_5xx() {
    let sdk = sdk().await;
    let app = App::from_env(&env(&[("TABLE_NAME", "no-such-table")]), &sdk)
        .await
        .expect("config");
    assert_eq!(
        call(&app, &event("intake-name")).await,
        (
            200,
            json!({"intakeStatus": "store_unavailable", "stored": false, "complete": false, "missing": ["name", "email"], "invalid": [], "reason": "store_unavailable"})
        )
    );
    let (status, body) = call(&app, &event("intake-delete")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("store_unavailable"))
    );
}
