//! Signing in and out. A successful sign-in sets the session cookie: `__Host-` prefixed,
//! `Secure`, `HttpOnly`, `SameSite=Strict`, path `/`, no domain. Failures never say which of
//! the email, password or code was wrong, nor whether the account exists.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nrm_service::identity::SignInRefused;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::actor::ClientAddress;
use crate::cookies::{CLEAR_SESSION_COOKIE, session_cookie, session_token};
use crate::json::StrictJson;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in))
        .routes(routes!(sign_out))
        .routes(routes!(change_password))
}

/// Credentials for signing in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
    /// The 6-digit code from the authenticator app.
    pub code: String,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignInRequest { .. }")
    }
}

/// Sign in with email, password and a TOTP code.
#[utoipa::path(
    post, path = "/api/v1/sign-in", tag = "sessions",
    request_body = SignInRequest,
    responses(
        (status = 204, description = "Signed in; the session cookie is set"),
        (status = 401, description = "The email, password or code is not right", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; try again later", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "The attempt could not be checked or recorded; nothing was granted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    StrictJson(body): StrictJson<SignInRequest>,
) -> Result<Response, Problem> {
    match state
        .cases
        .identity()
        .sign_in(
            &body.email,
            &body.password,
            &body.code,
            &client,
            state.now(),
        )
        .await
    {
        Ok(token) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Ok(cookie) = HeaderValue::from_str(&session_cookie(&token.0)) {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            Ok(response)
        }
        Err(SignInRefused::NotRight) => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "sign-in-failed",
            "The email address, password or code is not right",
        )),
        Err(SignInRefused::Throttled) => Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "sign-in-throttled",
            "Too many attempts to sign in: wait a few minutes and try again",
        )),
        // Logged where it happened; the client learns nothing but that it failed.
        Err(SignInRefused::Fault) => Err(Problem::internal()),
    }
}

/// Sign out: the session ends at once.
#[utoipa::path(
    post, path = "/api/v1/sign-out", tag = "sessions",
    responses((status = 204, description = "Signed out; the cookie is cleared"))
)]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    if let Some(token) = session_token(&headers) {
        state.cases.identity().sign_out(&token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(CLEAR_SESSION_COOKIE),
    );
    Ok(response)
}

/// A password change by the signed-in person.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChangeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChangeRequest { .. }")
    }
}

/// Change your password. Every one of your sessions ends, this one included: sign in again.
/// Checking the current password is throttled like signing in (same account and client
/// limits), so this cannot be used to guess it.
#[utoipa::path(
    post, path = "/api/v1/me/password", tag = "sessions",
    request_body = PasswordChangeRequest,
    responses(
        (status = 204, description = "Changed; all sessions ended"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The current password is wrong, or the new one is not allowed", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts; try again later", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    caller: crate::actor::Caller,
    body: crate::json::JsonBody,
) -> Result<Response, Problem> {
    if caller.0.token_scopes.is_some() || caller.0.authenticated_at.is_none() {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only a signed-in person can change their password",
        ));
    }
    let body: PasswordChangeRequest = body.parse()?;
    state
        .cases
        .identity()
        .change_password(
            caller.actor().user,
            &body.current_password,
            &body.new_password,
            &client,
            state.now(),
        )
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(CLEAR_SESSION_COOKIE),
    );
    Ok(response)
}
