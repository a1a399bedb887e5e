//! Everything that can happen to a person's support episode. Like case events, these carry
//! facts and references only: needs evidence, reasons, notes, the details of a concern and a
//! police reference are vault records named by id.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::event::Outcome;
use crate::geography::UkNation;
use crate::ids::{CaseId, OrganisationId, UserId, VaultRecordId};

use super::accommodation::{Placement, PlacementEndReason};
use super::finance::Posting;
use super::ids::{ConcernId, PlacementId, RnaId};

/// How a person came into support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryRoute {
    /// An adult referral with consent to support.
    ConsentToSupport,
    /// A request before the RG: the person is destitute or at risk tonight.
    EmergencyBeforeReasonableGrounds,
}

impl EntryRoute {
    pub fn code(self) -> &'static str {
        match self {
            Self::ConsentToSupport => "consent_to_support",
            Self::EmergencyBeforeReasonableGrounds => "emergency",
        }
    }
}

/// What the allocated provider gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provision {
    EmergencyAccommodation,
    Accommodation,
    Outreach,
}

impl Provision {
    pub fn code(self) -> &'static str {
        match self {
            Self::EmergencyAccommodation => "emergency_accommodation",
            Self::Accommodation => "accommodation",
            Self::Outreach => "outreach",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::EmergencyAccommodation,
            Self::Accommodation,
            Self::Outreach,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }
}

/// The areas a Recovery Needs Assessment covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedArea {
    Accommodation,
    Health,
    MentalHealth,
    Legal,
    Finance,
    Immigration,
    EducationAndEmployment,
    Safety,
}

impl NeedArea {
    pub const ALL: [Self; 8] = [
        Self::Accommodation,
        Self::Health,
        Self::MentalHealth,
        Self::Legal,
        Self::Finance,
        Self::Immigration,
        Self::EducationAndEmployment,
        Self::Safety,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Accommodation => "accommodation",
            Self::Health => "health",
            Self::MentalHealth => "mental_health",
            Self::Legal => "legal",
            Self::Finance => "finance",
            Self::Immigration => "immigration",
            Self::EducationAndEmployment => "education_and_employment",
            Self::Safety => "safety",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// How far a need is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedLevel {
    /// No ongoing need.
    None,
    /// A need that can be met outside victim support.
    MetElsewhere,
    /// A need only victim support can meet for now.
    Ongoing,
}

impl NeedLevel {
    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::MetElsewhere => "met_elsewhere",
            Self::Ongoing => "ongoing",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::None, Self::MetElsewhere, Self::Ongoing]
            .into_iter()
            .find(|l| l.code() == code)
    }
}

/// One area's assessed need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Need {
    pub area: NeedArea,
    pub level: NeedLevel,
}

/// The Home Office's decision on an RNA's recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RnaDecision {
    Approved,
    Shortened,
    Refused,
}

impl RnaDecision {
    pub fn code(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Shortened => "shortened",
            Self::Refused => "refused",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Approved, Self::Shortened, Self::Refused]
            .into_iter()
            .find(|d| d.code() == code)
    }
}

/// Who takes a transition plan action (no names: the details are in the vault).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionOwner {
    Person,
    SupportWorker,
    LocalAuthority,
    HealthService,
    LegalRepresentative,
    Other,
}

impl ActionOwner {
    pub fn code(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::SupportWorker => "support_worker",
            Self::LocalAuthority => "local_authority",
            Self::HealthService => "health_service",
            Self::LegalRepresentative => "legal_representative",
            Self::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Person,
            Self::SupportWorker,
            Self::LocalAuthority,
            Self::HealthService,
            Self::LegalRepresentative,
            Self::Other,
        ]
        .into_iter()
        .find(|o| o.code() == code)
    }
}

/// One action of a transition plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanAction {
    pub area: NeedArea,
    pub owner: ActionOwner,
    pub due_on: NaiveDate,
}

/// What prompted a safeguarding review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewTrigger {
    Scheduled,
    /// A concern, a move, a decision or another event.
    Event,
}

impl ReviewTrigger {
    pub fn code(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Event => "event",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Scheduled, Self::Event]
            .into_iter()
            .find(|t| t.code() == code)
    }
}

/// The kind of a safeguarding concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcernKind {
    ReTrafficking,
    GoingMissing,
    SelfHarm,
    ExploitationInAccommodation,
    DomesticAbuse,
    Other,
}

impl ConcernKind {
    pub const ALL: [Self; 6] = [
        Self::ReTrafficking,
        Self::GoingMissing,
        Self::SelfHarm,
        Self::ExploitationInAccommodation,
        Self::DomesticAbuse,
        Self::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ReTrafficking => "re_trafficking",
            Self::GoingMissing => "going_missing",
            Self::SelfHarm => "self_harm",
            Self::ExploitationInAccommodation => "exploitation_in_accommodation",
            Self::DomesticAbuse => "domestic_abuse",
            Self::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// How serious a concern is. A high one is escalated to the Home Office at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Low, Self::Medium, Self::High]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// How a concern was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConcernOutcome {
    RiskReduced,
    ReferredToPolice,
    ReferredToLocalAuthority,
    PersonFound,
    NoFurtherAction,
}

impl ConcernOutcome {
    pub fn code(self) -> &'static str {
        match self {
            Self::RiskReduced => "risk_reduced",
            Self::ReferredToPolice => "referred_to_police",
            Self::ReferredToLocalAuthority => "referred_to_local_authority",
            Self::PersonFound => "person_found",
            Self::NoFurtherAction => "no_further_action",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::RiskReduced,
            Self::ReferredToPolice,
            Self::ReferredToLocalAuthority,
            Self::PersonFound,
            Self::NoFurtherAction,
        ]
        .into_iter()
        .find(|o| o.code() == code)
    }
}

/// Why support ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// The period of support (exit after a negative decision, move-on, RNA extension) ended.
    SupportPeriodEnded,
    /// The person moved on into other support or independence before the end.
    MovedOn,
    ConsentWithdrawn,
    LostContact,
    LeftTheUk,
    Other,
}

impl ExitReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::SupportPeriodEnded => "support_period_ended",
            Self::MovedOn => "moved_on",
            Self::ConsentWithdrawn => "consent_withdrawn",
            Self::LostContact => "lost_contact",
            Self::LeftTheUk => "left_the_uk",
            Self::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::SupportPeriodEnded,
            Self::MovedOn,
            Self::ConsentWithdrawn,
            Self::LostContact,
            Self::LeftTheUk,
            Self::Other,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }
}

/// Everything that can happen to a support episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum SupportEvent {
    Referred {
        case_id: Option<CaseId>,
        nation: UkNation,
        route: EntryRoute,
        prime: OrganisationId,
        referred_at: DateTime<Utc>,
        allocation_due_at: DateTime<Utc>,
        rules_version: String,
    },
    Allocated {
        provider: OrganisationId,
        worker: Option<UserId>,
        provision: Provision,
        allocated_at: DateTime<Utc>,
        safeguarding_review_due_on: NaiveDate,
    },
    WorkerAssigned {
        worker: UserId,
    },
    ReasonableGroundsRecorded {
        outcome: Outcome,
        decided_on: NaiveDate,
        /// The last day of support this decision gives, when it gives a fixed one.
        support_until: Option<NaiveDate>,
    },
    ConclusiveGroundsRecorded {
        outcome: Outcome,
        decided_on: NaiveDate,
        support_until: Option<NaiveDate>,
        /// Whether `support_until` is a minimum a Recovery Needs Assessment may extend.
        rna_available: bool,
    },
    RnaRecorded {
        rna: RnaId,
        recorded_on: NaiveDate,
        needs: Vec<Need>,
        recommended_days: u32,
        evidence: VaultRecordId,
        decision_due_on: NaiveDate,
    },
    RnaDecided {
        rna: RnaId,
        decision: RnaDecision,
        days_granted: u32,
        decided_on: NaiveDate,
        reasons: VaultRecordId,
        support_until: Option<NaiveDate>,
        on_reconsideration: bool,
    },
    RnaReconsiderationRequested {
        rna: RnaId,
        requested_on: NaiveDate,
        grounds: VaultRecordId,
        decision_due_on: NaiveDate,
    },
    TransitionPlanRecorded {
        recorded_on: NaiveDate,
        actions: Vec<PlanAction>,
        details: VaultRecordId,
    },
    SafeguardingReviewed {
        reviewed_on: NaiveDate,
        trigger: ReviewTrigger,
        next_due_on: NaiveDate,
        notes: VaultRecordId,
    },
    ConcernRaised {
        concern: ConcernId,
        kind: ConcernKind,
        severity: Severity,
        raised_at: DateTime<Utc>,
        details: VaultRecordId,
    },
    ConcernEscalated {
        concern: ConcernId,
        escalated_at: DateTime<Utc>,
        acknowledgement_due_at: DateTime<Utc>,
    },
    ConcernAcknowledged {
        concern: ConcernId,
        acknowledged_at: DateTime<Utc>,
    },
    ConcernClosed {
        concern: ConcernId,
        closed_at: DateTime<Utc>,
        outcome: ConcernOutcome,
    },
    MissingReported {
        concern: ConcernId,
        reported_at: DateTime<Utc>,
        police_reference: VaultRecordId,
    },
    MissingEnded {
        concern: ConcernId,
        found_at: DateTime<Utc>,
    },
    PlacementStarted(Placement),
    PlacementEnded {
        placement: PlacementId,
        end: NaiveDate,
        reason: PlacementEndReason,
    },
    Posted(Posting),
    Exited {
        exited_on: NaiveDate,
        reason: ExitReason,
        reach_in_eligible: bool,
    },
    ReachInStarted {
        started_on: NaiveDate,
    },
}

impl SupportEvent {
    /// A stable name for the event's kind (stored beside the body, shown on timelines).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Referred { .. } => "referred",
            Self::Allocated { .. } => "allocated",
            Self::WorkerAssigned { .. } => "worker_assigned",
            Self::ReasonableGroundsRecorded { .. } => "reasonable_grounds_recorded",
            Self::ConclusiveGroundsRecorded { .. } => "conclusive_grounds_recorded",
            Self::RnaRecorded { .. } => "rna_recorded",
            Self::RnaDecided { .. } => "rna_decided",
            Self::RnaReconsiderationRequested { .. } => "rna_reconsideration_requested",
            Self::TransitionPlanRecorded { .. } => "transition_plan_recorded",
            Self::SafeguardingReviewed { .. } => "safeguarding_reviewed",
            Self::ConcernRaised { .. } => "concern_raised",
            Self::ConcernEscalated { .. } => "concern_escalated",
            Self::ConcernAcknowledged { .. } => "concern_acknowledged",
            Self::ConcernClosed { .. } => "concern_closed",
            Self::MissingReported { .. } => "missing_reported",
            Self::MissingEnded { .. } => "missing_ended",
            Self::PlacementStarted(_) => "placement_started",
            Self::PlacementEnded { .. } => "placement_ended",
            Self::Posted(_) => "posted",
            Self::Exited { .. } => "exited",
            Self::ReachInStarted { .. } => "reach_in_started",
        }
    }
}
