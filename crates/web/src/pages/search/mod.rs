//! Finding a case by its reference (exact). Only cases the caller may read are found; one they
//! may not is answered exactly like one that does not exist. Every search is audited with its
//! term hashed (`Cases::find_reference`). English only, like casework.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::Operation;
use nrm_govuk::components::{Button, Input, Label};
use serde::Deserialize;

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, render_status};
use crate::pages::session::SignedIn;

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    reference: Option<String>,
}

#[derive(Template)]
#[template(path = "search/search.html")]
struct SearchPage {
    layout: Layout,
    errors: String,
    input: String,
    button: String,
}

fn page(signed_in: &SignedIn, typed: &str, errors: &Errors, status: StatusCode) -> Response {
    let input = Input {
        id: Some("reference".to_owned()),
        name: Some("reference".to_owned()),
        value: Some(typed.to_owned()),
        label: Some(Label {
            text: Some("Case reference".to_owned()),
            classes: Some("govuk-label--m".to_owned()),
            ..Label::default()
        }),
        hint: Some(nrm_govuk::components::Hint {
            text: Some("The whole reference, for example NRM-2026-ABCD-EFGH".to_owned()),
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
        &SearchPage {
            layout: signed_in
                .layout("Find a case")
                .casework()
                .back("/cases")
                .errors(errors),
            errors: errors.summary(Lang::En),
            input,
            button: Button {
                text: Some("Find case".to_owned()),
                ..Button::default()
            }
            .to_string(),
        },
    )
}

/// The search form, and its answer: the case, or "no case you can see".
pub async fn search(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<SearchParams>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ListCases).await?;
    let Some(typed) = params.reference else {
        return Ok(page(&signed_in, "", &Errors::default(), StatusCode::OK));
    };
    let typed = typed.trim().to_owned();
    let mut errors = Errors::default();
    if typed.is_empty() {
        errors.add("reference", "Enter a case reference");
        return Ok(page(
            &signed_in,
            &typed,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if typed.chars().count() > 64 {
        errors.add("reference", "A case reference is shorter than that");
        return Ok(page(
            &signed_in,
            "",
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match state
        .cases
        .find_reference(&capability, &signed_in.principal, &typed, state.now())
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?
    {
        Some(reference) => Ok(Redirect::to(&format!("/cases/{reference}")).into_response()),
        None => {
            errors.add(
                "reference",
                "No case you can see has that reference: check it and try again",
            );
            Ok(page(&signed_in, &typed, &errors, StatusCode::NOT_FOUND))
        }
    }
}
