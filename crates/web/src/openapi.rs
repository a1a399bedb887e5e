//! The OpenAPI 3.1 document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`.

use axum::Json;
use utoipa::OpenApi;

use crate::api::{actions, admin, cases, mirror, session, submissions};
use crate::{health, problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NRM Digital API",
        description = "Referrals, Duty to Notify reports and decisions for the UK National Referral Mechanism. Errors are RFC 9457 problem details. OFFICIAL-SENSITIVE.",
    ),
    paths(
        submissions::adult,
        submissions::child,
        submissions::duty_to_notify,
        cases::queue,
        cases::read,
        cases::access_history,
        cases::reasonable_grounds,
        cases::conclusive_grounds,
        actions::act,
        actions::notices,
        actions::rulebook,
        actions::sweep,
        admin::add_organisation,
        admin::organisations,
        admin::add_user,
        admin::users,
        admin::disable_user,
        admin::set_roles,
        session::sign_in,
        session::sign_out,
        session::change_password,
        health::health,
        health::ready,
    ),
    components(schemas(
        problem::Problem,
        problem::InvalidField,
        mirror::GenderDto,
        mirror::ExploitationTypeDto,
        mirror::UkNationDto,
        mirror::FirstResponderTypeDto,
        mirror::ImmigrationCohortDto,
        mirror::AgeAtExploitationDto,
        mirror::AgeGroupDto,
        mirror::OutcomeDto,
        mirror::NegativeReasonDto,
        mirror::CompetentAuthorityDto,
    )),
    tags(
        (name = "submissions", description = "Referrals and Duty to Notify reports from First Responders"),
        (name = "cases", description = "The work queue and case files"),
        (name = "decisions", description = "Reasonable Grounds and Conclusive Grounds decisions"),
        (name = "operations", description = "Health and readiness"),
        (name = "sessions", description = "Signing in and out"),
        (name = "administration", description = "Organisations and accounts"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Serves the document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
