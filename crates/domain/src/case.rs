//! A case's current state, folded from its events by [`evolve`].
//!
//! `evolve` never fails and never checks rules: events are facts that already happened. The
//! rules are checked once, in [`crate::command::decide`], before an event exists.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::event::{CaseEvent, CompetentAuthority, Outcome};
use crate::ids::SubjectId;
use crate::reference::CaseReference;
use crate::submission::AgeGroup;

/// Where a referral is in the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    AwaitingReasonableGrounds,
    NegativeReasonableGrounds {
        decided_on: NaiveDate,
    },
    /// Positive RG; the recovery period runs and the case awaits its CG decision.
    RecoveryPeriod {
        reasonable_grounds_on: NaiveDate,
        minimum_ends_on: Option<NaiveDate>,
    },
    ConclusiveGrounds {
        outcome: Outcome,
        decided_on: NaiveDate,
        reasonable_grounds_on: NaiveDate,
    },
}

/// What a referral's state holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub reference: CaseReference,
    pub referred_on: NaiveDate,
    pub age_group: AgeGroup,
    pub subject: SubjectId,
    pub competent_authority: CompetentAuthority,
    pub reasonable_grounds_due_on: NaiveDate,
    pub stage: Stage,
}

/// The state of one case stream.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CaseState {
    /// Nothing has been submitted under this id.
    #[default]
    Empty,
    /// A Duty to Notify report: a record with no process after it.
    DutyToNotify {
        reference: CaseReference,
        reported_on: NaiveDate,
    },
    Referral(Referral),
}

/// A one-word status for queues, filters and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    AwaitingReasonableGrounds,
    NegativeReasonableGrounds,
    AwaitingConclusiveGrounds,
    PositiveConclusiveGrounds,
    NegativeConclusiveGrounds,
    DutyToNotify,
}

impl CaseStatus {
    pub const ALL: [Self; 6] = [
        Self::AwaitingReasonableGrounds,
        Self::NegativeReasonableGrounds,
        Self::AwaitingConclusiveGrounds,
        Self::PositiveConclusiveGrounds,
        Self::NegativeConclusiveGrounds,
        Self::DutyToNotify,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingReasonableGrounds => "awaiting_reasonable_grounds",
            Self::NegativeReasonableGrounds => "negative_reasonable_grounds",
            Self::AwaitingConclusiveGrounds => "awaiting_conclusive_grounds",
            Self::PositiveConclusiveGrounds => "positive_conclusive_grounds",
            Self::NegativeConclusiveGrounds => "negative_conclusive_grounds",
            Self::DutyToNotify => "duty_to_notify",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl CaseState {
    /// Applies one event. Events that do not fit the state (which `decide` never produces)
    /// leave it unchanged rather than panicking, so a damaged stream can still be read.
    #[must_use]
    pub fn evolve(self, event: &CaseEvent) -> Self {
        match (self, event) {
            (Self::Empty, CaseEvent::ReferralSubmitted(e)) => Self::Referral(Referral {
                reference: e.reference.clone(),
                referred_on: e.referred_on,
                age_group: e.age_group,
                subject: e.subject,
                competent_authority: e.competent_authority,
                reasonable_grounds_due_on: e.reasonable_grounds_due_on,
                stage: Stage::AwaitingReasonableGrounds,
            }),
            (Self::Empty, CaseEvent::DutyToNotifyReported(e)) => Self::DutyToNotify {
                reference: e.reference.clone(),
                reported_on: e.reported_on,
            },
            (Self::Referral(mut r), CaseEvent::ReasonableGroundsDecided(d)) => {
                r.stage = match d.outcome {
                    Outcome::Positive => Stage::RecoveryPeriod {
                        reasonable_grounds_on: d.decided_on,
                        minimum_ends_on: None,
                    },
                    Outcome::Negative => Stage::NegativeReasonableGrounds {
                        decided_on: d.decided_on,
                    },
                };
                Self::Referral(r)
            }
            (Self::Referral(mut r), CaseEvent::RecoveryPeriodStarted(p)) => {
                if let Stage::RecoveryPeriod {
                    minimum_ends_on, ..
                } = &mut r.stage
                {
                    *minimum_ends_on = Some(p.minimum_ends_on);
                }
                Self::Referral(r)
            }
            (Self::Referral(mut r), CaseEvent::ConclusiveGroundsDecided(d)) => {
                if let Stage::RecoveryPeriod {
                    reasonable_grounds_on,
                    ..
                } = r.stage
                {
                    r.stage = Stage::ConclusiveGrounds {
                        outcome: d.outcome,
                        decided_on: d.decided_on,
                        reasonable_grounds_on,
                    };
                }
                Self::Referral(r)
            }
            (state, _) => state,
        }
    }

    /// Folds a whole stream.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Self {
        events.into_iter().fold(Self::Empty, Self::evolve)
    }

    pub fn status(&self) -> Option<CaseStatus> {
        match self {
            Self::Empty => None,
            Self::DutyToNotify { .. } => Some(CaseStatus::DutyToNotify),
            Self::Referral(r) => Some(match r.stage {
                Stage::AwaitingReasonableGrounds => CaseStatus::AwaitingReasonableGrounds,
                Stage::NegativeReasonableGrounds { .. } => CaseStatus::NegativeReasonableGrounds,
                Stage::RecoveryPeriod { .. } => CaseStatus::AwaitingConclusiveGrounds,
                Stage::ConclusiveGrounds {
                    outcome: Outcome::Positive,
                    ..
                } => CaseStatus::PositiveConclusiveGrounds,
                Stage::ConclusiveGrounds {
                    outcome: Outcome::Negative,
                    ..
                } => CaseStatus::NegativeConclusiveGrounds,
            }),
        }
    }
}
