//! `/guardians`: a guardian's children and what is due on them; the guardian service
//! manager's children awaiting allocation, and every open child.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::Duration;
use nrm_access::children::{GuardianScope, GuardianServiceOperation};
use nrm_domain::clock::uk_date;
use nrm_store::guardians::{GuardianEpisodeSummary, GuardianFilter};

use super::{layout, role_words, service_capability, status_words};
use crate::AppState;
use crate::api::guardians::guardians;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

/// One child on a list (no personal data: the case reference).
#[derive(Debug)]
struct Row {
    reference: String,
    area: String,
    status: &'static str,
    role: &'static str,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "guardians/home.html")]
struct HomePage {
    layout: Layout,
    heading: String,
    manager: bool,
    awaiting: Vec<Row>,
    due: Vec<Row>,
    turning_18: Vec<Row>,
    caseload: Vec<Row>,
}

/// The guardians' home.
pub async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let list =
        service_capability(&state, &signed_in, GuardianServiceOperation::ListEpisodes).await?;
    let now = state.now();
    let today = uk_date(now);
    let service = guardians(&state);
    let fault = |e| PageError::from_service(e, Lang::En);
    let rules = *service.rules();
    let rows = |found: Vec<GuardianEpisodeSummary>| {
        found
            .into_iter()
            .map(|s| Row {
                area: rules
                    .area(&s.area)
                    .map_or_else(|| s.area.clone(), |a| a.name.clone()),
                status: status_words(&s.status),
                role: s.role.as_deref().map_or("Not allocated", role_words),
                due: s
                    .next_due_on
                    .map(date)
                    .unwrap_or_else(|| "Nothing due".to_owned()),
                overdue: s.next_due_on.is_some_and(|d| d < today),
                reference: s.reference,
            })
            .collect::<Vec<_>>()
    };
    let manager = list.scope() == &GuardianScope::Everything;
    let awaiting = if manager {
        rows(
            service
                .list(&list, GuardianFilter::AwaitingAllocation, now)
                .await
                .map_err(fault)?,
        )
    } else {
        Vec::new()
    };
    let due = rows(
        service
            .list(
                &list,
                GuardianFilter::DueBy(today + Duration::days(14)),
                now,
            )
            .await
            .map_err(fault)?,
    );
    let turning_18 = rows(
        service
            .list(&list, GuardianFilter::TurningEighteen, now)
            .await
            .map_err(fault)?,
    );
    let caseload = rows(
        service
            .list(&list, GuardianFilter::Open, now)
            .await
            .map_err(fault)?,
    );
    let heading = if manager {
        "Independent Child Trafficking Guardians"
    } else {
        "Your children"
    }
    .to_owned();
    Ok(render(&HomePage {
        layout: layout(&signed_in, heading.clone()),
        heading,
        manager,
        awaiting,
        due,
        turning_18,
        caseload,
    }))
}
