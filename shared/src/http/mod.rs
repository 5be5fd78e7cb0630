//! **Layer 5: the inbound HTTP edge** every endpoint shares, the only layer that knows HTTP; it
//! may import from every layer above. The gate, in the order the contract applies it
//! (token first, before any I/O, then route: method + raw path, then media type, size and strict
//! JSON), the request's time budget, and [`answer`], which wraps one invocation: the gate in
//! `admission.rs`, the body in `body.rs`, the budget in `budget.rs`, the invocation in
//! `invocation.rs`. The responses are in [`response`], the one error type and its wire form in
//! [`error`].
//!
//! Routing uses the raw path only, never `routeKey`, `pathParameters` or the stage, so one binary
//! answers the same behind an HTTP API (with or without a stage prefix), a function URL (where
//! the path may be `/`) and `cargo lambda watch`.

mod admission;
mod body;
mod budget;
pub mod error;
mod invocation;
pub mod response;

pub use admission::{
    admit, admit_presented, authorize, header_token, is_resource, path_segments, query_parameter,
    require_method,
};
pub use body::{MAX_BODY_BYTES, json_body, unknown_field};
pub use budget::{DEADLINE_MARGIN, budget, budget_within, time_left};
pub use error::ApiError;
pub use invocation::{answer, claim_id};
pub use response::{Outcome, json_response, no_content, ok_json, with_outcome};
