//! One shop's hours in one time zone, and what they say at an instant: open, or closed with
//! the reason and the next opening.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// Each search for the next opening looks this far ahead at a time.
const WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// How many windows (or jumps over closed dates) the search takes before it gives up: more than
/// two years, whatever the schedule.
const MAX_STEPS: usize = 800;

pub(super) const MINUTES_PER_DAY: u32 = 24 * 60;

/// One shop's opening hours in one time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub(super) zone: TimeZone,
    /// Periods per weekday, Monday first.
    pub(super) weekly: [Vec<Period>; 7],
    /// Closed dates, sorted, with overlapping and adjacent ranges merged.
    pub(super) closed: Vec<ClosedDates>,
}

/// Local minutes of the day: `open` in 0..1440, `close` in 0..=1440, never equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Period {
    pub(super) open: u32,
    pub(super) close: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ClosedDates {
    pub(super) first: Date,
    pub(super) last: Date,
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
