//! A competent authority manager's team: each caseworker's open cases and overdue ones (with a
//! link to their queue), the unallocated cases, and bulk allocation: tick cases, choose a
//! caseworker, check, allocate. Each case is allocated through `Cases::act` with its own
//! capability, so the rules and the audit are the same as one at a time.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::{CaseOperation, Operation};
use nrm_domain::clock::uk_date;
use nrm_domain::ids::UserId;
use nrm_govuk::components::{
    Button, Checkboxes, CheckboxesItem, Fieldset, Legend, NotificationBanner, Radios, RadiosItem,
};
use nrm_service::{Action, OPEN_STATUSES, ServiceError};
use nrm_store::QueueQuery;
use serde::Deserialize;

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::casework::{authorise_case, date, kind_words};
use crate::pages::errors::PageError;
use crate::pages::form;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, render_status};
use crate::pages::session::{Posted, SignedIn};

/// How many unallocated cases the page offers at once (the oldest first).
const OFFERED: u32 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct TeamParams {
    allocated: Option<u32>,
}

#[derive(Debug)]
pub struct LoadRow {
    pub email: String,
    pub open: u64,
    pub overdue: u64,
    pub href: String,
}

#[derive(Template)]
#[template(path = "allocation/team.html")]
struct TeamPage {
    layout: Layout,
    banner: String,
    errors: String,
    loads: Vec<LoadRow>,
    unallocated: String,
    cases: String,
    caseworkers: String,
    form_token: String,
    button: String,
}

#[derive(Template)]
#[template(path = "allocation/check.html")]
struct CheckPage {
    layout: Layout,
    errors: String,
    references: Vec<String>,
    to: String,
    form_token: String,
    button: String,
}

struct Loaded {
    team: nrm_service::Team,
    cases: Vec<(String, String)>,
}

async fn load(state: &AppState, signed_in: &SignedIn) -> Result<Loaded, PageError> {
    let capability = authorise(state, signed_in, Operation::AllocateCases).await?;
    let now = state.now();
    let team = state
        .cases
        .team(&capability, &signed_in.principal, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let list = authorise(state, signed_in, Operation::ListCases).await?;
    let mut query = QueueQuery::new(uk_date(now));
    query.statuses = OPEN_STATUSES.to_vec();
    query.unallocated = true;
    query.per_page = OFFERED;
    let page = state
        .cases
        .queue(&list, &signed_in.principal, &query, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let cases = page
        .cases
        .iter()
        .map(|c| {
            (
                c.reference.clone(),
                format!(
                    "{}, {}, referred {}",
                    c.reference,
                    kind_words(c.kind),
                    date(c.referred_on)
                ),
            )
        })
        .collect();
    Ok(Loaded { team, cases })
}

fn page(
    signed_in: &SignedIn,
    loaded: &Loaded,
    errors: &Errors,
    banner: String,
    chosen: &[String],
    to: &str,
) -> TeamPage {
    let team = &loaded.team;
    let cases = if loaded.cases.is_empty() {
        "<p class=\"govuk-body\" id=\"cases\">Every open case is allocated.</p>".to_owned()
    } else {
        Checkboxes {
            name: Some("cases".to_owned()),
            id_prefix: Some("cases".to_owned()),
            fieldset: Some(Fieldset {
                legend: Some(Legend {
                    text: Some("Which cases?".to_owned()),
                    classes: Some("govuk-fieldset__legend--m".to_owned()),
                    ..Legend::default()
                }),
                ..Fieldset::default()
            }),
            error_message: errors.message("cases", Lang::En),
            classes: Some("govuk-checkboxes--small".to_owned()),
            items: loaded
                .cases
                .iter()
                .map(|(reference, words)| {
                    Some(CheckboxesItem {
                        value: Some(reference.clone()),
                        text: Some(words.clone()),
                        checked: Some(chosen.contains(reference)),
                        ..CheckboxesItem::default()
                    })
                })
                .collect(),
            ..Checkboxes::default()
        }
        .to_string()
    };
    let caseworkers = if team.caseworkers.is_empty() {
        "<p class=\"govuk-body\" id=\"to\">Your organisation has no active decision makers.</p>"
            .to_owned()
    } else {
        Radios {
            name: Some("to".to_owned()),
            id_prefix: Some("to".to_owned()),
            fieldset: Some(Fieldset {
                legend: Some(Legend {
                    text: Some("Allocate them to".to_owned()),
                    classes: Some("govuk-fieldset__legend--m".to_owned()),
                    ..Legend::default()
                }),
                ..Fieldset::default()
            }),
            error_message: errors.message("to", Lang::En),
            items: team
                .caseworkers
                .iter()
                .map(|c| {
                    Some(RadiosItem {
                        value: Some(c.id.0.to_string()),
                        text: Some(c.email.clone()),
                        checked: Some(c.id.0.to_string() == to),
                        ..RadiosItem::default()
                    })
                })
                .collect(),
            ..Radios::default()
        }
        .to_string()
    };
    TeamPage {
        layout: signed_in
            .layout("Your team")
            .casework()
            .back("/cases")
            .errors(errors),
        banner,
        errors: errors.summary(Lang::En),
        loads: team
            .caseworkers
            .iter()
            .map(|c| LoadRow {
                email: c.email.clone(),
                open: c.open,
                overdue: c.overdue,
                href: format!("/cases?allocation={}", c.id.0),
            })
            .collect(),
        unallocated: format!(
            "{}{} open cases are allocated to nobody.",
            if team.unallocated_capped {
                "More than "
            } else {
                ""
            },
            team.unallocated
        ),
        cases,
        caseworkers,
        form_token: signed_in.form_token.clone(),
        button: Button {
            text: Some("Continue".to_owned()),
            ..Button::default()
        }
        .to_string(),
    }
}

/// The team page.
pub async fn team(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<TeamParams>,
) -> Result<Response, PageError> {
    let loaded = load(&state, &signed_in).await?;
    let banner = params
        .allocated
        .map(|n| {
            NotificationBanner {
                type_: Some("success".to_owned()),
                text: Some(format!(
                    "{n} {} allocated",
                    if n == 1 { "case" } else { "cases" }
                )),
                ..NotificationBanner::default()
            }
            .to_string()
        })
        .unwrap_or_default();
    Ok(render_status(
        StatusCode::OK,
        &page(&signed_in, &loaded, &Errors::default(), banner, &[], ""),
    ))
}

/// The bulk allocation posted: the page again with its errors, the check page, or (checked)
/// each case allocated.
pub async fn allocate(
    State(state): State<AppState>,
    Posted {
        signed_in, form, ..
    }: Posted,
) -> Result<Response, PageError> {
    let loaded = load(&state, &signed_in).await?;
    let chosen: Vec<String> = form
        .get("cases")
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect();
    let to = form::value(&form, "to").to_owned();
    let caseworker = loaded
        .team
        .caseworkers
        .iter()
        .find(|c| c.id.0.to_string() == to);
    let mut errors = Errors::default();
    if chosen.is_empty() {
        errors.add("cases", "Select the cases to allocate");
    }
    if caseworker.is_none() {
        errors.add("to", "Select who to allocate them to");
    }
    let Some(caseworker) = caseworker.filter(|_| errors.is_empty()) else {
        return Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&signed_in, &loaded, &errors, String::new(), &chosen, &to),
        ));
    };
    if form::value(&form, "confirmed") != "yes" {
        return Ok(render_status(
            StatusCode::OK,
            &check_page(
                &signed_in,
                &chosen,
                &to,
                &caseworker.email,
                &Errors::default(),
            ),
        ));
    }
    let now = state.now();
    let mut refused = Vec::new();
    let mut allocated = 0u32;
    for reference in &chosen {
        // A case the manager may not allocate is "not found", like one that does not exist.
        let capability =
            match authorise_case(&state, &signed_in, reference, CaseOperation::Allocate).await {
                Ok((capability, _)) => capability,
                Err(PageError::NotFound(_)) => {
                    refused.push(format!("{reference}: no such case you may allocate"));
                    continue;
                }
                Err(e) => return Err(e),
            };
        let to = Action::Allocate {
            to: UserId(caseworker.id.0),
        };
        match state.cases.act(&capability, None, to, now).await {
            Ok(_) => allocated += 1,
            Err(ServiceError::Domain(e)) => refused.push(format!(
                "{reference}: {}",
                crate::pages::lifecycle::refusal_words(&e)
            )),
            Err(ServiceError::Conflict { .. }) => {
                refused.push(format!("{reference}: it changed meanwhile; try again"));
            }
            Err(e) => return Err(PageError::from_service(e, Lang::En)),
        }
    }
    if refused.is_empty() {
        return Ok(Redirect::to(&format!("/cases/team?allocated={allocated}")).into_response());
    }
    let mut errors = Errors::default();
    for message in &refused {
        errors.add("cases", message);
    }
    let loaded = load(&state, &signed_in).await?;
    let banner = format!(
        "<p class=\"govuk-body\">{allocated} of {} cases allocated.</p>",
        chosen.len()
    );
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page(&signed_in, &loaded, &errors, banner, &[], ""),
    ))
}

fn check_page(
    signed_in: &SignedIn,
    chosen: &[String],
    to: &str,
    email: &str,
    errors: &Errors,
) -> CheckPage {
    CheckPage {
        layout: signed_in
            .layout(format!(
                "Allocate {} {} to {email}?",
                chosen.len(),
                if chosen.len() == 1 { "case" } else { "cases" }
            ))
            .casework()
            .back("/cases/team")
            .errors(errors),
        errors: errors.summary(Lang::En),
        references: chosen.to_vec(),
        to: to.to_owned(),
        form_token: signed_in.form_token.clone(),
        button: Button {
            text: Some("Allocate cases".to_owned()),
            prevent_double_click: Some(true),
            attributes: nrm_govuk::components::Attributes::from_pairs([("id", "confirm")]),
            ..Button::default()
        }
        .to_string(),
    }
}
