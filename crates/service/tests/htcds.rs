//! The HTCDS exchange through the service, on SQLite and PostgreSQL: the export is for
//! analysts, k-anonymous, audited with its purpose and free of names and birth dates; the
//! import takes a file mixing valid, invalid and unknown fields through the legacy import,
//! refuses by line and rule, counts the fields not imported, and makes no duplicate when the
//! same file comes twice.

use chrono::{DateTime, TimeZone, Utc};
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::fixtures::{self, CANARY};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, Rulebook};
use nrm_service::{Cases, HtcdsExportRequest, HtcdsImportReport};
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
async fn analysts_export_htcds_k_anonymous_without_names_or_birth_dates_and_audited() {
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
        // 24 alike adult referrals in March 2026 (names and contact details carry the canary,
        // the birth date is 15 June 1995).
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
        let request = |k: usize| HtcdsExportRequest {
            period: Period::Year(2026),
            as_at: None,
            k,
            purpose: Purpose::parse("DSA-2026-HTCDS").unwrap_or_else(|e| panic!("{e}")),
        };
        let (records, report) = cases
            .htcds_export(&capability, request(10), at(25), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (report.cases, records.len(), report.suppressed),
            (24, 24, 0)
        );
        let csv = nrm_stats::htcds::to_csv(&records);
        // The canary test: nothing of the names, contact details, address or narrative, and
        // neither the birth date nor its year.
        assert!(!csv.contains(CANARY), "personal data in an HTCDS export");
        // (The keyed pseudonyms, random hex, are left out of the search for a year: one of
        // them held "1995" now and then, about one run in fifty.)
        let values: Vec<&str> = csv
            .lines()
            .map(|line| line.split_once(',').map_or(line, |(_, rest)| rest))
            .collect();
        assert!(
            values.iter().all(|v| !v.contains("1995")),
            "a birth date in an HTCDS export"
        );
        assert!(!csv.contains("2026-03-0"), "a day in an HTCDS export");
        for r in &records {
            assert_eq!(r.get("prs_Gender"), "Masculine");
            assert_eq!(r.get("prs_Citizenship"), "AL");
            assert_eq!(r.get("cas_IncomingReferralDate"), "2026-03");
            assert_eq!(r.get("vic_TypeOfExploitation"), "ForcedLabour");
            assert_eq!(r.get("org_Type"), "LawEnforcement");
            assert_eq!(
                r.get("vic_TraffickingStatus"),
                "PossibleVictimOfTrafficking"
            );
        }

        // k larger than the file: every record left out rather than one published alone.
        let (none, report) = cases
            .htcds_export(&capability, request(25), at(25), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(none.is_empty() && report.suppressed == 24, "{report:?}");

        let entries = store
            .store
            .audit_entries(0, 10_000)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let exports: Vec<_> = entries
            .iter()
            .filter(|e| e.action == "statistics.htcds_export")
            .collect();
        assert_eq!(exports.len(), 2);
        assert!(exports.iter().all(|e| {
            e.subject.as_deref().is_some_and(|s| {
                s.starts_with("statistics:htcds:2026:") && s.ends_with(":purpose:DSA-2026-HTCDS")
            })
        }));
        // Only analysts.
        assert!(
            cases
                .htcds_export(&submit, request(10), at(25), |_| {})
                .await
                .is_err()
        );
        store.cleanup().await;
    }
}

fn import_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Lines 2, 3, 4 and 11 are good (an adult, a child, an anonymous report and a record with
/// no Id); 5 to 9 each break one rule; 10 is blank. Three columns are not imported:
/// `vic_MethodsOfControl` and `prs_MaritalStatus` (HTCDS fields the NRM has no place for) and
/// `Notes` (not HTCDS).
fn mixed_file() -> String {
    let header = "Id,cas_IncomingReferralDate,prs_FirstName,prs_SecondName,prs_Birthdate,prs_Gender,prs_Citizenship,vic_AgeWhenTrafficked,vic_TypeOfExploitation,org_Type,org_Name,hte_Country,hte_State,con_Consent,vic_MethodsOfControl,prs_MaritalStatus,Notes";
    let lines = [
        header.to_owned(),
        format!(
            "A-1,2024-05-10,Given{CANARY},Family{CANARY},1990-01-02,Feminine,AL,,ForcedLabour;SexualExploitation,LawEnforcement,Met,GB,England,true,DebtBondage,Single,\"free, text {CANARY}\""
        ),
        format!(
            "A-2,2023-02-01,Child{CANARY},Kid,2010-06-01,Masculine,VN,,Servitude,NGO,,GB,Scotland,,,,"
        ),
        "A-3,2024-07-01,,,,NonSpecifiedUnknown,,30,Other,CentralGovernmentOrganisation,,,,,,,"
            .to_owned(),
        format!(
            "A-4,2024-13-01,Given{CANARY},Family,1990-01-02,Feminine,AL,,ForcedLabour,LawEnforcement,,,,true,,,"
        ),
        format!(
            "A-5,2024-05-10,Given{CANARY},Family,1990-01-02,Female,AL,,ForcedLabour,LawEnforcement,,,,true,,,"
        ),
        format!(
            "A-6,2024-05-10,Given{CANARY},Family,1990-01-02,Feminine,AL,,ForcedLabour,HealthServiceOrganisation,,,,true,,,"
        ),
        format!(
            "A-7,2024-05-10,Given{CANARY},Family,1990-01-02,Feminine,AL,,ForcedLabour,LawEnforcement,,,,false,,,"
        ),
        format!(
            "A-8,2030-01-01,Given{CANARY},Family,1990-01-02,Feminine,AL,,ForcedLabour,LawEnforcement,,,,true,,,"
        ),
        String::new(),
        format!(
            ",2022-09-09,Other{CANARY},Person,1985-03-03,NonConforming,ER;SD,,ForcedBegging,LocalGovernmentOrganisation,,ER,,true,,,"
        ),
    ];
    lines.join("\r\n") + "\r\n"
}

async fn import(cases: &Cases, file: &str) -> HtcdsImportReport {
    let system = Principal {
        actor: Actor::SYSTEM,
        organisation_kind: OrganisationKind::Administrators,
        roles: vec![Role::Administrator],
        allocated_cases_only: false,
        token_scopes: Some(vec![Operation::ImportLegacyCases]),
        authenticated_at: None,
    };
    let capability = nrm_access::authorise(&system, Operation::ImportLegacyCases)
        .unwrap_or_else(|_| panic!("the system client may import"));
    cases
        .import_htcds(&capability, file, import_now())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn refused(report: &HtcdsImportReport) -> Vec<(usize, &str)> {
    report
        .refused
        .iter()
        .map(|r| (r.line, r.rule.as_str()))
        .collect()
}

#[tokio::test]
async fn an_htcds_file_goes_through_the_legacy_import_with_refusals_and_unmapped_fields() {
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        let file = mixed_file();
        let first = import(&cases, &file).await;
        let rules = refused(&first);
        assert_eq!(
            rules[..4],
            [
                (5, "htcds-bad-value"),
                (6, "htcds-bad-value"),
                (7, "htcds-not-a-first-responder"),
                (8, "htcds-no-consent"),
            ],
            "{first:#?}"
        );
        // The future referral is refused by the legacy import's own rule, not the mapping's.
        assert_eq!(rules.len(), 5, "{first:#?}");
        assert_eq!(rules[4].0, 9);
        assert!(!rules[4].1.starts_with("htcds-"), "{first:#?}");
        for r in &first.refused {
            assert!(!r.message.contains(CANARY), "{r:?}");
        }
        assert_eq!(
            (first.records, first.imported, first.already_present),
            (9, 4, 0),
            "{first:#?}"
        );
        let unmapped: Vec<(&str, usize)> = first
            .unmapped
            .iter()
            .map(|(f, n)| (f.as_str(), *n))
            .collect();
        assert_eq!(
            unmapped,
            vec![
                ("Notes", 1),
                ("prs_MaritalStatus", 1),
                ("vic_MethodsOfControl", 1)
            ]
        );
        assert_eq!(store.query_i64("SELECT COUNT(*) FROM cases").await, 4);
        for (kind, n) in [
            ("adult_referral", 2),
            ("child_referral", 1),
            ("duty_to_notify", 1),
        ] {
            assert_eq!(
                store
                    .query_i64(&format!(
                        "SELECT COUNT(*) FROM case_summaries WHERE kind = '{kind}'"
                    ))
                    .await,
                n,
                "{kind}"
            );
        }
        assert!(!store.dump_text().await.contains(CANARY));
        // Audited: the four records the mapping refused, the one the legacy import refused,
        // and the file.
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'case.import' AND outcome LIKE 'refused:htcds-%'")
                .await,
            4
        );
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'case.import' AND outcome LIKE 'refused:%'")
                .await,
            5
        );
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'case.import.htcds' AND outcome = 'ok'")
                .await,
            1
        );
        let events = store.query_i64("SELECT COUNT(*) FROM case_events").await;

        // The same file again: nothing new, the same refusals, each case still once.
        let second = import(&cases, &file).await;
        assert_eq!(refused(&second), rules);
        assert_eq!(
            (second.imported, second.already_present),
            (0, 4),
            "{second:#?}"
        );
        assert_eq!(store.query_i64("SELECT COUNT(*) FROM cases").await, 4);
        assert_eq!(
            store.query_i64("SELECT COUNT(*) FROM case_events").await,
            events
        );
        store.cleanup().await;
    }
}
