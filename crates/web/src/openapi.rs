//! The OpenAPI 3.1 document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`.

use axum::Json;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::api::{
    actions, admin, cases, guardians, import, mirror, persons, reconsideration, session,
    statistics, submissions, support,
};
use crate::{health, problem};

#[derive(OpenApi)]
#[openapi(
    modifiers(&CommonResponses),
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
        statistics::tables,
        import::import,
        admin::add_organisation,
        admin::organisations,
        admin::referrer,
        admin::set_referrer,
        reconsideration::request,
        admin::add_user,
        admin::users,
        admin::disable_user,
        admin::set_roles,
        session::sign_in,
        session::sign_out,
        session::change_password,
        health::health,
        health::ready,
        support::list,
        support::refer,
        support::read,
        support::act,
        support::escalations,
        support::accommodation,
        support::add_accommodation,
        support::inspect,
        support::statement,
        guardians::list,
        guardians::read,
        guardians::act,
        guardians::reconsideration,
        guardians::age_review,
        persons::reviews,
        persons::review,
        persons::decide,
        persons::read,
        persons::split,
        persons::of_case,
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
        (name = "support", description = "Victim support: episodes, safeguarding, accommodation, inspections and payments"),
        (name = "guardians", description = "Independent Child Trafficking Guardians: a guardian's children, contacts, professionals, advocacy, turning 18"),
        (name = "statistics", description = "The official statistics tables, with disclosure control (analysts)"),
        (name = "persons", description = "The person behind referrals: possible earlier referrals, person histories, re-referrals"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// The answers every operation of a kind can give, documented once here rather than on each
/// handler, so the document cannot forget one: the caller's identity (401, 403: no access or a
/// cross-site request), a request body (400 malformed, 413 too large, 415 not JSON, 422 invalid),
/// a path parameter (404), and `If-Match` (400 unreadable). A handler's own description of a
/// status wins.
#[derive(Debug)]
struct CommonResponses;

/// Operations anyone may call.
const PUBLIC: [&str; 3] = ["/health", "/ready", "/api/v1/openapi.json"];

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let public = PUBLIC.contains(&path.as_str());
            let signs_in = path == "/api/v1/sign-in" || path == "/api/v1/sign-out";
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                if !public && !signs_in {
                    add(operation, "401", "Not signed in");
                    add(
                        operation,
                        "403",
                        "Not allowed, or a cookie-authenticated change from another site",
                    );
                }
                if signs_in {
                    add(operation, "403", "A request from another site");
                }
                if operation.request_body.is_some() {
                    add(operation, "400", "Malformed JSON");
                    add(operation, "413", "Body too large");
                    add(operation, "415", "Not JSON");
                    add(operation, "422", "Invalid fields");
                }
                if path.contains('{') {
                    add(operation, "404", "No such resource the caller may see");
                }
                let takes_if_match =
                    operation.parameters.iter().flatten().any(
                        |p| matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case("if-match")),
                    );
                if takes_if_match {
                    add(
                        operation,
                        "400",
                        "If-Match is not one entity tag, or disagrees with the body's version",
                    );
                }
            }
        }
    }
}

fn add(operation: &mut Operation, status: &str, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
                .into()
        });
}

/// Serves the document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
