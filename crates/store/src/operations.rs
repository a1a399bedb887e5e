//! What an operator watches and what several instances share (issue #17): the connection
//! pool's use, the work queue's depth from the kept counts, and leases that let a periodic job
//! run once per interval across every instance on one database (migration 0023).
//!
//! Nothing here reads personal data: queue depths are sums of the counts the read model keeps
//! (`counts.rs`), by status, competent authority and deadline flag only.

use crate::{Store, StoreError, on_pool};

/// How the connection pool is being used at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open now (idle or in use).
    pub open: u32,
    /// Of those, the idle ones.
    pub idle: u32,
    /// The most the pool will open.
    pub max: u32,
}

/// How many cases are in one part of the work queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDepth {
    /// The case status code (`awaiting_reasonable_grounds`, …).
    pub status: String,
    /// `sca`, `ieca` or a pilot panel's authority code.
    pub competent_authority: String,
    /// The worst open deadline the sweep last recorded.
    pub deadline: DeadlineFlag,
    pub cases: i64,
}

/// The worst open deadline of a case, as `case_summaries.deadline_flag` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineFlag {
    /// No open deadline.
    None,
    OnTrack,
    DueSoon,
    Overdue,
}

impl DeadlineFlag {
    fn of(flag: i64) -> Self {
        match flag {
            1 => Self::OnTrack,
            2 => Self::DueSoon,
            3 => Self::Overdue,
            _ => Self::None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::OnTrack => "on_track",
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
        }
    }
}

impl Store {
    /// The connection pool's use now.
    pub fn pool_use(&self) -> PoolUse {
        on_pool!(self, pool => PoolUse {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    /// Every case counted by status, competent authority and deadline flag: a sum over the
    /// kept counts of the "all cases" scope (folded and not yet folded), whose cost follows
    /// the number of facet combinations, never the number of cases.
    pub async fn queue_depths(&self) -> Result<Vec<QueueDepth>, StoreError> {
        const SQL: &str = "SELECT status, competent_authority, deadline_flag, CAST(SUM(n) AS BIGINT) AS cases FROM (\
             SELECT status, competent_authority, CAST(deadline_flag AS BIGINT) AS deadline_flag, CAST(n AS BIGINT) AS n FROM queue_counts WHERE scope_kind = 0 \
             UNION ALL \
             SELECT status, competent_authority, CAST(deadline_flag AS BIGINT) AS deadline_flag, CAST(delta AS BIGINT) AS n FROM queue_count_deltas WHERE scope_kind = 0\
             ) c GROUP BY status, competent_authority, deadline_flag ORDER BY status, competent_authority, deadline_flag";
        let rows: Vec<(String, String, i64, Option<i64>)> = on_pool!(self, pool => {
            sqlx::query_as(SQL).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(status, competent_authority, flag, cases)| QueueDepth {
                status,
                competent_authority,
                deadline: DeadlineFlag::of(flag),
                cases: cases.unwrap_or(0),
            })
            .filter(|d| d.cases != 0)
            .collect())
    }

    /// Takes the lease of `job` for `holder` from `now` until `until` (Unix seconds) if no
    /// other instance holds it past `now`; whether this call took it. One statement on both
    /// engines, so two instances asking at once never both get it. A holder that asks again
    /// while it holds the lease does not get it again before `held_until` either: each turn
    /// of a job is taken once.
    pub async fn take_job_lease(
        &self,
        job: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO job_leases (job, holder, taken_at, held_until, turns) \
             VALUES ($1, $2, $3, $4, 1) \
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, taken_at = excluded.taken_at, \
             held_until = excluded.held_until, turns = job_leases.turns + 1 \
             WHERE job_leases.held_until <= excluded.taken_at";
        let _turn = self.write_turn().await;
        let taken = on_pool!(self, pool => {
            sqlx::query(SQL)
                .bind(job)
                .bind(holder)
                .bind(now)
                .bind(until)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(taken == 1)
    }

    /// How many turns of `job` have been taken by any instance, and by whom last.
    pub async fn job_turns(&self, job: &str) -> Result<Option<(i64, String)>, StoreError> {
        let row: Option<(i64, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT turns, holder FROM job_leases WHERE job = $1")
                .bind(job)
                .fetch_optional(pool)
                .await?
        });
        Ok(row)
    }
}
