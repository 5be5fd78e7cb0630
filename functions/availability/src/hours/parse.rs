//! Reading `BUSINESS_HOURS`: the JSON's shape, and each part checked with an error that names
//! the entry at fault.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::schedule::{ClosedDates, MINUTES_PER_DAY, Period};

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The most web stores one entry's `overflow` may name.
pub const MAX_OVERFLOW: usize = 5;

// ---------------------------------------------------------------------------------------------
// The configuration as written, and its checks

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHours {
    pub(super) timezone: String,
    pub(super) weekly: BTreeMap<String, Vec<(String, String)>>,
    #[serde(default)]
    pub(super) closed: Vec<RawClosed>,
    #[serde(default)]
    pub(super) webstores: BTreeMap<String, RawWebstore>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebstore {
    pub(super) timezone: Option<String>,
    pub(super) weekly: Option<BTreeMap<String, Vec<(String, String)>>>,
    pub(super) closed: Option<Vec<RawClosed>>,
    pub(super) overflow: Option<Vec<String>>,
    // the languages (shared::rules::language::WebstoreLanguages; handover and message read them too)
    pub(super) language: Option<String>,
    #[serde(rename = "agentLanguage")]
    pub(super) agent_language: Option<String>,
}

/// An entry's `overflow`, checked: web store names as a request gives them, at most
/// [`MAX_OVERFLOW`], not the entry's own, none twice.
pub(super) fn overflow_list(own: &str, names: &[String], at: &str) -> Result<Vec<String>, String> {
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
pub(super) enum RawClosed {
    Day(String),
    Range(RawRange),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRange {
    from: String,
    to: String,
}

pub(super) fn zone(name: &str, at: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|_| {
        format!("{at}: `{name}` is not an IANA time zone name (like Europe/Amsterdam)")
    })
}

pub(super) fn weekly(
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

pub(super) fn closed(entries: &[RawClosed], at: &str) -> Result<Vec<ClosedDates>, String> {
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
