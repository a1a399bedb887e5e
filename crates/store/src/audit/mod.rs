//! The audit log: every read of a case and every change, submission, refusal and sweep, as an
//! append-only, MAC-chained record of who did what to which case, when, and the outcome.
//!
//! Entries hold identifiers and codes only, never personal data. The database refuses UPDATE
//! and DELETE on the log, and any move of the head but forward over entries just appended,
//! each chained to the one before (triggers on both engines). For someone who can get past the database, the chain
//! is keyed with the audit key held outside it (`chain.rs`), so an edited or re-chained entry
//! does not verify, and signed checkpoints of the head written outside it (`checkpoint.rs`)
//! show a truncated tail; [`Store::verify_audit_against`] (`nrm audit verify`) checks both.

pub mod chain;
pub mod checkpoint;
mod verify;

use chrono::{DateTime, Utc};
use nrm_domain::Actor;
use nrm_domain::ids::CaseId;
use sqlx::Row;

pub use chain::{AuditEntry, AuditKey, ChainBreak, Hash};
pub use checkpoint::{Checkpoint, CheckpointFile};
pub use verify::{AuditProblem, AuditVerdict, bulk_fill_for_benchmark};

/// Writes one chained entry (the append path and the benchmark's bulk fill both use it).
pub(crate) const INSERT_ENTRY: &str = "INSERT INTO audit_log (seq, recorded_at, actor_user, actor_organisation, action, case_id, outcome, subject, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

use crate::{Store, StoreError, on_pool};

/// What is being recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub actor: Actor,
    /// A stable code such as `case.read`, `case.submit`, `decision.reasonable_grounds`.
    pub action: String,
    pub case_id: Option<CaseId>,
    /// `ok`, `not_found`, or `refused:<problem code>`.
    pub outcome: String,
    /// The non-case subject of an administrative action, as `<kind>:<uuid>`: `user:…`,
    /// `organisation:…`, `token:…`, `draft:…`. Identifiers only, never personal data.
    pub subject: Option<String>,
}

/// The result of a full verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditReport {
    pub entries: u64,
    /// How many of them predate the audit key and were checked by their unkeyed hash.
    pub unkeyed: u64,
}

/// The keyed entry recording `record` at `at`, chained after entry `prev_seq` whose MAC is
/// `prev`.
pub(crate) fn entry_after(
    key: &AuditKey,
    record: &AuditRecord,
    at: DateTime<Utc>,
    prev_seq: u64,
    prev: Hash,
) -> AuditEntry {
    chain::next_entry(
        key,
        prev_seq,
        prev,
        chain::EntryContent {
            recorded_at: at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor_user: record.actor.user.to_string(),
            actor_organisation: record.actor.organisation.to_string(),
            action: record.action.clone(),
            case_id: record.case_id.map(|c| c.to_string()),
            outcome: record.outcome.clone(),
            subject: record.subject.clone(),
        },
    )
}

/// The statement inserting `rows` entries at once (`INSERT_ENTRY` for one).
pub(crate) fn insert_entries_sql(rows: usize) -> String {
    let mut sql = INSERT_ENTRY.to_owned();
    for row in 1..rows {
        let first = row * 10;
        sql.push_str(", (");
        for column in 1..=10 {
            if column > 1 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", first + column));
        }
        sql.push(')');
    }
    sql
}

/// Takes the head's row lock inside the open transaction `$tx` and returns the head, as
/// `Result<(u64, Hash), sqlx::Error>`.
///
/// The head is "updated" to itself: a change the database's trigger allows, which takes the
/// head's row lock (the write gate does the same on SQLite) and so serialises appenders until
/// the transaction ends.
macro_rules! lock_head {
    ($tx:expr) => {{
        async {
            let head =
                sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
                    .fetch_one(&mut *$tx)
                    .await?;
            let seq: i64 = sqlx::Row::try_get(&head, "seq")?;
            let hash: Vec<u8> = sqlx::Row::try_get(&head, "hash")?;
            let hash: $crate::audit::Hash = hash
                .try_into()
                .map_err(|_| sqlx::Error::Protocol("an audit hash is not 32 bytes".to_owned()))?;
            Ok::<(u64, $crate::audit::Hash), sqlx::Error>((u64::try_from(seq).unwrap_or(0), hash))
        }
        .await
    }};
}
pub(crate) use lock_head;

/// Writes `$entries` (chained, in order, the first after the locked head) inside the open
/// transaction `$tx`, as `Result<(), sqlx::Error>`: all the rows in one statement, then the
/// head moved onto the last, which the database's trigger allows only if every entry it moves
/// over is there and chained to the one before.
macro_rules! write_entries {
    ($tx:expr, $entries:expr) => {{
        let entries: &[$crate::audit::AuditEntry] = $entries;
        async {
            let Some(last) = entries.last() else {
                return Ok::<(), sqlx::Error>(());
            };
            let sql = $crate::audit::insert_entries_sql(entries.len());
            let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
            for entry in entries {
                insert = insert
                    .bind(i64::try_from(entry.seq).unwrap_or(i64::MAX))
                    .bind(&entry.recorded_at)
                    .bind(&entry.actor_user)
                    .bind(&entry.actor_organisation)
                    .bind(&entry.action)
                    .bind(&entry.case_id)
                    .bind(&entry.outcome)
                    .bind(&entry.subject)
                    .bind(entry.prev_hash.to_vec())
                    .bind(entry.hash.to_vec());
            }
            insert.execute(&mut *$tx).await?;
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(i64::try_from(last.seq).unwrap_or(i64::MAX))
                .bind(last.hash.to_vec())
                .execute(&mut *$tx)
                .await?;
            Ok(())
        }
        .await
    }};
}
pub(crate) use write_entries;

/// Appends `$record` at `$at` to the chain inside the open transaction `$tx`, MAC'd with
/// `$key`, returning the entry's sequence number as `Result<u64, sqlx::Error>`: the head is
/// locked, the entry inserted, and only then does the head move onto it.
macro_rules! append_audit {
    ($tx:expr, $key:expr, $record:expr, $at:expr) => {{
        let key: &$crate::audit::AuditKey = $key;
        let record: &$crate::audit::AuditRecord = $record;
        async {
            let (prev_seq, prev) = $crate::audit::lock_head!($tx)?;
            let entry = $crate::audit::entry_after(key, record, $at, prev_seq, prev);
            $crate::audit::write_entries!($tx, std::slice::from_ref(&entry))?;
            Ok::<u64, sqlx::Error>(entry.seq)
        }
        .await
    }};
}
pub(crate) use append_audit;

pub(crate) fn to_hash(bytes: Vec<u8>) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("an audit hash is not 32 bytes".to_owned()))
}

impl Store {
    /// Appends one entry to the audit chain in its own transaction; returns its sequence
    /// number. Changes to cases record theirs inside the change's own transaction instead
    /// (see [`crate::Append::audit`]).
    pub async fn audit(&self, record: &AuditRecord, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let _turn = self.write_turn().await;
        let seq = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let seq = append_audit!(tx, &self.audit_key, record, at)?;
            tx.commit().await?;
            seq
        });
        Ok(seq)
    }

    /// Reads entries with `seq` in `from..` (at most `limit`).
    pub async fn audit_entries(
        &self,
        from: u64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_page(from, u64::MAX, limit).await
    }

    /// Reads entries with `seq` in `from..=through` (at most `limit`).
    pub(crate) async fn audit_page(
        &self,
        from: u64,
        through: u64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = on_pool!(self, pool => {
            let rows = sqlx::query("SELECT seq, recorded_at, actor_user, actor_organisation, action, case_id, outcome, subject, prev_hash, hash FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT $3")
                .bind(i64::try_from(from).unwrap_or(i64::MAX))
                .bind(i64::try_from(through).unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let seq: i64 = row.try_get("seq")?;
                out.push((
                    seq,
                    row.try_get::<String, _>("recorded_at")?,
                    row.try_get::<String, _>("actor_user")?,
                    row.try_get::<String, _>("actor_organisation")?,
                    row.try_get::<String, _>("action")?,
                    row.try_get::<Option<String>, _>("case_id")?,
                    row.try_get::<String, _>("outcome")?,
                    row.try_get::<Option<String>, _>("subject")?,
                    row.try_get::<Vec<u8>, _>("prev_hash")?,
                    row.try_get::<Vec<u8>, _>("hash")?,
                ));
            }
            out
        });
        rows.into_iter()
            .map(
                |(
                    seq,
                    recorded_at,
                    actor_user,
                    actor_organisation,
                    action,
                    case_id,
                    outcome,
                    subject,
                    prev,
                    hash,
                )| {
                    Ok(AuditEntry {
                        seq: u64::try_from(seq).unwrap_or(0),
                        recorded_at,
                        actor_user,
                        actor_organisation,
                        action,
                        case_id,
                        outcome,
                        subject,
                        prev_hash: to_hash(prev)?,
                        hash: to_hash(hash)?,
                    })
                },
            )
            .collect()
    }

    /// The entries about one case, oldest first: its access history.
    pub async fn audit_for_case(&self, case_id: CaseId) -> Result<Vec<AuditEntry>, StoreError> {
        let seqs: Vec<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT seq FROM audit_log WHERE case_id = $1 ORDER BY seq")
                .bind(case_id.to_string())
                .fetch_all(pool)
                .await?
        });
        let mut out = Vec::with_capacity(seqs.len());
        for seq in seqs {
            out.extend(
                self.audit_entries(u64::try_from(seq).unwrap_or(0), 1)
                    .await?,
            );
        }
        Ok(out)
    }
}
