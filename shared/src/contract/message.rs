//! `POST /message`, the offline branch: the customer's message to the support mailbox, and the
//! answer.

use serde::{Deserialize, Serialize};

use crate::contract::callout::{CalloutBody, Unfilled};

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
