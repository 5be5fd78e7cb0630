//! What availability remembers between requests in one execution environment, so that a slow
//! or dead presence source costs one answer, not a timeout per chat:
//!
//! - a fresh answer (younger than `fresh_for`) is served without asking the presence source;
//! - when asking fails, the last answer younger than `stale_for` is served instead;
//! - after `failures_to_open` failures in a row the circuit opens: for `open_for` the source is
//!   not asked at all (the stale answer, or offline, at once). Then one request asks again: a
//!   success closes the circuit, a failure opens it for another `open_for`.
//!
//! Plain data and decisions, with the time passed in: tested without a network or a clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The most answers remembered at once. MSC's referrer may be the customer's page URL, so the
/// keys are as many as the shop's pages: past this, answers too old to serve even as a fallback
/// are dropped first, then the oldest.
pub const MAX_REMEMBERED: usize = 1024;

#[derive(Debug, Clone, Copy)]
pub struct MemorySettings {
    pub fresh_for: Duration,
    pub stale_for: Duration,
    pub failures_to_open: u32,
    pub open_for: Duration,
}

impl MemorySettings {
    /// Fresh for `fresh_for` (0 turns remembering fresh answers off), stale up to 5 minutes, the
    /// circuit open for 30 s after 3 failures in a row.
    pub fn with_fresh_for(fresh_for: Duration) -> Self {
        Self {
            fresh_for,
            stale_for: Duration::from_secs(300),
            failures_to_open: 3,
            open_for: Duration::from_secs(30),
        }
    }
}

/// What to do for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Answer this (agents online?) without asking.
    Remembered(bool),
    /// Ask the presence source; if that fails, answer `fallback` (the stale answer) if any.
    Ask { fallback: Option<bool> },
    /// The circuit is open: do not ask; answer `fallback` if any, else offline.
    DoNotAsk { fallback: Option<bool> },
}

#[derive(Debug)]
pub struct PresenceMemory {
    settings: MemorySettings,
    answers: HashMap<Option<String>, (bool, Instant)>,
    failures_in_a_row: u32,
    open_until: Option<Instant>,
}

impl PresenceMemory {
    pub fn new(settings: MemorySettings) -> Self {
        Self {
            settings,
            answers: HashMap::new(),
            failures_in_a_row: 0,
            open_until: None,
        }
    }

    pub fn plan(&self, webstore: Option<&str>, now: Instant) -> Plan {
        let remembered = self.answers.get(&webstore.map(str::to_owned));
        let age = |at: &Instant| now.saturating_duration_since(*at);
        if let Some((online, at)) = remembered
            && age(at) < self.settings.fresh_for
        {
            return Plan::Remembered(*online);
        }
        let fallback = remembered
            .filter(|(_, at)| age(at) < self.settings.stale_for)
            .map(|(online, _)| *online);
        match self.open_until {
            Some(until) if now < until => Plan::DoNotAsk { fallback },
            _ => Plan::Ask { fallback },
        }
    }

    pub fn succeeded(&mut self, webstore: Option<&str>, online: bool, now: Instant) {
        let key = webstore.map(str::to_owned);
        if self.answers.len() >= MAX_REMEMBERED && !self.answers.contains_key(&key) {
            let stale_for = self.settings.stale_for;
            self.answers
                .retain(|_, (_, at)| now.saturating_duration_since(*at) < stale_for);
            if self.answers.len() >= MAX_REMEMBERED {
                let oldest = self
                    .answers
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    self.answers.remove(&oldest);
                }
            }
        }
        self.answers.insert(key, (online, now));
        self.failures_in_a_row = 0;
        self.open_until = None;
    }

    pub fn failed(&mut self, now: Instant) {
        self.failures_in_a_row = self.failures_in_a_row.saturating_add(1);
        if self.failures_in_a_row >= self.settings.failures_to_open {
            self.open_until = Some(now + self.settings.open_for);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn memory() -> PresenceMemory {
        PresenceMemory::new(MemorySettings::with_fresh_for(10 * S))
    }

    #[test]
    fn a_fresh_answer_is_served_per_webstore_then_asked_again() {
        let t0 = Instant::now();
        let mut m = memory();
        assert_eq!(m.plan(Some("nl"), t0), Plan::Ask { fallback: None });
        m.succeeded(Some("nl"), true, t0);
        assert_eq!(m.plan(Some("nl"), t0 + 9 * S), Plan::Remembered(true));
        assert_eq!(m.plan(Some("be"), t0 + 9 * S), Plan::Ask { fallback: None });
        assert_eq!(m.plan(None, t0), Plan::Ask { fallback: None });
        assert_eq!(
            m.plan(Some("nl"), t0 + 10 * S),
            Plan::Ask {
                fallback: Some(true)
            }
        );
        assert_eq!(
            m.plan(Some("nl"), t0 + 300 * S),
            Plan::Ask { fallback: None }
        );
    }

    #[test]
    fn memory_is_bounded_dropping_the_oldest_answer() {
        let t0 = Instant::now();
        let mut m = memory();
        for i in 0..MAX_REMEMBERED {
            m.succeeded(
                Some(&format!("https://shop.example/p/{i}")),
                true,
                t0 + (i as u32) * Duration::from_millis(1),
            );
        }
        m.succeeded(Some("new"), false, t0 + S);
        assert_eq!(m.answers.len(), MAX_REMEMBERED);
        assert_eq!(
            m.plan(Some("https://shop.example/p/0"), t0 + S),
            Plan::Ask { fallback: None }
        );
        assert_eq!(
            m.plan(Some("https://shop.example/p/1"), t0 + S),
            Plan::Remembered(true)
        );
        assert_eq!(m.plan(Some("new"), t0 + S), Plan::Remembered(false));
        // answers past the stale limit all go at once
        m.succeeded(Some("later"), true, t0 + 400 * S);
        assert_eq!(m.answers.len(), 1);
    }

    #[test]
    fn zero_freshness_always_asks_but_keeps_a_fallback() {
        let t0 = Instant::now();
        let mut m = PresenceMemory::new(MemorySettings::with_fresh_for(Duration::ZERO));
        m.succeeded(None, false, t0);
        assert_eq!(
            m.plan(None, t0),
            Plan::Ask {
                fallback: Some(false)
            }
        );
    }

    #[test]
    fn three_failures_open_the_circuit_for_thirty_seconds_then_one_probe_decides() {
        let t0 = Instant::now();
        let mut m = memory();
        m.succeeded(Some("nl"), true, t0);
        for i in 1..=2 {
            m.failed(t0 + i * 20 * S);
            assert_eq!(
                m.plan(Some("nl"), t0 + i * 20 * S),
                Plan::Ask {
                    fallback: Some(true)
                }
            );
        }
        let opened = t0 + 60 * S;
        m.failed(opened);
        assert_eq!(
            m.plan(Some("nl"), opened),
            Plan::DoNotAsk {
                fallback: Some(true)
            }
        );
        assert_eq!(
            m.plan(Some("be"), opened + 29 * S),
            Plan::DoNotAsk { fallback: None }
        );
        // half-open: the next request asks; its failure opens the circuit again at once
        assert_eq!(
            m.plan(Some("be"), opened + 30 * S),
            Plan::Ask { fallback: None }
        );
        m.failed(opened + 30 * S);
        assert_eq!(
            m.plan(Some("be"), opened + 31 * S),
            Plan::DoNotAsk { fallback: None }
        );
        // and a success closes it
        m.succeeded(Some("be"), false, opened + 61 * S);
        assert_eq!(
            m.plan(Some("nl"), opened + 62 * S),
            Plan::Ask {
                fallback: Some(true)
            }
        );
        assert_eq!(m.plan(Some("be"), opened + 62 * S), Plan::Remembered(false));
    }
}
