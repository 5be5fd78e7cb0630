//! Start-up configuration: secrets from SSM (against a local HTTP server speaking SSM's JSON
//! protocol), the plain variables winning, and errors that name the variable but no secret.

use e2e::{MUTATIONS, env, sdk_at};
use serde_json::json;
use shared::setup::config::{ConfigError, Env};
use wiremock::matchers::{body_partial_json, header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Answers SSM GetParameter for `name` (decrypted) with `value`, exactly `times` times.
async fn serve_parameter(ssm: &MockServer, name: &str, value: &str, times: u64) {
    Mock::given(method("POST"))
        .and(header("x-amz-target", "AmazonSSM.GetParameter"))
        .and(body_partial_json(json!({"Name": name, "WithDecryption": true})))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-amz-json-1.1")
                .set_body_json(json!({"Parameter": {"Name": name, "Type": "SecureString", "Value": value, "Version": 1}})),
        )
        .expect(times)
        .mount(ssm)
        .await;
}

/// SSM's answer to GetParameter for `/tokens`: the decrypted `value`.
fn tokens_parameter(value: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/x-amz-json-1.1")
        .set_body_json(
            json!({"Parameter": {"Name": "/tokens", "Type": "SecureString", "Value": value}}),
        )
}

/// Any SSM GetParameter request.
fn get_parameter() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(header("x-amz-target", "AmazonSSM.GetParameter"))
}

/// An availability app whose callout tokens come from SSM at `ssm` (`/tokens`), refreshed every
/// second.
async fn refreshing_app(ssm: &MockServer) -> availability::App {
    let environment = Env::from_pairs([
        ("CALLOUT_TOKEN_PARAM", "/tokens"),
        ("SECRETS_REFRESH_SECONDS", "1"),
    ]);
    availability::App::from_env(&environment, &sdk_at(&ssm.uri()).await)
        .await
        .expect("config")
}

/// The status availability answers a request carrying `token`.
async fn status(app: &availability::App, token: &str) -> u16 {
    let event = e2e::with_header(e2e::event("availability"), "x-callout-token", Some(token));
    availability::handle(app, e2e::request(&event))
        .await
        .expect("infallible")
        .status()
        .as_u16()
}

fn handover_env(extra: &[(&str, &str)]) -> Env {
    let mut pairs = vec![
        ("TABLE_NAME", "t"),
        ("CM_TECHNICAL_LINK_ID", "link"),
        ("CM_ROUTING_MUTATIONS", MUTATIONS),
    ];
    pairs.extend_from_slice(extra);
    env(&pairs)
}

#[tokio::test]
async fn callout_tokens_and_product_token_come_from_ssm_securestrings() {
    let ssm = MockServer::start().await;
    let tokens = "ssm-token-aaaaaaaaaaaa,ssm-token-bbbbbbbbbbbb";
    serve_parameter(&ssm, "/handover/callout-tokens", tokens, 2).await;
    serve_parameter(&ssm, "/handover/product-token", "pt-from-ssm", 2).await;
    let chat_log_key = "ssm-chat-log-key-0123456789abcdef01";
    serve_parameter(&ssm, "/handover/chat-log-key", chat_log_key, 2).await;
    let sdk = sdk_at(&ssm.uri()).await;
    let environment = Env::from_pairs([
        ("CALLOUT_TOKEN_PARAM", "/handover/callout-tokens"),
        ("TABLE_NAME", "t"),
        ("CM_TECHNICAL_LINK_ID", "link"),
        ("CM_ROUTING_MUTATIONS", MUTATIONS),
        ("CM_PRODUCT_TOKEN_PARAM", "/handover/product-token"),
        ("CHAT_LOG_KEY_PARAM", "/handover/chat-log-key"),
    ]);
    assert!(handover::App::from_env(&environment, &sdk).await.is_ok());
    // the product token read from SSM is the one CM.com receives in X-Cm-Producttoken
    let cm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-cm-producttoken", "pt-from-ssm"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&cm)
        .await;
    let routing = shared::adapters::cm::routing::RoutingControl::new(
        shared::setup::tls::http_client(std::time::Duration::from_secs(1)).expect("client"),
        shared::setup::config::outbound_url("test", &cm.uri()).expect("loopback url"),
        "link".into(),
        std::sync::Arc::new(
            shared::adapters::cm::product_token(&environment, &sdk)
                .await
                .expect("read from SSM"),
        ),
    );
    let chat = shared::contract::validate::ChatId::parse("chat-1").expect("a chat id");
    let body = shared::contract::RoutingMutationRequest {
        chat_id: chat.as_str().to_owned(),
        mutations: vec![],
        context: Default::default(),
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
    assert_eq!(
        routing.request_mutations(&chat, &body, deadline).await,
        Ok(())
    );
    cm.verify().await;
    // and the chat-log key read from SSM is the one the tags are made with
    let tagger = shared::setup::telemetry::chat_tagger(&environment, &sdk)
        .await
        .expect("read from SSM");
    let expected = shared::setup::telemetry::ChatTagger::with_key(
        &shared::rules::secret::Secret::new(chat_log_key.to_owned()),
    )
    .expect("a key");
    assert!(tagger.tag(&chat).is_some());
    assert_eq!(tagger.tag(&chat), expected.tag(&chat));
    // the tokens read from SSM are the ones accepted
    let availability_env = Env::from_pairs([("CALLOUT_TOKEN_PARAM", "/handover/callout-tokens")]);
    let app = availability::App::from_env(&availability_env, &sdk)
        .await
        .expect("config");
    for (token, status) in [
        ("ssm-token-bbbbbbbbbbbb", 200),
        ("local-dev-callout-token-change-me", 401),
    ] {
        let event = e2e::with_header(e2e::event("availability"), "x-callout-token", Some(token));
        let response = availability::handle(&app, e2e::request(&event))
            .await
            .expect("infallible");
        assert_eq!(response.status().as_u16(), status, "{token}");
    }
}

#[tokio::test]
async fn plain_variables_win_and_ssm_is_never_called() {
    let ssm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&ssm)
        .await;
    let environment = handover_env(&[
        ("CALLOUT_TOKEN_PARAM", "/unused"),
        ("CM_PRODUCT_TOKEN", "pt-plain"),
        ("CM_PRODUCT_TOKEN_PARAM", "/unused"),
    ]);
    assert!(
        handover::App::from_env(&environment, &sdk_at(&ssm.uri()).await)
            .await
            .is_ok()
    );
}

async fn handover_error(environment: &Env) -> String {
    let sdk = sdk_at("http://127.0.0.1:9").await;
    match handover::App::from_env(environment, &sdk).await {
        Ok(_) => panic!("configuration should have been refused"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn each_missing_or_invalid_variable_is_named_and_no_secret_is_printed() {
    let cases: Vec<(Env, &str)> = vec![
        (
            Env::from_pairs([("CM_PRODUCT_TOKEN", "pt-secret-value")]),
            "configuration: neither CALLOUT_TOKENS nor CALLOUT_TOKEN_PARAM is set",
        ),
        (
            Env::from_pairs([
                ("CALLOUT_TOKENS", "short-secret"),
                ("CM_PRODUCT_TOKEN", "pt-secret-value"),
            ]),
            "configuration: CALLOUT_TOKENS token 1 is shorter than 16 characters",
        ),
        (
            env(&[("CM_PRODUCT_TOKEN", "pt-secret-value")]),
            "configuration: TABLE_NAME is not set",
        ),
        (
            handover_env(&[]),
            "configuration: neither CM_PRODUCT_TOKEN nor CM_PRODUCT_TOKEN_PARAM is set",
        ),
        (
            handover_env(&[
                ("CM_PRODUCT_TOKEN", "pt-secret-value"),
                ("HANDOVER_DEDUP_SECONDS", "-5"),
            ]),
            "configuration: HANDOVER_DEDUP_SECONDS must be a whole number from 1 to 604800",
        ),
        (
            handover_env(&[
                ("CM_PRODUCT_TOKEN", "pt-secret-value"),
                ("CM_API_BASE_URL", "http://api.cm.com"),
            ]),
            "configuration: CM_API_BASE_URL must use https (http is accepted only for loopback hosts and host.docker.internal)",
        ),
        (
            handover_env(&[
                ("CM_PRODUCT_TOKEN", "pt-secret-value"),
                ("HANDOVER_TIME_ZONE", "CET+1"),
            ]),
            "configuration: HANDOVER_TIME_ZONE `CET+1` is not an IANA time zone name (like Europe/Amsterdam)",
        ),
        (
            handover_env(&[
                ("CM_PRODUCT_TOKEN", "pt-secret-value"),
                ("CHAT_LOG_KEY", "a-secret-but-short-key"),
            ]),
            "configuration: CHAT_LOG_KEY is shorter than 32 characters",
        ),
    ];
    for (environment, expected) in cases {
        let message = handover_error(&environment).await;
        assert_eq!(message, expected);
        assert!(!message.contains("secret"), "{message}");
    }
}

#[tokio::test]
async fn an_unreadable_ssm_parameter_fails_start_up_naming_the_variable() {
    let ssm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", "application/x-amz-json-1.1")
                .set_body_json(json!({"__type": "ParameterNotFound", "message": "not found"})),
        )
        .mount(&ssm)
        .await;
    let environment = handover_env(&[("CM_PRODUCT_TOKEN_PARAM", "/missing")]);
    let result = handover::App::from_env(&environment, &sdk_at(&ssm.uri()).await).await;
    match result {
        Err(ConfigError::Ssm { var, problem }) => {
            assert_eq!(var, "CM_PRODUCT_TOKEN_PARAM");
            assert!(problem.contains("ParameterNotFound"), "{problem}");
        }
        other => panic!("expected an SSM error, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_rotated_token_reaches_running_functions_and_a_failed_refresh_keeps_the_last_good_list() {
    let old = "old-callout-token-aaaaaaaa";
    let new = "new-callout-token-bbbbbbbb";
    let ssm = MockServer::start().await;
    // first the old list; then one failed read; then the new list (priorities make the order)
    get_parameter()
        .respond_with(tokens_parameter(old))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&ssm)
        .await;
    get_parameter()
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", "application/x-amz-json-1.1")
                .set_body_json(
                    json!({"__type": "ParameterNotFound", "message": "gone for a moment"}),
                ),
        )
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&ssm)
        .await;
    get_parameter()
        .respond_with(tokens_parameter(new))
        .with_priority(3)
        .mount(&ssm)
        .await;
    let app = refreshing_app(&ssm).await;
    assert_eq!(
        (status(&app, old).await, status(&app, new).await),
        (200, 401)
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // the refresh fails: the old list stays in use
    assert_eq!(
        (status(&app, old).await, status(&app, new).await),
        (200, 401)
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // the next refresh reads the new list
    assert_eq!(
        (status(&app, new).await, status(&app, old).await),
        (200, 401)
    );
    assert_eq!(ssm.received_requests().await.map_or(0, |r| r.len()), 3);
}

#[tokio::test]
async fn opening_hours_come_from_an_ssm_parameter_and_a_bad_one_is_named() {
    let ssm = MockServer::start().await;
    let hours = r#"{"timezone": "UTC", "weekly": {"mon": [["09:00","17:00"]]}}"#;
    serve_parameter(&ssm, "/handover/business-hours", hours, 1).await;
    serve_parameter(
        &ssm,
        "/handover/bad-hours",
        r#"{"timezone": "UTC", "weekly": {"mon": [["9","17"]]}}"#,
        1,
    )
    .await;
    let sdk = sdk_at(&ssm.uri()).await;
    let sunday_noon = 1_798_372_800; // 2026-12-27T12:00:00Z
    let app = availability::App::from_env(
        &env(&[("BUSINESS_HOURS_PARAM", "/handover/business-hours")]),
        &sdk,
    )
    .await
    .expect("config")
    .with_clock(std::sync::Arc::new(shared::rules::clock::FixedClock(
        sunday_noon,
    )));
    let response = availability::handle(&app, e2e::request(&e2e::event("availability")))
        .await
        .expect("infallible");
    let (status, body) = e2e::conforming("post", "/availability", &response);
    assert_eq!(status, 200);
    assert_eq!(body["reason"], "outside_business_hours");
    assert_eq!(body["nextOpening"], "2026-12-28T09:00:00+00:00");

    let error = availability::App::from_env(
        &env(&[("BUSINESS_HOURS_PARAM", "/handover/bad-hours")]),
        &sdk,
    )
    .await
    .err()
    .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            "configuration: BUSINESS_HOURS_PARAM weekly.mon[0]: opening time `9` is not a time from 00:00 to 23:59 (HH:MM)"
        )
    );
}

/// SSM answering slowly during a refresh: the request that found the refresh due waits at most
/// 500 ms and is answered with the last good tokens, and the requests after it do not ask SSM
/// again (the next try comes after the back-off, not on every request).
#[tokio::test]
async fn a_slow_ssm_holds_one_request_briefly_and_is_not_asked_on_every_request() {
    let old = "old-callout-token-cccccccc";
    let ssm = MockServer::start().await;
    get_parameter()
        .respond_with(tokens_parameter(old))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&ssm)
        .await;
    get_parameter()
        .respond_with(
            tokens_parameter("new-callout-token-dddddddd")
                .set_delay(std::time::Duration::from_secs(10)),
        )
        .with_priority(2)
        .mount(&ssm)
        .await;
    let app = refreshing_app(&ssm).await;
    assert_eq!(status(&app, old).await, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let started = std::time::Instant::now();
    assert_eq!(
        status(&app, old).await,
        200,
        "the last good list stays in use"
    );
    let took = started.elapsed();
    // held by the 500 ms refresh limit, not by SSM's 10 s
    assert!(
        took < std::time::Duration::from_millis(500) + e2e::SCHEDULING_MARGIN,
        "{took:?}"
    );
    assert!(took >= std::time::Duration::from_millis(500), "{took:?}");
    for _ in 0..5 {
        assert_eq!(status(&app, old).await, 200);
    }
    assert_eq!(ssm.received_requests().await.map_or(0, |r| r.len()), 2);
}
