//! Property tests for the validators and the request parser: on any input they never panic,
//! every accepted value respects every bound, and what they refuse is refused for a reason.

use lambda_http::{Body, Request};
use proptest::prelude::*;
use serde_json::json;
use shared::http::{MAX_BODY_BYTES, json_body};
use shared::validate::{ChatId, email, is_forbidden_char, language, paragraphs, phone, text};
use shared::wire::{HandoverRequest, IntakeRequest};
use unicode_normalization::is_nfc;

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
    fn accepted_emails_have_one_local_part_and_a_dotted_domain(raw in tricky_string()) {
        if let Ok(value) = email(&raw) {
            prop_assert!(value.chars().count() <= 254);
            let (local, domain) = value.rsplit_once('@').expect("an accepted address has @");
            prop_assert!(!local.is_empty() && local.len() <= 64 && !local.contains('@'));
            prop_assert!(domain.split('.').count() >= 2);
            prop_assert!(!value.chars().any(|c| c.is_whitespace() || is_forbidden_char(c)));
        }
    }

    #[test]
    fn accepted_phones_and_languages_respect_their_shapes(raw in tricky_string()) {
        if let Ok(value) = phone(&raw) {
            let digits = value.chars().filter(char::is_ascii_digit).count();
            prop_assert!((6..=20).contains(&digits));
            prop_assert!(value.chars().all(|c| c.is_ascii_digit() || " -.()+".contains(c)));
        }
        if let Ok(value) = language(&raw) {
            prop_assert!(value.len() <= 35);
            prop_assert!(value.split('-').all(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric())));
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
    match shared::callout::unset(typed) {
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
