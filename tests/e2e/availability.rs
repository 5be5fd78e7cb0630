//! `availability` through its lambda_http entry point, with the events/ fixtures and a local
//! presence source (wiremock).

use std::time::{Duration, Instant};

use availability::{App, handle};
use e2e::{
    conforming, env, event, event_with_body, event_with_raw_body, request, with_header, with_route,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn app(extra: &[(&str, &str)]) -> App {
    e2e::availability_app(extra).await
}

async fn call(app: &App, event: &Value) -> (u16, Value) {
    let response = handle(app, request(event)).await.expect("infallible");
    conforming("post", "/availability", &response)
}

async fn presence_server(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/presence/shop-nl"))
        .and(header("authorization", "Bearer pt-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn presence_env(server: &MockServer) -> Vec<(&'static str, String)> {
    vec![
        (
            "AVAILABILITY_URL",
            format!("{}/presence/{{webstore}}", server.uri()),
        ),
        ("AVAILABILITY_TOKEN", "pt-1".to_owned()),
        // CM.com's product token, set as it is for handover: never sent to this source
        ("CM_PRODUCT_TOKEN", "cm-product-token-1".to_owned()),
    ]
}

async fn app_for(server: &MockServer, more: &[(&str, &str)]) -> App {
    let pairs = presence_env(server);
    let mut extra: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    extra.extend_from_slice(more);
    app(&extra).await
}

#[tokio::test]
async fn without_a_presence_source_agents_count_as_online() {
    let app = app(&[]).await;
    assert_eq!(
        call(&app, &event("availability")).await,
        (
            200,
            json!({"agentStatus": "online", "agentAvailable": true, "reason": "presence_check_disabled"})
        )
    );
}

#[tokio::test]
async fn online_and_offline_follow_the_presence_source() {
    let online = presence_server(json!({"available": true})).await;
    assert_eq!(
        call(&app_for(&online, &[]).await, &event("availability")).await,
        (
            200,
            json!({"agentStatus": "online", "agentAvailable": true, "reason": "agents_available"})
        )
    );
    let offline = presence_server(json!({"available": false})).await;
    assert_eq!(
        call(&app_for(&offline, &[]).await, &event("availability")).await,
        (
            200,
            json!({"agentStatus": "offline", "agentAvailable": false, "reason": "no_agents_available"})
        )
    );
}

#[tokio::test]
async fn a_configured_pointer_reads_another_value() {
    let server = presence_server(json!({"queue": {"agentsOnline": 3}, "available": false})).await;
    let app = app_for(
        &server,
        &[("AVAILABILITY_ONLINE_POINTER", "/queue/agentsOnline")],
    )
    .await;
    assert_eq!(
        call(&app, &event("availability")).await.1["reason"],
        "agents_available"
    );
}

#[tokio::test]
async fn caics_presence_check_shape_is_served_with_data_context_as_webstore() {
    let server = presence_server(json!({"available": "Online"})).await;
    let app = app_for(&server, &[]).await;
    assert_eq!(
        call(&app, &event("availability-presence-check")).await,
        (
            200,
            json!({"agentStatus": "online", "agentAvailable": true, "reason": "agents_available"})
        )
    );
}

#[tokio::test]
async fn a_function_url_call_at_the_root_with_an_empty_body_works() {
    let server = MockServer::start().await;
    Mock::given(path("/presence/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": 1})))
        // the second answer comes from memory (AVAILABILITY_CACHE_SECONDS, 10 s by default)
        .expect(1)
        .mount(&server)
        .await;
    let app = app_for(&server, &[]).await;
    assert_eq!(
        call(&app, &event("availability-function-url")).await.1["agentStatus"],
        "online"
    );
    let no_body = event_with_raw_body("availability-function-url", "");
    assert_eq!(
        call(&app, &with_header(no_body, "content-type", None))
            .await
            .1["agentStatus"],
        "online"
    );
}

#[tokio::test]
async fn upstream_trouble_is_offline_within_the_budget() {
    let server = MockServer::start().await;
    Mock::given(path("/presence/500"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/presence/hang"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let app = app_for(&server, &[("AVAILABILITY_BUDGET_MS", "600")]).await;
    let expected = (
        200,
        json!({"agentStatus": "offline", "agentAvailable": false, "reason": "upstream_unavailable"}),
    );
    for webstore in ["500", "hang"] {
        let started = Instant::now();
        let event = event_with_body("availability", json!({"webstore": webstore}));
        assert_eq!(call(&app, &event).await, expected, "{webstore}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{webstore} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn no_or_wrong_token_is_401_before_any_io() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": true})))
        .expect(0)
        .mount(&server)
        .await;
    let app = app_for(&server, &[]).await;
    let unauthorized =
        json!({"error": "unauthorized", "message": "missing or invalid X-Callout-Token header"});
    assert_eq!(
        call(&app, &event("availability-no-token")).await,
        (401, unauthorized.clone())
    );
    let wrong = with_header(
        event("availability"),
        "x-callout-token",
        Some("local-dev-callout-token-change-mE"),
    );
    assert_eq!(call(&app, &wrong).await, (401, unauthorized.clone()));
    // the token is checked before the route, the method and the body
    let bad_everything = with_route(
        event_with_raw_body("availability-no-token", "{"),
        "GET",
        "/nowhere",
    );
    assert_eq!(call(&app, &bad_everything).await, (401, unauthorized));
}

#[tokio::test]
async fn each_kind_of_bad_request_gets_its_4xx_and_valid_requests_still_work() {
    let app = app(&[]).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            with_route(event("availability"), "GET", "/availability"),
            405,
            "method_not_allowed",
        ),
        (
            with_route(event("availability"), "POST", "/availability/extra"),
            404,
            "not_found",
        ),
        (
            with_route(event("availability"), "POST", "/handover"),
            404,
            "not_found",
        ),
        (
            with_header(event("availability"), "content-type", Some("text/plain")),
            415,
            "unsupported_media_type",
        ),
        (
            event_with_raw_body(
                "availability",
                &format!("{{\"skill\":\"{}\"}}", "s".repeat(9000)),
            ),
            413,
            "payload_too_large",
        ),
        (
            event_with_body("availability", json!({"agentStatus": "online"})),
            400,
            "bad_request",
        ),
        (
            event_with_body("availability", json!({"chatId": "../x"})),
            400,
            "bad_request",
        ),
        (
            event_with_body("availability", json!({"chatId": "", "sessionId": "s"})),
            400,
            "bad_request",
        ),
        (
            event_with_body("availability", json!({"webstore": "a\u{202E}b"})),
            400,
            "bad_request",
        ),
        (
            event_with_body("availability", json!({"data": {"context": 7}})),
            400,
            "bad_request",
        ),
        (
            event_with_raw_body("availability", "[1,2"),
            400,
            "bad_request",
        ),
    ];
    for (bad, status, code) in cases {
        let (got_status, body) = call(&app, &bad).await;
        assert_eq!(
            (got_status, body["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        // and the next valid request is answered normally
        assert_eq!(call(&app, &event("availability")).await.0, 200);
    }
    let response = handle(
        &app,
        request(&with_route(event("availability"), "PUT", "/availability")),
    )
    .await
    .expect("infallible");
    assert_eq!(
        response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
}

#[tokio::test]
async fn a_failing_source_is_answered_from_memory_and_then_not_asked_at_all() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": true})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let app = app_for(&server, &[("AVAILABILITY_CACHE_SECONDS", "0")]).await;
    let online =
        json!({"agentStatus": "online", "agentAvailable": true, "reason": "agents_available"});
    let requests = || async { server.received_requests().await.map_or(0, |r| r.len()) };
    // asked: online, remembered
    assert_eq!(
        call(&app, &event("availability")).await,
        (200, online.clone())
    );
    // three failures in a row: each answered with the last answer, the third opens the circuit
    for asked in 2..=4 {
        assert_eq!(
            call(&app, &event("availability")).await,
            (200, online.clone())
        );
        assert_eq!(requests().await, asked);
    }
    // open: not asked (the count proves it; no clock needed); the stale answer for this webstore
    assert_eq!(
        call(&app, &event("availability")).await,
        (200, online.clone())
    );
    assert_eq!(requests().await, 4);
    // the circuit is this key's: a web store never seen is still asked (and fails here)
    let unknown = event_with_body("availability", json!({"webstore": "never-seen"}));
    assert_eq!(
        call(&app, &unknown).await,
        (
            200,
            json!({"agentStatus": "offline", "agentAvailable": false, "reason": "upstream_unavailable"})
        )
    );
    assert_eq!(requests().await, 5);
}

#[tokio::test]
async fn no_caller_can_open_the_circuit_for_everyone() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/presence/shop-nl"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": true})))
        .mount(&server)
        .await;
    // what a server answers a request built from a caller's input: unknown, refused, too long
    for (store, status) in [("unknown", 404), ("refused", 400), ("long", 414)] {
        Mock::given(method("GET"))
            .and(path(format!("/presence/{store}")))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
    }
    let app = app_for(&server, &[("AVAILABILITY_CACHE_SECONDS", "0")]).await;
    let ask = |webstore: &str| event_with_body("availability", json!({"webstore": webstore}));
    let unavailable = json!({"agentStatus": "offline", "agentAvailable": false, "reason": "upstream_unavailable"});
    for round in 0..4 {
        for store in ["unknown", "refused", "long"] {
            assert_eq!(
                call(&app, &ask(store)).await,
                (200, unavailable.clone()),
                "{store}, round {round}"
            );
        }
    }
    // twelve failures the callers caused, each asked: the circuit is still closed for the others
    let asked = || async { server.received_requests().await.map_or(0, |r| r.len()) };
    assert_eq!(asked().await, 12);
    let online =
        json!({"agentStatus": "online", "agentAvailable": true, "reason": "agents_available"});
    assert_eq!(call(&app, &ask("shop-nl")).await, (200, online.clone()));
    assert_eq!(asked().await, 13);
    // web stores a caller makes up whose presence answer is the source's own trouble (503,
    // as a timeout or a throttle would be): each opens its own circuit, never shop-nl's
    Mock::given(method("GET"))
        .and(path_regex("^/presence/busy-[0-9]+$"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    for n in 0..4 {
        for _ in 0..3 {
            assert_eq!(
                call(&app, &ask(&format!("busy-{n}"))).await,
                (200, unavailable.clone()),
                "busy-{n}"
            );
        }
    }
    let after_busy = asked().await;
    assert!(after_busy >= 13 + 4 * 3, "{after_busy}");
    // their circuits are open: not asked again
    assert_eq!(call(&app, &ask("busy-0")).await, (200, unavailable.clone()));
    assert_eq!(asked().await, after_busy);
    // and the known web store is still asked and answered
    assert_eq!(call(&app, &ask("shop-nl")).await, (200, online));
    assert_eq!(asked().await, after_busy + 1);
    // and the source's request carried its own token, never CM.com's
    let sent = server.received_requests().await.unwrap_or_default();
    assert!(
        sent.iter()
            .all(|r| !r.headers.contains_key("x-cm-producttoken"))
    );
}

#[tokio::test]
async fn caller_input_is_bounded_before_anything_is_asked() {
    let server = presence_server(json!({"available": true})).await;
    let app = app_for(&server, &[]).await;
    let bad_request = |message: &str| (400, json!({"error": "bad_request", "message": message}));
    let long_url = format!("https://shop.example/{}", "€".repeat(700));
    let cases = [
        (
            json!({"url": long_url, "channel": "WebChat", "data": {"context": ""}}),
            bad_request("url must be at most 2048 bytes"),
        ),
        (
            json!({"webstore": "s".repeat(129)}),
            bad_request("webstore must be at most 128 characters"),
        ),
        (
            json!({"webstore": ".."}),
            bad_request("webstore must not be . or .."),
        ),
        (
            json!({"webstore": "."}),
            bad_request("webstore must not be . or .."),
        ),
        (
            json!({"url": "https://shop.example/", "channel": "WebChat", "data": {"context": ".."}}),
            bad_request("data.context must not be . or .."),
        ),
        (
            json!({"webstore": "shop\u{200B}nl"}),
            bad_request(
                "webstore must not contain control, invisible formatting or bidirectional characters",
            ),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(
            call(&app, &event_with_body("availability", body.clone())).await,
            want,
            "{body}"
        );
    }
    assert_eq!(server.received_requests().await.map_or(0, |r| r.len()), 0);
    // 2,048 bytes is still a page URL
    let longest = format!("https://shop.example/{}", "a".repeat(2048 - 21));
    assert_eq!(longest.len(), 2048);
    let body = json!({"url": longest, "channel": "WebChat", "data": {"context": "shop-nl"}});
    assert_eq!(
        call(&app, &event_with_body("availability", body)).await.0,
        200
    );
}

#[tokio::test]
async fn a_body_that_is_not_utf8_is_a_400() {
    // API Gateway and function URLs deliver such a body base64-encoded
    let mut raw = event("availability");
    raw["isBase64Encoded"] = json!(true);
    raw["body"] = json!("W3JN//4TRsMoYw=="); // bytes 5b 72 4d ff fe 13 46 c3 28 63
    let app = app(&[]).await;
    assert_eq!(
        call(&app, &raw).await,
        (
            400,
            json!({"error": "bad_request", "message": "request body is not valid JSON"})
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Opening hours (BUSINESS_HOURS)

/// The documented worked example (the first JSON block of the "Opening hours" section of
/// docs/configuration.md): split shifts, a late Thursday, a Saturday, closed at Christmas and New
/// Year, and a Belgian webstore with its own hours. Read from the docs so that the documented
/// example is the tested one.
fn shop_hours() -> String {
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/configuration.md"
    ))
    .expect("docs/configuration.md");
    let section = readme
        .split_once("\n## Opening hours\n")
        .map(|(_, rest)| rest)
        .expect("an Opening hours section");
    section
        .split_once("```json\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(json, _)| json.to_owned())
        .expect("a JSON block in it")
}

/// Epoch seconds of an RFC 3339 instant.
fn at(instant: &str) -> u64 {
    let ts: jiff::Timestamp = instant.parse().expect("RFC 3339");
    u64::try_from(ts.as_second()).expect("after 1970")
}

async fn app_at(server: &MockServer, instant: &str) -> App {
    app_for(server, &[("BUSINESS_HOURS", &shop_hours())])
        .await
        .with_clock(std::sync::Arc::new(shared::rules::clock::FixedClock(at(
            instant,
        ))))
}

/// A presence source that must not be asked.
async fn untouchable_presence() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": true})))
        .expect(0)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn outside_opening_hours_the_answer_is_offline_with_the_next_opening_and_presence_is_not_asked()
 {
    let server = untouchable_presence().await;
    // the rows of the table in docs/configuration.md
    let cases = [
        // Wednesday lunch break, in winter (+01:00)
        (
            "2026-12-02T12:00:00Z",
            "outside_business_hours",
            "2026-12-02T13:30:00+01:00",
            "today at 13:30",
        ),
        // Saturday evening in summer (+02:00): Sunday has no hours
        (
            "2026-07-04T18:00:00Z",
            "outside_business_hours",
            "2026-07-06T09:00:00+02:00",
            "Monday 6 July at 09:00",
        ),
        // Christmas Day: closed, and so is Boxing Day, then Sunday
        (
            "2026-12-25T10:00:00Z",
            "closed",
            "2026-12-28T09:00:00+01:00",
            "Monday 28 December at 09:00",
        ),
        // New Year's Eve to New Year's Day: the next opening is Saturday 2 January
        (
            "2026-12-31T23:30:00Z",
            "closed",
            "2027-01-02T10:00:00+01:00",
            "tomorrow at 10:00",
        ),
    ];
    for (now, reason, next, text) in cases {
        let app = app_at(&server, now).await;
        assert_eq!(
            call(&app, &event("availability")).await,
            (
                200,
                json!({"agentStatus": "offline", "agentAvailable": false, "reason": reason, "nextOpening": next, "nextOpeningText": text})
            ),
            "at {now}"
        );
    }
}

/// Hours that never open again (no weekly hours; a web store without hours of its own asked
/// without `chatId`, so without its overflow) name no next opening: the reason says so, the
/// dialog's branch for it shows no time, and nothing reads "We're back .".
#[tokio::test]
async fn a_closed_shop_with_no_next_opening_says_so_in_its_reason() {
    let server = untouchable_presence().await;
    let hours = r#"{"timezone": "Europe/Amsterdam", "weekly": {},
      "webstores": {"shop-gone": {"weekly": {}, "overflow": ["shop-nl"]},
                    "shop-nl": {"weekly": {"mon": [["09:00","17:00"]]}}}}"#;
    // overflow needs a table; without `chatId` nothing overflows and the table is never asked
    let app = app_for(
        &server,
        &[("BUSINESS_HOURS", hours), ("TABLE_NAME", "never-asked")],
    )
    .await
    .with_clock(std::sync::Arc::new(shared::rules::clock::FixedClock(at(
        "2026-12-02T12:00:00Z",
    ))));
    let closed = json!({"agentStatus": "offline", "agentAvailable": false, "reason": "closed_until_further_notice"});
    let top_level = event_with_body("availability", json!({"language": "nl"}));
    assert_eq!(call(&app, &top_level).await, (200, closed.clone()));
    let gone = event_with_body("availability", json!({"webstore": "shop-gone"}));
    assert_eq!(call(&app, &gone).await, (200, closed));
    // a web store that does reopen keeps its time
    let nl = event_with_body("availability", json!({"webstore": "shop-nl"}));
    assert_eq!(
        call(&app, &nl).await.1["nextOpeningText"],
        "Monday 7 December at 09:00"
    );
}

#[tokio::test]
async fn within_opening_hours_the_presence_source_decides() {
    let server = presence_server(json!({"available": false})).await;
    // Wednesday 2 December 14:00 (the documented table), Monday 28 December 10:00, and Thursday
    // 3 December 19:00 (Thursdays run late) in Amsterdam
    for now in [
        "2026-12-02T13:00:00Z",
        "2026-12-28T09:00:00Z",
        "2026-12-03T18:00:00Z",
    ] {
        let app = app_at(&server, now).await;
        assert_eq!(
            call(&app, &event("availability")).await,
            (
                200,
                json!({"agentStatus": "offline", "agentAvailable": false, "reason": "no_agents_available"})
            ),
            "at {now}"
        );
    }
}

#[tokio::test]
async fn a_webstore_with_its_own_hours_is_judged_by_them() {
    let server = MockServer::start().await;
    Mock::given(path("/presence/shop-be"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": true})))
        .expect(1)
        .mount(&server)
        .await;
    let body = json!({"chatId": "chat-4f2a9c1e-demo", "webstore": "shop-be"});
    // Monday 19:00 in Brussels: shop-be is open until 20:00, the top level closed at 17:30
    let app = app_at(&server, "2026-12-28T18:00:00Z").await;
    assert_eq!(
        call(&app, &event_with_body("availability", body.clone()))
            .await
            .1["reason"],
        "agents_available"
    );
    // Tuesday: shop-be has Monday hours only
    let app = app_at(&server, "2026-12-29T10:00:00Z").await;
    assert_eq!(
        call(&app, &event_with_body("availability", body.clone()))
            .await
            .1,
        json!({"agentStatus": "offline", "agentAvailable": false, "reason": "outside_business_hours", "nextOpening": "2027-01-04T08:00:00+01:00", "nextOpeningText": "Monday 4 January at 08:00"})
    );
}

#[tokio::test]
async fn opening_hours_apply_without_a_presence_source_too() {
    for (now, reason) in [
        ("2026-12-27T12:00:00Z", "outside_business_hours"), // Sunday
        ("2026-12-28T10:00:00Z", "presence_check_disabled"), // Monday 11:00
    ] {
        let hours_only =
            app(&[("BUSINESS_HOURS", &shop_hours())])
                .await
                .with_clock(std::sync::Arc::new(shared::rules::clock::FixedClock(at(
                    now,
                ))));
        assert_eq!(
            call(&hours_only, &event("availability")).await.1["reason"],
            reason,
            "at {now}"
        );
    }
}

#[tokio::test]
async fn bad_opening_hours_stop_the_start_with_the_entry_named() {
    let sdk = e2e::sdk_at("http://127.0.0.1:9").await;
    let bad = r#"{"timezone": "Europe/Amsterdam", "weekly": {"mon": [["09:00","17:00"], ["18:00","25:00"]]}}"#;
    let error = App::from_env(&env(&[("BUSINESS_HOURS", bad)]), &sdk)
        .await
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some(
            "configuration: BUSINESS_HOURS weekly.mon[1]: closing time `25:00` is not a time from 00:00 to 24:00 (HH:MM)"
        )
    );
}
