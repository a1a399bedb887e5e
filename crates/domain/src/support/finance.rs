//! Financial support: the subsistence a person is entitled to per week, and the ledger of what
//! was due, paid and adjusted.
//!
//! A day of support is paid at the weekly rate in force on that day for how the person is
//! accommodated that day (the placement covering it, else outreach), one seventh per day; a week
//! is the sum of its days, rounded to the nearest penny. The same day is never paid for two
//! placements: overlapping placements are an error here as well as refused when made.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

use super::accommodation::{AccommodationType, Placement};
use super::rules::SupportRules;

/// A span of days in support: `from` up to but not including `until` (`None`: still open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportSpan {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl SupportSpan {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|u| day < u)
    }
}

/// What a person is entitled to for one week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekEntitlement {
    pub week_start: NaiveDate,
    /// How the person was accommodated each day of the week; `None` on days out of support.
    pub days: [Option<AccommodationType>; 7],
    pub amount_pence: u64,
}

/// The entitlement for the week beginning `week_start`.
pub fn week_entitlement(
    rules: &SupportRules,
    supported: SupportSpan,
    placements: &[Placement],
    week_start: NaiveDate,
) -> Result<WeekEntitlement, DomainError> {
    let mut days = [None; 7];
    let mut sevenths: u64 = 0;
    for (i, slot) in days.iter_mut().enumerate() {
        let day = week_start
            .checked_add_days(Days::new(i as u64))
            .ok_or_else(|| DomainError::refused("date-out-of-range", "The week is out of range"))?;
        if !supported.covers(day) {
            continue;
        }
        let mut covering = placements.iter().filter(|p| p.covers(day));
        let kind = match (covering.next(), covering.next()) {
            (None, _) => AccommodationType::Outreach,
            (Some(p), None) => p.kind,
            (Some(_), Some(_)) => {
                return Err(DomainError::refused(
                    "placements-overlap",
                    format!("Two placements cover {day}: one must end first"),
                ));
            }
        };
        *slot = Some(kind);
        sevenths += u64::from(rules.subsistence(day).value.weekly(kind));
    }
    Ok(WeekEntitlement {
        week_start,
        days,
        amount_pence: (sevenths + 3) / 7,
    })
}

/// Why a ledger was adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentReason {
    /// An amount due was recalculated (a placement recorded late, a rate corrected).
    Recalculated,
    /// Money paid that was not due is written off or recovered.
    Overpayment,
    /// A one-off payment agreed by the Home Office.
    ExceptionalPayment,
    Other,
}

impl AdjustmentReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::Recalculated => "recalculated",
            Self::Overpayment => "overpayment",
            Self::ExceptionalPayment => "exceptional_payment",
            Self::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Recalculated,
            Self::Overpayment,
            Self::ExceptionalPayment,
            Self::Other,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// One ledger posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Posting {
    /// The week's entitlement fell due.
    Due {
        week_start: NaiveDate,
        amount_pence: u64,
    },
    /// Money paid to the person.
    Paid { on: NaiveDate, amount_pence: u64 },
    /// An adjustment up (positive) or down (negative) of what is owed.
    Adjusted {
        on: NaiveDate,
        amount_pence: i64,
        reason: AdjustmentReason,
    },
}

/// The totals of a ledger: always `due + adjustments - paid = owed`, and `owed` never below
/// zero (nothing is paid that is not owed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub due: u64,
    pub paid: u64,
    pub adjustments: i64,
    pub owed: i64,
}

impl Balance {
    /// Whether the totals agree.
    pub fn balances(&self) -> bool {
        i128::from(self.due) + i128::from(self.adjustments) - i128::from(self.paid)
            == i128::from(self.owed)
            && self.owed >= 0
    }
}

/// A person's payments ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub postings: Vec<Posting>,
    pub balance: Balance,
}

impl Ledger {
    /// Whether `posting` may be added: a week falls due once and never overlaps another week
    /// due; amounts are positive; a payment
    /// or a downward adjustment never takes what is owed below zero.
    pub fn check(&self, posting: &Posting) -> Result<(), DomainError> {
        let owed = i128::from(self.balance.owed);
        match posting {
            Posting::Due {
                week_start,
                amount_pence,
            } => {
                if *amount_pence == 0 {
                    return Err(DomainError::refused(
                        "nothing-due",
                        "No subsistence is due for that week",
                    ));
                }
                if self
                    .postings
                    .iter()
                    .any(|p| matches!(p, Posting::Due { week_start: w, .. } if w == week_start))
                {
                    return Err(DomainError::refused(
                        "week-already-due",
                        format!("The week beginning {week_start} is already in the ledger"),
                    ));
                }
                // No day falls due twice: a week may not overlap one already due.
                if let Some(other) = self.postings.iter().find_map(|p| match p {
                    Posting::Due { week_start: w, .. }
                        if (*w - *week_start).num_days().abs() < 7 =>
                    {
                        Some(*w)
                    }
                    _ => None,
                }) {
                    return Err(DomainError::refused(
                        "week-overlaps",
                        format!(
                            "The week beginning {week_start} overlaps the week beginning {other}, already in the ledger: no day falls due twice"
                        ),
                    ));
                }
            }
            Posting::Paid { amount_pence, .. } => {
                if *amount_pence == 0 || i128::from(*amount_pence) > owed {
                    return Err(DomainError::refused(
                        "payment-exceeds-owed",
                        format!("A payment must be between 1p and what is owed ({owed}p)"),
                    ));
                }
            }
            Posting::Adjusted { amount_pence, .. } => {
                if *amount_pence == 0 || owed + i128::from(*amount_pence) < 0 {
                    return Err(DomainError::refused(
                        "adjustment-below-zero",
                        format!(
                            "An adjustment must not be zero nor take what is owed ({owed}p) below zero"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Adds a posting already checked (events replay through here).
    pub fn apply(&mut self, posting: Posting) {
        let b = &mut self.balance;
        match &posting {
            Posting::Due { amount_pence, .. } => {
                b.due = b.due.saturating_add(*amount_pence);
                b.owed = b.owed.saturating_add_unsigned(*amount_pence);
            }
            Posting::Paid { amount_pence, .. } => {
                b.paid = b.paid.saturating_add(*amount_pence);
                b.owed = b.owed.saturating_sub_unsigned(*amount_pence);
            }
            Posting::Adjusted { amount_pence, .. } => {
                b.adjustments = b.adjustments.saturating_add(*amount_pence);
                b.owed = b.owed.saturating_add(*amount_pence);
            }
        }
        self.postings.push(posting);
    }

    /// Checks then adds.
    pub fn post(&mut self, posting: Posting) -> Result<(), DomainError> {
        self.check(&posting)?;
        self.apply(posting);
        Ok(())
    }
}

/// One line of a provider's statement: one person's week (by reference, never by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub episode_reference: String,
    pub date: NaiveDate,
    pub kind: &'static str,
    pub amount_pence: i64,
    pub reason: Option<&'static str>,
}

/// The statement as CSV: a header, one line per posting, and a totals line. Amounts are in
/// pounds with two decimals. Fields are the system's own codes and dates, so none needs quoting
/// and none can start a spreadsheet formula.
pub fn statement_csv(lines: &[StatementLine]) -> String {
    let mut out = String::from("episode,date,kind,amount_gbp,reason\n");
    let mut total: i64 = 0;
    for l in lines {
        total = total.saturating_add(l.amount_pence);
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            l.episode_reference,
            l.date,
            l.kind,
            pounds(l.amount_pence),
            l.reason.unwrap_or("")
        ));
    }
    out.push_str(&format!("total,,,{},\n", pounds(total)));
    out
}

/// Pence as pounds with two decimals, sign first.
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    format!("{sign}{}.{:02}", p / 100, p % 100)
}

impl Posting {
    /// The posting as a statement line: due and adjustments add to what is owed, payments
    /// subtract.
    pub fn line(&self, episode_reference: &str) -> StatementLine {
        let (date, kind, amount, reason) = match self {
            Posting::Due {
                week_start,
                amount_pence,
            } => (
                *week_start,
                "due",
                i64::try_from(*amount_pence).unwrap_or(i64::MAX),
                None,
            ),
            Posting::Paid { on, amount_pence } => (
                *on,
                "paid",
                -i64::try_from(*amount_pence).unwrap_or(i64::MAX),
                None,
            ),
            Posting::Adjusted {
                on,
                amount_pence,
                reason,
            } => (*on, "adjusted", *amount_pence, Some(reason.code())),
        };
        StatementLine {
            episode_reference: episode_reference.to_owned(),
            date,
            kind,
            amount_pence: amount,
            reason,
        }
    }
}
