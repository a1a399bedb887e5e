//! The JSON API's routes and its OpenAPI 3.1 document, built from the same declarations and
//! served at `/api/v1/openapi.json`.
//!
//! Each API module declares its routes once, in its `routes()` (utoipa-axum's `routes!`, which
//! reads the path and method from the handler's `#[utoipa::path]`); [`routes`] merges them, and
//! [`split`] turns that into the axum router and the document together. A handler cannot be
//! served without being documented, nor documented without being served, and the access-matrix
//! test (`tests/matrix.rs`) probes every operation [`operations`] lists.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::api::{
    actions, admin, cases, guardians, import, mirror, persons, reconsideration, session,
    statistics, submissions, support, tokens,
};
use crate::{AppState, health, metrics, problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NRM Digital API",
        description = "Referrals, Duty to Notify reports and decisions for the UK National Referral Mechanism. Errors are RFC 9457 problem details. OFFICIAL-SENSITIVE.",
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
        (name = "administration", description = "Organisations, accounts and API tokens"),
        (name = "support", description = "Victim support: episodes, safeguarding, accommodation, inspections and payments"),
        (name = "guardians", description = "Independent Child Trafficking Guardians: a guardian's children, contacts, professionals, advocacy, turning 18"),
        (name = "statistics", description = "The official statistics tables, with disclosure control (analysts)"),
        (name = "persons", description = "The person behind referrals: possible earlier referrals, person histories, re-referrals"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Every documented route, with the document's info, tags and shared schemas. A new API module
/// adds its `routes()` here; a new handler goes in its module's `routes()`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(submissions::routes())
        .merge(cases::routes())
        .merge(actions::routes())
        .merge(statistics::routes())
        .merge(import::routes())
        .merge(admin::routes())
        .merge(tokens::routes())
        .merge(reconsideration::routes())
        .merge(session::routes())
        .merge(health::routes())
        .merge(support::routes())
        .merge(guardians::routes())
        .merge(persons::routes())
}

/// The address of the document.
pub const DOCUMENT: &str = "/api/v1/openapi.json";
/// The address of the service metrics (Prometheus text, not JSON: not in the document).
pub const METRICS: &str = "/metrics";
/// The operations served outside the document: the document itself and the metrics scrape.
/// The only routes of the API router that [`routes`] does not declare; see [`split`].
pub const UNDOCUMENTED: [(&str, &str); 2] = [("GET", DOCUMENT), ("GET", METRICS)];

/// The API router (everything but the pages) and its document, from the one set of
/// declarations in [`routes`], with the common responses added to every operation. The router
/// also serves the [`UNDOCUMENTED`] operations.
pub fn split() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut document) = routes().split_for_parts();
    CommonResponses.modify(&mut document);
    let served = axum::body::Bytes::from(serde_json::to_vec(&document).unwrap_or_default());
    let router = router
        .route(
            DOCUMENT,
            get(move || {
                let served = served.clone();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/json"),
                        )],
                        served,
                    )
                        .into_response()
                }
            }),
        )
        .route(METRICS, get(metrics::scrape));
    (router, document)
}

/// Every operation the API router serves, as `"GET /api/v1/cases"`: the document's and the
/// [`UNDOCUMENTED`] ones. The access-matrix test walks this list, so a new route cannot escape it.
pub fn operations() -> Vec<String> {
    let (_, document) = split();
    let mut operations = Vec::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("OPTIONS", &item.options),
            ("HEAD", &item.head),
            ("PATCH", &item.patch),
            ("TRACE", &item.trace),
        ] {
            if operation.is_some() {
                operations.push(format!("{method} {path}"));
            }
        }
    }
    operations.extend(UNDOCUMENTED.iter().map(|(m, p)| format!("{m} {p}")));
    operations
}

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
