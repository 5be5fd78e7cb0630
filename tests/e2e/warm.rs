//! Connection warm-up at start-up: one cheap round trip on each connection the first request
//! uses, bounded, never a reason not to start.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use e2e::{
    closed_port_url, conforming, counting_relay, event, fresh_table, items, request, sdk, sdk_at,
};
use serde_json::json;
use shared::adapters::cm::http_client;
use shared::adapters::cm::json_presence::JsonPresence;
use shared::adapters::cm::routing::RoutingControl;
use shared::adapters::store::Store;
use shared::rules::secret::Secret;
use shared::setup::config::outbound_url;
use shared::setup::refreshing::Refreshing;
use shared::setup::warm::warm_up;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIMIT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn the_store_warm_up_reads_one_absent_key_and_writes_nothing() {
    let sdk = sdk().await;
    let table = fresh_table(&sdk).await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
    assert_eq!(store.warm_up().await.map_err(|e| e.to_string()), Ok(()));
    assert!(warm_up("dynamodb", Duration::from_secs(2), store.warm_up()).await);
    assert_eq!(items(&sdk, &table).await.len(), 0);
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_costs_at_most_the_limit() {
    let sdk = sdk_at(&closed_port_url()).await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), "any");
    let started = Instant::now();
    let warmed = warm_up("dynamodb", LIMIT, store.warm_up()).await;
    let elapsed = started.elapsed();
    assert!(!warmed);
    assert!(elapsed < LIMIT + e2e::SCHEDULING_MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn the_handover_warm_up_opens_both_store_connections_its_first_handover_uses() {
    let direct = sdk().await;
    let table = fresh_table(&direct).await;
    let dynamodb = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").expect("set by make test");
    let (relay, connections) = counting_relay(&dynamodb).await;
    let cm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&cm)
        .await;
    let app = handover::App::from_env(
        &e2e::handover_env(&table, &cm.uri(), &[]),
        &sdk_at(&relay).await,
    )
    .await
    .expect("config");
    app.warm_up().await;
    // the claim and the read of the intake and route run side by side: one connection each
    assert_eq!(connections.load(Ordering::SeqCst), 2);
    let response = handover::handle(&app, request(&event("handover")))
        .await
        .expect("infallible");
    assert_eq!(
        conforming("post", "/handover", &response),
        (200, json!({"handoverStatus": "success"}))
    );
    // so the customer's first handover opens none (on Lambda: no TLS handshake while they wait)
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

fn routing_at(base: &str) -> RoutingControl {
    RoutingControl::new(
        http_client().expect("client"),
        outbound_url("test", base).expect("loopback url"),
        "link-1".into(),
        std::sync::Arc::new(Refreshing::fixed(Secret::new("pt-123".into()))),
    )
}

/// The one request the server saw: (method, path, whether it carried the product token).
async fn only_request(server: &MockServer) -> (String, String, bool) {
    let received = server.received_requests().await.unwrap_or_default();
    assert_eq!(received.len(), 1, "{received:?}");
    let request = &received[0];
    (
        request.method.to_string(),
        request.url.path().to_owned(),
        request.headers.contains_key("x-cm-producttoken"),
    )
}

#[tokio::test]
async fn routing_control_is_warmed_with_a_head_to_the_host_root_without_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let routing = routing_at(&format!("{}/some/prefix", server.uri()));
    // any HTTP answer opens the connection, a 404 included
    assert!(warm_up("routing-control", LIMIT, routing.warm_up()).await);
    assert_eq!(
        only_request(&server).await,
        ("HEAD".into(), "/".into(), false)
    );
}

#[tokio::test]
async fn the_presence_source_is_warmed_at_its_host_root() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(405))
        .mount(&server)
        .await;
    let template = format!("{}/presence/{{webstore}}?detail=1", server.uri());
    let token = Some(std::sync::Arc::new(Refreshing::fixed(Secret::new(
        "pt-123".into(),
    ))));
    let source = JsonPresence::new(http_client().expect("client"), "test", &template, token)
        .expect("valid template");
    assert!(warm_up("presence", LIMIT, source.warm_up()).await);
    assert_eq!(
        only_request(&server).await,
        ("HEAD".into(), "/".into(), false)
    );
}

#[tokio::test]
async fn an_upstream_that_never_answers_costs_the_limit_and_no_failure() {
    // accepts and then says nothing
    let (silent, _) = e2e::silent_server().await;
    let routing = routing_at(&silent);
    let started = Instant::now();
    let warmed = warm_up("routing-control", LIMIT, routing.warm_up()).await;
    let elapsed = started.elapsed();
    assert!(!warmed);
    // the timer never fires early, so the lower bound is exact; the silent server would hold
    // the call forever, so any upper bound shows the limit cut it
    assert!(
        elapsed >= LIMIT && elapsed < LIMIT + e2e::SCHEDULING_MARGIN,
        "{elapsed:?}"
    );
}
