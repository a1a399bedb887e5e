//! The offline bulk load: it writes what the import writes, leaves every index as it found
//! it, and a load that dies half-way has its indexes rebuilt by the next start.

use chrono::NaiveDate;
use nrm_store::audit::AuditRecord;
use nrm_store::seeding::SyntheticCases;
use nrm_store::testing::{self, TestStore};
use nrm_store::{NewCase, StoreError};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
}

fn cases(count: usize, seed: u64) -> Vec<NewCase> {
    let mut synthetic = SyntheticCases::new(seed, today(), 6, 3);
    (0..count)
        .map(|_| synthetic.next_case().unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// Every index of the schema with its definition.
async fn indexes(backend: &TestStore) -> Vec<String> {
    let sql = if backend.name == "sqlite" {
        "SELECT name || ': ' || sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    } else {
        "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname"
    };
    backend.query_strings(sql).await
}

/// Every trigger of the schema with its definition.
async fn triggers(backend: &TestStore) -> Vec<String> {
    let sql = if backend.name == "sqlite" {
        "SELECT name || ': ' || sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name"
    } else {
        "SELECT t.tgname::TEXT || ': ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal ORDER BY t.tgname"
    };
    backend.query_strings(sql).await
}

/// Every foreign key of the schema: its table, name (PostgreSQL) and definition.
async fn foreign_keys(backend: &TestStore) -> Vec<String> {
    let sql = if backend.name == "sqlite" {
        "SELECT m.name || ': ' || p.\"from\" || ' REFERENCES ' || p.\"table\" || ' (' || p.\"to\" || ')' FROM sqlite_schema m, pragma_foreign_key_list(m.name) p WHERE m.type = 'table' ORDER BY 1"
    } else {
        "SELECT c.conrelid::regclass::TEXT || ' ' || c.conname::TEXT || ': ' || pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema() AND c.contype = 'f' ORDER BY 1"
    };
    backend.query_strings(sql).await
}

/// The queue's kept counts, folded.
async fn queue_counts(backend: &TestStore) -> Vec<String> {
    backend
        .store
        .fold_queue_counts()
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", backend.name));
    backend
        .table_rows(
            "queue_counts",
            None,
            "scope_kind, scope_id, status, competent_authority, age_group, deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key",
        )
        .await
}

/// Imports `made` live into a new store of `backend`'s engine and checks that `backend` holds
/// the same rows in each of `tables` (name, order) and the same queue counts (recounted at the
/// end of a load, they must be those the triggers keep).
async fn assert_same_as_a_live_import(
    backend: &TestStore,
    made: &[NewCase],
    tables: &[(&str, &str)],
) {
    let name = backend.name;
    let Some(other) = (if name == "sqlite" {
        Some(testing::sqlite().await)
    } else {
        testing::postgres().await
    }) else {
        return;
    };
    other
        .store
        .import_cases(made)
        .await
        .unwrap_or_else(|e| panic!("import on {name}: {e}"));
    for (table, order) in tables {
        assert_eq!(
            backend.table_rows(table, None, order).await,
            other.table_rows(table, None, order).await,
            "{table} on {name}"
        );
    }
    let counted = queue_counts(backend).await;
    assert!(!counted.is_empty(), "{name}: counts");
    assert_eq!(
        counted,
        queue_counts(&other).await,
        "queue_counts on {name}"
    );
    other.cleanup().await;
}

fn batches(
    cases: Vec<NewCase>,
    size: usize,
) -> impl Iterator<Item = Result<Vec<NewCase>, StoreError>> + Send + 'static {
    let chunks: Vec<Vec<NewCase>> = cases.chunks(size).map(<[NewCase]>::to_vec).collect();
    chunks.into_iter().map(Ok)
}

#[tokio::test]
async fn a_bulk_load_writes_what_the_import_writes_and_keeps_every_index() {
    let made = cases(400, 17);
    for backend in testing::all().await {
        let name = backend.name;
        let before = indexes(&backend).await;
        assert!(
            before.iter().any(|i| i.starts_with("queue_rg")),
            "{name}: {before:?}"
        );
        let triggers_before = triggers(&backend).await;
        assert!(
            triggers_before
                .iter()
                .any(|t| t.starts_with("case_summaries_count")),
            "{name}: {triggers_before:?}"
        );
        let foreign_keys_before = foreign_keys(&backend).await;
        assert!(
            foreign_keys_before
                .iter()
                .any(|k| k.starts_with("case_events")),
            "{name}: {foreign_keys_before:?}"
        );
        let mut seen = Vec::new();
        let (_, written) = backend
            .store
            .bulk_load(batches(made.clone(), 150), |n| seen.push(n))
            .await;
        assert_eq!(written.unwrap_or_else(|e| panic!("{name}: {e}")), 400);
        assert_eq!(
            seen,
            vec![150, 300, 400],
            "{name}: progress after each batch"
        );
        assert_eq!(
            indexes(&backend).await,
            before,
            "{name}: every index rebuilt as it was"
        );
        assert_eq!(
            triggers(&backend).await,
            triggers_before,
            "{name}: the count triggers put back as they were"
        );
        assert_eq!(
            foreign_keys(&backend).await,
            foreign_keys_before,
            "{name}: the foreign keys as they were"
        );
        assert_eq!(
            backend
                .query_i64("SELECT COUNT(*) FROM deferred_indexes")
                .await,
            0
        );

        assert_eq!(
            backend
                .query_i64("SELECT COUNT(*) FROM case_statistics_stale")
                .await,
            400,
            "{name}: every loaded case stale"
        );
        assert_same_as_a_live_import(
            &backend,
            &made,
            &[
                ("cases", "case_id"),
                ("case_events", "case_id, version"),
                ("case_summaries", "case_id"),
                ("case_deadlines", "case_id, deadline"),
                ("case_exploitation_types", "case_id, exploitation_type"),
                // Marked at the end of the load, every case stale as the trigger marks it.
                ("case_statistics_stale", "case_id, version"),
            ],
        )
        .await;
        backend.cleanup().await;
    }
}

#[tokio::test]
async fn indexes_a_dead_load_left_behind_are_rebuilt_at_the_next_start() {
    let made = cases(120, 23);
    for backend in testing::all().await {
        let name = backend.name;
        let before = indexes(&backend).await;
        let triggers_before = triggers(&backend).await;
        let foreign_keys_before = foreign_keys(&backend).await;
        // The load's own thread dies part-way (as a killed process would stop), so the
        // rebuild at its end never runs.
        let store = backend.store.clone();
        let mut chunks = batches(made.clone(), 40);
        let mut yielded = 0;
        let dying = std::iter::from_fn(move || {
            yielded += 1;
            assert!(yielded < 3, "the load dies here");
            chunks.next()
        });
        let died = tokio::spawn(async move { store.bulk_load(dying, |_| {}).await.1 }).await;
        assert!(died.is_err(), "{name}: the load died");
        assert!(
            indexes(&backend).await.len() < before.len(),
            "{name}: indexes dropped"
        );
        assert!(
            backend
                .query_i64("SELECT COUNT(*) FROM deferred_indexes")
                .await
                > 0
        );
        assert_eq!(backend.query_i64("SELECT COUNT(*) FROM cases").await, 80);
        // Foreign keys stay for the load: each row is checked as it arrives.
        assert_eq!(
            foreign_keys(&backend).await,
            foreign_keys_before,
            "{name}: foreign keys kept"
        );

        backend
            .store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(indexes(&backend).await, before, "{name}: rebuilt at start");
        assert_eq!(
            triggers(&backend).await,
            triggers_before,
            "{name}: triggers restored at start"
        );
        // The 80 cases written while the triggers were away are counted, once.
        assert_eq!(
            backend
                .query_i64("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM queue_counts WHERE scope_kind = 0")
                .await,
            80,
            "{name}: every case counted"
        );
        // And each is stale for the statistics read model, as its trigger would have left it.
        assert_eq!(
            backend
                .query_i64("SELECT COUNT(*) FROM case_statistics_stale")
                .await,
            80,
            "{name}: every loaded case stale"
        );
        assert_eq!(
            backend
                .query_i64("SELECT COUNT(*) FROM deferred_indexes")
                .await,
            0
        );
        backend.cleanup().await;
    }
}

// A batch that clashes (a reference another case of the load holds) stops the load with the
// clash named; the batches before it stay written, the clashing one is not, and the indexes
// and triggers are put back as they were.
#[tokio::test]
async fn a_load_that_clashes_stops_with_its_batches_whole_and_its_indexes_back() {
    let mut made = cases(120, 29);
    made[70].reference = made[10].reference.clone();
    for backend in testing::all().await {
        let name = backend.name;
        let before = indexes(&backend).await;
        let triggers_before = triggers(&backend).await;
        let (_, written) = backend
            .store
            .bulk_load(batches(made.clone(), 40), |_| {})
            .await;
        assert!(
            matches!(written, Err(StoreError::DuplicateReference)),
            "{name}: {written:?}"
        );
        let stored = backend.query_i64("SELECT COUNT(*) FROM cases").await;
        assert_eq!(stored, 40, "{name}: the batch before the clash, whole");
        assert_eq!(
            backend
                .query_i64("SELECT COUNT(*) FROM case_events WHERE version = 1")
                .await,
            stored,
            "{name}: every stored case's events"
        );
        assert_eq!(indexes(&backend).await, before, "{name}: indexes back");
        assert_eq!(
            triggers(&backend).await,
            triggers_before,
            "{name}: triggers back"
        );
        assert_eq!(
            backend
                .query_i64("SELECT COUNT(*) FROM deferred_indexes")
                .await,
            0
        );
        backend.cleanup().await;
    }
}

fn import_entry(what: &str) -> AuditRecord {
    AuditRecord {
        actor: nrm_domain::Actor::SYSTEM,
        action: "case.import".to_owned(),
        case_id: None,
        outcome: "ok".to_owned(),
        subject: Some(format!("import:test:{what}")),
    }
}

async fn import_entries(backend: &TestStore) -> i64 {
    backend
        .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'case.import'")
        .await
}

#[tokio::test]
async fn an_import_writer_writes_each_batch_with_its_audit_entries_or_neither() {
    let made = cases(90, 29);
    for backend in testing::all().await {
        let name = backend.name;
        let store = &backend.store;
        let mut writer = store
            .import_writer()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let at = chrono::Utc::now();
        let checks = "SELECT COUNT(*) FROM guardian_referral_checks";
        let mut first = store
            .prepare_import(&made[..60])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        first
            .record_guardian_checks(
                &[(made[0].case_id, "adult"), (made[1].case_id, "not_covered")],
                at,
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        writer
            .write(first, &[import_entry("first")], at)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(backend.query_i64("SELECT COUNT(*) FROM cases").await, 60);
        assert_eq!(import_entries(&backend).await, 1, "{name}");
        assert_eq!(
            backend.query_i64(checks).await,
            2,
            "{name}: the checks with it"
        );
        assert_eq!(
            backend
                .query_strings("SELECT outcome FROM guardian_referral_checks ORDER BY outcome")
                .await,
            vec!["adult".to_owned(), "not_covered".to_owned()],
            "{name}"
        );

        // A batch holding a case already written fails whole: none of its cases, and not
        // its audit entry either.
        let mut clashing = store
            .prepare_import(&made[50..])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        clashing
            .record_guardian_checks(&[(made[70].case_id, "adult")], at)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let clash = writer
            .write(clashing, &[import_entry("clashing")], at)
            .await;
        assert!(
            matches!(clash, Err(StoreError::VersionConflict { expected: 0, .. })),
            "{name}: {clash:?}"
        );
        assert_eq!(backend.query_i64("SELECT COUNT(*) FROM cases").await, 60);
        assert_eq!(import_entries(&backend).await, 1, "{name}: no entry for it");
        assert_eq!(backend.query_i64(checks).await, 2, "{name}: nor its checks");

        // The writer goes on after a failed batch; an empty batch writes its entries alone.
        let mut rest = store
            .prepare_import(&made[60..])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // A check may name only a case of its own batch.
        let stranger = rest.record_guardian_checks(&[(made[0].case_id, "adult")], at);
        assert!(matches!(stranger, Err(StoreError::Corrupt(_))), "{name}");
        writer
            .write(rest, &[import_entry("rest"), import_entry("refused")], at)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        writer
            .write(
                nrm_store::PreparedImport::default(),
                &[import_entry("only")],
                at,
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        writer
            .finish()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(backend.query_i64("SELECT COUNT(*) FROM cases").await, 90);
        assert_eq!(import_entries(&backend).await, 4, "{name}");
        let verified = store
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(verified.is_ok(), "{name}: the chain holds: {verified:?}");
        backend.cleanup().await;
    }
}

#[tokio::test]
async fn an_offline_import_writer_defers_the_indexes_and_puts_each_back() {
    let made = cases(300, 31);
    for backend in testing::all().await {
        let name = backend.name;
        let before = indexes(&backend).await;
        let triggers_before = triggers(&backend).await;
        let store = &backend.store;
        let mut writer = store
            .offline_import_writer()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            indexes(&backend).await.len() < before.len(),
            "{name}: the secondary indexes are dropped for the run"
        );
        assert!(
            backend
                .query_i64("SELECT COUNT(*) FROM deferred_indexes")
                .await
                > 0,
            "{name}: and listed for the next start should the run die"
        );
        let at = chrono::Utc::now();
        for (n, batch) in made.chunks(120).enumerate() {
            let prepared = store
                .prepare_import(batch)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            writer
                .write(prepared, &[import_entry(&format!("batch:{n}"))], at)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        writer
            .finish()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(indexes(&backend).await, before, "{name}: every index back");
        assert_eq!(
            triggers(&backend).await,
            triggers_before,
            "{name}: every trigger back"
        );
        assert_eq!(
            backend
                .query_i64("SELECT COUNT(*) FROM deferred_indexes")
                .await,
            0
        );
        assert_eq!(import_entries(&backend).await, 3, "{name}");

        // What a live import of the same cases leaves, counts included.
        assert_same_as_a_live_import(
            &backend,
            &made,
            &[
                ("cases", "case_id"),
                ("case_summaries", "case_id"),
                ("case_deadlines", "case_id, deadline"),
                ("case_statistics_stale", "case_id, version"),
            ],
        )
        .await;
        backend.cleanup().await;
    }
}
