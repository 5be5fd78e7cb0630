//! The e-mail the message step leaves in the support mailbox when no agent can take the chat:
//! its addresses (checked at start-up) and its text (built from what the customer told the bot).
//!
//! Every header value is ours or checked: addresses are plain `local@domain` (a domain in any
//! script goes out as punycode), a display name with anything beyond printable ASCII goes out as
//! RFC 2047 encoded words of at most 75 characters each, and the subject holds no line break and no `=?` that a mail
//! program could read as the start of an encoded word of the customer's making. Customer values
//! in the subject and the summary are quoted as JSON strings (see [`crate::rules::summary`]), so none can
//! pass for our words.

mod address;
mod header;
mod letter;

pub use address::{Mailbox, MailboxError, domain, header_address, inbox, mailboxes_by_webstore};
pub use letter::{Letter, Mail, SUBJECT_MAX_CHARS, compose};
