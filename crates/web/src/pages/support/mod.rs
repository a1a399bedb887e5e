//! The victim support pages (English only): the home at `/support` for support workers,
//! support managers and the Home Office's contract managers (caseload, what is due, concerns
//! open, accommodation and inspections, escalations), a person's support page with the
//! Recovery Needs Assessment as a GOV.UK task list, the form to raise a safeguarding concern,
//! the contract manager's acknowledgement, and a provider's payments statement as CSV. Every
//! page asks the support access policy through the same helpers as the API.

pub mod case_panel;
pub mod choices;
pub mod episode;
pub mod forms;
pub mod home;
pub mod records;

use nrm_access::support::{SupportOperation, SupportServiceOperation};

use crate::AppState;
use crate::api::support::{authorise_episode, authorise_service};
use crate::pages::casework::{caller, page_error};
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::Layout;
use crate::pages::session::SignedIn;

/// A support page's layout: English only.
pub fn layout(signed_in: &SignedIn, title: impl Into<String>) -> Layout {
    let mut layout = signed_in.layout(title);
    layout.bilingual = false;
    layout.lang = Lang::En;
    layout
}

/// Authorises an operation without an episode for a page.
pub async fn service_capability(
    state: &AppState,
    signed_in: &SignedIn,
    operation: SupportServiceOperation,
) -> Result<nrm_access::support::SupportServiceCapability, PageError> {
    authorise_service(state, &caller(signed_in), operation)
        .await
        .map_err(|p| page_error(&p))
}

/// Authorises an operation on an episode for a page ("not found" otherwise).
pub async fn episode_capability(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
    operation: SupportOperation,
) -> Result<
    (
        nrm_access::support::SupportCapability,
        nrm_access::support::EpisodeFacts,
    ),
    PageError,
> {
    authorise_episode(state, &caller(signed_in), reference, operation)
        .await
        .map_err(|p| page_error(&p))
}

/// Words for an episode status code.
pub fn status_words(code: &str) -> &'static str {
    match code {
        "awaiting_allocation" => "Awaiting allocation",
        "before_reasonable_grounds" => "Supported before Reasonable Grounds",
        "recovery_period" => "Recovery period support",
        "move_on" => "Move-on support",
        "ending" => "Support ending",
        "exited" => "Exited",
        "reach_in" => "Reach-In support",
        _ => "Unknown",
    }
}

/// Words for a code such as `re_trafficking`: "Re trafficking".
pub fn words(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A red "Overdue" tag for each flag set, as HTML.
pub fn overdue_tags(flags: nrm_domain::support::OverdueFlags) -> String {
    let mut out = String::new();
    for (on, text) in [
        (flags.allocation, "Allocation overdue"),
        (flags.safeguarding_review, "Safeguarding review overdue"),
        (flags.acknowledgement, "Acknowledgement overdue"),
        (flags.rna_decision, "RNA decision overdue"),
        (flags.exit, "Support period ended"),
    ] {
        if on {
            out.push_str(
                &nrm_govuk::components::Tag {
                    text: Some(text.to_owned()),
                    classes: Some("govuk-tag--red".to_owned()),
                    ..Default::default()
                }
                .to_string(),
            );
            out.push(' ');
        }
    }
    out
}
