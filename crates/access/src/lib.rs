//! The one access policy. Every decision about whether a caller may see or do something to a
//! case is made here, from the caller's roles and organisation and the case's facts, and
//! nowhere else.
//!
//! A yes is a [`CaseCapability`]: a value only this crate can construct, which the case
//! services require as an argument. A handler that forgot to ask cannot call them: the code
//! would not compile. A no is [`Denied`], which callers turn into "not found" so a denial
//! reveals nothing about whether the case exists.
//!
//! Who may do what (design decision 9): a First Responder sees the referrals of their own
//! organisation, and the personal details only of those they made themselves (need to know); a
//! referral manager in a First Responder Organisation follows up every referral it made, with
//! personal details; decision makers see cases of their competent authority (only those allocated
//! to them where their access is so limited); local-authority panel members see children's
//! cases routed to their pilot panel; assurance panel members see cases awaiting their review,
//! with what the review needs (names, account, reasons) but not addresses or contact details;
//! analysts see case summaries without personal details; support providers' staff and the Home
//! Office's contract managers reach people through their support episodes ([`support`]), never
//! through the case file; guardians see only children allocated to them, through their guardian
//! episodes ([`children`]); administrators manage the service, not cases. Nobody reviews their own
//! decision (enforced by the domain).

use nrm_domain::Actor;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::submission::AgeGroup;
use serde::{Deserialize, Serialize};

pub mod children;
pub mod panels;
pub mod reconsideration;
pub mod support;

/// What a user may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    FirstResponder,
    /// A First Responder Organisation's lead for its referrals (a modern slavery single point of
    /// contact): follows up every referral the organisation made, with personal details.
    ReferralManager,
    FroAdministrator,
    DecisionMaker,
    CaManager,
    PanelMember,
    LocalAuthorityPanelMember,
    /// A support worker in a support provider (the prime contractor or a subcontractor): works
    /// with the people allocated to them.
    SupportProviderWorker,
    /// A support provider's manager: allocates referrals (at the prime contractor), oversees
    /// every person the organisation supports, records payments.
    SupportManager,
    /// A Home Office contract manager for the victim care contract: decides Recovery Needs
    /// Assessments, acknowledges escalated concerns, inspects accommodation.
    ContractManager,
    Guardian,
    Analyst,
    Administrator,
    /// The guardian service's manager: allocates children to guardians, oversees every episode,
    /// closes them.
    GuardianManager,
}

impl Role {
    pub const ALL: [Self; 14] = [
        Self::FirstResponder,
        Self::ReferralManager,
        Self::FroAdministrator,
        Self::DecisionMaker,
        Self::CaManager,
        Self::PanelMember,
        Self::LocalAuthorityPanelMember,
        Self::SupportProviderWorker,
        Self::SupportManager,
        Self::ContractManager,
        Self::Guardian,
        Self::Analyst,
        Self::Administrator,
        Self::GuardianManager,
    ];
}

/// The kind of organisation a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OrganisationKind {
    FirstResponderOrganisation,
    /// The SCA or the IECA.
    CompetentAuthority {
        authority: CompetentAuthority,
    },
    /// A local authority; `pilot_site` when it runs a devolved decision panel.
    LocalAuthority {
        pilot_site: Option<String>,
    },
    SupportProvider,
    /// The Home Office's management of the victim care contract.
    ContractManagement,
    GuardianService,
    AssurancePanel,
    Analysts,
    Administrators,
}

impl OrganisationKind {
    /// A short code: `first_responder_organisation`, `sca`, `ieca`, `local_authority`,
    /// `local_authority:<pilot site>`, `support_provider`, `contract_management`, `guardian_service`,
    /// `assurance_panel`, `analysts` or `administrators`.
    pub fn code(&self) -> String {
        match self {
            Self::FirstResponderOrganisation => "first_responder_organisation".to_owned(),
            Self::CompetentAuthority { authority } => authority.as_str().to_owned(),
            Self::LocalAuthority { pilot_site: None } => "local_authority".to_owned(),
            Self::LocalAuthority {
                pilot_site: Some(site),
            } => format!("local_authority:{site}"),
            Self::SupportProvider => "support_provider".to_owned(),
            Self::ContractManagement => "contract_management".to_owned(),
            Self::GuardianService => "guardian_service".to_owned(),
            Self::AssurancePanel => "assurance_panel".to_owned(),
            Self::Analysts => "analysts".to_owned(),
            Self::Administrators => "administrators".to_owned(),
        }
    }

    /// Reads a code written by [`OrganisationKind::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Some(match code.trim() {
            "first_responder_organisation" => Self::FirstResponderOrganisation,
            "sca" => Self::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            "ieca" => Self::CompetentAuthority {
                authority: CompetentAuthority::Ieca,
            },
            "local_authority" => Self::LocalAuthority { pilot_site: None },
            "support_provider" => Self::SupportProvider,
            "contract_management" => Self::ContractManagement,
            "guardian_service" => Self::GuardianService,
            "assurance_panel" => Self::AssurancePanel,
            "analysts" => Self::Analysts,
            "administrators" => Self::Administrators,
            other => Self::LocalAuthority {
                pilot_site: Some(
                    other
                        .strip_prefix("local_authority:")
                        .filter(|s| !s.is_empty())?
                        .to_owned(),
                ),
            },
        })
    }
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Self::FirstResponder => "first_responder",
            Self::ReferralManager => "referral_manager",
            Self::FroAdministrator => "fro_administrator",
            Self::DecisionMaker => "decision_maker",
            Self::CaManager => "ca_manager",
            Self::PanelMember => "panel_member",
            Self::LocalAuthorityPanelMember => "local_authority_panel_member",
            Self::SupportProviderWorker => "support_provider_worker",
            Self::SupportManager => "support_manager",
            Self::ContractManager => "contract_manager",
            Self::Guardian => "guardian",
            Self::Analyst => "analyst",
            Self::Administrator => "administrator",
            Self::GuardianManager => "guardian_manager",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code.trim())
    }
}

/// The signed-in caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub actor: Actor,
    pub organisation_kind: OrganisationKind,
    pub roles: Vec<Role>,
    /// A decision maker who may only see cases allocated to them.
    pub allocated_cases_only: bool,
    /// For an API client (a token, not a person): the only operations it may do. Tokens touch
    /// no case directly.
    pub token_scopes: Option<Vec<Operation>>,
    /// When the person signed in (for a session): privileged operations need a recent sign-in.
    pub authenticated_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Principal {
    /// The service itself, acting from the shell (`nrm org|user|token`, the demo, the
    /// benchmarks): an administrator of the administrators' organisation, as [`Actor::SYSTEM`].
    /// It is asked for capabilities like anyone else; only code with the shell's access to the
    /// database and keys runs as it.
    pub fn system() -> Self {
        Self {
            actor: Actor::SYSTEM,
            organisation_kind: OrganisationKind::Administrators,
            roles: vec![Role::Administrator],
            allocated_cases_only: false,
            token_scopes: None,
            authenticated_at: None,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The facts about a case that access depends on (from its summary; no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub case_id: CaseId,
    pub referring_organisation: OrganisationId,
    pub duty_to_notify: bool,
    pub competent_authority: Option<CompetentAuthority>,
    pub pilot_site: Option<String>,
    pub age_group: Option<AgeGroup>,
    pub allocated_to: Option<UserId>,
    pub review_pending: bool,
    /// The person who made the referral (`None` for an API client's submission).
    pub referred_by: Option<UserId>,
}

/// What can be done to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseOperation {
    /// The case summary and timeline, without personal details.
    Read,
    /// The decrypted personal details (names, date of birth, nationality, languages, the
    /// account) and written reasons: what a decision or its review needs.
    ReadPersonalDetails,
    /// Where the person is and how to reach them: their current address and contact details.
    ReadContactDetails,
    ReadAccessHistory,
    ReadNotices,
    /// Reasonable Grounds and Conclusive Grounds decisions, disqualification.
    Decide,
    /// Review of a negative Conclusive Grounds decision.
    Review,
    /// Service, information requests, recovery extensions, reconsideration decisions,
    /// withdrawal, suspension, resumption, closure.
    Manage,
    /// Routing to another competent authority and allocation to a decision maker.
    Reroute,
    Allocate,
    /// Ask for a negative decision to be reconsidered (the referrer), or record such a request
    /// received directly (the deciding authority).
    RequestReconsideration,
}

impl CaseOperation {
    /// A stable name for audit entries.
    pub fn code(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::ReadPersonalDetails => "read_personal_details",
            Self::ReadContactDetails => "read_contact_details",
            Self::ReadAccessHistory => "read_access_history",
            Self::ReadNotices => "read_notices",
            Self::Decide => "decide",
            Self::Review => "review",
            Self::Manage => "manage",
            Self::Reroute => "reroute",
            Self::Allocate => "allocate",
            Self::RequestReconsideration => "request_reconsideration",
        }
    }

    pub const ALL: [Self; 11] = [
        Self::Read,
        Self::ReadPersonalDetails,
        Self::ReadContactDetails,
        Self::ReadAccessHistory,
        Self::ReadNotices,
        Self::Decide,
        Self::Review,
        Self::Manage,
        Self::Reroute,
        Self::Allocate,
        Self::RequestReconsideration,
    ];
}

/// What can be done without a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    SubmitReferral,
    SubmitDutyToNotify,
    ListCases,
    ReadRulebook,
    RunDeadlineSweep,
    /// Register and list organisations.
    ManageOrganisations,
    /// Create, disable and change the roles of accounts (administrators for any organisation;
    /// FRO administrators for their own).
    ManageUsers,
    /// See a competent authority team's caseloads and allocate cases in bulk (its managers).
    AllocateCases,
    /// The official statistics tables (analysts): counts only, never a case.
    ReadStatistics,
    /// Import cases from the legacy system with their own dates (`nrm import`, and the API for
    /// a system-to-system client whose token has the `import` scope). Never a person's session.
    ImportLegacyCases,
    /// The service's own figures at `/metrics` (queue depths, pool use, sweeps): counts only,
    /// for administrators and the monitoring client's token (scope `read_service_metrics`).
    ReadServiceMetrics,
    /// Retention: see what falls due, place and lift legal holds, run erasure (the service's
    /// administrators, acting for the data protection officer).
    ManageRetention,
    /// Subject access: export everything held about one person (the data protection officer,
    /// an administrator of the service's administrators).
    SubjectAccess,
    /// The queue of possible earlier referrals: confirm (join) or reject a match, and split a
    /// person's referrals (a competent authority's decision makers and managers).
    ReviewPersonMatches,
    /// A person's history across referrals, and the re-referral flag on a case (the same).
    ReadPersonHistory,
    /// Re-run linkage over every stored referral (`nrm link rebuild`: the operator's shell).
    RebuildPersonLinks,
    /// The Single Competent Authority's queue of devolved pilot panels' decisions held for its
    /// quality assurance (`panels`).
    AssurePilotDecisions,
    /// Take the First Responder training course and see one's own completion record (anyone
    /// in a First Responder Organisation, in person: never an API token).
    TakeTraining,
    /// See who in one's own organisation has completed the First Responder training, and when
    /// (FRO administrators; the service's administrators for any organisation).
    ReadTrainingRecords,
    /// Create, list and revoke the API tokens of one's own First Responder Organisation, with
    /// only the scopes [`FRO_TOKEN_SCOPES`] (FRO administrators, in person). The service's
    /// administrators manage every organisation's tokens with [`Self::ManageOrganisations`].
    ManageApiTokens,
}

/// The scopes an FRO administrator may give their own organisation's API tokens: referring
/// and reading the rulebook, nothing that reads cases or changes who may do what.
pub const FRO_TOKEN_SCOPES: [Operation; 3] = [
    Operation::SubmitReferral,
    Operation::SubmitDutyToNotify,
    Operation::ReadRulebook,
];

impl Operation {
    pub fn code(self) -> &'static str {
        match self {
            Self::SubmitReferral => "submit_referral",
            Self::SubmitDutyToNotify => "submit_duty_to_notify",
            Self::ListCases => "list_cases",
            Self::ReadRulebook => "read_rulebook",
            Self::RunDeadlineSweep => "run_deadline_sweep",
            Self::ManageOrganisations => "manage_organisations",
            Self::ManageUsers => "manage_users",
            Self::AllocateCases => "allocate_cases",
            Self::ReadStatistics => "read_statistics",
            Self::ImportLegacyCases => "import",
            Self::ReadServiceMetrics => "read_service_metrics",
            Self::ManageRetention => "manage_retention",
            Self::SubjectAccess => "subject_access",
            Self::ReviewPersonMatches => "review_person_matches",
            Self::ReadPersonHistory => "read_person_history",
            Self::RebuildPersonLinks => "rebuild_person_links",
            Self::AssurePilotDecisions => "assure_pilot_decisions",
            Self::TakeTraining => "take_training",
            Self::ReadTrainingRecords => "read_training_records",
            Self::ManageApiTokens => "manage_api_tokens",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code.trim())
    }

    pub const ALL: [Self; 20] = [
        Self::SubmitReferral,
        Self::SubmitDutyToNotify,
        Self::ListCases,
        Self::ReadRulebook,
        Self::RunDeadlineSweep,
        Self::ManageOrganisations,
        Self::ManageUsers,
        Self::AllocateCases,
        Self::ReadStatistics,
        Self::ImportLegacyCases,
        Self::ReadServiceMetrics,
        Self::ManageRetention,
        Self::SubjectAccess,
        Self::ReviewPersonMatches,
        Self::ReadPersonHistory,
        Self::RebuildPersonLinks,
        Self::AssurePilotDecisions,
        Self::TakeTraining,
        Self::ReadTrainingRecords,
        Self::ManageApiTokens,
    ];
}

/// The caller may not do this. Callers answer "not found" for case operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied;

/// Permission to do `operation` to one case, for one caller. Only [`authorise_case`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseCapability {
    case_id: CaseId,
    operation: CaseOperation,
    actor: Actor,
}

impl CaseCapability {
    pub fn case_id(&self) -> CaseId {
        self.case_id
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub fn operation(&self) -> CaseOperation {
        self.operation
    }

    /// Whether this capability covers `operation` (services check it again: fail closed).
    pub fn permits(&self, operation: CaseOperation) -> bool {
        self.operation == operation
    }
}

/// Permission for an operation without a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    operation: Operation,
    actor: Actor,
}

impl Capability {
    pub fn actor(&self) -> Actor {
        self.actor
    }

    pub fn operation(&self) -> Operation {
        self.operation
    }
}

/// Which cases a caller's lists are limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    Everything,
    ReferredBy(OrganisationId),
    CompetentAuthority {
        authority: CompetentAuthority,
        allocated_to: Option<UserId>,
    },
    PilotPanel(String),
    AwaitingReview,
    Nothing,
}

/// Whether `p` may do `operation` (no case involved).
pub fn authorise(p: &Principal, operation: Operation) -> Result<Capability, Denied> {
    use Operation as O;
    if p.token_scopes
        .as_ref()
        .is_some_and(|scopes| !scopes.contains(&operation))
    {
        return Err(Denied);
    }
    let allowed = match operation {
        O::SubmitReferral | O::SubmitDutyToNotify => {
            p.has(Role::FirstResponder)
                && p.organisation_kind == OrganisationKind::FirstResponderOrganisation
        }
        O::ListCases => list_scope(p) != ListScope::Nothing,
        O::ReadRulebook => !p.roles.is_empty(),
        O::RunDeadlineSweep => p.has(Role::Administrator) || p.has(Role::CaManager),
        O::ManageOrganisations => {
            p.has(Role::Administrator) && p.organisation_kind == OrganisationKind::Administrators
        }
        O::ManageUsers => {
            p.has(Role::Administrator) && p.organisation_kind == OrganisationKind::Administrators
                || p.has(Role::FroAdministrator)
                    && p.organisation_kind == OrganisationKind::FirstResponderOrganisation
        }
        O::AllocateCases => {
            p.has(Role::CaManager)
                && matches!(
                    p.organisation_kind,
                    OrganisationKind::CompetentAuthority { .. }
                )
        }
        O::ReadStatistics => {
            p.has(Role::Analyst) && p.organisation_kind == OrganisationKind::Analysts
        }
        // Only a system client (an API token with the `import` scope, or the operator's shell
        // acting as one): the legacy import writes whole case histories at once.
        O::ImportLegacyCases => {
            p.token_scopes.is_some()
                && p.has(Role::Administrator)
                && p.organisation_kind == OrganisationKind::Administrators
        }
        O::ReadServiceMetrics => {
            p.has(Role::Administrator) && p.organisation_kind == OrganisationKind::Administrators
        }
        // The data protection officer's work: a person's session in the service's
        // administrators (or the operator's shell), never an API token.
        O::ManageRetention | O::SubjectAccess => {
            p.token_scopes.is_none()
                && p.has(Role::Administrator)
                && p.organisation_kind == OrganisationKind::Administrators
        }
        // A person's referrals span competent authorities and referrers: decision makers and
        // their managers (not limited to allocated cases: they review matches and see who was
        // referred before), never a First Responder, a panel or an API client.
        O::ReviewPersonMatches | O::ReadPersonHistory => {
            p.token_scopes.is_none()
                && matches!(
                    p.organisation_kind,
                    OrganisationKind::CompetentAuthority { .. }
                )
                && (p.has(Role::CaManager) || p.has(Role::DecisionMaker) && !p.allocated_cases_only)
        }
        O::RebuildPersonLinks => {
            p.token_scopes.is_none()
                && p.has(Role::Administrator)
                && p.organisation_kind == OrganisationKind::Administrators
        }
        O::AssurePilotDecisions => panels::sca_assurer(p),
        O::TakeTraining => {
            p.token_scopes.is_none()
                && p.organisation_kind == OrganisationKind::FirstResponderOrganisation
                && (p.has(Role::FirstResponder)
                    || p.has(Role::ReferralManager)
                    || p.has(Role::FroAdministrator))
        }
        O::ManageApiTokens => {
            p.token_scopes.is_none()
                && p.has(Role::FroAdministrator)
                && p.organisation_kind == OrganisationKind::FirstResponderOrganisation
        }
        O::ReadTrainingRecords => {
            p.token_scopes.is_none()
                && (p.has(Role::FroAdministrator)
                    && p.organisation_kind == OrganisationKind::FirstResponderOrganisation
                    || p.has(Role::Administrator)
                        && p.organisation_kind == OrganisationKind::Administrators)
        }
    };
    if allowed {
        Ok(Capability {
            operation,
            actor: p.actor,
        })
    } else {
        Err(Denied)
    }
}

/// How recent a sign-in must be for privileged operations (ASVS 7.5.3).
pub const PRIVILEGED_WINDOW_MINUTES: i64 = 10;

/// Whether `operation` is privileged: it changes who may do what.
pub fn is_privileged(operation: Operation) -> bool {
    matches!(
        operation,
        Operation::ManageUsers
            | Operation::ManageOrganisations
            | Operation::ManageApiTokens
            | Operation::ManageRetention
            | Operation::SubjectAccess
    )
}

/// Whether `p` signed in recently enough at `now` for a privileged operation. Development
/// sign-in (no session) is not subject to the window.
pub fn recent_enough(p: &Principal, now: chrono::DateTime<chrono::Utc>) -> bool {
    p.authenticated_at
        .is_none_or(|at| now - at <= chrono::Duration::minutes(PRIVILEGED_WINDOW_MINUTES))
}

/// Whether `p` (holding [`Operation::ManageUsers`]) may manage an account in `organisation`
/// with `roles`: administrators any; FRO administrators only First Responders and FRO
/// administrators of their own organisation.
pub fn may_manage_account(p: &Principal, organisation: OrganisationId, roles: &[Role]) -> bool {
    if p.token_scopes.is_some() {
        return false;
    }
    if p.has(Role::Administrator) && p.organisation_kind == OrganisationKind::Administrators {
        return true;
    }
    p.has(Role::FroAdministrator)
        && p.organisation_kind == OrganisationKind::FirstResponderOrganisation
        && organisation == p.actor.organisation
        && roles.iter().all(|r| {
            matches!(
                r,
                Role::FirstResponder | Role::ReferralManager | Role::FroAdministrator
            )
        })
}

/// Whether `p` (holding [`Operation::ReadTrainingRecords`]) may see the training records of
/// `organisation`: administrators any; FRO administrators only their own.
pub fn may_read_training_records(p: &Principal, organisation: OrganisationId) -> bool {
    if p.token_scopes.is_some() {
        return false;
    }
    p.has(Role::Administrator) && p.organisation_kind == OrganisationKind::Administrators
        || p.has(Role::FroAdministrator)
            && p.organisation_kind == OrganisationKind::FirstResponderOrganisation
            && organisation == p.actor.organisation
}

/// The cases `p` may list, from the strongest role they hold.
pub fn list_scope(p: &Principal) -> ListScope {
    match &p.organisation_kind {
        OrganisationKind::CompetentAuthority { authority } if p.has(Role::CaManager) => {
            ListScope::CompetentAuthority {
                authority: *authority,
                allocated_to: None,
            }
        }
        OrganisationKind::CompetentAuthority { authority } if p.has(Role::DecisionMaker) => {
            ListScope::CompetentAuthority {
                authority: *authority,
                allocated_to: p.allocated_cases_only.then_some(p.actor.user),
            }
        }
        OrganisationKind::LocalAuthority {
            pilot_site: Some(site),
        } if p.has(Role::LocalAuthorityPanelMember) => ListScope::PilotPanel(site.clone()),
        OrganisationKind::FirstResponderOrganisation
            if p.has(Role::FirstResponder) || p.has(Role::ReferralManager) =>
        {
            ListScope::ReferredBy(p.actor.organisation)
        }
        OrganisationKind::AssurancePanel if p.has(Role::PanelMember) => ListScope::AwaitingReview,
        OrganisationKind::Analysts if p.has(Role::Analyst) => ListScope::Everything,
        _ => ListScope::Nothing,
    }
}

/// Whether the case is within `scope`.
pub fn in_scope(scope: &ListScope, case: &CaseFacts) -> bool {
    match scope {
        ListScope::Everything => true,
        ListScope::Nothing => false,
        ListScope::ReferredBy(org) => case.referring_organisation == *org,
        ListScope::CompetentAuthority {
            authority,
            allocated_to,
        } => {
            case.competent_authority == Some(*authority)
                && allocated_to.is_none_or(|u| case.allocated_to == Some(u))
        }
        ListScope::PilotPanel(site) => {
            case.competent_authority == Some(CompetentAuthority::LocalAuthorityPanel)
                && case.pilot_site.as_deref() == Some(site.as_str())
        }
        ListScope::AwaitingReview => case.review_pending,
    }
}

/// Whether `p` may do `operation` to `case`.
pub fn authorise_case(
    p: &Principal,
    operation: CaseOperation,
    case: &CaseFacts,
) -> Result<CaseCapability, Denied> {
    // The SCA's quality assurance of a pilot panel's decision (outside its own list scope).
    if panels::assures(p, operation, case) {
        return Ok(CaseCapability {
            case_id: case.case_id,
            operation,
            actor: p.actor,
        });
    }
    if p.token_scopes.is_some() || !in_scope(&list_scope(p), case) {
        return Err(Denied);
    }
    use CaseOperation as C;
    let decider = matches!(
        p.organisation_kind,
        OrganisationKind::CompetentAuthority { .. }
    ) && (p.has(Role::DecisionMaker) || p.has(Role::CaManager))
        || matches!(
            p.organisation_kind,
            OrganisationKind::LocalAuthority {
                pilot_site: Some(_)
            }
        ) && p.has(Role::LocalAuthorityPanelMember);
    let manager = matches!(
        p.organisation_kind,
        OrganisationKind::CompetentAuthority { .. }
    ) && p.has(Role::CaManager);
    let fro = p.organisation_kind == OrganisationKind::FirstResponderOrganisation;
    let first_responder = fro && p.has(Role::FirstResponder);
    // Need to know: a First Responder sees the personal details of the referrals they made;
    // colleagues see them only as the organisation's referral manager.
    let referrer = first_responder && case.referred_by == Some(p.actor.user);
    let referral_manager = fro && p.has(Role::ReferralManager);
    let panel = p.organisation_kind == OrganisationKind::AssurancePanel && p.has(Role::PanelMember);
    let analyst = p.organisation_kind == OrganisationKind::Analysts && p.has(Role::Analyst);
    let allowed = match operation {
        C::Read => decider || first_responder || referral_manager || panel || analyst,
        // Analysts see pseudonymised data only; panels review on the account, the decision and
        // its reasons, never where the person lives or how to reach them.
        C::ReadPersonalDetails => decider || referrer || referral_manager || panel,
        C::ReadContactDetails => decider || referrer || referral_manager,
        C::ReadAccessHistory => manager,
        C::ReadNotices => decider || first_responder || referral_manager,
        C::Decide | C::Manage => decider && !case.duty_to_notify,
        C::Review => (decider || panel) && !case.duty_to_notify,
        C::Reroute | C::Allocate => manager && !case.duty_to_notify,
        // Asked by the referrer, or recorded by the deciding authority when the person, their
        // legal representative or their support provider asks it directly.
        C::RequestReconsideration => {
            (first_responder || referral_manager || decider) && !case.duty_to_notify
        }
    };
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
