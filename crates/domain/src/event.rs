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
    /// A devolved local-authority child decision panel (pilot, since June 2021).
    LocalAuthorityPanel,
}

impl CompetentAuthority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sca => "sca",
            Self::Ieca => "ieca",
            Self::LocalAuthorityPanel => "local_authority_panel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Sca, Self::Ieca, Self::LocalAuthorityPanel]
            .into_iter()
            .find(|a| a.as_str() == s)
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
    /// The pilot local authority deciding the case, when routed to a local panel.
    #[serde(default)]
    pub pilot_site: Option<String>,
    /// Why the case went to its competent authority.
    #[serde(default)]
    pub routing_reason: Option<String>,
    pub reasonable_grounds_due_on: NaiveDate,
    pub rulebook_version: String,
    /// The nation the referring organisation works in (recorded from rulebook 2026.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referring_organisation_nation: Option<crate::geography::UkNation>,
    /// The nation the person was in when referred (recorded from rulebook 2026.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_nation: Option<crate::geography::UkNation>,
    /// The calendar the RG due date was counted on: the deciding authority's (absent before
    /// rulebook 2026.4, when every deadline was counted on England and Wales's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasonable_grounds_calendar: Option<crate::calendar::Jurisdiction>,
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
    /// For a negative decision: the review the rulebook required before it may be served
    /// (recorded on negative CGs from the start, on negative RGs from rulebook 2026.3; absent
    /// on older negative RGs, which needed none under the code that decided them).
    #[serde(default)]
    pub review: Option<crate::rules::ReviewKind>,
    /// For an RG: the threshold the decision was made against, as worded on its date.
    #[serde(default)]
    pub threshold: Option<String>,
}

/// A decision that is reviewed before it is served when it goes against the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewedDecision {
    ReasonableGrounds,
    ConclusiveGrounds,
    Disqualification,
}

impl ReviewedDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReasonableGrounds => "reasonable_grounds",
            Self::ConclusiveGrounds => "conclusive_grounds",
            Self::Disqualification => "disqualification",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::ReasonableGrounds,
            Self::ConclusiveGrounds,
            Self::Disqualification,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }

    /// The decision's name in a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Self::ReasonableGrounds => "negative Reasonable Grounds decision",
            Self::ConclusiveGrounds => "negative Conclusive Grounds decision",
            Self::Disqualification => "disqualification",
        }
    }
}

/// Which decision a later event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionRef {
    ReasonableGrounds,
    ConclusiveGrounds,
}

/// Why a case moved to another competent authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RerouteReason {
    DetentionStarted,
    DeportationActionStarted,
    AsylumClaimInadmissible,
    LeftImmigrationEnforcementCohort,
    MovedIntoPilotArea,
    Correction,
    /// An age assessment found the person, routed as a child, to be an adult.
    AgeAssessedAdult,
    /// An age assessment found the person, referred as an adult, to be a child.
    AgeAssessedChild,
    /// The person turned 18 while a pilot panel's decisions were still to be made.
    TurnedEighteen,
}

/// Who is asked for further information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InformationSource {
    FirstResponder,
    Police,
    LocalAuthority,
    SupportProvider,
}

/// The grounds for a disqualification under the Nationality and Borders Act 2022 s63.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisqualificationGround {
    PublicOrder,
    BadFaith,
}

/// A member of a review of a negative Conclusive Grounds decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewer {
    pub user: crate::ids::UserId,
    /// The reviewer's agency (police, local authority, NGO…); panel members must differ.
    pub agency: String,
}

/// What a review concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// The negative decision stands and may be served.
    Agree,
    /// Returned to the competent authority for further consideration, with reasons.
    ReferBack,
}

/// Who receives a decision notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    PotentialVictim,
    LegalRepresentative,
    LocalAuthority,
    FirstResponder,
    SupportProvider,
}

/// Why a case was withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalReason {
    ConsentWithdrawn,
    ReferredInError,
    Other,
}

/// Why a case was suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuspensionReason {
    MissingPerson,
    LostContact,
}

/// Why a case was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureReason {
    ProcessComplete,
    Withdrawn,
    NoDecisionPossible,
    Duplicate,
}

/// A deadline the sweep watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "request", rename_all = "snake_case")]
pub enum Deadline {
    ReasonableGrounds,
    Information(uuid::Uuid),
}

/// Where a deadline stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStatus {
    OnTrack,
    DueSoon,
    Overdue,
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
    RouteChanged {
        from: CompetentAuthority,
        to: CompetentAuthority,
        pilot_site: Option<String>,
        reason: RerouteReason,
        changed_on: NaiveDate,
    },
    CaseAllocated {
        to: crate::ids::UserId,
        allocated_on: NaiveDate,
    },
    InformationRequested {
        request: uuid::Uuid,
        from: InformationSource,
        requested_on: NaiveDate,
        due_on: NaiveDate,
        /// The calendar `due_on` was counted on: the one of whoever must reply (absent before
        /// rulebook 2026.4: England and Wales's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        calendar: Option<crate::calendar::Jurisdiction>,
    },
    InformationReceived {
        request: uuid::Uuid,
        received_on: NaiveDate,
    },
    RecoveryPeriodExtended {
        until: NaiveDate,
    },
    Disqualified {
        ground: DisqualificationGround,
        decided_on: NaiveDate,
        decided_by: Actor,
        reasons: VaultRecordId,
        rule: String,
        /// The review the rulebook required before the disqualification is served (absent on
        /// disqualifications recorded before rulebook 2026.3).
        #[serde(default)]
        review: Option<crate::rules::ReviewKind>,
    },
    /// The review that a negative CG needed before service (which kind: see the rulebook).
    NegativeConclusiveGroundsReviewed {
        kind: crate::rules::ReviewKind,
        outcome: ReviewOutcome,
        chair: Option<Reviewer>,
        reviewers: Vec<Reviewer>,
        reviewed_on: NaiveDate,
        reasons: VaultRecordId,
    },
    /// The review that a negative RG needed before service (from December 2022).
    NegativeReasonableGroundsReviewed {
        kind: crate::rules::ReviewKind,
        outcome: ReviewOutcome,
        /// A panel's chair (no rule so far puts these decisions before a panel).
        chair: Option<Reviewer>,
        reviewers: Vec<Reviewer>,
        reviewed_on: NaiveDate,
        reasons: VaultRecordId,
    },
    /// The review that a disqualification needed (from its start, 30 January 2023).
    DisqualificationReviewed {
        kind: crate::rules::ReviewKind,
        outcome: ReviewOutcome,
        /// A panel's chair (no rule so far puts these decisions before a panel).
        chair: Option<Reviewer>,
        reviewers: Vec<Reviewer>,
        reviewed_on: NaiveDate,
        reasons: VaultRecordId,
    },
    DecisionServed {
        decision: DecisionRef,
        served_on: NaiveDate,
        recipients: Vec<Recipient>,
    },
    ReconsiderationRequested {
        decision: DecisionRef,
        requested_on: NaiveDate,
        requested_by: crate::rules::Requester,
        /// The last day a request could be made, from the rule in force.
        window_ends_on: Option<NaiveDate>,
        /// Whether the person faces removal (some are excluded from 17 September 2025).
        #[serde(default)]
        facing_removal: bool,
    },
    ReconsiderationDecided {
        decision: DecisionRef,
        accepted: bool,
        decided_on: NaiveDate,
        reasons: VaultRecordId,
        /// When an RG reconsideration is accepted, the new RG decision's due date.
        #[serde(default)]
        reasonable_grounds_due_on: Option<NaiveDate>,
    },
    Withdrawn {
        on: NaiveDate,
        reason: WithdrawalReason,
    },
    Suspended {
        on: NaiveDate,
        reason: SuspensionReason,
    },
    Resumed {
        on: NaiveDate,
    },
    Closed {
        on: NaiveDate,
        reason: ClosureReason,
    },
    DeadlineStatusChanged {
        deadline: Deadline,
        status: DeadlineStatus,
        due_on: NaiveDate,
        as_of: NaiveDate,
    },
    /// A devolved pilot panel's meeting was convened for the case (`children::panel`).
    PanelConvened(crate::children::panel::PanelConvened),
    /// The papers for a panel meeting were prepared.
    PanelPapersPrepared(crate::children::panel::PanelPapersPrepared),
    /// A panel decided at its meeting; the grounds decision event follows.
    PanelDecided(crate::children::panel::PanelDecided),
    /// An age assessment concluded (`children::age`); a route change may follow.
    AgeAssessed(crate::children::age::AgeAssessed),
    /// The person turned 18 during the case: it moves to the adult route's rules.
    TurnedEighteen(crate::children::adulthood::TurnedEighteen),
    /// The young adult answered the consent-to-support question.
    ConsentToSupportAnswered(crate::children::adulthood::ConsentToSupportAnswered),
    /// A positive RG for a person who had a recovery period on an earlier referral: whether
    /// another is appropriate is for the competent authority (NABA 2022 s62).
    AdditionalRecoveryPeriodQuestioned(crate::person::recovery::AdditionalRecoveryPeriodQuestioned),
    /// The competent authority decided it; a recovery period follows if it is appropriate.
    AdditionalRecoveryPeriodDecided(crate::person::recovery::AdditionalRecoveryPeriodDecided),
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
            Self::RouteChanged { .. } => "route_changed",
            Self::CaseAllocated { .. } => "case_allocated",
            Self::InformationRequested { .. } => "information_requested",
            Self::InformationReceived { .. } => "information_received",
            Self::RecoveryPeriodExtended { .. } => "recovery_period_extended",
            Self::Disqualified { .. } => "disqualified",
            Self::NegativeConclusiveGroundsReviewed { .. } => {
                "negative_conclusive_grounds_reviewed"
            }
            Self::NegativeReasonableGroundsReviewed { .. } => {
                "negative_reasonable_grounds_reviewed"
            }
            Self::DisqualificationReviewed { .. } => "disqualification_reviewed",
            Self::DecisionServed { .. } => "decision_served",
            Self::ReconsiderationRequested { .. } => "reconsideration_requested",
            Self::ReconsiderationDecided { .. } => "reconsideration_decided",
            Self::Withdrawn { .. } => "withdrawn",
            Self::Suspended { .. } => "suspended",
            Self::Resumed { .. } => "resumed",
            Self::Closed { .. } => "closed",
            Self::DeadlineStatusChanged { .. } => "deadline_status_changed",
            Self::PanelConvened(_) => "panel_convened",
            Self::PanelPapersPrepared(_) => "panel_papers_prepared",
            Self::PanelDecided(_) => "panel_decided",
            Self::AgeAssessed(_) => "age_assessed",
            Self::TurnedEighteen(_) => "turned_eighteen",
            Self::ConsentToSupportAnswered(_) => "consent_to_support_answered",
            Self::AdditionalRecoveryPeriodQuestioned(_) => "additional_recovery_period_questioned",
            Self::AdditionalRecoveryPeriodDecided(_) => "additional_recovery_period_decided",
        }
    }
}
