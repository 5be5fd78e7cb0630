//! The DynamoDB store: one table, one string partition key (`pk`), four kinds of item.
//!
//! - `intake#<chatId>`: what the customer told the bot (name, email, phone, question,
//!   language), merged field by field, with `expiresAt` (epoch seconds, the table's TTL
//!   attribute) refreshed on every write. An item past `expiresAt` reads as absent even before
//!   DynamoDB deletes it (which can take days), and a write never merges into one.
//! - `handover#<chatId>` and `message#<chatId>`: the claims that make the handover and the
//!   message happen at most once (the protocol is [`crate::rules::once`]; its "is the claim free?"
//!   condition is here). No personal data: a status, a claim id, an attempt number and times.
//! - `limit#day#<day>`, `limit#domain#<day>#<digest>` and `limit#address#<day>#<digest>`: the
//!   day's e-mail counts, in all, per reply domain and per reply inbox
//!   ([`Store::count_message`]); domain and inbox only as SHA-256 digests. `<day>` is
//!   the UTC day's number since 1970; the items expire the day after.
//! - `route#<chatId>`: where availability decided the chat goes when its web store overflows
//!   ([`Store::record_route`]): the web store asked about and the one that takes the chat. No
//!   personal data; it expires after [`ROUTE_TTL_SECONDS`].
//!
//! Every method takes `now` (epoch seconds) from the caller, so expiry is tested with any clock.
//! One file per kind of item: `intake.rs`, `claims.rs` (taking one) and `settle.rs` (after the
//! call), `limits.rs`, `routes.rs`; the table handle and the attribute readers in `table.rs`.

mod claims;
mod intake;
mod limits;
mod routes;
mod settle;
mod table;

pub use claims::{AfterUnknown, HeldClaim, OnceStep};
pub use limits::{LimitReached, MessageLimits};
pub use routes::{ROUTE_TTL_SECONDS, Route};
pub use table::{EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE, Store, StoreError};
