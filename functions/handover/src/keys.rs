//! The Context's keys: those our own values fill, which no request may set in any case, and
//! those the deployment's dialogs send (`HANDOVER_CONTEXT_KEYS`).

use std::collections::BTreeSet;

use shared::contract::validate::{self, CONTEXT_KEY_MAX_LEN};

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

    pub(crate) fn allows(&self, key: &str) -> bool {
        self.0.as_ref().is_none_or(|keys| keys.contains(key))
    }
}
