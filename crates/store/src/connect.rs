//! Opening the database named by a URL, and refusing one that would not keep writes safe.
//!
//! `sqlite://PATH` (or `sqlite:PATH`) opens the embedded default: WAL journal with
//! `synchronous=FULL`, so a commit is on disk before it is acknowledged. `postgres://…` (or
//! `postgresql://…`) opens PostgreSQL, which must have `fsync`, `full_page_writes` and
//! `synchronous_commit` on. Anything else is refused with a message saying what was expected,
//! as is an in-memory SQLite database (it would lose every acknowledged write on restart).
//!
//! A new SQLite database file is created owner-only (0600) before SQLite opens it; SQLite gives
//! its `-wal` and `-shm` files the database file's permissions.
//!
//! PostgreSQL connections use TLS (rustls) as the URL's `sslmode` says; a CA file (the URL's
//! `sslrootcert` or [`ConnectOptions::database_ca_file`]) with no `sslmode` means
//! `verify-full`, and a CA file beside a mode that would not check the server against it is
//! refused. [`PostgresTransport`] says how a URL would connect, for the production check.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
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
    /// PEM file of the certificate authority that signed the PostgreSQL server's certificate
    /// (replaces the URL's `sslrootcert`). With no `sslmode` in the URL it means `verify-full`.
    pub database_ca_file: Option<PathBuf>,
    /// The key the audit chain is MAC'd with; like the master key, never in the database.
    pub audit_key: AuditKey,
}

impl ConnectOptions {
    /// The pool size `nrm serve` opens unless configured otherwise.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

    pub fn new(master_key: MasterKey, audit_key: AuditKey) -> Self {
        Self {
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            allow_unsafe_durability: false,
            master_key,
            database_ca_file: None,
            audit_key,
        }
    }
}

/// How a PostgreSQL URL would reach its server: what protects the bytes on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresTransport {
    /// The `sslmode` in force, as libpq spells it.
    pub ssl_mode: &'static str,
    /// `verify-full`: TLS, with the server's certificate checked against the trusted
    /// authorities and its name against the host.
    pub verifies_server: bool,
    /// A Unix socket or a loopback address: the connection never leaves the machine.
    pub local: bool,
}

impl PostgresTransport {
    /// Reads the connection options `url` and `ca_file` give (the same ones
    /// [`Store::connect`] would use, `PG*` environment variables included).
    pub fn of(url: &str, ca_file: Option<&Path>) -> Result<Self, StoreError> {
        if DatabaseKind::of_url(url)? != DatabaseKind::Postgres {
            return Err(StoreError::BadUrl(
                "not a PostgreSQL URL: use postgres://HOST/DATABASE".to_owned(),
            ));
        }
        let options = postgres_options(url, ca_file)?;
        let host = options.get_host();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        // Over TCP sqlx connects to the `hostaddr` when one is given (in the URL or as
        // PGHOSTADDR), whatever the host says; it has no getter for it, but its own URL form
        // of the options carries it.
        let hostaddr = sqlx::ConnectOptions::to_url_lossy(&options)
            .query_pairs()
            .find(|(key, _)| key == "hostaddr")
            .map(|(_, value)| value.into_owned());
        let socket = options.get_socket().is_some() || host.starts_with('/');
        let local = socket
            || match &hostaddr {
                Some(address) => address.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
                None => {
                    host.eq_ignore_ascii_case("localhost")
                        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
                }
            };
        let mode = options.get_ssl_mode();
        Ok(Self {
            ssl_mode: ssl_mode_name(mode),
            verifies_server: matches!(mode, PgSslMode::VerifyFull),
            local,
        })
    }
}

/// How the store's own connection to its database is protected right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionSecurity {
    /// SQLite: the database is a file opened by this process; nothing crosses a network.
    InProcess,
    /// PostgreSQL over TLS, with the protocol version the server reports.
    Tls { version: String },
    /// PostgreSQL without TLS.
    Unencrypted,
}

impl std::fmt::Display for ConnectionSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InProcess => f.write_str("in-process"),
            Self::Tls { version } => write!(f, "TLS ({version})"),
            Self::Unencrypted => f.write_str("unencrypted"),
        }
    }
}

fn ssl_mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// Whether the URL (or `PGSSLROOTCERT`) names a CA file itself.
fn url_names_root_cert(url: &str) -> bool {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    query.split('&').any(|pair| {
        let key = pair.split('=').next().unwrap_or_default();
        matches!(key, "sslrootcert" | "ssl-root-cert" | "ssl-ca")
    }) || std::env::var_os("PGSSLROOTCERT").is_some()
}

/// The options a PostgreSQL URL and CA file connect with. A CA file raises the default
/// `prefer` to `verify-full` (a CA that is never checked would only give false comfort), and
/// beside an explicit `disable`, `allow` or `require` it is refused.
fn postgres_options(url: &str, ca_file: Option<&Path>) -> Result<PgConnectOptions, StoreError> {
    let mut options = PgConnectOptions::from_str(url)
        .map_err(|_| StoreError::BadUrl("the PostgreSQL URL could not be parsed".to_owned()))?;
    if let Some(ca_file) = ca_file {
        options = options.ssl_root_cert(ca_file);
    }
    if ca_file.is_some() || url_names_root_cert(url) {
        match options.get_ssl_mode() {
            PgSslMode::Prefer => options = options.ssl_mode(PgSslMode::VerifyFull),
            PgSslMode::VerifyCa | PgSslMode::VerifyFull => {}
            weaker @ (PgSslMode::Disable | PgSslMode::Allow | PgSslMode::Require) => {
                return Err(StoreError::BadUrl(format!(
                    "a CA file is configured for PostgreSQL but sslmode={} would not check the \
                     server against it: use sslmode=verify-full",
                    ssl_mode_name(weaker)
                )));
            }
        }
    }
    Ok(options)
}

impl Store {
    /// Opens the database named by `url`, checks it keeps acknowledged writes safe, and
    /// returns the store. Does not migrate: call [`Store::migrate`].
    pub async fn connect(url: &str, options: ConnectOptions) -> Result<Self, StoreError> {
        let kind = DatabaseKind::of_url(url)?;
        let pool = match kind {
            DatabaseKind::Sqlite => Pool::Sqlite(open_sqlite(url, &options).await?),
            DatabaseKind::Postgres => Pool::Postgres(open_postgres(url, &options).await?),
        };
        let write_gate: Option<std::sync::Arc<tokio::sync::Mutex<()>>> =
            matches!(pool, Pool::Sqlite(_)).then(Default::default);
        // The group committer writes through a connection of its own, so a batch never waits
        // for one behind the requests' reads (at intake's concurrency it did, with the pool
        // shared: the whole intake then waited with it).
        let own = ConnectOptions {
            max_connections: 1,
            ..options.clone()
        };
        let commit_url = url.to_owned();
        let committer = crate::group::Committer::start(
            async move {
                Ok(match kind {
                    DatabaseKind::Sqlite => Pool::Sqlite(open_sqlite(&commit_url, &own).await?),
                    DatabaseKind::Postgres => {
                        Pool::Postgres(open_postgres(&commit_url, &own).await?)
                    }
                })
            },
            options.audit_key.clone(),
            write_gate.clone(),
        )
        .await?;
        let store = Self {
            pool,
            master_key: options.master_key,
            audit_key: options.audit_key,
            write_gate,
            committer,
            import_transactions: Default::default(),
        };
        if !options.allow_unsafe_durability {
            store.check_durability().await?;
        }
        Ok(store)
    }

    /// How this store's connection to its database is protected (asked of the server).
    pub async fn connection_security(&self) -> Result<ConnectionSecurity, StoreError> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(ConnectionSecurity::InProcess),
            Pool::Postgres(pool) => {
                let row: Option<(bool, Option<String>)> = sqlx::query_as(
                    "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                )
                .fetch_optional(pool)
                .await?;
                Ok(match row {
                    Some((true, version)) => ConnectionSecurity::Tls {
                        version: version.unwrap_or_else(|| "unknown version".to_owned()),
                    },
                    _ => ConnectionSecurity::Unencrypted,
                })
            }
        }
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
    create_owner_only(file)?;
    let connect = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Statement journals and savepoints' sub-journals in memory, not in temporary files.
        // A batch of the group committer runs multi-row statements inside savepoints, and
        // SQLite spilled their journals (the pages' contents before the statement, used only
        // to undo it inside the transaction, never for durability) to a file past 64 KiB: at
        // intake's concurrency that file took more writes than the WAL itself. In memory, no
        // page of the database is ever copied out to a temporary file either.
        .pragma("temp_store", "memory")
        // The WAL is copied back into the database (a checkpoint, with its own fsync) once it
        // holds this many pages, by the connection whose commit crossed it: the group
        // committer's. At SQLite's default of 1,000 pages (4 MiB) a batch of intake crossed it
        // every other commit, and every page a batch rewrites (the queue's and counts'
        // pages) was copied back each time. At 10,000 (40 MiB) intake ran about a fifth
        // faster (`nrm bench intake`, see the README); a crash replays at most that much WAL.
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
        .busy_timeout(Duration::from_secs(10))
        // sqlx's SQLite worker thread hands rows over a bounded channel; at the default of
        // 50 a large answer (the statistics walk, a range of events) makes the two threads
        // wake each other every few rows, which cost more than SQLite's own work.
        .row_buffer_size(SQLITE_ROW_BUFFER)
        .disable_statement_logging();
    Ok(SqlitePoolOptions::new()
        .max_connections(options.max_connections.max(1))
        .connect_with(connect)
        .await?)
}

/// WAL pages that trigger a checkpoint (see `open_sqlite`).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// Rows the SQLite worker may run ahead of the task reading them (only as many as a query
/// returns are ever buffered).
const SQLITE_ROW_BUFFER: usize = 4096;

/// Creates an empty database file readable and writable by its owner only, unless it exists.
/// SQLite accepts an empty file as a new database, and creates its `-wal` and `-shm` files
/// with the database file's permissions, so personal data never sits in a file others can read.
fn create_owner_only(file: &Path) -> Result<(), StoreError> {
    let mut create = std::fs::OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        create.mode(0o600);
    }
    match create.open(file) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::BadUrl(format!(
            "cannot create the SQLite database {}: {e}",
            file.display()
        ))),
    }
}

async fn open_postgres(url: &str, options: &ConnectOptions) -> Result<sqlx::PgPool, StoreError> {
    let connect =
        postgres_options(url, options.database_ca_file.as_deref())?.disable_statement_logging();
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
