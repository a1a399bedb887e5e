//! Group commit on both backends: concurrent appends share one transaction, each in its own
//! savepoint. A bad append fails alone with the error a lone append gets, its batch-mates
//! commit, the audit chain stays whole, and a batch whose commit fails acknowledges nothing.
//!
//! To put chosen appends in one batch, a test holds the database's write lock from a
//! connection of its own (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the audit head's row lock),
//! lets one append start a batch that then waits on that lock, queues the rest, and lets go:
//! everything queued meanwhile is the next batch.

use chrono::{DateTime, TimeZone, Utc};
use nrm_domain::case::CaseState;
use nrm_domain::command::{Command, Submit, decide};
use nrm_domain::fixtures;
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::VaultContent;
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseEvent, CaseReference, Rulebook};
use nrm_store::audit::AuditRecord;
use nrm_store::testing::{self, TestStore};
use nrm_store::{Append, DraftClaim, Store, StoreError, VaultWrite};
use sqlx::Connection;
use tokio::task::JoinHandle;
use uuid::Uuid;

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

/// A new adult case, with its personal details for the vault.
#[derive(Debug, Clone)]
struct NewCase {
    case_id: CaseId,
    actor: Actor,
    subject: SubjectId,
    record: VaultRecordId,
    reference: CaseReference,
    events: Vec<CaseEvent>,
    draft: Option<DraftClaim>,
}

fn new_case() -> NewCase {
    let actor = someone();
    let subject = SubjectId(Uuid::new_v4());
    let record = VaultRecordId(Uuid::new_v4());
    let random = u64::from_le_bytes(
        Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or_default(),
    );
    let command = Command::Submit(Box::new(Submit {
        submission: Submission::Adult(fixtures::adult_referral()),
        reference_random: random,
        subject,
        personal_details: record,
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
    NewCase {
        case_id: CaseId(Uuid::new_v4()),
        actor,
        subject,
        record,
        reference,
        events,
        draft: None,
    }
}

fn audit_of(actor: Actor, action: &str, case_id: CaseId) -> AuditRecord {
    AuditRecord {
        actor,
        action: action.to_owned(),
        case_id: Some(case_id),
        outcome: "ok".to_owned(),
        subject: None,
    }
}

async fn submit(store: &Store, case: &NewCase) -> Result<u64, StoreError> {
    let writes = [VaultWrite {
        record: case.record,
        subject: case.subject,
        content: VaultContent::PersonalDetails(fixtures::personal_details(None)),
    }];
    store
        .append(Append {
            case_id: case.case_id,
            expected_version: 0,
            reference: Some(&case.reference),
            events: &case.events,
            actor: case.actor,
            recorded_at: now(),
            new_subjects: &[case.subject],
            vault_writes: &writes,
            audit: Some(&audit_of(case.actor, "case.submit", case.case_id)),
            draft: case.draft,
        })
        .await
}

/// Records a positive Reasonable Grounds decision on `case`, decided against `expected`.
async fn decide_rg(store: &Store, case: &NewCase, expected: u64) -> Result<u64, StoreError> {
    let state = CaseState::from_events(&case.events);
    let command = Command::DecideReasonableGrounds(nrm_domain::command::Decision {
        outcome: nrm_domain::event::Outcome::Positive,
        decided_on: now().date_naive(),
        reasons: VaultRecordId(Uuid::new_v4()),
        negative_reason: None,
    });
    let decider = someone();
    let events = decide(&state, &command, decider, &Rulebook::current(), now())
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .append(Append {
            case_id: case.case_id,
            expected_version: expected,
            reference: None,
            events: &events,
            actor: decider,
            recorded_at: now(),
            new_subjects: &[],
            vault_writes: &[],
            audit: Some(&audit_of(
                decider,
                "decision.reasonable_grounds",
                case.case_id,
            )),
            draft: None,
        })
        .await
}

fn spawn_submit(store: &Store, case: &NewCase) -> JoinHandle<Result<u64, StoreError>> {
    let store = store.clone();
    let case = case.clone();
    tokio::spawn(async move { submit(&store, &case).await })
}

fn spawn_decide(
    store: &Store,
    case: &NewCase,
    expected: u64,
) -> JoinHandle<Result<u64, StoreError>> {
    let store = store.clone();
    let case = case.clone();
    tokio::spawn(async move { decide_rg(&store, &case, expected).await })
}

async fn outcome(task: JoinHandle<Result<u64, StoreError>>) -> Result<u64, StoreError> {
    task.await.unwrap_or_else(|e| panic!("append task: {e}"))
}

/// The database's write lock, held from a connection outside the store.
enum WriteLock {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl WriteLock {
    async fn take(t: &TestStore) -> Self {
        if t.name == "sqlite" {
            let mut conn = sqlx::SqliteConnection::connect(&t.url)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::raw_sql("BEGIN IMMEDIATE")
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            Self::Sqlite(conn)
        } else {
            let mut conn = sqlx::PgConnection::connect(&t.url)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::raw_sql("BEGIN; SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            Self::Postgres(conn)
        }
    }

    async fn release(self) {
        let result = match self {
            Self::Sqlite(mut c) => sqlx::raw_sql("ROLLBACK").execute(&mut c).await.map(|_| ()),
            Self::Postgres(mut c) => sqlx::raw_sql("ROLLBACK").execute(&mut c).await.map(|_| ()),
        };
        result.unwrap_or_else(|e| panic!("release the write lock: {e}"));
    }
}

/// Waits (bounded) until the committer has taken `appends` appends into batches and has
/// `waiting` more queued.
async fn until_committer_has(store: &Store, appends: u64, waiting: usize) {
    for _ in 0..20_000 {
        let stats = store.group_commit_stats();
        if stats.appends == appends && stats.waiting == waiting {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    panic!(
        "the committer never reached {appends} taken and {waiting} waiting: {:?}",
        store.group_commit_stats()
    );
}

/// Runs `queue` (which starts appends) so that everything it starts is one batch, after a
/// batch holding only `opener` (a good new case). Returns the opener's task.
async fn as_one_batch<Q>(t: &TestStore, opener: &NewCase, count: usize, queue: Q)
where
    Q: FnOnce(),
{
    let before = t.store.group_commit_stats();
    let lock = WriteLock::take(t).await;
    let first = spawn_submit(&t.store, opener);
    until_committer_has(&t.store, before.appends + 1, 0).await;
    queue();
    until_committer_has(&t.store, before.appends + 1, count).await;
    lock.release().await;
    assert_eq!(outcome(first).await.ok(), Some(1), "{}", t.name);
}

async fn audit_entries_for(store: &Store, case: CaseId) -> usize {
    store
        .audit_for_case(case)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .len()
}

async fn chain_length(store: &Store) -> u64 {
    match store.verify_audit().await {
        Ok(Ok(report)) => report.entries,
        other => panic!("the audit chain does not verify: {other:?}"),
    }
}

#[tokio::test]
async fn many_concurrent_appends_are_all_committed_and_readable() {
    each_backend(|t| async move {
        let cases: Vec<NewCase> = (0..200).map(|_| new_case()).collect();
        let tasks: Vec<_> = cases.iter().map(|c| spawn_submit(&t.store, c)).collect();
        for task in tasks {
            assert_eq!(outcome(task).await.ok(), Some(1), "{}", t.name);
        }
        // Each summary starts with its Reasonable Grounds deadline as the next one due, on
        // track, as recomputing it from the case's deadlines gives.
        let consistent = t
            .query_i64(
                "SELECT COUNT(*) FROM case_summaries s WHERE s.deadline_flag = 1 AND s.next_due_key = (SELECT MIN(d.due_on) FROM case_deadlines d WHERE d.case_id = s.case_id) AND s.next_due_key = s.rg_due_key",
            )
            .await;
        assert_eq!(consistent, 200, "{}", t.name);
        // Then a decision on each, all at once, on cases the previous batches created.
        let tasks: Vec<_> = cases.iter().map(|c| spawn_decide(&t.store, c, 1)).collect();
        for task in tasks {
            assert_eq!(outcome(task).await.ok(), Some(3), "{}", t.name);
        }
        for case in &cases {
            let loaded = t.store.load(case.case_id).await.ok().flatten();
            assert_eq!(loaded.map(|l| l.version), Some(3), "{}", t.name);
            let details = t.store.read_vault(case.subject, case.record).await;
            assert!(
                matches!(details, Ok(VaultContent::PersonalDetails(_))),
                "{}",
                t.name
            );
            assert_eq!(
                audit_entries_for(&t.store, case.case_id).await,
                2,
                "{}",
                t.name
            );
        }
        assert_eq!(chain_length(&t.store).await, 400, "{}", t.name);
        let stats = t.store.group_commit_stats();
        assert_eq!((stats.appends, stats.waiting), (400, 0), "{}", t.name);
        t
    })
    .await;
}

#[tokio::test]
async fn what_queues_during_a_commit_is_the_next_batch_up_to_the_cap() {
    each_backend(|t| async move {
        let opener = new_case();
        let cases: Vec<NewCase> = (0..130).map(|_| new_case()).collect();
        let tasks = std::sync::Mutex::new(Vec::new());
        as_one_batch(&t, &opener, cases.len(), || {
            let mut tasks = tasks.lock().unwrap_or_else(|e| panic!("{e}"));
            tasks.extend(cases.iter().map(|c| spawn_submit(&t.store, c)));
        })
        .await;
        for task in tasks.into_inner().unwrap_or_else(|e| panic!("{e}")) {
            assert_eq!(outcome(task).await.ok(), Some(1), "{}", t.name);
        }
        // The opener alone, then 130 queued appends in batches of at most 64: 64, 64, 2.
        let stats = t.store.group_commit_stats();
        assert_eq!((stats.batches, stats.appends), (4, 131), "{}", t.name);
        assert_eq!(chain_length(&t.store).await, 131, "{}", t.name);
        t
    })
    .await;
}

/// Installs a trigger that makes writing the summary of the case with `reference` fail, as
/// any statement of an append might.
async fn fail_statement_for(t: &TestStore, reference: &CaseReference) {
    fail_insert_for(t, "fail_marked", "case_summaries", reference).await;
}

/// Installs a trigger `name` that makes inserting a row of `table` whose `reference` is
/// `reference` fail.
async fn fail_insert_for(t: &TestStore, name: &str, table: &str, reference: &CaseReference) {
    let sql = if t.name == "sqlite" {
        format!(
            "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN NEW.reference = '{reference}' BEGIN SELECT RAISE(ABORT, 'marked row'); END;"
        )
    } else {
        format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.reference = '{reference}' THEN RAISE EXCEPTION 'marked row'; END IF; RETURN NEW; END; $$; \
             CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();"
        )
    };
    t.execute_raw(&sql).await;
}

#[tokio::test]
async fn a_bad_append_fails_alone_with_its_own_error_and_its_batch_mates_commit() {
    each_backend(|t| async move { bad_appends_among_good_ones(t, false).await }).await;
}

#[tokio::test]
async fn a_statement_failing_in_a_batch_fails_its_own_append_alone() {
    each_backend(|t| async move { bad_appends_among_good_ones(t, true).await }).await;
}

/// One batch of good appends with every kind of bad one among them, and (`failing`) one whose
/// statement fails in the database, which sends the batch through the one-by-one writing.
async fn bad_appends_among_good_ones(t: TestStore, failing: bool) -> TestStore {
    {
        let owner = someone();
        // Already in the database: a case at version 1, and a draft already submitted.
        let existing = new_case();
        assert_eq!(submit(&t.store, &existing).await.ok(), Some(1));
        let claimed = Uuid::new_v4();
        t.store
            .create_draft(claimed, owner, "adult", &serde_json::json!({}), now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut first_claim = new_case();
        first_claim.actor = owner;
        first_claim.draft = Some(DraftClaim {
            draft_id: claimed,
            owner,
        });
        assert_eq!(submit(&t.store, &first_claim).await.ok(), Some(1));
        // A draft that two appends of the batch will both claim.
        let contested = Uuid::new_v4();
        t.store
            .create_draft(contested, owner, "adult", &serde_json::json!({}), now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        let good: Vec<NewCase> = (0..6).map(|_| new_case()).collect();
        let mut same_reference = new_case();
        same_reference.reference = existing.reference.clone();
        let mut claims_again = new_case();
        claims_again.actor = owner;
        claims_again.draft = Some(DraftClaim {
            draft_id: claimed,
            owner,
        });
        let mut claims_contested = new_case();
        claims_contested.actor = owner;
        claims_contested.draft = Some(DraftClaim {
            draft_id: contested,
            owner,
        });
        let mut also_claims_contested = new_case();
        also_claims_contested.actor = owner;
        also_claims_contested.draft = Some(DraftClaim {
            draft_id: contested,
            owner,
        });
        let twin = new_case();
        let mut twin_reference = new_case();
        twin_reference.reference = twin.reference.clone();
        let broken = new_case();
        if failing {
            fail_statement_for(&t, &broken.reference).await;
        }

        let opener = new_case();
        let tasks = std::sync::Mutex::new(Vec::new());
        as_one_batch(&t, &opener, 16, || {
            let s = &t.store;
            let mut tasks = tasks.lock().unwrap_or_else(|e| panic!("{e}"));
            // In queue order: the batch writes them in this order.
            tasks.push(("good 0", spawn_submit(s, &good[0])));
            tasks.push(("stale", spawn_decide(s, &existing, 5)));
            tasks.push(("good 1", spawn_submit(s, &good[1])));
            tasks.push(("duplicate reference", spawn_submit(s, &same_reference)));
            tasks.push(("good 2", spawn_submit(s, &good[2])));
            tasks.push(("claimed draft", spawn_submit(s, &claims_again)));
            tasks.push((
                "first claim of the contested draft",
                spawn_submit(s, &claims_contested),
            ));
            tasks.push((
                "second claim of the contested draft",
                spawn_submit(s, &also_claims_contested),
            ));
            tasks.push(("good 3", spawn_submit(s, &good[3])));
            tasks.push(("first decision", spawn_decide(s, &existing, 1)));
            tasks.push((
                "second decision on the same version",
                spawn_decide(s, &existing, 1),
            ));
            tasks.push(("twin", spawn_submit(s, &twin)));
            tasks.push(("twin's reference again", spawn_submit(s, &twin_reference)));
            tasks.push(("failing statement", spawn_submit(s, &broken)));
            tasks.push(("good 4", spawn_submit(s, &good[4])));
            tasks.push(("good 5", spawn_submit(s, &good[5])));
        })
        .await;
        let mut results = std::collections::HashMap::new();
        for (name, task) in tasks.into_inner().unwrap_or_else(|e| panic!("{e}")) {
            results.insert(name, outcome(task).await);
        }
        let stats = t.store.group_commit_stats();
        assert_eq!(
            stats.retried_one_by_one,
            u64::from(failing),
            "{}: written one by one?",
            t.name
        );
        // Setup (2 batches), the opener, and the sixteen together.
        assert_eq!(
            stats.batches, 4,
            "{}: the sixteen were not one batch",
            t.name
        );

        let is = |name: &str, expected: &dyn Fn(&Result<u64, StoreError>) -> bool| {
            let result = &results[name];
            assert!(expected(result), "{}: {name}: {result:?}", t.name);
        };
        for name in [
            "good 0", "good 1", "good 2", "good 3", "good 4", "good 5", "twin",
        ] {
            is(name, &|r| matches!(r, Ok(1)));
        }
        is("first claim of the contested draft", &|r| {
            matches!(r, Ok(1))
        });
        is("first decision", &|r| matches!(r, Ok(3)));
        is("stale", &|r| {
            matches!(
                r,
                Err(StoreError::VersionConflict {
                    expected: 5,
                    actual: 3
                })
            )
        });
        is("second decision on the same version", &|r| {
            matches!(
                r,
                Err(StoreError::VersionConflict {
                    expected: 1,
                    actual: 3
                })
            )
        });
        is("duplicate reference", &|r| {
            matches!(r, Err(StoreError::DuplicateReference))
        });
        is("twin's reference again", &|r| {
            matches!(r, Err(StoreError::DuplicateReference))
        });
        is("claimed draft", &|r| {
            matches!(r, Err(StoreError::DraftAlreadySubmitted))
        });
        is("second claim of the contested draft", &|r| {
            matches!(r, Err(StoreError::DraftAlreadySubmitted))
        });
        if failing {
            is("failing statement", &|r| {
                matches!(r, Err(StoreError::Database(_)))
            });
        } else {
            is("failing statement", &|r| matches!(r, Ok(1)));
        }

        // What failed left nothing behind: no stream, no vault record, no audit entry.
        let mut bad = vec![
            &same_reference,
            &claims_again,
            &also_claims_contested,
            &twin_reference,
        ];
        if failing {
            bad.push(&broken);
        }
        for case in bad {
            assert!(
                t.store.load(case.case_id).await.ok().flatten().is_none(),
                "{}",
                t.name
            );
            assert!(
                t.store.read_vault(case.subject, case.record).await.is_err(),
                "{}",
                t.name
            );
            assert_eq!(
                audit_entries_for(&t.store, case.case_id).await,
                0,
                "{}",
                t.name
            );
        }
        // What succeeded is there, once, with its audit entry.
        for case in good.iter().chain([&twin, &claims_contested, &opener]) {
            assert_eq!(
                t.store.version(case.case_id).await.ok().flatten(),
                Some(1),
                "{}",
                t.name
            );
            assert_eq!(
                audit_entries_for(&t.store, case.case_id).await,
                1,
                "{}",
                t.name
            );
        }
        assert_eq!(
            t.store.version(existing.case_id).await.ok().flatten(),
            Some(3)
        );
        assert_eq!(
            audit_entries_for(&t.store, existing.case_id).await,
            2,
            "{}",
            t.name
        );
        // The contested draft names the case that claimed it.
        let draft = t
            .store
            .draft(contested, owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            draft.and_then(|d| d.row.submitted.map(|s| s.case_id)),
            Some(claims_contested.case_id),
            "{}",
            t.name
        );
        // Setup 2 + opener 1 + written in the batch: 7 good, one claim, one decision, and
        // the otherwise failing one when it does not fail.
        let written = if failing { 12 } else { 13 };
        assert_eq!(chain_length(&t.store).await, written, "{}", t.name);
        t
    }
}

/// Installs a deferred constraint that the case with `reference` breaks: checked only at
/// COMMIT, so the batch carrying it fails at its commit.
async fn fail_commit_for(t: &TestStore, reference: &CaseReference) {
    let sql = if t.name == "sqlite" {
        format!(
            "CREATE TABLE fault_parent (id TEXT PRIMARY KEY); \
             CREATE TABLE fault_child (parent TEXT REFERENCES fault_parent (id) DEFERRABLE INITIALLY DEFERRED); \
             CREATE TRIGGER fault_at_commit AFTER INSERT ON case_summaries WHEN NEW.reference = '{reference}' BEGIN INSERT INTO fault_child (parent) VALUES ('missing'); END;"
        )
    } else {
        format!(
            "CREATE TABLE fault_parent (id TEXT PRIMARY KEY); \
             CREATE TABLE fault_child (parent TEXT REFERENCES fault_parent (id) DEFERRABLE INITIALLY DEFERRED); \
             CREATE FUNCTION fault_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.reference = '{reference}' THEN INSERT INTO fault_child (parent) VALUES ('missing'); END IF; RETURN NEW; END; $$; \
             CREATE TRIGGER fault_at_commit AFTER INSERT ON case_summaries FOR EACH ROW EXECUTE FUNCTION fault_at_commit();"
        )
    };
    t.execute_raw(&sql).await;
}

#[tokio::test]
async fn a_batch_whose_commit_fails_acknowledges_none_of_its_appends() {
    each_backend(|t| async move {
        let existing = new_case();
        assert_eq!(submit(&t.store, &existing).await.ok(), Some(1));
        let poisoned = new_case();
        fail_commit_for(&t, &poisoned.reference).await;
        let others: Vec<NewCase> = (0..5).map(|_| new_case()).collect();

        let opener = new_case();
        let tasks = std::sync::Mutex::new(Vec::new());
        as_one_batch(&t, &opener, 8, || {
            let mut tasks = tasks.lock().unwrap_or_else(|e| panic!("{e}"));
            tasks.extend(others[..3].iter().map(|c| spawn_submit(&t.store, c)));
            tasks.push(spawn_submit(&t.store, &poisoned));
            tasks.push(spawn_decide(&t.store, &existing, 1));
            tasks.extend(others[3..].iter().map(|c| spawn_submit(&t.store, c)));
            // Even an append that fails on its own is not told anything else.
            tasks.push(spawn_decide(&t.store, &existing, 7));
        })
        .await;
        let results: Vec<_> = {
            let mut out = Vec::new();
            for task in tasks.into_inner().unwrap_or_else(|e| panic!("{e}")) {
                out.push(outcome(task).await);
            }
            out
        };
        let last = results.len() - 1;
        for (i, result) in results.iter().enumerate() {
            if i == last {
                assert!(
                    matches!(
                        result,
                        Err(StoreError::VersionConflict {
                            expected: 7,
                            actual: 1
                        })
                    ),
                    "{}: {result:?}",
                    t.name
                );
            } else {
                assert!(
                    matches!(result, Err(StoreError::CommitFailed)),
                    "{}: {result:?}",
                    t.name
                );
            }
        }
        for case in others.iter().chain([&poisoned]) {
            assert!(
                t.store.load(case.case_id).await.ok().flatten().is_none(),
                "{}",
                t.name
            );
            assert_eq!(
                audit_entries_for(&t.store, case.case_id).await,
                0,
                "{}",
                t.name
            );
        }
        assert_eq!(
            t.store.version(existing.case_id).await.ok().flatten(),
            Some(1)
        );
        // The head did not move for the batch: the setup and the opener only.
        assert_eq!(chain_length(&t.store).await, 2, "{}", t.name);
        // The committer carries on: the same appends go through once the fault is gone.
        for case in &others {
            assert_eq!(submit(&t.store, case).await.ok(), Some(1), "{}", t.name);
        }
        assert_eq!(
            decide_rg(&t.store, &existing, 1).await.ok(),
            Some(3),
            "{}",
            t.name
        );
        assert_eq!(chain_length(&t.store).await, 8, "{}", t.name);
        t
    })
    .await;
}

#[tokio::test]
async fn appends_after_the_pool_is_closed_are_refused_not_acknowledged() {
    each_backend(|t| async move {
        let before = new_case();
        assert_eq!(submit(&t.store, &before).await.ok(), Some(1));
        t.store.close().await;
        let after = new_case();
        let result = submit(&t.store, &after).await;
        assert!(
            matches!(result, Err(StoreError::CommitFailed)),
            "{}: {result:?}",
            t.name
        );
        let reopened = Store::connect(
            &t.url,
            nrm_store::ConnectOptions::new(
                nrm_store::MasterKey::from_hex("test", &t.master_key_hex)
                    .unwrap_or_else(|| panic!("key")),
                nrm_store::AuditKey::from_hex(&t.audit_key_hex).unwrap_or_else(|| panic!("key")),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            reopened.version(before.case_id).await.ok().flatten(),
            Some(1)
        );
        assert_eq!(reopened.version(after.case_id).await.ok().flatten(), None);
        assert_eq!(chain_length(&reopened).await, 1, "{}", t.name);
        reopened.close().await;
        t
    })
    .await;
}

/// Writes a new person `person` holding the referral `case`, with a few linkage tokens, as
/// intake's linkage does.
async fn write_new_person(
    store: Store,
    person: nrm_domain::person::PersonId,
    case: CaseId,
    reference: String,
) -> Result<(), StoreError> {
    // A different number of tokens for each: their INSERTs still merge.
    let count = 1 + (case.0.as_u128() % 5) as u64;
    let tokens = (0..count)
        .map(|i| (case, 1u8, (case.0.as_u128() as u64).wrapping_add(i)))
        .collect();
    write_new_person_with(store, person, case, reference, tokens).await
}

async fn write_new_person_with(
    store: Store,
    person: nrm_domain::person::PersonId,
    case: CaseId,
    reference: String,
    tokens: Vec<(CaseId, u8, u64)>,
) -> Result<(), StoreError> {
    use nrm_domain::person::{LinkedReferral, PersonCommand, PersonState, decide};
    let referral = LinkedReferral {
        case_id: case,
        reference,
        submitted_on: now().date_naive(),
    };
    let events = decide(
        &PersonState::default(),
        person,
        &PersonCommand::Create { referral },
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let after = events
        .iter()
        .fold(PersonState::default(), PersonState::evolve);
    let audit = AuditRecord {
        actor: Actor::SYSTEM,
        action: "person.create".to_owned(),
        case_id: Some(case),
        outcome: "ok".to_owned(),
        subject: Some(format!("person:{person}")),
    };
    store
        .write_persons(nrm_store::persons::PersonWrite {
            appends: vec![nrm_store::persons::PersonAppend {
                person_id: person,
                expected_version: 0,
                events: &events,
                state_after: &after,
            }],
            tokens,
            replace_tokens_of: vec![case],
            reviews: Vec::new(),
            decision: None,
            actor: Actor::SYSTEM,
            recorded_at: now(),
            audit: &audit,
        })
        .await
}

#[tokio::test]
async fn a_batchs_new_persons_are_written_merged_and_a_taken_id_fails_alone() {
    each_backend(|t| async move {
        let cases: Vec<NewCase> = (0..6).map(|_| new_case()).collect();
        for case in &cases {
            assert_eq!(submit(&t.store, case).await.ok(), Some(1), "{}", t.name);
        }
        let person = |_: usize| nrm_domain::person::PersonId(Uuid::new_v4());
        let taken = person(0);
        let first = write_new_person(
            t.store.clone(),
            taken,
            cases[5].case_id,
            cases[5].reference.to_string(),
        )
        .await;
        assert!(first.is_ok(), "{}: {first:?}", t.name);
        let before = t.store.group_commit_stats();
        // Five new persons and one whose id is taken, in one batch with a new case.
        let ids: Vec<_> = (0..5).map(person).chain([taken]).collect();
        let tasks = std::sync::Mutex::new(Vec::new());
        let opener = new_case();
        as_one_batch(&t, &opener, ids.len(), || {
            let mut tasks = tasks.lock().unwrap_or_else(|e| panic!("{e}"));
            for (id, case) in ids.iter().zip(&cases) {
                let store = t.store.clone();
                let (id, case_id, reference) = (*id, case.case_id, case.reference.to_string());
                tasks.push(tokio::spawn(async move {
                    write_new_person(store, id, case_id, reference).await
                }));
            }
        })
        .await;
        let mut results = Vec::new();
        for task in tasks.into_inner().unwrap_or_else(|e| panic!("{e}")) {
            results.push(task.await.unwrap_or_else(|e| panic!("{e}")));
        }
        let (last, fresh) = results.split_last().unwrap_or_else(|| panic!("no results"));
        assert!(fresh.iter().all(Result::is_ok), "{}: {fresh:?}", t.name);
        assert!(
            matches!(last, Err(StoreError::VersionConflict { .. })),
            "{}: {last:?}",
            t.name
        );
        let after = t.store.group_commit_stats();
        // The opener's batch and the persons' one, written merged: never one by one.
        assert_eq!(after.batches - before.batches, 2, "{}", t.name);
        assert_eq!(
            after.retried_one_by_one, before.retried_one_by_one,
            "{}",
            t.name
        );
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM persons").await,
            6,
            "{}",
            t.name
        );
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM person_referrals").await,
            6,
            "{}",
            t.name
        );
        // Every new person's tokens, and the taken id's write left nothing of its own.
        let expected: i64 = cases
            .iter()
            .map(|c| 1 + (c.case_id.0.as_u128() % 5) as i64)
            .sum();
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM person_link_tokens").await,
            expected,
            "{}",
            t.name
        );
        assert_eq!(chain_length(&t.store).await, 6 + 1 + 1 + 5, "{}", t.name);
        t
    })
    .await;
}

/// Whether the kept name counts disagree with the tokens stored: rows that differ either way.
const COUNTS_DISAGREE: &str = "SELECT COUNT(*) FROM (SELECT rule, token, COUNT(*) AS n FROM person_link_tokens WHERE rule IN (6, 7) GROUP BY rule, token) c FULL OUTER JOIN (SELECT rule, token, holders FROM person_name_counts WHERE holders > 0) p ON p.rule = c.rule AND p.token = c.token WHERE p.holders IS NULL OR c.n IS NULL OR p.holders <> c.n";

// Issue 14 and 16: intake weighs a name by its holders, kept as the tokens are written rather
// than counted at every intake.
#[tokio::test]
async fn names_holders_are_kept_as_tokens_are_written_skipped_and_replaced() {
    each_backend(|t| async move {
        let cases: Vec<NewCase> = (0..4).map(|_| new_case()).collect();
        for case in &cases {
            assert_eq!(submit(&t.store, case).await.ok(), Some(1), "{}", t.name);
        }
        let (given, family, other) = (0x8000_0000_0000_0001u64, 17u64, 99u64);
        // Four people sharing a family name, three a given name; each also holds a blocking
        // token (not counted), and the first gives its family name twice (written once).
        let mut tasks = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let c = case.case_id;
            let mut tokens = vec![(c, 7u8, family), (c, 1u8, family)];
            if i < 3 {
                tokens.push((c, 6u8, given));
            }
            if i == 0 {
                tokens.push((c, 7u8, family));
            }
            let store = t.store.clone();
            let reference = case.reference.to_string();
            tasks.push(tokio::spawn(async move {
                let person = nrm_domain::person::PersonId(Uuid::new_v4());
                write_new_person_with(store, person, c, reference, tokens).await
            }));
        }
        for task in tasks {
            let written = task.await.unwrap_or_else(|e| panic!("{e}"));
            assert!(written.is_ok(), "{}: {written:?}", t.name);
        }
        // The holders asked for, and the family names' total read with them.
        let counts = |asked: Vec<(u8, u64)>| {
            let store = t.store.clone();
            async move {
                let counts = store
                    .name_counts(&asked, 7)
                    .await
                    .unwrap_or_else(|e| panic!("counts: {e}"));
                let total = store
                    .name_total(7)
                    .await
                    .unwrap_or_else(|e| panic!("total: {e}"));
                assert_eq!(counts.indexed, total, "the total read with the names");
                counts.holders
            }
        };
        let asked = vec![(6, given), (7, family), (1, family), (6, other), (7, given)];
        assert_eq!(
            counts(asked.clone()).await,
            vec![3, 4, 0, 0, 0],
            "{}",
            t.name
        );
        let total = |rule: u8| {
            let store = t.store.clone();
            async move {
                store
                    .name_total(rule)
                    .await
                    .unwrap_or_else(|e| panic!("total: {e}"))
            }
        };
        assert_eq!(
            (total(6).await, total(7).await, total(1).await),
            (3, 4, 0),
            "{}",
            t.name
        );
        // The second referral's tokens replaced (as `nrm link rebuild` does): another given
        // name, the same family name.
        let second = cases[1].case_id;
        let audit = AuditRecord {
            actor: Actor::SYSTEM,
            action: "person.tokens".to_owned(),
            case_id: Some(second),
            outcome: "ok".to_owned(),
            subject: None,
        };
        let replaced = t
            .store
            .write_persons(nrm_store::persons::PersonWrite {
                appends: vec![],
                tokens: vec![(second, 6, other), (second, 7, family)],
                replace_tokens_of: vec![second],
                reviews: Vec::new(),
                decision: None,
                actor: Actor::SYSTEM,
                recorded_at: now(),
                audit: &audit,
            })
            .await;
        assert!(replaced.is_ok(), "{}: {replaced:?}", t.name);
        assert_eq!(counts(asked).await, vec![2, 4, 0, 1, 0], "{}", t.name);
        assert_eq!((total(6).await, total(7).await), (3, 4), "{}", t.name);
        assert_eq!(t.query_i64(COUNTS_DISAGREE).await, 0, "{}", t.name);
        // A token row changed in place would leave the counts behind: refused.
        let updated = t
            .try_execute_raw("UPDATE person_link_tokens SET token = token + 1 WHERE rule = 7")
            .await;
        assert!(updated.is_err(), "{}: an update of a token", t.name);
        assert_eq!(t.query_i64(COUNTS_DISAGREE).await, 0, "{}", t.name);
        t
    })
    .await;
}

/// Intake's linkage reads stay bounded at a million referrals on both engines (PostgreSQL's
/// generic plan included): each token's holders a range of the tokens' key read from its end
/// and stopped at the limit (no sort of every holder), the names' holders and the total a
/// lookup of the kept counts' key. A plan that sorts or scans makes each intake read every
/// holder of a common name.
#[tokio::test]
async fn linkage_reads_use_their_keys_and_stop() {
    for backend in testing::all().await {
        let plans = backend
            .store
            .linkage_read_plans()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name));
        assert_eq!(plans.len(), 3);
        for (read, steps) in &plans {
            let plan = steps.join(" | ");
            eprintln!("{} {read}: {plan}", backend.name);
            let no_sort = !steps
                .iter()
                .any(|s| s.starts_with("Sort") || s.contains("TEMP B-TREE"));
            assert!(no_sort, "{} {read}: {plan}", backend.name);
            let no_scan = !steps.iter().any(|s| {
                s.starts_with("SCAN ") && !s.starts_with("SCAN h") || s.starts_with("Seq Scan")
            });
            assert!(no_scan, "{} {read}: {plan}", backend.name);
            // A holder's referral is looked up by its key, never hashed with the whole table
            // (a join's cached plan did that at every intake while the table was small).
            let no_hash = !steps.iter().any(|s| s.starts_with("Hash"));
            assert!(no_hash, "{} {read}: {plan}", backend.name);
            let by_key = steps
                .iter()
                .filter(|s| s.contains("person_referrals") || s.starts_with("SEARCH r "))
                .all(|s| s.contains("case_id"));
            assert!(by_key, "{} {read}: {plan}", backend.name);
        }
        backend.cleanup().await;
    }
}

/// The holders of `asked` and the family names' total, as intake reads them.
async fn family_counts(t: &TestStore, asked: &[(u8, u64)]) -> nrm_store::persons::NameCounts {
    t.store
        .name_counts(asked, 7)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", t.name))
}

// Migration 0039 counts the names of the tokens already stored when it runs (a service
// upgraded with referrals indexed), then the triggers go on from there.
#[tokio::test]
async fn the_name_counts_start_from_the_tokens_stored_before_them() {
    let mut stores = vec![testing::sqlite_migrated_to(38).await];
    stores.extend(testing::postgres_migrated_to(38).await);
    for t in stores {
        let cases: Vec<NewCase> = (0..4).map(|_| new_case()).collect();
        for case in &cases {
            assert_eq!(submit(&t.store, case).await.ok(), Some(1), "{}", t.name);
        }
        let id = |i: usize| format!("'{}'", cases[i].case_id.0);
        let id = |i: usize| match t.name {
            "sqlite" => format!("X{}", id(i).replace('-', "")),
            _ => id(i),
        };
        let rows = [
            (6, 100, 0),
            (6, 100, 1),
            (7, 200, 0),
            (7, 201, 1),
            (7, 201, 2),
            (1, 5, 0),
        ];
        let values = rows
            .iter()
            .map(|(rule, token, case)| format!("({rule}, {token}, {})", id(*case)))
            .collect::<Vec<_>>()
            .join(", ");
        t.execute_raw(&format!(
            "INSERT INTO person_link_tokens (rule, token, case_id) VALUES {values}"
        ))
        .await;
        t.store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: migrate: {e}", t.name));
        let asked = [(6, 100), (7, 200), (7, 201), (1, 5), (6, 999)];
        let counts = family_counts(&t, &asked).await;
        assert_eq!(counts.holders, vec![2, 1, 2, 0, 0], "{}", t.name);
        assert_eq!(counts.indexed, 3, "{}", t.name);
        let six = t
            .store
            .name_total(6)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(six, 2, "{}", t.name);
        // And from there the triggers keep them.
        t.execute_raw(&format!(
            "INSERT INTO person_link_tokens (rule, token, case_id) VALUES (7, 200, {})",
            id(3)
        ))
        .await;
        let counts = family_counts(&t, &asked).await;
        assert_eq!(counts.holders, vec![2, 2, 2, 0, 0], "{}", t.name);
        assert_eq!(counts.indexed, 4, "{}", t.name);
        assert_eq!(t.query_i64(COUNTS_DISAGREE).await, 0, "{}", t.name);
        t.cleanup().await;
    }
}

// Issue 16: migration 0041 keeps SQLite's tokens in their key's order alone; the tokens
// stored before it, and the name counts and triggers, come through it.
#[tokio::test]
async fn the_tokens_stored_before_migration_41_keep_their_counts_in_one_tree() {
    let t = testing::sqlite_migrated_to(40).await;
    let cases: Vec<NewCase> = (0..3).map(|_| new_case()).collect();
    for case in &cases {
        assert_eq!(submit(&t.store, case).await.ok(), Some(1));
    }
    let id = |i: usize| format!("X'{}'", cases[i].case_id.0.simple());
    t.execute_raw(&format!(
        "INSERT INTO person_link_tokens (rule, token, case_id) VALUES (6, 100, {}), (6, 100, {}), (7, 200, {}), (1, 5, {})",
        id(0),
        id(1),
        id(2),
        id(0)
    ))
    .await;
    t.store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    assert_eq!(
        t.query_i64("SELECT COUNT(*) FROM person_link_tokens").await,
        4
    );
    // One tree: a WITHOUT ROWID table has no rowid to read.
    assert!(
        t.try_execute_raw("SELECT rowid FROM person_link_tokens")
            .await
            .is_err()
    );
    let asked = [(6, 100), (7, 200), (1, 5)];
    assert_eq!(family_counts(&t, &asked).await.holders, vec![2, 1, 0]);
    // The triggers were made again: a removed token is counted out, an update refused.
    t.execute_raw(&format!(
        "DELETE FROM person_link_tokens WHERE case_id = {}",
        id(0)
    ))
    .await;
    assert_eq!(family_counts(&t, &asked).await.holders, vec![1, 1, 0]);
    assert_eq!(t.query_i64(COUNTS_DISAGREE).await, 0);
    assert!(
        t.try_execute_raw("UPDATE person_link_tokens SET token = 101 WHERE token = 100")
            .await
            .is_err()
    );
    // And the case's index is there for removing a referral's tokens.
    assert_eq!(
        t.query_i64(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'person_link_tokens_case'"
        )
        .await,
        1
    );
    t.cleanup().await;
}

// Issue 14 and 17: migration 0042 deletes the linkage tokens of cases erased before erasure
// deleted them itself; the other referrals' tokens and the name counts stay right.
#[tokio::test]
async fn migration_42_deletes_the_tokens_of_cases_erased_before_it() {
    let mut stores = vec![testing::sqlite_migrated_to(41).await];
    stores.extend(testing::postgres_migrated_to(41).await);
    for t in stores {
        let cases: Vec<NewCase> = (0..2).map(|_| new_case()).collect();
        for case in &cases {
            assert_eq!(submit(&t.store, case).await.ok(), Some(1), "{}", t.name);
        }
        let lit = |id: Uuid| {
            if t.name == "postgres" {
                format!("'{id}'")
            } else {
                format!("X'{}'", id.simple())
            }
        };
        let (erased, kept) = (lit(cases[0].case_id.0), lit(cases[1].case_id.0));
        t.execute_raw(&format!(
            "INSERT INTO person_link_tokens (rule, token, case_id) VALUES (6, 100, {erased}), (6, 100, {kept}), (7, 200, {erased}), (1, 5, {erased}), (1, 5, {kept})"
        ))
        .await;
        // Case 0 erased as erasure did before: its subject recorded, its tokens left.
        t.execute_raw(&format!(
            "INSERT INTO erased_subjects (subject_id, case_id, erased_at) VALUES ({}, {erased}, '2026-12-01T12:00:00Z')",
            lit(cases[0].subject.0)
        ))
        .await;
        let asked = [(6, 100), (7, 200)];
        assert_eq!(
            family_counts(&t, &asked).await.holders,
            vec![2, 1],
            "{}",
            t.name
        );
        t.store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{}: migrate: {e}", t.name));
        let of =
            |case: &str| format!("SELECT COUNT(*) FROM person_link_tokens WHERE case_id = {case}");
        assert_eq!(t.query_i64(&of(&erased)).await, 0, "{}", t.name);
        assert_eq!(t.query_i64(&of(&kept)).await, 2, "{}", t.name);
        assert_eq!(
            family_counts(&t, &asked).await.holders,
            vec![1, 0],
            "{}",
            t.name
        );
        assert_eq!(t.query_i64(COUNTS_DISAGREE).await, 0, "{}", t.name);
        t.cleanup().await;
    }
}

/// A referral's person linkage, owned, to write with its case ([`Store::append_intake`]).
struct Link {
    case: CaseId,
    person: nrm_domain::person::PersonId,
    expected: u64,
    events: Vec<nrm_domain::person::PersonEvent>,
    after: nrm_domain::person::PersonState,
    audit: AuditRecord,
}

impl Link {
    /// `case` (with `reference`) as a new person's first referral.
    fn new_person(case: &NewCase) -> Self {
        let person = nrm_domain::person::PersonId(Uuid::new_v4());
        Self::of(case, person, nrm_domain::person::PersonState::default(), 0)
    }

    /// `case` joining `person`, whose state is `state`, written as if it were at `expected`.
    fn of(
        case: &NewCase,
        person: nrm_domain::person::PersonId,
        state: nrm_domain::person::PersonState,
        expected: u64,
    ) -> Self {
        use nrm_domain::person::{LinkBasis, LinkedReferral, PersonCommand, PersonState, decide};
        let referral = LinkedReferral {
            case_id: case.case_id,
            reference: case.reference.to_string(),
            submitted_on: now().date_naive(),
        };
        let command = if expected == 0 {
            PersonCommand::Create { referral }
        } else {
            PersonCommand::Link {
                referral,
                basis: LinkBasis::Automatic {
                    probability_permille: 990,
                },
            }
        };
        let events = decide(&state, person, &command).unwrap_or_else(|e| panic!("{e:?}"));
        let after = events.iter().fold(state, PersonState::evolve);
        Self {
            case: case.case_id,
            person,
            expected,
            events,
            after,
            audit: AuditRecord {
                actor: Actor::SYSTEM,
                action: "person.create".to_owned(),
                case_id: Some(case.case_id),
                outcome: "ok".to_owned(),
                subject: Some(format!("person:{person}")),
            },
        }
    }

    fn write(&self) -> nrm_store::persons::PersonWrite<'_> {
        nrm_store::persons::PersonWrite {
            appends: vec![nrm_store::persons::PersonAppend {
                person_id: self.person,
                expected_version: self.expected,
                events: &self.events,
                state_after: &self.after,
            }],
            tokens: vec![(self.case, 1, self.case.0.as_u128() as u64)],
            replace_tokens_of: vec![self.case],
            reviews: Vec::new(),
            decision: None,
            actor: Actor::SYSTEM,
            recorded_at: now(),
            audit: &self.audit,
        }
    }
}

type Linked = Result<(u64, Result<(), StoreError>), StoreError>;

/// Starts appending `case` with its linkage `link` in one batch.
fn spawn_linked(store: &Store, case: &NewCase, link: Link) -> JoinHandle<Linked> {
    let (store, case) = (store.clone(), case.clone());
    tokio::spawn(async move {
        intake(&store, &case, link, None)
            .await
            .map(|(version, link, _)| {
                (
                    version,
                    link.unwrap_or_else(|| panic!("no outcome for the link")),
                )
            })
    })
}

async fn person_of(store: &Store, case: CaseId) -> Option<nrm_domain::person::PersonId> {
    store
        .person_of_case(case)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Installs a trigger that makes writing the person referral row of the case with
/// `reference` fail.
async fn fail_link_for(t: &TestStore, reference: &CaseReference) {
    fail_insert_for(t, "fail_link", "person_referrals", reference).await;
}

// Issue 16: a new referral and its person linkage share one durable commit; the link is
// written only with its case, and fails alone.
#[tokio::test]
async fn a_case_and_its_linkage_share_a_batch_and_the_link_fails_alone() {
    each_backend(|t| async move { cases_and_links_in_one_batch(t, false).await }).await;
}

#[tokio::test]
async fn a_case_and_its_linkage_written_one_by_one_keep_the_same_outcomes() {
    each_backend(|t| async move { cases_and_links_in_one_batch(t, true).await }).await;
}

/// One batch of cases with their linkage: good ones, a case refused (its reference taken, its
/// draft already claimed) whose link must not be written, a link to a person changed
/// meanwhile whose case must be, and (`failing`) a case whose statement fails and a link whose
/// statement fails, which send the batch through the one-by-one writing.
async fn cases_and_links_in_one_batch(t: TestStore, failing: bool) -> TestStore {
    let owner = someone();
    // Already stored: a case with its person, and a draft already submitted.
    let existing = new_case();
    let existing_link = Link::new_person(&existing);
    let first = outcome_linked(spawn_linked(&t.store, &existing, existing_link)).await;
    assert!(matches!(first, Ok((1, Ok(())))), "{}: {first:?}", t.name);
    let known = person_of(&t.store, existing.case_id)
        .await
        .unwrap_or_else(|| panic!("{}: the first link was not written", t.name));
    let claimed = Uuid::new_v4();
    t.store
        .create_draft(claimed, owner, "adult", &serde_json::json!({}), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first_claim = new_case();
    (first_claim.actor, first_claim.draft) = (
        owner,
        Some(DraftClaim {
            draft_id: claimed,
            owner,
        }),
    );
    assert_eq!(submit(&t.store, &first_claim).await.ok(), Some(1));
    let fresh_draft = Uuid::new_v4();
    t.store
        .create_draft(fresh_draft, owner, "adult", &serde_json::json!({}), now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let before = t.store.group_commit_stats();
    let chain_before = chain_length(&t.store).await;

    let good: Vec<NewCase> = (0..4).map(|_| new_case()).collect();
    let mut from_draft = new_case();
    (from_draft.actor, from_draft.draft) = (
        owner,
        Some(DraftClaim {
            draft_id: fresh_draft,
            owner,
        }),
    );
    let mut same_reference = new_case();
    same_reference.reference = existing.reference.clone();
    let mut claims_again = new_case();
    (claims_again.actor, claims_again.draft) = (
        owner,
        Some(DraftClaim {
            draft_id: claimed,
            owner,
        }),
    );
    let known_version = t
        .store
        .person_version(known)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("{}: no version", t.name));
    let joins = new_case();
    let joins_too = new_case();
    let state = |case: &NewCase| Link::new_person(case).after;
    let broken_case = new_case();
    let broken_link = new_case();
    if failing {
        fail_statement_for(&t, &broken_case.reference).await;
        fail_link_for(&t, &broken_link.reference).await;
    }

    let mut links: Vec<(NewCase, Link)> = good
        .iter()
        .chain([&from_draft, &same_reference, &claims_again])
        .map(|c| (c.clone(), Link::new_person(c)))
        .collect();
    // Both join the known person at its version now; only the first written can be.
    let join = |case: &NewCase| Link::of(case, known, state(&existing), known_version);
    let join_events = join(&joins).events.len() as u64;
    links.push((joins.clone(), join(&joins)));
    links.push((joins_too.clone(), join(&joins_too)));
    if failing {
        links.push((broken_case.clone(), Link::new_person(&broken_case)));
        links.push((broken_link.clone(), Link::new_person(&broken_link)));
    }
    let refused_persons: Vec<_> = links
        .iter()
        .filter(|(c, _)| c.case_id == same_reference.case_id || c.case_id == claims_again.case_id)
        .map(|(_, l)| l.person)
        .collect();
    let count = links.len();
    let tasks = std::sync::Mutex::new(Vec::new());
    let opener = new_case();
    as_one_batch(&t, &opener, 2 * count, || {
        let mut tasks = tasks.lock().unwrap_or_else(|e| panic!("{e}"));
        for (case, link) in links {
            tasks.push((case.case_id, spawn_linked(&t.store, &case, link)));
        }
    })
    .await;
    let mut results = std::collections::HashMap::new();
    for (case, task) in tasks.into_inner().unwrap_or_else(|e| panic!("{e}")) {
        results.insert(case, outcome_linked(task).await);
    }
    let result = |c: &NewCase| {
        results
            .get(&c.case_id)
            .unwrap_or_else(|| panic!("no result"))
    };

    for case in good.iter().chain([&from_draft]) {
        assert!(
            matches!(result(case), Ok((1, Ok(())))),
            "{}: {:?}",
            t.name,
            result(case)
        );
        assert!(
            person_of(&t.store, case.case_id).await.is_some(),
            "{}",
            t.name
        );
        assert_eq!(
            audit_entries_for(&t.store, case.case_id).await,
            2,
            "{}",
            t.name
        );
    }
    assert!(
        matches!(result(&same_reference), Err(StoreError::DuplicateReference)),
        "{}: {:?}",
        t.name,
        result(&same_reference)
    );
    assert!(
        matches!(
            result(&claims_again),
            Err(StoreError::DraftAlreadySubmitted)
        ),
        "{}: {:?}",
        t.name,
        result(&claims_again)
    );
    // Neither refused case's person was written, nor anything of its link.
    for person in &refused_persons {
        assert_eq!(
            t.store.person_version(*person).await.ok(),
            Some(None),
            "{}",
            t.name
        );
    }
    for case in [&same_reference, &claims_again] {
        assert_eq!(
            audit_entries_for(&t.store, case.case_id).await,
            0,
            "{}",
            t.name
        );
        assert_eq!(
            t.query_i64(&format!(
                "SELECT COUNT(*) FROM person_link_tokens WHERE token = {}",
                case.case_id.0.as_u128() as u64 as i64
            ))
            .await,
            0,
            "{}",
            t.name
        );
    }
    // One of the two joins of the known person was written; the other's case was, and its
    // link was refused as a version conflict, for the caller to link again.
    let joined: Vec<bool> = [&joins, &joins_too]
        .iter()
        .map(|c| match result(c) {
            Ok((1, Ok(()))) => true,
            Ok((1, Err(StoreError::VersionConflict { .. }))) => false,
            other => panic!("{}: {other:?}", t.name),
        })
        .collect();
    assert_eq!(
        joined.iter().filter(|j| **j).count(),
        1,
        "{}: {joined:?}",
        t.name
    );
    for (case, joined) in [&joins, &joins_too].iter().zip(&joined) {
        let person = person_of(&t.store, case.case_id).await;
        assert_eq!(person, joined.then_some(known), "{}", t.name);
        assert_eq!(
            audit_entries_for(&t.store, case.case_id).await,
            if *joined { 2 } else { 1 },
            "{}",
            t.name
        );
    }
    assert_eq!(
        t.store.person_version(known).await.ok(),
        Some(Some(known_version + join_events)),
        "{}",
        t.name
    );
    let mut written = 1 + 2 * 5 + 2 + 1;
    if failing {
        // The case whose statement fails: neither it nor its link. The link whose statement
        // fails: its case alone.
        assert!(
            matches!(result(&broken_case), Err(StoreError::Database(_))),
            "{}: {:?}",
            t.name,
            result(&broken_case)
        );
        assert_eq!(
            person_of(&t.store, broken_case.case_id).await,
            None,
            "{}",
            t.name
        );
        assert!(
            t.store
                .load(broken_case.case_id)
                .await
                .ok()
                .flatten()
                .is_none(),
            "{}",
            t.name
        );
        assert!(
            matches!(result(&broken_link), Ok((1, Err(StoreError::Database(_))))),
            "{}: {:?}",
            t.name,
            result(&broken_link)
        );
        assert_eq!(
            person_of(&t.store, broken_link.case_id).await,
            None,
            "{}",
            t.name
        );
        assert_eq!(
            audit_entries_for(&t.store, broken_link.case_id).await,
            1,
            "{}",
            t.name
        );
        written += 1;
    }
    let after = t.store.group_commit_stats();
    // The opener's batch and the one holding every case and link.
    assert_eq!(after.batches - before.batches, 2, "{}", t.name);
    assert_eq!(
        after.retried_one_by_one - before.retried_one_by_one,
        u64::from(failing),
        "{}",
        t.name
    );
    assert_eq!(
        chain_length(&t.store).await,
        chain_before + written,
        "{}",
        t.name
    );
    t
}

async fn outcome_linked(task: JoinHandle<Linked>) -> Linked {
    task.await.unwrap_or_else(|e| panic!("{e}"))
}

// A case and its linkage are never split between two batches, even at the cap.
#[tokio::test]
async fn a_case_and_its_linkage_at_the_cap_go_together_to_the_next_batch() {
    each_backend(|t| async move {
        let opener = new_case();
        let singles: Vec<NewCase> = (0..63).map(|_| new_case()).collect();
        let paired = new_case();
        let before = t.store.group_commit_stats();
        let lock = WriteLock::take(&t).await;
        let first = spawn_submit(&t.store, &opener);
        until_committer_has(&t.store, before.appends + 1, 0).await;
        let tasks: Vec<_> = singles.iter().map(|c| spawn_submit(&t.store, c)).collect();
        until_committer_has(&t.store, before.appends + 1, 63).await;
        let pair = spawn_linked(&t.store, &paired, Link::new_person(&paired));
        until_committer_has(&t.store, before.appends + 1, 65).await;
        lock.release().await;
        assert_eq!(outcome(first).await.ok(), Some(1), "{}", t.name);
        for task in tasks {
            assert_eq!(outcome(task).await.ok(), Some(1), "{}", t.name);
        }
        let linked = outcome_linked(pair).await;
        assert!(matches!(linked, Ok((1, Ok(())))), "{}: {linked:?}", t.name);
        assert!(
            person_of(&t.store, paired.case_id).await.is_some(),
            "{}",
            t.name
        );
        // The opener; the 63 singles (the pair did not fit beside them); the pair.
        let after = t.store.group_commit_stats();
        assert_eq!(
            (
                after.batches - before.batches,
                after.appends - before.appends
            ),
            (3, 66),
            "{}",
            t.name
        );
        assert_eq!(chain_length(&t.store).await, 66, "{}", t.name);
        t
    })
    .await;
}

/// A new support episode for `case`, owned, to write with it.
struct Episode {
    id: nrm_domain::support::EpisodeId,
    reference: String,
    subject: SubjectId,
    events: Vec<nrm_domain::support::SupportEvent>,
    state: nrm_domain::support::EpisodeState,
    audit: AuditRecord,
}

impl Episode {
    fn of(case: &NewCase, reference: &str) -> Self {
        use nrm_domain::support::event::EntryRoute;
        use nrm_domain::support::{EpisodeState, SupportCommand, SupportRules, decide};
        let events = decide(
            &EpisodeState::default(),
            SupportCommand::Refer {
                case_id: Some(case.case_id),
                nation: nrm_domain::geography::UkNation::England,
                route: EntryRoute::ConsentToSupport,
                prime: OrganisationId(Uuid::new_v4()),
                adult: true,
                consent_to_support: true,
            },
            &Rulebook::current(),
            &SupportRules::current(),
            now(),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        let id = nrm_domain::support::EpisodeId(Uuid::new_v4());
        Self {
            id,
            reference: reference.to_owned(),
            subject: case.subject,
            state: EpisodeState::from_events(&events),
            events,
            audit: AuditRecord {
                actor: case.actor,
                action: "support.refer".to_owned(),
                case_id: Some(case.case_id),
                outcome: "ok".to_owned(),
                subject: Some(format!("support_episode:{id}")),
            },
        }
    }

    fn append(&self, actor: Actor) -> nrm_store::support::SupportAppend<'_> {
        nrm_store::support::SupportAppend {
            episode_id: self.id,
            expected_version: 0,
            new: Some(nrm_store::support::NewEpisode {
                reference: &self.reference,
                subject: self.subject,
            }),
            events: &self.events,
            state_after: &self.state,
            actor,
            recorded_at: now(),
            new_subjects: &[],
            vault_writes: &[],
            audit: &self.audit,
        }
    }
}

type IntakeResult = Result<
    (
        u64,
        Option<Result<(), StoreError>>,
        Option<Result<u64, StoreError>>,
    ),
    StoreError,
>;

/// Starts appending `case` with its linkage and its support episode in one batch.
fn spawn_intake(
    store: &Store,
    case: &NewCase,
    link: Link,
    episode: Episode,
) -> JoinHandle<IntakeResult> {
    let (store, case) = (store.clone(), case.clone());
    tokio::spawn(async move { intake(&store, &case, link, Some(episode)).await })
}

/// Appends `case` with its linkage and, when given, its support episode, in one batch.
async fn intake(
    store: &Store,
    case: &NewCase,
    link: Link,
    episode: Option<Episode>,
) -> IntakeResult {
    let writes = [VaultWrite {
        record: case.record,
        subject: case.subject,
        content: VaultContent::PersonalDetails(fixtures::personal_details(None)),
    }];
    let audit = audit_of(case.actor, "case.submit", case.case_id);
    store
        .append_intake(
            Append {
                case_id: case.case_id,
                expected_version: 0,
                reference: Some(&case.reference),
                events: &case.events,
                actor: case.actor,
                recorded_at: now(),
                new_subjects: &[case.subject],
                vault_writes: &writes,
                audit: Some(&audit),
                draft: case.draft,
            },
            nrm_store::intake::IntakeWrites {
                link: Some(link.write()),
                support: episode.as_ref().map(|e| e.append(case.actor)),
                guardian: None,
            },
        )
        .await
        .map(|w| (w.version, w.link, w.support))
}

// Issue 16: a new referral's case, person linkage and support episode in one batch; the
// episode's row refers to the case's vault subject, written in the same batch before it.
#[tokio::test]
async fn a_case_its_linkage_and_its_support_episode_share_a_batch() {
    each_backend(|t| async move {
        let existing = new_case();
        let taken = "SUP-TAKEN001";
        let first = spawn_intake(
            &t.store,
            &existing,
            Link::new_person(&existing),
            Episode::of(&existing, taken),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(first, Ok((1, Some(Ok(())), Some(Ok(_))))),
            "{}: {first:?}",
            t.name
        );
        let before = t.store.group_commit_stats();
        let chain_before = chain_length(&t.store).await;
        let good: Vec<NewCase> = (0..3).map(|_| new_case()).collect();
        let episode_taken = new_case();
        let mut case_refused = new_case();
        case_refused.reference = existing.reference.clone();
        let mut all: Vec<(NewCase, String)> = good
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), format!("SUP-GOOD000{i}")))
            .collect();
        all.push((episode_taken.clone(), taken.to_owned()));
        all.push((case_refused.clone(), "SUP-REFUSED1".to_owned()));
        let tasks = std::sync::Mutex::new(Vec::new());
        let opener = new_case();
        as_one_batch(&t, &opener, 3 * all.len(), || {
            let mut tasks = tasks.lock().unwrap_or_else(|e| panic!("{e}"));
            for (case, reference) in &all {
                let (link, episode) = (Link::new_person(case), Episode::of(case, reference));
                tasks.push((case.case_id, spawn_intake(&t.store, case, link, episode)));
            }
        })
        .await;
        let mut results = std::collections::HashMap::new();
        for (case, task) in tasks.into_inner().unwrap_or_else(|e| panic!("{e}")) {
            results.insert(case, task.await.unwrap_or_else(|e| panic!("{e}")));
        }
        let result = |c: &NewCase| results.get(&c.case_id).unwrap_or_else(|| panic!("none"));
        let episodes = |c: &NewCase| {
            format!(
                "SELECT COUNT(*) FROM support_episodes WHERE reference LIKE 'SUP-%' AND case_id = {}",
                match t.name {
                    "sqlite" => format!("X'{}'", c.case_id.0.simple()),
                    _ => format!("'{}'", c.case_id.0),
                }
            )
        };
        for case in &good {
            assert!(
                matches!(result(case), Ok((1, Some(Ok(())), Some(Ok(_))))),
                "{}: {:?}",
                t.name,
                result(case)
            );
            assert_eq!(t.query_i64(&episodes(case)).await, 1, "{}", t.name);
            assert_eq!(audit_entries_for(&t.store, case.case_id).await, 3, "{}", t.name);
        }
        // The episode whose reference is taken fails alone: its case and linkage are written.
        assert!(
            matches!(
                result(&episode_taken),
                Ok((1, Some(Ok(())), Some(Err(StoreError::DuplicateReference))))
            ),
            "{}: {:?}",
            t.name,
            result(&episode_taken)
        );
        assert_eq!(t.query_i64(&episodes(&episode_taken)).await, 0, "{}", t.name);
        assert!(person_of(&t.store, episode_taken.case_id).await.is_some(), "{}", t.name);
        // The refused case writes neither its linkage nor its episode.
        assert!(
            matches!(result(&case_refused), Err(StoreError::DuplicateReference)),
            "{}: {:?}",
            t.name,
            result(&case_refused)
        );
        assert_eq!(t.query_i64(&episodes(&case_refused)).await, 0, "{}", t.name);
        assert_eq!(
            t.query_i64("SELECT COUNT(*) FROM support_episodes WHERE reference = 'SUP-REFUSED1'")
                .await,
            0,
            "{}",
            t.name
        );
        let after = t.store.group_commit_stats();
        assert_eq!(after.batches - before.batches, 2, "{}", t.name);
        assert_eq!(after.retried_one_by_one, before.retried_one_by_one, "{}", t.name);
        // The opener, three whole intakes, and a case with its linkage.
        assert_eq!(
            chain_length(&t.store).await,
            chain_before + 1 + 3 * 3 + 2,
            "{}",
            t.name
        );
        t
    })
    .await;
}
