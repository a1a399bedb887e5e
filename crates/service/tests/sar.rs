//! Subject access through the service, on SQLite and PostgreSQL (issue #17 item 6): a person
//! seeded with personal details and a decision with written reasons, beside another person's
//! case; the export holds every seeded field and the reasons, nothing of the other person,
//! no staff identity (only organisation names), and is audited.

// Security target #32

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_access::{CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::event::{CompetentAuthority, Outcome};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, Rulebook, fixtures};
use nrm_service::{Cases, DecisionInput, DecisionKind, ServiceError};
use nrm_store::identity::OrganisationRow;
use nrm_store::testing;
use uuid::Uuid;

const REASONS: &str = "Reasons-SAR-8812: the account is credible.";
const OTHER: &str = "OtherPerson-SAR-5531";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn person(user: u128, organisation: u128, kind: OrganisationKind, roles: Vec<Role>) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(user)),
            organisation: OrganisationId(Uuid::from_u128(organisation)),
        },
        organisation_kind: kind,
        roles,
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

#[tokio::test]
async fn the_export_holds_everything_about_the_person_and_nothing_of_anyone_else() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let cases = Cases::new(t.store.clone(), Rulebook::current());
        for (id, name, kind) in [
            (
                101u128,
                "West Midlands Police",
                "first_responder_organisation",
            ),
            (102, "Single Competent Authority", "competent_authority"),
        ] {
            t.store
                .create_organisation(
                    &OrganisationRow {
                        id: OrganisationId(Uuid::from_u128(id)),
                        name: name.to_owned(),
                        kind: kind.to_owned(),
                        designated_from: Some(date(2010, 1, 1)),
                        designated_to: None,
                    },
                    noon(date(2025, 1, 1)),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let responder = person(
            11,
            101,
            OrganisationKind::FirstResponderOrganisation,
            vec![Role::FirstResponder],
        );
        let caseworker = person(
            12,
            102,
            OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            vec![Role::CaManager, Role::DecisionMaker],
        );
        let dpo = person(
            13,
            103,
            OrganisationKind::Administrators,
            vec![Role::Administrator],
        );
        let submit = nrm_access::authorise(&responder, Operation::SubmitReferral)
            .unwrap_or_else(|_| panic!("submit"));
        let on = date(2025, 3, 3);
        let mine = cases
            .submit(
                &submit,
                Submission::Adult(fixtures::adult_referral()),
                noon(on),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut other = fixtures::adult_referral();
        other.victim.given_names = OTHER.to_owned();
        other.victim.family_name = OTHER.to_owned();
        other.victim.narrative = OTHER.to_owned();
        other.victim.contact = None;
        other.victim.current_address = None;
        other.victim.other_names = vec![];
        cases
            .submit(&submit, Submission::Adult(other), noon(on))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let decided_on = date(2025, 3, 10);
        let facts = cases
            .case_facts(mine.case_id, decided_on)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("facts"));
        let decide = nrm_access::authorise_case(&caseworker, CaseOperation::Decide, &facts)
            .unwrap_or_else(|_| panic!("decide"));
        cases
            .decide(
                &decide,
                None,
                DecisionKind::ReasonableGrounds,
                DecisionInput {
                    outcome: Outcome::Positive,
                    decided_on,
                    reasons: REASONS.to_owned(),
                    negative_reason: None,
                },
                noon(decided_on),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        // Only the DPO (a service administrator) may export.
        assert!(nrm_access::authorise(&caseworker, Operation::SubjectAccess).is_err());
        let cap = nrm_access::authorise(&dpo, Operation::SubjectAccess)
            .unwrap_or_else(|_| panic!("the DPO may export"));
        let now = noon(date(2025, 4, 1));
        let export = cases
            .subject_access(&cap, &mine.reference, now)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let json = serde_json::to_string(&export).unwrap_or_else(|e| panic!("{e}"));
        let seeded = fixtures::personal_details(None);
        for field in [
            seeded.given_names.as_str(),
            seeded.family_name.as_str(),
            seeded.other_names[0].as_str(),
            seeded.contact.as_deref().unwrap_or_default(),
            seeded.current_address.as_deref().unwrap_or_default(),
            seeded.narrative.as_str(),
            "1995-06-15",
            "Albanian",
            REASONS,
            mine.reference.as_str(),
        ] {
            assert!(json.contains(field), "{field} is in the export");
        }
        assert_eq!(
            export
                .personal_details
                .as_ref()
                .map(|d| d.given_names.as_str()),
            Some(seeded.given_names.as_str())
        );
        assert!(!json.contains(OTHER), "nothing of another person");
        for staff in [&responder, &caseworker] {
            assert!(
                !json.contains(&staff.actor.user.0.to_string()),
                "no staff identity"
            );
        }
        assert!(json.contains("West Midlands Police"));
        assert!(json.contains("Single Competent Authority"));
        assert_eq!(export.respond_by, date(2025, 4, 29));
        assert!(export.events.len() >= 2);
        assert!(export.records.iter().any(|r| r.review_before_release));
        assert!(
            export
                .access_log
                .iter()
                .any(|a| a.action == "case.submit" && a.organisation == "West Midlands Police")
        );
        assert!(!json.contains("ciphertext") && !json.contains("wrapped_key"));

        // Audited, and an unknown reference is not found (and audited too).
        let audited = t
            .store
            .audit_for_case(mine.case_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            audited
                .iter()
                .any(|e| e.action == "subject_access.export" && e.outcome == "ok")
        );
        let missing = nrm_domain::CaseReference::generate(
            nrm_domain::reference::ReferenceKind::Referral,
            2019,
            42,
        );
        assert!(matches!(
            cases.subject_access(&cap, &missing, now).await,
            Err(ServiceError::NotFound)
        ));
        t.cleanup().await;
    }
}
