//! The lifecycle of a case on its page: every action the access policy allows the caller on
//! the case (`forms::ACTIONS`), each a GOV.UK form, then a check page showing the answers back,
//! then the record. When the rules say no, the check page says which rule and from when, in
//! words, and nothing is recorded. A change made on a case that changed in the meantime is
//! refused, not applied over it. English only, like the rest of casework.
//!
//! `GET /cases/{reference}/actions/{action}` shows the form; posting it shows the check page;
//! posting that (`confirmed=yes`) records the action through `Cases::act`.

pub mod forms;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::{CaseCapability, CaseFacts, CaseOperation, Principal};
use nrm_domain::DomainError;
use nrm_domain::case::CaseState;
use nrm_domain::clock::uk_date;
use nrm_govuk::components::{
    Button, CharacterCount, DateInput, DateInputItem, ErrorMessage, Fieldset, Hint, Input, Label,
    Legend, Radios, RadiosItem, SummaryList, SummaryListRow,
};
use nrm_service::ServiceError;

use crate::AppState;
use crate::pages::casework::{authorise_case, date};
use crate::pages::errors::PageError;
use crate::pages::form::{self, Form};
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, render_status};
use crate::pages::session::{Posted, SignedIn};
use forms::{ActionForm, Answers, Input as Kind, Offered, Spec};

/// What the case's own state offers now, beyond the access facts: the questions that are
/// open on it (read from the case's events, not from the summary row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Open {
    /// The consent-to-support question offered at 18 and not yet answered.
    pub consent_to_support: bool,
    /// For a person referred again: whether another recovery period is appropriate (NABA
    /// 2022 s62), asked by a positive RG and not yet decided.
    pub additional_recovery: bool,
}

impl Open {
    pub fn of(state: &CaseState) -> Self {
        Self {
            consent_to_support: match state {
                CaseState::Referral(r) => nrm_domain::children::adulthood::consent_question_open(r),
                _ => false,
            },
            additional_recovery: matches!(state, CaseState::Referral(r)
                if r.additional_recovery.as_ref().is_some_and(|q| q.undecided())),
        }
    }

    /// Whether a form is offered only while its question is open.
    fn gates(slug: &str) -> bool {
        Self::default().offers(slug).is_some()
    }

    /// For a form offered only while its question is open: whether it is open now. `None`
    /// for every other form (the case's state is not read for them).
    fn offers(&self, slug: &str) -> Option<bool> {
        match slug {
            "consent-to-support" => Some(self.consent_to_support),
            "additional-recovery-period" => Some(self.additional_recovery),
            _ => None,
        }
    }
}

/// The actions `principal` may take on the case with `facts` and `open` questions, in the
/// page's order.
pub fn allowed(principal: &Principal, facts: &CaseFacts, open: Open) -> Vec<&'static ActionForm> {
    forms::ACTIONS
        .iter()
        .filter(|a| nrm_access::authorise_case(principal, a.operation, facts).is_ok())
        .filter(|a| {
            // A referrer asks for reconsideration in their own words; a deciding authority
            // records a request it received. Each sees only its own form.
            let decides =
                nrm_access::authorise_case(principal, CaseOperation::Manage, facts).is_ok();
            // A pilot panel's work only on its cases; the SCA's assurance only of them, by
            // the SCA (a panel member may review nothing of their own authority's).
            let pilot = facts.competent_authority
                == Some(nrm_domain::event::CompetentAuthority::LocalAuthorityPanel);
            match a.slug {
                "ask-reconsideration" => !decides,
                "request-reconsideration" => decides,
                "convene-panel" | "panel-papers" | "panel-decision" => pilot,
                "assure-panel-decision" => {
                    pilot && nrm_access::panels::assures(principal, CaseOperation::Review, facts)
                }
                slug => open.offers(slug).unwrap_or(true),
            }
        })
        .collect()
}

/// An action's question page (also the guardians' forms).
#[derive(Template)]
#[template(path = "lifecycle/form.html")]
pub(crate) struct FormPage {
    pub(crate) layout: Layout,
    pub(crate) errors: String,
    pub(crate) action: String,
    pub(crate) fields: Vec<String>,
    pub(crate) form_token: String,
    pub(crate) version: u64,
    pub(crate) button: String,
}

/// An action's check page before it is recorded (also the guardians' forms).
#[derive(Template)]
#[template(path = "lifecycle/check.html")]
pub(crate) struct CheckPage {
    pub(crate) layout: Layout,
    pub(crate) errors: String,
    pub(crate) action: String,
    pub(crate) summary: String,
    pub(crate) hidden: Vec<(String, String)>,
    pub(crate) form_token: String,
    pub(crate) button: String,
    pub(crate) change: String,
}

/// The action named in the address, and the capability for it on this case (anyone else: not
/// found, audited).
async fn authorised(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
    slug: &str,
) -> Result<(&'static ActionForm, CaseCapability, CaseFacts), PageError> {
    let form = forms::action(slug).ok_or(PageError::NotFound(Lang::En))?;
    let (capability, facts) = authorise_case(state, signed_in, reference, form.operation).await?;
    // Only the forms that depend on the case's state read it.
    let open = if Open::gates(form.slug) {
        let (read, _) = authorise_case(state, signed_in, reference, CaseOperation::Read).await?;
        let view = state
            .cases
            .view(&read, None, None, state.now())
            .await
            .map_err(|e| PageError::from_service(e, Lang::En))?;
        Open::of(&view.state)
    } else {
        Open::default()
    };
    if !allowed(&signed_in.principal, &facts, open).contains(&form) {
        return Err(PageError::NotFound(Lang::En));
    }
    Ok((form, capability, facts))
}

/// The case's version now and what it offers the form's dynamic questions.
async fn offered(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
    form: &ActionForm,
    capability: &CaseCapability,
) -> Result<(u64, Offered), PageError> {
    let (read, _) = authorise_case(state, signed_in, reference, CaseOperation::Read).await?;
    let now = state.now();
    let view = state
        .cases
        .view(&read, None, None, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let mut offered = Offered::default();
    for spec in form.fields.iter().filter(|s| s.input == Kind::Dynamic) {
        let choices = match spec.name {
            "request" => match &view.state {
                CaseState::Referral(r) => r
                    .information_requests
                    .iter()
                    .filter(|i| i.received_on.is_none())
                    .map(|i| {
                        (
                            i.request.to_string(),
                            format!(
                                "Requested on {}, due by {}",
                                date(i.requested_on),
                                date(i.due_on)
                            ),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            },
            "chair" | "first_member" | "second_member" if form.slug == "panel-review" => state
                .cases
                .assurance_panel_accounts(capability, now)
                .await
                .map_err(|e| PageError::from_service(e, Lang::En))?
                .into_iter()
                .map(|a| (a.id.0.to_string(), a.email))
                .collect(),
            "chair" | "social_care_member" | "police_member" | "health_member" => state
                .cases
                .panel_accounts(capability, now)
                .await
                .map_err(|e| PageError::from_service(e, Lang::En))?
                .into_iter()
                .map(|a| (a.id.0.to_string(), a.email))
                .collect(),
            "meeting" => match &view.state {
                CaseState::Referral(r) => {
                    let pending = nrm_domain::children::panel::pending_decision(r);
                    r.panel_meetings
                        .iter()
                        .filter(|m| !m.decided.iter().any(|(d, _)| Some(*d) == pending))
                        .map(|m| {
                            (
                                m.meeting.to_string(),
                                format!("Meeting on {}", date(m.meets_on)),
                            )
                        })
                        .collect()
                }
                _ => Vec::new(),
            },
            "to" => state
                .cases
                .caseworkers(capability, now)
                .await
                .map_err(|e| PageError::from_service(e, Lang::En))?
                .into_iter()
                .map(|c| (c.id.0.to_string(), c.email))
                .collect(),
            _ => Vec::new(),
        };
        offered.by_name.insert(spec.name, choices);
    }
    Ok((view.version, offered))
}

fn error_message(errors: &Errors, name: &str) -> Option<ErrorMessage> {
    errors.message(name, Lang::En)
}

fn hint(spec: &Spec) -> Option<Hint> {
    spec.hint.map(|h| Hint {
        text: Some(h.to_owned()),
        ..Hint::default()
    })
}

fn fieldset(text: &str) -> Fieldset {
    Fieldset {
        legend: Some(Legend {
            text: Some(text.to_owned()),
            classes: Some("govuk-fieldset__legend--m".to_owned()),
            ..Legend::default()
        }),
        ..Fieldset::default()
    }
}

fn radios(spec: &Spec, choices: &[(String, String)], current: &str, errors: &Errors) -> String {
    Radios {
        name: Some(spec.name.to_owned()),
        id_prefix: Some(spec.name.to_owned()),
        fieldset: Some(fieldset(spec.label)),
        hint: hint(spec),
        error_message: error_message(errors, spec.name),
        classes: (choices.len() == 2 && choices.iter().all(|(_, w)| w.len() < 12))
            .then(|| "govuk-radios--inline".to_owned()),
        items: choices
            .iter()
            .map(|(code, words)| {
                Some(RadiosItem {
                    value: Some(code.clone()),
                    text: Some(words.clone()),
                    checked: Some(code == current),
                    ..RadiosItem::default()
                })
            })
            .collect(),
        ..Radios::default()
    }
    .to_string()
}

/// A form's questions (the support and guardians' forms): each as [`field`] renders it, except
/// a dynamic one with nothing to offer, which says why in `nothing`'s words for its name.
pub(crate) fn fields_or_nothing(
    specs: &[Spec],
    answers: &Answers,
    offered: &Offered,
    errors: &Errors,
    nothing: fn(&str) -> &'static str,
) -> Vec<String> {
    specs
        .iter()
        .map(|spec| {
            if spec.input == Kind::Dynamic && offered.get(spec.name).is_empty() {
                format!(
                    "<p class=\"govuk-body\" id=\"{}\">There is nothing to choose: {}.</p>",
                    spec.name,
                    nothing(spec.name)
                )
            } else {
                field(spec, answers, offered, errors)
            }
        })
        .collect()
}

/// One question of the form, with its answer and error (the guardians' forms use it too).
pub(crate) fn field(spec: &Spec, answers: &Answers, offered: &Offered, errors: &Errors) -> String {
    let name = spec.name;
    let current = answers.get(name).cloned().unwrap_or_default();
    match spec.input {
        Kind::Date { .. } => {
            let part = |p: &str| {
                answers
                    .get(&format!("{name}-{p}"))
                    .cloned()
                    .unwrap_or_default()
            };
            let at_fault = |p: &str| {
                errors
                    .href_for(name)
                    .is_some_and(|href| href == format!("{name}-{p}") || href.ends_with("-day"))
            };
            let item = |p: &str, label: &str, width: &str| DateInputItem {
                id: Some(format!("{name}-{p}")),
                name: Some(format!("{name}-{p}")),
                label: Some(label.to_owned()),
                value: Some(part(p)),
                classes: Some(format!(
                    "{width}{}",
                    if at_fault(p) {
                        " govuk-input--error"
                    } else {
                        ""
                    }
                )),
                ..DateInputItem::default()
            };
            DateInput {
                id: Some(name.to_owned()),
                fieldset: Some(fieldset(spec.label)),
                hint: hint(spec),
                error_message: error_message(errors, name),
                items: vec![
                    Some(item("day", "Day", "govuk-input--width-2")),
                    Some(item("month", "Month", "govuk-input--width-2")),
                    Some(item("year", "Year", "govuk-input--width-4")),
                ],
                ..DateInput::default()
            }
            .to_string()
        }
        Kind::Choice(choices) => {
            let choices: Vec<(String, String)> = choices
                .iter()
                .map(|(c, w)| ((*c).to_owned(), (*w).to_owned()))
                .collect();
            radios(spec, &choices, &current, errors)
        }
        Kind::Dynamic => {
            let choices = offered.get(name);
            if choices.is_empty() {
                format!(
                    "<p class=\"govuk-body\" id=\"{name}\">There is nothing to choose: {}.</p>",
                    match name {
                        "request" => "no information request is waiting for a reply",
                        "chair" | "first_member" | "second_member" => {
                            "there are no active panel members' accounts"
                        }
                        _ => "your organisation has no active decision makers",
                    }
                )
            } else {
                radios(spec, choices, &current, errors)
            }
        }
        Kind::YesNo => radios(
            spec,
            &[
                ("yes".to_owned(), "Yes".to_owned()),
                ("no".to_owned(), "No".to_owned()),
            ],
            &current,
            errors,
        ),
        Kind::Text => Input {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            value: Some(current),
            label: Some(Label {
                text: Some(spec.label.to_owned()),
                classes: Some("govuk-label--m".to_owned()),
                ..Label::default()
            }),
            hint: hint(spec),
            error_message: error_message(errors, name),
            spellcheck: Some(false),
            ..Input::default()
        }
        .to_string(),
        Kind::LongText => CharacterCount {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            rows: Some("8".to_owned()),
            maxlength: Some(nrm_domain::personal::MAX_NARRATIVE_CHARS.to_string()),
            value: Some(current),
            label: Some(Label {
                text: Some(spec.label.to_owned()),
                classes: Some("govuk-label--m".to_owned()),
                ..Label::default()
            }),
            hint: hint(spec),
            error_message: error_message(errors, name),
            ..CharacterCount::default()
        }
        .to_string(),
    }
}

#[expect(clippy::too_many_arguments, reason = "the parts of one page")]
fn form_page(
    signed_in: &SignedIn,
    reference: &str,
    form: &ActionForm,
    answers: &Answers,
    offered: &Offered,
    errors: &Errors,
    version: u64,
    status: StatusCode,
) -> Response {
    let page = FormPage {
        layout: signed_in
            .layout(form.title)
            .casework()
            .back(format!("/cases/{reference}"))
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: format!("/cases/{reference}/actions/{}", form.slug),
        fields: form
            .fields
            .iter()
            .map(|spec| field(spec, answers, offered, errors))
            .collect(),
        form_token: signed_in.form_token.clone(),
        version,
        button: Button {
            text: Some("Continue".to_owned()),
            ..Button::default()
        }
        .to_string(),
    };
    render_status(status, &page)
}

/// An action's form.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((reference, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (form, capability, _) = authorised(&state, &signed_in, &reference, &slug).await?;
    let (version, offered) = offered(&state, &signed_in, &reference, form, &capability).await?;
    Ok(form_page(
        &signed_in,
        &reference,
        form,
        &Answers::new(),
        &offered,
        &Errors::default(),
        version,
        StatusCode::OK,
    ))
}

/// The answers as posted: every question's value, dates in their three parts.
fn answers(form: &ActionForm, posted: &Form) -> Answers {
    let mut answers = Answers::new();
    for spec in form.fields {
        match spec.input {
            Kind::Date { .. } => {
                for p in ["day", "month", "year"] {
                    let name = format!("{}-{p}", spec.name);
                    answers.insert(name.clone(), form::value(posted, &name).to_owned());
                }
            }
            _ => {
                answers.insert(
                    spec.name.to_owned(),
                    form::value(posted, spec.name).to_owned(),
                );
            }
        }
    }
    answers
}

/// What the rules said, as the check page's error: the refusal's own words (the rule and its
/// source), with dates in words.
pub fn refusal_words(error: &DomainError) -> String {
    match error {
        DomainError::Invalid(problems) => problems
            .iter()
            .map(|p| forms::dates_in_words(&p.message))
            .collect::<Vec<_>>()
            .join(". "),
        other => forms::dates_in_words(&other.to_string()),
    }
}

/// The form posted: shown again with its errors, shown back for checking, or, once checked,
/// recorded.
pub async fn submit(
    State(state): State<AppState>,
    Path((reference, slug)): Path<(String, String)>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let (form, capability, _) = authorised(&state, &signed_in, &reference, &slug).await?;
    let (current, offered) = offered(&state, &signed_in, &reference, form, &capability).await?;
    let version: u64 = form::value(&posted, "version").parse().unwrap_or(current);
    let answers = answers(form, &posted);
    let today = uk_date(state.now());
    let errors = forms::check(form, &answers, &offered, today);
    if !errors.is_empty() {
        return Ok(form_page(
            &signed_in,
            &reference,
            form,
            &answers,
            &offered,
            &errors,
            version,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let Some(action) = forms::build(form, &answers) else {
        return Err(PageError::Fault(Lang::En));
    };
    let check = |errors: &Errors, status: StatusCode| {
        render_status(
            status,
            &check_page(
                &signed_in, &reference, form, &answers, &offered, version, errors,
            ),
        )
    };
    if form::value(&posted, "confirmed") != "yes" {
        return Ok(check(&Errors::default(), StatusCode::OK));
    }
    match state
        .cases
        .act(&capability, Some(version), action, state.now())
        .await
    {
        Ok(_) => {
            // An action can take the case out of the caller's sight (an age assessment that
            // moves it to another authority): back to their queue then.
            let still_theirs = state
                .cases
                .case_facts(capability.case_id(), today)
                .await
                .ok()
                .flatten()
                .is_some_and(|facts| {
                    nrm_access::authorise_case(&signed_in.principal, CaseOperation::Read, &facts)
                        .is_ok()
                });
            if still_theirs {
                Ok(Redirect::to(&format!("/cases/{reference}?done={}", form.slug)).into_response())
            } else {
                Ok(Redirect::to("/cases").into_response())
            }
        }
        Err(ServiceError::Conflict { .. }) => {
            let mut errors = Errors::default();
            errors.add(
                "confirm",
                "The case changed while you were working on it. Go back to the case, check what changed, then try again",
            );
            Ok(check(&errors, StatusCode::CONFLICT))
        }
        Err(ServiceError::Domain(e)) => {
            let mut errors = Errors::default();
            errors.add("confirm", &refusal_words(&e));
            Ok(check(&errors, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(PageError::from_service(e, Lang::En)),
    }
}

fn check_page(
    signed_in: &SignedIn,
    reference: &str,
    form: &ActionForm,
    answers: &Answers,
    offered: &Offered,
    version: u64,
    errors: &Errors,
) -> CheckPage {
    let mut rows = vec![SummaryListRow::new("Case", reference)];
    rows.extend(
        form.fields.iter().map(|spec| {
            SummaryListRow::new(spec.label, forms::answer_words(spec, answers, offered))
        }),
    );
    let mut hidden: Vec<(String, String)> = answers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    hidden.push(("version".to_owned(), version.to_string()));
    hidden.push(("confirmed".to_owned(), "yes".to_owned()));
    CheckPage {
        layout: signed_in
            .layout(format!(
                "Check before you record: {}",
                lower_first(form.title)
            ))
            .casework()
            .back(format!("/cases/{reference}/actions/{}", form.slug))
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: format!("/cases/{reference}/actions/{}", form.slug),
        summary: SummaryList {
            rows,
            ..SummaryList::default()
        }
        .to_string(),
        hidden,
        form_token: signed_in.form_token.clone(),
        button: Button {
            text: Some(form.button.to_owned()),
            prevent_double_click: Some(true),
            attributes: nrm_govuk::components::Attributes::from_pairs([("id", "confirm")]),
            ..Button::default()
        }
        .to_string(),
        change: format!("/cases/{reference}/actions/{}", form.slug),
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}
