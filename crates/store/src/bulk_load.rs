//! Offline bulk loads: importing with the case tables' secondary indexes built once at the end.
//!
//! Inserting a case touches some thirty B-trees (the queue's indexes of migration 0013 among
//! them), each at a random leaf once the tables are large, and that, not the rows, is what a
//! bulk load spends its time on. For a database no one else is using (a fresh demo, a
//! benchmark, an import before go-live), [`Store::bulk_load`] drops the secondary indexes of
//! the case tables, imports, and rebuilds each from its own definition, which sorts once
//! instead of inserting a million times. Constraint indexes (primary keys, unique references)
//! stay, so a clash is still refused as it arises. The definitions are kept in
//! `deferred_indexes` in the transaction that drops them; if the load dies half-way, the next
//! start's [`Store::migrate`] rebuilds them.
//!
//! The queue's count triggers on `case_summaries` (migration 0014: a few delta rows per case,
//! through a PL/pgSQL function on PostgreSQL) are deferred the same way: dropped with the
//! indexes, and put back in one transaction with a recount of `queue_counts` from the
//! summaries ([`Store::recount_queue_counts`]), which groups the table once instead of writing
//! and folding deltas per case. A load that dies half-way leaves the triggers' definitions in
//! `deferred_indexes` too, so the next start recounts and restores them. So are the triggers
//! that keep a summary's exploitation types' bit mask (an import writes the mask with the
//! row, so they have nothing to do in a load). And so is the trigger that marks each new case
//! stale for the statistics read model (migration 0032: a row per case in a second B-tree
//! keyed by a random id): the restore marks, in one pass, every case whose kept fact is not
//! folded through its version ([`MARK_STALE`]), which is exactly what the trigger would have
//! left.

use crate::bulk::NewCase;
use crate::{Pool, Store, StoreError, on_pool};

/// What the deferred stale-marking trigger would have written: every case version no kept
/// statistics fact has been folded through (both engines' syntax).
const MARK_STALE: &str = "INSERT INTO case_statistics_stale (case_id, version) SELECT c.case_id, c.version FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_statistics s WHERE s.case_id = c.case_id AND s.version >= c.version) ON CONFLICT DO NOTHING";

/// The tables an import writes.
const CASE_TABLES: [&str; 7] = [
    "cases",
    "case_events",
    "case_summaries",
    "case_deadlines",
    "case_exploitation_types",
    "vault_subjects",
    "vault_records",
];

impl Store {
    /// Imports every batch as [`Store::import_batches`] does, with the case tables'
    /// secondary indexes dropped for the duration and rebuilt at the end. Only for a database
    /// no one else is reading: until the end its queue has no indexes.
    pub async fn bulk_load<I>(
        &self,
        batches: I,
        progress: impl FnMut(u64),
    ) -> (I, Result<u64, StoreError>)
    where
        I: Iterator<Item = Result<Vec<NewCase>, StoreError>> + Send + 'static,
    {
        match self.offline_import_writer().await {
            Ok(writer) => self.import_batches_on(batches, progress, writer).await,
            Err(e) => (batches, Err(e)),
        }
    }

    /// Records the definitions of the case tables' secondary indexes and drops them, in one
    /// transaction.
    pub(crate) async fn defer_indexes(&self) -> Result<(), StoreError> {
        let tables: Vec<String> = CASE_TABLES.iter().map(|t| (*t).to_owned()).collect();
        let _turn = self.write_turn().await;
        let mut deferred: Vec<(String, String)> = match &self.pool {
            Pool::Sqlite(pool) => {
                let all: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
                )
                .fetch_all(pool)
                .await?;
                all.into_iter()
                    .filter(|(_, table, _)| tables.contains(table))
                    .map(|(name, _, sql)| (name, sql))
                    .collect()
            }
            Pool::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT i.relname::TEXT, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() AND t.relname = ANY($1) AND NOT x.indisunique AND NOT x.indisprimary",
                )
                .bind(&tables)
                .fetch_all(pool)
                .await?
            }
        };
        let triggers: Vec<(String, String)> = match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND ((tbl_name = 'case_summaries' AND name LIKE 'case_summaries_count%') OR (tbl_name = 'case_exploitation_types' AND name LIKE 'case_exploitation_types_mask%') OR (tbl_name = 'cases' AND name = 'cases_statistics_stale_insert'))",
                )
                .fetch_all(pool)
                .await?
            }
            Pool::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT t.tgname::TEXT, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND ((c.relname = 'case_summaries' AND t.tgname LIKE 'case_summaries_count%') OR (c.relname = 'case_exploitation_types' AND t.tgname LIKE 'case_exploitation_types_mask%') OR (c.relname = 'cases' AND t.tgname = 'cases_statistics_stale_insert'))",
                )
                .fetch_all(pool)
                .await?
            }
        };
        deferred.extend(triggers);
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (name, definition) in &deferred {
                sqlx::query("INSERT INTO deferred_indexes (name, definition) VALUES ($1, $2)")
                    .bind(name)
                    .bind(definition)
                    .execute(&mut *tx)
                    .await?;
                let drop = match (is_trigger(definition), &self.pool) {
                    // SQLite's DROP TRIGGER names no table.
                    (true, Pool::Sqlite(_)) => format!("DROP TRIGGER {}", quoted(name)),
                    (true, Pool::Postgres(_)) => format!(
                        "DROP TRIGGER {} ON {}",
                        quoted(name),
                        trigger_table(name)
                    ),
                    (false, _) => format!("DROP INDEX {}", quoted(name)),
                };
                sqlx::query(sqlx::AssertSqlSafe(drop))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Builds every index a bulk load deferred, each in its own transaction with the removal
    /// of its definition, so an interrupted rebuild resumes where it stopped; then recounts
    /// the queue and puts the deferred count triggers back, in one transaction.
    pub(crate) async fn rebuild_deferred_indexes(&self) -> Result<(), StoreError> {
        // The list is read under the write turn: two rebuilds (a start's and a load's) must
        // not both build what only one of them read as missing.
        let _turn = self.write_turn().await;
        let deferred: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT name, definition FROM deferred_indexes ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        if deferred.is_empty() {
            return Ok(());
        }
        let (triggers, indexes): (Vec<_>, Vec<_>) =
            deferred.into_iter().partition(|(_, d)| is_trigger(d));
        // On PostgreSQL the queue's recount runs beside the builds, on its own connection:
        // it only reads the tables being indexed (a SHARE lock each build, which reading does
        // not wait for), and its restored triggers wait for the build of their table to end.
        // SQLite has one writer: one after the other. So does a PostgreSQL pool too small
        // for three connections at once (a lane waiting for one could time out while the
        // others build for minutes).
        if self.parallel_builds() {
            let (built, restored) = tokio::join!(
                self.build_deferred(indexes),
                self.restore_deferred_triggers(triggers)
            );
            built.and(restored)
        } else {
            self.build_deferred(indexes).await?;
            self.restore_deferred_triggers(triggers).await
        }
    }

    /// Whether deferred indexes are built two at a time with the recount beside them: on
    /// PostgreSQL with a pool of at least three connections.
    fn parallel_builds(&self) -> bool {
        match &self.pool {
            Pool::Sqlite(_) => false,
            Pool::Postgres(pool) => pool.options().get_max_connections() >= 3,
        }
    }

    /// Builds deferred indexes, each in its own transaction with the removal of its
    /// definition.
    async fn build_deferred(&self, indexes: Vec<(String, String)>) -> Result<(), StoreError> {
        if indexes.is_empty() {
            return Ok(());
        }
        let set = self.index_build_settings();
        // PostgreSQL builds two at a time, each on its own connection: builds of one table
        // share it (each takes a SHARE lock), and one build's single-threaded phases (its
        // final merge, writing the index out) leave a core idle that the other uses. A
        // million cases' 33 builds: 7.6 s for four of them one after another, 6.4 s two
        // at a time (`psql`, the import's database). SQLite has one writer.
        let lanes = if self.parallel_builds() { 2 } else { 1 };
        let queue = std::sync::Mutex::new(std::collections::VecDeque::from(indexes));
        let next = || {
            queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop_front()
        };
        on_pool!(self, pool => {
            let lane = || async {
                use sqlx::Connection as _;
                // One connection a lane for its indexes, given room to sort in memory.
                let mut connection = pool.acquire().await?;
                // Closed when done, not given back to the pool (so its settings need no
                // undoing): SQLite's page cache keeps the hash table it grew for the
                // builds, whatever `cache_size` is set back to (see `release_sqlite` in
                // bulk.rs).
                connection.close_on_drop();
                sqlx::query(sqlx::AssertSqlSafe(set.clone()))
                    .execute(&mut *connection)
                    .await?;
                while let Some((name, definition)) = next() {
                    tracing::debug!(index = %name, "building an index a bulk load deferred");
                    // Idempotent, so a rebuild that finds the index already there
                    // (another process's rebuild) still removes the definition and goes
                    // on.
                    let definition = if_not_exists(&definition, "CREATE INDEX ");
                    let mut tx = connection.begin().await?;
                    sqlx::query(sqlx::AssertSqlSafe(definition))
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM deferred_indexes WHERE name = $1")
                        .bind(&name)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok::<(), StoreError>(())
            };
            let (first, second) = tokio::join!(lane(), async {
                if lanes > 1 { lane().await } else { Ok(()) }
            });
            first?;
            second?;
        });
        Ok(())
    }

    /// Recounts the queue and puts the deferred count triggers back, in one transaction.
    async fn restore_deferred_triggers(
        &self,
        triggers: Vec<(String, String)>,
    ) -> Result<(), StoreError> {
        if triggers.is_empty() {
            return Ok(());
        }
        tracing::debug!("recounting the queue and restoring its count triggers");
        let mut recount = self.recount_statements();
        recount.push(MARK_STALE.to_owned());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (step, statement) in recount.into_iter().enumerate() {
                let started = std::time::Instant::now();
                sqlx::query(sqlx::AssertSqlSafe(statement))
                    .execute(&mut *tx)
                    .await?;
                tracing::debug!(step, ms = started.elapsed().as_millis(), "recount step done");
            }
            for (name, definition) in triggers {
                // As for the indexes: one already put back is replaced, not refused.
                let drop = match &self.pool {
                    Pool::Sqlite(_) => format!("DROP TRIGGER IF EXISTS {}", quoted(&name)),
                    Pool::Postgres(_) => format!(
                        "DROP TRIGGER IF EXISTS {} ON {}",
                        quoted(&name),
                        trigger_table(&name)
                    ),
                };
                sqlx::query(sqlx::AssertSqlSafe(drop))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(definition))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM deferred_indexes WHERE name = $1")
                    .bind(&name)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// SQLite's page cache while building deferred indexes, in KiB: each build reads the whole
/// table, and its sorter keeps up to this much in memory before spilling sorted runs. Kept
/// to 256 MiB: a 1 GiB cache built the indexes no faster at 100,000 cases (4.7 s either way)
/// and took the load's peak memory to 1.8 GiB.
const SQLITE_INDEX_BUILD_CACHE_KIB: i64 = 256 * 1024;

impl Store {
    /// The settings of the connection that builds deferred indexes (closed afterwards): on
    /// SQLite a large page cache, temporary sort runs in memory and a helper thread for the
    /// sorter; on PostgreSQL the memory each build may sort in.
    fn index_build_settings(&self) -> String {
        match &self.pool {
            Pool::Sqlite(_) => format!(
                "PRAGMA cache_size = -{SQLITE_INDEX_BUILD_CACHE_KIB}; PRAGMA temp_store = MEMORY; PRAGMA threads = 2"
            ),
            Pool::Postgres(_) => "SET maintenance_work_mem = '512MB'".to_owned(),
        }
    }
}

/// Whether a deferred definition is a trigger's (the rest are indexes').
fn is_trigger(definition: &str) -> bool {
    definition
        .trim_start()
        .get(..14)
        .is_some_and(|start| start.eq_ignore_ascii_case("CREATE TRIGGER"))
}

/// The table a deferred trigger is on: the queue's count triggers are on `case_summaries`,
/// the exploitation types' bit mask triggers on `case_exploitation_types`, the statistics'
/// stale-marking trigger on `cases` (the names [`Store::bulk_load`] defers).
fn trigger_table(name: &str) -> &'static str {
    if name.starts_with("case_exploitation_types") {
        "case_exploitation_types"
    } else if name.starts_with("cases_") {
        "cases"
    } else {
        "case_summaries"
    }
}

/// `definition` (which starts with `create`, any case) made idempotent with `IF NOT EXISTS`,
/// which both engines accept for indexes.
fn if_not_exists(definition: &str, create: &str) -> String {
    let trimmed = definition.trim_start();
    match trimmed.get(..create.len()) {
        Some(start)
            if start.eq_ignore_ascii_case(create)
                && !trimmed[create.len()..]
                    .trim_start()
                    .to_ascii_uppercase()
                    .starts_with("IF NOT EXISTS") =>
        {
            format!("{create}IF NOT EXISTS {}", &trimmed[create.len()..])
        }
        _ => definition.to_owned(),
    }
}

/// An index name as an SQL identifier (the names come from the schema, never from data).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
