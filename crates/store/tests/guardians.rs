//! Guardian storage on both backends: a child's guardian episode appended with its vault
//! records, summary and audit entry in one transaction; one episode per case; optimistic
//! versions; the append-only log; caseload lists by worker and by what is due; and no note's
//! words anywhere in the database files.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_domain::case::CaseState;
use nrm_domain::children::guardian::event::{ContactKind, GuardianRole};
use nrm_domain::children::guardian::{
    ChildrenRules, GuardianCommand, GuardianEpisodeId, GuardianState, decide,
};
use nrm_domain::command::{Command, Submit};
use nrm_domain::fixtures;
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, VaultContent};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseEvent, Rulebook};
use nrm_store::audit::AuditRecord;
use nrm_store::guardians::{GuardianAppend, GuardianFilter, GuardianListScope};
use nrm_store::testing::{self, TestStore};
use nrm_store::{Append, Store, StoreError, VaultWrite};
use uuid::Uuid;

const CANARY: &str = "GUARDIAN-CANARY-2b9d41";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 2).unwrap_or_default()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 11, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestStore) -> Fut,
    Fut: std::future::Future<Output = TestStore>,
{
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let store = test(store).await;
        store.cleanup().await;
    }
}

fn someone() -> Actor {
    Actor {
        user: UserId(Uuid::new_v4()),
        organisation: OrganisationId(Uuid::new_v4()),
    }
}

fn audit(actor: Actor, action: &str) -> AuditRecord {
    AuditRecord {
        actor,
        action: action.to_owned(),
        case_id: None,
        outcome: "ok".to_owned(),
        subject: None,
    }
}

/// A child's case referred in Manchester, with its personal details in the vault.
struct Child {
    case_id: CaseId,
    reference: String,
    subject: SubjectId,
    personal: VaultRecordId,
}

async fn child_case(store: &Store) -> Child {
    let actor = someone();
    let subject = SubjectId(Uuid::new_v4());
    let personal = VaultRecordId(Uuid::new_v4());
    let mut referral = fixtures::child_referral();
    referral.local_authority_area = Some("manchester".to_owned());
    let details = referral.victim.clone();
    let command = Command::Submit(Box::new(Submit {
        submission: Submission::Child(referral),
        reference_random: u64::from_le_bytes(
            Uuid::new_v4().as_bytes()[..8]
                .try_into()
                .unwrap_or_default(),
        ),
        subject,
        personal_details: personal,
        nations: Default::default(),
    }));
    let events = nrm_domain::command::decide(
        &CaseState::Empty,
        &command,
        actor,
        &Rulebook::current(),
        now(),
    )
    .unwrap_or_else(|e| panic!("fixture is valid: {e}"));
    let reference = match &events[0] {
        CaseEvent::ReferralSubmitted(e) => e.reference.clone(),
        other => panic!("unexpected {other:?}"),
    };
    let case_id = CaseId(Uuid::new_v4());
    store
        .append(Append {
            case_id,
            expected_version: 0,
            reference: Some(&reference),
            events: &events,
            actor,
            recorded_at: now(),
            new_subjects: &[subject],
            vault_writes: &[VaultWrite {
                record: personal,
                subject,
                content: VaultContent::PersonalDetails(details),
            }],
            audit: Some(&audit(actor, "case.submit")),
            draft: None,
        })
        .await
        .unwrap_or_else(|e| panic!("case: {e}"));
    Child {
        case_id,
        reference: reference.to_string(),
        subject,
        personal,
    }
}

async fn act(
    store: &Store,
    episode: GuardianEpisodeId,
    state: &mut GuardianState,
    version: u64,
    command: GuardianCommand,
    actor: Actor,
    writes: &[VaultWrite],
) -> Result<u64, StoreError> {
    let events = decide(state, command, &ChildrenRules::current(), now())
        .unwrap_or_else(|e| panic!("decide: {e}"));
    let mut after = state.clone();
    for e in &events {
        after.evolve(e);
    }
    let result = store
        .append_guardian(GuardianAppend {
            episode_id: episode,
            expected_version: version,
            events: &events,
            state_after: &after,
            actor,
            recorded_at: now(),
            vault_writes: writes,
            audit: &audit(actor, "guardian.test"),
        })
        .await;
    if result.is_ok() {
        *state = after;
    }
    result
}

fn refer(child: &Child) -> GuardianCommand {
    GuardianCommand::Refer {
        case_id: child.case_id,
        case_reference: child.reference.clone(),
        subject: child.subject,
        personal_details: child.personal,
        referred_on: day(),
        local_authority: Some("manchester".to_owned()),
        police_force_areas: Vec::new(),
    }
}

#[tokio::test]
async fn an_episode_is_appended_loaded_listed_and_versioned() {
    each_backend(|t| async move {
        let store = &t.store;
        let child = child_case(store).await;
        let manager = someone();
        let worker = Actor {
            user: UserId(Uuid::new_v4()),
            organisation: manager.organisation,
        };
        let episode = GuardianEpisodeId(Uuid::new_v4());
        let mut state = GuardianState::default();
        let v = act(store, episode, &mut state, 0, refer(&child), manager, &[])
            .await
            .unwrap_or_else(|e| panic!("refer: {e}"));
        assert_eq!(v, 1);
        // One guardian episode per child's case.
        let mut again = GuardianState::default();
        assert!(matches!(
            act(
                store,
                GuardianEpisodeId(Uuid::new_v4()),
                &mut again,
                0,
                refer(&child),
                manager,
                &[]
            )
            .await,
            Err(StoreError::DuplicateReference)
        ));
        let summary = store
            .guardian_summary(episode)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("summary"));
        assert_eq!(summary.status, "awaiting_allocation");
        assert_eq!(summary.area, "greater-manchester");
        assert_eq!(summary.case_id, child.case_id);
        assert_eq!(summary.next_due_on, NaiveDate::from_ymd_opt(2025, 6, 4));
        assert_eq!(
            store
                .guardian_episode_by_reference(&child.reference)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            Some(episode)
        );
        let awaiting = store
            .list_guardian_episodes(
                GuardianListScope::Everything,
                GuardianFilter::AwaitingAllocation,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(awaiting.len(), 1);
        let v = act(
            store,
            episode,
            &mut state,
            v,
            GuardianCommand::Allocate {
                worker: worker.user,
                role: GuardianRole::DirectWorker,
                parental_responsibility_in_uk: false,
                exceptional_need: false,
                on: day(),
            },
            manager,
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("allocate: {e}"));
        // The worker's caseload has the child; someone else's does not.
        let mine = store
            .list_guardian_episodes(GuardianListScope::Worker(worker.user), GuardianFilter::Open)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].role.as_deref(), Some("direct_worker"));
        assert!(
            store
                .list_guardian_episodes(
                    GuardianListScope::Worker(UserId(Uuid::new_v4())),
                    GuardianFilter::Open
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        // Due by: the next contact, 14 days after allocation.
        let due = |on| {
            store.list_guardian_episodes(
                GuardianListScope::Worker(worker.user),
                GuardianFilter::DueBy(on),
            )
        };
        assert!(
            due(NaiveDate::from_ymd_opt(2025, 6, 15).unwrap_or_default())
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        assert_eq!(
            due(NaiveDate::from_ymd_opt(2025, 6, 16).unwrap_or_default())
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .len(),
            1
        );
        // A contact with its notes in the vault, under the child's own subject.
        let notes = VaultRecordId(Uuid::new_v4());
        let v2 = act(
            store,
            episode,
            &mut state,
            v,
            GuardianCommand::RecordContact {
                contact: Uuid::new_v4(),
                kind: ContactKind::FaceToFace,
                on: day(),
                notes,
            },
            worker,
            &[VaultWrite {
                record: notes,
                subject: child.subject,
                content: VaultContent::GuardianNote {
                    text: DecisionReasons(format!("{CANARY} met at school")),
                },
            }],
        )
        .await
        .unwrap_or_else(|e| panic!("contact: {e}"));
        assert_eq!(v2, v + 1);
        // A stale version is refused and writes nothing.
        let mut stale = state.clone();
        stale.version = v;
        assert!(matches!(
            act(
                store,
                episode,
                &mut stale,
                v,
                GuardianCommand::RecordContact {
                    contact: Uuid::new_v4(),
                    kind: ContactKind::Phone,
                    on: day(),
                    notes: VaultRecordId(Uuid::new_v4()),
                },
                worker,
                &[]
            )
            .await,
            Err(StoreError::VersionConflict { expected, actual }) if expected == v && actual == v2
        ));
        let loaded = store
            .load_guardian_episode(episode)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("loaded"));
        assert_eq!(loaded.events.len(), 3);
        assert_eq!(
            GuardianState::from_events(loaded.events.iter().map(|e| &e.event)),
            state
        );
        assert_eq!(loaded.events[2].actor, worker);
        match store.read_vault(child.subject, notes).await {
            Ok(VaultContent::GuardianNote { text }) => assert!(text.0.contains(CANARY)),
            other => panic!("{other:?}"),
        }
        assert!(
            !t.dump_text().await.contains(CANARY),
            "a guardian's note is stored in the clear"
        );
        // The age review pages through open episodes.
        let open = store
            .open_guardian_episodes_after(None, 10)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(open.len(), 1);
        assert!(
            store
                .open_guardian_episodes_after(Some(episode), 10)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );
        for sql in [
            "UPDATE guardian_events SET kind = 'x'",
            "DELETE FROM guardian_events",
        ] {
            assert!(
                t.try_execute_raw(sql).await.is_err(),
                "guardian_events accepted {sql}"
            );
        }
        t
    })
    .await;
}

/// The sweep turn's age review loads only the child cases it has to (issue 13, migration
/// 0028): those not looked at yet and those whose 18th birthday's month has begun; not a
/// case recorded for a later month, nor one with no date of birth to go by, nor an adult's.
#[tokio::test]
async fn the_age_review_finds_exactly_the_child_cases_due_a_look() {
    each_backend(|t| async move {
        let store = &t.store;
        let today = day();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let new = child_case(store).await.case_id;
        let this_month = child_case(store).await.case_id;
        let earlier = child_case(store).await.case_id;
        let next_month = child_case(store).await.case_id;
        let unknown = child_case(store).await.case_id;
        let adult = child_case(store).await.case_id;
        for (case_id, from) in [
            (this_month, Some(date(2025, 6, 1))),
            (earlier, Some(date(2024, 11, 1))),
            (next_month, Some(date(2025, 7, 1))),
            (unknown, None),
        ] {
            store
                .record_case_age_review(case_id, from)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // Turned 18: an adult's case, whatever its row says.
        store
            .append(Append {
                case_id: adult,
                expected_version: store
                    .version(adult)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .unwrap_or(0),
                reference: None,
                events: &[CaseEvent::TurnedEighteen(
                    nrm_domain::children::adulthood::TurnedEighteen {
                        on: today,
                        consent_to_support_offered: true,
                        notified: Vec::new(),
                        rule: "test".to_owned(),
                    },
                )],
                actor: someone(),
                recorded_at: now(),
                new_subjects: &[],
                vault_writes: &[],
                audit: None,
                draft: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        let due = |after: Option<CaseId>, limit: i64| async move {
            store
                .child_cases_for_age_review_after(today, after, limit)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let mut expected = vec![(new, false), (this_month, true), (earlier, true)];
        expected.sort();
        assert_eq!(due(None, 200).await, expected);
        // Page by page, in case id order.
        let first = due(None, 2).await;
        assert_eq!(first, expected[..2]);
        assert_eq!(due(Some(first[1].0), 2).await, expected[2..]);
        // Next month's case comes in on the first of its month (the row replaced).
        store
            .record_case_age_review(next_month, Some(date(2025, 6, 1)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let all = due(None, 200).await;
        assert_eq!(all.len(), 4);
        assert!(all.contains(&(next_month, true)));
        assert!(!all.iter().any(|(c, _)| *c == unknown || *c == adult));
        t
    })
    .await;
}

/// The sweep turn's pages over the case summaries (age review, ICTG referral catch-up,
/// support reconciliation) start at the page before's last case by the primary key on both
/// engines, PostgreSQL's generic plan included: a page that scans the key from the first case
/// makes a turn after a bulk load quadratic (a million cases, two thousand pages).
#[tokio::test]
async fn the_sweep_pages_start_where_the_page_before_ended() {
    for backend in testing::all().await {
        let plans = backend
            .store
            .sweep_page_plans()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name));
        assert_eq!(plans.len(), 3);
        for (page, steps) in &plans {
            let plan = steps.join(" | ");
            eprintln!("{} {page}: {plan}", backend.name);
            let ranged = steps.iter().any(|step| {
                // SQLite: a search of the summaries by a range of the key.
                (step.starts_with("SEARCH s USING") && step.contains("(case_id>?)"))
                    // PostgreSQL: a scan of the summaries' key whose condition is the range
                    // from a parameter (the generic plan: no value folded in).
                    || (step.contains("case_summaries") && step.contains("(case_id > $"))
            });
            assert!(ranged, "{} {page}: {plan}", backend.name);
        }
    }
}

/// A page of the sweep's bookkeeping is written as multi-row statements (one per page, not a
/// round trip per case), with the meaning the rows had written one after another: a case
/// given twice keeps its last age-review row and its first referral check, and a case
/// checked before keeps that check.
#[tokio::test]
async fn a_pages_bookkeeping_rows_mean_what_they_would_written_one_by_one() {
    each_backend(|t| async move {
        let store = &t.store;
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let a = child_case(store).await.case_id;
        let b = child_case(store).await.case_id;
        let c = child_case(store).await.case_id;
        store
            .record_case_age_reviews(&[
                (a, Some(date(2025, 6, 1))),
                (b, Some(date(2025, 5, 1))),
                (a, Some(date(2026, 1, 1))),
                (c, None),
            ])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // `a` waits for January (its last row), `b` is due, `c` is not looked at again.
        let due = store
            .child_cases_for_age_review_after(day(), None, 200)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(due, vec![(b, true)]);
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM case_age_reviews").await,
            3
        );

        store
            .record_guardian_referral_checks(&[(a, "adult")], now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .record_guardian_referral_checks(
                &[(b, "not_covered"), (a, "not_covered"), (b, "adult")],
                now(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut outcomes = t
            .query_strings("SELECT outcome FROM guardian_referral_checks")
            .await;
        outcomes.sort();
        assert_eq!(outcomes, vec!["adult".to_owned(), "not_covered".to_owned()]);
        assert_eq!(
            t.query_i64(
                "SELECT COUNT(*) FROM guardian_referral_checks WHERE outcome = 'not_covered'"
            )
            .await,
            1
        );
        // Nothing to write is no statement at all.
        store
            .record_guardian_referral_checks(&[], now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        t
    })
    .await;
}
