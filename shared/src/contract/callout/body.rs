//! What every request body of ours is ([`CalloutBody`]), and the rule that the customer's text
//! comes last: a field the dialog owns after it is found and named.

use serde::de::DeserializeOwned;

use super::unset::Unfilled;

/// A request body an API Callout sends: its rules for reading what CAIC pasted into it.
pub trait CalloutBody: DeserializeOwned {
    /// The fields that carry what the customer typed. In a body that is not valid JSON, the
    /// first of them is the last value (it runs to the end), whatever it holds.
    const CUSTOMER_TEXT: &'static [&'static str];

    /// The fields the dialog owns in a body that also carries the customer's text: each must come
    /// before the customer's text ([`owned_after_customer_text`]). None where there is no
    /// customer text.
    const DIALOG_FIELDS: &'static [&'static str] = &[];

    /// The fields whose value is a flat object of strings that may carry the customer's text (the
    /// handover's `context`): read pasted as the top level is ([`super::read_pasted_nested`]), and, as
    /// the customer's text, after every field of [`Self::DIALOG_FIELDS`].
    const NESTED: &'static [&'static str] = &[];

    /// Sets every optional value that is unset (see [`super::unset`]) to not given, and says which
    /// were unfilled placeholders. A required value (`chatId`) is left for its own check.
    fn clear_unset(&mut self) -> Unfilled;
}

/// The customer's text goes last: the first field the dialog owns that comes after a field
/// carrying the customer's text, with that field, as `(owned, customer)`. `keys` are a body's
/// keys in order; in a pasted body the customer's value runs to the end, so a field the dialog
/// wrote after it would be read as the customer's words: it is found in that value
/// ([`names_a_field`]) and refused the same way. So typed JSON can never choose a channel, a
/// team, a mailbox or anything else the dialog owns.
pub fn owned_after_customer_text(
    pairs: &[(String, Option<&str>)],
    customer_text: &[&str],
    dialog_fields: &[&str],
) -> Option<(String, String)> {
    let mut customer: Option<&str> = None;
    for (key, value) in pairs {
        if let Some(customer) = customer
            && dialog_fields.contains(&key.as_str())
        {
            return Some((key.clone(), customer.to_owned()));
        }
        if customer_text.contains(&key.as_str()) {
            customer = customer.or(Some(key.as_str()));
            if let Some(value) = value
                && let Some(owned) = dialog_fields.iter().find(|f| names_a_field(value, f))
            {
                return Some(((*owned).to_owned(), key.clone()));
            }
        }
    }
    None
}

/// Whether `value`, the literal rest of a pasted body, holds `","<field>":` (blanks allowed
/// around each part): a field written after the customer's text, swallowed by it.
pub fn names_a_field(value: &str, field: &str) -> bool {
    let quoted = format!("\"{field}\"");
    value.match_indices(&quoted).any(|(at, _)| {
        let before = value[..at].trim_end();
        let after = value[at + quoted.len()..].trim_start();
        after.starts_with(':')
            && before
                .strip_suffix(',')
                .is_some_and(|b| b.trim_end().ends_with('"'))
    })
}

/// The top-level keys of a JSON object, in order (values skipped); `None` when `bytes` is not
/// one.
pub fn top_level_keys(bytes: &[u8]) -> Option<Vec<String>> {
    struct Keys;
    impl<'de> serde::de::Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<serde::de::IgnoredAny>()?;
                keys.push(key);
            }
            Ok(keys)
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    serde::Deserializer::deserialize_map(&mut deserializer, Keys).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The customer's text goes last: a dialog field after it is named, in the keys' order (valid
    /// JSON) or inside the customer's value where a pasted body swallowed it.
    #[test]
    fn a_dialog_field_after_the_customers_text_is_named() {
        let keys = |list: &[&'static str]| -> Vec<(String, Option<&'static str>)> {
            list.iter().map(|k| ((*k).to_owned(), None)).collect()
        };
        let owned = |pairs: &[(String, Option<&str>)]| {
            owned_after_customer_text(pairs, &["message"], &["chatId", "webstore", "channel"])
        };
        assert_eq!(owned(&keys(&["chatId", "webstore", "message"])), None);
        assert_eq!(owned(&keys(&["chatId", "message"])), None);
        assert_eq!(
            owned(&keys(&["chatId", "message", "webstore"])),
            Some(("webstore".to_owned(), "message".to_owned()))
        );
        let pasted = |value: &'static str| {
            vec![
                ("chatId".to_owned(), Some("c")),
                ("message".to_owned(), Some(value)),
            ]
        };
        assert_eq!(owned(&pasted(r#"te "laat" en "kapot""#)), None);
        assert_eq!(owned(&pasted(r#"late, "channel" please: VIP"#)), None);
        assert_eq!(
            owned(&pasted(r#"te laat" , "channel" : "VIP"#)),
            Some(("channel".to_owned(), "message".to_owned()))
        );
        assert!(names_a_field(r#"x","webstore":"y"#, "webstore"));
        assert!(!names_a_field(r#"x "webstore": y"#, "webstore"));
        assert!(!names_a_field(r#"x","webstores":"y"#, "webstore"));
        assert_eq!(
            top_level_keys(br#"{"b": {"x": 1}, "a": [1, "c"], "c": "d"}"#),
            Some(vec!["b".to_owned(), "a".to_owned(), "c".to_owned()])
        );
        assert_eq!(top_level_keys(b"[1]"), None);
    }
}
