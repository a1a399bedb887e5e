//! Working-day calendars for the three UK bank-holiday jurisdictions.
//!
//! NRM deadlines are set in working days, and what counts as a working day
//! depends on where the case is handled: England and Wales, Scotland and
//! Northern Ireland each have their own bank holidays. This module answers
//! "is this a working day?" and "what date is n working days after this
//! one?" for each jurisdiction, so that a deadline is computed the same way
//! everywhere it is shown.
//!
//! The holidays come from the Banking and Financial Dealings Act 1971
//! (Schedule 1), the St Andrew's Day Bank Holiday (Scotland) Act 2007, the
//! common-law holidays of Christmas Day and Good Friday, and dates set by royal
//! proclamation (the annual Battle of the Boyne holiday in Northern Ireland and
//! the one-off or moved holidays listed in `one_offs.rs`). The result matches
//! the lists published on gov.uk.
//!
//! This module must stay pure: it does no I/O, never reads the clock and keeps
//! no global or cached state. Every answer is computed from its arguments, so
//! a result can be reproduced in a test by passing the same dates. The
//! generated lists are exact from 2007 (when St Andrew's Day became a Scottish
//! bank holiday) onwards; earlier years get today's rules applied
//! retrospectively.
//!
//! Working days and calendar days have separate types, [`WorkingDays`] and
//! [`CalendarDays`], so a deadline cannot silently mix them up.

mod holidays;
mod one_offs;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

pub use holidays::easter_sunday;

/// A UK jurisdiction with its own set of bank holidays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jurisdiction {
    /// England and Wales (one bank-holiday list covers both).
    EnglandAndWales,
    /// Scotland: adds 2 January and St Andrew's Day, has no Easter Monday,
    /// and its summer holiday is the first Monday in August.
    Scotland,
    /// Northern Ireland: adds St Patrick's Day and the Battle of the Boyne.
    NorthernIreland,
}

/// A count of working days. Distinct from [`CalendarDays`] so a deadline
/// cannot mix them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WorkingDays(pub u32);

/// A count of calendar days. Distinct from [`WorkingDays`] so a deadline
/// cannot mix them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CalendarDays(pub u32);

/// One bank holiday as it is observed: a holiday that falls on a weekend
/// appears here on its substitute weekday, named with a
/// "(substitute day)" suffix, as on gov.uk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHoliday {
    /// The day the holiday is observed (always a weekday).
    pub date: NaiveDate,
    /// The holiday's name, e.g. "Boxing Day (substitute day)".
    pub name: &'static str,
}

impl Jurisdiction {
    /// All three jurisdictions, for iterating.
    pub const ALL: [Jurisdiction; 3] = [
        Jurisdiction::EnglandAndWales,
        Jurisdiction::Scotland,
        Jurisdiction::NorthernIreland,
    ];

    /// The bank holidays observed in `year`, sorted by date.
    ///
    /// Every date is a weekday and no date appears twice: a holiday that falls
    /// on a Saturday or Sunday is moved to the next weekday that is not
    /// already a holiday. Years outside the range chrono can represent give an
    /// empty list.
    #[must_use]
    pub fn bank_holidays(self, year: i32) -> Vec<BankHoliday> {
        holidays::for_year(self, year)
    }

    /// Whether `date` is an observed bank holiday (including substitute days).
    #[must_use]
    pub fn is_bank_holiday(self, date: NaiveDate) -> bool {
        holidays::for_year(self, date.year())
            .iter()
            .any(|h| h.date == date)
    }

    /// Whether `date` is a working day: not a Saturday or Sunday and not a
    /// bank holiday.
    #[must_use]
    pub fn is_working_day(self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.is_bank_holiday(date)
    }

    /// The date `n` working days after `start`.
    ///
    /// `start` itself is not counted, so the result is the `n`th working day
    /// strictly after `start`; `n = 0` returns `start` unchanged (even if it
    /// is not a working day). For `n > 0` the result is always a working day
    /// and `working_days_between(start, result) == n`.
    ///
    /// Whole weeks are skipped arithmetically, so the cost grows with the
    /// number of years spanned, not the number of days. A result beyond the
    /// last date chrono can represent saturates to [`NaiveDate::MAX`].
    #[must_use]
    pub fn add_working_days(self, start: NaiveDate, n: WorkingDays) -> NaiveDate {
        let mut date = start;
        let mut remaining = n.0;
        // Jump a whole number of weeks while far from the target. A span of w
        // weeks holds exactly 5w weekdays, so it holds at most 5w <= remaining
        // working days and can never overshoot.
        while remaining > 10 {
            let weeks = remaining / 5 - 1;
            let Some(next) = date.checked_add_days(Days::new(u64::from(weeks) * 7)) else {
                return NaiveDate::MAX;
            };
            remaining -= self.working_days_between(date, next).0;
            date = next;
        }
        // Step one day at a time for the last few, reusing one year's list.
        let mut year_holidays = YearHolidays::new(self, date.year());
        while remaining > 0 {
            let Some(next) = date.succ_opt() else {
                return NaiveDate::MAX;
            };
            date = next;
            if !is_weekend(date) && !year_holidays.contains(self, date) {
                remaining -= 1;
            }
        }
        date
    }

    /// The number of working days in `(from, to]`: `from` is excluded and
    /// `to` is included. Zero when `to <= from`.
    ///
    /// Counted arithmetically (weekdays in the span minus the bank holidays in
    /// it), so long spans are cheap.
    #[must_use]
    pub fn working_days_between(self, from: NaiveDate, to: NaiveDate) -> WorkingDays {
        if to <= from {
            return WorkingDays(0);
        }
        let weekdays = weekdays_through(to) - weekdays_through(from);
        let holidays: i64 = (from.year()..=to.year())
            .map(|year| {
                let in_span = holidays::for_year(self, year)
                    .into_iter()
                    .filter(|h| from < h.date && h.date <= to && !is_weekend(h.date))
                    .count();
                i64::try_from(in_span).unwrap_or(i64::MAX)
            })
            .sum();
        let days = (weekdays - holidays).max(0);
        WorkingDays(u32::try_from(days).unwrap_or(u32::MAX))
    }
}

/// The date `n` calendar days after `start` (weekends and holidays count like
/// any other day). Saturates to [`NaiveDate::MAX`] beyond chrono's range.
#[must_use]
pub fn add_calendar_days(start: NaiveDate, n: CalendarDays) -> NaiveDate {
    start
        .checked_add_days(Days::new(u64::from(n.0)))
        .unwrap_or(NaiveDate::MAX)
}

/// Saturday or Sunday: never a working day in any jurisdiction.
fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Weekdays (Monday to Friday) from a fixed Monday far in the past up to and
/// including `date`. Only differences between two calls are meaningful.
fn weekdays_through(date: NaiveDate) -> i64 {
    let day = i64::from(date.num_days_from_ce());
    let since_monday = i64::from(date.weekday().num_days_from_monday());
    // Every Monday has the same day number modulo 7, so `weeks` counts whole
    // weeks consistently for any two dates (div_euclid keeps this true for
    // dates before the common era too).
    let weeks = (day - since_monday).div_euclid(7);
    weeks * 5 + (since_monday + 1).min(5)
}

/// One year's holiday dates, recomputed only when the year changes.
struct YearHolidays {
    year: i32,
    dates: Vec<NaiveDate>,
}

impl YearHolidays {
    fn new(jurisdiction: Jurisdiction, year: i32) -> Self {
        let dates = holidays::for_year(jurisdiction, year)
            .into_iter()
            .map(|h| h.date)
            .collect();
        Self { year, dates }
    }

    fn contains(&mut self, jurisdiction: Jurisdiction, date: NaiveDate) -> bool {
        if date.year() != self.year {
            *self = Self::new(jurisdiction, date.year());
        }
        self.dates.contains(&date)
    }
}
