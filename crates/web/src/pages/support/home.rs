//! `/support`: the home of support workers, support managers and contract managers, and a
//! provider's statement as CSV.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use nrm_access::support::{SupportScope, SupportServiceOperation, authorise_support_service};
use nrm_domain::clock::uk_date;
use nrm_store::support::EpisodeFilter;
use serde::Deserialize;

use super::{layout, overdue_tags, service_capability, status_words, words};
use crate::AppState;
use crate::api::support::support;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

#[derive(Debug)]
struct EpisodeRow {
    reference: String,
    status: &'static str,
    due: String,
    concerns: u64,
    tags: String,
}

#[derive(Debug)]
struct AccommodationRow {
    region: String,
    kind: String,
    occupancy: String,
    inspected: String,
    rating: String,
    open_actions: usize,
}

#[derive(Debug)]
struct EscalationRow {
    reference: String,
    kind: String,
    severity: String,
    due: String,
    tag: String,
}

#[derive(Debug)]
struct ActionRow {
    area: String,
    due: String,
}

#[derive(Template)]
#[template(path = "support/home.html")]
struct HomePage {
    layout: Layout,
    heading: String,
    caseload: Vec<EpisodeRow>,
    due: Vec<EpisodeRow>,
    concerns: Vec<EpisodeRow>,
    awaiting: Vec<EpisodeRow>,
    accommodation: Vec<AccommodationRow>,
    escalations: Vec<EscalationRow>,
    overdue_actions: Vec<ActionRow>,
    contract_manager: bool,
    statement: Option<String>,
    may_refer: bool,
    /// The provider's manager registers its accommodation.
    may_manage_accommodation: bool,
}

/// The support home.
pub async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let list =
        service_capability(&state, &signed_in, SupportServiceOperation::ListEpisodes).await?;
    let now = state.now();
    let today = uk_date(now);
    let service = support(&state);
    let fault = |e| PageError::from_service(e, Lang::En);
    let rows = |found: Vec<(
        nrm_store::support::EpisodeSummary,
        nrm_domain::support::OverdueFlags,
    )>| {
        found
            .into_iter()
            .map(|(s, f)| EpisodeRow {
                reference: s.reference,
                status: status_words(&s.status),
                due: s
                    .next_due_on
                    .map(date)
                    .unwrap_or_else(|| "Nothing due".to_owned()),
                concerns: s.open_concerns,
                tags: overdue_tags(f),
            })
            .collect::<Vec<_>>()
    };
    let contract_manager = list.scope() == &SupportScope::Everything;
    let caseload = rows(
        service
            .list(&list, EpisodeFilter::Open, now)
            .await
            .map_err(fault)?,
    );
    let due = rows(
        service
            .list(&list, EpisodeFilter::DueBy(today + Duration::days(7)), now)
            .await
            .map_err(fault)?,
    );
    let concerns = rows(
        service
            .list(&list, EpisodeFilter::ConcernsOpen, now)
            .await
            .map_err(fault)?,
    );
    let awaiting = if matches!(
        list.scope(),
        SupportScope::Provider(_) | SupportScope::Everything
    ) {
        rows(
            service
                .list(&list, EpisodeFilter::AwaitingAllocation, now)
                .await
                .map_err(fault)?,
        )
    } else {
        Vec::new()
    };
    let read = service_capability(
        &state,
        &signed_in,
        SupportServiceOperation::ReadAccommodation,
    )
    .await?;
    let accommodation = service
        .accommodation(&read, today, now)
        .await
        .map_err(fault)?
        .into_iter()
        .map(|v| AccommodationRow {
            region: words(&v.accommodation.region),
            kind: words(v.accommodation.kind.code()),
            occupancy: format!("{} of {}", v.occupancy, v.accommodation.capacity),
            inspected: v
                .inspections
                .first()
                .map(|i| date(i.inspected_on))
                .unwrap_or_else(|| "Not inspected".to_owned()),
            rating: v
                .inspections
                .first()
                .map(|i| words(i.overall().code()))
                .unwrap_or_default(),
            open_actions: v
                .inspections
                .iter()
                .flat_map(|i| i.actions.iter())
                .filter(|a| a.completed_on.is_none())
                .count(),
        })
        .collect();
    let overdue_actions = service
        .overdue_actions(&read, now)
        .await
        .map_err(fault)?
        .into_iter()
        .map(|o| ActionRow {
            area: words(o.action.area.code()),
            due: date(o.action.due_on),
        })
        .collect();
    let escalations = if contract_manager {
        service
            .escalations(&list, now)
            .await
            .map_err(fault)?
            .into_iter()
            .map(|c| EscalationRow {
                reference: c.episode_reference,
                kind: words(&c.kind),
                severity: words(&c.severity),
                due: c
                    .acknowledgement_due_at
                    .map(|d| format!("{} {}", date(uk_date(d)), d.format("%H:%M UTC")))
                    .unwrap_or_default(),
                tag: if c.acknowledgement_due_at.is_some_and(|d| now > d) {
                    overdue_tags(nrm_domain::support::OverdueFlags {
                        acknowledgement: true,
                        ..Default::default()
                    })
                } else {
                    String::new()
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let statement =
        authorise_support_service(&signed_in.principal, SupportServiceOperation::ReadStatement)
            .ok()
            .filter(|c| matches!(c.scope(), SupportScope::Provider(_)))
            .map(|_| {
                let from = today - Duration::days(28);
                format!("/support/statement.csv?from={from}&to={today}")
            });
    let heading = match list.scope() {
        SupportScope::Everything => "Victim care contract",
        SupportScope::Provider(_) => "Your organisation's support",
        _ => "Your caseload",
    }
    .to_owned();
    Ok(render(&HomePage {
        layout: layout(&signed_in, heading.clone()),
        heading,
        caseload,
        due,
        concerns,
        awaiting,
        accommodation,
        escalations,
        overdue_actions,
        contract_manager,
        statement,
        may_refer: authorise_support_service(&signed_in.principal, SupportServiceOperation::Refer)
            .is_ok(),
        may_manage_accommodation: authorise_support_service(
            &signed_in.principal,
            SupportServiceOperation::ManageAccommodation,
        )
        .is_ok(),
    }))
}

/// The statement's period.
#[derive(Debug, Deserialize)]
pub struct StatementParams {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
}

/// The caller's organisation's payments statement as CSV (a provider's manager).
pub async fn statement(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<StatementParams>,
) -> Result<Response, PageError> {
    let capability =
        service_capability(&state, &signed_in, SupportServiceOperation::ReadStatement).await?;
    let now = state.now();
    let today = uk_date(now);
    let to = params.to.unwrap_or(today);
    let from = params.from.unwrap_or(to - Duration::days(28));
    let csv = support(&state)
        .statement_csv(
            &capability,
            signed_in.principal.actor.organisation,
            from,
            to,
            now,
        )
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"statement.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, csv).into_response())
}
