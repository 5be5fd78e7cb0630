//! Validation newtypes: a value of these types has passed every rule of the contract, so code
//! that holds one never checks again. All rules are plain functions, tested below without I/O.

use std::fmt;

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

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

/// Why a value was refused. Messages never repeat the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control, invisible formatting or bidirectional characters")]
    ForbiddenCharacter,
    #[error("{0}")]
    Malformed(&'static str),
    /// A required value sent as its unfilled `{{placeholder}}`: what is not set, for the author.
    #[error("is an unfilled placeholder: {0}")]
    Unfilled(&'static str),
}

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

pub const EMAIL_MAX_LEN: usize = 254;

/// An e-mail address as we store and show it: `local@domain`, the domain as UTS 46 maps it
/// (lower case, compatibility forms folded: `ⓢⓗⓞⓟ.example` is `shop.example`), in Unicode. It
/// passes [`email_ascii`], so an address accepted at intake is one the message can send to.
pub fn email(raw: &str) -> Result<String, FieldError> {
    let (local, ascii_domain) = email_parts(raw)?;
    let (unicode, mapped) = idna::domain_to_unicode(&ascii_domain);
    mapped.map_err(|_| NOT_AN_ADDRESS)?;
    Ok(format!("{local}@{unicode}"))
}

/// An e-mail address as a mail header carries it: its domain in ASCII (punycode), as SES takes
/// it. One rule for all addresses, the customer's and ours:
/// - the local part is RFC 5322 dot-atoms of plain ASCII (letters, digits and
///   ``!#$%&'*+/=?^_`{|}~-``, single dots inside), at most 64 characters, and holds no `=?` or
///   `?=` (an RFC 2047 encoded word, which a mail program would decode);
/// - the domain, after UTS 46 mapping with the STD3 rules (the `idna` crate's strict
///   conversion), is labels of ASCII letters, digits and hyphens (none at a label's ends), at
///   least two, within DNS lengths, the last of at least two characters and not all digits. A
///   character that maps to anything else (`⑴` to `(1)`, `🄁` to `0,`) or a broken punycode
///   label (`xn--zz`) is refused.
pub fn email_ascii(raw: &str) -> Result<String, FieldError> {
    let (local, ascii_domain) = email_parts(raw)?;
    Ok(format!("{local}@{ascii_domain}"))
}

const NOT_AN_ADDRESS: FieldError = FieldError::Malformed("is not an e-mail address");

/// The checked local part and the domain in ASCII ([`email_ascii`]'s rule).
fn email_parts(raw: &str) -> Result<(String, String), FieldError> {
    let value = text(raw, EMAIL_MAX_LEN)?;
    let (local, domain) = value.rsplit_once('@').ok_or(NOT_AN_ADDRESS)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains("=?")
        && !local.contains("?=")
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c))
        });
    if !local_ok {
        return Err(NOT_AN_ADDRESS);
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| NOT_AN_ADDRESS)?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
    if domain_ok {
        Ok((local.to_owned(), ascii))
    } else {
        Err(NOT_AN_ADDRESS)
    }
}

pub const PHONE_MAX_LEN: usize = 32;

/// A phone number as people type it: digits with an optional leading `+` and the separators
/// space, `-`, `.`, `(`, `)`; 6 to 20 digits.
pub fn phone(raw: &str) -> Result<String, FieldError> {
    let value = text(raw, PHONE_MAX_LEN)?;
    let body = value.strip_prefix('+').unwrap_or(&value);
    let chars_ok = body
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
    let digits = body.chars().filter(char::is_ascii_digit).count();
    if chars_ok && (6..=20).contains(&digits) {
        Ok(value)
    } else {
        Err(FieldError::Malformed("is not a phone number"))
    }
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
    fn email_accepts_real_addresses() {
        for ok in [
            "jan@example.nl",
            "j.de.vries+chat@sub.example.co.uk",
            "o'brien@example.ie",
            "user@bücher.de",
            "x@a-b.io",
        ] {
            assert_eq!(email(ok), Ok(ok.to_owned()));
        }
        assert_eq!(email("  jan@example.nl "), Ok("jan@example.nl".to_owned()));
    }

    #[test]
    fn email_rejects_non_addresses() {
        for bad in [
            "jan",
            "jan@",
            "@example.nl",
            "jan@localhost",
            "jan@example.",
            "jan@.example.nl",
            "jan..x@example.nl",
            ".jan@example.nl",
            "jan @example.nl",
            "jan@exa mple.nl",
            "jan@-example.nl",
            "jan@example.123",
            "a@b@example.nl",
        ] {
            assert!(email(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(
            email(&format!("{}@example.nl", "a".repeat(250))),
            Err(FieldError::TooLong { max: 254 })
        );
    }

    #[test]
    fn one_rule_for_intake_and_the_mail_header_after_uts46_mapping() {
        // what a mapping would turn into something else than a host name is refused at both
        for bad in [
            "eve@b\u{2474}.example",        // ⑴ maps to "(1)"
            "eve@x\u{1F101}victim.example", // 🄁 maps to "0,"
            "eve@xn--zz.example",           // punycode that decodes to nothing
            "=?utf-8?q?cfo?=@shop.example", // an encoded word in the local part
            "eve=?x@shop.example",
            "j\u{00F6}rg@example.de", // the local part is plain ASCII
            "eve@ex_ample.com",
        ] {
            assert!(email(bad).is_err(), "{bad:?} must be refused at intake");
            assert!(email_ascii(bad).is_err(), "{bad:?} must not be sent");
        }
        // a compatibility form is stored as what it maps to, so the e-mail shows what it sends
        assert_eq!(
            email("eve@\u{24E2}\u{24D7}\u{24DE}\u{24DF}.example"),
            Ok("eve@shop.example".to_owned())
        );
        assert_eq!(
            email_ascii("eve@\u{24E2}\u{24D7}\u{24DE}\u{24DF}.example"),
            Ok("eve@shop.example".to_owned())
        );
        assert_eq!(
            email("Zoe@B\u{FC}cher.Example"),
            Ok("Zoe@b\u{FC}cher.example".to_owned())
        );
        assert_eq!(
            email_ascii("Zoe@B\u{FC}cher.Example"),
            Ok("Zoe@xn--bcher-kva.example".to_owned())
        );
        assert_eq!(
            email("x@xn--bcher-kva.example"),
            Ok("x@b\u{FC}cher.example".to_owned())
        );
    }

    #[test]
    fn phone_rules() {
        assert_eq!(
            phone("+31 (0)20 123-4567"),
            Ok("+31 (0)20 123-4567".to_owned())
        );
        assert_eq!(phone("0612345678"), Ok("0612345678".to_owned()));
        for bad in ["12345", "call me", "+31 20 12x 4567", "++31201234567"] {
            assert!(phone(bad).is_err(), "{bad:?} must be rejected");
        }
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
