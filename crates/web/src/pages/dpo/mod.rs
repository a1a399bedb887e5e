//! The data protection officer's page (issue #17 item 6): a subject access request answered
//! from a case reference (never a name), as a readable HTML bundle and as JSON. Each view and
//! each download is one audited export (`Cases::subject_access`); third parties' identities are
//! redacted by the service. English only, like casework.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nrm_access::Operation;
use nrm_domain::CaseReference;
use nrm_govuk::components::{Button, Hint, Input, Label};
use nrm_service::SubjectAccessExport;
use serde::Deserialize;

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, render_status};
use crate::pages::session::SignedIn;

#[derive(Debug, Default, Deserialize)]
pub struct SubjectAccessParams {
    reference: Option<String>,
}

/// What the page shows of an export: counts and links (the content is in the downloads).
#[derive(Debug)]
pub struct Found {
    pub reference: String,
    pub respond_by: String,
    pub status: String,
    pub erased: bool,
    pub has_details: bool,
    pub events: usize,
    pub records: usize,
    pub episodes: usize,
    pub accesses: usize,
    pub holds: usize,
    pub redactions: Vec<String>,
}

#[derive(Template)]
#[template(path = "dpo/index.html")]
struct IndexPage {
    layout: Layout,
    errors: String,
    input: String,
    button: String,
    found: Option<Found>,
}

/// The standalone bundle (a document to send, not a page of the service).
#[derive(Template)]
#[template(path = "dpo/bundle.html")]
struct Bundle<'a> {
    export: &'a SubjectAccessExport,
    details: Vec<(&'static str, String)>,
    events: Vec<(u64, String, String, String, String)>,
    records: Vec<(String, String, String, bool)>,
}

/// The readable HTML bundle of an export (also written by `nrm sar`).
pub fn bundle_html(export: &SubjectAccessExport) -> String {
    let details = export
        .personal_details
        .as_ref()
        .map(|d| {
            let mut rows: Vec<(&'static str, String)> = vec![
                ("Given names", d.given_names.clone()),
                ("Family name", d.family_name.clone()),
                ("Other names", d.other_names.join(", ")),
                (
                    "Date of birth",
                    d.date_of_birth.map(|b| b.to_string()).unwrap_or_default(),
                ),
                ("Languages", d.languages.join(", ")),
                (
                    "Interpreter needed",
                    if d.interpreter_needed { "Yes" } else { "No" }.to_owned(),
                ),
                ("Contact", d.contact.clone().unwrap_or_default()),
                ("Address", d.current_address.clone().unwrap_or_default()),
                ("Other references", d.other_references.join(", ")),
                ("Account given", d.narrative.clone()),
            ];
            rows.retain(|(_, v)| !v.is_empty());
            rows
        })
        .unwrap_or_default();
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let events = export
        .events
        .iter()
        .map(|e| {
            (
                e.version,
                e.recorded_at.to_rfc3339(),
                e.kind.clone(),
                e.recorded_by.clone(),
                pretty(&e.details),
            )
        })
        .collect();
    let records = export
        .records
        .iter()
        .map(|r| {
            (
                r.kind.clone(),
                r.written_at.to_rfc3339(),
                r.content
                    .as_ref()
                    .map_or_else(|| "Erased at the end of its retention".to_owned(), pretty),
                r.review_before_release,
            )
        })
        .collect();
    Bundle {
        export,
        details,
        events,
        records,
    }
    .render()
    .unwrap_or_default()
}

fn page(
    signed_in: &SignedIn,
    typed: &str,
    errors: &Errors,
    found: Option<Found>,
    status: StatusCode,
) -> Response {
    let input = Input {
        id: Some("reference".to_owned()),
        name: Some("reference".to_owned()),
        value: Some(typed.to_owned()),
        label: Some(Label {
            text: Some("Case reference".to_owned()),
            classes: Some("govuk-label--m".to_owned()),
            ..Label::default()
        }),
        hint: Some(Hint {
            text: Some(
                "The reference of the person's case, for example NRM-2026-ABCD-EFGH. Never search by name."
                    .to_owned(),
            ),
            ..Default::default()
        }),
        error_message: errors.message("reference", Lang::En),
        spellcheck: Some(false),
        classes: Some("govuk-input--width-20".to_owned()),
        ..Input::default()
    }
    .to_string();
    render_status(
        status,
        &IndexPage {
            layout: signed_in
                .layout("Subject access request")
                .back("/administration")
                .errors(errors),
            errors: errors.summary(Lang::En),
            input,
            button: Button {
                text: Some("Find what is held".to_owned()),
                ..Button::default()
            }
            .to_string(),
            found,
        },
    )
}

fn parse_reference(typed: &str, errors: &mut Errors) -> Option<CaseReference> {
    if typed.is_empty() {
        errors.add("reference", "Enter a case reference");
        return None;
    }
    match typed.parse::<CaseReference>() {
        Ok(r) => Some(r),
        Err(_) => {
            errors.add(
                "reference",
                "Enter a case reference in the form NRM-2026-ABCD-EFGH",
            );
            None
        }
    }
}

/// `/data-protection/subject-access`: the form, and what is held about the person of a case.
pub async fn index(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<SubjectAccessParams>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::SubjectAccess).await?;
    let Some(typed) = params.reference else {
        return Ok(page(
            &signed_in,
            "",
            &Errors::default(),
            None,
            StatusCode::OK,
        ));
    };
    let typed: String = typed.trim().chars().take(64).collect();
    let mut errors = Errors::default();
    let Some(reference) = parse_reference(&typed, &mut errors) else {
        return Ok(page(
            &signed_in,
            &typed,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    match state
        .cases
        .subject_access(&capability, &reference, state.now())
        .await
    {
        Ok(export) => {
            let found = Found {
                reference: export.case_reference.clone(),
                respond_by: export.respond_by.format("%-d %B %Y").to_string(),
                status: export.status.replace('_', " "),
                erased: export.erased,
                has_details: export.personal_details.is_some(),
                events: export.events.len(),
                records: export.records.len(),
                episodes: export.support_episodes.len(),
                accesses: export.access_log.len(),
                holds: export.legal_holds.len(),
                redactions: export.redactions.clone(),
            };
            Ok(page(
                &signed_in,
                &typed,
                &Errors::default(),
                Some(found),
                StatusCode::OK,
            ))
        }
        Err(nrm_service::ServiceError::NotFound) => {
            errors.add(
                "reference",
                "No case has that reference: check it and try again",
            );
            Ok(page(
                &signed_in,
                &typed,
                &errors,
                None,
                StatusCode::NOT_FOUND,
            ))
        }
        Err(e) => Err(PageError::from_service(e, Lang::En)),
    }
}

fn download(content_type: &'static str, filename: &str, body: Vec<u8>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn export_of(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
) -> Result<SubjectAccessExport, PageError> {
    let capability = authorise(state, signed_in, Operation::SubjectAccess).await?;
    let reference = reference
        .parse::<CaseReference>()
        .map_err(|_| PageError::NotFound(Lang::En))?;
    state
        .cases
        .subject_access(&capability, &reference, state.now())
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))
}

/// `/data-protection/subject-access/{reference}/bundle.html`: the readable bundle.
pub async fn bundle(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let export = export_of(&state, &signed_in, &reference).await?;
    Ok(download(
        "text/html; charset=utf-8",
        &format!("subject-access-{}.html", export.case_reference),
        bundle_html(&export).into_bytes(),
    ))
}

/// `/data-protection/subject-access/{reference}/export.json`: the same as JSON.
pub async fn json(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let export = export_of(&state, &signed_in, &reference).await?;
    let body = serde_json::to_vec_pretty(&export).map_err(|_| PageError::Fault(Lang::En))?;
    Ok(download(
        "application/json",
        &format!("subject-access-{}.json", export.case_reference),
        body,
    ))
}
