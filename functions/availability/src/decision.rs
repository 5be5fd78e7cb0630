//! The step-1 decision for one request: each web store judged by its opening hours, then by its
//! agents' presence (side by side where it overflows, [`crate::overflow::pick`] choosing), the
//! route recorded on the chat, and the language the next opening is written in.

use std::time::Duration;

use shared::adapters::store::{ROUTE_TTL_SECONDS, Route};
use shared::contract::validate::ChatId;
use shared::contract::{AgentStatus, AvailabilityReason, AvailabilityResponse};
use shared::rules::language::{self, Language, Spoken};

use crate::hours::{BusinessHours, ClosedReason, Verdict};
use crate::overflow::{self, Decision, Judgement, Judging, until_first_online};
use crate::request::Subject;
use crate::source::{Source, ask};
use crate::{App, MARGIN};

/// Kept back from the budget for recording a route decision (one DynamoDB write): a fifth of it,
/// at most this, so that a small budget still leaves the presence questions most of it.
const RECORD_RESERVE: Duration = Duration::from_millis(400);

impl App {
    /// The answer for `subject` on `channel`, overflow included where it may apply: our own
    /// request shape with a chat id (the route is recorded on that chat, so that its handover
    /// goes where the answer says) and a web store whose entry names overflow web stores.
    /// CAIC's presence-check webhook sends no chat id, and CAIC's own handover routes on
    /// `mscWebstore`: it gets the requested web store's own answer.
    pub(crate) async fn decide(
        &self,
        chat: Option<&ChatId>,
        subject: &Subject,
        channel: &'static str,
        hours: Option<&BusinessHours>,
        budget: Duration,
    ) -> AvailabilityResponse {
        let started = tokio::time::Instant::now();
        let alone = || async {
            self.check(subject, channel, hours, &[], budget)
                .await
                .answer
        };
        let Some((chat, requested)) = chat.zip(subject.webstore.as_deref()) else {
            return alone().await;
        };
        let overflow = hours.map_or(&[][..], |hours| hours.overflow_for(requested));
        if overflow.is_empty() {
            return alone().await;
        }
        let Some(store) = &self.store else {
            // refused at start-up; reachable when the hours' SSM parameter gained overflow since
            tracing::warn!(
                "the web store names overflow web stores, but TABLE_NAME is not set: the chat does not overflow"
            );
            return alone().await;
        };
        // the recording's time comes out of the same budget
        let decision = self
            .check(
                subject,
                channel,
                hours,
                overflow,
                budget.saturating_sub(RECORD_RESERVE.min(budget / 5)),
            )
            .await;
        let route = Route {
            requested: requested.to_owned(),
            decided: decision
                .overflowed_to
                .clone()
                .unwrap_or_else(|| requested.to_owned()),
        };
        let expires_at = self.clock.now().saturating_add(ROUTE_TTL_SECONDS);
        let deadline = started + budget.saturating_sub(MARGIN);
        let recorded =
            tokio::time::timeout_at(deadline, store.record_route(chat, &route, expires_at)).await;
        match (recorded, &decision.overflowed_to) {
            (Ok(Ok(())), Some(to)) => {
                tracing::info!(overflow_from = requested, webstore = %to, "the chat overflows");
                shared::setup::metrics::overflowed(requested);
                decision.answer
            }
            (Ok(Ok(())), None) => decision.answer,
            (failed, overflowed_to) => {
                let error = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => "no answer within the budget".to_owned(),
                };
                if overflowed_to.is_none() {
                    // the answer is the requested web store's own: a handover goes there unless
                    // an earlier decision for this chat, not replaced now, says otherwise
                    tracing::warn!(%error, "route not recorded; the answer is the web store's own");
                    return decision.answer;
                }
                // the handover could not know where the chat goes: the answer must not promise
                // it, so it is the requested web store's own
                tracing::error!(%error, "route not recorded; the chat does not overflow");
                decision.own
            }
        }
    }

    /// The language the customer reads the next opening in ([`language::customer_language`]):
    /// the request's `language`, else (given the chat) the one stored with its intake, read by
    /// `deadline`; else the web store's, the deployment's, English.
    pub(crate) async fn customer_language(
        &self,
        chat: Option<&ChatId>,
        subject: &Subject,
        hours: Option<&BusinessHours>,
        deadline: tokio::time::Instant,
    ) -> Language {
        let webstore = hours.map_or_else(Spoken::default, |hours| {
            hours.languages().of(subject.webstore.as_deref())
        });
        let stored = match (&subject.language, chat, &self.store) {
            (None, Some(chat), Some(store)) => {
                let read = store.intake_language(chat, self.clock.now());
                match tokio::time::timeout_at(deadline, read).await {
                    Ok(Ok(language)) => language,
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "the intake's language not read; the web store's or the deployment's is used");
                        None
                    }
                    Err(_) => {
                        tracing::warn!(
                            "the intake's language not read within the budget; the web store's or the deployment's is used"
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        let asked = subject.language.as_deref().or(stored.as_deref());
        language::customer_language(asked, webstore, self.deployment)
    }

    /// The answer for one web store (`webstore`, else the request's page URL) on `channel`:
    /// closed by its opening hours, or what its agents' presence says (from memory, or asked
    /// within `deadline`); never fails.
    async fn judge(
        &self,
        hours: Option<&BusinessHours>,
        webstore: Option<&str>,
        page_url: Option<&str>,
        channel: &'static str,
        deadline: tokio::time::Instant,
    ) -> Judgement {
        if let Some(hours) = hours {
            let schedule = hours.schedule_for(webstore);
            if let Verdict::Closed {
                reason,
                next_opening,
            } = schedule.verdict(shared::rules::clock::timestamp(self.clock.now()))
            {
                let reason = match reason {
                    ClosedReason::OutsideHours => AvailabilityReason::OutsideBusinessHours,
                    ClosedReason::ClosedDate => AvailabilityReason::Closed,
                };
                return Judgement {
                    answer: AvailabilityResponse::closed(
                        reason,
                        next_opening.map(|at| schedule.zoned(at)),
                    ),
                };
            }
        }
        let answer = match &self.presence {
            None => AvailabilityResponse::new(
                AgentStatus::Online,
                AvailabilityReason::PresenceCheckDisabled,
            ),
            Some(presence) => {
                // what the source is asked about, and its answers remembered by: MSC's referrer
                // is the web store, else the page URL (URL-based routing, as CAIC does when
                // `mscWebstore` is empty); a JSON source's is the web store
                let referrer = match presence.source {
                    Source::Msc(_) => webstore.or(page_url),
                    Source::Json { .. } => webstore,
                };
                ask(presence, channel, referrer, deadline).await
            }
        };
        Judgement { answer }
    }

    /// The answer for `subject` within `budget`: its own web store's, or, when that one cannot
    /// take the chat and `overflow` names web stores, the first of them that can (each under
    /// its own opening hours, their presence asked side by side). Never fails.
    async fn check(
        &self,
        subject: &Subject,
        channel: &'static str,
        hours: Option<&BusinessHours>,
        overflow: &[String],
        budget: Duration,
    ) -> Decision {
        let deadline = tokio::time::Instant::now() + budget.saturating_sub(MARGIN);
        let own = || {
            self.judge(
                hours,
                subject.webstore.as_deref(),
                subject.page_url.as_deref(),
                channel,
                deadline,
            )
        };
        let Some(requested) = subject.webstore.as_deref().filter(|_| !overflow.is_empty()) else {
            return Decision::alone(own().await.answer);
        };
        let mut judging: Vec<Judging<'_>> = vec![Box::pin(own())];
        for webstore in overflow {
            judging.push(Box::pin(self.judge(
                hours,
                Some(webstore),
                None,
                channel,
                deadline,
            )));
        }
        overflow::pick(requested, overflow, until_first_online(judging).await)
    }
}
