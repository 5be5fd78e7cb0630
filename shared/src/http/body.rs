//! Reading a request body: media type, size, strict JSON or a body CAIC pasted customer text into
//! ([`crate::contract::callout`]), unset values cleared, and errors that name a field but never
//! echo a value.

use lambda_http::Request;
use lambda_http::http::{HeaderValue, header};

use crate::contract::callout::{self, CalloutBody};

use super::error::ApiError;

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// The body as a request of type `T`, read as a CAIC API Callout sends it (see
/// [`crate::contract::callout`]): strict JSON, or, when it is not valid JSON, the flat object of strings
/// CAIC builds by pasting variables into a Raw body. Either way an unknown field (a typo) and a
/// repeated one are refused, and every unset optional value (empty, or an unfilled
/// `{{placeholder}}`) is made not given; each placeholder is counted
/// ([`crate::setup::metrics::UNFILLED_PLACEHOLDER`], by field) and logged at WARN by field name, never
/// by value. An empty body is `empty` when given (for endpoints whose fields are all optional),
/// else 400. Without a Content-Type the body is read as JSON; a declared type other than JSON
/// is 415.
pub fn json_body<T: CalloutBody>(req: &Request, empty: Option<T>) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return empty.ok_or_else(|| ApiError::bad_request("request body is required"));
    }
    if let Some(declared) = req.headers().get(header::CONTENT_TYPE)
        && !is_json(declared)
    {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut body: T = match serde_json::from_slice(bytes) {
        Ok(body) => {
            if !T::CUSTOMER_TEXT.is_empty() || !T::NESTED.is_empty() {
                let keys = callout::top_level_keys(bytes).unwrap_or_default();
                let pairs: Vec<(String, Option<&str>)> =
                    keys.into_iter().map(|key| (key, None)).collect();
                customer_text_last::<T>(&pairs)?;
            }
            body
        }
        // serde may see a wrong field before the text's end: only valid JSON is refused for it
        Err(error)
            if error.classify() == serde_json::error::Category::Data
                && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() =>
        {
            return Err(ApiError::BadRequest(describe_json_error(&error)));
        }
        Err(_) => pasted(bytes)?,
    };
    for unfilled in body.clear_unset().fields() {
        let key = unfilled
            .key
            .as_deref()
            .filter(|k| crate::contract::validate::is_context_key(k));
        tracing::warn!(
            field = unfilled.field,
            key,
            "an unfilled placeholder was sent: the dialog's variable is not set (treated as not given)"
        );
        crate::setup::metrics::unfilled_placeholder(unfilled.field);
    }
    Ok(body)
}

/// A body that is not valid JSON, read as CAIC pastes variables into a Raw body
/// ([`callout::read_pasted`]), then checked against `T` as strictly as JSON is.
fn pasted<T: CalloutBody>(bytes: &[u8]) -> Result<T, ApiError> {
    const NOT_JSON: &str = "request body is not valid JSON";
    let text = std::str::from_utf8(bytes).map_err(|_| ApiError::bad_request(NOT_JSON))?;
    let pairs = callout::read_pasted_nested(text, T::CUSTOMER_TEXT, T::NESTED).map_err(
        |error| match error {
            callout::PastedError::NotAnObject => ApiError::bad_request(NOT_JSON),
            other => ApiError::BadRequest(format!(
                "{NOT_JSON}, nor a flat object of strings as CAIC pastes variables: it {other}"
            )),
        },
    )?;
    let in_order: Vec<(String, Option<&str>)> = pairs
        .iter()
        .map(|(key, value)| match value {
            callout::Pasted::Text(text) => (key.clone(), Some(text.as_str())),
            callout::Pasted::Pairs(_) => (key.clone(), None),
        })
        .collect();
    customer_text_last::<T>(&in_order)?;
    let string = |text: String| serde_json::Value::String(text);
    let object: serde_json::Map<String, serde_json::Value> = pairs
        .into_iter()
        .map(|(key, value)| match value {
            callout::Pasted::Text(text) => (key, string(text)),
            callout::Pasted::Pairs(inner) => (
                key,
                serde_json::Value::Object(inner.into_iter().map(|(k, v)| (k, string(v))).collect()),
            ),
        })
        .collect();
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|error| ApiError::BadRequest(describe_json_error(&error)))
}

/// 400 when a field the dialog owns comes after the customer's text
/// ([`callout::owned_after_customer_text`]): nothing is then written, claimed or sent.
fn customer_text_last<T: CalloutBody>(pairs: &[(String, Option<&str>)]) -> Result<(), ApiError> {
    let carriers: Vec<&str> = T::CUSTOMER_TEXT.iter().chain(T::NESTED).copied().collect();
    match callout::owned_after_customer_text(pairs, &carriers, T::DIALOG_FIELDS) {
        None => Ok(()),
        Some((owned, customer)) => Err(ApiError::BadRequest(format!(
            "`{owned}` comes after `{customer}`, the customer's text: put the customer's text last in the body (docs/caic.md)"
        ))),
    }
}

fn is_json(content_type: &HeaderValue) -> bool {
    let Ok(value) = content_type.to_str() else {
        return false;
    };
    let media_type = value.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case("application/json")
}

/// A message for a body that did not parse, which never repeats a value from the body (serde's
/// own messages quote the offending value, which may be personal data). A field name is named
/// only when it looks like one (a mis-templated key may itself be an e-mail address).
fn describe_json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            "request body is not valid JSON".to_owned()
        }
        Category::Data => {
            let text = error.to_string();
            for prefix in [
                "unknown field",
                "missing field",
                "duplicate field",
                "duplicate context key",
            ] {
                if text.starts_with(prefix) {
                    return naming(prefix, text.split('`').nth(1));
                }
            }
            if error.line() == 0 {
                // read from a body CAIC pasted: no position in the text to point at
                "request body does not match the contract (wrong type?)".to_owned()
            } else {
                format!(
                    "request body does not match the contract at line {} column {} (wrong type?)",
                    error.line(),
                    error.column()
                )
            }
        }
    }
}

/// 400 for a field the contract does not know (a typo in the dialog's body), named only when
/// it has a field name's shape.
pub fn unknown_field(name: &str) -> ApiError {
    ApiError::BadRequest(naming("unknown field", Some(name)))
}

/// `what`, followed by the field it concerns when that looks like a field name (1-32 ASCII
/// letters, digits or `_`): never a value, which a mis-templated key may be.
fn naming(what: &str, field: Option<&str>) -> String {
    let looks_like_a_field_name = |f: &&str| {
        (1..=32).contains(&f.len()) && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match field.filter(looks_like_a_field_name) {
        Some(field) => format!("{what} `{field}`"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Body;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(deny_unknown_fields)]
    struct Probe {
        #[serde(rename = "chatId")]
        chat_id: Option<String>,
        n: Option<u8>,
        note: Option<String>,
    }

    impl CalloutBody for Probe {
        const CUSTOMER_TEXT: &'static [&'static str] = &["note"];

        fn clear_unset(&mut self) -> callout::Unfilled {
            let mut unfilled = callout::Unfilled::default();
            unfilled.clear("chatId", &mut self.chat_id);
            unfilled.clear("note", &mut self.note);
            unfilled
        }
    }

    fn probe(chat_id: Option<&str>, note: Option<&str>) -> Probe {
        Probe {
            chat_id: chat_id.map(str::to_owned),
            n: None,
            note: note.map(str::to_owned),
        }
    }

    fn post(body: &str, content_type: Option<&str>) -> Request {
        let mut builder = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/x");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder
            .body(Body::Text(body.to_owned()))
            .unwrap_or_else(|_| Request::default())
    }

    #[test]
    fn parses_strict_json_with_any_charset_parameter() {
        let req = post(r#"{"chatId":"a"}"#, Some("Application/JSON; charset=utf-8"));
        assert_eq!(json_body::<Probe>(&req, None), Ok(probe(Some("a"), None)));
    }

    #[test]
    fn refuses_declared_media_types_other_than_json_and_reads_undeclared_ones_as_json() {
        for ct in [
            "text/plain",
            "application/jsonx",
            "application/x-www-form-urlencoded",
        ] {
            assert_eq!(
                json_body::<Probe>(&post("{}", Some(ct)), None),
                Err(ApiError::UnsupportedMediaType),
                "{ct:?}"
            );
        }
        assert_eq!(
            json_body::<Probe>(&post(r#"{"chatId":"a"}"#, None), None),
            Ok(probe(Some("a"), None))
        );
        assert_eq!(
            json_body::<Probe>(&post(r#"{"chatId":"a","note":"say "hi""}"#, None), None),
            Ok(probe(Some("a"), Some(r#"say "hi""#)))
        );
    }

    #[test]
    fn a_body_caic_pasted_unescaped_text_into_is_read_literally() {
        let read = |body: &str| json_body::<Probe>(&post(body, Some("application/json")), None);
        assert_eq!(
            read("{\"chatId\":\"a\",\"note\":\"my \"order\"\\ is\tlate\nok\"}"),
            Ok(probe(Some("a"), Some("my \"order\"\\ is\tlate\nok")))
        );
        // the customer's text cannot set another field
        assert_eq!(
            read(r#"{"chatId":"a","note":"x","chatId":"b"}"}"#),
            Ok(probe(Some("a"), Some(r#"x","chatId":"b"}"#)))
        );
        // but a pasted body is as strict as JSON about its fields
        assert_eq!(
            read(r#"{"chatId":"a","extra":"x"y"}"#),
            Err(ApiError::bad_request("unknown field `extra`"))
        );
        assert_eq!(
            read(r#"{"chatId":"a","n":"x"y"}"#),
            Err(ApiError::bad_request(
                "request body does not match the contract (wrong type?)"
            ))
        );
        assert_eq!(
            read(r#"{"chatId":"a","chatId":"b"c"}"#),
            Err(ApiError::bad_request(
                "request body is not valid JSON, nor a flat object of strings as CAIC pastes variables: it repeats a key"
            ))
        );
    }

    #[test]
    fn unset_values_are_not_given() {
        let read = |body: &str| json_body::<Probe>(&post(body, Some("application/json")), None);
        assert_eq!(
            read(r#"{"chatId":" ","note":"{{note}}"}"#),
            Ok(probe(None, None))
        );
        assert_eq!(read(r#"{"note":" {{ x }} \n"}"#), Ok(probe(None, None)));
        assert_eq!(
            read(r#"{"note":"{{note}} and more"}"#),
            Ok(probe(None, Some("{{note}} and more")))
        );
    }

    #[test]
    fn refuses_bodies_over_the_limit() {
        let big = format!(r#"{{"chatId":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(
            json_body::<Probe>(&post(&big, Some("application/json")), None),
            Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES
            })
        );
    }

    #[test]
    fn empty_body_is_the_default_only_where_allowed() {
        let req = post("  ", Some("text/plain"));
        assert_eq!(
            json_body(&req, Some(Probe::default())),
            Ok(Probe::default())
        );
        assert_eq!(
            json_body::<Probe>(&req, None),
            Err(ApiError::bad_request("request body is required"))
        );
    }

    #[test]
    fn error_messages_never_echo_values() {
        let cases = [
            (
                r#"{"chatId":"a","extra":"jan@example.nl"}"#,
                "unknown field `extra`",
            ),
            (r#"{"chatId":"a","chatId":"b"}"#, "duplicate field `chatId`"),
            (r#"{"chatId":"a","jan@example.nl":"x"}"#, "unknown field"),
            (
                r#"{"chatId":"jan@example.nl""#,
                "request body is not valid JSON",
            ),
            (r#"not json at all"#, "request body is not valid JSON"),
        ];
        for (body, message) in cases {
            assert_eq!(
                json_body::<Probe>(&post(body, Some("application/json")), None),
                Err(ApiError::bad_request(message)),
                "{body}"
            );
        }
        let wrong_type = json_body::<Probe>(
            &post(r#"{"n":"jan@example.nl"}"#, Some("application/json")),
            None,
        );
        let Err(ApiError::BadRequest(message)) = wrong_type else {
            panic!("expected a bad request, got {wrong_type:?}");
        };
        assert!(!message.contains("jan@example.nl"), "{message}");
        assert!(
            message.starts_with("request body does not match the contract"),
            "{message}"
        );
    }
}
