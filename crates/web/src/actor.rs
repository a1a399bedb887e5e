//! Who is calling. Until sign-in exists (a later issue), the acting user and organisation come
//! from two request headers, `NRM-Dev-User` and `NRM-Dev-Organisation` (UUIDs). The mechanism
//! is switched off unless configuration turns it on, and the binary refuses to turn it on in a
//! production configuration, so no deployed service can be driven by forged headers.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use nrm_domain::Actor;
use nrm_domain::ids::{OrganisationId, UserId};
use uuid::Uuid;

use crate::AppState;
use crate::problem::Problem;

pub const DEV_USER_HEADER: &str = "nrm-dev-user";
pub const DEV_ORGANISATION_HEADER: &str = "nrm-dev-organisation";

/// The authenticated caller of a request.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Actor);

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
        if !state.settings.dev_actor_headers {
            return Err(unauthenticated());
        }
        let header = |name: &str| -> Result<Uuid, Problem> {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Uuid::parse_str(v.trim()).ok())
                .ok_or_else(|| {
                    unauthenticated().detail(format!(
                        "Development sign-in needs the {DEV_USER_HEADER} and {DEV_ORGANISATION_HEADER} headers, each a UUID"
                    ))
                })
        };
        Ok(Self(Actor {
            user: UserId(header(DEV_USER_HEADER)?),
            organisation: OrganisationId(header(DEV_ORGANISATION_HEADER)?),
        }))
    }
}
