//! Group commit: concurrent appends share one durable transaction.
//!
//! A durable commit costs a flush to disk (SQLite's WAL with `synchronous=FULL`, PostgreSQL's
//! WAL with `synchronous_commit`), and appends cannot overlap their commits: SQLite has one
//! writer, and on both engines every append moves the audit head, whose row lock is held until
//! the commit returns. One commit per append therefore caps acknowledged appends at the
//! single-row commit rate, below it once the append's own statements are counted.
//!
//! So every [`Store::append`](crate::Store::append) goes through one committer task. Callers
//! build their statements (and seal their vault records) themselves, in parallel, and queue
//! them; the committer takes whatever is queued (up to [`MAX_BATCH`]) and writes it as one
//! transaction:
//!
//! - each append inside its own savepoint: a stale version, a draft already claimed, a
//!   clashing reference or any failed statement rolls back to that savepoint only and is
//!   reported to that append's caller; the others go on;
//! - then the audit entries of the appends that were written, chained in order after the head
//!   (locked only now, so no entry is ever written for an append that was rolled back, and the
//!   head never moves for one);
//! - then one COMMIT. Every caller's answer is sent only after it returned; if anything at the
//!   level of the batch fails (the connection, a savepoint, the audit entries, the commit)
//!   every written append of the batch fails with [`StoreError::CommitFailed`] and none is
//!   acknowledged.
//!
//! There is no waiting to fill a batch: at low load a batch is the one append that arrived,
//! and under load it is whatever queued while the previous commit ran. All appends come here,
//! not only new cases: decisions and lifecycle actions move the same audit head, and on SQLite
//! the same single writer, so they gain the same way and keep one order for the chain.
//!
//! [`StoreError::CommitFailed`]: crate::StoreError::CommitFailed

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::audit::{AuditEntry, AuditKey, AuditRecord};
use crate::statement::{Statement, execute_all};
use crate::{Pool, on_pool};

/// The most appends one transaction carries. PostgreSQL keeps up to 64 subtransactions of a
/// transaction in shared memory; beyond that every other session's snapshots get slower.
pub(crate) const MAX_BATCH: usize = 64;

/// How an append's statements ended inside its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    Done,
    /// The stream was not at the expected version: rolled back to the savepoint.
    Stale,
    /// The draft was already claimed: rolled back to the savepoint.
    DraftClaimed,
}

/// What the committer answers one append.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The batch committed; this is how the append's own statements ended.
    Written(Written),
    /// One of the append's statements failed; it was rolled back to its savepoint and the rest
    /// of the batch went on.
    Failed(sqlx::Error),
    /// The batch's transaction did not commit: nothing of this append was written.
    BatchFailed,
}

/// One append, ready to write, and where its answer goes.
#[derive(Debug)]
struct Job {
    statements: Vec<Statement>,
    claim_at: Option<usize>,
    audit: Option<(AuditRecord, DateTime<Utc>)>,
    reply: oneshot::Sender<Outcome>,
}

/// Counts of what the committer has done, for benchmarks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupCommitStats {
    /// Transactions the committer has started (committed or not).
    pub batches: u64,
    /// Appends taken into those transactions.
    pub appends: u64,
    /// Appends queued and not yet taken into a batch.
    pub waiting: usize,
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    appends: AtomicU64,
    waiting: AtomicUsize,
}

/// The handle appends are queued through. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Committer {
    queue: mpsc::UnboundedSender<Job>,
    counters: Arc<Counters>,
}

/// What the committer task owns: no handle to its own queue, so it ends when the last store
/// holding the queue is dropped.
#[derive(Debug)]
struct Writer {
    pool: Pool,
    audit_key: AuditKey,
    write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
    counters: Arc<Counters>,
}

impl Committer {
    /// Starts the committer task on the current Tokio runtime.
    pub(crate) fn start(
        pool: Pool,
        audit_key: AuditKey,
        write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
    ) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let writer = Writer {
            pool,
            audit_key,
            write_gate,
            counters: counters.clone(),
        };
        tokio::spawn(writer.run(jobs));
        Self { queue, counters }
    }

    /// Queues an append's `statements` and waits for its batch to end. The first statement
    /// changing no row means the stream was not at the expected version; so does statement
    /// `claim_at`, when given, mean the draft was already claimed. `audit` is the append's
    /// audit entry, written only if the append is.
    pub(crate) async fn write(
        &self,
        statements: Vec<Statement>,
        claim_at: Option<usize>,
        audit: Option<(AuditRecord, DateTime<Utc>)>,
    ) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            statements,
            claim_at,
            audit,
            reply,
        };
        self.counters.waiting.fetch_add(1, Ordering::SeqCst);
        if self.queue.send(job).is_err() {
            self.counters.waiting.fetch_sub(1, Ordering::SeqCst);
            return Outcome::BatchFailed;
        }
        // A dropped answer means the committer stopped (its runtime is shutting down) before
        // the batch ended: nothing is acknowledged.
        answer.await.unwrap_or(Outcome::BatchFailed)
    }

    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            batches: self.counters.batches.load(Ordering::SeqCst),
            appends: self.counters.appends.load(Ordering::SeqCst),
            waiting: self.counters.waiting.load(Ordering::SeqCst),
        }
    }
}

impl Writer {
    async fn run(self, mut queue: mpsc::UnboundedReceiver<Job>) {
        while let Some(first) = queue.recv().await {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            self.counters
                .waiting
                .fetch_sub(jobs.len(), Ordering::SeqCst);
            self.counters.batches.fetch_add(1, Ordering::SeqCst);
            self.counters
                .appends
                .fetch_add(jobs.len() as u64, Ordering::SeqCst);
            let mut outcomes = Vec::with_capacity(jobs.len());
            let written = {
                let _turn = match &self.write_gate {
                    Some(gate) => Some(gate.lock().await),
                    None => None,
                };
                self.write_batch(&jobs, &mut outcomes).await
            };
            if let Err(e) = &written {
                // The cause is logged here once, by its code: database messages can quote the
                // values involved.
                tracing::error!(
                    error = failure_kind(e),
                    appends = jobs.len(),
                    "a group commit failed; none of its appends was acknowledged"
                );
            }
            for (i, job) in jobs.into_iter().enumerate() {
                let outcome = match outcomes.get_mut(i).and_then(Option::take) {
                    // Written, but the batch did not commit.
                    Some(Ok(Written::Done)) if written.is_err() => Outcome::BatchFailed,
                    Some(Ok(written)) => Outcome::Written(written),
                    // Failed on its own, before anything went wrong with the batch: its own
                    // answer is still the true one.
                    Some(Err(e)) => Outcome::Failed(e),
                    // Not reached, or its caller had gone.
                    None => Outcome::BatchFailed,
                };
                // A caller that stopped waiting has nothing to be told.
                let _ = job.reply.send(outcome);
            }
        }
    }

    /// Writes `jobs` in one transaction, pushing each one's outcome onto `outcomes` as it is
    /// known (`None`: skipped), and returns the error that stopped the whole batch, if one
    /// did: then nothing was committed, and the jobs after the last outcome were not reached.
    async fn write_batch(
        &self,
        jobs: &[Job],
        outcomes: &mut Vec<Option<Result<Written, sqlx::Error>>>,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Whether the last append's savepoint is still open (it was written): it is
            // released in the same round trip that opens the next one. Released, not left
            // nested: SQLite keeps the pages every open savepoint may need in a sub-journal,
            // which past 64 KiB spills to a file.
            let mut open = false;
            for job in jobs {
                if job.reply.is_closed() {
                    // Its caller stopped waiting (a dropped request): left unwritten, as an
                    // append abandoned before its own commit always was.
                    outcomes.push(None);
                    continue;
                }
                let begin = if open {
                    "RELEASE SAVEPOINT append; SAVEPOINT append"
                } else {
                    "SAVEPOINT append"
                };
                sqlx::raw_sql(begin).execute(&mut *tx).await?;
                let written = match execute_all!(tx, &job.statements) {
                    Ok(affected) if affected.first() == Some(&0) => Ok(Written::Stale),
                    Ok(affected)
                        if job.claim_at.is_some_and(|i| affected.get(i) == Some(&0)) =>
                    {
                        Ok(Written::DraftClaimed)
                    }
                    Ok(_) => Ok(Written::Done),
                    Err(e) => Err(e),
                };
                open = matches!(written, Ok(Written::Done));
                if !open {
                    sqlx::raw_sql("ROLLBACK TO SAVEPOINT append; RELEASE SAVEPOINT append")
                        .execute(&mut *tx)
                        .await?;
                }
                outcomes.push(Some(written));
            }
            let audited: Vec<&(AuditRecord, DateTime<Utc>)> = jobs
                .iter()
                .zip(outcomes.iter())
                .filter(|(_, outcome)| matches!(outcome, Some(Ok(Written::Done))))
                .filter_map(|(job, _)| job.audit.as_ref())
                .collect();
            if !audited.is_empty() {
                let (mut seq, mut prev) = crate::audit::lock_head!(tx)?;
                let mut entries: Vec<AuditEntry> = Vec::with_capacity(audited.len());
                for (record, at) in audited {
                    let entry = crate::audit::entry_after(&self.audit_key, record, *at, seq, prev);
                    seq = entry.seq;
                    prev = entry.hash;
                    entries.push(entry);
                }
                crate::audit::write_entries!(tx, &entries)?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// A name for a batch's failure that quotes no data: the database's error code, or the kind.
fn failure_kind(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("database error {code}"),
            None => "database error".to_owned(),
        },
        sqlx::Error::PoolClosed => "pool closed".to_owned(),
        sqlx::Error::PoolTimedOut => "pool timed out".to_owned(),
        sqlx::Error::Io(_) => "i/o error".to_owned(),
        _ => "connection or protocol error".to_owned(),
    }
}
