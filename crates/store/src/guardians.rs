//! Independent Child Trafficking Guardian storage: each child's guardian episode as its own
//! append-only event stream (`guardian_events`) with the summary caseloads and "what is due"
//! are listed from (`guardian_episodes`, migration 0019).
//!
//! Who may read or change an episode is the access policy's (`nrm_access::children`) and the
//! service's; here an append names the version it was decided on, and its events, vault
//! records (under the child's existing subject), summary and audit entry commit in one
//! transaction or not at all.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::Actor;
use nrm_domain::children::guardian::{GuardianEpisodeId, GuardianEvent, GuardianState};
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId};
use sqlx::Row;
use uuid::Uuid;

use crate::audit::AuditRecord;
use crate::events::{VaultWrite, to_i64};
use crate::group::Gated;
use crate::statement::{Statement, Value};
use crate::{Store, StoreError, on_pool};

/// An episode's summary (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianEpisodeSummary {
    pub episode_id: GuardianEpisodeId,
    pub case_id: CaseId,
    /// The case's reference.
    pub reference: String,
    pub subject: SubjectId,
    pub version: u64,
    pub area: String,
    /// A `GuardianStatus` code.
    pub status: String,
    pub worker: Option<UserId>,
    /// A `GuardianRole` code.
    pub role: Option<String>,
    pub next_due_on: Option<NaiveDate>,
    pub turning_18_flagged: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored guardian event with its envelope.
#[derive(Debug, Clone)]
pub struct StoredGuardianEvent {
    pub version: u64,
    pub event: GuardianEvent,
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
}

/// A whole episode stream with its summary.
#[derive(Debug, Clone)]
pub struct LoadedGuardianEpisode {
    pub summary: GuardianEpisodeSummary,
    pub events: Vec<StoredGuardianEvent>,
}

/// One command's worth of changes to one episode.
#[derive(Debug, Clone)]
pub struct GuardianAppend<'a> {
    pub episode_id: GuardianEpisodeId,
    /// The version decided on; 0 for a new episode.
    pub expected_version: u64,
    pub events: &'a [GuardianEvent],
    /// The episode's state after these events: the summary is written from it.
    pub state_after: &'a GuardianState,
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
    /// Records under the child's existing subject.
    pub vault_writes: &'a [VaultWrite],
    pub audit: &'a AuditRecord,
}

/// Whose episodes a list covers (from the access policy's guardian scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardianListScope {
    Everything,
    Worker(UserId),
}

/// Which episodes of the scope to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardianFilter {
    /// Every episode not closed.
    Open,
    /// Open episodes with something due on or before the date.
    DueBy(NaiveDate),
    AwaitingAllocation,
    /// Open episodes whose 18th birthday is flagged.
    TurningEighteen,
}

/// The most rows a list returns.
pub const GUARDIAN_LIST_LIMIT: i64 = 500;

/// A page of the open child cases the sweep turn's age review looks at (`$1` today, `$2` the
/// last case of the page before; the limit is appended).
pub(crate) const AGE_REVIEW_PAGE_SQL: &str = "SELECT s.case_id, a.case_id IS NOT NULL AS reviewed FROM case_summaries s LEFT JOIN case_age_reviews a ON a.case_id = s.case_id WHERE s.age_group = 'child' AND s.status NOT IN ('withdrawn', 'closed', 'duty_to_notify') AND (a.case_id IS NULL OR a.review_from <= $1) AND s.case_id > $2 ORDER BY s.case_id LIMIT ";

/// A page of the open child cases the ICTG referral catch-up looks at (`$1` the last case of
/// the page before; the limit is appended).
pub(crate) const WITHOUT_GUARDIAN_PAGE_SQL: &str = "SELECT s.case_id FROM case_summaries s WHERE s.age_group = 'child' AND s.status NOT IN ('withdrawn', 'closed', 'duty_to_notify') AND NOT EXISTS (SELECT 1 FROM guardian_episodes g WHERE g.case_id = s.case_id) AND NOT EXISTS (SELECT 1 FROM guardian_referral_checks c WHERE c.case_id = s.case_id) AND s.case_id > $1 ORDER BY s.case_id LIMIT ";

/// Where a page of a sweep's keyset walk starts: after `after`, or after the nil id (below
/// every id the service makes) for the first page. A plain `id > $n` lets both planners start
/// the key's range there; the `$n IS NULL OR id > $n` it replaces made PostgreSQL's generic
/// plan (and SQLite's) scan the key from the first row on every page, so a sweep turn after
/// a bulk load of a million cases read the table once per page of 500.
pub(crate) fn keyset_after(after: Option<Uuid>) -> Uuid {
    after.unwrap_or(Uuid::nil())
}

const COLUMNS: &str = "episode_id, case_id, reference, subject_id, version, area, status, worker, role, next_due_on, turning_18_flagged, created_at, updated_at";

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

macro_rules! summary_from_row {
    ($row:expr) => {{
        let row = $row;
        let version: i64 = row.try_get("version")?;
        let flagged: i64 = row.try_get("turning_18_flagged")?;
        let worker: Option<Uuid> = row.try_get("worker")?;
        GuardianEpisodeSummary {
            episode_id: GuardianEpisodeId(row.try_get("episode_id")?),
            case_id: CaseId(row.try_get("case_id")?),
            reference: row.try_get("reference")?,
            subject: SubjectId(row.try_get("subject_id")?),
            version: u64_of(version),
            area: row.try_get("area")?,
            status: row.try_get("status")?,
            worker: worker.map(UserId),
            role: row.try_get("role")?,
            next_due_on: row.try_get("next_due_on")?,
            turning_18_flagged: flagged != 0,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

fn summary_update(episode: Uuid, s: &GuardianState, at: DateTime<Utc>) -> Statement {
    Statement::new(
        "UPDATE guardian_episodes SET status = $2, worker = $3, role = $4, next_due_on = $5, turning_18_flagged = $6, updated_at = $7 WHERE episode_id = $1",
        vec![
            Value::Uuid(episode),
            Value::Text(s.status.map_or("unknown", |st| st.code()).to_owned()),
            Value::OptUuid(s.worker.map(|u| u.0)),
            Value::OptText(s.role.map(|r| r.code().to_owned())),
            Value::OptDate(s.next_due_on()),
            Value::I64(i64::from(
                s.turning_18_flagged_on.is_some() && s.turned_18_on.is_none(),
            )),
            Value::Timestamp(at),
        ],
    )
}

impl Store {
    /// Appends one command's events to a guardian episode (creating it at version 0), with its
    /// vault records, summary and audit entry, atomically; returns the new version. A stale
    /// version is [`StoreError::VersionConflict`]; a second episode for the same case
    /// [`StoreError::DuplicateReference`].
    pub async fn append_guardian(&self, append: GuardianAppend<'_>) -> Result<u64, StoreError> {
        // Through the group committer, as a case's append is: concurrent episode writes (the
        // ICTG catch-up after a bulk load or import) share one durable commit.
        let job = self.guardian_job(&append).await?;
        let written = self.committer.write(job).await.written()?;
        self.guardian_result(&append, written).await
    }

    /// The committer's job of a guardian append: its gate (a new episode's row, inserted only
    /// if neither the id nor the case has one; or the version's update) first, then its vault
    /// records, events and summary, with its audit entry. A new referral's ICTG referral is
    /// queued this way behind its case ([`Store::append_intake`]).
    pub(crate) async fn guardian_job(
        &self,
        append: &GuardianAppend<'_>,
    ) -> Result<Gated, StoreError> {
        let new_version = append.expected_version + append.events.len() as u64;
        let episode = append.episode_id.0;
        let s = append.state_after;
        let mut statements = Vec::new();
        let new = append.expected_version == 0;
        if new {
            let (Some(case_id), Some(subject), Some(reference), Some(area)) = (
                s.case_id,
                s.subject,
                s.case_reference.as_deref(),
                s.area.as_deref(),
            ) else {
                return Err(StoreError::Corrupt(
                    "a new guardian episode needs its referral".to_owned(),
                ));
            };
            statements.push(Statement::new(
                "INSERT INTO guardian_episodes (episode_id, case_id, reference, subject_id, version, area, status, turning_18_flagged, created_at, updated_at) SELECT $1, $2, $3, $4, $5, $6, 'unknown', 0, $7, $7 WHERE NOT EXISTS (SELECT 1 FROM guardian_episodes WHERE episode_id = $1 OR case_id = $2)",
                vec![
                    Value::Uuid(episode),
                    Value::Uuid(case_id.0),
                    Value::Text(reference.to_owned()),
                    Value::Uuid(subject.0),
                    Value::I64(to_i64(new_version)),
                    Value::Text(area.to_owned()),
                    Value::Timestamp(append.recorded_at),
                ],
            ));
        } else {
            statements.push(Statement::new(
                "UPDATE guardian_episodes SET version = $1 WHERE episode_id = $2 AND version = $3",
                vec![
                    Value::I64(to_i64(new_version)),
                    Value::Uuid(episode),
                    Value::I64(to_i64(append.expected_version)),
                ],
            ));
        }
        let (_, records) = self.seal(&[], append.vault_writes).await?;
        for r in records {
            statements.push(Statement::new(
                "INSERT INTO vault_records (record_id, subject_id, kind, ciphertext, created_at) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    Value::Uuid(r.record),
                    Value::Uuid(r.subject),
                    Value::Text(r.kind.to_owned()),
                    Value::Bytes(r.ciphertext),
                    Value::Timestamp(append.recorded_at),
                ],
            ));
        }
        for (i, event) in append.events.iter().enumerate() {
            let version = append.expected_version + 1 + i as u64;
            let body = serde_json::to_string(event).map_err(|_| {
                StoreError::Corrupt("a guardian event did not serialise".to_owned())
            })?;
            statements.push(Statement::new(
                "INSERT INTO guardian_events (episode_id, version, kind, body, actor_user, actor_organisation, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![
                    Value::Uuid(episode),
                    Value::I64(to_i64(version)),
                    Value::Text(event.kind().to_owned()),
                    Value::Text(body),
                    Value::Uuid(append.actor.user.0),
                    Value::Uuid(append.actor.organisation.0),
                    Value::Timestamp(append.recorded_at),
                ],
            ));
        }
        statements.push(summary_update(episode, s, append.recorded_at));
        Ok(Gated {
            statements,
            gate_at: 0,
            id: episode,
            new_stream: None,
            claim_at: None,
            audit: Some((append.audit.clone(), append.recorded_at)),
        })
    }

    /// What the committer's answer `written` for `append` means: the episode's new version,
    /// or why it was not written (moved meanwhile; for a new episode, its id or its case's
    /// episode taken).
    pub(crate) async fn guardian_result(
        &self,
        append: &GuardianAppend<'_>,
        written: bool,
    ) -> Result<u64, StoreError> {
        if written {
            return Ok(append.expected_version + append.events.len() as u64);
        }
        Err(crate::group::episode_refused(
            append.expected_version,
            self.guardian_version(append.episode_id).await?,
        ))
    }

    /// An episode's current version, if it exists.
    pub async fn guardian_version(
        &self,
        episode: GuardianEpisodeId,
    ) -> Result<Option<u64>, StoreError> {
        let v: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM guardian_episodes WHERE episode_id = $1")
                .bind(episode.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(v.map(u64_of))
    }

    /// An episode's summary.
    pub async fn guardian_summary(
        &self,
        episode: GuardianEpisodeId,
    ) -> Result<Option<GuardianEpisodeSummary>, StoreError> {
        Ok(on_pool!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM guardian_episodes WHERE episode_id = $1"
            )))
            .bind(episode.0)
            .fetch_optional(pool)
            .await?
            {
                Some(row) => Some(summary_from_row!(&row)),
                None => None,
            }
        }))
    }

    /// The guardian episode of a case, if the child has one.
    pub async fn guardian_episode_for_case(
        &self,
        case: CaseId,
    ) -> Result<Option<GuardianEpisodeSummary>, StoreError> {
        Ok(on_pool!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM guardian_episodes WHERE case_id = $1"
            )))
            .bind(case.0)
            .fetch_optional(pool)
            .await?
            {
                Some(row) => Some(summary_from_row!(&row)),
                None => None,
            }
        }))
    }

    /// The guardian episode of the case with this reference.
    pub async fn guardian_episode_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<GuardianEpisodeId>, StoreError> {
        let id: Option<Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT episode_id FROM guardian_episodes WHERE reference = $1")
                .bind(reference)
                .fetch_optional(pool)
                .await?
        });
        Ok(id.map(GuardianEpisodeId))
    }

    /// A whole episode stream, with its summary.
    pub async fn load_guardian_episode(
        &self,
        episode: GuardianEpisodeId,
    ) -> Result<Option<LoadedGuardianEpisode>, StoreError> {
        let Some(summary) = self.guardian_summary(episode).await? else {
            return Ok(None);
        };
        let rows: Vec<(i64, String, Uuid, Uuid, DateTime<Utc>)> = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT version, body, actor_user, actor_organisation, recorded_at FROM guardian_events WHERE episode_id = $1 ORDER BY version",
            )
            .bind(episode.0)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get("version")?,
                        row.try_get("body")?,
                        row.try_get("actor_user")?,
                        row.try_get("actor_organisation")?,
                        row.try_get("recorded_at")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        let mut events = Vec::with_capacity(rows.len());
        for (version, body, user, organisation, recorded_at) in rows {
            let event = serde_json::from_str(&body).map_err(|_| {
                StoreError::Corrupt(format!(
                    "event {version} of guardian episode {} does not parse",
                    episode.0
                ))
            })?;
            events.push(StoredGuardianEvent {
                version: u64_of(version),
                event,
                actor: Actor {
                    user: UserId(user),
                    organisation: OrganisationId(organisation),
                },
                recorded_at,
            });
        }
        Ok(Some(LoadedGuardianEpisode { summary, events }))
    }

    /// Episodes in `scope` matching `filter`, soonest due first (at most
    /// [`GUARDIAN_LIST_LIMIT`]).
    pub async fn list_guardian_episodes(
        &self,
        scope: GuardianListScope,
        filter: GuardianFilter,
    ) -> Result<Vec<GuardianEpisodeSummary>, StoreError> {
        let (scope_sql, scope_value) = match scope {
            GuardianListScope::Everything => ("$1 IS NULL", Value::OptUuid(None)),
            GuardianListScope::Worker(user) => ("worker = $1", Value::Uuid(user.0)),
        };
        let (filter_sql, filter_value) = match filter {
            GuardianFilter::Open => ("status <> 'closed' AND $2 IS NULL", Value::OptDate(None)),
            GuardianFilter::DueBy(day) => {
                ("status <> 'closed' AND next_due_on <= $2", Value::Date(day))
            }
            GuardianFilter::AwaitingAllocation => (
                "status = 'awaiting_allocation' AND $2 IS NULL",
                Value::OptDate(None),
            ),
            GuardianFilter::TurningEighteen => (
                "status <> 'closed' AND turning_18_flagged = 1 AND $2 IS NULL",
                Value::OptDate(None),
            ),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM guardian_episodes WHERE {scope_sql} AND {filter_sql} ORDER BY next_due_on IS NULL, next_due_on, reference LIMIT {GUARDIAN_LIST_LIMIT}"
        );
        let values = [scope_value, filter_value];
        Ok(on_pool!(self, pool => {
            let query = crate::statement::bind_values!(
                sqlx::query(sqlx::AssertSqlSafe(sql)),
                &values
            );
            let rows = query.fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(summary_from_row!(row));
            }
            out
        }))
    }

    /// Open episodes in id order after `after`, at most `limit` (the daily age review pages
    /// through every open episode with this).
    pub async fn open_guardian_episodes_after(
        &self,
        after: Option<GuardianEpisodeId>,
        limit: i64,
    ) -> Result<Vec<GuardianEpisodeSummary>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM guardian_episodes WHERE status <> 'closed' AND episode_id > $1 ORDER BY episode_id LIMIT {}",
            limit.clamp(1, GUARDIAN_LIST_LIMIT)
        );
        let values = [Value::Uuid(keyset_after(after.map(|a| a.0)))];
        Ok(on_pool!(self, pool => {
            let query = crate::statement::bind_values!(
                sqlx::query(sqlx::AssertSqlSafe(sql)),
                &values
            );
            let rows = query.fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(summary_from_row!(row));
            }
            out
        }))
    }

    /// The open child cases whose age the sweep turn looks at on `today`, after `after` in
    /// case id order: those not looked at yet (no `case_age_reviews` row) and those whose
    /// 18th birthday's month has begun. Each with whether it has its row. A case whose row
    /// says a later month, or that has no date of birth to go by, is not loaded.
    pub async fn child_cases_for_age_review_after(
        &self,
        today: NaiveDate,
        after: Option<CaseId>,
        limit: i64,
    ) -> Result<Vec<(CaseId, bool)>, StoreError> {
        let sql = format!(
            "{AGE_REVIEW_PAGE_SQL}{}",
            limit.clamp(1, GUARDIAN_LIST_LIMIT)
        );
        let values = [
            Value::Date(today),
            Value::Uuid(keyset_after(after.map(|a| a.0))),
        ];
        Ok(on_pool!(self, pool => {
            let query = crate::statement::bind_values!(
                sqlx::query(sqlx::AssertSqlSafe(sql)),
                &values
            );
            let rows = query.fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push((CaseId(row.try_get("case_id")?), row.try_get("reviewed")?));
            }
            out
        }))
    }

    /// The plans of the sweep turn's keyset pages over `case_summaries` (the age review, the
    /// ICTG referral catch-up, the support reconciliation), by name, as each engine runs them
    /// (PostgreSQL's generic plan): a test checks each starts the key's range after the page
    /// before instead of scanning from the first case.
    pub async fn sweep_page_plans(&self) -> Result<Vec<(&'static str, Vec<String>)>, StoreError> {
        use crate::plans::Param;
        let nil = Uuid::nil();
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
        let pages: [(&'static str, String, Vec<Param>); 3] = [
            (
                "age review",
                format!("{AGE_REVIEW_PAGE_SQL}{GUARDIAN_LIST_LIMIT}"),
                vec![Param::Day(day), Param::Id(nil)],
            ),
            (
                "guardian catch-up",
                format!("{WITHOUT_GUARDIAN_PAGE_SQL}{GUARDIAN_LIST_LIMIT}"),
                vec![Param::Id(nil)],
            ),
            (
                "support reconciliation",
                format!(
                    "{}{GUARDIAN_LIST_LIMIT}",
                    crate::support::RECONCILE_PAGE_SQL
                ),
                vec![Param::Id(nil)],
            ),
        ];
        let mut plans = Vec::new();
        for (name, sql, params) in pages {
            plans.push((name, self.plan_of(&sql, &params, true).await?));
        }
        Ok(plans)
    }

    /// Records when the sweep turn next looks at the case's age (`None`: never, as there is
    /// no date of birth to go by, until an age assessment concludes). Replaces any earlier.
    pub async fn record_case_age_review(
        &self,
        case_id: CaseId,
        review_from: Option<NaiveDate>,
    ) -> Result<(), StoreError> {
        self.record_case_age_reviews(&[(case_id, review_from)])
            .await
    }

    /// [`Store::record_case_age_review`] for many cases in one transaction (a page of the
    /// sweep turn's age review).
    pub async fn record_case_age_reviews(
        &self,
        reviews: &[(CaseId, Option<NaiveDate>)],
    ) -> Result<(), StoreError> {
        // The last row given for a case is the one kept, as if written one after another.
        let mut last: std::collections::HashMap<CaseId, usize> = std::collections::HashMap::new();
        for (i, (case_id, _)) in reviews.iter().enumerate() {
            last.insert(*case_id, i);
        }
        let rows: Vec<Vec<Value>> = reviews
            .iter()
            .enumerate()
            .filter(|(i, (case_id, _))| last.get(case_id) == Some(i))
            .map(|(_, (case_id, review_from))| {
                vec![Value::Uuid(case_id.0), Value::OptDate(*review_from)]
            })
            .collect();
        self.write_each(
            "INSERT INTO case_age_reviews (case_id, review_from) VALUES ($1, $2) ON CONFLICT (case_id) DO UPDATE SET review_from = excluded.review_from",
            &rows,
        )
        .await
    }

    /// Open child cases with no guardian episode that the ICTG referral catch-up has not yet
    /// found nothing due for ([`Store::record_guardian_referral_checks`]), after `after` in
    /// case id order.
    pub async fn child_cases_without_guardian_after(
        &self,
        after: Option<CaseId>,
        limit: i64,
    ) -> Result<Vec<CaseId>, StoreError> {
        self.child_cases_after(WITHOUT_GUARDIAN_PAGE_SQL, after, limit)
            .await
    }

    async fn child_cases_after(
        &self,
        sql: &'static str,
        after: Option<CaseId>,
        limit: i64,
    ) -> Result<Vec<CaseId>, StoreError> {
        let sql = format!("{sql}{}", limit.clamp(1, GUARDIAN_LIST_LIMIT));
        let values = [Value::Uuid(keyset_after(after.map(|a| a.0)))];
        Ok(on_pool!(self, pool => {
            let query = crate::statement::bind_values!(
                sqlx::query(sqlx::AssertSqlSafe(sql)),
                &values
            );
            let rows = query.fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(CaseId(row.try_get("case_id")?));
            }
            out
        }))
    }

    /// Records that the ICTG referral catch-up found no referral due for each of these cases
    /// (with why), so none is looked at again; a page of the catch-up in one transaction.
    /// Idempotent.
    pub async fn record_guardian_referral_checks(
        &self,
        checks: &[(CaseId, &str)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let rows: Vec<Vec<Value>> = checks
            .iter()
            .map(|(case_id, outcome)| {
                vec![
                    Value::Uuid(case_id.0),
                    Value::Text((*outcome).to_owned()),
                    Value::Timestamp(at),
                ]
            })
            .collect();
        self.write_each(
            "INSERT INTO guardian_referral_checks (case_id, outcome, checked_at) VALUES ($1, $2, $3) ON CONFLICT (case_id) DO NOTHING",
            &rows,
        )
        .await
    }
}
