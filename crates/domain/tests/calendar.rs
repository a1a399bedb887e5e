//! Tests for the working-day calendars.
//!
//! The tables are the official gov.uk bank-holiday lists for 2019 to 2026,
//! written out by hand (not generated), including the one-off holidays of
//! 2020, 2022 and 2023. The properties check the invariants deadlines rely
//! on over many random dates.

use chrono::{Datelike, NaiveDate, Weekday};
use nrm_domain::calendar::{
    BankHoliday, CalendarDays, Jurisdiction, WorkingDays, add_calendar_days, easter_sunday,
};
use proptest::prelude::*;

use Jurisdiction::{EnglandAndWales, NorthernIreland, Scotland};

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("test dates are valid")
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Observed holidays as (month, day), by year.
type Table = &'static [(i32, &'static [(u32, u32)])];

#[rustfmt::skip]
const ENGLAND_AND_WALES: Table = &[
    (2019, &[(1, 1), (4, 19), (4, 22), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
    (2020, &[(1, 1), (4, 10), (4, 13), (5, 8), (5, 25), (8, 31), (12, 25), (12, 28)]),
    (2021, &[(1, 1), (4, 2), (4, 5), (5, 3), (5, 31), (8, 30), (12, 27), (12, 28)]),
    (2022, &[(1, 3), (4, 15), (4, 18), (5, 2), (6, 2), (6, 3), (8, 29), (9, 19), (12, 26), (12, 27)]),
    (2023, &[(1, 2), (4, 7), (4, 10), (5, 1), (5, 8), (5, 29), (8, 28), (12, 25), (12, 26)]),
    (2024, &[(1, 1), (3, 29), (4, 1), (5, 6), (5, 27), (8, 26), (12, 25), (12, 26)]),
    (2025, &[(1, 1), (4, 18), (4, 21), (5, 5), (5, 26), (8, 25), (12, 25), (12, 26)]),
    (2026, &[(1, 1), (4, 3), (4, 6), (5, 4), (5, 25), (8, 31), (12, 25), (12, 28)]),
];

#[rustfmt::skip]
const SCOTLAND: Table = &[
    (2019, &[(1, 1), (1, 2), (4, 19), (5, 6), (5, 27), (8, 5), (12, 2), (12, 25), (12, 26)]),
    (2020, &[(1, 1), (1, 2), (4, 10), (5, 8), (5, 25), (8, 3), (11, 30), (12, 25), (12, 28)]),
    (2021, &[(1, 1), (1, 4), (4, 2), (5, 3), (5, 31), (8, 2), (11, 30), (12, 27), (12, 28)]),
    (2022, &[(1, 3), (1, 4), (4, 15), (5, 2), (6, 2), (6, 3), (8, 1), (9, 19), (11, 30), (12, 26), (12, 27)]),
    (2023, &[(1, 2), (1, 3), (4, 7), (5, 1), (5, 8), (5, 29), (8, 7), (11, 30), (12, 25), (12, 26)]),
    (2024, &[(1, 1), (1, 2), (3, 29), (5, 6), (5, 27), (8, 5), (12, 2), (12, 25), (12, 26)]),
    (2025, &[(1, 1), (1, 2), (4, 18), (5, 5), (5, 26), (8, 4), (12, 1), (12, 25), (12, 26)]),
    (2026, &[(1, 1), (1, 2), (4, 3), (5, 4), (5, 25), (8, 3), (11, 30), (12, 25), (12, 28)]),
];

#[rustfmt::skip]
const NORTHERN_IRELAND: Table = &[
    (2019, &[(1, 1), (3, 18), (4, 19), (4, 22), (5, 6), (5, 27), (7, 12), (8, 26), (12, 25), (12, 26)]),
    (2020, &[(1, 1), (3, 17), (4, 10), (4, 13), (5, 8), (5, 25), (7, 13), (8, 31), (12, 25), (12, 28)]),
    (2021, &[(1, 1), (3, 17), (4, 2), (4, 5), (5, 3), (5, 31), (7, 12), (8, 30), (12, 27), (12, 28)]),
    (2022, &[(1, 3), (3, 17), (4, 15), (4, 18), (5, 2), (6, 2), (6, 3), (7, 12), (8, 29), (9, 19), (12, 26), (12, 27)]),
    (2023, &[(1, 2), (3, 17), (4, 7), (4, 10), (5, 1), (5, 8), (5, 29), (7, 12), (8, 28), (12, 25), (12, 26)]),
    (2024, &[(1, 1), (3, 18), (3, 29), (4, 1), (5, 6), (5, 27), (7, 12), (8, 26), (12, 25), (12, 26)]),
    (2025, &[(1, 1), (3, 17), (4, 18), (4, 21), (5, 5), (5, 26), (7, 14), (8, 25), (12, 25), (12, 26)]),
    (2026, &[(1, 1), (3, 17), (4, 3), (4, 6), (5, 4), (5, 25), (7, 13), (8, 31), (12, 25), (12, 28)]),
];

fn check_table(jurisdiction: Jurisdiction, table: Table) {
    for &(year, expected) in table {
        let expected: Vec<NaiveDate> = expected.iter().map(|&(m, d)| date(year, m, d)).collect();
        let actual: Vec<NaiveDate> = jurisdiction
            .bank_holidays(year)
            .iter()
            .map(|h| h.date)
            .collect();
        assert_eq!(actual, expected, "{jurisdiction:?} {year}");
    }
}

#[test]
fn england_and_wales_matches_gov_uk_2019_to_2026() {
    check_table(EnglandAndWales, ENGLAND_AND_WALES);
}

#[test]
fn scotland_matches_gov_uk_2019_to_2026() {
    check_table(Scotland, SCOTLAND);
}

#[test]
fn northern_ireland_matches_gov_uk_2019_to_2026() {
    check_table(NorthernIreland, NORTHERN_IRELAND);
}

fn name_on(jurisdiction: Jurisdiction, d: NaiveDate) -> Option<&'static str> {
    jurisdiction
        .bank_holidays(d.year())
        .into_iter()
        .find(|h| h.date == d)
        .map(|h| h.name)
}

#[test]
fn christmas_substitutes_are_named_as_on_gov_uk() {
    // 2021: 25 December is a Saturday.
    for j in Jurisdiction::ALL {
        assert_eq!(
            name_on(j, date(2021, 12, 27)),
            Some("Christmas Day (substitute day)")
        );
        assert_eq!(
            name_on(j, date(2021, 12, 28)),
            Some("Boxing Day (substitute day)")
        );
        // 2022: 25 December is a Sunday, so Boxing Day keeps Monday 26.
        assert_eq!(name_on(j, date(2022, 12, 26)), Some("Boxing Day"));
        assert_eq!(
            name_on(j, date(2022, 12, 27)),
            Some("Christmas Day (substitute day)")
        );
    }
}

#[test]
fn new_year_2023_on_a_sunday() {
    assert!(EnglandAndWales.is_bank_holiday(date(2023, 1, 2)));
    assert!(!EnglandAndWales.is_bank_holiday(date(2023, 1, 3)));
    assert!(Scotland.is_bank_holiday(date(2023, 1, 2)));
    assert!(Scotland.is_bank_holiday(date(2023, 1, 3)));
}

#[test]
fn one_off_holidays_apply_in_every_jurisdiction() {
    for j in Jurisdiction::ALL {
        assert!(j.is_bank_holiday(date(2011, 4, 29)), "royal wedding");
        assert!(j.is_bank_holiday(date(2012, 6, 4)), "2012 spring moved");
        assert!(j.is_bank_holiday(date(2012, 6, 5)), "diamond jubilee");
        assert!(
            !j.is_bank_holiday(date(2012, 5, 28)),
            "2012 spring moved away"
        );
        assert!(
            !j.is_bank_holiday(date(2020, 5, 4)),
            "2020 early May moved away"
        );
        assert!(
            !j.is_bank_holiday(date(2022, 5, 30)),
            "2022 spring moved away"
        );
        assert_eq!(
            name_on(j, date(2022, 9, 19)),
            Some("Bank Holiday for the State Funeral of Queen Elizabeth II")
        );
        assert!(j.is_bank_holiday(date(2023, 5, 8)), "coronation");
    }
}

#[test]
fn easter_sunday_matches_known_dates() {
    let known = [
        (2000, 4, 23),
        (2008, 3, 23),
        (2011, 4, 24),
        (2019, 4, 21),
        (2020, 4, 12),
        (2021, 4, 4),
        (2022, 4, 17),
        (2023, 4, 9),
        (2024, 3, 31),
        (2025, 4, 20),
        (2026, 4, 5),
        (2030, 4, 21),
        (2035, 3, 25),
        (2038, 4, 25), // latest possible date
        (2285, 3, 22), // earliest possible date
    ];
    for (y, m, d) in known {
        assert_eq!(easter_sunday(y), date(y, m, d), "Easter {y}");
    }
}

#[test]
fn easter_sunday_is_a_sunday_between_22_march_and_25_april() {
    for year in 1583..=4099 {
        let easter = easter_sunday(year);
        assert_eq!(easter.weekday(), Weekday::Sun, "{year}");
        assert!(
            easter >= date(year, 3, 22) && easter <= date(year, 4, 25),
            "{year}"
        );
    }
}

#[test]
fn every_year_2009_to_2035_is_well_formed() {
    for j in Jurisdiction::ALL {
        let ordinary = match j {
            EnglandAndWales => 8,
            Scotland => 9,
            NorthernIreland => 10,
        };
        for year in 2009..=2035 {
            let holidays = j.bank_holidays(year);
            assert!(holidays.len() >= ordinary, "{j:?} {year}: {holidays:?}");
            assert!(
                holidays.windows(2).all(|w| w[0].date < w[1].date),
                "{j:?} {year}"
            );
            assert!(holidays.iter().all(|h| h.date.year() == year));
            assert!(holidays.iter().all(|h| !is_weekend(h.date)));
        }
    }
}

#[test]
fn adding_working_days_skips_weekends_and_holidays() {
    let cases = [
        // Thursday 23 December 2021: Mon 27 and Tue 28 are Christmas substitutes.
        (EnglandAndWales, date(2021, 12, 23), 0, date(2021, 12, 23)),
        (EnglandAndWales, date(2021, 12, 23), 1, date(2021, 12, 24)),
        (EnglandAndWales, date(2021, 12, 23), 2, date(2021, 12, 29)),
        // Over New Year 2021 Scotland also loses 2 January (observed Mon 4).
        (EnglandAndWales, date(2020, 12, 31), 1, date(2021, 1, 4)),
        (Scotland, date(2020, 12, 31), 1, date(2021, 1, 5)),
        // Easter Monday is a working day in Scotland only.
        (Scotland, date(2024, 3, 28), 1, date(2024, 4, 1)),
        (NorthernIreland, date(2024, 3, 28), 1, date(2024, 4, 2)),
        // A whole year: England and Wales has 254 working days in 2024.
        (EnglandAndWales, date(2023, 12, 31), 254, date(2024, 12, 31)),
    ];
    for (j, start, n, expected) in cases {
        let actual = j.add_working_days(start, WorkingDays(n));
        assert_eq!(actual, expected, "{j:?} {start} + {n}");
    }
}

#[test]
fn large_additions_are_fast_and_saturate_beyond_chrono() {
    let start = date(2024, 1, 1);
    for j in Jurisdiction::ALL {
        let end = j.add_working_days(start, WorkingDays(1_000_000));
        assert_eq!(j.working_days_between(start, end), WorkingDays(1_000_000));
        assert!(j.is_working_day(end));
        assert_eq!(
            j.add_working_days(start, WorkingDays(u32::MAX)),
            NaiveDate::MAX
        );
    }
}

#[test]
fn working_days_between_counts_a_half_open_span() {
    let mon = date(2024, 7, 1);
    assert_eq!(
        EnglandAndWales.working_days_between(mon, mon),
        WorkingDays(0)
    );
    assert_eq!(
        EnglandAndWales.working_days_between(mon, date(2024, 6, 1)),
        WorkingDays(0)
    );
    assert_eq!(
        EnglandAndWales.working_days_between(mon, date(2024, 7, 8)),
        WorkingDays(5)
    );
    // 2024 has 366 days, 262 weekdays and 8 weekday holidays in E&W.
    let year = (date(2023, 12, 31), date(2024, 12, 31));
    assert_eq!(
        EnglandAndWales.working_days_between(year.0, year.1),
        WorkingDays(254)
    );
    // Scotland: 9 holidays; NI: 10, one of which (17 March) is a Sunday moved.
    assert_eq!(
        Scotland.working_days_between(year.0, year.1),
        WorkingDays(253)
    );
    assert_eq!(
        NorthernIreland.working_days_between(year.0, year.1),
        WorkingDays(252)
    );
}

#[test]
fn calendar_days_count_every_day() {
    let start = date(2024, 2, 27);
    assert_eq!(add_calendar_days(start, CalendarDays(0)), start);
    assert_eq!(add_calendar_days(start, CalendarDays(3)), date(2024, 3, 1));
    assert_eq!(
        add_calendar_days(NaiveDate::MAX, CalendarDays(1)),
        NaiveDate::MAX
    );
}

#[test]
fn jurisdictions_serialise_in_snake_case() {
    let json = serde_json::to_string(&Jurisdiction::ALL).expect("serialises");
    assert_eq!(
        json,
        r#"["england_and_wales","scotland","northern_ireland"]"#
    );
    let back: Jurisdiction = serde_json::from_str(r#""northern_ireland""#).expect("parses");
    assert_eq!(back, NorthernIreland);
    assert_eq!(
        serde_json::to_string(&WorkingDays(5)).expect("serialises"),
        "5"
    );
}

#[test]
fn bank_holiday_is_plain_data() {
    let h = BankHoliday {
        date: date(2024, 12, 25),
        name: "Christmas Day",
    };
    assert_eq!(
        EnglandAndWales.bank_holidays(2024).last(),
        Some(&BankHoliday {
            date: date(2024, 12, 26),
            name: "Boxing Day",
        })
    );
    assert!(EnglandAndWales.bank_holidays(2024).contains(&h));
}

// ---- properties ----

/// Reference count: day by day, using only `is_working_day`.
fn naive_between(j: Jurisdiction, from: NaiveDate, to: NaiveDate) -> u32 {
    from.iter_days()
        .skip(1)
        .take_while(|d| *d <= to)
        .map(|d| u32::from(j.is_working_day(d)))
        .sum()
}

fn jurisdiction() -> impl Strategy<Value = Jurisdiction> {
    prop::sample::select(Jurisdiction::ALL.to_vec())
}

/// Any date from 2005 to 2039.
fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..35 * 366).prop_map(|offset| {
        date(2005, 1, 1)
            .checked_add_days(chrono::Days::new(offset))
            .expect("within range")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn a_working_day_is_never_a_weekend_or_holiday(j in jurisdiction(), d in any_date()) {
        let expected = !is_weekend(d) && !j.is_bank_holiday(d);
        prop_assert_eq!(j.is_working_day(d), expected);
    }

    #[test]
    fn adding_then_counting_round_trips(j in jurisdiction(), d in any_date(), n in 0u32..600) {
        let end = j.add_working_days(d, WorkingDays(n));
        prop_assert_eq!(j.working_days_between(d, end), WorkingDays(n));
        if n == 0 {
            prop_assert_eq!(end, d);
        } else {
            prop_assert!(j.is_working_day(end));
            // The earliest such date: one day sooner is one working day short.
            let before = end.pred_opt().expect("within range");
            prop_assert_eq!(j.working_days_between(d, before), WorkingDays(n - 1));
        }
    }

    #[test]
    fn counting_matches_a_day_by_day_count(
        j in jurisdiction(), from in any_date(), span in 0u64..800,
    ) {
        let to = from.checked_add_days(chrono::Days::new(span)).expect("within range");
        prop_assert_eq!(j.working_days_between(from, to).0, naive_between(j, from, to));
        prop_assert_eq!(j.working_days_between(to, from), WorkingDays(0));
    }

    #[test]
    fn holidays_are_distinct_sorted_weekdays(j in jurisdiction(), year in 1900i32..=2300) {
        let holidays = j.bank_holidays(year);
        prop_assert!(holidays.windows(2).all(|w| w[0].date < w[1].date));
        prop_assert!(holidays.iter().all(|h| !is_weekend(h.date) && h.date.year() == year));
        // St Andrew's Day has been a Scottish bank holiday only since 2007.
        let ordinary = match j {
            EnglandAndWales => 8,
            Scotland if year < 2007 => 8,
            Scotland => 9,
            NorthernIreland => 10,
        };
        prop_assert!(holidays.len() >= ordinary);
    }

    #[test]
    fn calendar_days_add_exactly(d in any_date(), n in 0u32..10_000) {
        let end = add_calendar_days(d, CalendarDays(n));
        prop_assert_eq!((end - d).num_days(), i64::from(n));
    }
}
