//! Research extracts through the service, on SQLite and PostgreSQL: only analysts; the rows
//! are the period's cases, pseudonymised afresh each time and k-anonymous; every extract is
//! audited with its purpose; no personal data in the rows.

use chrono::{DateTime, TimeZone, Utc};
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, Rulebook, fixtures};
use nrm_service::{Cases, ExtractRequest};
use nrm_stats::Period;
use nrm_stats::extract::Purpose;
use nrm_store::testing;
use uuid::Uuid;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn principal(user: u128, kind: OrganisationKind, role: Role) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(user)),
            organisation: OrganisationId(Uuid::from_u128(user + 100)),
        },
        organisation_kind: kind,
        roles: vec![role],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

#[tokio::test]
async fn analysts_extract_the_period_pseudonymised_k_anonymous_and_audited_with_the_purpose() {
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        let responder = principal(
            1,
            OrganisationKind::FirstResponderOrganisation,
            Role::FirstResponder,
        );
        let submit = nrm_access::authorise(&responder, Operation::SubmitReferral)
            .unwrap_or_else(|_| panic!("a responder submits"));
        // 24 alike adult referrals in March 2026: one group, so nothing need be generalised.
        for day in 0..24u32 {
            cases
                .submit(
                    &submit,
                    Submission::Adult(fixtures::adult_referral()),
                    at(2 + day % 20),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let analyst = principal(3, OrganisationKind::Analysts, Role::Analyst);
        let capability = nrm_access::authorise(&analyst, Operation::ReadStatistics)
            .unwrap_or_else(|_| panic!("an analyst reads statistics"));
        let request = |k: usize| ExtractRequest {
            period: Period::Year(2026),
            as_at: None,
            k,
            purpose: Purpose::parse("DSA-2026-014").unwrap_or_else(|e| panic!("{e}")),
        };
        let (rows, report) = cases
            .statistics_extract(&capability, request(10), at(25), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.cases, 24);
        assert_eq!(rows.len(), 24);
        assert_eq!(report.suppressed, 0);
        let csv = nrm_stats::extract::to_csv(&rows);
        assert!(
            !csv.contains(fixtures::CANARY),
            "personal data in an extract"
        );
        assert!(!csv.contains("2026-03-0"), "a day in an extract");

        // A second extract: the same cases under pseudonyms unrelated to the first's.
        let (again, _) = cases
            .statistics_extract(&capability, request(10), at(25), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let first: std::collections::HashSet<&String> = rows.iter().map(|r| &r.pseudonym).collect();
        assert!(again.iter().all(|r| !first.contains(&r.pseudonym)));

        // k larger than the file: every row left out rather than one published alone.
        let (none, report) = cases
            .statistics_extract(&capability, request(25), at(25), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(none.is_empty() && report.suppressed == 24, "{report:?}");

        // Audited with the purpose, each time.
        let entries = store
            .store
            .audit_entries(0, 10_000)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let extracts: Vec<_> = entries
            .iter()
            .filter(|e| e.action == "statistics.extract")
            .collect();
        assert_eq!(extracts.len(), 3);
        assert!(extracts.iter().all(|e| {
            e.subject
                .as_deref()
                .is_some_and(|s| s.ends_with(":purpose:DSA-2026-014") && s.contains(":k:"))
        }));

        // Nobody else: a decision maker's statistics capability does not exist, and a
        // capability for another operation is refused by the service.
        let decision_maker = principal(
            4,
            OrganisationKind::CompetentAuthority {
                authority: nrm_domain::event::CompetentAuthority::Sca,
            },
            Role::DecisionMaker,
        );
        assert!(nrm_access::authorise(&decision_maker, Operation::ReadStatistics).is_err());
        assert!(
            cases
                .statistics_extract(&submit, request(10), at(25), |_| {})
                .await
                .is_err()
        );
        store.cleanup().await;
    }
}

#[test]
fn a_purpose_is_a_reference_not_free_text() {
    assert!(Purpose::parse("DSA-2026-014").is_ok());
    assert!(Purpose::parse("IRAS 12345/ethics:approved").is_ok());
    assert!(Purpose::parse("ab").is_err());
    assert!(Purpose::parse("research on Jane Doe's case, born 1/2/90").is_err());
    assert!(Purpose::parse(&"x".repeat(81)).is_err());
}
