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
//! Plain data and plain functions of a [`Timestamp`]: tested without AWS or a clock.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use shared::rules::language::WebstoreLanguages;

/// Each search for the next opening looks this far ahead at a time.
const WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// How many windows (or jumps over closed dates) the search takes before it gives up: more than
/// two years, whatever the schedule.
const MAX_STEPS: usize = 800;

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MINUTES_PER_DAY: u32 = 24 * 60;

/// The most web stores one entry's `overflow` may name.
pub const MAX_OVERFLOW: usize = 5;

/// The whole configuration: a schedule for every request, one per webstore that has its own, and
/// the web stores each one overflows to.
#[derive(Debug, Clone)]
pub struct BusinessHours {
    everywhere: Schedule,
    webstores: BTreeMap<String, Schedule>,
    overflow: BTreeMap<String, Vec<String>>,
    languages: WebstoreLanguages,
}

/// One shop's opening hours in one time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    zone: TimeZone,
    /// Periods per weekday, Monday first.
    weekly: [Vec<Period>; 7],
    /// Closed dates, sorted, with overlapping and adjacent ranges merged.
    closed: Vec<ClosedDates>,
}

/// Local minutes of the day: `open` in 0..1440, `close` in 0..=1440, never equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Period {
    open: u32,
    close: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ClosedDates {
    first: Date,
    last: Date,
}

/// What the schedule says at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Open,
    Closed {
        reason: ClosedReason,
        /// The first instant after which it is open again; `None` when the schedule never opens
        /// again (no periods at all, or closed for more than two years).
        next_opening: Option<Timestamp>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReason {
    /// Today is a working day, but not at this time.
    OutsideHours,
    /// Today is one of the `closed` dates.
    ClosedDate,
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

impl Schedule {
    /// Open or closed at `now`, and if closed, why and until when.
    pub fn verdict(&self, now: Timestamp) -> Verdict {
        if self.is_open(now) {
            return Verdict::Open;
        }
        let today = self.zone.to_datetime(now).date();
        let reason = if self.closed_through(today).is_some() {
            ClosedReason::ClosedDate
        } else {
            ClosedReason::OutsideHours
        };
        Verdict::Closed {
            reason,
            next_opening: self.next_opening(now),
        }
    }

    /// Whether the wall clock at `at` falls in an opening period.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = self.zone.to_datetime(at);
        let today = local.date();
        if self.closed_through(today).is_some() {
            return false;
        }
        let second = second_of_day(local.time());
        if self.periods(today).iter().any(|p| p.covers_its_day(second)) {
            return true;
        }
        // the part of yesterday's overnight periods that runs into today
        today.yesterday().is_ok_and(|yesterday| {
            self.closed_through(yesterday).is_none()
                && self
                    .periods(yesterday)
                    .iter()
                    .any(|p| p.covers_next_day(second))
        })
    }

    /// The first instant at or after `after` at which the schedule is open.
    pub fn next_opening(&self, after: Timestamp) -> Option<Timestamp> {
        if self.weekly.iter().all(Vec::is_empty) {
            return None;
        }
        let mut from = after;
        for _ in 0..MAX_STEPS {
            let date = self.zone.to_datetime(from).date();
            if let Some(last) = self.closed_through(date) {
                // nothing opens before the first day after the closed dates
                let reopening_day = last.tomorrow().ok()?;
                let start = self.first_instant_at(reopening_day.to_datetime(Time::midnight()))?;
                if start > from {
                    from = start;
                    continue;
                }
            }
            let to = from.checked_add(WINDOW).ok()?;
            if let Some(found) = self.first_open_in(from, to) {
                return Some(found);
            }
            from = to;
        }
        None
    }

    /// `at` as RFC 3339 with this zone's offset at that instant, e.g. `2026-12-28T09:00:00+01:00`.
    pub fn rfc3339(&self, at: Timestamp) -> String {
        at.display_with_offset(self.zone.to_offset(at)).to_string()
    }

    /// `at` on this schedule's wall clock.
    pub fn zoned(&self, at: Timestamp) -> jiff::ZonedDateTime {
        at.to_zoned_datetime(self.zone.clone())
    }

    /// The earliest open instant in `[from, to)`. It is `from` itself or an instant at which the
    /// schedule goes from closed to open; the wall clock does that only when it reaches an
    /// opening time or jumps (a time zone transition), so those are the only candidates.
    fn first_open_in(&self, from: Timestamp, to: Timestamp) -> Option<Timestamp> {
        let mut candidates = vec![from];
        candidates.extend(
            self.zone
                .following(from)
                .map(|transition| transition.timestamp())
                .take_while(|t| *t < to),
        );
        // a fold can show a date again after the next one began: look one day either side
        let first = self.zone.to_datetime(from).date().yesterday().ok()?;
        let last = self.zone.to_datetime(to).date().tomorrow().ok()?;
        let mut date = first;
        while date <= last {
            if self.closed_through(date).is_none() {
                for period in self.periods(date) {
                    let opening = date.to_datetime(period.open_time());
                    candidates.extend(self.instants_at(opening));
                }
            }
            date = date.tomorrow().ok()?;
        }
        candidates.retain(|t| from <= *t && *t < to);
        candidates.sort();
        candidates.into_iter().find(|t| self.is_open(*t))
    }

    /// Every instant at which the wall clock shows `local`: none in a gap, two in a fold.
    fn instants_at(&self, local: DateTime) -> Vec<Timestamp> {
        match self.zone.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { offset } => {
                offset.to_timestamp(local).ok().into_iter().collect()
            }
            AmbiguousOffset::Gap { .. } => Vec::new(),
            AmbiguousOffset::Fold { before, after } => [before, after]
                .into_iter()
                .filter_map(|offset| offset.to_timestamp(local).ok())
                .collect(),
        }
    }

    /// The first instant at which the wall clock shows `local` or later (in a gap: its end).
    fn first_instant_at(&self, local: DateTime) -> Option<Timestamp> {
        match self.zone.to_ambiguous_timestamp(local).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(local).ok(),
            AmbiguousOffset::Fold { before, after } => {
                let earlier = before.to_timestamp(local).ok()?;
                let later = after.to_timestamp(local).ok()?;
                Some(earlier.min(later))
            }
            AmbiguousOffset::Gap { after, .. } => {
                // read with the later offset, `local` lies before the gap: the gap starts at the
                // next transition
                let before_gap = after.to_timestamp(local).ok()?;
                self.zone
                    .following(before_gap)
                    .next()
                    .map(|t| t.timestamp())
            }
        }
    }

    fn periods(&self, date: Date) -> &[Period] {
        let index = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
        self.weekly.get(index).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The last day of the closed dates that `date` falls in.
    fn closed_through(&self, date: Date) -> Option<Date> {
        self.closed
            .iter()
            .find(|range| range.first <= date && date <= range.last)
            .map(|range| range.last)
    }
}

impl Period {
    fn overnight(self) -> bool {
        self.close < self.open
    }

    fn covers_its_day(self, second: u32) -> bool {
        let opens = self.open * 60;
        if self.overnight() {
            second >= opens
        } else {
            opens <= second && second < self.close * 60
        }
    }

    fn covers_next_day(self, second: u32) -> bool {
        self.overnight() && second < self.close * 60
    }

    fn open_time(self) -> Time {
        // open is below 1440 (checked when parsed), so both parts fit
        let hour = i8::try_from(self.open / 60).unwrap_or(0);
        let minute = i8::try_from(self.open % 60).unwrap_or(0);
        Time::new(hour, minute, 0, 0).unwrap_or(Time::midnight())
    }
}

fn second_of_day(time: Time) -> u32 {
    let seconds =
        i32::from(time.hour()) * 3600 + i32::from(time.minute()) * 60 + i32::from(time.second());
    u32::try_from(seconds).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// The configuration as written, and its checks

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    timezone: String,
    weekly: BTreeMap<String, Vec<(String, String)>>,
    #[serde(default)]
    closed: Vec<RawClosed>,
    #[serde(default)]
    webstores: BTreeMap<String, RawWebstore>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebstore {
    timezone: Option<String>,
    weekly: Option<BTreeMap<String, Vec<(String, String)>>>,
    closed: Option<Vec<RawClosed>>,
    overflow: Option<Vec<String>>,
    // the languages (shared::rules::language::WebstoreLanguages; handover and message read them too)
    language: Option<String>,
    #[serde(rename = "agentLanguage")]
    agent_language: Option<String>,
}

/// An entry's `overflow`, checked: web store names as a request gives them, at most
/// [`MAX_OVERFLOW`], not the entry's own, none twice.
fn overflow_list(own: &str, names: &[String], at: &str) -> Result<Vec<String>, String> {
    if names.len() > MAX_OVERFLOW {
        return Err(format!("{at}.overflow: at most {MAX_OVERFLOW} web stores"));
    }
    let mut list: Vec<String> = Vec::with_capacity(names.len());
    for raw in names {
        let name = shared::contract::validate::webstore(raw)
            .map_err(|e| format!("{at}.overflow: `{raw}` is not a web store name: it {e}"))?;
        if name == own {
            return Err(format!(
                "{at}.overflow: a web store cannot overflow to itself"
            ));
        }
        if list.contains(&name) {
            return Err(format!("{at}.overflow: `{name}` is named twice"));
        }
        list.push(name);
    }
    Ok(list)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawClosed {
    Day(String),
    Range(RawRange),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    from: String,
    to: String,
}

fn zone(name: &str, at: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|_| {
        format!("{at}: `{name}` is not an IANA time zone name (like Europe/Amsterdam)")
    })
}

fn weekly(
    days: &BTreeMap<String, Vec<(String, String)>>,
    at: &str,
) -> Result<[Vec<Period>; 7], String> {
    let mut weekly: [Vec<Period>; 7] = Default::default();
    for (day, periods) in days {
        let Some(index) = WEEKDAYS.iter().position(|d| d == day) else {
            return Err(format!(
                "{at}: `{day}` is not a weekday (use {})",
                WEEKDAYS.join(", ")
            ));
        };
        for (i, (open, close)) in periods.iter().enumerate() {
            let here = format!("{at}.{day}[{i}]");
            let open_minute = clock_time(open)
                .filter(|m| *m < MINUTES_PER_DAY)
                .ok_or_else(|| {
                    format!(
                        "{here}: opening time `{open}` is not a time from 00:00 to 23:59 (HH:MM)"
                    )
                })?;
            let close_minute = clock_time(close).ok_or_else(|| {
                format!("{here}: closing time `{close}` is not a time from 00:00 to 24:00 (HH:MM)")
            })?;
            if open_minute == close_minute {
                return Err(format!(
                    "{here}: opens and closes at {open}; for a whole day write [\"00:00\", \"24:00\"]"
                ));
            }
            if let Some(slot) = weekly.get_mut(index) {
                slot.push(Period {
                    open: open_minute,
                    close: close_minute,
                });
            }
        }
    }
    Ok(weekly)
}

/// Minutes since midnight of an `HH:MM` time from 00:00 to 24:00.
fn clock_time(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    let two_digits = |s: &str| {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (hours, minutes) = (two_digits(hours)?, two_digits(minutes)?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= MINUTES_PER_DAY).then_some(total)
}

fn closed(entries: &[RawClosed], at: &str) -> Result<Vec<ClosedDates>, String> {
    let mut ranges = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let here = format!("{at}[{i}]");
        let range = match entry {
            RawClosed::Day(day) => {
                let day = date(day, &here)?;
                ClosedDates {
                    first: day,
                    last: day,
                }
            }
            RawClosed::Range(RawRange { from, to }) => {
                let first = date(from, &format!("{here}.from"))?;
                let last = date(to, &format!("{here}.to"))?;
                if last < first {
                    return Err(format!("{here}: `to` ({to}) is before `from` ({from})"));
                }
                ClosedDates { first, last }
            }
        };
        ranges.push(range);
    }
    ranges.sort_by_key(|r| r.first);
    let mut merged: Vec<ClosedDates> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(previous)
                if previous
                    .last
                    .tomorrow()
                    .is_ok_and(|next| range.first <= next) =>
            {
                previous.last = previous.last.max(range.last);
            }
            _ => merged.push(range),
        }
    }
    Ok(merged)
}

fn date(text: &str, at: &str) -> Result<Date, String> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    well_formed
        .then(|| text.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| format!("{at}: `{text}` is not a date (YYYY-MM-DD)"))
}
