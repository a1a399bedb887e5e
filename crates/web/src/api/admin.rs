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
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::PathParam;
use crate::AppState;
use crate::access::authorise;
use crate::actor::Caller;
use crate::json::JsonBody;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(organisations, add_organisation))
        .routes(routes!(referrer, set_referrer))
        .routes(routes!(users, add_user))
        .routes(routes!(disable_user))
        .routes(routes!(set_roles))
}

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
    /// For a First Responder Organisation of a listed kind: its kind on the First Responder
    /// Organisation list for its nation (`police`, `salvation-army`…); it then refers while
    /// that kind is listed. Without it, a First Responder Organisation is individually
    /// designated from the day it is registered.
    #[serde(default)]
    pub first_responder_list: Option<String>,
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
    let admin = state.cases.administration();
    let settings = nrm_service::ReferrerSettings {
        nation: body.nation.map(Into::into),
        first_responder_list: body.first_responder_list.clone(),
        designated_from: None,
        designated_to: None,
    };
    // The list kind is checked before anything is registered.
    let problems = admin.check_referrer_settings(&kind, &settings);
    if !problems.is_empty() {
        return Err(Problem::invalid(problems));
    }
    let id = admin
        .add_organisation(
            &capability,
            OrganisationId(Uuid::new_v4()),
            body.name.trim(),
            &kind,
            state.now(),
        )
        .await?;
    if settings.first_responder_list.is_some() {
        admin
            .set_referrer(&capability, id, &settings, state.now())
            .await?;
    } else if let Some(nation) = body.nation {
        let code = match nrm_domain::geography::UkNation::from(nation) {
            nrm_domain::geography::UkNation::England => "england",
            nrm_domain::geography::UkNation::Wales => "wales",
            nrm_domain::geography::UkNation::Scotland => "scotland",
            nrm_domain::geography::UkNation::NorthernIreland => "northern_ireland",
        };
        admin
            .set_organisation_nation(&capability, id, code, state.now())
            .await?;
    }
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

/// What decides whether an organisation may make referrals and Duty to Notify reports
/// (issue #10): its nation, its kind on the rulebook's dated First Responder Organisation list
/// for that nation, and an individual designation. A referral is accepted while the kind is
/// listed for the nation, or while the organisation is individually designated; a Duty to
/// Notify report only where the duty falls on that kind in that nation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferrerBody {
    pub nation: Option<super::mirror::UkNationDto>,
    /// The organisation's kind on the First Responder Organisation list (`police`,
    /// `local-authority`, `salvation-army`…: the codes of `first_responder_organisations` in
    /// `GET /api/v1/rulebook`).
    pub first_responder_list: Option<String>,
    /// An individual designation's first day.
    pub designated_from: Option<chrono::NaiveDate>,
    /// Its last day, if it has ended or will end.
    pub designated_to: Option<chrono::NaiveDate>,
}

fn referrer_body(s: nrm_service::ReferrerSettings) -> ReferrerBody {
    ReferrerBody {
        nation: s.nation.map(Into::into),
        first_responder_list: s.first_responder_list,
        designated_from: s.designated_from,
        designated_to: s.designated_to,
    }
}

/// An organisation's nation, First Responder list kind and designation, with its version in
/// the ETag.
#[utoipa::path(
    get, path = "/api/v1/organisations/{id}/referrer", tag = "administration",
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The settings; the ETag is the version to send as If-Match", body = ReferrerBody),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn referrer(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
) -> Result<impl IntoResponse, Problem> {
    let capability = authorise(&state, &caller, Operation::ManageOrganisations).await?;
    let referrer = state
        .cases
        .administration()
        .referrer(&capability, OrganisationId(id), state.now())
        .await?;
    let tag = format!("\"{}\"", referrer.settings.version());
    Ok((
        [(axum::http::header::ETAG, tag)],
        axum::Json(referrer_body(referrer.settings)),
    ))
}

/// Set an organisation's nation, First Responder list kind and individual designation, all
/// together (what is left out is cleared).
#[utoipa::path(
    put, path = "/api/v1/organisations/{id}/referrer", tag = "administration", request_body = ReferrerBody,
    params(
        ("id" = Uuid, Path, description = "Organisation id"),
        ("If-Match" = String, Header, description = "The settings' version from their ETag, quoted (required)"),
    ),
    responses(
        (status = 204, description = "Recorded"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The settings changed since they were read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (a list kind not on that nation's list, a designation ending before it starts)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_referrer(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam<Uuid>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<StatusCode, Problem> {
    let capability = authorise(&state, &caller, Operation::ManageOrganisations).await?;
    let body: ReferrerBody = body.parse()?;
    let admin = state.cases.administration();
    let current = admin
        .referrer(&capability, OrganisationId(id), state.now())
        .await?;
    match super::cases::if_match_tag(&headers)? {
        None => return Err(super::cases::precondition_required()),
        Some(tag) if tag == current.settings.version() => {}
        Some(_) => {
            return Err(Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "stale-version",
                "The organisation has changed since you read it",
            )
            .detail("Read it again, check the changes, and resubmit with its new version"));
        }
    }
    let settings = nrm_service::ReferrerSettings {
        nation: body.nation.map(Into::into),
        first_responder_list: body.first_responder_list,
        designated_from: body.designated_from,
        designated_to: body.designated_to,
    };
    admin
        .set_referrer(&capability, OrganisationId(id), &settings, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
