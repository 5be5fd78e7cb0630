//! `POST /handover`, step 4: the request (with the dialog's own Context pairs) and the answer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::contract::callout::{CalloutBody, Unfilled};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HandoverRequest {
    pub chat_id: String,
    pub skill: Option<String>,
    /// The web store whose team takes the chat; absent (or the one availability was asked about),
    /// the one availability decided on when the chat overflowed.
    pub webstore: Option<String>,
    /// The chat's channel, as CAIC or the router names it (`WhatsApp`, `CXWebConversations`):
    /// shown to the agent and counted per channel.
    pub channel: Option<String>,
    /// Refused when a key appears twice (as a top-level field is): last-one-wins would let a
    /// value hide behind another.
    #[serde(default, deserialize_with = "unique_pairs")]
    pub context: Option<BTreeMap<String, String>>,
}

impl CalloutBody for HandoverRequest {
    const CUSTOMER_TEXT: &'static [&'static str] = &[];
    const DIALOG_FIELDS: &'static [&'static str] = &["chatId", "skill", "webstore", "channel"];
    const NESTED: &'static [&'static str] = &["context"];

    fn clear_unset(&mut self) -> Unfilled {
        let mut unfilled = Unfilled::default();
        unfilled.note_required("chatId", &self.chat_id);
        unfilled.clear("skill", &mut self.skill);
        unfilled.clear("webstore", &mut self.webstore);
        unfilled.clear("channel", &mut self.channel);
        if let Some(context) = &mut self.context {
            unfilled.clear_pairs("context", context);
        }
        unfilled
    }
}

/// A JSON object of string pairs in which no key appears twice.
fn unique_pairs<'de, D>(deserializer: D) -> Result<Option<BTreeMap<String, String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = Option<BTreeMap<String, String>>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of string values")
        }

        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut pairs = BTreeMap::new();
            while let Some((key, value)) = map.next_entry::<String, String>()? {
                if pairs.contains_key(&key) {
                    return Err(serde::de::Error::custom(format_args!(
                        "duplicate context key `{key}`"
                    )));
                }
                pairs.insert(key, value);
            }
            Ok(Some(pairs))
        }
    }
    deserializer.deserialize_option(Pairs)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HandoverStatus {
    Success,
    Pending,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoverReason {
    /// A handover for this chat already succeeded within the dedup window; nothing was sent.
    AlreadyHandedOver,
    /// Another invocation is handing this chat over right now; nothing was sent.
    HandoverInProgress,
    /// CM.com answered with a non-2xx status (including a redirect, which is never followed).
    UpstreamRejected,
    /// CM.com did not answer within the time budget.
    UpstreamTimeout,
    /// CM.com could not be reached (connection refused, reset, TLS failure).
    UpstreamUnreachable,
    /// Our own table could not be reached, so nothing was claimed and nothing was sent.
    StoreUnavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandoverResponse {
    pub handover_status: HandoverStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<HandoverReason>,
}

impl HandoverStatus {
    /// The wire name (`success`, ...), as the answer carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Pending => "pending",
            Self::Failed => "failed",
        }
    }
}

impl HandoverReason {
    /// The wire name (`already_handed_over`, ...), as the answer carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlreadyHandedOver => "already_handed_over",
            Self::HandoverInProgress => "handover_in_progress",
            Self::UpstreamRejected => "upstream_rejected",
            Self::UpstreamTimeout => "upstream_timeout",
            Self::UpstreamUnreachable => "upstream_unreachable",
            Self::StoreUnavailable => "store_unavailable",
        }
    }
}

impl HandoverResponse {
    /// The metric that counts this answer.
    pub fn metric(&self) -> &'static str {
        match (self.handover_status, self.reason) {
            (HandoverStatus::Success, Some(HandoverReason::AlreadyHandedOver)) => {
                "HandoverDeduplicated"
            }
            (HandoverStatus::Success, _) => "HandoverSucceeded",
            (HandoverStatus::Pending, _) => "HandoverInProgress",
            (HandoverStatus::Failed, _) => "HandoverFailed",
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_context_key_given_twice_is_refused_as_a_field_given_twice_is() {
        let parse = |body: &str| {
            serde_json::from_str::<HandoverRequest>(body)
                .map(|r| r.context)
                .map_err(|e| e.to_string())
        };
        let twice = parse(r#"{"chatId":"c","context":{"note":"a","other":"x","note":"b"}}"#);
        assert!(
            matches!(&twice, Err(m) if m.starts_with("duplicate context key `note`")),
            "{twice:?}"
        );
        assert_eq!(
            parse(r#"{"chatId":"c","context":{"a":"1","b":"2"}}"#),
            Ok(Some(BTreeMap::from([
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "2".to_owned())
            ])))
        );
        assert_eq!(parse(r#"{"chatId":"c","context":null}"#), Ok(None));
        assert_eq!(parse(r#"{"chatId":"c"}"#), Ok(None));
        let number = parse(r#"{"chatId":"c","context":{"a":1}}"#);
        assert!(
            matches!(&number, Err(m) if m.starts_with("invalid type: integer `1`, expected a string")),
            "{number:?}"
        );
    }

    #[test]
    fn handover_wire_names_are_the_serialised_ones() {
        use HandoverReason::*;
        for status in [
            HandoverStatus::Success,
            HandoverStatus::Pending,
            HandoverStatus::Failed,
        ] {
            assert_eq!(json!(status), json!(status.as_str()));
        }
        for reason in [
            AlreadyHandedOver,
            HandoverInProgress,
            UpstreamRejected,
            UpstreamTimeout,
            UpstreamUnreachable,
            StoreUnavailable,
        ] {
            assert_eq!(json!(reason), json!(reason.as_str()));
        }
    }
}
