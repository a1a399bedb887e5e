//! Finding a case by reference never finds one the caller may not read: every role, in its
//! own organisation and in others, against referrals from two First Responder Organisations
//! (an adult's and a child's, one routed to the SCA and one to a pilot panel) and a Duty to
//! Notify report, on SQLite and PostgreSQL. Found exactly when the policy allows reading;
//! every search audited with its term hashed, never in the clear.

use chrono::{DateTime, TimeZone, Utc};
use nrm_access::{CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::event::CompetentAuthority;
use nrm_domain::fixtures;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, Rulebook};
use nrm_service::Cases;
use nrm_store::testing;
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn principal(user: u128, organisation: u128, kind: OrganisationKind, role: Role) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(user)),
            organisation: OrganisationId(Uuid::from_u128(organisation)),
        },
        organisation_kind: kind,
        roles: vec![role],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

/// Every kind of organisation a role can sit in, twice over (two organisations of each kind).
fn kinds() -> Vec<OrganisationKind> {
    vec![
        OrganisationKind::FirstResponderOrganisation,
        OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Sca,
        },
        OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Ieca,
        },
        OrganisationKind::LocalAuthority {
            pilot_site: Some("hull".to_owned()),
        },
        OrganisationKind::LocalAuthority {
            pilot_site: Some("york".to_owned()),
        },
        OrganisationKind::AssurancePanel,
        OrganisationKind::SupportProvider,
        OrganisationKind::GuardianService,
        OrganisationKind::Analysts,
        OrganisationKind::Administrators,
    ]
}

#[tokio::test]
async fn a_reference_search_finds_exactly_the_cases_the_policy_lets_the_caller_read() {
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        // Two First Responder Organisations (1 and 2), a responder in each (users 1 and 2).
        let fro = OrganisationKind::FirstResponderOrganisation;
        let mut child = fixtures::child_referral();
        child.local_authority_area = Some("hull".to_owned());
        let submissions = [
            (1, Submission::Adult(fixtures::adult_referral())),
            (2, Submission::Child(child)),
            (1, Submission::DutyToNotify(fixtures::duty_to_notify())),
        ];
        let mut references = Vec::new();
        for (n, submission) in submissions {
            let operation = match submission {
                Submission::DutyToNotify(_) => Operation::SubmitDutyToNotify,
                _ => Operation::SubmitReferral,
            };
            let responder = principal(n, n, fro.clone(), Role::FirstResponder);
            let capability = nrm_access::authorise(&responder, operation)
                .unwrap_or_else(|_| panic!("a responder submits"));
            let submitted = cases
                .submit(&capability, submission, now())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            references.push((submitted.case_id, submitted.reference));
        }
        let mut checked = 0;
        let mut found = 0;
        for (k, kind) in kinds().into_iter().enumerate() {
            for organisation in [1u128, 2] {
                for role in Role::ALL {
                    let who = principal(100 + k as u128, organisation, kind.clone(), role);
                    let Ok(list) = nrm_access::authorise(&who, Operation::ListCases) else {
                        continue;
                    };
                    for (case_id, reference) in &references {
                        let facts = cases
                            .case_facts(*case_id, now().date_naive())
                            .await
                            .ok()
                            .flatten()
                            .unwrap_or_else(|| panic!("facts"));
                        let may =
                            nrm_access::authorise_case(&who, CaseOperation::Read, &facts).is_ok();
                        // As typed: in lower case, with spaces around.
                        let typed = format!("  {}  ", reference.to_string().to_lowercase());
                        let got = cases
                            .find_reference(&list, &who, &typed, now())
                            .await
                            .unwrap_or_else(|e| panic!("{e}"));
                        assert_eq!(
                            got.as_ref(),
                            may.then_some(reference),
                            "{kind:?} {organisation} {role:?} {reference}"
                        );
                        checked += 1;
                        found += usize::from(may);
                    }
                }
            }
        }
        assert!(checked >= 60, "{checked}");
        assert!(found > 5 && found < checked, "{found} of {checked}");
        // A search is audited with the term hashed, never in the clear.
        let entries = store
            .store
            .audit_entries(0, 1_000_000)
            .await
            .unwrap_or_default();
        let searches: Vec<_> = entries.iter().filter(|e| e.action == "case.find").collect();
        assert_eq!(searches.len(), checked);
        for (_, reference) in &references {
            let clear = reference.to_string();
            assert!(
                searches.iter().all(|e| {
                    e.subject.as_deref().is_some_and(|s| s.starts_with("term:"))
                        && !format!("{e:?}").to_uppercase().contains(&clear)
                }),
                "no reference in the clear"
            );
        }
        store.cleanup().await;
    }
}
