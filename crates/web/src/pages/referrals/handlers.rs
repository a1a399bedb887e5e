//! The First Responder pages: start, your referrals, choosing a journey, each question page,
//! check your answers, confirmation and the printable copy.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use nrm_access::Operation;
use nrm_domain::DomainError;
use nrm_domain::case::CaseStatus;
use nrm_domain::clock::uk_date;
use nrm_govuk::components::{Button, NotificationBanner, Panel, SummaryList, Tag};
use nrm_service::ServiceError;
use nrm_service::drafts::{DraftKind, DraftSummary};
use serde::Deserialize;

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::errors::PageError;
use crate::pages::form;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, Section, escape_lines, render, render_status};
use crate::pages::referrals::drafts::{
    Loaded, after_save, in_order, load, resume_href, save, step_href, submit_capability,
    submitted_redirect,
};
use crate::pages::referrals::fields::{self, row};
use crate::pages::referrals::journey::{self, Answers, FieldKind, Step};
use crate::pages::session::{Posted, SignedIn};
use crate::pages::{countries, referrals};

#[derive(Template)]
#[template(path = "referrals/start.html")]
struct StartPage {
    layout: Layout,
    start: String,
}

/// The First Responder start page: what a referral is and the button that starts one. Shown
/// at `/` to anyone signed out and to First Responders (see `pages::home`).
pub fn start_page(signed_in: Option<&SignedIn>, lang: Lang) -> Response {
    let layout = match signed_in {
        Some(s) => s.layout(lang.t("start.title")),
        None => Layout::new(lang, lang.t("start.title"), "/"),
    };
    let start = Button {
        text: Some(lang.t("start.button").to_owned()),
        href: Some("/referrals/new".to_owned()),
        is_start_button: true,
        ..Button::default()
    }
    .to_string();
    render(&StartPage { layout, start })
}

struct DraftRow {
    kind: &'static str,
    started: String,
    updated: String,
    href: String,
    delete: String,
}

struct SubmittedRow {
    reference: String,
    kind: &'static str,
    submitted: String,
    status: String,
    href: String,
}

#[derive(Template)]
#[template(path = "referrals/list.html")]
struct ListPage {
    layout: Layout,
    banner: String,
    drafts: Vec<DraftRow>,
    submitted: Vec<SubmittedRow>,
}

fn kind_key(kind: DraftKind) -> &'static str {
    match kind {
        DraftKind::Adult => "kind.adult",
        DraftKind::Child => "kind.child",
        DraftKind::DutyToNotify => "kind.duty_to_notify",
    }
}

fn when(lang: Lang, at: DateTime<Utc>) -> String {
    lang.long_date(uk_date(at))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    deleted: Option<String>,
}

/// Your referrals: drafts in progress and submitted referrals with their status now.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let capability = match submit_capability(&signed_in) {
        Some(capability) => capability,
        // Refused, and the refusal audited.
        None => authorise(&state, &signed_in, Operation::SubmitDutyToNotify).await?,
    };
    let all: Vec<DraftSummary> = state
        .cases
        .drafts()
        .drafts(&capability)
        .await
        .map_err(|e| PageError::from_service(e, lang))?;
    let mut drafts = Vec::new();
    let mut submitted = Vec::new();
    for summary in all {
        match &summary.submitted {
            None => drafts.push(DraftRow {
                kind: lang.t(kind_key(summary.kind)),
                started: when(lang, summary.created_at),
                updated: when(lang, summary.updated_at),
                href: format!("/referrals/{}/continue", summary.id),
                delete: format!("/referrals/{}/delete", summary.id),
            }),
            Some(s) => {
                let status_key = match s.status {
                    Some(status) => format!("status.{}", status.as_str()),
                    None => "status.unknown".to_owned(),
                };
                let status = Tag {
                    text: Some(lang.t(&status_key).to_owned()),
                    classes: Some(status_colour(s.status).to_owned()),
                    ..Tag::default()
                }
                .to_string();
                submitted.push(SubmittedRow {
                    reference: s.reference.to_string(),
                    kind: lang.t(kind_key(summary.kind)),
                    submitted: when(lang, s.submitted_at),
                    status,
                    href: format!("/referrals/{}/print", summary.id),
                });
            }
        }
    }
    let layout = signed_in
        .layout(lang.t("list.title"))
        .section(Section::Referrals);
    let banner = if query.deleted.is_some() {
        NotificationBanner {
            type_: Some("success".to_owned()),
            text: Some(lang.t("delete.done").to_owned()),
            ..NotificationBanner::default()
        }
        .to_string()
    } else {
        String::new()
    };
    // An untrained First Responder (or one whose training is due again) is nudged to train.
    let banner = banner + &crate::pages::training::nudge(&state, &signed_in).await?;
    Ok(render(&ListPage {
        layout,
        banner,
        drafts,
        submitted,
    }))
}

fn status_colour(status: Option<CaseStatus>) -> &'static str {
    match status {
        Some(CaseStatus::AwaitingReasonableGrounds) => "govuk-tag--blue",
        Some(CaseStatus::AwaitingConclusiveGrounds) => "govuk-tag--light-blue",
        Some(CaseStatus::PositiveConclusiveGrounds) => "govuk-tag--green",
        Some(CaseStatus::NegativeReasonableGrounds | CaseStatus::NegativeConclusiveGrounds) => {
            "govuk-tag--orange"
        }
        _ => "govuk-tag--grey",
    }
}

#[derive(Template)]
#[template(path = "referrals/question.html")]
struct QuestionPage {
    layout: Layout,
    errors: String,
    action: String,
    heading: Option<String>,
    fields: Vec<String>,
    form_token: String,
    return_to: String,
    button: String,
}

fn save_button(lang: Lang) -> String {
    Button {
        text: Some(lang.t("save_continue").to_owned()),
        prevent_double_click: Some(true),
        ..Button::default()
    }
    .to_string()
}

/// Choosing a journey.
pub async fn choose(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    if submit_capability(&signed_in).is_none() {
        return Err(PageError::Forbidden(lang));
    }
    Ok(render(&choose_page(&state, &signed_in, &Errors::default())))
}

/// Who may and may not send a Duty to Notify report today, nation by nation, from the
/// rulebook's dated entries (issue #10 item 6), as an inset beside the choice.
fn duty_to_notify_who_may(state: &AppState, lang: Lang) -> String {
    use nrm_domain::geography::UkNation;
    use nrm_govuk::components::attributes::escape;
    let rules = state.cases.rules();
    let today = uk_date(state.now());
    let mut items = String::new();
    for (nation, key) in [
        (UkNation::England, "dtn_who.england"),
        (UkNation::Wales, "dtn_who.wales"),
        (UkNation::Scotland, "dtn_who.scotland"),
        (UkNation::NorthernIreland, "dtn_who.northern_ireland"),
    ] {
        let (codes, _) = rules.duty_to_notify_reporters(nation, today);
        let names: Vec<&str> = codes
            .iter()
            .map(|code| {
                rules
                    .data()
                    .first_responder_organisations
                    .iter()
                    .find(|o| &o.code == code)
                    .map_or(code.as_str(), |o| o.name.as_str())
            })
            .collect();
        let text = if names.is_empty() {
            lang.t("dtn_who.nobody").replace("{in}", lang.t(key))
        } else {
            lang.t("dtn_who.only")
                .replace("{in}", lang.t(key))
                .replace("{names}", &names.join(", "))
        };
        items.push_str(&format!("<li>{}</li>", escape(&text)));
    }
    format!(
        "<div class=\"govuk-inset-text\" id=\"duty-to-notify-who\"><h2 class=\"govuk-heading-s\">{}</h2><p class=\"govuk-body\">{}</p><ul class=\"govuk-list govuk-list--bullet\">{items}</ul></div>",
        escape(lang.t("dtn_who.title")),
        escape(lang.t("dtn_who.intro")),
    )
}

fn choose_page(state: &AppState, signed_in: &SignedIn, errors: &Errors) -> QuestionPage {
    let lang = signed_in.lang;
    let radios = nrm_govuk::components::Radios {
        name: Some("kind".to_owned()),
        id_prefix: Some("kind".to_owned()),
        fieldset: Some(nrm_govuk::components::Fieldset {
            legend: Some(nrm_govuk::components::Legend {
                text: Some(lang.t("new.title").to_owned()),
                is_page_heading: true,
                classes: Some("govuk-fieldset__legend--l".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        error_message: errors.message("kind", lang),
        // The journeys, offered by their draft kind's code ("new.adult" and its hint...).
        items: DraftKind::ALL
            .iter()
            .map(|kind| {
                let key = format!("new.{}", kind.code());
                Some(nrm_govuk::components::RadiosItem {
                    value: Some(kind.code().to_owned()),
                    text: Some(lang.t(&key).to_owned()),
                    hint: Some(nrm_govuk::components::Hint {
                        text: Some(lang.t(&format!("{key}.hint")).to_owned()),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            })
            .collect(),
        ..Default::default()
    }
    .to_string();
    QuestionPage {
        layout: signed_in
            .layout(lang.t("new.title"))
            .back("/referrals")
            .section(Section::Referrals)
            .errors(errors),
        errors: errors.summary(lang),
        action: "/referrals/new".to_owned(),
        heading: None,
        fields: vec![radios, duty_to_notify_who_may(state, lang)],
        form_token: signed_in.form_token.clone(),
        return_to: String::new(),
        button: Button {
            text: Some(lang.t("continue").to_owned()),
            ..Button::default()
        }
        .to_string(),
    }
}

/// Starts a draft of the chosen kind and goes to its first question.
pub async fn create(
    State(state): State<AppState>,
    Posted {
        signed_in, form, ..
    }: Posted,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let Some(kind) = DraftKind::parse(form::value(&form, "kind")) else {
        let mut errors = Errors::default();
        errors.add("kind", lang.t("new.missing"));
        return Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &choose_page(&state, &signed_in, &errors),
        ));
    };
    let capability = authorise(&state, &signed_in, kind.operation()).await?;
    let draft = state
        .cases
        .drafts()
        .start_draft(&capability, kind, state.now())
        .await
        .map_err(|e| PageError::from_service(e, lang))?;
    Ok(Redirect::to(&resume_href(draft.summary.id, kind, &Answers::default())).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ReturnQuery {
    #[serde(rename = "return")]
    return_to: Option<String>,
}

fn question_page(
    signed_in: &SignedIn,
    loaded: &Loaded,
    question: &journey::Question,
    values: &std::collections::BTreeMap<String, Vec<String>>,
    errors: &Errors,
    return_to: &str,
) -> QuestionPage {
    let lang = signed_in.lang;
    let single = question.fields.len() == 1;
    let fields = question
        .fields
        .iter()
        .map(|field| fields::render(field, values, errors, lang, single))
        .collect();
    let back = if return_to == "check" {
        format!("/referrals/{}/check", loaded.id)
    } else {
        match journey::previous_step(loaded.kind(), &loaded.answers, question.slug) {
            Some(step) => step_href(loaded.id, step),
            None => "/referrals".to_owned(),
        }
    };
    QuestionPage {
        layout: signed_in
            .layout(lang.t(question.title))
            .back(back)
            .section(Section::Referrals)
            .errors(errors),
        errors: errors.summary(lang),
        action: format!("/referrals/{}/{}", loaded.id, question.slug),
        heading: (!single).then(|| lang.t(question.title).to_owned()),
        fields,
        form_token: signed_in.form_token.clone(),
        return_to: return_to.to_owned(),
        button: save_button(lang),
    }
}

/// Check your answers is reached only with every step answered and nothing sent yet.
fn ready_to_send(loaded: &Loaded) -> Result<(), PageError> {
    submitted_redirect(loaded)?;
    if journey::first_unanswered(loaded.kind(), &loaded.answers).is_some() {
        return Err(PageError::Redirect(resume_href(
            loaded.id,
            loaded.kind(),
            &loaded.answers,
        )));
    }
    Ok(())
}

/// A question page.
pub async fn question(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((id, slug)): Path<(String, String)>,
    Query(query): Query<ReturnQuery>,
) -> Result<Response, PageError> {
    let loaded = load(&state, &signed_in, &id).await?;
    if slug == "continue" {
        return Err(PageError::Redirect(
            if loaded.draft.summary.submitted.is_some() {
                format!("/referrals/{}/confirmation", loaded.id)
            } else {
                resume_href(loaded.id, loaded.kind(), &loaded.answers)
            },
        ));
    }
    submitted_redirect(&loaded)?;
    let question = journey::question(&slug)
        .filter(|q| q.applies(loaded.kind(), &loaded.answers))
        .ok_or(PageError::NotFound(signed_in.lang))?;
    in_order(&loaded, &slug).map_err(|e| match e {
        PageError::NotFound(_) => PageError::NotFound(signed_in.lang),
        other => other,
    })?;
    let return_to = query.return_to.unwrap_or_default();
    Ok(render(&question_page(
        &signed_in,
        &loaded,
        question,
        &loaded.answers.values,
        &Errors::default(),
        &return_to,
    )))
}

/// Saves a question page's answers, or shows them back with what to fix.
pub async fn answer(
    State(state): State<AppState>,
    Path((id, slug)): Path<(String, String)>,
    Posted {
        signed_in, form, ..
    }: Posted,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let mut loaded = load(&state, &signed_in, &id).await?;
    submitted_redirect(&loaded)?;
    let question = journey::question(&slug)
        .filter(|q| q.applies(loaded.kind(), &loaded.answers))
        .ok_or(PageError::NotFound(lang))?;
    let return_to = form::value(&form, "return_to").to_owned();
    match journey::check_page(question, &form, lang, uk_date(state.now())) {
        Ok(values) => {
            save(&state, &mut loaded, &signed_in, |answers| {
                for (name, value) in &values {
                    answers.values.insert(name.clone(), value.clone());
                }
                answers.done.insert(slug.clone());
            })
            .await?;
            Ok(Redirect::to(&after_save(&loaded, &slug, &return_to)).into_response())
        }
        Err((problems, values)) => {
            let errors = journey::page_errors(&problems);
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &question_page(&signed_in, &loaded, question, &values, &errors, &return_to),
            ))
        }
    }
}

/// The answers shown back, one summary list per step.
#[derive(Debug)]
pub struct AnswerSection {
    pub slug: &'static str,
    pub title: String,
    pub list: String,
}

fn display(lang: Lang, field: &journey::Field, answers: &Answers) -> String {
    let value = answers.one(field.name);
    let shown = match field.kind {
        FieldKind::Date => journey::date_of(&answers.values, field.name)
            .map(|date| lang.long_date(date))
            .unwrap_or_default(),
        FieldKind::Radios(choices) => choices
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, key)| lang.t(key).to_owned())
            .unwrap_or_default(),
        FieldKind::Country => match value {
            "" => String::new(),
            "not_known" => lang.t("choice.not_known").to_owned(),
            code => countries::name(code).unwrap_or(code).to_owned(),
        },
        FieldKind::Text { .. } | FieldKind::Lines | FieldKind::LongText { .. } => {
            value.trim().to_owned()
        }
    };
    if shown.is_empty() {
        lang.t("not_given").to_owned()
    } else {
        shown
    }
}

/// The answers as summary lists; with change links when `changes` is true.
pub fn answer_sections(loaded: &Loaded, lang: Lang, changes: bool) -> Vec<AnswerSection> {
    let mut sections = Vec::new();
    for step in journey::steps(loaded.kind(), &loaded.answers) {
        let slug = step.slug();
        let (title, rows) = match step {
            Step::Question(slug) => {
                let Some(question) = journey::question(slug) else {
                    continue;
                };
                let rows = question
                    .fields
                    .iter()
                    .map(|field| {
                        row(
                            lang,
                            lang.t(field.label)
                                .trim_end_matches(" (optional)")
                                .trim_end_matches(" (dewisol)"),
                            &escape_lines(&display(lang, field, &loaded.answers)),
                            changes
                                .then(|| format!("/referrals/{}/{}?return=check", loaded.id, slug)),
                        )
                    })
                    .collect::<Vec<_>>();
                (lang.t(question.title).to_owned(), rows)
            }
            Step::Exploitation => {
                let rows = referrals::exploitation::rows(loaded, lang, changes);
                (lang.t("check.exploitation").to_owned(), rows)
            }
        };
        sections.push(AnswerSection {
            slug,
            title,
            list: SummaryList {
                rows,
                ..SummaryList::default()
            }
            .to_string(),
        });
    }
    sections
}

#[derive(Template)]
#[template(path = "referrals/check.html")]
struct CheckPage {
    layout: Layout,
    errors: String,
    banner: String,
    /// "Now send your referral" (or report).
    declaration: &'static str,
    sections: Vec<AnswerSection>,
    action: String,
    version: u64,
    form_token: String,
    button: String,
}

fn check_page(
    signed_in: &SignedIn,
    loaded: &Loaded,
    errors: &Errors,
    banner: Option<&str>,
) -> CheckPage {
    let lang = signed_in.lang;
    let dtn = loaded.kind() == DraftKind::DutyToNotify;
    let title = if dtn {
        lang.t("check.title_dtn")
    } else {
        lang.t("check.title")
    };
    let declaration = if dtn {
        lang.t("check.declaration_dtn")
    } else {
        lang.t("check.declaration")
    };
    let back = journey::steps(loaded.kind(), &loaded.answers)
        .last()
        .map_or_else(|| "/referrals".to_owned(), |s| step_href(loaded.id, *s));
    CheckPage {
        layout: signed_in
            .layout(title)
            .back(back)
            .section(Section::Referrals)
            .errors(errors),
        errors: errors.summary(lang),
        declaration,
        banner: banner
            .map(|text| {
                NotificationBanner {
                    text: Some(text.to_owned()),
                    ..NotificationBanner::default()
                }
                .to_string()
            })
            .unwrap_or_default(),
        sections: answer_sections(loaded, lang, true),
        action: format!("/referrals/{}/check", loaded.id),
        version: loaded.draft.summary.version,
        form_token: signed_in.form_token.clone(),
        button: Button {
            text: Some(lang.t("check.send").to_owned()),
            prevent_double_click: Some(true),
            ..Button::default()
        }
        .to_string(),
    }
}

/// Check your answers.
pub async fn check(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load(&state, &signed_in, &id).await?;
    ready_to_send(&loaded)?;
    Ok(render(&check_page(
        &signed_in,
        &loaded,
        &Errors::default(),
        None,
    )))
}

/// Sends the referral. A second send of the same draft (a double click, the back button, a
/// stale tab) creates nothing and shows the confirmation of the first.
pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted {
        signed_in,
        form,
        carried,
    }: Posted,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let loaded = load(&state, &signed_in, &id).await?;
    ready_to_send(&loaded)?;
    if carried {
        // Carried through signing in: the person checks their answers again before sending.
        return Ok(Redirect::to(&format!("/referrals/{}/check", loaded.id)).into_response());
    }
    if form::value(&form, "version") != loaded.draft.summary.version.to_string() {
        return Ok(render_status(
            StatusCode::CONFLICT,
            &check_page(
                &signed_in,
                &loaded,
                &Errors::default(),
                Some(lang.t("check.stale")),
            ),
        ));
    }
    let submission = journey::submission(loaded.kind(), &loaded.answers);
    match state
        .cases
        .drafts()
        .submit_draft(&loaded.capability, loaded.id, submission, state.now())
        .await
    {
        Ok(_) | Err(ServiceError::DraftSubmitted { .. }) => {
            Ok(Redirect::to(&format!("/referrals/{}/confirmation", loaded.id)).into_response())
        }
        Err(ServiceError::Domain(DomainError::Invalid(problems))) => {
            let mut errors = Errors::default();
            for problem in &problems {
                let slug = journey::step_for_problem(&problem.field);
                errors.add(&format!("section-{slug}"), &problem.message);
            }
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &check_page(&signed_in, &loaded, &errors, None),
            ))
        }
        // The organisation may not make this submission today (the First Responder
        // Organisation list, the duty to notify): said on the check page, where the answers
        // are kept.
        Err(ServiceError::Domain(DomainError::Refused { code, .. }))
            if matches!(
                code,
                "not-a-first-responder-organisation" | "duty-to-notify-not-for-this-organisation"
            ) =>
        {
            let mut errors = Errors::default();
            let key = if code == "not-a-first-responder-organisation" {
                "refused.not_a_first_responder"
            } else {
                "refused.duty_to_notify"
            };
            errors.add("declaration", lang.t(key));
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &check_page(&signed_in, &loaded, &errors, None),
            ))
        }
        Err(e) => Err(PageError::from_service(e, lang)),
    }
}

#[derive(Template)]
#[template(path = "referrals/confirmation.html")]
struct ConfirmationPage {
    layout: Layout,
    panel: String,
    dtn: bool,
    print: String,
}

/// The confirmation panel with the case reference.
pub async fn confirmation(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let loaded = load(&state, &signed_in, &id).await?;
    let Some(submitted) = &loaded.draft.summary.submitted else {
        return Err(PageError::Redirect(format!(
            "/referrals/{}/check",
            loaded.id
        )));
    };
    let dtn = loaded.kind() == DraftKind::DutyToNotify;
    let title = if dtn {
        lang.t("done.title_dtn")
    } else {
        lang.t("done.title")
    };
    let panel = Panel {
        title_text: Some(title.to_owned()),
        html: Some(format!(
            "{}<br><strong>{}</strong>",
            nrm_govuk::components::attributes::escape(lang.t("done.reference")),
            nrm_govuk::components::attributes::escape(&submitted.reference.to_string())
        )),
        ..Panel::default()
    }
    .to_string();
    Ok(render(&ConfirmationPage {
        layout: signed_in.layout(title).section(Section::Referrals),
        panel,
        dtn,
        print: format!("/referrals/{}/print", loaded.id),
    }))
}

#[derive(Template)]
#[template(path = "referrals/print.html")]
struct PrintPage {
    layout: Layout,
    reference: String,
    sent: String,
    kind: &'static str,
    sections: Vec<AnswerSection>,
}

/// A printable copy of what was sent.
pub async fn print(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let loaded = load(&state, &signed_in, &id).await?;
    let Some(submitted) = &loaded.draft.summary.submitted else {
        return Err(PageError::Redirect(format!(
            "/referrals/{}/check",
            loaded.id
        )));
    };
    Ok(render(&PrintPage {
        layout: signed_in
            .layout(lang.t("print.title"))
            .back("/referrals")
            .section(Section::Referrals),
        reference: submitted.reference.to_string(),
        sent: lang
            .t("print.sent")
            .replace("{date}", &when(lang, submitted.submitted_at)),
        kind: lang.t(kind_key(loaded.kind())),
        sections: answer_sections(&loaded, lang, false),
    }))
}

#[derive(Template)]
#[template(path = "referrals/delete.html")]
struct DeletePage {
    layout: Layout,
    kind: &'static str,
    updated: String,
    action: String,
    form_token: String,
}

/// Asks before deleting a draft.
pub async fn delete_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let loaded = load(&state, &signed_in, &id).await?;
    submitted_redirect(&loaded)?;
    Ok(render(&DeletePage {
        layout: signed_in
            .layout(lang.t("delete.title"))
            .back("/referrals")
            .section(Section::Referrals),
        kind: lang.t(kind_key(loaded.kind())),
        updated: when(lang, loaded.draft.summary.updated_at),
        action: format!("/referrals/{}/delete", loaded.id),
        form_token: signed_in.form_token.clone(),
    }))
}

/// Deletes a draft (never a sent referral) and its saved answers.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted {
        signed_in, carried, ..
    }: Posted,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let loaded = load(&state, &signed_in, &id).await?;
    submitted_redirect(&loaded)?;
    if carried {
        // Carried through signing in: ask again before deleting anything.
        return Ok(Redirect::to(&format!("/referrals/{}/delete", loaded.id)).into_response());
    }
    state
        .cases
        .drafts()
        .discard_draft(&loaded.capability, loaded.id)
        .await
        .map_err(|e| PageError::from_service(e, lang))?;
    Ok(Redirect::to("/referrals?deleted=1").into_response())
}
