//! `availability` asking MSC's presence API as CM.com documents it: `GET /api/v1?apikey&Channel&
//! referrer`, answered with plain text `Online`/`Offline` (a local server that answers exactly
//! that, and every way it could answer otherwise), through the function's lambda_http entry
//! point with the events/ fixtures.

use std::time::{Duration, Instant};

use availability::{App, handle};
use e2e::{conforming, env, event, event_with_body, request, with_header};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "msc-api-key-for-tests";

async fn app(extra: &[(&str, &str)]) -> App {
    e2e::availability_app(extra).await
}

/// An app asking MSC presence at `server`, with nothing remembered between requests.
async fn msc_app(server: &str, more: &[(&str, &str)]) -> App {
    let url = format!("{server}/api/v1");
    let mut extra = vec![
        ("MSC_API_KEY", KEY),
        ("MSC_PRESENCE_URL", url.as_str()),
        ("AVAILABILITY_CACHE_SECONDS", "0"),
        ("AVAILABILITY_BUDGET_MS", "800"),
    ];
    extra.extend_from_slice(more);
    app(&extra).await
}

async fn call(app: &App, event: &Value) -> (u16, Value) {
    let response = handle(app, request(event)).await.expect("infallible");
    conforming("post", "/availability", &response)
}

async fn presence_answers(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

/// The raw query strings of the requests `server` received, in order.
async fn queries(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect()
}

fn verdict(status: &str, reason: &str) -> Value {
    json!({"agentStatus": status, "agentAvailable": status == "online", "reason": reason})
}

#[tokio::test]
async fn each_presence_answer_gives_its_verdict_and_the_query_is_exact() {
    let html = "<!DOCTYPE html><html><body>Online</body></html>";
    let cases: Vec<(&str, ResponseTemplate, Value)> = vec![
        (
            "Online",
            ResponseTemplate::new(200).set_body_string("Online"),
            verdict("online", "agents_available"),
        ),
        (
            "Offline",
            ResponseTemplate::new(200).set_body_string("Offline"),
            verdict("offline", "no_agents_available"),
        ),
        (
            "online CRLF",
            ResponseTemplate::new(200).set_body_string("online\r\n"),
            verdict("online", "agents_available"),
        ),
        (
            "quoted",
            ResponseTemplate::new(200).set_body_string("\"Online\""),
            verdict("online", "agents_available"),
        ),
        (
            "OFFLINE",
            ResponseTemplate::new(200).set_body_string("OFFLINE"),
            verdict("offline", "no_agents_available"),
        ),
        (
            "Busy",
            ResponseTemplate::new(200).set_body_string("Busy"),
            verdict("offline", "upstream_unavailable"),
        ),
        (
            "empty 200",
            ResponseTemplate::new(200),
            verdict("offline", "upstream_unavailable"),
        ),
        (
            "HTML",
            ResponseTemplate::new(200).set_body_string(html),
            verdict("offline", "upstream_unavailable"),
        ),
        (
            "JSON object",
            ResponseTemplate::new(200).set_body_json(json!({"status": "Online"})),
            verdict("offline", "upstream_unavailable"),
        ),
        (
            "over-long",
            ResponseTemplate::new(200).set_body_string(format!("Online{}", " ".repeat(4096))),
            verdict("offline", "upstream_unavailable"),
        ),
        (
            "400",
            ResponseTemplate::new(400).set_body_string("Online"),
            verdict("offline", "upstream_unavailable"),
        ),
        (
            "404",
            ResponseTemplate::new(404).set_body_string("Online"),
            verdict("offline", "upstream_unavailable"),
        ),
        (
            "slow",
            ResponseTemplate::new(200)
                .set_body_string("Online")
                .set_delay(Duration::from_millis(300)),
            verdict("online", "agents_available"),
        ),
    ];
    for (name, response, expected) in cases {
        let server = presence_answers(response).await;
        let app = msc_app(&server.uri(), &[]).await;
        assert_eq!(
            call(&app, &event("availability")).await,
            (200, expected),
            "{name}"
        );
        assert_eq!(
            queries(&server).await,
            [format!("apikey={KEY}&Channel=WebChat&referrer=shop-nl")],
            "{name}: asked once (a 400 or 404 is not asked again), with key, channel and referrer"
        );
    }
}

#[tokio::test]
async fn a_hanging_presence_api_is_answered_offline_within_the_budget() {
    let server = presence_answers(
        ResponseTemplate::new(200)
            .set_body_string("Online")
            .set_delay(Duration::from_secs(30)),
    )
    .await;
    let app = msc_app(&server.uri(), &[]).await;
    let started = Instant::now();
    let answer = call(&app, &event("availability")).await;
    let took = started.elapsed();
    assert_eq!(answer, (200, verdict("offline", "upstream_unavailable")));
    // cut at the 800 ms budget, not after the 30 s hang
    assert!(
        took < Duration::from_millis(800) + e2e::SCHEDULING_MARGIN,
        "took {took:?} with an 800 ms budget"
    );
}

#[tokio::test]
async fn the_referrer_is_percent_encoded_and_cannot_add_a_parameter() {
    let server = presence_answers(ResponseTemplate::new(200).set_body_string("Offline")).await;
    let app = msc_app(&server.uri(), &[("MSC_CHANNEL", "whatsapp")]).await;
    let webstore = "Shop NL & Zoë's #1=best";
    let body = json!({"chatId": "chat-1", "webstore": webstore});
    assert_eq!(
        call(&app, &event_with_body("availability", body)).await,
        (200, verdict("offline", "no_agents_available"))
    );
    let received = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        received
            .iter()
            .map(|r| r.url.query().unwrap_or_default())
            .collect::<Vec<_>>(),
        [format!(
            "apikey={KEY}&Channel=WhatsApp&referrer=Shop%20NL%20%26%20Zo%C3%AB%27s%20%231%3Dbest"
        )]
    );
    // decoded as any server decodes it: exactly three parameters, the referrer whole
    let pairs: Vec<(String, String)> = received[0].url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        [
            ("apikey".to_owned(), KEY.to_owned()),
            ("Channel".to_owned(), "WhatsApp".to_owned()),
            ("referrer".to_owned(), webstore.to_owned()),
        ]
    );
}

#[tokio::test]
async fn caics_presence_check_asks_for_data_context_else_the_page_url_else_nothing() {
    let server = presence_answers(ResponseTemplate::new(200).set_body_string("Online")).await;
    let app = msc_app(&server.uri(), &[]).await;
    let online = (200, verdict("online", "agents_available"));
    let check = |body: Value| event_with_body("availability-presence-check", body);
    // mscWebstore set: the web store is the referrer
    let with_context = json!({"url": "https://www.example.nl/support", "channel": "WebChat", "data": {"context": "shop-nl"}});
    assert_eq!(call(&app, &check(with_context)).await, online);
    // mscWebstore unset: CAIC sends data.context empty, and MSC routes on the page URL
    let page = "https://www.example.nl/support?q=retour&lang=nl";
    let without_context = json!({"url": page, "channel": "WebChat", "data": {"context": ""}});
    assert_eq!(call(&app, &check(without_context)).await, online);
    // nothing at all to route on: no referrer parameter
    let empty = json!({"url": "", "channel": "", "data": {"context": "  "}});
    assert_eq!(call(&app, &check(empty)).await, online);
    assert_eq!(
        queries(&server).await,
        [
            format!("apikey={KEY}&Channel=WebChat&referrer=shop-nl"),
            format!(
                "apikey={KEY}&Channel=WebChat&referrer=https%3A%2F%2Fwww.example.nl%2Fsupport%3Fq%3Dretour%26lang%3Dnl"
            ),
            format!("apikey={KEY}&Channel=WebChat"),
        ]
    );
}

#[tokio::test]
async fn answers_are_remembered_per_referrer() {
    let server = MockServer::start().await;
    for (referrer, answer) in [("shop-nl", "Online"), ("shop-be", "Offline")] {
        Mock::given(method("GET"))
            .and(path("/api/v1"))
            .and(wiremock::matchers::query_param("referrer", referrer))
            .respond_with(ResponseTemplate::new(200).set_body_string(answer))
            .expect(1)
            .mount(&server)
            .await;
    }
    let app = msc_app(&server.uri(), &[("AVAILABILITY_CACHE_SECONDS", "60")]).await;
    let ask = |webstore: &str| event_with_body("availability", json!({"webstore": webstore}));
    for _ in 0..2 {
        assert_eq!(
            call(&app, &ask("shop-nl")).await,
            (200, verdict("online", "agents_available"))
        );
        assert_eq!(
            call(&app, &ask("shop-be")).await,
            (200, verdict("offline", "no_agents_available"))
        );
    }
}

/// The fixture CAIC's presence-check webhook sends with its token in the URL (no header).
fn token_in_url(token: &str, body: Value) -> Value {
    let mut event = event_with_body("availability-presence-check-token-in-url", body);
    event["rawQueryString"] = Value::String(format!("calloutToken={token}"));
    event["queryStringParameters"] = json!({ "calloutToken": token });
    event
}

#[tokio::test]
async fn caics_webhook_may_carry_a_presence_check_token_in_the_url_and_nothing_else_may() {
    let server = presence_answers(ResponseTemplate::new(200).set_body_string("Online")).await;
    let app = msc_app(&server.uri(), &[]).await;
    assert_eq!(
        call(&app, &event("availability-presence-check-token-in-url")).await,
        (200, verdict("online", "agents_available"))
    );
    let presence_check = json!({"url": "https://www.example.nl/", "channel": "WebChat", "data": {"context": "shop-nl"}});
    let refused_in_url = (
        401,
        json!({"error": "unauthorized", "message": "the presence-check token in the URL (calloutToken) was refused"}),
    );
    // a wrong token, and a dialog's callout token: neither opens anything from the URL
    for token in ["wrong-token-0123456789", e2e::TOKEN] {
        assert_eq!(
            call(&app, &token_in_url(token, presence_check.clone())).await,
            refused_in_url,
            "{token}"
        );
    }
    // the presence-check token in the header is no callout token
    let in_header = with_header(
        event_with_body("availability", presence_check.clone()),
        "x-callout-token",
        Some(e2e::PRESENCE_CHECK_TOKEN),
    );
    assert_eq!(
        call(&app, &in_header).await,
        (
            401,
            json!({"error": "unauthorized", "message": "missing or invalid X-Callout-Token header"})
        )
    );
    // our own shape (or an empty body) must send the header
    for own in [
        json!({"chatId": "chat-1", "webstore": "shop-nl"}),
        json!({"url": "https://x.example/", "chatId": "c"}),
    ] {
        let (status, body) =
            call(&app, &token_in_url(e2e::PRESENCE_CHECK_TOKEN, own.clone())).await;
        assert_eq!(
            (status, body["message"].clone()),
            (
                401,
                json!(
                    "a presence-check token in the URL is accepted only with CAIC's presence-check body; send the X-Callout-Token header"
                )
            ),
            "{own}"
        );
    }
    let mut empty = token_in_url(e2e::PRESENCE_CHECK_TOKEN, json!({}));
    empty["body"] = Value::String(String::new());
    assert_eq!(call(&app, &empty).await.0, 401);
    // with the header, the header decides, whatever the URL says
    let both = with_header(
        token_in_url("wrong-token-0123456789", presence_check.clone()),
        "x-callout-token",
        Some(e2e::TOKEN),
    );
    assert_eq!(
        call(&app, &both).await,
        (200, verdict("online", "agents_available"))
    );
    // two asked: the fixture and the header call; every refusal asked nothing
    assert_eq!(queries(&server).await.len(), 2);

    // without presence-check tokens, no token is accepted in the URL at all
    let closed = msc_app(&server.uri(), &[("PRESENCE_CHECK_TOKENS", "")]).await;
    for token in [e2e::PRESENCE_CHECK_TOKEN, e2e::TOKEN] {
        assert_eq!(
            call(&closed, &token_in_url(token, presence_check.clone())).await,
            refused_in_url
        );
    }
    assert_eq!(queries(&server).await.len(), 2);
}

#[tokio::test]
async fn the_presence_check_token_opens_no_other_route() {
    let sdk = e2e::sdk().await;
    let table = e2e::fresh_table(&sdk).await;
    let intake = intake::App::from_env(&e2e::env(&[("TABLE_NAME", table.as_str())]), &sdk)
        .await
        .expect("intake app");
    let cm = MockServer::start().await;
    let handover = handover::App::from_env(&e2e::handover_env(&table, &cm.uri(), &[]), &sdk)
        .await
        .expect("handover app");
    let unauthorized =
        json!({"error": "unauthorized", "message": "missing or invalid X-Callout-Token header"});
    let with_presence_check_token = |name: &str, in_url: bool| {
        let mut event = with_header(event(name), "x-callout-token", None);
        if in_url {
            event["rawQueryString"] =
                Value::String(format!("calloutToken={}", e2e::PRESENCE_CHECK_TOKEN));
        } else {
            event = with_header(event, "x-callout-token", Some(e2e::PRESENCE_CHECK_TOKEN));
        }
        event
    };
    for in_url in [false, true] {
        let response = intake::handle(
            &intake,
            request(&with_presence_check_token("intake-name", in_url)),
        )
        .await
        .expect("infallible");
        assert_eq!(
            e2e::status_and_json(&response),
            (401, unauthorized.clone()),
            "intake, in URL: {in_url}"
        );
        let response = handover::handle(
            &handover,
            request(&with_presence_check_token("handover", in_url)),
        )
        .await
        .expect("infallible");
        assert_eq!(
            e2e::status_and_json(&response),
            (401, unauthorized.clone()),
            "handover, in URL: {in_url}"
        );
    }
    assert!(
        e2e::items(&sdk, &table).await.is_empty(),
        "nothing was written"
    );
    assert!(
        cm.received_requests().await.unwrap_or_default().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn a_url_token_is_read_percent_decoded_exactly_and_a_wrong_one_says_so() {
    let server = presence_answers(ResponseTemplate::new(200).set_body_string("Online")).await;
    // a base64-style token, with the characters a form decoder would mangle
    let token = "Zm9v+YmFy/YmF6==q1";
    let app = msc_app(&server.uri(), &[("PRESENCE_CHECK_TOKENS", token)]).await;
    let presence_check = json!({"url": "https://www.example.nl/", "channel": "WebChat", "data": {"context": "shop-nl"}});
    let with_query = |query: &str| {
        let mut event = token_in_url(token, presence_check.clone());
        event["rawQueryString"] = Value::String(query.to_owned());
        event
    };
    for query in [
        "calloutToken=Zm9v%2BYmFy%2FYmF6%3D%3Dq1",
        "calloutToken=Zm9v+YmFy/YmF6==q1",
        "calloutToken=Zm9v%2bYmFy/YmF6%3d=q1&other=1",
    ] {
        assert_eq!(
            call(&app, &with_query(query)).await,
            (200, verdict("online", "agents_available")),
            "{query}"
        );
    }
    // `+` read as a space (an HTML form's rule) would be another token: refused, and said so
    for query in [
        "calloutToken=Zm9v%20YmFy%2FYmF6%3D%3Dq1",
        "calloutToken=wrong-token-0123456789",
        "calloutToken=",
    ] {
        assert_eq!(
            call(&app, &with_query(query)).await,
            (
                401,
                json!({"error": "unauthorized", "message": "the presence-check token in the URL (calloutToken) was refused"})
            ),
            "{query}"
        );
    }
    // no token anywhere is still the header's refusal
    let (status, body) = call(&app, &with_query("other=1")).await;
    assert_eq!(
        (status, body["message"].clone()),
        (401, json!("missing or invalid X-Callout-Token header"))
    );
    assert_eq!(queries(&server).await.len(), 3);
}

#[tokio::test]
async fn start_up_refuses_two_presence_sources_a_bad_channel_and_a_query_in_the_url() {
    let refused = |extra: Vec<(&'static str, &'static str)>| async move {
        let sdk = e2e::sdk_at("http://127.0.0.1:9").await;
        match App::from_env(&env(&extra), &sdk).await {
            Ok(_) => panic!("configuration {extra:?} should have been refused"),
            Err(error) => error.to_string(),
        }
    };
    assert_eq!(
        refused(vec![
            ("MSC_API_KEY", KEY),
            ("AVAILABILITY_URL", "https://presence.example/{webstore}")
        ])
        .await,
        "configuration: AVAILABILITY_URL and MSC_API_KEY (or MSC_API_KEY_PARAM) are both set: choose one presence source (MSC's presence API, or a JSON one at AVAILABILITY_URL)"
    );
    assert_eq!(
        refused(vec![
            ("MSC_API_KEY_PARAM", "/msc/key"),
            ("AVAILABILITY_URL", "https://presence.example/")
        ])
        .await,
        "configuration: AVAILABILITY_URL and MSC_API_KEY (or MSC_API_KEY_PARAM) are both set: choose one presence source (MSC's presence API, or a JSON one at AVAILABILITY_URL)"
    );
    let channel = refused(vec![("MSC_API_KEY", KEY), ("MSC_CHANNEL", "Telegram")]).await;
    assert!(
        channel.starts_with("configuration: MSC_CHANNEL names `Telegram`, not one of"),
        "{channel}"
    );
    let url = refused(vec![
        ("MSC_API_KEY", KEY),
        (
            "MSC_PRESENCE_URL",
            "https://presence.robinhq.com/api/v1?apikey=x",
        ),
    ])
    .await;
    assert!(
        url.starts_with("configuration: MSC_PRESENCE_URL must not have a query"),
        "{url}"
    );
    let http = refused(vec![
        ("MSC_API_KEY", KEY),
        ("MSC_PRESENCE_URL", "http://presence.robinhq.com/api/v1"),
    ])
    .await;
    assert!(
        http.starts_with("configuration: MSC_PRESENCE_URL must use https"),
        "{http}"
    );
    // no error repeats the key
    for message in [channel, url, http] {
        assert!(!message.contains(KEY), "{message}");
    }
}

#[tokio::test]
async fn the_api_key_comes_from_ssm_and_the_plain_variable_wins() {
    let ssm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::header("x-amz-target", "AmazonSSM.GetParameter"))
        .and(wiremock::matchers::body_partial_json(
            json!({"Name": "/msc/api-key", "WithDecryption": true}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-amz-json-1.1")
                .set_body_json(json!({"Parameter": {"Name": "/msc/api-key", "Type": "SecureString", "Value": "key-from-ssm", "Version": 1}})),
        )
        .expect(1)
        .mount(&ssm)
        .await;
    let presence = presence_answers(ResponseTemplate::new(200).set_body_string("Online")).await;
    let url = format!("{}/api/v1", presence.uri());
    let sdk = e2e::sdk_at(&ssm.uri()).await;
    let from_ssm = App::from_env(
        &env(&[
            ("MSC_API_KEY_PARAM", "/msc/api-key"),
            ("MSC_PRESENCE_URL", url.as_str()),
        ]),
        &sdk,
    )
    .await
    .expect("the key is read from SSM");
    call(&from_ssm, &event("availability")).await;
    // the plain variable wins: SSM is not asked a second time (expect(1) above)
    let plain = App::from_env(
        &env(&[
            ("MSC_API_KEY", "plain-key"),
            ("MSC_API_KEY_PARAM", "/msc/api-key"),
            ("MSC_PRESENCE_URL", url.as_str()),
        ]),
        &sdk,
    )
    .await
    .expect("the plain key");
    call(&plain, &event("availability")).await;
    assert_eq!(
        queries(&presence).await,
        [
            "apikey=key-from-ssm&Channel=WebChat&referrer=shop-nl",
            "apikey=plain-key&Channel=WebChat&referrer=shop-nl"
        ]
    );
}

/// MSC's API key sits in a URL: through every answer the presence API can give and every way
/// the connection can fail, it is in no log line, no error and no response. (Metrics cannot carry
/// it: their names are `&'static str`s.) Nor is a callout token that came in the URL.
#[tokio::test]
async fn the_api_key_and_a_url_token_reach_no_log_line_or_response_on_any_path() {
    const SENTINEL_KEY: &str = "sentinel-msc-api-key-5b7d1e";
    const SENTINEL_URL_TOKEN: &str = "sentinel-url-callout-token-3c8f";
    const WRONG_URL_TOKEN: &str = "sentinel-wrong-url-token-9a2e44";
    // every line any crate logs, at TRACE, with no filter: a superset of what the functions'
    // own filter lets through at its most verbose; `log` records (reqwest logs through `log`) are
    // bridged in too, although the functions install no such bridge
    let captured = e2e::CapturedLogs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // current-thread runtime: everything runs on this thread, under this subscriber
    let _guard = tracing::subscriber::set_default(subscriber);
    // one bridge per process (a second init, under `cargo test`, finds it there already)
    let _ = tracing_log::LogTracer::init_with_filter(tracing_log::log::LevelFilter::Trace);
    tracing::trace!("capture works");
    // and a `log` record reaches the capture: the bridge is there, whoever installed it
    tracing_log::log::trace!("log bridge works");

    let server = MockServer::start().await;
    let answers: Vec<(&str, ResponseTemplate)> = vec![
        (
            "online",
            ResponseTemplate::new(200).set_body_string("Online"),
        ),
        (
            "offline",
            ResponseTemplate::new(200).set_body_string("Offline"),
        ),
        ("busy", ResponseTemplate::new(200).set_body_string("Busy")),
        (
            "html",
            ResponseTemplate::new(200).set_body_string(format!("<html>{SENTINEL_KEY}</html>")),
        ),
        ("empty", ResponseTemplate::new(200)),
        (
            "bad-request",
            ResponseTemplate::new(400).set_body_string(SENTINEL_KEY),
        ),
        (
            "not-found",
            ResponseTemplate::new(404).set_body_string(SENTINEL_KEY),
        ),
        ("unavailable", ResponseTemplate::new(503)),
        (
            "hang",
            ResponseTemplate::new(200)
                .set_body_string("Online")
                .set_delay(Duration::from_secs(30)),
        ),
    ];
    for (referrer, response) in &answers {
        Mock::given(method("GET"))
            .and(path("/api/v1"))
            .and(wiremock::matchers::query_param("referrer", *referrer))
            .respond_with(response.clone())
            .mount(&server)
            .await;
    }
    let tokens = format!("{},{SENTINEL_URL_TOKEN}", e2e::TOKEN);
    let reset = e2e::resetting_server().await;
    let mut responses = Vec::new();
    for base in [server.uri(), e2e::closed_port_url(), reset] {
        let url = format!("{base}/api/v1");
        let app = app(&[
            ("CALLOUT_TOKENS", tokens.as_str()),
            ("MSC_API_KEY", SENTINEL_KEY),
            ("MSC_PRESENCE_URL", url.as_str()),
            ("AVAILABILITY_CACHE_SECONDS", "0"),
            ("AVAILABILITY_BUDGET_MS", "400"),
            ("WARM_UP_MS", "200"),
        ])
        .await;
        app.warm_up().await;
        for (referrer, _) in &answers {
            let body = json!({"url": "https://www.example.nl/", "channel": "WebChat", "data": {"context": referrer}});
            for event in [
                event_with_body("availability-presence-check", body.clone()),
                token_in_url(SENTINEL_URL_TOKEN, body.clone()),
                token_in_url(WRONG_URL_TOKEN, body.clone()),
                token_in_url(
                    SENTINEL_URL_TOKEN,
                    json!({"chatId": "c", "webstore": referrer}),
                ),
            ] {
                let response = handle(&app, request(&event)).await.expect("infallible");
                responses.push(String::from_utf8_lossy(response.body().as_ref()).into_owned());
            }
        }
    }

    let logs = captured.text();
    assert!(logs.contains("capture works"), "the capture works");
    assert!(
        logs.contains("log bridge works"),
        "`log` records are captured"
    );
    assert!(
        logs.contains("presence source failed"),
        "the failure paths were logged: {logs}"
    );
    assert!(
        logs.contains("not a presence answer"),
        "an unrecognised answer says so: {logs}"
    );
    let mut leaks = Vec::new();
    for secret in [SENTINEL_KEY, SENTINEL_URL_TOKEN, WRONG_URL_TOKEN] {
        for (i, line) in logs.lines().enumerate() {
            if line.contains(secret) {
                leaks.push(format!("log line {i}: {line}"));
            }
        }
        for response in &responses {
            if response.contains(secret) {
                leaks.push(format!("response: {response}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked: {leaks:#?}");
    assert_eq!(responses.len(), 3 * answers.len() * 4);
}

/// MSC's presence API (the production default) failing every way a server can: each answered
/// `offline`/`upstream_unavailable` within the budget, asked again only where a retry is safe
/// and useful (502-504, could not connect), never after a 429 or a 500.
#[tokio::test]
async fn every_fault_of_msc_presence_is_offline_within_the_budget() {
    let unavailable = (200, verdict("offline", "upstream_unavailable"));
    let budget = Duration::from_millis(800) + e2e::SCHEDULING_MARGIN;
    for (status, asked) in [(500, 1..=1), (503, 2..=3), (429, 1..=1)] {
        let server = presence_answers(ResponseTemplate::new(status)).await;
        let app = msc_app(&server.uri(), &[]).await;
        let started = Instant::now();
        assert_eq!(
            call(&app, &event("availability")).await,
            unavailable,
            "{status}"
        );
        assert!(
            started.elapsed() < budget,
            "{status}: {:?}",
            started.elapsed()
        );
        let requests = queries(&server).await.len();
        assert!(
            asked.contains(&requests),
            "{status}: asked {requests} times"
        );
    }
    let (reset, connections) = e2e::counting_resetting_server().await;
    let closed = e2e::closed_port_url();
    for base in [reset, closed] {
        let app = msc_app(&base, &[]).await;
        let started = Instant::now();
        assert_eq!(
            call(&app, &event("availability")).await,
            unavailable,
            "{base}"
        );
        assert!(
            started.elapsed() < budget,
            "{base}: {:?}",
            started.elapsed()
        );
    }
    // the reset came after the request was sent: not asked again (it may have been taken)
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}
