//! Reading cases (the work queue and one case) and recording decisions on them.
//!
//! Cases are addressed by their readable reference, which is not personal data. A case
//! response carries an `ETag` of its version; a decision may send it back in `If-Match` so a
//! decision made on a stale view is refused (412) rather than silently applied.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::FieldProblem;
use nrm_domain::case::CaseStatus;
use nrm_domain::clock::uk_date;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::event::DeadlineStatus;
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::ids::UserId;
use nrm_domain::submission::AgeGroup;
use nrm_service::{DecisionInput, DecisionKind};
use nrm_store::{CaseSummary, QueueCursor, QueueQuery, QueueSort, SortDirection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::mirror::{NegativeReasonDto, OutcomeDto};
use nrm_access::{CaseOperation, Operation};

use super::PathParam;
use crate::AppState;
use crate::access::authorise_case;
use crate::actor::Caller;
use crate::json::JsonBody;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(queue))
        .routes(routes!(read))
        .routes(routes!(reasonable_grounds))
        .routes(routes!(conclusive_grounds))
        .routes(routes!(access_history))
}

/// Work-queue filters, sort and position. Unknown values are refused, not ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// Comma-separated statuses: awaiting_reasonable_grounds, negative_reasonable_grounds,
    /// awaiting_conclusive_grounds, positive_conclusive_grounds, negative_conclusive_grounds,
    /// duty_to_notify.
    pub status: Option<String>,
    /// sca, ieca or local_authority_panel.
    pub competent_authority: Option<String>,
    /// adult or child.
    pub age_group: Option<String>,
    /// One exploitation type, for example labour.
    pub exploitation_type: Option<String>,
    /// true: only cases past their Reasonable Grounds due date; false: only those that are not.
    pub overdue: Option<String>,
    /// due_soon or overdue: only cases whose worst open deadline the sweep has flagged so (a
    /// case with one deadline overdue and another due soon counts as overdue).
    pub deadline: Option<String>,
    /// Only cases allocated to this decision maker (a user id).
    pub allocated_to: Option<String>,
    /// true: only suspended cases; false: only those that are not.
    pub suspended: Option<String>,
    /// reasonable_grounds_due (default), next_deadline, referred_on or reference. Cases of
    /// the same date come in the order they were received (their time-ordered case ids).
    /// Cases without the date sort as if it were 9999-12-31: last ascending, first
    /// descending.
    pub sort: Option<String>,
    /// asc (default) or desc.
    pub direction: Option<String>,
    /// Where the page starts: the `next` or `previous` cursor of a page read with the same
    /// sort and direction (absent: the first page).
    pub cursor: Option<String>,
    /// Results per page, 1 to 100 (default 25).
    pub per_page: Option<String>,
}

fn parse_param<T>(
    value: &Option<String>,
    name: &str,
    expected: &str,
    parse: impl Fn(&str) -> Option<T>,
    problems: &mut Vec<FieldProblem>,
) -> Option<T> {
    let raw = value.as_deref()?;
    let parsed = parse(raw.trim());
    if parsed.is_none() {
        problems.push(FieldProblem::new(name, format!("Expected {expected}")));
    }
    parsed
}

impl QueueParams {
    fn into_query(self, today: NaiveDate) -> Result<QueueQuery, Problem> {
        let mut problems = Vec::new();
        let mut q = QueueQuery::new(today);
        if let Some(list) = &self.status {
            for s in list.split(',').filter(|s| !s.trim().is_empty()) {
                match CaseStatus::parse(s.trim()) {
                    Some(status) => q.statuses.push(status),
                    None => {
                        problems.push(FieldProblem::new("status", "Expected a known case status"))
                    }
                }
            }
        }
        q.competent_authority = parse_param(
            &self.competent_authority,
            "competent_authority",
            "sca, ieca or local_authority_panel",
            CompetentAuthority::parse,
            &mut problems,
        );
        q.age_group = parse_param(
            &self.age_group,
            "age_group",
            "adult or child",
            |s| match s {
                "adult" => Some(AgeGroup::Adult),
                "child" => Some(AgeGroup::Child),
                _ => None,
            },
            &mut problems,
        );
        q.exploitation_type = parse_param(
            &self.exploitation_type,
            "exploitation_type",
            "a known exploitation type",
            ExploitationType::parse,
            &mut problems,
        );
        q.overdue = parse_param(
            &self.overdue,
            "overdue",
            "true or false",
            |s| s.parse().ok(),
            &mut problems,
        );
        q.deadline = parse_param(
            &self.deadline,
            "deadline",
            "due_soon or overdue",
            |s| match s {
                "due_soon" => Some(DeadlineStatus::DueSoon),
                "overdue" => Some(DeadlineStatus::Overdue),
                _ => None,
            },
            &mut problems,
        );
        q.allocated_to = parse_param(
            &self.allocated_to,
            "allocated_to",
            "a user id",
            |s| Uuid::parse_str(s).ok().map(UserId),
            &mut problems,
        );
        q.suspended = parse_param(
            &self.suspended,
            "suspended",
            "true or false",
            |s| s.parse().ok(),
            &mut problems,
        );
        if let Some(sort) = parse_param(
            &self.sort,
            "sort",
            "reasonable_grounds_due, next_deadline, referred_on or reference",
            |s| match s {
                "reasonable_grounds_due" => Some(QueueSort::ReasonableGroundsDue),
                "next_deadline" => Some(QueueSort::NextDeadline),
                "referred_on" => Some(QueueSort::ReferredOn),
                "reference" => Some(QueueSort::Reference),
                _ => None,
            },
            &mut problems,
        ) {
            q.sort = sort;
        }
        if let Some(direction) = parse_param(
            &self.direction,
            "direction",
            "asc or desc",
            |s| match s {
                "asc" => Some(SortDirection::Ascending),
                "desc" => Some(SortDirection::Descending),
                _ => None,
            },
            &mut problems,
        ) {
            q.direction = direction;
        }
        q.cursor = parse_param(
            &self.cursor,
            "cursor",
            "a cursor from a page of this query with the same sort and direction",
            |s| QueueCursor::decode(s).filter(|c| c.fits(q.sort, q.direction)),
            &mut problems,
        );
        if let Some(per_page) = parse_param(
            &self.per_page,
            "per_page",
            "a whole number from 1 to 100",
            |s| s.parse::<u32>().ok().filter(|p| (1..=100).contains(p)),
            &mut problems,
        ) {
            q.per_page = per_page;
        }
        if problems.is_empty() {
            Ok(q)
        } else {
            let mut p = Problem::invalid(problems);
            p.status = StatusCode::BAD_REQUEST.as_u16();
            p.title = "The query has invalid parameters".to_owned();
            Err(p)
        }
    }
}

/// One row of the work queue. Holds no personal data.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseSummaryResponse {
    pub case_id: Uuid,
    pub reference: String,
    /// adult_referral, child_referral or duty_to_notify.
    pub kind: String,
    pub status: String,
    pub competent_authority: Option<String>,
    pub age_group: Option<String>,
    pub exploitation_types: Vec<String>,
    pub county_lines: bool,
    pub referred_on: NaiveDate,
    pub reasonable_grounds_due_on: Option<NaiveDate>,
    /// True when the Reasonable Grounds decision is past its due date and not yet made.
    pub overdue: bool,
    pub reasonable_grounds_outcome: Option<String>,
    pub reasonable_grounds_decided_on: Option<NaiveDate>,
    /// The first day a Conclusive Grounds decision may be made (end of the recovery period minimum).
    pub conclusive_grounds_earliest_on: Option<NaiveDate>,
    pub conclusive_grounds_outcome: Option<String>,
    pub conclusive_grounds_decided_on: Option<NaiveDate>,
    /// The pilot local authority deciding the case, when it is with a local panel.
    pub pilot_site: Option<String>,
    pub allocated_to: Option<Uuid>,
    pub suspended: bool,
    pub disqualified: bool,
    /// A negative CG awaits its review before it can be served.
    pub review_pending: bool,
    pub reconsideration_pending: bool,
    pub reasonable_grounds_served_on: Option<NaiveDate>,
    pub conclusive_grounds_served_on: Option<NaiveDate>,
    pub version: u64,
}

impl From<CaseSummary> for CaseSummaryResponse {
    fn from(s: CaseSummary) -> Self {
        Self {
            case_id: s.case_id.0,
            reference: s.reference,
            kind: s.kind.as_str().to_owned(),
            status: s.status.as_str().to_owned(),
            competent_authority: s.competent_authority.map(|a| a.as_str().to_owned()),
            age_group: s
                .age_group
                .map(|a| nrm_store::queue_age_group_code(a).to_owned()),
            exploitation_types: s.exploitation_types,
            county_lines: s.county_lines,
            referred_on: s.referred_on,
            reasonable_grounds_due_on: s.reasonable_grounds_due_on,
            overdue: s.overdue,
            reasonable_grounds_outcome: s.reasonable_grounds_outcome,
            reasonable_grounds_decided_on: s.reasonable_grounds_decided_on,
            conclusive_grounds_earliest_on: s.conclusive_grounds_earliest_on,
            conclusive_grounds_outcome: s.conclusive_grounds_outcome,
            conclusive_grounds_decided_on: s.conclusive_grounds_decided_on,
            pilot_site: s.pilot_site,
            allocated_to: s.allocated_to.map(|u| u.0),
            suspended: s.suspended,
            disqualified: s.disqualified,
            review_pending: s.review_pending,
            reconsideration_pending: s.reconsideration_pending,
            reasonable_grounds_served_on: s.reasonable_grounds_served_on,
            conclusive_grounds_served_on: s.conclusive_grounds_served_on,
            version: s.version,
        }
    }
}

/// A page of the work queue.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QueueResponse {
    pub cases: Vec<CaseSummaryResponse>,
    /// How many cases match in all, counted up to 10,000.
    pub total: u64,
    /// More than 10,000 cases match (`total` is then 10,000).
    pub total_capped: bool,
    pub per_page: u32,
    /// Pass as `cursor` (with the same filters, sort and direction) for the page after this
    /// one; absent on the last page.
    pub next: Option<String>,
    /// Pass as `cursor` for the page before this one; absent on the first page.
    pub previous: Option<String>,
}

/// List the work queue.
#[utoipa::path(
    get, path = "/api/v1/cases", tag = "cases", params(QueueParams),
    responses(
        (status = 200, description = "A page of cases", body = QueueResponse),
        (status = 400, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<QueueParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<QueueResponse>, Problem> {
    let Query(params) = params.map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "The query string could not be read",
        )
    })?;
    let query = params.into_query(uk_date(state.now()))?;
    let capability = crate::access::authorise(&state, &caller, Operation::ListCases).await?;
    let page = state
        .cases
        .queue(&capability, &caller.0, &query, state.now())
        .await?;
    Ok(axum::Json(QueueResponse {
        total: page.total,
        total_capped: page.total_capped,
        per_page: page.per_page,
        next: page.next.as_ref().map(QueueCursor::encode),
        previous: page.previous.as_ref().map(QueueCursor::encode),
        cases: page.cases.into_iter().map(Into::into).collect(),
    }))
}

/// The potential victim's personal details, decrypted for the caller.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonalDetailsResponse {
    pub given_names: String,
    pub family_name: String,
    pub other_names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub languages: Vec<String>,
    pub interpreter_needed: bool,
    /// Left out (null) when `contact_details_withheld`.
    pub contact: Option<String>,
    /// Left out (null) when `contact_details_withheld`.
    pub current_address: Option<String>,
    pub other_references: Vec<String>,
    pub narrative: String,
    /// The caller's role does not need where the person lives or how to reach them (an
    /// assurance panel member, say), so `contact` and `current_address` are not shown.
    pub contact_details_withheld: bool,
}

/// Who did something.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ActorResponse {
    pub user: Uuid,
    pub organisation: Uuid,
}

/// One entry in a case's timeline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub version: u64,
    /// The event type, for example reasonable_grounds_decided.
    #[serde(rename = "type")]
    pub kind: String,
    pub recorded_at: DateTime<Utc>,
    pub actor: ActorResponse,
    /// The event's facts (no personal data).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// The written reasons, for decisions.
    pub reasons: Option<String>,
}

/// An open deadline on a case.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeadlineResponse {
    /// reasonable_grounds, or information:<request id>.
    pub deadline: String,
    pub due_on: NaiveDate,
    /// on_track, due_soon or overdue, as last recorded by the deadline sweep.
    pub status: String,
}

/// One case, for someone entitled to see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseResponse {
    #[serde(flatten)]
    pub summary: CaseSummaryResponse,
    /// Which UK nation the person is in now, as the referral recorded it (`unknown` when it
    /// gave none, and on a Duty to Notify report).
    pub current_nation: super::submissions::CurrentNationDto,
    pub deadlines: Vec<DeadlineResponse>,
    pub personal_details: Option<PersonalDetailsResponse>,
    pub timeline: Vec<TimelineEntry>,
}

pub(crate) fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Read one case: state, due dates, timeline and personal details.
#[utoipa::path(
    get, path = "/api/v1/cases/{reference}", tag = "cases",
    params(("reference" = String, Path, description = "Case reference, for example NRM-2026-K7M3-QX9D")),
    responses(
        (status = 200, description = "The case; ETag carries its version", body = CaseResponse),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
) -> Result<impl IntoResponse, Problem> {
    let (read, facts) = authorise_case(&state, &caller, &reference, CaseOperation::Read).await?;
    // Personal details only for those entitled to them (never analysts); asking is not a denial.
    let personal =
        nrm_access::authorise_case(&caller.0, CaseOperation::ReadPersonalDetails, &facts).ok();
    let contact =
        nrm_access::authorise_case(&caller.0, CaseOperation::ReadContactDetails, &facts).ok();
    let view = state
        .cases
        .view(&read, personal.as_ref(), contact.as_ref(), state.now())
        .await?;
    let timeline = view
        .events
        .iter()
        .map(|stored| {
            let mut data = serde_json::to_value(&stored.event).unwrap_or_default();
            let data = data
                .get_mut("data")
                .map(serde_json::Value::take)
                .unwrap_or_default();
            TimelineEntry {
                version: stored.version,
                kind: stored.event.kind().to_owned(),
                recorded_at: stored.recorded_at,
                actor: ActorResponse {
                    user: stored.actor.user.0,
                    organisation: stored.actor.organisation.0,
                },
                data,
                reasons: view
                    .reasons
                    .iter()
                    .find(|r| r.event_version == stored.version)
                    .map(|r| r.reasons.0.clone()),
            }
        })
        .collect();
    let withheld = view.contact_details_withheld;
    let personal_details = view.personal_details.map(|d| PersonalDetailsResponse {
        given_names: d.given_names,
        family_name: d.family_name,
        other_names: d.other_names,
        date_of_birth: d.date_of_birth,
        languages: d.languages,
        interpreter_needed: d.interpreter_needed,
        contact: d.contact,
        current_address: d.current_address,
        other_references: d.other_references,
        narrative: d.narrative,
        contact_details_withheld: withheld,
    });
    let deadlines = view
        .deadlines
        .iter()
        .map(|d| DeadlineResponse {
            deadline: d.key.clone(),
            due_on: d.due_on,
            status: d.status.clone(),
        })
        .collect();
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(view.version));
    Ok((
        headers,
        axum::Json(CaseResponse {
            current_nation: super::submissions::CurrentNationDto::from_nation(match &view.state {
                nrm_domain::case::CaseState::Referral(r) => r.person_nation,
                _ => None,
            }),
            summary: view.summary.into(),
            deadlines,
            personal_details,
            timeline,
        }),
    ))
}

/// A Reasonable Grounds or Conclusive Grounds decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub outcome: OutcomeDto,
    /// The date the decision was made; not in the future, not before the referral (RG) or the
    /// end of the recovery period's minimum (CG).
    pub decided_on: NaiveDate,
    /// The written reasons. Stored encrypted.
    pub reasons: String,
    /// Required for a negative decision; absent for a positive one.
    pub negative_reason: Option<NegativeReasonDto>,
    /// The case's version when it was read: an alternative to `If-Match` (one of the two is
    /// required; if both are sent they must agree).
    pub version: Option<u64>,
}

/// The case after a decision.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionResponse {
    pub reference: String,
    pub version: u64,
    pub status: String,
}

/// The `If-Match` header's entity tag, without quotes or a weak prefix; `None` when absent.
/// `*` and lists of tags are refused: a change names the one version it was decided on.
pub(crate) fn if_match_tag(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/"))
        .and_then(|v| v.strip_prefix('"')?.strip_suffix('"'))
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(|v| Some(v.to_owned()))
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-if-match",
                "If-Match must be the resource's ETag, for example \"3\"",
            )
        })
}

/// 428: a change to an existing resource must say which version it was decided on.
pub(crate) fn precondition_required() -> Problem {
    Problem::new(
        StatusCode::PRECONDITION_REQUIRED,
        "precondition-required",
        "Say which version you are changing",
    )
    .detail(
        "Read the resource, then send its ETag in If-Match, so that a change made on a stale view is refused",
    )
}

/// The case version a change is made against: `If-Match`, or the body's `version` where the
/// request has one. Neither is 428 (nothing is ever applied to "whatever is there now"); both,
/// naming different versions, is 400.
pub(crate) fn expected_version(
    headers: &HeaderMap,
    body_version: Option<u64>,
) -> Result<u64, Problem> {
    let header = match if_match_tag(headers)? {
        Some(tag) => Some(tag.parse::<u64>().map_err(|_| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-if-match",
                "If-Match must be the case's ETag, for example \"3\"",
            )
        })?),
        None => None,
    };
    match (header, body_version) {
        (Some(h), Some(b)) if h != b => Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "conflicting-versions",
            "If-Match and the body's version name different versions",
        )),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(precondition_required()),
    }
}

async fn record(
    state: AppState,
    caller: Caller,
    reference: String,
    headers: HeaderMap,
    body: JsonBody,
    kind: DecisionKind,
) -> Result<impl IntoResponse, Problem> {
    let (capability, _) =
        authorise_case(&state, &caller, &reference, CaseOperation::Decide).await?;
    let body: DecisionRequest = body.parse()?;
    let expected = expected_version(&headers, body.version)?;
    let now = state.now();
    let version = state
        .cases
        .decide(
            &capability,
            Some(expected),
            kind,
            DecisionInput {
                outcome: body.outcome.into(),
                decided_on: body.decided_on,
                reasons: body.reasons,
                negative_reason: body.negative_reason.map(Into::into),
            },
            now,
        )
        .await?;
    recorded(&state, &capability, version, now).await
}

/// The answer to a recorded decision or action: the case's new version (also as its ETag)
/// and status.
pub(crate) async fn recorded(
    state: &AppState,
    capability: &nrm_access::CaseCapability,
    version: u64,
    now: DateTime<Utc>,
) -> Result<(HeaderMap, axum::Json<DecisionResponse>), Problem> {
    let summary = state.cases.summary_after_change(capability, now).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(version));
    Ok((
        headers,
        axum::Json(DecisionResponse {
            reference: summary.reference,
            version,
            status: summary.status.as_str().to_owned(),
        }),
    ))
}

/// Record the Reasonable Grounds decision.
#[utoipa::path(
    post, path = "/api/v1/cases/{reference}/reasonable-grounds-decision", tag = "decisions",
    params(
        ("reference" = String, Path, description = "Case reference"),
        ("If-Match" = Option<String>, Header, description = "The case's ETag when it was read; required unless the body carries `version`"),
    ),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "Decision recorded", body = DecisionResponse),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not at a stage where this decision can be made", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The case changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor the body's version says which version of the case this decision was made on", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reasonable_grounds(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    record(
        state,
        caller,
        reference,
        headers,
        body,
        DecisionKind::ReasonableGrounds,
    )
    .await
}

/// Record the Conclusive Grounds decision.
#[utoipa::path(
    post, path = "/api/v1/cases/{reference}/conclusive-grounds-decision", tag = "decisions",
    params(
        ("reference" = String, Path, description = "Case reference"),
        ("If-Match" = Option<String>, Header, description = "The case's ETag when it was read; required unless the body carries `version`"),
    ),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "Decision recorded", body = DecisionResponse),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not at a stage where this decision can be made", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The case changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or inside the recovery period", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "Neither If-Match nor the body's version says which version of the case this decision was made on", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn conclusive_grounds(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    record(
        state,
        caller,
        reference,
        headers,
        body,
        DecisionKind::ConclusiveGrounds,
    )
    .await
}

/// One entry in a case's access history. Identifiers and codes only.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccessEntry {
    pub seq: u64,
    pub recorded_at: String,
    pub user: String,
    pub organisation: String,
    /// For example case.read, decision.reasonable_grounds, case.withdraw.
    pub action: String,
    /// ok, not_found, conflict, or refused:<problem type>.
    pub outcome: String,
}

/// Who has read or changed a case, and when (from the hash-chained audit log).
#[utoipa::path(
    get, path = "/api/v1/cases/{reference}/access-history", tag = "cases",
    params(("reference" = String, Path, description = "Case reference")),
    responses(
        (status = 200, description = "The case's audit entries, oldest first", body = [AccessEntry]),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn access_history(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
) -> Result<axum::Json<Vec<AccessEntry>>, Problem> {
    let (capability, _) = authorise_case(
        &state,
        &caller,
        &reference,
        CaseOperation::ReadAccessHistory,
    )
    .await?;
    let entries = state.cases.access_history(&capability, state.now()).await?;
    Ok(axum::Json(
        entries
            .into_iter()
            .map(|e| AccessEntry {
                seq: e.seq,
                recorded_at: e.recorded_at,
                user: e.actor_user,
                organisation: e.actor_organisation,
                action: e.action,
                outcome: e.outcome,
            })
            .collect(),
    ))
}
