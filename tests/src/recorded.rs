//! Every AWS request the functions send in the end-to-end tests, written down for the IAM check
//! (`scripts/iam_check.py`): each is evaluated against its function's role as the template
//! defines it, so a call, a key prefix or a projection without its permission fails `make test`
//! here rather than as `AccessDenied` in a deployment (docs/development.md, permissions).
//!
//! Where `E2E_AWS_REQUESTS` names a folder, each test process appends one JSON line per request
//! to `<pid>.jsonl` in it: the function that sent it (its user agent's `app/<function>`,
//! `shared::setup::aws::for_function`; none for a test's own set-up), the operation (`X-Amz-Target`, or
//! the method and path of SES's REST API) and the JSON body. Nothing is recorded otherwise.

use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use serde_json::{Value, json};

/// The folder the requests go to, from `E2E_AWS_REQUESTS`.
pub const FOLDER_VARIABLE: &str = "E2E_AWS_REQUESTS";

/// `sdk`, recording each request it sends where [`FOLDER_VARIABLE`] is set; `sdk` itself otherwise.
pub fn recording(sdk: SdkConfig) -> SdkConfig {
    let (Some(_), Some(inner)) = (std::env::var_os(FOLDER_VARIABLE), sdk.http_client()) else {
        return sdk;
    };
    let client = http_client_fn(move |settings, components| {
        SharedHttpConnector::new(Recording {
            inner: inner.http_connector(settings, components),
        })
    });
    sdk.to_builder().http_client(client).build()
}

#[derive(Debug)]
struct Recording {
    inner: SharedHttpConnector,
}

impl HttpConnector for Recording {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        write(&entry(&request));
        self.inner.call(request)
    }
}

/// One request as the IAM check reads it.
fn entry(request: &HttpRequest) -> Value {
    let header = |name: &str| request.headers().get(name).map(str::to_owned);
    let agent = [header("x-amz-user-agent"), header("user-agent")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let function = agent
        .split_whitespace()
        .find_map(|part| part.strip_prefix("app/"))
        .map(str::to_owned);
    let body = request
        .body()
        .bytes()
        .and_then(|bytes| serde_json::from_slice::<Value>(bytes).ok())
        .unwrap_or(Value::Null);
    let uri = request.uri().to_owned();
    let path = uri
        .split_once("://")
        .map_or(uri.as_str(), |(_, rest)| {
            rest.find('/').map_or("/", |i| &rest[i..])
        })
        .to_owned();
    json!({
        "function": function,
        "target": header("x-amz-target"),
        "method": request.method(),
        "path": path,
        "body": body,
    })
}

fn write(entry: &Value) {
    static FILE: Mutex<Option<File>> = Mutex::new(None);
    let Some(folder) = std::env::var_os(FOLDER_VARIABLE) else {
        return;
    };
    let mut file = FILE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if file.is_none() {
        let path = std::path::Path::new(&folder).join(format!("{}.jsonl", std::process::id()));
        let opened = std::fs::create_dir_all(&folder).and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
        });
        *file = Some(opened.unwrap_or_else(|e| panic!("{}: {e}", path.display())));
    }
    if let Some(file) = file.as_mut() {
        let line = format!("{entry}\n");
        file.write_all(line.as_bytes())
            .unwrap_or_else(|e| panic!("recording an AWS request: {e}"));
    }
}
