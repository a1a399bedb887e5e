//! The case page: summary, personal details (for those entitled to them), due dates, the
//! timeline of events, and the decisions that can be recorded now.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use nrm_access::CaseOperation;
use nrm_domain::Rulebook;
use nrm_domain::calendar::Jurisdiction;
use nrm_domain::case::{CaseState, CaseStatus, Stage};
use nrm_domain::event::Outcome;
use nrm_domain::geography::UkNation;
use nrm_domain::rules::ReviewKind;
use nrm_govuk::components::{NotificationBanner, SummaryList, SummaryListCell, SummaryListRow};
use serde::Deserialize;

use crate::AppState;
use crate::pages::casework::{
    age_words, authorise_case, authority_words, date, deadline_tag, status_words,
};
use crate::pages::errors::PageError;
use crate::pages::layout::{Layout, escape_lines, render};
use crate::pages::session::SignedIn;

#[derive(Debug, Default, Deserialize)]
pub struct CaseParams {
    recorded: Option<String>,
    /// The lifecycle action just recorded (its form's address).
    done: Option<String>,
}

#[derive(Debug)]
pub struct DueDate {
    pub what: String,
    pub due: String,
    pub tag: String,
    /// How the date was counted: on which nation's working-day calendar (that of whoever
    /// must act by it), or in calendar days.
    pub counted: String,
}

#[derive(Debug)]
pub struct TimelineEntry {
    pub what: String,
    pub when: String,
    pub who: String,
}

/// A lifecycle action the caller may take, as the case page links to it.
#[derive(Debug)]
pub struct ActionLink {
    pub href: String,
    pub text: &'static str,
}

#[derive(Template)]
#[template(path = "casework/case.html")]
struct CasePage {
    layout: Layout,
    banner: String,
    reference: String,
    summary: String,
    personal: Option<String>,
    timeline: Vec<TimelineEntry>,
    due: Vec<DueDate>,
    can_decide_rg: bool,
    can_decide_cg: bool,
    actions: Vec<ActionLink>,
    /// The person's other referrals (issue 14), for those who may see them.
    rereferral: String,
    /// The person's support and the concerns the reader may see (issue 12).
    support: String,
}

/// "4 March 2025 at 2:05pm", in UK time.
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Timelike;
    let offset = if nrm_domain::clock::is_british_summer_time(at) {
        1
    } else {
        0
    };
    let local = at + chrono::Duration::hours(offset);
    let (pm, hour) = local.hour12();
    format!(
        "{} at {hour}:{:02}{}",
        date(nrm_domain::clock::uk_date(at)),
        local.minute(),
        if pm { "pm" } else { "am" }
    )
}

/// Who recorded an event, in words.
fn who(view: &nrm_service::CaseView, actor: nrm_domain::Actor) -> String {
    match view.actors.get(&actor.user) {
        Some(name) if name.system => "The service".to_owned(),
        Some(name) => match (&name.account, &name.organisation) {
            (Some(account), Some(org)) => format!("{account}, {org}"),
            (Some(account), None) => account.clone(),
            (None, Some(org)) => format!("A case system of {org}"),
            (None, None) => "Unknown".to_owned(),
        },
        None => "Unknown".to_owned(),
    }
}

fn words(kind: &str) -> String {
    let mut text = kind.replace('_', " ");
    if let Some(first) = text.get(..1) {
        let upper = first.to_uppercase();
        text.replace_range(..1, &upper);
    }
    text.replace("reasonable grounds", "Reasonable Grounds")
        .replace("conclusive grounds", "Conclusive Grounds")
}

/// "England and Wales", "Scotland" or "Northern Ireland".
fn calendar_words(calendar: Jurisdiction) -> &'static str {
    match calendar {
        Jurisdiction::EnglandAndWales => "England and Wales",
        Jurisdiction::Scotland => "Scotland",
        Jurisdiction::NorthernIreland => "Northern Ireland",
    }
}

/// The "Counted on" cell of a working-day deadline.
fn working_days_on(calendar: Jurisdiction) -> String {
    format!("Working days, {} bank holidays", calendar_words(calendar))
}

/// A UK nation in words.
pub(crate) fn nation_words(nation: UkNation) -> &'static str {
    match nation {
        UkNation::England => "England",
        UkNation::Wales => "Wales",
        UkNation::Scotland => "Scotland",
        UkNation::NorthernIreland => "Northern Ireland",
    }
}

/// The case's open deadlines and the dates its process turns on.
fn due_dates(case: &CaseState, today: chrono::NaiveDate, rules: &Rulebook) -> Vec<DueDate> {
    let CaseState::Referral(r) = case else {
        return Vec::new();
    };
    let mut due = Vec::new();
    if r.reasonable_grounds.is_none() && r.is_open() {
        due.push(DueDate {
            what: "Reasonable Grounds decision".to_owned(),
            due: date(r.reasonable_grounds_due_on),
            tag: deadline_tag(r.reasonable_grounds_due_on, today, rules, true),
            counted: working_days_on(r.reasonable_grounds_calendar),
        });
    }
    for request in r
        .information_requests
        .iter()
        .filter(|i| i.received_on.is_none())
    {
        due.push(DueDate {
            what: format!("Information requested on {}", date(request.requested_on)),
            due: date(request.due_on),
            tag: deadline_tag(request.due_on, today, rules, true),
            counted: working_days_on(request.calendar),
        });
    }
    if let Stage::RecoveryPeriod {
        minimum_ends_on: Some(ends),
        ..
    } = r.stage
    {
        due.push(DueDate {
            what: "Recovery period minimum ends (earliest Conclusive Grounds decision)".to_owned(),
            due: date(ends),
            tag: String::new(),
            counted: CALENDAR_DAYS.to_owned(),
        });
    }
    if let Some(extended) = r.recovery_extended_to {
        due.push(DueDate {
            what: "Recovery period extended to".to_owned(),
            due: date(extended),
            tag: String::new(),
            counted: "Set by the decision maker".to_owned(),
        });
    }
    // The statutory support period of the nation the person is in now (Scotland 90 days,
    // Northern Ireland 45, from a positive RG; to the CG if that comes first).
    if let (Some(nation), Some(rg)) = (r.person_nation, r.reasonable_grounds.as_ref())
        && rg.outcome == Outcome::Positive
        && let Some(end) = rules.statutory_support_period(
            nation,
            rg.decided_on,
            r.conclusive_grounds.as_ref().map(|c| c.decided_on),
        )
        && let Some(days) = end.rule.value.days_from_positive_reasonable_grounds
    {
        due.push(DueDate {
            what: if end.ended_by_conclusive_grounds {
                format!(
                    "Support in {} ended at the Conclusive Grounds decision (within its {days} days from the positive Reasonable Grounds decision)",
                    nation_words(nation)
                )
            } else {
                format!(
                    "Support in {} ends ({days} days from the positive Reasonable Grounds decision, or at the Conclusive Grounds decision if earlier)",
                    nation_words(nation)
                )
            },
            due: date(end.last_day),
            tag: String::new(),
            counted: format!(
                "{CALENDAR_DAYS}, the rules of {} (where the person is now)",
                nation_words(nation)
            ),
        });
    }
    due
}

const CALENDAR_DAYS: &str = "Calendar days";

/// A row about the process, left out while it has nothing to say.
fn process_row(key: &str, value: String) -> Option<SummaryListRow> {
    (!value.is_empty()).then(|| SummaryListRow::new(key, value))
}

fn row(key: &str, value: impl Into<String>) -> SummaryListRow {
    let value = value.into();
    SummaryListRow::new(
        key,
        if value.is_empty() {
            "Not given".to_owned()
        } else {
            value
        },
    )
}

/// The case page.
pub async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
    Query(params): Query<CaseParams>,
) -> Result<Response, PageError> {
    let (read, facts) = authorise_case(&state, &signed_in, &reference, CaseOperation::Read).await?;
    let personal = nrm_access::authorise_case(
        &signed_in.principal,
        CaseOperation::ReadPersonalDetails,
        &facts,
    )
    .ok();
    let contact = nrm_access::authorise_case(
        &signed_in.principal,
        CaseOperation::ReadContactDetails,
        &facts,
    )
    .ok();
    let view = state
        .cases
        .view(&read, personal.as_ref(), contact.as_ref(), state.now())
        .await
        .map_err(|e| PageError::from_service(e, signed_in.lang))?;
    let rereferral = crate::pages::person::case_flag(&state, &signed_in, &read).await?;
    let support =
        crate::pages::support::case_panel::case_panel(&state, &signed_in, view.case_id).await?;
    let s = &view.summary;
    let opt_date = |d: Option<chrono::NaiveDate>| d.map(date).unwrap_or_default();
    let referral = match &view.state {
        CaseState::Referral(r) => Some(r),
        _ => None,
    };
    let summary = SummaryList {
        rows: [
            Some(row("Reference", s.reference.clone())),
            Some(row("Status", status_words(s.status))),
            Some(row(
                "Competent authority",
                authority_words(s.competent_authority),
            )),
            Some(row("Age group", age_words(s.age_group))),
            Some(row(
                "Exploitation",
                s.exploitation_types
                    .iter()
                    .map(|t| words(t))
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
            Some(row("Referred", date(s.referred_on))),
            referral.map(|r| {
                row(
                    "Where the person is now",
                    r.person_nation.map_or("Not known", nation_words),
                )
            }),
            referral
                .and_then(|r| r.referring_organisation_nation)
                .map(|n| row("Referring organisation's nation", nation_words(n))),
            process_row(
                "Reasonable Grounds decision due",
                if s.reasonable_grounds_outcome.is_none() {
                    opt_date(s.reasonable_grounds_due_on)
                } else {
                    String::new()
                },
            ),
            process_row(
                "Reasonable Grounds decision",
                match (
                    &s.reasonable_grounds_outcome,
                    s.reasonable_grounds_decided_on,
                ) {
                    (Some(o), Some(on)) => format!("{} on {}", words(o), date(on)),
                    _ => String::new(),
                },
            ),
            process_row(
                "Conclusive Grounds decision can be made from",
                opt_date(s.conclusive_grounds_earliest_on),
            ),
            process_row(
                "Conclusive Grounds decision",
                match (
                    &s.conclusive_grounds_outcome,
                    s.conclusive_grounds_decided_on,
                ) {
                    (Some(o), Some(on)) => format!("{} on {}", words(o), date(on)),
                    _ => String::new(),
                },
            ),
        ]
        .into_iter()
        .flatten()
        .collect(),
        ..SummaryList::default()
    }
    .to_string();
    let withheld = view.contact_details_withheld;
    let contact_row = |key: &str, value: Option<String>| {
        row(
            key,
            if withheld {
                "Not shown: not needed for your role".to_owned()
            } else {
                value.unwrap_or_default().replace('\n', ", ")
            },
        )
    };
    let personal = view.personal_details.as_ref().map(|p| {
        SummaryList {
            rows: vec![
                row("Given names", p.given_names.clone()),
                row("Family name", p.family_name.clone()),
                row("Other names", p.other_names.join(", ")),
                row(
                    "Date of birth",
                    p.date_of_birth.map(date).unwrap_or_default(),
                ),
                row("Languages", p.languages.join(", ")),
                row(
                    "Interpreter needed",
                    if p.interpreter_needed { "Yes" } else { "No" },
                ),
                contact_row("Safe contact", p.contact.clone()),
                contact_row("Current address", p.current_address.clone()),
                SummaryListRow {
                    key: SummaryListCell::text("Account"),
                    // The person's own paragraphs, kept.
                    value: SummaryListCell::html(escape_lines(&p.narrative)),
                    ..SummaryListRow::default()
                },
            ],
            ..SummaryList::default()
        }
        .to_string()
    });
    let timeline = view
        .events
        .iter()
        .rev()
        .filter(|e| e.event.kind() != "deadline_status_changed")
        .map(|e| TimelineEntry {
            what: words(e.event.kind()),
            when: when(e.recorded_at),
            who: who(&view, e.actor),
        })
        .collect();
    let mut due = due_dates(
        &view.state,
        nrm_domain::clock::uk_date(state.now()),
        state.cases.rules(),
    );
    // A child with a guardian who turns 18 soon (issue 13): flagged on the case too.
    if let Some(since) = state
        .cases
        .guardians()
        .turning_18_for_case(&read, state.now())
        .await
        .map_err(|e| PageError::from_service(e, crate::pages::i18n::Lang::En))?
    {
        due.push(DueDate {
            what: "Turns 18 soon: plan for the adult route's rules and the consent-to-support question (flagged by the guardian service)".to_owned(),
            due: date(since),
            tag: String::new(),
            counted: "From the date of birth".to_owned(),
        });
    } else if s.age_group == Some(nrm_domain::submission::AgeGroup::Child)
        && let Some(born) = view.personal_details.as_ref().and_then(|p| p.date_of_birth)
    {
        // A child with no guardian (outside every ICTG area) is flagged ahead just the same,
        // by the children rulebook's notice, for a reader who may see the date of birth.
        let today = nrm_domain::clock::uk_date(state.now());
        let eighteenth = nrm_domain::routing::eighteenth_birthday(born);
        let notice = nrm_domain::children::guardian::ChildrenRules::current()
            .turning_18_notice_days(today)
            .value;
        if today < eighteenth && today + chrono::Duration::days(i64::from(notice)) >= eighteenth {
            due.push(DueDate {
                what:
                    "Turns 18: plan for the adult route's rules and for asking whether they consent to support"
                        .to_owned(),
                due: date(eighteenth),
                tag: String::new(),
                counted: "From the date of birth".to_owned(),
            });
        }
    }
    // Turned 18 during the case (issue 13): the consent-to-support question, until answered.
    if let nrm_domain::case::CaseState::Referral(r) = &view.state
        && nrm_domain::children::adulthood::consent_question_open(r)
        && let Some(offered) = r.consent_to_support_offered_on
    {
        due.push(DueDate {
            what: "Turned 18: ask the young adult the consent-to-support question and record their answer".to_owned(),
            due: date(offered),
            tag: String::new(),
            counted: "Offered on their 18th birthday".to_owned(),
        });
    }
    // A pilot panel decides at its meetings ("Record the panel's decision"), not here.
    let pilot =
        s.competent_authority == Some(nrm_domain::event::CompetentAuthority::LocalAuthorityPanel);
    let can_decide = !pilot
        && nrm_access::authorise_case(&signed_in.principal, CaseOperation::Decide, &facts).is_ok();
    // A negative CG made before December 2022 is reviewed by an assurance panel with its
    // members: that form instead of the second caseworker's while it is the only review due.
    let reviews = referral
        .map(nrm_domain::command::reviews_due)
        .unwrap_or_default();
    let panel = |(_, kind): &(_, ReviewKind)| *kind == ReviewKind::MultiAgencyAssurancePanel;
    let panel_due = reviews.iter().any(panel);
    let other_due = reviews.iter().any(|d| !panel(d));
    let mut actions: Vec<ActionLink> = crate::pages::lifecycle::allowed(
        &signed_in.principal,
        &facts,
        crate::pages::lifecycle::Open::of(&view.state),
    )
    .into_iter()
    .filter(|a| match a.slug {
        "panel-review" => panel_due,
        "review" => other_due || !panel_due,
        _ => true,
    })
    .map(|a| ActionLink {
        href: format!("/cases/{}/actions/{}", s.reference, a.slug),
        text: a.title,
    })
    .collect();
    // The served decisions' notices, to print (issue 11 item 2).
    if (s.reasonable_grounds_served_on.is_some() || s.conclusive_grounds_served_on.is_some())
        && nrm_access::authorise_case(&signed_in.principal, CaseOperation::ReadNotices, &facts)
            .is_ok()
    {
        actions.push(ActionLink {
            href: format!("/cases/{}/notices", s.reference),
            text: "Decision notices to print",
        });
    }
    // A child's served decision: the letter the child can understand (issue 13 item 4).
    if s.age_group == Some(nrm_domain::submission::AgeGroup::Child)
        && nrm_access::authorise_case(&signed_in.principal, CaseOperation::ReadNotices, &facts)
            .is_ok()
    {
        for (served, slug, text) in [
            (
                s.reasonable_grounds_served_on,
                "reasonable-grounds",
                "A letter for the child: the Reasonable Grounds decision",
            ),
            (
                s.conclusive_grounds_served_on,
                "conclusive-grounds",
                "A letter for the child: the Conclusive Grounds decision",
            ),
        ] {
            if served.is_some() {
                actions.push(ActionLink {
                    href: format!("/cases/{}/child-letter/{slug}", s.reference),
                    text,
                });
            }
        }
    }
    let done = params
        .done
        .as_deref()
        .and_then(crate::pages::lifecycle::forms::action);
    let banner = match params.recorded.as_deref() {
        _ if done.is_some() => NotificationBanner {
            type_: Some("success".to_owned()),
            text: done.map(|a| a.done.to_owned()),
            ..NotificationBanner::default()
        }
        .to_string(),
        Some(kind @ ("reasonable-grounds" | "conclusive-grounds")) => NotificationBanner {
            type_: Some("success".to_owned()),
            text: Some(format!(
                "{} decision recorded",
                if kind == "reasonable-grounds" {
                    "Reasonable Grounds"
                } else {
                    "Conclusive Grounds"
                }
            )),
            ..NotificationBanner::default()
        }
        .to_string(),
        _ => String::new(),
    };
    Ok(render(&CasePage {
        layout: signed_in
            .layout(format!("Case {}", s.reference))
            .casework()
            .back("/cases"),
        banner,
        reference: s.reference.clone(),
        summary,
        personal,
        timeline,
        due,
        can_decide_rg: can_decide && s.status == CaseStatus::AwaitingReasonableGrounds,
        can_decide_cg: can_decide && s.status == CaseStatus::AwaitingConclusiveGrounds,
        actions,
        rereferral,
        support,
    }))
}
