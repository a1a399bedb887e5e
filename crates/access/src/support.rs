//! The access policy for victim support: who may see and do what to a person's support episode,
//! to accommodation and to payments.
//!
//! A support provider sees only the people it supports (the prime contractor every episode
//! referred to it, a subcontractor those allocated to it) and only what support needs: never a
//! decision's reasons, which stay behind the case policy. Inside a provider a support worker
//! works with the people allocated to them; the provider's support manager with all of them. The
//! Home Office's contract managers see every episode's support record and the concerns escalated
//! to them, decide Recovery Needs Assessments and inspect accommodation, but not the safeguarding
//! notes a provider has not escalated. A decision maker who may read the case sees that support
//! exists and its status, and the concerns escalated, nothing else. Answers are
//! [`SupportCapability`] values only this module makes, which the support service requires.

use nrm_domain::Actor;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::support::EpisodeId;
use serde::{Deserialize, Serialize};

use crate::{CaseFacts, CaseOperation, Denied, OrganisationKind, Principal, Role, authorise_case};

/// What can be done to a support episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportOperation {
    /// That support exists, its status and provider: no details.
    ReadStatus,
    /// The support record: allocation, clocks, placements, RNAs, transition plan, payments.
    ReadSupport,
    /// Every safeguarding review and concern with its notes (special-category data).
    ReadSafeguarding,
    /// The concerns escalated to the Home Office, with their details.
    ReadEscalatedConcerns,
    /// Allocate a referral to a subcontractor (the prime contractor's manager).
    Allocate,
    /// Record support work: decisions' outcomes, RNAs, transition plans, reviews, concerns,
    /// placements, exit.
    Record,
    /// Post what is due and record payments and adjustments.
    Pay,
    /// The Home Office's decision on an RNA (and on its reconsideration).
    DecideRna,
    /// The Home Office's acknowledgement of an escalated concern.
    AcknowledgeConcern,
}

impl SupportOperation {
    pub const ALL: [Self; 9] = [
        Self::ReadStatus,
        Self::ReadSupport,
        Self::ReadSafeguarding,
        Self::ReadEscalatedConcerns,
        Self::Allocate,
        Self::Record,
        Self::Pay,
        Self::DecideRna,
        Self::AcknowledgeConcern,
    ];

    /// A stable name for audit entries.
    pub fn code(self) -> &'static str {
        match self {
            Self::ReadStatus => "support_read_status",
            Self::ReadSupport => "support_read",
            Self::ReadSafeguarding => "support_read_safeguarding",
            Self::ReadEscalatedConcerns => "support_read_escalated",
            Self::Allocate => "support_allocate",
            Self::Record => "support_record",
            Self::Pay => "support_pay",
            Self::DecideRna => "support_decide_rna",
            Self::AcknowledgeConcern => "support_acknowledge",
        }
    }
}

/// What can be done without an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportServiceOperation {
    /// Refer a person to the prime contractor (a First Responder for a case they referred is
    /// checked on the case; an emergency request comes to the prime's manager or worker).
    Refer,
    /// List the episodes in scope (a caseload, what is due, concerns open).
    ListEpisodes,
    /// Register accommodation and end or change it (a provider's manager, for its own).
    ManageAccommodation,
    /// See accommodation, occupancy and inspections.
    ReadAccommodation,
    /// Record inspections and their actions (contract managers).
    Inspect,
    /// Mark an inspection's action completed (the provider's manager).
    CompleteActions,
    /// A provider's payments statement.
    ReadStatement,
}

impl SupportServiceOperation {
    pub const ALL: [Self; 7] = [
        Self::Refer,
        Self::ListEpisodes,
        Self::ManageAccommodation,
        Self::ReadAccommodation,
        Self::Inspect,
        Self::CompleteActions,
        Self::ReadStatement,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Refer => "support_refer",
            Self::ListEpisodes => "support_list",
            Self::ManageAccommodation => "support_manage_accommodation",
            Self::ReadAccommodation => "support_read_accommodation",
            Self::Inspect => "support_inspect",
            Self::CompleteActions => "support_complete_actions",
            Self::ReadStatement => "support_read_statement",
        }
    }
}

/// The facts about an episode access depends on (from its summary; no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeFacts {
    pub episode: EpisodeId,
    /// The prime contractor the person was referred to.
    pub prime: OrganisationId,
    /// The subcontractor it was allocated to.
    pub provider: Option<OrganisationId>,
    pub worker: Option<UserId>,
    /// The case the episode follows, when there is one (an emergency referral has none yet).
    pub case: Option<CaseFacts>,
}

/// Permission to do one operation to one episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportCapability {
    episode: EpisodeId,
    operation: SupportOperation,
    actor: Actor,
}

impl SupportCapability {
    pub fn episode(&self) -> EpisodeId {
        self.episode
    }

    pub fn operation(&self) -> SupportOperation {
        self.operation
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// Whether this capability covers `operation` (the service checks again: fail closed).
    pub fn permits(&self, operation: SupportOperation) -> bool {
        self.operation == operation
    }
}

/// Permission for a support operation without an episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportServiceCapability {
    operation: SupportServiceOperation,
    actor: Actor,
    scope: SupportScope,
}

impl SupportServiceCapability {
    pub fn operation(&self) -> SupportServiceOperation {
        self.operation
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// Which episodes, accommodation and statements the caller's lists are limited to.
    pub fn scope(&self) -> &SupportScope {
        &self.scope
    }
}

/// Which episodes, accommodation and statements a caller's lists are limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupportScope {
    /// Contract managers: every provider.
    Everything,
    /// A provider's manager: episodes referred (prime) or allocated to the organisation, its
    /// own accommodation and statement.
    Provider(OrganisationId),
    /// A support worker: the episodes allocated to them, their organisation's accommodation.
    Worker {
        organisation: OrganisationId,
        user: UserId,
    },
    Nothing,
}

fn is(p: &Principal, kind: &OrganisationKind, role: Role) -> bool {
    p.organisation_kind == *kind && p.has(role)
}

/// The support scope of `p`, from the strongest role they hold.
pub fn support_scope(p: &Principal) -> SupportScope {
    if p.token_scopes.is_some() {
        return SupportScope::Nothing;
    }
    if is(
        p,
        &OrganisationKind::ContractManagement,
        Role::ContractManager,
    ) {
        SupportScope::Everything
    } else if is(p, &OrganisationKind::SupportProvider, Role::SupportManager) {
        SupportScope::Provider(p.actor.organisation)
    } else if is(
        p,
        &OrganisationKind::SupportProvider,
        Role::SupportProviderWorker,
    ) {
        SupportScope::Worker {
            organisation: p.actor.organisation,
            user: p.actor.user,
        }
    } else {
        SupportScope::Nothing
    }
}

/// Whether an episode is within `scope`.
pub fn episode_in_scope(scope: &SupportScope, e: &EpisodeFacts) -> bool {
    match scope {
        SupportScope::Everything => true,
        SupportScope::Provider(org) => e.prime == *org || e.provider == Some(*org),
        SupportScope::Worker { organisation, user } => {
            e.provider == Some(*organisation) && e.worker == Some(*user)
        }
        SupportScope::Nothing => false,
    }
}

/// Whether `p` may do `operation` to the episode.
pub fn authorise_support(
    p: &Principal,
    operation: SupportOperation,
    e: &EpisodeFacts,
) -> Result<SupportCapability, Denied> {
    use SupportOperation as O;
    let scope = support_scope(p);
    let in_scope = episode_in_scope(&scope, e);
    let contract = in_scope && scope == SupportScope::Everything;
    let manager = in_scope && matches!(scope, SupportScope::Provider(_));
    let prime_manager = manager && e.prime == p.actor.organisation;
    let provider_manager = manager && e.provider == Some(p.actor.organisation);
    let worker = in_scope && matches!(scope, SupportScope::Worker { .. });
    // A decision maker who may read the case sees the status and escalations only.
    let decider = p.token_scopes.is_none()
        && matches!(
            p.organisation_kind,
            OrganisationKind::CompetentAuthority { .. }
        )
        && (p.has(Role::DecisionMaker) || p.has(Role::CaManager))
        && e.case
            .as_ref()
            .is_some_and(|c| authorise_case(p, CaseOperation::Read, c).is_ok());
    let allowed = match operation {
        O::ReadStatus => contract || manager || worker || decider,
        O::ReadSupport => contract || manager || worker,
        O::ReadSafeguarding => manager || worker,
        O::ReadEscalatedConcerns => contract || manager || worker || decider,
        O::Allocate => prime_manager,
        O::Record => provider_manager || worker,
        O::Pay => provider_manager,
        O::DecideRna | O::AcknowledgeConcern => contract,
    };
    if allowed {
        Ok(SupportCapability {
            episode: e.episode,
            operation,
            actor: p.actor,
        })
    } else {
        Err(Denied)
    }
}

/// Whether `p` may do `operation` (no episode involved).
pub fn authorise_support_service(
    p: &Principal,
    operation: SupportServiceOperation,
) -> Result<SupportServiceCapability, Denied> {
    use SupportServiceOperation as O;
    let scope = support_scope(p);
    let allowed = match operation {
        O::Refer => matches!(
            scope,
            SupportScope::Provider(_) | SupportScope::Worker { .. }
        ),
        O::ListEpisodes | O::ReadAccommodation => scope != SupportScope::Nothing,
        O::ManageAccommodation | O::CompleteActions => {
            matches!(scope, SupportScope::Provider(_))
        }
        O::Inspect => scope == SupportScope::Everything,
        O::ReadStatement => matches!(scope, SupportScope::Everything | SupportScope::Provider(_)),
    };
    if allowed {
        Ok(SupportServiceCapability {
            operation,
            actor: p.actor,
            scope,
        })
    } else {
        Err(Denied)
    }
}

/// Whether the scope covers an organisation's accommodation and statement.
pub fn organisation_in_scope(scope: &SupportScope, organisation: OrganisationId) -> bool {
    match scope {
        SupportScope::Everything => true,
        SupportScope::Provider(org) => *org == organisation,
        SupportScope::Worker {
            organisation: org, ..
        } => *org == organisation,
        SupportScope::Nothing => false,
    }
}
