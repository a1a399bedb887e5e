//! `/guardians/children/{reference}`: one child's guardian page, by the case reference. The
//! allocated guardian sees the child's name and date of birth (read through the case service,
//! audited there), what is due, contacts, the professionals around the child and advocacy with
//! their words; the service manager sees the same without the words or the child's details.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use nrm_access::CaseOperation;
use nrm_access::children::{GuardianOperation, authorise_case_for_guardian, authorise_guardian};
use nrm_domain::clock::uk_date;
use nrm_domain::ids::VaultRecordId;
use nrm_govuk::components::{NotificationBanner, SummaryList, SummaryListRow};
use serde::Deserialize;

use super::{due_words, episode_capability, layout, role_words, status_words, words};
use crate::AppState;
use crate::api::guardians::guardians;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, escape_lines, render};
use crate::pages::session::SignedIn;

#[derive(Debug, Default, Deserialize)]
pub struct ChildParams {
    /// The form just recorded (its address).
    done: Option<String>,
}

#[derive(Debug)]
struct DueRow {
    what: &'static str,
    on: String,
    overdue: bool,
}

#[derive(Debug)]
struct Link {
    href: String,
    text: &'static str,
}

#[derive(Debug)]
struct Item {
    /// Already escaped HTML cells.
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "guardians/child.html")]
struct ChildPage {
    layout: Layout,
    banner: String,
    summary: String,
    due: Vec<DueRow>,
    links: Vec<Link>,
    contacts: Vec<Item>,
    professionals: Vec<Item>,
    advocacy: Vec<Item>,
}

fn esc(text: &str) -> String {
    escape_lines(text)
}

/// The child's guardian page.
pub async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
    Query(params): Query<ChildParams>,
) -> Result<Response, PageError> {
    let (read, facts) =
        episode_capability(&state, &signed_in, &reference, GuardianOperation::Read).await?;
    let p = &signed_in.principal;
    let now = state.now();
    let today = uk_date(now);
    let service = guardians(&state);
    let fault = |e| PageError::from_service(e, Lang::En);
    let view = service.view(&read, now).await.map_err(fault)?;
    let notes = match authorise_guardian(p, GuardianOperation::ReadNotes, &facts) {
        Ok(c) => Some(service.notes(&c, now).await.map_err(fault)?),
        Err(_) => None,
    };
    let note = |record: VaultRecordId| -> String {
        notes.as_ref().and_then(|n| n.get(&record)).map_or_else(
            || "Only the child's guardian can read this".to_owned(),
            |t| esc(t),
        )
    };
    let st = &view.state;
    let s = &view.summary;
    let mut rows = vec![SummaryListRow::new("Case", s.reference.clone())];
    // The child's own details, for their allocated guardian only.
    let case = state
        .cases
        .case_facts(facts.case_id, today)
        .await
        .map_err(fault)?;
    if let Some(case) = case {
        let case_read = authorise_case_for_guardian(p, CaseOperation::Read, &facts, &case);
        let personal =
            authorise_case_for_guardian(p, CaseOperation::ReadPersonalDetails, &facts, &case);
        if let (Ok(case_read), Ok(personal)) = (case_read, personal) {
            let case_view = state
                .cases
                .view(&case_read, Some(&personal), None, now)
                .await
                .map_err(fault)?;
            if let Some(d) = &case_view.personal_details {
                rows.push(SummaryListRow::new(
                    "Name",
                    format!("{} {}", d.given_names, d.family_name),
                ));
                rows.push(SummaryListRow::new(
                    "Date of birth",
                    d.date_of_birth
                        .map(date)
                        .unwrap_or_else(|| "Not known".to_owned()),
                ));
            }
            rows.push(SummaryListRow::new(
                "NRM case",
                crate::pages::casework::status_words(case_view.summary.status),
            ));
        }
    }
    let area = service
        .rules()
        .area(&s.area)
        .map_or_else(|| s.area.clone(), |a| a.name.clone());
    rows.push(SummaryListRow::new("Area", area));
    rows.push(SummaryListRow::new("Status", status_words(&s.status)));
    rows.push(SummaryListRow::new(
        "Guardian",
        s.role.as_deref().map_or("Not allocated", role_words),
    ));
    if let Some(pr) = st.parental_responsibility_in_uk {
        rows.push(SummaryListRow::new(
            "Someone holds parental responsibility in the UK",
            if pr { "Yes" } else { "No" },
        ));
    }
    if let Some(on) = st.referred_on {
        rows.push(SummaryListRow::new(
            "Referred to the guardian service",
            date(on),
        ));
    }
    if let Some(on) = st.turned_18_on {
        rows.push(SummaryListRow::new("Turned 18", date(on)));
    }
    if let Some(until) = st.post_18_until {
        rows.push(SummaryListRow::new("Post-18 support until", date(until)));
    }
    if let Some(consents) = st.consents_to_support {
        rows.push(SummaryListRow::new(
            "Consents to adult support",
            if consents { "Yes" } else { "No" },
        ));
    }
    if let (Some(on), Some(reason)) = (st.closed_on, st.closure) {
        rows.push(SummaryListRow::new(
            "Closed",
            format!("{}: {}", date(on), words(reason.code())),
        ));
    }
    let due = view
        .due
        .iter()
        .map(|d| DueRow {
            what: due_words(d.code()),
            on: date(d.on()),
            overdue: d.on() < today,
        })
        .collect();
    let links = super::forms::allowed(p, &facts, st)
        .into_iter()
        .map(|f| Link {
            href: format!("/guardians/children/{}/{}", s.reference, f.slug),
            text: f.title,
        })
        .collect();
    let contacts = st
        .contacts
        .iter()
        .rev()
        .map(|c| Item {
            cells: vec![esc(&date(c.on)), esc(&words(c.kind.code())), note(c.notes)],
        })
        .collect();
    let professionals = st
        .professionals
        .iter()
        .map(|pr| Item {
            cells: vec![
                esc(&words(pr.role.code())),
                note(pr.details),
                esc(&match pr.removed_on {
                    Some(end) => format!("{} to {}", date(pr.added_on), date(end)),
                    None => format!("Since {}", date(pr.added_on)),
                }),
            ],
        })
        .collect();
    let advocacy = st
        .advocacy
        .iter()
        .map(|a| Item {
            cells: vec![
                esc(&words(a.kind.code())),
                note(a.details),
                esc(&date(a.started_on)),
                match (a.outcome, a.concluded_on) {
                    (Some(o), Some(on)) => format!(
                        "{}: {}<br>{}",
                        esc(&words(o.code())),
                        esc(&date(on)),
                        a.outcome_details.map(note).unwrap_or_default()
                    ),
                    _ => esc(&format!("Follow up by {}", date(a.review_on))),
                },
            ],
        })
        .collect();
    let banner = params
        .done
        .as_deref()
        .and_then(super::forms::form)
        .map(|f| {
            NotificationBanner {
                type_: Some("success".to_owned()),
                text: Some(f.done.to_owned()),
                ..NotificationBanner::default()
            }
            .to_string()
        })
        .unwrap_or_default();
    Ok(render(&ChildPage {
        layout: layout(&signed_in, format!("Guardian record for {}", s.reference))
            .back("/guardians"),
        banner,
        summary: SummaryList {
            rows,
            ..SummaryList::default()
        }
        .to_string(),
        due,
        links,
        contacts,
        professionals,
        advocacy,
    }))
}
