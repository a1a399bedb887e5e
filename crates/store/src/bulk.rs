//! Many appends in one transaction, for seeding and benchmarks at national volume.
//!
//! Each append is written exactly as [`Store::append`] writes it (stream row, vault, events,
//! read models), so the rows are indistinguishable from those of single appends; only the
//! commit is shared. All or nothing: one stale or clashing append rolls the whole batch back.
//! Not for intake, where one bad submission must never fail another.

use crate::events::Append;
use crate::statement::execute_all;
use crate::{Store, StoreError, on_pool};

impl Store {
    /// Writes every append in one transaction, in order (an append may extend a stream an
    /// earlier one in the batch created). Fails, writing nothing, if any stream is not at its
    /// expected version.
    pub async fn append_batch(&self, appends: &[Append<'_>]) -> Result<(), StoreError> {
        let mut statements = Vec::new();
        let mut firsts = Vec::with_capacity(appends.len());
        for append in appends {
            if append.draft.is_some() || append.audit.is_some() {
                return Err(StoreError::Corrupt(
                    "a batch carries no draft claims or audit entries".to_owned(),
                ));
            }
            firsts.push(statements.len());
            statements.extend(self.append_statements(append).await?);
        }
        let turn = self.write_turn().await;
        let stale: Result<bool, sqlx::Error> = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            match execute_all!(tx, &statements) {
                Ok(affected) => {
                    let stale = firsts.iter().any(|i| affected.get(*i) == Some(&0));
                    if stale {
                        tx.rollback().await?;
                    } else {
                        tx.commit().await?;
                    }
                    Ok(stale)
                }
                Err(e) => {
                    tx.rollback().await?;
                    Err(e)
                }
            }
        });
        drop(turn);
        if stale? {
            return Err(StoreError::Corrupt(
                "a stream in the batch was not at its expected version".to_owned(),
            ));
        }
        Ok(())
    }
}

impl Store {
    /// Refreshes the planner's statistics (`ANALYZE`), as autovacuum does on PostgreSQL after
    /// a bulk load. Seeding and benchmarks call it after writing many rows at once.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("ANALYZE").execute(pool).await?;
        });
        Ok(())
    }
}

impl Store {
    /// The space the database takes: SQLite's pages, or on PostgreSQL every table of the
    /// current schema with its indexes and TOAST. For "bytes per case" in benchmarks.
    pub async fn database_bytes(&self) -> Result<u64, StoreError> {
        let bytes: i64 = match self.kind() {
            crate::DatabaseKind::Sqlite => on_pool!(self, pool => {
                sqlx::query_scalar(
                    "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
                )
                .fetch_one(pool)
                .await?
            }),
            crate::DatabaseKind::Postgres => on_pool!(self, pool => {
                sqlx::query_scalar(
                    "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                )
                .fetch_one(pool)
                .await?
            }),
        };
        Ok(u64::try_from(bytes).unwrap_or(0))
    }
}
