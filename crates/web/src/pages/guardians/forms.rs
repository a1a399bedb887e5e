//! The guardian's forms, as data like the case lifecycle's: each a GOV.UK form of
//! [`Spec`] questions, then a check page showing the answers back, then the record through the
//! guardian service. When the rules say no, the check page says which rule, in words, and
//! nothing is recorded.
//!
//! `GET /guardians/children/{reference}/{form}` shows the form; posting it shows the check
//! page; posting that (`confirmed=yes`) records it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::CaseOperation;
use nrm_access::Principal;
use nrm_access::children::{
    GuardianCapability, GuardianFacts, GuardianOperation, GuardianServiceOperation,
    authorise_case_for_guardian, authorise_guardian, authorise_guardian_service,
};
use nrm_domain::children::guardian::GuardianState;
use nrm_domain::clock::uk_date;
use nrm_domain::event::DecisionRef;
use nrm_domain::ids::UserId;
use nrm_govuk::components::{Button, SummaryList, SummaryListRow};
use nrm_service::ServiceError;
use nrm_service::guardians::GuardianAction;
use serde::de::DeserializeOwned;

use super::{episode_capability, layout, words};
use crate::AppState;
use crate::api::guardians::guardians;
use crate::pages::errors::PageError;
use crate::pages::form::{self, Form};
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, render_status};
use crate::pages::lifecycle::forms::{
    Answers, Input, Offered, Spec, answer_words, check_fields, date_answer,
};
use crate::pages::lifecycle::{CheckPage, FormPage, fields_or_nothing, refusal_words};
use crate::pages::session::{Posted, SignedIn};

/// One guardian form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardianForm {
    /// `/guardians/children/{reference}/{slug}`.
    pub slug: &'static str,
    /// The link on the child's page and the form's heading.
    pub title: &'static str,
    /// The check page's button.
    pub button: &'static str,
    /// What the child's page says once it is recorded.
    pub done: &'static str,
    pub operation: GuardianOperation,
    pub fields: &'static [Spec],
}

const fn date(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: Some("For example, 27 3 2026"),
        input: Input::Date { future: false },
        required: true,
    }
}

const fn later(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: Some("For example, 27 3 2026"),
        input: Input::Date { future: true },
        required: true,
    }
}

const fn choice(
    name: &'static str,
    label: &'static str,
    choices: &'static [(&'static str, &'static str)],
) -> Spec {
    Spec {
        name,
        label,
        hint: None,
        input: Input::Choice(choices),
        required: true,
    }
}

const fn dynamic(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: None,
        input: Input::Dynamic,
        required: true,
    }
}

const fn yes_no(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: None,
        input: Input::YesNo,
        required: true,
    }
}

const fn words_field(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    required: bool,
) -> Spec {
    Spec {
        name,
        label,
        hint: Some(hint),
        input: Input::LongText,
        required,
    }
}

const ENCRYPTED: &str = "Stored encrypted; only the child's guardian can read it";

/// Every form, in the order the child's page lists them.
pub const FORMS: &[GuardianForm] = &[
    GuardianForm {
        slug: "allocate",
        title: "Allocate a guardian",
        button: "Allocate",
        done: "Guardian allocated",
        operation: GuardianOperation::Allocate,
        fields: &[
            yes_no(
                "parental_responsibility",
                "Does anyone hold parental responsibility for the child in the UK?",
            ),
            choice(
                "role",
                "Which guardian role?",
                &[
                    (
                        "direct_worker",
                        "Direct Worker (no one holds parental responsibility in the UK)",
                    ),
                    (
                        "regional_practice_coordinator",
                        "Regional Practice Coordinator (someone holds parental responsibility)",
                    ),
                    (
                        "regional_practitioner",
                        "Regional Practitioner (parental responsibility, exceptional need)",
                    ),
                    ("post_18_worker", "Post-18 worker (after the 18th birthday)"),
                ],
            ),
            yes_no(
                "exceptional_need",
                "Is there exceptional need for one-to-one support?",
            ),
            dynamic("worker", "Who will be the child's guardian?"),
            date("on", "Date of allocation"),
        ],
    },
    GuardianForm {
        slug: "contact",
        title: "Record a contact",
        button: "Record contact",
        done: "Contact recorded",
        operation: GuardianOperation::Record,
        fields: &[
            choice(
                "kind",
                "How was the contact?",
                &[
                    ("face_to_face", "Face to face"),
                    ("phone", "Phone"),
                    ("video", "Video call"),
                    ("with_professional", "With a professional about the child"),
                    ("attempted", "Tried, but did not reach them"),
                ],
            ),
            date("on", "Date of the contact"),
            words_field("notes", "Notes", ENCRYPTED, true),
        ],
    },
    GuardianForm {
        slug: "professional",
        title: "Add a professional around the child",
        button: "Add professional",
        done: "Professional added",
        operation: GuardianOperation::Record,
        fields: &[
            choice(
                "role",
                "Who are they?",
                &[
                    ("social_worker", "Social worker"),
                    ("police", "Police"),
                    ("legal", "Legal representative"),
                    ("health", "Health"),
                    ("education", "Education"),
                    ("immigration", "Immigration"),
                    ("foster_carer", "Foster carer"),
                    ("other", "Someone else"),
                ],
            ),
            words_field(
                "details",
                "Name, organisation and how to reach them",
                ENCRYPTED,
                true,
            ),
            date("on", "Date they started working with the child"),
        ],
    },
    GuardianForm {
        slug: "remove-professional",
        title: "A professional has stopped working with the child",
        button: "Record",
        done: "Professional removed",
        operation: GuardianOperation::Record,
        fields: &[
            dynamic("professional", "Who has stopped?"),
            date("on", "Date they stopped"),
        ],
    },
    GuardianForm {
        slug: "advocacy",
        title: "Start an advocacy action",
        button: "Record action",
        done: "Advocacy action recorded",
        operation: GuardianOperation::Record,
        fields: &[
            choice(
                "kind",
                "What is it about?",
                &[
                    ("nrm_decision", "The NRM decision"),
                    ("immigration", "Immigration"),
                    ("criminal_justice", "Criminal justice"),
                    ("social_care", "Social care"),
                    ("accommodation", "Accommodation"),
                    ("education", "Education"),
                    ("health", "Health"),
                    ("other", "Something else"),
                ],
            ),
            words_field(
                "details",
                "What are you doing, and with whom?",
                ENCRYPTED,
                true,
            ),
            date("on", "Date started"),
            later("review_on", "When will you follow it up?"),
        ],
    },
    GuardianForm {
        slug: "outcome",
        title: "Record an advocacy outcome",
        button: "Record outcome",
        done: "Outcome recorded",
        operation: GuardianOperation::Record,
        fields: &[
            dynamic("action", "Which action?"),
            choice(
                "outcome",
                "What came of it?",
                &[
                    ("achieved", "Achieved"),
                    ("partly_achieved", "Partly achieved"),
                    ("not_achieved", "Not achieved"),
                    ("no_longer_needed", "No longer needed"),
                ],
            ),
            words_field("details", "What happened", ENCRYPTED, true),
            date("on", "Date of the outcome"),
        ],
    },
    GuardianForm {
        slug: "reconsideration",
        title: "Ask for a decision to be reconsidered for the child",
        button: "Send request",
        done: "Reconsideration requested",
        operation: GuardianOperation::Record,
        fields: &[
            choice(
                "decision",
                "Which decision should be reconsidered?",
                &[
                    ("reasonable_grounds", "Reasonable Grounds"),
                    ("conclusive_grounds", "Conclusive Grounds"),
                ],
            ),
            words_field(
                "grounds",
                "Why should it be looked at again?",
                ENCRYPTED,
                true,
            ),
            date("on", "Date of the request"),
            later("review_on", "When will you follow it up?"),
            yes_no("facing_removal", "Is the child facing removal from the UK?"),
        ],
    },
    GuardianForm {
        slug: "consent",
        title: "Consent to adult support",
        button: "Record answer",
        done: "Answer recorded",
        operation: GuardianOperation::Record,
        fields: &[
            yes_no(
                "consents",
                "Does the young person consent to being referred for adult victim support?",
            ),
            date("on", "Date they answered"),
        ],
    },
    GuardianForm {
        slug: "close",
        title: "Close the guardian's work with this child",
        button: "Close",
        done: "Closed",
        operation: GuardianOperation::Close,
        fields: &[
            choice(
                "reason",
                "Why is it closing?",
                &[
                    ("returned_home", "The child has returned home"),
                    (
                        "lost_contact",
                        "Contact is lost: the child is missing (give the police reference)",
                    ),
                    (
                        "moved_out_of_area",
                        "The child has moved out of every covered area",
                    ),
                    (
                        "assessed_adult",
                        "An age assessment found them to be an adult",
                    ),
                    ("turned_eighteen", "They have turned 18"),
                    ("post_18_support_ended", "Post-18 support has ended"),
                ],
            ),
            Spec {
                name: "missing_person_reference",
                label: "Missing-person reference",
                hint: Some(
                    "The police reference for the missing person report, if contact is lost",
                ),
                input: Input::Text,
                required: false,
            },
            words_field("details", "Anything to add", ENCRYPTED, false),
            date("on", "Date of closure"),
        ],
    },
];

/// The form with this address.
pub fn form(slug: &str) -> Option<&'static GuardianForm> {
    FORMS.iter().find(|f| f.slug == slug)
}

/// The forms `principal` may use on the episode in `state`, in the page's order.
pub fn allowed(
    principal: &Principal,
    facts: &GuardianFacts,
    state: &GuardianState,
) -> Vec<&'static GuardianForm> {
    use nrm_domain::children::guardian::GuardianStatus as S;
    let open = state.open();
    FORMS
        .iter()
        .filter(|f| authorise_guardian(principal, f.operation, facts).is_ok())
        .filter(|f| match f.slug {
            "allocate" => open && state.status != Some(S::Turned18),
            "contact" | "advocacy" | "professional" | "reconsideration" => {
                open && state.worker.is_some()
            }
            "remove-professional" => open && state.current_professionals().next().is_some(),
            "outcome" => open && state.advocacy.iter().any(|a| a.outcome.is_none()),
            "consent" => {
                open && state.consent_offered_on.is_some() && state.consents_to_support.is_none()
            }
            "close" => open,
            _ => false,
        })
        .collect()
}

/// The form named in the address and the capability for it (anyone else: not found).
async fn authorised(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
    slug: &str,
) -> Result<(&'static GuardianForm, GuardianCapability, GuardianFacts), PageError> {
    let f = form(slug).ok_or(PageError::NotFound(Lang::En))?;
    let (capability, facts) = episode_capability(state, signed_in, reference, f.operation).await?;
    Ok((f, capability, facts))
}

/// The episode now (its version and state) and what it offers the form's dynamic questions.
async fn offered(
    state: &AppState,
    signed_in: &SignedIn,
    f: &GuardianForm,
    facts: &GuardianFacts,
) -> Result<(u64, Offered), PageError> {
    let p = &signed_in.principal;
    let now = state.now();
    let service = guardians(state);
    let fault = |e| PageError::from_service(e, Lang::En);
    let read = authorise_guardian(p, GuardianOperation::Read, facts)
        .map_err(|_| PageError::NotFound(Lang::En))?;
    let view = service.view(&read, now).await.map_err(fault)?;
    if !allowed(p, facts, &view.state).contains(&f) {
        return Err(PageError::NotFound(Lang::En));
    }
    let notes = match authorise_guardian(p, GuardianOperation::ReadNotes, facts) {
        Ok(c) if f.fields.iter().any(|s| s.input == Input::Dynamic) => {
            service.notes(&c, now).await.map_err(fault)?
        }
        _ => Default::default(),
    };
    let first_line = |record| {
        notes
            .get(&record)
            .and_then(|n: &String| n.lines().next())
            .map(|l| l.chars().take(80).collect::<String>())
            .unwrap_or_default()
    };
    let mut offered = Offered::default();
    for spec in f.fields.iter().filter(|s| s.input == Input::Dynamic) {
        let choices = match spec.name {
            "worker" => {
                let list = authorise_guardian_service(p, GuardianServiceOperation::ListWorkers)
                    .map_err(|_| PageError::NotFound(Lang::En))?;
                service
                    .workers(&list, now)
                    .await
                    .map_err(fault)?
                    .into_iter()
                    .map(|w| (w.id.0.to_string(), w.email))
                    .collect()
            }
            "action" => view
                .state
                .advocacy
                .iter()
                .filter(|a| a.outcome.is_none())
                .map(|a| {
                    (
                        a.id.to_string(),
                        format!(
                            "{} (started {}): {}",
                            words(a.kind.code()),
                            Lang::En.long_date(a.started_on),
                            first_line(a.details)
                        ),
                    )
                })
                .collect(),
            "professional" => view
                .state
                .current_professionals()
                .map(|pr| {
                    (
                        pr.id.to_string(),
                        format!("{}: {}", words(pr.role.code()), first_line(pr.details)),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        offered.by_name.insert(spec.name, choices);
    }
    Ok((view.summary.version, offered))
}

/// Why a dynamic question offers nothing.
fn nothing_to_choose(name: &str) -> &'static str {
    match name {
        "worker" => "the service has no active guardians",
        "action" => "no advocacy action is open",
        _ => "nobody is recorded",
    }
}

#[expect(clippy::too_many_arguments, reason = "the parts of one page")]
fn form_page(
    signed_in: &SignedIn,
    reference: &str,
    f: &GuardianForm,
    answers: &Answers,
    offered: &Offered,
    errors: &Errors,
    version: u64,
    status: StatusCode,
) -> Response {
    let page = FormPage {
        layout: layout(signed_in, f.title)
            .back(format!("/guardians/children/{reference}"))
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: format!("/guardians/children/{reference}/{}", f.slug),
        fields: fields_or_nothing(f.fields, answers, offered, errors, nothing_to_choose),
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

/// A form.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((reference, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (f, _, facts) = authorised(&state, &signed_in, &reference, &slug).await?;
    let (version, offered) = offered(&state, &signed_in, f, &facts).await?;
    Ok(form_page(
        &signed_in,
        &reference,
        f,
        &Answers::new(),
        &offered,
        &Errors::default(),
        version,
        StatusCode::OK,
    ))
}

fn value<'a>(answers: &'a Answers, name: &str) -> &'a str {
    answers.get(name).map_or("", |v| v.as_str())
}

/// The answers as posted: every question's value, dates in their three parts.
fn answers(f: &GuardianForm, posted: &Form) -> Answers {
    let mut answers = Answers::new();
    for spec in f.fields {
        match spec.input {
            Input::Date { .. } => {
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

/// A code as one of the domain's snake_case enums.
fn code<T: DeserializeOwned>(answers: &Answers, name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(
        value(answers, name).trim().to_owned(),
    ))
    .ok()
}

fn yes(answers: &Answers, name: &str) -> bool {
    value(answers, name) == "yes"
}

fn text(answers: &Answers, name: &str) -> String {
    value(answers, name).trim().to_owned()
}

fn uuid(answers: &Answers, name: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(value(answers, name).trim()).ok()
}

/// Checks a form's own rules beyond each question's (a missing-person reference when contact
/// is lost).
fn check_more(f: &GuardianForm, answers: &Answers, errors: &mut Errors) {
    if f.slug == "close"
        && value(answers, "reason") == "lost_contact"
        && text(answers, "missing_person_reference").is_empty()
    {
        errors.add(
            "missing_person_reference",
            "Enter the police reference for the missing person report",
        );
    }
}

/// What a checked form asks for: a change to the episode, or a reconsideration.
enum Built {
    Change(GuardianAction),
    Reconsideration {
        decision: DecisionRef,
        grounds: String,
        on: chrono::NaiveDate,
        review_on: chrono::NaiveDate,
        facing_removal: bool,
    },
}

fn build(f: &GuardianForm, answers: &Answers) -> Option<Built> {
    let on = |name: &str| date_answer(answers, name);
    Some(Built::Change(match f.slug {
        "allocate" => GuardianAction::Allocate {
            worker: UserId(uuid(answers, "worker")?),
            role: code(answers, "role")?,
            parental_responsibility_in_uk: yes(answers, "parental_responsibility"),
            exceptional_need: yes(answers, "exceptional_need"),
            on: on("on")?,
        },
        "contact" => GuardianAction::RecordContact {
            kind: code(answers, "kind")?,
            on: on("on")?,
            notes: text(answers, "notes"),
        },
        "professional" => GuardianAction::AddProfessional {
            role: code(answers, "role")?,
            details: text(answers, "details"),
            on: on("on")?,
        },
        "remove-professional" => GuardianAction::RemoveProfessional {
            professional: uuid(answers, "professional")?,
            on: on("on")?,
        },
        "advocacy" => GuardianAction::StartAdvocacy {
            kind: code(answers, "kind")?,
            on: on("on")?,
            details: text(answers, "details"),
            review_on: on("review_on")?,
        },
        "outcome" => GuardianAction::ConcludeAdvocacy {
            action: uuid(answers, "action")?,
            outcome: code(answers, "outcome")?,
            on: on("on")?,
            details: text(answers, "details"),
        },
        "consent" => GuardianAction::AnswerConsentToSupport {
            on: on("on")?,
            consents: yes(answers, "consents"),
        },
        "close" => GuardianAction::Close {
            on: on("on")?,
            reason: code(answers, "reason")?,
            missing_person_reference: Some(text(answers, "missing_person_reference"))
                .filter(|s| !s.is_empty()),
            details: Some(text(answers, "details")).filter(|s| !s.is_empty()),
        },
        "reconsideration" => {
            return Some(Built::Reconsideration {
                decision: code(answers, "decision")?,
                grounds: text(answers, "grounds"),
                on: on("on")?,
                review_on: on("review_on")?,
                facing_removal: yes(answers, "facing_removal"),
            });
        }
        _ => return None,
    }))
}

fn check_page(
    signed_in: &SignedIn,
    reference: &str,
    f: &GuardianForm,
    answers: &Answers,
    offered: &Offered,
    version: u64,
    errors: &Errors,
) -> CheckPage {
    let mut rows = vec![SummaryListRow::new("Case", reference)];
    rows.extend(
        f.fields
            .iter()
            .filter(|spec| spec.required || !value(answers, spec.name).trim().is_empty())
            .map(|spec| SummaryListRow::new(spec.label, answer_words(spec, answers, offered))),
    );
    let mut hidden: Vec<(String, String)> = answers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    hidden.push(("version".to_owned(), version.to_string()));
    hidden.push(("confirmed".to_owned(), "yes".to_owned()));
    CheckPage {
        layout: layout(signed_in, format!("Check before you record: {}", f.title))
            .back(format!("/guardians/children/{reference}/{}", f.slug))
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: format!("/guardians/children/{reference}/{}", f.slug),
        summary: SummaryList {
            rows,
            ..SummaryList::default()
        }
        .to_string(),
        hidden,
        form_token: signed_in.form_token.clone(),
        button: Button {
            text: Some(f.button.to_owned()),
            prevent_double_click: Some(true),
            attributes: nrm_govuk::components::Attributes::from_pairs([("id", "confirm")]),
            ..Button::default()
        }
        .to_string(),
        change: format!("/guardians/children/{reference}/{}", f.slug),
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
    let (f, capability, facts) = authorised(&state, &signed_in, &reference, &slug).await?;
    let (current, offered) = offered(&state, &signed_in, f, &facts).await?;
    let version: u64 = form::value(&posted, "version").parse().unwrap_or(current);
    let answers = answers(f, &posted);
    let now = state.now();
    let mut errors = check_fields(f.fields, &answers, &offered, uk_date(now));
    check_more(f, &answers, &mut errors);
    if !errors.is_empty() {
        return Ok(form_page(
            &signed_in,
            &reference,
            f,
            &answers,
            &offered,
            &errors,
            version,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let Some(built) = build(f, &answers) else {
        return Err(PageError::Fault(Lang::En));
    };
    let check = |errors: &Errors, status: StatusCode| {
        render_status(
            status,
            &check_page(
                &signed_in, &reference, f, &answers, &offered, version, errors,
            ),
        )
    };
    if form::value(&posted, "confirmed") != "yes" {
        return Ok(check(&Errors::default(), StatusCode::OK));
    }
    let result = record(&state, &signed_in, &capability, &facts, version, built).await;
    match result {
        Ok(()) => Ok(
            Redirect::to(&format!("/guardians/children/{reference}?done={}", f.slug))
                .into_response(),
        ),
        Err(ServiceError::Conflict { .. }) => {
            let mut errors = Errors::default();
            errors.add(
                "confirm",
                "The record changed while you were working on it. Go back to the child's page, check what changed, then try again",
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

async fn record(
    state: &AppState,
    signed_in: &SignedIn,
    capability: &GuardianCapability,
    facts: &GuardianFacts,
    version: u64,
    built: Built,
) -> Result<(), ServiceError> {
    let now = state.now();
    let service = guardians(state);
    match built {
        Built::Change(action) => service
            .change(capability, Some(version), action, now)
            .await
            .map(|_| ()),
        Built::Reconsideration {
            decision,
            grounds,
            on,
            review_on,
            facing_removal,
        } => {
            let case = state
                .cases
                .case_facts(facts.case_id, uk_date(now))
                .await?
                .ok_or(ServiceError::NotFound)?;
            let ask = authorise_case_for_guardian(
                &signed_in.principal,
                CaseOperation::RequestReconsideration,
                facts,
                &case,
            )
            .map_err(|_| ServiceError::NotFound)?;
            service
                .request_reconsideration(
                    &state.cases,
                    capability,
                    &ask,
                    Some(version),
                    decision,
                    on,
                    grounds,
                    facing_removal,
                    review_on,
                    now,
                )
                .await
                .map(|_| ())
        }
    }
}
