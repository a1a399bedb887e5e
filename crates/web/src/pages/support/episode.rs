//! One person's support: what the reader may see of it (a decision maker: the status and
//! escalated concerns only), the Recovery Needs Assessment as a task list, concerns, placements
//! and payments; the form to raise a safeguarding concern; the contract manager's
//! acknowledgement of an escalated one.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::support::{SupportOperation, authorise_support};
use nrm_domain::clock::uk_date;
use nrm_domain::support::event::{ConcernKind, RnaDecision, Severity};
use nrm_domain::support::finance::pounds;
use nrm_domain::support::{ConcernId, SupportStatus};
use nrm_govuk::components::{
    Button, Fieldset, Label, Legend, Radios, RadiosItem, Tag, TaskList, TaskListItem,
    TaskListStatus, TaskListText, Textarea,
};
use nrm_service::ServiceError;
use nrm_service::support::SupportAction;
use uuid::Uuid;

use super::{episode_capability, layout, overdue_tags, status_words, words};
use crate::AppState;
use crate::api::support::support;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::form;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, render, render_status};
use crate::pages::session::{Posted, SignedIn};

#[derive(Debug)]
struct ConcernRow {
    id: String,
    kind: String,
    severity: String,
    raised: String,
    state: String,
    details: String,
    acknowledge: bool,
}

#[derive(Template)]
#[template(path = "support/episode.html")]
struct EpisodePage {
    layout: Layout,
    reference: String,
    rows: Vec<(String, String)>,
    tags: String,
    task_list: String,
    concerns: Vec<ConcernRow>,
    all_concerns: bool,
    placements: Vec<(String, String, String)>,
    ledger: Vec<(String, String)>,
    /// Whether the reader may raise a concern now (recording is theirs and support is open).
    may_raise_concern: bool,
    form_token: String,
    version: u64,
    /// `(href, title)` of the forms the reader may use now.
    forms: Vec<(String, String)>,
    /// The payments ledger's address, for readers of the support record.
    payments: Option<String>,
}

fn tag(text: &str, class: &str) -> Option<Tag> {
    Some(Tag {
        text: Some(text.to_owned()),
        classes: (!class.is_empty()).then(|| class.to_owned()),
        ..Default::default()
    })
}

fn task(title: &str, status: Option<Tag>, text: Option<&str>) -> TaskListItem {
    TaskListItem {
        title: TaskListText {
            text: Some(title.to_owned()),
            ..Default::default()
        },
        status: TaskListStatus {
            tag: status,
            text: text.map(str::to_owned),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A person's support page.
pub async fn page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let (status_cap, facts) =
        episode_capability(&state, &signed_in, &reference, SupportOperation::ReadStatus).await?;
    let p = &signed_in.principal;
    let read = authorise_support(p, SupportOperation::ReadSupport, &facts).unwrap_or(status_cap);
    let concerns_cap = authorise_support(p, SupportOperation::ReadSafeguarding, &facts)
        .or_else(|_| authorise_support(p, SupportOperation::ReadEscalatedConcerns, &facts))
        .ok();
    let may_record = authorise_support(p, SupportOperation::Record, &facts).is_ok();
    let may_acknowledge =
        authorise_support(p, SupportOperation::AcknowledgeConcern, &facts).is_ok();
    let now = state.now();
    let view = support(&state)
        .view(&read, concerns_cap.as_ref(), now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    // A new concern is raised while support is open: the domain refuses one after the exit
    // and in Reach-In ("support has ended"), so the link is not offered then.
    let may_raise_concern = may_record
        && !matches!(
            view.state.as_ref().and_then(|st| st.status),
            Some(SupportStatus::Exited | SupportStatus::ReachIn)
        );
    let s = &view.summary;
    let mut rows = vec![
        ("Support".to_owned(), status_words(&s.status).to_owned()),
        ("Nation".to_owned(), words(&s.nation)),
        (
            "Entered support".to_owned(),
            if s.route == "emergency" {
                "Emergency request before Reasonable Grounds".to_owned()
            } else {
                "Referral with consent to support".to_owned()
            },
        ),
        (
            "Support until".to_owned(),
            s.support_until.map(date).unwrap_or_else(|| {
                "While needs remain (until the Conclusive Grounds decision)".to_owned()
            }),
        ),
    ];
    if let Some(review) = s.review_due_on {
        rows.push(("Next safeguarding review".to_owned(), date(review)));
    }
    let mut task_list = String::new();
    let mut placements = Vec::new();
    let mut ledger = Vec::new();
    if let Some(st) = &view.state {
        if let Some((on, reason)) = st.exited {
            rows.push((
                "Exited".to_owned(),
                format!("{}: {}", date(on), words(reason.code()).to_lowercase()),
            ));
        }
        if let Some(on) = st.reach_in_started_on {
            rows.push(("Reach-In support since".to_owned(), date(on)));
        }
        // The RNA as a task list: assess, the Home Office's decision, the transition plan.
        let latest = st.rnas.last();
        let assess = match latest {
            Some(r) => {
                task("Assess recovery needs", tag("Completed", ""), None).with_hint(format!(
                    "Recorded {}; {} days recommended",
                    date(r.recorded_on),
                    r.recommended_days
                ))
            }
            None if st.rna_available && st.status == Some(SupportStatus::MoveOn) => task(
                "Assess recovery needs",
                tag("Not yet started", "govuk-tag--blue"),
                None,
            ),
            None => task("Assess recovery needs", None, Some("Cannot start yet")),
        };
        let decision = match latest {
            Some(r) if r.awaiting_decision() => task(
                "Home Office decision",
                tag(
                    if r.reconsideration_requested {
                        "Reconsideration requested"
                    } else {
                        "Waiting for decision"
                    },
                    "govuk-tag--yellow",
                ),
                None,
            )
            .with_hint(format!("Due {}", date(r.decision_due_on))),
            Some(r) => task(
                "Home Office decision",
                tag(
                    match r.decision {
                        Some(RnaDecision::Approved) => "Approved",
                        Some(RnaDecision::Shortened) => "Shortened",
                        _ => "Refused",
                    },
                    "",
                ),
                None,
            )
            .with_hint(format!("{} days granted", r.days_granted)),
            None => task("Home Office decision", None, Some("Cannot start yet")),
        };
        let plan = match (&st.transition_plan, latest) {
            (Some(actions), _) => {
                task("Transition plan", tag("Completed", ""), None).with_hint(match actions.len() {
                    1 => "1 action".to_owned(),
                    n => format!("{n} actions"),
                })
            }
            (None, Some(_)) => task(
                "Transition plan",
                tag("Not yet started", "govuk-tag--blue"),
                None,
            ),
            (None, None) => task("Transition plan", None, Some("Cannot start yet")),
        };
        task_list = TaskList::new([assess, decision, plan]).to_string();
        placements = st
            .placements
            .iter()
            .map(|pl| {
                (
                    words(pl.kind.code()),
                    date(pl.start),
                    pl.end.map(date).unwrap_or_else(|| "Placed now".to_owned()),
                )
            })
            .collect();
        let b = st.ledger.balance;
        ledger = vec![
            (
                "Due".to_owned(),
                format!("£{}", pounds(i64::try_from(b.due).unwrap_or(i64::MAX))),
            ),
            (
                "Paid".to_owned(),
                format!("£{}", pounds(i64::try_from(b.paid).unwrap_or(i64::MAX))),
            ),
            (
                "Adjustments".to_owned(),
                format!("£{}", pounds(b.adjustments)),
            ),
            ("Owed".to_owned(), format!("£{}", pounds(b.owed))),
        ];
    }
    let concerns = view
        .concerns
        .iter()
        .map(|c| ConcernRow {
            id: c.concern.id.to_string(),
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
            acknowledge: may_acknowledge
                && c.concern.escalated()
                && c.concern.acknowledged_at.is_none()
                && c.concern.open(),
        })
        .collect();
    let forms = super::forms::allowed(p, &facts, &s.status, view.state.as_ref(), uk_date(now))
        .into_iter()
        .map(|f| {
            (
                format!("/support/episodes/{}/record/{}", s.reference, f.slug),
                f.title.to_owned(),
            )
        })
        .collect();
    let payments = view
        .state
        .is_some()
        .then(|| format!("/support/episodes/{}/payments", s.reference));
    Ok(render(&EpisodePage {
        forms,
        payments,
        layout: layout(&signed_in, format!("Support for {}", s.reference)).back("/support"),
        reference: s.reference.clone(),
        rows,
        tags: overdue_tags(view.overdue),
        task_list,
        concerns,
        all_concerns: view.all_concerns,
        placements,
        ledger,
        may_raise_concern,
        form_token: signed_in.form_token.clone(),
        version: s.version,
    }))
}

trait WithHint {
    fn with_hint(self, hint: String) -> Self;
}

impl WithHint for TaskListItem {
    fn with_hint(mut self, hint: String) -> Self {
        self.hint = Some(TaskListText {
            text: Some(hint),
            ..Default::default()
        });
        self
    }
}

#[derive(Template)]
#[template(path = "support/concern.html")]
struct ConcernPage {
    layout: Layout,
    errors: String,
    action: String,
    fields: Vec<String>,
    form_token: String,
    version: u64,
    button: String,
}

fn radios(
    name: &str,
    legend: &str,
    options: &[(&str, String)],
    value: &str,
    errors: &Errors,
) -> String {
    Radios {
        fieldset: Some(Fieldset {
            legend: Some(Legend {
                text: Some(legend.to_owned()),
                classes: Some("govuk-fieldset__legend--m".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        error_message: errors.message(name, Lang::En),
        name: Some(name.to_owned()),
        items: options
            .iter()
            .map(|(v, text)| {
                Some(RadiosItem {
                    value: Some((*v).to_owned()),
                    text: Some(text.clone()),
                    checked: Some(*v == value),
                    ..Default::default()
                })
            })
            .collect(),
        ..Default::default()
    }
    .to_string()
}

fn concern_page(
    signed_in: &SignedIn,
    reference: &str,
    values: &form::Form,
    errors: &Errors,
    version: u64,
) -> ConcernPage {
    let kinds: Vec<(&str, String)> = ConcernKind::ALL
        .iter()
        .map(|k| (k.code(), words(k.code())))
        .collect();
    let severities: Vec<(&str, String)> = [Severity::Low, Severity::Medium, Severity::High]
        .iter()
        .map(|s| {
            (
                s.code(),
                if *s == Severity::High {
                    "High: escalated to the Home Office at once".to_owned()
                } else {
                    words(s.code())
                },
            )
        })
        .collect();
    ConcernPage {
        layout: layout(signed_in, "Raise a safeguarding concern")
            .back(format!("/support/episodes/{reference}"))
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: format!("/support/episodes/{reference}/concern"),
        fields: vec![
            radios(
                "kind",
                "What is the concern?",
                &kinds,
                form::value(values, "kind"),
                errors,
            ),
            radios(
                "severity",
                "How serious is it?",
                &severities,
                form::value(values, "severity"),
                errors,
            ),
            Textarea {
                name: Some("details".to_owned()),
                label: Some(Label {
                    text: Some("What happened".to_owned()),
                    classes: Some("govuk-label--m".to_owned()),
                    ..Default::default()
                }),
                value: Some(form::value(values, "details").to_owned()),
                error_message: errors.message("details", Lang::En),
                ..Default::default()
            }
            .to_string(),
            nrm_govuk::components::Input {
                name: Some("police_reference".to_owned()),
                label: Some(Label {
                    text: Some("Police reference (if the person is missing)".to_owned()),
                    ..Default::default()
                }),
                value: Some(form::value(values, "police_reference").to_owned()),
                error_message: errors.message("police_reference", Lang::En),
                classes: Some("govuk-input--width-20".to_owned()),
                ..Default::default()
            }
            .to_string(),
        ],
        form_token: signed_in.form_token.clone(),
        version,
        button: Button {
            text: Some("Raise concern".to_owned()),
            ..Button::default()
        }
        .to_string(),
    }
}

/// The form to raise a concern.
pub async fn concern_form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let (capability, _) =
        episode_capability(&state, &signed_in, &reference, SupportOperation::Record).await?;
    let version = state
        .cases
        .support()
        .version(&capability)
        .await
        .map_err(|_| PageError::Fault(Lang::En))?;
    Ok(render(&concern_page(
        &signed_in,
        &reference,
        &form::Form::new(),
        &Errors::default(),
        version,
    )))
}

/// The concern posted: recorded (a high one escalated at once), or shown back with errors.
pub async fn concern_submit(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Posted {
        signed_in, form, ..
    }: Posted,
) -> Result<Response, PageError> {
    let (capability, _) =
        episode_capability(&state, &signed_in, &reference, SupportOperation::Record).await?;
    let version: u64 = form::value(&form, "version").parse().unwrap_or(0);
    let mut errors = Errors::default();
    let kind = ConcernKind::parse(form::value(&form, "kind"));
    if kind.is_none() {
        errors.add("kind", "Select what the concern is");
    }
    let severity = Severity::parse(form::value(&form, "severity"));
    if severity.is_none() {
        errors.add("severity", "Select how serious it is");
    }
    let details = form::value(&form, "details").trim().to_owned();
    if details.is_empty() {
        errors.add("details", "Enter what happened");
    }
    let police = form::value(&form, "police_reference").trim().to_owned();
    if kind == Some(ConcernKind::GoingMissing) && police.is_empty() {
        errors.add(
            "police_reference",
            "Enter the police reference for the missing person report",
        );
    }
    let (Some(kind), Some(severity), true) = (kind, severity, errors.is_empty()) else {
        return Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &concern_page(&signed_in, &reference, &form, &errors, version),
        ));
    };
    let action = SupportAction::RaiseConcern {
        kind,
        severity,
        details,
        police_reference: (!police.is_empty()).then_some(police),
    };
    match support(&state)
        .act(&capability, Some(version), action, state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/support/episodes/{reference}")).into_response()),
        Err(ServiceError::Conflict { .. }) => {
            errors.add(
                "kind",
                "The record changed while you were writing. Check it, then raise the concern again",
            );
            Ok(render_status(
                StatusCode::CONFLICT,
                &concern_page(&signed_in, &reference, &form, &errors, version),
            ))
        }
        Err(ServiceError::Domain(e)) => {
            errors.add("kind", &e.to_string());
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &concern_page(&signed_in, &reference, &form, &errors, version),
            ))
        }
        Err(e) => Err(PageError::from_service(e, Lang::En)),
    }
}

/// The contract manager acknowledges an escalated concern.
pub async fn acknowledge(
    State(state): State<AppState>,
    Path((reference, concern)): Path<(String, Uuid)>,
    Posted {
        signed_in, form, ..
    }: Posted,
) -> Result<Response, PageError> {
    let (capability, _) = episode_capability(
        &state,
        &signed_in,
        &reference,
        SupportOperation::AcknowledgeConcern,
    )
    .await?;
    let version: u64 = form::value(&form, "version").parse().unwrap_or(0);
    support(&state)
        .act(
            &capability,
            Some(version),
            SupportAction::AcknowledgeConcern {
                concern: ConcernId(concern),
            },
            state.now(),
        )
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    Ok(Redirect::to(&format!("/support/episodes/{reference}")).into_response())
}
