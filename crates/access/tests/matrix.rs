//! The authorisation matrix: every role × every relationship to a case × every operation,
//! against expectations written by hand, apart from the policy code. The expectations are
//! exhaustive matches, so a new role or operation that nobody has decided on fails the build.
//! ASVS v5.0.0-8.2.1 (function-level) and v5.0.0-8.2.2 (data-specific, need-to-know) access.

use nrm_access::{
    CaseFacts, CaseOperation, Operation, OrganisationKind, Principal, Role, authorise,
    authorise_case,
};
use nrm_domain::Actor;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::submission::AgeGroup;
use uuid::Uuid;

const ME: u128 = 1;
const MY_ORG: u128 = 100;
const OTHER_ORG: u128 = 200;

/// How the caller stands to the case.
#[derive(Debug, Clone, Copy)]
struct Relationship {
    /// The caller's organisation referred it.
    own_organisation: bool,
    /// The case is with the caller's competent authority (SCA for CA roles) or pilot panel.
    own_authority: bool,
    allocated_to_me: bool,
    /// The caller's access is limited to cases allocated to them.
    limited_to_allocated: bool,
    child: bool,
    duty_to_notify: bool,
    review_pending: bool,
    /// The caller made the referral themselves.
    referred_by_me: bool,
}

fn relationships() -> Vec<Relationship> {
    let mut out = Vec::new();
    for bits in 0u32..256 {
        let b = |i: u32| bits & (1 << i) != 0;
        let r = Relationship {
            own_organisation: b(0),
            own_authority: b(1),
            allocated_to_me: b(2),
            limited_to_allocated: b(3),
            child: b(4),
            duty_to_notify: b(5),
            review_pending: b(6),
            referred_by_me: b(7),
        };
        // Whoever made the referral is in the organisation that made it.
        if r.referred_by_me && !r.own_organisation {
            continue;
        }
        // A Duty to Notify report has no authority, allocation or review.
        if r.duty_to_notify && (r.own_authority || r.allocated_to_me || r.review_pending || r.child)
        {
            continue;
        }
        out.push(r);
    }
    out
}

fn principal(role: Role, r: Relationship) -> Principal {
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
        allocated_cases_only: r.limited_to_allocated,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn case(role: Role, r: Relationship) -> CaseFacts {
    // "Own authority" means the SCA for CA roles and the caller's pilot panel for panel roles.
    let (authority, pilot_site) = match (r.duty_to_notify, role, r.own_authority) {
        (true, _, _) => (None, None),
        (false, Role::LocalAuthorityPanelMember, true) => (
            Some(CompetentAuthority::LocalAuthorityPanel),
            Some("hull".to_owned()),
        ),
        (false, Role::LocalAuthorityPanelMember, false) => (
            Some(CompetentAuthority::LocalAuthorityPanel),
            Some("camden".to_owned()),
        ),
        (false, _, true) => (Some(CompetentAuthority::Sca), None),
        (false, _, false) => (Some(CompetentAuthority::Ieca), None),
    };
    CaseFacts {
        case_id: CaseId(Uuid::from_u128(9)),
        referring_organisation: OrganisationId(Uuid::from_u128(if r.own_organisation {
            MY_ORG
        } else {
            OTHER_ORG
        })),
        duty_to_notify: r.duty_to_notify,
        competent_authority: authority,
        pilot_site,
        age_group: (!r.duty_to_notify).then_some(if r.child {
            AgeGroup::Child
        } else {
            AgeGroup::Adult
        }),
        allocated_to: r.allocated_to_me.then_some(UserId(Uuid::from_u128(ME))),
        review_pending: r.review_pending,
        referred_by: Some(UserId(Uuid::from_u128(if r.referred_by_me {
            ME
        } else {
            ME + 1
        }))),
    }
}

/// The hand-written matrix for case operations.
fn expected_case(role: Role, r: Relationship, op: CaseOperation) -> bool {
    use CaseOperation as C;
    match role {
        Role::FirstResponder => {
            r.own_organisation
                && match op {
                    C::Read | C::ReadNotices => true,
                    // Need to know: only the referrals they made themselves.
                    C::ReadPersonalDetails | C::ReadContactDetails => r.referred_by_me,
                    C::RequestReconsideration => !r.duty_to_notify,
                    C::ReadAccessHistory
                    | C::Decide
                    | C::Review
                    | C::Manage
                    | C::Reroute
                    | C::Allocate => false,
                }
        }
        Role::ReferralManager => {
            r.own_organisation
                && match op {
                    C::Read | C::ReadPersonalDetails | C::ReadContactDetails | C::ReadNotices => {
                        true
                    }
                    C::RequestReconsideration => !r.duty_to_notify,
                    C::ReadAccessHistory
                    | C::Decide
                    | C::Review
                    | C::Manage
                    | C::Reroute
                    | C::Allocate => false,
                }
        }
        Role::DecisionMaker => {
            r.own_authority
                && (!r.limited_to_allocated || r.allocated_to_me)
                && match op {
                    C::Read | C::ReadPersonalDetails | C::ReadContactDetails | C::ReadNotices => {
                        true
                    }
                    C::Decide | C::Review | C::Manage | C::RequestReconsideration => {
                        !r.duty_to_notify
                    }
                    C::ReadAccessHistory | C::Reroute | C::Allocate => false,
                }
        }
        Role::CaManager => {
            // Managers are never limited to their own allocations.
            r.own_authority
                && match op {
                    C::Read
                    | C::ReadPersonalDetails
                    | C::ReadContactDetails
                    | C::ReadNotices
                    | C::ReadAccessHistory => true,
                    C::Decide
                    | C::Review
                    | C::Manage
                    | C::Reroute
                    | C::Allocate
                    | C::RequestReconsideration => !r.duty_to_notify,
                }
        }
        Role::LocalAuthorityPanelMember => {
            r.own_authority
                && !r.duty_to_notify
                && match op {
                    C::Read
                    | C::ReadPersonalDetails
                    | C::ReadContactDetails
                    | C::ReadNotices
                    | C::Decide
                    | C::Review
                    | C::Manage
                    | C::RequestReconsideration => true,
                    C::ReadAccessHistory | C::Reroute | C::Allocate => false,
                }
        }
        Role::PanelMember => {
            r.review_pending
                && match op {
                    // What the review needs; never where the person lives or how to reach them.
                    C::Read | C::ReadPersonalDetails | C::Review => true,
                    C::ReadContactDetails
                    | C::ReadNotices
                    | C::ReadAccessHistory
                    | C::Decide
                    | C::Manage
                    | C::Reroute
                    | C::Allocate
                    | C::RequestReconsideration => false,
                }
        }
        Role::Analyst => match op {
            // Pseudonymised only: summaries and timelines, never personal details.
            C::Read => true,
            C::ReadPersonalDetails
            | C::ReadContactDetails
            | C::ReadNotices
            | C::ReadAccessHistory
            | C::Decide
            | C::Review
            | C::Manage
            | C::Reroute
            | C::Allocate
            | C::RequestReconsideration => false,
        },
        // Support roles reach people through their support episodes (`tests/support.rs`), never
        // through the case; guardians reach a child's case only through their allocated guardian
        // episode (`tests/guardians.rs`), never through the case policy; FRO and service
        // administrators manage users and the service, not cases.
        Role::SupportProviderWorker
        | Role::SupportManager
        | Role::ContractManager
        | Role::Guardian
        | Role::GuardianManager
        | Role::FroAdministrator
        | Role::Administrator => false,
    }
}

/// The hand-written matrix for operations without a case.
fn expected(role: Role, op: Operation) -> bool {
    use Operation as O;
    match op {
        O::SubmitReferral | O::SubmitDutyToNotify => role == Role::FirstResponder,
        O::ListCases => match role {
            Role::FirstResponder
            | Role::ReferralManager
            | Role::DecisionMaker
            | Role::CaManager
            | Role::LocalAuthorityPanelMember
            | Role::PanelMember
            | Role::Analyst => true,
            Role::FroAdministrator
            | Role::SupportProviderWorker
            | Role::SupportManager
            | Role::ContractManager
            | Role::Guardian
            | Role::GuardianManager
            | Role::Administrator => false,
        },
        O::ReadRulebook => true,
        O::RunDeadlineSweep => matches!(role, Role::Administrator | Role::CaManager),
        O::ManageOrganisations => role == Role::Administrator,
        O::ManageUsers => matches!(role, Role::Administrator | Role::FroAdministrator),
        O::AllocateCases => role == Role::CaManager,
        O::ReadStatistics => role == Role::Analyst,
        // Only a system client's token, never a person's session (see the token test below).
        O::ImportLegacyCases => false,
        O::ReadServiceMetrics => role == Role::Administrator,
        O::ManageRetention | O::SubjectAccess => role == Role::Administrator,
        // A person's other referrals: the competent authority's decision makers and managers,
        // never a First Responder (see the allocated-only test below).
        O::ReviewPersonMatches | O::ReadPersonHistory => {
            matches!(role, Role::DecisionMaker | Role::CaManager)
        }
        O::RebuildPersonLinks => role == Role::Administrator,
        // The SCA's assurers of pilot panels' decisions (`tests/panels.rs` has the case rows).
        O::AssurePilotDecisions => matches!(role, Role::DecisionMaker | Role::CaManager),
        // The First Responder training: the people of a First Responder Organisation take it;
        // their FRO administrators (and the service's administrators) see who has.
        O::TakeTraining => matches!(
            role,
            Role::FirstResponder | Role::ReferralManager | Role::FroAdministrator
        ),
        O::ReadTrainingRecords => matches!(role, Role::FroAdministrator | Role::Administrator),
        // Their own organisation's API tokens (the service scopes it, `admin_tokens` tests);
        // the service's administrators use `ManageOrganisations` for every organisation's.
        O::ManageApiTokens => role == Role::FroAdministrator,
    }
}

#[test]
fn a_decision_maker_limited_to_allocated_cases_sees_no_other_referrals_of_a_person() {
    let mut p = principal(Role::DecisionMaker, relationships()[0]);
    p.allocated_cases_only = true;
    assert!(authorise(&p, Operation::ReviewPersonMatches).is_err());
    assert!(authorise(&p, Operation::ReadPersonHistory).is_err());
    let mut token = principal(Role::CaManager, relationships()[0]);
    token.token_scopes = Some(vec![Operation::ReadPersonHistory]);
    assert!(authorise(&token, Operation::ReadPersonHistory).is_err());
}

#[test]
fn every_role_relationship_and_case_operation_matches_the_matrix() {
    let mut cells = 0;
    let mut mismatches = Vec::new();
    for role in Role::ALL {
        for r in relationships() {
            let p = principal(role, r);
            let c = case(role, r);
            for op in CaseOperation::ALL {
                cells += 1;
                let got = authorise_case(&p, op, &c).is_ok();
                if got != expected_case(role, r, op) {
                    mismatches.push(format!("{role:?} {op:?} {r:?}: policy says {got}"));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {cells} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(cells > 5_000, "{cells}");
}

#[test]
fn every_role_and_operation_without_a_case_matches_the_matrix() {
    for role in Role::ALL {
        let p = principal(role, relationships()[0]);
        for op in Operation::ALL {
            assert_eq!(
                authorise(&p, op).is_ok(),
                expected(role, op),
                "{role:?} {op:?}"
            );
        }
    }
}

#[test]
fn a_caller_with_no_roles_can_do_nothing() {
    let mut p = principal(Role::FirstResponder, relationships()[0]);
    p.roles.clear();
    for op in Operation::ALL {
        assert!(authorise(&p, op).is_err(), "{op:?}");
    }
    for r in relationships() {
        for op in CaseOperation::ALL {
            assert!(authorise_case(&p, op, &case(Role::FirstResponder, r)).is_err());
        }
    }
}

#[test]
fn an_api_token_can_do_only_what_its_scopes_name_and_touches_no_case() {
    let mut p = principal(Role::FirstResponder, relationships()[0]);
    p.token_scopes = Some(vec![Operation::SubmitReferral]);
    for op in Operation::ALL {
        assert_eq!(
            authorise(&p, op).is_ok(),
            op == Operation::SubmitReferral,
            "{op:?}"
        );
    }
    for r in relationships() {
        for op in CaseOperation::ALL {
            assert!(
                authorise_case(&p, op, &case(Role::FirstResponder, r)).is_err(),
                "{op:?} {r:?}"
            );
        }
    }
}

#[test]
fn only_a_system_client_with_the_import_scope_may_import_legacy_cases() {
    let mut system = principal(Role::Administrator, relationships()[0]);
    assert!(
        authorise(&system, Operation::ImportLegacyCases).is_err(),
        "not from a session"
    );
    system.token_scopes = Some(vec![Operation::ImportLegacyCases]);
    for op in Operation::ALL {
        assert_eq!(
            authorise(&system, op).is_ok(),
            op == Operation::ImportLegacyCases,
            "{op:?}"
        );
    }
    system.token_scopes = Some(vec![Operation::ManageUsers]);
    assert!(authorise(&system, Operation::ImportLegacyCases).is_err());
    // A First Responder system's token with the scope still may not: it acts for a FRO.
    let mut responder = principal(Role::FirstResponder, relationships()[0]);
    responder.token_scopes = Some(vec![Operation::ImportLegacyCases]);
    assert!(authorise(&responder, Operation::ImportLegacyCases).is_err());
    responder.roles = vec![Role::Administrator];
    responder.organisation_kind = OrganisationKind::FirstResponderOrganisation;
    assert!(authorise(&responder, Operation::ImportLegacyCases).is_err());
    assert_eq!(
        Operation::parse("import"),
        Some(Operation::ImportLegacyCases)
    );
}

#[test]
fn fro_administrators_manage_only_first_responders_of_their_own_organisation() {
    use nrm_access::may_manage_account;
    let admin = principal(Role::FroAdministrator, relationships()[0]);
    let own = OrganisationId(Uuid::from_u128(MY_ORG));
    let other = OrganisationId(Uuid::from_u128(OTHER_ORG));
    assert!(may_manage_account(&admin, own, &[Role::FirstResponder]));
    assert!(may_manage_account(
        &admin,
        own,
        &[Role::FroAdministrator, Role::FirstResponder]
    ));
    assert!(!may_manage_account(&admin, other, &[Role::FirstResponder]));
    assert!(!may_manage_account(&admin, own, &[Role::DecisionMaker]));
    let mut service_admin = principal(Role::Administrator, relationships()[0]);
    assert!(may_manage_account(
        &service_admin,
        other,
        &[Role::CaManager]
    ));
    service_admin.token_scopes = Some(vec![Operation::ManageUsers]);
    assert!(
        !may_manage_account(&service_admin, other, &[Role::CaManager]),
        "tokens never manage accounts"
    );
    for role in Role::ALL {
        if !matches!(role, Role::Administrator | Role::FroAdministrator) {
            assert!(
                !may_manage_account(
                    &principal(role, relationships()[0]),
                    own,
                    &[Role::FirstResponder]
                ),
                "{role:?}"
            );
        }
    }
}

/// Reconsideration asked by a support provider for a person it supports (issue #10 item 8):
/// every role × how the caller stands to the person's support episode × the case it follows.
/// Support providers reach no case otherwise; this is the one capability they get on one.
#[test]
fn support_providers_may_ask_for_reconsideration_only_for_the_people_they_support() {
    use nrm_access::reconsideration::authorise_supported_reconsideration;
    use nrm_access::support::EpisodeFacts;
    use nrm_domain::support::EpisodeId;
    let org = |mine: bool| OrganisationId(Uuid::from_u128(if mine { MY_ORG } else { OTHER_ORG }));
    let mut cells = 0;
    for role in Role::ALL {
        for bits in 0u32..32 {
            let b = |i: u32| bits & (1 << i) != 0;
            let (prime, provider, allocated, has_case, dtn) = (b(0), b(1), b(2), b(3), b(4));
            // A worker is allocated within the provider's organisation only; a Duty to Notify
            // report is a case too (it has no decisions to reconsider).
            if allocated && !provider || dtn && !has_case {
                continue;
            }
            let r = relationships()[0];
            let p = principal(
                role,
                Relationship {
                    limited_to_allocated: false,
                    ..r
                },
            );
            let case_id = CaseId(Uuid::from_u128(9));
            let episode = EpisodeFacts {
                episode: EpisodeId(Uuid::from_u128(7)),
                prime: org(prime),
                provider: Some(org(provider)),
                worker: Some(UserId(Uuid::from_u128(if allocated { ME } else { 2 }))),
                case: has_case.then(|| CaseFacts {
                    case_id,
                    referring_organisation: OrganisationId(Uuid::from_u128(300)),
                    duty_to_notify: dtn,
                    competent_authority: (!dtn).then_some(CompetentAuthority::Sca),
                    pilot_site: None,
                    age_group: (!dtn).then_some(AgeGroup::Adult),
                    allocated_to: None,
                    review_pending: false,
                    referred_by: None,
                }),
            };
            let supports = match role {
                // The prime contractor's or the allocated subcontractor's manager.
                Role::SupportManager => prime || provider,
                // The worker the person is allocated to.
                Role::SupportProviderWorker => allocated,
                _ => false,
            };
            let expected = supports && has_case && !dtn;
            let got = authorise_supported_reconsideration(&p, &episode);
            cells += 1;
            assert_eq!(
                got.is_ok(),
                expected,
                "{role:?}: prime {prime}, provider {provider}, allocated {allocated}, case {has_case}, dtn {dtn}"
            );
            if let Ok(grant) = got {
                assert_eq!(grant.case_id(), case_id);
                assert_eq!(grant.actor(), p.actor);
                assert_eq!(
                    grant.case_capability().operation(),
                    CaseOperation::RequestReconsideration
                );
            }
            // An API token reaches no case this way either.
            let token = Principal {
                token_scopes: Some(Operation::ALL.to_vec()),
                ..p.clone()
            };
            assert!(authorise_supported_reconsideration(&token, &episode).is_err());
        }
    }
    assert!(cells > 0);
}
