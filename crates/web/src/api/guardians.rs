//! Independent Child Trafficking Guardians over the API: a guardian's caseload (the service
//! manager's: every child), one child's guardian episode by the case reference, the actions on
//! it, a reconsideration asked on the child's behalf, and the daily age review. Every answer
//! comes through the children access policy; an episode the caller may not see is "not found",
//! a denial is audited, errors are RFC 9457 problem details.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use nrm_access::CaseOperation;
use nrm_access::children::{
    GuardianCapability, GuardianFacts, GuardianOperation, GuardianServiceCapability,
    GuardianServiceOperation, authorise_case_for_guardian, authorise_guardian,
    authorise_guardian_service,
};
use nrm_domain::FieldProblem;
use nrm_domain::children::guardian::event::{
    AdvocacyKind, AdvocacyOutcome, ClosureReason, ContactKind, GuardianRole, ProfessionalRole,
};
use nrm_domain::clock::uk_date;
use nrm_domain::event::DecisionRef;
use nrm_domain::ids::UserId;
use nrm_service::Guardians;
use nrm_service::guardians::GuardianAction;
use nrm_store::guardians::GuardianFilter;
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
        .routes(routes!(list))
        .routes(routes!(read))
        .routes(routes!(act))
        .routes(routes!(reconsideration))
        .routes(routes!(age_review))
}

/// The guardian service over the state's store.
pub fn guardians(state: &AppState) -> Guardians {
    state.cases.guardians()
}

/// Authorises an operation without an episode; a refusal is 403 (nothing to hide), audited.
pub async fn authorise_service(
    state: &AppState,
    caller: &Caller,
    operation: GuardianServiceOperation,
) -> Result<GuardianServiceCapability, Problem> {
    match authorise_guardian_service(&caller.0, operation) {
        Ok(c) => Ok(c),
        Err(_) => {
            state
                .cases
                .record_denial(
                    caller.actor(),
                    &format!("access.{}", operation.code()),
                    None,
                    state.now(),
                )
                .await?;
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "You do not have access to do this",
            ))
        }
    }
}

/// Authorises `operation` on the guardian episode of the case `reference`; anything not
/// allowed is "not found", audited.
pub async fn authorise_episode(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    operation: GuardianOperation,
) -> Result<(GuardianCapability, GuardianFacts), Problem> {
    let service = guardians(state);
    if reference.len() > 40
        || !reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(Problem::not_found());
    }
    let episode = service
        .find(reference)
        .await?
        .ok_or_else(Problem::not_found)?;
    let facts = service
        .facts(episode)
        .await?
        .ok_or_else(Problem::not_found)?;
    match authorise_guardian(&caller.0, operation, &facts) {
        Ok(c) => Ok((c, facts)),
        Err(_) => {
            state
                .cases
                .record_denial(
                    caller.actor(),
                    &format!("access.{}", operation.code()),
                    Some(facts.case_id),
                    state.now(),
                )
                .await?;
            Err(Problem::not_found())
        }
    }
}

/// Which episodes to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// open (default), due, awaiting_allocation or turning_18.
    pub filter: Option<String>,
}

/// One child on a caseload (no personal data).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GuardianEpisodeRow {
    /// The case reference.
    pub reference: String,
    pub area: String,
    pub status: String,
    pub worker: Option<Uuid>,
    pub role: Option<String>,
    pub next_due_on: Option<NaiveDate>,
    pub turning_18: bool,
}

/// A guardian's caseload, or (the guardian service's manager) every child.
#[utoipa::path(
    get, path = "/api/v1/guardians/episodes", tag = "guardians", params(ListParams),
    responses(
        (status = 200, description = "Episodes, soonest due first", body = Vec<GuardianEpisodeRow>),
        (status = 403, description = "Not in the guardian service", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown filter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<axum::Json<Vec<GuardianEpisodeRow>>, Problem> {
    let capability =
        authorise_service(&state, &caller, GuardianServiceOperation::ListEpisodes).await?;
    let Query(params) = params
        .map_err(|_| Problem::invalid(vec![FieldProblem::new("/filter", "Unreadable query")]))?;
    let now = state.now();
    let filter = match params.filter.as_deref().unwrap_or("open") {
        "open" => GuardianFilter::Open,
        "due" => GuardianFilter::DueBy(uk_date(now)),
        "awaiting_allocation" => GuardianFilter::AwaitingAllocation,
        "turning_18" => GuardianFilter::TurningEighteen,
        _ => {
            return Err(Problem::invalid(vec![FieldProblem::new(
                "/filter",
                "Choose open, due, awaiting_allocation or turning_18",
            )]));
        }
    };
    let rows = guardians(&state).list(&capability, filter, now).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|s| GuardianEpisodeRow {
                reference: s.reference,
                area: s.area,
                status: s.status,
                worker: s.worker.map(|u| u.0),
                role: s.role,
                next_due_on: s.next_due_on,
                turning_18: s.turning_18_flagged,
            })
            .collect(),
    ))
}

/// Something due on an episode.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DueItem {
    /// allocation, contact, advocacy_review, plan_for_18, post_18_allocation,
    /// consent_to_support or post_18_ends.
    pub kind: String,
    pub on: NaiveDate,
}

/// One child's guardian episode.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GuardianEpisodeResponse {
    pub reference: String,
    pub version: u64,
    pub area: String,
    pub status: String,
    pub worker: Option<Uuid>,
    pub role: Option<String>,
    pub due: Vec<DueItem>,
    /// The folded record (contacts, professionals, advocacy; words by vault record id).
    #[schema(value_type = Object)]
    pub record: serde_json::Value,
    /// The words, by vault record id: only for the allocated guardian.
    pub notes: Option<BTreeMap<Uuid, String>>,
}

/// Read one child's guardian episode (by the case reference).
#[utoipa::path(
    get, path = "/api/v1/guardians/episodes/{reference}", tag = "guardians",
    params(("reference" = String, Path, description = "Case reference, for example NRM-2026-K7M3-QX9D")),
    responses(
        (status = 200, description = "The episode; ETag carries its version", body = GuardianEpisodeResponse),
        (status = 404, description = "No such episode", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
) -> Result<impl IntoResponse, Problem> {
    let (read, facts) =
        authorise_episode(&state, &caller, &reference, GuardianOperation::Read).await?;
    let service = guardians(&state);
    let now = state.now();
    let view = service.view(&read, now).await?;
    let notes = match authorise_guardian(&caller.0, GuardianOperation::ReadNotes, &facts) {
        Ok(c) => Some(
            service
                .notes(&c, now)
                .await?
                .into_iter()
                .map(|(k, v)| (k.0, v))
                .collect(),
        ),
        Err(_) => None,
    };
    let s = &view.summary;
    let response = GuardianEpisodeResponse {
        reference: s.reference.clone(),
        version: s.version,
        area: s.area.clone(),
        status: s.status.clone(),
        worker: s.worker.map(|u| u.0),
        role: s.role.clone(),
        due: view
            .due
            .iter()
            .map(|d| DueItem {
                kind: d.code().to_owned(),
                on: d.on(),
            })
            .collect(),
        record: serde_json::to_value(&view.state).unwrap_or_default(),
        notes,
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(s.version));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, axum::Json(response)))
}

/// One action on an episode: an object with exactly one key naming it, for example
/// `{"record_contact": {"kind": "face_to_face", "on": "2026-05-01", "notes": "…"}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum GuardianActionRequest {
    /// The guardian service's manager: direct_worker, regional_practice_coordinator,
    /// regional_practitioner or post_18_worker.
    Allocate {
        worker: Uuid,
        role: String,
        parental_responsibility_in_uk: bool,
        #[serde(default)]
        exceptional_need: bool,
        on: NaiveDate,
    },
    /// face_to_face, phone, video, with_professional or attempted.
    RecordContact {
        kind: String,
        on: NaiveDate,
        notes: String,
    },
    /// social_worker, police, legal, health, education, immigration, foster_carer or other.
    AddProfessional {
        role: String,
        details: String,
        on: NaiveDate,
    },
    RemoveProfessional {
        professional: Uuid,
        on: NaiveDate,
    },
    /// nrm_decision, immigration, criminal_justice, social_care, accommodation, education,
    /// health or other.
    StartAdvocacy {
        kind: String,
        on: NaiveDate,
        details: String,
        review_on: NaiveDate,
    },
    /// achieved, partly_achieved, not_achieved or no_longer_needed.
    ConcludeAdvocacy {
        action: Uuid,
        outcome: String,
        on: NaiveDate,
        details: String,
    },
    AnswerConsentToSupport {
        on: NaiveDate,
        consents: bool,
    },
    /// turned_eighteen, post_18_support_ended, returned_home, lost_contact (with the
    /// missing-person reference), moved_out_of_area or assessed_adult.
    Close {
        on: NaiveDate,
        reason: String,
        missing_person_reference: Option<String>,
        details: Option<String>,
    },
}

fn code<T>(
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
    pointer: &str,
    problems: &mut Vec<FieldProblem>,
) -> Option<T> {
    let parsed = parse(value);
    if parsed.is_none() {
        problems.push(FieldProblem::new(
            pointer,
            "Choose one of the listed values",
        ));
    }
    parsed
}

impl GuardianActionRequest {
    fn into_action(self) -> Result<GuardianAction, Problem> {
        let mut p = Vec::new();
        let action = match self {
            Self::Allocate {
                worker,
                role,
                parental_responsibility_in_uk,
                exceptional_need,
                on,
            } => code(&role, GuardianRole::parse, "/allocate/role", &mut p).map(|role| {
                GuardianAction::Allocate {
                    worker: UserId(worker),
                    role,
                    parental_responsibility_in_uk,
                    exceptional_need,
                    on,
                }
            }),
            Self::RecordContact { kind, on, notes } => {
                code(&kind, ContactKind::parse, "/record_contact/kind", &mut p)
                    .map(|kind| GuardianAction::RecordContact { kind, on, notes })
            }
            Self::AddProfessional { role, details, on } => code(
                &role,
                ProfessionalRole::parse,
                "/add_professional/role",
                &mut p,
            )
            .map(|role| GuardianAction::AddProfessional { role, details, on }),
            Self::RemoveProfessional { professional, on } => {
                Some(GuardianAction::RemoveProfessional { professional, on })
            }
            Self::StartAdvocacy {
                kind,
                on,
                details,
                review_on,
            } => code(&kind, AdvocacyKind::parse, "/start_advocacy/kind", &mut p).map(|kind| {
                GuardianAction::StartAdvocacy {
                    kind,
                    on,
                    details,
                    review_on,
                }
            }),
            Self::ConcludeAdvocacy {
                action,
                outcome,
                on,
                details,
            } => code(
                &outcome,
                AdvocacyOutcome::parse,
                "/conclude_advocacy/outcome",
                &mut p,
            )
            .map(|outcome| GuardianAction::ConcludeAdvocacy {
                action,
                outcome,
                on,
                details,
            }),
            Self::AnswerConsentToSupport { on, consents } => {
                Some(GuardianAction::AnswerConsentToSupport { on, consents })
            }
            Self::Close {
                on,
                reason,
                missing_person_reference,
                details,
            } => code(&reason, ClosureReason::parse, "/close/reason", &mut p).map(|reason| {
                GuardianAction::Close {
                    on,
                    reason,
                    missing_person_reference,
                    details,
                }
            }),
        };
        match action {
            Some(a) if p.is_empty() => Ok(a),
            _ => Err(Problem::invalid(p)),
        }
    }
}

/// What a change answers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GuardianRecorded {
    pub reference: String,
    pub version: u64,
}

/// Do one action to a child's guardian episode, decided on the version named by If-Match.
#[utoipa::path(
    post, path = "/api/v1/guardians/episodes/{reference}/actions", tag = "guardians",
    params(
        ("reference" = String, Path, description = "Case reference"),
        ("If-Match" = String, Header, description = "The episode's ETag when it was read (required)"),
    ),
    request_body = GuardianActionRequest,
    responses(
        (status = 200, description = "Recorded; ETag carries the new version", body = GuardianRecorded),
        (status = 404, description = "No such episode", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The rules do not allow it; the detail names the rule", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The episode changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    // Only someone who may see the episode learns anything about the body's problems.
    let (_, facts) =
        authorise_episode(&state, &caller, &reference, GuardianOperation::Read).await?;
    let action = body.parse::<GuardianActionRequest>()?.into_action()?;
    let capability = match authorise_guardian(&caller.0, action.operation(), &facts) {
        Ok(c) => c,
        Err(_) => {
            authorise_episode(&state, &caller, &reference, action.operation())
                .await?
                .0
        }
    };
    let expected = expected_version(&headers, None)?;
    let version = guardians(&state)
        .change(&capability, Some(expected), action, state.now())
        .await?;
    let mut out = HeaderMap::new();
    out.insert(header::ETAG, etag(version));
    Ok((out, axum::Json(GuardianRecorded { reference, version })))
}

/// A reconsideration asked on the child's behalf.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconsiderationRequest {
    /// reasonable_grounds or conclusive_grounds.
    pub decision: String,
    pub on: NaiveDate,
    /// Why the decision should be looked at again (kept in the vault).
    pub grounds: String,
    #[serde(default)]
    pub facing_removal: bool,
    /// When the guardian will follow it up.
    pub review_on: NaiveDate,
}

/// The child's allocated guardian asks for a negative decision on the child's case to be
/// reconsidered on their behalf (the case's reconsideration rules of the date decide it).
#[utoipa::path(
    post, path = "/api/v1/guardians/episodes/{reference}/reconsideration", tag = "guardians",
    params(
        ("reference" = String, Path, description = "Case reference"),
        ("If-Match" = String, Header, description = "The episode's ETag when it was read (required)"),
    ),
    request_body = ReconsiderationRequest,
    responses(
        (status = 200, description = "Requested; ETag carries the episode's new version", body = GuardianRecorded),
        (status = 404, description = "No such episode", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The rules do not allow it; the detail names the rule", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The episode changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reconsideration(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    let (record, facts) =
        authorise_episode(&state, &caller, &reference, GuardianOperation::Record).await?;
    let request = body.parse::<ReconsiderationRequest>()?;
    let expected = expected_version(&headers, None)?;
    let decision = match request.decision.as_str() {
        "reasonable_grounds" => DecisionRef::ReasonableGrounds,
        "conclusive_grounds" => DecisionRef::ConclusiveGrounds,
        _ => {
            return Err(Problem::invalid(vec![FieldProblem::new(
                "/decision",
                "Choose reasonable_grounds or conclusive_grounds",
            )]));
        }
    };
    let now = state.now();
    let case = state
        .cases
        .case_facts(facts.case_id, uk_date(now))
        .await?
        .ok_or_else(Problem::not_found)?;
    let Ok(ask) = authorise_case_for_guardian(
        &caller.0,
        CaseOperation::RequestReconsideration,
        &facts,
        &case,
    ) else {
        state
            .cases
            .record_denial(
                caller.actor(),
                "access.request_reconsideration",
                Some(facts.case_id),
                now,
            )
            .await?;
        return Err(Problem::not_found());
    };
    let version = guardians(&state)
        .request_reconsideration(
            &state.cases,
            &record,
            &ask,
            Some(expected),
            decision,
            request.on,
            request.grounds,
            request.facing_removal,
            request.review_on,
            now,
        )
        .await?;
    let mut out = HeaderMap::new();
    out.insert(header::ETAG, etag(version));
    Ok((out, axum::Json(GuardianRecorded { reference, version })))
}

/// What an age review did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AgeReviewResponse {
    pub checked: usize,
    pub flagged: usize,
    pub turned_18: usize,
    pub no_date_of_birth: usize,
}

/// Run the age review now (the guardian service's manager or an administrator): flags 18th
/// birthdays ahead and moves those who turned 18 on.
#[utoipa::path(
    post, path = "/api/v1/guardians/age-review", tag = "guardians",
    responses(
        (status = 200, description = "What the review did", body = AgeReviewResponse),
        (status = 403, description = "Not allowed", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn age_review(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<AgeReviewResponse>, Problem> {
    let capability =
        authorise_service(&state, &caller, GuardianServiceOperation::ReviewAges).await?;
    let r = guardians(&state)
        .review_ages(&capability, state.now())
        .await?;
    Ok(axum::Json(AgeReviewResponse {
        checked: r.checked,
        flagged: r.flagged,
        turned_18: r.turned_18,
        no_date_of_birth: r.no_date_of_birth,
    }))
}
