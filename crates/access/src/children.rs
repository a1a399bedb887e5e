//! The access policy for Independent Child Trafficking Guardians.
//!
//! A guardian (role `guardian` in the guardian service) sees and works only with the children
//! allocated to them: their guardian episode, the case's summary and the child's personal
//! details, and may ask for a negative decision on the child's case to be reconsidered on the
//! child's behalf. The guardian service's manager (`guardian_manager`) sees every episode,
//! allocates and reallocates workers and closes episodes (as the guardian may), but reads the notes of none (need to
//! know: the notes are the worker's record of a child). Nobody else reaches an episode. Answers
//! are [`GuardianCapability`] values only this module makes, which the guardian service
//! requires.

use nrm_domain::Actor;
use nrm_domain::children::guardian::GuardianEpisodeId;
use nrm_domain::ids::{CaseId, UserId};
use serde::{Deserialize, Serialize};

use crate::{CaseCapability, CaseFacts, CaseOperation, Denied, OrganisationKind, Principal, Role};

/// What can be done to a guardian episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardianOperation {
    /// The episode: status, worker, what is due, the timeline (no words).
    Read,
    /// The words: contacts' notes, professionals' names and details, advocacy details.
    ReadNotes,
    /// Contacts, professionals, advocacy, the consent-to-support answer.
    Record,
    /// Allocate or reallocate a worker.
    Allocate,
    /// Close the episode.
    Close,
}

impl GuardianOperation {
    pub const ALL: [Self; 5] = [
        Self::Read,
        Self::ReadNotes,
        Self::Record,
        Self::Allocate,
        Self::Close,
    ];

    /// A stable name for audit entries.
    pub fn code(self) -> &'static str {
        match self {
            Self::Read => "guardian_read",
            Self::ReadNotes => "guardian_read_notes",
            Self::Record => "guardian_record",
            Self::Allocate => "guardian_allocate",
            Self::Close => "guardian_close",
        }
    }
}

/// What can be done without an episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardianServiceOperation {
    /// List the episodes in scope (a caseload, what is due).
    ListEpisodes,
    /// List the guardian service's workers (to allocate).
    ListWorkers,
    /// Run the daily age review (turning 18) over every open episode.
    ReviewAges,
}

impl GuardianServiceOperation {
    pub const ALL: [Self; 3] = [Self::ListEpisodes, Self::ListWorkers, Self::ReviewAges];

    pub fn code(self) -> &'static str {
        match self {
            Self::ListEpisodes => "guardian_list",
            Self::ListWorkers => "guardian_list_workers",
            Self::ReviewAges => "guardian_review_ages",
        }
    }
}

/// The facts about an episode access depends on (from its summary; no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianFacts {
    pub episode: GuardianEpisodeId,
    pub case_id: CaseId,
    /// The worker allocated now.
    pub worker: Option<UserId>,
    pub open: bool,
}

/// Which episodes a caller's lists are limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardianScope {
    /// The guardian service's manager: every episode.
    Everything,
    /// A guardian: the episodes allocated to them.
    Worker(UserId),
    Nothing,
}

/// Permission to do one operation to one episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianCapability {
    episode: GuardianEpisodeId,
    operation: GuardianOperation,
    actor: Actor,
}

impl GuardianCapability {
    pub fn episode(&self) -> GuardianEpisodeId {
        self.episode
    }

    pub fn operation(&self) -> GuardianOperation {
        self.operation
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// Whether this capability covers `operation` (the service checks again: fail closed).
    pub fn permits(&self, operation: GuardianOperation) -> bool {
        self.operation == operation
    }
}

/// Permission for a guardian operation without an episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianServiceCapability {
    operation: GuardianServiceOperation,
    actor: Actor,
    scope: GuardianScope,
}

impl GuardianServiceCapability {
    pub fn operation(&self) -> GuardianServiceOperation {
        self.operation
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub fn scope(&self) -> &GuardianScope {
        &self.scope
    }
}

/// The guardian scope of `p`, from the strongest role they hold.
pub fn guardian_scope(p: &Principal) -> GuardianScope {
    if p.token_scopes.is_some() || p.organisation_kind != OrganisationKind::GuardianService {
        return GuardianScope::Nothing;
    }
    if p.has(Role::GuardianManager) {
        GuardianScope::Everything
    } else if p.has(Role::Guardian) {
        GuardianScope::Worker(p.actor.user)
    } else {
        GuardianScope::Nothing
    }
}

/// Whether the episode is in `scope`.
pub fn episode_in_scope(scope: &GuardianScope, e: &GuardianFacts) -> bool {
    match scope {
        GuardianScope::Everything => true,
        GuardianScope::Worker(user) => e.worker == Some(*user),
        GuardianScope::Nothing => false,
    }
}

/// Whether `p` may do `operation` to the episode.
pub fn authorise_guardian(
    p: &Principal,
    operation: GuardianOperation,
    e: &GuardianFacts,
) -> Result<GuardianCapability, Denied> {
    use GuardianOperation as O;
    let scope = guardian_scope(p);
    let in_scope = episode_in_scope(&scope, e);
    let manager = in_scope && scope == GuardianScope::Everything;
    let worker = in_scope && matches!(scope, GuardianScope::Worker(_));
    let allowed = match operation {
        O::Read => manager || worker,
        O::ReadNotes | O::Record => worker,
        O::Allocate => manager,
        // The guardian knows when a child returns home or goes missing; the manager closes too.
        O::Close => manager || worker,
    };
    if allowed {
        Ok(GuardianCapability {
            episode: e.episode,
            operation,
            actor: p.actor,
        })
    } else {
        Err(Denied)
    }
}

/// Whether `p` may do `operation` (no episode involved).
pub fn authorise_guardian_service(
    p: &Principal,
    operation: GuardianServiceOperation,
) -> Result<GuardianServiceCapability, Denied> {
    use GuardianServiceOperation as O;
    let scope = guardian_scope(p);
    let allowed = match operation {
        O::ListEpisodes => scope != GuardianScope::Nothing,
        O::ListWorkers => scope == GuardianScope::Everything,
        // The operator's shell (the daily sweep) or the service's manager.
        O::ReviewAges => {
            scope == GuardianScope::Everything
                || p.token_scopes.is_none()
                    && p.has(Role::Administrator)
                    && p.organisation_kind == OrganisationKind::Administrators
        }
    };
    if allowed {
        Ok(GuardianServiceCapability {
            operation,
            actor: p.actor,
            scope,
        })
    } else {
        Err(Denied)
    }
}

/// What a child's allocated guardian may do to the child's case: read its summary and the
/// child's personal details, and ask for a negative decision to be reconsidered on the child's
/// behalf. Only while the episode is open and allocated to them, and only for the episode's own
/// case.
pub fn authorise_case_for_guardian(
    p: &Principal,
    operation: CaseOperation,
    e: &GuardianFacts,
    case: &CaseFacts,
) -> Result<CaseCapability, Denied> {
    let allocated = guardian_scope(p) == GuardianScope::Worker(p.actor.user)
        && e.worker == Some(p.actor.user)
        && e.open
        && e.case_id == case.case_id
        && !case.duty_to_notify;
    let allowed = allocated
        && matches!(
            operation,
            CaseOperation::Read
                | CaseOperation::ReadPersonalDetails
                | CaseOperation::RequestReconsideration
        );
    if allowed {
        Ok(CaseCapability {
            case_id: case.case_id,
            operation,
            actor: p.actor,
        })
    } else {
        Err(Denied)
    }
}
