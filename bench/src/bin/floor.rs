//! The floor of `make bench`: a bare lambda_runtime function that answers its event, built the
//! same way as ours (one-thread runtime). Its start and its warm round trip are what any Rust
//! function pays here.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(event.payload)
    }))
    .await
}
