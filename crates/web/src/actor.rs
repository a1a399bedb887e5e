//! Who is calling: an API token (`Authorization: Bearer nrm_…`), or a session cookie from
//! signing in. Test builds (feature `dev-sign-in`, enabled only by this crate's own tests) can
//! also name the caller with development headers; no production build contains that code:
//!
//! | header | value |
//! |---|---|
//! | `NRM-Dev-User` | the user's UUID |
//! | `NRM-Dev-Organisation` | the organisation's UUID |
//! | `NRM-Dev-Organisation-Kind` | `first_responder_organisation`, `sca`, `ieca`, `local_authority`, `local_authority:<pilot site>`, `support_provider`, `guardian_service`, `assurance_panel`, `analysts` or `administrators` |
//! | `NRM-Dev-Roles` | comma-separated roles, e.g. `decision_maker,ca_manager` |
//! | `NRM-Dev-Allocated-Only` | `true` for a decision maker limited to cases allocated to them |
//!
//! Because the mechanism is compiled out of every build but the tests, no deployed service can
//! be driven by forged headers.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use nrm_access::Principal;
#[cfg(feature = "dev-sign-in")]
use nrm_access::{OrganisationKind, Role};
use nrm_domain::Actor;
#[cfg(feature = "dev-sign-in")]
use nrm_domain::ids::{OrganisationId, UserId};
#[cfg(feature = "dev-sign-in")]
use uuid::Uuid;

use crate::AppState;
use crate::problem::Problem;

pub const DEV_USER_HEADER: &str = "nrm-dev-user";
pub const DEV_ORGANISATION_HEADER: &str = "nrm-dev-organisation";
pub const DEV_ORGANISATION_KIND_HEADER: &str = "nrm-dev-organisation-kind";
pub const DEV_ROLES_HEADER: &str = "nrm-dev-roles";
pub const DEV_ALLOCATED_ONLY_HEADER: &str = "nrm-dev-allocated-only";

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    pub fn actor(&self) -> Actor {
        self.0.actor
    }
}

/// Whether a state-changing request comes from this service's own origin.
pub(crate) fn same_origin(parts: &Parts) -> bool {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    match header("sec-fetch-site") {
        Some(site) => site == "same-origin" || site == "none",
        None => match (header("origin"), header("host")) {
            (None, _) => true,
            (Some(origin), Some(host)) => {
                origin
                    .strip_prefix("https://")
                    .or_else(|| origin.strip_prefix("http://"))
                    == Some(host)
            }
            (Some(_), None) => false,
        },
    }
}

/// The client's network address, for per-client sign-in limits.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
        ))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthenticated = || {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Sign in to do this",
            )
        };
        if let Some(bearer) = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        {
            // API clients: a scoped token, not a browser, so no cross-site check is needed.
            return match state
                .cases
                .identity()
                .principal_for_token(bearer.trim())
                .await
            {
                Ok(Some(principal)) => Ok(Self(principal)),
                Ok(None) => Err(unauthenticated()),
                Err(e) => Err(e.into()),
            };
        }
        if let Some(token) = crate::cookies::session_token(&parts.headers) {
            // Cookie-authenticated requests that change something must come from our own
            // pages (Fetch Metadata, or Origin where a browser sends no Fetch Metadata).
            if !parts.method.is_safe() && !same_origin(parts) {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "cross-site-request",
                    "This request did not come from this service's own pages",
                ));
            }
            return match state
                .cases
                .identity()
                .principal_for_session(&token, state.now())
                .await
            {
                Ok(Some(principal)) => Ok(Self(principal)),
                Ok(None) => Err(unauthenticated()),
                Err(e) => Err(e.into()),
            };
        }
        #[cfg(feature = "dev-sign-in")]
        if state.settings.dev_actor_headers {
            return dev_principal(parts).map(Self);
        }
        Err(unauthenticated())
    }
}

/// The development sign-in headers (test builds only).
#[cfg(feature = "dev-sign-in")]
fn dev_principal(parts: &Parts) -> Result<Principal, Problem> {
    let unauthenticated = || {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Sign in to do this",
        )
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let explain = || {
        unauthenticated().detail(format!(
            "Development sign-in needs the {DEV_USER_HEADER}, {DEV_ORGANISATION_HEADER}, {DEV_ORGANISATION_KIND_HEADER} and {DEV_ROLES_HEADER} headers"
        ))
    };
    let uuid = |name: &str| {
        header(name)
            .and_then(|v| Uuid::parse_str(v.trim()).ok())
            .ok_or_else(explain)
    };
    let user = UserId(uuid(DEV_USER_HEADER)?);
    let organisation = OrganisationId(uuid(DEV_ORGANISATION_HEADER)?);
    let organisation_kind = header(DEV_ORGANISATION_KIND_HEADER)
        .and_then(OrganisationKind::parse)
        .ok_or_else(explain)?;
    let roles: Option<Vec<Role>> = header(DEV_ROLES_HEADER)
        .map(|v| {
            v.split(',')
                .filter(|r| !r.trim().is_empty())
                .map(Role::parse)
                .collect()
        })
        .unwrap_or(None);
    let roles = roles.filter(|r| !r.is_empty()).ok_or_else(explain)?;
    Ok(Principal {
        actor: Actor { user, organisation },
        organisation_kind,
        roles,
        allocated_cases_only: header(DEV_ALLOCATED_ONLY_HEADER).is_some_and(|v| v.trim() == "true"),
        token_scopes: None,
        authenticated_at: None,
    })
}
