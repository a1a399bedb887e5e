//! The decision notices of a case (issue 11, item 2: "serve a notice, print view of the
//! letter"). `GET /cases/{reference}/notices` lists every notice of every served decision, by
//! recipient; `GET /cases/{reference}/notices/{n}` is one of them as a letter to print (the
//! page's navigation, links and instructions are left off the printed page). Notices are
//! addressed by role and carry no personal data: the name and address are added when the
//! letter is sent. Reading them needs `ReadNotices` on the case and is audited
//! (`case.read_notices`). English only, like casework.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use nrm_access::CaseOperation;
use nrm_domain::event::{DecisionRef, Recipient};
use nrm_service::NoticeView;

use crate::AppState;
use crate::pages::casework::authorise_case;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

/// Words for who a notice goes to.
pub fn recipient_words(recipient: Recipient) -> &'static str {
    match recipient {
        Recipient::PotentialVictim => "The potential victim",
        Recipient::LegalRepresentative => "Their legal representative",
        Recipient::LocalAuthority => "The local authority (for the child)",
        Recipient::FirstResponder => "The First Responder",
        Recipient::SupportProvider => "The support provider",
    }
}

fn decision_words(decision: DecisionRef) -> &'static str {
    match decision {
        DecisionRef::ReasonableGrounds => "Reasonable Grounds",
        DecisionRef::ConclusiveGrounds => "Conclusive Grounds",
    }
}

struct NoticeRow {
    href: String,
    decision: &'static str,
    recipient: &'static str,
    served: String,
    title: String,
}

#[derive(Template)]
#[template(path = "notices/list.html")]
struct ListPage {
    layout: Layout,
    reference: String,
    rows: Vec<NoticeRow>,
}

#[derive(Template)]
#[template(path = "notices/letter.html")]
struct LetterPage {
    layout: Layout,
    reference: String,
    recipient: &'static str,
    served: String,
    title: String,
    paragraphs: Vec<String>,
}

async fn load(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
) -> Result<Vec<NoticeView>, PageError> {
    let (capability, _) =
        authorise_case(state, signed_in, reference, CaseOperation::ReadNotices).await?;
    state
        .cases
        .notices(&capability, state.now())
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))
}

/// `GET /cases/{reference}/notices`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let notices = load(&state, &signed_in, &reference).await?;
    let rows = notices
        .iter()
        .enumerate()
        .map(|(n, v)| NoticeRow {
            href: format!("/cases/{reference}/notices/{}", n + 1),
            decision: decision_words(v.notice.decision),
            recipient: recipient_words(v.notice.recipient),
            served: Lang::En.long_date(v.served_on),
            title: v.notice.title.clone(),
        })
        .collect();
    Ok(render(&ListPage {
        layout: signed_in
            .layout("Decision notices")
            .casework()
            .back(format!("/cases/{reference}")),
        reference,
        rows,
    }))
}

/// `GET /cases/{reference}/notices/{n}`: the `n`th notice (from 1) as a letter to print.
pub async fn letter(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((reference, n)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let notices = load(&state, &signed_in, &reference).await?;
    let n: usize = n.parse().map_err(|_| PageError::NotFound(Lang::En))?;
    let Some(view) = n.checked_sub(1).and_then(|i| notices.get(i)) else {
        return Err(PageError::NotFound(Lang::En));
    };
    Ok(render(&LetterPage {
        layout: signed_in
            .layout(format!(
                "{} decision notice: {}",
                decision_words(view.notice.decision),
                recipient_words(view.notice.recipient).to_lowercase()
            ))
            .casework()
            .back(format!("/cases/{reference}/notices")),
        reference,
        recipient: recipient_words(view.notice.recipient),
        served: Lang::En.long_date(view.served_on),
        title: view.notice.title.clone(),
        paragraphs: view
            .notice
            .body
            .split("\n\n")
            .flat_map(|p| p.split('\n'))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
    }))
}
