//! Reading the work queue: filtered, sorted, paged case summaries.
//!
//! Filters and sort keys are closed enums, so no caller text ever reaches the SQL; values are
//! always bound. "Overdue" is computed against the date the caller passes, so the queue is
//! right on any day without a job having to run first.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::case::CaseStatus;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::event::DeadlineStatus;
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::submission::AgeGroup;
use sqlx::{QueryBuilder, Row};

use crate::{Store, StoreError, on_pool};

/// What to sort the queue by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueSort {
    /// Reasonable Grounds due date, soonest first (cases without one last).
    #[default]
    ReasonableGroundsDue,
    ReferredOn,
    Reference,
    /// The earliest open deadline of any kind, soonest first.
    NextDeadline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    #[default]
    Ascending,
    Descending,
}

/// A page of the work queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueQuery {
    pub statuses: Vec<CaseStatus>,
    pub competent_authority: Option<CompetentAuthority>,
    pub age_group: Option<AgeGroup>,
    pub exploitation_type: Option<ExploitationType>,
    /// `Some(true)`: only cases past their RG due date; `Some(false)`: only those that are not.
    pub overdue: Option<bool>,
    pub referring_organisation: Option<OrganisationId>,
    /// Only cases with an open deadline the sweep has flagged with this status.
    pub deadline: Option<DeadlineStatus>,
    pub allocated_to: Option<UserId>,
    pub suspended: Option<bool>,
    pub pilot_site: Option<String>,
    pub review_pending: Option<bool>,
    /// The date "overdue" is judged on.
    pub today: NaiveDate,
    pub sort: QueueSort,
    pub direction: SortDirection,
    /// 1-based.
    pub page: u32,
    pub per_page: u32,
}

impl QueueQuery {
    pub fn new(today: NaiveDate) -> Self {
        Self {
            statuses: Vec::new(),
            competent_authority: None,
            age_group: None,
            exploitation_type: None,
            overdue: None,
            referring_organisation: None,
            deadline: None,
            allocated_to: None,
            suspended: None,
            pilot_site: None,
            review_pending: None,
            today,
            sort: QueueSort::default(),
            direction: SortDirection::default(),
            page: 1,
            per_page: 25,
        }
    }
}

/// One row of the queue. No personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub case_id: CaseId,
    pub reference: String,
    pub kind: String,
    pub status: String,
    pub competent_authority: Option<String>,
    pub age_group: Option<String>,
    pub exploitation_types: Vec<String>,
    pub county_lines: bool,
    pub referring_organisation: OrganisationId,
    /// Who made the referral.
    pub referring_user: Option<UserId>,
    pub referred_on: NaiveDate,
    pub reasonable_grounds_due_on: Option<NaiveDate>,
    pub reasonable_grounds_outcome: Option<String>,
    pub reasonable_grounds_decided_on: Option<NaiveDate>,
    pub conclusive_grounds_earliest_on: Option<NaiveDate>,
    pub conclusive_grounds_outcome: Option<String>,
    pub conclusive_grounds_decided_on: Option<NaiveDate>,
    pub overdue: bool,
    pub pilot_site: Option<String>,
    pub allocated_to: Option<UserId>,
    pub suspended: bool,
    pub disqualified: bool,
    pub review_pending: bool,
    pub reconsideration_pending: bool,
    pub reasonable_grounds_served_on: Option<NaiveDate>,
    pub conclusive_grounds_served_on: Option<NaiveDate>,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

/// A page of results and the total across all pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    pub cases: Vec<CaseSummary>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

const COLUMNS: &str = "s.case_id, s.reference, s.kind, s.status, s.competent_authority, s.age_group, s.county_lines, s.referring_organisation, s.referred_on, s.rg_due_on, s.rg_outcome, s.rg_decided_on, s.cg_earliest_on, s.cg_outcome, s.cg_decided_on, s.version, s.updated_at, s.pilot_site, s.allocated_to, s.suspended, s.disqualified, s.review_pending, s.reconsideration_pending, s.rg_served_on, s.cg_served_on, s.referring_user";

/// Appends the WHERE clause for `q` to `builder`. A macro so it compiles for both engines.
macro_rules! push_filters {
    ($builder:expr, $q:expr) => {{
        let q: &QueueQuery = $q;
        $builder.push(" WHERE 1 = 1");
        if !q.statuses.is_empty() {
            $builder.push(" AND s.status IN (");
            let mut list = $builder.separated(", ");
            for status in &q.statuses {
                list.push_bind(status.as_str().to_owned());
            }
            $builder.push(")");
        }
        if let Some(ca) = q.competent_authority {
            $builder.push(" AND s.competent_authority = ").push_bind(ca.as_str().to_owned());
        }
        if let Some(age) = q.age_group {
            let age = match age {
                AgeGroup::Adult => "adult",
                AgeGroup::Child => "child",
            };
            $builder.push(" AND s.age_group = ").push_bind(age.to_owned());
        }
        if let Some(t) = q.exploitation_type {
            $builder
                .push(" AND EXISTS (SELECT 1 FROM case_exploitation_types t WHERE t.case_id = s.case_id AND t.exploitation_type = ")
                .push_bind(t.as_str().to_owned())
                .push(")");
        }
        if let Some(org) = q.referring_organisation {
            $builder.push(" AND s.referring_organisation = ").push_bind(org.0);
        }
        if let Some(user) = q.allocated_to {
            $builder.push(" AND s.allocated_to = ").push_bind(user.0);
        }
        if let Some(suspended) = q.suspended {
            $builder.push(" AND s.suspended = ").push_bind(suspended);
        }
        if let Some(site) = &q.pilot_site {
            $builder.push(" AND s.pilot_site = ").push_bind(site.clone());
        }
        if let Some(pending) = q.review_pending {
            $builder.push(" AND s.review_pending = ").push_bind(pending);
        }
        if let Some(status) = q.deadline {
            $builder
                .push(" AND EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = s.case_id AND d.status = ")
                .push_bind(crate::projection::deadline_status(status).to_owned())
                .push(")");
        }
        match q.overdue {
            Some(true) => {
                $builder
                    .push(" AND s.status = ")
                    .push_bind(CaseStatus::AwaitingReasonableGrounds.as_str().to_owned())
                    .push(" AND s.rg_due_on < ")
                    .push_bind(q.today);
            }
            Some(false) => {
                $builder
                    .push(" AND NOT (s.status = ")
                    .push_bind(CaseStatus::AwaitingReasonableGrounds.as_str().to_owned())
                    .push(" AND s.rg_due_on < ")
                    .push_bind(q.today)
                    .push(")");
            }
            None => {}
        }
    }};
}

impl Store {
    /// One page of the work queue.
    pub async fn queue(&self, q: &QueueQuery) -> Result<QueuePage, StoreError> {
        let per_page = q.per_page.clamp(1, 100);
        let page = q.page.max(1);
        let offset = i64::from(page - 1) * i64::from(per_page);
        let direction = match q.direction {
            SortDirection::Ascending => "ASC",
            SortDirection::Descending => "DESC",
        };
        let order = match q.sort {
            // Cases with no due date sort after those with one, in either direction.
            // `NULLS LAST` rather than a CASE expression, so both engines can walk the
            // (status, rg_due_on) index and stop at the page instead of sorting every match.
            QueueSort::ReasonableGroundsDue => {
                format!("s.rg_due_on {direction} NULLS LAST, s.reference")
            }
            QueueSort::ReferredOn => format!("s.referred_on {direction}, s.reference"),
            QueueSort::Reference => format!("s.reference {direction}"),
            QueueSort::NextDeadline => format!(
                "CASE WHEN (SELECT MIN(d.due_on) FROM case_deadlines d WHERE d.case_id = s.case_id) IS NULL THEN 1 ELSE 0 END, (SELECT MIN(d.due_on) FROM case_deadlines d WHERE d.case_id = s.case_id) {direction}, s.reference"
            ),
        };

        let (rows, total) = on_pool!(self, pool => {
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM case_summaries s");
            push_filters!(count, q);
            let total: i64 = count.build_query_scalar().fetch_one(pool).await?;

            let mut select = QueryBuilder::new(format!("SELECT {COLUMNS} FROM case_summaries s"));
            push_filters!(select, q);
            select.push(format!(" ORDER BY {order} LIMIT "));
            select.push_bind(i64::from(per_page));
            select.push(" OFFSET ");
            select.push_bind(offset);
            let rows = select.build().fetch_all(pool).await?;
            let mut summaries = Vec::with_capacity(rows.len());
            for row in &rows {
                summaries.push(summary_from_row!(row, q.today));
            }
            (summaries, total)
        });
        let mut cases = rows;
        self.attach_exploitation_types(&mut cases).await?;
        Ok(QueuePage {
            cases,
            total: u64::try_from(total).unwrap_or(0),
            page,
            per_page,
        })
    }

    /// One case's summary.
    pub async fn summary(
        &self,
        case_id: CaseId,
        today: NaiveDate,
    ) -> Result<Option<CaseSummary>, StoreError> {
        let row = on_pool!(self, pool => {
            let sql = format!("SELECT {COLUMNS} FROM case_summaries s WHERE s.case_id = $1");
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(case_id.0).fetch_optional(pool).await? {
                Some(row) => Some(summary_from_row!(&row, today)),
                None => None,
            }
        });
        let mut cases: Vec<CaseSummary> = row.into_iter().collect();
        self.attach_exploitation_types(&mut cases).await?;
        Ok(cases.pop())
    }

    /// The open deadlines of one case: `(deadline key, due date, status)`.
    pub async fn deadlines(
        &self,
        case_id: CaseId,
    ) -> Result<Vec<(String, NaiveDate, String)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (String, NaiveDate, String)>(
                "SELECT deadline, due_on, status FROM case_deadlines WHERE case_id = $1 ORDER BY due_on, deadline",
            )
            .bind(case_id.0)
            .fetch_all(pool)
            .await?
        }))
    }

    async fn attach_exploitation_types(&self, cases: &mut [CaseSummary]) -> Result<(), StoreError> {
        if cases.is_empty() {
            return Ok(());
        }
        let pairs: Vec<(uuid::Uuid, String)> = on_pool!(self, pool => {
            let mut b = QueryBuilder::new(
                "SELECT case_id, exploitation_type FROM case_exploitation_types WHERE case_id IN (",
            );
            let mut list = b.separated(", ");
            for c in cases.iter() {
                list.push_bind(c.case_id.0);
            }
            b.push(") ORDER BY exploitation_type");
            let rows = b.build().fetch_all(pool).await?;
            rows.iter()
                .map(|r| -> Result<_, sqlx::Error> { Ok((r.try_get("case_id")?, r.try_get("exploitation_type")?)) })
                .collect::<Result<Vec<_>, _>>()?
        });
        for case in cases.iter_mut() {
            case.exploitation_types = pairs
                .iter()
                .filter(|(id, _)| *id == case.case_id.0)
                .map(|(_, t)| t.clone())
                .collect();
        }
        Ok(())
    }
}

/// Builds a [`CaseSummary`] from a row selected with [`COLUMNS`].
macro_rules! summary_from_row {
    ($row:expr, $today:expr) => {{
        let row = $row;
        let status: String = row.try_get("status")?;
        let due: Option<NaiveDate> = row.try_get("rg_due_on")?;
        let version: i64 = row.try_get("version")?;
        CaseSummary {
            case_id: CaseId(row.try_get("case_id")?),
            reference: row.try_get("reference")?,
            kind: row.try_get("kind")?,
            overdue: status == CaseStatus::AwaitingReasonableGrounds.as_str()
                && due.is_some_and(|d| d < $today),
            status,
            competent_authority: row.try_get("competent_authority")?,
            age_group: row.try_get("age_group")?,
            exploitation_types: Vec::new(),
            county_lines: row.try_get("county_lines")?,
            referring_organisation: OrganisationId(row.try_get("referring_organisation")?),
            referring_user: row
                .try_get::<Option<uuid::Uuid>, _>("referring_user")?
                .map(UserId),
            referred_on: row.try_get("referred_on")?,
            reasonable_grounds_due_on: due,
            reasonable_grounds_outcome: row.try_get("rg_outcome")?,
            reasonable_grounds_decided_on: row.try_get("rg_decided_on")?,
            conclusive_grounds_earliest_on: row.try_get("cg_earliest_on")?,
            conclusive_grounds_outcome: row.try_get("cg_outcome")?,
            conclusive_grounds_decided_on: row.try_get("cg_decided_on")?,
            version: u64::try_from(version).unwrap_or(0),
            updated_at: row.try_get("updated_at")?,
            pilot_site: row.try_get("pilot_site")?,
            allocated_to: row
                .try_get::<Option<uuid::Uuid>, _>("allocated_to")?
                .map(UserId),
            suspended: row.try_get("suspended")?,
            disqualified: row.try_get("disqualified")?,
            review_pending: row.try_get("review_pending")?,
            reconsideration_pending: row.try_get("reconsideration_pending")?,
            reasonable_grounds_served_on: row.try_get("rg_served_on")?,
            conclusive_grounds_served_on: row.try_get("cg_served_on")?,
        }
    }};
}
use summary_from_row;
