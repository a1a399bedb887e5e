//! The work queue at volume, on both backends: every filter and sort is read through an
//! index (plan checks), and keyset paging visits every case exactly once while other cases
//! are being added.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::case::{CaseState, CaseStatus};
use nrm_domain::command::{Command, LifecycleCommand, decide};
use nrm_domain::event::{CompetentAuthority, DeadlineStatus};
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::ids::CaseId;
use nrm_domain::submission::AgeGroup;
use nrm_domain::{Actor, Rulebook};
use nrm_store::seeding::SyntheticCases;
use nrm_store::testing::{self, TestStore};
use nrm_store::{Append, CursorAt, QueueCursor, QueueQuery, QueueSort, SortDirection, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn today() -> NaiveDate {
    now().date_naive()
}

/// Raises the deadline flags as the service's sweep does on `now`'s day: through the
/// domain's decide.
async fn sweep_on(store: &Store, now: DateTime<Utc>) {
    let rules = Rulebook::current();
    let today = now.date_naive();
    let horizon = today + Duration::days(10);
    for case_id in store
        .cases_with_deadlines_to_flag(today, horizon)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
    {
        let loaded = store
            .load(case_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the case exists"));
        let events: Vec<_> = loaded.events.iter().map(|e| e.event.clone()).collect();
        let state = CaseState::from_events(&events);
        let command = Command::Lifecycle(LifecycleCommand::SweepDeadlines);
        let new =
            decide(&state, &command, Actor::SYSTEM, &rules, now).unwrap_or_else(|e| panic!("{e}"));
        if new.is_empty() {
            continue;
        }
        store
            .append(Append {
                case_id,
                expected_version: loaded.version,
                reference: None,
                events: &new,
                actor: Actor::SYSTEM,
                recorded_at: now,
                new_subjects: &[],
                vault_writes: &[],
                audit: None,
                draft: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A store seeded with `count` synthetic cases, swept, and (PostgreSQL) analysed as
/// autovacuum would.
async fn seeded(backend: &TestStore, count: u64) -> SyntheticCases {
    let mut cases = SyntheticCases::new(7, today(), 40, 12);
    cases
        .seed(&backend.store, count, 250, |_| {})
        .await
        .unwrap_or_else(|e| panic!("seed {}: {e}", backend.name));
    sweep_on(&backend.store, now()).await;
    if backend.name == "postgres" {
        backend
            .store
            .analyze()
            .await
            .unwrap_or_else(|e| panic!("analyze: {e}"));
    }
    cases
}

/// The scopes the access policy puts on a list, as the service applies them.
fn scopes(cases: &SyntheticCases) -> Vec<(&'static str, QueueQuery)> {
    let mut base = QueueQuery::new(today());
    // The count stops at 10,000 of up to a million rows in production; on this table of a few
    // thousand, the same ratio, since the planners choose by the share of rows a limit reads.
    base.count_limit = 30;
    let mut authority = base.clone();
    authority.competent_authority = Some(CompetentAuthority::Sca);
    let mut allocated = authority.clone();
    allocated.allocated_to = Some(cases.caseworkers()[0].user);
    let mut organisation = base.clone();
    organisation.referring_organisation = Some(cases.responders()[0].organisation);
    let mut pilot = base.clone();
    pilot.competent_authority = Some(CompetentAuthority::LocalAuthorityPanel);
    pilot.pilot_site = Some("glasgow".to_owned());
    let mut review = base.clone();
    review.review_pending = Some(true);
    vec![
        ("analyst", base),
        ("competent authority", authority),
        ("allocated decision maker", allocated),
        ("first responder organisation", organisation),
        ("pilot panel", pilot),
        ("review panel", review),
    ]
}

type Filter = (&'static str, fn(&mut QueueQuery));

const FILTERS: [Filter; 11] = [
    ("no filter", |_| {}),
    ("open cases", |q| {
        q.statuses = vec![
            CaseStatus::AwaitingReasonableGrounds,
            CaseStatus::AwaitingConclusiveGrounds,
        ]
    }),
    ("one status", |q| {
        q.statuses = vec![CaseStatus::AwaitingConclusiveGrounds]
    }),
    ("deadline overdue", |q| {
        q.deadline = Some(DeadlineStatus::Overdue)
    }),
    ("deadline due soon", |q| {
        q.deadline = Some(DeadlineStatus::DueSoon)
    }),
    ("overdue", |q| q.overdue = Some(true)),
    ("not overdue", |q| q.overdue = Some(false)),
    ("children", |q| q.age_group = Some(AgeGroup::Child)),
    ("labour exploitation", |q| {
        q.exploitation_type = Some(ExploitationType::Labour)
    }),
    ("not suspended", |q| q.suspended = Some(false)),
    ("suspended", |q| q.suspended = Some(true)),
];

const SORTS: [QueueSort; 4] = [
    QueueSort::ReasonableGroundsDue,
    QueueSort::ReferredOn,
    QueueSort::Reference,
    QueueSort::NextDeadline,
];

/// Whether an index leads with the scope and status and then the sort key, so the page is
/// read in order and no sort is needed below the merge of the statuses.
fn ordered_index_exists(scope: &str, q: &QueueQuery) -> bool {
    if q.deadline.is_some() {
        return matches!(scope, "analyst" | "competent authority");
    }
    match scope {
        "analyst" | "competent authority" => true,
        "first responder organisation" => matches!(
            q.sort,
            QueueSort::ReasonableGroundsDue | QueueSort::ReferredOn
        ),
        _ => q.sort == QueueSort::ReasonableGroundsDue,
    }
}

// Every filter and sort of the queue, under every scope the policy applies, on both engines:
// case_summaries is only ever searched through an index (never scanned), and where an index
// matches scope, status and sort, no sort of the matches is needed (SQLite: no temporary
// B-tree below the merge of the statuses).
#[tokio::test]
async fn every_queue_filter_and_sort_is_read_through_an_index() {
    for backend in testing::all().await {
        let cases = seeded(&backend, 3000).await;
        // A cursor from the middle of the queue, for the plans of later pages.
        let mut checked = 0;
        let mut failures = Vec::new();
        for (scope, base) in scopes(&cases) {
            for (filter, apply) in FILTERS {
                for sort in SORTS {
                    for direction in [SortDirection::Ascending, SortDirection::Descending] {
                        for forward in [None, Some(true), Some(false)] {
                            let mut q = base.clone();
                            apply(&mut q);
                            q.sort = sort;
                            q.direction = direction;
                            q.cursor = forward.map(|forward| QueueCursor {
                                sort,
                                direction,
                                forward,
                                at: if sort == QueueSort::Reference {
                                    CursorAt::Reference("NRM-M".to_owned())
                                } else {
                                    CursorAt::Dated {
                                        key: today(),
                                        case_id: CaseId(uuid::Uuid::now_v7()),
                                    }
                                },
                            });
                            let plans = backend
                                .store
                                .queue_plans(&q)
                                .await
                                .unwrap_or_else(|e| panic!("{e}"));
                            let what = format!(
                                "{}: {scope}, {filter}, {sort:?} {direction:?}, cursor {forward:?}",
                                backend.name
                            );
                            for plan in &plans {
                                for step in &plan.steps {
                                    let scan = if backend.name == "sqlite" {
                                        (step.starts_with("SCAN s") || step.starts_with("SEARCH s"))
                                            && !step.starts_with("SEARCH s USING")
                                    } else {
                                        step.starts_with("Seq Scan on case_summaries")
                                    };
                                    if scan {
                                        failures.push(format!(
                                            "{what}: the {} query scans case_summaries: {:?}",
                                            plan.query, plan.steps
                                        ));
                                    }
                                }
                            }
                            if filter == "suspended" {
                                // Few cases are suspended: their own partial indexes, never a
                                // walk of a sort index past every case that is not.
                                let page = &plans[0];
                                let reads: Vec<&String> = page
                                    .steps
                                    .iter()
                                    .filter(|s| {
                                        s.starts_with("SEARCH s ")
                                            || s.contains("on case_summaries")
                                    })
                                    .collect();
                                if reads.is_empty()
                                    || reads.iter().any(|s| !s.contains("queue_suspended"))
                                {
                                    failures.push(format!(
                                        "{what}: suspended cases not read by their index: {:?}",
                                        page.steps
                                    ));
                                }
                            }
                            if backend.name == "postgres"
                                && matches!(scope, "analyst" | "competent authority")
                                && matches!(
                                    filter,
                                    "no filter"
                                        | "open cases"
                                        | "not overdue"
                                        | "children"
                                        | "labour exploitation"
                                        | "not suspended"
                                )
                            {
                                // Merged from several statuses or filtered by age group or
                                // exploitation type, each branch's keys come from a sort index
                                // alone, a filter tested on each entry (migration 0037), and
                                // only the page's rows are read, by case id: branches read
                                // with their rows visited every branch's page of the table,
                                // and a filtered one the row of each entry it skipped.
                                let page = &plans[0];
                                let walks: Vec<&String> = page
                                    .steps
                                    .iter()
                                    .filter(|s| {
                                        s.contains("on case_summaries")
                                            && !s.contains("using case_summaries_pkey")
                                    })
                                    .collect();
                                let looked_up = page
                                    .steps
                                    .iter()
                                    .any(|s| s.contains("using case_summaries_pkey"));
                                if walks.is_empty()
                                    || !looked_up
                                    || walks.iter().any(|s| {
                                        !s.starts_with(
                                            "Index Only Scan on case_summaries using queue_",
                                        )
                                    })
                                {
                                    failures.push(format!(
                                        "{what}: the filtered page is not read from an index alone, its rows after: {:?}",
                                        page.steps
                                    ));
                                }
                            }
                            // The indexes of migration 0031 hold only the cases they are
                            // read for: the deadline filter's the flagged cases, a pilot
                            // site's its cases, the review panel's those awaiting review. Each
                            // is matched by the planners (a filtered walk of another index
                            // would pass the checks above and cost in proportion to the rest).
                            let own = match (scope, filter) {
                                (
                                    "analyst" | "competent authority",
                                    "deadline overdue" | "deadline due soon",
                                ) => Some(["queue_flag", "queue_ca_flag"]),
                                // The pilot's panel is a competent authority of its own, so
                                // its authority's index reads the same range.
                                ("pilot panel", "no filter" | "one status" | "open cases")
                                    if sort == QueueSort::ReasonableGroundsDue =>
                                {
                                    Some(["queue_pilot", "queue_ca"])
                                }
                                ("review panel", "no filter" | "one status" | "open cases")
                                    if sort == QueueSort::ReasonableGroundsDue =>
                                {
                                    Some(["queue_review", "queue_review"])
                                }
                                _ => None,
                            };
                            if let Some(own) = own {
                                let page = &plans[0];
                                let indexes: Vec<&str> = page
                                    .steps
                                    .iter()
                                    .filter_map(|s| {
                                        let at = s
                                            .find("USING INDEX queue_")
                                            .map(|i| i + "USING INDEX ".len())
                                            .or_else(|| {
                                                s.find("using queue_").map(|i| i + "using ".len())
                                            })?;
                                        s[at..].split([' ', ')']).next()
                                    })
                                    .collect();
                                let theirs = |index: &&str| {
                                    own.iter().any(|o| {
                                        index.strip_prefix(o).is_some_and(|rest| {
                                            rest.is_empty() || rest.starts_with('_')
                                        })
                                    })
                                };
                                if indexes.is_empty() || !indexes.iter().all(theirs) {
                                    failures.push(format!(
                                        "{what}: not read through {own:?}: {:?}",
                                        page.steps
                                    ));
                                }
                            }
                            if filter == "not overdue" {
                                let page = &plans[0];
                                let large = matches!(scope, "analyst" | "competent authority");
                                if large && sort != QueueSort::ReasonableGroundsDue {
                                    // At the large scopes, sorted by anything but the due
                                    // date, the cases awaiting RG not yet due are read a due
                                    // date at a time (migration 0034): each date one walk of
                                    // an index holding that day in the sort's order, from the
                                    // index alone, stopped at the page; the dates found first,
                                    // a probe each. Never the whole range, sorted.
                                    if !plans.iter().any(|p| p.query == "not-due days") {
                                        failures.push(format!(
                                            "{what}: the not-yet-due cases are not read a due date at a time: {:?}",
                                            page.steps
                                        ));
                                    }
                                    let by_day = if backend.name == "sqlite" {
                                        let start = page
                                            .steps
                                            .iter()
                                            .position(|s| s == "MATERIALIZE not_due");
                                        let end = page.steps.iter().position(|s| s == "SCAN n");
                                        match (start, end) {
                                            (Some(a), Some(b)) if a < b => {
                                                let reads: Vec<&String> = page.steps[a..b]
                                                    .iter()
                                                    .filter(|s| s.starts_with("SEARCH s"))
                                                    .collect();
                                                !reads.is_empty()
                                                    && reads.iter().all(|s| {
                                                        s.starts_with(
                                                            "SEARCH s USING COVERING INDEX queue_",
                                                        ) && s.contains("rg_due_key=?")
                                                    })
                                            }
                                            _ => false,
                                        }
                                    } else {
                                        let reads: Vec<&String> = page
                                            .steps
                                            .iter()
                                            .filter(|s| s.contains("rg_due_key = "))
                                            .collect();
                                        !reads.is_empty()
                                            && reads.iter().all(|s| {
                                                s.starts_with(
                                                "Index Only Scan on case_summaries using queue_",
                                            )
                                            })
                                    };
                                    // By primary key: joined on the reference, SQLite
                                    // walked the status's index for each row of the page.
                                    let looked_up = backend.name != "sqlite"
                                        || page.steps.iter().any(|s| {
                                            s.starts_with("SEARCH s USING INDEX")
                                                && s.ends_with("(case_id=?)")
                                        });
                                    if !by_day || !looked_up {
                                        failures.push(format!(
                                            "{what}: the not-yet-due cases are not read a due date at a time from an index alone, the page's rows after: {:?}",
                                            page.steps
                                        ));
                                    }
                                } else {
                                    // Otherwise they are read as the range they are (due
                                    // today or later) of an RG due-date index, never by
                                    // walking past the overdue ones. That status is the first
                                    // branch (SQLite names no status in its plan).
                                    let range = if backend.name == "sqlite" {
                                        page.steps
                                            .iter()
                                            .find(|s| s.starts_with("SEARCH s "))
                                            .is_some_and(|s| s.contains("(rg_due_key,case_id)>("))
                                    } else {
                                        // (Or through an index holding only the cases
                                        // awaiting RG, migration 0034, which names no status.)
                                        page.steps.iter().any(|s| {
                                            (s.contains("'awaiting_reasonable_grounds'")
                                                || s.contains(" using queue_nd_"))
                                                && s.contains("ROW(rg_due_key, case_id) >")
                                        })
                                    };
                                    if !range {
                                        failures.push(format!(
                                            "{what}: the not-yet-due cases are not read as a range of due dates: {:?}",
                                            page.steps
                                        ));
                                    }
                                }
                            }
                            if backend.name == "sqlite" {
                                // The one sort of matches allowed: the not-yet-due range of
                                // the cases awaiting RG (a week or so of intake), read first
                                // (`MATERIALIZE not_due`, scanned as `n`) when the page is
                                // sorted by anything but the due date.
                                let page = &plans[0];
                                let sorts_range = page.steps.windows(2).any(|w| {
                                    w[0] == "SCAN n" && w[1].contains("TEMP B-TREE FOR ORDER BY")
                                });
                                let allowed = filter == "not overdue"
                                    && sort != QueueSort::ReasonableGroundsDue;
                                if sorts_range != allowed {
                                    failures.push(format!(
                                        "{what}: the not-yet-due range {} sorted: {:?}",
                                        if sorts_range { "is" } else { "is not" },
                                        page.steps
                                    ));
                                }
                            }
                            if backend.name == "sqlite" && ordered_index_exists(scope, &q) {
                                // A temporary B-tree straight after the search of
                                // case_summaries sorts its matches; one after the scan of a
                                // status's branch (b0, b1…) only orders that branch's page for
                                // the merge, a few dozen rows at any size.
                                let page = &plans[0];
                                // (The not-yet-due page's lookup of its own rows by case
                                // id is followed by the sort of those few rows.)
                                let sorts_matches = page.steps.windows(2).any(|w| {
                                    w[0].starts_with("SEARCH s")
                                        && !w[0].ends_with("(case_id=?)")
                                        && w[1].contains("TEMP B-TREE FOR ORDER BY")
                                });
                                if sorts_matches {
                                    failures.push(format!(
                                        "{what}: the page sorts its matches: {:?}",
                                        page.steps
                                    ));
                                }
                            }
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 6 * FILTERS.len() * 4 * 2 * 3);
        assert!(
            failures.is_empty(),
            "{} of {checked} queries:\n{}",
            failures.len(),
            failures.join("\n")
        );
        backend.cleanup().await;
    }
}

/// Every reference the queue shows for `q`, following `next` cursors to the end (or
/// `previous` cursors back from `start`).
async fn walk(store: &Store, q: &QueueQuery, mut pages: impl FnMut(usize)) -> Vec<String> {
    let mut seen = Vec::new();
    let mut q = q.clone();
    let forward = q.cursor.as_ref().is_none_or(|c| c.forward);
    for page in 0.. {
        pages(page);
        let result = store.queue(&q).await.unwrap_or_else(|e| panic!("{e}"));
        if forward {
            seen.extend(result.cases.iter().map(|c| c.reference.clone()));
        } else {
            let mut refs: Vec<String> = result.cases.iter().map(|c| c.reference.clone()).collect();
            refs.extend(seen);
            seen = refs;
        }
        match if forward {
            result.next
        } else {
            result.previous
        } {
            Some(cursor) => q.cursor = Some(cursor),
            None => break,
        }
        assert!(page < 10_000, "paging ends");
    }
    seen
}

fn once(seen: &[String], expected: &HashSet<String>, what: &str) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in seen {
        *counts.entry(r.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "{what}: shown more than once: {twice:?}");
    let missing: Vec<_> = expected
        .iter()
        .filter(|r| !counts.contains_key(r.as_str()))
        .collect();
    assert!(missing.is_empty(), "{what}: never shown: {missing:?}");
}

// Keyset paging, forwards and backwards, in every sort: each case that was there when paging
// started is shown exactly once, while new cases are added between the pages.
#[tokio::test]
async fn keyset_paging_visits_every_case_once_while_cases_are_added() {
    for backend in testing::all().await {
        let started = std::time::Instant::now();
        let mut cases = seeded(&backend, 300).await;
        eprintln!("{}: seeded in {:?}", backend.name, started.elapsed());
        let all = backend
            .store
            .queue(&{
                let mut q = QueueQuery::new(today());
                q.per_page = 100;
                q
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(all.total, 300);
        for sort in SORTS {
            for direction in [SortDirection::Ascending, SortDirection::Descending] {
                let mut q = QueueQuery::new(today());
                q.sort = sort;
                q.direction = direction;
                q.per_page = 20;
                let before = walk(&backend.store, &q, |_| {}).await;
                let expected: HashSet<String> = before.iter().cloned().collect();
                once(&before, &expected, "quiet");
                // Forwards, with three new cases committed before each page is read.
                let store = backend.store.clone();
                let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
                let writer = {
                    let store = store.clone();
                    let mut more = SyntheticCases::new(rand_seed(sort, direction), today(), 5, 3);
                    tokio::spawn(async move {
                        while rx.recv().await.is_some() {
                            more.seed(&store, 3, 3, |_| {})
                                .await
                                .unwrap_or_else(|e| panic!("{e}"));
                        }
                    })
                };
                let mut pages = Vec::new();
                let mut q2 = q.clone();
                let last;
                let forward = {
                    let tx = tx.clone();
                    let mut seen = Vec::new();
                    loop {
                        let result = store.queue(&q2).await.unwrap_or_else(|e| panic!("{e}"));
                        seen.extend(result.cases.iter().map(|c| c.reference.clone()));
                        pages.push(result.cases.len());
                        tx.send(()).await.unwrap_or_else(|e| panic!("{e}"));
                        match result.next.clone() {
                            Some(c) => q2.cursor = Some(c),
                            None => {
                                last = result;
                                break;
                            }
                        }
                    }
                    seen
                };
                once(
                    &forward,
                    &expected,
                    &format!("{sort:?} {direction:?} forwards"),
                );
                // And back from the last page, as it was read, to the first. (Read again, it
                // could hold cases added since that push the old ones past its end.)
                let mut back = last
                    .cases
                    .iter()
                    .map(|c| c.reference.clone())
                    .collect::<Vec<_>>();
                if let Some(previous) = last.previous {
                    let mut q3 = q.clone();
                    q3.cursor = Some(previous);
                    let tx = tx.clone();
                    back.extend(
                        walk(&store, &q3, move |_| {
                            let _ = tx.try_send(());
                        })
                        .await,
                    );
                }
                once(
                    &back,
                    &expected,
                    &format!("{sort:?} {direction:?} backwards"),
                );
                drop(tx);
                writer.await.unwrap_or_else(|e| panic!("{e}"));
                assert!(pages.len() >= 300 / 20, "paged through every page");
            }
        }
        let _ = &mut cases;
        eprintln!("{}: paged in {:?}", backend.name, started.elapsed());
        backend.cleanup().await;
    }
}

// The cases that are not overdue, in every sort and direction, forwards and back: the
// awaiting-RG branch reads its not-yet-due range first (sorted, unless by the due date) and
// pages through it by the same cursors as every other branch, so each case is listed exactly
// once and in order, and no overdue one is.
#[tokio::test]
async fn not_overdue_pages_list_each_case_not_overdue_once_in_order() {
    for backend in testing::all().await {
        seeded(&backend, 1500).await;
        // Judged a month back, so more of the cases awaiting RG are not yet due (the seed's
        // referrals are spread over four years).
        let on = today() - Duration::days(30);
        let everything = every_case(&backend.store).await;
        let overdue = |c: &nrm_store::CaseSummary| {
            c.status == CaseStatus::AwaitingReasonableGrounds
                && c.reasonable_grounds_due_on.is_some_and(|d| d < on)
        };
        let expected: HashSet<String> = everything
            .iter()
            .filter(|c| !overdue(c))
            .map(|c| c.reference.clone())
            .collect();
        let awaiting_not_due = everything
            .iter()
            .filter(|c| c.status == CaseStatus::AwaitingReasonableGrounds && !overdue(c))
            .count();
        assert!(
            awaiting_not_due > 10 && expected.len() < everything.len(),
            "the seed has cases awaiting RG on both sides of the day ({awaiting_not_due} not due)"
        );
        let by_reference: HashMap<&str, &nrm_store::CaseSummary> = everything
            .iter()
            .map(|c| (c.reference.as_str(), c))
            .collect();
        // All cases, a competent authority's, and one with a filter the index does not hold
        // (read a due date at a time at these scopes, migration 0034).
        let scopes: [NotOverdueScope; 3] = [
            ("all cases", |_| true, |_| {}),
            (
                "the SCA's",
                |c| c.competent_authority == Some(CompetentAuthority::Sca),
                |q| q.competent_authority = Some(CompetentAuthority::Sca),
            ),
            (
                "the SCA's children",
                |c| {
                    c.competent_authority == Some(CompetentAuthority::Sca)
                        && c.age_group == Some(AgeGroup::Child)
                },
                |q| {
                    q.competent_authority = Some(CompetentAuthority::Sca);
                    q.age_group = Some(AgeGroup::Child);
                },
            ),
        ];
        for (scope, within, narrow) in scopes {
            let expected: HashSet<String> = everything
                .iter()
                .filter(|c| within(c) && expected.contains(&c.reference))
                .map(|c| c.reference.clone())
                .collect();
            for sort in SORTS {
                for direction in [SortDirection::Ascending, SortDirection::Descending] {
                    let mut q = QueueQuery::new(on);
                    q.overdue = Some(false);
                    q.sort = sort;
                    q.direction = direction;
                    q.per_page = 20;
                    narrow(&mut q);
                    let what = format!("{}: {scope}, {sort:?} {direction:?}", backend.name);
                    let forwards = walk(&backend.store, &q, |_| {}).await;
                    once(&forwards, &expected, &format!("{what} forwards"));
                    assert_eq!(
                        forwards.len(),
                        expected.len(),
                        "{what}: only cases not overdue"
                    );
                    // In the order asked for, by the sort's date, and the cases of one date
                    // in the order they arrived (their case ids are time-ordered); sorted by
                    // reference, by reference. (The next deadline is not on the summary: its
                    // date is checked by the deadline test, the case ids' order here.)
                    let place = |r: &String| {
                        let c = by_reference[r.as_str()];
                        let date = match sort {
                            QueueSort::ReasonableGroundsDue => c.reasonable_grounds_due_on,
                            QueueSort::ReferredOn => Some(c.referred_on),
                            QueueSort::Reference | QueueSort::NextDeadline => None,
                        }
                        .unwrap_or(NaiveDate::MAX);
                        (date, c.case_id.0)
                    };
                    let places: Vec<(NaiveDate, uuid::Uuid)> = forwards.iter().map(place).collect();
                    let dated = matches!(
                        sort,
                        QueueSort::ReasonableGroundsDue | QueueSort::ReferredOn
                    );
                    assert!(
                        places.windows(2).all(|w| match (direction, dated) {
                            (SortDirection::Ascending, true) => w[0] < w[1],
                            (SortDirection::Descending, true) => w[0] > w[1],
                            (SortDirection::Ascending, false) => w[0].0 <= w[1].0,
                            (SortDirection::Descending, false) => w[0].0 >= w[1].0,
                        }),
                        "{what}: in order"
                    );
                    if sort == QueueSort::Reference {
                        assert!(
                            forwards.windows(2).all(|w| match direction {
                                SortDirection::Ascending => w[0] < w[1],
                                SortDirection::Descending => w[0] > w[1],
                            }),
                            "{what}: in order of reference"
                        );
                    }
                    // Back from the last page to the first.
                    let mut last = q.clone();
                    let mut page = backend
                        .store
                        .queue(&last)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    while let Some(next) = page.next.clone() {
                        last.cursor = Some(next);
                        page = backend
                            .store
                            .queue(&last)
                            .await
                            .unwrap_or_else(|e| panic!("{e}"));
                    }
                    let mut back: Vec<String> =
                        page.cases.iter().map(|c| c.reference.clone()).collect();
                    if let Some(previous) = page.previous {
                        let mut q2 = q.clone();
                        q2.cursor = Some(previous);
                        let mut earlier = walk(&backend.store, &q2, |_| {}).await;
                        earlier.extend(back);
                        back = earlier;
                    }
                    assert_eq!(back, forwards, "{what}: backwards as forwards");
                }
            }
        }
        backend.cleanup().await;
    }
}

/// A scope of the not-overdue paging test: its name, which cases it holds, and the filter
/// that narrows a query to them.
type NotOverdueScope = (
    &'static str,
    fn(&nrm_store::CaseSummary) -> bool,
    fn(&mut QueueQuery),
);

fn rand_seed(sort: QueueSort, direction: SortDirection) -> u64 {
    100 + SORTS.iter().position(|s| *s == sort).unwrap_or(0) as u64 * 2
        + u64::from(direction == SortDirection::Descending)
}

/// Every case in the store, by reference.
async fn every_case(store: &Store) -> Vec<nrm_store::CaseSummary> {
    let mut q = QueueQuery::new(today());
    q.per_page = 100;
    let mut all = Vec::new();
    loop {
        let page = store.queue(&q).await.unwrap_or_else(|e| panic!("{e}"));
        all.extend(page.cases);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return all,
        }
    }
}

// The deadline filter and the next-deadline sort read the summary's own columns now; the
// projection must keep them equal to the open deadlines themselves through every event that
// opens, closes or flags one (requests for information, decisions, the sweep on later days).
#[tokio::test]
async fn the_deadline_filter_and_sort_follow_the_open_deadlines() {
    for backend in testing::all().await {
        seeded(&backend, 300).await;
        for days_later in [0, 4, 9, 30] {
            sweep_on(&backend.store, now() + Duration::days(days_later)).await;
            let mut worst: HashMap<String, Option<DeadlineStatus>> = HashMap::new();
            for case in every_case(&backend.store).await {
                let deadlines = backend
                    .store
                    .deadlines(case.case_id)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let flag = deadlines
                    .iter()
                    .map(|(_, _, status)| match status.as_str() {
                        "overdue" => 3,
                        "due_soon" => 2,
                        _ => 1,
                    })
                    .max();
                worst.insert(
                    case.reference.clone(),
                    match flag {
                        Some(3) => Some(DeadlineStatus::Overdue),
                        Some(2) => Some(DeadlineStatus::DueSoon),
                        Some(_) => Some(DeadlineStatus::OnTrack),
                        None => None,
                    },
                );
            }
            for status in [
                DeadlineStatus::OnTrack,
                DeadlineStatus::DueSoon,
                DeadlineStatus::Overdue,
            ] {
                let mut q = QueueQuery::new(today());
                q.deadline = Some(status);
                q.sort = QueueSort::NextDeadline;
                q.per_page = 100;
                let mut listed = HashSet::new();
                loop {
                    let page = backend
                        .store
                        .queue(&q)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    let mut previous_due: Option<NaiveDate> = None;
                    for case in &page.cases {
                        listed.insert(case.reference.clone());
                        let due = backend
                            .store
                            .deadlines(case.case_id)
                            .await
                            .unwrap_or_else(|e| panic!("{e}"))
                            .iter()
                            .map(|(_, due, _)| *due)
                            .min();
                        assert!(due.is_some(), "a flagged case has an open deadline");
                        assert!(previous_due <= due, "sorted by the next open deadline");
                        previous_due = due;
                    }
                    match page.next {
                        Some(c) => q.cursor = Some(c),
                        None => break,
                    }
                }
                let expected: HashSet<String> = worst
                    .iter()
                    .filter(|(_, w)| **w == Some(status))
                    .map(|(r, _)| r.clone())
                    .collect();
                assert_eq!(
                    listed, expected,
                    "{}: {status:?} {days_later} days later",
                    backend.name
                );
                if days_later == 30 && status == DeadlineStatus::Overdue {
                    assert!(!expected.is_empty(), "the test flags some cases overdue");
                }
            }
        }
        backend.cleanup().await;
    }
}

/// For every scope and filter: the count a first page shows equals the cases its pages list.
async fn counts_match_listings(backend: &TestStore, cases: &SyntheticCases, when: &str) {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (scope, base) in scopes(cases) {
        for (filter, apply) in FILTERS {
            let mut q = base.clone();
            apply(&mut q);
            q.count_limit = u64::MAX;
            q.per_page = 100;
            let page = backend
                .store
                .queue(&q)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let listed = walk(&backend.store, &q, |_| {}).await.len() as u64;
            if page.total != listed || page.total_capped {
                failures.push(format!(
                    "{scope}, {filter}: counted {} (capped: {}), listed {listed}",
                    page.total, page.total_capped
                ));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 6 * FILTERS.len());
    assert!(
        failures.is_empty(),
        "{} {when}: {} of {checked} counts are wrong:\n{}",
        backend.name,
        failures.len(),
        failures.join("\n")
    );
}

// The counts the read model keeps (migration 0014) equal the cases the queue lists, for every
// filter under every scope, whether their deltas are folded or not, and after cases change
// (decisions, deadline flags raised by later sweeps).
#[tokio::test]
async fn kept_counts_equal_the_cases_listed_for_every_filter_and_scope() {
    for backend in testing::all().await {
        let cases = seeded(&backend, 500).await;
        // The import folds what it wrote; the test sweep's flags are deltas on top.
        counts_match_listings(&backend, &cases, "after seeding and a sweep, unfolded").await;
        backend
            .store
            .fold_queue_counts()
            .await
            .unwrap_or_else(|e| panic!("fold: {e}"));
        counts_match_listings(&backend, &cases, "after folding").await;
        let again = backend
            .store
            .fold_queue_counts()
            .await
            .unwrap_or_else(|e| panic!("fold: {e}"));
        assert_eq!(again.deltas, 0, "a second fold has nothing to move");
        // Later sweeps move flags to due soon and overdue: deltas on top of folded counts.
        sweep_on(&backend.store, now() + Duration::days(12)).await;
        counts_match_listings(&backend, &cases, "after a later sweep, unfolded").await;
        let folded = backend
            .store
            .fold_queue_counts()
            .await
            .unwrap_or_else(|e| panic!("fold: {e}"));
        assert!(folded.deltas > 0, "the later sweep left deltas to fold");
        counts_match_listings(&backend, &cases, "after a later sweep, folded").await;
        backend.cleanup().await;
    }
}

/// PostgreSQL plans a prepared statement for its bound values until a plan for any values
/// costs no more; a bound `LIMIT` made that generic plan look dear at a million cases, so every
/// page was planned afresh (0.7 ms of planning against 0.2 ms of reading). Every page, count
/// and walk of the large scopes, in every filter and sort, must therefore have its `LIMIT`s
/// written in: read from the prepared statements of the one connection that ran them.
#[tokio::test]
async fn queue_statements_bind_no_limit_on_postgres() {
    let Some(backend) = testing::postgres_with_connections(1).await else {
        return;
    };
    let cases = seeded(&backend, 300).await;
    let mut pages = 0;
    for (scope, base) in scopes(&cases) {
        for (filter, apply) in FILTERS {
            for sort in SORTS {
                let mut q = base.clone();
                apply(&mut q);
                q.sort = sort;
                let first = backend
                    .store
                    .queue(&q)
                    .await
                    .unwrap_or_else(|e| panic!("{scope}, {filter}: {e}"));
                pages += 1;
                if let Some(next) = first.next {
                    q.cursor = Some(next);
                    backend
                        .store
                        .queue(&q)
                        .await
                        .unwrap_or_else(|e| panic!("{scope}, {filter}, next: {e}"));
                    pages += 1;
                }
            }
        }
    }
    let prepared = backend
        .query_i64(
            "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%case_summaries%'",
        )
        .await;
    assert!(
        prepared > 10,
        "{pages} pages prepared only {prepared} statements"
    );
    let bound = backend
        .query_i64("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%case_summaries%' AND statement ~ 'LIMIT \\$[0-9]'")
        .await;
    assert_eq!(bound, 0, "queue statements with a bound LIMIT");
    backend.cleanup().await;
}
