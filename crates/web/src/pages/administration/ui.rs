//! The parts the administration pages share: the page template, forms with this session's
//! token, the check step before a change, and the page a stale change gets (409).

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use nrm_govuk::components::attributes::escape;
use nrm_govuk::components::{
    Attributes, Button, Checkboxes, CheckboxesItem, ErrorMessage, Fieldset, Hint, Input, Label,
    Legend, Radios, RadiosItem, Select, SelectItem, SummaryList, SummaryListRow, TableCell,
};

use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, Section, render_status};
use crate::pages::session::SignedIn;

/// A page of administration: a title, an error summary and its body.
#[derive(Template)]
#[template(path = "administration/page.html")]
struct Page {
    layout: Layout,
    width: &'static str,
    errors: String,
    body: String,
}

/// The layout of an administration page: English only, the Administration section.
pub fn layout(signed_in: &SignedIn, title: &str) -> Layout {
    let mut layout = signed_in.layout(title).section(Section::Administration);
    layout.bilingual = false;
    layout.lang = Lang::En;
    layout
}

/// Renders a page, two-thirds wide.
pub fn page(layout: Layout, errors: &Errors, body: String, status: StatusCode) -> Response {
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

/// Renders a page the full width (tables).
pub fn wide(layout: Layout, body: String) -> Response {
    render_status(
        StatusCode::OK,
        &Page {
            layout,
            width: "full",
            errors: String::new(),
            body,
        },
    )
}

pub fn p(text: &str) -> String {
    format!("<p class=\"govuk-body\">{}</p>", escape(text))
}

pub fn link(href: &str, text: &str) -> String {
    format!(
        "<a class=\"govuk-link\" href=\"{}\">{}</a>",
        escape(href),
        escape(text)
    )
}

pub fn text_cell(value: impl Into<String>) -> TableCell {
    TableCell {
        text: Some(value.into()),
        ..TableCell::default()
    }
}

pub fn html_cell(html: String) -> TableCell {
    TableCell {
        html: Some(html),
        ..TableCell::default()
    }
}

/// A success banner's text, when a change was just made (`?done=`).
pub fn done_banner(words: Option<&str>) -> String {
    words.map_or_else(String::new, |words| {
        nrm_govuk::components::NotificationBanner {
            type_: Some("success".to_owned()),
            text: Some(words.to_owned()),
            ..nrm_govuk::components::NotificationBanner::default()
        }
        .to_string()
    })
}

/// The opening of a posted form with this session's token and `hidden` fields.
pub fn form_open(signed_in: &SignedIn, action: &str, hidden: &[(String, String)]) -> String {
    let mut html = format!(
        "<form method=\"post\" action=\"{}\" novalidate><input type=\"hidden\" name=\"form_token\" value=\"{}\">",
        escape(action),
        escape(&signed_in.form_token)
    );
    for (name, value) in hidden {
        html.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(name),
            escape(value)
        ));
    }
    html
}

pub fn button(text: &str, id: &str) -> String {
    Button {
        text: Some(text.to_owned()),
        prevent_double_click: Some(true),
        attributes: Attributes::from_pairs([("id", id)]),
        ..Button::default()
    }
    .to_string()
}

pub fn warning_button(text: &str, id: &str) -> String {
    Button {
        text: Some(text.to_owned()),
        prevent_double_click: Some(true),
        classes: Some("govuk-button--warning".to_owned()),
        attributes: Attributes::from_pairs([("id", id)]),
        ..Button::default()
    }
    .to_string()
}

fn error(errors: &Errors, name: &str) -> Option<ErrorMessage> {
    errors.message(name, Lang::En)
}

fn legend(text: &str) -> Option<Fieldset> {
    Some(Fieldset {
        legend: Some(Legend {
            text: Some(text.to_owned()),
            classes: Some("govuk-fieldset__legend--m".to_owned()),
            ..Legend::default()
        }),
        ..Fieldset::default()
    })
}

pub fn text_input(
    name: &str,
    label: &str,
    hint: Option<&str>,
    value: &str,
    errors: &Errors,
) -> String {
    Input {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        value: Some(value.to_owned()),
        label: Some(Label {
            text: Some(label.to_owned()),
            classes: Some("govuk-label--m".to_owned()),
            ..Label::default()
        }),
        hint: hint.map(|h| Hint {
            text: Some(h.to_owned()),
            ..Hint::default()
        }),
        error_message: error(errors, name),
        spellcheck: Some(false),
        ..Input::default()
    }
    .to_string()
}

pub fn radios(
    name: &str,
    label: &str,
    choices: &[(String, String)],
    current: &str,
    errors: &Errors,
) -> String {
    Radios {
        name: Some(name.to_owned()),
        id_prefix: Some(name.to_owned()),
        fieldset: legend(label),
        error_message: error(errors, name),
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

pub fn checkboxes(
    name: &str,
    label: &str,
    hint: Option<&str>,
    choices: &[(String, String)],
    current: &[String],
    errors: &Errors,
) -> String {
    Checkboxes {
        name: Some(name.to_owned()),
        id_prefix: Some(name.to_owned()),
        fieldset: legend(label),
        hint: hint.map(|h| Hint {
            text: Some(h.to_owned()),
            ..Hint::default()
        }),
        error_message: error(errors, name),
        items: choices
            .iter()
            .map(|(code, words)| {
                Some(CheckboxesItem {
                    value: Some(code.clone()),
                    text: Some(words.clone()),
                    checked: Some(current.contains(code)),
                    ..CheckboxesItem::default()
                })
            })
            .collect(),
        ..Checkboxes::default()
    }
    .to_string()
}

pub fn select(
    name: &str,
    label: &str,
    choices: &[(String, String)],
    current: &str,
    errors: &Errors,
) -> String {
    Select {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        label: Some(Label {
            text: Some(label.to_owned()),
            classes: Some("govuk-label--m".to_owned()),
            ..Label::default()
        }),
        error_message: error(errors, name),
        items: choices
            .iter()
            .map(|(code, words)| {
                Some(SelectItem {
                    value: Some(code.clone()),
                    text: Some(words.clone()),
                    selected: Some(code == current),
                    ..SelectItem::default()
                })
            })
            .collect(),
        ..Select::default()
    }
    .to_string()
}

/// A check page's body: what will be recorded, the hidden answers (and `confirmed=yes`), the
/// button, and a link back to change the answers.
pub fn check_body(
    signed_in: &SignedIn,
    action: &str,
    rows: Vec<SummaryListRow>,
    mut hidden: Vec<(String, String)>,
    button_text: &str,
    change: &str,
) -> String {
    hidden.push(("confirmed".to_owned(), "yes".to_owned()));
    let mut body = SummaryList {
        rows,
        ..SummaryList::default()
    }
    .to_string();
    body.push_str(&form_open(signed_in, action, &hidden));
    body.push_str(&button(button_text, "confirm"));
    body.push_str("</form>");
    body.push_str(&format!(
        "<p class=\"govuk-body\">{}</p>",
        link(change, "Change your answers")
    ));
    body
}

/// The page for a change decided on a state that has changed since (409): nothing was
/// recorded; go back, read it again, decide again.
pub fn stale(signed_in: &SignedIn, what: &str, back: &str) -> Response {
    let mut errors = Errors::default();
    errors.add(
        "stale",
        &format!("The {what} changed while you were working on it. Nothing was changed"),
    );
    let body = format!(
        "<p class=\"govuk-body\" id=\"stale\">Someone else changed the {} after you opened this page, so your change was not made.</p><p class=\"govuk-body\">{}, check what changed, then make your change again.</p>",
        escape(what),
        link(back, &format!("Go back to the {what}"))
    );
    page(
        layout(signed_in, &format!("The {what} has changed")).back(back),
        &errors,
        body,
        StatusCode::CONFLICT,
    )
}

/// The service's problems as the form's errors, under the field they name (`/email` → `email`).
pub fn problems_to_errors(problems: &[nrm_domain::FieldProblem]) -> Errors {
    let mut errors = Errors::default();
    for problem in problems {
        let field = problem
            .field
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("")
            .to_owned();
        errors.add(&field, &problem.message);
    }
    errors
}
