//! **Layer 3: start-up and primitives**. What a function reads once when it starts and the
//! pieces every adapter builds on: the environment and its errors ([`config`], a leaf), values
//! from a variable or SSM kept current ([`refreshing`]), the outbound HTTP set-up ([`tls`]) and
//! the SDK's ([`aws`]), the callout tokens ([`auth`]), a chat's channel ([`channel`]), the
//! language a team reads ([`team_language`]), backoff inside a deadline ([`retry`]), metrics,
//! logging ([`telemetry`]) and connection warm-up ([`warm`]). Imports from the contract and the
//! rules.

pub mod auth;
pub mod aws;
pub mod channel;
pub mod config;
pub mod metrics;
pub mod refreshing;
pub mod retry;
pub mod team_language;
pub mod telemetry;
pub mod tls;
pub mod warm;
