//! Where the person is now, on live submissions (issue #10 item 1), on SQLite and
//! PostgreSQL: the referral's `current_nation` is recorded on the case, a support provider's
//! reply to a request for information is counted on that nation's calendar (whoever must
//! act by a deadline counts it on their own), and the statutory support period is that
//! nation's. A referral that does not say (an API client written before the field) records
//! no nation and its deadlines fall back to the deciding authority's calendar.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::{CaseCapability, CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::calendar::Jurisdiction;
use nrm_domain::case::{CaseState, Referral};
use nrm_domain::event::{CompetentAuthority, InformationSource, NegativeReason, Outcome};
use nrm_domain::fixtures;
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, Rulebook};
use nrm_service::{Action, Cases, DecisionInput, DecisionKind, ServiceError};
use nrm_store::testing;
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

const RESPONDER: u128 = 1;
const DECISION_MAKER: u128 = 2;

fn principal(n: u128) -> Principal {
    let (organisation_kind, roles) = if n == RESPONDER {
        (
            OrganisationKind::FirstResponderOrganisation,
            vec![Role::FirstResponder],
        )
    } else {
        (
            OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            vec![Role::CaManager, Role::DecisionMaker],
        )
    };
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(n)),
            organisation: OrganisationId(Uuid::from_u128(1000 + n)),
        },
        organisation_kind,
        roles,
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

async fn capability(
    cases: &Cases,
    case: CaseId,
    operation: CaseOperation,
    on: NaiveDate,
) -> Result<CaseCapability, ServiceError> {
    let facts = cases
        .case_facts(case, on)
        .await?
        .ok_or(ServiceError::NotFound)?;
    nrm_access::authorise_case(&principal(DECISION_MAKER), operation, &facts)
        .map_err(|_| ServiceError::NotFound)
}

fn adult_in(nation: Option<UkNation>, on: NaiveDate) -> Submission {
    let mut r = fixtures::adult_referral();
    r.consent.referral_consent_given_on = on;
    r.exploitation.period.started_on = Some(on - Duration::days(200));
    r.exploitation.period.ended_on = Some(on - Duration::days(10));
    r.current_nation = nation;
    Submission::Adult(r)
}

async fn submit(cases: &Cases, submission: Submission, on: NaiveDate) -> CaseId {
    let cap = nrm_access::authorise(&principal(RESPONDER), Operation::SubmitReferral)
        .unwrap_or_else(|_| panic!("the responder may submit"));
    cases
        .submit(&cap, submission, noon(on))
        .await
        .unwrap_or_else(|e| panic!("submit: {e}"))
        .case_id
}

async fn act(cases: &Cases, case: CaseId, action: Action, on: NaiveDate) {
    let cap = capability(cases, case, action.operation(), on)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    cases
        .act(&cap, None, action, noon(on))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn referral(cases: &Cases, case: CaseId, on: NaiveDate) -> Referral {
    let read = capability(cases, case, CaseOperation::Read, on)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match cases
        .view(&read, None, None, noon(on))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .state
    {
        CaseState::Referral(r) => r,
        other => panic!("not a referral: {other:?}"),
    }
}

async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(Cases) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        scenario(Cases::new(store.store.clone(), Rulebook::current())).await;
        store.cleanup().await;
    }
}

#[tokio::test]
async fn the_persons_current_nation_is_recorded_and_counts_a_support_providers_reply() {
    on_each_backend(|cases| async move {
        let rules = Rulebook::current();
        // Friday 28 November 2025: St Andrew's Day falls on Sunday 30 November, so Scotland's
        // substitute holiday is Monday 1 December; England and Wales work that day.
        let on = date(2025, 11, 28);
        let scotland_due = rules.information_due_on_in(on, Jurisdiction::Scotland);
        let england_due = rules.information_due_on_in(on, Jurisdiction::EnglandAndWales);
        assert_ne!(scotland_due, england_due, "the calendars differ here");

        // (what, the nation the referral gives, the calendar of the support provider's reply)
        let rows: &[(&str, Option<UkNation>, Jurisdiction, NaiveDate)] = &[
            (
                "in Scotland now",
                Some(UkNation::Scotland),
                Jurisdiction::Scotland,
                scotland_due,
            ),
            (
                "in Wales now",
                Some(UkNation::Wales),
                Jurisdiction::EnglandAndWales,
                england_due,
            ),
            (
                "not known (a client that leaves the field out): the deciding authority's",
                None,
                Jurisdiction::EnglandAndWales,
                england_due,
            ),
        ];
        for (what, nation, calendar, due) in rows {
            let case = submit(&cases, adult_in(*nation, on), on).await;
            act(
                &cases,
                case,
                Action::RequestInformation {
                    from: InformationSource::SupportProvider,
                },
                on,
            )
            .await;
            // The police reply on the deciding authority's calendar wherever the person is.
            act(
                &cases,
                case,
                Action::RequestInformation {
                    from: InformationSource::Police,
                },
                on,
            )
            .await;
            let r = referral(&cases, case, on).await;
            assert_eq!(r.person_nation, *nation, "{what}: recorded on the case");
            let support = &r.information_requests[0];
            assert_eq!(support.calendar, *calendar, "{what}");
            assert_eq!(support.due_on, *due, "{what}");
            let police = &r.information_requests[1];
            assert_eq!(police.calendar, Jurisdiction::EnglandAndWales, "{what}");
            assert_eq!(police.due_on, england_due, "{what}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_support_period_is_that_of_the_nation_the_person_is_in() {
    on_each_backend(|cases| async move {
        let rules = Rulebook::current();
        let on = date(2025, 3, 3);
        let rg_on = date(2025, 3, 5);
        // (nation, last day of statutory support after a positive RG, with no CG yet)
        let rows: &[(Option<UkNation>, Option<NaiveDate>)] = &[
            (Some(UkNation::Scotland), Some(rg_on + Duration::days(89))),
            (
                Some(UkNation::NorthernIreland),
                Some(rg_on + Duration::days(44)),
            ),
            (Some(UkNation::England), None),
            (None, None),
        ];
        for (nation, last_day) in rows {
            let case = submit(&cases, adult_in(*nation, on), on).await;
            let cap = capability(&cases, case, CaseOperation::Decide, rg_on)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            cases
                .decide(
                    &cap,
                    None,
                    DecisionKind::ReasonableGrounds,
                    DecisionInput {
                        outcome: Outcome::Positive,
                        decided_on: rg_on,
                        reasons: "Reasons given in full.".to_owned(),
                        negative_reason: None::<NegativeReason>,
                    },
                    noon(rg_on),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let r = referral(&cases, case, rg_on).await;
            let rg = r.reasonable_grounds.expect("the RG is recorded");
            let got = r.person_nation.and_then(|n| {
                rules
                    .statutory_support_period(n, rg.decided_on, None)
                    .map(|end| end.last_day)
            });
            assert_eq!(got, *last_day, "{nation:?}");
        }
    })
    .await;
}
