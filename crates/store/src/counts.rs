//! How many cases match a queue query, read from the counts the read model keeps.
//!
//! Migration 0014 counts every case, as it is written, in the `queue_counts` row of its facets
//! (status, competent authority, age group, deadline flag, suspended, review pending, pilot
//! site, exploitation types), in up to four scopes: all cases, its referring organisation, its
//! allocated decision maker, and (awaiting Reasonable Grounds) its due date. Triggers add
//! +1/-1 rows to `queue_count_deltas`; [`Store::fold_queue_counts`] moves them into
//! `queue_counts`. A count is a sum over the rows of both tables whose facets match: its cost
//! follows the number of facet combinations in a scope, never the number of cases.
//!
//! "Not overdue" is the query without its overdue filter minus the overdue cases (counted by
//! due date), where the due-date scope holds the query's other filters (the competent
//! authority alone). Queries whose filters are not all facets of one scope (say an allocated
//! decision maker's cases of one referring organisation, or overdue children) are counted the
//! old way, capped (see `queue.rs`); [`counted`] returns `None` for them.

use nrm_domain::case::CaseStatus;
use nrm_domain::exploitation::ExploitationType;
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::queue::QueueQuery;
use crate::{Store, StoreError, on_pool};

/// The bit of an exploitation type in `case_summaries.exploitation_mask` (migration 0014).
pub(crate) fn exploitation_bit(t: ExploitationType) -> i32 {
    match t {
        ExploitationType::Labour => 1,
        ExploitationType::Sexual => 2,
        ExploitationType::Criminal => 4,
        ExploitationType::DomesticServitude => 8,
        ExploitationType::OrganHarvesting => 16,
        ExploitationType::Other => 32,
        ExploitationType::NotKnown => 64,
    }
}

/// The bit mask of a case's exploitation types (by their codes; an unknown code adds nothing),
/// as `case_summaries.exploitation_mask` holds it.
pub(crate) fn exploitation_mask<'a>(types: impl IntoIterator<Item = &'a str>) -> i32 {
    types
        .into_iter()
        .filter_map(ExploitationType::parse)
        .fold(0, |mask, t| mask | exploitation_bit(t))
}

/// Which counted scope answers a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Organisation(Uuid),
    Allocated(Uuid),
    /// Awaiting Reasonable Grounds, by due date: the overdue filter.
    DueDates,
}

impl Scope {
    pub(crate) fn kind(self) -> i16 {
        match self {
            Self::All => 0,
            Self::Organisation(_) => 1,
            Self::Allocated(_) => 2,
            Self::DueDates => 3,
        }
    }

    pub(crate) fn id(self) -> Uuid {
        match self {
            Self::All | Self::DueDates => Uuid::nil(),
            Self::Organisation(id) | Self::Allocated(id) => id,
        }
    }
}

/// The scope that holds every filter of `q` as a facet, if one does.
pub(crate) fn scope(q: &QueueQuery) -> Option<Scope> {
    // No facet counts the unallocated: their count stops at the limit like other
    // combinations no scope holds.
    if q.unallocated {
        return None;
    }
    match q.overdue {
        Some(false) => None,
        Some(true) => {
            let only_authority = q.age_group.is_none()
                && q.exploitation_type.is_none()
                && q.referring_organisation.is_none()
                && q.deadline.is_none()
                && q.allocated_to.is_none()
                && q.suspended.is_none()
                && q.pilot_site.is_none()
                && q.review_pending.is_none();
            only_authority.then_some(Scope::DueDates)
        }
        None => match (q.allocated_to, q.referring_organisation) {
            (Some(_), Some(_)) => None,
            (Some(user), None) => Some(Scope::Allocated(user.0)),
            (None, Some(org)) => Some(Scope::Organisation(org.0)),
            (None, None) => Some(Scope::All),
        },
    }
}

/// Appends the conditions on the facets of `q` (in `scope`) for one of the two tables.
macro_rules! push_facets {
    ($b:expr, $q:expr, $scope:expr, $statuses:expr) => {{
        let q: &$crate::queue::QueueQuery = $q;
        let scope: $crate::counts::Scope = $scope;
        $b.push(" WHERE scope_kind = ").push_bind(scope.kind());
        $b.push(" AND scope_id = ").push_bind(scope.id());
        $b.push(" AND status IN (");
        let mut list = $b.separated(", ");
        for status in $statuses {
            list.push_bind(status.as_str().to_owned());
        }
        $b.push(")");
        if let Some(ca) = q.competent_authority {
            $b.push(" AND competent_authority = ")
                .push_bind(ca.as_str().to_owned());
        }
        if scope == $crate::counts::Scope::DueDates {
            $b.push(" AND rg_due_key < ").push_bind(q.today);
        } else {
            if let Some(age) = q.age_group {
                let age = match age {
                    nrm_domain::submission::AgeGroup::Adult => "adult",
                    nrm_domain::submission::AgeGroup::Child => "child",
                };
                $b.push(" AND age_group = ").push_bind(age.to_owned());
            }
            if let Some(status) = q.deadline {
                $b.push(" AND deadline_flag = ")
                    .push_bind($crate::queue::deadline_flag(status));
            }
            if let Some(suspended) = q.suspended {
                $b.push(" AND suspended = ").push_bind(suspended);
            }
            if let Some(pending) = q.review_pending {
                $b.push(" AND review_pending = ").push_bind(pending);
            }
            if let Some(site) = &q.pilot_site {
                $b.push(" AND pilot_site = ").push_bind(site.clone());
            }
            if let Some(t) = q.exploitation_type {
                $b.push(" AND (exploitation_mask & ")
                    .push_bind($crate::counts::exploitation_bit(t))
                    .push(") <> 0");
            }
        }
    }};
}

/// How the kept counts answer a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Counted {
    /// The sum over one scope's rows.
    Scope(Scope),
    /// "Not overdue": the query without its overdue filter (in its scope), minus the overdue
    /// cases (awaiting Reasonable Grounds, due before the day) counted by due date.
    AllButOverdue {
        all: Scope,
        without_overdue: Box<QueueQuery>,
        overdue: Box<QueueQuery>,
    },
}

/// How the kept counts answer `q` (in `statuses`), if they can.
pub(crate) fn counted(q: &QueueQuery, statuses: &[CaseStatus]) -> Option<Counted> {
    if q.overdue != Some(false) {
        return scope(q).map(Counted::Scope);
    }
    let mut without_overdue = q.clone();
    without_overdue.overdue = None;
    let all = scope(&without_overdue)?;
    if !statuses.contains(&CaseStatus::AwaitingReasonableGrounds) {
        // Only cases awaiting Reasonable Grounds are ever overdue.
        return Some(Counted::Scope(all));
    }
    let mut overdue = without_overdue.clone();
    overdue.overdue = Some(true);
    (scope(&overdue) == Some(Scope::DueDates)).then(|| Counted::AllButOverdue {
        all,
        without_overdue: Box::new(without_overdue),
        overdue: Box::new(overdue),
    })
}

/// Appends the sum of the kept counts of `q`'s matches among `statuses` in `scope`.
macro_rules! push_scope_sum {
    ($b:expr, $q:expr, $scope:expr, $statuses:expr) => {{
        $b.push("(SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM (SELECT n FROM queue_counts");
        $crate::counts::push_facets!($b, $q, $scope, $statuses);
        $b.push(" UNION ALL SELECT delta AS n FROM queue_count_deltas");
        $crate::counts::push_facets!($b, $q, $scope, $statuses);
        $b.push(") c)");
    }};
}

/// Appends the exact count of `q`'s matches among `statuses` to `builder`, or returns
/// `false` (appending nothing) when the kept counts cannot answer `q` ([`counted`]).
macro_rules! push_exact_count {
    ($b:expr, $q:expr, $statuses:expr) => {{
        match $crate::counts::counted($q, $statuses) {
            None => false,
            Some($crate::counts::Counted::Scope(scope)) => {
                $b.push("SELECT ");
                $crate::counts::push_scope_sum!($b, $q, scope, $statuses);
                true
            }
            Some($crate::counts::Counted::AllButOverdue {
                all,
                without_overdue,
                overdue,
            }) => {
                $b.push("SELECT ");
                $crate::counts::push_scope_sum!($b, &without_overdue, all, $statuses);
                $b.push(" - ");
                $crate::counts::push_scope_sum!(
                    $b,
                    &overdue,
                    $crate::counts::Scope::DueDates,
                    &[nrm_domain::case::CaseStatus::AwaitingReasonableGrounds]
                );
                true
            }
        }
    }};
}
pub(crate) use {push_exact_count, push_facets, push_scope_sum};

/// What [`Store::fold_queue_counts`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FoldReport {
    /// Delta rows moved into `queue_counts`.
    pub deltas: u64,
}

impl Store {
    /// The number of cases matching `q` (in `statuses`), when the kept counts can say.
    pub(crate) async fn exact_count(
        &self,
        q: &QueueQuery,
        statuses: &[CaseStatus],
    ) -> Result<Option<u64>, StoreError> {
        let total: Option<i64> = on_pool!(self, pool => {
            let mut b = QueryBuilder::new("");
            if push_exact_count!(b, q, statuses) {
                Some(b.build_query_scalar().fetch_one(pool).await?)
            } else {
                None
            }
        });
        Ok(total.map(|t| u64::try_from(t).unwrap_or(0)))
    }

    /// Moves the counts' pending deltas into `queue_counts`, in one transaction. Counts are
    /// right before and after (a count reads both tables); folding only keeps the deltas few.
    /// The deadline sweep runs it, and so should anything that writes many cases at once.
    pub async fn fold_queue_counts(&self) -> Result<FoldReport, StoreError> {
        const FACETS: &str = "scope_kind, scope_id, status, competent_authority, age_group, deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key";
        let moved: u64 = match &self.pool {
            crate::Pool::Sqlite(pool) => {
                let turn = self.write_turn().await;
                let mut tx = pool.begin().await?;
                let max: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM queue_count_deltas")
                    .fetch_one(&mut *tx)
                    .await?;
                let moved = match max {
                    None => 0,
                    Some(max) => {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "INSERT INTO queue_counts ({FACETS}, n) SELECT {FACETS}, SUM(delta) FROM queue_count_deltas WHERE id <= $1 GROUP BY {FACETS} ON CONFLICT ({FACETS}) DO UPDATE SET n = queue_counts.n + excluded.n"
                        )))
                        .bind(max)
                        .execute(&mut *tx)
                        .await?;
                        let deleted = sqlx::query("DELETE FROM queue_count_deltas WHERE id <= $1")
                            .bind(max)
                            .execute(&mut *tx)
                            .await?;
                        sqlx::query("DELETE FROM queue_counts WHERE n = 0")
                            .execute(&mut *tx)
                            .await?;
                        deleted.rows_affected()
                    }
                };
                tx.commit().await?;
                drop(turn);
                moved
            }
            crate::Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                // One folder at a time: two would update the same count rows in any order.
                sqlx::query("SELECT pg_advisory_xact_lock(1416)")
                    .execute(&mut *tx)
                    .await?;
                // The rows deleted are exactly the rows summed (one statement, one snapshot);
                // deltas committed meanwhile wait for the next fold.
                let moved: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "WITH moved AS (DELETE FROM queue_count_deltas RETURNING *), folded AS (INSERT INTO queue_counts ({FACETS}, n) SELECT {FACETS}, SUM(delta) FROM moved GROUP BY {FACETS} ON CONFLICT ({FACETS}) DO UPDATE SET n = queue_counts.n + EXCLUDED.n RETURNING 1) SELECT COUNT(*) FROM moved"
                )))
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM queue_counts WHERE n = 0")
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                u64::try_from(moved).unwrap_or(0)
            }
        };
        Ok(FoldReport { deltas: moved })
    }
}

impl Store {
    /// The statements that count every case afresh into `queue_counts` from
    /// `case_summaries` (what migration 0014 did for the cases already there), with no
    /// deltas left: for a bulk load, which writes its summaries with the count triggers
    /// deferred. Run in one transaction with nothing else writing.
    pub(crate) fn recount_statements(&self) -> Vec<String> {
        let (nil, far, no) = match &self.pool {
            crate::Pool::Sqlite(_) => ("X'00000000000000000000000000000000'", "'9999-12-31'", "0"),
            crate::Pool::Postgres(_) => (
                "'00000000-0000-0000-0000-000000000000'::UUID",
                "DATE '9999-12-31'",
                "FALSE",
            ),
        };
        const INTO: &str = "INSERT INTO queue_counts (scope_kind, scope_id, status, competent_authority, age_group, deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key, n)";
        const FACETS: &str = "status, COALESCE(competent_authority, ''), COALESCE(age_group, ''), deadline_flag, suspended, review_pending, COALESCE(pilot_site, ''), exploitation_mask";
        let scope = |kind: u8, id: &str, filter: &str, group: &str| {
            format!(
                "{INTO} SELECT {kind}, {id}, {FACETS}, {far}, COUNT(*) FROM case_summaries{filter} GROUP BY {group}{FACETS}"
            )
        };
        vec![
            "DELETE FROM queue_count_deltas".to_owned(),
            "DELETE FROM queue_counts".to_owned(),
            scope(0, nil, "", ""),
            scope(
                1,
                "referring_organisation",
                " WHERE referring_organisation IS NOT NULL",
                "referring_organisation, ",
            ),
            scope(
                2,
                "allocated_to",
                " WHERE allocated_to IS NOT NULL",
                "allocated_to, ",
            ),
            format!(
                "{INTO} SELECT 3, {nil}, status, COALESCE(competent_authority, ''), '', 0, {no}, {no}, '', 0, rg_due_key, COUNT(*) FROM case_summaries WHERE status = 'awaiting_reasonable_grounds' GROUP BY status, COALESCE(competent_authority, ''), rg_due_key"
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The mask is written by SQL (migration 0014's triggers) and read by Rust (the filters):
    // every exploitation type must have its own bit, and both engines' SQL must give it the
    // same one, so a type added to the domain without a bit fails here.
    #[test]
    fn every_exploitation_type_has_its_own_bit_in_both_migrations() {
        let sqlite = include_str!("../migrations/sqlite/0014_queue_counts.sql");
        let postgres = include_str!("../migrations/postgres/0014_queue_counts.sql");
        let mut seen = 0;
        for t in ExploitationType::ALL {
            let bit = exploitation_bit(t);
            assert_eq!(bit.count_ones(), 1, "{t:?}: one bit");
            assert_eq!(seen & bit, 0, "{t:?}: a bit of its own");
            seen |= bit;
            let mapping = format!("WHEN '{}' THEN {bit}", t.as_str());
            assert!(sqlite.contains(&mapping), "sqlite: {mapping}");
            assert!(postgres.contains(&mapping), "postgres: {mapping}");
        }
    }

    #[test]
    fn a_count_is_kept_only_where_one_scope_holds_every_filter() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        let user = nrm_domain::ids::UserId(Uuid::from_u128(1));
        let org = nrm_domain::ids::OrganisationId(Uuid::from_u128(2));
        let mut q = QueueQuery::new(today);
        assert_eq!(scope(&q), Some(Scope::All));
        q.exploitation_type = Some(ExploitationType::Labour);
        assert_eq!(scope(&q), Some(Scope::All));
        q.allocated_to = Some(user);
        assert_eq!(scope(&q), Some(Scope::Allocated(user.0)));
        q.referring_organisation = Some(org);
        assert_eq!(scope(&q), None, "no scope holds both");
        let mut q = QueueQuery::new(today);
        q.referring_organisation = Some(org);
        assert_eq!(scope(&q), Some(Scope::Organisation(org.0)));
        let mut q = QueueQuery::new(today);
        q.overdue = Some(true);
        assert_eq!(scope(&q), Some(Scope::DueDates));
        q.age_group = Some(nrm_domain::submission::AgeGroup::Child);
        assert_eq!(scope(&q), None, "due dates are counted by authority only");
        q.age_group = None;
        q.overdue = Some(false);
        assert_eq!(scope(&q), None);
    }

    #[test]
    fn not_overdue_is_counted_as_all_but_the_overdue_where_due_dates_can_say() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        let all = CaseStatus::ALL.to_vec();
        let mut q = QueueQuery::new(today);
        q.overdue = Some(false);
        q.competent_authority = Some(nrm_domain::event::CompetentAuthority::Sca);
        match counted(&q, &all) {
            Some(Counted::AllButOverdue {
                all: Scope::All,
                without_overdue,
                overdue,
            }) => {
                assert_eq!(without_overdue.overdue, None);
                assert_eq!(overdue.overdue, Some(true));
                assert_eq!(overdue.competent_authority, q.competent_authority);
            }
            other => panic!("expected all but the overdue, got {other:?}"),
        }
        // No case in these statuses is ever overdue: the count is the scope's own.
        let decided = [CaseStatus::AwaitingConclusiveGrounds];
        assert_eq!(counted(&q, &decided), Some(Counted::Scope(Scope::All)));
        // Due dates are counted by authority only: a child filter cannot be subtracted.
        q.age_group = Some(nrm_domain::submission::AgeGroup::Child);
        assert_eq!(counted(&q, &all), None);
        assert_eq!(
            counted(&q, &decided),
            Some(Counted::Scope(Scope::All)),
            "nothing to subtract"
        );
    }
}
