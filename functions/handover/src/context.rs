//! What CM.com receives for a handover: the Context the agent reads ([`handover_context`]), with
//! the one-line summary ([`shared::rules::summary`]), and where the chat goes ([`destination`]).

use std::collections::BTreeMap;

use shared::adapters::store::Route;
use shared::contract::{IntakeField, IntakeRecord};
use shared::rules::summary::{About, summary};
use shared::rules::words::Words;

use crate::keys::{CUSTOMER_INFO, OVERFLOW_FROM, ROUTING_KEYWORDS, WEBSTORE_REFERRER};
use crate::order::HandoverOrder;

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
/// overwrite the others: see [`crate::keys::RESERVED_CONTEXT_KEYS`]).
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
    use crate::order::tests::order;
    use serde_json::json;

    fn english() -> &'static Words {
        shared::rules::words::of(shared::rules::language::Language::En)
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
}
