//! Instances starting together on a new database migrate it once and all start (issue #17):
//! SQLite (no advisory lock: a loser's failed attempt is retried) and PostgreSQL (sqlx's
//! advisory lock), each with four stores migrating a fresh database at the same moment.

use nrm_store::testing;
use nrm_store::{AuditKey, ConnectOptions, MasterKey, Store};

async fn migrate_together(url: &str) {
    let key_hex = MasterKey::generate_hex();
    let audit_hex = AuditKey::generate_hex();
    let mut stores = Vec::new();
    for _ in 0..4 {
        let key = MasterKey::from_hex("test", &key_hex).unwrap_or_else(|| panic!("key"));
        let audit = AuditKey::from_hex(&audit_hex).unwrap_or_else(|| panic!("audit key"));
        let mut options = ConnectOptions::new(key, audit);
        options.max_connections = 2;
        stores.push(
            Store::connect(url, options)
                .await
                .unwrap_or_else(|e| panic!("connect: {e}")),
        );
    }
    let mut starts = tokio::task::JoinSet::new();
    for store in stores.clone() {
        starts.spawn(async move { store.migrate().await });
    }
    for result in starts.join_all().await {
        result.unwrap_or_else(|e| panic!("an instance failed to migrate: {e}"));
    }
    // The schema is whole: the newest table answers, and the migrations were recorded once.
    for store in &stores {
        assert_eq!(store.job_turns("anything").await.ok(), Some(None));
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_migrating_a_new_sqlite_file_together_all_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", dir.path().join("new.sqlite").display());
    migrate_together(&url).await;
    let pool = sqlx::SqlitePool::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let duplicates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT version FROM _sqlx_migrations GROUP BY version HAVING COUNT(*) > 1)",
    )
    .fetch_one(&pool)
    .await
    .unwrap_or(-1);
    assert_eq!(duplicates, 0);
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_migrating_a_new_postgres_schema_together_all_start() {
    let base = testing::postgres_base_url();
    let admin = match sqlx::PgPool::connect(&base).await {
        Ok(pool) => pool,
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "PostgreSQL at {base} is unreachable and CI is set: {e}"
            );
            eprintln!("SKIPPING PostgreSQL: {e}");
            return;
        }
    };
    let schema = format!("t_migrate_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    migrate_together(&url).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    admin.close().await;
}
