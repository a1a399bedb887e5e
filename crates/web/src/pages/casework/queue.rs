//! The work queue: the cases this person may see, filterable by status and deadline,
//! sortable, paged, with due dates and overdue cases tagged.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use nrm_access::Operation;
use nrm_domain::case::CaseStatus;
use nrm_domain::clock::uk_date;
use nrm_domain::event::DeadlineStatus;
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::submission::AgeGroup;
use nrm_govuk::components::{
    Button, Pagination, PaginationItem, PaginationLink, Select, SelectItem,
};
use nrm_store::{QueueQuery, QueueSort, SortDirection};
use serde::Deserialize;

use crate::AppState;
use crate::pages::casework::{caller, date, deadline_tag, page_error, status_words};
use crate::pages::errors::PageError;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

const PER_PAGE: u32 = 25;

/// The queue's query string: filters, sort and page. Unknown values fall back to defaults.
#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    status: Option<String>,
    deadline: Option<String>,
    age: Option<String>,
    exploitation: Option<String>,
    sort: Option<String>,
    page: Option<u32>,
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
    filters: Vec<String>,
    apply: String,
    rows: Vec<Row>,
    total: u64,
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

fn kind_words(kind: &str) -> &'static str {
    match kind {
        "adult_referral" => "Adult",
        "child_referral" => "Child",
        "duty_to_notify" => "Duty to Notify",
        _ => "Referral",
    }
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
    let sort = params.sort.clone().unwrap_or_else(|| "rg_due".to_owned());
    (query.sort, query.direction) = match sort.as_str() {
        "next_deadline" => (QueueSort::NextDeadline, SortDirection::Ascending),
        "referred_newest" => (QueueSort::ReferredOn, SortDirection::Descending),
        "referred_oldest" => (QueueSort::ReferredOn, SortDirection::Ascending),
        "reference" => (QueueSort::Reference, SortDirection::Ascending),
        _ => (QueueSort::ReasonableGroundsDue, SortDirection::Ascending),
    };
    query.per_page = PER_PAGE;
    query.page = params.page.unwrap_or(1).clamp(1, 100_000);
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
            kind: kind_words(&case.kind),
            status: status_words(&case.status),
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
    let pages = u32::try_from(result.total.div_ceil(u64::from(PER_PAGE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let link = |page: u32| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("status", &status);
        q.append_pair("deadline", &deadline);
        q.append_pair("age", &age);
        q.append_pair("exploitation", &exploitation);
        q.append_pair("sort", &sort);
        q.append_pair("page", &page.to_string());
        format!("/cases?{}", q.finish())
    };
    let current = result.page;
    let pagination = if pages > 1 {
        let mut items = Vec::new();
        for n in 1..=pages {
            if n == 1 || n == pages || n.abs_diff(current) <= 1 {
                items.push(PaginationItem {
                    number: Some(n.to_string()),
                    href: Some(link(n)),
                    current: n == current,
                    ..PaginationItem::default()
                });
            } else if items.last().is_none_or(|i: &PaginationItem| !i.ellipsis) {
                items.push(PaginationItem {
                    ellipsis: true,
                    ..PaginationItem::default()
                });
            }
        }
        Pagination {
            items,
            previous: (current > 1).then(|| PaginationLink {
                href: Some(link(current - 1)),
                ..PaginationLink::default()
            }),
            next: (current < pages).then(|| PaginationLink {
                href: Some(link(current + 1)),
                ..PaginationLink::default()
            }),
            ..Pagination::default()
        }
        .to_string()
    } else {
        String::new()
    };
    let first = (current - 1) * PER_PAGE + 1;
    let last = (u64::from(first) + result.cases.len() as u64).saturating_sub(1);
    let showing = if result.total == 0 {
        "No cases match these filters".to_owned()
    } else {
        format!("Showing {first} to {last} of {} cases", result.total)
    };
    Ok(render(&QueuePage {
        layout: signed_in.layout("Cases").casework(),
        filters: vec![
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
        total: result.total,
        showing,
        pagination,
    }))
}
