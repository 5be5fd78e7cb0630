//! The contract on the wire: what CAIC's API Callout nodes send us, what we answer, and what we
//! send to CM.com's Routing Control API. Our own request shapes are strict (an unknown field is a
//! dialog author's typo, refused); CAIC's presence-check body is read leniently (CM.com may add
//! fields). An unset optional value (empty, or an unfilled `{{placeholder}}`) is not given (see
//! [`crate::callout`]). Responses are small flat camelCase objects a CAIC Logical Step can
//! branch on.

use std::collections::BTreeMap;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::callout::{CalloutBody, Unfilled};

// ---------------------------------------------------------------------------------------------
// POST /availability

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
    /// [`crate::words::next_opening_text`]).
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

// ---------------------------------------------------------------------------------------------
// POST /intake, DELETE /intake/{chatId}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IntakeRequest {
    pub chat_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub question: Option<String>,
    pub language: Option<String>,
}

impl CalloutBody for IntakeRequest {
    const CUSTOMER_TEXT: &'static [&'static str] =
        &["name", "email", "phone", "question", "language"];
    const DIALOG_FIELDS: &'static [&'static str] = &["chatId"];

    fn clear_unset(&mut self) -> Unfilled {
        let mut unfilled = Unfilled::default();
        unfilled.note_required("chatId", &self.chat_id);
        unfilled.clear("name", &mut self.name);
        unfilled.clear("email", &mut self.email);
        unfilled.clear("phone", &mut self.phone);
        unfilled.clear("question", &mut self.question);
        unfilled.clear("language", &mut self.language);
        unfilled
    }
}

impl IntakeRequest {
    /// The fields this request carries, in contract order.
    pub fn fields(&self) -> Vec<(IntakeField, &str)> {
        IntakeField::ALL
            .into_iter()
            .filter_map(|field| {
                let value = match field {
                    IntakeField::Name => &self.name,
                    IntakeField::Email => &self.email,
                    IntakeField::Phone => &self.phone,
                    IntakeField::Question => &self.question,
                    IntakeField::Language => &self.language,
                };
                value.as_deref().map(|v| (field, v))
            })
            .collect()
    }
}

/// The intake fields stored for a chat (only the ones given so far).
pub type IntakeRecord = BTreeMap<IntakeField, String>;

/// What the customer can tell the bot before the handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntakeField {
    Name,
    Email,
    Phone,
    Question,
    Language,
}

impl IntakeField {
    pub const ALL: [IntakeField; 5] = [
        Self::Name,
        Self::Email,
        Self::Phone,
        Self::Question,
        Self::Language,
    ];

    /// The name on the wire, in the store and in the handover Context.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Question => "question",
            Self::Language => "language",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntakeResponse {
    /// What the dialog branches on, as a string (a Logical Step compares strings).
    pub intake_status: IntakeStatus,
    /// This request's values were written.
    pub stored: bool,
    /// Every required field is stored.
    pub complete: bool,
    /// Required fields not stored yet.
    pub missing: Vec<IntakeField>,
    /// Fields of this request that were refused (nothing of the request is then written).
    pub invalid: Vec<IntakeField>,
    /// Set only when the store could not be reached (`store_unavailable`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<IntakeReason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeReason {
    StoreUnavailable,
}

/// An intake answer in one word, for the dialog: `invalid` (a field of the request was refused and
/// nothing of it written: ask again), `incomplete` (a required field is still missing),
/// `complete` (every required field is stored), `store_unavailable` (the table could not be
/// reached). The booleans `stored` and `complete` say the same for systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    Invalid,
    Incomplete,
    Complete,
    StoreUnavailable,
}

impl IntakeResponse {
    /// The answer from what the request stored, the required fields still missing, the fields it
    /// refused and the store's trouble; `complete` and `intakeStatus` follow from them.
    pub fn new(
        stored: bool,
        missing: Vec<IntakeField>,
        invalid: Vec<IntakeField>,
        reason: Option<IntakeReason>,
    ) -> Self {
        let complete = reason.is_none() && missing.is_empty();
        let intake_status = if reason.is_some() {
            IntakeStatus::StoreUnavailable
        } else if !invalid.is_empty() {
            IntakeStatus::Invalid
        } else if complete {
            IntakeStatus::Complete
        } else {
            IntakeStatus::Incomplete
        };
        Self {
            intake_status,
            stored,
            complete,
            missing,
            invalid,
            reason,
        }
    }

    /// The metric that counts this answer.
    pub fn metric(&self) -> &'static str {
        if self.reason == Some(IntakeReason::StoreUnavailable) {
            "IntakeStoreUnavailable"
        } else if !self.invalid.is_empty() {
            "IntakeInvalid"
        } else if self.stored {
            "IntakeStored"
        } else {
            "IntakeRead"
        }
    }
}

/// The metric that counts an erasure (`DELETE /intake/{chatId}`).
pub const INTAKE_ERASED: &str = "IntakeErased";

// ---------------------------------------------------------------------------------------------
// POST /handover

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

// ---------------------------------------------------------------------------------------------
// POST /message

/// The customer's message for the support mailbox, when no agent can take the chat.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MessageRequest {
    pub chat_id: String,
    /// The MSC web store the chat belongs to: picks the mailbox (`MESSAGE_TO_BY_WEBSTORE`).
    pub webstore: Option<String>,
    /// The chat's channel, as CAIC or the router names it: shown in the e-mail and counted per
    /// channel.
    pub channel: Option<String>,
    /// The text to send; the chat's stored `question` when absent.
    pub message: Option<String>,
}

impl CalloutBody for MessageRequest {
    const CUSTOMER_TEXT: &'static [&'static str] = &["message"];
    const DIALOG_FIELDS: &'static [&'static str] = &["chatId", "webstore", "channel"];

    fn clear_unset(&mut self) -> Unfilled {
        let mut unfilled = Unfilled::default();
        unfilled.note_required("chatId", &self.chat_id);
        unfilled.clear("webstore", &mut self.webstore);
        unfilled.clear("channel", &mut self.channel);
        unfilled.clear("message", &mut self.message);
        unfilled
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Sent,
    Pending,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageReason {
    /// This chat's message was sent within the dedup window; nothing was sent again.
    AlreadySent,
    /// Another invocation is sending this chat's message right now; nothing was sent.
    MessageInProgress,
    /// The chat's intake holds no e-mail address to reply to; nothing was sent.
    MissingEmail,
    /// The stored address is in the domain of our own sender or of the support mailbox: a reply
    /// to it would go to ourselves or in our name; nothing was sent.
    EmailRefused,
    /// Neither the request's `message` nor a stored `question`; nothing was sent.
    MissingMessage,
    /// The day's e-mails to this reply address, or the day's e-mails in all, reached their
    /// limit (`MESSAGE_LIMIT_PER_ADDRESS`, `MESSAGE_LIMIT_PER_DAY`); nothing was sent.
    LimitReached,
    /// The mail service refused the e-mail (a 4xx answer): nothing was sent.
    UpstreamRejected,
    /// The mail service's answer is unknown (no answer within the time budget, a connection
    /// lost after sending, a 5xx): the e-mail may or may not be in the mailbox. The next call
    /// sends it once more, marked as a possible repeat; after two such attempts, nothing more.
    OutcomeUnknown,
    /// The mail service could not be reached: nothing was sent.
    UpstreamUnreachable,
    /// Our own table could not be reached, so nothing was claimed and nothing was sent.
    StoreUnavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageResponse {
    pub message_status: MessageStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<MessageReason>,
    /// With `limit_reached`: which limit, `address` (the reply address's inbox), `domain` (its
    /// domain) or `day` (the deployment's day), as the dashboard counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<&'static str>,
}

impl MessageStatus {
    /// The wire name (`sent`, ...), as the answer carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Pending => "pending",
            Self::Failed => "failed",
        }
    }
}

impl MessageReason {
    /// The wire name (`already_sent`, ...), as the answer carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlreadySent => "already_sent",
            Self::MessageInProgress => "message_in_progress",
            Self::MissingEmail => "missing_email",
            Self::EmailRefused => "email_refused",
            Self::MissingMessage => "missing_message",
            Self::LimitReached => "limit_reached",
            Self::UpstreamRejected => "upstream_rejected",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::UpstreamUnreachable => "upstream_unreachable",
            Self::StoreUnavailable => "store_unavailable",
        }
    }
}

impl MessageResponse {
    /// The metric that counts this answer.
    pub fn metric(&self) -> &'static str {
        match (self.message_status, self.reason) {
            (MessageStatus::Sent, Some(MessageReason::AlreadySent)) => "MessageDeduplicated",
            (MessageStatus::Sent, _) => "MessageSent",
            (MessageStatus::Pending, _) => "MessageInProgress",
            (MessageStatus::Failed, _) => "MessageFailed",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CM.com Routing Control: POST .../chats/{ChatId}/routing/mutationrequests

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
    use super::*;

    /// The string a dialog branches on follows from the answer's facts, the store's trouble first.
    #[test]
    fn an_intake_answer_says_in_one_string_what_the_dialog_does_next() {
        use IntakeField::{Email, Name};
        let status = |stored, missing, invalid, reason| {
            let answer = IntakeResponse::new(stored, missing, invalid, reason);
            (answer.intake_status, answer.complete)
        };
        assert_eq!(
            status(true, vec![], vec![], None),
            (IntakeStatus::Complete, true)
        );
        assert_eq!(
            status(false, vec![], vec![], None),
            (IntakeStatus::Complete, true)
        );
        assert_eq!(
            status(true, vec![Email], vec![], None),
            (IntakeStatus::Incomplete, false)
        );
        assert_eq!(
            status(false, vec![], vec![Email], None),
            (IntakeStatus::Invalid, true)
        );
        assert_eq!(
            status(false, vec![Name], vec![Email], None),
            (IntakeStatus::Invalid, false)
        );
        assert_eq!(
            status(
                false,
                vec![],
                vec![Email],
                Some(IntakeReason::StoreUnavailable)
            ),
            (IntakeStatus::StoreUnavailable, false)
        );
        let json = serde_json::to_value(IntakeResponse::new(false, vec![], vec![Email], None))
            .expect("JSON");
        assert_eq!(json["intakeStatus"], "invalid");
    }
    use serde_json::json;

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
        assert!(parse(r#"{"chatId":"c","context":{"a":1}}"#).is_err());
    }

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

    #[test]
    fn every_answer_has_its_own_metric() {
        use AvailabilityReason as R;
        let availability: Vec<&str> = [
            R::AgentsAvailable,
            R::NoAgentsAvailable,
            R::UpstreamUnavailable,
            R::PresenceCheckDisabled,
            R::ChannelNotServed,
            R::OutsideBusinessHours,
            R::Closed,
            R::ClosedUntilFurtherNotice,
        ]
        .into_iter()
        .map(|r| AvailabilityResponse::new(AgentStatus::Offline, r).metric())
        .collect();
        assert_eq!(
            availability,
            [
                "AgentsOnline",
                "AgentsOffline",
                "PresenceUpstreamError",
                "PresenceCheckDisabled",
                "ChannelNotServed",
                "OutsideBusinessHours",
                "ClosedDate",
                "ClosedUntilFurtherNotice"
            ]
        );
        let intake = |stored, invalid: Vec<IntakeField>, reason| {
            IntakeResponse::new(stored, vec![IntakeField::Name], invalid, reason).metric()
        };
        assert_eq!(intake(true, vec![], None), "IntakeStored");
        assert_eq!(
            intake(false, vec![IntakeField::Email], None),
            "IntakeInvalid"
        );
        assert_eq!(intake(false, vec![], None), "IntakeRead");
        assert_eq!(
            intake(false, vec![], Some(IntakeReason::StoreUnavailable)),
            "IntakeStoreUnavailable"
        );
        let handover = |status, reason| {
            HandoverResponse {
                handover_status: status,
                reason,
            }
            .metric()
        };
        assert_eq!(handover(HandoverStatus::Success, None), "HandoverSucceeded");
        assert_eq!(
            handover(
                HandoverStatus::Success,
                Some(HandoverReason::AlreadyHandedOver)
            ),
            "HandoverDeduplicated"
        );
        assert_eq!(
            handover(
                HandoverStatus::Pending,
                Some(HandoverReason::HandoverInProgress)
            ),
            "HandoverInProgress"
        );
        for reason in [
            HandoverReason::UpstreamRejected,
            HandoverReason::UpstreamTimeout,
            HandoverReason::UpstreamUnreachable,
            HandoverReason::StoreUnavailable,
        ] {
            assert_eq!(
                handover(HandoverStatus::Failed, Some(reason)),
                "HandoverFailed"
            );
        }
    }

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

    #[test]
    fn intake_request_lists_present_fields_in_order() {
        let req: Result<IntakeRequest, _> = serde_json::from_value(
            json!({"chatId": "c", "email": "e", "name": "n", "phone": null}),
        );
        let fields = req.map(|r| {
            r.fields()
                .into_iter()
                .map(|(f, v)| (f, v.to_owned()))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            fields.ok(),
            Some(vec![
                (IntakeField::Name, "n".to_owned()),
                (IntakeField::Email, "e".to_owned())
            ])
        );
    }
}
