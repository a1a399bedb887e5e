//! Saved drafts on both backends: sealed answers, optimistic saves, owner isolation, and the
//! claim that marks a draft submitted in the transaction creating its case, at most once.

use chrono::{DateTime, Duration, TimeZone, Utc};
use nrm_domain::case::CaseState;
use nrm_domain::command::{Command, Submit, decide};
use nrm_domain::fixtures;
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseEvent, CaseReference, Rulebook};
use nrm_store::testing::{self, TestStore};
use nrm_store::{Append, DraftClaim, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

const CANARY: &str = "DRAFT-CANARY-7f3a91";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn someone() -> Actor {
    Actor {
        user: UserId(Uuid::new_v4()),
        organisation: OrganisationId(Uuid::new_v4()),
    }
}

fn answers(step: &str) -> serde_json::Value {
    json!({ "step": step, "victim": { "name": CANARY, "narrative": format!("{CANARY} said so") } })
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

async fn new_draft(store: &Store, owner: Actor) -> Uuid {
    let id = Uuid::new_v4();
    store
        .create_draft(id, owner, "adult", &json!({}), now())
        .await
        .unwrap_or_else(|e| panic!("create draft: {e}"));
    id
}

/// A new adult case's events and reference (without personal details: not needed here).
fn new_case(actor: Actor) -> (CaseId, CaseReference, Vec<CaseEvent>) {
    let random = u64::from_le_bytes(
        Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or_default(),
    );
    let command = Command::Submit(Box::new(Submit {
        submission: Submission::Adult(fixtures::adult_referral()),
        reference_random: random,
        subject: SubjectId(Uuid::new_v4()),
        personal_details: VaultRecordId(Uuid::new_v4()),
        nations: Default::default(),
    }));
    let events = decide(
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
    (CaseId(Uuid::new_v4()), reference, events)
}

/// Appends a new case claiming `draft` for `owner`, with an audit entry.
async fn submit_claiming(
    store: &Store,
    owner: Actor,
    draft: Uuid,
) -> (CaseId, CaseReference, Result<u64, StoreError>) {
    let (case_id, reference, events) = new_case(owner);
    let result = store
        .append(Append {
            case_id,
            expected_version: 0,
            reference: Some(&reference),
            events: &events,
            actor: owner,
            recorded_at: now(),
            new_subjects: &[],
            vault_writes: &[],
            audit: Some(&nrm_store::audit::AuditRecord {
                actor: owner,
                action: "case.submit".to_owned(),
                case_id: Some(case_id),
                outcome: "ok".to_owned(),
                subject: None,
            }),
            draft: Some(DraftClaim {
                draft_id: draft,
                owner,
            }),
        })
        .await;
    (case_id, reference, result)
}

enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

async fn raw_pool(t: &TestStore) -> Raw {
    if t.name == "sqlite" {
        Raw::Sqlite(
            sqlx::SqlitePool::connect(&t.url)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
    } else {
        Raw::Postgres(
            sqlx::PgPool::connect(&t.url)
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
    }
}

async fn sealed_answers(raw: &Raw, id: Uuid) -> Vec<u8> {
    let sql = "SELECT answers_sealed FROM drafts WHERE draft_id = $1";
    match raw {
        Raw::Sqlite(p) => sqlx::query_scalar(sql).bind(id).fetch_one(p).await,
        Raw::Postgres(p) => sqlx::query_scalar(sql).bind(id).fetch_one(p).await,
    }
    .unwrap_or_else(|e| panic!("raw read: {e}"))
}

async fn set_sealed_answers(raw: &Raw, id: Uuid, sealed: Vec<u8>) {
    let sql = "UPDATE drafts SET answers_sealed = $1 WHERE draft_id = $2";
    match raw {
        Raw::Sqlite(p) => sqlx::query(sql)
            .bind(sealed)
            .bind(id)
            .execute(p)
            .await
            .map(|_| ()),
        Raw::Postgres(p) => sqlx::query(sql)
            .bind(sealed)
            .bind(id)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("raw write: {e}"));
}

// ASVS v5.0.0-11.3.1, v5.0.0-14.2.4
#[tokio::test]
async fn answers_round_trip_sealed_and_are_never_stored_in_plaintext() {
    each_backend(|t| async move {
        let owner = someone();
        let id = new_draft(&t.store, owner).await;
        let saved = t
            .store
            .save_draft(id, owner, 1, &answers("victim"), now())
            .await;
        assert_eq!(saved.ok(), Some(2), "{}", t.name);
        let stored = t
            .store
            .draft(id, owner)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{}: draft", t.name));
        assert_eq!(stored.answers, answers("victim"));
        assert_eq!(stored.row.version, 2);
        assert_eq!(stored.row.kind, "adult");
        assert_eq!(stored.row.submitted, None);
        assert!(
            !format!("{stored:?}").contains(CANARY),
            "Debug prints the answers"
        );

        let raw = raw_pool(&t).await;
        let sealed = sealed_answers(&raw, id).await;
        assert!(!sealed.is_empty());
        assert!(
            !sealed.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
            "{}: plaintext in the column",
            t.name
        );
        if let Raw::Postgres(pool) = &raw {
            let hits: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM drafts t WHERE t::text LIKE '%' || $1 || '%'",
            )
            .bind(CANARY)
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(hits, 0, "canary in drafts");
        }

        // A ciphertext moved to another draft's row does not open there.
        let other = new_draft(&t.store, owner).await;
        set_sealed_answers(&raw, other, sealed).await;
        assert!(
            matches!(
                t.store.draft(other, owner).await,
                Err(StoreError::Crypto(_))
            ),
            "{}",
            t.name
        );
        // Nor does it open for anyone else: the same row read as another owner is not found.
        assert!(matches!(t.store.draft(id, someone()).await, Ok(None)));
        t
    })
    .await;
}

#[tokio::test]
async fn a_stale_version_is_refused_and_nothing_is_written() {
    each_backend(|t| async move {
        let owner = someone();
        let id = new_draft(&t.store, owner).await;
        let later = now() + Duration::minutes(5);
        assert_eq!(
            t.store
                .save_draft(id, owner, 1, &answers("one"), later)
                .await
                .ok(),
            Some(2)
        );
        let stale = t
            .store
            .save_draft(id, owner, 1, &answers("stale"), later)
            .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::VersionConflict {
                    expected: 1,
                    actual: 2
                })
            ),
            "{}: {stale:?}",
            t.name
        );
        let ahead = t
            .store
            .save_draft(id, owner, 7, &answers("ahead"), later)
            .await;
        assert!(matches!(
            ahead,
            Err(StoreError::VersionConflict {
                expected: 7,
                actual: 2
            })
        ));
        let stored = t
            .store
            .draft(id, owner)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("draft"));
        assert_eq!(stored.answers, answers("one"));
        assert_eq!(stored.row.version, 2);
        assert_eq!(stored.row.updated_at, later);
        assert_eq!(stored.row.created_at, now());
        assert_eq!(
            t.store
                .save_draft(id, owner, 2, &answers("two"), later)
                .await
                .ok(),
            Some(3)
        );
        t
    })
    .await;
}

// ASVS v5.0.0-8.2.2
#[tokio::test]
async fn a_draft_is_visible_and_writable_only_by_its_owner() {
    each_backend(|t| async move {
        let owner = someone();
        let colleague = Actor {
            user: UserId(Uuid::new_v4()),
            organisation: owner.organisation,
        };
        let same_user_elsewhere = Actor {
            user: owner.user,
            organisation: OrganisationId(Uuid::new_v4()),
        };
        let first = new_draft(&t.store, owner).await;
        let second = new_draft(&t.store, owner).await;
        let theirs = new_draft(&t.store, colleague).await;
        // `first` is saved later, so it comes first in the list.
        t.store
            .save_draft(first, owner, 1, &answers("a"), now() + Duration::minutes(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        let listed: Vec<Uuid> = t
            .store
            .drafts(owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(listed, vec![first, second], "{}", t.name);
        let listed: Vec<Uuid> = t
            .store
            .drafts(colleague)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(listed, vec![theirs]);
        assert!(
            t.store
                .drafts(same_user_elsewhere)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_empty()
        );

        for intruder in [colleague, same_user_elsewhere, someone()] {
            assert!(
                matches!(t.store.draft(first, intruder).await, Ok(None)),
                "{}",
                t.name
            );
            assert!(matches!(t.store.draft_row(first, intruder).await, Ok(None)));
            assert!(matches!(
                t.store
                    .save_draft(first, intruder, 2, &json!({}), now())
                    .await,
                Err(StoreError::NotFound)
            ));
            assert!(matches!(
                t.store.discard_draft(first, intruder).await,
                Err(StoreError::NotFound)
            ));
            let (case_id, _, claim) = submit_claiming(&t.store, intruder, first).await;
            assert!(
                matches!(claim, Err(StoreError::DraftAlreadySubmitted)),
                "{}: {claim:?}",
                t.name
            );
            assert_eq!(
                t.store.version(case_id).await.ok().flatten(),
                None,
                "the intruder's case was kept"
            );
        }
        let stored = t
            .store
            .draft(first, owner)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("draft"));
        assert_eq!(stored.answers, answers("a"));
        assert_eq!(stored.row.submitted, None);

        t.store
            .discard_draft(second, owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(t.store.draft(second, owner).await, Ok(None)));
        assert!(matches!(
            t.store.discard_draft(second, owner).await,
            Err(StoreError::NotFound)
        ));
        t
    })
    .await;
}

#[tokio::test]
async fn a_draft_is_claimed_once_and_a_second_claim_rolls_back_its_whole_append() {
    each_backend(|t| async move {
        let owner = someone();
        let id = new_draft(&t.store, owner).await;
        let (case_id, reference, first) = submit_claiming(&t.store, owner, id).await;
        assert_eq!(first.ok(), Some(1), "{}", t.name);

        let row = t
            .store
            .draft_row(id, owner)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("draft"));
        let submitted = row
            .submitted
            .unwrap_or_else(|| panic!("{}: not marked submitted", t.name));
        assert_eq!(submitted.case_id, case_id);
        assert_eq!(submitted.reference, reference.to_string());
        assert_eq!(submitted.submitted_at, now());
        assert_eq!(
            submitted.status.as_deref(),
            Some("awaiting_reasonable_grounds")
        );

        let audit_before = t
            .store
            .audit_entries(0, 1000)
            .await
            .map(|p| p.len())
            .unwrap_or_else(|e| panic!("{e}"));
        let (second_case, second_reference, second) = submit_claiming(&t.store, owner, id).await;
        assert!(
            matches!(second, Err(StoreError::DraftAlreadySubmitted)),
            "{}: {second:?}",
            t.name
        );
        // Nothing of the second append survives: no case, no summary, no audit entry.
        assert_eq!(t.store.version(second_case).await.ok().flatten(), None);
        assert_eq!(
            t.store
                .case_id_by_reference(&second_reference)
                .await
                .ok()
                .flatten(),
            None
        );
        assert!(matches!(
            t.store.summary(second_case, now().date_naive()).await,
            Ok(None)
        ));
        let audit_after = t
            .store
            .audit_entries(0, 1000)
            .await
            .map(|p| p.len())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(audit_after, audit_before, "{}", t.name);
        assert!(
            matches!(t.store.verify_audit().await, Ok(Ok(_))),
            "{}: the audit chain broke",
            t.name
        );
        // The draft still names the first case.
        let row = t
            .store
            .draft_row(id, owner)
            .await
            .ok()
            .flatten()
            .and_then(|r| r.submitted);
        assert_eq!(row.map(|s| s.case_id), Some(case_id));

        // A submitted draft can be neither saved nor discarded.
        assert!(matches!(
            t.store.save_draft(id, owner, 1, &json!({}), now()).await,
            Err(StoreError::DraftAlreadySubmitted)
        ));
        assert!(matches!(
            t.store.discard_draft(id, owner).await,
            Err(StoreError::DraftAlreadySubmitted)
        ));
        let listed = t
            .store
            .drafts(owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(listed.len(), 1);
        assert_eq!(
            listed[0].submitted.as_ref().map(|s| s.case_id),
            Some(case_id)
        );
        t
    })
    .await;
}

#[tokio::test]
async fn concurrent_claims_of_one_draft_make_exactly_one_case() {
    each_backend(|t| async move {
        let owner = someone();
        let id = new_draft(&t.store, owner).await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let store = t.store.clone();
            tasks.push(tokio::spawn(async move {
                submit_claiming(&store, owner, id).await
            }));
        }
        let mut winners = Vec::new();
        let mut losers = Vec::new();
        for task in tasks {
            let (case_id, _, result) = task.await.unwrap_or_else(|e| panic!("{e}"));
            match result {
                Ok(1) => winners.push(case_id),
                Err(StoreError::DraftAlreadySubmitted) => losers.push(case_id),
                other => panic!("{}: unexpected {other:?}", t.name),
            }
        }
        assert_eq!(winners.len(), 1, "{}", t.name);
        for case_id in losers {
            assert_eq!(t.store.version(case_id).await.ok().flatten(), None);
        }
        let row = t
            .store
            .draft_row(id, owner)
            .await
            .ok()
            .flatten()
            .and_then(|r| r.submitted);
        assert_eq!(row.map(|s| s.case_id), Some(winners[0]));
        t
    })
    .await;
}
