//! What the three CAIC callout functions share: the contract (`wire`), its validation
//! (`validate`), configuration (`config`), inbound auth (`auth`, `http`), the DynamoDB store
//! (`store`), the CM.com client (`cm`) and the one error type with its HTTP mapping (`error`).

pub mod auth;
pub mod aws;
pub mod clock;
pub mod cm;
pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
pub mod retry;
pub mod secret;
pub mod secrets;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod upstream;
pub mod validate;
pub mod warm;
pub mod wire;

pub use error::ApiError;
