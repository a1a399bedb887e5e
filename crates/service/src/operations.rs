//! Running the service (issue #17): periodic jobs that run once per interval across every
//! instance on one database, and the figures an operator watches (`/metrics`).
//!
//! The figures are counts only: how many cases are in each part of the queue, how busy the
//! pool is, how the sweep and group commit have gone. No personal data, and no case or
//! person named, so a scrape reads nothing a case read would audit; asking still needs the
//! `ReadServiceMetrics` capability.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use nrm_access::{Capability, Operation};
use nrm_store::{GroupCommitStats, PoolUse, QueueDepth};

use crate::{Cases, ServiceError, SweepReport};

/// The lease name of the deadline sweep in `job_leases`.
pub const SWEEP_JOB: &str = "deadline_sweep";

/// What this process's periodic jobs have done since it started.
#[derive(Debug, Default)]
pub(crate) struct JobCounters {
    sweeps_run: AtomicU64,
    sweeps_failed: AtomicU64,
    sweeps_skipped: AtomicU64,
    sweep_changes: AtomicU64,
}

/// A copy of [`JobCounters`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobStats {
    /// Sweeps this instance ran to the end.
    pub sweeps_run: u64,
    /// Sweeps that failed (tried again at the next interval).
    pub sweeps_failed: u64,
    /// Turns another instance held, so this one did not sweep.
    pub sweeps_skipped: u64,
    /// Deadline changes the sweeps recorded.
    pub sweep_changes: u64,
}

/// Everything `/metrics` shows about the service, read at one moment.
#[derive(Debug, Clone)]
pub struct ServiceGauges {
    pub queue: Vec<QueueDepth>,
    pub pool: PoolUse,
    pub group_commit: GroupCommitStats,
    pub jobs: JobStats,
}

/// What a periodic turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// This instance took the turn and ran the job.
    Ran(SweepReport),
    /// Another instance holds this interval's turn.
    HeldElsewhere,
}

impl Cases {
    /// The figures an operator watches. Needs [`Operation::ReadServiceMetrics`].
    pub async fn service_gauges(
        &self,
        capability: &Capability,
    ) -> Result<ServiceGauges, ServiceError> {
        crate::admin::holder(capability, Operation::ReadServiceMetrics)?;
        Ok(ServiceGauges {
            queue: self.store().queue_depths().await?,
            pool: self.store().pool_use(),
            group_commit: self.store().group_commit_stats(),
            jobs: self.job_stats(),
        })
    }

    /// What this process's periodic jobs have done.
    pub fn job_stats(&self) -> JobStats {
        let c = self.job_counters();
        JobStats {
            sweeps_run: c.sweeps_run.load(Ordering::Relaxed),
            sweeps_failed: c.sweeps_failed.load(Ordering::Relaxed),
            sweeps_skipped: c.sweeps_skipped.load(Ordering::Relaxed),
            sweep_changes: c.sweep_changes.load(Ordering::Relaxed),
        }
    }

    /// The periodic deadline sweep of instance `holder`: runs only if it takes the turn of the
    /// interval that `now` starts ([`Cases::take_turn`]). Several instances ticking together
    /// sweep once per interval.
    pub async fn periodic_sweep(
        &self,
        holder: &str,
        interval: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Turn, ServiceError> {
        let counters = self.job_counters();
        if !self.take_turn(SWEEP_JOB, holder, interval, now).await? {
            counters.sweeps_skipped.fetch_add(1, Ordering::Relaxed);
            return Ok(Turn::HeldElsewhere);
        }
        match self.sweep(now).await {
            Ok(report) => {
                counters.sweeps_run.fetch_add(1, Ordering::Relaxed);
                counters.sweep_changes.fetch_add(
                    u64::try_from(report.changes).unwrap_or(u64::MAX),
                    Ordering::Relaxed,
                );
                Ok(Turn::Ran(report))
            }
            Err(e) => {
                counters.sweeps_failed.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Whether instance `holder` takes the turn of periodic job `job` for the interval that
    /// `now` starts: true for exactly one of the instances asking within one interval (the
    /// lease is held until the interval ends, less a second so the next tick is never refused
    /// by a few milliseconds of clock skew).
    pub async fn take_turn(
        &self,
        job: &str,
        holder: &str,
        interval: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let secs = i64::try_from(interval.as_secs().max(1)).unwrap_or(i64::MAX);
        let start = now.timestamp();
        let until = start.saturating_add(secs.saturating_sub(1).max(1));
        Ok(self
            .store()
            .take_job_lease(job, holder, start, until)
            .await?)
    }

    /// How many turns of the sweep any instance has taken, and which instance took the last.
    pub async fn sweep_turns(&self) -> Result<Option<(i64, String)>, ServiceError> {
        Ok(self.store().job_turns(SWEEP_JOB).await?)
    }
}
