//! The decision makers' pages: the work queue, the case page, and the Reasonable Grounds and
//! Conclusive Grounds decision forms with their confirmation step. English only.

pub mod case;
pub mod decision;
pub mod queue;

use crate::access;
use crate::actor::Caller;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::session::SignedIn;
use crate::problem::Problem;

/// Turns an API-style refusal into the page that says so.
pub fn page_error(problem: &Problem) -> PageError {
    match problem.status {
        404 => PageError::NotFound(Lang::En),
        401 => PageError::SignIn("/sign-in".to_owned()),
        403 => PageError::Forbidden(Lang::En),
        _ => PageError::Fault(Lang::En),
    }
}

/// The caller as the access layer knows them.
pub fn caller(signed_in: &SignedIn) -> Caller {
    Caller(signed_in.principal.clone())
}

/// Authorises a case operation for a page.
pub async fn authorise_case(
    state: &crate::AppState,
    signed_in: &SignedIn,
    reference: &str,
    operation: nrm_access::CaseOperation,
) -> Result<(nrm_access::CaseCapability, nrm_access::CaseFacts), PageError> {
    access::authorise_case(state, &caller(signed_in), reference, operation)
        .await
        .map_err(|p| page_error(&p))
}

/// Words for a status code.
pub fn status_words(status: &str) -> &'static str {
    match status {
        "awaiting_reasonable_grounds" => "Awaiting Reasonable Grounds decision",
        "negative_reasonable_grounds" => "Negative Reasonable Grounds",
        "awaiting_conclusive_grounds" => "Awaiting Conclusive Grounds decision",
        "positive_conclusive_grounds" => "Positive Conclusive Grounds",
        "negative_conclusive_grounds" => "Negative Conclusive Grounds",
        "duty_to_notify" => "Duty to Notify report",
        "withdrawn" => "Withdrawn",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

/// The tag for a deadline due on `due`, judged as the deadline sweep judges it (working days,
/// the rulebook's "due soon" window); "On track" only when `on_track` asks for it.
pub fn deadline_tag(
    due: chrono::NaiveDate,
    today: chrono::NaiveDate,
    rules: &nrm_domain::Rulebook,
    on_track: bool,
) -> String {
    use nrm_domain::event::DeadlineStatus;
    let (text, class) = match nrm_domain::command::deadline_status(due, today, rules) {
        DeadlineStatus::Overdue => ("Overdue", "govuk-tag--red"),
        DeadlineStatus::DueSoon => ("Due soon", "govuk-tag--orange"),
        DeadlineStatus::OnTrack if on_track => ("On track", "govuk-tag--green"),
        DeadlineStatus::OnTrack => return String::new(),
    };
    nrm_govuk::components::Tag {
        text: Some(text.to_owned()),
        classes: Some(class.to_owned()),
        ..Default::default()
    }
    .to_string()
}

/// A date as "30 November 2026".
pub fn date(on: chrono::NaiveDate) -> String {
    Lang::En.long_date(on)
}
