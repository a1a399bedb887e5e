//! The work queue: the cases this person may see, filterable by status and deadline,
//! sortable, paged by "next" and "previous" cursors (no page numbers: counting pages would cost
//! as much as the matches), with due dates and overdue cases tagged.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use nrm_access::Operation;
use nrm_domain::case::CaseStatus;
use nrm_domain::clock::uk_date;
use nrm_domain::event::DeadlineStatus;
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::submission::AgeGroup;
use nrm_govuk::components::{Button, Pagination, PaginationLink, Select, SelectItem};
use nrm_store::{QueueCursor, QueueQuery, QueueSort, SortDirection};
use serde::Deserialize;

use crate::AppState;
use crate::pages::casework::{caller, date, deadline_tag, kind_words, page_error, status_words};
use crate::pages::errors::PageError;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

const PER_PAGE: u32 = 25;

/// The queue's query string: filters, sort and where the page starts. Unknown values (and a
/// cursor made for another sort) fall back to defaults.
#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    status: Option<String>,
    deadline: Option<String>,
    age: Option<String>,
    exploitation: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    /// `mine`, `unallocated`, or an account's id (a manager looking at one caseworker's cases).
    allocation: Option<String>,
}

#[derive(Debug)]
pub struct Row {
    pub reference: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub referred: String,
    pub due: String,
    pub tag: String,
}

#[derive(Template)]
#[template(path = "casework/queue.html")]
struct QueuePage {
    layout: Layout,
    /// The caller manages a team: link to its page.
    team: bool,
    /// The caller reviews possible earlier referrals (issue 14): link to the queue.
    persons: bool,
    /// The caller quality-assures pilot panels' decisions: link to that queue.
    assurance: bool,
    /// The caller sits on a pilot local authority's panel: link to its queue and meetings.
    panel: bool,
    filters: Vec<String>,
    apply: String,
    rows: Vec<Row>,
    total: String,
    showing: String,
    pagination: String,
}

const STATUSES: &[(&str, &str)] = &[
    ("", "All open cases"),
    ("awaiting_reasonable_grounds", "Awaiting Reasonable Grounds"),
    ("awaiting_conclusive_grounds", "Awaiting Conclusive Grounds"),
    ("negative_reasonable_grounds", "Negative Reasonable Grounds"),
    ("positive_conclusive_grounds", "Positive Conclusive Grounds"),
    ("negative_conclusive_grounds", "Negative Conclusive Grounds"),
    ("closed", "Closed"),
];
const DEADLINES: &[(&str, &str)] = &[
    ("", "Any"),
    ("overdue", "Overdue"),
    ("due_soon", "Due soon"),
];
const AGES: &[(&str, &str)] = &[("", "Any"), ("adult", "Adult"), ("child", "Child")];
const EXPLOITATION: &[(&str, &str)] = &[
    ("", "Any"),
    ("labour", "Labour"),
    ("sexual", "Sexual"),
    ("criminal", "Criminal"),
    ("domestic_servitude", "Domestic servitude"),
    ("organ_harvesting", "Organ harvesting"),
    ("other", "Other"),
    ("not_known", "Not known"),
];
const ALLOCATIONS: &[(&str, &str)] = &[
    ("", "Anyone's"),
    ("mine", "My cases"),
    ("unallocated", "Unallocated"),
];
const SORTS: &[(&str, &str)] = &[
    ("rg_due", "Reasonable Grounds due date, soonest first"),
    ("next_deadline", "Next deadline, soonest first"),
    ("referred_newest", "Referred, newest first"),
    ("referred_oldest", "Referred, oldest first"),
    ("reference", "Reference"),
];

fn select(name: &str, label: &str, options: &[(&str, &str)], current: &str) -> String {
    Select {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        label: Some(nrm_govuk::components::Label {
            text: Some(label.to_owned()),
            ..Default::default()
        }),
        classes: Some("govuk-!-width-full".to_owned()),
        items: options
            .iter()
            .map(|(value, text)| {
                Some(SelectItem {
                    value: Some((*value).to_owned()),
                    text: Some((*text).to_owned()),
                    selected: Some(*value == current),
                    ..SelectItem::default()
                })
            })
            .collect(),
        ..Select::default()
    }
    .to_string()
}

/// The work queue.
pub async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<QueueParams>,
) -> Result<Response, PageError> {
    let caller = caller(&signed_in);
    let capability = crate::access::authorise(&state, &caller, Operation::ListCases)
        .await
        .map_err(|p| page_error(&p))?;
    let now = state.now();
    let today = uk_date(now);
    let mut query = QueueQuery::new(today);
    let status = params.status.clone().unwrap_or_default();
    match CaseStatus::parse(&status) {
        Some(s) => query.statuses = vec![s],
        None => {
            query.statuses = vec![
                CaseStatus::AwaitingReasonableGrounds,
                CaseStatus::AwaitingConclusiveGrounds,
            ];
        }
    }
    let deadline = params.deadline.clone().unwrap_or_default();
    match deadline.as_str() {
        "overdue" => query.overdue = Some(true),
        "due_soon" => query.deadline = Some(DeadlineStatus::DueSoon),
        _ => {}
    }
    let age = params.age.clone().unwrap_or_default();
    query.age_group = match age.as_str() {
        "adult" => Some(AgeGroup::Adult),
        "child" => Some(AgeGroup::Child),
        _ => None,
    };
    let exploitation = params.exploitation.clone().unwrap_or_default();
    query.exploitation_type = ExploitationType::parse(&exploitation);
    let allocation = params.allocation.clone().unwrap_or_default();
    match allocation.as_str() {
        "mine" => query.allocated_to = Some(signed_in.principal.actor.user),
        "unallocated" => query.unallocated = true,
        other => {
            query.allocated_to = uuid::Uuid::parse_str(other)
                .ok()
                .map(nrm_domain::ids::UserId);
        }
    }
    let sort = params.sort.clone().unwrap_or_else(|| "rg_due".to_owned());
    (query.sort, query.direction) = match sort.as_str() {
        "next_deadline" => (QueueSort::NextDeadline, SortDirection::Ascending),
        "referred_newest" => (QueueSort::ReferredOn, SortDirection::Descending),
        "referred_oldest" => (QueueSort::ReferredOn, SortDirection::Ascending),
        "reference" => (QueueSort::Reference, SortDirection::Ascending),
        _ => (QueueSort::ReasonableGroundsDue, SortDirection::Ascending),
    };
    query.per_page = PER_PAGE;
    query.cursor = params
        .cursor
        .as_deref()
        .and_then(QueueCursor::decode)
        .filter(|c| c.fits(query.sort, query.direction));
    let result = state
        .cases
        .queue(&capability, &signed_in.principal, &query, now)
        .await
        .map_err(|e| PageError::from_service(e, signed_in.lang))?;
    let rows = result
        .cases
        .iter()
        .map(|case| Row {
            reference: case.reference.clone(),
            kind: kind_words(case.kind),
            status: status_words(case.status),
            referred: date(case.referred_on),
            due: case
                .reasonable_grounds_due_on
                .filter(|_| case.reasonable_grounds_outcome.is_none())
                .map(date)
                .unwrap_or_else(|| "No date".to_owned()),
            tag: case
                .reasonable_grounds_due_on
                .filter(|_| case.reasonable_grounds_outcome.is_none())
                .map(|due| deadline_tag(due, today, state.cases.rules(), false))
                .unwrap_or_default(),
        })
        .collect();
    let link = |cursor: &QueueCursor| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("status", &status);
        q.append_pair("deadline", &deadline);
        q.append_pair("age", &age);
        q.append_pair("exploitation", &exploitation);
        q.append_pair("allocation", &allocation);
        q.append_pair("sort", &sort);
        q.append_pair("cursor", &cursor.encode());
        format!("/cases?{}", q.finish())
    };
    let pagination = if result.next.is_some() || result.previous.is_some() {
        Pagination {
            previous: result.previous.as_ref().map(|c| PaginationLink {
                href: Some(link(c)),
                ..PaginationLink::default()
            }),
            next: result.next.as_ref().map(|c| PaginationLink {
                href: Some(link(c)),
                ..PaginationLink::default()
            }),
            ..Pagination::default()
        }
        .to_string()
    } else {
        String::new()
    };
    let total = if result.total_capped {
        format!("more than {}", thousands(result.total))
    } else {
        thousands(result.total)
    };
    let showing = match result.cases.len() {
        0 => "No cases match these filters".to_owned(),
        n => format!("Showing {n} of {total} cases"),
    };
    let heading = if allocation == "mine" {
        "My cases"
    } else {
        "Cases"
    };
    let team = nrm_access::authorise(&signed_in.principal, Operation::AllocateCases).is_ok();
    let persons =
        nrm_access::authorise(&signed_in.principal, Operation::ReviewPersonMatches).is_ok();
    Ok(render(&QueuePage {
        layout: signed_in.layout(heading).casework(),
        team,
        persons,
        assurance: nrm_access::authorise(&signed_in.principal, Operation::AssurePilotDecisions)
            .is_ok(),
        panel: matches!(
            nrm_access::list_scope(&signed_in.principal),
            nrm_access::ListScope::PilotPanel(_)
        ),
        filters: vec![
            select("allocation", "Allocated to", ALLOCATIONS, &allocation),
            select("status", "Status", STATUSES, &status),
            select("deadline", "Deadline", DEADLINES, &deadline),
            select("age", "Age group", AGES, &age),
            select(
                "exploitation",
                "Exploitation type",
                EXPLOITATION,
                &exploitation,
            ),
            select("sort", "Sort by", SORTS, &sort),
        ],
        apply: Button {
            text: Some("Apply".to_owned()),
            classes: Some("govuk-button--secondary".to_owned()),
            ..Button::default()
        }
        .to_string(),
        rows,
        total,
        showing,
        pagination,
    }))
}

/// 12345 as "12,345".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_are_grouped() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(10_000), "10,000");
        assert_eq!(super::thousands(1_234_567), "1,234,567");
    }
}
