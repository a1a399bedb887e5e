//! A First Responder's saved draft as the journey pages use it: finding the caller's draft with
//! the capability for its kind, saving answers (merging a concurrent save from another window),
//! and where the journey goes next. The handlers (`handlers.rs`, `exploitation.rs`) call this;
//! it calls neither.

use nrm_access::{Capability, Operation};
use nrm_service::ServiceError;
use nrm_service::drafts::{Draft, DraftId, DraftKind};
use uuid::Uuid;

use crate::AppState;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::referrals::journey::{self, Answers, Step};
use crate::pages::session::SignedIn;

/// The operations that make referrals, in the order a draft's capability is looked for.
pub const SUBMITTING: [Operation; 2] = [Operation::SubmitReferral, Operation::SubmitDutyToNotify];

/// A capability to submit something, if the person may submit anything (drafts of every kind
/// are listed with either).
pub fn submit_capability(signed_in: &SignedIn) -> Option<Capability> {
    SUBMITTING
        .into_iter()
        .find_map(|operation| nrm_access::authorise(&signed_in.principal, operation).ok())
}

/// A draft as a page needs it.
#[derive(Debug)]
pub struct Loaded {
    pub id: DraftId,
    pub capability: Capability,
    pub draft: Draft,
    pub answers: Answers,
}

impl Loaded {
    pub fn kind(&self) -> DraftKind {
        self.draft.summary.kind
    }
}

/// Loads the caller's draft `id` (anyone else's is "not found").
pub async fn load(state: &AppState, signed_in: &SignedIn, id: &str) -> Result<Loaded, PageError> {
    let lang = signed_in.lang;
    let id = DraftId(Uuid::parse_str(id).map_err(|_| PageError::NotFound(lang))?);
    // A draft is read with the capability for its own kind; try each the person holds.
    let mut found = None;
    for operation in SUBMITTING {
        let Ok(capability) = nrm_access::authorise(&signed_in.principal, operation) else {
            continue;
        };
        match state
            .cases
            .drafts()
            .draft(&capability, id, state.now())
            .await
        {
            Ok(draft) => {
                found = Some((capability, draft));
                break;
            }
            Err(ServiceError::NotFound) => {}
            Err(e) => return Err(PageError::from_service(e, lang)),
        }
    }
    let Some((capability, mut draft)) = found else {
        return Err(PageError::NotFound(lang));
    };
    // The answers move into their own type; nothing reads the raw JSON after this.
    let answers: Answers =
        serde_json::from_value(std::mem::take(&mut draft.answers)).unwrap_or_default();
    Ok(Loaded {
        id,
        capability,
        draft,
        answers,
    })
}

pub fn step_href(id: DraftId, step: Step) -> String {
    match step {
        Step::Question(slug) => format!("/referrals/{id}/{slug}"),
        Step::Exploitation => {
            format!("/referrals/{id}/exploitation")
        }
    }
}

/// Where the person carries on: the first unanswered step, or check your answers.
pub fn resume_href(id: DraftId, kind: DraftKind, answers: &Answers) -> String {
    match journey::first_unanswered(kind, answers) {
        Some(Step::Exploitation) if answers.exploitation.is_empty() => {
            format!("/referrals/{id}/exploitation/1")
        }
        Some(step) => step_href(id, step),
        None => format!("/referrals/{id}/check"),
    }
}

/// Saves answers, retrying once on a concurrent save from another window (answers from
/// different pages merge; the same page's latest answer wins).
pub async fn save(
    state: &AppState,
    loaded: &mut Loaded,
    signed_in: &SignedIn,
    change: impl Fn(&mut Answers),
) -> Result<(), PageError> {
    let lang = signed_in.lang;
    for _ in 0..2 {
        change(&mut loaded.answers);
        let json = serde_json::to_value(&loaded.answers).map_err(|_| PageError::Fault(lang))?;
        match state
            .cases
            .drafts()
            .save_draft(
                &loaded.capability,
                loaded.id,
                loaded.draft.summary.version,
                &json,
                state.now(),
            )
            .await
        {
            Ok(version) => {
                loaded.draft.summary.version = version;
                return Ok(());
            }
            Err(ServiceError::Conflict { .. }) => {
                *loaded = load(state, signed_in, &loaded.id.to_string()).await?;
            }
            Err(ServiceError::DraftSubmitted { .. }) => {
                return Err(PageError::Redirect(format!(
                    "/referrals/{}/confirmation",
                    loaded.id
                )));
            }
            Err(e) => return Err(PageError::from_service(e, lang)),
        }
    }
    Err(PageError::Fault(lang))
}

/// Sends a page reached out of order back to the first unanswered step.
pub fn in_order(loaded: &Loaded, slug: &str) -> Result<(), PageError> {
    let steps = journey::steps(loaded.kind(), &loaded.answers);
    let Some(at) = steps.iter().position(|s| s.slug() == slug) else {
        return Err(PageError::NotFound(Lang::En));
    };
    if let Some(first) = journey::first_unanswered(loaded.kind(), &loaded.answers) {
        let first_at = steps.iter().position(|s| *s == first).unwrap_or(0);
        if at > first_at {
            return Err(PageError::Redirect(resume_href(
                loaded.id,
                loaded.kind(),
                &loaded.answers,
            )));
        }
    }
    Ok(())
}

/// A draft already sent goes to its confirmation page.
pub fn submitted_redirect(loaded: &Loaded) -> Result<(), PageError> {
    if loaded.draft.summary.submitted.is_some() {
        return Err(PageError::Redirect(format!(
            "/referrals/{}/confirmation",
            loaded.id
        )));
    }
    Ok(())
}

/// Where to go after a page is saved.
pub fn after_save(loaded: &Loaded, slug: &str, return_to: &str) -> String {
    if return_to == "check" {
        return resume_href(loaded.id, loaded.kind(), &loaded.answers);
    }
    match journey::next_step(loaded.kind(), &loaded.answers, slug) {
        Some(Step::Exploitation) if loaded.answers.exploitation.is_empty() => {
            format!("/referrals/{}/exploitation/1", loaded.id)
        }
        Some(step) if !loaded.answers.done.contains(step.slug()) => step_href(loaded.id, step),
        _ => resume_href(loaded.id, loaded.kind(), &loaded.answers),
    }
}
