//! The Independent Child Trafficking Guardian pages (English only, like casework): the home at
//! `/guardians` (a guardian's children and what is due; the service manager's children awaiting
//! allocation and every child), a child's guardian page with contacts, the professionals around
//! the child, advocacy and what is due, and the forms that record them, each with a check step
//! before anything is recorded. Every page asks the children access policy through the same
//! helpers as the API.

pub mod child;
pub mod forms;
pub mod home;

use nrm_access::children::{
    GuardianCapability, GuardianFacts, GuardianOperation, GuardianServiceCapability,
    GuardianServiceOperation,
};

use crate::AppState;
use crate::api::guardians::{authorise_episode, authorise_service};
use crate::pages::authorise::{caller, page_error};
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::Layout;
use crate::pages::session::SignedIn;

/// A guardian page's layout: English only.
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
    operation: GuardianServiceOperation,
) -> Result<GuardianServiceCapability, PageError> {
    authorise_service(state, &caller(signed_in), operation)
        .await
        .map_err(|p| page_error(&p))
}

/// Authorises an operation on a child's episode for a page ("not found" otherwise).
pub async fn episode_capability(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
    operation: GuardianOperation,
) -> Result<(GuardianCapability, GuardianFacts), PageError> {
    authorise_episode(state, &caller(signed_in), reference, operation)
        .await
        .map_err(|p| page_error(&p))
}

/// Words for an episode status code.
pub fn status_words(code: &str) -> &'static str {
    match code {
        "awaiting_allocation" => "Awaiting allocation",
        "allocated" => "Allocated",
        "post_18" => "Post-18 support",
        "turned_18" => "Turned 18: consent to support to ask",
        "closed" => "Closed",
        _ => "Unknown",
    }
}

/// Words for a guardian role code.
pub fn role_words(code: &str) -> &'static str {
    match code {
        "direct_worker" => "Direct Worker",
        "regional_practice_coordinator" => "Regional Practice Coordinator",
        "regional_practitioner" => "Regional Practitioner",
        "post_18_worker" => "Post-18 worker",
        _ => "Not allocated",
    }
}

/// Words for a due item's code.
pub fn due_words(code: &str) -> &'static str {
    match code {
        "allocation" => "Allocate a guardian",
        "contact" => "Next contact",
        "advocacy_review" => "Follow up an advocacy action",
        "plan_for_18" => "Plan for turning 18",
        "post_18_allocation" => "Allocate a Post-18 worker",
        "consent_to_support" => "Ask the consent-to-support question",
        "post_18_ends" => "Post-18 support ends",
        _ => "Something is due",
    }
}

/// Words for a code such as `face_to_face`: "Face to face".
pub fn words(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
