//! The languages we write in: the customer's (the next opening a dialog shows) and the agent's
//! (the summary line and the support e-mail); our sentences in each are [`crate::words`].
//!
//! A language is asked for by a BCP 47 tag (`nl`, `nl-BE`, `de-CH`); its primary language subtag
//! decides, so a region variant gets its language. Where a tag names a language we do not write
//! in, or does not parse, the next one in the chain decides ([`Language::first_of`]), and English
//! ends every chain: a customer is never refused for the language they asked in.
//!
//! Month and weekday names, the date and time patterns, the digits: CLDR's, through ICU4X, from
//! `shared/icu-data` (our languages only; `scripts/icu-data.sh` writes it). Only the sentences
//! around them are ours ([`crate::words`]).

use icu_calendar::Gregorian;
use icu_datetime::fieldsets::{MDE, T};
use icu_datetime::input::{Date, Time};
use icu_datetime::{FixedCalendarDateTimeFormatter, NoCalendarFormatter};
use icu_locale_core::{LanguageIdentifier, Locale, locale};
use jiff::ZonedDateTime;

/// A language we write in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    En,
    Nl,
    De,
    Fr,
    Es,
    It,
}

impl Language {
    /// Every language we write in, English first.
    pub const ALL: [Self; 6] = [Self::En, Self::Nl, Self::De, Self::Fr, Self::Es, Self::It];

    /// Its ISO 639-1 code, as a tag names it: `nl`.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Nl => "nl",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Es => "es",
            Self::It => "it",
        }
    }

    /// The language a BCP 47 tag asks for, when we write in it: `nl`, `nl-BE` and `NL_be` are
    /// Dutch; `pt-BR`, `zh-Hant` and a tag that does not parse are `None`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim().replace('_', "-");
        let id = LanguageIdentifier::try_from_str(&tag).ok()?;
        Self::ALL
            .into_iter()
            .find(|language| id.language.as_str() == language.code())
    }

    /// The first of `tags` that asks for a language we write in, else English.
    pub fn first_of<'a>(tags: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        tags.into_iter()
            .flatten()
            .find_map(Self::from_tag)
            .unwrap_or(Self::En)
    }

    /// A language in the configuration: unlike a request's tag, one we do not write in is a
    /// mistake to say at start-up, not something to pass over.
    pub fn configured(raw: &str) -> Result<Self, String> {
        Self::from_tag(raw).ok_or_else(|| {
            let codes: Vec<&str> = Self::ALL.iter().map(|l| l.code()).collect();
            format!(
                "`{raw}` is not a language we write in: one of {} (a region variant such as nl-BE is read as its language)",
                codes.join(", ")
            )
        })
    }

    /// The CLDR locale its dates and times are written in: English as in Britain (`Monday 28
    /// December`, a 24-hour clock), as the shops we serve write it.
    fn locale(self) -> Locale {
        match self {
            Self::En => locale!("en-GB"),
            Self::Nl => locale!("nl"),
            Self::De => locale!("de"),
            Self::Fr => locale!("fr"),
            Self::Es => locale!("es"),
            Self::It => locale!("it"),
        }
    }
}

/// `at`'s weekday, day and month, in `language`: "Monday 28 December", "maandag 28 december",
/// "Montag, 28. Dezember".
pub fn long_date(language: Language, at: &ZonedDateTime) -> String {
    let formatted = Date::try_new_gregorian(
        at.year().into(),
        at.month().unsigned_abs(),
        at.day().unsigned_abs(),
    )
    .ok()
    .zip(
        FixedCalendarDateTimeFormatter::<Gregorian, _>::try_new_unstable(
            &IcuData,
            language.locale().into(),
            MDE::long(),
        )
        .ok(),
    )
    .map(|(date, formatter)| formatter.format(&date).to_string());
    // the data for every language is compiled in (a test formats in each): this is unreachable,
    // and even then the customer reads a date
    formatted.unwrap_or_else(|| at.strftime("%Y-%m-%d").to_string())
}

/// `at`'s hour and minute on a 24-hour clock, in `language`: "09:00".
pub fn clock_time(language: Language, at: &ZonedDateTime) -> String {
    let formatted = Time::try_new(at.hour().unsigned_abs(), at.minute().unsigned_abs(), 0, 0)
        .ok()
        .zip(
            NoCalendarFormatter::try_new_unstable(&IcuData, language.locale().into(), T::hm()).ok(),
        )
        .map(|(time, formatter)| formatter.format(&time).to_string());
    formatted.unwrap_or_else(|| at.strftime("%H:%M").to_string())
}

/// ICU4X's data for our languages (`shared/icu-data`, from CLDR).
struct IcuData;

include!(concat!(env!("CARGO_MANIFEST_DIR"), "/icu-data/mod.rs"));

const _: () = {
    make_provider!(IcuData);
    impl_datetime_names_weekday_v1!(IcuData);
    impl_datetime_names_dayperiod_v1!(IcuData);
    impl_datetime_names_year_gregorian_v1!(IcuData);
    impl_datetime_names_month_gregorian_v1!(IcuData);
    impl_datetime_patterns_glue_v1!(IcuData);
    impl_datetime_patterns_time_v1!(IcuData);
    impl_datetime_patterns_date_gregorian_v1!(IcuData);
    impl_decimal_symbols_v1!(IcuData);
    impl_decimal_digits_v1!(IcuData);
};

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use jiff::tz::TimeZone;

    fn at(zone: &str, y: i16, m: i8, d: i8, h: i8, min: i8) -> ZonedDateTime {
        let zone = TimeZone::get(zone).unwrap_or_else(|e| panic!("{e}"));
        date(y, m, d)
            .at(h, min, 0, 0)
            .to_zoned_datetime(zone)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_tag_asks_for_its_language_and_a_region_for_its_language_too() {
        assert_eq!(Language::from_tag("nl"), Some(Language::Nl));
        assert_eq!(Language::from_tag("nl-BE"), Some(Language::Nl));
        assert_eq!(Language::from_tag(" NL_be "), Some(Language::Nl));
        assert_eq!(Language::from_tag("de-CH"), Some(Language::De));
        assert_eq!(Language::from_tag("fr-BE"), Some(Language::Fr));
        assert_eq!(Language::from_tag("es-419"), Some(Language::Es));
        assert_eq!(Language::from_tag("it-CH"), Some(Language::It));
        assert_eq!(Language::from_tag("en-US"), Some(Language::En));
        for other in [
            "pt-BR",
            "zh-Hant-TW",
            "nld",
            "",
            "{{language}}",
            "n",
            "english",
        ] {
            assert_eq!(Language::from_tag(other), None, "{other:?}");
        }
    }

    #[test]
    fn the_chain_passes_over_what_we_do_not_write_in_and_ends_in_english() {
        assert_eq!(
            Language::first_of([Some("pt-BR"), None, Some("de-AT"), Some("nl")]),
            Language::De
        );
        assert_eq!(Language::first_of([None, Some("xx")]), Language::En);
        assert_eq!(Language::first_of([]), Language::En);
        assert!(Language::configured("nl-BE").is_ok());
        let refused = Language::configured("pt").err().unwrap_or_default();
        assert!(
            refused.contains("one of en, nl, de, fr, es, it"),
            "{refused}"
        );
    }

    #[test]
    fn every_language_writes_a_date_and_a_time_from_its_own_data() {
        let monday = at("Europe/Amsterdam", 2026, 12, 28, 9, 0);
        let dates: Vec<String> = Language::ALL
            .iter()
            .map(|&l| format!("{} {}", long_date(l, &monday), clock_time(l, &monday)))
            .collect();
        assert_eq!(
            dates,
            [
                "Monday 28 December 09:00",
                "maandag 28 december 09:00",
                "Montag, 28. Dezember 09:00",
                "lundi 28 décembre 09:00",
                "lunes, 28 de diciembre 09:00",
                "lunedì 28 dicembre 09:00",
            ]
        );
    }
}
