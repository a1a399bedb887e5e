//! Importing many complete new cases at once: seeding, benchmarks and legacy imports.
//!
//! A [`NewCase`] is a case as the commands that made it appended it: each [`ImportStep`] is
//! what one [`Append`] would write (its events as the domain decided them, the actor and time,
//! the subjects it creates and its vault records). [`Store::import_cases`] writes a batch of
//! them with one multi-row INSERT per table instead of one statement per row:
//!
//! - [`Store::prepare_import`] does the pure work: seals the vault records (a new data key
//!   per subject), serialises the events, and folds each case's events into its final
//!   read-model rows with the same projection the append path turns into SQL
//!   ([`crate::projection::CaseRows`]), so a summary is inserted once, never updated event by
//!   event. It needs no connection and may run on another thread while the previous batch is
//!   written.
//! - [`Store::write_import`] inserts the rows in one transaction: on SQLite as multi-row
//!   `VALUES` lists within the variable limit (prepared once per shape and cached on the
//!   connection), on PostgreSQL as one binary `COPY … FROM STDIN` per table.
//!
//! The rows are byte-for-byte those the same cases appended one command at a time would leave
//! (tested on both engines). All or nothing: a case that already exists (or a reference
//! already taken) fails the whole batch and nothing is written. Not for intake, where one bad
//! submission must never fail another.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::ids::{CaseId, SubjectId};
use nrm_domain::{Actor, CaseEvent, CaseReference};
use sqlx::Arguments as _;
use uuid::Uuid;

use crate::audit::{AuditKey, AuditRecord, append_audit};
use crate::events::{Append, PACKED_BODY, VaultWrite, to_i64};
use crate::projection::{CaseRows, Col, SUMMARY_COLUMNS};
use crate::statement::Value;
use crate::vault::crypto::DataKey;
use crate::vault::seal_record;
use crate::{Pool, Store, StoreError, on_pool};

/// What one command appended to a new case.
#[derive(Debug, Clone)]
pub struct ImportStep {
    pub events: Vec<CaseEvent>,
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
    /// Subjects whose data keys this step creates.
    pub new_subjects: Vec<SubjectId>,
    /// Vault records this step writes; their subjects must be created by this case.
    pub vault_writes: Vec<VaultWrite>,
}

/// A complete new case, as the commands that made it appended it, oldest first.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub case_id: CaseId,
    pub reference: CaseReference,
    pub steps: Vec<ImportStep>,
    /// The key an import knows the case by (the legacy import's keyed hash of its legacy
    /// id), kept in `imported_cases`: a second case with the same key is refused as if the
    /// case existed ([`StoreError::VersionConflict`]). `None` for cases made here.
    pub import_key: Option<Uuid>,
}

impl NewCase {
    /// The appends that would write this case one command at a time: what
    /// [`Store::import_cases`] is equivalent to.
    pub fn appends(&self) -> Vec<Append<'_>> {
        let mut version = 0;
        self.steps
            .iter()
            .map(|step| {
                let append = Append {
                    case_id: self.case_id,
                    expected_version: version,
                    reference: Some(&self.reference),
                    events: &step.events,
                    actor: step.actor,
                    recorded_at: step.recorded_at,
                    new_subjects: &step.new_subjects,
                    vault_writes: &step.vault_writes,
                    audit: None,
                    draft: None,
                };
                version += step.events.len() as u64;
                append
            })
            .collect()
    }
}

/// One table's columns, with the PostgreSQL array type each is sent as.
#[derive(Debug)]
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, &'static str)],
}

const CASES: Table = Table {
    name: "cases",
    columns: &[
        ("case_id", "uuid"),
        ("reference", "text"),
        ("version", "int8"),
        ("created_at", "timestamptz"),
    ],
};
const VAULT_SUBJECTS: Table = Table {
    name: "vault_subjects",
    columns: &[
        ("subject_id", "uuid"),
        ("wrapped_key", "bytea"),
        ("master_key_id", "text"),
        ("created_at", "timestamptz"),
    ],
};
const VAULT_RECORDS: Table = Table {
    name: "vault_records",
    columns: &[
        ("record_id", "uuid"),
        ("subject_id", "uuid"),
        ("kind", "text"),
        ("ciphertext", "bytea"),
        ("created_at", "timestamptz"),
    ],
};
const CASE_EVENTS: Table = Table {
    name: "case_events",
    columns: &[
        ("case_id", "uuid"),
        ("version", "int8"),
        ("kind", "text"),
        ("body", "text"),
        ("actor_user", "uuid"),
        ("actor_organisation", "uuid"),
        ("recorded_at", "timestamptz"),
        ("packed", "bytea"),
    ],
};
/// In [`Col::ALL`] order, then the exploitation types' bit mask, which the append path's
/// trigger on `case_exploitation_types` sets (migration 0014) and an import writes with the
/// row (its types are inserted first, while there is no summary for the trigger to update).
const CASE_SUMMARIES: Table = Table {
    name: "case_summaries",
    columns: &[
        ("case_id", "uuid"),
        ("reference", "text"),
        ("kind", "text"),
        ("status", "text"),
        ("competent_authority", "text"),
        ("age_group", "text"),
        ("county_lines", "bool"),
        ("referring_organisation", "uuid"),
        ("referred_on", "date"),
        ("rg_due_on", "date"),
        ("rg_outcome", "text"),
        ("rg_decided_on", "date"),
        ("cg_earliest_on", "date"),
        ("cg_outcome", "text"),
        ("cg_decided_on", "date"),
        ("version", "int8"),
        ("updated_at", "timestamptz"),
        ("pilot_site", "text"),
        ("allocated_to", "uuid"),
        ("suspended", "bool"),
        ("disqualified", "bool"),
        ("review_pending", "bool"),
        ("reconsideration_pending", "bool"),
        ("rg_served_on", "date"),
        ("cg_served_on", "date"),
        ("referring_user", "uuid"),
        ("rg_due_key", "date"),
        ("next_due_key", "date"),
        ("deadline_flag", "int2"),
        ("exploitation_mask", "int4"),
    ],
};
const CASE_DEADLINES: Table = Table {
    name: "case_deadlines",
    columns: &[
        ("case_id", "uuid"),
        ("deadline", "text"),
        ("due_on", "date"),
        ("status", "text"),
    ],
};
const IMPORTED_CASES: Table = Table {
    name: "imported_cases",
    columns: &[("import_key", "uuid"), ("case_id", "uuid")],
};
const GUARDIAN_REFERRAL_CHECKS: Table = Table {
    name: "guardian_referral_checks",
    columns: &[
        ("case_id", "uuid"),
        ("outcome", "text"),
        ("checked_at", "timestamptz"),
    ],
};
const CASE_EXPLOITATION_TYPES: Table = Table {
    name: "case_exploitation_types",
    columns: &[("case_id", "uuid"), ("exploitation_type", "text")],
};

/// The tables in the order they are written (parents before the rows that refer to them).
/// A case's exploitation types go in before its summary: the append path's trigger would
/// otherwise update every new summary's bit mask (and its queue counts) once per type.
const TABLES: [&Table; 9] = [
    &CASES,
    &IMPORTED_CASES,
    &VAULT_SUBJECTS,
    &VAULT_RECORDS,
    &CASE_EVENTS,
    &CASE_EXPLOITATION_TYPES,
    &CASE_SUMMARIES,
    &CASE_DEADLINES,
    &GUARDIAN_REFERRAL_CHECKS,
];

/// A batch of new cases, sealed, serialised and folded into rows, ready for
/// [`Store::write_import`]. Holds ciphertext and identifiers only; the default is an empty
/// batch (for audit entries written with [`ImportWriter::write`] and no cases).
#[derive(Debug, Default)]
pub struct PreparedImport {
    case_ids: Vec<Uuid>,
    import_keys: Vec<Uuid>,
    references: Vec<String>,
    /// Per table of [`TABLES`], its rows' values one row after another.
    rows: [Vec<Value>; 9],
}

impl PreparedImport {
    /// How many cases the batch holds.
    pub fn cases(&self) -> usize {
        self.case_ids.len()
    }

    /// Records with the batch, in its transaction, the ICTG referral checks decided for its
    /// cases (`guardian_referral_checks`: an open child case found to need no guardian
    /// referral, and why), as the sweep's catch-up records those it finds. Fails, adding
    /// nothing, if a case named is not one of the batch's.
    pub fn record_guardian_checks(
        &mut self,
        checks: &[(CaseId, &str)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let batch: std::collections::HashSet<&Uuid> = self.case_ids.iter().collect();
        if let Some((stranger, _)) = checks.iter().find(|(id, _)| !batch.contains(&id.0)) {
            return Err(StoreError::Corrupt(format!(
                "a guardian referral check names case {} which is not in its batch",
                stranger.0
            )));
        }
        for (case_id, outcome) in checks {
            self.rows[8].extend([
                Value::Uuid(case_id.0),
                Value::Text((*outcome).to_owned()),
                Value::Timestamp(at),
            ]);
        }
        Ok(())
    }
}

impl Store {
    /// Writes complete new cases in one transaction: the equivalent of appending each case's
    /// steps ([`NewCase::appends`]) with [`Store::append`], in far fewer statements. Fails,
    /// writing nothing, if any case (or its reference) already exists
    /// ([`StoreError::VersionConflict`] with `expected: 0`, or
    /// [`StoreError::DuplicateReference`]), or if a case's events do not start with its
    /// submission. No audit entry is written: an import records itself with [`Store::audit`].
    pub async fn import_cases(&self, cases: &[NewCase]) -> Result<(), StoreError> {
        let prepared = self.prepare_import(cases)?;
        self.write_import(prepared).await
    }

    /// The CPU half of [`Store::import_cases`]: seals, serialises and folds `cases` into
    /// rows. Touches no connection, so it can run on a blocking thread while an earlier batch
    /// is written.
    pub fn prepare_import<'a>(
        &self,
        cases: impl IntoIterator<Item = &'a NewCase>,
    ) -> Result<PreparedImport, StoreError> {
        let cases = cases.into_iter();
        let mut prepared = PreparedImport {
            case_ids: Vec::with_capacity(cases.size_hint().0),
            import_keys: Vec::new(),
            references: Vec::with_capacity(cases.size_hint().0),
            rows: Default::default(),
        };
        let [
            cases_rows,
            imported_rows,
            subjects_rows,
            records_rows,
            events_rows,
            types_rows,
            summaries_rows,
            deadlines_rows,
            _guardian_checks,
        ] = &mut prepared.rows;
        let master_key_id = self.master_key_id().to_owned();
        for case in cases {
            let id = case.case_id.0;
            let first = case
                .steps
                .first()
                .ok_or_else(|| StoreError::Corrupt("an imported case has no events".to_owned()))?;
            let mut keys: Vec<(Uuid, DataKey)> = Vec::new();
            let mut folded = CaseRows::new(case.case_id);
            let mut version = 0u64;
            for step in &case.steps {
                let at = Value::Timestamp(step.recorded_at);
                for subject in self.new_subject_keys(&step.new_subjects, &mut keys)? {
                    subjects_rows.extend([
                        Value::Uuid(subject.subject),
                        Value::Bytes(subject.wrapped_key),
                        Value::Text(master_key_id.clone()),
                        at.clone(),
                    ]);
                }
                for write in &step.vault_writes {
                    let key = keys
                        .iter()
                        .find(|(s, _)| *s == write.subject.0)
                        .map(|(_, key)| key)
                        .ok_or_else(|| {
                            StoreError::Corrupt(
                                "an imported vault record's subject is not created by its case"
                                    .to_owned(),
                            )
                        })?;
                    let record = seal_record(key, write)?;
                    records_rows.extend([
                        Value::Uuid(record.record),
                        Value::Uuid(record.subject),
                        Value::Text(record.kind.to_owned()),
                        Value::Bytes(record.ciphertext),
                        at.clone(),
                    ]);
                }
                for event in &step.events {
                    version += 1;
                    folded.apply(event, version, step.recorded_at)?;
                    events_rows.extend([
                        Value::Uuid(id),
                        Value::I64(to_i64(version)),
                        Value::Text(event.kind().to_owned()),
                        Value::Text(PACKED_BODY.to_owned()),
                        Value::Uuid(step.actor.user.0),
                        Value::Uuid(step.actor.organisation.0),
                        at.clone(),
                        Value::Bytes(crate::event_codec::pack(event)?),
                    ]);
                }
            }
            let (summary, deadlines, types) = folded.finish().ok_or_else(|| {
                StoreError::Corrupt(
                    "an imported case does not start with its submission".to_owned(),
                )
            })?;
            cases_rows.extend([
                Value::Uuid(id),
                Value::Text(case.reference.to_string()),
                Value::I64(to_i64(version)),
                Value::Timestamp(first.recorded_at),
            ]);
            summaries_rows.extend(summary);
            let mask = crate::counts::exploitation_mask(types.iter().copied());
            summaries_rows.push(Value::I64(i64::from(mask)));
            for (key, due_on, status) in deadlines {
                deadlines_rows.extend([
                    Value::Uuid(id),
                    Value::Text(key),
                    Value::Date(due_on),
                    Value::Text(status.to_owned()),
                ]);
            }
            for t in types {
                types_rows.extend([Value::Uuid(id), Value::Text(t.to_owned())]);
            }
            if let Some(key) = case.import_key {
                imported_rows.extend([Value::Uuid(key), Value::Uuid(id)]);
                prepared.import_keys.push(key);
            }
            prepared.case_ids.push(id);
            prepared.references.push(case.reference.to_string());
        }
        debug_assert_eq!(Col::ALL.len(), SUMMARY_COLUMNS);
        Ok(prepared)
    }

    /// The database half of [`Store::import_cases`]: inserts a prepared batch in one
    /// transaction.
    pub async fn write_import(&self, prepared: PreparedImport) -> Result<(), StoreError> {
        self.write_prepared(None, prepared, &[], Utc::now()).await
    }

    /// A writer for a run of import batches ([`ImportWriter::write`]), each still its own
    /// durable transaction. On SQLite every batch goes through one connection held for the
    /// run, its large page cache kept from batch to batch, so the index pages the batches
    /// change are read from the file once rather than once a batch (a connection per batch,
    /// its cache starting empty each time, spent two thirds of a legacy import's time reading
    /// pages back and growing the cache). Finish it with [`ImportWriter::finish`].
    pub async fn import_writer(&self) -> Result<ImportWriter, StoreError> {
        let held = match &self.pool {
            Pool::Sqlite(pool) => Some(hold_sqlite(pool, false).await?),
            Pool::Postgres(_) => None,
        };
        Ok(ImportWriter {
            store: self.clone(),
            held,
            offline: false,
        })
    }

    /// [`Store::import_writer`] for a database no one else is using (a legacy import before
    /// go-live), as [`Store::bulk_load`] does it: the case tables' secondary indexes and
    /// count triggers are dropped now and rebuilt by [`ImportWriter::finish`] (or, if the
    /// run dies, by the next start), and on SQLite each batch commits without waiting for the
    /// disk (`synchronous = NORMAL`: a crash may lose the last batches with their audit
    /// entries, never one without the other; the rebuild's commits make everything durable).
    pub async fn offline_import_writer(&self) -> Result<ImportWriter, StoreError> {
        self.defer_indexes().await?;
        let held = match &self.pool {
            Pool::Sqlite(pool) => match hold_sqlite(pool, true).await {
                Ok(connection) => Some(connection),
                Err(e) => {
                    let _ = self.rebuild_deferred_indexes().await;
                    return Err(e);
                }
            },
            Pool::Postgres(_) => None,
        };
        Ok(ImportWriter {
            store: self.clone(),
            held,
            offline: true,
        })
    }

    /// Writes a prepared batch, on SQLite on `held` (a bulk load's own connection, its cache
    /// kept between batches) if given, else on a connection of the pool, with `audit`'s
    /// entries in the same transaction (a batch with no cases writes only those).
    async fn write_prepared(
        &self,
        held: Option<&mut sqlx::SqliteConnection>,
        prepared: PreparedImport,
        audit: &[AuditRecord],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if prepared.case_ids.is_empty() && audit.is_empty() {
            return Ok(());
        }
        self.import_transactions
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let case_ids = prepared.case_ids.clone();
        let import_keys = prepared.import_keys.clone();
        let references = prepared.references.clone();
        let audit = BatchAudit {
            key: &self.audit_key,
            records: audit,
            at,
        };
        let turn = self.write_turn().await;
        let written = match (&self.pool, held) {
            (Pool::Sqlite(_), Some(connection)) => {
                write_sqlite_batch(connection, prepared, audit).await
            }
            (Pool::Sqlite(pool), None) => write_sqlite(pool, prepared, audit).await,
            (Pool::Postgres(pool), _) => write_postgres(pool, prepared, audit).await,
        };
        drop(turn);
        match written {
            Ok(()) => Ok(()),
            Err(StoreError::Database(sqlx::Error::Database(db))) if db.is_unique_violation() => {
                Err(self.clash(&case_ids, &import_keys, &references).await)
            }
            Err(e) => Err(e),
        }
    }

    /// Why a batch clashed with rows already there: a case that exists (by its id or by its
    /// import key), or else a reference another case holds.
    async fn clash(
        &self,
        case_ids: &[Uuid],
        import_keys: &[Uuid],
        references: &[String],
    ) -> StoreError {
        let by_id = "SELECT version FROM cases WHERE case_id IN";
        let by_key = "SELECT c.version FROM imported_cases i JOIN cases c ON c.case_id = i.case_id \
             WHERE i.import_key IN";
        for (select, ids) in [(by_id, case_ids), (by_key, import_keys)] {
            for chunk in ids.chunks(500) {
                let sql = format!("{select} ({}) LIMIT 1", placeholders(1, chunk.len()));
                let found: Result<Option<i64>, sqlx::Error> = on_pool!(self, pool => {
                    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    query.fetch_optional(pool).await
                });
                match found {
                    Ok(Some(actual)) => {
                        return StoreError::VersionConflict {
                            expected: 0,
                            actual: u64::try_from(actual).unwrap_or(0),
                        };
                    }
                    Ok(None) => {}
                    Err(e) => return e.into(),
                }
            }
        }
        let mut unique = references.to_vec();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() < references.len() {
            return StoreError::DuplicateReference;
        }
        let ids = case_ids.len();
        let mut seen = case_ids.to_vec();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() < ids {
            return StoreError::Corrupt("a case appears twice in one import".to_owned());
        }
        StoreError::DuplicateReference
    }
}

/// `$first, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Which of `keys` name a case already imported ([`NewCase::import_key`]): a key in
    /// `imported_cases`, or a case whose id is the key itself (the legacy import of releases
    /// before migration 0035 gave each case its key as its id).
    pub async fn imported_keys(
        &self,
        keys: &[Uuid],
    ) -> Result<std::collections::HashSet<Uuid>, StoreError> {
        let mut found = std::collections::HashSet::new();
        for chunk in keys.chunks(500) {
            let sql = format!(
                "SELECT import_key FROM imported_cases WHERE import_key IN ({}) \
                 UNION SELECT case_id FROM cases WHERE case_id IN ({})",
                placeholders(1, chunk.len()),
                placeholders(chunk.len() + 1, chunk.len()),
            );
            let rows: Vec<Uuid> = on_pool!(self, pool => {
                let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql));
                for key in chunk.iter().chain(chunk) {
                    query = query.bind(*key);
                }
                query.fetch_all(pool).await?
            });
            found.extend(rows);
        }
        Ok(found)
    }
}

/// A run of import batches on one connection ([`Store::import_writer`]).
pub struct ImportWriter {
    store: Store,
    held: Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>,
    /// Made by [`Store::offline_import_writer`]: the deferred indexes are rebuilt at the end.
    offline: bool,
}

impl std::fmt::Debug for ImportWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportWriter")
            .field("held_connection", &self.held.is_some())
            .field("offline", &self.offline)
            .finish_non_exhaustive()
    }
}

impl ImportWriter {
    /// Inserts a prepared batch in one durable transaction, as [`Store::write_import`] does,
    /// with `audit`'s entries (at `at`) in the same transaction: the batch and its record
    /// are written together or not at all. A batch with no cases writes only the entries.
    /// (Written apart, each entry's own commit would change the database under the held
    /// connection, and SQLite empties a connection's page cache when it finds the database
    /// changed by another.)
    pub async fn write(
        &mut self,
        prepared: PreparedImport,
        audit: &[AuditRecord],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store
            .write_prepared(self.held.as_deref_mut(), prepared, audit, at)
            .await
    }

    /// Closes the run's connection (never given back to the pool: see `release_sqlite`);
    /// an offline run then rebuilds the indexes and triggers it deferred. Dropping the writer
    /// closes the connection too (and leaves the rebuild to the next start).
    pub async fn finish(self) -> Result<(), StoreError> {
        let closed = match self.held {
            Some(connection) => release_sqlite(connection).await,
            None => Ok(()),
        };
        let rebuilt = if self.offline {
            self.store.rebuild_deferred_indexes().await
        } else {
            Ok(())
        };
        closed.and(rebuilt)
    }
}

/// The most variables one SQLite statement may bind (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
const SQLITE_MAX_VARIABLES: usize = 32_766;

/// `INSERT INTO table (columns) VALUES (?, …), …` for `rows` rows.
fn sqlite_insert(table: &Table, rows: usize) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let one = format!("({})", vec!["?"; names.len()].join(", "));
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        names.join(", "),
        vec![one.as_str(); rows].join(", ")
    )
}

fn add_sqlite(args: &mut sqlx::sqlite::SqliteArguments, value: Value) -> Result<(), StoreError> {
    let added = match value {
        Value::Uuid(v) => args.add(v),
        Value::OptUuid(v) => args.add(v),
        Value::Text(v) => args.add(v),
        Value::OptText(v) => args.add(v),
        Value::Date(v) => args.add(v),
        Value::OptDate(v) => args.add(v),
        Value::Bool(v) => args.add(v),
        Value::I64(v) => args.add(v),
        Value::Timestamp(v) => args.add(v),
        Value::OptTimestamp(v) => args.add(v),
        Value::Bytes(v) => args.add(v),
    };
    added.map_err(|e| StoreError::Database(sqlx::Error::Encode(e)))
}

/// SQLite's page cache for an import's connection, in KiB (negative `cache_size`): big enough
/// that a batch's changed index pages stay in memory until the commit instead of spilling to
/// the WAL mid-transaction. The connection is closed after the import (`release_sqlite`).
const SQLITE_IMPORT_CACHE_KIB: i64 = 512 * 1024;

/// Audit entries a batch writes in its own transaction.
struct BatchAudit<'a> {
    key: &'a AuditKey,
    records: &'a [AuditRecord],
    at: DateTime<Utc>,
}

async fn write_sqlite(
    pool: &sqlx::SqlitePool,
    prepared: PreparedImport,
    audit: BatchAudit<'_>,
) -> Result<(), StoreError> {
    let mut connection = hold_sqlite(pool, false).await?;
    let written = write_sqlite_batch(&mut connection, prepared, audit).await;
    let restored = release_sqlite(connection).await;
    written?;
    restored
}

/// A connection of the pool set up for importing: a large page cache, and the statement
/// journal a multi-row INSERT keeps (to undo itself alone) in memory. `offline` (a bulk
/// load) also commits without waiting for the disk (`synchronous = NORMAL`: in WAL mode a
/// crash may lose the last batches but never corrupts the file); the load's last commits,
/// its index builds on a connection with `FULL`, make every batch durable before it returns.
async fn hold_sqlite(
    pool: &sqlx::SqlitePool,
    offline: bool,
) -> Result<sqlx::pool::PoolConnection<sqlx::Sqlite>, StoreError> {
    let mut connection = pool.acquire().await?;
    // Never back to the pool, even when the import fails (see `release_sqlite`).
    connection.close_on_drop();
    let synchronous = if offline { "NORMAL" } else { "FULL" };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}; PRAGMA temp_store = MEMORY; PRAGMA synchronous = {synchronous}"
    )))
    .execute(&mut *connection)
    .await?;
    Ok(connection)
}

/// Closes an importing connection rather than give it back to the pool. Setting its cache
/// back to the default would not be enough: SQLite's page cache keeps the hash table it grew
/// to hold the load's pages (a bucket for each of 131,072 at 512 MiB), and scans all of it
/// each time the connection finds the database changed by another, which in WAL mode is at
/// the start of nearly every read after a write. Returned to the pool, that connection made
/// every statement it ran after the load cost a scan of the whole table: the sweep's
/// catch-up after `nrm demo --cases 1000000` spent 18% of its time in that scan
/// (`pcache1TruncateUnsafe`).
async fn release_sqlite(
    connection: sqlx::pool::PoolConnection<sqlx::Sqlite>,
) -> Result<(), StoreError> {
    connection.close().await?;
    Ok(())
}

async fn write_sqlite_batch(
    connection: &mut sqlx::SqliteConnection,
    prepared: PreparedImport,
    audit: BatchAudit<'_>,
) -> Result<(), StoreError> {
    use sqlx::Connection as _;
    let mut tx = connection.begin().await?;
    for (table, values) in TABLES.iter().zip(prepared.rows) {
        let width = table.columns.len();
        let per_statement = SQLITE_MAX_VARIABLES / width;
        let mut values = values.into_iter().peekable();
        while values.peek().is_some() {
            let mut args = sqlx::sqlite::SqliteArguments::default();
            let mut rows = 0;
            while rows < per_statement && values.peek().is_some() {
                for _ in 0..width {
                    let value = values.next().ok_or_else(|| {
                        StoreError::Corrupt("an import row is short of values".to_owned())
                    })?;
                    add_sqlite(&mut args, value)?;
                }
                rows += 1;
            }
            let sql = sqlite_insert(table, rows);
            sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
                .execute(&mut *tx)
                .await?;
        }
    }
    for record in audit.records {
        append_audit!(tx, audit.key, record, audit.at)?;
    }
    tx.commit().await?;
    Ok(())
}

/// The start of PostgreSQL's binary `COPY` format: its signature, no flags, no header
/// extension.
const PG_COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// `COPY table (columns) FROM STDIN (FORMAT binary)`.
fn postgres_copy(table: &Table) -> String {
    let names: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        table.name,
        names.join(", ")
    )
}

/// PostgreSQL's epoch for dates and timestamps in the binary format: 2000-01-01.
fn pg_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

/// Appends one field in the binary `COPY` format (its length, then its bytes in the
/// column type's binary send format; length -1 for NULL), checking the value fits the
/// column's type.
fn put_pg_field(out: &mut Vec<u8>, pg_type: &str, value: Value) -> Result<(), StoreError> {
    fn field(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), StoreError> {
        let len = i32::try_from(bytes.len()).map_err(|_| {
            StoreError::Corrupt("an import value is too large for its column".to_owned())
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(bytes);
        Ok(())
    }
    let null = |out: &mut Vec<u8>| out.extend_from_slice(&(-1i32).to_be_bytes());
    let too_large =
        || StoreError::Corrupt("an import value is too large for its column".to_owned());
    let date = |d: NaiveDate| {
        i32::try_from((d - pg_epoch()).num_days())
            .map(i32::to_be_bytes)
            .map_err(|_| too_large())
    };
    let timestamp = |t: DateTime<Utc>| {
        let epoch = pg_epoch()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        (t - epoch)
            .num_microseconds()
            .map(i64::to_be_bytes)
            .ok_or_else(too_large)
    };
    match (pg_type, value) {
        ("uuid", Value::Uuid(v) | Value::OptUuid(Some(v))) => field(out, v.as_bytes())?,
        ("text", Value::Text(v) | Value::OptText(Some(v))) => field(out, v.as_bytes())?,
        ("date", Value::Date(v) | Value::OptDate(Some(v))) => field(out, &date(v)?)?,
        ("bool", Value::Bool(v)) => field(out, &[u8::from(v)])?,
        ("int4", Value::I64(v)) => {
            field(
                out,
                &i32::try_from(v).map_err(|_| too_large())?.to_be_bytes(),
            )?;
        }
        ("int2", Value::I64(v)) => {
            field(
                out,
                &i16::try_from(v).map_err(|_| too_large())?.to_be_bytes(),
            )?;
        }
        ("int8", Value::I64(v)) => field(out, &v.to_be_bytes())?,
        ("timestamptz", Value::Timestamp(v) | Value::OptTimestamp(Some(v))) => {
            field(out, &timestamp(v)?)?;
        }
        ("bytea", Value::Bytes(v)) => field(out, &v)?,
        ("uuid", Value::OptUuid(None))
        | ("text", Value::OptText(None))
        | ("date", Value::OptDate(None))
        | ("timestamptz", Value::OptTimestamp(None)) => null(out),
        _ => {
            return Err(StoreError::Corrupt(
                "an import value does not match its column's type".to_owned(),
            ));
        }
    }
    Ok(())
}

/// A table's rows in PostgreSQL's binary `COPY` format, header and trailer included.
fn pg_copy_data(table: &Table, values: Vec<Value>) -> Result<Vec<u8>, StoreError> {
    let width = table.columns.len();
    let fields = i16::try_from(width)
        .map_err(|_| StoreError::Corrupt("an import table has too many columns".to_owned()))?;
    let mut out = Vec::with_capacity(PG_COPY_HEADER.len() + values.len() * 16 + 2);
    out.extend_from_slice(PG_COPY_HEADER);
    for (i, value) in values.into_iter().enumerate() {
        let column = i % width;
        if column == 0 {
            out.extend_from_slice(&fields.to_be_bytes());
        }
        put_pg_field(&mut out, table.columns[column].1, value)?;
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    Ok(out)
}

/// Writes a prepared batch with one binary `COPY` per table, in one transaction: the
/// server's multi-row insert path, which logs a page's new rows together, with nothing to
/// parse or plan.
async fn write_postgres(
    pool: &sqlx::PgPool,
    prepared: PreparedImport,
    audit: BatchAudit<'_>,
) -> Result<(), StoreError> {
    let mut encoded = Vec::with_capacity(TABLES.len());
    for (table, values) in TABLES.iter().zip(prepared.rows) {
        if !values.is_empty() {
            encoded.push((postgres_copy(table), pg_copy_data(table, values)?));
        }
    }
    let mut tx = pool.begin().await?;
    for (statement, data) in encoded {
        let mut copy = tx.copy_in_raw(&statement).await?;
        if let Err(e) = copy.send(data).await {
            // The server refused mid-stream (it reports why on finishing); end the COPY so
            // the connection is usable, and report the first error.
            return Err(copy.finish().await.err().unwrap_or(e).into());
        }
        copy.finish().await?;
    }
    for record in audit.records {
        append_audit!(tx, audit.key, record, audit.at)?;
    }
    tx.commit().await?;
    Ok(())
}

impl Store {
    /// Imports every batch `batches` yields, each in its own transaction, and returns the
    /// iterator with the number of cases written. The iterator runs, and each batch is
    /// prepared ([`Store::prepare_import`]), on a thread of its own, one batch ahead of the
    /// writes, so making the cases and sealing them overlaps with writing the previous batch.
    /// Calls `progress` with the running total after each batch. Stops at the first error;
    /// the batches written before it stay written.
    pub async fn import_batches<I>(
        &self,
        batches: I,
        progress: impl FnMut(u64),
    ) -> (I, Result<u64, StoreError>)
    where
        I: Iterator<Item = Result<Vec<NewCase>, StoreError>> + Send + 'static,
    {
        match self.import_writer().await {
            Ok(writer) => self.import_batches_on(batches, progress, writer).await,
            Err(e) => (batches, Err(e)),
        }
    }

    /// [`Store::import_batches`] through `writer` (a live run's, or an offline one's that
    /// rebuilds the deferred indexes when finished: [`Store::bulk_load`]).
    pub(crate) async fn import_batches_on<I>(
        &self,
        batches: I,
        mut progress: impl FnMut(u64),
        mut writer: ImportWriter,
    ) -> (I, Result<u64, StoreError>)
    where
        I: Iterator<Item = Result<Vec<NewCase>, StoreError>> + Send + 'static,
    {
        let (sender, mut receiver) =
            tokio::sync::mpsc::channel::<Result<PreparedImport, StoreError>>(1);
        let preparer = self.clone();
        let thread = std::thread::spawn(move || {
            let mut batches = batches;
            for batch in batches.by_ref() {
                let prepared = batch.and_then(|cases| preparer.prepare_import(&cases));
                let failed = prepared.is_err();
                if sender.blocking_send(prepared).is_err() || failed {
                    break;
                }
            }
            batches
        });
        let mut written = 0;
        let mut outcome = Ok(());
        while let Some(prepared) = receiver.recv().await {
            let result = match prepared {
                Ok(prepared) => {
                    let n = prepared.cases() as u64;
                    writer.write(prepared, &[], Utc::now()).await.map(|()| n)
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(n) => {
                    written += n;
                    progress(written);
                }
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        drop(receiver);
        let batches = match thread.join() {
            Ok(batches) => batches,
            // The thread only panics if the iterator does; resume that panic here (the
            // writer, dropped unfinished, leaves an offline run's indexes to the next start).
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let finished = writer.finish().await;
        if outcome.is_ok() {
            outcome = finished;
        }
        // The queue's kept counts gathered a few deltas per case: fold them now, so counts
        // cost nothing extra until the next sweep.
        if outcome.is_ok() && written > 0 {
            outcome = self.fold_queue_counts().await.map(|_| ());
        }
        (batches, outcome.map(|()| written))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(pg_type: &str, value: Value) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::new();
        put_pg_field(&mut out, pg_type, value)?;
        Ok(out)
    }

    #[test]
    fn copy_fields_are_postgres_binary_send_formats() {
        let day = NaiveDate::from_ymd_opt(2000, 1, 2).unwrap_or_default();
        // A length, then the bytes: one day after PostgreSQL's epoch.
        assert_eq!(
            field("date", Value::Date(day)).ok(),
            Some(vec![0, 0, 0, 4, 0, 0, 0, 1])
        );
        let at = day.and_hms_opt(0, 0, 1).unwrap_or_default().and_utc();
        let micros: i64 = 86_400_000_000 + 1_000_000;
        let mut expected = vec![0, 0, 0, 8];
        expected.extend(micros.to_be_bytes());
        assert_eq!(
            field("timestamptz", Value::Timestamp(at)).ok(),
            Some(expected)
        );
        assert_eq!(
            field("int2", Value::I64(3)).ok(),
            Some(vec![0, 0, 0, 2, 0, 3])
        );
        assert_eq!(
            field("bool", Value::Bool(true)).ok(),
            Some(vec![0, 0, 0, 1, 1])
        );
        assert_eq!(
            field("text", Value::OptText(None)).ok(),
            Some(vec![0xff, 0xff, 0xff, 0xff]),
            "NULL is length -1"
        );
    }

    #[test]
    fn a_copy_value_that_does_not_fit_its_column_is_refused() {
        assert!(field("int2", Value::I64(i64::from(i16::MAX) + 1)).is_err());
        assert!(field("int4", Value::I64(i64::from(i32::MAX) + 1)).is_err());
        assert!(field("uuid", Value::Text("not a uuid".to_owned())).is_err());
        assert!(
            field("bool", Value::OptText(None)).is_err(),
            "bool is never NULL here"
        );
    }

    #[test]
    fn copy_data_has_the_header_a_field_count_per_row_and_the_trailer() {
        let data = pg_copy_data(
            &CASE_EXPLOITATION_TYPES,
            vec![Value::Uuid(Uuid::nil()), Value::Text("labour".to_owned())],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(data.starts_with(PG_COPY_HEADER));
        let row = &data[PG_COPY_HEADER.len()..];
        assert_eq!(&row[..2], &2i16.to_be_bytes());
        assert_eq!(row.len(), 2 + (4 + 16) + (4 + 6) + 2);
        assert_eq!(&row[row.len() - 2..], &(-1i16).to_be_bytes());
    }
}
