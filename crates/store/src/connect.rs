//! Opening the database named by a URL, and refusing one that would not keep writes safe.
//!
//! `sqlite://PATH` (or `sqlite:PATH`) opens the embedded default: WAL journal with
//! `synchronous=FULL`, so a commit is on disk before it is acknowledged. `postgres://…` (or
//! `postgresql://…`) opens PostgreSQL, which must have `fsync`, `full_page_writes` and
//! `synchronous_commit` on. Anything else is refused with a message saying what was expected,
//! as is an in-memory SQLite database (it would lose every acknowledged write on restart).

use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::audit::AuditKey;
use crate::vault::crypto::MasterKey;
use crate::{Pool, Store, StoreError};

/// The two supported engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// Which engine a URL names, or why it names none.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "" => Err(StoreError::BadUrl(
                "the database URL must start with sqlite:// or postgres://".to_owned(),
            )),
            other => Err(StoreError::BadUrl(format!(
                "the database URL scheme `{other}` is not supported: use sqlite://PATH or postgres://HOST/DATABASE"
            ))),
        }
    }
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    /// Skip the durability checks (never in production; `nrm serve --unsafe-dev`).
    pub allow_unsafe_durability: bool,
    pub master_key: MasterKey,
    /// The key the audit chain is MAC'd with; like the master key, never in the database.
    pub audit_key: AuditKey,
}

impl ConnectOptions {
    pub fn new(master_key: MasterKey, audit_key: AuditKey) -> Self {
        Self {
            max_connections: 16,
            allow_unsafe_durability: false,
            master_key,
            audit_key,
        }
    }
}

impl Store {
    /// Opens the database named by `url`, checks it keeps acknowledged writes safe, and
    /// returns the store. Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str, options: ConnectOptions) -> Result<Self, StoreError> {
        let pool = match DatabaseKind::of_url(url)? {
            DatabaseKind::Sqlite => Pool::Sqlite(open_sqlite(url, &options).await?),
            DatabaseKind::Postgres => Pool::Postgres(open_postgres(url, &options).await?),
        };
        let write_gate = matches!(pool, Pool::Sqlite(_)).then(Default::default);
        let store = Self {
            pool,
            master_key: options.master_key,
            audit_key: options.audit_key,
            write_gate,
        };
        if !options.allow_unsafe_durability {
            store.check_durability().await?;
        }
        Ok(store)
    }

    /// Refuses settings under which an acknowledged write could be lost on a crash.
    async fn check_durability(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(pool)
                    .await?;
                // 2 = FULL, 3 = EXTRA.
                if synchronous < 2 {
                    return Err(StoreError::UnsafeDurability(format!(
                        "SQLite synchronous is {synchronous}; FULL (2) or EXTRA (3) is required"
                    )));
                }
                let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(pool)
                    .await?;
                if !journal.eq_ignore_ascii_case("wal") {
                    return Err(StoreError::UnsafeDurability(format!(
                        "SQLite journal mode is {journal}; WAL is required"
                    )));
                }
            }
            Pool::Postgres(pool) => {
                for (setting, acceptable) in [
                    ("fsync", &["on"][..]),
                    ("full_page_writes", &["on"][..]),
                    (
                        "synchronous_commit",
                        &["on", "remote_write", "remote_apply"][..],
                    ),
                ] {
                    let value: String = sqlx::query_scalar("SELECT current_setting($1)")
                        .bind(setting)
                        .fetch_one(pool)
                        .await?;
                    if !acceptable.contains(&value.as_str()) {
                        return Err(StoreError::UnsafeDurability(format!(
                            "PostgreSQL {setting} is {value}; it must be {}",
                            acceptable.join(" or ")
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

async fn open_sqlite(url: &str, options: &ConnectOptions) -> Result<sqlx::SqlitePool, StoreError> {
    let rest = url.split_once(':').map(|(_, r)| r).unwrap_or_default();
    let path = rest.strip_prefix("//").unwrap_or(rest);
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() {
        return Err(StoreError::BadUrl(
            "the SQLite URL names no file: use sqlite://PATH, for example sqlite://data/nrm.sqlite"
                .to_owned(),
        ));
    }
    if path == ":memory:" || url.contains("mode=memory") {
        return Err(StoreError::BadUrl(
            "an in-memory SQLite database would lose every acknowledged write: name a file"
                .to_owned(),
        ));
    }
    let file = std::path::Path::new(path);
    if let Some(parent) = file.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        return Err(StoreError::BadUrl(format!(
            "the folder for the SQLite database does not exist: {}",
            parent.display()
        )));
    }
    let connect = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .disable_statement_logging();
    Ok(SqlitePoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .connect_with(connect)
        .await?)
}

async fn open_postgres(url: &str, options: &ConnectOptions) -> Result<sqlx::PgPool, StoreError> {
    let connect = PgConnectOptions::from_str(url)
        .map_err(|_| StoreError::BadUrl("the PostgreSQL URL could not be parsed".to_owned()))?
        .disable_statement_logging();
    Ok(PgPoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(connect)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_or_refused_with_a_reason() {
        assert_eq!(
            DatabaseKind::of_url("sqlite://data/nrm.sqlite").ok(),
            Some(DatabaseKind::Sqlite)
        );
        assert_eq!(
            DatabaseKind::of_url("postgres://localhost/nrm").ok(),
            Some(DatabaseKind::Postgres)
        );
        assert_eq!(
            DatabaseKind::of_url("postgresql://localhost/nrm").ok(),
            Some(DatabaseKind::Postgres)
        );
        for bad in [
            "mysql://localhost/nrm",
            "data/nrm.sqlite",
            "",
            "http://example",
        ] {
            assert!(
                matches!(DatabaseKind::of_url(bad), Err(StoreError::BadUrl(_))),
                "{bad}"
            );
        }
    }
}
