//! A body that is not valid JSON, read as CAIC builds it: a flat object of string values (one
//! nested `context` object at most), read front to back while its pairs are well formed, the
//! customer's value last and taken literally.

use std::collections::HashSet;

/// Why a body is neither valid JSON nor a body CAIC could have pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PastedError {
    #[error("is not an object of string values in braces")]
    NotAnObject,
    #[error("has a key that is not a well-formed string")]
    MalformedKey,
    #[error("has a key without `:` and a string value after it")]
    MalformedPair,
    #[error("repeats a key")]
    RepeatedKey,
    #[error("has a last value without its closing `\"` before the closing `}}`")]
    UnclosedValue,
    #[error("has more fields than any body of ours")]
    TooManyPairs,
    #[error(
        "has an object value with a raw quote that is not the body's last field: put the customer's text last"
    )]
    NestedNotLast,
}

/// The most pairs a pasted body may have: no body of ours has more than eight fields, and each
/// key comes once, so a body with more is refused before it is read further. This keeps the
/// worst body a caller can send (8 KiB of two-letter keys) as cheap as a few normal ones.
pub const MAX_PAIRS: usize = 16;

/// The pairs of a body as CAIC pastes variables into a Raw body (see the module doc): a flat
/// object of string values; the first value that is not a well-formed string followed by `,` or
/// the closing `}`, or the first value of a field in `customer_text`, runs literally to the
/// last `"` before the closing `}`. Keys are well-formed JSON strings and never repeat.
pub fn read_pasted(
    body: &str,
    customer_text: &[&str],
) -> Result<Vec<(String, String)>, PastedError> {
    Ok(read_pasted_nested(body, customer_text, &[])?
        .into_iter()
        .map(|(key, value)| match value {
            Pasted::Text(text) => (key, text),
            // no key is nested here, so no value is an object
            Pasted::Pairs(_) => (key, String::new()),
        })
        .collect())
}

/// A value of a pasted body: a string, or the flat object of strings a nested field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pasted {
    Text(String),
    Pairs(Vec<(String, String)>),
}

/// The most pairs a nested object of a pasted body may have (the handover's context holds at
/// most 20).
pub const MAX_NESTED_PAIRS: usize = 24;

/// [`read_pasted`], where a field in `nested` (the handover's `context`) may hold a flat object
/// of strings read under the same rules: keys once, and the first value that is not a
/// well-formed string runs literally to the last `"` before the object's `}`, which must then
/// close the body too (that object is the body's last field, as the customer's text always is).
pub fn read_pasted_nested(
    body: &str,
    customer_text: &[&str],
    nested: &[&str],
) -> Result<Vec<(String, Pasted)>, PastedError> {
    let inner = body
        .trim()
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .ok_or(PastedError::NotAnObject)?;
    let mut pairs: Vec<(String, Pasted)> = Vec::new();
    // the keys seen so far: a set, so that a body of many short pairs stays linear to read
    let mut seen: HashSet<String> = HashSet::new();
    let mut rest = inner;
    loop {
        let (key, value) = next_key(rest, &mut seen, MAX_PAIRS)?;
        if nested.contains(&key.as_str())
            && let Some(object) = value.strip_prefix('{')
        {
            let (inner_pairs, after) = read_object(object)?;
            pairs.push((key, Pasted::Pairs(inner_pairs)));
            match after {
                None => return Ok(pairs),
                Some(after) => {
                    let after = after.trim_start();
                    if after.is_empty() {
                        return Ok(pairs);
                    }
                    rest = after.strip_prefix(',').ok_or(PastedError::MalformedPair)?;
                    continue;
                }
            }
        }
        let value_start = Some(value)
            .filter(|v| v.starts_with('"'))
            .ok_or(PastedError::MalformedPair)?;
        if !customer_text.contains(&key.as_str())
            && let Some((value, after_value)) = json_string(value_start)
        {
            let after_value = after_value.trim_start();
            if let Some(next) = after_value.strip_prefix(',') {
                pairs.push((key, Pasted::Text(value)));
                rest = next;
                continue;
            }
            if after_value.is_empty() {
                pairs.push((key, Pasted::Text(value)));
                return Ok(pairs);
            }
        }
        // the last value: literally, up to the last quote (only blanks between it and the brace)
        pairs.push((key, Pasted::Text(literal_to_last_quote(&value_start[1..])?)));
        return Ok(pairs);
    }
}

/// A nested object's pairs and what follows its `}` ([`read_object`]).
type NestedRead<'a> = (Vec<(String, String)>, Option<&'a str>);

/// The pairs of a nested object, `text` starting after its `{`, and what follows its `}`; `None`
/// for what follows when a value ran literally to the end of the body (it then ends the body).
fn read_object(text: &str) -> Result<NestedRead<'_>, PastedError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut rest = text.trim_start();
    if let Some(after) = rest.strip_prefix('}') {
        return Ok((pairs, Some(after)));
    }
    loop {
        let (key, value) = next_key(rest, &mut seen, MAX_NESTED_PAIRS)?;
        let value_start = Some(value)
            .filter(|v| v.starts_with('"'))
            .ok_or(PastedError::MalformedPair)?;
        if let Some((value, after_value)) = json_string(value_start) {
            let after_value = after_value.trim_start();
            if let Some(next) = after_value.strip_prefix(',') {
                pairs.push((key, value));
                rest = next;
                continue;
            }
            if let Some(after) = after_value.strip_prefix('}') {
                pairs.push((key, value));
                return Ok((pairs, Some(after)));
            }
        }
        // a value the customer's text broke: it runs to the last quote before the object's `}`,
        // which must be the end of the body
        let literal = value_start[1..]
            .trim_end()
            .strip_suffix('}')
            .ok_or(PastedError::NestedNotLast)?;
        pairs.push((key, literal_to_last_quote(literal)?));
        return Ok((pairs, None));
    }
}

/// The key at the start of `rest` and the text after its `:`: a well-formed JSON string not
/// seen before in this object (`seen`), and at most `max` of them.
fn next_key<'a>(
    rest: &'a str,
    seen: &mut HashSet<String>,
    max: usize,
) -> Result<(String, &'a str), PastedError> {
    let (key, after_key) = json_string(rest.trim_start()).ok_or(PastedError::MalformedKey)?;
    if !seen.insert(key.clone()) {
        return Err(PastedError::RepeatedKey);
    }
    if seen.len() > max {
        return Err(PastedError::TooManyPairs);
    }
    let value = after_key
        .trim_start()
        .strip_prefix(':')
        .map(str::trim_start)
        .ok_or(PastedError::MalformedPair)?;
    Ok((key, value))
}

/// `literal` up to its last `"`, with only blanks after that quote.
fn literal_to_last_quote(literal: &str) -> Result<String, PastedError> {
    let end = literal.rfind('"').ok_or(PastedError::UnclosedValue)?;
    if !literal[end + 1..].trim().is_empty() {
        return Err(PastedError::UnclosedValue);
    }
    Ok(literal[..end].to_owned())
}

/// A well-formed JSON string at the start of `text` (escapes decoded, no raw control
/// character) and what follows it; `None` when `text` does not start with one.
fn json_string(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('"')?;
    let mut escaped = false;
    for (at, c) in body.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '"' {
            let end = at + 1;
            // without an escape the string is its own text; with one, JSON decodes it
            let value = if body[..at].contains('\\') {
                serde_json::from_str(&text[..=end]).ok()?
            } else {
                body[..at].to_owned()
            };
            return Some((value, &body[end..]));
        } else if c < ' ' {
            // a raw tab, line break or other control character: not a JSON string
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value with spaces is a well-formed string like any other (only a control character makes
    /// one malformed): it does not swallow the fields after it.
    #[test]
    fn a_value_with_spaces_keeps_the_fields_after_it() {
        assert_eq!(
            pasted(
                r#"{"chatId":"c1","channel":"Apple Business Chat","message":"my "order" is late"}"#,
                &["message"]
            ),
            pairs(&[
                ("chatId", "c1"),
                ("channel", "Apple Business Chat"),
                ("message", r#"my "order" is late"#)
            ])
        );
        assert_eq!(json_string(r#""a b" x"#), Some(("a b".to_owned(), " x")));
        assert_eq!(json_string("\"a\u{1f}b\""), None);
    }

    fn pasted(body: &str, customer_text: &[&str]) -> Result<Vec<(String, String)>, PastedError> {
        read_pasted(body, customer_text)
    }

    fn pairs(list: &[(&str, &str)]) -> Result<Vec<(String, String)>, PastedError> {
        Ok(list
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect())
    }

    #[test]
    fn the_customers_quotes_backslashes_tabs_and_line_breaks_arrive_as_typed() {
        assert_eq!(
            pasted(r#"{"chatId":"i7","name":"Jan "JJ" Jansen"}"#, &["name"]),
            pairs(&[("chatId", "i7"), ("name", r#"Jan "JJ" Jansen"#)])
        );
        assert_eq!(
            pasted(
                "{\"chatId\": \"i7\", \"question\": \"my order \"123\" is\tlate\nC:\\temp\\x \"}",
                &["question"]
            ),
            pairs(&[
                ("chatId", "i7"),
                ("question", "my order \"123\" is\tlate\nC:\\temp\\x ")
            ])
        );
        // a value that is not well formed is the last one, also outside the customer's fields
        assert_eq!(
            pasted(r#"{"chatId":"c","webstore":"shop","skill":"a"b"}"#, &[]),
            pairs(&[("chatId", "c"), ("webstore", "shop"), ("skill", r#"a"b"#)])
        );
        // well-formed values before it are read with their escapes
        assert_eq!(
            pasted(r#" { "chatId" : "c\u0031" , "name" : "x"y" } "#, &[]),
            pairs(&[("chatId", "c1"), ("name", r#"x"y"#)])
        );
    }

    #[test]
    fn customer_text_never_sets_another_field() {
        // a question that tries to close itself and set the name: it is all question
        assert_eq!(
            pasted(
                r#"{"chatId":"c1","question":"late","name":"Admin"}"}"#,
                &["name", "question"]
            ),
            pairs(&[("chatId", "c1"), ("question", r#"late","name":"Admin"}"#)])
        );
        // or the chat id: the same
        assert_eq!(
            pasted(
                r#"{"chatId":"c1","message":"x","chatId":"other"}"#,
                &["message"]
            ),
            pairs(&[("chatId", "c1"), ("message", r#"x","chatId":"other"#)])
        );
        // a raw quote in an earlier value: that value runs to the end, no later field is set
        assert_eq!(
            pasted(r#"{"chatId":"c"1","question":"ok"}"#, &["question"]),
            pairs(&[("chatId", r#"c"1","question":"ok"#)])
        );
    }

    #[test]
    fn anything_else_is_refused() {
        use PastedError::*;
        for (body, error) in [
            ("", NotAnObject),
            ("chatId=c", NotAnObject),
            (r#"{"chatId":"c""#, NotAnObject),
            ("[\"a\"]", NotAnObject),
            ("{}", MalformedKey),
            (r#"{chatId:"c"}"#, MalformedKey),
            (r#"{"chatId":"c",}"#, MalformedKey),
            (r#"{"chatId" "c"}"#, MalformedPair),
            (r#"{"chatId":1,"name":"x"y"}"#, MalformedPair),
            (r#"{"context":{"a":"b"c"}}"#, MalformedPair),
            (r#"{"chatId":"c","chatId":"d"x"}"#, RepeatedKey),
            (r#"{"chatId":"c","name":"Jan}"#, UnclosedValue),
            (r#"{"chatId":"c","name":"Jan" x}"#, UnclosedValue),
        ] {
            assert_eq!(pasted(body, &["name"]), Err(error), "{body}");
        }
    }

    /// A nested object (the handover's context) is read as the top level is: well-formed pairs,
    /// keys once, and a broken value last, running to the last quote before the object's brace,
    /// which must close the body.
    #[test]
    fn a_nested_context_is_read_under_the_same_rules() {
        let read = |body: &str| read_pasted_nested(body, &[], &["context"]);
        let text = |s: &str| Pasted::Text(s.to_owned());
        let object = |list: &[(&str, &str)]| {
            Pasted::Pairs(
                list.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        };
        assert_eq!(
            read(r#"{"chatId":"c","context":{"a":"b","note":"x "y" z"}}"#),
            Ok(vec![
                ("chatId".to_owned(), text("c")),
                (
                    "context".to_owned(),
                    object(&[("a", "b"), ("note", r#"x "y" z"#)])
                ),
            ])
        );
        assert_eq!(
            read(r#"{"context":{},"chatId":"c"y"}"#),
            Ok(vec![
                ("context".to_owned(), object(&[])),
                ("chatId".to_owned(), text(r#"c"y"#)),
            ])
        );
        // a typed `a"},"webstore":"x` closes the context early: the rest is no pasted body (and
        // where it forms valid JSON, the web store after the context is refused by its order)
        assert_eq!(
            read(r#"{"chatId":"c","context":{"note":"a"},"webstore":"x"}}"#),
            Err(PastedError::UnclosedValue)
        );
        assert_eq!(
            read(r#"{"chatId":"c","context":{"note":"a"b"},"skill":"s"}"#),
            Err(PastedError::NestedNotLast)
        );
        assert_eq!(
            read(r#"{"chatId":"c","context":{"a":"1","a":"2"x"}}"#),
            Err(PastedError::RepeatedKey)
        );
        assert_eq!(
            read(r#"{"chatId":"c","context":{"a":{"b":"c"}}}"#),
            Err(PastedError::MalformedPair)
        );
    }

    /// A body with more pairs than any of ours is refused before it is read further; up to the
    /// limit it is read, escapes decoded where there are some.
    #[test]
    fn a_body_with_more_pairs_than_any_of_ours_is_refused() {
        let body = |pairs: usize| {
            let fields: Vec<String> = (0..pairs).map(|i| format!(r#""k{i}":"v""#)).collect();
            format!("{{{},\"name\":\"x\"y\"}}", fields.join(","))
        };
        let read = pasted(&body(MAX_PAIRS - 1), &["name"]).expect("at the limit");
        assert_eq!(read.len(), MAX_PAIRS);
        assert_eq!(read.last(), Some(&("name".to_owned(), r#"x"y"#.to_owned())));
        assert_eq!(
            pasted(&body(MAX_PAIRS), &["name"]),
            Err(PastedError::TooManyPairs)
        );
        assert_eq!(
            pasted(r#"{"a\u0062":"c\td","e":"f"g"}"#, &[]),
            pairs(&[("ab", "c\td"), ("e", r#"f"g"#)])
        );
    }
}
