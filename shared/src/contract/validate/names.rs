//! The names a dialog gives: a Context key, a web store, a channel and a language tag.

use super::error::FieldError;
use super::text::text;

/// The longest key of a handover's `context` pair.
pub const CONTEXT_KEY_MAX_LEN: usize = 64;

/// A key of a handover's `context` pair: 1-64 ASCII letters, digits, `_`, `-` or `.`. Only such
/// a key is ever named in a message or a log line (a mis-templated key may be an e-mail address).
pub fn is_context_key(key: &str) -> bool {
    (1..=CONTEXT_KEY_MAX_LEN).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The longest web store name accepted (MSC's web store names are short labels).
pub const WEBSTORE_MAX_LEN: usize = 128;

/// A web store (MSC's, as CAIC's `mscWebstore` names it): free text of at most
/// [`WEBSTORE_MAX_LEN`] characters, and not `.` or `..`, which a presence URL would read as a
/// path step.
pub fn webstore(raw: &str) -> Result<String, FieldError> {
    let value = text(raw, WEBSTORE_MAX_LEN)?;
    if value == "." || value == ".." {
        return Err(FieldError::Malformed("must not be . or .."));
    }
    Ok(value)
}

/// The longest channel name a request may give, in characters.
pub const CHANNEL_MAX_LEN: usize = 64;

/// A chat's channel as CAIC or the router names it (`WhatsApp`, `CXWebConversations`): free
/// text of at most [`CHANNEL_MAX_LEN`] characters. What it means for presence is the `channel`
/// module's.
pub fn channel(raw: &str) -> Result<String, FieldError> {
    text(raw, CHANNEL_MAX_LEN)
}

pub const LANGUAGE_MAX_LEN: usize = 35;

/// A language tag in the shape of BCP 47: a 2-8 letter primary subtag, then `-` subtags of 1-8
/// letters or digits (`nl`, `en-GB`, `zh-Hant-TW`). `_` is accepted as separator and turned to `-`.
pub fn language(raw: &str) -> Result<String, FieldError> {
    let value = text(raw, LANGUAGE_MAX_LEN)?.replace('_', "-");
    let mut subtags = value.split('-');
    let primary_ok = subtags
        .next()
        .is_some_and(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        subtags.all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(value)
    } else {
        Err(FieldError::Malformed(
            "is not a language tag such as `en` or `nl-BE`",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webstore_is_a_label_not_a_path_step() {
        assert_eq!(webstore(" shop-nl "), Ok("shop-nl".to_owned()));
        for bad in [".", "..", " .. "] {
            assert_eq!(
                webstore(bad),
                Err(FieldError::Malformed("must not be . or ..")),
                "{bad:?}"
            );
        }
        assert_eq!(webstore("..."), Ok("...".to_owned()));
        assert_eq!(
            webstore(&"a".repeat(WEBSTORE_MAX_LEN + 1)),
            Err(FieldError::TooLong {
                max: WEBSTORE_MAX_LEN
            })
        );
    }

    #[test]
    fn language_rules() {
        assert_eq!(language("nl"), Ok("nl".to_owned()));
        assert_eq!(language("en_GB"), Ok("en-GB".to_owned()));
        assert_eq!(language("zh-Hant-TW"), Ok("zh-Hant-TW".to_owned()));
        for bad in ["e", "english language", "en--GB", "123", "en-"] {
            assert!(language(bad).is_err(), "{bad:?} must be rejected");
        }
    }
}
