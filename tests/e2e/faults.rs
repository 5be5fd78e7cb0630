//! Fault injection: whatever CM.com or DynamoDB does, each function answers with a status the
//! dialog can branch on, never a 5xx, within its time budget. Each case asserts the answer and
//! the time it took (bounded with generous slack: these machines are shared).

use std::time::{Duration, Instant};

use e2e::{
    TECHNICAL_LINK_ID, closed_port_url, conforming, env, event, fresh_table, items, request,
    resetting_server, sdk, sdk_at,
};
use serde_json::{Value, json};
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BUDGET_MS: u64 = 800;
/// The most any faulty case may take: the budget plus the scheduling margin of a shared machine.
const BOUND: Duration = Duration::from_millis(BUDGET_MS).saturating_add(e2e::SCHEDULING_MARGIN);

/// Every kind of upstream fault wiremock can play, at its own path.
async fn faulty_upstream() -> MockServer {
    let server = MockServer::start().await;
    let faults: Vec<(&str, ResponseTemplate)> = vec![
        (
            "500",
            ResponseTemplate::new(500).set_body_string("stack trace with secrets"),
        ),
        (
            "503",
            ResponseTemplate::new(503).insert_header("retry-after", "1"),
        ),
        (
            "429",
            ResponseTemplate::new(429).insert_header("retry-after", "30"),
        ),
        (
            "redirect",
            ResponseTemplate::new(302).insert_header("location", "/redirect-target"),
        ),
        (
            "hang",
            ResponseTemplate::new(200).set_delay(Duration::from_secs(60)),
        ),
        (
            "malformed",
            ResponseTemplate::new(200).set_body_string("{\"available\": tru"),
        ),
        (
            "huge",
            ResponseTemplate::new(200).set_body_string(format!(
                "{{\"available\":true,\"x\":\"{}\"}}",
                "x".repeat(1 << 20)
            )),
        ),
        (
            "html",
            ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
        ),
    ];
    for (name, response) in faults {
        Mock::given(path(format!("/presence/{name}")))
            .respond_with(response)
            .mount(&server)
            .await;
    }
    Mock::given(path("/redirect-target"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": true})))
        .expect(0)
        .mount(&server)
        .await;
    server
}

async fn timed<F: std::future::Future<Output = (u16, Value)>>(f: F) -> ((u16, Value), Duration) {
    let started = Instant::now();
    let answer = f.await;
    (answer, started.elapsed())
}

#[tokio::test]
async fn availability_answers_offline_within_its_budget_for_every_upstream_fault() {
    let upstream = faulty_upstream().await;
    let reset = resetting_server().await;
    let closed = closed_port_url();
    let offline = json!({"agentStatus": "offline", "agentAvailable": false, "reason": "upstream_unavailable"});
    let mut sources: Vec<String> = [
        "500",
        "503",
        "429",
        "redirect",
        "hang",
        "malformed",
        "huge",
        "html",
    ]
    .iter()
    .map(|fault| format!("{}/presence/{fault}", upstream.uri()))
    .collect();
    sources.push(format!("{reset}/presence/x"));
    sources.push(format!("{closed}/presence/x"));
    let sdk = sdk_at("http://127.0.0.1:9").await;
    for source in sources {
        let budget = BUDGET_MS.to_string();
        let app = availability::App::from_env(
            &env(&[
                ("AVAILABILITY_URL", source.as_str()),
                ("AVAILABILITY_BUDGET_MS", budget.as_str()),
            ]),
            &sdk,
        )
        .await
        .expect("config");
        let (answer, took) = timed(async {
            let response = availability::handle(&app, request(&event("availability")))
                .await
                .expect("infallible");
            conforming("post", "/availability", &response)
        })
        .await;
        assert_eq!(answer, (200, offline.clone()), "{source}");
        assert!(took < BOUND, "{source} took {took:?}");
        eprintln!(
            "measured: availability, {source}: offline in {} ms",
            took.as_millis()
        );
    }
}

#[tokio::test]
async fn handover_fails_with_a_reason_within_its_budget_and_keeps_the_claim_only_when_cm_may_have_acted()
 {
    let sdk = sdk().await;
    let upstream = MockServer::start().await;
    // (chat, CM.com's answer, reason, whether CM.com may have acted: then the claim is kept)
    let cases: Vec<(&str, ResponseTemplate, &str, bool)> = vec![
        (
            "c500",
            ResponseTemplate::new(500),
            "upstream_rejected",
            true,
        ),
        (
            "c503",
            ResponseTemplate::new(503),
            "upstream_rejected",
            true,
        ),
        (
            "c429",
            ResponseTemplate::new(429),
            "upstream_rejected",
            false,
        ),
        (
            "c400",
            ResponseTemplate::new(400),
            "upstream_rejected",
            false,
        ),
        (
            "c302",
            ResponseTemplate::new(302).insert_header("location", "/elsewhere"),
            "upstream_rejected",
            false,
        ),
        (
            "chang",
            ResponseTemplate::new(200).set_delay(Duration::from_secs(60)),
            "upstream_timeout",
            true,
        ),
    ];
    for (chat, response, _, _) in &cases {
        Mock::given(path(format!(
            "/conversational/control/v1/accounts/{TECHNICAL_LINK_ID}/chats/{chat}/routing/mutationrequests"
        )))
        .respond_with(response.clone())
        .mount(&upstream)
        .await;
    }
    let reset = resetting_server().await;
    let closed = closed_port_url();
    let mut runs: Vec<(String, String, &str, bool)> = cases
        .iter()
        .map(|(chat, _, reason, kept)| (upstream.uri(), (*chat).to_owned(), *reason, *kept))
        .collect();
    runs.push((reset, "creset".into(), "upstream_unreachable", true));
    runs.push((closed, "cclosed".into(), "upstream_unreachable", false));
    for (base, chat, reason, claim_kept) in runs {
        let table = fresh_table(&sdk).await;
        let budget = BUDGET_MS.to_string();
        let app = handover::App::from_env(
            &e2e::handover_env(
                table.as_str(),
                base.as_str(),
                &[("HANDOVER_BUDGET_MS", budget.as_str())],
            ),
            &sdk,
        )
        .await
        .expect("config");
        let mut body_event = event("handover");
        body_event["body"] = Value::String(json!({"chatId": chat}).to_string());
        let call = || async {
            let response = handover::handle(&app, request(&body_event))
                .await
                .expect("infallible");
            conforming("post", "/handover", &response)
        };
        let (answer, took) = timed(call()).await;
        assert_eq!(
            answer,
            (200, json!({"handoverStatus": "failed", "reason": reason})),
            "{chat}"
        );
        assert!(took < BOUND, "{chat} took {took:?}");
        eprintln!(
            "measured: handover, {chat}: failed/{reason} in {} ms",
            took.as_millis()
        );
        let claims = items(&sdk, &table).await;
        assert_eq!(claims.len(), usize::from(claim_kept), "{chat}: claim kept?");
        for claim in &claims {
            assert_eq!(
                claim["handoverStatus"].as_s().ok().map(String::as_str),
                Some("pending"),
                "{chat}"
            );
        }
    }
    let elsewhere = upstream.received_requests().await.unwrap_or_default();
    assert!(
        elsewhere.iter().all(|r| r.url.path() != "/elsewhere"),
        "a redirect was followed"
    );
}

#[tokio::test]
async fn an_unreachable_dynamodb_never_yields_stored_or_an_upstream_call() {
    let unreachable = sdk_at(&closed_port_url()).await;
    let cm = MockServer::start().await;
    Mock::given(path("/never"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&cm)
        .await;
    let intake = intake::App::from_env(&env(&[("TABLE_NAME", "t")]), &unreachable)
        .await
        .expect("config");
    let (answer, took) = timed(async {
        let response = intake::handle(&intake, request(&event("intake-name")))
            .await
            .expect("infallible");
        conforming("post", "/intake", &response)
    })
    .await;
    assert_eq!(
        answer,
        (
            200,
            json!({"intakeStatus": "store_unavailable", "stored": false, "complete": false, "missing": ["name", "email"], "invalid": [], "reason": "store_unavailable"})
        )
    );
    assert!(took < Duration::from_secs(4), "intake took {took:?}");

    let base = cm.uri();
    let handover =
        handover::App::from_env(&e2e::handover_env("t", base.as_str(), &[]), &unreachable)
            .await
            .expect("config");
    let (answer, took) = timed(async {
        let response = handover::handle(&handover, request(&event("handover")))
            .await
            .expect("infallible");
        conforming("post", "/handover", &response)
    })
    .await;
    assert_eq!(
        answer,
        (
            200,
            json!({"handoverStatus": "failed", "reason": "store_unavailable"})
        )
    );
    assert!(took < Duration::from_secs(4), "handover took {took:?}");
    assert!(cm.received_requests().await.unwrap_or_default().is_empty());
}

/// A fake DynamoDB that cannot read (GetItem answers 500, also on the SDK's retries) but accepts
/// writes: the claim (PutItem) succeeds while the intake read fails.
async fn dynamodb_that_cannot_read() -> MockServer {
    let dynamodb = MockServer::start().await;
    let operation =
        |name: &str| header("x-amz-target", format!("DynamoDB_20120810.{name}").as_str());
    Mock::given(operation("GetItem"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
            "message": "read failed"
        })))
        .mount(&dynamodb)
        .await;
    for write in ["PutItem", "DeleteItem"] {
        Mock::given(operation(write))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
            .mount(&dynamodb)
            .await;
    }
    dynamodb
}

#[tokio::test]
async fn an_unread_intake_releases_the_claim_and_sends_nothing() {
    let dynamodb = dynamodb_that_cannot_read().await;
    let cm = MockServer::start().await;
    let handover = handover::App::from_env(
        &e2e::handover_env("t", cm.uri().as_str(), &[]),
        &sdk_at(&dynamodb.uri()).await,
    )
    .await
    .expect("config");
    let response = handover::handle(&handover, request(&event("handover")))
        .await
        .expect("infallible");
    assert_eq!(
        conforming("post", "/handover", &response),
        (
            200,
            json!({"handoverStatus": "failed", "reason": "store_unavailable"})
        )
    );
    assert!(cm.received_requests().await.unwrap_or_default().is_empty());
    // the claim written is the claim released: the dialog's retry can claim again at once
    let sent = |name: &'static str| {
        let dynamodb = &dynamodb;
        async move {
            dynamodb
                .received_requests()
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|r| {
                    r.headers.get("x-amz-target").and_then(|v| v.to_str().ok())
                        == Some(format!("DynamoDB_20120810.{name}").as_str())
                })
                .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap_or_default())
                .collect::<Vec<_>>()
        }
    };
    let (claims, releases) = (sent("PutItem").await, sent("DeleteItem").await);
    assert_eq!((claims.len(), releases.len()), (1, 1));
    let claim_id = claims[0]["Item"]["claimId"]["S"]
        .as_str()
        .unwrap_or_default();
    assert!(!claim_id.is_empty(), "no claim id in {}", claims[0]);
    assert_eq!(
        claims[0]["Item"]["pk"],
        json!({"S": format!("handover#{}", e2e::CHAT)})
    );
    assert_eq!(
        releases[0]["ExpressionAttributeValues"][":claim"],
        claims[0]["Item"]["claimId"]
    );
    assert_eq!(releases[0]["Key"], json!({"pk": claims[0]["Item"]["pk"]}));
}

/// The request as Lambda would hand it over with `left` to go before the invocation's deadline.
fn with_deadline_in(event: &Value, left: Duration) -> lambda_http::Request {
    use lambda_http::RequestExt;
    let deadline = std::time::SystemTime::now() + left;
    let millis = deadline
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_millis() as u64;
    let mut context = lambda_http::Context::default();
    context.deadline = millis;
    context.request_id = "deadline-test".into();
    request(event).with_lambda_context(context)
}

#[tokio::test]
async fn a_near_lambda_deadline_shrinks_every_budget() {
    let hanging = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .mount(&hanging)
        .await;
    let left = Duration::from_millis(700);
    // well below every configured budget (5 s), which is what the deadline must cut
    let bound = left + e2e::SCHEDULING_MARGIN;

    let presence = format!("{}/presence/{{webstore}}", hanging.uri());
    let availability = availability::App::from_env(
        &env(&[
            ("AVAILABILITY_URL", presence.as_str()),
            ("AVAILABILITY_BUDGET_MS", "5000"),
        ]),
        &sdk_at("http://127.0.0.1:9").await,
    )
    .await
    .expect("config");
    let (answer, took) = timed(async {
        let response = availability::handle(
            &availability,
            with_deadline_in(&event("availability"), left),
        )
        .await
        .expect("infallible");
        conforming("post", "/availability", &response)
    })
    .await;
    assert_eq!(answer.1["reason"], "upstream_unavailable");
    assert!(took < bound, "availability took {took:?}");

    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let base = hanging.uri();
    let handover = handover::App::from_env(
        &e2e::handover_env(
            table.as_str(),
            base.as_str(),
            &[("HANDOVER_BUDGET_MS", "5000")],
        ),
        &sdk,
    )
    .await
    .expect("config");
    let (answer, took) = timed(async {
        let response = handover::handle(&handover, with_deadline_in(&event("handover"), left))
            .await
            .expect("infallible");
        conforming("post", "/handover", &response)
    })
    .await;
    assert_eq!(
        answer,
        (
            200,
            json!({"handoverStatus": "failed", "reason": "upstream_timeout"})
        )
    );
    assert!(took < bound, "handover took {took:?}");

    // the message, with SES hanging: its budget shrinks too, and an e-mail SES may still take is
    // an unknown outcome
    let intake = intake::App::from_env(&env(&[("TABLE_NAME", table.as_str())]), &sdk)
        .await
        .expect("intake config");
    let stored = intake::handle(
        &intake,
        request(&e2e::event_with_body(
            "intake-name",
            json!({"chatId": "chat-deadline", "email": "jan@example.nl", "question": "q"}),
        )),
    )
    .await
    .expect("infallible");
    assert_eq!(conforming("post", "/intake", &stored).1["stored"], true);
    let message = message::App::from_env(
        &env(&[
            ("TABLE_NAME", table.as_str()),
            ("MESSAGE_FROM", "chat@shop.example"),
            ("MESSAGE_TO", "support@shop.example"),
            ("MESSAGE_BUDGET_MS", "5000"),
        ]),
        &sdk,
    )
    .await
    .expect("config")
    .with_mailer(shared::adapters::ses::Mailer::new(&sdk_at(&base).await));
    let (answer, took) = timed(async {
        let response = message::handle(
            &message,
            with_deadline_in(
                &e2e::event_with_body("message", json!({"chatId": "chat-deadline"})),
                left,
            ),
        )
        .await
        .expect("infallible");
        conforming("post", "/message", &response)
    })
    .await;
    assert_eq!(
        answer,
        (
            200,
            json!({"messageStatus": "failed", "reason": "outcome_unknown"})
        )
    );
    assert!(took < bound, "message took {took:?}");
}
