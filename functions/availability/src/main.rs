//! Composition root of the `availability` function: configuration and clients, built once; one
//! thread, as Lambda sends one request at a time (docs/performance.md); connections opened
//! before the first request.

use lambda_http::{Error, run, service_fn};
use shared::setup::config::{Env, or_exit};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::setup::config::drop_sequential_concurrency();
    shared::setup::telemetry::init();
    let env = Env::from_process();
    shared::setup::metrics::init(&env, "availability");
    let sdk = or_exit(shared::setup::aws::sdk_config().await);
    let app = or_exit(availability::App::from_env(&env, &sdk).await);
    app.warm_up().await;
    run(service_fn(|req| availability::handle(&app, req))).await
}
