//! One-off and moved bank holidays, set by royal proclamation under section 1
//! of the Banking and Financial Dealings Act 1971.
//!
//! The usual rules cannot predict these, so they are kept here as data. Each
//! entry records which jurisdictions it applies to; all so far have applied
//! across the UK. A new proclamation is added by appending one row.

use chrono::{Datelike, NaiveDate};

use super::Jurisdiction;

/// How a proclamation changes the usual list for its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    /// An extra holiday on top of the usual ones.
    Extra { date: NaiveDate, name: &'static str },
    /// A usual holiday moved from its rule date `from` to `to`, where it is
    /// observed under `name`.
    Moved {
        from: NaiveDate,
        to: NaiveDate,
        name: &'static str,
    },
}

/// One proclaimed change and the jurisdictions it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Proclamation {
    pub(super) applies_to: &'static [Jurisdiction],
    pub(super) change: Change,
}

impl Proclamation {
    /// The year whose holiday list this proclamation changes.
    pub(super) fn year(&self) -> i32 {
        match self.change {
            Change::Extra { date, .. } => date.year(),
            Change::Moved { to, .. } => to.year(),
        }
    }
}

/// Builds a date for the table. Only used in constants, so an invalid date is
/// a compile-time error rather than a runtime panic.
const fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("invalid date in the proclamation table"),
    }
}

const UK: &[Jurisdiction] = &Jurisdiction::ALL;

/// Every one-off or moved holiday, from the royal proclamations for each year
/// (as published on gov.uk). Sorted by date.
pub(super) const PROCLAMATIONS: &[Proclamation] = &[
    // Wedding of Prince William and Catherine Middleton.
    Proclamation {
        applies_to: UK,
        change: Change::Extra {
            date: ymd(2011, 4, 29),
            name: "Royal wedding",
        },
    },
    // Diamond Jubilee: Spring bank holiday moved from Monday 28 May to
    // Monday 4 June, plus an extra day on Tuesday 5 June.
    Proclamation {
        applies_to: UK,
        change: Change::Moved {
            from: ymd(2012, 5, 28),
            to: ymd(2012, 6, 4),
            name: "Spring bank holiday",
        },
    },
    Proclamation {
        applies_to: UK,
        change: Change::Extra {
            date: ymd(2012, 6, 5),
            name: "Queen's Diamond Jubilee",
        },
    },
    // 75th anniversary of VE Day: Early May bank holiday moved from Monday
    // 4 May to Friday 8 May.
    Proclamation {
        applies_to: UK,
        change: Change::Moved {
            from: ymd(2020, 5, 4),
            to: ymd(2020, 5, 8),
            name: "Early May bank holiday (VE day)",
        },
    },
    // Platinum Jubilee: Spring bank holiday moved from Monday 30 May to
    // Thursday 2 June, plus an extra day on Friday 3 June.
    Proclamation {
        applies_to: UK,
        change: Change::Moved {
            from: ymd(2022, 5, 30),
            to: ymd(2022, 6, 2),
            name: "Spring bank holiday",
        },
    },
    Proclamation {
        applies_to: UK,
        change: Change::Extra {
            date: ymd(2022, 6, 3),
            name: "Platinum Jubilee bank holiday",
        },
    },
    // State Funeral of Queen Elizabeth II.
    Proclamation {
        applies_to: UK,
        change: Change::Extra {
            date: ymd(2022, 9, 19),
            name: "Bank Holiday for the State Funeral of Queen Elizabeth II",
        },
    },
    // Coronation of King Charles III.
    Proclamation {
        applies_to: UK,
        change: Change::Extra {
            date: ymd(2023, 5, 8),
            name: "Bank holiday for the coronation of King Charles III",
        },
    },
];
