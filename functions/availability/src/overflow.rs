//! Overflow's decision: given the requested web store's answer and its overflow web stores'
//! answers, in order, which one takes the chat, and what the dialog is told. Plain data and a
//! plain function ([`pick`]), tested without a network; [`until_first_online`] gathers the
//! answers, asked side by side, no longer than the decision needs.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use jiff::ZonedDateTime;
use shared::contract::AvailabilityResponse;

/// The answer for one web store.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub answer: AvailabilityResponse,
}

/// What availability decided: the answer for the dialog, the requested web store's own answer,
/// and the overflow web store that takes the chat, when one does.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub answer: AvailabilityResponse,
    pub own: AvailabilityResponse,
    pub overflowed_to: Option<String>,
}

impl Decision {
    /// The requested web store's answer, with no overflow.
    pub fn alone(answer: AvailabilityResponse) -> Self {
        Self {
            own: answer.clone(),
            answer,
            overflowed_to: None,
        }
    }
}

/// Which web store takes a chat for `requested`: `judged` holds its answer first, then each of
/// `overflow`'s in order (`None`: not waited for, see [`until_first_online`]).
/// - The requested web store online: its answer.
/// - Else the first overflow web store online: that answer, naming it (`webstore`) and the
///   requested one (`overflowFrom`).
/// - Else the requested web store's own answer; when it is closed by its hours, its
///   `nextOpening` is the earliest among it and the closed overflow web stores (also when it
///   never opens again itself).
pub fn pick(requested: &str, overflow: &[String], judged: Vec<Option<Judgement>>) -> Decision {
    let taken_by = judged
        .iter()
        .position(|j| j.as_ref().is_some_and(|j| j.answer.agent_available));
    let mut judged = judged.into_iter();
    let Some(mut own) = judged.next().flatten() else {
        return Decision::alone(AvailabilityResponse::unavailable());
    };
    match taken_by {
        Some(index) if index > 0 => {
            let webstore = overflow.get(index - 1).cloned();
            let mut answer = judged
                .nth(index - 1)
                .flatten()
                .map_or_else(AvailabilityResponse::unavailable, |j| j.answer);
            answer.webstore.clone_from(&webstore);
            answer.overflow_from = Some(requested.to_owned());
            Decision {
                answer,
                own: own.answer,
                overflowed_to: webstore,
            }
        }
        _ => {
            if own.answer.is_closed() {
                let earliest = std::iter::once(own.clone())
                    .chain(judged.flatten())
                    .filter_map(|j| j.answer.next_opening)
                    .min_by_key(ZonedDateTime::timestamp);
                own.answer.next_opening = earliest;
            }
            Decision::alone(own.answer)
        }
    }
}

/// A web store's answer, on its way.
pub type Judging<'a> = Pin<Box<dyn Future<Output = Judgement> + Send + 'a>>;

/// Runs `judging` side by side and gives back each one's answer in order, up to the first one
/// that is online: decided as soon as every one before it has answered, the rest dropped (cut
/// short, or never asked). A slot left `None` was not waited for.
pub async fn until_first_online(mut judging: Vec<Judging<'_>>) -> Vec<Option<Judgement>> {
    let mut judged: Vec<Option<Judgement>> = vec![None; judging.len()];
    std::future::poll_fn(|cx| {
        for (slot, future) in judged.iter_mut().zip(judging.iter_mut()) {
            if slot.is_none()
                && let Poll::Ready(judgement) = future.as_mut().poll(cx)
            {
                *slot = Some(judgement);
            }
        }
        for slot in &judged {
            match slot {
                None => return Poll::Pending,
                Some(j) if j.answer.agent_available => return Poll::Ready(()),
                Some(_) => {}
            }
        }
        Poll::Ready(())
    })
    .await;
    judged
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::contract::{AgentStatus, AvailabilityReason};
    use std::time::Duration;

    fn online() -> Judgement {
        Judgement {
            answer: AvailabilityResponse::new(
                AgentStatus::Online,
                AvailabilityReason::AgentsAvailable,
            ),
        }
    }

    fn offline() -> Judgement {
        Judgement {
            answer: AvailabilityResponse::new(
                AgentStatus::Offline,
                AvailabilityReason::NoAgentsAvailable,
            ),
        }
    }

    fn closed(at: &str) -> Judgement {
        Judgement {
            answer: AvailabilityResponse::closed(
                AvailabilityReason::OutsideBusinessHours,
                Some(zoned(at)),
            ),
        }
    }

    /// An RFC 3339 instant on Amsterdam's wall clock.
    fn zoned(at: &str) -> ZonedDateTime {
        let zone = jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap_or_else(|e| panic!("{e}"));
        at.parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("{e}"))
            .to_zoned_datetime(zone)
    }

    fn overflow() -> Vec<String> {
        vec!["shop-be".to_owned(), "shop-fr".to_owned()]
    }

    #[test]
    fn the_requested_web_store_takes_its_own_chat_when_it_can() {
        let decision = pick("shop-nl", &overflow(), vec![Some(online()), None, None]);
        assert_eq!(decision, Decision::alone(online().answer));
    }

    #[test]
    fn else_the_first_overflow_web_store_online_in_order() {
        let decision = pick(
            "shop-nl",
            &overflow(),
            vec![
                Some(offline()),
                Some(closed("2026-12-07T12:00:00+01:00")),
                Some(online()),
            ],
        );
        let mut answer = online().answer;
        answer.webstore = Some("shop-fr".to_owned());
        answer.overflow_from = Some("shop-nl".to_owned());
        assert_eq!(
            decision,
            Decision {
                answer,
                own: offline().answer,
                overflowed_to: Some("shop-fr".to_owned())
            }
        );
    }

    #[test]
    fn when_none_can_the_requested_answer_with_the_earliest_opening() {
        let own = closed("2026-12-07T11:00:00+01:00");
        let decision = pick(
            "shop-nl",
            &overflow(),
            vec![
                Some(own.clone()),
                Some(closed("2026-12-07T10:30:00+01:00")),
                Some(offline()),
            ],
        );
        let mut answer = own.answer;
        answer.next_opening = Some(zoned("2026-12-07T10:30:00+01:00"));
        assert_eq!(decision, Decision::alone(answer));
        // an earliest opening is not promised when the requested web store is open, only busy
        let decision = pick(
            "shop-nl",
            &overflow(),
            vec![
                Some(offline()),
                Some(closed("2026-12-07T10:30:00+01:00")),
                None,
            ],
        );
        assert_eq!(decision, Decision::alone(offline().answer));
    }

    #[test]
    fn a_web_store_that_never_opens_gives_its_overflows_next_opening() {
        let never = Judgement {
            answer: AvailabilityResponse::closed(AvailabilityReason::OutsideBusinessHours, None),
        };
        let decision = pick(
            "shop-nl",
            &overflow(),
            vec![
                Some(never.clone()),
                Some(closed("2026-12-07T12:00:00+01:00")),
                Some(offline()),
            ],
        );
        let mut answer = never.answer;
        answer.next_opening = Some(zoned("2026-12-07T12:00:00+01:00"));
        assert_eq!(decision, Decision::alone(answer));
    }

    #[tokio::test(start_paused = true)]
    async fn answers_are_waited_for_only_up_to_the_first_online_one() {
        let after = |ms: u64, judgement: Judgement| -> Judging<'static> {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                judgement
            })
        };
        let started = tokio::time::Instant::now();
        // the first online one answers late: everything before it is waited for, nothing after
        let judged = until_first_online(vec![
            after(10, offline()),
            after(300, online()),
            after(5000, offline()),
        ])
        .await;
        assert_eq!(judged, vec![Some(offline()), Some(online()), None]);
        assert_eq!(started.elapsed(), Duration::from_millis(300));
        // one online early decides nothing while one before it is still out
        let started = tokio::time::Instant::now();
        let judged = until_first_online(vec![after(200, offline()), after(10, online())]).await;
        assert_eq!(judged, vec![Some(offline()), Some(online())]);
        assert_eq!(started.elapsed(), Duration::from_millis(200));
    }
}
