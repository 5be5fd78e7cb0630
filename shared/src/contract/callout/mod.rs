//! What a CAIC API Callout node really sends, and how we read it.
//!
//! A dialog author writes a Raw body such as `{"chatId": "{{chatId}}", "question": "{{question}}"}`
//! and CAIC pastes each variable's value into it. CM.com documents no JSON escaping, and a
//! variable that is not set arrives empty or as its own `{{placeholder}}`. So:
//!
//! - **An unset value is not given** ([`unset`]): empty (after trimming), or one unfilled
//!   `{{...}}` placeholder. It is never stored, sent to CM.com or e-mailed; a placeholder is
//!   counted and logged by field name (see `http::json_body`), so the dialog author finds the
//!   variable that is not set.
//! - **A body that is not valid JSON is read as CAIC builds it** ([`read_pasted`]): a flat
//!   object of string values, read front to back while its pairs are well formed. The first value
//!   that is not a well-formed string, or the first value of a field that carries what the
//!   customer typed, is the *last* value: it runs, taken literally, to the last `"` before the
//!   closing `}`. So the customer's own quotes, backslashes, tabs and line breaks arrive as they
//!   were typed, and nothing inside them can set another field. Keys may not repeat.
//!
//! Plain rules, no I/O: the HTTP edge applies them (`http::json_body`).

mod body;
mod pasted;
mod unset;

pub use body::{CalloutBody, names_a_field, owned_after_customer_text, top_level_keys};
pub use pasted::{
    MAX_NESTED_PAIRS, MAX_PAIRS, Pasted, PastedError, read_pasted, read_pasted_nested,
};
pub use unset::{Unfilled, UnfilledField, Unset, is_placeholder, unset};
