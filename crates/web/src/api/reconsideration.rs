//! A support provider's request for reconsideration of a negative decision, for the person it
//! supports (issue #10 item 8). Support providers reach no case through the case API; here the
//! episode they support is the way in (`nrm_access::reconsideration`), and the request is
//! recorded with the support provider as requester. The change is decided on the episode the
//! provider has read: `If-Match` is the episode's ETag.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use nrm_access::reconsideration::authorise_supported_reconsideration;
use nrm_access::support::SupportOperation;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::PathParam;
use super::actions::DecisionRefDto;
use super::cases::expected_version;
use super::support::{authorise_episode, support};
use crate::AppState;
use crate::actor::Caller;
use crate::json::JsonBody;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(request))
}

/// Which decision to reconsider, and when the request was made.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportedReconsiderationRequest {
    pub decision: DecisionRefDto,
    pub requested_on: NaiveDate,
    /// Whether the person faces removal from the UK (some cannot ask from 17 September 2025).
    #[serde(default)]
    pub facing_removal: bool,
}

/// Ask, as the person's support provider, for a negative decision to be reconsidered.
#[utoipa::path(
    post, path = "/api/v1/support/episodes/{reference}/reconsideration-request", tag = "support",
    params(
        ("reference" = String, Path, description = "Episode reference"),
        ("If-Match" = String, Header, description = "The episode's ETag when it was read (required)"),
    ),
    request_body = SupportedReconsiderationRequest,
    responses(
        (status = 204, description = "Recorded, with the support provider as requester"),
        (status = 404, description = "No such episode of a person you support", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The rules of the request's date do not allow it; the detail names the rule", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The episode changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<StatusCode, Problem> {
    // Only someone who may see the episode learns anything more.
    let (read, facts) =
        authorise_episode(&state, &caller, &reference, SupportOperation::ReadStatus).await?;
    let Ok(grant) = authorise_supported_reconsideration(&caller.0, &facts) else {
        state
            .cases
            .record_denial(
                caller.actor(),
                "access.request_reconsideration",
                facts.case.as_ref().map(|c| c.case_id),
                state.now(),
            )
            .await?;
        return Err(Problem::not_found());
    };
    let body: SupportedReconsiderationRequest = body.parse()?;
    let expected = expected_version(&headers, None)?;
    if support(&state).version(&read).await? != expected {
        return Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            "The episode has changed since you read it",
        )
        .detail("Read it again, check the changes, and resubmit with its new version"));
    }
    state
        .cases
        .request_reconsideration_as_support_provider(
            &grant,
            None,
            body.decision.into(),
            body.requested_on,
            body.facing_removal,
            state.now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
