//! The decision makers' pages: the work queue, the case page, and the Reasonable Grounds and
//! Conclusive Grounds decision forms with their confirmation step. English only.

pub mod case;
pub mod decision;
pub mod queue;

use nrm_domain::case::CaseStatus;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::submission::AgeGroup;
use nrm_store::CaseKind;

use crate::pages::i18n::Lang;

pub use crate::pages::authorise::{authorise_case, caller, page_error};

/// Words for a status.
pub fn status_words(status: CaseStatus) -> &'static str {
    match status {
        CaseStatus::AwaitingReasonableGrounds => "Awaiting Reasonable Grounds decision",
        CaseStatus::NegativeReasonableGrounds => "Negative Reasonable Grounds",
        CaseStatus::AwaitingConclusiveGrounds => "Awaiting Conclusive Grounds decision",
        CaseStatus::PositiveConclusiveGrounds => "Positive Conclusive Grounds",
        CaseStatus::NegativeConclusiveGrounds => "Negative Conclusive Grounds",
        CaseStatus::DutyToNotify => "Duty to Notify report",
        CaseStatus::Withdrawn => "Withdrawn",
        CaseStatus::Closed => "Closed",
    }
}

/// Words for what a case is.
pub fn kind_words(kind: CaseKind) -> &'static str {
    match kind {
        CaseKind::AdultReferral => "Adult",
        CaseKind::ChildReferral => "Child",
        CaseKind::DutyToNotify => "Duty to Notify",
    }
}

/// Words for a competent authority (empty when the case has none, a Duty to Notify report).
pub fn authority_words(authority: Option<CompetentAuthority>) -> &'static str {
    match authority {
        Some(CompetentAuthority::Sca) => "Single Competent Authority (SCA)",
        Some(CompetentAuthority::Ieca) => "Immigration Enforcement Competent Authority (IECA)",
        Some(CompetentAuthority::LocalAuthorityPanel) => "Local authority panel",
        None => "",
    }
}

/// Words for an age group (empty when unknown).
pub fn age_words(age_group: Option<AgeGroup>) -> &'static str {
    match age_group {
        Some(AgeGroup::Adult) => "Adult",
        Some(AgeGroup::Child) => "Child",
        None => "",
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
