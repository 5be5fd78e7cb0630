//! Arbitrary text through the multi-line rule (the message's `paragraphs`). Whatever is accepted
//! is normalised line by line: no forbidden character but the line break, no blank line run
//! of more than one, each line trimmed with its spaces folded, within the bound, and validating
//! again to itself. Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::contract::validate::{is_forbidden_char, paragraphs, text};

const MAX: usize = 2000;

fuzz_target!(|raw: &str| {
    let Ok(value) = paragraphs(raw, MAX) else {
        return;
    };
    assert!(!value.is_empty() && value.chars().count() <= MAX);
    assert!(!value.chars().any(|c| c != '\n' && is_forbidden_char(c)));
    assert!(!value.contains('\t') && !value.contains('\r'));
    assert!(!value.contains("\n\n\n"));
    assert_eq!(value.trim(), value);
    for line in value.split('\n') {
        assert_eq!(line.trim(), line);
        assert!(!line.contains("  "));
    }
    assert_eq!(paragraphs(&value, MAX).as_deref(), Ok(value.as_str()));
    // one line is what the one-line rule makes of it
    if !value.contains('\n') {
        assert_eq!(text(&value, MAX).as_deref(), Ok(value.as_str()));
    }
});
