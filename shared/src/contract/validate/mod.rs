//! Validation newtypes: a value of these types has passed every rule of the contract, so code
//! that holds one never checks again. All rules are plain functions, each tested in its file
//! without I/O.

mod chat_id;
mod contact;
mod error;
mod names;
mod text;

pub use chat_id::{CHAT_ID_MAX_LEN, ChatId};
pub use contact::{EMAIL_MAX_LEN, PHONE_MAX_LEN, email, email_ascii, phone};
pub use error::FieldError;
pub use names::{
    CHANNEL_MAX_LEN, CONTEXT_KEY_MAX_LEN, LANGUAGE_MAX_LEN, WEBSTORE_MAX_LEN, channel,
    is_context_key, language, webstore,
};
pub use text::{is_forbidden_char, paragraphs, text};
