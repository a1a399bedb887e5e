//! Finding a case by its reference (exact), or by the person's name and date of birth (fuzzy,
//! over the keyed linkage tokens: `Persons::search`). Only cases the caller may read are found;
//! one they may not is answered exactly like one that does not exist. Every search is audited
//! with its terms hashed. A name and a date of birth are personal data, so that search is a
//! POST and its answer a page, never a URL. English only, like casework.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use nrm_access::Operation;
use nrm_govuk::components::{Button, DateInput, DateInputItem, Fieldset, Input, Label, Legend};
use nrm_service::persons::search::{HitStrength, PersonHit, PersonQuery, QueryProblem};
use serde::Deserialize;

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::casework::status_words;
use crate::pages::errors::PageError;
use crate::pages::form::{self, Form};
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, render_status};
use crate::pages::session::{Posted, SignedIn};

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    reference: Option<String>,
}

#[derive(Template)]
#[template(path = "search/search.html")]
struct SearchPage {
    layout: Layout,
    errors: String,
    input: String,
    button: String,
    form_token: String,
    given: String,
    family: String,
    born: String,
    person_button: String,
    /// `None` before a name search; the hits after one.
    hits: Option<Vec<HitRow>>,
    truncated: bool,
}

/// One row of the name search's answer.
struct HitRow {
    reference: String,
    href: String,
    name: String,
    born: String,
    referred: String,
    status: &'static str,
    strength: &'static str,
    tag: &'static str,
    agreed: String,
}

/// What was typed into the name search, kept to show again.
#[derive(Default)]
struct Typed {
    given: String,
    family: String,
    day: String,
    month: String,
    year: String,
}

fn text_input(id: &str, label: &str, value: &str, errors: &Errors, classes: &str) -> String {
    Input {
        id: Some(id.to_owned()),
        name: Some(id.to_owned()),
        value: Some(value.to_owned()),
        label: Some(Label {
            text: Some(label.to_owned()),
            ..Label::default()
        }),
        error_message: errors.message(id, Lang::En),
        spellcheck: Some(false),
        autocomplete: Some("off".to_owned()),
        classes: Some(classes.to_owned()),
        ..Input::default()
    }
    .to_string()
}

fn born_input(typed: &Typed, errors: &Errors) -> String {
    let item = |name: &str, label: &str, value: &str, width: &str| {
        Some(DateInputItem {
            id: Some(format!("born-{name}")),
            name: Some(format!("born-{name}")),
            label: Some(label.to_owned()),
            value: Some(value.to_owned()),
            classes: Some(width.to_owned()),
            ..DateInputItem::default()
        })
    };
    DateInput {
        id: Some("born".to_owned()),
        fieldset: Some(Fieldset {
            legend: Some(Legend {
                text: Some("Date of birth (if known)".to_owned()),
                ..Legend::default()
            }),
            ..Fieldset::default()
        }),
        hint: Some(nrm_govuk::components::Hint {
            text: Some("For example, 27 3 1990".to_owned()),
            ..Default::default()
        }),
        error_message: errors.message("born", Lang::En),
        items: vec![
            item("day", "Day", &typed.day, "govuk-input--width-2"),
            item("month", "Month", &typed.month, "govuk-input--width-2"),
            item("year", "Year", &typed.year, "govuk-input--width-4"),
        ],
        ..DateInput::default()
    }
    .to_string()
}

fn hit_row(hit: &PersonHit) -> HitRow {
    let (strength, tag) = match hit.strength {
        HitStrength::Strong => ("Strong match", "govuk-tag--green"),
        HitStrength::Possible => ("Possible match", "govuk-tag--yellow"),
        HitStrength::Weak => ("Weak match", "govuk-tag--grey"),
    };
    let agreed = hit
        .fields
        .iter()
        .filter(|f| matches!(f.field, "given_names" | "family_name" | "date_of_birth"))
        .map(|f| {
            let field = match f.field {
                "given_names" => "Given names",
                "family_name" => "Family name",
                _ => "Date of birth",
            };
            match f.level {
                Some(level) => format!("{field}: {level}"),
                None => format!("{field}: not compared"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    HitRow {
        href: format!("/cases/{}", hit.reference),
        reference: hit.reference.clone(),
        name: hit.name.clone(),
        born: hit
            .date_of_birth
            .map_or_else(|| "Not known".to_owned(), |d| Lang::En.long_date(d)),
        referred: Lang::En.long_date(hit.referred_on),
        status: status_words(hit.status),
        strength,
        tag,
        agreed,
    }
}

fn page(signed_in: &SignedIn, typed: &str, errors: &Errors, status: StatusCode) -> Response {
    full_page(
        signed_in,
        typed,
        &Typed::default(),
        errors,
        None,
        false,
        status,
    )
}

fn full_page(
    signed_in: &SignedIn,
    typed: &str,
    person: &Typed,
    errors: &Errors,
    hits: Option<Vec<HitRow>>,
    truncated: bool,
    status: StatusCode,
) -> Response {
    let input = Input {
        id: Some("reference".to_owned()),
        name: Some("reference".to_owned()),
        value: Some(typed.to_owned()),
        label: Some(Label {
            text: Some("Case reference".to_owned()),
            classes: Some("govuk-label--m".to_owned()),
            ..Label::default()
        }),
        hint: Some(nrm_govuk::components::Hint {
            text: Some("The whole reference, for example NRM-2026-ABCD-EFGH".to_owned()),
            ..Default::default()
        }),
        error_message: errors.message("reference", Lang::En),
        spellcheck: Some(false),
        classes: Some("govuk-input--width-20".to_owned()),
        ..Input::default()
    }
    .to_string();
    render_status(
        status,
        &SearchPage {
            layout: signed_in
                .layout("Find a case")
                .casework()
                .back("/cases")
                .errors(errors),
            errors: errors.summary(Lang::En),
            input,
            button: Button {
                text: Some("Find case".to_owned()),
                ..Button::default()
            }
            .to_string(),
            form_token: signed_in.form_token.clone(),
            given: text_input(
                "given",
                "Given names",
                &person.given,
                errors,
                "govuk-input--width-20",
            ),
            family: text_input(
                "family",
                "Family name",
                &person.family,
                errors,
                "govuk-input--width-20",
            ),
            born: born_input(person, errors),
            person_button: Button {
                text: Some("Search by name".to_owned()),
                classes: Some("govuk-button--secondary".to_owned()),
                attributes: nrm_govuk::components::Attributes::from_pairs([(
                    "id",
                    "search-person",
                )]),
                ..Button::default()
            }
            .to_string(),
            hits,
            truncated,
        },
    )
}

/// The date of birth typed, if any: all three parts empty is "not known"; anything else must
/// be a real date, not in the future.
fn typed_birth(typed: &Typed, today: NaiveDate) -> Result<Option<NaiveDate>, &'static str> {
    let parts = [&typed.day, &typed.month, &typed.year];
    if parts.iter().all(|p| p.is_empty()) {
        return Ok(None);
    }
    let n = |s: &str| s.parse::<u32>().ok();
    let date = match (n(&typed.day), n(&typed.month), n(&typed.year)) {
        (Some(d), Some(m), Some(y)) if typed.year.len() == 4 => {
            NaiveDate::from_ymd_opt(i32::try_from(y).unwrap_or(0), m, d)
        }
        _ => None,
    };
    match date {
        None => Err("Date of birth must be a real date, for example 27 3 1990"),
        Some(d) if d > today => Err("Date of birth must be in the past"),
        Some(d) if d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) => {
            Err("Date of birth must be after 1900")
        }
        Some(d) => Ok(Some(d)),
    }
}

fn typed_of(form: &Form) -> Typed {
    let v = |name: &str| form::value(form, name).trim().to_owned();
    Typed {
        given: v("given"),
        family: v("family"),
        day: v("born-day"),
        month: v("born-month"),
        year: v("born-year"),
    }
}

/// The name search posted: its answer, or the page with its errors. Nothing typed goes into a
/// URL or a log.
pub async fn search_person(
    State(state): State<AppState>,
    Posted {
        signed_in, form, ..
    }: Posted,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ListCases).await?;
    let typed = typed_of(&form);
    let now = state.now();
    let mut errors = Errors::default();
    let born = match typed_birth(&typed, nrm_domain::clock::uk_date(now)) {
        Ok(born) => born,
        Err(message) => {
            errors.add("born-day", message);
            None
        }
    };
    let query = PersonQuery {
        given_names: typed.given.clone(),
        family_name: typed.family.clone(),
        date_of_birth: born,
    };
    if errors.is_empty() {
        match query.check() {
            Ok(()) => {}
            Err(QueryProblem::NoFamilyName) => errors.add("family", "Enter a family name"),
            Err(QueryProblem::TooLittle) => errors.add(
                "given",
                "Enter a given name or a date of birth as well as the family name",
            ),
            Err(QueryProblem::TooLong) => {
                errors.add("family", "Names must be 100 characters or fewer")
            }
        }
    }
    if !errors.is_empty() {
        return Ok(full_page(
            &signed_in,
            "",
            &typed,
            &errors,
            None,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let found = state
        .cases
        .persons()
        .search(&capability, &signed_in.principal, &query, now)
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let hits = found.hits.iter().map(hit_row).collect();
    Ok(full_page(
        &signed_in,
        "",
        &typed,
        &errors,
        Some(hits),
        found.truncated,
        StatusCode::OK,
    ))
}

/// The search form, and its answer: the case, or "no case you can see".
pub async fn search(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<SearchParams>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ListCases).await?;
    let Some(typed) = params.reference else {
        return Ok(page(&signed_in, "", &Errors::default(), StatusCode::OK));
    };
    let typed = typed.trim().to_owned();
    let mut errors = Errors::default();
    if typed.is_empty() {
        errors.add("reference", "Enter a case reference");
        return Ok(page(
            &signed_in,
            &typed,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    if typed.chars().count() > 64 {
        errors.add("reference", "A case reference is shorter than that");
        return Ok(page(
            &signed_in,
            "",
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match state
        .cases
        .find_reference(&capability, &signed_in.principal, &typed, state.now())
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?
    {
        Some(reference) => Ok(Redirect::to(&format!("/cases/{reference}")).into_response()),
        None => {
            errors.add(
                "reference",
                "No case you can see has that reference: check it and try again",
            );
            Ok(page(&signed_in, &typed, &errors, StatusCode::NOT_FOUND))
        }
    }
}
