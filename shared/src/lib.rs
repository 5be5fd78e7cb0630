//! What the CAIC callout functions share: the contract, its rules, the start-up readers, the
//! adapters of DynamoDB and CM.com, and the inbound HTTP edge.
//!
//! The modules come in layers. Each imports only from its own layer and the layers listed before
//! it, so none needs a module after it to be understood, and no import loop can form across
//! layers (`tests/e2e/layers.rs` reads this list and checks both):
//!
//! 1. **Plain data and rules**, no I/O: [`wire`] (the contract), [`validate`] (its field rules),
//!    [`secret`] (a value that never prints), [`upstream`] (how an upstream call fails, and
//!    whether it may have acted), [`clock`] (epoch seconds behind a seam), [`once`] (the
//!    at-most-once protocol's terms and outcomes), [`language`] (the languages we write in, and
//!    CLDR's dates and times in each, through ICU4X), [`words`] (our own sentences in each
//!    language: the next opening a customer reads, the agent's labels), [`summary`] (the agent's one line about the
//!    customer, every customer value quoted), [`mail`] (the support mailbox's e-mail: its
//!    addresses and its text, no header a customer can break), [`callout`] (what a CAIC API
//!    Callout really sends: unset variables, and bodies CAIC pasted customer text into).
//! 2. **Start-up and primitives**: [`config`] (the environment, its errors, every variable's
//!    name; a leaf), [`refreshing`] (values from a variable or SSM, kept current), [`tls`] (the one
//!    outbound HTTP set-up), [`aws`] (the SDK configuration), [`channel`] (a chat's channel and
//!    the MSC presence channel it is asked about), [`metrics`], [`telemetry`] (logging
//!    and chat tags), [`warm`] (connection warm-up), [`auth`] (the callout tokens), [`retry`]
//!    (backoff inside a deadline, and what may be repeated), [`team_language`] (the language a
//!    web store's team reads our words in).
//! 3. **Adapters**: [`store`] (DynamoDB: intake records and claims), [`cm`] (CM.com's Routing
//!    Control and MSC's presence API, and JSON presence sources), [`ses`] (Amazon SES v2: the
//!    support mailbox's e-mail, sent once).
//! 4. **Inbound HTTP**: [`http`] (the admission gate, the time budget, the responses and
//!    [`ApiError`], the one error type mapped to HTTP).

pub mod auth;
pub mod aws;
pub mod callout;
pub mod channel;
pub mod clock;
pub mod cm;
pub mod config;
pub mod http;
pub mod language;
pub mod mail;
pub mod metrics;
pub mod once;
pub mod refreshing;
pub mod retry;
pub mod secret;
pub mod ses;
pub mod store;
pub mod summary;
pub mod team_language;
pub mod telemetry;
pub mod tls;
pub mod upstream;
pub mod validate;
pub mod warm;
pub mod wire;
pub mod words;

pub use http::ApiError;
