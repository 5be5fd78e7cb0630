//! Test support: DynamoDB Local (started by `make test`), a fresh table per test, the JSON event
//! fixtures in `events/`, and each function's app built from an environment as in production.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_config::SdkConfig;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use shared::rules::clock::Clock;
use shared::setup::config::Env;

pub mod recorded;

/// The callout token in every fixture under `events/`.
pub const TOKEN: &str = "local-dev-callout-token-change-me";
/// The presence-check token of the fixtures (the only kind a URL may carry), as the local stack's.
pub const PRESENCE_CHECK_TOKEN: &str = "local-dev-presence-check-token-change-me";
/// The chat id in every fixture under `events/`.
pub const CHAT: &str = "chat-4f2a9c1e-demo";
pub const PRODUCT_TOKEN: &str = "product-token-for-tests";
pub const TECHNICAL_LINK_ID: &str = "3f7e1a2b-link";
pub const MUTATIONS: &str = r#"[{"$type":"ruleMutation","action":"Enable","operator":"And","targetAdapterId":"msc-adapter"}]"#;

/// The functions' own SDK configuration (timeouts, retries) for DynamoDB Local, from the
/// variables `make test` sets.
pub async fn sdk() -> SdkConfig {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "AWS_ENDPOINT_URL_DYNAMODB is not set: these tests need DynamoDB Local; run them with `make test`"
    );
    recorded::recording(
        shared::setup::aws::sdk_loader()
            .expect("the functions' TLS set-up")
            .load()
            .await,
    )
}

/// The functions' own SDK configuration with every service endpoint at `url` (a fake AWS API,
/// or nothing at all).
pub async fn sdk_at(url: &str) -> SdkConfig {
    recorded::recording(
        shared::setup::aws::sdk_loader()
            .expect("the functions' TLS set-up")
            .endpoint_url(url)
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::for_tests())
            .load()
            .await,
    )
}

pub use local_table::TableDefinition;

/// The table as `template.yaml` defines it: the one definition the deployed stack, the local
/// stack and these tests share.
pub fn table_definition() -> TableDefinition {
    local_table::table_definition(&local_table::template_path()).unwrap_or_else(|e| panic!("{e}"))
}

/// Creates an empty table from the template under a name no other test uses; returns the name.
///
/// The table has no time to live: DynamoDB Local deletes items whose expiry has passed by its own
/// clock, today's, within about a second, and the tests write at fixed instants in the past (and
/// a year ahead, where `make test` moves their clock). Whether an item has expired is for the
/// functions to decide by the clock a test gives them, as they do in production, where DynamoDB
/// deletes expired items days late (docs/development.md, time in the tests).
pub async fn fresh_table(sdk: &SdkConfig) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    // the process id alone repeats across runs against one long-lived DynamoDB Local (a test
    // loop by hand): the time makes the name new
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "handover-test-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let definition = TableDefinition {
        ttl_attribute: None,
        ..table_definition()
    };
    local_table::create_table(sdk, &definition, &name)
        .await
        .unwrap_or_else(|e| panic!("create table in DynamoDB Local: {e}"));
    name
}

/// Every item in `table` (tests use small tables).
pub async fn items(
    sdk: &SdkConfig,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    local_table::admin_client(sdk)
        .scan()
        .table_name(table)
        .consistent_read(true)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
}

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// The fixture `events/<name>.json`.
pub fn event(name: &str) -> Value {
    let path = events_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The fixture with its body replaced by `body` serialised as JSON, as docs/caic.md writes a
/// dialog's body: the fields that carry the customer's text last (serde_json's map would sort
/// `message` before `webstore`, which the functions refuse).
pub fn event_with_body(name: &str, body: Value) -> Value {
    let mut event = event(name);
    event["body"] = Value::String(customer_text_last(&body));
    event
}

/// The fields that carry what the customer typed, on intake and message, and the handover's
/// context, which may.
const CUSTOMER_TEXT: [&str; 7] = [
    "name", "email", "phone", "question", "language", "message", "context",
];

/// `body` as JSON text with the fields of [`CUSTOMER_TEXT`] after all others.
pub fn customer_text_last(body: &Value) -> String {
    let Some(object) = body.as_object() else {
        return body.to_string();
    };
    let (customer, dialog): (Vec<_>, Vec<_>) = object
        .iter()
        .partition(|(key, _)| CUSTOMER_TEXT.contains(&key.as_str()));
    let pairs: Vec<String> = dialog
        .into_iter()
        .chain(customer)
        .map(|(key, value)| format!("{}:{value}", Value::String(key.clone())))
        .collect();
    format!("{{{}}}", pairs.join(","))
}

/// The fixture with its body replaced by exactly `raw`.
pub fn event_with_raw_body(name: &str, raw: &str) -> Value {
    let mut event = event(name);
    event["body"] = Value::String(raw.to_owned());
    event
}

/// The fixture with header `name` set to `value` (or removed, for `None`).
pub fn with_header(mut event: Value, name: &str, value: Option<&str>) -> Value {
    let headers = event["headers"]
        .as_object_mut()
        .expect("fixture has headers");
    match value {
        Some(v) => headers.insert(name.to_owned(), Value::String(v.to_owned())),
        None => headers.remove(name),
    };
    event
}

/// The fixture with method and raw path changed (as a different route would send it).
pub fn with_route(mut event: Value, method: &str, raw_path: &str) -> Value {
    event["rawPath"] = Value::String(raw_path.to_owned());
    event["requestContext"]["http"]["method"] = Value::String(method.to_owned());
    event["requestContext"]["http"]["path"] = Value::String(raw_path.to_owned());
    event
}

/// The request lambda_http builds from an API Gateway / function URL event.
pub fn request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).expect("lambda_http parses the event")
}

/// Status and JSON body (`Value::Null` for an empty body).
pub fn status_and_json(response: &Response<Body>) -> (u16, Value) {
    let bytes: &[u8] = response.body().as_ref();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes).expect("response body is JSON")
    };
    (response.status().as_u16(), json)
}

/// An environment with the callout and presence-check tokens of the fixtures plus `extra` (a
/// later pair wins: a blank one unsets).
pub fn env(extra: &[(&str, &str)]) -> Env {
    let mut pairs: Vec<(String, String)> = vec![
        ("CALLOUT_TOKENS".into(), TOKEN.into()),
        ("PRESENCE_CHECK_TOKENS".into(), PRESENCE_CHECK_TOKEN.into()),
    ];
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    Env::from_pairs(pairs)
}

/// An availability app from the fixtures' token plus `extra`, as production builds it. It
/// touches no table: its SDK configuration serves SSM only, at an address where nothing answers.
pub async fn availability_app(extra: &[(&str, &str)]) -> availability::App {
    let sdk = sdk_at("http://127.0.0.1:9").await;
    availability::App::from_env(&env(extra), &sdk)
        .await
        .expect("valid configuration")
}

/// `openapi.yaml`, parsed once.
fn openapi() -> &'static Value {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_norway::from_str(&text).expect("openapi.yaml is YAML")
    })
}

/// Follows a local `$ref` (`#/components/...`) in `openapi.yaml`.
fn resolve(node: &Value) -> &Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("local reference");
            resolve(
                openapi()
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("{reference} is defined")),
            )
        }
        None => node,
    }
}

/// Asserts that `response` is one `openapi.yaml` documents for `method` `path` (a path template
/// such as `/intake/{chatId}`): its status is listed, and its body matches the listed schema and
/// media type (or is empty where none is listed). Returns status and JSON body.
pub fn conforming(method: &str, path: &str, response: &Response<Body>) -> (u16, Value) {
    let (status, body) = status_and_json(response);
    let operation = &openapi()["paths"][path][method];
    assert!(
        operation.is_object(),
        "openapi.yaml has no operation {method} {path}"
    );
    let documented = operation["responses"]
        .get(status.to_string())
        .unwrap_or_else(|| {
            panic!("{method} {path} answered {status}, which openapi.yaml does not list: {body}")
        });
    let documented = resolve(documented);
    match documented.pointer("/content/application~1json/schema") {
        None => assert_eq!(
            body,
            Value::Null,
            "{method} {path} {status} must have no body"
        ),
        Some(schema) => {
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok());
            assert_eq!(
                content_type,
                Some("application/json"),
                "{method} {path} {status}"
            );
            let mut root = schema.clone();
            root["components"] = openapi()["components"].clone();
            let validator =
                jsonschema::draft202012::new(&root).expect("openapi.yaml schemas compile");
            let problems: Vec<String> = validator
                .iter_errors(&body)
                .map(|e| e.to_string())
                .collect();
            assert!(
                problems.is_empty(),
                "{method} {path} {status}: {body} does not match openapi.yaml: {problems:?}"
            );
        }
    }
    (status, body)
}

/// Whether `body` matches the request schema `openapi.yaml` documents for `method` `path`.
pub fn request_problems(method: &str, path: &str, body: &Value) -> Vec<String> {
    let schema = openapi()["paths"][path][method]
        .pointer("/requestBody/content/application~1json/schema")
        .unwrap_or_else(|| panic!("{method} {path} documents a JSON request body"));
    let mut root = schema.clone();
    root["components"] = openapi()["components"].clone();
    let validator = jsonschema::draft202012::new(&root).expect("openapi.yaml schemas compile");
    validator.iter_errors(body).map(|e| e.to_string()).collect()
}

/// A server that accepts connections and resets each one (TCP RST) as soon as the request
/// arrives; returns its base URL. It runs until the test's runtime ends.
pub async fn resetting_server() -> String {
    counting_resetting_server().await.0
}

/// [`resetting_server`], with the number of connections it has accepted.
pub async fn counting_resetting_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>)
{
    counting_server(|stream| async move {
        let mut buffer = [0u8; 1024];
        let _ = stream.readable().await;
        let _ = stream.try_read(&mut buffer);
        // linger 0: closing sends RST instead of FIN
        let std_stream = stream.into_std().expect("std stream");
        let socket = socket2::SockRef::from(&std_stream);
        let _ = socket.set_linger(Some(std::time::Duration::ZERO));
        drop(std_stream);
    })
    .await
}

/// A TCP relay to `upstream` (`http://host:port`, e.g. DynamoDB Local) that counts the
/// connections made through it; returns its URL. It runs until the test's runtime ends.
pub async fn counting_relay(
    upstream: &str,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let target = upstream.trim_start_matches("http://").to_owned();
    counting_server(move |mut inbound| {
        let target = target.clone();
        async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        }
    })
    .await
}

/// A relay to `upstream` (as [`counting_relay`]) that holds the answer to the first request whose
/// bytes hold `marker` for `hold`, and counts the requests that hold it: an upstream that takes a
/// request and answers it late (DynamoDB's answer to a write, past the SDK's attempt timeout).
/// Returns its base URL and the count.
pub async fn late_relay(
    upstream: &str,
    marker: &'static [u8],
    hold: std::time::Duration,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let target = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let marked = Arc::new(AtomicUsize::new(0));
    let held_once = Arc::new(AtomicBool::new(false));
    let counted = Arc::clone(&marked);
    let (url, _) = counting_server(move |inbound| {
        let (target, marked, held_once) = (target.clone(), counted.clone(), held_once.clone());
        async move {
            let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                return;
            };
            let (mut from_client, mut to_client) = inbound.into_split();
            let (mut from_server, mut to_server) = outbound.into_split();
            // set while this connection's next answer is the one to hold
            let hold_next = Arc::new(AtomicBool::new(false));
            let hold_it = Arc::clone(&hold_next);
            let requests = async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = from_client.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    if buf[..n].windows(marker.len()).any(|w| w == marker) {
                        marked.fetch_add(1, Ordering::SeqCst);
                        if !held_once.swap(true, Ordering::SeqCst) {
                            hold_it.store(true, Ordering::SeqCst);
                        }
                    }
                    if to_server.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            };
            let answers = async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = from_server.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    if hold_next.swap(false, Ordering::SeqCst) {
                        tokio::time::sleep(hold).await;
                    }
                    if to_client.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            };
            tokio::join!(requests, answers);
        }
    })
    .await;
    (url, marked)
}

/// A loopback server that accepts connections, reads nothing and answers nothing, holding each
/// open (a service that hangs); returns its base URL and how many connections it accepted.
pub async fn silent_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    counting_server(|stream| async move {
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        drop(stream);
    })
    .await
}

/// A loopback server that counts the connections it accepts and hands each to `serve`; returns
/// its base URL and the count. It runs until the test's runtime ends.
async fn counting_server<S, F>(serve: S) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>)
where
    S: Fn(tokio::net::TcpStream) -> F + Send + 'static,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&connections);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(serve(stream));
        }
    });
    (url, connections)
}

/// What a loaded machine may add to a bounded wait: these tests share two cores with DynamoDB
/// Local, the SES server and each other, and a wall-clock bound tighter than the scheduler's
/// worst hiccup fails for the machine's sake, not the code's. A bound is the limit under test
/// plus this margin: still far below the hang it guards against (the faults hang 10 to 60 s, the
/// silent servers forever). What must hold exactly is asserted on counts, not on time.
pub const SCHEDULING_MARGIN: std::time::Duration = std::time::Duration::from_secs(2);

/// A loopback URL on which nothing listens.
pub fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    format!("http://127.0.0.1:{port}")
}

/// The environment of a handover app on `table`, sending to CM.com at `cm_base`, plus `extra`
/// (which may override any of it).
pub fn handover_env(table: &str, cm_base: &str, extra: &[(&str, &str)]) -> Env {
    let mut pairs = vec![
        ("TABLE_NAME", table),
        ("CM_API_BASE_URL", cm_base),
        ("CM_TECHNICAL_LINK_ID", TECHNICAL_LINK_ID),
        ("CM_ROUTING_MUTATIONS", MUTATIONS),
        ("CM_PRODUCT_TOKEN", PRODUCT_TOKEN),
    ];
    pairs.extend_from_slice(extra);
    env(&pairs)
}

/// A log writer that keeps every line, for tests that search the logs (for secrets and personal
/// data); clones share one buffer.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl CapturedLogs {
    /// Captures every line logged on this thread, through the functions' own filter set to TRACE
    /// (the most verbose level an operator could choose), until the guard is dropped. Tests run
    /// on a current-thread runtime, so everything the functions do logs here.
    pub fn at_trace() -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Self::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(shared::setup::telemetry::filter(
                tracing_subscriber::filter::LevelFilter::TRACE,
            ))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `tag` made unique to this test run (for an address's local part, or a subject): the local SES
/// server keeps every e-mail while it runs, and tests find theirs by what only they send.
pub fn unique(tag: &str) -> String {
    static RUN: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let run = RUN.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    });
    format!("{tag}.{}.{run}", std::process::id())
}

/// Every e-mail the local SES server (aws-ses-v2-local, started by `make test`) has received, as
/// its `GET /store` lists them: `messageId`, `from`, `replyTo`, `destination`, `subject`, `body`.
pub async fn ses_emails() -> Vec<Value> {
    let url = std::env::var("SES_LOCAL_URL").expect(
        "SES_LOCAL_URL is not set: these tests need the local SES server; run them with `make test`",
    );
    let store: Value = shared::setup::tls::http_client(std::time::Duration::from_secs(5))
        .expect("the functions' HTTP client")
        .get(format!("{url}/store"))
        .send()
        .await
        .expect("the local SES server answers")
        .json()
        .await
        .expect("its store is JSON");
    store["emails"]
        .as_array()
        .expect("a list of e-mails")
        .clone()
}

/// The e-mails the local SES server received with Reply-To `reply_to` (tests make it unique to
/// themselves with [`unique`]).
pub async fn ses_emails_replying_to(reply_to: &str) -> Vec<Value> {
    ses_emails()
        .await
        .into_iter()
        .filter(|e| e["replyTo"] == serde_json::json!([reply_to]))
        .collect()
}

/// A JSON presence source (wiremock) whose agents are online for every web store; returns it
/// and the `AVAILABILITY_URL` template that asks it (`.../presence/{webstore}`).
pub async fn json_presence_online() -> (wiremock::MockServer, String) {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"available": true})),
        )
        .mount(&server)
        .await;
    let url = format!("{}/presence/{{webstore}}", server.uri());
    (server, url)
}

/// Stores `fields` as chat `chat`'s intake in `table`, through the intake function, as a dialog's
/// step 3 does, at the time of `clock`: the clock of the test's other apps, so that they read the
/// intake's expiry on the clock that wrote it (docs/development.md, time in the tests).
pub async fn store_intake(
    sdk: &SdkConfig,
    table: &str,
    chat: &str,
    fields: Value,
    clock: Arc<dyn Clock>,
) {
    let intake = intake::App::from_env(&env(&[("TABLE_NAME", table)]), sdk)
        .await
        .expect("intake config")
        .with_clock(clock);
    let mut body = fields;
    body["chatId"] = Value::String(chat.to_owned());
    let response = intake::handle(&intake, request(&event_with_body("intake-name", body)))
        .await
        .expect("infallible");
    assert_eq!(status_and_json(&response).1["stored"], true);
}
