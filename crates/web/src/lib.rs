//! HTTP for NRM Digital: the JSON API (with its OpenAPI document), problem details, probes.
//!
//! Handlers parse requests into domain types, call [`nrm_service::Cases`], and shape the
//! answer. They hold no business rules. Every error leaves as an RFC 9457 problem-details body
//! ([`problem`]); request and response logging records method, route template, status and
//! timing, never bodies, query values or personal data (docs/LOGGING.md).

pub mod access;
pub mod actor;
pub mod api;
pub mod cookies;
pub mod fuzzing;
pub mod health;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod problem;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use nrm_service::Cases;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::problem::Problem;

/// A source of the current time, replaceable in tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Web settings that come from configuration.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Accept development sign-in headers. Exists only in test builds (feature `dev-sign-in`).
    #[cfg(feature = "dev-sign-in")]
    pub dev_actor_headers: bool,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub cases: Cases,
    pub settings: Settings,
    clock: Clock,
    metrics: Arc<metrics::Metrics>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(cases: Cases, settings: Settings) -> Self {
        Self {
            cases,
            settings,
            clock: Arc::new(Utc::now),
            metrics: Arc::new(metrics::Metrics::new(false)),
        }
    }

    /// Lets anyone read `/metrics` (a development or demo server): counts only, never a case.
    #[must_use]
    pub fn with_open_metrics(mut self, open: bool) -> Self {
        self.metrics = Arc::new(metrics::Metrics::new(open));
        self
    }

    pub fn metrics(&self) -> &Arc<metrics::Metrics> {
        &self.metrics
    }

    /// Replaces the clock (tests move time forward to reach recovery-period ends).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let meter = state.metrics().clone();
    let api = Router::new()
        .route("/api/v1/referrals/adult", post(api::submissions::adult))
        .route("/api/v1/referrals/child", post(api::submissions::child))
        .route(
            "/api/v1/duty-to-notify",
            post(api::submissions::duty_to_notify),
        )
        .route("/api/v1/cases", get(api::cases::queue))
        .route("/api/v1/cases/{reference}", get(api::cases::read))
        .route(
            "/api/v1/cases/{reference}/reasonable-grounds-decision",
            post(api::cases::reasonable_grounds),
        )
        .route(
            "/api/v1/cases/{reference}/conclusive-grounds-decision",
            post(api::cases::conclusive_grounds),
        )
        .route("/api/v1/cases/{reference}/actions", post(api::actions::act))
        .route(
            "/api/v1/cases/{reference}/notices",
            get(api::actions::notices),
        )
        .route(
            "/api/v1/cases/{reference}/access-history",
            get(api::cases::access_history),
        )
        .route("/api/v1/rulebook", get(api::actions::rulebook))
        .route("/api/v1/statistics", get(api::statistics::tables))
        .route("/api/v1/persons/reviews", get(api::persons::reviews))
        .route("/api/v1/persons/reviews/{id}", get(api::persons::review))
        .route(
            "/api/v1/persons/reviews/{id}/decision",
            post(api::persons::decide),
        )
        .route("/api/v1/persons/{id}", get(api::persons::read))
        .route("/api/v1/persons/{id}/split", post(api::persons::split))
        .route(
            "/api/v1/cases/{reference}/person",
            get(api::persons::of_case),
        )
        .route("/api/v1/deadline-sweep", post(api::actions::sweep))
        .route("/api/v1/legacy-import", post(api::import::import))
        .route(
            "/api/v1/organisations",
            get(api::admin::organisations).post(api::admin::add_organisation),
        )
        .route(
            "/api/v1/support/episodes/{reference}/reconsideration-request",
            post(api::reconsideration::request),
        )
        .route(
            "/api/v1/organisations/{id}/referrer",
            get(api::admin::referrer).put(api::admin::set_referrer),
        )
        .route(
            "/api/v1/users",
            get(api::admin::users).post(api::admin::add_user),
        )
        .route("/api/v1/users/{id}/disable", post(api::admin::disable_user))
        .route(
            "/api/v1/users/{id}/roles",
            axum::routing::put(api::admin::set_roles),
        )
        .route("/api/v1/sign-in", post(api::session::sign_in))
        .route("/api/v1/sign-out", post(api::session::sign_out))
        .route("/api/v1/me/password", post(api::session::change_password))
        .route(
            "/api/v1/support/episodes",
            get(api::support::list).post(api::support::refer),
        )
        .route(
            "/api/v1/support/episodes/{reference}",
            get(api::support::read),
        )
        .route(
            "/api/v1/support/episodes/{reference}/actions",
            post(api::support::act),
        )
        .route(
            "/api/v1/support/escalations",
            get(api::support::escalations),
        )
        .route(
            "/api/v1/support/accommodation",
            get(api::support::accommodation).post(api::support::add_accommodation),
        )
        .route("/api/v1/support/inspections", post(api::support::inspect))
        .route("/api/v1/support/statement", get(api::support::statement))
        .route("/api/v1/guardians/episodes", get(api::guardians::list))
        .route(
            "/api/v1/guardians/episodes/{reference}",
            get(api::guardians::read),
        )
        .route(
            "/api/v1/guardians/episodes/{reference}/actions",
            post(api::guardians::act),
        )
        .route(
            "/api/v1/guardians/episodes/{reference}/reconsideration",
            post(api::guardians::reconsideration),
        )
        .route(
            "/api/v1/guardians/age-review",
            post(api::guardians::age_review),
        )
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/metrics", get(metrics::scrape))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .merge(pages_router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(meter, metrics::track));

    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request| {
            // The route template, never the concrete path or query (docs/LOGGING.md).
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", MatchedPath::as_str);
            let request_id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), route, request_id)
        })
        .on_response(
            |response: &axum::response::Response, latency: Duration, _span: &tracing::Span| {
                tracing::info!(
                    status = response.status().as_u16(),
                    latency_ms = latency.as_millis() as u64,
                    "response"
                );
            },
        );

    api.layer(trace)
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        // The API serves no pages: nothing may be loaded, framed or submitted from it.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-origin"),
        ))
}

/// The pages, with the Content-Security-Policy pages need: everything from this origin only,
/// no inline script or style, no framing, forms posting only here.
fn pages_router() -> Router<AppState> {
    pages::routes().layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    ))
}

const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

/// Not found: a problem-details body under `/api/`, the GOV.UK page anywhere else.
async fn not_found(
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        api_not_found().await.into_response()
    } else {
        let mut response =
            pages::errors::PageError::NotFound(pages::session::lang(&headers)).into_response();
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
        response
    }
}

async fn api_not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "There is nothing at this address",
    )
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "This address does not accept that method",
    )
}
