//! What a customer types: one line of text or paragraphs, NFC-normalised, trimmed, with no
//! control, bidi or invisible character left, within a bound.

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

use super::error::FieldError;

/// Characters that are never accepted in free text: controls (C0, DEL, C1), the format
/// characters (Unicode's general category Cf: zero-width spaces, bidirectional marks, embeddings,
/// overrides and isolates, tag characters, the byte-order mark, ...), which hide text or make it
/// display as something else, and the Hangul fillers, which display as blanks. The zero-width
/// joiner and non-joiner are format characters that scripts need (Persian words, emoji
/// sequences): they are refused only where they join nothing (see [`text`]).
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control() || (is_format_char(c) && !is_joiner(c)) || is_hangul_filler(c)
}

/// Unicode's general category Cf (Format), from ICU4X's Unicode data (the tables idna's UTS 46
/// mapping links anyway).
pub fn is_format_char(c: char) -> bool {
    CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Format
}

/// `text` in Unicode Normalization Form C (ICU4X's normalizer).
pub fn nfc(text: &str) -> String {
    ComposingNormalizerBorrowed::new_nfc()
        .normalize(text)
        .into_owned()
}

/// The zero-width non-joiner and joiner.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// The Hangul fillers (choseong, jungseong, the compatibility and the halfwidth filler).
fn is_hangul_filler(c: char) -> bool {
    matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
}

/// Whether every joiner in `text` joins two visible characters: none at an end, next to a space
/// or next to another format character.
fn joiners_join(text: &str) -> bool {
    if !text.contains(is_joiner) {
        return true;
    }
    let chars: Vec<char> = text.chars().collect();
    let visible = |c: Option<&char>| c.is_some_and(|c| !c.is_whitespace() && !is_format_char(*c));
    chars.iter().enumerate().all(|(i, c)| {
        !is_joiner(*c) || (i > 0 && visible(chars.get(i - 1)) && visible(chars.get(i + 1)))
    })
}

/// The rule for free text (names, questions, skills, ...): trimmed, NFC-normalised, tabs and line
/// breaks (CR, LF) made spaces, no forbidden characters inside, runs of spaces folded into one,
/// not empty, at most `max` characters. Returns the normalised value.
///
/// Tabs and line breaks are what a customer types or pastes (and what CAIC pastes into a body
/// as it is): they become spaces, so a one-line value stays one line wherever it is shown.
pub fn text(raw: &str, max: usize) -> Result<String, FieldError> {
    let trimmed: String = nfc(raw.trim()).chars().map(typed_blank_to_space).collect();
    if trimmed.chars().any(is_forbidden_char) || !joiners_join(&trimmed) {
        return Err(FieldError::ForbiddenCharacter);
    }
    bounded(fold_spaces(&trimmed), max)
}

/// A tab, CR or LF as a space; any other character as it is.
fn typed_blank_to_space(c: char) -> char {
    if matches!(c, '\t' | '\n' | '\r') {
        ' '
    } else {
        c
    }
}

/// `value` with every run of whitespace folded into one space.
fn fold_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A normalised value, refused when empty or longer than `max` characters.
fn bounded(normalised: String, max: usize) -> Result<String, FieldError> {
    if normalised.is_empty() {
        return Err(FieldError::Empty);
    }
    if normalised.chars().count() > max {
        return Err(FieldError::TooLong { max });
    }
    Ok(normalised)
}

/// The rule for free text that may run over several lines (the message a customer leaves): as
/// [`text`], line by line. CR LF and a lone CR become LF; each line is trimmed, refused if it
/// holds a forbidden character, and its runs of spaces folded; blank lines at the start and end
/// go, and those between paragraphs fold into one. Tabs become spaces. The length counts the
/// line breaks.
pub fn paragraphs(raw: &str, max: usize) -> Result<String, FieldError> {
    let unified = raw
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\t', " ");
    let normalised = nfc(&unified);
    let mut lines: Vec<String> = Vec::new();
    for line in normalised.split('\n') {
        let trimmed = line.trim();
        if trimmed.chars().any(is_forbidden_char) {
            return Err(FieldError::ForbiddenCharacter);
        }
        let folded = fold_spaces(trimmed);
        let after_blank = lines.last().is_none_or(|last| last.is_empty());
        if !folded.is_empty() || !after_blank {
            lines.push(folded);
        }
    }
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let normalised = lines.join("\n");
    if !joiners_join(&normalised) {
        return Err(FieldError::ForbiddenCharacter);
    }
    bounded(normalised, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_nfc_normalised() {
        // "e" + combining acute accent becomes the single code point "é".
        assert_eq!(text("  Rene\u{301}e \t", 10), Ok("Ren\u{e9}e".to_owned()));
        assert_eq!(text(" \t ", 10), Err(FieldError::Empty));
        assert_eq!(
            text(" Zoë \u{a0}  Özdemir ", 20),
            Ok("Zoë Özdemir".to_owned())
        );
        assert_eq!(text("abcdef", 5), Err(FieldError::TooLong { max: 5 }));
        // length counts characters after normalisation, not bytes
        assert_eq!(text("éééé", 4), Ok("éééé".to_owned()));
    }

    #[test]
    fn text_refuses_controls_and_bidi_overrides() {
        for bad in [
            "a\u{0}b",
            "a\u{b}b",
            "a\u{7f}b",
            "a\u{85}b",
            "evil\u{202E}txt.exe",
            "a\u{2066}b",
        ] {
            assert_eq!(
                text(bad, 100),
                Err(FieldError::ForbiddenCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tabs_and_line_breaks_in_text_become_spaces() {
        assert_eq!(
            text("my order\t\"123\"\r\nis late \\ ", 100),
            Ok("my order \"123\" is late \\".to_owned())
        );
        assert_eq!(text("\tJan\nJansen\n", 100), Ok("Jan Jansen".to_owned()));
        assert_eq!(text("\t\r\n", 100), Err(FieldError::Empty));
    }

    #[test]
    fn paragraphs_keep_line_breaks_and_fold_the_rest() {
        assert_eq!(
            paragraphs(
                "\r\n  Hello,\r\n\r\n\r\n  my  order\rarrived   broken. \n\n",
                100
            ),
            Ok("Hello,\n\nmy order\narrived broken.".to_owned())
        );
        assert_eq!(paragraphs("one line", 100), text("one line", 100));
        assert_eq!(paragraphs("Rene\u{301}e", 10), Ok("Ren\u{e9}e".to_owned()));
        assert_eq!(paragraphs(" \n \r\n\t ", 10), Err(FieldError::Empty));
        // line breaks count towards the length
        assert_eq!(paragraphs("ab\ncd", 4), Err(FieldError::TooLong { max: 4 }));
        assert_eq!(paragraphs("ab\ncd", 5), Ok("ab\ncd".to_owned()));
        assert_eq!(
            paragraphs("col\tone\n\tindented", 100),
            Ok("col one\nindented".to_owned())
        );
        for bad in [
            "a\u{0}b",
            "a\u{b}b",
            "a\u{85}b",
            "a\u{202E}b",
            "a\u{200B}\nb",
            "a\u{200D}\nb",
        ] {
            assert_eq!(
                paragraphs(bad, 100),
                Err(FieldError::ForbiddenCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn text_refuses_invisible_and_blank_looking_characters() {
        for bad in [
            "Jan\u{200B}",           // zero-width space
            "VERI\u{2060}FIED",      // word joiner
            "a\u{200E}b",            // left-to-right mark
            "a\u{061C}b",            // Arabic letter mark
            "\u{FEFF}Jan",           // byte-order mark
            "a\u{00AD}b",            // soft hyphen
            "tag\u{E0041}\u{E007F}", // tag characters
            "\u{3164}",              // Hangul filler, alone
            "Jan\u{115F}\u{1160}",   // Hangul choseong and jungseong fillers
            "a\u{FFA0}b",            // halfwidth Hangul filler
            "\u{200D}Jan",           // a joiner that joins nothing
            "Jan\u{200C}",
            "a \u{200D}b",
            "a\u{200D}\u{200D}b",
        ] {
            assert_eq!(
                text(bad, 100),
                Err(FieldError::ForbiddenCharacter),
                "{bad:?}"
            );
        }
        // joiners where scripts need them: a Persian word, an emoji sequence
        for ok in ["می\u{200C}خواهم", "👩\u{200D}💻 help", "Ame\u{301}lie"] {
            assert!(text(ok, 100).is_ok(), "{ok:?}");
        }
    }
}
