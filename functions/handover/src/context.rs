//! What a handover request may ask for and what CM.com receives for it: the request's checks
//! ([`HandoverOrder::parse`]) and the Context the agent reads ([`handover_context`]), with the
//! one-line summary ([`shared::rules::summary`]). One module, because the keys a request may set and the keys the Context
//! fills change together.

use std::collections::{BTreeMap, BTreeSet};

use shared::ApiError;
use shared::adapters::store::Route;
use shared::contract::validate::{self, ChatId};
use shared::contract::{HandoverRequest, IntakeField, IntakeRecord};
use shared::rules::summary::{About, summary};
use shared::rules::words::Words;

pub const CONTEXT_MAX_PAIRS: usize = 20;
pub use shared::contract::validate::CONTEXT_KEY_MAX_LEN;
pub const CONTEXT_VALUE_MAX_LEN: usize = 500;
/// Context keys that our own values fill; a request may not set them, in any case.
pub const RESERVED_CONTEXT_KEYS: [&str; 13] = [
    "name",
    "email",
    "phone",
    "question",
    "language",
    "skill",
    "webstore",
    "channel",
    OVERFLOW_FROM,
    "summary",
    ROUTING_KEYWORDS,
    WEBSTORE_REFERRER,
    CUSTOMER_INFO,
];
/// The web store a chat overflowed from (availability's decision), for the agent.
pub const OVERFLOW_FROM: &str = "overflowFrom";
/// MSC's Routing Keywords (skill-based routing): the request's `skill`, `""` when none.
pub const ROUTING_KEYWORDS: &str = "RoutingKeywords";
/// MSC's Webstore Referrer: the request's `webstore`; left out when none (MSC then routes on the
/// customer's URL).
pub const WEBSTORE_REFERRER: &str = "WebStoreReferrer";
/// The customer as the agent's profile shows them: a JSON *string* of the stored `name`,
/// `email` and `phone`; left out when none is stored.
pub const CUSTOMER_INFO: &str = "CustomerInfo";

/// A handover request that passed every check.
#[derive(Debug)]
pub struct HandoverOrder {
    pub chat: ChatId,
    pub skill: Option<String>,
    pub webstore: Option<String>,
    pub channel: Option<String>,
    pub context: BTreeMap<String, String>,
}

/// The Context keys the deployment's dialogs send (`HANDOVER_CONTEXT_KEYS`): with a list, any
/// other key is refused, so a customer variable pasted into `context` cannot add a key of its
/// own by typing JSON there. Without one, every key that is not reserved is taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextKeys(Option<BTreeSet<String>>);

impl ContextKeys {
    /// The list from `HANDOVER_CONTEXT_KEYS` (comma-separated); unset or empty: any key.
    pub fn from_env(
        env: &shared::setup::config::Env,
    ) -> Result<Self, shared::setup::config::ConfigError> {
        const VAR: &str = shared::setup::config::HANDOVER_CONTEXT_KEYS;
        let Some(raw) = env.get(VAR).filter(|v| !v.trim().is_empty()) else {
            return Ok(Self(None));
        };
        let mut keys = BTreeSet::new();
        for key in raw.split(',').map(str::trim) {
            let reserved = RESERVED_CONTEXT_KEYS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(key));
            if !validate::is_context_key(key) || reserved {
                return Err(shared::setup::config::ConfigError::Invalid {
                    var: VAR,
                    problem: format!(
                        "`{key}` is not a context key a dialog may send (1-{CONTEXT_KEY_MAX_LEN} letters, digits, _ - or ., and none of the reserved keys)"
                    ),
                });
            }
            keys.insert(key.to_owned());
        }
        Ok(Self(Some(keys)))
    }

    /// A list of its own (tests, or a deployment's).
    pub fn only(keys: &[&str]) -> Self {
        Self(Some(keys.iter().map(|k| (*k).to_owned()).collect()))
    }

    fn allows(&self, key: &str) -> bool {
        self.0.as_ref().is_none_or(|keys| keys.contains(key))
    }
}

impl HandoverOrder {
    pub fn parse(request: HandoverRequest, keys: &ContextKeys) -> Result<Self, ApiError> {
        let chat =
            ChatId::parse(&request.chat_id).map_err(|e| ApiError::invalid_field("chatId", e))?;
        let skill = optional_text("skill", request.skill.as_deref())?;
        let webstore = request
            .webstore
            .as_deref()
            .map(|v| validate::webstore(v).map_err(|e| ApiError::invalid_field("webstore", e)))
            .transpose()?;
        let channel = request
            .channel
            .as_deref()
            .map(|v| validate::channel(v).map_err(|e| ApiError::invalid_field("channel", e)))
            .transpose()?;
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

/// The web store whose team takes the chat, and the one it overflowed from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Destination {
    pub webstore: Option<String>,
    pub overflow_from: Option<String>,
}

/// Where the chat goes: availability's recorded decision when the request names no web store or
/// the one availability was asked about (a dialog wired as docs/caic.md passes the web store it
/// asked about, and cannot pass the one availability answered); the request's web store when it
/// names another (the dialog chose).
pub fn destination(asked: Option<&str>, route: Option<&Route>) -> Destination {
    match route {
        Some(route) if asked.is_none_or(|asked| asked == route.requested) => Destination {
            webstore: Some(route.decided.clone()),
            overflow_from: route.overflowed_from().map(str::to_owned),
        },
        _ => Destination {
            webstore: asked.map(str::to_owned),
            overflow_from: None,
        },
    }
}

/// The Context CM.com receives: the stored intake fields, skill, webstore, channel, the
/// `summary` line, the keys MSC routes on and fills the customer profile from as CM.com's own
/// bot builder sends them ([`ROUTING_KEYWORDS`], [`WEBSTORE_REFERRER`], [`CUSTOMER_INFO`]),
/// [`OVERFLOW_FROM`] when the chat overflowed, and the request's own pairs (which cannot
/// overwrite the others: see [`RESERVED_CONTEXT_KEYS`]).
pub fn handover_context(
    intake: &IntakeRecord,
    order: &HandoverOrder,
    destination: &Destination,
    asked_at: &str,
    words: &Words,
) -> BTreeMap<String, String> {
    let mut context = order.context.clone();
    let about = About {
        channel: order.channel.as_deref(),
        skill: order.skill.as_deref(),
        overflow_from: destination.overflow_from.as_deref(),
    };
    context.insert(
        "summary".to_owned(),
        summary(intake, about, asked_at, words),
    );
    for field in IntakeField::ALL {
        if let Some(value) = intake.get(&field) {
            context.insert(field.as_str().to_owned(), value.clone());
        }
    }
    if let Some(skill) = &order.skill {
        context.insert("skill".to_owned(), skill.clone());
    }
    if let Some(webstore) = &destination.webstore {
        context.insert("webstore".to_owned(), webstore.clone());
        context.insert(WEBSTORE_REFERRER.to_owned(), webstore.clone());
    }
    if let Some(from) = &destination.overflow_from {
        context.insert(OVERFLOW_FROM.to_owned(), from.clone());
    }
    if let Some(channel) = &order.channel {
        context.insert("channel".to_owned(), channel.clone());
    }
    context.insert(
        ROUTING_KEYWORDS.to_owned(),
        order.skill.clone().unwrap_or_default(),
    );
    if let Some(info) = customer_info(intake) {
        context.insert(CUSTOMER_INFO.to_owned(), info);
    }
    context
}

/// `CustomerInfo`: `{"name":…,"email":…,"phone":…}` with the stored fields only, as a JSON
/// string; `None` when none of them is stored.
pub fn customer_info(intake: &IntakeRecord) -> Option<String> {
    #[derive(serde::Serialize)]
    struct CustomerInfo<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        phone: Option<&'a str>,
    }
    let field = |f: IntakeField| intake.get(&f).map(String::as_str);
    let info = CustomerInfo {
        name: field(IntakeField::Name),
        email: field(IntakeField::Email),
        phone: field(IntakeField::Phone),
    };
    if info.name.is_none() && info.email.is_none() && info.phone.is_none() {
        return None;
    }
    serde_json::to_string(&info).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english() -> &'static Words {
        shared::rules::words::of(shared::rules::language::Language::En)
    }
    use serde_json::json;

    fn order(body: serde_json::Value) -> Result<HandoverOrder, ApiError> {
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
    fn context_joins_intake_request_fields_and_pairs() {
        let order = order(json!({
            "chatId": "c1", "skill": " billing ", "webstore": "shop-nl", "context": {"orderId": "A-17"}
        }));
        let mut intake = IntakeRecord::new();
        intake.insert(IntakeField::Name, "Jan".into());
        intake.insert(IntakeField::Email, "jan@example.nl".into());
        let context = order.map(|o| {
            let to = destination(o.webstore.as_deref(), None);
            handover_context(&intake, &o, &to, "2026-11-24 15:05 CET", english())
        });
        let expected: BTreeMap<String, String> = [
            ("email", "jan@example.nl"),
            ("name", "Jan"),
            ("orderId", "A-17"),
            ("skill", "billing"),
            ("webstore", "shop-nl"),
            ("RoutingKeywords", "billing"),
            ("WebStoreReferrer", "shop-nl"),
            ("CustomerInfo", r#"{"name":"Jan","email":"jan@example.nl"}"#),
            (
                "summary",
                r#"Customer "Jan" (email "jan@example.nl") asked for an agent at 2026-11-24 15:05 CET, skill "billing"."#,
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(context, Ok(expected));
    }

    #[test]
    fn without_skill_webstore_or_intake_only_the_routing_keywords_are_sent() {
        let order = order(json!({"chatId": "c1"}));
        let context = order.map(|o| {
            handover_context(
                &IntakeRecord::new(),
                &o,
                &Destination::default(),
                "2026-11-24 15:05 CET",
                english(),
            )
        });
        let keys = context.map(|c| {
            c.into_iter()
                .filter(|(k, _)| k != "summary")
                .collect::<Vec<_>>()
        });
        assert_eq!(
            keys,
            Ok(vec![("RoutingKeywords".to_owned(), String::new())])
        );
    }

    #[test]
    fn the_recorded_route_decides_unless_the_request_names_another_web_store() {
        let overflowed = Route {
            requested: "shop-nl".to_owned(),
            decided: "shop-be".to_owned(),
        };
        let to = |asked, route| destination(asked, route);
        let into_be = Destination {
            webstore: Some("shop-be".to_owned()),
            overflow_from: Some("shop-nl".to_owned()),
        };
        assert_eq!(to(Some("shop-nl"), Some(&overflowed)), into_be);
        assert_eq!(to(None, Some(&overflowed)), into_be);
        assert_eq!(
            to(Some("shop-de"), Some(&overflowed)),
            Destination {
                webstore: Some("shop-de".to_owned()),
                overflow_from: None
            }
        );
        let stayed = Route {
            requested: "shop-nl".to_owned(),
            decided: "shop-nl".to_owned(),
        };
        assert_eq!(
            to(None, Some(&stayed)),
            Destination {
                webstore: Some("shop-nl".to_owned()),
                overflow_from: None
            }
        );
        assert_eq!(to(None, None), Destination::default());
    }

    #[test]
    fn an_overflowed_chat_names_both_web_stores_and_its_channel() {
        let order = order(json!({"chatId": "c1", "webstore": "shop-nl", "channel": "WhatsApp"}))
            .unwrap_or_else(|e| panic!("{e:?}"));
        let to = Destination {
            webstore: Some("shop-be".to_owned()),
            overflow_from: Some("shop-nl".to_owned()),
        };
        let context = handover_context(
            &IntakeRecord::new(),
            &order,
            &to,
            "2026-11-24 15:05 CET",
            english(),
        );
        assert_eq!(context.get("webstore").map(String::as_str), Some("shop-be"));
        assert_eq!(
            context.get("WebStoreReferrer").map(String::as_str),
            Some("shop-be")
        );
        assert_eq!(
            context.get("overflowFrom").map(String::as_str),
            Some("shop-nl")
        );
        assert_eq!(context.get("channel").map(String::as_str), Some("WhatsApp"));
        assert_eq!(
            context.get("summary").map(String::as_str),
            Some(
                r#"The customer asked for an agent at 2026-11-24 15:05 CET, channel "WhatsApp", overflowed from web store "shop-nl"."#
            )
        );
    }

    #[test]
    fn customer_info_is_a_json_string_of_what_is_stored() {
        let mut intake = IntakeRecord::new();
        assert_eq!(customer_info(&intake), None);
        intake.insert(IntakeField::Question, "Where?".into());
        assert_eq!(customer_info(&intake), None);
        intake.insert(IntakeField::Phone, "+31 6 1234 5678".into());
        assert_eq!(
            customer_info(&intake).as_deref(),
            Some(r#"{"phone":"+31 6 1234 5678"}"#)
        );
        intake.insert(IntakeField::Name, "Zoë \"Q\" de Vries".into());
        intake.insert(IntakeField::Email, "zoe@example.nl".into());
        let info = customer_info(&intake).unwrap_or_default();
        assert_eq!(
            info,
            r#"{"name":"Zoë \"Q\" de Vries","email":"zoe@example.nl","phone":"+31 6 1234 5678"}"#
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&info).ok(),
            Some(
                json!({"name": "Zoë \"Q\" de Vries", "email": "zoe@example.nl", "phone": "+31 6 1234 5678"})
            )
        );
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
