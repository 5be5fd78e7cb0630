//! Writes the ICU4X data that `shared::rules::language` formats dates and times with: the markers it
//! loads, for the locales of the languages we speak (`LOCALES`), read from ICU4X's own compiled
//! data (CLDR, as the `icu_*_data` crates ship it) and written as baked data.
//!
//! The compiled data holds every locale, deduplicated against its parents (`nl` has no entry of
//! its own where it says what the root says). [`Each`] answers for each of our locales with its
//! fallback resolved, so that every locale gets an entry of its own and the functions need no
//! locale fallback data at run time.
//!
//! `cargo run --release -- <dir>`: `<dir>` is replaced.

extern crate alloc;

use std::collections::BTreeSet;

use icu::datetime::provider::names::{
    DatetimeNamesDayperiodV1, DatetimeNamesMonthGregorianV1, DatetimeNamesWeekdayV1,
    DatetimeNamesYearGregorianV1,
};
use icu::datetime::provider::semantic_skeletons::{
    DatetimePatternsDateGregorianV1, DatetimePatternsGlueV1, DatetimePatternsTimeV1,
};
use icu::decimal::provider::{DecimalDigitsV1, DecimalSymbolsV1};
use icu_provider::IterableDataProvider;
use icu_provider::prelude::*;
use icu_provider_export::baked_exporter::{BakedExporter, Options};
use icu_provider_export::prelude::*;

/// The locales `shared::rules::language::Language` formats in (English as written in Britain), and the
/// root, which holds what no language has of its own (the digits).
const LOCALES: [&str; 7] = ["und", "en-GB", "nl", "de", "fr", "es", "it"];

/// ICU4X's compiled data, every locale.
struct Compiled;

const _: () = {
    use icu_datetime_data::*;
    use icu_decimal_data::{
        __impl_decimal_digits_v1, __impl_decimal_symbols_v1, impl_decimal_digits_v1,
        impl_decimal_symbols_v1,
    };
    make_provider!(Compiled);
    impl_datetime_names_weekday_v1!(Compiled, ITER);
    impl_datetime_names_dayperiod_v1!(Compiled, ITER);
    impl_datetime_names_year_gregorian_v1!(Compiled, ITER);
    impl_datetime_names_month_gregorian_v1!(Compiled, ITER);
    impl_datetime_patterns_glue_v1!(Compiled, ITER);
    impl_datetime_patterns_time_v1!(Compiled, ITER);
    impl_datetime_patterns_date_gregorian_v1!(Compiled, ITER);
    impl_decimal_symbols_v1!(Compiled, ITER);
    impl_decimal_digits_v1!(Compiled, ITER);
};

/// [`Compiled`], with an entry for each of [`LOCALES`] and each attribute the data knows (a
/// name's length and context, a numbering system), wherever one resolves.
struct Each;

impl<M: DataMarker> DataProvider<M> for Each
where
    Compiled: DataProvider<M>,
{
    fn load(&self, request: DataRequest) -> Result<DataResponse<M>, DataError> {
        Compiled.load(request)
    }
}

impl<M: DataMarker> IterableDataProvider<M> for Each
where
    Compiled: IterableDataProvider<M>,
{
    fn iter_ids(&self) -> Result<BTreeSet<DataIdentifierCow<'static>>, DataError> {
        let attributes: BTreeSet<_> = Compiled
            .iter_ids()?
            .into_iter()
            .map(|id| id.marker_attributes)
            .collect();
        let mut ids = BTreeSet::new();
        for attributes in &attributes {
            for locale in LOCALES {
                let locale: DataLocale = locale
                    .parse()
                    .map_err(|_| DataError::custom("a locale of LOCALES does not parse"))?;
                let id = DataIdentifierBorrowed::for_marker_attributes_and_locale(attributes, &locale);
                let request = DataRequest {
                    id,
                    ..Default::default()
                };
                if DataProvider::<M>::load(&Compiled, request).is_ok() {
                    ids.insert(DataIdentifierCow::from_owned(
                        attributes.clone().into_owned(),
                        locale,
                    ));
                }
            }
        }
        Ok(ids)
    }
}

icu_provider::export::make_exportable_provider!(
    Each,
    [
        DatetimeNamesWeekdayV1,
        DatetimeNamesDayperiodV1,
        DatetimeNamesYearGregorianV1,
        DatetimeNamesMonthGregorianV1,
        DatetimePatternsGlueV1,
        DatetimePatternsTimeV1,
        DatetimePatternsDateGregorianV1,
        DecimalSymbolsV1,
        DecimalDigitsV1,
    ]
);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(out) = std::env::args().nth(1) else {
        return Err("usage: icu-data <dir>".into());
    };
    let locales = LOCALES
        .iter()
        .map(|locale| locale.parse::<DataLocaleFamily>())
        .collect::<Result<Vec<_>, _>>()?;
    let mut options = Options::default();
    options.use_separate_crates = true;
    options.pretty = true;
    options.overwrite = true;
    // every locale has its own entries: no fallback at run time
    options.use_internal_fallback = false;
    ExportDriver::new(
        locales,
        DeduplicationStrategy::None.into(),
        icu::locale::fallback::LocaleFallbacker::new().static_to_owned(),
    )
    .with_markers([
        DatetimeNamesWeekdayV1::INFO,
        DatetimeNamesDayperiodV1::INFO,
        DatetimeNamesYearGregorianV1::INFO,
        DatetimeNamesMonthGregorianV1::INFO,
        DatetimePatternsGlueV1::INFO,
        DatetimePatternsTimeV1::INFO,
        DatetimePatternsDateGregorianV1::INFO,
        DecimalSymbolsV1::INFO,
        DecimalDigitsV1::INFO,
    ])
    .export(&Each, BakedExporter::new(out.into(), options)?)?;
    Ok(())
}
