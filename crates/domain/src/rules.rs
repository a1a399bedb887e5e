//! The rulebook: rules that changed over time, as dated entries rather than constants.
//!
//! Every decision records the rulebook version it was made under. This first edition holds
//! the rules the case file core needs; the full rulebook (assurance review, reconsideration,
//! First Responder designations, pilot sites, routing) grows here as dated data.

use chrono::NaiveDate;

use crate::calendar::{CalendarDays, Jurisdiction, WorkingDays};

/// One dated value: in force from `from` (inclusive) until the next entry's `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated<T: 'static> {
    pub from: NaiveDate,
    pub value: T,
    /// Where the rule comes from, shown to caseworkers when a command breaks it.
    pub source: &'static str,
}

/// The rules in force, with their history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rulebook {
    pub version: &'static str,
    /// Minimum recovery period after a positive Reasonable Grounds decision, before which no
    /// Conclusive Grounds decision may be made. Which entry applies is chosen by the date of
    /// the positive RG decision, because the recovery period is granted by that decision: an
    /// adult referred on 10 Jan 2023 with a positive RG on 20 Jan 2023 has the 45-day minimum.
    pub recovery_period_minimum: &'static [Dated<CalendarDays>],
    /// Target for a Reasonable Grounds decision, counted from the referral date.
    pub reasonable_grounds_target: &'static [Dated<WorkingDays>],
    /// The calendar competent-authority deadlines are counted in. The SCA and IECA are Home
    /// Office bodies in England; domain brief section 4 (which nation's calendar applies is
    /// not stated in guidance, so this is a rule, not an assumption in code).
    pub competent_authority_calendar: Jurisdiction,
}

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid rulebook date"),
    }
}

static RECOVERY_PERIOD_MINIMUM: [Dated<CalendarDays>; 2] = [
    Dated {
        from: date(2009, 4, 1),
        value: CalendarDays(45),
        source: "recovery and reflection period of at least 45 days, Home Office policy before 30 January 2023",
    },
    Dated {
        from: date(2023, 1, 30),
        value: CalendarDays(30),
        source: "minimum 30-day recovery period, Nationality and Borders Act 2022 s61 and statutory guidance from 30 January 2023",
    },
];

static REASONABLE_GROUNDS_TARGET: [Dated<WorkingDays>; 1] = [Dated {
    from: date(2009, 4, 1),
    value: WorkingDays(5),
    source: "Reasonable Grounds decision within 5 working days of referral where possible, statutory guidance",
}];

impl Rulebook {
    /// The rulebook this build ships.
    pub fn current() -> Self {
        Self {
            version: "2026.1",
            recovery_period_minimum: &RECOVERY_PERIOD_MINIMUM,
            reasonable_grounds_target: &REASONABLE_GROUNDS_TARGET,
            competent_authority_calendar: Jurisdiction::EnglandAndWales,
        }
    }

    /// The minimum recovery period for a positive RG decided on `rg_decided_on`.
    pub fn recovery_period_minimum(&self, rg_decided_on: NaiveDate) -> Dated<CalendarDays> {
        in_force(self.recovery_period_minimum, rg_decided_on)
    }

    /// The RG target for a referral made on `referred_on`.
    pub fn reasonable_grounds_target(&self, referred_on: NaiveDate) -> Dated<WorkingDays> {
        in_force(self.reasonable_grounds_target, referred_on)
    }

    /// The date an RG decision is due for a referral made on `referred_on`.
    pub fn reasonable_grounds_due_on(&self, referred_on: NaiveDate) -> NaiveDate {
        let target = self.reasonable_grounds_target(referred_on).value;
        self.competent_authority_calendar
            .add_working_days(referred_on, target)
    }
}

/// The entry in force on `on`: the last whose `from` is on or before it, or the first entry
/// for dates before the rulebook begins (the NRM itself began on 1 April 2009).
fn in_force<T: Copy>(entries: &'static [Dated<T>], on: NaiveDate) -> Dated<T> {
    entries
        .iter()
        .rev()
        .find(|e| e.from <= on)
        .or(entries.first())
        .copied()
        .unwrap_or_else(|| panic!("rulebook table is empty"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_minimum_follows_the_rg_date() {
        let rules = Rulebook::current();
        assert_eq!(
            rules.recovery_period_minimum(date(2023, 1, 20)).value,
            CalendarDays(45)
        );
        assert_eq!(
            rules.recovery_period_minimum(date(2023, 1, 29)).value,
            CalendarDays(45)
        );
        assert_eq!(
            rules.recovery_period_minimum(date(2023, 1, 30)).value,
            CalendarDays(30)
        );
        assert_eq!(
            rules.recovery_period_minimum(date(2025, 6, 1)).value,
            CalendarDays(30)
        );
    }

    #[test]
    fn rg_due_date_skips_weekends_and_bank_holidays() {
        let rules = Rulebook::current();
        // Friday 19 Dec 2025: 5 working days skips the weekend, Christmas and Boxing Day.
        assert_eq!(
            rules.reasonable_grounds_due_on(date(2025, 12, 19)),
            date(2025, 12, 30)
        );
        // Monday 3 Nov 2025: no holidays, due the following Monday.
        assert_eq!(
            rules.reasonable_grounds_due_on(date(2025, 11, 3)),
            date(2025, 11, 10)
        );
    }
}
