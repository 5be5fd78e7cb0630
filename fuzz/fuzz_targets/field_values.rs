//! Arbitrary text through every one-line field validator. Whatever is accepted must obey its
//! rule: it validates again to itself (normalising twice changes nothing), holds no forbidden
//! character, and keeps its shape. Nothing may panic. (The property tests check the same rules
//! on generated valid and near-valid values; this target looks where a generator does not.)

#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::contract::validate::{ChatId, email, email_ascii, is_forbidden_char, language, phone, text};

fuzz_target!(|raw: &str| {
    if let Ok(id) = ChatId::parse(raw) {
        let id = id.as_str();
        assert!((1..=128).contains(&id.len()));
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || "=+._-".contains(c)));
        assert_eq!(id, raw);
    }
    if let Ok(value) = text(raw, 100) {
        assert!(!value.is_empty() && value.chars().count() <= 100);
        assert!(!value.chars().any(is_forbidden_char));
        assert_eq!(text(&value, 100).as_deref(), Ok(value.as_str()));
    }
    if let Ok(value) = email(raw) {
        assert!(value.chars().count() <= 254);
        assert!(!value.chars().any(|c| c.is_whitespace() || is_forbidden_char(c)));
        assert_eq!(email(&value).as_deref(), Ok(value.as_str()));
        // what intake stores, the header can carry: the same address, in ASCII
        let header = email_ascii(&value).expect("a stored address is sendable");
        assert!(header.is_ascii() && !header.contains("=?"));
        assert_eq!(email_ascii(raw).as_deref(), Ok(header.as_str()));
    } else {
        assert!(email_ascii(raw).is_err(), "one rule for intake and the header");
    }
    if let Ok(value) = phone(raw) {
        let digits = value.chars().filter(char::is_ascii_digit).count();
        assert!((6..=20).contains(&digits));
        assert!(value.chars().all(|c| c.is_ascii_digit() || " -.()+".contains(c)));
        assert_eq!(phone(&value).as_deref(), Ok(value.as_str()));
    }
    if let Ok(value) = language(raw) {
        assert!(value.len() <= 35);
        assert!(
            value
                .split('-')
                .all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
        );
        assert_eq!(language(&value).as_deref(), Ok(value.as_str()));
    }
});
