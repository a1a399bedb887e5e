//! Reading the work queue: filtered, sorted case summaries, a page at a time by keyset.
//!
//! Filters and sort keys are closed enums, so no caller text ever reaches the SQL; values are
//! always bound. "Overdue" is computed against the date the caller passes, so the queue is
//! right on any day without a job having to run first.
//!
//! At national volume (a million cases) no query may cost in proportion to the matches: every
//! filter reads a column of `case_summaries` (the deadline flag and next due date are kept
//! there by the projection, migration 0013), each status is read as its own range of an index
//! led by the access policy's scope column and ordered by the sort key, and pages continue
//! from a cursor (the last row's sort key and case id, or its reference) instead of an `OFFSET`. The one
//! branch read otherwise is "not overdue" of the cases awaiting Reasonable Grounds: their
//! not-yet-due range of a due-date index, a due date at a time when the page is sorted
//! otherwise (see `push_branch!`). On PostgreSQL a page of the large scopes merged from
//! several statuses or filtered by age group or exploitation type reads only keys from each
//! status's index (the filter tested on the entry) and then looks up the page's own rows
//! (`keys_first`, migration 0037). Counts come
//! from the counts the read model keeps (`counts.rs`), exact at any size; the few filter
//! combinations those cannot answer are counted and stop at [`COUNT_LIMIT`].

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
    /// Only cases allocated to nobody (a manager's unallocated work).
    pub unallocated: bool,
    pub suspended: Option<bool>,
    pub pilot_site: Option<String>,
    pub review_pending: Option<bool>,
    /// The date "overdue" is judged on.
    pub today: NaiveDate,
    pub sort: QueueSort,
    pub direction: SortDirection,
    /// Where the page starts: `None` for the first page.
    pub cursor: Option<QueueCursor>,
    pub per_page: u32,
    /// Counting stops past this many matches ([`COUNT_LIMIT`]; tests on small tables lower
    /// it to keep the production ratio of limit to rows, which is what the planners weigh).
    pub count_limit: u64,
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
            unallocated: false,
            suspended: None,
            pilot_site: None,
            review_pending: None,
            today,
            sort: QueueSort::default(),
            direction: SortDirection::default(),
            cursor: None,
            per_page: 25,
            count_limit: COUNT_LIMIT,
        }
    }
}

/// What a case is: a referral of an adult or a child, or a Duty to Notify report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseKind {
    AdultReferral,
    ChildReferral,
    DutyToNotify,
}

impl CaseKind {
    pub const ALL: [Self; 3] = [Self::AdultReferral, Self::ChildReferral, Self::DutyToNotify];

    /// The code kept in `case_summaries.kind` (and the API's `kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AdultReferral => "adult_referral",
            Self::ChildReferral => "child_referral",
            Self::DutyToNotify => "duty_to_notify",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

/// The code kept in `case_summaries.age_group`.
pub fn age_group_code(age_group: AgeGroup) -> &'static str {
    match age_group {
        AgeGroup::Adult => "adult",
        AgeGroup::Child => "child",
    }
}

/// Reads an age group code written by [`age_group_code`].
pub fn parse_age_group(code: &str) -> Option<AgeGroup> {
    [AgeGroup::Adult, AgeGroup::Child]
        .into_iter()
        .find(|a| age_group_code(*a) == code)
}

/// A column's code read back into its type; a code this build does not know is a decoding
/// error (the read model holds only what the projection writes).
pub(crate) fn decode<T>(
    column: &str,
    code: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, sqlx::Error> {
    parse(code).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("unknown code in {column}").into(),
    })
}

/// One row of the queue. No personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    pub case_id: CaseId,
    pub reference: String,
    pub kind: CaseKind,
    pub status: CaseStatus,
    pub competent_authority: Option<CompetentAuthority>,
    pub age_group: Option<AgeGroup>,
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

/// A page of results, the cursors to its neighbours, and how many cases match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    pub cases: Vec<CaseSummary>,
    /// Matches across all pages, counted up to the query's `count_limit`.
    pub total: u64,
    /// More cases match than the `count_limit` (`total` is then the limit).
    pub total_capped: bool,
    pub next: Option<QueueCursor>,
    pub previous: Option<QueueCursor>,
    pub per_page: u32,
}

impl QueuePage {
    /// A page with nothing on it.
    pub fn empty(per_page: u32) -> Self {
        Self {
            cases: Vec::new(),
            total: 0,
            total_capped: false,
            next: None,
            previous: None,
            per_page: per_page.clamp(1, 100),
        }
    }
}

/// Counts stop here: past it the queue says "more than 10,000".
pub const COUNT_LIMIT: u64 = 10_000;

/// A `LIMIT` written into the SQL, not bound. PostgreSQL plans a prepared statement afresh for
/// its parameters (a custom plan) until a plan for any parameters (the generic plan) costs no
/// more; a bound `LIMIT` is of unknown size to the generic plan, which then looks dear at a
/// million cases, so every page was planned again, which took longer than reading it (0.7 ms
/// against 0.2 ms for a filtered page of the competent authority's queue). Written in, the
/// generic plan is the custom one and is kept after a few pages. An integer the code chose
/// (a page size, a cap), never anything a user typed.
fn limit_literal(limit: i64) -> String {
    limit.to_string()
}

/// A position in the queue for one sort: where the row a page starts after (`forward`) or
/// ends before stands in that sort. Travels as an opaque string ([`QueueCursor::encode`]);
/// [`QueueCursor::decode`] refuses anything it did not make the shape of, so a bad cursor is
/// the caller's error, never the database's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor {
    pub sort: QueueSort,
    pub direction: SortDirection,
    /// `true`: the page after this row; `false`: the page before it.
    pub forward: bool,
    pub at: CursorAt,
}

/// A row's place in a sort of the queue.
///
/// Sorted by a date, rows of the same date are ordered by their case id, which is
/// time-ordered: the cases of one day are kept in the order they arrived, and a new case's
/// entry in each date-sorted index goes after those of its date instead of at a random place
/// among them (ordered by the random reference, a burst of intake rewrote pages all over every
/// such index: migration 0040).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorAt {
    /// Sorted by a date: the row's date and case id.
    Dated { key: NaiveDate, case_id: CaseId },
    /// Sorted by reference: the row's reference.
    Reference(String),
}

impl QueueCursor {
    /// The row's sort date (none when sorting by reference).
    pub fn date(&self) -> Option<NaiveDate> {
        match self.at {
            CursorAt::Dated { key, .. } => Some(key),
            CursorAt::Reference(_) => None,
        }
    }
}

/// Version 2: a dated sort's tie broken by the case id (version 1, by the reference, is no
/// longer read: a page opened from one starts at the beginning of its queue).
const CURSOR_VERSION: &str = "q2";

impl QueueCursor {
    fn sort_code(sort: QueueSort) -> &'static str {
        match sort {
            QueueSort::ReasonableGroundsDue => "rg",
            QueueSort::ReferredOn => "referred",
            QueueSort::Reference => "reference",
            QueueSort::NextDeadline => "next",
        }
    }

    /// The opaque form: a versioned record, hex-encoded so it is URL-safe as it is.
    pub fn encode(&self) -> String {
        let plain = format!(
            "{CURSOR_VERSION}|{}|{}|{}|{}|{}",
            Self::sort_code(self.sort),
            match self.direction {
                SortDirection::Ascending => "a",
                SortDirection::Descending => "d",
            },
            if self.forward { "n" } else { "p" },
            self.date().map(|d| d.to_string()).unwrap_or_default(),
            match &self.at {
                CursorAt::Dated { case_id, .. } => case_id.0.hyphenated().to_string(),
                CursorAt::Reference(reference) => reference.clone(),
            },
        );
        plain.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads a cursor made by [`QueueCursor::encode`]; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > 256 || !text.len().is_multiple_of(2) {
            return None;
        }
        let bytes = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?;
        let plain = String::from_utf8(bytes).ok()?;
        let mut parts = plain.split('|');
        if parts.next()? != CURSOR_VERSION {
            return None;
        }
        let sort = match parts.next()? {
            "rg" => QueueSort::ReasonableGroundsDue,
            "referred" => QueueSort::ReferredOn,
            "reference" => QueueSort::Reference,
            "next" => QueueSort::NextDeadline,
            _ => return None,
        };
        let direction = match parts.next()? {
            "a" => SortDirection::Ascending,
            "d" => SortDirection::Descending,
            _ => return None,
        };
        let forward = match parts.next()? {
            "n" => true,
            "p" => false,
            _ => return None,
        };
        let key = match parts.next()? {
            "" => None,
            date => Some(NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?),
        };
        let tie = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let at = match (sort, key) {
            (QueueSort::Reference, None) => {
                let shape = !tie.is_empty()
                    && tie.len() <= 40
                    && tie.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                shape.then(|| CursorAt::Reference(tie.to_owned()))?
            }
            (QueueSort::Reference, Some(_)) | (_, None) => return None,
            (_, Some(key)) => CursorAt::Dated {
                key,
                case_id: CaseId(uuid::Uuid::try_parse(tie).ok()?),
            },
        };
        Some(Self {
            sort,
            direction,
            forward,
            at,
        })
    }

    /// Whether this cursor was made for `sort` in `direction` (and has the place that sort
    /// orders by).
    pub fn fits(&self, sort: QueueSort, direction: SortDirection) -> bool {
        self.sort == sort
            && self.direction == direction
            && matches!(self.at, CursorAt::Reference(_)) == (sort == QueueSort::Reference)
    }
}

/// The plan the database chose for one query of the queue (see [`Store::queue_plans`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryPlan {
    /// Which query: `page` or `count`.
    pub query: &'static str,
    /// One line per plan step: SQLite's `EXPLAIN QUERY PLAN` detail, or for PostgreSQL
    /// `Node Type on relation using index [filtered] [where index condition]` from
    /// `EXPLAIN (FORMAT JSON)`.
    pub steps: Vec<String>,
}

const COLUMNS: &str = "s.rg_due_key, s.next_due_key, s.case_id, s.reference, s.kind, s.status, s.competent_authority, s.age_group, s.county_lines, s.referring_organisation, s.referred_on, s.rg_due_on, s.rg_outcome, s.rg_decided_on, s.cg_earliest_on, s.cg_outcome, s.cg_decided_on, s.version, s.updated_at, s.pilot_site, s.allocated_to, s.suspended, s.disqualified, s.review_pending, s.reconsideration_pending, s.rg_served_on, s.cg_served_on, s.referring_user";

/// Appends the filters of `q` other than status (each `AND …`) to `builder`. A macro so it
/// compiles for both engines.
macro_rules! push_filters {
    ($builder:expr, $q:expr) => {{
        let q: &QueueQuery = $q;
        // Suspended cases are read through their own partial indexes (a few rows, whatever
        // the scope); the other equalities are then written so no planner reads them as an
        // index's leading columns instead, which would walk the whole scope for the few.
        let few = q.suspended == Some(true);
        let col = |name: &str| {
            if few {
                format!("COALESCE(s.{name}, s.{name})")
            } else {
                format!("s.{name}")
            }
        };
        if let Some(ca) = q.competent_authority {
            $builder
                .push(format!(" AND {} = ", col("competent_authority")))
                .push_bind(ca.as_str().to_owned());
        }
        if let Some(org) = q.referring_organisation {
            $builder
                .push(format!(" AND {} = ", col("referring_organisation")))
                .push_bind(org.0);
        }
        if let Some(user) = q.allocated_to {
            $builder
                .push(format!(" AND {} = ", col("allocated_to")))
                .push_bind(user.0);
        }
        if q.unallocated {
            $builder.push(format!(" AND {} IS NULL", col("allocated_to")));
        }
        if let Some(site) = &q.pilot_site {
            $builder
                .push(format!(" AND {} = ", col("pilot_site")))
                .push_bind(site.clone());
        }
        if let Some(pending) = q.review_pending {
            // A literal, so the planners can match the partial index of the cases with a
            // review pending (migration 0031).
            $builder.push(format!(
                " AND {} = {}",
                col("review_pending"),
                if pending { "TRUE" } else { "FALSE" }
            ));
        }
        if let Some(age) = q.age_group {
            let age = match age {
                AgeGroup::Adult => "adult",
                AgeGroup::Child => "child",
            };
            $builder
                .push(format!(" AND {} = ", col("age_group")))
                .push_bind(age.to_owned());
        }
        if let Some(t) = q.exploitation_type {
            // The row's own bit mask (migration 0014): no lookup in another table per row.
            $builder
                .push(" AND (s.exploitation_mask & ")
                .push_bind(crate::counts::exploitation_bit(t))
                .push(") <> 0");
        }
        if let Some(suspended) = q.suspended {
            // A literal, not a bound value, so the planners can match the partial indexes of
            // the (few) suspended cases (migration 0014).
            $builder.push(if suspended {
                " AND s.suspended = TRUE"
            } else {
                " AND s.suspended = FALSE"
            });
        }
        if let Some(status) = q.deadline {
            let flag = deadline_flag(status);
            $builder
                .push(format!(" AND {} = ", col("deadline_flag")))
                .push_bind(flag);
            if flag >= FLAGGED {
                // The deadline filter's indexes hold only the flagged cases (migration
                // 0031): their condition, as the literal the planners match it by.
                $builder.push(format!(" AND {} >= {FLAGGED}", col("deadline_flag")));
            }
        }
        match q.overdue {
            // The statuses were narrowed to awaiting Reasonable Grounds already. Sorted by
            // the due date, the overdue cases are one range of the sort index. Sorted by
            // anything else, the condition is written so no planner reads it as a range
            // (which would fetch every overdue case and sort them, in a backlog a large share
            // of the table) and the sort's own index is walked in order instead, stopping at
            // the page.
            Some(true) if q.sort == QueueSort::ReasonableGroundsDue => {
                $builder.push(" AND s.rg_due_key < ").push_bind(q.today);
            }
            Some(true) => {
                $builder
                    .push(" AND COALESCE(s.rg_due_key, s.rg_due_key) < ")
                    .push_bind(q.today);
            }
            // Only cases awaiting Reasonable Grounds are ever overdue: the branch of that
            // status reads its not-yet-due range itself (`push_branch!`).
            Some(false) | None => {}
        }
    }};
}

/// Appends the condition that rows come after `cursor` (`cmp` is `>` reading upwards, `<`
/// downwards) in the order of sort key `key` and the case id (the reference alone when `None`)
/// over `alias`. A cursor that does not fit the sort (which [`QueueCursor::fits`] keeps from
/// here) matches no row.
macro_rules! push_cursor {
    ($builder:expr, $key:expr, $cursor:expr, $alias:expr, $cmp:expr) => {{
        let (key, cursor, alias, cmp): (Option<&str>, &QueueCursor, &str, &str) =
            ($key, $cursor, $alias, $cmp);
        match (key, &cursor.at) {
            (Some(k), CursorAt::Dated { key: date, case_id }) => {
                $builder
                    .push(format!(" AND ({alias}.{k}, {alias}.case_id) {cmp} ("))
                    .push_bind(*date)
                    .push(", ")
                    .push_bind(case_id.0)
                    .push(")");
            }
            (None, CursorAt::Reference(reference)) => {
                $builder
                    .push(format!(" AND {alias}.reference {cmp} "))
                    .push_bind(reference.clone());
            }
            _ => {
                $builder.push(" AND 1 = 0");
            }
        }
    }};
}

/// Ends one due date's walk of the not-yet-due cases (its date already written): `q`'s
/// filters, past `cursor`, in the order of `key` (`dir`), at most `limit`.
/// `$day` is the date as SQL when the walk is one lateral subquery over the dates
/// (PostgreSQL): a reference cursor is then written on the due date and the reference
/// together, the not-yet-due reference index's own columns, so no planner walks the
/// references of the whole status instead (the tie it would see in a small table's
/// statistics).
macro_rules! push_day_page {
    ($builder:expr, $q:expr, $key:expr, $cursor:expr, $cmp:expr, $dir:expr, $limit:expr, $day:expr) => {{
        if $key.is_none() {
            // The condition of the not-yet-due reference indexes (always true, a reference is
            // never empty), which only this walk states: otherwise PostgreSQL read a page of
            // the RG due-date sort's own not-yet-due range from them too, a whole day's cases
            // sorted again by case id (migration 0040).
            $builder.push(" AND s.reference > ''");
        }
        push_filters!($builder, $q);
        let day: Option<&str> = $day;
        match ($cursor, day) {
            (
                Some(QueueCursor {
                    at: CursorAt::Reference(reference),
                    ..
                }),
                Some(day),
            ) if $key.is_none() => {
                $builder
                    .push(format!(
                        " AND (s.rg_due_key, s.reference) {} ({day}, ",
                        $cmp
                    ))
                    .push_bind(reference.clone())
                    .push(")");
            }
            (Some(cursor), _) => push_cursor!($builder, $key, cursor, "s", $cmp),
            (None, _) => {}
        }
        $builder.push(format!(" ORDER BY {} LIMIT ", order_by($key, "s", $dir)));
        $builder.push(limit_literal($limit));
    }};
}

/// Closes the page of keys read first (`p`) of a not-yet-due branch and looks up its rows.
macro_rules! push_lookup {
    ($builder:expr, $key:expr, $dir:expr, $postgres:expr) => {{
        // The page's own rows, each by its primary key (joined on the reference, SQLite
        // walked the status's index for each row of the page inside the union of statuses:
        // 25-47 s a page at a million cases). PostgreSQL would hash-join a small table's every
        // row instead: a lateral lookup it cannot pull up (its `LIMIT`) makes it one probe of
        // the key per row of the page.
        if $postgres {
            $builder.push(
                ") p CROSS JOIN LATERAL (SELECT * FROM case_summaries s WHERE s.case_id = p.case_id LIMIT 1) s",
            );
        } else {
            $builder.push(") p JOIN case_summaries s ON s.case_id = p.case_id");
        }
        $builder.push(format!(" ORDER BY {}", order_by($key, "p", $dir)));
    }};
}

/// Appends one status's branch of the queue to `builder`: `columns` of the cases in `status`
/// matching `q`, past `q`'s cursor, in sort order (`ascending` or not), at most `limit`. Every
/// condition is an equality on the leading columns of an index or a range of its sort key,
/// so each branch is one ordered walk of one index that stops at the limit.
///
/// One exception: the cases awaiting Reasonable Grounds that are not overdue (`overdue =
/// false`) are one range of the RG due-date indexes (due today or later), which in a backlog
/// is a small share of that status (a week or so of intake) while most of it is overdue.
/// Sorted by the due date, the range is walked in order. Sorted by anything else, walking the
/// sort's index would pass every overdue case to find the page. Given the range's distinct
/// due dates (`$days`, from [`Store::not_due_days`]: the large scopes), each date is walked
/// in the sort's order from an index holding it so (migration 0034) and stopped at the page,
/// so the page costs a page per date whatever the range holds. Otherwise the range's
/// references and sort keys are read first (a `MATERIALIZED` common table expression, which
/// neither planner merges into the outer query) and sorted. Either way only the page's rows
/// are then looked up by case id.
macro_rules! push_branch {
    ($builder:expr, $q:expr, $status:expr, $columns:expr, $ascending:expr, $limit:expr, $postgres:expr, $days:expr, $keys_only:expr) => {{
        // `$keys_only`: the branch yields only its rows' keys (`range_keys`), whose rows the
        // caller looks up once the branches are merged; `$columns` is then those keys.
        let keys_only: bool = $keys_only;
        let q: &QueueQuery = $q;
        let status: &CaseStatus = $status;
        let (dir, cmp) = if $ascending {
            ("ASC", ">")
        } else {
            ("DESC", "<")
        };
        let key = sort_column(q.sort);
        let not_due = q.overdue == Some(false) && *status == CaseStatus::AwaitingReasonableGrounds;
        let materialise = not_due && q.sort != QueueSort::ReasonableGroundsDue;
        let days: Option<&[NaiveDate]> = $days;
        let by_day = days.filter(|d| materialise && !d.is_empty());
        if let Some(days) = by_day {
            // The range's due dates, each walked in the sort's order and stopped at the page
            // (migration 0034): what is read is a page per due date, whatever the range holds.
            let keys = range_keys(key);
            let cursor = q.cursor.as_ref().filter(|c| c.fits(q.sort, q.direction));
            // The status as the literal the partial indexes are matched by.
            let walk = format!(
                "SELECT {keys} FROM case_summaries s WHERE s.status = '{}' AND s.rg_due_key = ",
                status.as_str()
            );
            $builder.push("WITH not_due AS MATERIALIZED (");
            if $postgres {
                // One walk, planned once and run for each date (a branch per date cost
                // PostgreSQL's planner about 0.1 ms each, every request). The dates are bound
                // as one array, written as text so the query builds for SQLite too.
                let array = days
                    .iter()
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                $builder
                    .push("SELECT x.* FROM unnest(CAST(")
                    .push_bind(format!("{{{array}}}"))
                    .push(" AS date[])) AS d(day) CROSS JOIN LATERAL (")
                    .push(&walk)
                    .push("d.day");
                push_day_page!($builder, q, key, cursor, cmp, dir, $limit, Some("d.day"));
                $builder.push(") x");
            } else {
                // SQLite has no lateral join: a branch per date.
                for (i, day) in days.iter().enumerate() {
                    if i > 0 {
                        $builder.push(" UNION ALL ");
                    }
                    $builder.push(format!("SELECT * FROM ({walk}"));
                    $builder.push_bind(*day);
                    push_day_page!($builder, q, key, cursor, cmp, dir, $limit, None);
                    $builder.push(format!(") d{i}"));
                }
            }
            if keys_only {
                $builder.push(format!(
                    ") SELECT * FROM not_due n ORDER BY {} LIMIT ",
                    order_by(key, "n", dir)
                ));
                $builder.push(limit_literal($limit));
            } else {
                $builder.push(format!(
                    ") SELECT {} FROM (SELECT * FROM not_due n ORDER BY {} LIMIT ",
                    $columns,
                    order_by(key, "n", dir)
                ));
                $builder.push(limit_literal($limit));
                push_lookup!($builder, key, dir, $postgres);
            }
        } else {
            if materialise {
                // The range takes only what orders it and finds its rows again: the case id and
                // the sort key (or the reference), which the RG due-date indexes of the large
                // scopes carry (migrations 0033, 0040), so it is read from the index alone.
                let keys = range_keys(key);
                $builder.push(format!(
                    "WITH not_due AS MATERIALIZED (SELECT {keys} FROM case_summaries s WHERE s.status = "
                ));
            } else {
                $builder.push(format!(
                    "SELECT {} FROM case_summaries s WHERE s.status = ",
                    $columns
                ));
            }
            $builder.push_bind(status.as_str().to_owned());
            let mut cursor = q.cursor.as_ref().filter(|c| c.fits(q.sort, q.direction));
            if not_due {
                // Sorted by the due date, the range and a cursor are bounds on the same key: one
                // of them is written as the bound it is (a planner given two bounds on one column
                // may weigh them as less selective than the scope's equality and walk an index
                // of every scope instead). Reading upwards, the higher bound implies the other.
                let today_is_bound = match cursor {
                    Some(c) if !materialise && $ascending => c.date().is_none_or(|d| d < q.today),
                    _ => true,
                };
                if today_is_bound {
                    if !materialise && $ascending {
                        cursor = None;
                    }
                    // Written on the RG due-date index's own leading columns (the due date and
                    // the case id), the lowest case id standing for "any".
                    $builder
                        .push(" AND (s.rg_due_key, s.case_id) >= (")
                        .push_bind(q.today)
                        .push(", ")
                        .push_bind(uuid::Uuid::nil())
                        .push(")");
                }
            }
            push_filters!($builder, q);
            // The rows the cursor and the order apply to: the table's, or the range read first.
            let alias = if materialise {
                if keys_only {
                    $builder.push(") SELECT * FROM not_due n WHERE 1 = 1");
                } else {
                    $builder.push(format!(
                        ") SELECT {} FROM (SELECT * FROM not_due n WHERE 1 = 1",
                        $columns
                    ));
                }
                "n"
            } else {
                "s"
            };
            if let Some(cursor) = cursor {
                push_cursor!($builder, key, cursor, alias, cmp);
            }
            $builder.push(format!(" ORDER BY {} LIMIT ", order_by(key, alias, dir)));
            $builder.push(limit_literal($limit));
            if materialise && !keys_only {
                push_lookup!($builder, key, dir, $postgres);
            }
        }
    }};
}

/// Appends the query for the distinct RG due dates of `q`'s cases awaiting Reasonable Grounds
/// not yet due (at most [`NOT_DUE_DAYS`] + 1), soonest first: each found by one step down an
/// RG due-date index from the one before, as neither engine skips through an index's
/// distinct values itself. Only the competent authority narrows it (the dates of a wider
/// scope include those of any filter within it).
macro_rules! push_not_due_days {
    ($builder:expr, $q:expr) => {{
        let q: &QueueQuery = $q;
        let status = CaseStatus::AwaitingReasonableGrounds.as_str();
        $builder.push(format!(
            "WITH RECURSIVE d(k) AS (SELECT (SELECT MIN(s.rg_due_key) FROM case_summaries s WHERE s.status = '{status}' AND s.rg_due_key >= "
        ));
        $builder.push_bind(q.today);
        if let Some(ca) = q.competent_authority {
            $builder.push(" AND s.competent_authority = ").push_bind(ca.as_str().to_owned());
        }
        $builder.push(format!(
            ") UNION ALL SELECT (SELECT MIN(s.rg_due_key) FROM case_summaries s WHERE s.status = '{status}' AND s.rg_due_key > d.k"
        ));
        if let Some(ca) = q.competent_authority {
            $builder.push(" AND s.competent_authority = ").push_bind(ca.as_str().to_owned());
        }
        $builder.push(") FROM d WHERE d.k IS NOT NULL) SELECT k FROM d WHERE k IS NOT NULL LIMIT ");
        $builder.push(limit_literal(i64::try_from(NOT_DUE_DAYS + 1).unwrap_or(i64::MAX)));
    }};
}

/// Appends the page query for `q` (statuses `statuses`, reading `forward` or backward) to
/// `builder`: one ordered, limited branch per status, merged.
macro_rules! push_page {
    ($builder:expr, $q:expr, $statuses:expr, $forward:expr, $limit:expr, $postgres:expr, $days:expr) => {{
        let q: &QueueQuery = $q;
        let statuses: &[CaseStatus] = $statuses;
        let days: Option<&[NaiveDate]> = $days;
        let ascending = (q.direction == SortDirection::Ascending) == $forward;
        // On PostgreSQL, in the large scopes, each branch yields only its rows' keys from its
        // sort index (migration 0037), merged, then only the page's rows are looked up by case
        // id: read with the rows, every branch visited its page's table rows, and a filtered
        // branch the rows of every entry it skipped too, scattered over the table at a million.
        let keys_mode = $postgres && keys_first(q, statuses);
        if let ([status], false) = (statuses, keys_mode) {
            push_branch!(
                $builder, q, status, COLUMNS, ascending, $limit, $postgres, days, false
            );
        } else {
            let key = sort_column(q.sort);
            let keys = range_keys(key);
            let columns: &str = if keys_mode { &keys } else { COLUMNS };
            let dir = if ascending { "ASC" } else { "DESC" };
            if keys_mode {
                $builder.push(format!("SELECT {COLUMNS} FROM ("));
            }
            $builder.push("SELECT * FROM (");
            for (i, status) in statuses.iter().enumerate() {
                if i > 0 {
                    $builder.push(" UNION ALL ");
                }
                $builder.push("SELECT * FROM (");
                push_branch!(
                    $builder, q, status, columns, ascending, $limit, $postgres, days, keys_mode
                );
                $builder.push(format!(") b{i}"));
            }
            $builder.push(format!(") u ORDER BY {} LIMIT ", order_by(key, "u", dir)));
            $builder.push(limit_literal($limit));
            if keys_mode {
                push_lookup!($builder, key, dir, $postgres);
            }
        }
    }};
}

/// Appends the capped count for `q` to `builder`: the same ordered branches as the page, each
/// and all together stopping at [`COUNT_LIMIT`] + 1 rows, so the count costs at most that many
/// index entries at any size (and no planner is tempted to scan the table instead).
macro_rules! push_count {
    ($builder:expr, $q:expr, $statuses:expr) => {{
        let mut q: QueueQuery = $q.clone();
        q.cursor = None;
        // Order does not change a count: read the overdue cases (or the awaiting ones not
        // yet due) as the range of due dates they are, whatever the page is sorted by.
        if q.overdue.is_some() {
            q.sort = QueueSort::ReasonableGroundsDue;
        }
        let statuses: &[CaseStatus] = $statuses;
        let limit = i64::try_from(q.count_limit.saturating_add(1)).unwrap_or(i64::MAX);
        let columns = match sort_column(q.sort) {
            Some(k) => format!("s.{k}, s.case_id"),
            None => "s.reference".to_owned(),
        };
        $builder.push("SELECT COUNT(*) FROM (");
        for (i, status) in statuses.iter().enumerate() {
            if i > 0 {
                $builder.push(" UNION ALL ");
            }
            $builder.push("SELECT 1 AS one FROM (");
            // (Never the not-yet-due lookup, which only a page sorted otherwise makes.)
            push_branch!(
                $builder, &q, status, columns, true, limit, false, None, false
            );
            $builder.push(format!(") b{i}"));
        }
        $builder.push(" LIMIT ");
        $builder.push(limit_literal(limit));
        $builder.push(") c");
    }};
}

/// The most distinct due dates a not-overdue page reads a day at a time
/// ([`Store::not_due_days`]): the RG decision is due a few working days after referral, so
/// the range holds a week or two of dates; past this many the range is read whole.
const NOT_DUE_DAYS: usize = 60;

/// Whether `q`'s scope is one of the two large enough to matter (all cases or a competent
/// authority's): the smaller scopes (a referring organisation's, a caseworker's, a pilot
/// site's) and the few suspended cases or those awaiting review have indexes of their own.
fn large_scope(q: &QueueQuery) -> bool {
    q.referring_organisation.is_none()
        && q.allocated_to.is_none()
        && q.pilot_site.is_none()
        && q.review_pending != Some(true)
        && q.suspended != Some(true)
}

/// Whether a PostgreSQL page of `q` reads its rows' keys first and looks up only the page's
/// rows: in the large scopes, whose sort indexes carry the case id, the age group and the
/// exploitation mask (migration 0037), when there are several statuses' branches to merge or
/// a filter that skips entries. The deadline filter's partial indexes and the unallocated
/// cases' index carry none of them.
fn keys_first(q: &QueueQuery, statuses: &[CaseStatus]) -> bool {
    large_scope(q)
        && q.deadline.is_none()
        && !q.unallocated
        && (statuses.len() > 1 || q.age_group.is_some() || q.exploitation_type.is_some())
}

/// What a range or a branch's keys are read for before the page's rows are looked up: the
/// case id and the sort key `key` (the reference when `None`: it alone orders the page).
fn range_keys(key: Option<&str>) -> String {
    match key {
        Some(k) => format!("s.case_id, s.{k}"),
        None => "s.case_id, s.reference".to_owned(),
    }
}

/// `ORDER BY` terms for a sort on `key` and then the case id (the reference alone when
/// `None`) over `alias`.
fn order_by(key: Option<&str>, alias: &str, dir: &str) -> String {
    match key {
        Some(k) => format!("{alias}.{k} {dir}, {alias}.case_id {dir}"),
        None => format!("{alias}.reference {dir}"),
    }
}

/// The summary column a sort reads, or `None` when the reference alone orders it.
fn sort_column(sort: QueueSort) -> Option<&'static str> {
    match sort {
        QueueSort::ReasonableGroundsDue => Some("rg_due_key"),
        QueueSort::ReferredOn => Some("referred_on"),
        QueueSort::Reference => None,
        QueueSort::NextDeadline => Some("next_due_key"),
    }
}

/// The lowest deadline flag the deadline filter's partial indexes hold ("due soon"; migration
/// 0031 writes it as the literal 2).
const FLAGGED: i16 = 2;

/// How `case_summaries.deadline_flag` records the worst open deadline.
pub(crate) fn deadline_flag(status: DeadlineStatus) -> i16 {
    match status {
        DeadlineStatus::OnTrack => 1,
        DeadlineStatus::DueSoon => 2,
        DeadlineStatus::Overdue => 3,
    }
}

/// The statuses `q` can match: those asked for (all when none are), narrowed by `overdue`.
fn statuses(q: &QueueQuery) -> Vec<CaseStatus> {
    let mut list: Vec<CaseStatus> = if q.statuses.is_empty() {
        CaseStatus::ALL.to_vec()
    } else {
        let mut l = Vec::new();
        for s in &q.statuses {
            if !l.contains(s) {
                l.push(*s);
            }
        }
        l
    };
    if q.overdue == Some(true) {
        list.retain(|s| *s == CaseStatus::AwaitingReasonableGrounds);
    }
    // A Duty to Notify report has no competent authority (its summary is written with none),
    // so a filter on one never matches it. Its branch is left out rather than walked: on
    // PostgreSQL, which takes status and authority for independent, it was planned as a walk
    // of every report's reference for a page of matches that never come (the competent
    // authorities' `overdue=false` page by reference: 262 ms at a million cases).
    if q.competent_authority.is_some() {
        list.retain(|s| *s != CaseStatus::DutyToNotify);
    }
    list
}

/// The cursor at `case` for `q`'s sort.
fn cursor_at(
    q: &QueueQuery,
    case: &CaseSummary,
    forward: bool,
    keys: (NaiveDate, NaiveDate),
) -> QueueCursor {
    let (rg_due_key, next_due_key) = keys;
    let dated = |key| CursorAt::Dated {
        key,
        case_id: case.case_id,
    };
    QueueCursor {
        sort: q.sort,
        direction: q.direction,
        forward,
        at: match q.sort {
            QueueSort::ReasonableGroundsDue => dated(rg_due_key),
            QueueSort::ReferredOn => dated(case.referred_on),
            QueueSort::Reference => CursorAt::Reference(case.reference.clone()),
            QueueSort::NextDeadline => dated(next_due_key),
        },
    }
}

impl Store {
    /// One page of the work queue.
    pub async fn queue(&self, q: &QueueQuery) -> Result<QueuePage, StoreError> {
        let per_page = q.per_page.clamp(1, 100);
        let statuses = statuses(q);
        if statuses.is_empty() {
            return Ok(QueuePage::empty(per_page));
        }
        let cursor = q.cursor.clone().filter(|c| c.fits(q.sort, q.direction));
        let forward = cursor.as_ref().is_none_or(|c| c.forward);
        let limit = i64::from(per_page) + 1;
        let postgres = matches!(self.kind(), crate::DatabaseKind::Postgres);
        // Where a page's time goes, for `NRM_LOG=nrm_store::queue=debug` (no values).
        let started = std::time::Instant::now();
        let exact = self.exact_count(q, &statuses).await?;
        let counted = started.elapsed();
        let days = self.not_due_days(q, &statuses).await?;
        let dated = started.elapsed();
        let (rows, total, capped_count) = on_pool!(self, pool => {
            let total: i64 = match exact {
                Some(n) => i64::try_from(n).unwrap_or(i64::MAX),
                None => {
                    let mut count = QueryBuilder::new("");
                    push_count!(count, q, &statuses);
                    count.build_query_scalar().fetch_one(pool).await?
                }
            };
            let capped_count = started.elapsed();
            let mut select = QueryBuilder::new("");
            push_page!(select, q, &statuses, forward, limit, postgres, days.as_deref());
            let rows = select.build().fetch_all(pool).await?;
            let mut summaries = Vec::with_capacity(rows.len());
            for row in &rows {
                let keys: (NaiveDate, NaiveDate) = (row.try_get("rg_due_key")?, row.try_get("next_due_key")?);
                summaries.push((summary_from_row!(row, q.today), keys));
            }
            (summaries, total, capped_count)
        });
        let paged = started.elapsed();
        let mut rows = rows;
        let more = rows.len() > per_page as usize;
        rows.truncate(per_page as usize);
        if !forward {
            rows.reverse();
        }
        // Reading forward, there is a page after this one when the query found one row more
        // than fits; reading backward, there is (we came from it). And the other way round
        // for the page before. Back at the start, the first page may be short (cases added
        // since): filling it up would show again cases from the page after it.
        let (after, before) = if forward {
            (more, cursor.is_some())
        } else {
            (true, more)
        };
        let next = match rows.last() {
            Some((case, keys)) if after => Some(cursor_at(q, case, true, *keys)),
            _ => None,
        };
        let previous = match rows.first() {
            Some((case, keys)) if before => Some(cursor_at(q, case, false, *keys)),
            _ => None,
        };
        let mut cases: Vec<CaseSummary> = rows.into_iter().map(|(case, _)| case).collect();
        self.attach_exploitation_types(&mut cases).await?;
        tracing::debug!(
            exact_count_us = counted.as_micros(),
            not_due_days_us = (dated - counted).as_micros(),
            capped_count_us = (capped_count - dated).as_micros(),
            page_us = (paged - capped_count).as_micros(),
            types_us = (started.elapsed() - paged).as_micros(),
            kept_count = exact.is_some(),
            statuses = statuses.len(),
            "queue page"
        );
        let total = u64::try_from(total).unwrap_or(0);
        // A kept count is exact at any size; a counted one stops past the limit.
        let capped = exact.is_none() && total > q.count_limit;
        Ok(QueuePage {
            cases,
            total: if capped { q.count_limit } else { total },
            total_capped: capped,
            next,
            previous,
            per_page,
        })
    }

    /// The plans the database chooses for the queries of [`Store::queue`] with `q`: for tests
    /// and the benchmark to prove every filter and sort is read through an index.
    pub async fn queue_plans(&self, q: &QueueQuery) -> Result<Vec<QueryPlan>, StoreError> {
        let statuses = statuses(q);
        let forward = q.cursor.as_ref().is_none_or(|c| c.forward);
        let limit = i64::from(q.per_page.clamp(1, 100)) + 1;
        let postgres = matches!(self.kind(), crate::DatabaseKind::Postgres);
        let prefix = if postgres {
            "EXPLAIN (FORMAT JSON) "
        } else {
            "EXPLAIN QUERY PLAN "
        };
        let days = self.not_due_days(q, &statuses).await?;
        let mut plans = Vec::new();
        let queries: &[&'static str] = if days.is_some() {
            &["page", "count", "not-due days"]
        } else {
            &["page", "count"]
        };
        for &query in queries {
            let steps: Vec<String> = on_pool!(self, pool => {
                let mut b = QueryBuilder::new(prefix);
                if query == "not-due days" {
                    push_not_due_days!(b, q);
                } else if query == "page" {
                    push_page!(b, q, &statuses, forward, limit, postgres, days.as_deref());
                } else if !crate::counts::push_exact_count!(b, q, &statuses) {
                    push_count!(b, q, &statuses);
                }
                let rows = b.build().fetch_all(pool).await?;
                let mut steps = Vec::new();
                for row in &rows {
                    if postgres {
                        let json: String = row.try_get_unchecked(0)?;
                        let value: serde_json::Value = serde_json::from_str(&json)
                            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                        crate::plans::postgres_steps(&value, &mut steps);
                    } else {
                        steps.push(row.try_get::<String, _>("detail")?);
                    }
                }
                steps
            });
            plans.push(QueryPlan { query, steps });
        }
        Ok(plans)
    }

    /// The distinct RG due dates of the cases awaiting Reasonable Grounds not yet due, soonest
    /// first, when `q`'s page reads them a day at a time: not overdue, sorted by anything but
    /// the due date, in one of the two scopes large enough to matter (all cases or a competent
    /// authority's; the smaller scopes and the few suspended cases or those awaiting review
    /// have indexes of their own, whose range is small). `None` otherwise, or when there are
    /// more than [`NOT_DUE_DAYS`] (the range is then read and sorted whole, as before). A
    /// probe per date (`push_not_due_days!`), not a read of the range.
    async fn not_due_days(
        &self,
        q: &QueueQuery,
        statuses: &[CaseStatus],
    ) -> Result<Option<Vec<NaiveDate>>, StoreError> {
        if q.overdue != Some(false)
            || q.sort == QueueSort::ReasonableGroundsDue
            || !large_scope(q)
            || !statuses.contains(&CaseStatus::AwaitingReasonableGrounds)
        {
            return Ok(None);
        }
        let days: Vec<NaiveDate> = on_pool!(self, pool => {
            let mut b = QueryBuilder::new("");
            push_not_due_days!(b, q);
            b.build_query_scalar().fetch_all(pool).await?
        });
        Ok((days.len() <= NOT_DUE_DAYS).then_some(days))
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
        let status = $crate::queue::decode("status", &status, CaseStatus::parse)?;
        let kind: String = row.try_get("kind")?;
        let authority: Option<String> = row.try_get("competent_authority")?;
        let age_group: Option<String> = row.try_get("age_group")?;
        let due: Option<NaiveDate> = row.try_get("rg_due_on")?;
        let version: i64 = row.try_get("version")?;
        CaseSummary {
            case_id: CaseId(row.try_get("case_id")?),
            reference: row.try_get("reference")?,
            kind: $crate::queue::decode("kind", &kind, CaseKind::parse)?,
            overdue: status == CaseStatus::AwaitingReasonableGrounds
                && due.is_some_and(|d| d < $today),
            status,
            competent_authority: match authority {
                Some(code) => Some($crate::queue::decode(
                    "competent_authority",
                    &code,
                    CompetentAuthority::parse,
                )?),
                None => None,
            },
            age_group: match age_group {
                Some(code) => Some($crate::queue::decode("age_group", &code, parse_age_group)?),
                None => None,
            },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_competent_authoritys_queue_has_no_duty_to_notify_branch() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        let mut q = QueueQuery::new(today);
        assert!(statuses(&q).contains(&CaseStatus::DutyToNotify));
        q.competent_authority = Some(CompetentAuthority::Sca);
        let narrowed = statuses(&q);
        assert!(!narrowed.contains(&CaseStatus::DutyToNotify));
        assert_eq!(narrowed.len(), CaseStatus::ALL.len() - 1);
        // Asked for alone, with an authority: nothing to read.
        q.statuses = vec![CaseStatus::DutyToNotify];
        assert!(statuses(&q).is_empty());
    }

    #[test]
    fn a_cursor_reads_back_as_made_and_refuses_a_place_of_the_wrong_kind() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap_or_default();
        let dated = QueueCursor {
            sort: QueueSort::ReferredOn,
            direction: SortDirection::Descending,
            forward: false,
            at: CursorAt::Dated {
                key: day,
                case_id: CaseId(uuid::Uuid::now_v7()),
            },
        };
        let by_reference = QueueCursor {
            sort: QueueSort::Reference,
            direction: SortDirection::Ascending,
            forward: true,
            at: CursorAt::Reference("NRM-2026-K7M3-QX9D".to_owned()),
        };
        for cursor in [&dated, &by_reference] {
            let text = cursor.encode();
            assert!(
                text.bytes().all(|b| b.is_ascii_hexdigit()),
                "URL-safe as it is"
            );
            assert_eq!(QueueCursor::decode(&text).as_ref(), Some(cursor));
            assert!(cursor.fits(cursor.sort, cursor.direction));
        }
        assert_eq!(dated.date(), Some(day));
        assert_eq!(by_reference.date(), None);
        // A place of the other kind for its sort: made by hand, it fits no query.
        let mismatched = QueueCursor {
            sort: QueueSort::ReasonableGroundsDue,
            ..by_reference.clone()
        };
        assert!(!mismatched.fits(QueueSort::ReasonableGroundsDue, SortDirection::Ascending));
        assert_eq!(QueueCursor::decode(&mismatched.encode()), None);
        let hex = |plain: &str| {
            plain
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        for forged in [
            "q2|rg|a|n|2026-12-03|NRM-2026-K7M3-QX9D",
            "q2|reference|a|n|2026-12-03|NRM-2026-K7M3-QX9D",
            "q2|reference|a|n||NRM' OR 1=1",
            "q2|next|a|n||01a244ac-d24b-76b3-ac89-447471919aaf",
            "q1|referred|d|p|2026-12-03|NRM-2026-K7M3-QX9D",
            "q2|referred|d|p|2026-12-03|01a244ac-d24b-76b3-ac89-447471919aaf|more",
        ] {
            assert_eq!(QueueCursor::decode(&hex(forged)), None, "{forged}");
        }
    }
}
