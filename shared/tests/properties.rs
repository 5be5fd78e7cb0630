//! Property tests for the validators and the request parser: on any input they never panic,
//! every accepted value respects every bound, and what they refuse is refused for a reason.

use lambda_http::{Body, Request};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use shared::contract::validate::{
    ChatId, email, email_ascii, is_forbidden_char, language, paragraphs, phone, text,
};
use shared::contract::{HandoverRequest, IntakeRequest};
use shared::http::{MAX_BODY_BYTES, json_body};

/// Whether `value` is in NFC, by ICU4X's normalizer (the one validate uses).
fn is_nfc(value: &str) -> bool {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfc().is_normalized(value)
}

/// Any string, weighted towards the characters that matter here.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t\n\u{a0}\u{3000}a-zA-Zé\u{301}@.+_=/%-]{0,40}",
        "[\u{0}-\u{1f}\u{7f}-\u{9f}\u{202a}-\u{202e}\u{2066}-\u{2069}a]{0,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn chat_ids_from_the_alphabet_are_accepted(id in "[A-Za-z0-9=+._-]{1,128}") {
        prop_assume!(id != "." && id != "..");
        prop_assert_eq!(ChatId::parse(&id).map(|c| c.as_str().to_owned()), Ok(id));
    }

    #[test]
    fn accepted_chat_ids_respect_every_rule(raw in tricky_string()) {
        if let Ok(id) = ChatId::parse(&raw) {
            let id = id.as_str();
            prop_assert!((1..=128).contains(&id.len()));
            prop_assert!(id != "." && id != "..");
            prop_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || "=+._-".contains(c)));
            prop_assert_eq!(id, raw.as_str());
        }
    }

    #[test]
    fn accepted_text_is_normalised_and_bounded(raw in tricky_string(), max in 1usize..50) {
        if let Ok(value) = text(&raw, max) {
            prop_assert!(!value.is_empty());
            prop_assert!(value.chars().count() <= max);
            prop_assert!(!value.chars().any(is_forbidden_char));
            prop_assert!(is_nfc(&value));
            prop_assert_eq!(value.trim(), value.as_str());
            prop_assert!(!value.contains("  "));
            // normalising is idempotent
            prop_assert_eq!(text(&value, max), Ok(value.clone()));
        }
    }

    #[test]
    fn accepted_paragraphs_are_normalised_line_by_line_and_bounded(
        raw in prop_oneof![tricky_string(), "[ \r\n\t\u{a0}a-zé\u{301}\u{200d}]{0,40}"],
        max in 1usize..50,
    ) {
        if let Ok(value) = paragraphs(&raw, max) {
            prop_assert!(!value.is_empty());
            prop_assert!(value.chars().count() <= max);
            prop_assert!(!value.chars().any(|c| c != '\n' && is_forbidden_char(c)));
            prop_assert!(is_nfc(&value));
            prop_assert_eq!(value.trim(), value.as_str());
            prop_assert!(!value.contains("\n\n\n"));
            for line in value.split('\n') {
                prop_assert_eq!(line.trim(), line);
                prop_assert!(!line.contains("  "));
            }
            // a text without line breaks is accepted as the one-line rule accepts it
            if !value.contains('\n') {
                prop_assert_eq!(text(&value, max), Ok(value.clone()));
            }
            prop_assert_eq!(paragraphs(&value, max), Ok(value.clone()));
        }
    }

    #[test]
    fn the_request_parser_never_panics_on_any_body(
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            tricky_string().prop_map(String::into_bytes),
            Just(br#"{"chatId":"c","name":"n"}"#.to_vec()),
        ],
        content_type in prop_oneof![Just("application/json"), Just("text/plain"), Just("")],
    ) {
        let req = request(&body, content_type);
        let _ = json_body::<IntakeRequest>(&req, None);
        let _ = json_body::<HandoverRequest>(&req, None);
    }

    #[test]
    fn customer_text_pasted_into_a_body_never_sets_another_field_or_chat(
        typed in prop_oneof![
            tricky_string(),
            // text that tries to close its quotes and go on as JSON
            "[a-z \"\\\\,:{}\t\n]{0,12}(\",\"(name|chatId|email)\":\"[a-z]{0,6})?[\"}]{0,3}",
        ],
    ) {
        // the body as CAIC builds it from {"chatId": "{{chatId}}", "question": "{{question}}"}
        let body = format!(r#"{{"chatId": "c1", "question": "{typed}"}}"#);
        let is_json = serde_json::from_str::<serde_json::Value>(&body).is_ok();
        let read = json_body::<IntakeRequest>(&request(body.as_bytes(), "application/json"), None);
        if let Ok(intake) = read {
            // never another chat: a repeated chatId is refused, in JSON as in a pasted body
            prop_assert_eq!(intake.chat_id.as_str(), "c1");
            if !is_json {
                // read as pasted: all of it is the question, literally, and nothing else is set
                prop_assert_eq!(intake.question.as_deref(), unset_or(&typed));
                prop_assert!(intake.name.is_none() && intake.email.is_none());
                prop_assert!(intake.phone.is_none() && intake.language.is_none());
            }
        }
    }

    #[test]
    fn refused_bodies_never_quote_a_value(secret in "[a-z]{12}") {
        for body in [
            json!({"chatId": "c", "name": {"x": secret}}),
            json!({"chatId": "c", "name": [secret]}),
            json!({"chatId": 5, "name": secret}),
            json!({"chatId": "c", "context": {"k": [secret]}}),
        ] {
            let req = request(body.to_string().as_bytes(), "application/json");
            let error = json_body::<HandoverRequest>(&req, None).err().map(|e| e.to_string());
            let error2 = json_body::<IntakeRequest>(&req, None).err().map(|e| e.to_string());
            for message in [error, error2].into_iter().flatten() {
                prop_assert!(!message.contains(&secret), "{}", message);
            }
        }
    }
}

/// `typed` as a field holds it once read: `None` when it is unset (empty or one placeholder).
fn unset_or(typed: &str) -> Option<&str> {
    match shared::contract::callout::unset(typed) {
        Some(_) => None,
        None => Some(typed),
    }
}

fn request(body: &[u8], content_type: &str) -> Request {
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri("/intake");
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    builder
        .body(Body::Binary(body.to_vec()))
        .expect("a request from valid parts")
}

#[test]
fn the_body_limit_is_exact() {
    let padding = |n: usize| format!(r#"{{"chatId":"c","name":"{}"}}"#, "a".repeat(n));
    let overhead = padding(0).len();
    let at_limit = request(
        padding(MAX_BODY_BYTES - overhead).as_bytes(),
        "application/json",
    );
    let over = request(
        padding(MAX_BODY_BYTES - overhead + 1).as_bytes(),
        "application/json",
    );
    assert!(json_body::<IntakeRequest>(&at_limit, None).is_ok());
    assert_eq!(
        json_body::<IntakeRequest>(&over, None).map(|_| ()),
        Err(shared::ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES
        })
    );
}

/// A value generated to be valid (`Some`: what the validator must give back) or near-valid (one
/// mutation that breaks exactly one rule; `None`: the validator must refuse it).
type Candidate = (String, Option<String>);

/// Runs `check` over 2,000 candidates and requires both sides to be reached often: a generator
/// that never produced a valid value (or an invalid one) would make half the property vacuous.
fn both_sides(
    candidates: impl Strategy<Value = Candidate>,
    check: impl Fn(&str) -> Option<String>,
) {
    let valid = std::cell::Cell::new(0u32);
    let invalid = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config::with_cases(2000));
    let outcome = runner.run(&candidates, |(raw, expected)| {
        match &expected {
            Some(_) => valid.set(valid.get() + 1),
            None => invalid.set(invalid.get() + 1),
        }
        prop_assert_eq!(check(&raw), expected, "{:?}", raw);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    assert!(
        valid.get() >= 500,
        "valid side reached {} times",
        valid.get()
    );
    assert!(
        invalid.get() >= 500,
        "invalid side reached {} times",
        invalid.get()
    );
}

/// Valid addresses: dot-atoms of RFC 5322's characters (no `?`, so no encoded word), a domain of
/// two to four host-name labels or an IDN label, a letter TLD.
fn valid_email() -> impl Strategy<Value = String> {
    let atom = "[A-Za-z0-9!#$%&'*+/=^_`{|}~-]{1,8}";
    let local = prop::collection::vec(atom, 1..4).prop_map(|atoms| atoms.join("."));
    let label = prop_oneof![
        4 => "[a-z0-9]([a-z0-9]|-[a-z0-9]){0,6}",
        1 => prop::sample::select(vec!["bücher", "münchen", "例え", "xn--bcher-kva"]).prop_map(str::to_owned),
    ];
    let domain = (prop::collection::vec(label, 1..4), "[a-z]{2,6}")
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")));
    (local, domain).prop_map(|(local, domain)| format!("{local}@{domain}"))
}

/// One mutation that breaks exactly one of the e-mail rule's parts.
fn broken_email(valid: String, how: u8, at: usize) -> String {
    let (local, domain) = valid.rsplit_once('@').expect("generated with @");
    let (labels, tld) = domain.rsplit_once('.').expect("generated with a TLD");
    let cut = |s: &str| {
        s.char_indices()
            .nth(at % s.chars().count().max(1))
            .map_or(s.len(), |(i, _)| i)
    };
    match how % 10 {
        0 => format!("{local}{domain}"),     // no @
        1 => format!("{local}..x@{domain}"), // an empty atom
        2 => format!(
            "{}=?{}@{domain}",
            &local[..cut(local)],
            &local[cut(local)..]
        ), // encoded word
        3 => format!("{local}@{labels}.123"), // a TLD of digits
        4 => format!("{local}@-{domain}"),   // a label starts with -
        5 => format!("{local}@{labels}_x.{tld}"), // _ in a label
        6 => format!("{local}@{tld}"),       // one label
        7 => format!("{local} x@{domain}"),  // a space
        8 => format!("{local}@{labels}\u{2474}.{tld}"), // maps to "(1)"
        _ => format!("j\u{f6}{local}@{domain}"), // a local part beyond ASCII
    }
}

#[test]
fn emails_valid_and_near_valid_are_told_apart_at_intake_and_in_the_header() {
    let candidates = prop_oneof![
        valid_email().prop_map(|v| (v.clone(), Some(v))),
        (valid_email(), any::<u8>(), any::<usize>())
            .prop_map(|(v, how, at)| (broken_email(v, how, at), None)),
    ];
    // what intake stores is the address as UTS 46 maps it (xn-- labels in Unicode); what the
    // header carries is its ASCII form; both take the same addresses
    both_sides(candidates, |raw| {
        let stored = email(raw).ok()?;
        let header = email_ascii(raw).ok();
        assert!(
            header.as_deref().is_some_and(str::is_ascii),
            "{raw:?}: {header:?}"
        );
        assert_eq!(
            email(&stored).as_deref(),
            Ok(stored.as_str()),
            "re-validates to itself"
        );
        assert_eq!(email_ascii(&stored).ok(), header, "{raw:?}");
        assert!(
            !stored
                .chars()
                .any(|c| c.is_whitespace() || is_forbidden_char(c))
        );
        // the generated valid addresses are lower case and NFC: stored as given, but for a
        // punycode label, stored in Unicode
        (stored == raw.replace("xn--bcher-kva", "bücher")).then(|| raw.to_owned())
    });
}

/// Valid phone numbers: an optional `+`, 6 to 20 digits in groups, one separator between groups.
fn valid_phone() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::collection::vec(
            ("[0-9]{1,4}", prop::sample::select(vec![" ", "-", ".", ""])),
            2..8,
        ),
    )
        .prop_filter_map("6 to 20 digits", |(plus, groups)| {
            let mut phone = if plus { "+".to_owned() } else { String::new() };
            for (i, (digits, sep)) in groups.iter().enumerate() {
                if i > 0 {
                    phone.push_str(sep);
                }
                phone.push_str(digits);
            }
            let count = phone.chars().filter(char::is_ascii_digit).count();
            (6..=20).contains(&count).then_some(phone)
        })
}

fn broken_phone(valid: String, how: u8) -> String {
    let digits: String = valid.chars().filter(char::is_ascii_digit).collect();
    match how % 4 {
        0 => format!("{valid}x"),                      // a letter
        1 => digits[..5.min(digits.len())].to_owned(), // too few digits
        2 => format!("{valid}{}", "1".repeat(21)),     // too many (or too long)
        _ => format!("{valid}/1"),                     // a separator it does not know
    }
}

#[test]
fn phones_valid_and_near_valid_are_told_apart() {
    let candidates = prop_oneof![
        valid_phone().prop_map(|v| (v.clone(), Some(v))),
        (valid_phone(), any::<u8>()).prop_map(|(v, how)| (broken_phone(v, how), None)),
    ];
    both_sides(candidates, |raw| {
        let value = phone(raw).ok()?;
        assert_eq!(
            phone(&value).as_deref(),
            Ok(value.as_str()),
            "re-validates to itself"
        );
        Some(value)
    });
}

/// Valid language tags: a primary subtag of 2 to 8 letters, then up to three subtags.
fn valid_language() -> impl Strategy<Value = String> {
    (
        "[a-z]{2,8}",
        prop::collection::vec("[A-Za-z0-9]{1,8}", 0..3),
    )
        .prop_map(|(primary, rest)| {
            std::iter::once(primary)
                .chain(rest)
                .collect::<Vec<_>>()
                .join("-")
        })
}

fn broken_language(valid: String, how: u8) -> String {
    match how % 4 {
        0 => format!("x-{valid}"),         // a one-letter primary subtag
        1 => format!("{valid}--a"),        // an empty subtag
        2 => format!("{valid}-abcdefghi"), // a subtag of nine
        _ => format!("{valid}-é"),         // beyond ASCII
    }
}

#[test]
fn language_tags_valid_and_near_valid_are_told_apart() {
    let candidates = prop_oneof![
        valid_language().prop_map(|v| (v.clone(), Some(v))),
        (valid_language(), any::<u8>()).prop_map(|(v, how)| (broken_language(v, how), None)),
    ];
    both_sides(candidates, |raw| {
        let value = language(raw).ok()?;
        assert_eq!(
            language(&value).as_deref(),
            Ok(value.as_str()),
            "re-validates to itself"
        );
        Some(value)
    });
}

/// Valid chat ids: CAIC's alphabet, 1 to 128 characters, not `.` or `..`.
fn valid_chat_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9=+._-]{1,128}".prop_filter("not . or ..", |id| id != "." && id != "..")
}

fn broken_chat_id(valid: String, how: u8, at: usize) -> String {
    let at = at % (valid.len() + 1);
    let (head, tail) = valid.split_at(at);
    match how % 5 {
        0 => format!("{head}/{tail}"),              // a path separator
        1 => format!("{head} x{tail}"),             // a space inside
        2 => format!("{head}\u{e9}{tail}"),         // beyond ASCII
        3 => format!("{valid}{}", "a".repeat(129)), // too long
        _ => format!("{head}{{{{chatId}}}}{tail}"), // braces
    }
}

#[test]
fn chat_ids_valid_and_near_valid_are_told_apart() {
    let candidates = prop_oneof![
        valid_chat_id().prop_map(|v| (v.clone(), Some(v))),
        (valid_chat_id(), any::<u8>(), any::<usize>())
            .prop_map(|(v, how, at)| (broken_chat_id(v, how, at), None)),
    ];
    both_sides(candidates, |raw| {
        ChatId::parse(raw).ok().map(|id| id.as_str().to_owned())
    });
}

/// Valid paragraphs: words of letters (NFC) with single spaces, lines with at most one blank
/// line between them, within the bound.
fn valid_paragraphs() -> impl Strategy<Value = String> {
    let line = prop::collection::vec("[a-z\u{e9}\u{f6}]{1,8}", 1..5).prop_map(|w| w.join(" "));
    prop::collection::vec((line, any::<bool>()), 1..6).prop_map(|lines| {
        lines
            .into_iter()
            .enumerate()
            .map(|(i, (line, blank_before))| {
                if i > 0 && blank_before {
                    format!("\n{line}")
                } else {
                    line
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

fn broken_paragraphs(valid: String, how: u8, at: usize) -> String {
    let cut = valid
        .char_indices()
        .nth(at % valid.chars().count().max(1))
        .map_or(valid.len(), |(i, _)| i);
    let (head, tail) = valid.split_at(cut);
    match how % 4 {
        0 => format!("{head}\u{7}{tail}"),    // a control character
        1 => format!("{head}\u{202e}{tail}"), // a bidirectional override
        2 => format!("{valid} {}", "x".repeat(2000)), // over the bound
        _ => format!("{head}\u{200b}{tail}"), // an invisible one
    }
}

#[test]
fn paragraphs_valid_and_near_valid_are_told_apart() {
    let candidates = prop_oneof![
        valid_paragraphs().prop_map(|v| (v.clone(), Some(v))),
        (valid_paragraphs(), any::<u8>(), any::<usize>())
            .prop_map(|(v, how, at)| (broken_paragraphs(v, how, at), None)),
    ];
    both_sides(candidates, |raw| {
        let value = paragraphs(raw, 2000).ok()?;
        assert_eq!(paragraphs(&value, 2000).as_deref(), Ok(value.as_str()));
        Some(value)
    });
}
