//! What availability remembers between requests in one execution environment, so that a slow
//! or dead presence source costs one answer, not a timeout per chat:
//!
//! - a fresh answer (younger than `fresh_for`) is served without asking the presence source;
//! - when asking fails, the last answer younger than `stale_for` is served instead;
//! - after `failures_to_open` failures in a row the circuit opens: for `open_for` the source is
//!   not asked at all (the stale answer, or offline, at once). Then one request asks again: a
//!   success closes the circuit, a failure opens it for another `open_for`.
//!
//! Answers and circuits are kept per key ([`key`]: the presence channel and the web store, or
//! MSC's referrer, which may be the customer's page URL): a caller who picks a url, web store or
//! channel whose presence answer times out opens only that key's circuit, never another's.
//!
//! Plain data and decisions, with the time passed in: tested without a network or a clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The most keys remembered at once. MSC's referrer may be the customer's page URL, so the keys
/// are as many as the shop's pages: past this, keys with neither an answer young enough to serve
/// as a fallback nor an open circuit are dropped first, then the one touched longest ago among
/// those without such an answer, and only then one with.
pub const MAX_REMEMBERED: usize = 1024;

/// The key of `referrer`'s answers on `channel` (a presence channel name, which holds no line
/// break; a referrer is checked text, which holds none either, so no two pairs share a key).
pub fn key(channel: &str, referrer: Option<&str>) -> String {
    match referrer {
        Some(referrer) => format!("{channel}\n{referrer}"),
        None => channel.to_owned(),
    }
}

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

/// What is remembered of one key.
#[derive(Debug, Clone, Copy)]
struct Remembered {
    /// The last answer and when it came.
    answer: Option<(bool, Instant)>,
    failures_in_a_row: u32,
    open_until: Option<Instant>,
    touched: Instant,
}

#[derive(Debug)]
pub struct PresenceMemory {
    settings: MemorySettings,
    keys: HashMap<Option<String>, Remembered>,
}

impl PresenceMemory {
    pub fn new(settings: MemorySettings) -> Self {
        Self {
            settings,
            keys: HashMap::new(),
        }
    }

    pub fn plan(&self, key: Option<&str>, now: Instant) -> Plan {
        let remembered = self.keys.get(&key.map(str::to_owned));
        let age = |at: &Instant| now.saturating_duration_since(*at);
        let answer = remembered.and_then(|r| r.answer);
        if let Some((online, at)) = answer
            && age(&at) < self.settings.fresh_for
        {
            return Plan::Remembered(online);
        }
        let fallback = answer
            .filter(|(_, at)| age(at) < self.settings.stale_for)
            .map(|(online, _)| online);
        match remembered.and_then(|r| r.open_until) {
            Some(until) if now < until => Plan::DoNotAsk { fallback },
            _ => Plan::Ask { fallback },
        }
    }

    pub fn succeeded(&mut self, key: Option<&str>, online: bool, now: Instant) {
        let entry = self.entry(key, now);
        entry.answer = Some((online, now));
        entry.failures_in_a_row = 0;
        entry.open_until = None;
    }

    /// Counts a failure of the source's own for `key`: its circuit alone opens.
    pub fn failed(&mut self, key: Option<&str>, now: Instant) {
        let settings = self.settings;
        let entry = self.entry(key, now);
        entry.failures_in_a_row = entry.failures_in_a_row.saturating_add(1);
        if entry.failures_in_a_row >= settings.failures_to_open {
            entry.open_until = Some(now + settings.open_for);
        }
    }

    /// The key's memory, made room for within [`MAX_REMEMBERED`].
    fn entry(&mut self, key: Option<&str>, now: Instant) -> &mut Remembered {
        let key = key.map(str::to_owned);
        if self.keys.len() >= MAX_REMEMBERED && !self.keys.contains_key(&key) {
            let stale_for = self.settings.stale_for;
            let servable = |r: &Remembered| {
                r.answer
                    .is_some_and(|(_, at)| now.saturating_duration_since(at) < stale_for)
            };
            self.keys
                .retain(|_, r| servable(r) || r.open_until.is_some_and(|until| now < until));
            if self.keys.len() >= MAX_REMEMBERED {
                // a key that never answered goes before one with an answer to fall back on, so
                // that keys a caller makes up cannot push out the shop's web stores
                let oldest = self
                    .keys
                    .iter()
                    .min_by_key(|(_, r)| (servable(r), r.touched))
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    self.keys.remove(&oldest);
                }
            }
        }
        let entry = self.keys.entry(key).or_insert(Remembered {
            answer: None,
            failures_in_a_row: 0,
            open_until: None,
            touched: now,
        });
        entry.touched = now;
        entry
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
        assert_eq!(m.keys.len(), MAX_REMEMBERED);
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
        assert_eq!(m.keys.len(), 1);
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
    fn three_failures_open_the_keys_circuit_for_thirty_seconds_then_one_probe_decides() {
        let t0 = Instant::now();
        let mut m = memory();
        m.succeeded(Some("nl"), true, t0);
        for i in 1..=2 {
            m.failed(Some("nl"), t0 + i * 20 * S);
            assert_eq!(
                m.plan(Some("nl"), t0 + i * 20 * S),
                Plan::Ask {
                    fallback: Some(true)
                }
            );
        }
        let opened = t0 + 60 * S;
        m.failed(Some("nl"), opened);
        assert_eq!(
            m.plan(Some("nl"), opened),
            Plan::DoNotAsk {
                fallback: Some(true)
            }
        );
        assert_eq!(
            m.plan(Some("nl"), opened + 29 * S),
            Plan::DoNotAsk {
                fallback: Some(true)
            }
        );
        // half-open: the next request asks; its failure opens the circuit again at once
        assert_eq!(
            m.plan(Some("nl"), opened + 30 * S),
            Plan::Ask {
                fallback: Some(true)
            }
        );
        m.failed(Some("nl"), opened + 30 * S);
        assert_eq!(
            m.plan(Some("nl"), opened + 31 * S),
            Plan::DoNotAsk {
                fallback: Some(true)
            }
        );
        // and a success closes it
        m.succeeded(Some("nl"), false, opened + 61 * S);
        assert_eq!(m.plan(Some("nl"), opened + 62 * S), Plan::Remembered(false));
    }

    #[test]
    fn answers_are_kept_apart_per_channel() {
        let t0 = Instant::now();
        let mut m = memory();
        let whatsapp = key("WhatsApp", Some("shop-nl"));
        let web = key("WebChat", Some("shop-nl"));
        assert_ne!(whatsapp, web);
        assert_ne!(key("WebChat", None), key("WebChat", Some("")));
        m.succeeded(Some(&whatsapp), false, t0);
        assert_eq!(m.plan(Some(&whatsapp), t0), Plan::Remembered(false));
        assert_eq!(m.plan(Some(&web), t0), Plan::Ask { fallback: None });
    }

    #[test]
    fn no_key_can_open_another_keys_circuit() {
        let t0 = Instant::now();
        let mut m = memory();
        m.succeeded(Some("shop-nl"), true, t0);
        // a caller picks page urls whose presence answer times out, each one new
        for i in 0..(MAX_REMEMBERED as u32 * 2) {
            let url = format!("https://evil.example/{i}");
            for _ in 0..3 {
                m.failed(Some(&url), t0 + 11 * S);
            }
            assert_eq!(
                m.plan(Some(&url), t0 + 11 * S),
                Plan::DoNotAsk { fallback: None }
            );
        }
        // the known web store is still asked, its stale answer kept as a fallback
        assert_eq!(
            m.plan(Some("shop-nl"), t0 + 11 * S),
            Plan::Ask {
                fallback: Some(true)
            }
        );
        assert_eq!(m.plan(None, t0 + 11 * S), Plan::Ask { fallback: None });
        assert!(m.keys.len() <= MAX_REMEMBERED);
    }
}
