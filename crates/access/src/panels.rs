//! The devolved pilot panels' part of the policy (issue 13 item 2).
//!
//! A local-authority panel member works on the children's cases routed to their own pilot
//! site's panel, and only those (`ListScope::PilotPanel` in the main policy): they convene the
//! panel, prepare its papers and record its decisions (`CaseOperation::Decide`).
//!
//! The Single Competent Authority quality-assures the panels' decisions: its decision makers
//! (those not limited to their own allocations) and managers hold
//! [`Operation::AssurePilotDecisions`] for the assurance queue, and may read (with the personal
//! details and reasons a review needs, but not where the child lives or how to reach them) and
//! review a pilot panel's case while a decision on it is held for assurance, and at no other
//! time. The domain refuses an assurer from the local authority that decided.

use nrm_domain::event::CompetentAuthority;

use crate::{CaseFacts, CaseOperation, OrganisationKind, Principal, Role};

/// Whether `p` is one of the SCA's assurers of pilot panels' decisions.
pub fn sca_assurer(p: &Principal) -> bool {
    p.token_scopes.is_none()
        && p.organisation_kind
            == (OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            })
        && (p.has(Role::CaManager) || p.has(Role::DecisionMaker) && !p.allocated_cases_only)
}

/// Whether `p` may do `operation` to `case` as the SCA's assurer: a pilot panel's case whose
/// decision waits for quality assurance, for what the review needs.
pub fn assures(p: &Principal, operation: CaseOperation, case: &CaseFacts) -> bool {
    sca_assurer(p)
        && !case.duty_to_notify
        && case.competent_authority == Some(CompetentAuthority::LocalAuthorityPanel)
        && case.review_pending
        && matches!(
            operation,
            CaseOperation::Read | CaseOperation::ReadPersonalDetails | CaseOperation::Review
        )
}
