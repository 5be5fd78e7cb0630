//! A DynamoDB that answers late: the claim's write takes effect, its answer comes after the SDK's
//! 0.8 s attempt timeout, and the SDK sends it again. The retry runs into the claim this very
//! invocation wrote, which must read as ours: the handover is made and the message sent, once.
//!
//! The late answers come from a TCP proxy in front of DynamoDB Local that passes every byte
//! through and holds the answer to the first `PutItem` (the claim) for 1.2 s.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use e2e::{conforming, env, event, fresh_table, request, sdk, sdk_at};
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Longer than the SDK's attempt timeout (0.8 s), shorter than its operation timeout (2 s).
const HOLD: Duration = Duration::from_millis(1200);

/// A relay to DynamoDB Local that holds the answer to the first `PutItem` (the claim); its URL
/// and how many `PutItem` requests went through it.
async fn late_first_put() -> (String, Arc<AtomicUsize>) {
    let dynamodb = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("DynamoDB Local's URL (make test sets it)");
    e2e::late_relay(&dynamodb, b"DynamoDB_20120810.PutItem", HOLD).await
}

#[tokio::test]
async fn a_claim_answered_late_still_hands_the_chat_over_once() {
    let table = fresh_table(&sdk().await).await;
    let cm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex("/routing/mutationrequests$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&cm)
        .await;
    let (proxy, puts) = late_first_put().await;
    let app = handover::App::from_env(
        &e2e::handover_env(&table, &cm.uri(), &[]),
        &sdk_at(&proxy).await,
    )
    .await
    .expect("valid configuration");
    let response = handover::handle(&app, request(&event("handover")))
        .await
        .expect("infallible");
    assert_eq!(
        conforming("post", "/handover", &response),
        (200, json!({"handoverStatus": "success"}))
    );
    // the proxy did its part: the claim was written twice (the SDK's retry after the late answer)
    assert_eq!(puts.load(Ordering::SeqCst), 2);
    assert_eq!(cm.received_requests().await.map_or(0, |r| r.len()), 1);
    // and a repeat is answered from the record, without a second routing request
    let again = handover::handle(&app, request(&event("handover")))
        .await
        .expect("infallible");
    assert_eq!(
        conforming("post", "/handover", &again),
        (
            200,
            json!({"handoverStatus": "success", "reason": "already_handed_over"})
        )
    );
    assert_eq!(cm.received_requests().await.map_or(0, |r| r.len()), 1);
}

#[tokio::test]
async fn a_claim_answered_late_still_sends_the_message_once() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let reply_to = format!("{}@example.nl", e2e::unique("late-claim"));
    e2e::store_intake(
        &sdk,
        &table,
        "chat-late",
        json!({"email": reply_to, "question": "Where is my parcel?"}),
        Arc::new(shared::rules::clock::SystemClock),
    )
    .await;
    let (proxy, puts) = late_first_put().await;
    let app = message::App::from_env(
        &env(&[
            ("TABLE_NAME", table.as_str()),
            ("MESSAGE_FROM", "chat@shop.example"),
            ("MESSAGE_TO", "support@shop.example"),
        ]),
        &sdk_at(&proxy).await,
    )
    .await
    .expect("valid configuration")
    // the e-mail to the local SES server, as every message test sends it
    .with_mailer(shared::adapters::ses::Mailer::new(&sdk));
    let call = || async {
        let response = message::handle(
            &app,
            request(&e2e::event_with_body(
                "message",
                json!({"chatId": "chat-late"}),
            )),
        )
        .await
        .expect("infallible");
        conforming("post", "/message", &response)
    };
    assert_eq!(call().await, (200, json!({"messageStatus": "sent"})));
    assert_eq!(puts.load(Ordering::SeqCst), 2);
    assert_eq!(
        call().await,
        (
            200,
            json!({"messageStatus": "sent", "reason": "already_sent"})
        )
    );
    assert_eq!(e2e::ses_emails_replying_to(&reply_to).await.len(), 1);
}

/// A DynamoDB that takes the connection and never answers: each attempt ends after 0.8 s, the
/// operation after 2 s (`shared::setup::aws::OPERATION_TIMEOUT`), and the dialog hears
/// `store_unavailable`, with nothing sent to CM.com.
#[tokio::test]
async fn a_hanging_dynamodb_is_store_unavailable_within_the_operation_timeout() {
    let (silent, connections) = e2e::silent_server().await;
    let cm = MockServer::start().await;
    let app = handover::App::from_env(
        &e2e::handover_env("any-table", &cm.uri(), &[("WARM_UP_MS", "0")]),
        &sdk_at(&silent).await,
    )
    .await
    .expect("valid configuration");
    let started = std::time::Instant::now();
    let response = handover::handle(&app, request(&event("handover")))
        .await
        .expect("infallible");
    let took = started.elapsed();
    assert_eq!(
        conforming("post", "/handover", &response),
        (
            200,
            json!({"handoverStatus": "failed", "reason": "store_unavailable"})
        )
    );
    // at least one attempt timed out and was tried again (the timer never fires early)
    assert!(connections.load(Ordering::SeqCst) >= 3, "{connections:?}");
    assert!(took >= Duration::from_millis(800), "{took:?}");
    assert!(
        took < shared::setup::aws::OPERATION_TIMEOUT + e2e::SCHEDULING_MARGIN,
        "{took:?}"
    );
    assert_eq!(cm.received_requests().await.map_or(0, |r| r.len()), 0);
}
