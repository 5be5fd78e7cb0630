//! CM.com's Routing Control API, `POST .../chats/{ChatId}/routing/mutationrequests`: the body we
//! send (CM.com's own field names, PascalCase).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The body CM.com's Routing Control API takes (its field names, PascalCase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoutingMutationRequest {
    pub chat_id: String,
    pub mutations: Vec<RoutingMutation>,
    pub context: BTreeMap<String, String>,
}

/// One routing mutation, as configured in `CM_ROUTING_MUTATIONS`, tagged by `$type`:
/// `ruleMutation` is the one CM.com's Routing Control page documents; `disableComponent` is
/// what CM.com's own bot builder (HALO) is seen to send to take the bot out of the chat (not in
/// CM.com's public docs: observed practice, docs/contract.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "$type")]
pub enum RoutingMutation {
    #[serde(rename = "ruleMutation")]
    Rule(RuleMutation),
    #[serde(rename = "disableComponent")]
    DisableComponent(DisableComponent),
}

impl RoutingMutation {
    /// The accepted shapes, for configuration errors.
    pub const SHAPES: &str = r#"{"$type":"ruleMutation","action":"Enable"|"Disable","operator":"And"|"Or","sourceAdapterId"?,"targetAdapterId"?} or {"$type":"disableComponent","ComponentId":"<component id>"}"#;

    /// The rules serde's shape check cannot say: a component id is 1-128 characters, not blank.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Self::Rule(_) => Ok(()),
            Self::DisableComponent(DisableComponent { component_id }) => {
                if component_id.trim().is_empty() || component_id.chars().count() > 128 {
                    Err("ComponentId must be 1-128 characters, not blank".to_owned())
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// `{"$type":"ruleMutation", "action", "operator", "sourceAdapterId"?, "targetAdapterId"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RuleMutation {
    pub action: RoutingAction,
    pub operator: RoutingOperator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_adapter_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_adapter_id: Option<String>,
}

/// `{"$type":"disableComponent", "ComponentId"}`: switches a component (e.g. `CMBot`) off for the
/// chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisableComponent {
    #[serde(rename = "ComponentId")]
    pub component_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoutingAction {
    Enable,
    Disable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoutingOperator {
    And,
    Or,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn routing_mutation_round_trips_cm_field_names() {
        for raw in [
            json!({"$type": "ruleMutation", "action": "Enable", "operator": "Or", "targetAdapterId": "msc"}),
            json!({"$type": "ruleMutation", "action": "Disable", "operator": "And", "sourceAdapterId": "web"}),
            json!({"$type": "disableComponent", "ComponentId": "CMBot"}),
        ] {
            let parsed: Result<RoutingMutation, _> = serde_json::from_value(raw.clone());
            let back = parsed.ok().and_then(|m| serde_json::to_value(m).ok());
            assert_eq!(back, Some(raw));
        }
    }

    #[test]
    fn routing_mutation_refuses_other_types_and_unknown_fields() {
        for bad in [
            json!({"$type": "otherMutation", "action": "Enable", "operator": "And"}),
            json!({"$type": "ruleMutation", "action": "enable", "operator": "And"}),
            json!({"$type": "ruleMutation", "action": "Enable", "operator": "And", "extra": 1}),
            json!({"$type": "ruleMutation", "action": "Enable"}),
            json!({"$type": "disableComponent"}),
            json!({"$type": "disableComponent", "componentId": "CMBot"}),
            json!({"$type": "disableComponent", "ComponentId": "CMBot", "action": "Enable"}),
            json!({"action": "Enable", "operator": "And"}),
        ] {
            assert!(
                serde_json::from_value::<RoutingMutation>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
