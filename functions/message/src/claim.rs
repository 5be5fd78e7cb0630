//! The message, at most once per chat: claim it, read the chat's intake meanwhile, send the one
//! e-mail, settle the claim by its outcome (the protocol is [`shared::rules::once`]), erase the intake
//! once the mailbox holds it, and answer in the dialog's terms.

use shared::rules::words;
use shared::setup::team_language::TeamLanguage;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use tokio::time::Instant;

use crate::letter::{MessageOrder, contents};
use shared::adapters::ses::{Envelope, Mailer};
use shared::adapters::store::{HeldClaim, MessageLimits, OnceStep, Store};
use shared::contract::{MessageReason, MessageResponse, MessageStatus};
use shared::rules::clock::Clock;
use shared::rules::mail::{Letter, Mailbox, compose};
use shared::rules::once::{Claim, ClaimTerms, Settle};
use shared::rules::summary::{asked_at, message_summary};
use shared::rules::upstream::UpstreamError;
use shared::setup::refreshing::Refreshing;

/// Kept back from the budget for recording the outcome after the mail service's answer.
const FINISH_RESERVE: Duration = Duration::from_millis(300);

/// Where the e-mail goes: from our SES identity to the support mailbox (one per web store where
/// `MESSAGE_TO_BY_WEBSTORE` names one).
pub struct Mailboxes {
    pub from: Mailbox,
    pub to: Mailbox,
    pub by_webstore: Option<Refreshing<BTreeMap<String, Mailbox>>>,
}

impl Mailboxes {
    /// The mailbox of `webstore`, else the default one.
    pub async fn recipient(&self, webstore: Option<&str>) -> Mailbox {
        if let (Some(webstore), Some(map)) = (webstore, &self.by_webstore)
            && let Some(mailbox) = map.get().await.get(webstore)
        {
            return mailbox.clone();
        }
        self.to.clone()
    }

    /// Whether `address` is in the domain of any mailbox we send from or to: the sender, the
    /// default mailbox and every web store's (a Reply-To there would have two helpdesks answer
    /// each other, or a reply leave in our name).
    pub async fn any_shares_domain_with(&self, address: &str) -> bool {
        if [&self.from, &self.to]
            .iter()
            .any(|ours| ours.shares_domain_with(address))
        {
            return true;
        }
        match &self.by_webstore {
            Some(map) => map
                .get()
                .await
                .values()
                .any(|ours| ours.shares_domain_with(address)),
            None => false,
        }
    }
}

/// What leaving a message needs besides the request.
pub struct Messenger {
    pub store: Store,
    pub mailer: Mailer,
    pub mailboxes: Mailboxes,
    /// How long a sent message answers duplicates (`MESSAGE_DEDUP_SECONDS`).
    pub dedup_seconds: u64,
    /// The day's limits on e-mails (`MESSAGE_LIMIT_PER_ADDRESS`, `MESSAGE_LIMIT_PER_DAY`).
    pub limits: MessageLimits,
    /// The zone of the e-mail's times (`HANDOVER_TIME_ZONE`, UTC by default).
    pub time_zone: TimeZone,
    /// The e-mail's language: the web store's team's.
    pub team_language: TeamLanguage,
    pub clock: Arc<dyn Clock>,
}

impl Messenger {
    /// Sends the chat's message within `budget`, once.
    pub async fn leave(
        &self,
        order: &MessageOrder,
        claim_id: &str,
        budget: Duration,
    ) -> MessageResponse {
        let started = Instant::now();
        let now = self.clock.now();
        let terms = ClaimTerms::new(now, budget, self.dedup_seconds);
        let (claim, intake) = tokio::join!(
            self.store
                .claim(OnceStep::Message, &order.chat, claim_id, terms),
            self.store.intake(&order.chat, now),
        );
        let repeat = match claim {
            Ok(Claim::Claimed) => false,
            Ok(Claim::ClaimedAgain) => true,
            Ok(Claim::OutOfAttempts) => return failed(MessageReason::OutcomeUnknown),
            Ok(Claim::InProgress) => {
                return answer(
                    MessageStatus::Pending,
                    Some(MessageReason::MessageInProgress),
                );
            }
            Ok(Claim::AlreadyDone) => {
                return answer(MessageStatus::Sent, Some(MessageReason::AlreadySent));
            }
            Err(error) => {
                tracing::error!(%error, "message not claimed; nothing sent");
                return failed(MessageReason::StoreUnavailable);
            }
        };
        let held = HeldClaim {
            step: OnceStep::Message,
            chat: &order.chat,
            claim_id,
        };
        let intake = match intake {
            Ok(record) => record.unwrap_or_default(),
            Err(error) => {
                tracing::error!(%error, "intake not read; claim released, nothing sent");
                self.store.give_up(&held).await;
                return failed(MessageReason::StoreUnavailable);
            }
        };
        let contents = match contents(order, &intake) {
            Ok(contents) => contents,
            Err(reason) => {
                tracing::info!(reason = reason.as_str(), "nothing to send; claim released");
                self.store.give_up(&held).await;
                return failed(reason);
            }
        };

        let to = self.mailboxes.recipient(order.webstore.as_deref()).await;
        if self
            .mailboxes
            .any_shares_domain_with(&contents.reply_to)
            .await
        {
            // a reply would go to ourselves, or leave in our name: refused, as a relay would be
            tracing::warn!(
                "the stored address is in the domain of one of our mailboxes; claim released, nothing sent"
            );
            self.store.give_up(&held).await;
            return failed(MessageReason::EmailRefused);
        }
        match self
            .store
            .count_message(&contents.reply_to, self.limits, now)
            .await
        {
            Ok(Ok(())) => {}
            Ok(Err(limit)) => {
                tracing::warn!(
                    limit = limit.as_str(),
                    "a limit on e-mails was reached; claim released, nothing sent"
                );
                shared::setup::metrics::message_limit_reached(limit.as_str());
                self.store.give_up(&held).await;
                return MessageResponse {
                    limit: Some(limit.as_str()),
                    ..failed(MessageReason::LimitReached)
                };
            }
            Err(error) => {
                tracing::error!(%error, "e-mail not counted; claim released, nothing sent");
                self.store.give_up(&held).await;
                return failed(MessageReason::StoreUnavailable);
            }
        }

        let sent_at = asked_at(now, &self.time_zone);
        let words = words::of(self.team_language.of(order.webstore.as_deref()).await);
        let mail = compose(&Letter {
            chat_id: order.chat.as_str(),
            webstore: order.webstore.as_deref(),
            channel: order.channel.as_deref(),
            intake: &intake,
            message: &contents.text,
            summary: &message_summary(&intake, order.channel.as_deref(), &sent_at, words),
            sent_at: &sent_at,
            repeat,
            words,
        });
        let envelope = Envelope {
            from: &self.mailboxes.from,
            to: &to,
            reply_to: &contents.reply_to,
        };
        let within = budget
            .saturating_sub(FINISH_RESERVE)
            .saturating_sub(started.elapsed());
        let calling = Instant::now();
        let outcome = self.mailer.send(&envelope, &mail, within).await;
        shared::setup::metrics::latency(shared::setup::metrics::MAIL_LATENCY, calling.elapsed());

        if let Ok(id) = &outcome {
            tracing::info!(ses_message_id = %id, "e-mail accepted by the mail service");
        }
        let now = self.clock.now();
        let settled = self
            .store
            .settle(
                &held,
                "mail service",
                Settle::after(&outcome),
                now,
                now.saturating_add(self.dedup_seconds),
            )
            .await;
        match settled {
            Ok(()) => answer(MessageStatus::Sent, None),
            Err(error) => failed(upstream_reason(error)),
        }
    }
}

/// The answer's reason for a failed send: an outcome SES may have acted on is unknown (the next
/// call sends again); anything else is a refusal, or a request that never left.
pub fn upstream_reason(error: &UpstreamError) -> MessageReason {
    if error.may_have_acted() {
        return MessageReason::OutcomeUnknown;
    }
    match error {
        UpstreamError::NotConnected => MessageReason::UpstreamUnreachable,
        _ => MessageReason::UpstreamRejected,
    }
}

fn answer(status: MessageStatus, reason: Option<MessageReason>) -> MessageResponse {
    MessageResponse {
        message_status: status,
        reason,
        limit: None,
    }
}

fn failed(reason: MessageReason) -> MessageResponse {
    answer(MessageStatus::Failed, Some(reason))
}
