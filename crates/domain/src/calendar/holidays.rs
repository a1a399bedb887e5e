//! The bank-holiday rules for each jurisdiction, and weekend substitution.
//!
//! | Holiday             | E&W | Scotland | NI  | Rule                                    |
//! |---------------------|-----|----------|-----|-----------------------------------------|
//! | New Year's Day      | yes | yes      | yes | 1 January                               |
//! | 2nd January         |     | yes      |     | 2 January                               |
//! | St Patrick's Day    |     |          | yes | 17 March                                |
//! | Good Friday         | yes | yes      | yes | Friday before Easter Sunday             |
//! | Easter Monday       | yes |          | yes | Monday after Easter Sunday              |
//! | Early May           | yes | yes      | yes | first Monday in May                     |
//! | Spring              | yes | yes      | yes | last Monday in May                      |
//! | Battle of the Boyne |     |          | yes | 12 July                                 |
//! | Summer              | yes | yes      | yes | last Monday in August (Scotland: first) |
//! | St Andrew's Day     |     | yes      |     | 30 November (from 2007)                 |
//! | Christmas Day       | yes | yes      | yes | 25 December                             |
//! | Boxing Day          | yes | yes      | yes | 26 December                             |
//!
//! Sources: Banking and Financial Dealings Act 1971, Schedule 1; St Andrew's
//! Day Bank Holiday (Scotland) Act 2007; Christmas Day and Good Friday are
//! common-law holidays; the Battle of the Boyne holiday is proclaimed each
//! year. One-off changes come from `one_offs.rs`.
//!
//! Substitution: a holiday that falls on a Saturday or Sunday is observed on
//! the next weekday that is not already a holiday. Holidays that already fall
//! on a weekday keep their date, and weekend holidays are placed in date
//! order. That reproduces every published case: 25 December on a Saturday
//! gives Monday 27 (Christmas) and Tuesday 28 (Boxing Day); on a Sunday,
//! Boxing Day stays on Monday 26 and Christmas moves to Tuesday 27; the same
//! pattern covers 1 and 2 January in Scotland.

use chrono::{Days, NaiveDate, Weekday};

use super::one_offs::{Change, PROCLAMATIONS};
use super::{BankHoliday, Jurisdiction, is_weekend};

/// The year St Andrew's Day became a Scottish bank holiday.
const FIRST_ST_ANDREWS_DAY_YEAR: i32 = 2007;

/// A holiday on its rule date, before weekend substitution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Nominal {
    date: NaiveDate,
    name: &'static str,
    /// The name used if the holiday is moved off a weekend.
    substitute_name: &'static str,
}

impl Nominal {
    /// A holiday that never falls on a weekend (a Monday or Friday rule, or a
    /// proclaimed date), so it needs no separate substitute name.
    fn weekday(date: NaiveDate, name: &'static str) -> Self {
        Self {
            date,
            name,
            substitute_name: name,
        }
    }

    /// A fixed-date holiday, which is substituted when it falls on a weekend.
    fn fixed(
        year: i32,
        month: u32,
        day: u32,
        name: &'static str,
        substitute_name: &'static str,
    ) -> Option<Self> {
        Some(Self {
            date: NaiveDate::from_ymd_opt(year, month, day)?,
            name,
            substitute_name,
        })
    }
}

/// The observed bank holidays of `jurisdiction` in `year`, sorted by date.
/// Empty for years chrono cannot represent.
pub(super) fn for_year(jurisdiction: Jurisdiction, year: i32) -> Vec<BankHoliday> {
    let Some(mut nominal) = rule_holidays(jurisdiction, year) else {
        return Vec::new();
    };
    apply_proclamations(jurisdiction, year, &mut nominal);
    observe(&nominal)
}

/// Easter Sunday in the Gregorian calendar, by the anonymous Gregorian
/// algorithm (Meeus/Jones/Butcher). Good Friday and Easter Monday are derived
/// from it.
///
/// # Panics
///
/// Only for years outside the range [`NaiveDate`] can represent (about
/// ±262,000); every year a case could involve is fine.
#[must_use]
pub fn easter_sunday(year: i32) -> NaiveDate {
    match try_easter_sunday(year) {
        Some(date) => date,
        None => panic!("year {year} is outside the range NaiveDate supports"),
    }
}

fn try_easter_sunday(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The holidays the standing rules give for `year`, on their rule dates.
fn rule_holidays(jurisdiction: Jurisdiction, year: i32) -> Option<Vec<Nominal>> {
    use Jurisdiction::{EnglandAndWales, NorthernIreland, Scotland};

    let easter = try_easter_sunday(year)?;
    let mut list = Vec::with_capacity(12);
    list.push(Nominal::fixed(
        year,
        1,
        1,
        "New Year's Day",
        "New Year's Day (substitute day)",
    )?);
    if jurisdiction == Scotland {
        list.push(Nominal::fixed(
            year,
            1,
            2,
            "2nd January",
            "2nd January (substitute day)",
        )?);
    }
    if jurisdiction == NorthernIreland {
        list.push(Nominal::fixed(
            year,
            3,
            17,
            "St Patrick's Day",
            "St Patrick's Day (substitute day)",
        )?);
    }
    list.push(Nominal::weekday(
        easter.checked_sub_days(Days::new(2))?,
        "Good Friday",
    ));
    if jurisdiction != Scotland {
        list.push(Nominal::weekday(
            easter.checked_add_days(Days::new(1))?,
            "Easter Monday",
        ));
    }
    list.push(Nominal::weekday(
        first_monday(year, 5)?,
        "Early May bank holiday",
    ));
    list.push(Nominal::weekday(
        last_monday(year, 5)?,
        "Spring bank holiday",
    ));
    if jurisdiction == NorthernIreland {
        list.push(Nominal::fixed(
            year,
            7,
            12,
            "Battle of the Boyne (Orangemen's Day)",
            "Battle of the Boyne (Orangemen's Day) (substitute day)",
        )?);
    }
    let summer = match jurisdiction {
        Scotland => first_monday(year, 8)?,
        EnglandAndWales | NorthernIreland => last_monday(year, 8)?,
    };
    list.push(Nominal::weekday(summer, "Summer bank holiday"));
    if jurisdiction == Scotland && year >= FIRST_ST_ANDREWS_DAY_YEAR {
        list.push(Nominal::fixed(
            year,
            11,
            30,
            "St Andrew's Day",
            "St Andrew's Day (substitute day)",
        )?);
    }
    list.push(Nominal::fixed(
        year,
        12,
        25,
        "Christmas Day",
        "Christmas Day (substitute day)",
    )?);
    list.push(Nominal::fixed(
        year,
        12,
        26,
        "Boxing Day",
        "Boxing Day (substitute day)",
    )?);
    Some(list)
}

/// Applies the one-off and moved holidays proclaimed for `year`.
fn apply_proclamations(jurisdiction: Jurisdiction, year: i32, list: &mut Vec<Nominal>) {
    let proclaimed = PROCLAMATIONS
        .iter()
        .filter(|p| p.year() == year && p.applies_to.contains(&jurisdiction));
    for proclamation in proclaimed {
        match proclamation.change {
            Change::Extra { date, name } => list.push(Nominal::weekday(date, name)),
            Change::Moved { from, to, name } => {
                let moved = Nominal::weekday(to, name);
                match list.iter_mut().find(|h| h.date == from) {
                    Some(usual) => *usual = moved,
                    // The table is checked against the rules in tests, so
                    // this only guards against a bad row: keep the new date.
                    None => list.push(moved),
                }
            }
        }
    }
}

/// Turns rule dates into observed dates: weekday holidays stay put, weekend
/// holidays move (in date order) to the next weekday not already a holiday.
fn observe(nominal: &[Nominal]) -> Vec<BankHoliday> {
    let mut observed: Vec<BankHoliday> = Vec::with_capacity(nominal.len());
    for holiday in nominal.iter().filter(|h| !is_weekend(h.date)) {
        if !observed.iter().any(|o| o.date == holiday.date) {
            observed.push(BankHoliday {
                date: holiday.date,
                name: holiday.name,
            });
        }
    }
    let mut on_weekends: Vec<&Nominal> = nominal.iter().filter(|h| is_weekend(h.date)).collect();
    on_weekends.sort_by_key(|h| h.date);
    for holiday in on_weekends {
        if let Some(date) = next_free_weekday(holiday.date, &observed) {
            observed.push(BankHoliday {
                date,
                name: holiday.substitute_name,
            });
        }
    }
    observed.sort_by_key(|h| h.date);
    observed
}

/// The first weekday after `date` that is not in `taken`.
fn next_free_weekday(date: NaiveDate, taken: &[BankHoliday]) -> Option<NaiveDate> {
    let mut day = date.succ_opt()?;
    while is_weekend(day) || taken.iter().any(|t| t.date == day) {
        day = day.succ_opt()?;
    }
    Some(day)
}

/// The first Monday of `month` in `year`.
fn first_monday(year: i32, month: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1)
}

/// The last Monday of `month` in `year`.
fn last_monday(year: i32, month: u32) -> Option<NaiveDate> {
    // The fifth Monday exists in some months only; otherwise take the fourth.
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 5)
        .or_else(|| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_proclamation_is_a_weekday_and_every_move_replaces_a_rule_holiday() {
        for proclamation in PROCLAMATIONS {
            for &jurisdiction in proclamation.applies_to {
                let year = proclamation.year();
                let rules = rule_holidays(jurisdiction, year).unwrap_or_default();
                match proclamation.change {
                    Change::Extra { date, .. } => {
                        assert!(!is_weekend(date), "{date} is a weekend");
                        assert!(rules.iter().all(|h| h.date != date), "{date} clashes");
                    }
                    Change::Moved { from, to, .. } => {
                        assert!(!is_weekend(to), "{to} is a weekend");
                        assert!(
                            rules.iter().any(|h| h.date == from),
                            "{from} not a rule date"
                        );
                        assert!(rules.iter().all(|h| h.date != to), "{to} clashes");
                    }
                }
            }
        }
    }

    #[test]
    fn last_monday_handles_four_and_five_monday_months() {
        // May 2022 has five Mondays (the last is the 30th); May 2024 and
        // August 2023 have four (the 27th and the 28th).
        assert_eq!(last_monday(2024, 5), NaiveDate::from_ymd_opt(2024, 5, 27));
        assert_eq!(last_monday(2022, 5), NaiveDate::from_ymd_opt(2022, 5, 30));
        assert_eq!(last_monday(2023, 8), NaiveDate::from_ymd_opt(2023, 8, 28));
    }

    #[test]
    fn years_outside_chronos_range_give_no_holidays() {
        assert!(for_year(Jurisdiction::Scotland, i32::MAX).is_empty());
        assert!(for_year(Jurisdiction::Scotland, i32::MIN).is_empty());
    }
}
