//! API tokens through the API (the pages do the same at `/administration/tokens`, the shell
//! through `nrm token`): the service's administrators manage every organisation's tokens
//! (`ManageOrganisations`); an FRO administrator manages their own organisation's only, with
//! referrers' scopes only (`ManageApiTokens`). The service methods decide whose tokens a
//! capability reaches and write the audit entries; this module only picks the capability, as
//! the pages do. Another organisation's token is, to an FRO administrator, no token at all
//! (404), and creating one for another organisation is refused (403) whether or not it exists.
//! A new token is returned once, here only.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use nrm_access::{Capability, Operation};
use nrm_domain::FieldProblem;
use nrm_domain::ids::OrganisationId;
use nrm_service::ServiceError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::PathParam;
use crate::AppState;
use crate::access::authorise;
use crate::actor::Caller;
use crate::json::JsonBody;
use crate::problem::Problem;

/// This module's routes, each declared once (see `crate::openapi::routes`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(api_tokens, create_api_token))
        .routes(routes!(revoke_api_token))
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenRequest {
    /// The organisation the token acts for (an FRO administrator: their own).
    pub organisation: Uuid,
    /// What uses the token, in 200 characters or fewer.
    pub name: String,
    /// The only operations the token may do (`submit_referral`, `submit_duty_to_notify`,
    /// `read_rulebook`…; an FRO administrator may give only those three).
    pub scopes: Vec<String>,
}

/// A new token, shown once: it is stored only as a hash.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct NewApiTokenResponse {
    pub id: Uuid,
    /// Send it as `Authorization: Bearer …`.
    pub token: String,
}

/// Never prints the token.
impl std::fmt::Debug for NewApiTokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiTokenResponse")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// An API token, never the token itself.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiTokenResponse {
    pub id: Uuid,
    pub organisation: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub revoked: bool,
    /// The token's current version: send it as `If-Match` ("…" quoted) to revoke it.
    pub version: String,
}

/// The capability to manage tokens: an FRO administrator's for their own organisation, else the
/// service's administrators' (anyone else is refused with 403, audited), as the pages ask.
async fn token_capability(state: &AppState, caller: &Caller) -> Result<Capability, Problem> {
    let operation = if nrm_access::authorise(&caller.0, Operation::ManageApiTokens).is_ok() {
        Operation::ManageApiTokens
    } else {
        Operation::ManageOrganisations
    };
    authorise(state, caller, operation).await
}

fn parse_scopes(codes: &[String]) -> Result<Vec<Operation>, Problem> {
    let mut problems = Vec::new();
    let scopes: Vec<Operation> = codes
        .iter()
        .enumerate()
        .filter_map(|(i, code)| {
            let scope = Operation::parse(code);
            if scope.is_none() {
                problems.push(FieldProblem::new(
                    format!("/scopes/{i}"),
                    "Not a known scope",
                ));
            }
            scope
        })
        .collect();
    if problems.is_empty() {
        Ok(scopes)
    } else {
        Err(Problem::invalid(problems))
    }
}

/// The API tokens the caller manages: every organisation's for an administrator, their own
/// organisation's for an FRO administrator.
#[utoipa::path(
    get, path = "/api/v1/tokens", tag = "administration",
    responses(
        (status = 200, description = "API tokens, never the tokens themselves", body = [ApiTokenResponse]),
        (status = 403, description = "Not an administrator or FRO administrator", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn api_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<ApiTokenResponse>>, Problem> {
    let capability = token_capability(&state, &caller).await?;
    let tokens = state
        .cases
        .administration()
        .api_tokens(&capability, state.now())
        .await?;
    Ok(axum::Json(
        tokens
            .into_iter()
            .map(|t| ApiTokenResponse {
                version: t.version(),
                id: t.id,
                organisation: t.organisation.0,
                name: t.name,
                scopes: t.scopes.iter().map(|s| s.code().to_owned()).collect(),
                revoked: t.revoked,
            })
            .collect(),
    ))
}

/// Create an API token; returns it once.
#[utoipa::path(
    post, path = "/api/v1/tokens", tag = "administration", request_body = ApiTokenRequest,
    responses(
        (status = 201, description = "Created; the token is shown once", body = NewApiTokenResponse),
        (status = 403, description = "Not allowed to manage that organisation's tokens", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a scope an FRO administrator may not give, no such organisation)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_api_token(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    let capability = token_capability(&state, &caller).await?;
    let body: ApiTokenRequest = body.parse()?;
    let scopes = parse_scopes(&body.scopes)?;
    let created = state
        .cases
        .administration()
        .create_api_token(
            &capability,
            OrganisationId(body.organisation),
            &body.name,
            &scopes,
            state.now(),
        )
        .await;
    let (id, token) = match created {
        Ok(created) => created,
        // Another organisation's: refused (the service audited it), the same whether or not
        // that organisation exists.
        Err(ServiceError::NotFound) => {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "You do not have access to do this",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::Json(NewApiTokenResponse { id, token }),
    ))
}

/// Revoke an API token at once: whatever uses it is refused from then on.
#[utoipa::path(
    post, path = "/api/v1/tokens/{id}/revoke", tag = "administration",
    params(
        ("id" = Uuid, Path, description = "Token id"),
        ("If-Match" = String, Header, description = "The token's version from the token list, quoted (required)"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not an administrator or FRO administrator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token you may manage, or revoked already", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The token changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_api_token(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    headers: HeaderMap,
) -> Result<StatusCode, Problem> {
    let capability = token_capability(&state, &caller).await?;
    let admin = state.cases.administration();
    let listed = admin
        .api_tokens(&capability, state.now())
        .await?
        .into_iter()
        .find(|t| t.id == id && !t.revoked);
    let Some(token) = listed else {
        // Not a live token of the caller's (another organisation's, to an FRO administrator,
        // is none): the service refuses it too, and audits the attempt.
        admin.revoke_api_token(&capability, id, state.now()).await?;
        return Err(Problem::not_found());
    };
    // A change names the token state it was decided on: none is 428, another is 412.
    match super::cases::if_match_tag(&headers)? {
        None => return Err(super::cases::precondition_required()),
        Some(tag) if tag == token.version() => {}
        Some(_) => {
            return Err(Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                "The token has changed since you read it",
            )
            .detail(
                "Read the tokens again, check the changes, and resubmit with its new version",
            ));
        }
    }
    admin.revoke_api_token(&capability, id, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
