//! Arbitrary text through every field validator; whatever is accepted must obey its rule
//! (checked here as well as in the property tests), and nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::validate::{ChatId, email, is_forbidden_char, language, phone, text};

fuzz_target!(|raw: &str| {
    if let Ok(id) = ChatId::parse(raw) {
        assert!((1..=128).contains(&id.as_str().len()));
    }
    if let Ok(value) = text(raw, 100) {
        assert!(!value.is_empty() && value.chars().count() <= 100);
        assert!(!value.chars().any(is_forbidden_char));
    }
    if let Ok(value) = email(raw) {
        assert!(value.contains('@') && value.chars().count() <= 254);
    }
    let _ = phone(raw);
    let _ = language(raw);
});
