//! Recording a Reasonable Grounds or Conclusive Grounds decision: the form, a confirmation
//! step showing the decision back, then the record. A decision made on a case that changed in
//! the meantime is refused, not overwritten.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::CaseOperation;
use nrm_domain::DomainError;
use nrm_domain::clock::uk_date;
use nrm_domain::event::{NegativeReason, Outcome};
use nrm_domain::personal::MAX_NARRATIVE_CHARS;
use nrm_govuk::components::{Button, SummaryList, SummaryListRow};
use nrm_service::{DecisionInput, DecisionKind, ServiceError};

use crate::AppState;
use crate::pages::casework::{authorise_case, date};
use crate::pages::errors::PageError;
use crate::pages::form::{self, Form};
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, Layout, render, render_status};
use crate::pages::referrals::fields;
use crate::pages::referrals::journey::{self, Field, FieldKind, Question};
use crate::pages::session::{Posted, SignedIn};

const OUTCOMES: &[(&str, &str)] = &[
    ("positive", "decision.positive"),
    ("negative", "decision.negative"),
];
const NEGATIVE_REASONS: &[(&str, &str)] = &[
    (
        "insufficient_evidence",
        "decision.reason.insufficient_evidence",
    ),
    ("definition_not_met", "decision.reason.definition_not_met"),
    ("disengaged", "decision.reason.disengaged"),
    ("other", "decision.reason.other"),
];

/// The form's fields, in page order: the reason for a negative decision follows the outcome
/// (not revealed under it: GOV.UK Frontend puts `aria-expanded` on a revealing radio, which
/// ARIA does not allow on a radio).
const FIELDS: &[Field] = &[
    Field {
        name: "outcome",
        label: "decision.outcome",
        hint: None,
        kind: FieldKind::Radios(OUTCOMES),
        required: true,
        missing: "decision.outcome.missing",
    },
    Field {
        name: "negative_reason",
        label: "decision.reason",
        hint: Some("decision.reason.hint"),
        kind: FieldKind::Radios(NEGATIVE_REASONS),
        required: false,
        missing: "decision.reason.missing",
    },
    Field {
        name: "decided_on",
        label: "decision.date",
        hint: Some("decision.date.hint"),
        kind: FieldKind::Date,
        required: true,
        missing: "decision.date.missing",
    },
    Field {
        name: "reasons",
        label: "decision.reasons",
        hint: Some("decision.reasons.hint"),
        kind: FieldKind::LongText {
            max: MAX_NARRATIVE_CHARS,
        },
        required: true,
        missing: "decision.reasons.missing",
    },
];

const QUESTION: Question = Question {
    slug: "decision",
    title: "decision.outcome",
    fields: FIELDS,
    kinds: &[],
    when: None,
};

fn which(decision: &str) -> Result<(DecisionKind, &'static str), PageError> {
    match decision {
        "reasonable-grounds" => Ok((DecisionKind::ReasonableGrounds, "Reasonable Grounds")),
        "conclusive-grounds" => Ok((DecisionKind::ConclusiveGrounds, "Conclusive Grounds")),
        _ => Err(PageError::NotFound(Lang::En)),
    }
}

#[derive(Template)]
#[template(path = "casework/decision.html")]
struct DecisionPage {
    layout: Layout,
    errors: String,
    action: String,
    fields: Vec<String>,
    form_token: String,
    version: u64,
    button: String,
}

#[derive(Template)]
#[template(path = "casework/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    errors: String,
    action: String,
    summary: String,
    hidden: Vec<(String, String)>,
    form_token: String,
    button: String,
    change: String,
}

fn decision_page(
    signed_in: &SignedIn,
    reference: &str,
    decision: &str,
    name: &str,
    values: &BTreeMap<String, Vec<String>>,
    errors: &Errors,
    version: u64,
) -> DecisionPage {
    DecisionPage {
        layout: signed_in
            .layout(format!("Record the {name} decision"))
            .casework()
            .back(format!("/cases/{reference}"))
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: format!("/cases/{reference}/{decision}"),
        fields: FIELDS
            .iter()
            .map(|f| fields::render(f, values, errors, Lang::En, false))
            .collect(),
        form_token: signed_in.form_token.clone(),
        version,
        button: Button {
            text: Some("Continue".to_owned()),
            ..Button::default()
        }
        .to_string(),
    }
}

/// The decision form.
pub async fn form(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((reference, decision)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (_, name) = which(&decision)?;
    authorise_case(&state, &signed_in, &reference, CaseOperation::Decide).await?;
    let (read, _) = authorise_case(&state, &signed_in, &reference, CaseOperation::Read).await?;
    let version = state
        .cases
        .view(&read, None, None, state.now())
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?
        .version;
    Ok(render(&decision_page(
        &signed_in,
        &reference,
        &decision,
        name,
        &BTreeMap::new(),
        &Errors::default(),
        version,
    )))
}

fn parsed(values: &BTreeMap<String, Vec<String>>) -> Option<DecisionInput> {
    let one = |n: &str| {
        values
            .get(n)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    let decided_on = journey::date_of(values, "decided_on")?;
    let outcome = match one("outcome").as_str() {
        "positive" => Outcome::Positive,
        "negative" => Outcome::Negative,
        _ => return None,
    };
    let negative_reason = match (outcome, one("negative_reason").as_str()) {
        (Outcome::Positive, _) => None,
        (_, "insufficient_evidence") => Some(NegativeReason::InsufficientEvidence),
        (_, "definition_not_met") => Some(NegativeReason::DefinitionNotMet),
        (_, "disengaged") => Some(NegativeReason::Disengaged),
        (_, "other") => Some(NegativeReason::Other),
        _ => return None,
    };
    Some(DecisionInput {
        outcome,
        decided_on,
        reasons: one("reasons").trim().to_owned(),
        negative_reason,
    })
}

/// The decision form posted: shown back for confirmation, or, once confirmed, recorded.
pub async fn submit(
    State(state): State<AppState>,
    Path((reference, decision)): Path<(String, String)>,
    Posted {
        signed_in, form, ..
    }: Posted,
) -> Result<Response, PageError> {
    let (kind, name) = which(&decision)?;
    let (capability, _) =
        authorise_case(&state, &signed_in, &reference, CaseOperation::Decide).await?;
    let version: u64 = form::value(&form, "version").parse().unwrap_or(0);
    let checked = journey::check_page(&QUESTION, &form, Lang::En, uk_date(state.now()));
    let values = match checked {
        Ok(mut values) => {
            let mut errors = Errors::default();
            if form::value(&form, "outcome") == "negative"
                && form::value(&form, "negative_reason").is_empty()
            {
                errors.add("negative_reason", Lang::En.t("decision.reason.missing"));
            }
            if form::value(&form, "outcome") == "positive" {
                values.insert("negative_reason".to_owned(), vec![String::new()]);
            }
            if !errors.is_empty() {
                return Ok(render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &decision_page(
                        &signed_in, &reference, &decision, name, &values, &errors, version,
                    ),
                ));
            }
            values
        }
        Err((problems, values)) => {
            let errors = journey::page_errors(&problems);
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &decision_page(
                    &signed_in, &reference, &decision, name, &values, &errors, version,
                ),
            ));
        }
    };
    let Some(input) = parsed(&values) else {
        return Err(PageError::Fault(Lang::En));
    };
    if form::value(&form, "confirmed") != "yes" {
        return Ok(render(&confirm_page(
            &signed_in,
            &reference,
            &decision,
            name,
            &form,
            &input,
            &Errors::default(),
        )));
    }
    match state
        .cases
        .decide(&capability, Some(version), kind, input.clone(), state.now())
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/cases/{reference}?recorded={decision}")).into_response())
        }
        Err(ServiceError::Conflict { .. }) => {
            let mut errors = Errors::default();
            errors.add("confirm", "The case changed while you were deciding. Go back to the case, check what changed, then record the decision again");
            Ok(render_status(
                StatusCode::CONFLICT,
                &confirm_page(
                    &signed_in, &reference, &decision, name, &form, &input, &errors,
                ),
            ))
        }
        Err(ServiceError::Domain(e)) => {
            let mut errors = Errors::default();
            let message = match &e {
                DomainError::Invalid(problems) => problems
                    .iter()
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join(". "),
                DomainError::ConclusiveGroundsInsideRecoveryPeriod {
                    minimum_ends_on, ..
                } => format!(
                    "The Conclusive Grounds decision cannot be made before {}, when the minimum recovery period ends",
                    date(*minimum_ends_on)
                ),
                other => sentence(&other.to_string()),
            };
            errors.add("confirm", &message);
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &confirm_page(
                    &signed_in, &reference, &decision, name, &form, &input, &errors,
                ),
            ))
        }
        Err(e) => Err(PageError::from_service(e, Lang::En)),
    }
}

/// A service message as an error message: starting with a capital letter.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn confirm_page(
    signed_in: &SignedIn,
    reference: &str,
    decision: &str,
    name: &str,
    form: &Form,
    input: &DecisionInput,
    errors: &Errors,
) -> ConfirmPage {
    let mut rows = vec![
        SummaryListRow::new("Case", reference),
        SummaryListRow::new(
            "Decision",
            match input.outcome {
                Outcome::Positive => "Positive",
                Outcome::Negative => "Negative",
            },
        ),
        SummaryListRow::new("Decided on", date(input.decided_on)),
    ];
    if let Some(reason) = input.negative_reason {
        let code = match reason {
            NegativeReason::InsufficientEvidence => "insufficient_evidence",
            NegativeReason::DefinitionNotMet => "definition_not_met",
            NegativeReason::Disengaged => "disengaged",
            NegativeReason::Other => "other",
        };
        rows.push(SummaryListRow::new(
            "Reason for a negative decision",
            Lang::En.t(&format!("decision.reason.{code}")),
        ));
    }
    rows.push(SummaryListRow::new("Reasons", input.reasons.clone()));
    let mut hidden: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "form_token" | "confirmed"))
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k.clone(), v.clone())))
        .collect();
    hidden.push(("confirmed".to_owned(), "yes".to_owned()));
    ConfirmPage {
        layout: signed_in
            .layout(format!("Check the {name} decision before recording it"))
            .casework()
            .back(format!("/cases/{reference}/{decision}"))
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: format!("/cases/{reference}/{decision}"),
        summary: SummaryList {
            rows,
            ..SummaryList::default()
        }
        .to_string(),
        hidden,
        form_token: signed_in.form_token.clone(),
        button: Button {
            text: Some("Record decision".to_owned()),
            prevent_double_click: Some(true),
            attributes: nrm_govuk::components::Attributes::from_pairs([("id", "confirm")]),
            ..Button::default()
        }
        .to_string(),
        change: format!("/cases/{reference}/{decision}"),
    }
}
