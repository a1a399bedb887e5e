//! The events a case is made of. The event log is the case file; everything else is derived.
//!
//! Events are facts in the past tense, serialised as JSON in the store, and must stay readable
//! for as long as the case is kept: add fields with defaults, never change a field's meaning.
//! They hold no personal data, only references into the vault.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::calendar::CalendarDays;
use crate::exploitation::Exploitation;
use crate::ids::{SubjectId, VaultRecordId};
use crate::reference::CaseReference;
use crate::submission::{
    AgeAtExploitation, AgeGroup, FirstResponderType, Gender, ImmigrationEnforcementCohort,
};

/// The competent authority that decides a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompetentAuthority {
    /// Single Competent Authority (Home Office), since 29 April 2019.
    Sca,
    /// Immigration Enforcement Competent Authority, since 8 November 2021.
    Ieca,
}

impl CompetentAuthority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sca => "sca",
            Self::Ieca => "ieca",
        }
    }
}

/// The outcome of a Reasonable Grounds or Conclusive Grounds decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Positive,
    Negative,
}

/// The recorded reason category for a negative decision (published in the statistics from
/// Q3 2024); the written reasons are in the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NegativeReason {
    /// The evidence did not meet the threshold.
    InsufficientEvidence,
    /// What happened does not meet the definition of modern slavery.
    DefinitionNotMet,
    /// The person withdrew from the process or could not be contacted.
    Disengaged,
    Other,
}

/// The consent recorded with an adult referral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    pub referral_consent_given_on: NaiveDate,
    pub support_consent: bool,
}

/// An NRM referral, adult or child, was submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralSubmitted {
    pub reference: CaseReference,
    pub age_group: AgeGroup,
    pub age_disputed: bool,
    pub age_at_exploitation: AgeAtExploitation,
    pub subject: SubjectId,
    pub personal_details: VaultRecordId,
    pub gender: Gender,
    pub nationalities: Vec<crate::geography::Country>,
    pub exploitation: Exploitation,
    /// Present for adults only: children are referred without consent.
    pub consent: Option<ConsentRecord>,
    pub local_authority_notified: Option<bool>,
    pub first_responder_type: FirstResponderType,
    pub referred_by: Actor,
    pub referred_on: NaiveDate,
    pub submitted_at: DateTime<Utc>,
    pub immigration_cohort: Option<ImmigrationEnforcementCohort>,
    pub competent_authority: CompetentAuthority,
    pub reasonable_grounds_due_on: NaiveDate,
    pub rulebook_version: String,
}

/// An anonymous Duty to Notify report was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyToNotifyReported {
    pub reference: CaseReference,
    pub age_at_exploitation: AgeAtExploitation,
    pub gender: Gender,
    pub nationalities: Vec<crate::geography::Country>,
    pub exploitation: Exploitation,
    pub first_responder_type: FirstResponderType,
    pub reported_by: Actor,
    pub reported_on: NaiveDate,
    pub submitted_at: DateTime<Utc>,
}

/// A Reasonable Grounds or Conclusive Grounds decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundsDecision {
    pub outcome: Outcome,
    pub decided_on: NaiveDate,
    pub decided_by: Actor,
    /// The written reasons, in the vault under the case's subject.
    pub reasons: VaultRecordId,
    pub negative_reason: Option<NegativeReason>,
    pub recorded_at: DateTime<Utc>,
    pub rulebook_version: String,
}

/// The recovery period that follows a positive Reasonable Grounds decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryPeriodStarted {
    pub starts_on: NaiveDate,
    pub minimum: CalendarDays,
    /// No Conclusive Grounds decision before this date.
    pub minimum_ends_on: NaiveDate,
    pub rule: String,
}

/// Everything that can happen to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum CaseEvent {
    ReferralSubmitted(ReferralSubmitted),
    DutyToNotifyReported(DutyToNotifyReported),
    ReasonableGroundsDecided(GroundsDecision),
    RecoveryPeriodStarted(RecoveryPeriodStarted),
    ConclusiveGroundsDecided(GroundsDecision),
}

impl CaseEvent {
    /// The event's type name as stored beside its JSON body.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ReferralSubmitted(_) => "referral_submitted",
            Self::DutyToNotifyReported(_) => "duty_to_notify_reported",
            Self::ReasonableGroundsDecided(_) => "reasonable_grounds_decided",
            Self::RecoveryPeriodStarted(_) => "recovery_period_started",
            Self::ConclusiveGroundsDecided(_) => "conclusive_grounds_decided",
        }
    }
}
