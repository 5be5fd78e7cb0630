//! The languages we write in: the customer's (the next opening a dialog shows) and the agent's
//! (the summary line and the support e-mail); our sentences in each are [`crate::rules::words`].
//!
//! A language is asked for by a BCP 47 tag (`nl`, `nl-BE`, `de-CH`); its primary language subtag
//! decides, so a region variant gets its language. Where a tag names a language we do not write
//! in, or does not parse, the next one in the chain decides ([`Language::first_of`]), and English
//! ends every chain: a customer is never refused for the language they asked in.
//!
//! Month and weekday names, the date and time patterns, the digits: CLDR's, through ICU4X, from
//! `shared/icu-data` (our languages only; `scripts/icu-data.sh` writes it). Only the sentences
//! around them are ours ([`crate::rules::words`]).

use std::collections::BTreeMap;

use icu_calendar::Gregorian;
use icu_datetime::fieldsets::{MDE, T};
use icu_datetime::input::{Date, Time};
use icu_datetime::{FixedCalendarDateTimeFormatter, NoCalendarFormatter};
use icu_locale_core::{LanguageIdentifier, Locale, locale};
use jiff::ZonedDateTime;
use serde::Deserialize;

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
    /// Dutch, and so are tags with extensions or a private use part (`nl-NL-u-nu-latn`,
    /// `nl-x-shop`): their language subtag decides. `pt-BR`, `zh-Hant` and a tag that does not
    /// parse are `None`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let tag = tag.trim().replace('_', "-");
        let language = match LanguageIdentifier::try_from_str(&tag) {
            Ok(id) => id.language,
            Err(_) => Locale::try_from_str(&tag).ok()?.id.language,
        };
        Self::ALL
            .into_iter()
            .find(|candidate| language.as_str() == candidate.code())
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

/// The languages one web store (or a whole deployment) is set to write in: its customers'
/// (`language`, `CUSTOMER_LANGUAGE`) and its team's (`agentLanguage`, `AGENT_LANGUAGE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spoken {
    pub customer: Option<Language>,
    pub agent: Option<Language>,
}

/// The customer's language: the one they asked in (the request's `language`, else the one
/// stored with their intake), when we write in it; else their web store's; else the
/// deployment's; else English.
pub fn customer_language(asked: Option<&str>, webstore: Spoken, deployment: Spoken) -> Language {
    asked
        .and_then(Language::from_tag)
        .or(webstore.customer)
        .or(deployment.customer)
        .unwrap_or(Language::En)
}

/// The language of the team a chat goes to: its web store's, else the deployment's, else
/// English.
pub fn agent_language(webstore: Spoken, deployment: Spoken) -> Language {
    webstore.agent.or(deployment.agent).unwrap_or(Language::En)
}

/// Each web store's [`Spoken`], from its entry in the opening hours' `webstores`
/// (`BUSINESS_HOURS`): `{"webstores": {"shop-nl": {"language": "nl", "agentLanguage": "nl"}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebstoreLanguages {
    by_webstore: BTreeMap<String, Spoken>,
}

impl WebstoreLanguages {
    /// Reads the `language` and `agentLanguage` of each `webstores` entry of the opening hours'
    /// JSON, and nothing else (availability reads and checks the rest). A language we do not
    /// write in is an error that names its entry.
    pub fn from_hours(json: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Hours {
            #[serde(default)]
            webstores: BTreeMap<String, Entry>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Entry {
            language: Option<String>,
            agent_language: Option<String>,
        }
        let hours: Hours = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Self::from_entries(
            hours
                .webstores
                .into_iter()
                .map(|(name, entry)| (name, entry.language, entry.agent_language)),
        )
    }

    /// From each web store's `language` and `agentLanguage` as its entry gives them (a reader
    /// of the whole opening hours passes what it parsed); a language we do not write in is an
    /// error that names its entry.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (String, Option<String>, Option<String>)>,
    ) -> Result<Self, String> {
        let mut by_webstore = BTreeMap::new();
        for (name, language, agent_language) in entries {
            let read = |value: Option<String>, key: &str| {
                value
                    .map(|raw| {
                        Language::configured(&raw)
                            .map_err(|problem| format!("webstores.{name}.{key}: {problem}"))
                    })
                    .transpose()
            };
            let spoken = Spoken {
                customer: read(language, "language")?,
                agent: read(agent_language, "agentLanguage")?,
            };
            if spoken != Spoken::default() {
                by_webstore.insert(name, spoken);
            }
        }
        Ok(Self { by_webstore })
    }

    /// What `webstore` is set to write in (nothing, when it has no entry or none was asked).
    pub fn of(&self, webstore: Option<&str>) -> Spoken {
        webstore
            .and_then(|name| self.by_webstore.get(name))
            .copied()
            .unwrap_or_default()
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
pub(crate) mod tests {
    use super::*;
    use jiff::civil::date;
    use jiff::tz::TimeZone;

    /// `y-m-d h:min` on `zone`'s wall clock.
    pub(crate) fn at(zone: &str, y: i16, m: i8, d: i8, h: i8, min: i8) -> ZonedDateTime {
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
        // extensions and private use parts: the language subtag decides
        assert_eq!(Language::from_tag("it-IT-u-nu-arab"), Some(Language::It));
        assert_eq!(Language::from_tag("en-x-priv"), Some(Language::En));
        assert_eq!(
            Language::from_tag("nl-NL-u-ca-gregory-x-shop"),
            Some(Language::Nl)
        );
        for other in [
            "pt-BR-u-nu-latn",
            "x-private",
            "Nederlands",
            "nl nl",
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
        assert_eq!(Language::configured("nl-BE"), Ok(Language::Nl));
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

    #[test]
    fn a_customer_is_written_to_in_what_they_asked_else_their_shop_else_the_deployment() {
        let shop = Spoken {
            customer: Some(Language::De),
            agent: Some(Language::Fr),
        };
        let deployment = Spoken {
            customer: Some(Language::It),
            agent: Some(Language::Es),
        };
        let none = Spoken::default();
        assert_eq!(
            customer_language(Some("nl-BE"), shop, deployment),
            Language::Nl
        );
        assert_eq!(
            customer_language(Some("pt-BR"), shop, deployment),
            Language::De
        );
        assert_eq!(customer_language(None, none, deployment), Language::It);
        assert_eq!(customer_language(Some("xx"), none, none), Language::En);
        assert_eq!(agent_language(shop, deployment), Language::Fr);
        assert_eq!(agent_language(none, deployment), Language::Es);
        assert_eq!(agent_language(none, none), Language::En);
    }

    #[test]
    fn the_hours_say_each_web_stores_languages_and_a_mistake_is_named() {
        let json = r#"{"timezone": "Europe/Amsterdam", "weekly": {},
            "webstores": {"shop-be": {"language": "nl-BE", "agentLanguage": "fr", "overflow": ["shop-nl"]},
                          "shop-de": {"weekly": {}}}}"#;
        let languages = WebstoreLanguages::from_hours(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            languages.of(Some("shop-be")),
            Spoken {
                customer: Some(Language::Nl),
                agent: Some(Language::Fr)
            }
        );
        assert_eq!(languages.of(Some("shop-de")), Spoken::default());
        assert_eq!(languages.of(None), Spoken::default());
        let typo = r#"{"webstores": {"shop-pt": {"agentLanguage": "pt"}}}"#;
        let refused = WebstoreLanguages::from_hours(typo)
            .err()
            .unwrap_or_default();
        assert!(
            refused
                .starts_with("webstores.shop-pt.agentLanguage: `pt` is not a language we write in"),
            "{refused}"
        );
    }
}
