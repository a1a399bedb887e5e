//! Store behaviour on both backends: optimistic concurrency, atomic appends, append-only
//! history, encryption at rest, durable settings.

use chrono::{DateTime, TimeZone, Utc};
use nrm_domain::case::CaseState;
use nrm_domain::command::{Command, Submit, decide};
use nrm_domain::fixtures::{self, CANARY};
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::VaultContent;
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseEvent, CaseReference, Rulebook};
use nrm_store::testing::{self, TestStore};
use nrm_store::{
    Append, AuditKey, ConnectOptions, MasterKey, QueueQuery, Store, StoreError, VaultWrite,
};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 3, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn actor() -> Actor {
    Actor {
        user: UserId(Uuid::new_v4()),
        organisation: OrganisationId(Uuid::new_v4()),
    }
}

struct NewCase {
    case_id: CaseId,
    subject: SubjectId,
    record: VaultRecordId,
    reference: CaseReference,
    events: Vec<CaseEvent>,
}

fn new_adult_case() -> NewCase {
    adult_case_of(fixtures::adult_referral())
}

fn adult_case_of(referral: nrm_domain::submission::AdultReferral) -> NewCase {
    let subject = SubjectId(Uuid::new_v4());
    let record = VaultRecordId(Uuid::new_v4());
    let command = Command::Submit(Box::new(Submit {
        submission: Submission::Adult(referral),
        reference_random: rand_bits(),
        subject,
        personal_details: record,
        nations: Default::default(),
    }));
    let events = decide(
        &CaseState::Empty,
        &command,
        actor(),
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
        subject,
        record,
        reference,
        events,
    }
}

/// The events of a positive Reasonable Grounds decision on `case`.
fn rg_events(case: &NewCase) -> Vec<CaseEvent> {
    let state = CaseState::from_events(&case.events);
    let command = Command::DecideReasonableGrounds(nrm_domain::command::Decision {
        outcome: nrm_domain::event::Outcome::Positive,
        decided_on: now().date_naive(),
        reasons: VaultRecordId(Uuid::new_v4()),
        negative_reason: None,
    });
    decide(&state, &command, actor(), &Rulebook::current(), now()).unwrap_or_else(|e| panic!("{e}"))
}

fn rand_bits() -> u64 {
    u64::from_le_bytes(
        Uuid::new_v4().as_bytes()[..8]
            .try_into()
            .unwrap_or_default(),
    )
}

async fn append_new(store: &Store, case: &NewCase) -> Result<u64, StoreError> {
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
            actor: actor(),
            recorded_at: now(),
            new_subjects: &[case.subject],
            vault_writes: &writes,
            audit: Some(&nrm_store::audit::AuditRecord {
                actor: actor(),
                action: "case.submit".to_owned(),
                case_id: Some(case.case_id),
                outcome: "ok".to_owned(),
                subject: None,
            }),
            draft: None,
        })
        .await
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestStore) -> Fut,
    Fut: std::future::Future<Output = TestStore>,
{
    for store in testing::all().await {
        let name = store.name;
        eprintln!("backend: {name}");
        let store = test(store).await;
        store.cleanup().await;
    }
}

#[tokio::test]
async fn a_new_case_is_stored_with_its_summary_and_vault_record() {
    each_backend(|t| async move {
        let case = new_adult_case();
        assert_eq!(append_new(&t.store, &case).await.ok(), Some(1), "{}", t.name);
        let loaded = t.store.load(case.case_id).await.ok().flatten().unwrap_or_else(|| panic!("loaded"));
        assert_eq!(loaded.version, 1);
        assert_eq!(loaded.events[0].event, case.events[0]);
        let summary = t.store.summary(case.case_id, now().date_naive()).await.ok().flatten();
        let summary = summary.unwrap_or_else(|| panic!("summary on {}", t.name));
        assert_eq!(summary.status, nrm_domain::case::CaseStatus::AwaitingReasonableGrounds);
        assert_eq!(summary.exploitation_types, vec!["labour".to_owned()]);
        assert_eq!(t.store.case_id_by_reference(&case.reference).await.ok().flatten(), Some(case.case_id));
        let content = t.store.read_vault(case.subject, case.record).await;
        assert!(matches!(content, Ok(VaultContent::PersonalDetails(ref d)) if d.narrative.contains(CANARY)));
        // The record cannot be read as another subject's.
        assert!(t.store.read_vault(SubjectId(Uuid::new_v4()), case.record).await.is_err());
        t
    })
    .await;
}

// The sweeps' catch-up reads a page of cases and their vault records at once: each as the
// one-at-a-time reads give it, in the order asked, the missing left out (events) or refused
// one by one (records), never another subject's record.
// Issue 16: a new case's summary is written once, with its exploitation types' bit mask, not
// inserted and then updated by the types' trigger once per type (a new version of the row in
// every queue index, and a -1/+1 set of queue-count deltas per type).
#[tokio::test]
async fn a_new_cases_summary_is_written_once_with_its_exploitation_mask() {
    each_backend(|t| async move {
        let mut referral = fixtures::adult_referral();
        referral.exploitation = fixtures::exploitation(vec![
            nrm_domain::exploitation::ExploitationType::Labour,
            nrm_domain::exploitation::ExploitationType::Sexual,
        ]);
        let case = adult_case_of(referral);
        assert_eq!(
            append_new(&t.store, &case).await.ok(),
            Some(1),
            "{}",
            t.name
        );
        let mask = t
            .query_i64("SELECT CAST(exploitation_mask AS BIGINT) FROM case_summaries")
            .await;
        assert_eq!(mask, 1 | 2, "labour and sexual, {}", t.name);
        let types = t
            .query_i64("SELECT COUNT(*) FROM case_exploitation_types")
            .await;
        assert_eq!(types, 2, "{}", t.name);
        // Counted once in each of its scopes (all cases, its organisation's, awaiting RG by
        // due date), never taken away again.
        let removed = t
            .query_i64("SELECT COUNT(*) FROM queue_count_deltas WHERE delta < 0")
            .await;
        assert_eq!(removed, 0, "{}", t.name);
        let added = t
            .query_i64("SELECT COUNT(*) FROM queue_count_deltas WHERE delta > 0")
            .await;
        assert_eq!(added, 3, "{}", t.name);
        t
    })
    .await;
}

#[tokio::test]
async fn pages_of_cases_and_vault_records_read_as_one_at_a_time() {
    each_backend(|t| async move {
        let (a, b) = (new_adult_case(), new_adult_case());
        for case in [&a, &b] {
            append_new(&t.store, case).await.unwrap_or_else(|e| panic!("{e}"));
        }
        let missing = CaseId(Uuid::new_v4());
        let many = t.store.load_many(&[b.case_id, missing, a.case_id]).await;
        let many = many.unwrap_or_else(|e| panic!("{}: {e}", t.name));
        let ids: Vec<CaseId> = many.iter().map(|c| c.case_id).collect();
        assert_eq!(ids, vec![b.case_id, a.case_id], "{}", t.name);
        for loaded in &many {
            let one = t.store.load(loaded.case_id).await.ok().flatten();
            let one = one.unwrap_or_else(|| panic!("loaded"));
            assert_eq!(loaded.version, one.version);
            let events = |c: &nrm_store::LoadedCase| -> Vec<CaseEvent> {
                c.events.iter().map(|e| e.event.clone()).collect()
            };
            assert_eq!(events(loaded), events(&one), "{}", t.name);
        }
        assert!(t.store.load_many(&[]).await.is_ok_and(|v| v.is_empty()));

        let records = t
            .store
            .read_vault_many(&[
                (b.subject, b.record),
                (a.subject, b.record),
                (a.subject, VaultRecordId(Uuid::new_v4())),
                (a.subject, a.record),
            ])
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert_eq!(records.len(), 4);
        for (at, case) in [(0, &b), (3, &a)] {
            let one = t.store.read_vault(case.subject, case.record).await;
            assert!(
                matches!((&records[at], one), (Ok(VaultContent::PersonalDetails(m)), Ok(VaultContent::PersonalDetails(o))) if *m == o && m.narrative.contains(CANARY)),
                "{}: record {at}",
                t.name
            );
        }
        assert!(matches!(records[1], Err(StoreError::NotFound)), "{}: another subject's", t.name);
        assert!(matches!(records[2], Err(StoreError::NotFound)), "{}: missing", t.name);
        t
    })
    .await;
}

// Issue 14 and 16: person linkage reads each candidate's submission alone, however long its
// history.
#[tokio::test]
async fn first_events_are_each_cases_submission_in_the_order_asked() {
    each_backend(|t| async move {
        let (a, b) = (new_adult_case(), new_adult_case());
        for case in [&a, &b] {
            append_new(&t.store, case)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        // A has a decision after its submission.
        let decision = rg_events(&a);
        t.store
            .append(Append {
                case_id: a.case_id,
                expected_version: 1,
                reference: None,
                events: &decision,
                actor: actor(),
                recorded_at: now(),
                new_subjects: &[],
                vault_writes: &[],
                audit: None,
                draft: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{}: decide: {e}", t.name));
        let missing = CaseId(Uuid::new_v4());
        let first = t
            .store
            .first_events(&[a.case_id, missing, b.case_id, a.case_id])
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        let want = vec![
            (a.case_id, a.events[0].clone()),
            (b.case_id, b.events[0].clone()),
            (a.case_id, a.events[0].clone()),
        ];
        assert_eq!(first, want, "{}", t.name);
        assert!(matches!(first[0].1, CaseEvent::ReferralSubmitted(_)));
        assert!(t.store.first_events(&[]).await.is_ok_and(|v| v.is_empty()));
        t
    })
    .await;
}

#[tokio::test]
async fn a_stale_expected_version_is_refused_and_nothing_is_written() {
    each_backend(|t| async move {
        let case = new_adult_case();
        append_new(&t.store, &case)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Appending the submission again as a new stream is a conflict, not a merge.
        assert!(matches!(
            append_new(&t.store, &case).await,
            Err(StoreError::VersionConflict {
                expected: 0,
                actual: 1
            })
        ));
        let extra = rg_events(&case);
        let stale = t
            .store
            .append(Append {
                case_id: case.case_id,
                expected_version: 5,
                reference: None,
                events: &extra,
                actor: actor(),
                recorded_at: now(),
                new_subjects: &[],
                vault_writes: &[],
                audit: None,
                draft: None,
            })
            .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::VersionConflict {
                    expected: 5,
                    actual: 1
                })
            ),
            "{}: {stale:?}",
            t.name
        );
        let loaded = t
            .store
            .load(case.case_id)
            .await
            .ok()
            .flatten()
            .map(|l| l.events.len());
        assert_eq!(loaded, Some(1));
        t
    })
    .await;
}

// ASVS v5.0.0-2.3.4
#[tokio::test]
async fn concurrent_writers_on_one_version_have_exactly_one_winner() {
    each_backend(|t| async move {
        let case = new_adult_case();
        append_new(&t.store, &case)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let store = t.store.clone();
            let events = rg_events(&case);
            let id = case.case_id;
            tasks.push(tokio::spawn(async move {
                store
                    .append(Append {
                        case_id: id,
                        expected_version: 1,
                        reference: None,
                        events: &events,
                        actor: actor(),
                        recorded_at: now(),
                        new_subjects: &[],
                        vault_writes: &[],
                        audit: None,
                        draft: None,
                    })
                    .await
            }));
        }
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap_or_else(|e| panic!("{e}")) {
                Ok(3) => wins += 1,
                Err(StoreError::VersionConflict { .. }) => {}
                Ok(v) => panic!("{}: unexpected version {v}", t.name),
                other => panic!("{}: unexpected {other:?}", t.name),
            }
        }
        assert_eq!(wins, 1, "{}", t.name);
        assert_eq!(t.store.version(case.case_id).await.ok().flatten(), Some(3));
        let summary = t
            .store
            .summary(case.case_id, now().date_naive())
            .await
            .ok()
            .flatten();
        assert_eq!(
            summary.map(|s| s.status),
            Some(nrm_domain::case::CaseStatus::AwaitingConclusiveGrounds)
        );
        t
    })
    .await;
}

// ASVS v5.0.0-2.3.3
#[tokio::test]
async fn a_failed_append_leaves_no_trace() {
    each_backend(|t| async move {
        let first = new_adult_case();
        append_new(&t.store, &first)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Same reference, different case: refused as a duplicate reference, and neither its
        // vault record nor its summary exist afterwards.
        let mut second = new_adult_case();
        second.reference = first.reference.clone();
        assert!(
            matches!(
                append_new(&t.store, &second).await,
                Err(StoreError::DuplicateReference)
            ),
            "{}",
            t.name
        );
        assert!(t.store.load(second.case_id).await.ok().flatten().is_none());
        assert!(
            t.store
                .read_vault(second.subject, second.record)
                .await
                .is_err()
        );
        let page = t
            .store
            .queue(&QueueQuery::new(now().date_naive()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page.total, 1);
        t
    })
    .await;
}

// Security target #27
#[tokio::test]
async fn history_cannot_be_changed_in_the_database() {
    each_backend(|t| async move {
        let case = new_adult_case();
        append_new(&t.store, &case)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let raw = raw_pool(&t).await;
        for sql in [
            "UPDATE case_events SET kind = 'x'",
            "DELETE FROM case_events",
        ] {
            let result = match &raw {
                Raw::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
                Raw::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            };
            assert!(result.is_err(), "{}: `{sql}` was allowed", t.name);
        }
        t
    })
    .await;
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

// ASVS v5.0.0-11.3.1, v5.0.0-14.2.4 (Security target #28)
#[tokio::test]
async fn personal_data_is_never_stored_in_plaintext() {
    each_backend(|t| async move {
        for _ in 0..5 {
            append_new(&t.store, &new_adult_case()).await.unwrap_or_else(|e| panic!("{e}"));
        }
        match raw_pool(&t).await {
            Raw::Sqlite(pool) => {
                pool.close().await;
                t.store.close().await;
                // The database file and its WAL, byte for byte.
                let path = t.url.trim_start_matches("sqlite://").to_owned();
                for file in [path.clone(), format!("{path}-wal")] {
                    if let Ok(bytes) = std::fs::read(&file) {
                        assert!(!bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()), "canary in {file}");
                    }
                }
            }
            Raw::Postgres(pool) => {
                // Every text and byte column of every table, as text.
                let tables = ["cases", "case_events", "case_summaries", "case_exploitation_types", "vault_subjects", "vault_records"];
                for table in tables {
                    let sql = format!("SELECT count(*) FROM {table} t WHERE t::text LIKE '%' || $1 || '%' OR encode(convert_to(t::text, 'UTF8'), 'escape') LIKE '%' || $1 || '%'");
                    let hits: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(CANARY).fetch_one(&pool).await.unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(hits, 0, "canary in {table}");
                }
                let ciphertexts: Vec<Vec<u8>> = sqlx::query_scalar("SELECT ciphertext FROM vault_records").fetch_all(&pool).await.unwrap_or_default();
                assert_eq!(ciphertexts.len(), 5);
                for c in ciphertexts {
                    assert!(!c.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
                }
            }
        }
        t
    })
    .await;
}

fn audit_key(hex: &str) -> AuditKey {
    AuditKey::from_hex(hex).unwrap_or_else(|| panic!("audit key"))
}

// Issue 16: statement journals never spill to a temporary file, and a checkpoint is not run
// every other batch of intake. SQLite's own settings, so SQLite only.
#[tokio::test]
async fn sqlite_keeps_statement_journals_in_memory_and_checkpoints_at_10000_pages() {
    let t = testing::sqlite().await;
    assert_eq!(t.query_i64("PRAGMA temp_store").await, 2, "MEMORY");
    assert_eq!(t.query_i64("PRAGMA wal_autocheckpoint").await, 10_000);
    t.cleanup().await;
}

// ASVS v5.0.0-11.3.3
#[tokio::test]
async fn the_wrong_master_key_cannot_read_the_vault() {
    let t = testing::sqlite().await;
    let case = new_adult_case();
    append_new(&t.store, &case)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let other =
        MasterKey::from_hex("other", &MasterKey::generate_hex()).unwrap_or_else(|| panic!("key"));
    let store = Store::connect(
        &t.url,
        ConnectOptions::new(other, audit_key(&t.audit_key_hex)),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        store.read_vault(case.subject, case.record).await,
        Err(StoreError::Crypto(_))
    ));
    store.close().await;
    t.cleanup().await;
}

// Security target #38
#[tokio::test]
async fn urls_that_point_nowhere_sensible_are_refused() {
    let key =
        || MasterKey::from_hex("k", &MasterKey::generate_hex()).unwrap_or_else(|| panic!("key"));
    for url in [
        "mysql://localhost/nrm",
        "sqlite://",
        "sqlite::memory:",
        "sqlite:///no/such/folder/nrm.sqlite",
        "nrm.sqlite",
    ] {
        let result = Store::connect(
            url,
            ConnectOptions::new(key(), audit_key(&AuditKey::generate_hex())),
        )
        .await;
        assert!(
            matches!(result, Err(StoreError::BadUrl(_))),
            "{url}: {result:?}"
        );
    }
}
