//! Saved referral drafts through the service, on SQLite and PostgreSQL: only the owner sees a
//! draft, saves are optimistic, and a draft submitted twice (one after the other, or at the
//! same moment) makes one case.

use chrono::{DateTime, Duration, TimeZone, Utc};
use nrm_access::{Capability, Operation, OrganisationKind, Principal, Role};
use nrm_domain::fixtures;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, DomainError, Rulebook};
use nrm_service::{Cases, DraftId, DraftKind, DraftSubmitted, ServiceError};
use nrm_store::QueueQuery;
use nrm_store::testing;
use serde_json::json;
use uuid::Uuid;

const CANARY: &str = "DRAFT-SERVICE-CANARY-51c2";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn responder(user: u128, organisation: u128) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(user)),
            organisation: OrganisationId(Uuid::from_u128(organisation)),
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

/// The owner, a colleague in the same organisation, and a responder elsewhere.
const OWNER: u128 = 1;
const COLLEAGUE: u128 = 2;
const OUTSIDER: u128 = 3;
const ORG: u128 = 100;
const OTHER_ORG: u128 = 200;

fn owner() -> Principal {
    responder(OWNER, ORG)
}

fn answers(step: &str) -> serde_json::Value {
    json!({ "step": step, "victim": { "name": CANARY } })
}

fn adult() -> Submission {
    Submission::Adult(fixtures::adult_referral())
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

/// How many cases `principal`'s organisation has referred.
async fn case_count(cases: &Cases, principal: &Principal) -> u64 {
    let list = cap(principal, Operation::ListCases);
    cases
        .queue(
            &list,
            principal,
            &QueueQuery::new(now().date_naive()),
            now(),
        )
        .await
        .unwrap_or_else(|e| panic!("queue: {e}"))
        .total
}

async fn started(cases: &Cases, principal: &Principal, kind: DraftKind) -> DraftId {
    let draft = cases
        .drafts()
        .start_draft(&cap(principal, kind.operation()), kind, now())
        .await
        .unwrap_or_else(|e| panic!("start draft: {e}"));
    assert_eq!(draft.summary.version, 1);
    assert_eq!(draft.answers, json!({}));
    draft.summary.id
}

#[test]
fn kinds_have_stable_codes() {
    for kind in DraftKind::ALL {
        assert_eq!(DraftKind::parse(kind.code()), Some(kind));
    }
    assert_eq!(DraftKind::DutyToNotify.code(), "duty_to_notify");
    assert_eq!(DraftKind::parse("Adult"), None);
    let id = DraftId(Uuid::from_u128(7));
    assert_eq!(id.to_string().parse::<DraftId>().ok(), Some(id));
}

#[tokio::test]
async fn nobody_but_the_owner_learns_a_draft_exists() {
    on_each_backend(|cases| async move {
        let referral = cap(&owner(), Operation::SubmitReferral);
        let id = started(&cases, &owner(), DraftKind::Adult).await;
        cases
            .drafts()
            .save_draft(&referral, id, 1, &answers("victim"), now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        for intruder in [
            responder(COLLEAGUE, ORG),
            responder(OUTSIDER, OTHER_ORG),
            responder(OWNER, OTHER_ORG),
        ] {
            let theirs = cap(&intruder, Operation::SubmitReferral);
            assert!(matches!(
                cases.drafts().draft(&theirs, id, now()).await,
                Err(ServiceError::NotFound)
            ));
            assert!(matches!(
                cases
                    .drafts()
                    .save_draft(&theirs, id, 2, &json!({}), now())
                    .await,
                Err(ServiceError::NotFound)
            ));
            assert!(matches!(
                cases.drafts().discard_draft(&theirs, id).await,
                Err(ServiceError::NotFound)
            ));
            assert!(matches!(
                cases
                    .drafts()
                    .submit_draft(&theirs, id, adult(), now())
                    .await,
                Err(ServiceError::NotFound)
            ));
            assert!(
                cases
                    .drafts()
                    .drafts(&theirs)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .is_empty()
            );
        }
        // The owner's capability for the other kind of submission does not reach it either.
        let notify = cap(&owner(), Operation::SubmitDutyToNotify);
        assert!(matches!(
            cases.drafts().draft(&notify, id, now()).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            cases
                .drafts()
                .submit_draft(&notify, id, adult(), now())
                .await,
            Err(ServiceError::NotFound)
        ));
        // Nor does a capability for anything else.
        let list = cap(&owner(), Operation::ListCases);
        assert!(matches!(
            cases.drafts().draft(&list, id, now()).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            cases.drafts().drafts(&list).await,
            Err(ServiceError::NotFound)
        ));
        assert!(matches!(
            cases
                .drafts()
                .start_draft(&notify, DraftKind::Adult, now())
                .await,
            Err(ServiceError::NotFound)
        ));

        // Untouched, and no case was made.
        let draft = cases
            .drafts()
            .draft(&referral, id, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.answers, answers("victim"));
        assert_eq!(draft.summary.version, 2);
        assert!(
            !format!("{draft:?}").contains(CANARY),
            "Debug prints the answers"
        );
        assert_eq!(case_count(&cases, &owner()).await, 0);
    })
    .await;
}

#[tokio::test]
async fn a_save_from_a_stale_page_is_a_conflict() {
    on_each_backend(|cases| async move {
        let referral = cap(&owner(), Operation::SubmitReferral);
        let id = started(&cases, &owner(), DraftKind::Child).await;
        let later = now() + Duration::minutes(3);
        assert_eq!(
            cases
                .drafts()
                .save_draft(&referral, id, 1, &answers("one"), later)
                .await
                .ok(),
            Some(2)
        );
        let stale = cases
            .drafts()
            .save_draft(&referral, id, 1, &answers("other tab"), later)
            .await;
        assert!(
            matches!(stale, Err(ServiceError::Conflict { actual: 2 })),
            "{stale:?}"
        );
        let draft = cases
            .drafts()
            .draft(&referral, id, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.answers, answers("one"));
        assert_eq!(draft.summary.kind, DraftKind::Child);
        assert_eq!(draft.summary.updated_at, later);
        assert_eq!(
            cases
                .drafts()
                .save_draft(&referral, id, 2, &answers("two"), later)
                .await
                .ok(),
            Some(3)
        );

        let huge = json!({ "narrative": "x".repeat(nrm_service::drafts::MAX_DRAFT_BYTES) });
        let refused = cases
            .drafts()
            .save_draft(&referral, id, 3, &huge, later)
            .await;
        assert!(
            matches!(
                refused,
                Err(ServiceError::Domain(DomainError::Refused {
                    code: "draft-too-large",
                    ..
                }))
            ),
            "{refused:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn submitting_a_draft_twice_makes_one_case() {
    on_each_backend(|cases| async move {
        let referral = cap(&owner(), Operation::SubmitReferral);
        let id = started(&cases, &owner(), DraftKind::Adult).await;
        let first = cases
            .drafts()
            .submit_draft(&referral, id, adult(), now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!first.already_submitted);
        let again = cases
            .drafts()
            .submit_draft(&referral, id, adult(), now() + Duration::seconds(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            again,
            DraftSubmitted {
                already_submitted: true,
                ..first.clone()
            }
        );
        assert_eq!(case_count(&cases, &owner()).await, 1);
        assert_eq!(
            cases.find(&first.reference).await.ok().flatten(),
            Some(first.case_id)
        );
    })
    .await;
}

#[tokio::test]
async fn submitting_a_draft_twice_at_once_makes_one_case() {
    on_each_backend(|cases| async move {
        let referral = cap(&owner(), Operation::SubmitReferral);
        for round in 0..3 {
            let id = started(&cases, &owner(), DraftKind::Adult).await;
            let (a, b) = tokio::join!(
                cases.drafts().submit_draft(&referral, id, adult(), now()),
                cases.drafts().submit_draft(&referral, id, adult(), now()),
            );
            let (a, b) = (
                a.unwrap_or_else(|e| panic!("{e}")),
                b.unwrap_or_else(|e| panic!("{e}")),
            );
            assert_eq!(a.case_id, b.case_id, "round {round}: two cases");
            assert_eq!(a.reference, b.reference);
            assert!(
                a.already_submitted != b.already_submitted,
                "round {round}: {a:?} {b:?}"
            );
            assert_eq!(case_count(&cases, &owner()).await, round + 1);
        }
    })
    .await;
}

#[tokio::test]
async fn a_submitted_draft_can_no_longer_be_changed() {
    on_each_backend(|cases| async move {
        let referral = cap(&owner(), Operation::SubmitReferral);
        let id = started(&cases, &owner(), DraftKind::Adult).await;
        cases.drafts().save_draft(&referral, id, 1, &answers("done"), now()).await.unwrap_or_else(|e| panic!("{e}"));
        let submitted = cases.drafts().submit_draft(&referral, id, adult(), now()).await.unwrap_or_else(|e| panic!("{e}"));
        for version in [1, 2, 3] {
            let save = cases.drafts().save_draft(&referral, id, version, &answers("after"), now()).await;
            assert!(matches!(save, Err(ServiceError::DraftSubmitted { ref reference }) if *reference == submitted.reference), "{save:?}");
        }
        let discard = cases.drafts().discard_draft(&referral, id).await;
        assert!(matches!(discard, Err(ServiceError::DraftSubmitted { ref reference }) if *reference == submitted.reference), "{discard:?}");
        let draft = cases.drafts().draft(&referral, id, now()).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(draft.answers, answers("done"));
        assert_eq!(draft.summary.submitted.map(|s| s.case_id), Some(submitted.case_id));
    })
    .await;
}

#[tokio::test]
async fn drafts_lists_the_callers_own_with_the_submitted_ones_reference_and_status() {
    on_each_backend(|cases| async move {
        let referral = cap(&owner(), Operation::SubmitReferral);
        let notify = cap(&owner(), Operation::SubmitDutyToNotify);
        let submitted_id = started(&cases, &owner(), DraftKind::Adult).await;
        let notify_id = started(&cases, &owner(), DraftKind::DutyToNotify).await;
        let discarded = started(&cases, &owner(), DraftKind::Child).await;
        started(&cases, &responder(COLLEAGUE, ORG), DraftKind::Adult).await;
        cases
            .drafts()
            .discard_draft(&referral, discarded)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            cases.drafts().draft(&referral, discarded, now()).await,
            Err(ServiceError::NotFound)
        ));
        cases
            .drafts()
            .save_draft(
                &notify,
                notify_id,
                1,
                &json!({ "step": "where" }),
                now() + Duration::minutes(1),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let case = cases
            .drafts()
            .submit_draft(
                &referral,
                submitted_id,
                adult(),
                now() + Duration::minutes(2),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        // Listing accepts either submit capability and shows both kinds, newest first.
        for capability in [&referral, &notify] {
            let listed = cases
                .drafts()
                .drafts(capability)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let ids: Vec<DraftId> = listed.iter().map(|d| d.id).collect();
            assert_eq!(ids, vec![submitted_id, notify_id]);
            let done = listed[0]
                .submitted
                .clone()
                .unwrap_or_else(|| panic!("not submitted"));
            assert_eq!(done.reference, case.reference);
            assert_eq!(done.case_id, case.case_id);
            assert_eq!(
                done.status,
                Some(nrm_domain::case::CaseStatus::AwaitingReasonableGrounds)
            );
            assert_eq!(done.submitted_at, now() + Duration::minutes(2));
            assert_eq!(listed[1].submitted, None);
            assert_eq!(listed[1].kind, DraftKind::DutyToNotify);
            assert_eq!(listed[1].version, 2);
        }
    })
    .await;
}

#[tokio::test]
async fn a_draft_is_submitted_only_as_its_own_kind_and_only_while_designated() {
    on_each_backend(|cases| async move {
        let referral = cap(&owner(), Operation::SubmitReferral);
        let id = started(&cases, &owner(), DraftKind::Adult).await;
        let wrong = cases
            .drafts()
            .submit_draft(
                &referral,
                id,
                Submission::Child(fixtures::child_referral()),
                now(),
            )
            .await;
        assert!(
            matches!(
                wrong,
                Err(ServiceError::Domain(DomainError::Refused {
                    code: "draft-kind-mismatch",
                    ..
                }))
            ),
            "{wrong:?}"
        );

        // An organisation whose designation has not started cannot submit; the draft is kept.
        let undesignated = responder(OWNER + 10, OTHER_ORG + 10);
        let admin = cases.administration();
        let organisations = nrm_service::admin::system_capability(Operation::ManageOrganisations)
            .unwrap_or_else(|e| panic!("{e}"));
        admin
            .add_organisation(
                &organisations,
                undesignated.actor.organisation,
                "Not yet designated",
                &OrganisationKind::FirstResponderOrganisation,
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        admin
            .designate_organisation(
                &organisations,
                undesignated.actor.organisation,
                nrm_domain::clock::uk_date(now()) + chrono::Duration::days(30),
                None,
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let theirs = cap(&undesignated, Operation::SubmitReferral);
        let draft = started(&cases, &undesignated, DraftKind::Adult).await;
        let refused = cases
            .drafts()
            .submit_draft(&theirs, draft, adult(), now())
            .await;
        assert!(
            matches!(
                refused,
                Err(ServiceError::Domain(DomainError::Refused {
                    code: "not-a-first-responder-organisation",
                    ..
                }))
            ),
            "{refused:?}"
        );
        let kept = cases
            .drafts()
            .draft(&theirs, draft, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kept.summary.submitted, None);
        assert_eq!(case_count(&cases, &owner()).await, 0);
    })
    .await;
}
