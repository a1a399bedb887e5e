//! The event store, its read models and the personal-data vault, on SQLite or PostgreSQL.
//!
//! One [`Store`] value hides which engine is behind it. Every operation is written once, as
//! SQL both engines accept (`$N` placeholders, standard types), and run against whichever
//! concrete pool is configured through the [`on_pool!`] macro, so the two backends cannot drift
//! apart query by query. Where they must differ (schema types, durability checks) the
//! difference sits in a named place: `migrations/{sqlite,postgres}` and [`connect`].
//!
//! Appending a command's events, the vault records that go with them and the read-model
//! updates happen in one transaction: a read model is never behind its log, and an
//! acknowledged submission is never half-written.

pub mod audit;
pub mod backup;
mod bench;
mod bulk;
mod bulk_load;
mod connect;
mod counts;
mod deadlines;
pub mod drafts;
mod error;
mod event_codec;
mod events;
mod group;
pub mod guardians;
pub mod identity;
pub mod intake;
mod migrations;
mod operations;
pub mod persons;
mod plans;
mod projection;
mod queue;
pub mod retention;
pub mod rotation;
#[cfg(feature = "testing")]
pub mod seeding;
mod space;
mod statement;
mod statistics;
pub mod support;
#[cfg(feature = "testing")]
pub mod testing;
pub mod training;
pub mod vault;

pub use audit::AuditKey;
pub use bulk::{ImportStep, ImportWriter, NewCase, PreparedImport};
pub use connect::{ConnectOptions, ConnectionSecurity, DatabaseKind, PostgresTransport};
pub use counts::FoldReport;
pub use drafts::DraftClaim;
pub use error::StoreError;
pub use events::{Append, LoadedCase, StoredEvent, VaultWrite};
pub use group::GroupCommitStats;
pub use operations::{DeadlineFlag, PoolUse, QueueDepth};
pub use queue::{
    COUNT_LIMIT, CaseKind, CaseSummary, CursorAt, QueryPlan, QueueCursor, QueuePage, QueueQuery,
    QueueSort, SortDirection, age_group_code as queue_age_group_code, parse_age_group,
};
pub use statistics::{EVERY_DAY, FactToKeep, FactWalk, Kept};
pub use vault::crypto::MasterKey;

use sqlx::{PgPool, SqlitePool};

/// The configured database engine and its pool.
#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever concrete pool the store holds. The body is compiled
/// once per engine, so every query is type-checked against both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// The case store. Cheap to clone: clones share the pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    master_key: MasterKey,
    audit_key: audit::AuditKey,
    /// SQLite allows one writer at a time. Queueing writers here, in order, instead of letting
    /// them collide in SQLite's busy handler (which sleeps and retries) keeps write latency
    /// low and fair under concurrency. PostgreSQL has row locks and needs no gate.
    write_gate: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// Where appends are queued to be written together (see `group.rs`).
    committer: group::Committer,
    /// Import transactions begun (batches and the cases of a clashing batch), for tests and
    /// benchmarks.
    import_transactions: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// Bound values in one statement of [`Store::write_each`] (below both engines' limits).
const WRITE_EACH_VALUES: usize = 3_000;

impl Store {
    /// Which engine this store runs on.
    pub fn kind(&self) -> DatabaseKind {
        match self.pool {
            Pool::Sqlite(_) => DatabaseKind::Sqlite,
            Pool::Postgres(_) => DatabaseKind::Postgres,
        }
    }

    /// Whether the database answers: for the `/ready` probe.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Waits for this process's turn to write (SQLite only).
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// The same statement for each row of values, all in one transaction: one durable commit
    /// for a page of a sweep's bookkeeping instead of one per case. A single-row INSERT is
    /// written as multi-row INSERTs, so a row must not change one another row of the same
    /// call changes (`ON CONFLICT DO UPDATE` of one key twice is refused by PostgreSQL).
    pub(crate) async fn write_each(
        &self,
        sql: &'static str,
        rows: &[Vec<statement::Value>],
    ) -> Result<(), StoreError> {
        let Some(width) = rows.first().map(Vec::len) else {
            return Ok(());
        };
        // Many rows to a statement when `sql` is a single-row INSERT (a round trip, or a
        // hand-over to SQLite's thread, per row was most of a page's write in the sweep's
        // catch-up on PostgreSQL); else one statement a row.
        let per_statement = if rows.iter().all(|r| r.len() == width)
            && group::merge::multi_row(sql, width, 1).is_some()
        {
            (WRITE_EACH_VALUES / width.max(1)).max(1)
        } else {
            1
        };
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for chunk in rows.chunks(per_statement) {
                let sql = match per_statement {
                    1 => sql.to_owned(),
                    _ => group::merge::multi_row(sql, width, chunk.len()).unwrap_or_default(),
                };
                let sql = statement::Dialect::sql(pool, &sql).into_owned();
                statement::bind_values!(sqlx::query(sqlx::AssertSqlSafe(sql)), chunk.iter().flatten())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many import transactions this store has begun ([`Store::import_cases`],
    /// [`Store::write_import`] and an [`ImportWriter`]'s batches), committed or not.
    pub fn import_transactions(&self) -> u64 {
        self.import_transactions
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// What the group committer has done so far.
    pub fn group_commit_stats(&self) -> GroupCommitStats {
        self.committer.stats()
    }

    /// Closes the pool and the group committer's connection, waiting for connections to be
    /// returned.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
        self.committer.close().await;
    }
}
