//! Victim support over the API: episodes (a person's support, by its `SUP-` reference), their
//! actions, the Home Office's escalations queue, accommodation and inspections, and a provider's
//! payments statement as CSV. Every answer comes through the support access policy; an episode
//! the caller may not see is "not found", a denial is audited, and errors are RFC 9457 problem
//! details. Codes in request bodies are the domain's own (`high`, `re_trafficking`…); a code
//! that does not parse is a field problem with its JSON pointer.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::support::{
    EpisodeFacts, SupportCapability, SupportOperation, SupportServiceCapability,
    SupportServiceOperation, authorise_support, authorise_support_service,
};
use nrm_domain::FieldProblem;
use nrm_domain::clock::uk_date;
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::support::accommodation::{AccommodationType, Finding, InspectionArea, Rating};
use nrm_domain::support::event::{
    ActionOwner, ConcernKind, ConcernOutcome, EntryRoute, ExitReason, Need, NeedArea, NeedLevel,
    PlanAction, Provision, ReviewTrigger, RnaDecision, Severity,
};
use nrm_domain::support::finance::AdjustmentReason;
use nrm_domain::support::{AccommodationId, ConcernId, InspectionId, PlacementId, RnaId};
use nrm_service::Support;
use nrm_service::support::{InspectionInput, ReferInput, SupportAction};
use nrm_store::support::EpisodeFilter;
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
        .routes(routes!(list, refer))
        .routes(routes!(read))
        .routes(routes!(act))
        .routes(routes!(escalations))
        .routes(routes!(accommodation, add_accommodation))
        .routes(routes!(inspect))
        .routes(routes!(statement))
}

/// The support service over the state's store.
pub fn support(state: &AppState) -> Support {
    state.cases.support()
}

/// Authorises a support operation without an episode; a refusal is 403 (nothing to hide),
/// audited.
pub async fn authorise_service(
    state: &AppState,
    caller: &Caller,
    operation: SupportServiceOperation,
) -> Result<SupportServiceCapability, Problem> {
    match authorise_support_service(&caller.0, operation) {
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

/// Authorises `operation` on the episode `reference`; anything not allowed is "not found",
/// audited.
pub async fn authorise_episode(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    operation: SupportOperation,
) -> Result<(SupportCapability, EpisodeFacts), Problem> {
    let service = support(state);
    let valid = reference.len() == 12
        && reference.starts_with("SUP-")
        && reference[4..].bytes().all(|b| b.is_ascii_alphanumeric());
    if !valid {
        return Err(Problem::not_found());
    }
    let episode = service
        .find(reference)
        .await?
        .ok_or_else(Problem::not_found)?;
    let facts = service
        .facts(episode, uk_date(state.now()))
        .await?
        .ok_or_else(Problem::not_found)?;
    match authorise_support(&caller.0, operation, &facts) {
        Ok(c) => Ok((c, facts)),
        Err(_) => {
            state
                .cases
                .record_denial(
                    caller.actor(),
                    &format!("access.{}", operation.code()),
                    facts.case.as_ref().map(|c| c.case_id),
                    state.now(),
                )
                .await?;
            Err(Problem::not_found())
        }
    }
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

fn nation(code: &str) -> Option<UkNation> {
    Some(match code {
        "england" => UkNation::England,
        "wales" => UkNation::Wales,
        "scotland" => UkNation::Scotland,
        "northern_ireland" => UkNation::NorthernIreland,
        _ => return None,
    })
}

fn route(code: &str) -> Option<EntryRoute> {
    [
        EntryRoute::ConsentToSupport,
        EntryRoute::EmergencyBeforeReasonableGrounds,
    ]
    .into_iter()
    .find(|r| r.code() == code)
}

fn trigger(code: &str) -> Option<ReviewTrigger> {
    ReviewTrigger::parse(code)
}

fn end_reason(code: &str) -> Option<nrm_domain::support::accommodation::PlacementEndReason> {
    nrm_domain::support::accommodation::PlacementEndReason::parse(code)
}

/// A query string that does not parse (judged only after the access decision).
fn bad_query() -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid-query",
        "The query string could not be read",
    )
}

fn invalid(problems: Vec<FieldProblem>) -> Result<(), Problem> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problem::invalid(problems))
    }
}

/// A referral into support.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferRequest {
    /// The NRM case's reference; absent only for an emergency request before a referral.
    pub case_reference: Option<String>,
    /// england, wales, scotland or northern_ireland.
    pub nation: String,
    /// consent_to_support or emergency.
    pub route: String,
    /// Without a case: that the person is an adult (children are supported by local authorities).
    #[serde(default)]
    pub adult: bool,
    /// Without a case: that the person consents to support.
    #[serde(default)]
    pub consent_to_support: bool,
}

/// An episode created or changed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EpisodeRecorded {
    pub reference: String,
    pub version: u64,
}

/// A person's support episode, as the reader may see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EpisodeResponse {
    pub reference: String,
    pub version: u64,
    pub status: String,
    pub nation: String,
    pub route: String,
    pub prime: Uuid,
    pub provider: Option<Uuid>,
    pub worker: Option<Uuid>,
    pub support_until: Option<NaiveDate>,
    pub safeguarding_review_due_on: Option<NaiveDate>,
    pub next_due_on: Option<NaiveDate>,
    pub overdue: Vec<String>,
    /// The support record (null for a status-only reader).
    #[schema(value_type = Option<Object>)]
    pub record: Option<serde_json::Value>,
    /// The concerns the reader may see (all for the provider; escalated ones otherwise).
    pub concerns: Vec<ConcernResponse>,
}

/// A safeguarding concern.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConcernResponse {
    pub id: Uuid,
    pub kind: String,
    pub severity: String,
    pub raised_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub acknowledgement_due_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub details: Option<String>,
    pub police_reference: Option<String>,
}

/// A row of a caseload.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EpisodeRow {
    pub reference: String,
    pub status: String,
    pub provider: Option<Uuid>,
    pub next_due_on: Option<NaiveDate>,
    pub open_concerns: u64,
    pub overdue: Vec<String>,
}

fn flags(f: nrm_domain::support::OverdueFlags) -> Vec<String> {
    let mut out = Vec::new();
    for (on, name) in [
        (f.allocation, "allocation"),
        (f.safeguarding_review, "safeguarding_review"),
        (f.acknowledgement, "acknowledgement"),
        (f.rna_decision, "rna_decision"),
        (f.exit, "exit"),
    ] {
        if on {
            out.push(name.to_owned());
        }
    }
    out
}

/// Which episodes to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// open (default), due, concerns or awaiting_allocation.
    pub filter: Option<String>,
}

/// The caller's episodes: a support worker's caseload, a provider's, or (contract managers)
/// every one.
#[utoipa::path(
    get, path = "/api/v1/support/episodes", tag = "support", params(ListParams),
    responses(
        (status = 200, description = "Episodes, soonest due first", body = Vec<EpisodeRow>),
        (status = 403, description = "No support role", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown filter", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<axum::Json<Vec<EpisodeRow>>, Problem> {
    let capability =
        authorise_service(&state, &caller, SupportServiceOperation::ListEpisodes).await?;
    let Query(params) = params.map_err(|_| bad_query())?;
    let now = state.now();
    let filter = match params.filter.as_deref().unwrap_or("open") {
        "open" => EpisodeFilter::Open,
        "due" => EpisodeFilter::DueBy(uk_date(now)),
        "concerns" => EpisodeFilter::ConcernsOpen,
        "awaiting_allocation" => EpisodeFilter::AwaitingAllocation,
        _ => {
            return Err(Problem::invalid(vec![FieldProblem::new(
                "/filter",
                "Choose open, due, concerns or awaiting_allocation",
            )]));
        }
    };
    let rows = support(&state).list(&capability, filter, now).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|(s, f)| EpisodeRow {
                reference: s.reference,
                status: s.status,
                provider: s.provider.map(|o| o.0),
                next_due_on: s.next_due_on,
                open_concerns: s.open_concerns,
                overdue: flags(f),
            })
            .collect(),
    ))
}

/// Refer a person to the prime contractor (a support provider's staff).
#[utoipa::path(
    post, path = "/api/v1/support/episodes", tag = "support", request_body = ReferRequest,
    responses(
        (status = 201, description = "Referred; ETag carries the episode's version", body = EpisodeRecorded),
        (status = 403, description = "Not a support provider", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The rules do not allow it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refer(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    let capability = authorise_service(&state, &caller, SupportServiceOperation::Refer).await?;
    let request: ReferRequest = body.parse()?;
    let mut problems = Vec::new();
    let nation = code(&request.nation, nation, "/nation", &mut problems);
    let route = code(&request.route, route, "/route", &mut problems);
    invalid(problems)?;
    let (Some(nation), Some(route)) = (nation, route) else {
        return Err(Problem::internal());
    };
    let case_id: Option<CaseId> = match request.case_reference.as_deref() {
        Some(r) => {
            let reference = r.parse().map_err(|_| Problem::not_found())?;
            Some(
                state
                    .cases
                    .find(&reference)
                    .await?
                    .ok_or_else(Problem::not_found)?,
            )
        }
        None => None,
    };
    let referred = support(&state)
        .refer(
            &capability,
            ReferInput {
                case_id,
                nation,
                route,
                adult: request.adult,
                consent_to_support: request.consent_to_support,
            },
            state.now(),
        )
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(referred.version));
    Ok((
        StatusCode::CREATED,
        headers,
        axum::Json(EpisodeRecorded {
            reference: referred.reference,
            version: referred.version,
        }),
    ))
}

/// Read one episode: what the caller may see of it.
#[utoipa::path(
    get, path = "/api/v1/support/episodes/{reference}", tag = "support",
    params(("reference" = String, Path, description = "Episode reference, for example SUP-K7M3QX9D")),
    responses(
        (status = 200, description = "The episode; ETag carries its version", body = EpisodeResponse),
        (status = 404, description = "No such episode", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
) -> Result<impl IntoResponse, Problem> {
    let (status_cap, facts) =
        authorise_episode(&state, &caller, &reference, SupportOperation::ReadStatus).await?;
    let p = &caller.0;
    let read = authorise_support(p, SupportOperation::ReadSupport, &facts).unwrap_or(status_cap);
    let concerns = authorise_support(p, SupportOperation::ReadSafeguarding, &facts)
        .or_else(|_| authorise_support(p, SupportOperation::ReadEscalatedConcerns, &facts))
        .ok();
    let view = support(&state)
        .view(&read, concerns.as_ref(), state.now())
        .await?;
    let s = &view.summary;
    let record = view
        .state
        .as_ref()
        .map(|st| serde_json::to_value(st).unwrap_or_default());
    let response = EpisodeResponse {
        reference: s.reference.clone(),
        version: s.version,
        status: s.status.clone(),
        nation: s.nation.clone(),
        route: s.route.clone(),
        prime: s.prime.0,
        provider: s.provider.map(|o| o.0),
        worker: s.worker.map(|u| u.0),
        support_until: s.support_until,
        safeguarding_review_due_on: s.review_due_on,
        next_due_on: s.next_due_on,
        overdue: flags(view.overdue),
        record,
        concerns: view
            .concerns
            .iter()
            .map(|c| ConcernResponse {
                id: c.concern.id.0,
                kind: c.concern.kind.code().to_owned(),
                severity: c.concern.severity.code().to_owned(),
                raised_at: c.concern.raised_at,
                escalated_at: c.concern.escalated_at,
                acknowledgement_due_at: c.concern.acknowledgement_due_at,
                acknowledged_at: c.concern.acknowledged_at,
                closed_at: c.concern.closed_at,
                details: c.details.as_ref().map(|d| d.0.clone()),
                police_reference: c.police_reference.as_ref().map(|d| d.0.clone()),
            })
            .collect(),
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, etag(s.version));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, axum::Json(response)))
}

/// One need of an RNA.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedRequest {
    /// accommodation, health, mental_health, legal, finance, immigration,
    /// education_and_employment or safety.
    pub area: String,
    /// none, met_elsewhere or ongoing.
    pub level: String,
}

/// One transition plan action.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanActionRequest {
    pub area: String,
    /// person, support_worker, local_authority, health_service, legal_representative or other.
    pub owner: String,
    pub due_on: NaiveDate,
}

/// One action on an episode: an object with exactly one key naming it, for example
/// `{"raise_concern": {"kind": "re_trafficking", "severity": "high", "details": "…"}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SupportActionRequest {
    /// Allocate to the prime contractor or one of its subcontractors (the prime's manager).
    Allocate {
        provider: Uuid,
        worker: Option<Uuid>,
        /// emergency_accommodation, accommodation or outreach.
        provision: String,
    },
    AssignWorker {
        worker: Uuid,
    },
    /// Bring the case's effective RG and CG outcomes onto the episode.
    SyncDecisions {},
    RecordRna {
        needs: Vec<NeedRequest>,
        recommended_days: u32,
        evidence: String,
    },
    /// The Home Office's decision (contract managers): approved, shortened or refused.
    DecideRna {
        rna: Uuid,
        decision: String,
        days_granted: u32,
        reasons: String,
    },
    RequestRnaReconsideration {
        rna: Uuid,
        grounds: String,
    },
    RecordTransitionPlan {
        actions: Vec<PlanActionRequest>,
        details: String,
    },
    RecordSafeguardingReview {
        /// scheduled or event.
        trigger: String,
        notes: String,
    },
    RaiseConcern {
        kind: String,
        /// low, medium or high (high is escalated to the Home Office at once).
        severity: String,
        details: String,
        police_reference: Option<String>,
    },
    EscalateConcern {
        concern: Uuid,
    },
    AcknowledgeConcern {
        concern: Uuid,
    },
    RecordPersonFound {
        concern: Uuid,
    },
    CloseConcern {
        concern: Uuid,
        outcome: String,
    },
    StartPlacement {
        accommodation: Uuid,
        start: NaiveDate,
    },
    EndPlacement {
        placement: Uuid,
        end: NaiveDate,
        reason: String,
    },
    PostWeekDue {
        week_start: NaiveDate,
    },
    RecordPayment {
        on: NaiveDate,
        amount_pence: u64,
    },
    Adjust {
        amount_pence: i64,
        reason: String,
    },
    Exit {
        reason: String,
    },
    StartReachIn {},
}

impl SupportActionRequest {
    /// The service's action, or the fields that do not parse (pointers under the action).
    pub fn into_action(self) -> Result<SupportAction, Problem> {
        let mut p = Vec::new();
        let action = match self {
            Self::Allocate {
                provider,
                worker,
                provision,
            } => {
                code(&provision, Provision::parse, "/allocate/provision", &mut p).map(|provision| {
                    SupportAction::Allocate {
                        provider: OrganisationId(provider),
                        worker: worker.map(UserId),
                        provision,
                    }
                })
            }
            Self::AssignWorker { worker } => Some(SupportAction::AssignWorker {
                worker: UserId(worker),
            }),
            Self::SyncDecisions {} => Some(SupportAction::SyncDecisions),
            Self::RecordRna {
                needs,
                recommended_days,
                evidence,
            } => {
                let mut parsed = Vec::new();
                for (i, n) in needs.iter().enumerate() {
                    let area = code(
                        &n.area,
                        NeedArea::parse,
                        &format!("/record_rna/needs/{i}/area"),
                        &mut p,
                    );
                    let level = code(
                        &n.level,
                        NeedLevel::parse,
                        &format!("/record_rna/needs/{i}/level"),
                        &mut p,
                    );
                    if let (Some(area), Some(level)) = (area, level) {
                        parsed.push(Need { area, level });
                    }
                }
                Some(SupportAction::RecordRna {
                    needs: parsed,
                    recommended_days,
                    evidence,
                })
            }
            Self::DecideRna {
                rna,
                decision,
                days_granted,
                reasons,
            } => code(
                &decision,
                RnaDecision::parse,
                "/decide_rna/decision",
                &mut p,
            )
            .map(|decision| SupportAction::DecideRna {
                rna: RnaId(rna),
                decision,
                days_granted,
                reasons,
            }),
            Self::RequestRnaReconsideration { rna, grounds } => {
                Some(SupportAction::RequestRnaReconsideration {
                    rna: RnaId(rna),
                    grounds,
                })
            }
            Self::RecordTransitionPlan { actions, details } => {
                let mut parsed = Vec::new();
                for (i, a) in actions.iter().enumerate() {
                    let area = code(
                        &a.area,
                        NeedArea::parse,
                        &format!("/record_transition_plan/actions/{i}/area"),
                        &mut p,
                    );
                    let owner = code(
                        &a.owner,
                        ActionOwner::parse,
                        &format!("/record_transition_plan/actions/{i}/owner"),
                        &mut p,
                    );
                    if let (Some(area), Some(owner)) = (area, owner) {
                        parsed.push(PlanAction {
                            area,
                            owner,
                            due_on: a.due_on,
                        });
                    }
                }
                Some(SupportAction::RecordTransitionPlan {
                    actions: parsed,
                    details,
                })
            }
            Self::RecordSafeguardingReview { trigger: t, notes } => {
                code(&t, trigger, "/record_safeguarding_review/trigger", &mut p)
                    .map(|trigger| SupportAction::RecordSafeguardingReview { trigger, notes })
            }
            Self::RaiseConcern {
                kind,
                severity,
                details,
                police_reference,
            } => {
                let kind = code(&kind, ConcernKind::parse, "/raise_concern/kind", &mut p);
                let severity = code(
                    &severity,
                    Severity::parse,
                    "/raise_concern/severity",
                    &mut p,
                );
                match (kind, severity) {
                    (Some(kind), Some(severity)) => Some(SupportAction::RaiseConcern {
                        kind,
                        severity,
                        details,
                        police_reference,
                    }),
                    _ => None,
                }
            }
            Self::EscalateConcern { concern } => Some(SupportAction::EscalateConcern {
                concern: ConcernId(concern),
            }),
            Self::AcknowledgeConcern { concern } => Some(SupportAction::AcknowledgeConcern {
                concern: ConcernId(concern),
            }),
            Self::RecordPersonFound { concern } => Some(SupportAction::RecordPersonFound {
                concern: ConcernId(concern),
            }),
            Self::CloseConcern { concern, outcome } => code(
                &outcome,
                ConcernOutcome::parse,
                "/close_concern/outcome",
                &mut p,
            )
            .map(|outcome| SupportAction::CloseConcern {
                concern: ConcernId(concern),
                outcome,
            }),
            Self::StartPlacement {
                accommodation,
                start,
            } => Some(SupportAction::StartPlacement {
                accommodation: AccommodationId(accommodation),
                start,
            }),
            Self::EndPlacement {
                placement,
                end,
                reason,
            } => code(&reason, end_reason, "/end_placement/reason", &mut p).map(|reason| {
                SupportAction::EndPlacement {
                    placement: PlacementId(placement),
                    end,
                    reason,
                }
            }),
            Self::PostWeekDue { week_start } => Some(SupportAction::PostWeekDue { week_start }),
            Self::RecordPayment { on, amount_pence } => {
                Some(SupportAction::RecordPayment { on, amount_pence })
            }
            Self::Adjust {
                amount_pence,
                reason,
            } => code(&reason, AdjustmentReason::parse, "/adjust/reason", &mut p).map(|reason| {
                SupportAction::Adjust {
                    amount_pence,
                    reason,
                }
            }),
            Self::Exit { reason } => code(&reason, ExitReason::parse, "/exit/reason", &mut p)
                .map(|reason| SupportAction::Exit { reason }),
            Self::StartReachIn {} => Some(SupportAction::StartReachIn),
        };
        invalid(p)?;
        action.ok_or_else(Problem::internal)
    }
}

/// Do one action to an episode, decided on the version named by If-Match.
#[utoipa::path(
    post, path = "/api/v1/support/episodes/{reference}/actions", tag = "support",
    params(
        ("reference" = String, Path, description = "Episode reference"),
        ("If-Match" = String, Header, description = "The episode's ETag when it was read (required)"),
    ),
    request_body = SupportActionRequest,
    responses(
        (status = 200, description = "Recorded; ETag carries the new version", body = EpisodeRecorded),
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
        authorise_episode(&state, &caller, &reference, SupportOperation::ReadStatus).await?;
    let action = body.parse::<SupportActionRequest>()?.into_action()?;
    let capability = match authorise_support(&caller.0, action.operation(), &facts) {
        Ok(c) => c,
        Err(_) => {
            authorise_episode(&state, &caller, &reference, action.operation())
                .await?
                .0
        }
    };
    let expected = expected_version(&headers, None)?;
    let version = support(&state)
        .act(&capability, Some(expected), action, state.now())
        .await?;
    let mut out = HeaderMap::new();
    out.insert(header::ETAG, etag(version));
    Ok((out, axum::Json(EpisodeRecorded { reference, version })))
}

/// A concern awaiting the Home Office's acknowledgement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EscalationRow {
    pub episode: String,
    pub concern: Uuid,
    pub kind: String,
    pub severity: String,
    pub escalated_at: Option<DateTime<Utc>>,
    pub acknowledgement_due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
}

/// Concerns escalated to the Home Office and not yet acknowledged (contract managers).
#[utoipa::path(
    get, path = "/api/v1/support/escalations", tag = "support",
    responses(
        (status = 200, description = "Most urgent first", body = Vec<EscalationRow>),
        (status = 403, description = "Not a contract manager", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a contract manager", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn escalations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<EscalationRow>>, Problem> {
    let capability =
        authorise_service(&state, &caller, SupportServiceOperation::ListEpisodes).await?;
    let now = state.now();
    let rows = support(&state).escalations(&capability, now).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|c| EscalationRow {
                episode: c.episode_reference,
                concern: c.concern_id.0,
                kind: c.kind,
                severity: c.severity,
                escalated_at: c.escalated_at,
                overdue: c.acknowledgement_due_at.is_some_and(|d| now > d),
                acknowledgement_due_at: c.acknowledgement_due_at,
            })
            .collect(),
    ))
}

/// New accommodation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccommodationRequest {
    /// catered or self_catered.
    pub kind: String,
    pub capacity: u32,
    pub region: String,
    /// Held in the vault.
    pub address: String,
}

/// Accommodation with its occupancy and inspections.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccommodationResponse {
    pub id: Uuid,
    pub provider: Uuid,
    pub kind: String,
    pub capacity: u32,
    pub region: String,
    pub occupancy: u32,
    pub last_inspected_on: Option<NaiveDate>,
    pub last_rating: Option<String>,
    pub open_actions: usize,
}

/// The day occupancy is counted on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OnParams {
    /// Default today.
    pub on: Option<NaiveDate>,
}

/// Accommodation in the caller's scope with its occupancy on a day.
#[utoipa::path(
    get, path = "/api/v1/support/accommodation", tag = "support", params(OnParams),
    responses(
        (status = 200, description = "Accommodation", body = Vec<AccommodationResponse>),
        (status = 403, description = "No support role", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn accommodation(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<OnParams>, QueryRejection>,
) -> Result<axum::Json<Vec<AccommodationResponse>>, Problem> {
    let capability =
        authorise_service(&state, &caller, SupportServiceOperation::ReadAccommodation).await?;
    let Query(params) = params.map_err(|_| bad_query())?;
    let now = state.now();
    let on = params.on.unwrap_or_else(|| uk_date(now));
    let views = support(&state).accommodation(&capability, on, now).await?;
    Ok(axum::Json(
        views
            .into_iter()
            .map(|v| AccommodationResponse {
                id: v.accommodation.id.0,
                provider: v.accommodation.provider.0,
                kind: v.accommodation.kind.code().to_owned(),
                capacity: v.accommodation.capacity,
                region: v.accommodation.region.clone(),
                occupancy: v.occupancy,
                last_inspected_on: v.inspections.first().map(|i| i.inspected_on),
                last_rating: v.inspections.first().map(|i| i.overall().code().to_owned()),
                open_actions: v
                    .inspections
                    .iter()
                    .flat_map(|i| i.actions.iter())
                    .filter(|a| a.completed_on.is_none())
                    .count(),
            })
            .collect(),
    ))
}

/// Register accommodation of the caller's organisation (a provider's manager).
#[utoipa::path(
    post, path = "/api/v1/support/accommodation", tag = "support", request_body = AccommodationRequest,
    responses(
        (status = 201, description = "Registered", body = AccommodationResponse),
        (status = 403, description = "Not a provider's manager", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_accommodation(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    let capability = authorise_service(
        &state,
        &caller,
        SupportServiceOperation::ManageAccommodation,
    )
    .await?;
    let request: AccommodationRequest = body.parse()?;
    let mut p = Vec::new();
    let kind = code(&request.kind, AccommodationType::parse, "/kind", &mut p);
    invalid(p)?;
    let kind = kind.ok_or_else(Problem::internal)?;
    let id = support(&state)
        .add_accommodation(
            &capability,
            kind,
            request.capacity,
            request.region.clone(),
            request.address,
            state.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AccommodationResponse {
            id: id.0,
            provider: caller.actor().organisation.0,
            kind: kind.code().to_owned(),
            capacity: request.capacity,
            region: request.region,
            occupancy: 0,
            last_inspected_on: None,
            last_rating: None,
            open_actions: 0,
        }),
    ))
}

/// One area's rating.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingRequest {
    /// safety, safeguarding, cleanliness, staffing or wellbeing.
    pub area: String,
    /// good, requires_improvement or inadequate.
    pub rating: String,
}

/// A required action.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredActionRequest {
    pub area: String,
    pub due_on: NaiveDate,
}

/// An inspection record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionRequest {
    pub accommodation: Uuid,
    pub inspected_on: NaiveDate,
    pub follow_up_of: Option<Uuid>,
    pub findings: Vec<FindingRequest>,
    #[serde(default)]
    pub actions: Vec<RequiredActionRequest>,
    pub notes: Option<String>,
}

/// The inspection recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InspectionRecorded {
    pub id: Uuid,
}

/// Record an inspection against the standard (contract managers).
#[utoipa::path(
    post, path = "/api/v1/support/inspections", tag = "support", request_body = InspectionRequest,
    responses(
        (status = 201, description = "Recorded", body = InspectionRecorded),
        (status = 403, description = "Not a contract manager", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn inspect(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    let capability = authorise_service(&state, &caller, SupportServiceOperation::Inspect).await?;
    let request: InspectionRequest = body.parse()?;
    let mut p = Vec::new();
    let mut findings = Vec::new();
    for (i, f) in request.findings.iter().enumerate() {
        let area = code(
            &f.area,
            InspectionArea::parse,
            &format!("/findings/{i}/area"),
            &mut p,
        );
        let rating = code(
            &f.rating,
            Rating::parse,
            &format!("/findings/{i}/rating"),
            &mut p,
        );
        if let (Some(area), Some(rating)) = (area, rating) {
            findings.push(Finding { area, rating });
        }
    }
    let mut actions = Vec::new();
    for (i, a) in request.actions.iter().enumerate() {
        if let Some(area) = code(
            &a.area,
            InspectionArea::parse,
            &format!("/actions/{i}/area"),
            &mut p,
        ) {
            actions.push((area, a.due_on));
        }
    }
    invalid(p)?;
    let id = support(&state)
        .record_inspection(
            &capability,
            InspectionInput {
                accommodation: AccommodationId(request.accommodation),
                inspected_on: request.inspected_on,
                follow_up_of: request.follow_up_of.map(InspectionId),
                findings,
                actions,
                notes: request.notes,
            },
            state.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(InspectionRecorded { id: id.0 }),
    ))
}

/// Which statement.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementParams {
    pub provider: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A provider's payments statement as CSV (providers' managers for their own; contract
/// managers for any).
#[utoipa::path(
    get, path = "/api/v1/support/statement", tag = "support", params(StatementParams),
    responses(
        (status = 200, description = "CSV: episode,date,kind,amount_gbp,reason and a total line", content_type = "text/csv", body = String),
        (status = 403, description = "No access to statements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not this provider's", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn statement(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<StatementParams>, QueryRejection>,
) -> Result<impl IntoResponse, Problem> {
    let capability =
        authorise_service(&state, &caller, SupportServiceOperation::ReadStatement).await?;
    let Query(params) = params.map_err(|_| bad_query())?;
    let csv = support(&state)
        .statement_csv(
            &capability,
            OrganisationId(params.provider),
            params.from,
            params.to,
            state.now(),
        )
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"statement.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, csv))
}
