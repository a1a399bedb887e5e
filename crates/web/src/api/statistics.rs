//! The official statistics tables as JSON, for analysts: the same tables, definitions, notes
//! and disclosure control as `nrm stats` writes to CSV and ODS.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use nrm_access::Operation;
use nrm_domain::FieldProblem;
use nrm_domain::clock::uk_date;
use nrm_service::StatisticsRequest;
use nrm_stats::{Options, Period, Policy};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::actor::Caller;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tables))
}

/// Which tables.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsParams {
    /// A quarter (`2024Q4`) or a year (`2024`); the last complete quarter when absent.
    pub period: Option<String>,
    /// The case file as it stood at the end of this day (`YYYY-MM-DD`); today when absent.
    pub as_at: Option<String>,
    /// Counts from 1 to threshold-1 are withheld (`[c]`); default 5.
    pub threshold: Option<u64>,
    /// Counts shown are rounded to a multiple of this; default 1 (no rounding).
    pub rounding: Option<u64>,
}

/// The last complete quarter before `today`.
pub fn last_quarter(today: NaiveDate) -> Period {
    match Period::quarter_of(today) {
        Period::Quarter { year, quarter: 1 } => Period::Quarter {
            year: year - 1,
            quarter: 4,
        },
        Period::Quarter { year, quarter } => Period::Quarter {
            year,
            quarter: quarter - 1,
        },
        other => other,
    }
}

impl StatisticsParams {
    /// The request, or every field problem (named by the query parameter).
    pub fn into_request(self, today: NaiveDate) -> Result<StatisticsRequest, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let period = match self.period.as_deref().map(str::trim) {
            None | Some("") => Some(last_quarter(today)),
            Some(text) => Period::parse(text)
                .map_err(|_| {
                    problems.push(FieldProblem::new(
                        "period",
                        "Enter a year, like 2024, or a quarter, like 2024Q4",
                    ))
                })
                .ok(),
        };
        let as_at = match self.as_at.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(d) if d <= today => Some(d),
                Ok(_) => {
                    problems.push(FieldProblem::new(
                        "as_at",
                        "The as-at date must be today or in the past",
                    ));
                    None
                }
                Err(_) => {
                    problems.push(FieldProblem::new(
                        "as_at",
                        "Enter the as-at date as YYYY-MM-DD",
                    ));
                    None
                }
            },
        };
        let default = Policy::default();
        let threshold = self.threshold.unwrap_or(default.threshold);
        if threshold > 1000 {
            problems.push(FieldProblem::new(
                "threshold",
                "The threshold must be 1000 or less",
            ));
        }
        let rounding = self.rounding.unwrap_or(default.rounding_base);
        if !(1..=1000).contains(&rounding) {
            problems.push(FieldProblem::new(
                "rounding",
                "The rounding base must be from 1 to 1000",
            ));
        }
        match period {
            Some(period) if problems.is_empty() => Ok(StatisticsRequest {
                period,
                as_at,
                policy: Policy {
                    threshold,
                    rounding_base: rounding,
                },
                options: Options {
                    country_name: crate::pages::countries::name,
                    ..Options::default()
                },
            }),
            _ => Err(problems),
        }
    }
}

/// Every official statistics table for a period, with disclosure control applied: each table's
/// definition, columns and rows (counts, whole percentages, median days, or the symbols `[c]`
/// withheld and `[x]` not available), and the notes that explain them. Analysts only.
#[utoipa::path(
    get, path = "/api/v1/statistics", tag = "statistics", params(StatisticsParams),
    responses(
        (status = 200, description = "The tables", body = Object),
        (status = 400, description = "The query string could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid parameters", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn tables(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<StatisticsParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<serde_json::Value>, Problem> {
    let capability = crate::access::authorise(&state, &caller, Operation::ReadStatistics).await?;
    let Query(params) = params.map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-query",
            "The query string could not be read",
        )
    })?;
    let request = params
        .into_request(uk_date(state.now()))
        .map_err(Problem::invalid)?;
    let publication = state
        .cases
        .statistics(&capability, request, state.now(), |_| {})
        .await?;
    let notes: Vec<serde_json::Value> = publication
        .notes()
        .into_iter()
        .map(|(title, text)| serde_json::json!({ "title": title, "text": text }))
        .collect();
    let mut body = serde_json::to_value(&publication).map_err(|_| Problem::internal())?;
    if let Some(object) = body.as_object_mut() {
        object.insert("notes".to_owned(), serde_json::Value::Array(notes));
    }
    Ok(axum::Json(body))
}
