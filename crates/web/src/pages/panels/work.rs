//! A pilot local authority's panel at work (issue 13 item 2): its queue and its meetings.
//!
//! - `GET /panel`: the cases routed to the signed-in panel member's own local authority, by
//!   where each stands (returned by the SCA, to convene, awaiting papers, awaiting meeting,
//!   with the SCA for quality assurance, decided), each linking to the case where the panel
//!   convenes, prepares its papers and decides (the lifecycle forms); and its meetings.
//! - `GET /panel/meetings/{date}`: a meeting: the cases on its agenda, the chair and members
//!   with their agencies, the papers, the quorum, and the decisions with their reasons,
//!   attendance and the SCA's quality assurance.
//!
//! Only a pilot panel's members reach them (the policy's list scope), and only their own
//! local authority's cases; the service audits each listing and each case read.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use chrono::NaiveDate;
use nrm_access::{ListScope, Operation};
use nrm_domain::children::panel::ChecklistItem;
use nrm_domain::children::panel_work::PanelStage;
use nrm_domain::event::{DecisionRef, Outcome, ReviewOutcome};
use nrm_domain::ids::UserId;
use nrm_domain::rules::{PanelAgency, PilotPanelMember};

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

/// A case in one of the queue's groups.
#[derive(Debug)]
pub struct Row {
    pub reference: String,
    pub referred_on: String,
    pub pending: String,
    pub meeting: String,
    pub meeting_href: String,
}

/// One of the queue's groups.
#[derive(Debug)]
pub struct Group {
    pub id: &'static str,
    pub heading: &'static str,
    pub rows: Vec<Row>,
}

/// A meeting in the list.
#[derive(Debug)]
pub struct MeetingLink {
    pub href: String,
    pub label: String,
    pub cases: usize,
}

#[derive(Template)]
#[template(path = "panels/queue.html")]
struct QueuePage {
    layout: Layout,
    groups: Vec<Group>,
    meetings: Vec<MeetingLink>,
    truncated: bool,
    limit: usize,
}

fn site_name(state: &AppState, code: &str) -> String {
    state
        .cases
        .rules()
        .data()
        .child_decision_pilot_sites
        .iter()
        .find(|s| s.code == code)
        .map_or_else(|| code.to_owned(), |s| s.name.clone())
}

fn decision_name(d: DecisionRef) -> &'static str {
    match d {
        DecisionRef::ReasonableGrounds => "Reasonable Grounds",
        DecisionRef::ConclusiveGrounds => "Conclusive Grounds",
    }
}

fn agency_name(a: PanelAgency) -> &'static str {
    match a {
        PanelAgency::ChildrensSocialCare => "Children's social care",
        PanelAgency::Police => "Police",
        PanelAgency::Health => "Health",
        PanelAgency::Education => "Education",
        PanelAgency::Other => "Another agency",
    }
}

/// A pilot panel's member, or refused (recorded as a denial) for anyone else.
async fn panel_member(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<nrm_access::Capability, PageError> {
    let capability = authorise(state, signed_in, Operation::ListCases).await?;
    if !matches!(
        nrm_access::list_scope(&signed_in.principal),
        ListScope::PilotPanel(_)
    ) {
        state
            .cases
            .record_denial(signed_in.principal.actor, "access.panel", None, state.now())
            .await
            .map_err(|e| PageError::from_service(e, signed_in.lang))?;
        return Err(PageError::Forbidden(signed_in.lang));
    }
    Ok(capability)
}

/// `GET /panel`.
pub async fn queue(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let capability = panel_member(&state, &signed_in).await?;
    let now = state.now();
    let queue = state
        .cases
        .panel_queue(&capability, &signed_in.principal, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let groups = PanelStage::ALL
        .into_iter()
        .map(|stage| Group {
            id: stage.code(),
            heading: stage.describe(),
            rows: queue
                .items
                .iter()
                .filter(|i| i.stage == stage)
                .map(|i| Row {
                    reference: i.reference.clone(),
                    referred_on: date(i.referred_on),
                    pending: i
                        .pending
                        .map_or_else(|| "None".to_owned(), |d| decision_name(d).to_owned()),
                    meeting: i.meeting_on.map(date).unwrap_or_default(),
                    meeting_href: i
                        .meeting_on
                        .map(|d| format!("/panel/meetings/{d}"))
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let meetings = queue
        .meetings
        .iter()
        .map(|(on, cases)| MeetingLink {
            href: format!("/panel/meetings/{on}"),
            label: date(*on),
            cases: *cases,
        })
        .collect();
    Ok(render(&QueuePage {
        layout: signed_in
            .layout(format!("{} panel", site_name(&state, &queue.pilot_site)))
            .casework()
            .back("/cases"),
        groups,
        meetings,
        truncated: queue.truncated,
        limit: nrm_service::PANEL_QUEUE_LIMIT,
    }))
}

/// A person on the panel, as the meeting page names them.
#[derive(Debug)]
pub struct Person {
    pub name: String,
    pub agency: &'static str,
    pub role: &'static str,
    pub present: String,
}

/// A decision made at the meeting.
#[derive(Debug)]
pub struct DecisionRow {
    pub decision: &'static str,
    pub outcome: &'static str,
    pub present: Vec<String>,
    pub reasons: String,
    pub assurance: String,
    pub assurance_reasons: Option<String>,
}

/// A case on the agenda.
#[derive(Debug)]
pub struct AgendaRow {
    pub reference: String,
    pub people: Vec<Person>,
    pub papers: Vec<&'static str>,
    pub papers_prepared_on: Option<String>,
    pub quorum: String,
    pub decisions: Vec<DecisionRow>,
}

#[derive(Template)]
#[template(path = "panels/meeting.html")]
struct MeetingPage {
    layout: Layout,
    agenda: Vec<AgendaRow>,
}

/// `GET /panel/meetings/{date}`.
pub async fn meeting(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(on): Path<String>,
) -> Result<Response, PageError> {
    let capability = panel_member(&state, &signed_in).await?;
    let meets_on = NaiveDate::parse_from_str(&on, "%Y-%m-%d")
        .map_err(|_| PageError::NotFound(signed_in.lang))?;
    let now = state.now();
    let view = state
        .cases
        .panel_meeting(&capability, &signed_in.principal, meets_on, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let name = |u: &UserId| {
        view.names
            .get(u)
            .cloned()
            .unwrap_or_else(|| "A former member of the panel".to_owned())
    };
    let agenda = view
        .agenda
        .iter()
        .map(|item| {
            let m = &item.record.meeting;
            let last_present: Option<&Vec<UserId>> =
                item.record.decisions.last().map(|d| &d.present);
            let person = |p: &PilotPanelMember, role: &'static str| Person {
                name: name(&p.user),
                agency: agency_name(p.agency),
                role,
                present: match last_present {
                    Some(present) if present.contains(&p.user) => "Present".to_owned(),
                    Some(_) => "Absent".to_owned(),
                    None => "Not yet met".to_owned(),
                },
            };
            let mut people = vec![person(&m.chair, "Chair")];
            people.extend(m.members.iter().map(|p| person(p, "Member")));
            let quorum = match (item.quorum.met(), item.quorum.minimum) {
                (Some(true), Some(min)) => format!(
                    "Quorate: {} present, at least {min} needed",
                    item.quorum.present.unwrap_or_default()
                ),
                (Some(true), None) => format!(
                    "Quorate: {} present",
                    item.quorum.present.unwrap_or_default()
                ),
                (Some(false), Some(min)) => format!(
                    "Not quorate: {} present, at least {min} needed",
                    item.quorum.present.unwrap_or_default()
                ),
                (Some(false), None) => "Not quorate".to_owned(),
                (None, Some(min)) => {
                    format!("Not yet met: at least {min} must attend, the chair included")
                }
                (None, None) => "Not yet met".to_owned(),
            };
            let decisions = item
                .record
                .decisions
                .iter()
                .zip(&item.reasons)
                .map(|(d, (reasons, sca_reasons))| {
                    let assurance = match (d.assured, d.assurance) {
                        (false, _) => {
                            "Not sent for quality assurance (not in the sample)".to_owned()
                        }
                        (true, None) => "Waiting for the SCA's quality assurance".to_owned(),
                        (true, Some(a)) if a.outcome == ReviewOutcome::Agree => {
                            format!("Agreed by the SCA on {}", date(a.reviewed_on))
                        }
                        (true, Some(a)) => format!(
                            "Returned by the SCA on {}: the panel decides again at a new meeting",
                            date(a.reviewed_on)
                        ),
                    };
                    DecisionRow {
                        decision: decision_name(d.decision),
                        outcome: match d.outcome {
                            Outcome::Positive => "Positive",
                            Outcome::Negative => "Negative",
                        },
                        present: d.present.iter().map(&name).collect(),
                        reasons: reasons
                            .clone()
                            .unwrap_or_else(|| "Erased at the end of retention".to_owned()),
                        assurance,
                        assurance_reasons: sca_reasons.clone(),
                    }
                })
                .collect();
            AgendaRow {
                reference: item.reference.clone(),
                people,
                papers: m
                    .papers
                    .iter()
                    .map(|i: &ChecklistItem| i.describe())
                    .collect(),
                papers_prepared_on: m.papers_prepared_on.map(date),
                quorum,
                decisions,
            }
        })
        .collect();
    Ok(render(&MeetingPage {
        layout: signed_in
            .layout(format!(
                "{} panel meeting, {}",
                site_name(&state, &view.pilot_site),
                date(view.meets_on)
            ))
            .casework()
            .back("/panel"),
        agenda,
    }))
}
