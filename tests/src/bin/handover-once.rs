//! One handover invocation in a process of its own, for the multi-process race test: builds the
//! handover app from the environment as the Lambda binary does, reads the API Gateway event in
//! the file named by its argument, then prints `ready` and waits for a line on stdin (the
//! test's barrier: it sends that line to every process once all are ready, so none starts
//! late), hands the event over and prints the response body.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use shared::setup::config::Env;

#[tokio::main]
async fn main() -> ExitCode {
    let Some(event_file) = std::env::args().nth(1) else {
        eprintln!("usage: handover-once <event.json> (then a line on stdin starts it)");
        return ExitCode::from(2);
    };
    let sdk = match shared::setup::aws::sdk_config().await {
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
    // the barrier: ready, and wait for the word to go
    println!("ready");
    if std::io::stdout().flush().is_err() {
        return ExitCode::FAILURE;
    }
    let mut go = String::new();
    if std::io::stdin().lock().read_line(&mut go).is_err() {
        return ExitCode::FAILURE;
    }
    let Ok(response) = handover::handle(&app, request).await;
    let body: &[u8] = response.body().as_ref();
    println!("{}", String::from_utf8_lossy(body));
    ExitCode::SUCCESS
}
