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
//! transaction (`batch.rs`). Each append succeeds or fails on its own: a stale version, a
//! draft already claimed, a clashing reference or any failed statement is reported to that
//! append's caller alone, with the error a lone append would get, and the others commit. The
//! audit entries of the appends that were written are chained, in order, after the head,
//! which is locked only then, so no entry is ever written, and the head never moves, for an
//! append that was not. Every caller's answer is sent only after the COMMIT returned; if
//! anything at the level of the batch fails (the connection, the audit entries, the commit)
//! every append of the batch that would have been written fails with
//! [`StoreError::CommitFailed`] and none is acknowledged.
//!
//! There is no waiting to fill a batch: at low load a batch is the one append that arrived,
//! and under load it is whatever queued while the previous commit ran. All appends come here,
//! not only new cases: decisions and lifecycle actions move the same audit head, and on SQLite
//! the same single writer, so they gain the same way and keep one order for the chain.
//!
//! [`StoreError::CommitFailed`]: crate::StoreError::CommitFailed

mod batch;
pub(crate) mod merge;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::Pool;
use crate::audit::{AuditKey, AuditRecord};
use crate::statement::Statement;

/// The most appends one transaction carries. PostgreSQL keeps up to 64 subtransactions of a
/// transaction in shared memory (beyond that every other session's snapshots get slower), and
/// the appends written one by one each take a savepoint.
pub(crate) const MAX_BATCH: usize = 64;

/// Why an episode's append (a support or guardian stream, decided at `expected` and refused
/// by its gate) was not written, from the episode's version now (`actual`): it moved on, or,
/// for a new episode, its id or its unique key (reference, case) was taken.
pub(crate) fn episode_refused(expected: u64, actual: Option<u64>) -> crate::StoreError {
    match actual {
        Some(actual) if expected > 0 => crate::StoreError::VersionConflict { expected, actual },
        Some(_) => crate::StoreError::DuplicateReference,
        None if expected == 0 => crate::StoreError::DuplicateReference,
        None => crate::StoreError::NotFound,
    }
}

/// How an append's statements ended inside its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    Done,
    /// The stream was not at the expected version (or, for a new stream, its id or reference
    /// is taken): nothing of the append was kept.
    Stale,
    /// The draft was already claimed: nothing of the append was kept.
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

impl Outcome {
    /// For a stream written outside the case tables (a guardian or support episode):
    /// `Ok(true)` written; `Ok(false)` not, refused by its gate or by a unique row written
    /// meanwhile (the caller finds out which from the stream); an error otherwise.
    pub(crate) fn written(self) -> Result<bool, crate::StoreError> {
        match self {
            Outcome::Written(Written::Done) => Ok(true),
            Outcome::Written(_) => Ok(false),
            Outcome::Failed(sqlx::Error::Database(db)) if db.is_unique_violation() => Ok(false),
            Outcome::Failed(e) => Err(e.into()),
            Outcome::BatchFailed => Err(crate::StoreError::CommitFailed),
        }
    }
}

/// One append, ready to write, and where its answer goes.
#[derive(Debug)]
struct Job {
    /// Statement `gate_at` (the first, but for a stream whose row must follow rows it refers
    /// to) is the gate: `INSERT … ON CONFLICT DO NOTHING` of a new stream's row, or the
    /// version bump of an existing one; changing no row means the append must not be written.
    statements: Vec<Statement>,
    /// Where the gate is. Appends whose gate is not the first statement are written each in
    /// its own savepoint (the statements before the gate must be undone with it).
    gate_at: usize,
    case_id: uuid::Uuid,
    /// For a new stream, the key column its gate (an `INSERT … VALUES … ON CONFLICT DO
    /// NOTHING`) writes `case_id` to: the gates of a batch's new streams are merged into one
    /// multi-row INSERT per table that returns the keys it wrote.
    new_stream: Option<&'static str>,
    /// Which statement claims a draft, when one does (changing no row: already claimed).
    claim_at: Option<usize>,
    audit: Option<(AuditRecord, DateTime<Utc>)>,
    /// The position in its batch of the job this one follows (queued together, see
    /// [`Committer::write_with`]): it is written only if that one is, after it.
    after: Option<usize>,
    reply: oneshot::Sender<Outcome>,
}

/// What one caller queues: a job, and those to write after it in the same batch.
#[derive(Debug)]
struct Queued {
    lead: Job,
    then: Vec<Job>,
}

impl Queued {
    fn len(&self) -> usize {
        1 + self.then.len()
    }

    /// Adds the jobs to `batch`, the followers marked as following their lead.
    fn into_batch(self, batch: &mut Vec<Job>) {
        let lead_at = batch.len();
        batch.push(self.lead);
        for mut then in self.then {
            then.after = Some(lead_at);
            batch.push(then);
        }
    }
}

/// An append as the committer takes it (see [`Job`] for each part; `id` is the stream's). A
/// gate after statement 0 (a support episode's, after its new vault subject) is not for new
/// streams written with `new_stream`, whose gates are merged, nor with a draft claim.
#[derive(Debug)]
pub(crate) struct Gated {
    pub(crate) statements: Vec<Statement>,
    pub(crate) gate_at: usize,
    pub(crate) id: uuid::Uuid,
    pub(crate) new_stream: Option<&'static str>,
    pub(crate) claim_at: Option<usize>,
    pub(crate) audit: Option<(AuditRecord, DateTime<Utc>)>,
}

impl Gated {
    fn job(self) -> (Job, oneshot::Receiver<Outcome>) {
        debug_assert!(self.gate_at == 0 || (self.new_stream.is_none() && self.claim_at.is_none()));
        let (reply, answer) = oneshot::channel();
        let job = Job {
            statements: self.statements,
            gate_at: self.gate_at,
            case_id: self.id,
            new_stream: self.new_stream,
            claim_at: self.claim_at,
            audit: self.audit,
            after: None,
            reply,
        };
        (job, answer)
    }
}

/// Each job's outcome as far as it is known, by position (`None`: not written, or its caller
/// had gone).
type Outcomes = Vec<Option<Result<Written, sqlx::Error>>>;

/// Counts of what the committer has done, for benchmarks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupCommitStats {
    /// Transactions the committer has started (committed or not).
    pub batches: u64,
    /// Appends taken into those transactions.
    pub appends: u64,
    /// Appends queued and not yet taken into a batch.
    pub waiting: usize,
    /// Batches whose merged statements failed and that were written again one append at a
    /// time, each in its own savepoint, to find the one at fault.
    pub retried_one_by_one: u64,
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    appends: AtomicU64,
    waiting: AtomicUsize,
    retried: AtomicU64,
}

/// The handle appends are queued through. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Committer {
    queue: mpsc::UnboundedSender<Queued>,
    counters: Arc<Counters>,
    /// The committer's own connection (to close it with the store's pool).
    pool: Pool,
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
    /// Opens the committer's connection with `open` and starts the committer, both on a
    /// thread of its own with its own single-threaded Tokio runtime.
    ///
    /// A batch is a conversation with the database: a call per merged statement, each
    /// answered by SQLite's connection thread or PostgreSQL's socket, and the next sent only
    /// when the answer is read. On the service's runtime, every answer waited behind the
    /// requests' tasks for a worker to poll the committer again, and under load every append
    /// waited with it (`nrm bench intake`: on SQLite a fifth more referrals a second on a
    /// thread of its own). The connection is opened there too, so that PostgreSQL's socket
    /// is driven by the runtime that reads it, not by the service's.
    pub(crate) async fn start<F>(
        open: F,
        audit_key: AuditKey,
        write_gate: Option<Arc<tokio::sync::Mutex<()>>>,
    ) -> Result<Self, crate::StoreError>
    where
        F: std::future::Future<Output = Result<Pool, crate::StoreError>> + Send + 'static,
    {
        let (queue, jobs) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let (opened, pool) = oneshot::channel();
        let own_counters = counters.clone();
        std::thread::Builder::new()
            .name("nrm-committer".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = opened.send(Err(crate::StoreError::Database(sqlx::Error::Io(e))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let pool = match open.await {
                        Ok(pool) => pool,
                        Err(e) => {
                            let _ = opened.send(Err(e));
                            return;
                        }
                    };
                    if opened.send(Ok(pool.clone())).is_err() {
                        return;
                    }
                    let writer = Writer {
                        pool,
                        audit_key,
                        write_gate,
                        counters: own_counters,
                    };
                    writer.run(jobs).await;
                });
            })
            .map_err(|e| crate::StoreError::Database(sqlx::Error::Io(e)))?;
        // No answer: the thread stopped (panicked) before it opened the connection.
        let pool = pool
            .await
            .map_err(|_| crate::StoreError::Database(sqlx::Error::WorkerCrashed))??;
        Ok(Self {
            queue,
            counters,
            pool,
        })
    }

    /// Closes the committer's connection (after its last batch: a batch under way holds it
    /// until its answers are sent).
    pub(crate) async fn close(&self) {
        crate::on_pool!(self, pool => pool.close().await);
    }

    /// Queues an append (see [`Gated`]) and waits for its batch to end. `claim_at`, when
    /// given, is the statement whose changing no row means the draft was already claimed;
    /// `audit` is the append's audit entry, written only if the append is.
    pub(crate) async fn write(&self, append: Gated) -> Outcome {
        self.write_with(append, Vec::new()).await.0
    }

    /// Writes `lead` and then `then` (each on a stream of its own, whose rows may refer to
    /// the lead's: a new referral's person linkage and support episode after its new case) in
    /// one batch, so that the caller waits on one durable commit for all of them. The
    /// followers are written only if `lead` is, and each fails or is refused alone: the lead's
    /// outcome does not depend on them. At most [`MAX_BATCH`] jobs in all.
    pub(crate) async fn write_with(
        &self,
        lead: Gated,
        then: Vec<Gated>,
    ) -> (Outcome, Vec<Outcome>) {
        debug_assert!(then.len() < MAX_BATCH);
        let (lead, lead_answer) = lead.job();
        let (then, answers): (Vec<Job>, Vec<_>) = then.into_iter().map(Gated::job).unzip();
        let count = answers.len();
        if !self.send(Queued { lead, then }) {
            return (
                Outcome::BatchFailed,
                (0..count).map(|_| Outcome::BatchFailed).collect(),
            );
        }
        // A dropped answer means the committer stopped (its runtime is shutting down) before
        // the batch ended: nothing is acknowledged.
        let lead = lead_answer.await.unwrap_or(Outcome::BatchFailed);
        let mut then = Vec::with_capacity(count);
        for answer in answers {
            then.push(answer.await.unwrap_or(Outcome::BatchFailed));
        }
        (lead, then)
    }

    /// Queues `queued`; false when the committer has stopped.
    fn send(&self, queued: Queued) -> bool {
        let count = queued.len();
        self.counters.waiting.fetch_add(count, Ordering::SeqCst);
        if self.queue.send(queued).is_err() {
            self.counters.waiting.fetch_sub(count, Ordering::SeqCst);
            return false;
        }
        true
    }

    pub(crate) fn stats(&self) -> GroupCommitStats {
        GroupCommitStats {
            batches: self.counters.batches.load(Ordering::SeqCst),
            appends: self.counters.appends.load(Ordering::SeqCst),
            waiting: self.counters.waiting.load(Ordering::SeqCst),
            retried_one_by_one: self.counters.retried.load(Ordering::SeqCst),
        }
    }
}

impl Writer {
    async fn run(self, mut queue: mpsc::UnboundedReceiver<Queued>) {
        // What was taken from the queue but did not fit the last batch (a pair at its cap).
        let mut held: Option<Queued> = None;
        loop {
            let first = match held.take() {
                Some(queued) => queued,
                None => match queue.recv().await {
                    Some(queued) => queued,
                    None => break,
                },
            };
            let mut jobs = Vec::with_capacity(MAX_BATCH);
            first.into_batch(&mut jobs);
            while jobs.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(queued) if jobs.len() + queued.len() <= MAX_BATCH => {
                        queued.into_batch(&mut jobs);
                    }
                    Ok(queued) => {
                        held = Some(queued);
                        break;
                    }
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
            let mut outcomes: Outcomes = jobs.iter().map(|_| None).collect();
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
