//! The SES v2 adapter against the local SES server (aws-ses-v2-local, started by `make test`),
//! and against every fault a test server can play at the SES endpoint.

use std::time::{Duration, Instant};

use e2e::{closed_port_url, counting_resetting_server, sdk, sdk_at};
use serde_json::{Value, json};
use shared::adapters::ses::{Envelope, Mailer};
use shared::rules::mail::{Mail, Mailbox, header_address};
use shared::rules::upstream::UpstreamError;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The e-mails the local SES server received whose subject holds `marker`.
async fn received(marker: &str) -> Vec<Value> {
    e2e::ses_emails()
        .await
        .into_iter()
        .filter(|e| e["subject"].as_str().is_some_and(|s| s.contains(marker)))
        .collect()
}

fn mailbox(raw: &str) -> Mailbox {
    Mailbox::parse(raw).expect("a mailbox")
}

#[tokio::test]
async fn the_local_ses_server_receives_exactly_what_was_sent() {
    let marker = e2e::unique("ses-adapter-1");
    let from = mailbox("Chat Bot <bot@shop.example>");
    let to = mailbox("Klantenservice Café <support@shop.example>");
    let reply_to = header_address("Zoe@Bücher.example").expect("an address");
    assert_eq!(reply_to, "Zoe@xn--bcher-kva.example");
    let mail = Mail {
        subject: format!("{marker} Chat message from \"Zoë Janssen\""),
        body: format!(
            "{}\n\nname: Zoë Janssen\n",
            "Waar blijft mijn bestelling? ".repeat(60)
        ),
    };
    let id = Mailer::new(&sdk().await)
        .send(
            &Envelope {
                from: &from,
                to: &to,
                reply_to: &reply_to,
            },
            &mail,
            Duration::from_secs(5),
        )
        .await
        .expect("the local SES server takes it");
    assert!(!id.is_empty());
    let got = received(&marker).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let email = &got[0];
    assert_eq!(email["messageId"], json!(id));
    assert_eq!(email["from"], json!("\"Chat Bot\" <bot@shop.example>"));
    assert_eq!(
        email["destination"],
        json!({"to": ["=?UTF-8?B?S2xhbnRlbnNlcnZpY2UgQ2Fmw6k=?= <support@shop.example>"], "cc": [], "bcc": []})
    );
    assert_eq!(email["replyTo"], json!([reply_to]));
    assert_eq!(email["subject"], json!(mail.subject));
    assert_eq!(email["body"]["text"], json!(mail.body));
    assert!(
        email["body"].get("html").is_none_or(Value::is_null),
        "{email}"
    );
}

const BUDGET: Duration = Duration::from_millis(800);
/// The most any faulty case may take: the budget plus the scheduling margin of a shared machine.
const BOUND: Duration = BUDGET.saturating_add(e2e::SCHEDULING_MARGIN);

async fn send_to(endpoint: &str) -> (Result<String, UpstreamError>, Duration) {
    let from = mailbox("bot@shop.example");
    let to = mailbox("support@shop.example");
    let mail = Mail {
        subject: "fault".into(),
        body: "body".into(),
    };
    let mailer = Mailer::new(&sdk_at(endpoint).await);
    let started = Instant::now();
    let sent = mailer
        .send(
            &Envelope {
                from: &from,
                to: &to,
                reply_to: "customer@example.org",
            },
            &mail,
            BUDGET,
        )
        .await;
    (sent, started.elapsed())
}

#[tokio::test]
async fn every_fault_at_the_ses_endpoint_is_named_within_the_budget_and_tried_once() {
    let error = |status: u16, kind: &str| {
        ResponseTemplate::new(status)
            .insert_header("x-amzn-ErrorType", kind)
            .set_body_json(json!({"message": "refused for a@example.org"}))
    };
    let cases: Vec<(&str, ResponseTemplate, UpstreamError)> = vec![
        (
            "400",
            error(400, "BadRequestException"),
            UpstreamError::Status(400),
        ),
        (
            "403",
            error(403, "AccessDeniedException"),
            UpstreamError::Status(403),
        ),
        (
            "429",
            error(429, "TooManyRequestsException"),
            UpstreamError::Status(429),
        ),
        (
            "500",
            ResponseTemplate::new(500).set_body_string("<html>oops</html>"),
            UpstreamError::Status(500),
        ),
        (
            "503",
            error(503, "ServiceUnavailable"),
            UpstreamError::Status(503),
        ),
        (
            "hang",
            ResponseTemplate::new(200)
                .set_body_json(json!({"MessageId": "late"}))
                .set_delay(Duration::from_secs(30)),
            UpstreamError::Timeout,
        ),
        (
            "html",
            ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
            UpstreamError::UnrecognisedAnswer {
                status: 200,
                length: 24,
                prefix: "<html>maintenanc".into(),
            },
        ),
    ];
    for (name, response, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v2/email/outbound-emails"))
            .respond_with(response)
            // one attempt: a second could send the e-mail twice
            .expect(1)
            .mount(&server)
            .await;
        let (sent, took) = send_to(&server.uri()).await;
        assert_eq!(sent, Err(expected.clone()), "{name}");
        assert!(took <= BOUND, "{name}: {took:?}");
        server.verify().await;
        // the claim's rule: only a refusal lets a retry send at once
        let refused = matches!(name, "400" | "403" | "429");
        assert_eq!(!expected.may_have_acted(), refused, "{name}");
    }

    let (reset_url, connections) = counting_resetting_server().await;
    let (sent, took) = send_to(&reset_url).await;
    assert_eq!(sent, Err(UpstreamError::Unreachable));
    assert!(took <= BOUND, "reset: {took:?}");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);

    let (sent, took) = send_to(&closed_port_url()).await;
    assert_eq!(sent, Err(UpstreamError::NotConnected));
    assert!(took <= BOUND, "closed port: {took:?}");
}
