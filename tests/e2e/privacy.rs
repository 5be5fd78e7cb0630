//! No personal data and no secret in any log line, on success and failure paths: every line the
//! functions and the libraries under them log, through the functions' own filter set to TRACE,
//! is captured while they handle sentinel values.

use std::time::Duration;

use e2e::{TECHNICAL_LINK_ID, env, event, fresh_table, request, sdk, with_header};
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const NAME: &str = "Sentinelname Zyxwvut";
const EMAIL: &str = "sentinel.mailbox@example.org";
const PHONE: &str = "+31 6 8642 0975";
const QUESTION: &str = "Sentinelquestion about parcel";
const CHAT: &str = "sentinel-chat-id-q9w8e7";
const PRODUCT_TOKEN: &str = "sentinel-product-token-k2j3h4";
const WRONG_TOKEN: &str = "sentinel-wrong-callout-token-z1";
const CHAT_LOG_KEY: &str = "sentinel-chat-log-key-0123456789abcdef";
/// CHAT's tag under CHAT_LOG_KEY, computed apart from our code:
/// `printf %s "$CHAT" | openssl dgst -sha256 -hmac "$CHAT_LOG_KEY" | cut -c1-16` (the digest part)
const CHAT_TAG: &str = "c41a47212a7427d5";

fn with_body(fixture: &str, body: Value) -> Value {
    let mut event = event(fixture);
    event["body"] = Value::String(body.to_string());
    event
}

#[tokio::test]
async fn no_personal_data_or_secret_reaches_the_logs() {
    let (captured, _guard) = e2e::CapturedLogs::at_trace();
    tracing::info!("capture works");

    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let cm = MockServer::start().await;
    for (chat, response) in [
        (CHAT.to_owned(), ResponseTemplate::new(200)),
        (
            format!("{CHAT}-500"),
            ResponseTemplate::new(500).set_body_string(EMAIL),
        ),
        (
            format!("{CHAT}-hang"),
            ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
        ),
    ] {
        Mock::given(path(format!(
            "/conversational/control/v1/accounts/{TECHNICAL_LINK_ID}/chats/{chat}/routing/mutationrequests"
        )))
        .respond_with(response)
        .mount(&cm)
        .await;
    }
    Mock::given(path("/presence/shop"))
        .respond_with(ResponseTemplate::new(500).set_body_string(NAME))
        .mount(&cm)
        .await;
    let base = cm.uri();
    let presence = format!("{base}/presence/{{webstore}}");

    let intake = intake::App::from_env(
        &env(&[
            ("TABLE_NAME", table.as_str()),
            ("CHAT_LOG_KEY", CHAT_LOG_KEY),
        ]),
        &sdk,
    )
    .await
    .expect("config");
    let handover = handover::App::from_env(
        // the sentinel product token overrides the helper's
        &e2e::handover_env(
            table.as_str(),
            base.as_str(),
            &[
                ("HANDOVER_BUDGET_MS", "700"),
                ("CM_PRODUCT_TOKEN", PRODUCT_TOKEN),
                ("CHAT_LOG_KEY", CHAT_LOG_KEY),
            ],
        ),
        &sdk,
    )
    .await
    .expect("config");
    let availability = availability::App::from_env(
        &env(&[
            ("AVAILABILITY_URL", presence.as_str()),
            ("CM_PRODUCT_TOKEN", PRODUCT_TOKEN),
            ("CHAT_LOG_KEY", CHAT_LOG_KEY),
        ]),
        &sdk,
    )
    .await
    .expect("config");

    let intake_events = [
        with_body(
            "intake-name",
            json!({"chatId": CHAT, "name": NAME, "question": QUESTION}),
        ),
        with_body(
            "intake-email",
            json!({"chatId": CHAT, "email": EMAIL, "phone": PHONE}),
        ),
        with_body(
            "intake-email",
            json!({"chatId": CHAT, "email": format!("{NAME} at nowhere")}),
        ),
        with_body(
            "intake-email",
            json!({"chatId": CHAT, "name": {"first": NAME}}),
        ),
        with_body("intake-email", json!({"chatId": CHAT, EMAIL: NAME})),
        with_header(
            with_body("intake-name", json!({"chatId": CHAT, "name": NAME})),
            "x-callout-token",
            Some(WRONG_TOKEN),
        ),
        event("intake-delete"),
    ];
    for e in &intake_events {
        intake::handle(&intake, request(e))
            .await
            .expect("infallible");
    }
    for chat in [
        CHAT.to_owned(),
        CHAT.to_owned(),
        format!("{CHAT}-500"),
        format!("{CHAT}-hang"),
        format!("{CHAT}/.."),
    ] {
        let e = with_body(
            "handover",
            json!({"chatId": chat, "context": {"note": QUESTION}}),
        );
        handover::handle(&handover, request(&e))
            .await
            .expect("infallible");
    }
    let e = with_body("availability", json!({"chatId": CHAT, "webstore": "shop"}));
    availability::handle(&availability, request(&e))
        .await
        .expect("infallible");
    // a configuration error names the variable, not the value
    let refused = handover::App::from_env(
        &env(&[("TABLE_NAME", "t"), ("CM_PRODUCT_TOKEN", PRODUCT_TOKEN)]),
        &sdk,
    )
    .await;
    if let Err(error) = refused {
        tracing::error!("{error}");
    }

    let logs = captured.text();
    assert!(logs.contains("capture works"), "the capture itself works");
    assert!(
        logs.contains("handover answered"),
        "the functions' own lines were captured: {logs}"
    );
    assert!(
        logs.contains("configuration: CM_TECHNICAL_LINK_ID is not set"),
        "{logs}"
    );
    // the answer lines read as the dialog reads the answers: wire names, no Rust debug formatting
    let answered: Vec<&str> = logs.lines().filter(|l| l.contains("answered")).collect();
    for wanted in [
        r#"status="success""#,
        r#"reason="already_handed_over""#,
        r#"invalid="email""#,
    ] {
        assert!(
            answered.iter().any(|l| l.contains(wanted)),
            "{wanted}: {answered:#?}"
        );
    }
    for line in &answered {
        for debug in ["None", "Some(", "[Email", "Email]"] {
            assert!(!line.contains(debug), "{debug} in {line}");
        }
    }
    for sentinel in [
        NAME,
        "Sentinelname",
        EMAIL,
        "sentinel.mailbox",
        PHONE,
        "8642 0975",
        QUESTION,
        "Sentinelquestion",
        CHAT,
        PRODUCT_TOKEN,
        WRONG_TOKEN,
        CHAT_LOG_KEY,
        e2e::TOKEN,
    ] {
        let leaks: Vec<&str> = logs
            .lines()
            .filter(|line| line.contains(sentinel))
            .collect();
        assert!(
            leaks.is_empty(),
            "{sentinel:?} is in the logs:\n{}",
            leaks.join("\n")
        );
    }
    // the chat's lines carry its keyed tag instead, in every function that saw the chat id
    for route in ["intake", "handover", "availability"] {
        let tagged = logs.lines().any(|line| {
            line.contains(&format!("route=\"{route}\""))
                && line.contains(&format!("chat=\"{CHAT_TAG}\""))
        });
        assert!(tagged, "no {route} answer tagged with {CHAT_TAG}: {logs}");
    }
    // and a request refused before its chat id was read carries no tag
    let refused = logs
        .lines()
        .find(|line| line.contains("status=401"))
        .unwrap_or_default();
    assert!(
        refused.contains("route=\"intake\"") && !refused.contains("chat="),
        "{refused}"
    );
}
