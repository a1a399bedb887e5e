//! Administration of organisations and accounts through the API (the CLI does the same through
//! `nrm org` and `nrm user`). Administrators manage everything; FRO administrators manage the
//! First Responders of their own organisation. New credentials are returned once, here only.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use nrm_access::{Capability, Operation, OrganisationKind, Role, may_manage_account};
use nrm_domain::FieldProblem;
use nrm_domain::ids::{OrganisationId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::PathParam;
use crate::AppState;
use crate::access::authorise;
use crate::actor::Caller;
use crate::json::JsonBody;
use crate::problem::Problem;

/// A new organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationRequest {
    pub name: String,
    /// first_responder_organisation, sca, ieca, local_authority[:pilot-site], support_provider,
    /// guardian_service, assurance_panel, analysts or administrators.
    pub kind: String,
    /// The UK nation it works in, where it has one.
    pub nation: Option<super::mirror::UkNationDto>,
}

/// An organisation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationResponse {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
}

/// A new account. The password is generated and returned once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRequest {
    pub organisation: Uuid,
    pub email: String,
    pub roles: Vec<String>,
}

/// A new account's credentials, shown once.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct NewUserResponse {
    pub id: Uuid,
    pub password: String,
    /// The TOTP seed (base32) for the authenticator app.
    pub totp_secret: String,
    pub recovery_codes: Vec<String>,
}

impl std::fmt::Debug for NewUserResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserResponse")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// An account, without credentials.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub organisation: Uuid,
    pub email: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    /// The account's current version: send it as `If-Match` ("…" quoted) to change the account.
    pub version: String,
}

/// New roles for an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesRequest {
    pub roles: Vec<String>,
}

fn parse_roles(codes: &[String]) -> Result<Vec<Role>, Problem> {
    let mut problems = Vec::new();
    let roles: Vec<Role> = codes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let role = Role::parse(c);
            if role.is_none() {
                problems.push(FieldProblem::new(format!("/roles/{i}"), "Not a known role"));
            }
            role
        })
        .collect();
    if problems.is_empty() {
        Ok(roles)
    } else {
        Err(Problem::invalid(problems))
    }
}

fn forbidden() -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "You do not have access to do this",
    )
}

/// Register an organisation.
#[utoipa::path(
    post, path = "/api/v1/organisations", tag = "administration", request_body = OrganisationRequest,
    responses(
        (status = 201, description = "Registered", body = OrganisationResponse),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_organisation(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    let capability = authorise(&state, &caller, Operation::ManageOrganisations).await?;
    let body: OrganisationRequest = body.parse()?;
    let Some(kind) = OrganisationKind::parse(&body.kind) else {
        return Err(Problem::invalid(vec![FieldProblem::new(
            "/kind",
            "Not a known organisation kind",
        )]));
    };
    if body.name.trim().is_empty() || body.name.len() > 200 {
        return Err(Problem::invalid(vec![FieldProblem::new(
            "/name",
            "Enter the organisation's name, in 200 characters or fewer",
        )]));
    }
    let id = state
        .cases
        .administration()
        .add_organisation(
            &capability,
            OrganisationId(Uuid::new_v4()),
            body.name.trim(),
            &kind,
            state.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(OrganisationResponse {
            id: id.0,
            name: body.name.trim().to_owned(),
            kind: kind.code(),
        }),
    ))
}

/// List organisations.
#[utoipa::path(
    get, path = "/api/v1/organisations", tag = "administration",
    responses((status = 200, description = "Organisations", body = [OrganisationResponse]))
)]
pub async fn organisations(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<OrganisationResponse>>, Problem> {
    let capability = authorise(&state, &caller, Operation::ManageOrganisations).await?;
    let list = state
        .cases
        .administration()
        .organisations(&capability, state.now())
        .await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|o| OrganisationResponse {
                id: o.id.0,
                name: o.name,
                kind: o.kind.code(),
            })
            .collect(),
    ))
}

/// Create an account; returns its credentials once.
#[utoipa::path(
    post, path = "/api/v1/users", tag = "administration", request_body = UserRequest,
    responses(
        (status = 201, description = "Created", body = NewUserResponse),
        (status = 403, description = "Not allowed to manage that account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_user(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    let capability = authorise(&state, &caller, Operation::ManageUsers).await?;
    let body: UserRequest = body.parse()?;
    let roles = parse_roles(&body.roles)?;
    let organisation = OrganisationId(body.organisation);
    if !may_manage_account(&caller.0, organisation, &roles) {
        return Err(forbidden());
    }
    let password = nrm_service::identity::generate_password();
    let created = state
        .cases
        .administration()
        .add_user(
            &capability,
            UserId(Uuid::new_v4()),
            organisation,
            &body.email,
            &roles,
            &password,
            state.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewUserResponse {
            id: created.id.0,
            password,
            totp_secret: created.totp_secret_base32,
            recovery_codes: created.recovery_codes,
        }),
    ))
}

/// List the accounts the caller may manage.
#[utoipa::path(
    get, path = "/api/v1/users", tag = "administration",
    responses((status = 200, description = "Accounts", body = [UserResponse]))
)]
pub async fn users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<Vec<UserResponse>>, Problem> {
    let capability = authorise(&state, &caller, Operation::ManageUsers).await?;
    let list = state
        .cases
        .administration()
        .accounts(&capability, state.now())
        .await?;
    Ok(axum::Json(
        list.into_iter()
            .filter(|u| may_manage_account(&caller.0, u.organisation, &u.roles))
            .map(|u| UserResponse {
                version: u.version(),
                id: u.id.0,
                organisation: u.organisation.0,
                roles: u.roles.iter().map(|r| r.code().to_owned()).collect(),
                email: u.email,
                disabled: u.disabled,
            })
            .collect(),
    ))
}

async fn managed_user(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    new_roles: Option<&[Role]>,
    headers: &HeaderMap,
) -> Result<(Capability, UserId), Problem> {
    let capability = authorise(state, caller, Operation::ManageUsers).await?;
    let user = state
        .cases
        .administration()
        .account(&capability, UserId(id), state.now())
        .await?;
    let allowed = may_manage_account(&caller.0, user.organisation, &user.roles)
        && new_roles.is_none_or(|roles| may_manage_account(&caller.0, user.organisation, roles));
    if !allowed {
        return Err(Problem::not_found());
    }
    // A change names the account state it was decided on: none is 428, another is 412.
    let current = user.version();
    match super::cases::if_match_tag(headers)? {
        None => Err(super::cases::precondition_required()),
        Some(tag) if tag == current => Ok((capability, user.id)),
        Some(_) => Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
            "The account has changed since you read it",
        )
        .detail("Read the account again, check the changes, and resubmit with its new version")),
    }
}

/// Disable an account; its sessions end at once.
#[utoipa::path(
    post, path = "/api/v1/users/{id}/disable", tag = "administration",
    params(
        ("id" = Uuid, Path, description = "Account id"),
        ("If-Match" = String, Header, description = "The account's version from the account list, quoted (required)"),
    ),
    responses(
        (status = 204, description = "Disabled"),
        (status = 404, description = "No such account you may manage", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The account changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    headers: HeaderMap,
) -> Result<StatusCode, Problem> {
    let (capability, user) = managed_user(&state, &caller, id, None, &headers).await?;
    state
        .cases
        .administration()
        .disable_user(&capability, user, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace an account's roles; its sessions end at once.
#[utoipa::path(
    put, path = "/api/v1/users/{id}/roles", tag = "administration", request_body = RolesRequest,
    params(
        ("id" = Uuid, Path, description = "Account id"),
        ("If-Match" = String, Header, description = "The account's version from the account list, quoted (required)"),
    ),
    responses(
        (status = 204, description = "Roles replaced"),
        (status = 404, description = "No such account you may manage", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The account changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_roles(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<StatusCode, Problem> {
    authorise(&state, &caller, Operation::ManageUsers).await?;
    let body: RolesRequest = body.parse()?;
    let roles = parse_roles(&body.roles)?;
    if roles.is_empty() {
        return Err(Problem::invalid(vec![FieldProblem::new(
            "/roles",
            "Give the account at least one role",
        )]));
    }
    let (capability, user) = managed_user(&state, &caller, id, Some(&roles), &headers).await?;
    state
        .cases
        .administration()
        .set_user_roles(&capability, user, &roles, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
