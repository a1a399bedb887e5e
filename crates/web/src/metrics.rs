//! Prometheus metrics at `/metrics` (issue #17), in the OpenMetrics text format.
//!
//! Requests are counted by method, route template and status, with a latency histogram per
//! method and route; the route is the template (`/cases/{reference}`), never the concrete
//! path, so no label ever holds a reference, an id or anything a person typed. Each scrape
//! also reads the service's gauges: queue depths from the kept counts (by status, competent
//! authority and deadline flag), overdue cases, the pool's use, the group committer and the
//! deadline sweeps.
//!
//! Who may scrape: a caller holding `ReadServiceMetrics` (an administrator, or the monitoring
//! system's API token with the `read_service_metrics` scope). A development or demo server
//! may open it to anyone (`metrics_open`); the figures are counts only either way.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nrm_access::Operation;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::actor::Caller;
use crate::problem::Problem;

/// The media type of the OpenMetrics text format, which Prometheus reads.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    status: String,
    competent_authority: String,
    deadline: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AuthorityLabels {
    competent_authority: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s, doubling.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// Every metric this process exposes.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Whether anyone may scrape (a development or demo server).
    open: bool,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    in_flight: Gauge,
    queue: Family<QueueLabels, Gauge>,
    overdue: Family<AuthorityLabels, Gauge>,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    commit_batches: Gauge,
    commit_appends: Gauge,
    commit_waiting: Gauge,
    sweeps_run: Gauge,
    sweeps_failed: Gauge,
    sweeps_skipped: Gauge,
    sweep_changes: Gauge,
}

impl Metrics {
    pub fn new(open: bool) -> Self {
        let mut registry = Registry::with_prefix("nrm");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            latency.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered now",
            in_flight.clone(),
        );
        let queue = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "queue_cases",
            "Cases by status, competent authority and worst open deadline (from the kept counts)",
            queue.clone(),
        );
        let overdue = Family::<AuthorityLabels, Gauge>::default();
        registry.register(
            "overdue_cases",
            "Cases with an overdue deadline, by competent authority, as the sweep last recorded",
            overdue.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections open, by state (idle or in use)",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most connections the pool opens",
            pool_max.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let commit_batches = gauge(
            &mut registry,
            "group_commit_batches",
            "Transactions the group committer has started since this process started",
        );
        let commit_appends = gauge(
            &mut registry,
            "group_commit_appends",
            "Appends written by the group committer since this process started",
        );
        let commit_waiting = gauge(
            &mut registry,
            "group_commit_waiting",
            "Appends queued for the group committer now",
        );
        let sweeps_run = gauge(
            &mut registry,
            "deadline_sweeps_run",
            "Deadline sweeps this instance ran since it started",
        );
        let sweeps_failed = gauge(
            &mut registry,
            "deadline_sweeps_failed",
            "Deadline sweeps that failed on this instance since it started",
        );
        let sweeps_skipped = gauge(
            &mut registry,
            "deadline_sweeps_skipped",
            "Sweep turns another instance took, since this one started",
        );
        let sweep_changes = gauge(
            &mut registry,
            "deadline_sweep_changes",
            "Deadline changes this instance's sweeps recorded since it started",
        );
        Self {
            registry,
            open,
            requests,
            latency,
            in_flight,
            queue,
            overdue,
            pool,
            pool_max,
            commit_batches,
            commit_appends,
            commit_waiting,
            sweeps_run,
            sweeps_failed,
            sweeps_skipped,
            sweep_changes,
        }
    }

    /// Whether anyone may scrape.
    pub fn is_open(&self) -> bool {
        self.open
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    fn set_gauges(&self, g: &nrm_service::operations::ServiceGauges) {
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.queue.clear();
        self.overdue.clear();
        for d in &g.queue {
            self.queue
                .get_or_create(&QueueLabels {
                    status: d.status.clone(),
                    competent_authority: d.competent_authority.clone(),
                    deadline: d.deadline.code().to_owned(),
                })
                .set(d.cases);
            let overdue = self.overdue.get_or_create(&AuthorityLabels {
                competent_authority: d.competent_authority.clone(),
            });
            if d.deadline == nrm_store::DeadlineFlag::Overdue {
                overdue.inc_by(d.cases);
            }
        }
        let busy = g.pool.open.saturating_sub(g.pool.idle);
        self.pool
            .get_or_create(&PoolLabels {
                state: "idle".to_owned(),
            })
            .set(i64::from(g.pool.idle));
        self.pool
            .get_or_create(&PoolLabels {
                state: "in_use".to_owned(),
            })
            .set(i64::from(busy));
        self.pool_max.set(i64::from(g.pool.max));
        self.commit_batches.set(clamp(g.group_commit.batches));
        self.commit_appends.set(clamp(g.group_commit.appends));
        self.commit_waiting
            .set(i64::try_from(g.group_commit.waiting).unwrap_or(i64::MAX));
        self.sweeps_run.set(clamp(g.jobs.sweeps_run));
        self.sweeps_failed.set(clamp(g.jobs.sweeps_failed));
        self.sweeps_skipped.set(clamp(g.jobs.sweeps_skipped));
        self.sweep_changes.set(clamp(g.jobs.sweep_changes));
    }

    fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Counts and times every request (a layer on the router, so the route template is known).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    metrics.in_flight.inc();
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.in_flight.dec();
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`.
pub async fn scrape(
    State(state): State<AppState>,
    caller: Result<Caller, Problem>,
) -> Result<Response, Problem> {
    let capability = if state.metrics().is_open() {
        nrm_service::admin::system_capability(Operation::ReadServiceMetrics)?
    } else {
        crate::access::authorise(&state, &caller?, Operation::ReadServiceMetrics).await?
    };
    let gauges = state.cases.service_gauges(&capability).await?;
    let metrics = state.metrics();
    metrics.set_gauges(&gauges);
    let body = metrics.encode().map_err(|_| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "metrics-failed",
            "The metrics could not be written",
        )
    })?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        body,
    )
        .into_response())
}
