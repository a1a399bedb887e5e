//! How much space the database takes, and keeping the planner's statistics fresh after bulk
//! writes.

use crate::{Store, StoreError, on_pool};

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
    /// Vacuums and analyses every table (`VACUUM (ANALYZE)` on PostgreSQL, `ANALYZE` on
    /// SQLite), as autovacuum does some time after a bulk load: besides the planner's
    /// statistics it sets PostgreSQL's visibility map, without which an index-only scan
    /// still reads the table's rows. For benchmarks that measure the steady state.
    pub async fn vacuum_analyze(&self) -> Result<(), StoreError> {
        match self.kind() {
            crate::DatabaseKind::Postgres => on_pool!(self, pool => {
                sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
            }),
            crate::DatabaseKind::Sqlite => self.analyze().await?,
        }
        Ok(())
    }

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

impl Store {
    /// Where the space goes: every table (with its TOAST on PostgreSQL) and every index of
    /// the current schema, by name, largest first, in bytes. SQLite reads its `dbstat`
    /// table; PostgreSQL `pg_table_size` and `pg_relation_size`.
    pub async fn space_by_relation(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = match self.kind() {
            crate::DatabaseKind::Sqlite => on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC",
                )
                .fetch_all(pool)
                .await?
            }),
            crate::DatabaseKind::Postgres => on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT c.relname::TEXT, (CASE c.relkind WHEN 'r' THEN pg_table_size(c.oid) ELSE pg_relation_size(c.oid) END)::BIGINT AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i') ORDER BY bytes DESC",
                )
                .fetch_all(pool)
                .await?
            }),
        };
        Ok(rows
            .into_iter()
            .map(|(name, bytes)| (name, u64::try_from(bytes).unwrap_or(0)))
            .collect())
    }
}
