//! Writing one batch of appends as one transaction.
//!
//! First merged ([`Writer::write_merged`]), in as few database calls as the batch allows:
//!
//! 1. appends that claim a draft, each whole in its own savepoint (they are few, and their
//!    claim can fail after their stream row was written), and those whose gate follows rows
//!    it refers to (a new support episode's vault subject), which must be undone with it;
//! 2. the gates of the others: each existing stream's version bump, and one multi-row
//!    `INSERT … ON CONFLICT DO NOTHING RETURNING` for the new streams of each table (cases,
//!    persons). An append whose gate changes nothing (a taken id or reference, a stale
//!    version) has written nothing, so it needs no savepoint to be left out;
//! 3. the remaining statements of the appends that passed, merged table by table
//!    (`merge.rs`): the passed appends are on different streams, so their statements commute;
//! 4. the audit entries, then COMMIT.
//!
//! A job queued to follow another ([`Committer::write_with`]: a new referral's person linkage
//! and support episode after its case) is written in a second round of steps 1 to 3, after
//! every job that follows none, and only if its lead passed its gate: its rows may refer to
//! any of the lead's (a person's referral row to the case's, an episode to the case's vault
//! subject). Written one by one, it comes straight after its lead and is left out when the
//! lead was not written.
//!
//! A statement failing in 2 or 3 is not expected (the gates are what fails in normal use),
//! and it does not say which append is at fault: the transaction is rolled back and the batch
//! written again one append at a time ([`Writer::write_one_by_one`]), each in its own
//! savepoint, so that the one at fault fails alone and the others commit.

use chrono::{DateTime, Utc};

#[cfg(doc)]
use super::Committer;
use super::merge;
use super::{Job, Outcomes, Writer, Written};
use crate::audit::{AuditEntry, AuditRecord};
use crate::on_pool;
use crate::statement::{Dialect, bind_values, execute_all};

/// How the merged attempt ended.
enum Merged {
    Committed,
    /// A statement failed: rolled back, to be written one append at a time.
    RolledBack,
}

/// Runs `$job`'s statements in a savepoint on `$tx`, releasing the previous append's savepoint
/// in the same round trip when `$open` says it is still open (and setting `$open` for the
/// next). Evaluates to `Result<Result<Written, sqlx::Error>, sqlx::Error>`: the outer error is
/// the batch's (a savepoint could not be taken or rolled back), the inner the append's own.
///
/// Savepoints are released, not left nested: SQLite keeps the pages any open savepoint may
/// need in a sub-journal.
macro_rules! in_savepoint {
    ($tx:expr, $job:expr, $open:expr) => {{
        let job: &Job = $job;
        async {
            let begin = if $open {
                "RELEASE SAVEPOINT append; SAVEPOINT append"
            } else {
                "SAVEPOINT append"
            };
            sqlx::raw_sql(begin).execute(&mut *$tx).await?;
            // Up to the gate first: if it changes nothing, nothing after it is run.
            let through = job.statements.len().min(job.gate_at + 1);
            let (gate, rest) = job.statements.split_at(through);
            let written = match execute_all!($tx, gate) {
                Ok(affected) if affected.get(job.gate_at) == Some(&0) => Ok(Written::Stale),
                Ok(_) => match execute_all!($tx, rest) {
                    Ok(affected)
                        if job
                            .claim_at
                            .is_some_and(|i| affected.get(i.wrapping_sub(through)) == Some(&0)) =>
                    {
                        Ok(Written::DraftClaimed)
                    }
                    Ok(_) => Ok(Written::Done),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            $open = matches!(written, Ok(Written::Done));
            if !$open {
                sqlx::raw_sql("ROLLBACK TO SAVEPOINT append; RELEASE SAVEPOINT append")
                    .execute(&mut *$tx)
                    .await?;
            }
            Ok::<Result<Written, sqlx::Error>, sqlx::Error>(written)
        }
        .await
    }};
}

/// Chains the audit entries of the jobs written (in batch order) after the head, inside
/// `$tx`. Evaluates to `Result<(), sqlx::Error>`.
macro_rules! write_audit {
    ($tx:expr, $writer:expr, $jobs:expr, $outcomes:expr) => {{
        let jobs: &[Job] = $jobs;
        let outcomes: &Outcomes = $outcomes;
        let audited: Vec<&(AuditRecord, DateTime<Utc>)> = jobs
            .iter()
            .zip(outcomes.iter())
            .filter(|(_, outcome)| matches!(outcome, Some(Ok(Written::Done))))
            .filter_map(|(job, _)| job.audit.as_ref())
            .collect();
        async {
            if audited.is_empty() {
                return Ok::<(), sqlx::Error>(());
            }
            let (mut seq, mut prev) = crate::audit::lock_head!($tx)?;
            let mut entries: Vec<AuditEntry> = Vec::with_capacity(audited.len());
            for (record, at) in audited {
                let entry = crate::audit::entry_after(&$writer.audit_key, record, *at, seq, prev);
                seq = entry.seq;
                prev = entry.hash;
                entries.push(entry);
            }
            crate::audit::write_entries!($tx, &entries)
        }
        .await
    }};
}

impl Writer {
    /// Writes `jobs` as one transaction, setting each one's outcome in `outcomes` as it is
    /// known, and returns the error that stopped the whole batch, if one did (then nothing was
    /// committed).
    pub(super) async fn write_batch(
        &self,
        jobs: &[Job],
        outcomes: &mut Outcomes,
    ) -> Result<(), sqlx::Error> {
        if let Merged::Committed = self.write_merged(jobs, outcomes).await? {
            return Ok(());
        }
        self.counters
            .retried
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        outcomes.iter_mut().for_each(|o| *o = None);
        self.write_one_by_one(jobs, outcomes).await
    }

    /// The merged attempt (see the module documentation).
    async fn write_merged(
        &self,
        jobs: &[Job],
        outcomes: &mut Outcomes,
    ) -> Result<Merged, sqlx::Error> {
        let waiting = |job: &Job| !job.reply.is_closed();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;

            let alone = |job: &Job| job.claim_at.is_some() || job.gate_at > 0;
            let mut failed = false;
            // The jobs whose gates passed in the rounds before.
            let mut written: Vec<usize> = Vec::new();
            // Steps 1 to 3 for the jobs that follow no other, then again for those that follow
            // one (a referral's person linkage and support episode after its new case) whose
            // lead passed: a follower is written after the whole of its lead, so its rows may
            // refer to any of the lead's, and never without it.
            for following in [false, true] {
                if failed {
                    break;
                }
                let mut passed: Vec<usize> = Vec::new();
                let round: Vec<usize> = jobs
                    .iter()
                    .enumerate()
                    .filter(|(_, job)| job.after.is_some() == following && waiting(job))
                    .filter(|(_, job)| {
                        job.after.is_none_or(|lead| {
                            written.contains(&lead)
                                || matches!(outcomes[lead], Some(Ok(Written::Done)))
                        })
                    })
                    .map(|(i, _)| i)
                    .collect();

                // 1. Draft claims, and appends whose gate follows other rows, each in a
                // savepoint.
                let mut open = false;
                for &i in &round {
                    if alone(&jobs[i]) {
                        outcomes[i] = Some(in_savepoint!(tx, &jobs[i], open)?);
                    }
                }
                if open {
                    sqlx::raw_sql("RELEASE SAVEPOINT append").execute(&mut *tx).await?;
                }

                // 2. The gates.
                for &i in &round {
                    let job = &jobs[i];
                    if alone(job) || job.new_stream.is_some() {
                        continue;
                    }
                    let Some(gate) = job.statements.first() else {
                        continue;
                    };
                    let query = bind_values!(sqlx::query(sqlx::AssertSqlSafe(gate.sql.clone())), &gate.values);
                    match query.execute(&mut *tx).await {
                        Ok(r) if r.rows_affected() == 0 => outcomes[i] = Some(Ok(Written::Stale)),
                        Ok(_) => passed.push(i),
                        Err(_) => {
                            failed = true;
                            break;
                        }
                    }
                }
                // The new streams' gates, one multi-row INSERT per gate (a batch's new cases
                // in one, its new persons in another), each returning the keys it wrote.
                let mut new: Vec<(&str, &str, Vec<usize>)> = Vec::new();
                for &i in &round {
                    let job = &jobs[i];
                    let (Some(key), Some(gate)) = (job.new_stream, job.statements.first()) else {
                        continue;
                    };
                    if alone(job) {
                        continue;
                    }
                    match new.iter_mut().find(|(sql, k, _)| *sql == gate.sql.as_ref() && *k == key) {
                        Some((_, _, members)) => members.push(i),
                        None => new.push((gate.sql.as_ref(), key, vec![i])),
                    }
                }
                for (sql, key, members) in &new {
                    if failed {
                        break;
                    }
                    let gates: Vec<_> = members.iter().filter_map(|&i| jobs[i].statements.first()).collect();
                    let columns = gates.first().map_or(0, |g| g.values.len());
                    let same = gates.iter().all(|g| g.values.len() == columns);
                    match merge::multi_row(sql, columns, members.len()).filter(|_| same) {
                        Some(sql) => {
                            let sql = Dialect::sql(pool, &format!("{sql} RETURNING {key}")).into_owned();
                            let values = gates.iter().flat_map(|g| g.values.iter());
                            let query = bind_values!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), values);
                            match query.fetch_all(&mut *tx).await {
                                Ok(inserted) => {
                                    let inserted: Vec<uuid::Uuid> = inserted;
                                    for &i in members {
                                        if inserted.contains(&jobs[i].case_id) {
                                            passed.push(i);
                                        } else {
                                            outcomes[i] = Some(Ok(Written::Stale));
                                        }
                                    }
                                }
                                Err(_) => failed = true,
                            }
                        }
                        // Not the one shape the gate of a new stream has: left to the
                        // one-by-one writing, which needs no shape.
                        None => failed = true,
                    }
                }
                passed.sort_unstable();

                // The passed appends (and the drafts written) must be on different streams for
                // their statements to commute; two on one stream are written one by one.
                let mut streams: Vec<uuid::Uuid> = jobs
                    .iter()
                    .zip(outcomes.iter())
                    .filter(|(_, o)| matches!(o, Some(Ok(Written::Done))))
                    .map(|(job, _)| job.case_id)
                    .chain(written.iter().chain(&passed).map(|&i| jobs[i].case_id))
                    .collect();
                let count = streams.len();
                streams.sort_unstable();
                streams.dedup();
                failed |= streams.len() != count;

                // 3. The rest, merged.
                if !failed {
                    let rest: Vec<&[crate::statement::Statement]> = passed
                        .iter()
                        .map(|&i| jobs[i].statements.get(1..).unwrap_or_default())
                        .collect();
                    for call in merge::schedule(&rest) {
                        let sql = Dialect::sql(pool, &call.sql).into_owned();
                        let query = bind_values!(sqlx::query(sqlx::AssertSqlSafe(sql)), &call.values);
                        if query.execute(&mut *tx).await.is_err() {
                            failed = true;
                            break;
                        }
                    }
                }
                written.extend(passed);
            }
            if failed {
                tx.rollback().await?;
                return Ok(Merged::RolledBack);
            }
            for &i in &written {
                outcomes[i] = Some(Ok(Written::Done));
            }

            // 4. Audit, commit.
            write_audit!(tx, self, jobs, outcomes)?;
            tx.commit().await?;
        });
        Ok(Merged::Committed)
    }

    /// Writes `jobs` one after another in one transaction, each in its own savepoint.
    async fn write_one_by_one(
        &self,
        jobs: &[Job],
        outcomes: &mut Outcomes,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut open = false;
            for (i, job) in jobs.iter().enumerate() {
                if job.reply.is_closed() {
                    // Its caller stopped waiting (a dropped request): left unwritten, as an
                    // append abandoned before its own commit always was.
                    continue;
                }
                if job
                    .after
                    .is_some_and(|lead| !matches!(outcomes[lead], Some(Ok(Written::Done))))
                {
                    // It follows an append that was not written.
                    continue;
                }
                outcomes[i] = Some(in_savepoint!(tx, job, open)?);
            }
            write_audit!(tx, self, jobs, outcomes)?;
            tx.commit().await?;
        });
        Ok(())
    }
}
