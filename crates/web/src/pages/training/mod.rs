//! First Responder training (issue 11 item 6): a short course of GOV.UK pages inside the
//! service, its questions with a pass mark, and the completion records. The course (pages,
//! questions, pass mark, reminder period) is the training rulebook's
//! (`crates/domain/rulebook/training.json`); each attempt and each record is the training
//! service's, audited. English only, like casework.
//!
//! - `GET /training`: where the caller stands (not trained, trained until a day, due again) and
//!   the course's pages;
//! - `GET /training/{page}`: one page of the course;
//! - `GET|POST /training/questions`: the questions; a pass is recorded with the course version;
//! - `GET /training/records`: who in the organisation is trained (FRO administrators; the
//!   service's administrators choose an organisation).
//!
//! [`nudge`] is the banner the First Responder start page shows an untrained First Responder,
//! in English or Welsh like the start page (the course pages stay English only: the course text
//! is the training rulebook's and has no Welsh yet).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use nrm_access::{Operation, OrganisationKind};
use nrm_domain::ids::OrganisationId;
use nrm_domain::training::{Course, Standing};
use nrm_govuk::components::attributes::escape;
use nrm_govuk::components::{
    Button, Fieldset, Legend, NotificationBanner, Panel, Radios, RadiosItem, Table, TableCell, Tag,
};
use serde::Deserialize;

use crate::AppState;
use crate::pages::administration::role_words;
use crate::pages::authorise::authorise;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::form;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, Section, render_status};
use crate::pages::session::{Posted, SignedIn};

/// A page of this part of the service: a title, an error summary and its body.
#[derive(Template)]
#[template(path = "training/page.html")]
struct Page {
    layout: Layout,
    width: &'static str,
    errors: String,
    body: String,
}

fn layout(signed_in: &SignedIn, title: &str, section: Section) -> Layout {
    let mut layout = signed_in.layout(title).section(section);
    layout.bilingual = false;
    layout.lang = Lang::En;
    layout
}

fn page(layout: Layout, errors: &Errors, body: String, status: StatusCode) -> Response {
    render_status(
        status,
        &Page {
            layout: layout.errors(errors),
            width: "two-thirds",
            errors: errors.summary(Lang::En),
            body,
        },
    )
}

fn p(text: &str) -> String {
    format!("<p class=\"govuk-body\">{}</p>", escape(text))
}

fn link(href: &str, text: &str) -> String {
    format!(
        "<a class=\"govuk-link\" href=\"{}\">{}</a>",
        escape(href),
        escape(text)
    )
}

/// Where someone stands, in words.
fn standing_words(standing: Standing, latest: Option<(&str, &str)>) -> String {
    match (standing, latest) {
        (Standing::Trained { due_again_on }, Some((on, version))) => format!(
            "You completed the training on {on} (course version {version}). It is due again on {}.",
            date(due_again_on)
        ),
        (Standing::DueAgain { since }, Some((on, version))) => format!(
            "You completed the training on {on} (course version {version}). It has been due again since {}: take the course again.",
            date(since)
        ),
        _ => "You have not completed the training yet.".to_owned(),
    }
}

fn section_section(signed_in: &SignedIn) -> Section {
    if crate::pages::layout::refers(&signed_in.principal) {
        Section::Referrals
    } else {
        Section::Administration
    }
}

/// The course's start page.
pub async fn start(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::TakeTraining).await?;
    let now = state.now();
    let training = state.cases.training();
    let status = training
        .status(&capability, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let course = training.course(now);
    let on = status.latest.as_ref().map(|c| date(c.completed_on()));
    let mut body = String::new();
    let words = standing_words(
        status.standing,
        on.as_deref()
            .zip(status.latest.as_ref().map(|c| c.course_version.as_str())),
    );
    body.push_str(&match status.standing {
        Standing::Trained { .. } => p(&words),
        _ => format!(
            "<div class=\"govuk-inset-text\" id=\"training-status\">{}</div>",
            escape(&words)
        ),
    });
    body.push_str(&p(&format!(
        "First Responders must be trained before they refer. This course has {} short pages and {} questions. To pass, answer at least {}% of the questions correctly. The training is due again {} days after you pass.",
        course.sections.len(),
        course.questions.len(),
        course.pass_mark_percent,
        course.reminder_days
    )));
    body.push_str(
        "<h2 class=\"govuk-heading-m\">The course</h2><ol class=\"govuk-list govuk-list--number\">",
    );
    for s in &course.sections {
        body.push_str(&format!(
            "<li>{}</li>",
            link(&format!("/training/{}", s.slug), &s.title)
        ));
    }
    body.push_str(&format!(
        "<li>{}</li></ol>",
        link("/training/questions", "Questions")
    ));
    if let Some(first) = course.sections.first() {
        body.push_str(
            &Button {
                text: Some("Start the course".to_owned()),
                href: Some(format!("/training/{}", first.slug)),
                is_start_button: true,
                ..Button::default()
            }
            .to_string(),
        );
    }
    if nrm_access::authorise(&signed_in.principal, Operation::ReadTrainingRecords).is_ok() {
        body.push_str(&format!(
            "<p class=\"govuk-body\">{}</p>",
            link(
                "/training/records",
                "See who in your organisation is trained"
            )
        ));
    }
    Ok(page(
        layout(
            &signed_in,
            "First Responder training",
            section_section(&signed_in),
        ),
        &Errors::default(),
        body,
        StatusCode::OK,
    ))
}

/// One page of the course.
pub async fn section(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    authorise(&state, &signed_in, Operation::TakeTraining).await?;
    let course = state.cases.training().course(state.now());
    let index = course
        .sections
        .iter()
        .position(|s| s.slug == slug)
        .ok_or(PageError::NotFound(Lang::En))?;
    let section = &course.sections[index];
    let mut body = format!(
        "<span class=\"govuk-caption-m\">Page {} of {}</span>",
        index + 1,
        course.sections.len()
    );
    for paragraph in &section.paragraphs {
        body.push_str(&p(paragraph));
    }
    let (next, words) = match course.sections.get(index + 1) {
        Some(next) => (format!("/training/{}", next.slug), "Continue"),
        None => ("/training/questions".to_owned(), "Go to the questions"),
    };
    body.push_str(
        &Button {
            text: Some(words.to_owned()),
            href: Some(next),
            ..Button::default()
        }
        .to_string(),
    );
    let back = match index {
        0 => "/training".to_owned(),
        i => format!("/training/{}", course.sections[i - 1].slug),
    };
    Ok(page(
        layout(&signed_in, &section.title, section_section(&signed_in)).back(back),
        &Errors::default(),
        body,
        StatusCode::OK,
    ))
}

fn questions_body(
    signed_in: &SignedIn,
    course: &Course,
    answers: &BTreeMap<String, String>,
    errors: &Errors,
) -> String {
    let mut body = p(&format!(
        "Answer every question. To pass, answer at least {}% correctly.",
        course.pass_mark_percent
    ));
    body.push_str(&format!(
        "<form method=\"post\" action=\"/training/questions\" novalidate><input type=\"hidden\" name=\"form_token\" value=\"{}\">",
        escape(&signed_in.form_token)
    ));
    for (i, q) in course.questions.iter().enumerate() {
        let current = answers.get(&q.id).map(String::as_str).unwrap_or_default();
        body.push_str(
            &Radios {
                name: Some(q.id.clone()),
                id_prefix: Some(q.id.clone()),
                fieldset: Some(Fieldset {
                    legend: Some(Legend {
                        text: Some(format!("{}. {}", i + 1, q.text)),
                        classes: Some("govuk-fieldset__legend--s".to_owned()),
                        ..Legend::default()
                    }),
                    ..Fieldset::default()
                }),
                error_message: errors.message(&q.id, Lang::En),
                items: q
                    .options
                    .iter()
                    .map(|o| {
                        Some(RadiosItem {
                            value: Some(o.code.clone()),
                            text: Some(o.text.clone()),
                            checked: Some(o.code == current),
                            ..RadiosItem::default()
                        })
                    })
                    .collect(),
                ..Radios::default()
            }
            .to_string(),
        );
    }
    body.push_str(
        &Button {
            text: Some("Submit your answers".to_owned()),
            prevent_double_click: Some(true),
            attributes: nrm_govuk::components::Attributes::from_pairs([("id", "submit-answers")]),
            ..Button::default()
        }
        .to_string(),
    );
    body.push_str("</form>");
    body
}

/// The questions.
pub async fn questions(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    authorise(&state, &signed_in, Operation::TakeTraining).await?;
    let course = state.cases.training().course(state.now());
    let back = course
        .sections
        .last()
        .map_or("/training".to_owned(), |s| format!("/training/{}", s.slug));
    Ok(page(
        layout(&signed_in, "Questions", section_section(&signed_in)).back(back),
        &Errors::default(),
        questions_body(&signed_in, course, &BTreeMap::new(), &Errors::default()),
        StatusCode::OK,
    ))
}

/// The answers posted: every question answered is marked (a pass recorded), else the
/// questions again with their errors.
pub async fn answer(
    State(state): State<AppState>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::TakeTraining).await?;
    let now = state.now();
    let training = state.cases.training();
    let course = training.course(now);
    let answers: BTreeMap<String, String> = course
        .questions
        .iter()
        .map(|q| (q.id.clone(), form::value(&posted, &q.id).to_owned()))
        .filter(|(_, a)| !a.is_empty())
        .collect();
    let mut errors = Errors::default();
    for (i, q) in course.questions.iter().enumerate() {
        if !answers.contains_key(&q.id) {
            errors.add(&q.id, &format!("Answer question {}", i + 1));
        }
    }
    if !errors.is_empty() {
        return Ok(page(
            layout(&signed_in, "Questions", section_section(&signed_in)),
            &errors,
            questions_body(&signed_in, course, &answers, &errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let marked = training
        .attempt(&capability, &answers, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let mut body = String::new();
    let title = if marked.passed {
        body.push_str(
            &Panel {
                heading_level: Some(2),
                title_text: Some("You have passed".to_owned()),
                text: Some(format!(
                    "You answered {} of {} questions correctly",
                    marked.correct, marked.total
                )),
                ..Panel::default()
            }
            .to_string(),
        );
        body.push_str(&p(&format!(
            "Your completion is recorded with today's date and course version {}. The training is due again in {} days.",
            course.course_version, course.reminder_days
        )));
        body.push_str(&format!(
            "<p class=\"govuk-body\">{}</p>",
            link("/", "Go to your home page")
        ));
        "You have passed the training"
    } else {
        body.push_str(&p(&format!(
            "You answered {} of {} questions correctly. To pass you need at least {}%.",
            marked.correct, marked.total, course.pass_mark_percent
        )));
        body.push_str("<h2 class=\"govuk-heading-m\">Questions to look at again</h2><ul class=\"govuk-list govuk-list--bullet\">");
        for id in &marked.wrong {
            if let Some(q) = course.questions.iter().find(|q| &q.id == id) {
                body.push_str(&format!("<li>{}</li>", escape(&q.text)));
            }
        }
        body.push_str("</ul>");
        body.push_str(&format!(
            "<p class=\"govuk-body\">{} or {}.</p>",
            link("/training", "Read the course again"),
            link("/training/questions", "try the questions again")
        ));
        "You did not pass this time"
    };
    Ok(page(
        layout(&signed_in, title, section_section(&signed_in)),
        &Errors::default(),
        body,
        StatusCode::OK,
    ))
}

/// Which organisation's records an administrator asks for.
#[derive(Debug, Deserialize)]
pub struct RecordsQuery {
    organisation: Option<String>,
}

fn cell(text: impl Into<String>) -> TableCell {
    TableCell {
        text: Some(text.into()),
        ..TableCell::default()
    }
}

fn html_cell(html: String) -> TableCell {
    TableCell {
        html: Some(html),
        ..TableCell::default()
    }
}

/// Who in an organisation is trained, and when.
pub async fn records(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<RecordsQuery>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ReadTrainingRecords).await?;
    let now = state.now();
    let principal = &signed_in.principal;
    let organisation = match query.organisation.as_deref() {
        Some(id) => {
            OrganisationId(uuid::Uuid::parse_str(id).map_err(|_| PageError::NotFound(Lang::En))?)
        }
        None if principal.organisation_kind == OrganisationKind::FirstResponderOrganisation => {
            principal.actor.organisation
        }
        // The service's administrators choose a First Responder Organisation first.
        None => return choose_organisation(&state, &signed_in).await,
    };
    if !nrm_access::may_read_training_records(principal, organisation) {
        // Another organisation's records: as if there were none (audited).
        state
            .cases
            .record_denial(principal.actor, "access.read_training_records", None, now)
            .await
            .map_err(|e| PageError::from_service(e, Lang::En))?;
        return Err(PageError::NotFound(Lang::En));
    }
    let records = state
        .cases
        .training()
        .records(&capability, organisation, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let trained = records
        .iter()
        .filter(|r| matches!(r.status.standing, Standing::Trained { .. }))
        .count();
    let table = Table {
        caption: Some(format!(
            "{trained} of {} people trained and up to date",
            records.len()
        )),
        caption_classes: Some("govuk-table__caption--m".to_owned()),
        head: vec![
            cell("Email"),
            cell("Roles"),
            cell("Completed on"),
            cell("Course version"),
            cell("Status"),
        ],
        rows: records
            .iter()
            .map(|r| {
                let (words, colour) = match r.status.standing {
                    Standing::Untrained => ("Not trained".to_owned(), "govuk-tag--red"),
                    Standing::Trained { due_again_on } => (
                        format!("Trained, due {}", date(due_again_on)),
                        "govuk-tag--green",
                    ),
                    Standing::DueAgain { .. } => ("Due again".to_owned(), "govuk-tag--orange"),
                };
                vec![
                    cell(r.account.email.clone()),
                    cell(
                        r.account
                            .roles
                            .iter()
                            .map(|role| role_words(*role))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    cell(
                        r.status
                            .latest
                            .as_ref()
                            .map(|c| date(c.completed_on()))
                            .unwrap_or_else(|| "Never".to_owned()),
                    ),
                    cell(
                        r.status
                            .latest
                            .as_ref()
                            .map(|c| c.course_version.clone())
                            .unwrap_or_default(),
                    ),
                    html_cell(
                        Tag {
                            text: Some(words),
                            classes: Some(colour.to_owned()),
                            ..Tag::default()
                        }
                        .to_string(),
                    ),
                ]
            })
            .collect(),
        first_cell_is_header: true,
        ..Table::default()
    }
    .to_string();
    Ok(page(
        layout(
            &signed_in,
            "First Responder training records",
            Section::Administration,
        )
        .back("/administration"),
        &Errors::default(),
        table,
        StatusCode::OK,
    ))
}

/// For the service's administrators: the First Responder Organisations to choose from.
async fn choose_organisation(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<Response, PageError> {
    let capability = authorise(state, signed_in, Operation::ManageOrganisations).await?;
    let organisations = state
        .cases
        .administration()
        .organisations(&capability, state.now())
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let mut body = p("Choose a First Responder Organisation to see who in it is trained.");
    body.push_str("<ul class=\"govuk-list\">");
    for o in organisations
        .iter()
        .filter(|o| o.kind == OrganisationKind::FirstResponderOrganisation)
    {
        body.push_str(&format!(
            "<li>{}</li>",
            link(
                &format!("/training/records?organisation={}", o.id.0),
                &o.name
            )
        ));
    }
    body.push_str("</ul>");
    Ok(page(
        layout(
            signed_in,
            "First Responder training records",
            Section::Administration,
        )
        .back("/administration"),
        &Errors::default(),
        body,
        StatusCode::OK,
    ))
}

/// The First Responder start page's nudge: a banner when the caller takes the training and has
/// not completed it, or it is due again; nothing otherwise. The read is audited.
pub async fn nudge(state: &AppState, signed_in: &SignedIn) -> Result<String, PageError> {
    let Ok(capability) = nrm_access::authorise(&signed_in.principal, Operation::TakeTraining)
    else {
        return Ok(String::new());
    };
    let status = state
        .cases
        .training()
        .status(&capability, state.now())
        .await
        .map_err(|e| PageError::from_service(e, signed_in.lang))?;
    let lang = signed_in.lang;
    let words = match status.standing {
        Standing::Trained { .. } => return Ok(String::new()),
        Standing::Untrained => lang.t("training.nudge.untrained"),
        Standing::DueAgain { .. } => lang.t("training.nudge.due"),
    };
    // The course is in English only: the Welsh link says so, and the link's language is marked.
    let link_lang = if lang == Lang::Cy {
        " hreflang=\"en\""
    } else {
        ""
    };
    Ok(NotificationBanner {
        title_text: Some(lang.t("training.nudge.title").to_owned()),
        html: Some(format!(
            "<p class=\"govuk-notification-banner__heading\">{}. <a class=\"govuk-notification-banner__link\" href=\"/training\"{link_lang}>{}</a>.</p>",
            escape(words),
            escape(lang.t("training.nudge.link"))
        )),
        attributes: nrm_govuk::components::Attributes::from_pairs([("id", "training-nudge")]),
        ..NotificationBanner::default()
    }
    .to_string())
}
