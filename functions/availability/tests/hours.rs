//! Opening hours against a brute-force reference: every minute of a year in the shop's zone
//! (DST changes included), and generated schedules around DST changes, midnight and year end.
//!
//! The reference marks each open minute of each local day on a calendar, then reads the wall
//! clock minute by minute; the next opening is the next marked minute on the timeline. It shares
//! no code with `availability::hours`.

use std::collections::HashSet;

use availability::hours::{BusinessHours, ClosedReason, Verdict};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use serde_json::{Value, json};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A schedule as the test writes it: periods as (open, close) minutes of the day.
#[derive(Debug, Clone)]
struct Plan {
    zone: &'static str,
    weekly: Weekly,
    closed: Vec<(Date, Date)>,
}

impl Plan {
    fn json(&self) -> Value {
        let hhmm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        let weekly: serde_json::Map<String, Value> = DAYS
            .iter()
            .zip(&self.weekly)
            .filter(|(_, periods)| !periods.is_empty())
            .map(|(day, periods)| {
                let list = periods
                    .iter()
                    .map(|(o, c)| json!([hhmm(*o), hhmm(*c)]))
                    .collect();
                ((*day).to_owned(), Value::Array(list))
            })
            .collect();
        let closed: Vec<Value> = self
            .closed
            .iter()
            .map(|(from, to)| {
                if from == to {
                    json!(from.to_string())
                } else {
                    json!({"from": from.to_string(), "to": to.to_string()})
                }
            })
            .collect();
        json!({"timezone": self.zone, "weekly": weekly, "closed": closed})
    }

    fn is_closed_date(&self, date: Date) -> bool {
        self.closed.iter().any(|(a, b)| *a <= date && date <= *b)
    }

    /// Every (local date, minute of day) that is open, for the local dates `first..=last`.
    fn calendar(&self, first: Date, last: Date) -> HashSet<(Date, u32)> {
        let mut open = HashSet::new();
        let mut day = first.yesterday().expect("date in range");
        while day <= last {
            let weekday = day.weekday().to_monday_zero_offset() as usize;
            if !self.is_closed_date(day) {
                for &(o, c) in &self.weekly[weekday] {
                    if c > o {
                        open.extend((o..c).map(|m| (day, m)));
                    } else {
                        open.extend((o..24 * 60).map(|m| (day, m)));
                        let next = day.tomorrow().expect("date in range");
                        if !self.is_closed_date(next) {
                            open.extend((0..c).map(|m| (next, m)));
                        }
                    }
                }
            }
            day = day.tomorrow().expect("date in range");
        }
        open
    }
}

/// The reference answers for every minute of `[start, start + minutes)`: open or not, and the
/// index of the next open minute (looking `lookahead` minutes past the end).
struct Timeline {
    start: Timestamp,
    open: Vec<bool>,
    next_open: Vec<Option<usize>>,
}

impl Timeline {
    fn new(plan: &Plan, start: Timestamp, minutes: usize, lookahead: usize) -> Self {
        let zone = TimeZone::get(plan.zone).expect("zone");
        let total = minutes + lookahead;
        let at = |i: usize| start + SignedDuration::from_mins(i as i64);
        let first = zone.to_datetime(start).date();
        let last = zone.to_datetime(at(total)).date();
        let calendar = plan.calendar(first, last);
        let open: Vec<bool> = (0..total)
            .map(|i| {
                let local = zone.to_datetime(at(i));
                let minute = local.hour() as u32 * 60 + local.minute() as u32;
                calendar.contains(&(local.date(), minute))
            })
            .collect();
        let mut next_open = vec![None; total];
        let mut next = None;
        for i in (0..total).rev() {
            if open[i] {
                next = Some(i);
            }
            next_open[i] = next;
        }
        Self {
            start,
            open,
            next_open,
        }
    }

    fn at(&self, i: usize) -> Timestamp {
        self.start + SignedDuration::from_mins(i as i64)
    }
}

/// Checks every minute of `[start, start + minutes)`; returns how many minutes were open.
fn check_every_minute(plan: &Plan, start: Timestamp, minutes: usize) -> usize {
    let hours = BusinessHours::parse(&plan.json().to_string()).expect("valid hours");
    let schedule = hours.schedule_for(None);
    let zone = TimeZone::get(plan.zone).expect("zone");
    let timeline = Timeline::new(plan, start, minutes, 60 * 24 * 40);
    let mut open_minutes = 0;
    for i in 0..minutes {
        let now = timeline.at(i);
        let verdict = schedule.verdict(now);
        if timeline.open[i] {
            open_minutes += 1;
            assert_eq!(
                verdict,
                Verdict::Open,
                "at {now} ({})",
                zone.to_datetime(now)
            );
            continue;
        }
        let expected_reason = if plan.is_closed_date(zone.to_datetime(now).date()) {
            ClosedReason::ClosedDate
        } else {
            ClosedReason::OutsideHours
        };
        let expected_next = timeline.next_open[i].map(|j| timeline.at(j));
        assert_eq!(
            verdict,
            Verdict::Closed {
                reason: expected_reason,
                next_opening: expected_next
            },
            "at {now} ({})",
            zone.to_datetime(now)
        );
    }
    open_minutes
}

fn minutes(hh: u32, mm: u32) -> u32 {
    hh * 60 + mm
}

fn date(y: i16, m: i8, d: i8) -> Date {
    Date::new(y, m, d).expect("valid date")
}

fn instant(text: &str) -> Timestamp {
    text.parse().expect("RFC 3339 instant")
}

/// A shop with split shifts, a Saturday, a late Friday and a closed Christmas and New Year.
fn amsterdam_shop() -> Plan {
    let split = vec![
        (minutes(9, 0), minutes(12, 30)),
        (minutes(13, 30), minutes(17, 30)),
    ];
    Plan {
        zone: "Europe/Amsterdam",
        weekly: [
            split.clone(),
            split.clone(),
            split.clone(),
            split.clone(),
            vec![
                (minutes(9, 0), minutes(12, 30)),
                (minutes(13, 30), minutes(22, 0)),
            ],
            vec![(minutes(10, 0), minutes(14, 0))],
            vec![],
        ],
        closed: vec![
            (date(2026, 4, 27), date(2026, 4, 27)),
            (date(2026, 12, 25), date(2026, 12, 26)),
            (date(2026, 12, 31), date(2027, 1, 1)),
        ],
    }
}

#[test]
fn every_minute_of_a_year_in_amsterdam() {
    // 2026 in local time: both DST changes (29 March, 25 October) and the year end
    let open = check_every_minute(
        &amsterdam_shop(),
        instant("2025-12-31T23:00:00Z"),
        365 * 24 * 60,
    );
    // 2026 starts on a Thursday: 53 Thursdays and 52 of every other day, 2,760 minutes a week
    // (4 x 450 + 720 + 240) plus one Thursday of 450, less the closed 27 April (a Monday), 25 and
    // 26 December (Friday, Saturday) and 31 December (Thursday)
    assert_eq!(open, 52 * 2760 + 450 - 450 - 720 - 240 - 450);
}

#[test]
fn every_minute_of_a_year_with_night_shifts_across_dst_changes() {
    // periods that start, end or run inside the hours the clocks skip or repeat
    let plan = Plan {
        zone: "Europe/Amsterdam",
        weekly: [
            vec![(minutes(2, 30), minutes(2, 45))],
            vec![],
            vec![(minutes(23, 0), minutes(1, 0))],
            vec![],
            vec![],
            vec![(minutes(22, 0), minutes(2, 30))],
            vec![
                (minutes(1, 0), minutes(2, 30)),
                (minutes(2, 15), minutes(3, 10)),
            ],
        ],
        closed: vec![(date(2026, 10, 24), date(2026, 10, 24))],
    };
    let open = check_every_minute(&plan, instant("2026-01-01T00:00:00Z"), 365 * 24 * 60);
    assert!(open > 20_000, "{open} open minutes");
}

#[test]
fn a_zone_that_changes_at_midnight_and_one_that_skipped_a_day() {
    // Chile moves its clocks at 24:00, so some days start at 01:00
    let santiago = Plan {
        zone: "America/Santiago",
        weekly: [
            vec![(0, minutes(1, 30))],
            vec![],
            vec![],
            vec![],
            vec![],
            vec![(minutes(23, 0), minutes(0, 30))],
            vec![(0, minutes(2, 0)), (minutes(20, 0), 0)],
        ],
        closed: vec![],
    };
    check_every_minute(&santiago, instant("2026-03-20T00:00:00Z"), 60 * 24 * 200);
    // Samoa went from 29 to 31 December 2011: the 30th never happened there
    let apia = Plan {
        zone: "Pacific/Apia",
        weekly: std::array::from_fn(|_| vec![(minutes(8, 0), minutes(9, 0))]),
        closed: vec![],
    };
    check_every_minute(&apia, instant("2011-12-25T00:00:00Z"), 60 * 24 * 14);
}

#[test]
fn next_opening_is_rfc3339_with_the_zones_offset() {
    let hours = BusinessHours::parse(&amsterdam_shop().json().to_string()).expect("valid");
    let schedule = hours.schedule_for(None);
    // Christmas Eve 2026 is a Thursday; 25-26 December are closed, Sunday has no hours
    let Verdict::Closed {
        reason,
        next_opening: Some(next),
    } = schedule.verdict(instant("2026-12-24T17:00:00Z"))
    else {
        panic!("closed with a next opening")
    };
    assert_eq!(reason, ClosedReason::OutsideHours);
    assert_eq!(schedule.rfc3339(next), "2026-12-28T09:00:00+01:00");
    // in summer the offset is +02:00
    let summer = schedule.next_opening(instant("2026-07-04T20:00:00Z"));
    assert_eq!(
        summer.map(|t| schedule.rfc3339(t)).as_deref(),
        Some("2026-07-06T09:00:00+02:00")
    );
}

#[test]
fn a_webstore_entry_overrides_what_it_sets_and_inherits_the_rest() {
    let hours = BusinessHours::parse(
        &json!({
            "timezone": "Europe/Amsterdam",
            "weekly": {"mon": [["09:00","17:00"]]},
            "closed": ["2026-12-28"],
            "webstores": {"shop-be": {"timezone": "Europe/London", "weekly": {"mon": [["08:00","20:00"]]}}}
        })
        .to_string(),
    )
    .expect("valid");
    let monday_evening = instant("2026-12-21T18:30:00Z"); // 19:30 Amsterdam, 18:30 London
    assert!(!hours.schedule_for(None).is_open(monday_evening));
    assert!(!hours.schedule_for(Some("shop-nl")).is_open(monday_evening));
    let be = hours.schedule_for(Some("shop-be"));
    assert!(be.is_open(monday_evening));
    // 07:30 London is before its 08:00 opening, though 08:30 in Amsterdam
    assert!(!be.is_open(instant("2026-12-21T07:30:00Z")));
    // the top level's closed date applies to the webstore, in the webstore's own zone
    assert_eq!(
        be.verdict(instant("2026-12-28T12:00:00Z")),
        Verdict::Closed {
            reason: ClosedReason::ClosedDate,
            next_opening: Some(instant("2027-01-04T08:00:00Z"))
        }
    );
}

#[test]
fn a_schedule_without_periods_never_opens() {
    let hours =
        BusinessHours::parse(r#"{"timezone": "UTC", "weekly": {"sun": []}}"#).expect("valid");
    assert_eq!(
        hours
            .schedule_for(None)
            .verdict(instant("2026-06-01T12:00:00Z")),
        Verdict::Closed {
            reason: ClosedReason::OutsideHours,
            next_opening: None
        }
    );
    // closed for three years: the search gives up after two rather than loop
    let hours = BusinessHours::parse(
        r#"{"timezone": "UTC", "weekly": {"mon": [["09:00","10:00"]]},
            "closed": [{"from": "2026-01-01", "to": "2028-12-31"}]}"#,
    )
    .expect("valid");
    let verdict = hours
        .schedule_for(None)
        .verdict(instant("2026-06-01T12:00:00Z"));
    assert_eq!(
        verdict,
        Verdict::Closed {
            reason: ClosedReason::ClosedDate,
            next_opening: Some(instant("2029-01-01T09:00:00Z"))
        },
        "one closed range is one jump"
    );
}

#[test]
fn configuration_errors_name_the_entry() {
    let cases = [
        (
            r#"{"timezone": "Europe/Amstredam", "weekly": {}}"#,
            "timezone: `Europe/Amstredam` is not an IANA time zone",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {"monday": []}}"#,
            "weekly: `monday` is not a weekday",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {"mon": [["09:00","17:00"],["9:00","12:00"]]}}"#,
            "weekly.mon[1]: opening time `9:00`",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {"tue": [["24:00","02:00"]]}}"#,
            "weekly.tue[0]: opening time `24:00`",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {"wed": [["09:00","24:30"]]}}"#,
            "weekly.wed[0]: closing time `24:30`",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {"thu": [["09:00","09:00"]]}}"#,
            "weekly.thu[0]: opens and closes at 09:00",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {}, "closed": ["2026-12-25", "25-12-2026"]}"#,
            "closed[1]: `25-12-2026` is not a date",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {}, "closed": ["2026-02-30"]}"#,
            "closed[0]: `2026-02-30` is not a date",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {}, "closed": [{"from": "2027-01-02", "to": "2027-01-01"}]}"#,
            "closed[0]: `to` (2027-01-01) is before `from` (2027-01-02)",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {}, "webstores": {"be": {"timezone": "Mars/Olympus"}}}"#,
            "webstores.be.timezone: `Mars/Olympus`",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {}, "webstores": {"be": {"weekly": {"fri": [["08:00","08:61"]]}}}}"#,
            "webstores.be.weekly.fri[0]: closing time `08:61`",
        ),
        (
            r#"{"timezone": "UTC", "weekly": {}, "holidays": []}"#,
            "unknown field `holidays`",
        ),
        (r#"{"weekly": {}}"#, "missing field `timezone`"),
        (r#"not json"#, "expected ident"),
    ];
    for (json, expected) in cases {
        match BusinessHours::parse(json) {
            Ok(_) => panic!("accepted {json}"),
            Err(message) => assert!(
                message.contains(expected),
                "{json}: `{message}` does not say `{expected}`"
            ),
        }
    }
}

#[test]
fn a_whole_day_and_24_00() {
    let hours = BusinessHours::parse(
        r#"{"timezone": "Europe/Amsterdam", "weekly": {"mon": [["00:00","24:00"]], "tue": [["18:00","24:00"]]}}"#,
    )
    .expect("valid");
    let s = hours.schedule_for(None);
    assert!(s.is_open(instant("2026-06-01T00:00:00+02:00")));
    assert!(s.is_open(instant("2026-06-01T23:59:59+02:00")));
    assert!(!s.is_open(instant("2026-06-02T00:00:00+02:00")));
    assert!(s.is_open(instant("2026-06-02T23:59:59+02:00")));
    assert!(!s.is_open(instant("2026-06-03T00:00:00+02:00")));
}

// ---------------------------------------------------------------------------------------------
// Generated schedules and instants

const ZONES: [&str; 8] = [
    "Europe/Amsterdam",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe", // a 30-minute DST change
    "Asia/Kathmandu",      // +05:45
    "America/St_Johns",    // -03:30 / -02:30
    "Africa/Casablanca",   // DST switched off during Ramadan
    "UTC",
];

fn period() -> impl Strategy<Value = (u32, u32)> {
    // times on a 15-minute grid, the close possibly before the open (overnight) or 24:00
    (0u32..96, 1u32..=96)
        .prop_filter("open and close differ", |(o, c)| o != c)
        .prop_map(|(o, c)| (o * 15, c * 15))
}

/// Periods (open, close) per weekday, Monday first.
type Weekly = [Vec<(u32, u32)>; 7];

/// A zone (index into [`ZONES`]), the weekly periods, and closed ranges as (days from the start,
/// length in days).
fn plan() -> impl Strategy<Value = (usize, Weekly, Vec<(i64, i64)>)> {
    (
        0..ZONES.len(),
        proptest::array::uniform7(proptest::collection::vec(period(), 0..3)),
        proptest::collection::vec((-3i64..20, 0i64..4), 0..3),
    )
}

/// Instants near what tends to break schedules: DST changes, midnight, the year end.
fn moment() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("2026-03-29T00:00:00Z"), // EU spring forward
        Just("2026-10-25T00:00:00Z"), // EU fall back
        Just("2026-03-08T06:00:00Z"), // US spring forward
        Just("2026-11-01T05:00:00Z"), // US fall back
        Just("2026-04-05T02:00:00Z"), // Chile and Lord Howe fall back
        Just("2026-09-06T03:00:00Z"), // Chile spring forward
        Just("2026-10-04T15:00:00Z"), // Lord Howe spring forward
        Just("2026-12-31T12:00:00Z"), // year end, everywhere
        Just("2026-06-15T00:00:00Z"), // an ordinary midsummer midnight
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn generated_schedules_agree_with_the_reference(
        (zone, weekly, closed) in plan(),
        around in moment(),
        offset_minutes in -2880i64..2880,
    ) {
        let start = instant(around) + SignedDuration::from_mins(offset_minutes);
        let zone_name = ZONES[zone];
        let tz = TimeZone::get(zone_name).expect("zone");
        let today = tz.to_datetime(start).date();
        let closed = closed
            .into_iter()
            .map(|(from, len)| {
                let first = today.checked_add(jiff::Span::new().days(from)).expect("date");
                (first, first.checked_add(jiff::Span::new().days(len)).expect("date"))
            })
            .collect();
        let plan = Plan { zone: zone_name, weekly, closed };
        // two days of minutes, each checked against the reference with 40 days of lookahead
        check_every_minute(&plan, start, 60 * 48);
    }
}
