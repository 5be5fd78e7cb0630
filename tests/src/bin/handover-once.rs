//! One handover invocation in a process of its own, for the multi-process race test: builds the
//! handover app from the environment as the Lambda binary does, waits until `START_AT_MS`
//! (epoch milliseconds) so that every process calls at the same moment, hands over the API
//! Gateway event in the file named by its argument, and prints the response body.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shared::config::Env;

#[tokio::main]
async fn main() -> ExitCode {
    let (Some(event_file), Some(start_at)) = (
        std::env::args().nth(1),
        std::env::var("START_AT_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: START_AT_MS=<epoch ms> handover-once <event.json>");
        return ExitCode::from(2);
    };
    let sdk = match shared::aws::sdk_config().await {
        Ok(sdk) => sdk,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let app = match handover::App::from_env(&Env::from_process(), &sdk).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let event = match std::fs::read_to_string(&event_file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("{event_file}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(request) = lambda_http::request::from_str(&event) else {
        eprintln!("{event_file}: not an API Gateway event");
        return ExitCode::FAILURE;
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default();
    tokio::time::sleep(Duration::from_millis(start_at.saturating_sub(now_ms))).await;
    let Ok(response) = handover::handle(&app, request).await;
    let body: &[u8] = response.body().as_ref();
    println!("{}", String::from_utf8_lossy(body));
    ExitCode::SUCCESS
}
