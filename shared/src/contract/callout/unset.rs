//! A value that is not given: empty, or one unfilled `{{placeholder}}` of a variable the dialog
//! did not set; cleared from a request and named by field, so the dialog author finds it.

/// Why a value counts as not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    /// Empty, or only whitespace: an unset variable CAIC pasted as nothing.
    Empty,
    /// One `{{...}}` placeholder (after trimming): a variable the dialog did not fill in.
    Placeholder,
}

/// Whether `value` is unset, and how; `None` when it is a real value.
pub fn unset(value: &str) -> Option<Unset> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Some(Unset::Empty)
    } else if is_placeholder(trimmed) {
        Some(Unset::Placeholder)
    } else {
        None
    }
}

/// One template placeholder and nothing else: `{{name}}`, `{{ name }}`, `{{$chatId}}`. The name
/// holds no brace and is at most 128 characters.
pub fn is_placeholder(trimmed: &str) -> bool {
    trimmed
        .strip_prefix("{{")
        .and_then(|rest| rest.strip_suffix("}}"))
        .is_some_and(|name| name.chars().count() <= 128 && !name.contains(['{', '}']))
}

/// The fields of a request that were sent as unfilled placeholders, by name (never by value): a
/// top-level field (`name`), or a pair of an object field (`context`, key `orderId`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unfilled(Vec<UnfilledField>);

/// One unfilled placeholder: the field, and the key within it for an object of pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfilledField {
    pub field: &'static str,
    pub key: Option<String>,
}

impl Unfilled {
    /// Clears `slot` when its value is unset, noting a placeholder under `field`.
    pub fn clear(&mut self, field: &'static str, slot: &mut Option<String>) {
        if let Some(how) = slot.as_deref().and_then(unset) {
            if how == Unset::Placeholder {
                self.0.push(UnfilledField { field, key: None });
            }
            *slot = None;
        }
    }

    /// Notes a required value sent as an unfilled placeholder under `field`; the value stays, for
    /// its own check to refuse with a message that says what is not set.
    pub fn note_required(&mut self, field: &'static str, value: &str) {
        if unset(value) == Some(Unset::Placeholder) {
            self.0.push(UnfilledField { field, key: None });
        }
    }

    /// Drops every pair of `pairs` whose value is unset, noting each placeholder under `field`
    /// and its key.
    pub fn clear_pairs(
        &mut self,
        field: &'static str,
        pairs: &mut std::collections::BTreeMap<String, String>,
    ) {
        pairs.retain(|key, value| match unset(value) {
            None => true,
            Some(how) => {
                if how == Unset::Placeholder {
                    self.0.push(UnfilledField {
                        field,
                        key: Some(key.clone()),
                    });
                }
                false
            }
        });
    }

    pub fn fields(&self) -> &[UnfilledField] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A required value sent as its placeholder is noted (counted and logged by field) and kept
    /// for its own check; a real or an empty one is not noted.
    #[test]
    fn a_required_placeholder_is_noted_and_kept() {
        let mut unfilled = Unfilled::default();
        unfilled.note_required("chatId", " {{chatId}} ");
        unfilled.note_required("chatId", "c-1");
        unfilled.note_required("chatId", "");
        assert_eq!(
            unfilled.fields(),
            [UnfilledField {
                field: "chatId",
                key: None
            }]
        );
    }

    #[test]
    fn unset_values_are_empty_or_one_placeholder() {
        for empty in ["", " ", "\t\n "] {
            assert_eq!(unset(empty), Some(Unset::Empty), "{empty:?}");
        }
        for placeholder in [
            "{{name}}",
            " {{ skill }} ",
            "{{$chatId}}",
            "{{}}",
            "{{mscWebstore}}",
        ] {
            assert_eq!(
                unset(placeholder),
                Some(Unset::Placeholder),
                "{placeholder:?}"
            );
        }
        for value in [
            "Jan",
            "{{name}} de Vries",
            "Hello {{name}}",
            "{{a}}{{b}}",
            "{name}",
            "{{a{b}}",
            "{{ unclosed",
            &format!("{{{{{}}}}}", "x".repeat(129)),
        ] {
            assert_eq!(unset(value), None, "{value:?}");
        }
    }

    #[test]
    fn unfilled_placeholders_are_cleared_and_named() {
        let mut unfilled = Unfilled::default();
        let mut name = Some("{{name}}".to_owned());
        let mut skill = Some("  ".to_owned());
        let mut webstore = Some("shop-nl".to_owned());
        unfilled.clear("name", &mut name);
        unfilled.clear("skill", &mut skill);
        unfilled.clear("webstore", &mut webstore);
        let mut context: std::collections::BTreeMap<String, String> =
            [("orderId", "{{orderId}}"), ("note", ""), ("tier", "gold")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        unfilled.clear_pairs("context", &mut context);
        assert_eq!(
            (name, skill, webstore),
            (None, None, Some("shop-nl".to_owned()))
        );
        assert_eq!(
            context.into_iter().collect::<Vec<_>>(),
            vec![("tier".to_owned(), "gold".to_owned())]
        );
        assert_eq!(
            unfilled.fields(),
            [
                UnfilledField {
                    field: "name",
                    key: None
                },
                UnfilledField {
                    field: "context",
                    key: Some("orderId".to_owned())
                }
            ]
        );
    }
}
