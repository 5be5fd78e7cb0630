//! The CM.com adapters against a local HTTP server (wiremock).

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use serde_json::json;
use shared::adapters::cm::http_client;
use shared::adapters::cm::json_presence::JsonPresence;
use shared::adapters::cm::routing::RoutingControl;
use shared::contract::validate::ChatId;
use shared::contract::{RoutingMutation, RoutingMutationRequest};
use shared::rules::secret::Secret;
use shared::rules::upstream::UpstreamError;
use shared::setup::config::outbound_url;
use shared::setup::refreshing::Refreshing;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIMIT: Duration = Duration::from_secs(3);

fn within(limit: Duration) -> Instant {
    Instant::now() + limit
}

fn routing(server_uri: &str) -> RoutingControl {
    RoutingControl::new(
        http_client().expect("client"),
        outbound_url("test", server_uri).expect("loopback url"),
        "link-1".into(),
        std::sync::Arc::new(Refreshing::fixed(Secret::new("pt-123".into()))),
    )
}

fn chat(id: &str) -> ChatId {
    ChatId::parse(id).expect("valid chat id")
}

fn body(chat_id: &str) -> RoutingMutationRequest {
    let mutations: Vec<RoutingMutation> = serde_json::from_str(e2e::MUTATIONS).expect("mutations");
    RoutingMutationRequest {
        chat_id: chat_id.into(),
        mutations,
        context: BTreeMap::from([("name".into(), "Jan".into())]),
    }
}

#[tokio::test]
async fn the_mutation_request_has_the_exact_path_headers_and_body() {
    let server = MockServer::start().await;
    let id = "aGVsbG8+d29y=bGQ.x_y-z";
    Mock::given(method("POST"))
        .and(path(format!(
            "/conversational/control/v1/accounts/link-1/chats/{id}/routing/mutationrequests"
        )))
        .and(header("x-cm-producttoken", "pt-123"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "ChatId": id,
            "Mutations": [{"$type": "ruleMutation", "action": "Enable", "operator": "And", "targetAdapterId": "msc-adapter"}],
            "Context": {"name": "Jan"}
        })))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let result = routing(&server.uri())
        .request_mutations(&chat(id), &body(id), within(LIMIT))
        .await;
    assert_eq!(result, Ok(()));
}

#[tokio::test]
async fn the_url_keeps_a_base_path_and_encodes_each_id_as_one_segment() {
    let client = RoutingControl::new(
        http_client().expect("client"),
        outbound_url("test", "https://proxy.example.com/cm/").expect("url"),
        "link-1".into(),
        std::sync::Arc::new(Refreshing::fixed(Secret::new("pt".into()))),
    );
    assert_eq!(
        client.mutation_requests_url(&chat("a+b=c..d")).as_str(),
        "https://proxy.example.com/cm/conversational/control/v1/accounts/link-1/chats/a+b=c..d/routing/mutationrequests"
    );
}

#[tokio::test]
async fn non_2xx_answers_are_errors_with_their_status() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>upstream detail</html>"))
        .mount(&server)
        .await;
    let result = routing(&server.uri())
        .request_mutations(&chat("c"), &body("c"), within(LIMIT))
        .await;
    assert_eq!(result, Err(UpstreamError::Status(503)));
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/conversational/control/v1/accounts/link-1/chats/c/routing/mutationrequests",
        ))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/elsewhere", server.uri())),
        )
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let result = routing(&server.uri())
        .request_mutations(&chat("c"), &body("c"), within(LIMIT))
        .await;
    assert_eq!(result, Err(UpstreamError::Status(307)));
}

#[tokio::test]
async fn a_hanging_upstream_is_abandoned_at_the_limit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let limit = Duration::from_millis(300);
    let started = Instant::now();
    let result = routing(&server.uri())
        .request_mutations(&chat("c"), &body("c"), within(limit))
        .await;
    assert_eq!(result, Err(UpstreamError::Timeout));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let result = routing(&format!("http://127.0.0.1:{port}"))
        .request_mutations(&chat("c"), &body("c"), within(LIMIT))
        .await;
    assert_eq!(result, Err(UpstreamError::NotConnected));
}

fn presence(server_uri: &str, template: &str, token: Option<&str>) -> JsonPresence {
    JsonPresence::new(
        http_client().expect("client"),
        "AVAILABILITY_URL",
        &format!("{server_uri}{template}"),
        token.map(|t| std::sync::Arc::new(Refreshing::fixed(Secret::new(t.into())))),
    )
    .expect("valid template")
}

#[tokio::test]
async fn presence_substitutes_the_encoded_webstore_and_sends_its_own_token_only() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/presence/shop%20nl%2F%C3%BC"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"available": true})))
        .expect(2)
        .mount(&server)
        .await;
    let source = presence(
        &server.uri(),
        "/presence/{webstore}",
        Some("presence-token-9"),
    );
    assert_eq!(
        source.url_for(Some("shop nl/ü"), "WebChat"),
        format!("{}/presence/shop%20nl%2F%C3%BC", server.uri())
    );
    assert_eq!(
        source
            .fetch(Some("shop nl/ü"), "WebChat", within(LIMIT))
            .await,
        Ok(json!({"available": true}))
    );
    let without = presence(&server.uri(), "/presence/{webstore}", None);
    assert_eq!(
        without
            .fetch(Some("shop nl/ü"), "WebChat", within(LIMIT))
            .await,
        Ok(json!({"available": true}))
    );
    let sent = server.received_requests().await.unwrap_or_default();
    let headers = |i: usize, name: &str| {
        sent[i]
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    // its own credential as a bearer token, or none; never CM.com's product token
    assert_eq!(
        headers(0, "authorization").as_deref(),
        Some("Bearer presence-token-9")
    );
    assert_eq!(headers(1, "authorization"), None);
    for i in 0..2 {
        assert_eq!(headers(i, "x-cm-producttoken"), None);
    }
}

#[tokio::test]
async fn presence_errors_are_classified() {
    let server = MockServer::start().await;
    Mock::given(path("/500"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(path("/html"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>not json</html>"))
        .mount(&server)
        .await;
    Mock::given(path("/huge"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!(
            "{{\"available\":true,\"pad\":\"{}\"}}",
            "x".repeat(shared::adapters::cm::MAX_UPSTREAM_BODY_BYTES)
        )))
        .mount(&server)
        .await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/html"))
        .mount(&server)
        .await;
    let fetch = |template: &'static str| {
        let source = presence(&server.uri(), template, None);
        async move {
            source
                .fetch(None, "WebChat", within(Duration::from_millis(400)))
                .await
        }
    };
    assert_eq!(fetch("/500").await, Err(UpstreamError::Status(500)));
    assert_eq!(fetch("/html").await, Err(UpstreamError::UnreadableBody));
    assert_eq!(fetch("/huge").await, Err(UpstreamError::UnreadableBody));
    assert_eq!(fetch("/moved").await, Err(UpstreamError::Status(302)));
    let started = Instant::now();
    assert_eq!(fetch("/slow").await, Err(UpstreamError::Timeout));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn presence_templates_must_be_https_or_loopback() {
    let client = http_client().expect("client");
    for bad in [
        "http://presence.example.com/{webstore}",
        "not a url {webstore}",
        // a webstore must never choose the host, the port or the credentials
        "https://{webstore}.presence.example.com/p",
        "https://presence.example.{webstore}/p",
        "https://presence.example.com:{webstore}/p",
        "https://u{webstore}@presence.example.com/p",
        "https://presence.example.com/p#{webstore}",
        // nor may a channel
        "https://{channel}.presence.example.com/p",
        "https://presence.example.com/p#{channel}",
    ] {
        let result = JsonPresence::new(client.clone(), "AVAILABILITY_URL", bad, None).map(|_| ());
        assert!(
            matches!(&result, Err(e) if e.to_string().starts_with("configuration: AVAILABILITY_URL")),
            "{bad}"
        );
    }
    let ok = JsonPresence::new(
        client,
        "AVAILABILITY_URL",
        "https://p.example.com/s/{webstore}?x=1&channel={channel}",
        None,
    )
    .map(|s| s.url_for(Some("a&b"), "Apple Business Chat"));
    assert_eq!(
        ok.ok().as_deref(),
        Some("https://p.example.com/s/a%26b?x=1&channel=Apple%20Business%20Chat")
    );
}

/// A server that answers `first` to the first `times` requests, then `then`.
async fn flaky(first: ResponseTemplate, times: u64, then: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(first.clone())
        .up_to_n_times(times)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(first)
        .up_to_n_times(times)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(then)
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test]
async fn a_handover_refused_with_429_is_sent_again_but_a_503_is_not() {
    let throttled = flaky(ResponseTemplate::new(429), 1, ResponseTemplate::new(200)).await;
    let result = routing(&throttled.uri())
        .request_mutations(&chat("c"), &body("c"), within(LIMIT))
        .await;
    assert_eq!((result, requests(&throttled).await), (Ok(()), 2));

    // a 503 may come after CM.com received the request: never repeated
    let unavailable = flaky(ResponseTemplate::new(503), 1, ResponseTemplate::new(200)).await;
    let result = routing(&unavailable.uri())
        .request_mutations(&chat("c"), &body("c"), within(LIMIT))
        .await;
    assert_eq!(
        (result, requests(&unavailable).await),
        (Err(UpstreamError::Status(503)), 1)
    );

    let always = flaky(ResponseTemplate::new(429), 100, ResponseTemplate::new(200)).await;
    let result = routing(&always.uri())
        .request_mutations(&chat("c"), &body("c"), within(LIMIT))
        .await;
    assert_eq!(
        (result, requests(&always).await),
        (Err(UpstreamError::Status(429)), 3)
    );
}

#[tokio::test]
async fn a_connection_reset_after_sending_is_not_repeated() {
    let (url, connections) = e2e::counting_resetting_server().await;
    let result = routing(&url)
        .request_mutations(&chat("c"), &body("c"), within(LIMIT))
        .await;
    assert_eq!(result, Err(UpstreamError::Unreachable));
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn presence_reads_are_repeated_after_502_503_504_but_not_429() {
    let limited = flaky(ResponseTemplate::new(429), 2, ResponseTemplate::new(200)).await;
    let result = presence(&limited.uri(), "/p/{webstore}", None)
        .fetch(Some("s"), "WebChat", within(LIMIT))
        .await;
    assert_eq!(
        (result, requests(&limited).await),
        (Err(UpstreamError::Status(429)), 1),
        "a 429 asks us to slow down: the shop's quota is not spent on a second try"
    );
    for status in [502, 503, 504] {
        let server = flaky(
            ResponseTemplate::new(status),
            2,
            ResponseTemplate::new(200).set_body_json(json!({"available": true})),
        )
        .await;
        let source = presence(&server.uri(), "/p/{webstore}", None);
        let result = source.fetch(Some("s"), "WebChat", within(LIMIT)).await;
        assert_eq!(
            (result, requests(&server).await),
            (Ok(json!({"available": true})), 3),
            "{status}"
        );
    }
    let broken = flaky(ResponseTemplate::new(500), 1, ResponseTemplate::new(200)).await;
    let result = presence(&broken.uri(), "/p/{webstore}", None)
        .fetch(None, "WebChat", within(LIMIT))
        .await;
    assert_eq!(
        (result, requests(&broken).await),
        (Err(UpstreamError::Status(500)), 1)
    );
}

#[tokio::test]
async fn retries_never_outlast_the_deadline() {
    let slow_503 = flaky(
        ResponseTemplate::new(503).set_delay(Duration::from_millis(250)),
        100,
        ResponseTemplate::new(200),
    )
    .await;
    let started = Instant::now();
    let result = presence(&slow_503.uri(), "/p/{webstore}", None)
        .fetch(None, "WebChat", within(Duration::from_millis(400)))
        .await;
    assert!(
        matches!(
            result,
            Err(UpstreamError::Status(503) | UpstreamError::Timeout)
        ),
        "{result:?}"
    );
    // cut at the 400 ms deadline, not after the 100 slow 503s a retry loop would wait for
    assert!(
        started.elapsed() < Duration::from_millis(400) + e2e::SCHEDULING_MARGIN,
        "took {:?}",
        started.elapsed()
    );
}
