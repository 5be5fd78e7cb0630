//! Our own sentences, in every language we write in: the only text of ours a customer or an
//! agent reads. Names of months and weekdays, date and time patterns come from CLDR
//! ([`crate::rules::language`]); customer values are never translated and reach these sentences
//! quoted ([`crate::rules::summary::quoted`]).
//!
//! One file per language (`en.rs`, `nl.rs`, ...), each field the same sentence, in the order of
//! [`Words`] (`sentences.rs`): a translator reads one file.

use jiff::ZonedDateTime;

use crate::rules::language::{self, Language};

mod de;
mod en;
mod es;
mod fr;
mod it;
mod nl;
mod sentences;

pub use sentences::{Article, Words};

use de::DE;
use en::EN;
use es::ES;
use fr::FR;
use it::IT;
use nl::NL;

/// The next opening as a customer reads it, in `language`, on the shop's wall clock (`opens`
/// and `now` in the shop's zone): "today at 13:00", "tomorrow at 09:00", "Monday 28 December at
/// 09:00" (and as each language writes them). Today and tomorrow are the shop's calendar days,
/// whatever the clocks did in between (a daylight-saving change included).
pub fn next_opening_text(language: Language, opens: &ZonedDateTime, now: &ZonedDateTime) -> String {
    let words = of(language);
    let time = language::clock_time(language, opens);
    let today = now.date();
    if opens.date() == today {
        return words.opens_today(&time, opens.hour());
    }
    if today
        .tomorrow()
        .is_ok_and(|tomorrow| opens.date() == tomorrow)
    {
        return words.opens_tomorrow(&time, opens.hour());
    }
    words.opens_on(&language::long_date(language, opens), &time, opens.hour())
}

/// The sentences of `language`.
pub fn of(language: Language) -> &'static Words {
    match language {
        Language::En => &EN,
        Language::Nl => &NL,
        Language::De => &DE,
        Language::Fr => &FR,
        Language::Es => &ES,
        Language::It => &IT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::language::tests::at;

    #[test]
    fn spanish_and_italian_read_the_hour_before_its_article() {
        let es = of(Language::Es);
        assert_eq!(es.opens_today("01:30", 1), "hoy a la 01:30");
        assert_eq!(es.opens_today("13:00", 13), "hoy a las 13:00");
        let it = of(Language::It);
        assert_eq!(it.opens_tomorrow("08:00", 8), "domani all'08:00");
        assert_eq!(it.opens_tomorrow("11:15", 11), "domani all'11:15");
        assert_eq!(it.opens_tomorrow("09:00", 9), "domani alle 09:00");
        assert_eq!(it.opens_today("01:00", 1), "oggi all'01:00");
    }

    /// Today, tomorrow and a later day, in every language, each read on the shop's calendar.
    fn wording(language: Language) -> [String; 3] {
        let opens = at("Europe/Amsterdam", 2026, 12, 28, 9, 0);
        [
            // a minute after midnight: today
            at("Europe/Amsterdam", 2026, 12, 28, 0, 1),
            // a minute before midnight: tomorrow
            at("Europe/Amsterdam", 2026, 12, 27, 23, 59),
            at("Europe/Amsterdam", 2026, 12, 26, 10, 0),
        ]
        .map(|now| next_opening_text(language, &opens, &now))
    }

    #[test]
    fn every_language_says_today_tomorrow_or_the_day() {
        let expected = [
            (
                Language::En,
                [
                    "today at 09:00",
                    "tomorrow at 09:00",
                    "Monday 28 December at 09:00",
                ],
            ),
            (
                Language::Nl,
                [
                    "vandaag om 09:00",
                    "morgen om 09:00",
                    "maandag 28 december om 09:00",
                ],
            ),
            (
                Language::De,
                [
                    "heute um 09:00 Uhr",
                    "morgen um 09:00 Uhr",
                    "Montag, 28. Dezember um 09:00 Uhr",
                ],
            ),
            (
                Language::Fr,
                [
                    "aujourd'hui à 09:00",
                    "demain à 09:00",
                    "lundi 28 décembre à 09:00",
                ],
            ),
            (
                Language::Es,
                [
                    "hoy a las 09:00",
                    "mañana a las 09:00",
                    "lunes, 28 de diciembre a las 09:00",
                ],
            ),
            (
                Language::It,
                [
                    "oggi alle 09:00",
                    "domani alle 09:00",
                    "lunedì 28 dicembre alle 09:00",
                ],
            ),
        ];
        for (language, words) in expected {
            assert_eq!(wording(language), words.map(str::to_owned), "{language:?}");
        }
    }

    #[test]
    fn tomorrow_is_the_next_calendar_day_across_a_clock_change() {
        let amsterdam = "Europe/Amsterdam";
        let every = |opens: &ZonedDateTime, now: &ZonedDateTime| -> Vec<String> {
            Language::ALL
                .iter()
                .map(|&l| next_opening_text(l, opens, now))
                .collect()
        };
        // clocks go back on 25 October 2026: 23:30 to 23:00 the next day is 24.5 hours, tomorrow
        let now = at(amsterdam, 2026, 10, 24, 23, 30);
        let opens = at(amsterdam, 2026, 10, 25, 23, 0);
        assert_eq!(
            every(&opens, &now),
            [
                "tomorrow at 23:00",
                "morgen om 23:00",
                "morgen um 23:00 Uhr",
                "demain à 23:00",
                "mañana a las 23:00",
                "domani alle 23:00",
            ]
        );
        // clocks go forward on 28 March 2027: 00:30 to 23:30 the same day is 22 hours, today
        let now = at(amsterdam, 2027, 3, 28, 0, 30);
        let opens = at(amsterdam, 2027, 3, 28, 23, 30);
        assert_eq!(
            every(&opens, &now),
            [
                "today at 23:30",
                "vandaag om 23:30",
                "heute um 23:30 Uhr",
                "aujourd'hui à 23:30",
                "hoy a las 23:30",
                "oggi alle 23:30",
            ]
        );
        // 23:00 on Saturday to 00:30 on Monday is 24.5 hours, but the day after tomorrow
        let now = at(amsterdam, 2027, 3, 27, 23, 0);
        let opens = at(amsterdam, 2027, 3, 29, 0, 30);
        assert_eq!(
            every(&opens, &now),
            [
                "Monday 29 March at 00:30",
                "maandag 29 maart om 00:30",
                "Montag, 29. März um 00:30 Uhr",
                "lundi 29 mars à 00:30",
                "lunes, 29 de marzo a las 00:30",
                "lunedì 29 marzo alle 00:30",
            ]
        );
        // the shop's calendar, not UTC's: 00:10 in Amsterdam is still the day before in UTC
        let now = at(amsterdam, 2027, 3, 29, 0, 10);
        assert_eq!(
            next_opening_text(Language::Es, &opens, &now),
            "hoy a las 00:30"
        );
        let at_one = at(amsterdam, 2027, 3, 30, 1, 0);
        assert_eq!(
            every(&at_one, &now),
            [
                "tomorrow at 01:00",
                "morgen om 01:00",
                "morgen um 01:00 Uhr",
                "demain à 01:00",
                "mañana a la 01:00",
                "domani all'01:00",
            ]
        );
    }
}
