//! The analysts' statistics pages: every official table of a period with disclosure control,
//! each with an accessible SVG chart (a title, a text alternative, and the data table beside
//! it), and downloads (each table as CSV, all of them as one ODS workbook). English only.

pub mod chart;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use nrm_access::Operation;
use nrm_domain::clock::uk_date;
use nrm_govuk::components::{Button, Hint, Input, Label};
use nrm_stats::{Publication, PublishedTable};
use serde::Deserialize;

use crate::AppState;
use crate::api::statistics::{StatisticsParams, last_quarter};
use crate::pages::casework::{caller, page_error};
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, render, render_status};
use crate::pages::session::SignedIn;

/// The query string of every statistics page.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    period: Option<String>,
    as_at: Option<String>,
}

/// One table in the list.
#[derive(Debug)]
pub struct Listed {
    pub id: String,
    pub title: String,
    pub withheld: usize,
}

#[derive(Template)]
#[template(path = "statistics/index.html")]
struct IndexPage {
    layout: Layout,
    errors: String,
    period_input: String,
    as_at_input: String,
    apply: String,
    heading: String,
    query: String,
    tables: Vec<Listed>,
    notes: Vec<(String, String)>,
}

/// A table's cell as the page shows it.
#[derive(Debug)]
pub struct ShownCell {
    pub text: String,
}

#[derive(Debug)]
pub struct ShownRow {
    pub label: String,
    pub cells: Vec<ShownCell>,
    pub total: bool,
}

#[derive(Template)]
#[template(path = "statistics/table.html")]
struct TablePage {
    layout: Layout,
    heading: String,
    definition: String,
    row_heading: String,
    columns: Vec<String>,
    rows: Vec<ShownRow>,
    chart: String,
    chart_summary: String,
    csv_href: String,
    workbook_href: String,
    notes: Vec<(String, String)>,
}

fn query_string(period: &str, as_at: Option<&str>) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("period", period);
    if let Some(as_at) = as_at {
        q.append_pair("as_at", as_at);
    }
    q.finish()
}

/// The analyst's publication for the page's period, or the page's errors.
async fn publication(
    state: &AppState,
    signed_in: &SignedIn,
    params: &PageParams,
) -> Result<Result<Publication, Errors>, PageError> {
    let capability = crate::access::authorise(state, &caller(signed_in), Operation::ReadStatistics)
        .await
        .map_err(|p| page_error(&p))?;
    let request = StatisticsParams {
        period: params.period.clone(),
        as_at: params.as_at.clone(),
        ..StatisticsParams::default()
    }
    .into_request(uk_date(state.now()));
    let request = match request {
        Ok(request) => request,
        Err(problems) => {
            let mut errors = Errors::default();
            for p in problems {
                errors.add(&p.field.replace('_', "-"), &p.message);
            }
            return Ok(Err(errors));
        }
    };
    state
        .cases
        .statistics(&capability, request, state.now(), |_| {})
        .await
        .map(Ok)
        .map_err(|e| PageError::from_service(e, Lang::En))
}

fn input(name: &str, label: &str, hint: &str, value: &str, errors: &Errors) -> String {
    Input {
        id: Some(name.replace('_', "-")),
        name: Some(name.to_owned()),
        value: Some(value.to_owned()),
        label: Some(Label {
            text: Some(label.to_owned()),
            ..Label::default()
        }),
        hint: Some(Hint {
            text: Some(hint.to_owned()),
            ..Hint::default()
        }),
        error_message: errors.message(&name.replace('_', "-"), Lang::En),
        classes: Some("govuk-input--width-10".to_owned()),
        spellcheck: Some(false),
        ..Input::default()
    }
    .to_string()
}

/// `/statistics`: choose a period; the list of its tables and the downloads.
pub async fn index(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    let default_period = last_quarter(uk_date(state.now())).to_string();
    let period = params
        .period
        .clone()
        .unwrap_or_else(|| default_period.clone());
    let as_at = params.as_at.clone().unwrap_or_default();
    let result = publication(&state, &signed_in, &params).await?;
    let (errors, publication) = match result {
        Ok(p) => (Errors::default(), Some(p)),
        Err(errors) => (errors, None),
    };
    let heading = publication.as_ref().map_or_else(
        || "Statistics".to_owned(),
        |p| {
            format!(
                "Statistics for {} ({}), as at {}",
                p.period.describe(),
                p.period,
                crate::pages::casework::date(p.as_at)
            )
        },
    );
    let page = IndexPage {
        layout: signed_in.layout("Statistics").casework().errors(&errors),
        errors: errors.summary(Lang::En),
        period_input: input(
            "period",
            "Period",
            "A year, like 2024, or a quarter, like 2024Q4",
            &period,
            &errors,
        ),
        as_at_input: input(
            "as_at",
            "As at (optional)",
            "Count the case file as it stood at the end of this day, like 2025-01-31. Leave empty for today.",
            &as_at,
            &errors,
        ),
        apply: Button {
            text: Some("Show tables".to_owned()),
            ..Button::default()
        }
        .to_string(),
        heading,
        query: query_string(&period, (!as_at.is_empty()).then_some(as_at.as_str())),
        tables: publication
            .as_ref()
            .map(|p| {
                p.tables
                    .iter()
                    .map(|t| Listed {
                        id: t.id.clone(),
                        title: t.title.clone(),
                        withheld: t.primary_suppressed + t.secondary_suppressed,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        notes: publication
            .as_ref()
            .map(Publication::notes)
            .unwrap_or_default(),
    };
    Ok(if errors.is_empty() {
        render(&page)
    } else {
        render_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
    })
}

fn find<'a>(p: &'a Publication, id: &str) -> Result<&'a PublishedTable, PageError> {
    p.tables
        .iter()
        .find(|t| t.id == id)
        .ok_or(PageError::NotFound(Lang::En))
}

/// A period that does not parse on a table or download page: back to the list, which says why.
fn ok_or_list(result: Result<Publication, Errors>) -> Result<Publication, PageError> {
    result.map_err(|_| PageError::NotFound(Lang::En))
}

/// `/statistics/tables/{id}`: one table, its chart and its definition.
pub async fn table(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    let publication = ok_or_list(publication(&state, &signed_in, &params).await?)?;
    let t = find(&publication, &id)?;
    let query = query_string(&publication.period.to_string(), params.as_at.as_deref());
    let (chart, chart_summary) = chart::bars(t);
    let page = TablePage {
        layout: signed_in
            .layout(t.title.clone())
            .casework()
            .back(format!("/statistics?{query}")),
        heading: t.title.clone(),
        definition: t.definition.clone(),
        row_heading: t.row_heading.clone(),
        columns: t.columns.iter().map(|c| c.heading.clone()).collect(),
        rows: t
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| ShownRow {
                label: r.label.clone(),
                cells: r
                    .cells
                    .iter()
                    .map(|c| ShownCell { text: c.text() })
                    .collect(),
                total: t.total_row && i + 1 == t.rows.len(),
            })
            .collect(),
        chart,
        chart_summary,
        csv_href: format!("/statistics/csv/{}?{query}", t.id),
        workbook_href: format!("/statistics/workbook?{query}"),
        notes: publication.notes(),
    };
    Ok(render(&page))
}

fn download(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `/statistics/csv/{id}`: one table as CSV.
pub async fn csv(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    let publication = ok_or_list(publication(&state, &signed_in, &params).await?)?;
    let t = find(&publication, &id)?;
    Ok(download(
        "text/csv; charset=utf-8",
        &format!("{}-{}.csv", t.id, publication.period),
        nrm_stats::csv::table(t).into_bytes(),
    ))
}

/// `/statistics/workbook`: every table as one ODS workbook.
pub async fn workbook(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    let publication = ok_or_list(publication(&state, &signed_in, &params).await?)?;
    let bytes = nrm_stats::ods::workbook(&publication).map_err(|_| PageError::Fault(Lang::En))?;
    Ok(download(
        "application/vnd.oasis.opendocument.spreadsheet",
        &format!("nrm-statistics-{}.ods", publication.period),
        bytes,
    ))
}
