//! What the CAIC callout functions share, in five layers, one folder each. A layer imports only
//! from itself and the layers before it, so none needs a later one to be understood, and no
//! import loop can form across layers (`tests/e2e/layers.rs` reads each folder's layer from the
//! first line of its `mod.rs` and checks both):
//!
//! 1. [`contract`]: what CAIC sends and gets, route by route, and each field's rules; no I/O.
//! 2. [`rules`]: plain decisions and texts (at most once, languages, the summary line, the
//!    e-mail); no I/O.
//! 3. [`setup`]: start-up and primitives (configuration, SSM values, TLS, the SDK, tokens,
//!    channels, retries, metrics, logging).
//! 4. [`adapters`]: DynamoDB, CM.com and Amazon SES.
//! 5. [`http`]: the inbound HTTP edge (the gate, the time budget, the responses, [`ApiError`]).

pub mod adapters;
pub mod contract;
pub mod http;
pub mod rules;
pub mod setup;

pub use http::ApiError;
