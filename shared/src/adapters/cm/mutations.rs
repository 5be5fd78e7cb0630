//! The routing mutations a handover asks CM.com's Routing Control for (`Mutations` of
//! `POST .../routing/mutationrequests`): configuration, checked at start-up, and chosen per chat
//! by its channel.

use std::collections::BTreeMap;

use crate::contract::RoutingMutation;
use crate::setup::channel::{Channels, ChatChannel};
use crate::setup::config::{
    CM_ROUTING_MUTATIONS, CM_ROUTING_MUTATIONS_BY_CHANNEL, ConfigError, Env,
};

/// `CM_ROUTING_MUTATIONS`: a non-empty JSON array of routing mutations, each checked by the
/// rules of its `$type` (see [`RoutingMutation`]); a bad entry is named by its position.
pub fn routing_mutations(env: &Env) -> Result<Vec<RoutingMutation>, ConfigError> {
    let raw = env.required(CM_ROUTING_MUTATIONS)?;
    let entries: Vec<serde_json::Value> = serde_json::from_str(raw).map_err(|e| {
        ConfigError::invalid(
            CM_ROUTING_MUTATIONS,
            format!("must be a JSON array of mutations ({e})"),
        )
    })?;
    checked_mutations(entries).map_err(|e| ConfigError::invalid(CM_ROUTING_MUTATIONS, e))
}

/// `entries` as routing mutations: at least one, each checked by the rules of its `$type`, a
/// bad one named by its position.
fn checked_mutations(entries: Vec<serde_json::Value>) -> Result<Vec<RoutingMutation>, String> {
    if entries.is_empty() {
        return Err("must hold at least one mutation".to_owned());
    }
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let position = index + 1;
            let mutation: RoutingMutation = serde_json::from_value(entry).map_err(|e| {
                format!(
                    "entry {position}: {e}; expected {}",
                    RoutingMutation::SHAPES
                )
            })?;
            mutation
                .check()
                .map_err(|problem| format!("entry {position}: {problem}"))?;
            Ok(mutation)
        })
        .collect()
}

/// The mutations a handover asks Routing Control for, by the chat's channel: each channel
/// reaches CM.com's router through an adapter of its own (web chat through Web Conversations',
/// WhatsApp through its number's), and a `ruleMutation` names its source adapter
/// (`sourceAdapterId`). `CM_ROUTING_MUTATIONS_BY_CHANNEL` gives a channel its own list; every
/// other chat gets `CM_ROUTING_MUTATIONS`.
#[derive(Debug, Clone)]
pub struct RoutingMutations {
    default: Vec<RoutingMutation>,
    /// By MSC presence channel (what [`Channels`] resolves a chat's channel name to).
    by_channel: BTreeMap<&'static str, Vec<RoutingMutation>>,
}

impl RoutingMutations {
    /// `CM_ROUTING_MUTATIONS` (required) and `CM_ROUTING_MUTATIONS_BY_CHANNEL` (optional): a JSON
    /// object from a channel's name (any name `channels` knows: `WhatsApp`,
    /// `CXWebConversations`, a name of `MSC_CHANNELS`) to a mutation array, checked as
    /// `CM_ROUTING_MUTATIONS` is. A name without MSC agents, or two names for one channel, is
    /// refused.
    pub fn from_env(env: &Env, channels: &Channels) -> Result<Self, ConfigError> {
        let default = routing_mutations(env)?;
        let by_channel = match env.get(CM_ROUTING_MUTATIONS_BY_CHANNEL) {
            Some(raw) => by_channel(raw, channels)
                .map_err(|e| ConfigError::invalid(CM_ROUTING_MUTATIONS_BY_CHANNEL, e))?,
            None => BTreeMap::new(),
        };
        Ok(Self {
            default,
            by_channel,
        })
    }

    /// The mutations for a chat on `channel`.
    pub fn for_channel(&self, channel: ChatChannel) -> &[RoutingMutation] {
        match channel {
            ChatChannel::Served(name) => self.by_channel.get(name),
            ChatChannel::NotServed => None,
        }
        .unwrap_or(&self.default)
    }
}

/// `CM_ROUTING_MUTATIONS_BY_CHANNEL`'s lists by the presence channel each name resolves to.
fn by_channel(
    raw: &str,
    channels: &Channels,
) -> Result<BTreeMap<&'static str, Vec<RoutingMutation>>, String> {
    let entries: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(raw).map_err(|e| {
            format!("must be a JSON object from a channel's name to an array of mutations ({e})")
        })?;
    let mut by_channel = BTreeMap::new();
    let mut named_as: BTreeMap<&'static str, String> = BTreeMap::new();
    for (name, list) in entries {
        let ChatChannel::Served(channel) = channels.resolve(Some(&name)) else {
            return Err(format!(
                "`{name}` is no channel MSC has agents on (names: MSC's presence channels, CM.com's router names such as CXWebConversations, and those of MSC_CHANNELS)"
            ));
        };
        if let Some(earlier) = named_as.insert(channel, name.clone()) {
            return Err(format!(
                "`{earlier}` and `{name}` are the same channel ({channel}): give it one list"
            ));
        }
        let serde_json::Value::Array(list) = list else {
            return Err(format!("`{name}` must be an array of mutations"));
        };
        let mutations = checked_mutations(list).map_err(|e| format!("`{name}` {e}"))?;
        by_channel.insert(channel, mutations);
    }
    Ok(by_channel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn routing_mutations_must_be_a_non_empty_valid_array() {
        let ok = env(&[(
            CM_ROUTING_MUTATIONS,
            r#"[{"$type":"ruleMutation","action":"Enable","operator":"And"}]"#,
        )]);
        assert_eq!(routing_mutations(&ok).map(|m| m.len()).ok(), Some(1));
        assert!(matches!(
            routing_mutations(&Env::default()),
            Err(ConfigError::Missing {
                var: CM_ROUTING_MUTATIONS
            })
        ));
        for bad in [
            "[]",
            "{}",
            r#"[{"action":"Enable","operator":"And"}]"#,
            r#"[{"$type":"disableComponent"}]"#,
            r#"[{"$type":"disableComponent","ComponentId":" "}]"#,
            r#"[{"$type":"otherMutation"}]"#,
        ] {
            assert!(
                matches!(
                    routing_mutations(&env(&[(CM_ROUTING_MUTATIONS, bad)])),
                    Err(ConfigError::Invalid {
                        var: CM_ROUTING_MUTATIONS,
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_bad_mutation_is_named_by_its_position_and_type() {
        let message = |raw: &str| {
            routing_mutations(&env(&[(CM_ROUTING_MUTATIONS, raw)]))
                .map(|m| m.len())
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            message(
                r#"[{"$type":"ruleMutation","action":"Enable","operator":"And"},{"$type":"disableComponent","ComponentId":"CMBot"}]"#
            ),
            Ok(2)
        );
        let missing = message(
            r#"[{"$type":"ruleMutation","action":"Enable","operator":"And"},{"$type":"disableComponent"}]"#,
        );
        assert!(
            matches!(&missing, Err(m) if m.starts_with("configuration: CM_ROUTING_MUTATIONS entry 2: missing field `ComponentId`")),
            "{missing:?}"
        );
        let unknown = message(r#"[{"$type":"enableComponent","ComponentId":"x"}]"#);
        assert!(
            matches!(&unknown, Err(m) if m.starts_with("configuration: CM_ROUTING_MUTATIONS entry 1: unknown variant `enableComponent`")),
            "{unknown:?}"
        );
        assert_eq!(
            message(r#"[{"$type":"disableComponent","ComponentId":""}]"#),
            Err("configuration: CM_ROUTING_MUTATIONS entry 1: ComponentId must be 1-128 characters, not blank".to_owned())
        );
    }

    const WEB: &str =
        r#"[{"$type":"ruleMutation","action":"Enable","operator":"And","targetAdapterId":"msc"}]"#;

    fn by_channel(raw: &str) -> Result<RoutingMutations, String> {
        let env = env(&[
            (CM_ROUTING_MUTATIONS, WEB),
            (CM_ROUTING_MUTATIONS_BY_CHANNEL, raw),
        ]);
        let channels = Channels::from_env(&env).map_err(|e| e.to_string())?;
        RoutingMutations::from_env(&env, &channels).map_err(|e| e.to_string())
    }

    fn source_of(mutations: &[RoutingMutation]) -> Option<String> {
        match mutations.first() {
            Some(RoutingMutation::Rule(rule)) => rule.source_adapter_id.clone(),
            _ => None,
        }
    }

    #[test]
    fn a_channel_gets_its_own_mutations_and_every_other_chat_the_deployments() {
        let mutations = by_channel(
            r#"{"whatsapp": [{"$type":"ruleMutation","action":"Enable","operator":"And","sourceAdapterId":"wa-adapter","targetAdapterId":"msc"}],
                "CXWebConversations": [{"$type":"ruleMutation","action":"Enable","operator":"And","sourceAdapterId":"web-adapter","targetAdapterId":"msc"}]}"#,
        )
        .expect("valid");
        // named in any case, and by CM.com's router name for web chat (WebChat to presence)
        assert_eq!(
            source_of(mutations.for_channel(ChatChannel::Served("WhatsApp"))).as_deref(),
            Some("wa-adapter")
        );
        assert_eq!(
            source_of(mutations.for_channel(ChatChannel::Served("WebChat"))).as_deref(),
            Some("web-adapter")
        );
        // a channel without its own list, and one without agents: the deployment's
        for channel in [ChatChannel::Served("Instagram"), ChatChannel::NotServed] {
            assert_eq!(
                mutations.for_channel(channel),
                serde_json::from_str::<Vec<RoutingMutation>>(WEB)
                    .expect("mutations")
                    .as_slice()
            );
        }
    }

    #[test]
    fn mutations_by_channel_are_checked_as_the_deployments_are_and_name_the_channel() {
        let var = "configuration: CM_ROUTING_MUTATIONS_BY_CHANNEL";
        for (raw, expected) in [
            ("[]", "must be a JSON object from a channel's name"),
            (
                r#"{"Telegram Messenger": [{"$type":"disableComponent","ComponentId":"CMBot"}]}"#,
                "`Telegram Messenger` is no channel MSC has agents on",
            ),
            (
                r#"{"WhatsAp": [{"$type":"disableComponent","ComponentId":"CMBot"}]}"#,
                "`WhatsAp` is no channel MSC has agents on",
            ),
            (
                r#"{"WebChat": [{"$type":"disableComponent","ComponentId":"CMBot"}], "CXWebConversations": [{"$type":"disableComponent","ComponentId":"CMBot"}]}"#,
                // in the object's order, whichever that is
                "are the same channel (WebChat): give it one list",
            ),
            (
                r#"{"WhatsApp": []}"#,
                "`WhatsApp` must hold at least one mutation",
            ),
            (
                r#"{"WhatsApp": {"$type":"disableComponent","ComponentId":"CMBot"}}"#,
                "`WhatsApp` must be an array of mutations",
            ),
            (
                r#"{"WhatsApp": [{"$type":"ruleMutation","action":"Enable"}]}"#,
                "`WhatsApp` entry 1: missing field `operator`",
            ),
        ] {
            let error = by_channel(raw).err().unwrap_or_default();
            assert!(
                error.starts_with(var) && error.contains(expected),
                "{raw}: {error}"
            );
        }
    }
}
