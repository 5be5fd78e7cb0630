//! What a handover request may ask for ([`HandoverOrder::parse`]): the chat, the skill, the web
//! store, the channel and the dialog's own Context pairs, each checked.

use std::collections::BTreeMap;

use shared::ApiError;
use shared::contract::HandoverRequest;
use shared::contract::validate::{self, ChatId};

pub use shared::contract::validate::CONTEXT_KEY_MAX_LEN;

use crate::keys::{ContextKeys, RESERVED_CONTEXT_KEYS};

pub const CONTEXT_MAX_PAIRS: usize = 20;

pub const CONTEXT_VALUE_MAX_LEN: usize = 500;

/// A handover request that passed every check.
#[derive(Debug)]
pub struct HandoverOrder {
    pub chat: ChatId,
    pub skill: Option<String>,
    pub webstore: Option<String>,
    pub channel: Option<String>,
    pub context: BTreeMap<String, String>,
}

impl HandoverOrder {
    pub fn parse(request: HandoverRequest, keys: &ContextKeys) -> Result<Self, ApiError> {
        let chat =
            ChatId::parse(&request.chat_id).map_err(|e| ApiError::invalid_field("chatId", e))?;
        let skill = optional_text("skill", request.skill.as_deref())?;
        let webstore =
            ApiError::check_optional("webstore", request.webstore.as_deref(), validate::webstore)?;
        let channel =
            ApiError::check_optional("channel", request.channel.as_deref(), validate::channel)?;
        let raw_context = request.context.unwrap_or_default();
        if raw_context.len() > CONTEXT_MAX_PAIRS {
            return Err(ApiError::bad_request(format!(
                "context must hold at most {CONTEXT_MAX_PAIRS} pairs"
            )));
        }
        let mut context = BTreeMap::new();
        for (key, value) in raw_context {
            if !validate::is_context_key(&key) {
                return Err(ApiError::bad_request(format!(
                    "context keys must be 1-{CONTEXT_KEY_MAX_LEN} letters, digits, _ - or ."
                )));
            }
            if RESERVED_CONTEXT_KEYS
                .iter()
                .any(|reserved| reserved.eq_ignore_ascii_case(&key))
            {
                return Err(ApiError::bad_request(format!(
                    "context key `{key}` is reserved: it is filled from intake or the request"
                )));
            }
            if !keys.allows(&key) {
                // the key is not repeated: it may be what a customer typed
                return Err(ApiError::bad_request(
                    "a context key is not one of HANDOVER_CONTEXT_KEYS, the keys this deployment's dialogs send",
                ));
            }
            let value = validate::text(&value, CONTEXT_VALUE_MAX_LEN)
                .map_err(|e| ApiError::invalid_field(&format!("context.{key}"), e))?;
            context.insert(key, value);
        }
        Ok(Self {
            chat,
            skill,
            webstore,
            channel,
            context,
        })
    }
}

fn optional_text(field: &str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|v| validate::text(v, 128).map_err(|e| ApiError::invalid_field(field, e)))
        .transpose()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn order(body: serde_json::Value) -> Result<HandoverOrder, ApiError> {
        HandoverOrder::parse(
            serde_json::from_value(body).unwrap_or_else(|e| panic!("fixture: {e}")),
            &ContextKeys::default(),
        )
    }

    /// With HANDOVER_CONTEXT_KEYS, a key the dialogs do not send is refused without naming it;
    /// the list itself is checked at start-up.
    #[test]
    fn only_the_deployments_context_keys_are_taken_when_it_lists_them() {
        let keys = ContextKeys::only(&["orderId", "note"]);
        let parse = |context: serde_json::Value| {
            HandoverOrder::parse(
                serde_json::from_value(json!({"chatId": "c1", "context": context}))
                    .unwrap_or_else(|e| panic!("fixture: {e}")),
                &keys,
            )
        };
        assert!(parse(json!({"orderId": "A-17", "note": "x"})).is_ok());
        match parse(json!({"note": "x", "tier": "gold"})) {
            Err(ApiError::BadRequest(message)) => assert!(!message.contains("tier"), "{message}"),
            other => panic!("{other:?}"),
        }
        let env = |value: &str| {
            shared::setup::config::Env::from_pairs([(
                shared::setup::config::HANDOVER_CONTEXT_KEYS.to_owned(),
                value.to_owned(),
            )])
        };
        assert_eq!(
            ContextKeys::from_env(&env(" ")).ok(),
            Some(ContextKeys::default())
        );
        assert_eq!(
            ContextKeys::from_env(&env("orderId, note")).ok(),
            Some(ContextKeys::only(&["note", "orderId"]))
        );
        assert!(ContextKeys::from_env(&env("orderId,summary")).is_err());
        assert!(ContextKeys::from_env(&env("order id")).is_err());
    }

    #[test]
    fn the_routing_keys_are_reserved_in_any_case() {
        for key in [
            "RoutingKeywords",
            "routingkeywords",
            "WebStoreReferrer",
            "WEBSTOREREFERRER",
            "CustomerInfo",
            "customerInfo",
            "Summary",
            "overflowfrom",
            "Channel",
        ] {
            let parsed = order(json!({"chatId": "c", "context": {key: "x"}}));
            assert_eq!(
                parsed.map(|_| ()),
                Err(ApiError::bad_request(format!(
                    "context key `{key}` is reserved: it is filled from intake or the request"
                ))),
                "{key}"
            );
        }
    }

    #[test]
    fn context_refuses_reserved_bad_and_too_many_keys() {
        let reserved = order(json!({"chatId": "c", "context": {"email": "x@example.nl"}}));
        assert_eq!(
            reserved.map(|_| ()),
            Err(ApiError::bad_request(
                "context key `email` is reserved: it is filled from intake or the request"
            ))
        );
        let bad_key = order(json!({"chatId": "c", "context": {"a b": "x"}}));
        assert_eq!(
            bad_key.map(|_| ()),
            Err(ApiError::bad_request(
                "context keys must be 1-64 letters, digits, _ - or ."
            ))
        );
        let bad_value = order(json!({"chatId": "c", "context": {"k": "a\u{0}b"}}));
        assert_eq!(
            bad_value.map(|_| ()),
            Err(ApiError::bad_request(
                "context.k must not contain control, invisible formatting or bidirectional characters"
            ))
        );
        let many: serde_json::Map<String, serde_json::Value> = (0..=CONTEXT_MAX_PAIRS)
            .map(|i| (format!("k{i}"), json!("v")))
            .collect();
        assert_eq!(
            order(json!({"chatId": "c", "context": many})).map(|_| ()),
            Err(ApiError::bad_request("context must hold at most 20 pairs"))
        );
    }
}
