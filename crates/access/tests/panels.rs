//! Access rows for the devolved pilot panels and the SCA's quality assurance of their
//! decisions (issue 13 item 2). ASVS v5.0.0-8.2.2 (data-specific, need-to-know access).

use nrm_access::{
    CaseFacts, CaseOperation, ListScope, Operation, OrganisationKind, Principal, Role, authorise,
    authorise_case, list_scope,
};
use nrm_domain::Actor;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::submission::AgeGroup;
use uuid::Uuid;

fn principal(kind: OrganisationKind, role: Role, limited: bool) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(1)),
            organisation: OrganisationId(Uuid::from_u128(100)),
        },
        organisation_kind: kind,
        roles: vec![role],
        allocated_cases_only: limited,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn sca() -> OrganisationKind {
    OrganisationKind::CompetentAuthority {
        authority: CompetentAuthority::Sca,
    }
}

fn pilot_case(site: &str, review_pending: bool) -> CaseFacts {
    CaseFacts {
        case_id: CaseId(Uuid::from_u128(9)),
        referring_organisation: OrganisationId(Uuid::from_u128(200)),
        duty_to_notify: false,
        competent_authority: Some(CompetentAuthority::LocalAuthorityPanel),
        pilot_site: Some(site.to_owned()),
        age_group: Some(AgeGroup::Child),
        allocated_to: None,
        review_pending,
        referred_by: None,
    }
}

#[test]
fn a_local_authority_panel_member_sees_and_decides_only_their_own_sites_cases() {
    let hull = principal(
        OrganisationKind::LocalAuthority {
            pilot_site: Some("hull".to_owned()),
        },
        Role::LocalAuthorityPanelMember,
        false,
    );
    assert_eq!(list_scope(&hull), ListScope::PilotPanel("hull".to_owned()));
    for review_pending in [false, true] {
        for op in [
            CaseOperation::Read,
            CaseOperation::Decide,
            CaseOperation::ReadPersonalDetails,
        ] {
            assert!(authorise_case(&hull, op, &pilot_case("hull", review_pending)).is_ok());
            assert!(
                authorise_case(&hull, op, &pilot_case("camden", review_pending)).is_err(),
                "{op:?}"
            );
        }
    }
    // Not the SCA's assurance queue, and not the routing of cases.
    assert!(authorise(&hull, Operation::AssurePilotDecisions).is_err());
    assert!(authorise_case(&hull, CaseOperation::Reroute, &pilot_case("hull", false)).is_err());
    // A local authority that does not run the pilot has no panel.
    let other = principal(
        OrganisationKind::LocalAuthority { pilot_site: None },
        Role::LocalAuthorityPanelMember,
        false,
    );
    assert!(authorise_case(&other, CaseOperation::Read, &pilot_case("hull", false)).is_err());
}

#[test]
fn the_scas_assurers_see_a_pilot_case_only_while_a_decision_waits_for_their_assurance() {
    let assurers = [
        principal(sca(), Role::DecisionMaker, false),
        principal(sca(), Role::CaManager, false),
    ];
    for p in &assurers {
        assert!(authorise(p, Operation::AssurePilotDecisions).is_ok());
        let held = pilot_case("hull", true);
        for op in CaseOperation::ALL {
            let expected = matches!(
                op,
                CaseOperation::Read | CaseOperation::ReadPersonalDetails | CaseOperation::Review
            );
            assert_eq!(authorise_case(p, op, &held).is_ok(), expected, "{op:?}");
        }
        // Nothing held: the case is the panel's alone.
        for op in CaseOperation::ALL {
            assert!(
                authorise_case(p, op, &pilot_case("hull", false)).is_err(),
                "{op:?}"
            );
        }
    }
    // Not a decision maker limited to their own allocations, not the IECA, not a token.
    let limited = principal(sca(), Role::DecisionMaker, true);
    assert!(authorise(&limited, Operation::AssurePilotDecisions).is_err());
    assert!(authorise_case(&limited, CaseOperation::Review, &pilot_case("hull", true)).is_err());
    let ieca = principal(
        OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Ieca,
        },
        Role::DecisionMaker,
        false,
    );
    assert!(authorise(&ieca, Operation::AssurePilotDecisions).is_err());
    assert!(authorise_case(&ieca, CaseOperation::Read, &pilot_case("hull", true)).is_err());
    let mut token = principal(sca(), Role::CaManager, false);
    token.token_scopes = Some(vec![Operation::AssurePilotDecisions]);
    assert!(authorise_case(&token, CaseOperation::Review, &pilot_case("hull", true)).is_err());
    // Assurance panels (MAAPs) never reviewed pilot decisions: their scope is their own.
    let analyst = principal(OrganisationKind::Analysts, Role::Analyst, false);
    assert!(authorise(&analyst, Operation::AssurePilotDecisions).is_err());
}
