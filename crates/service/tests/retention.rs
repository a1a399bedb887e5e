//! Retention and erasure through the service, on SQLite and PostgreSQL (issue #17 item 4).
//!
//! Concluded cases are built through the service (withdrawn adults and a child, one held, one
//! concluded recently, one still open, one submitted from a saved draft); the clock is then
//! moved past their retention and the job run. Proof: the erased person's data is unreadable
//! (the wrapped key and every record's bytes gone, the draft's sealed answers gone, the case
//! page shows no personal details), the held and the not-yet-due cases are untouched, the
//! statistics tables are the same before and after, the audit chain verifies, and the report
//! said beforehand exactly what would be erased, with no personal data in it.

// Security target #31

use chrono::{DateTime, Months, NaiveDate, TimeZone, Utc};
use nrm_access::{CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::event::{CompetentAuthority, WithdrawalReason};
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId};
use nrm_domain::retention::{HoldReason, RetentionRefusal, RetentionRules};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseReference, Rulebook, fixtures};
use nrm_service::drafts::DraftKind;
use nrm_service::{Action, Cases, RetentionError, StatisticsRequest};
use nrm_stats::{Options, Period, Policy};
use nrm_store::StoreError;
use nrm_store::testing::{self, TestStore};
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

fn person(user: u128, kind: OrganisationKind, roles: Vec<Role>) -> Principal {
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(user)),
            organisation: OrganisationId(Uuid::from_u128(1000 + user)),
        },
        organisation_kind: kind,
        roles,
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn responder() -> Principal {
    person(
        1,
        OrganisationKind::FirstResponderOrganisation,
        vec![Role::FirstResponder],
    )
}

fn caseworker() -> Principal {
    person(
        2,
        OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Sca,
        },
        vec![Role::CaManager, Role::DecisionMaker],
    )
}

fn dpo() -> Principal {
    person(
        3,
        OrganisationKind::Administrators,
        vec![Role::Administrator],
    )
}

fn analyst() -> Principal {
    person(4, OrganisationKind::Analysts, vec![Role::Analyst])
}

const REFERRED: (i32, u32, u32) = (2025, 1, 6);

async fn submit(cases: &Cases, submission: Submission) -> (CaseId, CaseReference) {
    let cap = nrm_access::authorise(&responder(), Operation::SubmitReferral)
        .unwrap_or_else(|_| panic!("may submit"));
    let on = date(REFERRED.0, REFERRED.1, REFERRED.2);
    let s = cases
        .submit(&cap, submission, noon(on))
        .await
        .unwrap_or_else(|e| panic!("submit: {e}"));
    (s.case_id, s.reference)
}

async fn withdraw(cases: &Cases, case: CaseId, on: NaiveDate) {
    let facts = cases
        .case_facts(case, on)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("case facts"));
    let action = Action::Withdraw {
        on,
        reason: WithdrawalReason::ReferredInError,
    };
    let cap = nrm_access::authorise_case(&caseworker(), action.operation(), &facts)
        .unwrap_or_else(|_| panic!("may withdraw"));
    cases
        .act(&cap, None, action, noon(on))
        .await
        .unwrap_or_else(|e| panic!("withdraw: {e}"));
}

async fn subject_of(t: &TestStore, case: CaseId) -> SubjectId {
    let loaded = t
        .store
        .load(case)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("case"));
    for e in &loaded.events {
        if let nrm_domain::CaseEvent::ReferralSubmitted(r) = &e.event {
            return r.subject;
        }
    }
    panic!("no referral event")
}

fn uuid_literal(t: &TestStore, id: Uuid) -> String {
    if t.name == "postgres" {
        format!("'{id}'")
    } else {
        format!("X'{}'", id.simple())
    }
}

async fn tables(cases: &Cases) -> String {
    let cap = nrm_access::authorise(&analyst(), Operation::ReadStatistics)
        .unwrap_or_else(|_| panic!("analyst"));
    let request = StatisticsRequest {
        period: Period::Year(2025),
        as_at: Some(date(2025, 12, 31)),
        policy: Policy::NONE,
        options: Options::default(),
    };
    let publication = cases
        .statistics(&cap, request, noon(date(2026, 1, 5)), |_| {})
        .await
        .unwrap_or_else(|e| panic!("statistics: {e}"));
    format!("{publication:?}")
}

#[tokio::test]
async fn a_case_past_its_retention_is_crypto_shredded_and_the_statistics_stay() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let cases = Cases::new(t.store.clone(), Rulebook::current());
        let withdrawn_on = date(2025, 2, 3);

        // A: an adult referral submitted from a saved draft, then withdrawn.
        let submit_cap = nrm_access::authorise(&responder(), Operation::SubmitReferral)
            .unwrap_or_else(|_| panic!("may submit"));
        let drafts = cases.drafts();
        let start = noon(date(REFERRED.0, REFERRED.1, REFERRED.2));
        let draft = drafts
            .start_draft(&submit_cap, DraftKind::Adult, start)
            .await
            .unwrap_or_else(|e| panic!("draft: {e}"));
        let answers = serde_json::json!({ "given_names": fixtures::CANARY });
        drafts
            .save_draft(&submit_cap, draft.summary.id, 1, &answers, start)
            .await
            .unwrap_or_else(|e| panic!("save: {e}"));
        let submitted = drafts
            .submit_draft(
                &submit_cap,
                draft.summary.id,
                Submission::Adult(fixtures::adult_referral()),
                start,
            )
            .await
            .unwrap_or_else(|e| panic!("submit draft: {e}"));
        let (a, a_ref) = (submitted.case_id, submitted.reference);
        withdraw(&cases, a, withdrawn_on).await;
        // B: the same, held.
        let (b, b_ref) = submit(&cases, Submission::Adult(fixtures::adult_referral())).await;
        withdraw(&cases, b, withdrawn_on).await;
        // C: a child, withdrawn: kept to their birthday at the age the rules set.
        let mut child = fixtures::child_referral();
        child.victim.date_of_birth = Some(date(2010, 5, 17));
        let (c, c_ref) = submit(&cases, Submission::Child(child)).await;
        withdraw(&cases, c, withdrawn_on).await;
        // D: still open.
        let (d, _) = submit(&cases, Submission::Adult(fixtures::adult_referral())).await;
        // E: withdrawn two years later: not due yet when A is.
        let (e, e_ref) = submit(&cases, Submission::Adult(fixtures::adult_referral())).await;
        withdraw(&cases, e, date(2027, 2, 3)).await;

        let rules = RetentionRules::current();
        let periods = rules.in_force(withdrawn_on).value;
        let a_due = withdrawn_on
            .checked_add_months(Months::new(12 * periods.years_after_withdrawn))
            .unwrap_or(NaiveDate::MAX);
        let c_due = date(2010, 5, 17)
            .checked_add_months(Months::new(12 * periods.child_until_age))
            .unwrap_or(NaiveDate::MAX);
        let now = noon(a_due);

        let before = tables(&cases).await;
        let manage = nrm_access::authorise(&dpo(), Operation::ManageRetention)
            .unwrap_or_else(|_| panic!("the DPO manages retention"));
        assert!(
            nrm_access::authorise(&analyst(), Operation::ManageRetention).is_err(),
            "only the service's administrators manage retention"
        );

        // A hold on B before its retention ends.
        let hold = cases
            .place_legal_hold(
                &manage,
                &b_ref,
                HoldReason::Litigation,
                noon(date(2026, 1, 1)),
            )
            .await
            .unwrap_or_else(|e| panic!("hold: {e}"));

        // The report a day before: nothing yet. On the day: A and B (held), nothing else.
        let report = cases
            .retention_report(&manage, a_due.pred_opt().unwrap_or(a_due), now)
            .await
            .unwrap_or_else(|e| panic!("report: {e}"));
        assert!(report.due.is_empty(), "{report:?}");
        let report = cases
            .retention_report(&manage, a_due, now)
            .await
            .unwrap_or_else(|e| panic!("report: {e}"));
        let refs: Vec<&str> = report.due.iter().map(|i| i.reference.as_str()).collect();
        assert_eq!(refs.len(), 2, "{refs:?}");
        assert!(refs.contains(&a_ref.as_str()) && refs.contains(&b_ref.as_str()));
        assert!(report.due.iter().all(|i| i.ends_on == a_due));
        assert_eq!(
            report
                .due
                .iter()
                .find(|i| i.reference == b_ref.as_str())
                .map(|i| i.holds),
            Some(1)
        );
        assert!(!format!("{report:?}").contains(fixtures::CANARY));
        // The child's end is their birthday at the age the rules set, read from the vault.
        let later = cases
            .retention_report(&manage, c_due, now)
            .await
            .unwrap_or_else(|e| panic!("report: {e}"));
        let child_item = later
            .due
            .iter()
            .find(|i| i.reference == c_ref.as_str())
            .unwrap_or_else(|| panic!("the child's case falls due on {c_due}: {later:?}"));
        assert_eq!(child_item.ends_on, c_due);
        assert!(child_item.child_rule);
        assert!(
            !later.due.iter().any(|i| i.case_id == d),
            "an open case never falls due"
        );

        // The job.
        let run = cases
            .run_retention(&manage, now)
            .await
            .unwrap_or_else(|e| panic!("run: {e}"));
        assert_eq!(run.erased, vec![a_ref.as_str().to_owned()]);
        assert_eq!(run.held, vec![b_ref.as_str().to_owned()]);
        assert!(run.failed.is_empty());
        assert_eq!(run.subjects_erased, 1);
        assert!(run.records_erased >= 1);
        assert_eq!(run.drafts_erased, 1);

        // A's personal data is unreadable, its bytes gone; B, C and E still read.
        let a_subject = subject_of(&t, a).await;
        let loaded = t.store.load(a).await.unwrap_or_else(|e| panic!("{e}"));
        let details = loaded
            .as_ref()
            .and_then(|l| {
                l.events.iter().find_map(|e| match &e.event {
                    nrm_domain::CaseEvent::ReferralSubmitted(r) => Some(r.personal_details),
                    _ => None,
                })
            })
            .unwrap_or_else(|| panic!("A's details record"));
        assert!(matches!(
            t.store.read_vault(a_subject, details).await,
            Err(StoreError::Erased)
        ));
        let lit = uuid_literal(&t, a_subject.0);
        assert_eq!(
            t.query_i64(&format!(
                "SELECT COUNT(*) FROM vault_subjects WHERE subject_id = {lit} AND length(wrapped_key) = 0"
            ))
            .await,
            1
        );
        assert_eq!(
            t.query_i64(&format!(
                "SELECT COUNT(*) FROM vault_records WHERE subject_id = {lit} AND length(ciphertext) > 0"
            ))
            .await,
            0
        );
        assert_eq!(
            t.query_i64(&format!(
                "SELECT COUNT(*) FROM drafts WHERE submitted_case = {} AND length(answers_sealed) > 0",
                uuid_literal(&t, a.0)
            ))
            .await,
            0
        );
        for other in [b, c, e] {
            let subject = subject_of(&t, other).await;
            let lit = uuid_literal(&t, subject.0);
            assert_eq!(
                t.query_i64(&format!(
                    "SELECT COUNT(*) FROM vault_subjects WHERE subject_id = {lit} AND length(wrapped_key) > 0"
                ))
                .await,
                1
            );
        }
        // The case page still opens, without personal details.
        let facts = cases
            .case_facts(a, a_due)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("facts"));
        let read = nrm_access::authorise_case(&caseworker(), CaseOperation::Read, &facts)
            .unwrap_or_else(|_| panic!("read"));
        let personal =
            nrm_access::authorise_case(&caseworker(), CaseOperation::ReadPersonalDetails, &facts)
                .unwrap_or_else(|_| panic!("personal"));
        let view = cases
            .view(&read, Some(&personal), None, now)
            .await
            .unwrap_or_else(|e| panic!("view after erasure: {e}"));
        assert!(view.personal_details.is_none());

        // Statistics unchanged; the audit chain intact and naming the erasure.
        assert_eq!(tables(&cases).await, before);
        let verdict = t
            .store
            .verify_audit_against(&[])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(verdict.is_intact(), "{:?}", verdict.problems);
        let audited = t
            .store
            .audit_for_case(a)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(audited.iter().any(|e| e.action == "retention.erase"));

        // A second run erases nothing new; an erased case takes no hold.
        let again = cases
            .run_retention(&manage, now)
            .await
            .unwrap_or_else(|e| panic!("run: {e}"));
        assert!(again.erased.is_empty());
        let refused = cases
            .place_legal_hold(&manage, &a_ref, HoldReason::Inquiry, now)
            .await;
        assert!(matches!(
            refused,
            Err(RetentionError::Refused(RetentionRefusal::AlreadyErased))
        ));

        // Lifting B's hold lets the next run erase it; E stays until its own day.
        cases
            .lift_legal_hold(&manage, &b_ref, hold, now)
            .await
            .unwrap_or_else(|e| panic!("lift: {e}"));
        let run = cases
            .run_retention(&manage, now)
            .await
            .unwrap_or_else(|e| panic!("run: {e}"));
        assert_eq!(run.erased, vec![b_ref.as_str().to_owned()]);
        let e_subject = subject_of(&t, e).await;
        assert!(!t.store.subject_erased(e_subject).await.unwrap_or(true));
        assert!(!run.erased.contains(&e_ref.as_str().to_owned()));
        assert_eq!(tables(&cases).await, before);
        t.cleanup().await;
    }
}

// Issue 14 with #17: an erased referral's linkage tokens go with its personal data, so the
// erased person is no longer found by them; a referral of the same person afterwards is
// still linked (to the referrals not erased), even if an erased one is met as a candidate.
#[tokio::test]
async fn an_erased_referral_is_no_longer_found_by_linkage_and_later_referrals_still_link() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let cases = Cases::new(t.store.clone(), Rulebook::current());
        let withdrawn_on = date(2025, 2, 3);
        // A and B: the same person's details, both withdrawn; B held, so only A is erased.
        let (a, _) = submit(&cases, Submission::Adult(fixtures::adult_referral())).await;
        withdraw(&cases, a, withdrawn_on).await;
        let (b, b_ref) = submit(&cases, Submission::Adult(fixtures::adult_referral())).await;
        withdraw(&cases, b, withdrawn_on).await;
        let manage = nrm_access::authorise(&dpo(), Operation::ManageRetention)
            .unwrap_or_else(|_| panic!("the DPO manages retention"));
        cases
            .place_legal_hold(
                &manage,
                &b_ref,
                HoldReason::Litigation,
                noon(date(2026, 1, 1)),
            )
            .await
            .unwrap_or_else(|e| panic!("hold: {e}"));
        let tokens_of = |case: CaseId| {
            format!(
                "SELECT COUNT(*) FROM person_link_tokens WHERE case_id = {}",
                uuid_literal(&t, case.0)
            )
        };
        let a_tokens = t.query_i64(&tokens_of(a)).await;
        assert!(a_tokens > 0, "{}: A was indexed for linkage", t.name);
        let periods = RetentionRules::current().in_force(withdrawn_on).value;
        let due = withdrawn_on
            .checked_add_months(Months::new(12 * periods.years_after_withdrawn))
            .unwrap_or(NaiveDate::MAX);
        let run = cases
            .run_retention(&manage, noon(due))
            .await
            .unwrap_or_else(|e| panic!("run: {e}"));
        assert_eq!(run.subjects_erased, 1, "{}: {run:?}", t.name);
        assert_eq!(t.query_i64(&tokens_of(a)).await, 0, "{}", t.name);
        assert_eq!(
            t.query_i64(&tokens_of(b)).await,
            a_tokens,
            "{}: the held referral keeps its tokens",
            t.name
        );

        let person_of = |case: CaseId| {
            let store = t.store.clone();
            async move {
                store
                    .person_of_case(case)
                    .await
                    .unwrap_or_else(|e| panic!("person of case: {e}"))
            }
        };
        let b_person = person_of(b).await;
        assert!(b_person.is_some(), "{}", t.name);
        // The same person referred again: linked to B's person.
        let (c, _) = submit(&cases, Submission::Adult(fixtures::adult_referral())).await;
        assert_eq!(person_of(c).await, b_person, "{}", t.name);

        // An erased referral met as a candidate all the same (its tokens written again, as
        // by an intake that read them just before the erasure): skipped, not a failure.
        t.execute_raw(&format!(
            "INSERT INTO person_link_tokens (rule, token, case_id) SELECT rule, token, {} FROM person_link_tokens WHERE case_id = {}",
            uuid_literal(&t, a.0),
            uuid_literal(&t, b.0)
        ))
        .await;
        let (d, _) = submit(&cases, Submission::Adult(fixtures::adult_referral())).await;
        assert_eq!(person_of(d).await, b_person, "{}", t.name);
        t.cleanup().await;
    }
}
