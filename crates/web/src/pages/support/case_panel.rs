//! What the case page (`/cases/{ref}`) shows of the person's support, to those entitled: that
//! support exists, its status and until when, and the safeguarding concerns the reader may see
//! (a decision maker: only those escalated to the Home Office, never the provider's own
//! safeguarding notes; a provider: every concern). Each episode is asked of the support access
//! policy, and each read is audited by the support service.

use askama::Template;
use nrm_access::support::{SupportOperation, authorise_support};
use nrm_domain::clock::uk_date;
use nrm_domain::ids::CaseId;

use super::{status_words, words};
use crate::AppState;
use crate::api::support::support;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::session::SignedIn;

#[derive(Debug)]
struct Concern {
    kind: String,
    severity: String,
    raised: String,
    state: String,
    details: String,
}

#[derive(Debug)]
struct Episode {
    reference: String,
    status: &'static str,
    until: String,
    escalated_only: bool,
    concerns: Vec<Concern>,
}

#[derive(Template)]
#[template(path = "support/case_panel.html")]
struct Panel {
    episodes: Vec<Episode>,
}

/// The support section of a case page as HTML (empty when the reader may see none).
pub async fn case_panel(
    state: &AppState,
    signed_in: &SignedIn,
    case: CaseId,
) -> Result<String, PageError> {
    let service = support(state);
    let fault = |e| PageError::from_service(e, Lang::En);
    let now = state.now();
    let p = &signed_in.principal;
    let mut episodes = Vec::new();
    for episode in service.episodes_for_case(case).await.map_err(fault)? {
        let Some(facts) = service.facts(episode, uk_date(now)).await.map_err(fault)? else {
            continue;
        };
        let Ok(read) = authorise_support(p, SupportOperation::ReadStatus, &facts) else {
            continue;
        };
        let all = authorise_support(p, SupportOperation::ReadSafeguarding, &facts).ok();
        let concerns_cap = match all {
            Some(c) => Some(c),
            None => authorise_support(p, SupportOperation::ReadEscalatedConcerns, &facts).ok(),
        };
        let view = service
            .view(&read, concerns_cap.as_ref(), now)
            .await
            .map_err(fault)?;
        episodes.push(Episode {
            reference: view.summary.reference.clone(),
            status: status_words(&view.summary.status),
            until: view.summary.support_until.map(date).unwrap_or_default(),
            escalated_only: !view.all_concerns,
            concerns: view
                .concerns
                .iter()
                .map(|c| Concern {
                    kind: words(c.concern.kind.code()),
                    severity: words(c.concern.severity.code()),
                    raised: date(uk_date(c.concern.raised_at)),
                    state: if c.concern.closed_at.is_some() {
                        "Closed".to_owned()
                    } else if c.concern.acknowledged_at.is_some() {
                        "Acknowledged by the Home Office".to_owned()
                    } else if c.concern.escalated() {
                        "Escalated to the Home Office".to_owned()
                    } else {
                        "Open".to_owned()
                    },
                    details: c.details.as_ref().map(|d| d.0.clone()).unwrap_or_default(),
                })
                .collect(),
        });
    }
    if episodes.is_empty() {
        return Ok(String::new());
    }
    Panel { episodes }
        .render()
        .map_err(|_| PageError::Fault(Lang::En))
}
