//! The support access matrix: every role × every relationship to a support episode × every
//! support operation, against expectations written by hand apart from the policy.
//! ASVS v5.0.0-8.2.2 (data-specific access, need to know).

use nrm_access::support::{
    EpisodeFacts, SupportOperation, SupportScope, SupportServiceOperation, authorise_support,
    authorise_support_service, support_scope,
};
use nrm_access::{CaseFacts, OrganisationKind, Principal, Role};
use nrm_domain::Actor;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::submission::AgeGroup;
use nrm_domain::support::EpisodeId;
use uuid::Uuid;

const ME: u128 = 1;
const MY_ORG: u128 = 100;
const OTHER_ORG: u128 = 200;

/// How the caller stands to the episode.
#[derive(Debug, Clone, Copy)]
struct Relationship {
    /// The caller's organisation is the prime contractor it was referred to.
    my_org_is_prime: bool,
    /// The caller's organisation is the subcontractor it is allocated to.
    my_org_is_provider: bool,
    /// It is allocated to the caller as support worker.
    allocated_to_me: bool,
    /// The episode follows a case of the caller's competent authority (for CA roles).
    case_of_my_authority: bool,
    /// The episode has a case at all.
    has_case: bool,
}

fn relationships() -> Vec<Relationship> {
    (0u32..32)
        .map(|bits| {
            let b = |i: u32| bits & (1 << i) != 0;
            Relationship {
                my_org_is_prime: b(0),
                my_org_is_provider: b(1),
                allocated_to_me: b(2),
                case_of_my_authority: b(3),
                has_case: b(4),
            }
        })
        // A worker is allocated within the provider's organisation only.
        .filter(|r| !r.allocated_to_me || r.my_org_is_provider)
        .filter(|r| r.has_case || !r.case_of_my_authority)
        .collect()
}

fn principal(role: Role) -> Principal {
    let organisation_kind = match role {
        Role::FirstResponder | Role::ReferralManager | Role::FroAdministrator => {
            OrganisationKind::FirstResponderOrganisation
        }
        Role::DecisionMaker | Role::CaManager => OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Sca,
        },
        Role::PanelMember => OrganisationKind::AssurancePanel,
        Role::LocalAuthorityPanelMember => OrganisationKind::LocalAuthority {
            pilot_site: Some("hull".to_owned()),
        },
        Role::SupportProviderWorker | Role::SupportManager => OrganisationKind::SupportProvider,
        Role::ContractManager => OrganisationKind::ContractManagement,
        Role::Guardian | Role::GuardianManager => OrganisationKind::GuardianService,
        Role::Analyst => OrganisationKind::Analysts,
        Role::Administrator => OrganisationKind::Administrators,
    };
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(ME)),
            organisation: OrganisationId(Uuid::from_u128(MY_ORG)),
        },
        organisation_kind,
        roles: vec![role],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn org(mine: bool) -> OrganisationId {
    OrganisationId(Uuid::from_u128(if mine { MY_ORG } else { OTHER_ORG }))
}

fn episode(r: Relationship) -> EpisodeFacts {
    EpisodeFacts {
        episode: EpisodeId(Uuid::from_u128(7)),
        prime: org(r.my_org_is_prime),
        provider: Some(org(r.my_org_is_provider)),
        worker: Some(UserId(Uuid::from_u128(if r.allocated_to_me {
            ME
        } else {
            2
        }))),
        case: r.has_case.then(|| CaseFacts {
            case_id: CaseId(Uuid::from_u128(9)),
            referring_organisation: OrganisationId(Uuid::from_u128(300)),
            duty_to_notify: false,
            competent_authority: Some(if r.case_of_my_authority {
                CompetentAuthority::Sca
            } else {
                CompetentAuthority::Ieca
            }),
            pilot_site: None,
            age_group: Some(AgeGroup::Adult),
            allocated_to: None,
            review_pending: false,
            referred_by: None,
        }),
    }
}

/// The hand-written matrix.
fn expected(role: Role, r: Relationship, op: SupportOperation) -> bool {
    use SupportOperation as O;
    let manager_sees = r.my_org_is_prime || r.my_org_is_provider;
    match role {
        Role::SupportProviderWorker => {
            r.allocated_to_me
                && matches!(
                    op,
                    O::ReadStatus
                        | O::ReadSupport
                        | O::ReadSafeguarding
                        | O::ReadEscalatedConcerns
                        | O::Record
                )
        }
        Role::SupportManager => match op {
            O::ReadStatus | O::ReadSupport | O::ReadSafeguarding | O::ReadEscalatedConcerns => {
                manager_sees
            }
            O::Allocate => r.my_org_is_prime,
            O::Record | O::Pay => r.my_org_is_provider,
            O::DecideRna | O::AcknowledgeConcern => false,
        },
        Role::ContractManager => match op {
            O::ReadStatus
            | O::ReadSupport
            | O::ReadEscalatedConcerns
            | O::DecideRna
            | O::AcknowledgeConcern => true,
            // Not the notes a provider has not escalated.
            O::ReadSafeguarding | O::Allocate | O::Record | O::Pay => false,
        },
        Role::DecisionMaker | Role::CaManager => {
            r.case_of_my_authority && matches!(op, O::ReadStatus | O::ReadEscalatedConcerns)
        }
        Role::FirstResponder
        | Role::ReferralManager
        | Role::FroAdministrator
        | Role::PanelMember
        | Role::LocalAuthorityPanelMember
        | Role::Guardian
        | Role::GuardianManager
        | Role::Analyst
        | Role::Administrator => false,
    }
}

#[test]
fn every_role_relationship_and_support_operation_matches_the_matrix() {
    let mut cells = 0;
    let mut mismatches = Vec::new();
    for role in Role::ALL {
        let p = principal(role);
        for r in relationships() {
            let e = episode(r);
            for op in SupportOperation::ALL {
                cells += 1;
                let got = authorise_support(&p, op, &e).is_ok();
                if got != expected(role, r, op) {
                    mismatches.push(format!("{role:?} {op:?} {r:?}: policy says {got}"));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(cells > 1_000, "{cells}");
}

#[test]
fn support_operations_without_an_episode_match_the_matrix() {
    use SupportServiceOperation as O;
    for role in Role::ALL {
        let p = principal(role);
        for op in O::ALL {
            let want = match role {
                Role::SupportManager => op != O::Inspect,
                Role::SupportProviderWorker => {
                    matches!(op, O::Refer | O::ListEpisodes | O::ReadAccommodation)
                }
                Role::ContractManager => matches!(
                    op,
                    O::ListEpisodes | O::ReadAccommodation | O::Inspect | O::ReadStatement
                ),
                _ => false,
            };
            assert_eq!(
                authorise_support_service(&p, op).is_ok(),
                want,
                "{role:?} {op:?}"
            );
        }
    }
}

#[test]
fn a_support_role_in_the_wrong_kind_of_organisation_or_a_token_gets_nothing() {
    let mut p = principal(Role::SupportManager);
    p.organisation_kind = OrganisationKind::FirstResponderOrganisation;
    assert_eq!(support_scope(&p), SupportScope::Nothing);
    let mut c = principal(Role::ContractManager);
    c.organisation_kind = OrganisationKind::SupportProvider;
    assert_eq!(support_scope(&c), SupportScope::Nothing);
    let mut t = principal(Role::ContractManager);
    t.token_scopes = Some(vec![]);
    for r in relationships() {
        for op in SupportOperation::ALL {
            assert!(authorise_support(&t, op, &episode(r)).is_err());
            assert!(authorise_support(&p, op, &episode(r)).is_err());
        }
    }
}

#[test]
fn a_capability_names_its_episode_and_operation() {
    let p = principal(Role::ContractManager);
    let r = relationships()[0];
    let cap = authorise_support(&p, SupportOperation::DecideRna, &episode(r)).expect("allowed");
    assert_eq!(cap.episode(), EpisodeId(Uuid::from_u128(7)));
    assert!(cap.permits(SupportOperation::DecideRna));
    assert!(!cap.permits(SupportOperation::ReadSafeguarding));
}

/// The case page's support section (issue 12): a decision maker limited to the cases
/// allocated to them sees a person's support status and escalated concerns only on those
/// cases, and never the safeguarding record, whoever the case is allocated to.
#[test]
fn a_decision_maker_limited_to_allocated_cases_sees_support_only_on_theirs() {
    let base = Relationship {
        my_org_is_prime: false,
        my_org_is_provider: false,
        allocated_to_me: false,
        case_of_my_authority: true,
        has_case: true,
    };
    // (A CA manager is never limited to allocated cases.)
    {
        let role = Role::DecisionMaker;
        let mut p = principal(role);
        p.allocated_cases_only = true;
        for mine in [false, true] {
            let mut e = episode(base);
            if let Some(c) = e.case.as_mut() {
                c.allocated_to = Some(UserId(Uuid::from_u128(if mine { ME } else { 2 })));
            }
            for op in SupportOperation::ALL {
                let want = mine
                    && matches!(
                        op,
                        SupportOperation::ReadStatus | SupportOperation::ReadEscalatedConcerns
                    );
                assert_eq!(
                    authorise_support(&p, op, &e).is_ok(),
                    want,
                    "{role:?} allocated to me: {mine} {op:?}"
                );
            }
        }
    }
}
