//! The guardians' access matrix: every role × every relationship to a child's guardian episode
//! × every guardian operation, and the case operations a guardian gets through the episode,
//! against expectations written by hand. A guardian sees only the children allocated to them.
// Security target #4 (need to know) — ASVS v5.0.0-8.2.2 data-specific access.

use nrm_access::children::{
    GuardianFacts, GuardianOperation, GuardianServiceOperation, authorise_case_for_guardian,
    authorise_guardian, authorise_guardian_service,
};
use nrm_access::{CaseFacts, CaseOperation, OrganisationKind, Principal, Role};
use nrm_domain::Actor;
use nrm_domain::children::guardian::GuardianEpisodeId;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::submission::AgeGroup;
use uuid::Uuid;

const ME: u128 = 1;
const SOMEONE_ELSE: u128 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allocation {
    ToMe,
    ToSomeoneElse,
    Nobody,
}

#[derive(Debug, Clone, Copy)]
struct Relationship {
    allocation: Allocation,
    open: bool,
    /// The caller's role is held in the guardian service (else in another organisation kind).
    in_guardian_service: bool,
    /// The case asked about is the episode's own.
    own_case: bool,
    token: bool,
}

fn relationships() -> Vec<Relationship> {
    let mut out = Vec::new();
    for allocation in [
        Allocation::ToMe,
        Allocation::ToSomeoneElse,
        Allocation::Nobody,
    ] {
        for bits in 0u32..16 {
            let b = |i: u32| bits & (1 << i) != 0;
            out.push(Relationship {
                allocation,
                open: b(0),
                in_guardian_service: b(1),
                own_case: b(2),
                token: b(3),
            });
        }
    }
    out
}

fn principal(role: Role, r: Relationship) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(ME)),
            organisation: OrganisationId(Uuid::from_u128(100)),
        },
        organisation_kind: if r.in_guardian_service {
            OrganisationKind::GuardianService
        } else {
            OrganisationKind::SupportProvider
        },
        roles: vec![role],
        allocated_cases_only: false,
        token_scopes: r.token.then(Vec::new),
        authenticated_at: None,
    }
}

fn facts(r: Relationship) -> GuardianFacts {
    GuardianFacts {
        episode: GuardianEpisodeId(Uuid::from_u128(50)),
        case_id: CaseId(Uuid::from_u128(9)),
        worker: match r.allocation {
            Allocation::ToMe => Some(UserId(Uuid::from_u128(ME))),
            Allocation::ToSomeoneElse => Some(UserId(Uuid::from_u128(SOMEONE_ELSE))),
            Allocation::Nobody => None,
        },
        open: r.open,
    }
}

fn case(r: Relationship) -> CaseFacts {
    CaseFacts {
        case_id: CaseId(Uuid::from_u128(if r.own_case { 9 } else { 10 })),
        referring_organisation: OrganisationId(Uuid::from_u128(300)),
        duty_to_notify: false,
        competent_authority: Some(CompetentAuthority::Sca),
        pilot_site: None,
        age_group: Some(AgeGroup::Child),
        allocated_to: None,
        review_pending: false,
        referred_by: None,
    }
}

/// The hand-written matrix for the episode.
fn expected(role: Role, r: Relationship, op: GuardianOperation) -> bool {
    use GuardianOperation as O;
    if r.token || !r.in_guardian_service {
        return false;
    }
    match role {
        // The allocated guardian, and nobody else of their role, works with the child.
        Role::Guardian => r.allocation == Allocation::ToMe && op != O::Allocate,
        // The manager sees every child and allocates and closes, but reads no words.
        Role::GuardianManager => matches!(op, O::Read | O::Allocate | O::Close),
        Role::FirstResponder
        | Role::ReferralManager
        | Role::FroAdministrator
        | Role::DecisionMaker
        | Role::CaManager
        | Role::PanelMember
        | Role::LocalAuthorityPanelMember
        | Role::SupportProviderWorker
        | Role::SupportManager
        | Role::ContractManager
        | Role::Analyst
        | Role::Administrator => false,
    }
}

/// The case operations a role gets through a child's episode.
fn expected_case(role: Role, r: Relationship, op: CaseOperation) -> bool {
    use CaseOperation as C;
    let allocated_guardian = role == Role::Guardian
        && !r.token
        && r.in_guardian_service
        && r.allocation == Allocation::ToMe
        && r.open
        && r.own_case;
    allocated_guardian
        && match op {
            C::Read | C::ReadPersonalDetails | C::RequestReconsideration => true,
            C::ReadContactDetails
            | C::ReadAccessHistory
            | C::ReadNotices
            | C::Decide
            | C::Review
            | C::Manage
            | C::Reroute
            | C::Allocate => false,
        }
}

#[test]
fn every_role_relationship_and_guardian_operation_matches_the_matrix() {
    let mut mismatches = Vec::new();
    let mut cells = 0;
    for role in Role::ALL {
        for r in relationships() {
            for op in GuardianOperation::ALL {
                cells += 1;
                let got = authorise_guardian(&principal(role, r), op, &facts(r)).is_ok();
                if got != expected(role, r, op) {
                    mismatches.push(format!("{role:?} {op:?} {r:?}: policy says {got}"));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(cells, Role::ALL.len() * 48 * GuardianOperation::ALL.len());
}

#[test]
fn a_guardian_reaches_only_their_own_open_childs_case() {
    let mut mismatches = Vec::new();
    for role in Role::ALL {
        for r in relationships() {
            for op in CaseOperation::ALL {
                let got = authorise_case_for_guardian(&principal(role, r), op, &facts(r), &case(r))
                    .is_ok();
                if got != expected_case(role, r, op) {
                    mismatches.push(format!("{role:?} {op:?} {r:?}: policy says {got}"));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn a_guardian_gets_nothing_through_the_case_policy_itself() {
    // Without the episode, the case policy knows no guardian: the only way in is above.
    for r in relationships() {
        for op in CaseOperation::ALL {
            assert!(
                nrm_access::authorise_case(&principal(Role::Guardian, r), op, &case(r)).is_err()
            );
        }
    }
}

#[test]
fn lists_are_the_guardians_own_and_the_managers_everything() {
    use GuardianServiceOperation as S;
    for role in Role::ALL {
        for in_service in [true, false] {
            for token in [false, true] {
                let r = Relationship {
                    allocation: Allocation::Nobody,
                    open: true,
                    in_guardian_service: in_service,
                    own_case: true,
                    token,
                };
                let p = principal(role, r);
                let member = in_service && !token;
                for op in S::ALL {
                    let got = authorise_guardian_service(&p, op).is_ok();
                    let want = match op {
                        S::ListEpisodes => {
                            member && matches!(role, Role::Guardian | Role::GuardianManager)
                        }
                        S::ListWorkers => member && role == Role::GuardianManager,
                        S::ReviewAges => member && role == Role::GuardianManager,
                    };
                    assert_eq!(
                        got, want,
                        "{role:?} {op:?} in service {in_service} token {token}"
                    );
                }
            }
        }
    }
    // The operator's shell runs the daily age review.
    assert!(
        authorise_guardian_service(&Principal::system(), S::ReviewAges).is_ok(),
        "the system principal runs the age review"
    );
    assert!(authorise_guardian_service(&Principal::system(), S::ListEpisodes).is_err());
}
