//! The audit log: every read of a case and every change, submission, refusal and sweep, as an
//! append-only, hash-chained record of who did what to which case, when, and the outcome.
//!
//! Entries hold identifiers and codes only, never personal data. The database refuses UPDATE
//! and DELETE on the log (triggers on both engines); the chain makes any edit, deletion,
//! reordering or truncation detectable by [`Store::verify_audit`] (`nrm audit verify`).

pub mod chain;

use chrono::{DateTime, Utc};
use nrm_domain::Actor;
use nrm_domain::ids::CaseId;
use sqlx::Row;

pub use chain::{AuditEntry, ChainBreak, Hash};
use chain::{Verifier, next_entry};

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
}

/// Appends `$record` at `$at` to the chain inside the open transaction `$tx`, returning the
/// entry's sequence number as `Result<i64, sqlx::Error>`. Taking the head row serialises
/// appenders (a row lock on PostgreSQL; the write gate on SQLite).
macro_rules! append_audit {
    ($tx:expr, $record:expr, $at:expr) => {{
        let record: &$crate::audit::AuditRecord = $record;
        let recorded_at = $at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        async {
            let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut *$tx)
                .await?;
            let seq: i64 = sqlx::Row::try_get(&head, "seq")?;
            let prev: Vec<u8> = sqlx::Row::try_get(&head, "hash")?;
            let prev: $crate::audit::Hash = prev
                .try_into()
                .map_err(|_| sqlx::Error::Protocol("an audit hash is not 32 bytes".to_owned()))?;
            let entry = $crate::audit::chain::next_entry(
                u64::try_from(seq - 1).unwrap_or(0),
                prev,
                recorded_at,
                record.actor.user.to_string(),
                record.actor.organisation.to_string(),
                record.action.clone(),
                record.case_id.map(|c| c.to_string()),
                record.outcome.clone(),
                record.subject.clone(),
            );
            sqlx::query("INSERT INTO audit_log (seq, recorded_at, actor_user, actor_organisation, action, case_id, outcome, subject, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(seq)
                .bind(&entry.recorded_at)
                .bind(&entry.actor_user)
                .bind(&entry.actor_organisation)
                .bind(&entry.action)
                .bind(&entry.case_id)
                .bind(&entry.outcome)
                .bind(&entry.subject)
                .bind(entry.prev_hash.to_vec())
                .bind(entry.hash.to_vec())
                .execute(&mut *$tx)
                .await?;
            sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                .bind(entry.hash.to_vec())
                .execute(&mut *$tx)
                .await?;
            Ok::<i64, sqlx::Error>(seq)
        }
        .await
    }};
}
pub(crate) use append_audit;

/// Rows fetched per page while verifying, so memory stays flat however long the log is.
const VERIFY_PAGE: i64 = 10_000;

fn to_hash(bytes: Vec<u8>) -> Result<Hash, StoreError> {
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
            let seq = append_audit!(tx, record, at)?;
            tx.commit().await?;
            seq
        });
        Ok(u64::try_from(seq).unwrap_or(0))
    }

    /// Reads entries with `seq` in `from..` (at most `limit`).
    pub async fn audit_entries(
        &self,
        from: u64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = on_pool!(self, pool => {
            let rows = sqlx::query("SELECT seq, recorded_at, actor_user, actor_organisation, action, case_id, outcome, subject, prev_hash, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2")
                .bind(i64::try_from(from).unwrap_or(i64::MAX))
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

    /// Verifies the whole chain, streaming it in pages. `Ok(Err(break))` names the first entry
    /// that does not verify; `Err` is a failure to read.
    pub async fn verify_audit(&self) -> Result<Result<AuditReport, ChainBreak>, StoreError> {
        let (head_seq, head_hash) = on_pool!(self, pool => {
            let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(pool).await?;
            (row.try_get::<i64, _>("seq")?, row.try_get::<Vec<u8>, _>("hash")?)
        });
        let mut verifier = Verifier::default();
        let mut next = 1u64;
        loop {
            let page = self.audit_entries(next, VERIFY_PAGE).await?;
            let Some(last) = page.last().map(|e| e.seq) else {
                break;
            };
            for entry in &page {
                if let Err(e) = verifier.push(entry) {
                    return Ok(Err(e));
                }
            }
            next = last + 1;
        }
        Ok(verifier
            .finish(u64::try_from(head_seq).unwrap_or(0), to_hash(head_hash)?)
            .map(|entries| AuditReport { entries }))
    }
}

/// Fills the audit log with `count` synthetic entries in large transactions, for
/// `nrm bench audit`. Never used by the service.
pub async fn bulk_fill_for_benchmark(store: &Store, count: u64) -> Result<(), StoreError> {
    let crate::Pool::Sqlite(pool) = &store.pool else {
        return Err(StoreError::BadUrl(
            "the audit benchmark runs on SQLite".to_owned(),
        ));
    };
    let mut prev = chain::GENESIS;
    let mut seq = 0u64;
    let at = "2026-01-01T00:00:00.000000Z".to_owned();
    while seq < count {
        let mut tx = pool.begin().await?;
        let batch_end = (seq + 50_000).min(count);
        while seq < batch_end {
            let entry = next_entry(
                seq,
                prev,
                at.clone(),
                "00000000-0000-4000-8000-000000000001".to_owned(),
                "00000000-0000-4000-8000-000000000101".to_owned(),
                "case.read".to_owned(),
                Some(uuid::Uuid::from_u128(u128::from(seq)).to_string()),
                "ok".to_owned(),
                None,
            );
            sqlx::query("INSERT INTO audit_log (seq, recorded_at, actor_user, actor_organisation, action, case_id, outcome, subject, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(i64::try_from(entry.seq).unwrap_or(i64::MAX))
                .bind(&entry.recorded_at)
                .bind(&entry.actor_user)
                .bind(&entry.actor_organisation)
                .bind(&entry.action)
                .bind(&entry.case_id)
                .bind(&entry.outcome)
                .bind(&entry.subject)
                .bind(entry.prev_hash.to_vec())
                .bind(entry.hash.to_vec())
                .execute(&mut *tx)
                .await?;
            prev = entry.hash;
            seq += 1;
        }
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(prev.to_vec())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}
