//! Retention and erasure of a case's personal data.
//!
//! When a case concludes (a CG decision, a negative RG left standing, withdrawal or closure),
//! its personal data is kept for a period set by the dated retention rules
//! (`rulebook/retention.json`, every value `uncertain` until the Home Office publishes a
//! schedule), by how the case concluded and by the person's age: a child's data is kept at
//! least until their `child_until_age` birthday. A case still open is never due.
//!
//! Legal holds (litigation, an investigation, an inquiry, a subject's own request) stop
//! erasure while any is in place. Erasure itself is recorded as an event of this capability
//! ([`RetentionEvent::Erased`]); the store carries it out by destroying the person's data key
//! (crypto-shredding). The case's own events carry no personal data and stay, so the
//! statistics are unchanged by erasure.
//!
//! Pure: `now` is an argument; nothing here reads a clock or a database.

use std::sync::LazyLock;

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Actor;
use crate::case::CaseStatus;
use crate::clock::uk_date;
use crate::rules::{Certainty, Dated};
use crate::submission::AgeGroup;

/// Years of retention after each way a case concludes, and the age a child's data is kept to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPeriods {
    pub years_after_positive_conclusive_grounds: u32,
    pub years_after_negative_conclusive_grounds: u32,
    pub years_after_negative_reasonable_grounds: u32,
    pub years_after_withdrawn: u32,
    pub years_after_closed: u32,
    pub child_until_age: u32,
}

impl RetentionPeriods {
    fn years(&self, conclusion: Conclusion) -> u32 {
        match conclusion {
            Conclusion::PositiveConclusiveGrounds => self.years_after_positive_conclusive_grounds,
            Conclusion::NegativeConclusiveGrounds => self.years_after_negative_conclusive_grounds,
            Conclusion::NegativeReasonableGrounds => self.years_after_negative_reasonable_grounds,
            Conclusion::Withdrawn => self.years_after_withdrawn,
            Conclusion::Closed => self.years_after_closed,
        }
    }
}

/// The retention rulebook as shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRulebookData {
    pub version: String,
    pub published_on: NaiveDate,
    pub notes: String,
    pub retention: Vec<Dated<RetentionPeriods>>,
}

impl RetentionRulebookData {
    /// Parses and checks the retention rulebook JSON: at least one entry, in date order.
    pub fn parse(json: &str) -> Result<Self, String> {
        let d: Self = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if d.retention.is_empty() {
            return Err("retention has no entries".to_owned());
        }
        if d.retention.windows(2).any(|w| w[0].from >= w[1].from) {
            return Err("retention entries must be in strictly increasing date order".to_owned());
        }
        Ok(d)
    }
}

static SHIPPED: LazyLock<Result<RetentionRulebookData, String>> =
    LazyLock::new(|| RetentionRulebookData::parse(include_str!("../../rulebook/retention.json")));

/// The retention rules in force, with their history. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionRules {
    data: &'static RetentionRulebookData,
}

impl RetentionRules {
    /// The rules this build ships (checked by a unit test; panics at start-up rather than
    /// erasing anything under unknown rules).
    pub fn current() -> Self {
        match &*SHIPPED {
            Ok(data) => Self { data },
            Err(e) => panic!("the shipped retention rulebook is invalid: {e}"),
        }
    }

    /// Rules from other data (tests, or a locally confirmed schedule).
    pub fn from_data(data: &'static RetentionRulebookData) -> Self {
        Self { data }
    }

    pub fn version(&self) -> &str {
        &self.data.version
    }

    /// The entry in force for a case concluded on `on` (the first entry for earlier dates).
    pub fn in_force(&self, on: NaiveDate) -> &'static Dated<RetentionPeriods> {
        let entries = &self.data.retention;
        entries
            .iter()
            .rev()
            .find(|e| e.from <= on)
            .or(entries.first())
            .unwrap_or_else(|| panic!("retention entries are checked non-empty at parse time"))
    }
}

/// How a case concluded, for retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conclusion {
    PositiveConclusiveGrounds,
    NegativeConclusiveGrounds,
    NegativeReasonableGrounds,
    Withdrawn,
    Closed,
}

impl Conclusion {
    /// The conclusion a case's status stands for; `None` for a case still open and for a Duty
    /// to Notify report (which holds no personal data to erase).
    pub fn of(status: CaseStatus) -> Option<Self> {
        match status {
            CaseStatus::PositiveConclusiveGrounds => Some(Self::PositiveConclusiveGrounds),
            CaseStatus::NegativeConclusiveGrounds => Some(Self::NegativeConclusiveGrounds),
            CaseStatus::NegativeReasonableGrounds => Some(Self::NegativeReasonableGrounds),
            CaseStatus::Withdrawn => Some(Self::Withdrawn),
            CaseStatus::Closed => Some(Self::Closed),
            CaseStatus::AwaitingReasonableGrounds
            | CaseStatus::AwaitingConclusiveGrounds
            | CaseStatus::DutyToNotify => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PositiveConclusiveGrounds => "positive_conclusive_grounds",
            Self::NegativeConclusiveGrounds => "negative_conclusive_grounds",
            Self::NegativeReasonableGrounds => "negative_reasonable_grounds",
            Self::Withdrawn => "withdrawn",
            Self::Closed => "closed",
        }
    }
}

/// What retention is decided from (no personal data except an optional date of birth, which
/// the caller reads from the vault for a child's case and never stores).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionFacts {
    pub status: CaseStatus,
    /// The day the case reached its current status (its last event's UK day).
    pub concluded_on: NaiveDate,
    pub age_group: Option<AgeGroup>,
    pub referred_on: NaiveDate,
    pub date_of_birth: Option<NaiveDate>,
}

/// When a concluded case's personal data may be erased, and the rule that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionEnd {
    pub conclusion: Conclusion,
    /// The first day on which the data may be erased.
    pub ends_on: NaiveDate,
    /// Whether the child rule (kept to an age) set the day rather than the years after.
    pub child_rule: bool,
    pub rule_from: NaiveDate,
    pub certainty: Certainty,
    pub rulebook_version: String,
}

fn add_years(day: NaiveDate, years: u32) -> NaiveDate {
    day.checked_add_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

/// When `facts`' case may be erased; `None` while the case is open (never due).
pub fn retention_end(rules: &RetentionRules, facts: &RetentionFacts) -> Option<RetentionEnd> {
    let conclusion = Conclusion::of(facts.status)?;
    let entry = rules.in_force(facts.concluded_on);
    let after = add_years(facts.concluded_on, entry.value.years(conclusion));
    let child = facts.age_group == Some(AgeGroup::Child) || facts.age_group.is_none();
    // A child's data is kept to their birthday at `child_until_age`; with no date of birth
    // (or an unknown age group), to the latest day that birthday can fall: the referral day
    // plus that many years.
    let until_age = child.then(|| {
        let born = facts
            .date_of_birth
            .filter(|b| *b <= facts.referred_on)
            .unwrap_or(facts.referred_on);
        add_years(born, entry.value.child_until_age)
    });
    let (ends_on, child_rule) = match until_age {
        Some(day) if day > after => (day, true),
        _ => (after, false),
    };
    Some(RetentionEnd {
        conclusion,
        ends_on,
        child_rule,
        rule_from: entry.from,
        certainty: entry.certainty,
        rulebook_version: rules.version().to_owned(),
    })
}

/// A legal hold's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HoldId(pub Uuid);

/// Why a legal hold was placed (a code, never free text: a hold's reason must not carry
/// personal data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// Legal proceedings (a judicial review, a civil claim, a criminal trial).
    Litigation,
    /// A police or regulatory investigation.
    Investigation,
    /// A public inquiry or an audit.
    Inquiry,
    /// The person (or their representative) asked for the data to be kept.
    SubjectRequest,
}

impl HoldReason {
    pub const ALL: [Self; 4] = [
        Self::Litigation,
        Self::Investigation,
        Self::Inquiry,
        Self::SubjectRequest,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Litigation => "litigation",
            Self::Investigation => "investigation",
            Self::Inquiry => "inquiry",
            Self::SubjectRequest => "subject_request",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code.trim())
    }
}

/// What happened to a case's retention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RetentionEvent {
    HoldPlaced {
        hold: HoldId,
        reason: HoldReason,
        by: Actor,
        at: DateTime<Utc>,
    },
    HoldLifted {
        hold: HoldId,
        by: Actor,
        at: DateTime<Utc>,
    },
    /// The person's personal data was erased (their data key destroyed).
    Erased {
        by: Actor,
        at: DateTime<Utc>,
        conclusion: Conclusion,
        retention_ended_on: NaiveDate,
        rulebook_version: String,
    },
}

impl RetentionEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::HoldPlaced { .. } => "hold_placed",
            Self::HoldLifted { .. } => "hold_lifted",
            Self::Erased { .. } => "erased",
        }
    }
}

/// A case's retention so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionState {
    /// Holds in place, in the order placed.
    pub holds: Vec<(HoldId, HoldReason)>,
    pub erased_at: Option<DateTime<Utc>>,
}

impl RetentionState {
    pub fn evolve(&mut self, event: &RetentionEvent) {
        match event {
            RetentionEvent::HoldPlaced { hold, reason, .. } => self.holds.push((*hold, *reason)),
            RetentionEvent::HoldLifted { hold, .. } => self.holds.retain(|(h, _)| h != hold),
            RetentionEvent::Erased { at, .. } => self.erased_at = Some(*at),
        }
    }

    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a RetentionEvent>) -> Self {
        let mut state = Self::default();
        for e in events {
            state.evolve(e);
        }
        state
    }

    pub fn on_hold(&self) -> bool {
        !self.holds.is_empty()
    }
}

/// What may be asked of a case's retention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetentionCommand {
    PlaceHold {
        hold: HoldId,
        reason: HoldReason,
    },
    LiftHold {
        hold: HoldId,
    },
    /// Erase the personal data, if its retention (`end`, from [`retention_end`]) has ended.
    Erase {
        end: Option<RetentionEnd>,
    },
}

/// Why a retention command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionRefusal {
    #[error("the case's personal data has already been erased")]
    AlreadyErased,
    #[error("a legal hold is in place")]
    OnHold,
    #[error("no such legal hold is in place")]
    NoSuchHold,
    #[error("that legal hold is already in place")]
    HoldExists,
    #[error("the case is still open")]
    StillOpen,
    #[error("retention ends on {ends_on}")]
    NotDue { ends_on: NaiveDate },
}

impl RetentionRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::AlreadyErased => "already_erased",
            Self::OnHold => "on_hold",
            Self::NoSuchHold => "no_such_hold",
            Self::HoldExists => "hold_exists",
            Self::StillOpen => "still_open",
            Self::NotDue { .. } => "not_due",
        }
    }
}

/// Decides a retention command at `now`.
pub fn decide(
    state: &RetentionState,
    command: RetentionCommand,
    actor: Actor,
    now: DateTime<Utc>,
) -> Result<Vec<RetentionEvent>, RetentionRefusal> {
    if state.erased_at.is_some() {
        return Err(RetentionRefusal::AlreadyErased);
    }
    match command {
        RetentionCommand::PlaceHold { hold, reason } => {
            if state.holds.iter().any(|(h, _)| *h == hold) {
                return Err(RetentionRefusal::HoldExists);
            }
            Ok(vec![RetentionEvent::HoldPlaced {
                hold,
                reason,
                by: actor,
                at: now,
            }])
        }
        RetentionCommand::LiftHold { hold } => {
            if !state.holds.iter().any(|(h, _)| *h == hold) {
                return Err(RetentionRefusal::NoSuchHold);
            }
            Ok(vec![RetentionEvent::HoldLifted {
                hold,
                by: actor,
                at: now,
            }])
        }
        RetentionCommand::Erase { end } => {
            let end = end.ok_or(RetentionRefusal::StillOpen)?;
            if state.on_hold() {
                return Err(RetentionRefusal::OnHold);
            }
            if uk_date(now) < end.ends_on {
                return Err(RetentionRefusal::NotDue {
                    ends_on: end.ends_on,
                });
            }
            Ok(vec![RetentionEvent::Erased {
                by: actor,
                at: now,
                conclusion: end.conclusion,
                retention_ended_on: end.ends_on,
                rulebook_version: end.rulebook_version,
            }])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OrganisationId, UserId};
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn actor() -> Actor {
        Actor {
            user: UserId(Uuid::from_u128(1)),
            organisation: OrganisationId(Uuid::from_u128(2)),
        }
    }

    fn at(day: NaiveDate) -> DateTime<Utc> {
        Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap_or_default())
    }

    fn facts(status: CaseStatus, age: AgeGroup) -> RetentionFacts {
        RetentionFacts {
            status,
            concluded_on: d(2020, 3, 10),
            age_group: Some(age),
            referred_on: d(2019, 1, 5),
            date_of_birth: None,
        }
    }

    #[test]
    fn the_shipped_retention_rulebook_parses_and_is_marked_uncertain() {
        assert!(SHIPPED.is_ok(), "{:?}", SHIPPED.as_ref().err());
        let rules = RetentionRules::current();
        assert_eq!(
            rules.in_force(d(2024, 1, 1)).certainty,
            Certainty::Uncertain
        );
    }

    #[test]
    fn out_of_order_or_empty_rules_are_refused() {
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../../rulebook/retention.json")).expect("json");
        let first = json["retention"][0].clone();
        let mut second = first.clone();
        second["from"] = serde_json::json!("2001-01-01");
        json["retention"] = serde_json::json!([first, second]);
        assert!(RetentionRulebookData::parse(&json.to_string()).is_err());
        json["retention"] = serde_json::json!([]);
        assert!(RetentionRulebookData::parse(&json.to_string()).is_err());
    }

    #[test]
    fn open_cases_and_duty_to_notify_reports_are_never_due() {
        let rules = RetentionRules::current();
        for status in [
            CaseStatus::AwaitingReasonableGrounds,
            CaseStatus::AwaitingConclusiveGrounds,
            CaseStatus::DutyToNotify,
        ] {
            assert_eq!(retention_end(&rules, &facts(status, AgeGroup::Adult)), None);
        }
    }

    #[test]
    fn an_adult_case_is_kept_the_years_its_conclusion_sets() {
        let rules = RetentionRules::current();
        let periods = rules.in_force(d(2020, 3, 10)).value;
        for (status, years) in [
            (
                CaseStatus::PositiveConclusiveGrounds,
                periods.years_after_positive_conclusive_grounds,
            ),
            (
                CaseStatus::NegativeConclusiveGrounds,
                periods.years_after_negative_conclusive_grounds,
            ),
            (
                CaseStatus::NegativeReasonableGrounds,
                periods.years_after_negative_reasonable_grounds,
            ),
            (CaseStatus::Withdrawn, periods.years_after_withdrawn),
            (CaseStatus::Closed, periods.years_after_closed),
        ] {
            let end = retention_end(&rules, &facts(status, AgeGroup::Adult)).expect("due");
            assert_eq!(end.ends_on, d(2020 + years as i32, 3, 10), "{status:?}");
            assert!(!end.child_rule);
        }
    }

    #[test]
    fn a_child_is_kept_to_the_age_the_rules_set() {
        let rules = RetentionRules::current();
        let age = rules.in_force(d(2020, 3, 10)).value.child_until_age;
        let mut f = facts(CaseStatus::Withdrawn, AgeGroup::Child);
        f.date_of_birth = Some(d(2005, 7, 1));
        let end = retention_end(&rules, &f).expect("due");
        assert_eq!(end.ends_on, d(2005 + age as i32, 7, 1));
        assert!(end.child_rule);
        // Without a date of birth: the latest the birthday can be.
        f.date_of_birth = None;
        let end = retention_end(&rules, &f).expect("due");
        assert_eq!(end.ends_on, d(2019 + age as i32, 1, 5));
        // An older child whose birthday passes before the years after: the years after win.
        f.status = CaseStatus::PositiveConclusiveGrounds;
        f.date_of_birth = Some(d(2001, 1, 1));
        let end = retention_end(&rules, &f).expect("due");
        assert!(!end.child_rule);
    }

    #[test]
    fn erasure_waits_for_the_end_of_retention_and_for_every_hold() {
        let rules = RetentionRules::current();
        let end = retention_end(&rules, &facts(CaseStatus::Withdrawn, AgeGroup::Adult));
        let ends_on = end.as_ref().expect("due").ends_on;
        let mut state = RetentionState::default();
        let early = decide(
            &state,
            RetentionCommand::Erase { end: end.clone() },
            actor(),
            at(ends_on.pred_opt().unwrap_or_default()),
        );
        assert_eq!(early, Err(RetentionRefusal::NotDue { ends_on }));
        let hold = HoldId(Uuid::from_u128(9));
        for e in decide(
            &state,
            RetentionCommand::PlaceHold {
                hold,
                reason: HoldReason::Litigation,
            },
            actor(),
            at(ends_on),
        )
        .expect("placed")
        {
            state.evolve(&e);
        }
        assert_eq!(
            decide(
                &state,
                RetentionCommand::Erase { end: end.clone() },
                actor(),
                at(ends_on)
            ),
            Err(RetentionRefusal::OnHold)
        );
        for e in decide(
            &state,
            RetentionCommand::LiftHold { hold },
            actor(),
            at(ends_on),
        )
        .expect("lifted")
        {
            state.evolve(&e);
        }
        let erased = decide(
            &state,
            RetentionCommand::Erase { end: end.clone() },
            actor(),
            at(ends_on),
        )
        .expect("erased");
        for e in &erased {
            state.evolve(e);
        }
        assert!(state.erased_at.is_some());
        assert_eq!(
            decide(
                &state,
                RetentionCommand::PlaceHold {
                    hold,
                    reason: HoldReason::Inquiry
                },
                actor(),
                at(ends_on)
            ),
            Err(RetentionRefusal::AlreadyErased)
        );
    }

    #[test]
    fn holds_cannot_be_lifted_twice_or_placed_twice() {
        let hold = HoldId(Uuid::from_u128(3));
        let now = at(d(2030, 1, 1));
        let mut state = RetentionState::default();
        assert_eq!(
            decide(&state, RetentionCommand::LiftHold { hold }, actor(), now),
            Err(RetentionRefusal::NoSuchHold)
        );
        let placed = RetentionCommand::PlaceHold {
            hold,
            reason: HoldReason::SubjectRequest,
        };
        for e in decide(&state, placed.clone(), actor(), now).expect("placed") {
            state.evolve(&e);
        }
        assert_eq!(
            decide(&state, placed, actor(), now),
            Err(RetentionRefusal::HoldExists)
        );
        assert_eq!(
            decide(&state, RetentionCommand::Erase { end: None }, actor(), now),
            Err(RetentionRefusal::StillOpen)
        );
    }
}
