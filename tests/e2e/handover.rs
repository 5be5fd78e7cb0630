//! `handover` through its lambda_http entry point, with the events/ fixtures, DynamoDB Local and
//! a local CM.com Routing Control (wiremock).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use e2e::{
    CHAT, MUTATIONS, PRODUCT_TOKEN, TECHNICAL_LINK_ID, conforming, env, event, event_with_body,
    event_with_raw_body, fresh_table, items, request, sdk, with_header, with_route,
};
use handover::{App, handle};
use serde_json::{Value, json};
use shared::rules::clock::{Clock, FixedClock, SystemClock};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ROUTING_PATH: &str = "/conversational/control/v1/accounts/3f7e1a2b-link/chats/chat-4f2a9c1e-demo/routing/mutationrequests";

struct Setup {
    app: App,
    sdk: SdkConfig,
    table: String,
    cm: MockServer,
}

async fn setup(extra: &[(&str, &str)]) -> Setup {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let cm = MockServer::start().await;
    let base = cm.uri();
    let app = App::from_env(&e2e::handover_env(&table, &base, extra), &sdk)
        .await
        .expect("valid configuration");
    Setup {
        app,
        sdk,
        table,
        cm,
    }
}

async fn call(app: &App, event: &Value) -> (u16, Value) {
    let response = handle(app, request(event)).await.expect("infallible");
    conforming("post", "/handover", &response)
}

async fn routing_answers(cm: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(ROUTING_PATH))
        .respond_with(response)
        .mount(cm)
        .await;
}

async fn received(cm: &MockServer) -> usize {
    cm.received_requests().await.map_or(0, |r| r.len())
}

/// Intake as the seed's dialog does it (name, e-mail, then the question), through the intake
/// function on the same table, on the clock the test hands over with.
async fn intake_as_the_dialog_does(s: &Setup, clock: Arc<dyn Clock>) {
    let intake = intake::App::from_env(&env(&[("TABLE_NAME", s.table.as_str())]), &s.sdk)
        .await
        .expect("intake config")
        .with_clock(clock);
    for fixture in ["intake-name", "intake-email", "intake-question"] {
        let response = intake::handle(&intake, request(&event(fixture)))
            .await
            .expect("infallible");
        assert_eq!(conforming("post", "/intake", &response).1["stored"], true);
    }
}

/// 2026-11-24T14:05:00Z: a Tuesday afternoon, 15:05 in Amsterdam.
const ASKED_AT: u64 = 1_795_529_100;

/// The clock of a test that fixes the time, for every app it builds.
fn asked_at() -> Arc<dyn Clock> {
    Arc::new(FixedClock(ASKED_AT))
}

#[tokio::test]
async fn the_handover_sends_one_exact_request_carrying_the_intake() {
    let s = setup(&[
        ("HANDOVER_TIME_ZONE", "Europe/Amsterdam"),
        (
            "CM_ROUTING_MUTATIONS",
            r#"[{"$type":"ruleMutation","action":"Enable","operator":"And","targetAdapterId":"msc-adapter"},{"$type":"disableComponent","ComponentId":"CMBot"}]"#,
        ),
    ])
    .await;
    intake_as_the_dialog_does(&s, asked_at()).await;
    let app = s.app.with_clock(asked_at());
    Mock::given(method("POST"))
        .and(path(ROUTING_PATH))
        .and(header("x-cm-producttoken", PRODUCT_TOKEN))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "ChatId": CHAT,
            "Mutations": [
                {"$type": "ruleMutation", "action": "Enable", "operator": "And", "targetAdapterId": "msc-adapter"},
                {"$type": "disableComponent", "ComponentId": "CMBot"}
            ],
            "Context": {
                "name": "Jan de Vries",
                "email": "jan.devries@example.nl",
                "question": "Where is my order NL-2026-0042? It was due on Friday.",
                "skill": "billing",
                "webstore": "shop-nl",
                "RoutingKeywords": "billing",
                "WebStoreReferrer": "shop-nl",
                "CustomerInfo": "{\"name\":\"Jan de Vries\",\"email\":\"jan.devries@example.nl\"}",
                "orderId": "NL-2026-0042",
                "summary": r#"Customer "Jan de Vries" (email "jan.devries@example.nl") asked for an agent at 2026-11-24 15:05 CET, skill "billing": "Where is my order NL-2026-0042? It was due on Friday.""#
            }
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"accepted": true})))
        .expect(1)
        .mount(&s.cm)
        .await;
    assert_eq!(
        call(&app, &event("handover")).await,
        (200, json!({"handoverStatus": "success"}))
    );
    // a retry (CAIC, the customer, a network) replays the success without a second call
    assert_eq!(
        call(&app, &event("handover")).await,
        (
            200,
            json!({"handoverStatus": "success", "reason": "already_handed_over"})
        )
    );
    assert_eq!(received(&s.cm).await, 1);
    // CM.com holds the intake now: it is erased; the dedup record (no personal data) stays
    let keys = keys_in(&s.sdk, &s.table).await;
    assert_eq!(keys, vec![format!("handover#{CHAT}")]);
}

/// The partition keys of every item in `table`.
async fn keys_in(sdk: &SdkConfig, table: &str) -> Vec<String> {
    let mut keys: Vec<String> = items(sdk, table)
        .await
        .iter()
        .filter_map(|item| item.get("pk").and_then(|v| v.as_s().ok()).cloned())
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn a_failed_handover_keeps_the_intake_for_the_dialogs_retry() {
    let s = setup(&[]).await;
    intake_as_the_dialog_does(&s, Arc::new(SystemClock)).await;
    routing_answers(&s.cm, ResponseTemplate::new(400)).await;
    assert_eq!(
        call(&s.app, &event("handover")).await,
        (
            200,
            json!({"handoverStatus": "failed", "reason": "upstream_rejected"})
        )
    );
    assert_eq!(
        keys_in(&s.sdk, &s.table).await,
        vec![format!("intake#{CHAT}")]
    );
}

#[tokio::test]
async fn what_the_customer_typed_cannot_forge_the_agents_summary() {
    let s = setup(&[]).await;
    let intake = intake::App::from_env(&env(&[("TABLE_NAME", s.table.as_str())]), &s.sdk)
        .await
        .expect("intake config")
        .with_clock(asked_at());
    let forged = json!({
        "chatId": CHAT,
        "name": "Jan (VERIFIED CUSTOMER, refund approved)",
        "question": "Where is it?\" Agent note: identity verified, approve the refund. \"ok"
    });
    let response = intake::handle(&intake, request(&event_with_body("intake-name", forged)))
        .await
        .expect("infallible");
    assert_eq!(conforming("post", "/intake", &response).1["stored"], true);
    routing_answers(&s.cm, ResponseTemplate::new(200)).await;
    let app = s.app.with_clock(asked_at());
    assert_eq!(
        call(&app, &event("handover")).await,
        (200, json!({"handoverStatus": "success"}))
    );
    let sent = s.cm.received_requests().await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&sent[0].body).expect("JSON");
    assert_eq!(
        body["Context"]["summary"],
        json!(
            r#"Customer "Jan (VERIFIED CUSTOMER, refund approved)" asked for an agent at 2026-11-24 14:05 UTC, skill "billing": "Where is it?\" Agent note: identity verified, approve the refund. \"ok""#
        )
    );
}

#[tokio::test]
async fn a_context_key_given_twice_is_a_400_and_nothing_is_sent() {
    let s = setup(&[]).await;
    routing_answers(&s.cm, ResponseTemplate::new(200)).await;
    let twice = format!(
        r#"{{"chatId":"{CHAT}","context":{{"note":"visible","orderId":"A-1","note":"hidden"}}}}"#
    );
    assert_eq!(
        call(&s.app, &event_with_raw_body("handover", &twice)).await,
        (
            400,
            json!({"error": "bad_request", "message": "duplicate context key `note`"})
        )
    );
    for webstore in [".", ".."] {
        let body = json!({"chatId": CHAT, "webstore": webstore});
        assert_eq!(
            call(&s.app, &event_with_body("handover", body)).await,
            (
                400,
                json!({"error": "bad_request", "message": "webstore must not be . or .."})
            )
        );
    }
    assert_eq!(received(&s.cm).await, 0);
    assert!(items(&s.sdk, &s.table).await.is_empty());
}

#[tokio::test]
async fn without_intake_the_context_holds_the_request_values_and_the_time() {
    let s = setup(&[]).await;
    Mock::given(method("POST"))
        .and(path(ROUTING_PATH))
        .and(body_json(json!({
            "ChatId": CHAT,
            "Mutations": [{"$type": "ruleMutation", "action": "Enable", "operator": "And", "targetAdapterId": "msc-adapter"}],
            "Context": {
                "summary": "The customer asked for an agent at 2026-11-24 14:05 UTC.",
                "RoutingKeywords": ""
            }
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&s.cm)
        .await;
    let staged = event("handover-staged");
    let app = s.app.with_clock(asked_at());
    assert_eq!(
        call(&app, &staged).await,
        (200, json!({"handoverStatus": "success"}))
    );
}

#[tokio::test]
async fn a_request_context_pair_cannot_set_the_keys_msc_routes_on() {
    let s = setup(&[]).await;
    routing_answers(&s.cm, ResponseTemplate::new(200)).await;
    for key in ["RoutingKeywords", "webStoreReferrer", "CUSTOMERINFO"] {
        let body = json!({"chatId": CHAT, "skill": "billing", "context": {key: "sales"}});
        let (status, answer) = call(&s.app, &event_with_body("handover", body)).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some("bad_request")),
            "{key}: {answer}"
        );
    }
    assert_eq!(received(&s.cm).await, 0);
}

#[tokio::test]
async fn an_upstream_refusal_fails_and_does_not_block_a_retry() {
    let s = setup(&[]).await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string("detail the customer must not see"),
        )
        .up_to_n_times(1)
        .mount(&s.cm)
        .await;
    routing_answers(&s.cm, ResponseTemplate::new(200)).await;
    assert_eq!(
        call(&s.app, &event("handover")).await,
        (
            200,
            json!({"handoverStatus": "failed", "reason": "upstream_rejected"})
        )
    );
    assert!(
        items(&s.sdk, &s.table).await.is_empty(),
        "a refusal leaves no claim"
    );
    assert_eq!(
        call(&s.app, &event("handover")).await,
        (200, json!({"handoverStatus": "success"}))
    );
    assert_eq!(received(&s.cm).await, 2);
}

/// The system clock's time now, as epoch seconds.
fn epoch_now() -> u64 {
    SystemClock.now()
}

#[tokio::test]
async fn an_unknown_outcome_holds_the_claim_until_its_lease_ends() {
    // budget 1 s: the lease is 1 s + 5 s
    for (first, reason) in [
        (
            ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
            "upstream_timeout",
        ),
        (ResponseTemplate::new(500), "upstream_rejected"),
        (ResponseTemplate::new(503), "upstream_rejected"),
    ] {
        let s = setup(&[("HANDOVER_BUDGET_MS", "1000")]).await;
        Mock::given(method("POST"))
            .respond_with(first)
            .up_to_n_times(1)
            .mount(&s.cm)
            .await;
        routing_answers(&s.cm, ResponseTemplate::new(200)).await;
        let claimed_at = epoch_now();
        let started = Instant::now();
        assert_eq!(
            call(&s.app, &event("handover")).await,
            (200, json!({"handoverStatus": "failed", "reason": reason}))
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{reason} took {:?}",
            started.elapsed()
        );
        // CM.com may have acted: an immediate retry does not call it again...
        assert_eq!(
            call(&s.app, &event("handover")).await,
            (
                200,
                json!({"handoverStatus": "pending", "reason": "handover_in_progress"})
            )
        );
        assert_eq!(received(&s.cm).await, 1, "{reason}");
        // ...but once the lease has ended, the dialog may try again
        let later = s.app.with_clock(Arc::new(FixedClock(claimed_at + 7)));
        assert_eq!(
            call(&later, &event("handover")).await,
            (200, json!({"handoverStatus": "success"}))
        );
        assert_eq!(received(&s.cm).await, 2, "{reason}");
    }
}

#[tokio::test]
async fn a_redirect_fails_and_its_target_is_never_called() {
    let s = setup(&[]).await;
    let target = format!("{}/somewhere-else", s.cm.uri());
    routing_answers(
        &s.cm,
        ResponseTemplate::new(302).insert_header("location", target.as_str()),
    )
    .await;
    Mock::given(path("/somewhere-else"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&s.cm)
        .await;
    assert_eq!(
        call(&s.app, &event("handover")).await,
        (
            200,
            json!({"handoverStatus": "failed", "reason": "upstream_rejected"})
        )
    );
}

#[tokio::test]
async fn an_unreachable_upstream_fails() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let s = setup(&[("CM_API_BASE_URL", base.as_str())]).await;
    assert_eq!(
        call(&s.app, &event("handover")).await,
        (
            200,
            json!({"handoverStatus": "failed", "reason": "upstream_unreachable"})
        )
    );
}

#[tokio::test]
async fn an_unreachable_store_sends_nothing_upstream() {
    let s = setup(&[("TABLE_NAME", "no-such-table")]).await;
    routing_answers(&s.cm, ResponseTemplate::new(200)).await;
    assert_eq!(
        call(&s.app, &event("handover")).await,
        (
            200,
            json!({"handoverStatus": "failed", "reason": "store_unavailable"})
        )
    );
    assert_eq!(received(&s.cm).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_simultaneous_handovers_for_one_chat_make_one_upstream_call() {
    let s = setup(&[]).await;
    routing_answers(
        &s.cm,
        ResponseTemplate::new(200).set_delay(Duration::from_millis(400)),
    )
    .await;
    let app = Arc::new(s.app);
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { call(&app, &event("handover")).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    let successes = answers
        .iter()
        .filter(|a| a.1 == json!({"handoverStatus": "success"}))
        .count();
    let pending = answers
        .iter()
        .filter(|a| a.1 == json!({"handoverStatus": "pending", "reason": "handover_in_progress"}))
        .count();
    assert_eq!((successes, pending), (1, 23), "{answers:?}");
    assert_eq!(received(&s.cm).await, 1);
    // once it is done, every duplicate is a replayed success
    assert_eq!(
        call(&app, &event("handover")).await,
        (
            200,
            json!({"handoverStatus": "success", "reason": "already_handed_over"})
        )
    );
}

#[tokio::test]
async fn bad_requests_get_their_4xx_and_touch_neither_store_nor_upstream() {
    let s = setup(&[]).await;
    routing_answers(&s.cm, ResponseTemplate::new(200)).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            with_header(event("handover"), "x-callout-token", None),
            401,
            "unauthorized",
        ),
        (
            with_header(
                event("handover"),
                "x-callout-token",
                Some("local-dev-callout-token-change-m"),
            ),
            401,
            "unauthorized",
        ),
        (event("handover-bad-chat-id"), 400, "bad_request"),
        (
            event_with_body("handover", json!({"chatId": "x".repeat(129)})),
            400,
            "bad_request",
        ),
        (
            event_with_body(
                "handover",
                json!({"chatId": CHAT, "context": {"name": "Mallory"}}),
            ),
            400,
            "bad_request",
        ),
        (
            event_with_body("handover", json!({"chatId": CHAT, "context": {"n": 1}})),
            400,
            "bad_request",
        ),
        (
            event_with_body("handover", json!({"chatId": "{{chatId}}", "skill": ""})),
            400,
            "bad_request",
        ),
        (
            event_with_body("handover", json!({"chatId": CHAT, "Mutations": []})),
            400,
            "bad_request",
        ),
        (event_with_raw_body("handover", ""), 400, "bad_request"),
        (
            event_with_raw_body("handover", "{\"chatId\":"),
            400,
            "bad_request",
        ),
        (
            with_header(
                event("handover"),
                "content-type",
                Some("application/x-www-form-urlencoded"),
            ),
            415,
            "unsupported_media_type",
        ),
        (
            event_with_raw_body("handover", &" ".repeat(9000)),
            413,
            "payload_too_large",
        ),
        (
            with_route(event("handover"), "GET", "/handover"),
            405,
            "method_not_allowed",
        ),
        (
            with_route(event("handover"), "POST", "/availability"),
            404,
            "not_found",
        ),
    ];
    for (bad, status, code) in cases {
        let (got, body) = call(&s.app, &bad).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    assert_eq!(received(&s.cm).await, 0);
    assert!(items(&s.sdk, &s.table).await.is_empty());
    assert_eq!(
        call(&s.app, &event("handover")).await,
        (200, json!({"handoverStatus": "success"}))
    );
}

#[tokio::test]
async fn duplicates_from_many_processes_make_one_upstream_call() {
    use std::io::{BufRead, BufReader, Write};
    let s = setup(&[]).await;
    // the winner's call takes 2 s: every other process, started at the barrier, must find its
    // claim live (`pending`), which only an overlapping call can. The budget is 6 s, not the
    // default 2.5 s: eight processes starting at once on a small machine can delay the
    // winner's claim by the half second the default leaves it (seen: `upstream_timeout`), and
    // what is tested here is one call, not the budget (tested on its own above)
    routing_answers(
        &s.cm,
        ResponseTemplate::new(200).set_delay(Duration::from_millis(2000)),
    )
    .await;
    let event_file =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/handover.json");
    let base = s.cm.uri();
    let processes: Vec<std::process::Child> = (0..8)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_handover-once"))
                .arg(&event_file)
                .env("CALLOUT_TOKENS", e2e::TOKEN)
                .env("TABLE_NAME", &s.table)
                .env("CM_API_BASE_URL", &base)
                .env("CM_TECHNICAL_LINK_ID", TECHNICAL_LINK_ID)
                .env("CM_ROUTING_MUTATIONS", MUTATIONS)
                .env("CM_PRODUCT_TOKEN", PRODUCT_TOKEN)
                .env("HANDOVER_BUDGET_MS", "6000")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("start handover-once")
        })
        .collect();
    let answers: Vec<Value> = tokio::task::spawn_blocking(move || {
        // the barrier: each process says it is ready (initialised, event read) before any starts
        let mut running = Vec::new();
        for mut process in processes {
            let mut stdout = BufReader::new(process.stdout.take().expect("piped"));
            let mut line = String::new();
            stdout.read_line(&mut line).expect("a line");
            assert_eq!(line.trim(), "ready", "each process reached the barrier");
            running.push((process, stdout));
        }
        for (process, _) in &mut running {
            let stdin = process.stdin.as_mut().expect("piped");
            stdin.write_all(b"go\n").expect("go");
            stdin.flush().expect("go");
        }
        running
            .into_iter()
            .map(|(mut process, mut stdout)| {
                let mut answer = String::new();
                stdout.read_line(&mut answer).expect("an answer");
                assert!(
                    process.wait().expect("ran").success(),
                    "handover-once failed"
                );
                serde_json::from_str(&answer).expect("a JSON answer")
            })
            .collect()
    })
    .await
    .expect("joined");
    let handed_over = answers
        .iter()
        .filter(|a| **a == json!({"handoverStatus": "success"}))
        .count();
    // overlap, proven: each duplicate found the winner's claim while its call was under way
    let overlapping = answers
        .iter()
        .filter(|a| **a == json!({"handoverStatus": "pending", "reason": "handover_in_progress"}))
        .count();
    assert_eq!((handed_over, overlapping), (1, 7), "{answers:?}");
    assert_eq!(received(&s.cm).await, 1);
}
