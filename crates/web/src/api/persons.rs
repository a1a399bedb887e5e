//! Persons over the API (issue 14), for a competent authority's decision makers and managers:
//! the queue of possible earlier referrals and each one side by side (field agreement levels;
//! the values only when the caller may read the personal details of both referrals), the
//! decision on one (join or reject), a person's history (its `ETag` is the person's version)
//! and splitting referrals out of a person (`If-Match` required, else 428), and the re-referral
//! flag of a case. Persons and reviews are addressed by random ids.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use nrm_access::{CaseOperation, Operation};
use nrm_domain::FieldProblem;
use nrm_domain::clock::uk_date;
use nrm_domain::ids::CaseId;
use nrm_domain::person::rules::AdditionalRecoveryPeriod;
use nrm_domain::person::{PersonId, ReviewId};
use nrm_service::persons::{MatchReviewItem, MatchSide, PersonHistory};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::PathParam;
use super::cases::{etag, expected_version};
use crate::AppState;
use crate::actor::Caller;
use crate::json::JsonBody;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reviews))
        .routes(routes!(review))
        .routes(routes!(decide))
        .routes(routes!(read))
        .routes(routes!(split))
        .routes(routes!(of_case))
}

/// Which possible matches.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// `open` (the default), `confirmed` or `rejected`.
    pub status: Option<String>,
}

/// How one detail compared.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldComparisonDto {
    /// `given_names`, `family_name`, `date_of_birth`, `sex` or `address`.
    pub field: String,
    /// `agrees`, `partly`, `disagrees` or `missing`.
    pub agreement: String,
    /// What the comparison level means.
    pub level: Option<String>,
}

/// The details compared, when the caller may read both referrals' personal details.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ComparedDetails {
    pub given_names: String,
    pub family_name: String,
    pub other_names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub current_address: Option<String>,
}

/// One referral of a possible match.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MatchSideDto {
    pub reference: String,
    pub submitted_on: Option<NaiveDate>,
    pub person: Option<String>,
    pub details: Option<ComparedDetails>,
}

/// A possible earlier referral.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MatchReviewDto {
    pub id: String,
    /// `open`, `confirmed` or `rejected`.
    pub status: String,
    /// The model's match probability in thousandths.
    pub probability_permille: u16,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub new: MatchSideDto,
    pub earlier: MatchSideDto,
    pub fields: Vec<FieldComparisonDto>,
}

fn side(s: &MatchSide) -> MatchSideDto {
    MatchSideDto {
        reference: s.reference.clone(),
        submitted_on: s.submitted_on,
        person: s.person_id.map(|p| p.to_string()),
        details: s.details.as_ref().map(|d| ComparedDetails {
            given_names: d.given_names.clone(),
            family_name: d.family_name.clone(),
            other_names: d.other_names.clone(),
            date_of_birth: d.date_of_birth,
            current_address: d.current_address.clone(),
        }),
    }
}

fn review_dto(i: &MatchReviewItem) -> MatchReviewDto {
    MatchReviewDto {
        id: i.review_id.to_string(),
        status: i.status.clone(),
        probability_permille: i.probability_permille,
        created_at: i.created_at,
        decided_at: i.decided_at,
        new: side(&i.new),
        earlier: side(&i.earlier),
        fields: i
            .fields
            .iter()
            .map(|f| FieldComparisonDto {
                field: f.field.to_owned(),
                agreement: f.agreement.to_owned(),
                level: f.level.map(str::to_owned),
            })
            .collect(),
    }
}

fn review_id(id: &str) -> Result<ReviewId, Problem> {
    Uuid::parse_str(id)
        .map(ReviewId)
        .map_err(|_| Problem::not_found())
}

fn person_id(id: &str) -> Result<PersonId, Problem> {
    Uuid::parse_str(id)
        .map(PersonId)
        .map_err(|_| Problem::not_found())
}

/// The possible earlier referrals, oldest first, with what agreed and what did not (never the
/// values). Decision makers and their managers.
#[utoipa::path(
    get, path = "/api/v1/persons/reviews", tag = "persons", params(ReviewParams),
    responses(
        (status = 200, description = "The possible matches", body = [MatchReviewDto]),
        (status = 400, description = "The query string could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reviews(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ReviewParams>, QueryRejection>,
) -> Result<axum::Json<Vec<MatchReviewDto>>, Problem> {
    let capability =
        crate::access::authorise(&state, &caller, Operation::ReviewPersonMatches).await?;
    let Query(params) = params.map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "The query string could not be read",
        )
    })?;
    let status = params.status.unwrap_or_else(|| "open".to_owned());
    if !matches!(status.as_str(), "open" | "confirmed" | "rejected") {
        return Err(Problem::invalid(vec![FieldProblem::new(
            "status",
            "Status must be open, confirmed or rejected",
        )]));
    }
    let items = state
        .cases
        .persons()
        .review_queue(&capability, &status, state.now())
        .await?;
    Ok(axum::Json(items.iter().map(review_dto).collect()))
}

/// One possible match side by side; the values compared only when the caller may read the
/// personal details of both referrals.
#[utoipa::path(
    get, path = "/api/v1/persons/reviews/{id}", tag = "persons",
    params(("id" = String, Path, description = "The review's id")),
    responses((status = 200, description = "The possible match; its `ETag` is \"0\" while it is open, \"1\" once decided", body = MatchReviewDto))
)]
pub async fn review(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<(HeaderMap, axum::Json<MatchReviewDto>), Problem> {
    let capability =
        crate::access::authorise(&state, &caller, Operation::ReviewPersonMatches).await?;
    let id = review_id(&id)?;
    let persons = state.cases.persons();
    let (a, b) = persons.review_cases(&capability, id).await?;
    let today = uk_date(state.now());
    let mut caps = Vec::new();
    for case in [a, b] {
        if let Some(facts) = state.cases.case_facts(case, today).await?
            && let Ok(c) =
                nrm_access::authorise_case(&caller.0, CaseOperation::ReadPersonalDetails, &facts)
        {
            caps.push(c);
        }
    }
    let personal = match caps.as_slice() {
        [x, y] => Some((x, y)),
        _ => None,
    };
    let item = persons
        .review(&capability, id, personal, state.now())
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(review_version(&item.status)));
    Ok((headers, axum::Json(review_dto(&item))))
}

/// A review's version for `ETag` and `If-Match`: 0 while open, 1 once decided.
fn review_version(status: &str) -> u64 {
    u64::from(status != "open")
}

/// The decision on a possible match.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecisionRequest {
    /// `join` (the same person) or `reject` (different people).
    pub decision: String,
}

/// Records the decision on an open possible match: `join` joins the new referral's person to
/// the earlier one's (undone by a split), `reject` keeps them apart. Needs the review's `ETag`
/// in `If-Match` ("0": deciding the open review the caller read; else 412, and 428 without).
/// A review decided meanwhile is 412.
#[utoipa::path(
    post, path = "/api/v1/persons/reviews/{id}/decision", tag = "persons",
    params(
        ("id" = String, Path, description = "The review's id"),
        ("If-Match" = String, Header, description = "The review's ETag as read (\"0\": open)"),
    ),
    request_body = ReviewDecisionRequest,
    responses(
        (status = 200, description = "Recorded; the person the referrals are now part of", body = Object),
        (status = 412, description = "The review is not the one read (decided since)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<axum::Json<serde_json::Value>, Problem> {
    let capability =
        crate::access::authorise(&state, &caller, Operation::ReviewPersonMatches).await?;
    let id = review_id(&id)?;
    if expected_version(&headers, None)? != review_version("open") {
        return Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            "The review has been decided since you read it",
        ));
    }
    let request: ReviewDecisionRequest = body.parse()?;
    let persons = state.cases.persons();
    // Decided since it was read: the If-Match named the open review, so 412.
    let stale = |p: Problem| {
        if p.status == StatusCode::CONFLICT.as_u16() {
            Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                "The review has been decided since you read it",
            )
        } else {
            p
        }
    };
    match request.decision.as_str() {
        "join" => {
            let person = persons
                .confirm(&capability, id, state.now())
                .await
                .map_err(|e| stale(e.into()))?;
            Ok(axum::Json(
                serde_json::json!({ "status": "confirmed", "person": person.to_string() }),
            ))
        }
        "reject" => {
            persons
                .reject(&capability, id, state.now())
                .await
                .map_err(|e| stale(e.into()))?;
            Ok(axum::Json(serde_json::json!({ "status": "rejected" })))
        }
        _ => Err(Problem::invalid(vec![FieldProblem::new(
            "/decision",
            "Decision must be join or reject",
        )])),
    }
}

/// One referral of a person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonReferralDto {
    pub reference: String,
    pub submitted_on: NaiveDate,
    pub status: Option<String>,
    pub reasonable_grounds: Option<String>,
    pub reasonable_grounds_on: Option<NaiveDate>,
    pub conclusive_grounds: Option<String>,
    pub conclusive_grounds_on: Option<NaiveDate>,
}

/// One dated line of a person's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntryDto {
    pub on: NaiveDate,
    pub reference: String,
    /// `referred`, `reasonable_grounds`, `conclusive_grounds`, `support_started`,
    /// `support_until`, `joined` or `split`.
    pub what: String,
    pub detail: Option<String>,
}

/// What NABA 2022 s62 means for a recovery period on the person's latest referral.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecoveryPeriodDto {
    /// `entitled`, `entitled_under_earlier_rule` or `competent_authority_decides`.
    pub rule: String,
    /// References of the earlier referrals with a positive RG.
    pub earlier: Vec<String>,
    pub source: Option<String>,
    pub uncertain: bool,
}

fn recovery(a: &AdditionalRecoveryPeriod) -> RecoveryPeriodDto {
    match a {
        AdditionalRecoveryPeriod::Entitled => RecoveryPeriodDto {
            rule: "entitled".to_owned(),
            earlier: vec![],
            source: None,
            uncertain: false,
        },
        AdditionalRecoveryPeriod::EntitledUnderEarlierRule { earlier, source } => {
            RecoveryPeriodDto {
                rule: "entitled_under_earlier_rule".to_owned(),
                earlier: earlier.iter().map(|e| e.reference.clone()).collect(),
                source: Some((*source).to_owned()),
                uncertain: false,
            }
        }
        AdditionalRecoveryPeriod::CompetentAuthorityDecides {
            earlier,
            source,
            uncertain,
        } => RecoveryPeriodDto {
            rule: "competent_authority_decides".to_owned(),
            earlier: earlier.iter().map(|e| e.reference.clone()).collect(),
            source: Some((*source).to_owned()),
            uncertain: *uncertain,
        },
    }
}

/// A person's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonDto {
    pub id: String,
    pub version: u64,
    /// Set when this person's referrals were joined into another person.
    pub joined_into: Option<String>,
    pub referrals: Vec<PersonReferralDto>,
    pub history: Vec<HistoryEntryDto>,
    pub additional_recovery_period: RecoveryPeriodDto,
}

fn person_dto(h: &PersonHistory) -> PersonDto {
    PersonDto {
        id: h.person_id.to_string(),
        version: h.version,
        joined_into: h.joined_into.map(|p| p.to_string()),
        referrals: h
            .referrals
            .iter()
            .map(|r| {
                let s = r.summary.as_ref();
                PersonReferralDto {
                    reference: r.reference.clone(),
                    submitted_on: r.submitted_on,
                    status: s.map(|s| s.status.as_str().to_owned()),
                    reasonable_grounds: s.and_then(|s| s.reasonable_grounds_outcome.clone()),
                    reasonable_grounds_on: s.and_then(|s| s.reasonable_grounds_decided_on),
                    conclusive_grounds: s.and_then(|s| s.conclusive_grounds_outcome.clone()),
                    conclusive_grounds_on: s.and_then(|s| s.conclusive_grounds_decided_on),
                }
            })
            .collect(),
        history: h
            .entries
            .iter()
            .map(|e| HistoryEntryDto {
                on: e.on,
                reference: e.reference.clone(),
                what: e.what.to_owned(),
                detail: e.detail.clone(),
            })
            .collect(),
        additional_recovery_period: recovery(&h.additional_recovery),
    }
}

/// A person's referrals, decisions and support episodes in date order. The `ETag` is the
/// person's version, for `If-Match` on a split.
#[utoipa::path(
    get, path = "/api/v1/persons/{id}", tag = "persons",
    params(("id" = String, Path, description = "The person's id")),
    responses((status = 200, description = "The person's history", body = PersonDto))
)]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> Result<impl IntoResponse, Problem> {
    let capability =
        crate::access::authorise(&state, &caller, Operation::ReadPersonHistory).await?;
    let person = person_id(&id)?;
    let h = state
        .cases
        .persons()
        .history(&capability, person, state.now())
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(h.version));
    Ok((headers, axum::Json(person_dto(&h))))
}

/// Referrals to split out of a person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitRequest {
    /// The case references to split out (at least one referral must stay).
    pub references: Vec<String>,
    /// The person they go back to (one that was joined into this person); a new person when
    /// absent.
    pub back_to: Option<String>,
}

/// Splits referrals out of a person (they are not this person's): to a new person, or back to
/// the person they were joined from. Needs the person's `ETag` in `If-Match` (else 428).
#[utoipa::path(
    post, path = "/api/v1/persons/{id}/split", tag = "persons",
    params(
        ("id" = String, Path, description = "The person's id"),
        ("If-Match" = String, Header, description = "The person's ETag as read"),
    ),
    request_body = SplitRequest,
    responses(
        (status = 200, description = "Split; the person the referrals went to", body = Object),
        (status = 412, description = "The person changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn split(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<axum::Json<serde_json::Value>, Problem> {
    let review = crate::access::authorise(&state, &caller, Operation::ReviewPersonMatches).await?;
    let person = person_id(&id)?;
    let version = expected_version(&headers, None)?;
    let request: SplitRequest = body.parse()?;
    let mut problems = Vec::new();
    let mut cases: Vec<CaseId> = Vec::new();
    for (i, reference) in request.references.iter().enumerate() {
        let found = match reference.parse() {
            Ok(r) => state.cases.find(&r).await?,
            Err(_) => None,
        };
        match found {
            Some(c) => cases.push(c),
            None => problems.push(FieldProblem::new(
                format!("/references/{i}"),
                "No referral of this person has that reference",
            )),
        }
    }
    if request.references.is_empty() {
        problems.push(FieldProblem::new(
            "/references",
            "Name at least one referral to split",
        ));
    }
    let back_to = match request.back_to.as_deref() {
        None => None,
        Some(text) => match Uuid::parse_str(text) {
            Ok(u) => Some(PersonId(u)),
            Err(_) => {
                problems.push(FieldProblem::new("/back_to", "Not a person's id"));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(Problem::invalid(problems));
    }
    let to = state
        .cases
        .persons()
        .split(&review, person, Some(version), &cases, back_to, state.now())
        .await?;
    Ok(axum::Json(serde_json::json!({ "person": to.to_string() })))
}

/// The person behind a case and their other referrals (the re-referral flag).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CasePersonDto {
    pub person: String,
    /// Referred before this referral: references and dates.
    pub earlier: Vec<PersonReferralRef>,
    pub later: Vec<PersonReferralRef>,
    /// Possible earlier referrals of this case waiting for a decision maker.
    pub open_reviews: Vec<String>,
    pub additional_recovery_period: RecoveryPeriodDto,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonReferralRef {
    pub reference: String,
    pub submitted_on: NaiveDate,
}

/// The re-referral flag of a case: the person behind it and their other referrals. 404 for a
/// Duty to Notify report (anonymous) or a referral not linked yet.
#[utoipa::path(
    get, path = "/api/v1/cases/{reference}/person", tag = "persons",
    params(("reference" = String, Path, description = "The case reference")),
    responses((status = 200, description = "The person behind the case", body = CasePersonDto))
)]
pub async fn of_case(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
) -> Result<axum::Json<CasePersonDto>, Problem> {
    let history = crate::access::authorise(&state, &caller, Operation::ReadPersonHistory).await?;
    let (read, _) =
        crate::access::authorise_case(&state, &caller, &reference, CaseOperation::Read).await?;
    let flag = state
        .cases
        .persons()
        .of_case(&read, &history, state.now())
        .await?
        .ok_or_else(Problem::not_found)?;
    let refs = |v: &[(String, NaiveDate)]| {
        v.iter()
            .map(|(r, on)| PersonReferralRef {
                reference: r.clone(),
                submitted_on: *on,
            })
            .collect()
    };
    Ok(axum::Json(CasePersonDto {
        person: flag.person_id.to_string(),
        earlier: refs(&flag.earlier),
        later: refs(&flag.later),
        open_reviews: flag.open_reviews.iter().map(|r| r.to_string()).collect(),
        additional_recovery_period: recovery(&flag.additional_recovery),
    }))
}
