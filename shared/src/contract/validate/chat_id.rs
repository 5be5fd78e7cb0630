//! The chat id CM.com gives a conversation: checked once, then carried as a [`ChatId`].

use std::fmt;

use super::error::FieldError;

/// A CM.com chat id: 1-128 characters of `A-Z a-z 0-9 - _ = + .`, and not `.` or `..`.
///
/// CM.com documents it only as "a hash created from the combination of client id, host id and
/// channel", so the accepted alphabet is the URL-safe and standard base64 alphabets plus `-._`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ChatId(String);

pub const CHAT_ID_MAX_LEN: usize = 128;

impl ChatId {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::Empty);
        }
        if crate::contract::callout::unset(raw)
            == Some(crate::contract::callout::Unset::Placeholder)
        {
            return Err(FieldError::Unfilled(
                "the conversation variable chatId is not set (CAIC sets it when a session exists; docs/caic.md)",
            ));
        }
        if raw.len() > CHAT_ID_MAX_LEN {
            return Err(FieldError::TooLong {
                max: CHAT_ID_MAX_LEN,
            });
        }
        if raw == "." || raw == ".." {
            return Err(FieldError::Malformed("must not be `.` or `..`"));
        }
        let allowed =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '=' | '+' | '.');
        if !raw.chars().all(allowed) {
            return Err(FieldError::Malformed(
                "must use only letters, digits and - _ = + .",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// A chat id identifies a person's conversation: keep it out of Debug output (and so out of logs).
impl fmt::Debug for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChatId(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_id_accepts_the_documented_alphabet() {
        for ok in ["a", "AbC-09_=+.x", "..a", &"x".repeat(128), "aGVsbG8="] {
            assert_eq!(
                ChatId::parse(ok).map(|c| c.as_str().to_owned()),
                Ok(ok.to_owned())
            );
        }
    }

    #[test]
    fn chat_id_rejects_everything_else() {
        assert_eq!(ChatId::parse(""), Err(FieldError::Empty));
        assert_eq!(
            ChatId::parse(&"x".repeat(129)),
            Err(FieldError::TooLong { max: 128 })
        );
        for bad in [".", ".."] {
            assert_eq!(
                ChatId::parse(bad),
                Err(FieldError::Malformed("must not be `.` or `..`"))
            );
        }
        for bad in [
            "a/b", "a b", "a%2Fb", "ä", "a\u{0}", "a?b", "a#b", "a\\b", "../x/",
        ] {
            assert!(
                matches!(ChatId::parse(bad), Err(FieldError::Malformed(_))),
                "{bad:?} must be rejected"
            );
        }
    }

    #[test]
    fn chat_id_debug_hides_the_value() {
        let id = ChatId::parse("secret-chat").map(|c| format!("{c:?}"));
        assert_eq!(id, Ok("ChatId(..)".to_owned()));
    }

    #[test]
    fn an_unfilled_chat_id_says_the_variable_is_not_set() {
        for raw in ["{{chatId}}", "{{$chatId}}", " {{ chatId }}"] {
            assert!(
                matches!(ChatId::parse(raw), Err(FieldError::Unfilled(_))),
                "{raw:?}"
            );
        }
        assert_eq!(
            ChatId::parse("{{chatId}}").map_err(|e| e.to_string()).map(|_| ()),
            Err("is an unfilled placeholder: the conversation variable chatId is not set (CAIC sets it when a session exists; docs/caic.md)".to_owned())
        );
    }
}
