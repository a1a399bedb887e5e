//! Verifying the audit log: the keyed chain against the head the database keeps, and against
//! the signed checkpoints kept outside it; and taking a new checkpoint only of a chain that
//! still verifies.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::Row;

use super::chain::{ChainBreak, GENESIS, Hash, Verifier, constant_time_eq};
use super::checkpoint::{self, Checkpoint, CheckpointFile};
use super::{AuditEntry, AuditReport, to_hash};
use crate::{Store, StoreError, on_pool};

/// Rows fetched per page while verifying, so memory stays flat however long the log is.
const VERIFY_PAGE: i64 = 10_000;

/// Something found wrong with the audit log or its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditProblem {
    /// An entry does not verify: edited, re-chained (without the key, or with another),
    /// removed from the middle, or the head disagrees with the last entry.
    #[error("{0}")]
    Broken(ChainBreak),
    /// A checkpoint recorded entries the log no longer has: its tail was removed.
    #[error(
        "entries {from}..{to} are missing: checkpoint {checkpoint} recorded entry {to}, but the log ends at entry {}",
        from - 1
    )]
    Missing {
        from: u64,
        to: u64,
        checkpoint: String,
    },
    /// The chain's MAC at a checkpoint's entry is not the one the checkpoint recorded.
    #[error(
        "entry {seq} differs from checkpoint {checkpoint}: the log was rewritten at or before entry {seq}"
    )]
    Rewritten { seq: u64, checkpoint: String },
    /// A checkpoint recorded a different first keyed entry: the marker in the database moved.
    #[error(
        "checkpoint {checkpoint} records the chain as keyed from entry {recorded}, the database says {found}"
    )]
    KeyingMoved {
        recorded: u64,
        found: u64,
        checkpoint: String,
    },
    /// A checkpoint file that cannot be trusted.
    #[error("checkpoint {checkpoint} cannot be trusted: {reason}")]
    BadCheckpoint {
        checkpoint: String,
        reason: &'static str,
    },
}

impl AuditProblem {
    /// The first entry the problem concerns, if it concerns one.
    pub fn first_seq(&self) -> Option<u64> {
        match self {
            Self::Broken(b) => Some(b.seq),
            Self::Missing { from, .. } => Some(*from),
            Self::Rewritten { seq, .. } => Some(*seq),
            Self::KeyingMoved {
                recorded, found, ..
            } => Some(*recorded.min(found)),
            Self::BadCheckpoint { .. } => None,
        }
    }
}

/// The outcome of verifying the log against its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerdict {
    /// Entries that verified (all of them, when there are no problems).
    pub entries: u64,
    /// How many of those predate the audit key and were checked by their unkeyed hash.
    pub unkeyed: u64,
    /// Checkpoints whose signature verified and that were compared with the chain.
    pub checkpoints: usize,
    /// Everything wrong, checkpoints that cannot be trusted first, then by entry.
    pub problems: Vec<AuditProblem>,
}

impl AuditVerdict {
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// How streaming the chain ended: at an entry that does not verify, or at the end, checked
/// against the head.
enum Streamed {
    Broken(ChainBreak),
    Ended(Result<u64, ChainBreak>),
}

impl Streamed {
    fn into_result(self) -> Result<u64, ChainBreak> {
        match self {
            Self::Broken(b) => Err(b),
            Self::Ended(end) => end,
        }
    }
}

/// The head row: the last entry's sequence number and MAC, and the first keyed entry.
#[derive(Debug, Clone, Copy)]
struct Head {
    seq: u64,
    hash: Hash,
    keyed_from: u64,
}

impl Store {
    async fn audit_head(&self) -> Result<Head, StoreError> {
        let (seq, hash, keyed_from) = on_pool!(self, pool => {
            let row = sqlx::query("SELECT seq, hash, keyed_from FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?;
            (
                row.try_get::<i64, _>("seq")?,
                row.try_get::<Vec<u8>, _>("hash")?,
                row.try_get::<i64, _>("keyed_from")?,
            )
        });
        Ok(Head {
            seq: u64::try_from(seq).unwrap_or(0),
            hash: to_hash(hash)?,
            keyed_from: u64::try_from(keyed_from).unwrap_or(0),
        })
    }

    /// Streams entries after the verifier's position up to `through`, calling `each` on every
    /// entry that verifies; stops at the first that does not.
    async fn check_entries(
        &self,
        verifier: &mut Verifier<'_>,
        through: u64,
        mut each: impl FnMut(&AuditEntry),
    ) -> Result<Option<ChainBreak>, StoreError> {
        loop {
            let next = verifier.position().0 + 1;
            if next > through {
                return Ok(None);
            }
            let page = self.audit_page(next, through, VERIFY_PAGE).await?;
            if page.is_empty() {
                return Ok(None);
            }
            for entry in &page {
                if let Err(e) = verifier.push(entry) {
                    return Ok(Some(e));
                }
                each(entry);
            }
        }
    }

    /// Streams the whole chain through `verifier` and checks its end against the head. The
    /// head is read after the entries, so entries appended meanwhile are streamed too, not
    /// taken for a log that continues past its head.
    async fn verify_to_head(
        &self,
        verifier: &mut Verifier<'_>,
        mut each: impl FnMut(&AuditEntry),
    ) -> Result<Streamed, StoreError> {
        let mut streamed_to = None;
        loop {
            if let Some(broken) = self.check_entries(verifier, u64::MAX, &mut each).await? {
                return Ok(Streamed::Broken(broken));
            }
            let head = self.audit_head().await?;
            let last = verifier.position().0;
            // Past the head, or no further than last time: the end as it stands is final.
            if head.seq <= last || streamed_to == Some(last) {
                return Ok(Streamed::Ended(verifier.finish(head.seq, head.hash)));
            }
            streamed_to = Some(last);
        }
    }

    /// Verifies the whole keyed chain against the head the database keeps, streaming it in
    /// pages. `Ok(Err(break))` names the first entry that does not verify; `Err` is a failure
    /// to read. Does not see a tail removed together with a rewound head: see
    /// [`Store::verify_audit_against`].
    pub async fn verify_audit(&self) -> Result<Result<AuditReport, ChainBreak>, StoreError> {
        let keyed_from = self.audit_head().await?.keyed_from;
        let mut verifier = Verifier::new(&self.audit_key, keyed_from);
        Ok(self
            .verify_to_head(&mut verifier, |_| {})
            .await?
            .into_result()
            .map(|entries| AuditReport {
                entries,
                unkeyed: entries.min(keyed_from.saturating_sub(1)),
            }))
    }

    /// Verifies the keyed chain against the head and against every checkpoint in `files`:
    /// a checkpoint past the last entry means the tail was removed; one whose MAC differs
    /// from the chain's at its entry means the log was rewritten.
    pub async fn verify_audit_against(
        &self,
        files: &[CheckpointFile],
    ) -> Result<AuditVerdict, StoreError> {
        let head = self.audit_head().await?;
        let mut untrusted = Vec::new();
        let mut problems = Vec::new();
        let mut trusted: Vec<(&str, &Checkpoint)> = Vec::new();
        for file in files {
            match &file.checkpoint {
                Ok(c) => trusted.push((&file.name, c)),
                Err(reason) => untrusted.push(AuditProblem::BadCheckpoint {
                    checkpoint: file.name.clone(),
                    reason,
                }),
            }
        }
        trusted.sort_by_key(|(_, c)| c.seq);
        for (name, c) in &trusted {
            if c.keyed_from != head.keyed_from {
                problems.push(AuditProblem::KeyingMoved {
                    recorded: c.keyed_from,
                    found: head.keyed_from,
                    checkpoint: (*name).to_owned(),
                });
            }
        }

        // Each checkpoint is compared with the chain as the stream passes its entry.
        let mut pending = trusted.iter().peekable();
        let mut compare = |seq: u64, hash: &Hash, problems: &mut Vec<AuditProblem>| {
            while let Some((name, c)) = pending.next_if(|(_, c)| c.seq <= seq) {
                if c.seq == seq && !constant_time_eq(&c.head, hash) {
                    problems.push(AuditProblem::Rewritten {
                        seq,
                        checkpoint: (*name).to_owned(),
                    });
                }
            }
        };
        compare(0, &GENESIS, &mut problems);
        let mut verifier = Verifier::new(&self.audit_key, head.keyed_from);
        let mut rewritten = Vec::new();
        let streamed = self
            .verify_to_head(&mut verifier, |e| compare(e.seq, &e.hash, &mut rewritten))
            .await?;
        problems.extend(rewritten);
        let (last, _) = verifier.position();
        match streamed {
            Streamed::Broken(b) => problems.push(AuditProblem::Broken(b)),
            Streamed::Ended(end) => {
                // Every checkpoint was read before the head, so none can rightly be past it.
                if let Some((name, c)) = trusted.last()
                    && c.seq > last
                {
                    problems.push(AuditProblem::Missing {
                        from: last + 1,
                        to: c.seq,
                        checkpoint: (*name).to_owned(),
                    });
                }
                if let Err(b) = end {
                    problems.push(AuditProblem::Broken(b));
                }
            }
        }
        problems.sort_by_key(|p| p.first_seq());
        untrusted.extend(problems);
        Ok(AuditVerdict {
            entries: last,
            unkeyed: last.min(head.keyed_from.saturating_sub(1)),
            checkpoints: trusted.len(),
            problems: untrusted,
        })
    }

    /// A signed checkpoint of the current head, made only if the chain still verifies: from
    /// `previous` (the last checkpoint taken) when given, which is cheap, else from the start.
    /// `Ok(Err(problem))` means the log no longer extends `previous` or does not verify, and
    /// no checkpoint should be written.
    pub async fn audit_checkpoint(
        &self,
        previous: Option<&Checkpoint>,
        now: DateTime<Utc>,
    ) -> Result<Result<Checkpoint, AuditProblem>, StoreError> {
        let head = self.audit_head().await?;
        let mut verifier = match previous {
            None => Verifier::new(&self.audit_key, head.keyed_from),
            Some(p) => {
                let name = p.file_name();
                if p.keyed_from != head.keyed_from {
                    return Ok(Err(AuditProblem::KeyingMoved {
                        recorded: p.keyed_from,
                        found: head.keyed_from,
                        checkpoint: name,
                    }));
                }
                if p.seq > 0 {
                    let at = self.audit_page(p.seq, p.seq, 1).await?;
                    match at.first() {
                        Some(e) if constant_time_eq(&e.hash, &p.head) => {}
                        Some(_) => {
                            return Ok(Err(AuditProblem::Rewritten {
                                seq: p.seq,
                                checkpoint: name,
                            }));
                        }
                        None => {
                            let last: i64 = on_pool!(self, pool => {
                                sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE seq < $1")
                                    .bind(i64::try_from(p.seq).unwrap_or(i64::MAX))
                                    .fetch_one(pool)
                                    .await?
                            });
                            return Ok(Err(AuditProblem::Missing {
                                from: u64::try_from(last).unwrap_or(0) + 1,
                                to: p.seq,
                                checkpoint: name,
                            }));
                        }
                    }
                }
                Verifier::resume(&self.audit_key, head.keyed_from, p.seq, p.head)
            }
        };
        if let Some(broken) = self.check_entries(&mut verifier, head.seq, |_| {}).await? {
            return Ok(Err(AuditProblem::Broken(broken)));
        }
        if let Err(broken) = verifier.finish(head.seq, head.hash) {
            return Ok(Err(AuditProblem::Broken(broken)));
        }
        Ok(Ok(Checkpoint {
            seq: head.seq,
            head: head.hash,
            keyed_from: head.keyed_from,
            written_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        }))
    }

    /// Writes `checkpoint`, signed with the audit key, into `dir` atomically.
    pub fn write_audit_checkpoint(
        &self,
        dir: &Path,
        checkpoint: &Checkpoint,
    ) -> std::io::Result<PathBuf> {
        checkpoint::write(dir, &self.audit_key, checkpoint)
    }

    /// Reads and checks the signature of every checkpoint file in `dir`.
    pub fn read_audit_checkpoints(&self, dir: &Path) -> std::io::Result<Vec<CheckpointFile>> {
        checkpoint::read_all(dir, &self.audit_key)
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
    let mut prev = GENESIS;
    let mut seq = 0u64;
    let at = "2026-01-01T00:00:00.000000Z".to_owned();
    while seq < count {
        let mut tx = pool.begin().await?;
        let batch_end = (seq + 50_000).min(count);
        while seq < batch_end {
            let entry = super::chain::next_entry(
                &store.audit_key,
                seq,
                prev,
                super::chain::EntryContent {
                    recorded_at: at.clone(),
                    actor_user: "00000000-0000-4000-8000-000000000001".to_owned(),
                    actor_organisation: "00000000-0000-4000-8000-000000000101".to_owned(),
                    action: "case.read".to_owned(),
                    case_id: Some(uuid::Uuid::from_u128(u128::from(seq)).to_string()),
                    outcome: "ok".to_owned(),
                    subject: None,
                },
            );
            let at_seq = i64::try_from(entry.seq).unwrap_or(i64::MAX);
            sqlx::query(super::INSERT_ENTRY)
                .bind(at_seq)
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
            // The database lets the head move one entry at a time only.
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                .bind(at_seq)
                .bind(entry.hash.to_vec())
                .execute(&mut *tx)
                .await?;
            prev = entry.hash;
            seq += 1;
        }
        tx.commit().await?;
    }
    Ok(())
}
