//! Opening hours: when agents may be offered at all, in the shop's own time zone.
//!
//! Configured by `BUSINESS_HOURS` (JSON) or the SSM parameter named by `BUSINESS_HOURS_PARAM`:
//!
//! ```json
//! {"timezone": "Europe/Amsterdam",
//!  "weekly": {"mon": [["09:00","12:30"],["13:30","17:30"]], "sat": [["10:00","14:00"]]},
//!  "closed": ["2026-12-25", {"from": "2026-12-31", "to": "2027-01-01"}],
//!  "webstores": {"shop-be": {"timezone": "Europe/Brussels", "weekly": {"mon": [["08:00","20:00"]]}},
//!                "shop-nl": {"language": "nl", "agentLanguage": "nl", "overflow": ["shop-be"]}}}
//! ```
//!
//! The rules, all on the local wall clock of the schedule's zone (IANA names, DST-correct):
//! - A period `[open, close)` is open from `open` up to, not including, `close`; `24:00` may
//!   close a day; a period whose close is before its open runs past midnight into the next day.
//!   Periods of one day may overlap (their union counts). A weekday left out is closed.
//! - A `closed` date or inclusive range closes the whole local day, the part of the previous
//!   day's overnight period that runs into it included; and an overnight period that starts on a
//!   closed date does not run into the next day either.
//! - A webstore entry replaces the top level's `timezone`, `weekly` or `closed` for requests
//!   with that webstore; what it leaves out comes from the top level.
//! - A webstore entry's `language` and `agentLanguage` say which language its customers and its
//!   team are written to in (see [`shared::rules::language`]).
//! - A webstore entry's `overflow` names, in order, the web stores that take its chats when it
//!   cannot (closed, or no agent online): at most [`MAX_OVERFLOW`], not itself, none twice. Each
//!   is judged under its own entry's hours (the top level's when it has none). Overflow is one
//!   step: an overflow web store's own `overflow` is not followed.
//! - Clocks going forward skip the local times in the gap; clocks going back show the local
//!   times of the fold twice, and both count.
//!
//! Plain data and plain functions of a [`jiff::Timestamp`]: tested without AWS or a clock.

use std::collections::BTreeMap;

use shared::rules::language::WebstoreLanguages;

mod parse;
mod schedule;

pub use parse::MAX_OVERFLOW;
pub use schedule::{ClosedReason, Schedule, Verdict};

use parse::{RawHours, closed, overflow_list, weekly, zone};

/// The whole configuration: a schedule for every request, one per webstore that has its own, and
/// the web stores each one overflows to.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    everywhere: Schedule,
    webstores: BTreeMap<String, Schedule>,
    overflow: BTreeMap<String, Vec<String>>,
    languages: WebstoreLanguages,
}

impl BusinessHours {
    /// Parses and checks the configuration; an error names the entry at fault.
    pub fn parse(json: &str) -> Result<Self, String> {
        let raw: RawHours = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let languages =
            WebstoreLanguages::from_entries(raw.webstores.iter().map(|(name, entry)| {
                (
                    name.clone(),
                    entry.language.clone(),
                    entry.agent_language.clone(),
                )
            }))?;
        let everywhere = Schedule {
            zone: zone(&raw.timezone, "timezone")?,
            weekly: weekly(&raw.weekly, "weekly")?,
            closed: closed(&raw.closed, "closed")?,
        };
        let mut webstores = BTreeMap::new();
        let mut overflow = BTreeMap::new();
        for (name, entry) in raw.webstores {
            let at = format!("webstores.{name}");
            if name.trim().is_empty() {
                return Err("webstores: a webstore name is empty".to_owned());
            }
            if let Some(names) = &entry.overflow {
                overflow.insert(name.clone(), overflow_list(&name, names, &at)?);
            }
            let schedule = Schedule {
                zone: match &entry.timezone {
                    Some(name) => zone(name, &format!("{at}.timezone"))?,
                    None => everywhere.zone.clone(),
                },
                weekly: match &entry.weekly {
                    Some(days) => weekly(days, &format!("{at}.weekly"))?,
                    None => everywhere.weekly.clone(),
                },
                closed: match &entry.closed {
                    Some(dates) => closed(dates, &format!("{at}.closed"))?,
                    None => everywhere.closed.clone(),
                },
            };
            webstores.insert(name, schedule);
        }
        Ok(Self {
            everywhere,
            webstores,
            overflow,
            languages,
        })
    }

    /// The languages each web store's entry names (`language`, `agentLanguage`).
    pub fn languages(&self) -> &WebstoreLanguages {
        &self.languages
    }

    /// Whether any entry names overflow web stores.
    pub fn has_overflow(&self) -> bool {
        !self.overflow.is_empty()
    }

    /// The web stores that take `webstore`'s chats when it cannot, in order (none when its entry
    /// names none).
    pub fn overflow_for(&self, webstore: &str) -> &[String] {
        self.overflow
            .get(webstore)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The schedule that applies to a request about `webstore`.
    pub fn schedule_for(&self, webstore: Option<&str>) -> &Schedule {
        webstore
            .and_then(|name| self.webstores.get(name))
            .unwrap_or(&self.everywhere)
    }
}
