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
    // Every API route is declared once, in its module's `routes()` (see `openapi`), and the
    // document is built from the same declarations.
    let (api, _document) = openapi::split();
    let api = api
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
