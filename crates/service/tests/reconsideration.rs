//! Reconsideration asked by a support provider for a person it supports (issue #10 item 8),
//! through the service on SQLite and PostgreSQL: the request is recorded with the support
//! provider as requester, audited, and judged by the dated rules like any other request.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::reconsideration::authorise_supported_reconsideration;
use nrm_access::support::EpisodeFacts;
use nrm_access::{CaseCapability, CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::event::{
    CaseEvent, CompetentAuthority, DecisionRef, NegativeReason, Outcome, ReviewOutcome,
    ReviewedDecision,
};
use nrm_domain::fixtures;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::rules::Requester;
use nrm_domain::submission::Submission;
use nrm_domain::support::EpisodeId;
use nrm_domain::{Actor, DomainError, Rulebook};
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
const SECOND_CASEWORKER: u128 = 3;
const WORKER: u128 = 4;
const PROVIDER_ORG: u128 = 2000;

fn principal(n: u128) -> Principal {
    let (organisation, organisation_kind, roles) = match n {
        RESPONDER => (
            1000,
            OrganisationKind::FirstResponderOrganisation,
            vec![Role::FirstResponder],
        ),
        WORKER => (
            PROVIDER_ORG,
            OrganisationKind::SupportProvider,
            vec![Role::SupportProviderWorker],
        ),
        _ => (
            1001,
            OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            vec![Role::CaManager, Role::DecisionMaker],
        ),
    };
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(n)),
            organisation: OrganisationId(Uuid::from_u128(organisation)),
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
    who: u128,
    case: CaseId,
    operation: CaseOperation,
    on: NaiveDate,
) -> CaseCapability {
    let facts = cases
        .case_facts(case, on)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the case exists"));
    nrm_access::authorise_case(&principal(who), operation, &facts)
        .unwrap_or_else(|_| panic!("{who} may {operation:?}"))
}

/// The support episode of the person referred in `case`, allocated to the worker (or not).
async fn episode(cases: &Cases, case: CaseId, on: NaiveDate, allocated: bool) -> EpisodeFacts {
    EpisodeFacts {
        episode: EpisodeId(Uuid::from_u128(77)),
        prime: OrganisationId(Uuid::from_u128(PROVIDER_ORG)),
        provider: Some(OrganisationId(Uuid::from_u128(PROVIDER_ORG))),
        worker: Some(UserId(Uuid::from_u128(if allocated { WORKER } else { 99 }))),
        case: cases
            .case_facts(case, on)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
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

/// A negative RG decided on `rg`, reviewed and served the next day.
async fn negative_rg_served(cases: &Cases, rg: NaiveDate) -> CaseId {
    let mut r = fixtures::adult_referral();
    let referred = rg - Duration::days(3);
    r.consent.referral_consent_given_on = referred;
    r.exploitation.period.started_on = Some(referred - Duration::days(200));
    r.exploitation.period.ended_on = Some(referred - Duration::days(10));
    let submit = nrm_access::authorise(&principal(RESPONDER), Operation::SubmitReferral)
        .unwrap_or_else(|_| panic!("the responder may refer"));
    let case = cases
        .submit(&submit, Submission::Adult(r), noon(referred))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .case_id;
    let decide = capability(cases, DECISION_MAKER, case, CaseOperation::Decide, rg).await;
    cases
        .decide(
            &decide,
            None,
            DecisionKind::ReasonableGrounds,
            DecisionInput {
                outcome: Outcome::Negative,
                decided_on: rg,
                reasons: "Reasons given in full.".to_owned(),
                negative_reason: Some(NegativeReason::InsufficientEvidence),
            },
            noon(rg),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let review = capability(cases, SECOND_CASEWORKER, case, CaseOperation::Review, rg).await;
    cases
        .act(
            &review,
            None,
            Action::ReviewNegativeDecision {
                decision: ReviewedDecision::ReasonableGrounds,
                outcome: ReviewOutcome::Agree,
                panel: None,
                reviewer_agency: "Single Competent Authority".to_owned(),
                reviewed_on: rg,
                reasons: "Reviewed.".to_owned(),
            },
            noon(rg),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let served = rg + Duration::days(1);
    let manage = capability(cases, DECISION_MAKER, case, CaseOperation::Manage, served).await;
    cases
        .act(
            &manage,
            None,
            Action::Serve {
                decision: DecisionRef::ReasonableGrounds,
                served_on: served,
                legal_representative: false,
            },
            noon(served),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    case
}

#[tokio::test]
async fn a_support_provider_asks_for_the_person_it_supports_and_is_recorded_as_requester() {
    on_each_backend(|cases| async move {
        let rg = date(2024, 6, 3);
        let case = negative_rg_served(&cases, rg).await;
        let asked = rg + Duration::days(10);
        // The worker the person is not allocated to gets nothing.
        let elsewhere = episode(&cases, case, asked, false).await;
        assert!(authorise_supported_reconsideration(&principal(WORKER), &elsewhere).is_err());
        // The allocated worker may ask, and the request names the support provider.
        let theirs = episode(&cases, case, asked, true).await;
        let grant = authorise_supported_reconsideration(&principal(WORKER), &theirs)
            .unwrap_or_else(|_| panic!("the allocated worker may ask"));
        cases
            .request_reconsideration_as_support_provider(
                &grant,
                None,
                DecisionRef::ReasonableGrounds,
                asked,
                false,
                noon(asked),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let read = capability(&cases, DECISION_MAKER, case, CaseOperation::Read, asked).await;
        let view = cases
            .view(&read, None, None, noon(asked))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let requested: Vec<(Requester, Actor)> = view
            .events
            .iter()
            .filter_map(|e| match &e.event {
                CaseEvent::ReconsiderationRequested { requested_by, .. } => {
                    Some((*requested_by, e.actor))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            requested,
            vec![(Requester::SupportProvider, principal(WORKER).actor)]
        );
        assert!(view.summary.reconsideration_pending);
        // The dated rules still apply: a second request for the same decision is refused.
        let again = cases
            .request_reconsideration_as_support_provider(
                &grant,
                None,
                DecisionRef::ReasonableGrounds,
                asked,
                false,
                noon(asked),
            )
            .await;
        assert!(
            matches!(
                again,
                Err(ServiceError::Domain(DomainError::Refused { .. }))
            ),
            "{again:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_request_out_of_time_is_refused_for_a_support_provider_as_for_anyone() {
    on_each_backend(|cases| async move {
        // From February 2024 a request must come within 30 calendar days of service.
        let rg = date(2024, 6, 3);
        let case = negative_rg_served(&cases, rg).await;
        let late = rg + Duration::days(1) + Duration::days(31);
        let theirs = episode(&cases, case, late, true).await;
        let grant = authorise_supported_reconsideration(&principal(WORKER), &theirs)
            .unwrap_or_else(|_| panic!("the allocated worker may ask"));
        let refused = cases
            .request_reconsideration_as_support_provider(
                &grant,
                None,
                DecisionRef::ReasonableGrounds,
                late,
                false,
                noon(late),
            )
            .await;
        assert!(
            matches!(
                refused,
                Err(ServiceError::Domain(DomainError::Refused { .. }))
            ),
            "{refused:?}"
        );
    })
    .await;
}
