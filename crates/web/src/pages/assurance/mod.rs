//! The Single Competent Authority's assurance queue (issue 13 item 2): the devolved pilot
//! panels' decisions held for its quality assurance (every negative decision, and the positive
//! ones in the dated sample), oldest first, each linking to the case, where the assurer reads
//! the decision and its reasons and records "Quality-assure a pilot panel's decision". Only the
//! SCA's assurers (`Operation::AssurePilotDecisions`) reach it; listing is audited.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use nrm_access::Operation;
use nrm_domain::clock::uk_date;

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

/// One decision waiting for assurance.
#[derive(Debug)]
pub struct Row {
    pub reference: String,
    pub site: String,
    pub decision: String,
}

#[derive(Template)]
#[template(path = "assurance/queue.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<Row>,
    total: u64,
}

/// `GET /assurance`.
pub async fn queue(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::AssurePilotDecisions).await?;
    let now = state.now();
    let mut query = nrm_store::QueueQuery::new(uk_date(now));
    query.per_page = 100;
    let page = state
        .cases
        .assurance_queue(&capability, query, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let rows = page
        .cases
        .iter()
        .map(|c| {
            let rules = state.cases.rules();
            let site = c
                .pilot_site
                .as_deref()
                .and_then(|code| {
                    rules
                        .data()
                        .child_decision_pilot_sites
                        .iter()
                        .find(|s| s.code == code)
                        .map(|s| s.name.clone())
                })
                .unwrap_or_else(|| c.pilot_site.clone().unwrap_or_default());
            let decision = match (
                &c.conclusive_grounds_outcome,
                c.conclusive_grounds_decided_on,
                &c.reasonable_grounds_outcome,
                c.reasonable_grounds_decided_on,
            ) {
                (Some(o), Some(on), _, _) => format!("Conclusive Grounds, {o}, {}", date(on)),
                (_, _, Some(o), Some(on)) => format!("Reasonable Grounds, {o}, {}", date(on)),
                _ => "A decision".to_owned(),
            };
            Row {
                reference: c.reference.clone(),
                site,
                decision,
            }
        })
        .collect();
    Ok(render(&QueuePage {
        layout: signed_in
            .layout("Pilot panels' decisions to quality-assure")
            .casework()
            .back("/cases"),
        rows,
        total: page.total,
    }))
}
