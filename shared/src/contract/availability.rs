//! `POST /availability`, step 1: our own request shape and CAIC's presence-check webhook's, and
//! the answer a Logical Step branches on.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::contract::callout::{CalloutBody, Unfilled};

/// Either our own shape (`chatId`, `webstore`, `skill`, `language`, and `channel`) or CAIC's
/// Third-Party presence-check shape (`url`, `channel`, `data.context`); every field is optional. Fields
/// neither shape knows are kept in `unknown`: ignored in CAIC's shape, refused in ours (see
/// [`Self::refused_field`]).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityRequest {
    pub chat_id: Option<String>,
    pub webstore: Option<String>,
    pub skill: Option<String>,
    pub language: Option<String>,
    pub url: Option<String>,
    pub channel: Option<String>,
    pub data: Option<PresenceCheckData>,
    #[serde(flatten)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

impl CalloutBody for AvailabilityRequest {
    const CUSTOMER_TEXT: &'static [&'static str] = &[];

    fn clear_unset(&mut self) -> Unfilled {
        let mut unfilled = Unfilled::default();
        // optional here: the chat id tags the log lines, and an overflow's route is recorded on it
        unfilled.clear("chatId", &mut self.chat_id);
        unfilled.clear("webstore", &mut self.webstore);
        unfilled.clear("skill", &mut self.skill);
        unfilled.clear("language", &mut self.language);
        unfilled.clear("url", &mut self.url);
        unfilled.clear("channel", &mut self.channel);
        if let Some(data) = &mut self.data {
            unfilled.clear("data.context", &mut data.context);
        }
        unfilled
    }
}

impl AvailabilityRequest {
    /// A field neither shape knows, when this is not CAIC's presence-check shape (where CM.com
    /// may add fields, such as `sessionId`, and they are ignored): a typo in our own body.
    pub fn refused_field(&self) -> Option<&str> {
        if self.is_presence_check() {
            return None;
        }
        self.unknown.keys().next().map(String::as_str)
    }

    /// Whether this is CAIC's presence-check shape: `url` or `data` (CAIC sends both, with
    /// `channel`), and none of our own fields. `channel` alone is ours too: a body of ours with
    /// a channel and a typo'd field is refused, never read leniently as CAIC's.
    pub fn is_presence_check(&self) -> bool {
        let ours = self.chat_id.is_some()
            || self.webstore.is_some()
            || self.skill.is_some()
            || self.language.is_some();
        let caics = self.url.is_some() || self.data.is_some();
        caics && !ours
    }
}

/// CAIC's `data` object; fields other than `context` are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct PresenceCheckData {
    /// CAIC fills this with the `mscWebstore` context: our webstore.
    pub context: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    Online,
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AvailabilityReason {
    AgentsAvailable,
    NoAgentsAvailable,
    UpstreamUnavailable,
    PresenceCheckDisabled,
    /// The chat's `channel` has no MSC presence channel (`MSC_CHANNELS`): no agent can take it;
    /// the presence source was not asked.
    ChannelNotServed,
    /// Outside the opening hours of `BUSINESS_HOURS`; the presence source was not asked.
    OutsideBusinessHours,
    /// Today is one of the `closed` dates of `BUSINESS_HOURS`; the presence source was not asked.
    Closed,
    /// Closed by the opening hours (outside them, or a closed date), which name no next opening
    /// (no weekly hours, or closed dates with no opening after them); the presence source was
    /// not asked. A dialog has no time to show: its own words for "closed for now".
    ClosedUntilFurtherNotice,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityResponse {
    pub agent_status: AgentStatus,
    /// The same answer as a boolean, the field CAIC's own presence check reads.
    pub agent_available: bool,
    pub reason: AvailabilityReason,
    /// When closed by the opening hours: the next opening, on the wall clock of its web store's
    /// time zone (absent when the hours never open again); with overflow web stores, the
    /// earliest of theirs and the requested one's. On the wire: RFC 3339 with the zone's offset.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "rfc3339")]
    pub next_opening: Option<jiff::ZonedDateTime>,
    /// The same, as the customer reads it, in their language: "tomorrow at 09:00" (see
    /// [`crate::rules::words::next_opening_text`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_opening_text: Option<String>,
    /// When the chat overflowed: the web store that takes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webstore: Option<String>,
    /// When the chat overflowed: the web store asked about, which could not take it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overflow_from: Option<String>,
}

impl AvailabilityResponse {
    pub fn new(agent_status: AgentStatus, reason: AvailabilityReason) -> Self {
        Self {
            agent_status,
            agent_available: agent_status == AgentStatus::Online,
            reason,
            next_opening: None,
            next_opening_text: None,
            webstore: None,
            overflow_from: None,
        }
    }

    /// Whether the opening hours closed it (outside the hours, or a closed date).
    pub fn is_closed(&self) -> bool {
        matches!(
            self.reason,
            AvailabilityReason::OutsideBusinessHours
                | AvailabilityReason::Closed
                | AvailabilityReason::ClosedUntilFurtherNotice
        )
    }

    /// The metric that counts this answer.
    pub fn metric(&self) -> &'static str {
        match self.reason {
            AvailabilityReason::AgentsAvailable => "AgentsOnline",
            AvailabilityReason::NoAgentsAvailable => "AgentsOffline",
            AvailabilityReason::UpstreamUnavailable => "PresenceUpstreamError",
            AvailabilityReason::PresenceCheckDisabled => "PresenceCheckDisabled",
            AvailabilityReason::ChannelNotServed => "ChannelNotServed",
            AvailabilityReason::OutsideBusinessHours => "OutsideBusinessHours",
            AvailabilityReason::Closed => "ClosedDate",
            AvailabilityReason::ClosedUntilFurtherNotice => "ClosedUntilFurtherNotice",
        }
    }

    /// A closed answer with no next opening to name says so in its `reason`, the one value a
    /// dialog branches on (its fallback line would otherwise read "We're back ."); called once
    /// the answer is decided, overflow web stores' openings included.
    pub fn say_when_no_opening_follows(&mut self) {
        if self.is_closed() && self.next_opening.is_none() {
            self.reason = AvailabilityReason::ClosedUntilFurtherNotice;
        }
    }

    /// Offline because the presence source could not say (failed, too slow, unreadable).
    pub fn unavailable() -> Self {
        Self::new(
            AgentStatus::Offline,
            AvailabilityReason::UpstreamUnavailable,
        )
    }

    /// Offline because the opening hours say so.
    pub fn closed(reason: AvailabilityReason, next_opening: Option<jiff::ZonedDateTime>) -> Self {
        Self {
            next_opening,
            ..Self::new(AgentStatus::Offline, reason)
        }
    }
}

/// `at` as RFC 3339 with its zone's offset: `2026-12-28T09:00:00+01:00`.
fn rfc3339<S: serde::Serializer>(
    at: &Option<jiff::ZonedDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.collect_str(&at.timestamp().display_with_offset(at.offset())),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn caics_presence_check_shape_ignores_new_fields_and_ours_refuses_them() {
        let parse = |body: &str| serde_json::from_str::<AvailabilityRequest>(body);
        let caic = parse(
            r#"{"url":"u","channel":"WebChat","data":{"context":"s","botId":"b"},"sessionId":"x"}"#,
        );
        assert_eq!(caic.as_ref().ok().map(|r| r.refused_field()), Some(None));
        assert_eq!(
            caic.ok().and_then(|r| r.data).and_then(|d| d.context),
            Some("s".to_owned())
        );
        let ours = parse(r#"{"chatId":"c","webstor":"s"}"#);
        assert_eq!(
            ours.as_ref().ok().and_then(|r| r.refused_field()),
            Some("webstor")
        );
        // a channel is ours too: with a typo'd field, never mistaken for CAIC's lenient shape
        let channel_and_typo = parse(r#"{"channel":"WhatsApp","webstor":"s"}"#);
        assert_eq!(
            channel_and_typo
                .as_ref()
                .ok()
                .and_then(|r| r.refused_field()),
            Some("webstor")
        );
        // a field given twice is refused in either shape
        for twice in [r#"{"chatId":"a","chatId":"b"}"#, r#"{"url":"a","url":"b"}"#] {
            assert!(
                parse(twice).is_err_and(|e| e.to_string().starts_with("duplicate field")),
                "{twice}"
            );
        }
    }

    #[test]
    fn availability_response_is_flat_camel_case() {
        let body = serde_json::to_value(AvailabilityResponse::new(
            AgentStatus::Offline,
            AvailabilityReason::UpstreamUnavailable,
        ));
        assert_eq!(
            body.ok(),
            Some(
                json!({"agentStatus": "offline", "agentAvailable": false, "reason": "upstream_unavailable"})
            )
        );
    }
}
