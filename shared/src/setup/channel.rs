//! The chat's channel: the name a CAIC dialog or CM.com's router gives it (`WhatsApp`,
//! `CXWebConversations`, `Instagram`, ...) and the channel MSC's presence API asks about
//! (`Channel`, one of [`MSC_PRESENCE_CHANNELS`]).
//!
//! The names differ by system (`../shared/reference/cm-com.md`, "Channels"): presence says
//! `WebChat` where the router says `CXWebConversations`, and the router knows channels that have
//! no MSC agents at all (Telegram, Viber, Line, Voice, ...). [`Channels`] maps one to the other:
//! built-in defaults for every name CM.com documents, with `MSC_CHANNELS` (a JSON object) merged
//! over them, and `MSC_CHANNEL` for a request that names no channel.

use std::collections::BTreeMap;

use crate::contract::validate::CHANNEL_MAX_LEN;
use crate::setup::config::{ConfigError, Env, MSC_CHANNEL, MSC_CHANNELS};

/// The channel names MSC's presence page lists for `Channel`, in its spelling
/// (developers.cm.com/mobile-service-cloud/docs/presence).
pub const MSC_PRESENCE_CHANNELS: [&str; 11] = [
    "Email",
    "Chat",
    "WhatsApp",
    "SMS",
    "WebChat",
    "Facebook Messenger",
    "Instagram",
    "Apple Business Chat",
    "Twitter",
    "Google Business Messages",
    "RCS",
];

/// The presence channel of a request that names none, unless `MSC_CHANNEL` says otherwise: what
/// CAIC's own presence check sends.
pub const DEFAULT_MSC_CHANNEL: &str = "WebChat";

/// Names other systems give channels, besides the presence page's own (which map to themselves),
/// and the presence channel each is asked about; `None`: MSC has no agents on it. From the
/// router's channel names seen in production and CM.com's messaging SDK (cm-com.md).
const OTHER_NAMES: [(&str, Option<&str>); 10] = [
    // the router's name for web chat; whether MSC presence calls it WebChat or Chat is not
    // documented: WebChat is what CAIC's own presence check sends (MSC_CHANNELS may change it)
    ("CXWebConversations", Some("WebChat")),
    // Apple's channel under its former name
    ("iMessage", Some("Apple Business Chat")),
    ("Telegram Messenger", None),
    ("Viber", None),
    ("Line", None),
    ("Voice", None),
    ("Push", None),
    ("MobilePush", None),
    ("Slack", None),
    ("Microsoft Teams", None),
];

/// The most names `MSC_CHANNELS` may hold.
const MAX_MAPPED: usize = 64;

/// What a request's channel means for presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatChannel {
    /// Asked about as this MSC presence channel (one of [`MSC_PRESENCE_CHANNELS`]).
    Served(&'static str),
    /// No MSC presence channel: no agent can take a chat on it.
    NotServed,
}

impl ChatChannel {
    /// The metric dimension `Channel`: the presence channel, or `NotServed`; one of 12 values
    /// whatever callers send.
    pub fn dimension(self) -> &'static str {
        match self {
            Self::Served(name) => name,
            Self::NotServed => "NotServed",
        }
    }
}

/// The mapping from a channel's name (any case) to what it means for presence.
#[derive(Debug, Clone)]
pub struct Channels {
    /// Lower-cased, trimmed names.
    names: BTreeMap<String, ChatChannel>,
    default: &'static str,
}

impl Channels {
    /// The built-in defaults with `mapped` (`MSC_CHANNELS`'s pairs: a name, and a presence
    /// channel or `None` for one without agents) merged over them; `default` for no name.
    pub fn new(
        default: &'static str,
        mapped: impl IntoIterator<Item = (String, ChatChannel)>,
    ) -> Self {
        let mut names: BTreeMap<String, ChatChannel> = MSC_PRESENCE_CHANNELS
            .into_iter()
            .map(|name| (fold(name), ChatChannel::Served(name)))
            .collect();
        for (name, presence) in OTHER_NAMES {
            let meaning = presence
                .and_then(presence_channel)
                .map_or(ChatChannel::NotServed, ChatChannel::Served);
            names.insert(fold(name), meaning);
        }
        for (name, meaning) in mapped {
            names.insert(fold(&name), meaning);
        }
        Self { names, default }
    }

    /// `MSC_CHANNEL` (default `WebChat`) and `MSC_CHANNELS`, checked.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let default_name = env.get(MSC_CHANNEL).unwrap_or(DEFAULT_MSC_CHANNEL);
        let default = presence_channel(default_name).ok_or_else(|| {
            ConfigError::invalid(
                MSC_CHANNEL,
                format!(
                    "names `{default_name}`, not one of the channels MSC's presence API lists: {}",
                    MSC_PRESENCE_CHANNELS.join(", ")
                ),
            )
        })?;
        let mapped = match env.get(MSC_CHANNELS) {
            Some(json) => parse_mapping(json).map_err(|e| ConfigError::invalid(MSC_CHANNELS, e))?,
            None => Vec::new(),
        };
        Ok(Self::new(default, mapped))
    }

    /// What `name` means for presence: the default channel when none is given; a name neither
    /// the defaults nor `MSC_CHANNELS` know has no agents.
    pub fn resolve(&self, name: Option<&str>) -> ChatChannel {
        match name {
            None => ChatChannel::Served(self.default),
            Some(name) => self
                .names
                .get(&fold(name))
                .copied()
                .unwrap_or(ChatChannel::NotServed),
        }
    }
}

impl Default for Channels {
    fn default() -> Self {
        Self::new(DEFAULT_MSC_CHANNEL, [])
    }
}

/// The presence channel named by `name` (any case), in the presence page's spelling.
pub fn presence_channel(name: &str) -> Option<&'static str> {
    MSC_PRESENCE_CHANNELS
        .into_iter()
        .find(|listed| listed.eq_ignore_ascii_case(name.trim()))
}

fn fold(name: &str) -> String {
    name.trim().to_lowercase()
}

/// `{"<name>": "<presence channel>" | null, ...}`: each name 1-64 characters, each value one of
/// [`MSC_PRESENCE_CHANNELS`] (any case) or `null` for a channel without agents.
fn parse_mapping(json: &str) -> Result<Vec<(String, ChatChannel)>, String> {
    let raw: BTreeMap<String, Option<String>> = serde_json::from_str(json).map_err(|e| {
        format!("must be a JSON object from a channel name to an MSC presence channel or null: {e}")
    })?;
    if raw.len() > MAX_MAPPED {
        return Err(format!("may map at most {MAX_MAPPED} names"));
    }
    raw.into_iter()
        .map(|(name, value)| {
            if name.trim().is_empty() || name.chars().count() > CHANNEL_MAX_LEN {
                return Err(format!(
                    "names must be 1-{CHANNEL_MAX_LEN} characters, not blank"
                ));
            }
            let meaning = match value {
                None => ChatChannel::NotServed,
                Some(value) => ChatChannel::Served(presence_channel(&value).ok_or_else(|| {
                    format!(
                        "maps `{name}` to `{value}`, not one of the channels MSC's presence API lists: {} (or null: no agents)",
                        MSC_PRESENCE_CHANNELS.join(", ")
                    )
                })?),
            };
            Ok((name, meaning))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChatChannel::{NotServed, Served};

    #[test]
    fn every_documented_name_has_its_presence_channel() {
        let channels = Channels::default();
        for name in MSC_PRESENCE_CHANNELS {
            assert_eq!(channels.resolve(Some(name)), Served(name), "{name}");
        }
        assert_eq!(
            channels.resolve(Some("CXWebConversations")),
            Served("WebChat")
        );
        assert_eq!(channels.resolve(Some(" whatsapp ")), Served("WhatsApp"));
        assert_eq!(
            channels.resolve(Some("iMessage")),
            Served("Apple Business Chat")
        );
        for unserved in [
            "Telegram Messenger",
            "Viber",
            "Line",
            "Voice",
            "Slack",
            "Teams",
        ] {
            assert_eq!(channels.resolve(Some(unserved)), NotServed, "{unserved}");
        }
        assert_eq!(channels.resolve(None), Served("WebChat"));
    }

    #[test]
    fn msc_channels_merges_over_the_defaults() {
        let env = Env::from_pairs([
            (MSC_CHANNEL, "whatsapp"),
            (
                MSC_CHANNELS,
                r#"{"CXWebConversations": "Chat", "Telegram Messenger": "sms", "Instagram": null, "Shop App": "WebChat"}"#,
            ),
        ]);
        let channels = Channels::from_env(&env).map_err(|e| e.to_string());
        let resolve = |name| channels.as_ref().map(|c| c.resolve(name));
        assert_eq!(resolve(None), Ok(Served("WhatsApp")));
        assert_eq!(resolve(Some("cxwebconversations")), Ok(Served("Chat")));
        assert_eq!(resolve(Some("Telegram Messenger")), Ok(Served("SMS")));
        assert_eq!(resolve(Some("Instagram")), Ok(NotServed));
        assert_eq!(resolve(Some("shop app")), Ok(Served("WebChat")));
        assert_eq!(resolve(Some("WebChat")), Ok(Served("WebChat")));
    }

    #[test]
    fn a_mapping_to_no_presence_channel_is_refused_naming_it() {
        let refused = |json: &str| {
            Channels::from_env(&Env::from_pairs([(MSC_CHANNELS, json)]))
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            refused(r#"{"Shop App": "Web Chat"}"#),
            Err("configuration: MSC_CHANNELS maps `Shop App` to `Web Chat`, not one of the channels MSC's presence API lists: Email, Chat, WhatsApp, SMS, WebChat, Facebook Messenger, Instagram, Apple Business Chat, Twitter, Google Business Messages, RCS (or null: no agents)".to_owned())
        );
        assert!(refused(r#"["WebChat"]"#).is_err_and(|e| {
            e.starts_with("configuration: MSC_CHANNELS must be a JSON object from a channel name")
        }));
        assert_eq!(
            refused(r#"{" ": "WebChat"}"#),
            Err("configuration: MSC_CHANNELS names must be 1-64 characters, not blank".to_owned())
        );
        assert_eq!(
            Channels::from_env(&Env::from_pairs([(MSC_CHANNEL, "Telegram")]))
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err("configuration: MSC_CHANNEL names `Telegram`, not one of the channels MSC's presence API lists: Email, Chat, WhatsApp, SMS, WebChat, Facebook Messenger, Instagram, Apple Business Chat, Twitter, Google Business Messages, RCS".to_owned())
        );
    }

    /// `MSC_CHANNELS` holds at most 64 names of at most 64 characters each: the bounds themselves
    /// are taken, one more refused.
    #[test]
    fn the_mapping_takes_64_names_of_64_characters_and_no_more() {
        let mapping = |names: usize, name_len: usize| {
            let pairs: Vec<String> = (0..names)
                .map(|i| format!(r#""{i:0>width$}": "WebChat""#, width = name_len))
                .collect();
            Channels::from_env(&Env::from_pairs([(
                MSC_CHANNELS,
                format!("{{{}}}", pairs.join(",")).as_str(),
            )]))
            .map(|_| ())
            .map_err(|e| e.to_string())
        };
        assert_eq!(mapping(MAX_MAPPED, 2), Ok(()));
        assert_eq!(
            mapping(MAX_MAPPED + 1, 2),
            Err("configuration: MSC_CHANNELS may map at most 64 names".to_owned())
        );
        assert_eq!(mapping(1, CHANNEL_MAX_LEN), Ok(()));
        assert_eq!(
            mapping(1, CHANNEL_MAX_LEN + 1),
            Err("configuration: MSC_CHANNELS names must be 1-64 characters, not blank".to_owned())
        );
    }

    #[test]
    fn the_dimension_is_bounded() {
        assert_eq!(Served("WhatsApp").dimension(), "WhatsApp");
        assert_eq!(NotServed.dimension(), "NotServed");
    }
}
