//! Test helpers: a fresh, migrated store on each backend.
//!
//! Every store test runs on SQLite and PostgreSQL. PostgreSQL tests use their own schema in
//! the database named by `NRM_TEST_DATABASE_URL` (default: the local `test` database). When
//! PostgreSQL cannot be reached the tests say so; with `CI` set they fail instead, so a CI run
//! can never pass by quietly skipping a backend.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Executor;

use crate::{AuditKey, ConnectOptions, MasterKey, Store};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A store for one test. Keeps its temporary folder alive; drops the PostgreSQL schema when
/// [`TestStore::cleanup`] is called.
#[derive(Debug)]
pub struct TestStore {
    pub store: Store,
    /// The URL the store was opened with (to open it again, or run the binary against it).
    pub url: String,
    pub master_key_hex: String,
    /// The audit key as hex (to open the store again, or pass to the binary as NRM_AUDIT_KEY).
    pub audit_key_hex: String,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    schema: Option<String>,
}

impl TestStore {
    /// Drops the PostgreSQL schema (best effort); SQLite files go with the temporary folder.
    pub async fn cleanup(self) {
        self.store.close().await;
        if let Some(schema) = self.schema
            && let Ok(pool) = sqlx::PgPool::connect(&postgres_base_url()).await
        {
            let _ = pool
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .await;
            pool.close().await;
        }
    }
}

impl TestStore {
    /// Where the database is: the SQLite file, or the PostgreSQL URL with its schema.
    pub fn kept_location(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{} (schema {schema})", self.url),
            None => self.url.clone(),
        }
    }

    /// Leaves the database in place (the SQLite file's folder is not removed, the PostgreSQL
    /// schema not dropped): for a benchmark's database kept to be read by hand.
    pub fn keep(self) {
        if let Some(dir) = self._dir {
            let _ = dir.keep();
        }
    }

    /// Runs SQL straight against the database, as someone with rights on it would (to break
    /// a table, add a trigger, or look at what is stored). Several statements may be given.
    pub async fn execute_raw(&self, sql: &str) {
        let sql = sql.to_owned();
        let result = crate::on_pool!(self.store, pool => {
            pool.execute(sqlx::AssertSqlSafe(sql)).await.map(|_| ())
        });
        result.unwrap_or_else(|e| panic!("raw SQL on {}: {e}", self.name));
    }

    /// Runs SQL straight against the database and says whether the database accepted it (to
    /// show a trigger refusing a change).
    pub async fn try_execute_raw(&self, sql: &str) -> Result<(), String> {
        let sql = sql.to_owned();
        crate::on_pool!(self.store, pool => {
            pool.execute(sqlx::AssertSqlSafe(sql)).await.map(|_| ())
        })
        .map_err(|e| e.to_string())
    }

    /// The one integer a query returns.
    pub async fn query_i64(&self, sql: &str) -> i64 {
        let sql = sql.to_owned();
        let result: Result<i64, sqlx::Error> = crate::on_pool!(self.store, pool => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await
        });
        result.unwrap_or_else(|e| panic!("query on {}: {e}", self.name))
    }

    /// The one text column a query returns, row by row.
    pub async fn query_strings(&self, sql: &str) -> Vec<String> {
        let sql = sql.to_owned();
        let result: Result<Vec<String>, sqlx::Error> = crate::on_pool!(self.store, pool => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await
        });
        result.unwrap_or_else(|e| panic!("query on {}: {e}", self.name))
    }

    /// Every row of `table` in `order_by` order, each as one string that shows every column's
    /// stored value exactly: on SQLite each value's storage class and SQL literal
    /// (`typeof(c) || ':' || quote(c)`), on PostgreSQL the row's text form. Two tables with
    /// the same rows here hold the same bytes.
    /// `columns` names the columns to show (`None`: all of them).
    pub async fn table_rows(
        &self,
        table: &str,
        columns: Option<&[&str]>,
        order_by: &str,
    ) -> Vec<String> {
        let result: Result<Vec<String>, sqlx::Error> = match &self.store.pool {
            crate::Pool::Sqlite(pool) => {
                let columns: Vec<String> = match columns {
                    Some(columns) => columns.iter().map(|c| (*c).to_owned()).collect(),
                    None => {
                        sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                            .bind(table)
                            .fetch_all(pool)
                            .await
                            .unwrap_or_else(|e| panic!("columns of {table}: {e}"))
                    }
                };
                let row = columns
                    .iter()
                    .map(|c| format!("typeof({c}) || ':' || quote({c})"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT {row} FROM {table} ORDER BY {order_by}"
                )))
                .fetch_all(pool)
                .await
            }
            crate::Pool::Postgres(pool) => {
                let columns = columns.map_or_else(|| "*".to_owned(), |c| c.join(", "));
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT t::text FROM (SELECT {columns} FROM {table} ORDER BY {order_by}) t"
                )))
                .fetch_all(pool)
                .await
            }
        };
        result.unwrap_or_else(|e| panic!("rows of {table} on {}: {e}", self.name))
    }

    /// Everything the database holds, as text, for scans for values that must not be stored:
    /// on SQLite the database file and its WAL, byte for byte; on PostgreSQL every row of every
    /// table in the test's schema (byte strings appear in hex).
    pub async fn dump_text(&self) -> String {
        match &self.store.pool {
            crate::Pool::Sqlite(_) => {
                let path = self.url.trim_start_matches("sqlite://").to_owned();
                let mut bytes = std::fs::read(&path).unwrap_or_default();
                bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
                String::from_utf8_lossy(&bytes).into_owned()
            }
            crate::Pool::Postgres(pool) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
                )
                .fetch_all(pool)
                .await
                .unwrap_or_else(|e| panic!("list tables: {e}"));
                let mut text = String::new();
                for table in tables {
                    let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT t::text FROM \"{table}\" t"
                    )))
                    .fetch_all(pool)
                    .await
                    .unwrap_or_else(|e| panic!("read {table}: {e}"));
                    for row in rows {
                        text.push_str(&row);
                        text.push('\n');
                    }
                }
                text
            }
        }
    }
}

/// The PostgreSQL URL tests use.
pub fn postgres_base_url() -> String {
    std::env::var("NRM_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

fn test_key() -> (MasterKey, String) {
    let hex = MasterKey::generate_hex();
    let key = MasterKey::from_hex("test", &hex).unwrap_or_else(|| panic!("generated key parses"));
    (key, hex)
}

fn test_audit_key() -> (AuditKey, String) {
    let hex = AuditKey::generate_hex();
    let key = AuditKey::from_hex(&hex).unwrap_or_else(|| panic!("generated key parses"));
    (key, hex)
}

/// Migrates a test store whole (as a start does), or up to `version` only.
async fn migrate_test_store(store: &Store, version: i64, engine: &str) {
    let migrated = if version == i64::MAX {
        store.migrate().await
    } else {
        store.migrate_to(version).await
    };
    migrated.unwrap_or_else(|e| panic!("migrate {engine}: {e}"));
}

/// A fresh SQLite store in a temporary folder.
pub async fn sqlite() -> TestStore {
    sqlite_migrated_to(i64::MAX).await
}

/// A fresh SQLite store with the migrations up to `version` only (see [`Store::migrate_to`]).
pub async fn sqlite_migrated_to(version: i64) -> TestStore {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    let url = format!("sqlite://{}", dir.path().join("nrm.sqlite").display());
    let (key, hex) = test_key();
    let (audit_key, audit_key_hex) = test_audit_key();
    let store = Store::connect(&url, ConnectOptions::new(key, audit_key))
        .await
        .unwrap_or_else(|e| panic!("open SQLite: {e}"));
    migrate_test_store(&store, version, "SQLite").await;
    TestStore {
        store,
        url,
        master_key_hex: hex,
        audit_key_hex,
        name: "sqlite",
        _dir: Some(dir),
        schema: None,
    }
}

static SCHEMA_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The pool of a test's PostgreSQL store: half the service's default, so that tests running
/// side by side stay within the server's connections.
const TEST_POOL_CONNECTIONS: u32 = 8;

/// A fresh PostgreSQL store in its own schema, or `None` when PostgreSQL is unreachable and
/// `CI` is not set.
pub async fn postgres() -> Option<TestStore> {
    postgres_with_connections(TEST_POOL_CONNECTIONS).await
}

/// [`postgres`] with a pool of at most `max_connections` (1: every statement on one
/// connection, whose prepared statements a test can then read).
pub async fn postgres_with_connections(max_connections: u32) -> Option<TestStore> {
    postgres_at(max_connections, i64::MAX).await
}

/// A fresh PostgreSQL store with the migrations up to `version` only (see
/// [`Store::migrate_to`]), or `None` as for [`postgres`].
pub async fn postgres_migrated_to(version: i64) -> Option<TestStore> {
    postgres_at(TEST_POOL_CONNECTIONS, version).await
}

async fn postgres_at(max_connections: u32, version: i64) -> Option<TestStore> {
    let base = postgres_base_url();
    let admin = match sqlx::PgPool::connect(&base).await {
        Ok(pool) => pool,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL at {base} is unreachable and CI is set: {e}");
            }
            eprintln!("SKIPPING PostgreSQL: {base} is unreachable ({e}); set CI to make this fail");
            return None;
        }
    };
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        SCHEMA_COUNTER.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::new_v4().simple()
    );
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await
        .unwrap_or_else(|e| panic!("create schema: {e}"));
    admin.close().await;
    let separator = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
    let (key, hex) = test_key();
    let (audit_key, audit_key_hex) = test_audit_key();
    let mut options = ConnectOptions::new(key, audit_key);
    options.max_connections = max_connections;
    let store = Store::connect(&url, options)
        .await
        .unwrap_or_else(|e| panic!("open PostgreSQL: {e}"));
    migrate_test_store(&store, version, "PostgreSQL").await;
    Some(TestStore {
        store,
        url,
        master_key_hex: hex,
        audit_key_hex,
        name: "postgres",
        _dir: None,
        schema: Some(schema),
    })
}

/// Both backends (PostgreSQL only when reachable; see the module docs).
pub async fn all() -> Vec<TestStore> {
    let mut stores = vec![sqlite().await];
    stores.extend(postgres().await);
    stores
}
