//! The children's pathway on the case pages (issue 13 items 2 and 4). The panel's own work
//! (convening, papers, decisions with attendance) and age assessments are lifecycle forms
//! (`pages/lifecycle/forms.rs`); the panel's queue and meeting pages are [`work`]; this module
//! is the child-friendly decision letter: plain
//! words and short sentences, in English or Welsh, printable, for the social worker or
//! guardian to share with the child beside the formal notice (which went to the local
//! authority). `GET /cases/{reference}/child-letter/{decision}?lang=cy`.

pub mod work;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use nrm_access::CaseOperation;
use nrm_domain::children::letter::Language;
use nrm_domain::event::DecisionRef;
use serde::Deserialize;

use crate::AppState;
use crate::pages::casework::authorise_case;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

#[derive(Debug, Default, Deserialize)]
pub struct LetterParams {
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "panels/letter.html")]
struct LetterPage {
    layout: Layout,
    heading: String,
    paragraphs: Vec<String>,
    other_language: String,
    other_href: String,
    lang: &'static str,
    reference: String,
}

/// `GET /cases/{reference}/child-letter/{decision}`.
pub async fn letter(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((reference, decision)): Path<(String, String)>,
    Query(params): Query<LetterParams>,
) -> Result<Response, PageError> {
    let decision = match decision.as_str() {
        "reasonable-grounds" => DecisionRef::ReasonableGrounds,
        "conclusive-grounds" => DecisionRef::ConclusiveGrounds,
        _ => return Err(PageError::NotFound(Lang::En)),
    };
    let (capability, _) =
        authorise_case(&state, &signed_in, &reference, CaseOperation::ReadNotices).await?;
    let welsh = params.lang.as_deref() == Some("cy");
    let language = if welsh {
        Language::Welsh
    } else {
        Language::English
    };
    let letter = state
        .cases
        .child_letter(&capability, decision, language, state.now())
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let slug = match decision {
        DecisionRef::ReasonableGrounds => "reasonable-grounds",
        DecisionRef::ConclusiveGrounds => "conclusive-grounds",
    };
    Ok(render(&LetterPage {
        layout: signed_in
            .layout("A letter for the child")
            .casework()
            .back(format!("/cases/{reference}")),
        heading: letter.title,
        paragraphs: letter.paragraphs,
        other_language: if welsh { "English" } else { "Cymraeg" }.to_owned(),
        other_href: format!(
            "/cases/{reference}/child-letter/{slug}{}",
            if welsh { "" } else { "?lang=cy" }
        ),
        lang: if welsh { "cy" } else { "en" },
        reference,
    }))
}
