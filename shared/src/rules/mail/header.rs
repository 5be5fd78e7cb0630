//! One-line header values: a text made safe for a header (no line break, no `=?`), and RFC 2047
//! encoded words for a display name beyond ASCII.

use base64::Engine as _;

use crate::contract::validate;

/// `text` made safe for a one-line header: every control or format character a space, no `=?`
/// (an encoded word's opening) left, at most `max` characters.
pub(super) fn header_text(text: &str, max: usize) -> String {
    let mut line: String = text
        .chars()
        .map(|c| {
            if validate::is_forbidden_char(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    while line.contains("=?") {
        line = line.replace("=?", "= ?");
    }
    if line.chars().count() > max {
        line = line.chars().take(max - 1).collect();
        line.push('…');
    }
    line
}

/// The most bytes of text one encoded word carries: `=?UTF-8?B?` and `?=` around the base64 of
/// 45 bytes (60 characters) make 72, within RFC 2047's 75.
const ENCODED_WORD_BYTES: usize = 45;

/// `text` as RFC 2047 encoded words in UTF-8 and base64, each at most 75 characters and each
/// holding whole characters, separated by spaces (which a reader drops between encoded words).
pub(super) fn encoded_word(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (at, c) in text.char_indices() {
        let next = at + c.len_utf8();
        if next - start > ENCODED_WORD_BYTES {
            words.push(&text[start..end]);
            start = end;
        }
        end = next;
    }
    words.push(&text[start..end]);
    words
        .into_iter()
        .map(|chunk| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(chunk)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}
