//! Independent Child Trafficking Guardians through the service on SQLite and PostgreSQL: a
//! child referral in a covered area gets its ICTG referral at once (not one outside, nor an
//! adult's), the manager allocates a Direct Worker, the guardian records a contact whose words
//! only they read, asks for the negative RG to be reconsidered on the child's behalf through
//! the case's own rules, the age review flags the 18th birthday ahead and moves the young
//! adult to post-18 support on it; and the audit entries each step wrote.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::children::{
    GuardianOperation, GuardianServiceOperation, authorise_case_for_guardian, authorise_guardian,
    authorise_guardian_service,
};
use nrm_access::{CaseCapability, CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::children::guardian::event::{ContactKind, GuardianRole};
use nrm_domain::children::guardian::{Due, GuardianEpisodeId, GuardianStatus};
use nrm_domain::event::{
    CompetentAuthority, DecisionRef, NegativeReason, Outcome, ReviewOutcome, ReviewedDecision,
};
use nrm_domain::fixtures;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, Rulebook};
use nrm_service::guardians::GuardianAction;
use nrm_service::{Action, Cases, DecisionInput, DecisionKind, ServiceError};
use nrm_store::guardians::GuardianFilter;
use nrm_store::identity::{OrganisationRow, UserRow};
use nrm_store::testing;
use uuid::Uuid;

const CANARY: &str = "GUARDIAN-SERVICE-CANARY-8812";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn principal(
    user: u128,
    organisation: u128,
    kind: OrganisationKind,
    roles: Vec<Role>,
) -> Principal {
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

const SERVICE: u128 = 500;

fn responder() -> Principal {
    principal(
        1,
        1000,
        OrganisationKind::FirstResponderOrganisation,
        vec![Role::FirstResponder],
    )
}

fn caseworker(n: u128) -> Principal {
    principal(
        n,
        2000,
        OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Sca,
        },
        vec![Role::CaManager, Role::DecisionMaker],
    )
}

fn manager() -> Principal {
    principal(
        50,
        SERVICE,
        OrganisationKind::GuardianService,
        vec![Role::GuardianManager],
    )
}

fn guardian(n: u128) -> Principal {
    principal(
        n,
        SERVICE,
        OrganisationKind::GuardianService,
        vec![Role::Guardian],
    )
}

fn child(on: NaiveDate, area: &str, born: NaiveDate) -> Submission {
    let mut r = fixtures::child_referral();
    r.victim.date_of_birth = Some(born);
    r.exploitation.period.started_on = Some(on - Duration::days(200));
    r.exploitation.period.ended_on = Some(on - Duration::days(10));
    r.local_authority_area = Some(area.to_owned());
    Submission::Child(r)
}

fn adult(on: NaiveDate) -> Submission {
    let mut r = fixtures::adult_referral();
    r.consent.referral_consent_given_on = on;
    r.exploitation.period.started_on = Some(on - Duration::days(200));
    r.exploitation.period.ended_on = Some(on - Duration::days(10));
    Submission::Adult(r)
}

async fn case_cap(
    cases: &Cases,
    who: &Principal,
    case: CaseId,
    op: CaseOperation,
    on: NaiveDate,
) -> CaseCapability {
    let facts = cases
        .case_facts(case, on)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("case"));
    nrm_access::authorise_case(who, op, &facts).unwrap_or_else(|_| panic!("{op:?}"))
}

async fn guardian_cap(
    cases: &Cases,
    who: &Principal,
    episode: GuardianEpisodeId,
    op: GuardianOperation,
) -> Result<nrm_access::children::GuardianCapability, ServiceError> {
    let facts = cases
        .guardians()
        .facts(episode)
        .await?
        .ok_or(ServiceError::NotFound)?;
    authorise_guardian(who, op, &facts).map_err(|_| ServiceError::NotFound)
}

#[tokio::test]
async fn a_child_referral_in_a_covered_area_reaches_a_guardian_through_turning_18() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let store = t.store.clone();
        let cases = Cases::new(store.clone(), Rulebook::current());
        let guardians = cases.guardians();
        store
            .create_organisation(
                &OrganisationRow {
                    id: OrganisationId(Uuid::from_u128(SERVICE)),
                    name: "Guardians".to_owned(),
                    kind: "guardian_service".to_owned(),
                    designated_from: None,
                    designated_to: None,
                },
                noon(date(2024, 1, 1)),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for (n, role) in [
            (60u128, "guardian"),
            (61, "guardian"),
            (62, "guardian_manager"),
        ] {
            store
                .create_user(
                    &UserRow {
                        id: UserId(Uuid::from_u128(n)),
                        organisation: OrganisationId(Uuid::from_u128(SERVICE)),
                        email: format!("g{n}@example.invalid"),
                        roles: vec![role.to_owned()],
                        allocated_only: false,
                        password_hash: String::new(),
                        totp_secret: Vec::new(),
                        totp_last_step: 0,
                        disabled: false,
                    },
                    noon(date(2024, 1, 1)),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let submit = nrm_access::authorise(&responder(), Operation::SubmitReferral)
            .unwrap_or_else(|_| panic!("responder"));
        let day0 = date(2024, 2, 26);
        // Turns 18 on 1 June 2024.
        let born = date(2006, 6, 1);
        let before = store.group_commit_stats();
        let leeds = cases
            .submit(&submit, child(day0, "Leeds", born), noon(day0))
            .await
            .unwrap_or_else(|e| panic!("submit: {e}"));
        let after = store.group_commit_stats();
        // Issue 16: the case, the child's new person and the ICTG referral in one batch (one
        // durable commit for the submission).
        assert_eq!(
            (
                after.batches - before.batches,
                after.appends - before.appends
            ),
            (1, 3),
            "{}",
            t.name
        );
        let kent = cases
            .submit(&submit, child(day0, "Kent", born), noon(day0))
            .await
            .unwrap_or_else(|e| panic!("submit: {e}"));
        let adult = cases
            .submit(&submit, adult(day0), noon(day0))
            .await
            .unwrap_or_else(|e| panic!("submit: {e}"));
        let episode = guardians
            .episode_for_case(leeds.case_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("a child in Leeds has an ICTG referral"));
        for other in [kent.case_id, adult.case_id] {
            assert_eq!(
                guardians
                    .episode_for_case(other)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
                None
            );
        }
        assert_eq!(
            guardians
                .find(&leeds.reference.to_string())
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            Some(episode)
        );

        // The manager sees it awaiting allocation; a guardian has nothing yet, and no read.
        let list_all =
            authorise_guardian_service(&manager(), GuardianServiceOperation::ListEpisodes)
                .unwrap_or_else(|_| panic!("manager lists"));
        let awaiting = guardians
            .list(&list_all, GuardianFilter::AwaitingAllocation, noon(day0))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(awaiting.len(), 1);
        let list_mine =
            authorise_guardian_service(&guardian(60), GuardianServiceOperation::ListEpisodes)
                .unwrap_or_else(|_| panic!("guardian lists"));
        assert!(
            guardians
                .list(&list_mine, GuardianFilter::Open, noon(day0))
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        assert!(
            guardian_cap(&cases, &guardian(60), episode, GuardianOperation::Read)
                .await
                .is_err()
        );

        // Allocation: only a guardian of the service, and a Direct Worker without PR in the UK.
        let allocate = guardian_cap(&cases, &manager(), episode, GuardianOperation::Allocate)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let not_a_guardian = guardians
            .change(
                &allocate,
                None,
                GuardianAction::Allocate {
                    worker: UserId(Uuid::from_u128(62)),
                    role: GuardianRole::DirectWorker,
                    parental_responsibility_in_uk: false,
                    exceptional_need: false,
                    on: day0,
                },
                noon(day0),
            )
            .await;
        assert!(
            matches!(not_a_guardian, Err(ServiceError::Domain(_))),
            "{not_a_guardian:?}"
        );
        guardians
            .change(
                &allocate,
                None,
                GuardianAction::Allocate {
                    worker: UserId(Uuid::from_u128(60)),
                    role: GuardianRole::DirectWorker,
                    parental_responsibility_in_uk: false,
                    exceptional_need: false,
                    on: day0,
                },
                noon(day0),
            )
            .await
            .unwrap_or_else(|e| panic!("allocate: {e}"));
        // Now theirs: guardian 60 works with the child, guardian 61 still sees nothing.
        assert!(
            guardian_cap(&cases, &guardian(61), episode, GuardianOperation::Read)
                .await
                .is_err()
        );
        let record = guardian_cap(&cases, &guardian(60), episode, GuardianOperation::Record)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let version = guardians
            .version(&record)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        guardians
            .change(
                &record,
                Some(version),
                GuardianAction::RecordContact {
                    kind: ContactKind::FaceToFace,
                    on: day0,
                    notes: format!("{CANARY}: met at the foster home"),
                },
                noon(day0),
            )
            .await
            .unwrap_or_else(|e| panic!("contact: {e}"));
        // A stale version is a conflict.
        let stale = guardians
            .change(
                &record,
                Some(version),
                GuardianAction::RecordContact {
                    kind: ContactKind::Phone,
                    on: day0,
                    notes: "again".to_owned(),
                },
                noon(day0),
            )
            .await;
        assert!(
            matches!(stale, Err(ServiceError::Conflict { .. })),
            "{stale:?}"
        );
        // Empty notes are a field problem.
        let empty = guardians
            .change(
                &record,
                None,
                GuardianAction::RecordContact {
                    kind: ContactKind::Phone,
                    on: day0,
                    notes: "   ".to_owned(),
                },
                noon(day0),
            )
            .await;
        assert!(matches!(empty, Err(ServiceError::Domain(_))), "{empty:?}");
        let notes = guardian_cap(&cases, &guardian(60), episode, GuardianOperation::ReadNotes)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let words = guardians
            .notes(&notes, noon(day0))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(words.values().any(|w| w.contains(CANARY)));
        // The manager reads the record but never the words.
        assert!(
            guardian_cap(&cases, &manager(), episode, GuardianOperation::ReadNotes)
                .await
                .is_err()
        );
        assert!(
            !t.dump_text().await.contains(CANARY),
            "a guardian's note is stored in the clear"
        );

        // A negative RG, reviewed and served; the guardian asks for it to be reconsidered on
        // the child's behalf, under the case's own rules (from 22 February 2024, the person's
        // own request, within 30 days).
        let rg_on = date(2024, 2, 29);
        let decide = case_cap(
            &cases,
            &caseworker(2),
            leeds.case_id,
            CaseOperation::Decide,
            rg_on,
        )
        .await;
        cases
            .decide(
                &decide,
                None,
                DecisionKind::ReasonableGrounds,
                DecisionInput {
                    outcome: Outcome::Negative,
                    decided_on: rg_on,
                    reasons: "Reasons given in full.".to_owned(),
                    negative_reason: Some(NegativeReason::InsufficientEvidence),
                },
                noon(rg_on),
            )
            .await
            .unwrap_or_else(|e| panic!("rg: {e}"));
        let review = case_cap(
            &cases,
            &caseworker(3),
            leeds.case_id,
            CaseOperation::Review,
            rg_on,
        )
        .await;
        cases
            .act(
                &review,
                None,
                Action::ReviewNegativeDecision {
                    decision: ReviewedDecision::ReasonableGrounds,
                    outcome: ReviewOutcome::Agree,
                    panel: None,
                    reviewer_agency: "SCA".to_owned(),
                    reviewed_on: rg_on,
                    reasons: "Agreed.".to_owned(),
                },
                noon(rg_on),
            )
            .await
            .unwrap_or_else(|e| panic!("review: {e}"));
        let served_on = date(2024, 3, 1);
        let manage = case_cap(
            &cases,
            &caseworker(2),
            leeds.case_id,
            CaseOperation::Manage,
            served_on,
        )
        .await;
        cases
            .act(
                &manage,
                None,
                Action::Serve {
                    decision: DecisionRef::ReasonableGrounds,
                    served_on,
                    legal_representative: false,
                },
                noon(served_on),
            )
            .await
            .unwrap_or_else(|e| panic!("serve: {e}"));
        let asked_on = date(2024, 3, 5);
        let facts = guardians
            .facts(episode)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("facts"));
        let case_facts = cases
            .case_facts(leeds.case_id, asked_on)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("case"));
        // Another guardian cannot ask for this child.
        assert!(
            authorise_case_for_guardian(
                &guardian(61),
                CaseOperation::RequestReconsideration,
                &facts,
                &case_facts
            )
            .is_err()
        );
        let ask = authorise_case_for_guardian(
            &guardian(60),
            CaseOperation::RequestReconsideration,
            &facts,
            &case_facts,
        )
        .unwrap_or_else(|_| panic!("the allocated guardian may ask"));
        let record = guardian_cap(&cases, &guardian(60), episode, GuardianOperation::Record)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        guardians
            .request_reconsideration(
                &cases,
                &record,
                &ask,
                None,
                DecisionRef::ReasonableGrounds,
                asked_on,
                "New evidence from the school".to_owned(),
                false,
                date(2024, 3, 19),
                noon(asked_on),
            )
            .await
            .unwrap_or_else(|e| panic!("reconsideration: {e}"));
        let dm_read = case_cap(
            &cases,
            &caseworker(2),
            leeds.case_id,
            CaseOperation::Read,
            asked_on,
        )
        .await;
        let view = cases
            .view(&dm_read, None, None, noon(asked_on))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(view.summary.reconsideration_pending);
        // A second request is refused by the case (one is pending) and changes nothing.
        let again = guardians
            .request_reconsideration(
                &cases,
                &record,
                &ask,
                None,
                DecisionRef::ReasonableGrounds,
                asked_on,
                "Again".to_owned(),
                false,
                date(2024, 3, 19),
                noon(asked_on),
            )
            .await;
        assert!(matches!(again, Err(ServiceError::Domain(_))), "{again:?}");
        let read = guardian_cap(&cases, &guardian(60), episode, GuardianOperation::Read)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let seen = guardians
            .view(&read, noon(asked_on))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seen.state.reconsideration_requested, Some(asked_on));
        assert_eq!(seen.state.advocacy.len(), 1);

        // The age review: nothing on 1 March, the flag from 2 March (91 days before 1 June),
        // post-18 support in West Yorkshire from the birthday.
        let review_ages =
            authorise_guardian_service(&manager(), GuardianServiceOperation::ReviewAges)
                .unwrap_or_else(|_| panic!("manager reviews ages"));
        let r = guardians
            .review_ages(&review_ages, noon(date(2024, 3, 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.checked, r.flagged, r.turned_18), (1, 0, 0));
        let r = guardians
            .review_ages(&review_ages, noon(date(2024, 3, 6)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.flagged, r.turned_18), (1, 0));
        let flagged = guardians
            .list(
                &list_mine,
                GuardianFilter::TurningEighteen,
                noon(date(2024, 3, 6)),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flagged.len(), 1);
        // The case shows it too, to whoever reads the case (and only that date).
        let on_case = |on| {
            let cases = &cases;
            let leeds = leeds.case_id;
            async move {
                let read = case_cap(cases, &caseworker(2), leeds, CaseOperation::Read, on).await;
                cases
                    .guardians()
                    .turning_18_for_case(&read, noon(on))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            }
        };
        assert_eq!(on_case(date(2024, 3, 6)).await, Some(date(2024, 3, 6)));
        let r = guardians
            .review_ages(&review_ages, noon(date(2024, 6, 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.turned_18, 1);
        let read = guardian_cap(&cases, &manager(), episode, GuardianOperation::Read)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let after = guardians
            .view(&read, noon(date(2024, 6, 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(after.state.status, Some(GuardianStatus::Post18));
        assert!(after.due.contains(&Due::ConsentToSupport {
            since: date(2024, 6, 1)
        }));
        assert!(after.due.contains(&Due::Post18Allocation {
            since: date(2024, 6, 1)
        }));
        assert_eq!(on_case(date(2024, 6, 1)).await, None, "no longer ahead");
        // The child's worker is no longer theirs until a Post-18 worker is allocated.
        assert!(
            guardian_cap(&cases, &guardian(60), episode, GuardianOperation::Read)
                .await
                .is_err()
        );

        // Every step audited.
        for (action, at_least) in [
            ("guardian.refer", 1),
            ("guardian.allocate", 2),
            ("guardian.contact", 3),
            ("guardian.read_notes", 1),
            ("guardian.request_reconsideration", 2),
            ("decision.request_reconsideration", 1),
            ("guardian.review_age", 2),
            ("guardian.review_ages", 3),
            ("guardian.list", 3),
            ("guardian.read", 2),
        ] {
            let n = t
                .query_i64(&format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
                ))
                .await;
            assert!(n >= at_least, "{action}: {n} audit entries");
        }
        t.cleanup().await;
    }
}
