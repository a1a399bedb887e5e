//! Who may refer and who may report, on every live submission (issue #10 items 6 and 7), on
//! SQLite and PostgreSQL: an organisation refers while its kind is on the dated First
//! Responder Organisation list for its nation or while it is individually designated; a Duty
//! to Notify report is accepted only from the specified public authorities of England and
//! Wales. What the organisation is (nation, list kind, designation) is set by administrators
//! and audited; the referral records the referring organisation's nation.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_access::{Capability, CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::case::CaseState;
use nrm_domain::fixtures;
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, DomainError, Rulebook};
use nrm_service::{Cases, ReferrerSettings, ServiceError};
use nrm_store::testing;
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn responder(organisation: OrganisationId) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::new_v4()),
            organisation,
        },
        organisation_kind: OrganisationKind::FirstResponderOrganisation,
        roles: vec![Role::FirstResponder],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn cap(principal: &Principal, operation: Operation) -> Capability {
    nrm_access::authorise(principal, operation)
        .unwrap_or_else(|_| panic!("a First Responder may {}", operation.code()))
}

fn organisations() -> Capability {
    nrm_service::admin::system_capability(Operation::ManageOrganisations)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn settings(
    nation: Option<UkNation>,
    list: Option<&str>,
    designated: Option<(NaiveDate, Option<NaiveDate>)>,
) -> ReferrerSettings {
    ReferrerSettings {
        nation,
        first_responder_list: list.map(str::to_owned),
        designated_from: designated.map(|(from, _)| from),
        designated_to: designated.and_then(|(_, to)| to),
    }
}

/// Registers a First Responder Organisation with `settings`.
async fn organisation(cases: &Cases, name: &str, s: &ReferrerSettings) -> OrganisationId {
    let admin = cases.administration();
    let id = admin
        .add_organisation(
            &organisations(),
            OrganisationId(Uuid::new_v4()),
            name,
            &OrganisationKind::FirstResponderOrganisation,
            now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    admin
        .set_referrer(&organisations(), id, s, now())
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    id
}

async fn submit(
    cases: &Cases,
    org: OrganisationId,
    submission: Submission,
) -> Result<nrm_service::Submitted, ServiceError> {
    let operation = match submission {
        Submission::DutyToNotify(_) => Operation::SubmitDutyToNotify,
        _ => Operation::SubmitReferral,
    };
    let who = responder(org);
    cases.submit(&cap(&who, operation), submission, now()).await
}

fn adult() -> Submission {
    Submission::Adult(fixtures::adult_referral())
}

fn report() -> Submission {
    Submission::DutyToNotify(fixtures::duty_to_notify())
}

fn refused_with(result: &Result<nrm_service::Submitted, ServiceError>, code: &str) -> bool {
    matches!(result, Err(ServiceError::Domain(DomainError::Refused { code: c, .. })) if *c == code)
}

async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(Cases) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        test(Cases::new(store.store.clone(), Rulebook::current())).await;
        store.cleanup().await;
    }
}

#[tokio::test]
async fn every_live_submission_is_judged_on_the_organisations_list_entry_and_nation() {
    on_each_backend(|cases| async move {
        use UkNation::*;
        // (what, nation, list kind, individual designation, referral accepted, report accepted)
        type Row = (
            &'static str,
            Option<UkNation>,
            Option<&'static str>,
            Option<(NaiveDate, Option<NaiveDate>)>,
            bool,
            bool,
        );
        let rows: &[Row] = &[
            (
                "A police force in England: refers and reports (s52)",
                Some(England),
                Some("police"),
                None,
                true,
                true,
            ),
            (
                "A Welsh county council: refers and reports (s52(5))",
                Some(Wales),
                Some("local-authority"),
                None,
                true,
                true,
            ),
            (
                "The Salvation Army in England: refers, but the duty is not its",
                Some(England),
                Some("salvation-army"),
                None,
                true,
                false,
            ),
            (
                "Police Scotland: refers; Scotland has no duty to notify in force",
                Some(Scotland),
                Some("police-scotland"),
                None,
                true,
                false,
            ),
            (
                "The PSNI: refers; Northern Ireland has no duty to notify",
                Some(NorthernIreland),
                Some("psni"),
                None,
                true,
                false,
            ),
            (
                "The UK Border Agency left the list on 31 March 2013",
                Some(England),
                Some("uk-border-agency"),
                None,
                false,
                false,
            ),
            (
                "Nation not recorded: on no nation's list",
                None,
                None,
                None,
                false,
                false,
            ),
            (
                "Not of a listed kind, individually designated from 2020",
                Some(England),
                None,
                Some((date(2020, 1, 1), None)),
                true,
                false,
            ),
            (
                "An individual designation that ended in 2024",
                Some(England),
                None,
                Some((date(2020, 1, 1), Some(date(2024, 12, 31)))),
                false,
                false,
            ),
            (
                "An individual designation starting next year",
                Some(England),
                None,
                Some((date(2026, 1, 1), None)),
                false,
                false,
            ),
            (
                "The UK Border Agency, individually designated now",
                Some(England),
                Some("uk-border-agency"),
                Some((date(2013, 4, 1), None)),
                true,
                false,
            ),
        ];
        for (what, nation, list, designated, refers, reports) in rows {
            let org = organisation(&cases, what, &settings(*nation, *list, *designated)).await;
            let referral = submit(&cases, org, adult()).await;
            assert_eq!(referral.is_ok(), *refers, "{what}: {referral:?}");
            if !refers {
                assert!(
                    refused_with(&referral, "not-a-first-responder-organisation"),
                    "{what}: {referral:?}"
                );
            }
            let dtn = submit(&cases, org, report()).await;
            assert_eq!(dtn.is_ok(), *reports, "{what}: {dtn:?}");
            if !reports {
                assert!(
                    refused_with(&dtn, "duty-to-notify-not-for-this-organisation"),
                    "{what}: {dtn:?}"
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_referral_records_the_referring_organisations_nation() {
    on_each_backend(|cases| async move {
        let org = organisation(
            &cases,
            "Police Scotland",
            &settings(Some(UkNation::Scotland), Some("police-scotland"), None),
        )
        .await;
        let submitted = submit(&cases, org, adult())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let reader = responder(org);
        let facts = cases
            .case_facts(submitted.case_id, now().date_naive())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the case exists"));
        let read = nrm_access::authorise_case(&reader, CaseOperation::Read, &facts)
            .unwrap_or_else(|_| panic!("the organisation reads its referral"));
        let view = cases
            .view(&read, None, None, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        match view.state {
            CaseState::Referral(r) => {
                assert_eq!(r.referring_organisation_nation, Some(UkNation::Scotland));
            }
            other => panic!("not a referral: {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn administrators_can_only_record_a_list_kind_the_rulebook_has_for_the_nation() {
    on_each_backend(|cases| async move {
        let admin = cases.administration();
        let org = admin
            .add_organisation(
                &organisations(),
                OrganisationId(Uuid::new_v4()),
                "Some FRO",
                &OrganisationKind::FirstResponderOrganisation,
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let invalid = |s: ReferrerSettings, field: &'static str| {
            let cases = cases.clone();
            async move {
                let result = cases
                    .administration()
                    .set_referrer(&organisations(), org, &s, now())
                    .await;
                match result {
                    Err(ServiceError::Domain(DomainError::Invalid(problems))) => {
                        assert!(problems.iter().any(|p| p.field == field), "{problems:?}");
                    }
                    other => panic!("expected a problem at {field}: {other:?}"),
                }
            }
        };
        // Police forces of England and Wales are not on Scotland's list.
        invalid(
            settings(Some(UkNation::Scotland), Some("police"), None),
            "/first_responder_list",
        )
        .await;
        invalid(
            settings(Some(UkNation::England), Some("no-such-kind"), None),
            "/first_responder_list",
        )
        .await;
        invalid(settings(None, Some("police"), None), "/nation").await;
        invalid(
            settings(
                Some(UkNation::England),
                None,
                Some((date(2024, 1, 1), Some(date(2023, 1, 1)))),
            ),
            "/designated_to",
        )
        .await;
        // Only a First Responder Organisation has a list kind.
        let panel = admin
            .add_organisation(
                &organisations(),
                OrganisationId(Uuid::new_v4()),
                "Panel",
                &OrganisationKind::AssurancePanel,
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let refused = admin
            .set_referrer(
                &organisations(),
                panel,
                &settings(Some(UkNation::England), Some("police"), None),
                now(),
            )
            .await;
        assert!(
            matches!(refused, Err(ServiceError::Domain(DomainError::Invalid(_)))),
            "{refused:?}"
        );
        // Nothing was changed by the refusals; a good change reads back, with a new version.
        let before = admin
            .referrer(&organisations(), org, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let designated = before.settings.designated_from;
        assert!(
            designated.is_some(),
            "registered FROs are designated from the day: {before:?}"
        );
        assert_eq!(before.settings.first_responder_list, None);
        let good = settings(Some(UkNation::Wales), Some("bawso"), None);
        admin
            .set_referrer(&organisations(), org, &good, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let after = admin
            .referrer(&organisations(), org, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(after.settings, good);
        assert_ne!(after.settings.version(), before.settings.version());
        // An unknown organisation is not found.
        let nobody = admin
            .set_referrer(
                &organisations(),
                OrganisationId(Uuid::new_v4()),
                &good,
                now(),
            )
            .await;
        assert!(matches!(nobody, Err(ServiceError::NotFound)), "{nobody:?}");
    })
    .await;
}
