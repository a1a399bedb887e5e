//! Organisations, for the service's administrators (`ManageOrganisations`): the list, one
//! organisation, adding one (name, kind, nation, First Responder list kind) and changing what
//! decides whether it may refer (nation, list kind, individual designation dates). Each change
//! has a check step; a change decided on settings that changed since is refused (409).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use nrm_access::{Operation, OrganisationKind};
use nrm_domain::geography::UkNation;
use nrm_domain::ids::OrganisationId;
use nrm_govuk::components::{
    DateInput, DateInputItem, Fieldset, Legend, SummaryList, SummaryListRow, Table,
};
use nrm_service::{ReferrerSettings, ServiceError};
use serde::Deserialize;

use super::kind_words;
use super::ui::*;
use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::form::{self, Form};
use crate::pages::i18n::Lang;
use crate::pages::layout::Errors;
use crate::pages::session::{Posted, SignedIn};

fn fault(e: ServiceError) -> PageError {
    PageError::from_service(e, Lang::En)
}

/// `?done=` after a change.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

const KINDS: [(&str, &str); 10] = [
    (
        "first_responder_organisation",
        "First Responder Organisation",
    ),
    ("sca", "Competent authority (SCA)"),
    ("ieca", "Competent authority (IECA)"),
    ("local_authority", "Local authority"),
    ("support_provider", "Support provider"),
    ("contract_management", "Home Office contract management"),
    ("guardian_service", "Guardian service"),
    ("assurance_panel", "Assurance panel"),
    ("analysts", "Analysts"),
    ("administrators", "Administrators"),
];

fn nations() -> Vec<(String, String)> {
    [
        ("", "None"),
        ("england", "England"),
        ("wales", "Wales"),
        ("scotland", "Scotland"),
        ("northern_ireland", "Northern Ireland"),
    ]
    .iter()
    .map(|(c, w)| ((*c).to_owned(), (*w).to_owned()))
    .collect()
}

fn parse_nation(code: &str) -> Option<UkNation> {
    match code {
        "england" => Some(UkNation::England),
        "wales" => Some(UkNation::Wales),
        "scotland" => Some(UkNation::Scotland),
        "northern_ireland" => Some(UkNation::NorthernIreland),
        _ => None,
    }
}

fn nation_code(nation: Option<UkNation>) -> &'static str {
    match nation {
        Some(UkNation::England) => "england",
        Some(UkNation::Wales) => "wales",
        Some(UkNation::Scotland) => "scotland",
        Some(UkNation::NorthernIreland) => "northern_ireland",
        None => "",
    }
}

fn nation_words(nation: Option<UkNation>) -> &'static str {
    match nation {
        Some(UkNation::England) => "England",
        Some(UkNation::Wales) => "Wales",
        Some(UkNation::Scotland) => "Scotland",
        Some(UkNation::NorthernIreland) => "Northern Ireland",
        None => "None",
    }
}

/// The kinds on the rulebook's First Responder Organisation list (each code once).
fn list_kinds(state: &AppState) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![("".to_owned(), "Not on the list".to_owned())];
    for o in &state.cases.rules().data().first_responder_organisations {
        if !out.iter().any(|(c, _)| c == &o.code) {
            out.push((o.code.clone(), o.name.clone()));
        }
    }
    out
}

fn list_words(state: &AppState, code: Option<&str>) -> String {
    match code {
        None | Some("") => "Not on the list".to_owned(),
        Some(code) => list_kinds(state)
            .into_iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, w)| w),
    }
}

fn organisation_id(id: &str) -> Result<OrganisationId, PageError> {
    uuid::Uuid::parse_str(id)
        .map(OrganisationId)
        .map_err(|_| PageError::NotFound(Lang::En))
}

/// Every organisation.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ManageOrganisations).await?;
    let list = state
        .cases
        .administration()
        .organisations(&capability, state.now())
        .await
        .map_err(fault)?;
    let mut body = done_banner(done.done.as_deref().map(|_| "The organisation was added"));
    body.push_str(
        "<p class=\"govuk-body\"><a class=\"govuk-button\" href=\"/administration/organisations/new\" role=\"button\" draggable=\"false\" data-module=\"govuk-button\">Add an organisation</a></p>",
    );
    body.push_str(
        &Table {
            caption: Some(format!("{} organisations", list.len())),
            caption_classes: Some("govuk-table__caption--m".to_owned()),
            head: vec![
                text_cell("Name"),
                text_cell("Kind"),
                text_cell("Designated from"),
                text_cell("Designated to"),
            ],
            rows: list
                .iter()
                .map(|o| {
                    vec![
                        html_cell(link(
                            &format!("/administration/organisations/{}", o.id.0),
                            &o.name,
                        )),
                        text_cell(kind_words(&o.kind)),
                        text_cell(o.designated_from.map(date).unwrap_or_default()),
                        text_cell(o.designated_to.map(date).unwrap_or_default()),
                    ]
                })
                .collect(),
            first_cell_is_header: true,
            ..Table::default()
        }
        .to_string(),
    );
    Ok(wide(
        layout(&signed_in, "Organisations").back("/administration"),
        body,
    ))
}

/// One organisation.
pub async fn view(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ManageOrganisations).await?;
    let id = organisation_id(&id)?;
    let now = state.now();
    let admin = state.cases.administration();
    let organisation = admin
        .organisation(&capability, id, now)
        .await
        .map_err(fault)?;
    let referrer = admin.referrer(&capability, id, now).await.map_err(fault)?;
    let s = &referrer.settings;
    let change = format!("/administration/organisations/{}/referrer", id.0);
    let mut body = done_banner(done.done.as_deref().map(|done| match done {
        "added" => "The organisation was added",
        _ => "The organisation's settings were changed",
    }));
    body.push_str(
        &SummaryList {
            rows: vec![
                SummaryListRow::new("Name", organisation.name.clone()),
                SummaryListRow::new("Kind", kind_words(&organisation.kind)),
                SummaryListRow::new("Nation", nation_words(s.nation)),
                SummaryListRow::new(
                    "First Responder Organisation list",
                    list_words(&state, s.first_responder_list.as_deref()),
                ),
                SummaryListRow::new(
                    "Designated from",
                    s.designated_from
                        .map(date)
                        .unwrap_or_else(|| "Not designated".to_owned()),
                ),
                SummaryListRow::new(
                    "Designated to",
                    s.designated_to
                        .map(date)
                        .unwrap_or_else(|| "No end".to_owned()),
                ),
            ],
            ..SummaryList::default()
        }
        .to_string(),
    );
    body.push_str(&format!(
        "<p class=\"govuk-body\">{}</p>",
        link(&change, "Change the nation, list or designation")
    ));
    if organisation.kind == OrganisationKind::FirstResponderOrganisation {
        body.push_str(&format!(
            "<p class=\"govuk-body\">{}</p>",
            link(
                &format!("/training/records?organisation={}", id.0),
                "See who in this organisation is trained"
            )
        ));
    }
    body.push_str(&format!(
        "<p class=\"govuk-body\">{}</p>",
        link(
            &format!("/administration/accounts?organisation={}", id.0),
            "See this organisation's accounts"
        )
    ));
    Ok(page(
        layout(&signed_in, &organisation.name).back("/administration/organisations"),
        &Errors::default(),
        body,
        StatusCode::OK,
    ))
}

/// A new organisation's answers.
#[derive(Debug, Default)]
struct NewAnswers {
    name: String,
    kind: String,
    nation: String,
    list: String,
}

impl NewAnswers {
    fn from(form: &Form) -> Self {
        Self {
            name: form::value(form, "name").trim().to_owned(),
            kind: form::value(form, "kind").to_owned(),
            nation: form::value(form, "nation").to_owned(),
            list: form::value(form, "first_responder_list").to_owned(),
        }
    }

    fn hidden(&self) -> Vec<(String, String)> {
        vec![
            ("name".to_owned(), self.name.clone()),
            ("kind".to_owned(), self.kind.clone()),
            ("nation".to_owned(), self.nation.clone()),
            ("first_responder_list".to_owned(), self.list.clone()),
        ]
    }

    fn settings(&self) -> ReferrerSettings {
        ReferrerSettings {
            nation: parse_nation(&self.nation),
            first_responder_list: (!self.list.is_empty()).then(|| self.list.clone()),
            designated_from: None,
            designated_to: None,
        }
    }
}

fn new_form(
    state: &AppState,
    signed_in: &SignedIn,
    answers: &NewAnswers,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let kinds: Vec<(String, String)> = KINDS
        .iter()
        .map(|(c, w)| ((*c).to_owned(), (*w).to_owned()))
        .collect();
    let mut body = form_open(signed_in, "/administration/organisations/new", &[]);
    body.push_str(&text_input("name", "Name", None, &answers.name, errors));
    body.push_str(&radios("kind", "Kind", &kinds, &answers.kind, errors));
    body.push_str(&radios(
        "nation",
        "Nation it works in",
        &nations(),
        &answers.nation,
        errors,
    ));
    body.push_str(&select(
        "first_responder_list",
        "Kind on the First Responder Organisation list (First Responder Organisations only)",
        &list_kinds(state),
        &answers.list,
        errors,
    ));
    body.push_str(&p(
        "A First Responder Organisation not on the list is designated individually from the day it is added.",
    ));
    body.push_str(&button("Continue", "continue"));
    body.push_str("</form>");
    page(
        layout(signed_in, "Add an organisation").back("/administration/organisations"),
        errors,
        body,
        status,
    )
}

/// The form to add an organisation.
pub async fn new_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    authorise(&state, &signed_in, Operation::ManageOrganisations).await?;
    Ok(new_form(
        &state,
        &signed_in,
        &NewAnswers::default(),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// The new organisation posted: its errors, its check page, or (checked) added.
pub async fn add(
    State(state): State<AppState>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ManageOrganisations).await?;
    let answers = NewAnswers::from(&posted);
    let mut errors = Errors::default();
    if answers.name.is_empty() || answers.name.len() > 200 {
        errors.add(
            "name",
            "Enter the organisation's name, in 200 characters or fewer",
        );
    }
    let kind = OrganisationKind::parse(&answers.kind);
    match &kind {
        None => errors.add("kind", "Choose the kind of organisation"),
        Some(kind) => {
            let admin = state.cases.administration();
            for (href, message) in
                problems_to_errors(&admin.check_referrer_settings(kind, &answers.settings())).list
            {
                errors.add(&href, &message);
            }
        }
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        return Ok(new_form(
            &state,
            &signed_in,
            &answers,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    if form::value(&posted, "confirmed") != "yes" {
        let rows = vec![
            SummaryListRow::new("Name", answers.name.clone()),
            SummaryListRow::new("Kind", kind_words(&kind)),
            SummaryListRow::new("Nation", nation_words(parse_nation(&answers.nation))),
            SummaryListRow::new(
                "First Responder Organisation list",
                list_words(&state, Some(&answers.list)),
            ),
        ];
        return Ok(page(
            layout(&signed_in, "Check the organisation before you add it")
                .back("/administration/organisations/new"),
            &Errors::default(),
            check_body(
                &signed_in,
                "/administration/organisations/new",
                rows,
                answers.hidden(),
                "Add the organisation",
                "/administration/organisations/new",
            ),
            StatusCode::OK,
        ));
    }
    let now = state.now();
    let admin = state.cases.administration();
    let id = admin
        .add_organisation(
            &capability,
            OrganisationId(uuid::Uuid::new_v4()),
            &answers.name,
            &kind,
            now,
        )
        .await
        .map_err(fault)?;
    let settings = answers.settings();
    if settings.first_responder_list.is_some() {
        admin
            .set_referrer(&capability, id, &settings, now)
            .await
            .map_err(fault)?;
    } else if let Some(nation) = settings.nation {
        admin
            .set_organisation_nation(&capability, id, nation_code(Some(nation)), now)
            .await
            .map_err(fault)?;
    }
    Ok(Redirect::to(&format!(
        "/administration/organisations/{}?done=added",
        id.0
    ))
    .into_response())
}

/// The settings' answers: nation, list kind and designation dates (in parts).
#[derive(Debug, Default)]
struct ReferrerAnswers {
    nation: String,
    list: String,
    parts: Vec<(String, String)>,
}

const DATE_FIELDS: [&str; 2] = ["designated_from", "designated_to"];

impl ReferrerAnswers {
    fn from_form(form: &Form) -> Self {
        let mut parts = Vec::new();
        for field in DATE_FIELDS {
            for part in ["day", "month", "year"] {
                let name = format!("{field}-{part}");
                parts.push((name.clone(), form::value(form, &name).trim().to_owned()));
            }
        }
        Self {
            nation: form::value(form, "nation").to_owned(),
            list: form::value(form, "first_responder_list").to_owned(),
            parts,
        }
    }

    fn from_settings(s: &ReferrerSettings) -> Self {
        let mut parts = Vec::new();
        for (field, day) in DATE_FIELDS.iter().zip([s.designated_from, s.designated_to]) {
            use chrono::Datelike;
            let values = day.map_or_else(
                || [String::new(), String::new(), String::new()],
                |d| {
                    [
                        d.day().to_string(),
                        d.month().to_string(),
                        d.year().to_string(),
                    ]
                },
            );
            for (part, value) in ["day", "month", "year"].iter().zip(values) {
                parts.push((format!("{field}-{part}"), value));
            }
        }
        Self {
            nation: nation_code(s.nation).to_owned(),
            list: s.first_responder_list.clone().unwrap_or_default(),
            parts,
        }
    }

    fn part(&self, name: &str) -> &str {
        self.parts
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A date field: empty is `None`; otherwise a real day or an error.
    fn date(&self, field: &str, errors: &mut Errors) -> Option<NaiveDate> {
        let parts: Vec<&str> = ["day", "month", "year"]
            .iter()
            .map(|p| self.part(&format!("{field}-{p}")))
            .collect();
        if parts.iter().all(|p| p.is_empty()) {
            return None;
        }
        let day = match (parts[0].parse(), parts[1].parse(), parts[2].parse()) {
            (Ok(d), Ok(m), Ok(y)) => NaiveDate::from_ymd_opt(y, m, d),
            _ => None,
        };
        if day.is_none() {
            errors.add(
                &format!("{field}-day"),
                "Enter a real date, for example 27 3 2024",
            );
        }
        day
    }
}

fn date_input(name: &str, label: &str, answers: &ReferrerAnswers, errors: &Errors) -> String {
    let item = |p: &str, words: &str, width: &str| DateInputItem {
        id: Some(format!("{name}-{p}")),
        name: Some(format!("{name}-{p}")),
        label: Some(words.to_owned()),
        value: Some(answers.part(&format!("{name}-{p}")).to_owned()),
        classes: Some(width.to_owned()),
        ..DateInputItem::default()
    };
    DateInput {
        id: Some(name.to_owned()),
        fieldset: Some(Fieldset {
            legend: Some(Legend {
                text: Some(label.to_owned()),
                classes: Some("govuk-fieldset__legend--m".to_owned()),
                ..Legend::default()
            }),
            ..Fieldset::default()
        }),
        error_message: errors.message(name, Lang::En),
        items: vec![
            Some(item("day", "Day", "govuk-input--width-2")),
            Some(item("month", "Month", "govuk-input--width-2")),
            Some(item("year", "Year", "govuk-input--width-4")),
        ],
        ..DateInput::default()
    }
    .to_string()
}

#[expect(clippy::too_many_arguments, reason = "the parts of one page")]
fn referrer_form(
    state: &AppState,
    signed_in: &SignedIn,
    id: OrganisationId,
    name: &str,
    answers: &ReferrerAnswers,
    version: &str,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let action = format!("/administration/organisations/{}/referrer", id.0);
    let mut body = form_open(
        signed_in,
        &action,
        &[("version".to_owned(), version.to_owned())],
    );
    body.push_str(&radios(
        "nation",
        "Nation it works in",
        &nations(),
        &answers.nation,
        errors,
    ));
    body.push_str(&select(
        "first_responder_list",
        "Kind on the First Responder Organisation list",
        &list_kinds(state),
        &answers.list,
        errors,
    ));
    body.push_str(&date_input(
        "designated_from",
        "Individually designated from (leave empty if not designated)",
        answers,
        errors,
    ));
    body.push_str(&date_input(
        "designated_to",
        "Designated until (leave empty if it has no end)",
        answers,
        errors,
    ));
    body.push_str(&button("Continue", "continue"));
    body.push_str("</form>");
    page(
        layout(signed_in, &format!("Change {name}"))
            .back(format!("/administration/organisations/{}", id.0)),
        errors,
        body,
        status,
    )
}

/// The form to change an organisation's nation, list kind and designation.
pub async fn referrer_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ManageOrganisations).await?;
    let id = organisation_id(&id)?;
    let now = state.now();
    let admin = state.cases.administration();
    let organisation = admin
        .organisation(&capability, id, now)
        .await
        .map_err(fault)?;
    let referrer = admin.referrer(&capability, id, now).await.map_err(fault)?;
    Ok(referrer_form(
        &state,
        &signed_in,
        id,
        &organisation.name,
        &ReferrerAnswers::from_settings(&referrer.settings),
        &referrer.settings.version(),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// The settings posted: errors, the check page, or (checked, and still the version read)
/// recorded.
pub async fn set_referrer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ManageOrganisations).await?;
    let id = organisation_id(&id)?;
    let now = state.now();
    let admin = state.cases.administration();
    let organisation = admin
        .organisation(&capability, id, now)
        .await
        .map_err(fault)?;
    let current = admin.referrer(&capability, id, now).await.map_err(fault)?;
    let version = form::value(&posted, "version").to_owned();
    let answers = ReferrerAnswers::from_form(&posted);
    let mut errors = Errors::default();
    let from = answers.date("designated_from", &mut errors);
    let to = answers.date("designated_to", &mut errors);
    let settings = ReferrerSettings {
        nation: parse_nation(&answers.nation),
        first_responder_list: (!answers.list.is_empty()).then(|| answers.list.clone()),
        designated_from: from,
        designated_to: to,
    };
    if errors.is_empty() {
        for (href, message) in
            problems_to_errors(&admin.check_referrer_settings(&organisation.kind, &settings)).list
        {
            let href = if DATE_FIELDS.contains(&href.as_str()) {
                format!("{href}-day")
            } else {
                href
            };
            errors.add(&href, &message);
        }
    }
    if !errors.is_empty() {
        return Ok(referrer_form(
            &state,
            &signed_in,
            id,
            &organisation.name,
            &answers,
            &version,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let back = format!("/administration/organisations/{}", id.0);
    if version != current.settings.version() {
        return Ok(stale(&signed_in, "organisation", &back));
    }
    let action = format!("/administration/organisations/{}/referrer", id.0);
    if form::value(&posted, "confirmed") != "yes" {
        let mut hidden = answers.parts.clone();
        hidden.push(("nation".to_owned(), answers.nation.clone()));
        hidden.push(("first_responder_list".to_owned(), answers.list.clone()));
        hidden.push(("version".to_owned(), version));
        let rows = vec![
            SummaryListRow::new("Organisation", organisation.name.clone()),
            SummaryListRow::new("Nation", nation_words(settings.nation)),
            SummaryListRow::new(
                "First Responder Organisation list",
                list_words(&state, settings.first_responder_list.as_deref()),
            ),
            SummaryListRow::new(
                "Designated from",
                from.map(date)
                    .unwrap_or_else(|| "Not designated".to_owned()),
            ),
            SummaryListRow::new(
                "Designated to",
                to.map(date).unwrap_or_else(|| "No end".to_owned()),
            ),
        ];
        return Ok(page(
            layout(&signed_in, "Check the changes before you save them").back(action.clone()),
            &Errors::default(),
            check_body(
                &signed_in,
                &action,
                rows,
                hidden,
                "Save the changes",
                &action,
            ),
            StatusCode::OK,
        ));
    }
    admin
        .set_referrer(&capability, id, &settings, now)
        .await
        .map_err(fault)?;
    Ok(Redirect::to(&format!("{back}?done=changed")).into_response())
}
