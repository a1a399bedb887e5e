//! The parts of the service a signed-in person works in, from what the access policy lets
//! them do: each is a home page and an item of the service navigation. Someone with one area
//! lands on it after signing in; someone with several chooses (`/`). Nobody is offered an area
//! whose pages would refuse them: every rule here is the policy's own answer
//! (`nrm_access::authorise`, `list_scope`), never a separate list of roles.

use nrm_access::{ListScope, Operation, OrganisationKind, Principal, Role};

/// A part of the service with a home page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// Making referrals and Duty to Notify reports: First Responders.
    Referrals,
    /// The cases the person may list: decision makers and their managers, local-authority
    /// panels, assurance panels (cases awaiting review), an organisation's referral manager
    /// and analysts (without personal details).
    Cases,
    /// Support for people in the NRM: support workers and managers, and the Home Office's
    /// contract managers (`pages/support/`).
    Support,
    /// Independent Child Trafficking Guardians: a guardian's children, the guardian service
    /// manager's allocations (`pages/guardians/`).
    Guardians,
    /// Published and management statistics: analysts (built under `pages/statistics/`).
    Statistics,
    /// Organisations, accounts and API tokens: administrators, and FRO administrators for
    /// their own organisation.
    Administration,
}

impl Area {
    /// Every area, in navigation order.
    pub const ALL: [Self; 6] = [
        Self::Referrals,
        Self::Cases,
        Self::Support,
        Self::Guardians,
        Self::Statistics,
        Self::Administration,
    ];

    /// The area's home page.
    pub fn href(self) -> &'static str {
        match self {
            Self::Referrals => "/referrals",
            Self::Cases => "/cases",
            Self::Support => "/support",
            Self::Guardians => "/guardians",
            Self::Statistics => "/statistics",
            Self::Administration => "/administration",
        }
    }

    /// The message key of the area's name in the navigation.
    pub fn nav_key(self) -> &'static str {
        match self {
            Self::Referrals => "nav.referrals",
            Self::Cases => "nav.cases",
            Self::Support => "nav.support",
            Self::Guardians => "nav.guardians",
            Self::Statistics => "nav.statistics",
            Self::Administration => "nav.administration",
        }
    }

    /// The message key of a sentence saying what the area is for (the chooser shows it).
    pub fn hint_key(self) -> &'static str {
        match self {
            Self::Referrals => "area.referrals.hint",
            Self::Cases => "area.cases.hint",
            Self::Support => "area.support.hint",
            Self::Guardians => "area.guardians.hint",
            Self::Statistics => "area.statistics.hint",
            Self::Administration => "area.administration.hint",
        }
    }

    /// Whether `principal` can use this area's pages.
    pub fn open_to(self, principal: &Principal) -> bool {
        let may = |operation| nrm_access::authorise(principal, operation).is_ok();
        match self {
            Self::Referrals => may(Operation::SubmitReferral) || may(Operation::SubmitDutyToNotify),
            // A First Responder's cases are their referrals (the Referrals area); in a First
            // Responder Organisation the queue is the referral manager's.
            Self::Cases => match nrm_access::list_scope(principal) {
                ListScope::Nothing => false,
                ListScope::ReferredBy(_) => principal.has(Role::ReferralManager),
                _ => true,
            },
            // Support workers and managers (their provider's people) and the Home Office's
            // contract managers (every provider), as the support policy lists episodes.
            Self::Support => nrm_access::support::authorise_support_service(
                principal,
                nrm_access::support::SupportServiceOperation::ListEpisodes,
            )
            .is_ok(),
            // Guardians (their children) and the guardian service's manager (every child), as
            // the children policy lists episodes.
            Self::Guardians => nrm_access::children::authorise_guardian_service(
                principal,
                nrm_access::children::GuardianServiceOperation::ListEpisodes,
            )
            .is_ok(),
            Self::Statistics => {
                principal.has(Role::Analyst)
                    && principal.organisation_kind == OrganisationKind::Analysts
            }
            Self::Administration => {
                may(Operation::ManageUsers) || may(Operation::ManageOrganisations)
            }
        }
    }
}

/// The areas `principal` works in, in navigation order.
pub fn areas(principal: &Principal) -> Vec<Area> {
    if principal.token_scopes.is_some() {
        return Vec::new();
    }
    Area::ALL
        .into_iter()
        .filter(|a| a.open_to(principal))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nrm_domain::Actor;
    use nrm_domain::event::CompetentAuthority;
    use nrm_domain::ids::{OrganisationId, UserId};

    fn principal(kind: OrganisationKind, roles: &[Role]) -> Principal {
        Principal {
            actor: Actor {
                user: UserId(uuid::Uuid::from_u128(1)),
                organisation: OrganisationId(uuid::Uuid::from_u128(2)),
            },
            organisation_kind: kind,
            roles: roles.to_vec(),
            allocated_cases_only: false,
            token_scopes: None,
            authenticated_at: None,
        }
    }

    #[test]
    fn each_role_has_the_areas_its_pages_serve() {
        let fro = OrganisationKind::FirstResponderOrganisation;
        let sca = OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Sca,
        };
        let pilot = OrganisationKind::LocalAuthority {
            pilot_site: Some("hull".to_owned()),
        };
        use Area as A;
        for (kind, roles, expected) in [
            (fro.clone(), vec![Role::FirstResponder], vec![A::Referrals]),
            (fro.clone(), vec![Role::ReferralManager], vec![A::Cases]),
            (
                fro.clone(),
                vec![Role::FirstResponder, Role::FroAdministrator],
                vec![A::Referrals, A::Administration],
            ),
            (sca.clone(), vec![Role::DecisionMaker], vec![A::Cases]),
            (sca.clone(), vec![Role::CaManager], vec![A::Cases]),
            (pilot, vec![Role::LocalAuthorityPanelMember], vec![A::Cases]),
            (
                OrganisationKind::LocalAuthority { pilot_site: None },
                vec![Role::LocalAuthorityPanelMember],
                vec![],
            ),
            (
                OrganisationKind::AssurancePanel,
                vec![Role::PanelMember],
                vec![A::Cases],
            ),
            (
                OrganisationKind::SupportProvider,
                vec![Role::SupportProviderWorker],
                vec![A::Support],
            ),
            (
                OrganisationKind::SupportProvider,
                vec![Role::SupportManager],
                vec![A::Support],
            ),
            (
                OrganisationKind::ContractManagement,
                vec![Role::ContractManager],
                vec![A::Support],
            ),
            (
                OrganisationKind::GuardianService,
                vec![Role::Guardian],
                vec![A::Guardians],
            ),
            (
                OrganisationKind::GuardianService,
                vec![Role::GuardianManager],
                vec![A::Guardians],
            ),
            // A guardian role outside the guardian service opens nothing.
            (
                OrganisationKind::SupportProvider,
                vec![Role::Guardian],
                vec![],
            ),
            (
                OrganisationKind::Analysts,
                vec![Role::Analyst],
                vec![A::Cases, A::Statistics],
            ),
            (
                OrganisationKind::Administrators,
                vec![Role::Administrator],
                vec![A::Administration],
            ),
            // A role held in the wrong kind of organisation opens nothing.
            (sca, vec![Role::FirstResponder], vec![]),
            (fro, vec![Role::DecisionMaker], vec![]),
        ] {
            assert_eq!(
                areas(&principal(kind.clone(), &roles)),
                expected,
                "{kind:?} {roles:?}"
            );
        }
    }

    #[test]
    fn an_api_token_has_no_pages() {
        let mut p = principal(
            OrganisationKind::FirstResponderOrganisation,
            &[Role::FirstResponder],
        );
        p.token_scopes = Some(vec![Operation::SubmitReferral]);
        assert!(areas(&p).is_empty());
    }
}
