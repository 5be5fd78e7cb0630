//! `message` through its lambda_http entry point, with the events/ fixtures, DynamoDB Local and
//! the local SES server (aws-ses-v2-local, started by `make test`).

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use e2e::{
    CHAT, closed_port_url, conforming, counting_resetting_server, env, event_with_body,
    fresh_table, items, request, sdk, sdk_at, status_and_json,
};
use message::{App, handle};
use serde_json::{Value, json};
use shared::adapters::ses::Mailer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The e-mails the local SES server received with Reply-To `reply_to` (unique to each test).
async fn received(reply_to: &str) -> Vec<Value> {
    e2e::ses_emails_replying_to(reply_to).await
}

struct Setup {
    app: App,
    sdk: SdkConfig,
    table: String,
}

const FROM: &str = "Shop Chat <chat@shop.example>";
const TO: &str = "support@shop.example";
const BY_WEBSTORE: &str = r#"{"shop-be": "Klantendienst België <klant@shop.be>"}"#;

async fn setup() -> Setup {
    setup_with(&[]).await
}

async fn setup_with(extra: &[(&str, &str)]) -> Setup {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let app = App::from_env(&message_env(&table, extra), &sdk)
        .await
        .expect("valid configuration")
        .with_clock(clock());
    Setup { app, sdk, table }
}

/// The message app's environment on `table`, plus `extra` (a later pair wins).
fn message_env(table: &str, extra: &[(&str, &str)]) -> shared::setup::config::Env {
    let mut pairs = vec![
        ("TABLE_NAME", table),
        ("MESSAGE_FROM", FROM),
        ("MESSAGE_TO", TO),
        ("MESSAGE_TO_BY_WEBSTORE", BY_WEBSTORE),
        ("HANDOVER_TIME_ZONE", "Europe/Amsterdam"),
    ];
    pairs.extend_from_slice(extra);
    env(&pairs)
}

/// A message app on the setup's table whose SES is at `endpoint`, with a 1.5 s budget.
async fn sending_to(s: &Setup, endpoint: &str) -> App {
    App::from_env(
        // the fault tests send to one address many times
        &message_env(
            &s.table,
            &[
                ("MESSAGE_BUDGET_MS", "1500"),
                ("MESSAGE_LIMIT_PER_ADDRESS", "100"),
            ],
        ),
        &s.sdk,
    )
    .await
    .expect("valid configuration")
    .with_clock(clock())
    .with_mailer(Mailer::new(&sdk_at(endpoint).await))
}

/// 2026-11-24T14:05:00Z, 15:05 in Amsterdam: the time of every app these tests build.
const ASKED_AT: u64 = 1_795_529_100;

fn clock() -> Arc<shared::rules::clock::FixedClock> {
    Arc::new(shared::rules::clock::FixedClock(ASKED_AT))
}

async fn store_intake(s: &Setup, chat: &str, fields: Value) {
    e2e::store_intake(&s.sdk, &s.table, chat, fields, clock()).await;
}

async fn call(app: &App, body: Value) -> (u16, Value) {
    let response = handle(app, request(&event_with_body("message", body)))
        .await
        .expect("infallible");
    conforming("post", "/message", &response)
}

#[tokio::test]
async fn one_e_mail_reaches_the_web_stores_mailbox_with_everything_and_a_reply_to() {
    let s = setup().await;
    let local = e2e::unique("zoe.msg1");
    let reply_to = format!("{local}@bücher.example");
    let reply_to_ascii = format!("{local}@xn--bcher-kva.example");
    store_intake(
        &s,
        CHAT,
        json!({"name": "Zoe\u{0308} Janssen", "email": reply_to, "phone": "+32 470 12 34 56",
               "question": "Waar blijft mijn bestelling?"}),
    )
    .await;
    // the longest message there may be: 2,000 characters
    let mut message: String = "Bel me morgen terug, graag. "
        .repeat(72)
        .chars()
        .take(1_999)
        .collect();
    message.push('!');
    let message = message.as_str();
    assert_eq!(message.chars().count(), 2_000);
    assert_eq!(
        call(
            &s.app,
            json!({"chatId": CHAT, "webstore": "shop-be", "message": message})
        )
        .await,
        (200, json!({"messageStatus": "sent"}))
    );
    let got = received(&reply_to_ascii).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let email = &got[0];
    assert_eq!(email["from"], json!("\"Shop Chat\" <chat@shop.example>"));
    assert_eq!(
        email["destination"]["to"],
        json!(["=?UTF-8?B?S2xhbnRlbmRpZW5zdCBCZWxnacOr?= <klant@shop.be>"])
    );
    // NFC: the stored name is composed, and arrives so
    assert_eq!(
        email["subject"],
        json!("Chat message from \"Zoë Janssen\" via \"shop-be\"")
    );
    let body = email["body"]["text"].as_str().expect("a text body");
    assert!(
        body.starts_with(&format!("The customer wrote:\n\n> {message}\n\n-- \n")),
        "{body}"
    );
    for line in [
        "name: Zoë Janssen\n",
        &format!("email: {reply_to}\n"),
        "phone: +32 470 12 34 56\n",
        "question: Waar blijft mijn bestelling?\n",
        "webstore: shop-be\n",
        "chat: chat-4f2a9c1e-demo\n",
        "time: 2026-11-24 15:05 CET\n",
    ] {
        assert!(body.contains(line), "{line:?} not in {body}");
    }
    // the mailbox holds it now: the intake is erased, the record keeps no customer text (the
    // day's counts aside)
    let records: Vec<_> = items(&s.sdk, &s.table)
        .await
        .into_iter()
        .filter(|item| !item["pk"].as_s().is_ok_and(|pk| pk.starts_with("limit#")))
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0]["pk"].as_s().ok().map(String::as_str),
        Some("message#chat-4f2a9c1e-demo")
    );
    // a repeat answers from the record and sends nothing
    assert_eq!(
        call(&s.app, json!({"chatId": CHAT, "message": "again"})).await,
        (
            200,
            json!({"messageStatus": "sent", "reason": "already_sent"})
        )
    );
    assert_eq!(received(&reply_to_ascii).await.len(), 1);
}

#[tokio::test]
async fn without_a_web_store_or_a_name_the_default_mailbox_gets_the_stored_question() {
    let s = setup().await;
    let reply_to = &format!("{}@example.nl", e2e::unique("msg2"));
    store_intake(
        &s,
        CHAT,
        json!({"email": reply_to, "question": "Is the shop open on Sunday?"}),
    )
    .await;
    assert_eq!(
        call(&s.app, json!({"chatId": CHAT, "webstore": "shop-unknown"})).await,
        (200, json!({"messageStatus": "sent"}))
    );
    let got = received(reply_to).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["destination"]["to"], json!([TO]));
    assert_eq!(
        got[0]["subject"],
        json!("Chat message from a customer via \"shop-unknown\"")
    );
    let body = got[0]["body"]["text"].as_str().expect("a text body");
    assert!(
        body.starts_with("The customer wrote:\n\n> Is the shop open on Sunday?\n\n-- \n"),
        "{body}"
    );
    assert!(
        !body.contains("name:") && !body.contains("phone:"),
        "{body}"
    );
}

#[tokio::test]
async fn a_message_over_several_lines_arrives_with_its_paragraphs() {
    let s = setup().await;
    let reply_to = &format!("{}@example.nl", e2e::unique("msg-lines"));
    store_intake(
        &s,
        "chat-lines",
        json!({"name": "Lieke", "email": reply_to}),
    )
    .await;
    let typed = "Hallo,\r\n\r\n\r\nmijn pakket   is beschadigd.\r\nGraag een nieuw.  \r\n";
    assert_eq!(
        call(&s.app, json!({"chatId": "chat-lines", "message": typed})).await,
        (200, json!({"messageStatus": "sent"}))
    );
    let got = received(reply_to).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0]["subject"],
        json!("Chat message from \"Lieke\""),
        "the subject stays one line"
    );
    let body = got[0]["body"]["text"].as_str().expect("a text body");
    assert!(
        body.starts_with(
            "The customer wrote:\n\n> Hallo,\n> \n> mijn pakket is beschadigd.\n> Graag een nieuw.\n\n\
             -- \nCustomer \"Lieke\""
        ),
        "{body}"
    );
}

#[tokio::test]
async fn without_an_address_or_a_text_nothing_is_sent_and_a_later_call_may_send() {
    let s = setup().await;
    store_intake(&s, "chat-msg3", json!({"name": "Ann"})).await;
    assert_eq!(
        call(&s.app, json!({"chatId": "chat-msg3", "message": "hello"})).await,
        (
            200,
            json!({"messageStatus": "failed", "reason": "missing_email"})
        )
    );
    let address = format!("{}@example.nl", e2e::unique("msg3"));
    store_intake(&s, "chat-msg3", json!({"email": address})).await;
    assert_eq!(
        call(&s.app, json!({"chatId": "chat-msg3"})).await,
        (
            200,
            json!({"messageStatus": "failed", "reason": "missing_message"})
        )
    );
    assert_eq!(received(&address).await.len(), 0);
    // the claims were released: with a text, it is sent
    assert_eq!(
        call(&s.app, json!({"chatId": "chat-msg3", "message": "hello"})).await,
        (200, json!({"messageStatus": "sent"}))
    );
    assert_eq!(received(&address).await.len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_with_nothing_written_or_sent() {
    let s = setup().await;
    for body in [
        json!({"message": "no chat"}),
        json!({"chatId": CHAT, "message": "x", "extra": 1}),
        json!({"chatId": CHAT, "message": "m".repeat(2001)}),
        json!({"chatId": CHAT, "message": "bell\u{0007}"}),
        json!({"chatId": CHAT, "webstore": ".."}),
    ] {
        let (status, answer) = call(&s.app, body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["error"], "bad_request", "{body} -> {answer}");
    }
    assert!(items(&s.sdk, &s.table).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_calls_for_one_chat_send_exactly_one_e_mail() {
    let s = setup().await;
    let reply_to = &format!("{}@example.nl", e2e::unique("msg5"));
    store_intake(&s, "chat-msg5", json!({"email": reply_to, "question": "q"})).await;
    let app = Arc::new(s.app);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let app = Arc::clone(&app);
            tokio::spawn(async move { call(&app, json!({"chatId": "chat-msg5"})).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    let sent = answers
        .iter()
        .filter(|(_, a)| *a == json!({"messageStatus": "sent"}))
        .count();
    assert_eq!(sent, 1, "{answers:?}");
    for (status, answer) in &answers {
        assert_eq!(*status, 200);
        assert!(
            [
                json!({"messageStatus": "sent"}),
                json!({"messageStatus": "sent", "reason": "already_sent"}),
                json!({"messageStatus": "pending", "reason": "message_in_progress"}),
            ]
            .contains(answer),
            "{answer}"
        );
    }
    assert_eq!(received(reply_to).await.len(), 1);
}

#[tokio::test]
async fn no_name_address_phone_message_chat_or_token_reaches_the_logs_at_trace() {
    const NAME: &str = "Sentinelname Qwertzuiop";
    const PHONE: &str = "+31 6 1357 9246";
    const CHAT_ID: &str = "chat-Sentinelchatid-6";
    const CHAT_NO_EMAIL: &str = "chat-Sentinelchatid-6-no-email";
    const QUESTION: &str = "Sentinelquestion about a parcel";
    const MESSAGE: &str = "Sentinelmessage please call back";
    let (captured, _guard) = e2e::CapturedLogs::at_trace();
    let email = &format!("{}@example.org", e2e::unique("sentinel.replyto"));
    let s = setup().await;
    store_intake(
        &s,
        CHAT_ID,
        json!({"name": NAME, "email": email, "phone": PHONE, "question": QUESTION}),
    )
    .await;
    store_intake(&s, CHAT_NO_EMAIL, json!({"name": NAME})).await;
    let sent = call(&s.app, json!({"chatId": CHAT_ID, "message": MESSAGE})).await;
    assert_eq!(sent, (200, json!({"messageStatus": "sent"})));
    let again = call(&s.app, json!({"chatId": CHAT_ID})).await;
    assert_eq!(again.1["reason"], "already_sent");
    let missing = call(&s.app, json!({"chatId": CHAT_NO_EMAIL, "message": MESSAGE})).await;
    assert_eq!(missing.1["reason"], "missing_email");
    let refused = call(
        &s.app,
        json!({"chatId": CHAT_ID, "message": MESSAGE, "x": email}),
    )
    .await;
    assert_eq!(refused.0, 400);
    assert_eq!(received(email).await.len(), 1);
    // and the failure paths: SES refusing, failing, hanging past the budget and resetting
    let ses = MockServer::start().await;
    for (n, answer) in [
        ses_error(400),
        ses_error(500),
        ses_accepted().set_delay(Duration::from_secs(10)),
    ]
    .into_iter()
    .enumerate()
    {
        ses.reset().await;
        Mock::given(method("POST"))
            .respond_with(answer)
            .mount(&ses)
            .await;
        let chat = format!("{CHAT_ID}-fault-{n}");
        store_intake(
            &s,
            &chat,
            json!({"name": NAME, "email": email, "phone": PHONE, "question": QUESTION}),
        )
        .await;
        let app = sending_to(&s, &ses.uri()).await;
        let failed = call(&app, json!({"chatId": chat, "message": MESSAGE})).await;
        assert_eq!(failed.1["messageStatus"], "failed", "{failed:?}");
    }
    let (reset, _) = counting_resetting_server().await;
    let chat = format!("{CHAT_ID}-reset");
    store_intake(&s, &chat, json!({"email": email, "phone": PHONE})).await;
    let failed = call(
        &sending_to(&s, &reset).await,
        json!({"chatId": chat, "message": MESSAGE}),
    )
    .await;
    assert_eq!(failed.1["reason"], "outcome_unknown");

    let logs = captured.text();
    assert!(logs.contains("message answered"), "{logs}");
    assert!(
        logs.contains("e-mail accepted by the mail service"),
        "{logs}"
    );
    assert!(
        logs.contains("outcome unknown"),
        "the failure paths were logged: {logs}"
    );
    for sentinel in [
        NAME,
        "Sentinelname",
        PHONE,
        "1357 9246",
        "Sentinelchatid",
        e2e::TOKEN,
        email,
        "sentinel.replyto",
        QUESTION,
        "Sentinelquestion",
        MESSAGE,
        "Sentinelmessage",
    ] {
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(sentinel)).collect();
        assert!(
            leaks.is_empty(),
            "{sentinel:?} is in the logs:\n{}",
            leaks.join("\n")
        );
    }
}

/// SES's error answer, as its v2 API gives it: the error's type in `x-amzn-ErrorType` and a JSON
/// body with a `message` (never a message id).
fn ses_error(status: u16) -> ResponseTemplate {
    let kind = match status {
        400 => "BadRequestException",
        403 => "AccessDeniedException",
        429 => "TooManyRequestsException",
        _ => "InternalFailure",
    };
    ResponseTemplate::new(status)
        .insert_header("x-amzn-ErrorType", kind)
        .set_body_json(json!({"message": "fault of the test"}))
}

/// SES's success: the id of the e-mail it took.
fn ses_accepted() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"MessageId": "m-accepted"}))
}

/// The subject and text of each e-mail `ses` was asked to send (SES v2's SendEmail body).
async fn asked_to_send(ses: &MockServer) -> Vec<(String, String)> {
    let requests = ses.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("a JSON SendEmail body");
            let simple = &body["Content"]["Simple"];
            (
                simple["Subject"]["Data"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                simple["Body"]["Text"]["Data"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

/// What a dialog sees when SES fails, within the budget, and what an immediate retry does: after
/// a refusal SES certainly did not act on (a 4xx) it sends again as the first attempt; after an
/// outcome SES may have acted on (a 5xx, no answer in time) the answer says the outcome is
/// unknown, the retry sends once more, and a third call sends nothing.
#[tokio::test]
async fn every_fault_at_the_mail_service_is_a_status_within_the_budget() {
    const BUDGET_MS: u64 = 1500;
    let s = setup_with(&[("MESSAGE_BUDGET_MS", "1500")]).await;
    let fault = &format!("{}@example.nl", e2e::unique("fault"));
    for (n, (status, delay, reason)) in [
        (400, 0, "upstream_rejected"),
        (403, 0, "upstream_rejected"),
        (429, 0, "upstream_rejected"),
        (500, 0, "outcome_unknown"),
        (503, 0, "outcome_unknown"),
        (200, 10_000, "outcome_unknown"),
    ]
    .into_iter()
    .enumerate()
    {
        let ses = MockServer::start().await;
        let answer = if status == 200 {
            ses_accepted()
        } else {
            ses_error(status)
        };
        Mock::given(method("POST"))
            .and(path("/v2/email/outbound-emails"))
            .respond_with(answer.set_delay(Duration::from_millis(delay)))
            .mount(&ses)
            .await;
        let chat = format!("chat-fault-{n}");
        store_intake(&s, &chat, json!({"email": fault, "question": "q"})).await;
        let app = sending_to(&s, &ses.uri()).await;
        let failed = (200, json!({"messageStatus": "failed", "reason": reason}));
        let started = std::time::Instant::now();
        let answer = call(&app, json!({"chatId": chat})).await;
        let took = started.elapsed();
        assert_eq!(answer, failed, "SES {status} after {delay} ms");
        // cut at the budget, not after SES's 10 s
        assert!(
            took < Duration::from_millis(BUDGET_MS) + e2e::SCHEDULING_MARGIN,
            "SES {status}: {took:?}"
        );
        // the retry sends again at once, whatever the first attempt's outcome
        assert_eq!(
            call(&app, json!({"chatId": chat})).await,
            failed,
            "SES {status}"
        );
        let sent = asked_to_send(&ses).await;
        assert_eq!(sent.len(), 2, "SES {status}: the retry sent again");
        let third = call(&app, json!({"chatId": chat})).await;
        let sent = asked_to_send(&ses).await;
        if reason == "outcome_unknown" {
            // two attempts that may both have arrived: never a third, and the second says so
            assert_eq!(third, failed, "SES {status}");
            assert_eq!(sent.len(), 2, "SES {status}: no third e-mail");
            assert!(!sent[0].0.starts_with("Possible repeat"), "{:?}", sent[0]);
            assert!(sent[1].0.starts_with("Possible repeat: "), "{:?}", sent[1]);
        } else {
            // refusals: each retry is a first attempt
            assert_eq!(third, failed, "SES {status}");
            assert_eq!(sent.len(), 3, "SES {status}");
            assert!(
                sent.iter()
                    .all(|(subject, _)| !subject.starts_with("Possible"))
            );
        }
    }

    // a reset after the request arrived: SES may have taken it, so the outcome is unknown and
    // the retry tries once more
    let (reset, connections) = counting_resetting_server().await;
    store_intake(
        &s,
        "chat-fault-reset",
        json!({"email": fault, "question": "q"}),
    )
    .await;
    let reset_app = sending_to(&s, &reset).await;
    let unknown = (
        200,
        json!({"messageStatus": "failed", "reason": "outcome_unknown"}),
    );
    for _ in 0..3 {
        assert_eq!(
            call(&reset_app, json!({"chatId": "chat-fault-reset"})).await,
            unknown
        );
    }
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);

    // nothing listening: SES never saw it, the claim is released and a retry tries again
    store_intake(
        &s,
        "chat-fault-closed",
        json!({"email": fault, "question": "q"}),
    )
    .await;
    let closed_app = sending_to(&s, &closed_port_url()).await;
    let unreachable = (
        200,
        json!({"messageStatus": "failed", "reason": "upstream_unreachable"}),
    );
    let started = std::time::Instant::now();
    assert_eq!(
        call(&closed_app, json!({"chatId": "chat-fault-closed"})).await,
        unreachable
    );
    assert!(started.elapsed() < Duration::from_millis(BUDGET_MS) + e2e::SCHEDULING_MARGIN);
    assert_eq!(
        call(&closed_app, json!({"chatId": "chat-fault-closed"})).await,
        unreachable
    );
    assert_eq!(received(fault).await.len(), 0);
}

/// SES answers 500 (it may or may not have taken the e-mail), then is healthy again: the dialog
/// is told `failed`, its retry is `sent` with the one e-mail marked as a possible repeat, and any
/// later call replays `sent` without an e-mail.
#[tokio::test]
async fn after_an_unknown_outcome_the_retry_sends_once_more_marked_as_a_possible_repeat() {
    let s = setup().await;
    let ses = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/email/outbound-emails"))
        .respond_with(ses_error(500))
        .up_to_n_times(1)
        .mount(&ses)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/email/outbound-emails"))
        .respond_with(ses_accepted())
        .mount(&ses)
        .await;
    let reply_to = &format!("{}@example.nl", e2e::unique("repeat"));
    store_intake(
        &s,
        "chat-repeat",
        json!({"name": "Jan", "email": reply_to, "question": "Where is my parcel?"}),
    )
    .await;
    let app = sending_to(&s, &ses.uri()).await;
    assert_eq!(
        call(&app, json!({"chatId": "chat-repeat"})).await,
        (
            200,
            json!({"messageStatus": "failed", "reason": "outcome_unknown"})
        )
    );
    assert_eq!(
        call(&app, json!({"chatId": "chat-repeat"})).await,
        (200, json!({"messageStatus": "sent"}))
    );
    for _ in 0..2 {
        assert_eq!(
            call(&app, json!({"chatId": "chat-repeat"})).await,
            (
                200,
                json!({"messageStatus": "sent", "reason": "already_sent"})
            )
        );
    }
    let sent = asked_to_send(&ses).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0].0, "Chat message from \"Jan\"");
    assert_eq!(sent[1].0, "Possible repeat: Chat message from \"Jan\"");
    assert!(
        sent[1].1.starts_with(
            "This may repeat an earlier e-mail about this chat: the mail service did not \
             confirm that one.\n\nThe customer wrote:\n\n> Where is my parcel?\n"
        ),
        "{}",
        sent[1].1
    );
}

/// One inbox is one address for its limit, however it is written (`+tag`, case, Gmail's dots);
/// one domain has its own day's limit beside it, so that no one sender can spend the day's
/// e-mails for every customer; the answer says which limit was reached.
#[tokio::test]
async fn one_inbox_and_one_domain_cannot_spend_the_days_e_mails() {
    let s = setup_with(&[
        ("MESSAGE_LIMIT_PER_ADDRESS", "2"),
        ("MESSAGE_LIMIT_PER_DOMAIN", "3"),
        ("MESSAGE_LIMIT_PER_DAY", "100"),
    ])
    .await;
    let base = e2e::unique("victim");
    let domain = format!("{}.example", e2e::unique("catchall"));
    let spellings = [
        format!("{base}@{domain}"),
        format!("{base}+a@{domain}"),
        format!("{}+b@{}", base.to_uppercase(), domain.to_uppercase()),
        format!("{base}+c+d@{domain}"),
    ];
    let mut answers = Vec::new();
    for (i, address) in spellings.iter().enumerate() {
        let chat = format!("chat-tag-{i}");
        store_intake(&s, &chat, json!({"email": address, "question": "q"})).await;
        answers.push(call(&s.app, json!({"chatId": chat})).await.1);
    }
    let limited =
        |limit: &str| json!({"messageStatus": "failed", "reason": "limit_reached", "limit": limit});
    assert_eq!(
        answers,
        [
            json!({"messageStatus": "sent"}),
            json!({"messageStatus": "sent"}),
            limited("address"),
            limited("address"),
        ]
    );
    // the domain: two sent above, one more address in it, then its limit
    for (i, expected) in [json!({"messageStatus": "sent"}), limited("domain")]
        .into_iter()
        .enumerate()
    {
        let chat = format!("chat-domain-{i}");
        let address = format!("other-{i}@{domain}");
        store_intake(&s, &chat, json!({"email": address, "question": "q"})).await;
        assert_eq!(
            call(&s.app, json!({"chatId": chat})).await.1,
            expected,
            "{i}"
        );
    }
    // while another domain is still sent
    let elsewhere = format!("{}@example.org", e2e::unique("fine"));
    store_intake(
        &s,
        "chat-elsewhere",
        json!({"email": elsewhere, "question": "q"}),
    )
    .await;
    assert_eq!(
        call(&s.app, json!({"chatId": "chat-elsewhere"})).await.1,
        json!({"messageStatus": "sent"})
    );
    assert_eq!(received(&elsewhere).await.len(), 1);
}

/// A Reply-To in the domain of any of our mailboxes (every web store's too, not only the one the
/// message goes to) is refused: two helpdesks would answer each other.
#[tokio::test]
async fn a_reply_to_at_any_of_our_mailboxes_domains_is_refused() {
    let s = setup().await;
    // the message goes to the default mailbox (no web store); the address is at shop-be's
    let address = format!("{}@shop.be", e2e::unique("helpdesk"));
    store_intake(
        &s,
        "chat-other-desk",
        json!({"email": address, "question": "q"}),
    )
    .await;
    assert_eq!(
        call(&s.app, json!({"chatId": "chat-other-desk"})).await,
        (
            200,
            json!({"messageStatus": "failed", "reason": "email_refused"})
        )
    );
    assert!(received(&address).await.is_empty());
}

/// The offline branch is no relay: one reply address gets at most `MESSAGE_LIMIT_PER_ADDRESS`
/// e-mails a day and the deployment `MESSAGE_LIMIT_PER_DAY`, counted in the table (so across
/// execution environments); over a limit nothing is sent and the claim is released.
#[tokio::test]
async fn the_days_e_mails_are_limited_per_reply_address_and_in_all() {
    let s = setup_with(&[
        ("MESSAGE_LIMIT_PER_ADDRESS", "2"),
        ("MESSAGE_LIMIT_PER_DAY", "4"),
    ])
    .await;
    // a second app on the same table: another execution environment
    let other = App::from_env(
        &message_env(
            &s.table,
            &[
                ("MESSAGE_LIMIT_PER_ADDRESS", "2"),
                ("MESSAGE_LIMIT_PER_DAY", "4"),
            ],
        ),
        &s.sdk,
    )
    .await
    .expect("valid configuration")
    .with_clock(clock());
    let victim = &format!("{}@example.nl", e2e::unique("victim"));
    let limited = |limit: &str| {
        (
            200,
            json!({"messageStatus": "failed", "reason": "limit_reached", "limit": limit}),
        )
    };
    for (i, app) in [&s.app, &other, &s.app].into_iter().enumerate() {
        let chat = format!("chat-relay-{i}");
        store_intake(&s, &chat, json!({"email": victim, "question": "q"})).await;
        let expected = if i < 2 {
            (200, json!({"messageStatus": "sent"}))
        } else {
            limited("address")
        };
        assert_eq!(call(app, json!({"chatId": chat})).await, expected, "{i}");
    }
    assert_eq!(received(victim).await.len(), 2);
    // the refused chat's claim was released: nothing of it is kept but its intake
    let chat_2_claim = items(&s.sdk, &s.table)
        .await
        .into_iter()
        .filter(|item| {
            item.get("pk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("message#chat-relay-2")
        })
        .count();
    assert_eq!(chat_2_claim, 0);
    // another address is still sent, until the day's limit (4: two sent above, two more here)
    for i in 0..3 {
        let address = format!("{}-{i}@example.nl", e2e::unique("other"));
        let chat = format!("chat-day-{i}");
        store_intake(&s, &chat, json!({"email": address, "question": "q"})).await;
        let expected = if i < 2 {
            (200, json!({"messageStatus": "sent"}))
        } else {
            limited("day")
        };
        assert_eq!(call(&other, json!({"chatId": chat})).await, expected, "{i}");
        assert_eq!(received(&address).await.len(), usize::from(i < 2), "{i}");
    }
    // the counts hold no address: only a digest; the day's count is one item, at 4
    let mut day_counts = Vec::new();
    for item in items(&s.sdk, &s.table).await {
        let key = item
            .get("pk")
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default();
        assert!(!key.contains("example.nl"), "{key}");
        if let Some(day) = key.strip_prefix("limit#day#") {
            day_counts.push((day.to_owned(), item["sent"].as_n().ok().cloned()));
        }
    }
    assert_eq!(
        day_counts,
        [((ASKED_AT / 86_400).to_string(), Some("4".to_owned()))]
    );
}

/// A reply address in the domain of our sender or of the support mailbox would make staff reply
/// to ourselves, or let a caller have an e-mail sent in our name: refused, nothing sent.
#[tokio::test]
async fn a_reply_address_in_our_own_domain_is_refused() {
    let s = setup().await;
    for (i, address) in [
        "support@shop.example",
        "ceo@Shop.Example",
        "x@mail.shop.example",
        "klant@shop.be",
    ]
    .into_iter()
    .enumerate()
    {
        let chat = format!("chat-ours-{i}");
        store_intake(&s, &chat, json!({"email": address, "question": "q"})).await;
        assert_eq!(
            call(&s.app, json!({"chatId": chat, "webstore": "shop-be"})).await,
            (
                200,
                json!({"messageStatus": "failed", "reason": "email_refused"})
            ),
            "{address}"
        );
        assert_eq!(
            received(&address.to_lowercase()).await.len(),
            0,
            "{address}"
        );
    }
    // a look-alike domain is someone else's
    let near = &format!("{}@shop.example.nl", e2e::unique("near"));
    store_intake(&s, "chat-near", json!({"email": near, "question": "q"})).await;
    assert_eq!(
        call(&s.app, json!({"chatId": "chat-near"})).await,
        (200, json!({"messageStatus": "sent"}))
    );
}

/// What a mapping would turn into another host, or an encoded word, is refused at intake, so no
/// such address is ever stored as complete.
#[tokio::test]
async fn addresses_that_map_to_something_else_are_refused_at_intake() {
    let s = setup().await;
    let intake = intake::App::from_env(&env(&[("TABLE_NAME", s.table.as_str())]), &s.sdk)
        .await
        .expect("intake config")
        .with_clock(clock());
    for address in [
        "eve@b\u{2474}.example",
        "eve@x\u{1F101}victim.example",
        "eve@xn--zz.example",
        "=?utf-8?q?cfo?=@shop.example",
    ] {
        let response = intake::handle(
            &intake,
            request(&event_with_body(
                "intake-name",
                json!({"chatId": "chat-idna", "email": address}),
            )),
        )
        .await
        .expect("infallible");
        let (status, body) = status_and_json(&response);
        assert_eq!(status, 200, "{address}: {body}");
        assert_eq!(body["stored"], false, "{address}: {body}");
        assert_eq!(body["invalid"], json!(["email"]), "{address}: {body}");
    }
    // a compatibility form is stored as the address it is sent to
    store_intake(
        &s,
        "chat-circled",
        json!({"email": "eve@\u{24E2}\u{24D7}\u{24DE}\u{24DF}.example", "question": "q"}),
    )
    .await;
    let stored = items(&s.sdk, &s.table)
        .await
        .into_iter()
        .find(|item| {
            item.get("pk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("intake#chat-circled")
        })
        .expect("the intake");
    assert_eq!(
        stored["email"].as_s().map(String::as_str),
        Ok("eve@shop.example")
    );
}

/// A request without the callout token is refused before any I/O: neither the table nor the
/// mail service sees a connection (both are servers that count them here).
#[tokio::test]
async fn a_wrong_token_is_refused_before_the_table_or_the_mail_service_is_touched() {
    let (silent, connections) = e2e::silent_server().await;
    let app = App::from_env(
        &e2e::env(&[
            ("TABLE_NAME", "any-table"),
            ("MESSAGE_FROM", FROM),
            ("MESSAGE_TO", TO),
        ]),
        &sdk_at(&silent).await,
    )
    .await
    .expect("valid configuration");
    for token in [None, Some("not-the-callout-token-0000")] {
        let event = e2e::with_header(
            event_with_body("message", json!({"chatId": CHAT})),
            "x-callout-token",
            token,
        );
        let response = handle(&app, request(&event)).await.expect("infallible");
        assert_eq!(
            conforming("post", "/message", &response).0,
            401,
            "{token:?}"
        );
    }
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0);
}
