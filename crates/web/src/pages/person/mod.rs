//! Persons (issue 14), for a competent authority's decision makers and managers: the queue
//! of possible earlier referrals, each possible match side by side (what agreed and what did
//! not; the values only when the reviewer may read the personal details of both referrals)
//! with a check step before it is confirmed (joined) or rejected; the person page (every
//! referral, decision and support episode in date order, the rule on another recovery period,
//! and splitting referrals back out, again with a check step); and the re-referral flag the
//! case page shows. English only, like casework. Persons and reviews are addressed by random
//! ids, never by anything personal.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::{CaseCapability, CaseOperation, Operation};
use nrm_domain::clock::uk_date;
use nrm_domain::ids::CaseId;
use nrm_domain::person::rules::AdditionalRecoveryPeriod;
use nrm_domain::person::{PersonId, ReviewId};
use nrm_govuk::components::{
    Button, Checkboxes, CheckboxesItem, Fieldset, Legend, NotificationBanner, Radios, RadiosItem,
};
use nrm_service::ServiceError;
use nrm_service::persons::{MatchReviewItem, MatchSide, PersonHistory};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::form;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, render_status};
use crate::pages::session::{Posted, SignedIn};

#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    status: Option<String>,
    done: Option<String>,
}

#[derive(Debug)]
pub struct QueueRow {
    pub href: String,
    pub new_reference: String,
    pub earlier_reference: String,
    pub probability: String,
    pub agreed: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "person/queue.html")]
struct QueuePage {
    layout: crate::pages::layout::Layout,
    banner: String,
    showing: &'static str,
    rows: Vec<QueueRow>,
}

#[derive(Debug)]
pub struct FieldRow {
    pub field: &'static str,
    pub agreement: &'static str,
    pub tag: &'static str,
    pub level: String,
    pub new_value: String,
    pub earlier_value: String,
}

#[derive(Template)]
#[template(path = "person/review.html")]
struct ReviewPage {
    layout: crate::pages::layout::Layout,
    errors: String,
    new_reference: String,
    earlier_reference: String,
    new_submitted: String,
    earlier_submitted: String,
    probability: String,
    with_values: bool,
    fields: Vec<FieldRow>,
    open: bool,
    status: String,
    action: String,
    form_token: String,
    radios: String,
    button: String,
}

#[derive(Template)]
#[template(path = "person/check.html")]
struct CheckPage {
    layout: crate::pages::layout::Layout,
    what: String,
    action: String,
    hidden: Vec<(String, String)>,
    form_token: String,
    button: String,
    change: String,
}

#[derive(Debug)]
pub struct ReferralRow {
    pub case_id: String,
    pub reference: String,
    pub href: String,
    pub submitted: String,
    pub status: String,
    pub rg: String,
    pub cg: String,
}

#[derive(Debug)]
pub struct EntryRow {
    pub on: String,
    pub reference: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "person/person.html")]
struct PersonPage {
    layout: crate::pages::layout::Layout,
    banner: String,
    errors: String,
    joined_into: Option<String>,
    referrals: Vec<ReferralRow>,
    entries: Vec<EntryRow>,
    recovery: String,
    action: String,
    form_token: String,
    split: String,
    button: String,
    version: u64,
}

fn percent(permille: u16) -> String {
    format!("{}.{}%", permille / 10, permille % 10)
}

fn field_words(field: &str) -> &'static str {
    match field {
        "given_names" => "Given names",
        "family_name" => "Family name",
        "date_of_birth" => "Date of birth",
        "sex" => "Sex",
        "address" => "Address",
        _ => "Other",
    }
}

fn agreement_words(a: &str) -> (&'static str, &'static str) {
    match a {
        "agrees" => ("Agrees", "govuk-tag--green"),
        "partly" => ("Partly agrees", "govuk-tag--yellow"),
        "disagrees" => ("Does not agree", "govuk-tag--red"),
        _ => ("Not known on one or both", "govuk-tag--grey"),
    }
}

fn status_words(s: &str) -> &'static str {
    match s {
        "open" => "Waiting for review",
        "confirmed" => "Confirmed: the same person",
        "rejected" => "Rejected: different people",
        _ => "Unknown",
    }
}

fn value_of(side: &MatchSide, field: &str) -> String {
    let Some(d) = &side.details else {
        return String::new();
    };
    match field {
        "given_names" => {
            if d.other_names.is_empty() {
                d.given_names.clone()
            } else {
                format!(
                    "{} (also known as {})",
                    d.given_names,
                    d.other_names.join(", ")
                )
            }
        }
        "family_name" => d.family_name.clone(),
        "date_of_birth" => d.date_of_birth.map(date).unwrap_or_default(),
        "address" => d.current_address.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// The recovery period words for a person's latest referral (NABA 2022 s62).
pub fn recovery_words(a: &AdditionalRecoveryPeriod) -> String {
    let refs = |earlier: &[nrm_domain::person::rules::EarlierPositiveRg]| {
        earlier
            .iter()
            .map(|e| {
                format!(
                    "{} (positive Reasonable Grounds on {})",
                    e.reference,
                    date(e.decided_on)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match a {
        AdditionalRecoveryPeriod::Entitled => {
            "No earlier recovery period is known for this person: a positive Reasonable Grounds decision starts one as usual.".to_owned()
        }
        AdditionalRecoveryPeriod::EntitledUnderEarlierRule { earlier, source } => format!(
            "This person had a recovery period from {}. Under the rule then in force every positive Reasonable Grounds decision started its own. Source: {source}",
            refs(earlier)
        ),
        AdditionalRecoveryPeriod::CompetentAuthorityDecides {
            earlier,
            source,
            uncertain,
        } => format!(
            "This person already had a recovery period from {}. Another is not an entitlement: decide whether one is appropriate in the circumstances, for example exploitation after the earlier decision. Source: {source}{}",
            refs(earlier),
            if *uncertain {
                " (this rule's exact test is still to be confirmed)"
            } else {
                ""
            }
        ),
    }
}

fn parse_review(id: &str) -> Result<ReviewId, PageError> {
    Uuid::parse_str(id)
        .map(ReviewId)
        .map_err(|_| PageError::NotFound(Lang::En))
}

fn parse_person(id: &str) -> Result<PersonId, PageError> {
    Uuid::parse_str(id)
        .map(PersonId)
        .map_err(|_| PageError::NotFound(Lang::En))
}

fn service(e: ServiceError) -> PageError {
    PageError::from_service(e, Lang::En)
}

/// The queue of possible earlier referrals.
pub async fn queue(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<QueueParams>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ReviewPersonMatches).await?;
    let status = match params.status.as_deref() {
        Some("confirmed") => "confirmed",
        Some("rejected") => "rejected",
        _ => "open",
    };
    let items = state
        .cases
        .persons()
        .review_queue(&capability, status, state.now())
        .await
        .map_err(service)?;
    let rows = items
        .iter()
        .map(|i| QueueRow {
            href: format!("/persons/reviews/{}", i.review_id),
            new_reference: i.new.reference.clone(),
            earlier_reference: i.earlier.reference.clone(),
            probability: percent(i.probability_permille),
            agreed: i
                .fields
                .iter()
                .filter(|f| f.agreement == "agrees")
                .map(|f| field_words(f.field))
                .collect::<Vec<_>>()
                .join(", "),
            status: status_words(&i.status).to_owned(),
        })
        .collect();
    let banner = match params.done.as_deref() {
        Some("joined") => "Confirmed: the referrals are now one person's",
        Some("rejected") => "Rejected: the referrals stay different people",
        _ => "",
    };
    let banner = if banner.is_empty() {
        String::new()
    } else {
        NotificationBanner {
            type_: Some("success".to_owned()),
            text: Some(banner.to_owned()),
            ..NotificationBanner::default()
        }
        .to_string()
    };
    Ok(render_status(
        StatusCode::OK,
        &QueuePage {
            layout: signed_in
                .layout("Possible earlier referrals")
                .casework()
                .back("/cases"),
            banner,
            showing: status,
            rows,
        },
    ))
}

/// The caller's personal-details capabilities for both referrals of a review, if they hold
/// both (asked of the policy for each case).
async fn personal_caps(
    state: &AppState,
    signed_in: &SignedIn,
    cases: (CaseId, CaseId),
) -> Result<Option<(CaseCapability, CaseCapability)>, PageError> {
    let today = uk_date(state.now());
    let mut caps = Vec::new();
    for case in [cases.0, cases.1] {
        let Some(facts) = state.cases.case_facts(case, today).await.map_err(service)? else {
            return Ok(None);
        };
        match nrm_access::authorise_case(
            &signed_in.principal,
            CaseOperation::ReadPersonalDetails,
            &facts,
        ) {
            Ok(c) => caps.push(c),
            Err(_) => return Ok(None),
        }
    }
    let b = caps.pop();
    let a = caps.pop();
    Ok(a.zip(b))
}

fn review_page(
    signed_in: &SignedIn,
    item: &MatchReviewItem,
    errors: &Errors,
    chosen: &str,
) -> ReviewPage {
    let with_values = item.new.details.is_some() && item.earlier.details.is_some();
    let fields = item
        .fields
        .iter()
        .map(|f| {
            let (agreement, tag) = agreement_words(f.agreement);
            FieldRow {
                field: field_words(f.field),
                agreement,
                tag,
                level: f.level.map(str::to_owned).unwrap_or_default(),
                new_value: value_of(&item.new, f.field),
                earlier_value: value_of(&item.earlier, f.field),
            }
        })
        .collect();
    let radios = Radios {
        name: Some("decision".to_owned()),
        id_prefix: Some("decision".to_owned()),
        fieldset: Some(Fieldset {
            legend: Some(Legend {
                text: Some("Are these referrals of the same person?".to_owned()),
                classes: Some("govuk-fieldset__legend--m".to_owned()),
                ..Legend::default()
            }),
            ..Fieldset::default()
        }),
        error_message: errors.message("decision", Lang::En),
        items: vec![
            Some(RadiosItem {
                value: Some("join".to_owned()),
                text: Some("Yes, the same person: join the referrals".to_owned()),
                checked: Some(chosen == "join"),
                ..RadiosItem::default()
            }),
            Some(RadiosItem {
                value: Some("reject".to_owned()),
                text: Some("No, different people".to_owned()),
                checked: Some(chosen == "reject"),
                ..RadiosItem::default()
            }),
        ],
        ..Radios::default()
    }
    .to_string();
    ReviewPage {
        layout: signed_in
            .layout("Possible earlier referral")
            .casework()
            .back("/persons/reviews")
            .errors(errors),
        errors: errors.summary(Lang::En),
        new_reference: item.new.reference.clone(),
        earlier_reference: item.earlier.reference.clone(),
        new_submitted: item.new.submitted_on.map(date).unwrap_or_default(),
        earlier_submitted: item.earlier.submitted_on.map(date).unwrap_or_default(),
        probability: percent(item.probability_permille),
        with_values,
        fields,
        open: item.status == "open",
        status: status_words(&item.status).to_owned(),
        action: format!("/persons/reviews/{}", item.review_id),
        form_token: signed_in.form_token.clone(),
        radios,
        button: Button {
            text: Some("Continue".to_owned()),
            ..Button::default()
        }
        .to_string(),
    }
}

async fn load_review(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
) -> Result<(nrm_access::Capability, ReviewId, MatchReviewItem), PageError> {
    let capability = authorise(state, signed_in, Operation::ReviewPersonMatches).await?;
    let review = parse_review(id)?;
    let cases = state
        .cases
        .persons()
        .review_cases(&capability, review)
        .await
        .map_err(service)?;
    let caps = personal_caps(state, signed_in, cases).await?;
    let item = state
        .cases
        .persons()
        .review(
            &capability,
            review,
            caps.as_ref().map(|(a, b)| (a, b)),
            state.now(),
        )
        .await
        .map_err(service)?;
    Ok((capability, review, item))
}

/// One possible match, side by side.
pub async fn review(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, _, item) = load_review(&state, &signed_in, &id).await?;
    Ok(render_status(
        StatusCode::OK,
        &review_page(&signed_in, &item, &Errors::default(), ""),
    ))
}

/// The decision posted: the page again with its error, the check page, or (checked) joined
/// or rejected.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted {
        signed_in,
        form,
        carried,
    }: Posted,
) -> Result<Response, PageError> {
    let (capability, review, item) = load_review(&state, &signed_in, &id).await?;
    let decision = form::value(&form, "decision").to_owned();
    if !matches!(decision.as_str(), "join" | "reject") {
        let mut errors = Errors::default();
        errors.add(
            "decision",
            "Select whether these referrals are of the same person",
        );
        return Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &review_page(&signed_in, &item, &errors, ""),
        ));
    }
    if item.status != "open" {
        return Err(PageError::Redirect(format!("/persons/reviews/{review}")));
    }
    if carried || form::value(&form, "confirmed") != "yes" {
        let what = if decision == "join" {
            format!(
                "You are confirming that {} and {} are referrals of the same person. Their histories will be joined; the join can be undone from the person's page.",
                item.new.reference, item.earlier.reference
            )
        } else {
            format!(
                "You are recording that {} and {} are referrals of different people.",
                item.new.reference, item.earlier.reference
            )
        };
        return Ok(render_status(
            StatusCode::OK,
            &CheckPage {
                layout: signed_in
                    .layout("Check your decision")
                    .casework()
                    .back(format!("/persons/reviews/{review}")),
                what,
                action: format!("/persons/reviews/{review}"),
                hidden: vec![("decision".to_owned(), decision.clone())],
                form_token: signed_in.form_token.clone(),
                button: Button {
                    text: Some(if decision == "join" {
                        "Join the referrals".to_owned()
                    } else {
                        "Record different people".to_owned()
                    }),
                    ..Button::default()
                }
                .to_string(),
                change: format!("/persons/reviews/{review}"),
            },
        ));
    }
    let persons = state.cases.persons();
    let now = state.now();
    let result = if decision == "join" {
        persons
            .confirm(&capability, review, now)
            .await
            .map(|_| "joined")
    } else {
        persons
            .reject(&capability, review, now)
            .await
            .map(|_| "rejected")
    };
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/persons/reviews?done={done}")).into_response()),
        Err(ServiceError::Domain(e)) => {
            let mut errors = Errors::default();
            errors.add("decision", &crate::pages::lifecycle::refusal_words(&e));
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &review_page(&signed_in, &item, &errors, &decision),
            ))
        }
        Err(ServiceError::Conflict { .. }) => {
            let mut errors = Errors::default();
            errors.add(
                "decision",
                "The person changed meanwhile: check and try again",
            );
            Ok(render_status(
                StatusCode::CONFLICT,
                &review_page(&signed_in, &item, &errors, &decision),
            ))
        }
        Err(e) => Err(service(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PersonParams {
    done: Option<String>,
}

fn person_page(
    signed_in: &SignedIn,
    h: &PersonHistory,
    errors: &Errors,
    banner: String,
    chosen: &[String],
) -> PersonPage {
    let referrals: Vec<ReferralRow> = h
        .referrals
        .iter()
        .map(|r| {
            let s = r.summary.as_ref();
            let outcome = |o: Option<&String>, on: Option<chrono::NaiveDate>| match (o, on) {
                (Some(o), Some(on)) => format!("{} on {}", o.replace('_', " "), date(on)),
                _ => "Not yet".to_owned(),
            };
            ReferralRow {
                case_id: r.case_id.to_string(),
                reference: r.reference.clone(),
                href: format!("/cases/{}", r.reference),
                submitted: date(r.submitted_on),
                status: s
                    .map(|s| crate::pages::casework::status_words(s.status))
                    .unwrap_or_default()
                    .to_owned(),
                rg: outcome(
                    s.and_then(|s| s.reasonable_grounds_outcome.as_ref()),
                    s.and_then(|s| s.reasonable_grounds_decided_on),
                ),
                cg: outcome(
                    s.and_then(|s| s.conclusive_grounds_outcome.as_ref()),
                    s.and_then(|s| s.conclusive_grounds_decided_on),
                ),
            }
        })
        .collect();
    let entries = h
        .entries
        .iter()
        .map(|e| EntryRow {
            on: date(e.on),
            reference: e.reference.clone(),
            what: match (e.what, e.detail.as_deref()) {
                ("referred", _) => "Referred".to_owned(),
                ("reasonable_grounds", d) => {
                    format!("Reasonable Grounds decision: {}", d.unwrap_or("recorded"))
                }
                ("conclusive_grounds", d) => {
                    format!("Conclusive Grounds decision: {}", d.unwrap_or("recorded"))
                }
                ("support_started", d) => format!(
                    "Support episode started ({})",
                    d.unwrap_or("").replace('_', " ")
                ),
                ("support_until", _) => "Support due to end".to_owned(),
                ("joined", d) => format!("Referrals joined to this person: {}", d.unwrap_or("")),
                ("split", _) => "Referrals split from this person".to_owned(),
                (other, _) => other.replace('_', " "),
            },
        })
        .collect();
    let split = if h.referrals.len() > 1 {
        Checkboxes {
            name: Some("cases".to_owned()),
            id_prefix: Some("cases".to_owned()),
            fieldset: Some(Fieldset {
                legend: Some(Legend {
                    text: Some("Split referrals that are not this person's".to_owned()),
                    classes: Some("govuk-fieldset__legend--m".to_owned()),
                    ..Legend::default()
                }),
                ..Fieldset::default()
            }),
            hint: Some(nrm_govuk::components::Hint {
                text: Some("They become another person's. At least one referral stays.".to_owned()),
                ..Default::default()
            }),
            error_message: errors.message("cases", Lang::En),
            classes: Some("govuk-checkboxes--small".to_owned()),
            items: h
                .referrals
                .iter()
                .map(|r| {
                    let id = r.case_id.to_string();
                    Some(CheckboxesItem {
                        checked: Some(chosen.contains(&id)),
                        value: Some(id),
                        text: Some(format!(
                            "{}, referred {}",
                            r.reference,
                            date(r.submitted_on)
                        )),
                        ..CheckboxesItem::default()
                    })
                })
                .collect(),
            ..Checkboxes::default()
        }
        .to_string()
    } else {
        String::new()
    };
    PersonPage {
        layout: signed_in
            .layout("Person's referrals")
            .casework()
            .back("/persons/reviews")
            .errors(errors),
        banner,
        errors: errors.summary(Lang::En),
        joined_into: h.joined_into.map(|p| format!("/persons/{p}")),
        referrals,
        entries,
        recovery: recovery_words(&h.additional_recovery),
        action: format!("/persons/{}", h.person_id),
        form_token: signed_in.form_token.clone(),
        split,
        button: Button {
            text: Some("Continue".to_owned()),
            classes: Some("govuk-button--secondary".to_owned()),
            ..Button::default()
        }
        .to_string(),
        version: h.version,
    }
}

/// A person's history.
pub async fn person(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(params): Query<PersonParams>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ReadPersonHistory).await?;
    let person = parse_person(&id)?;
    let h = state
        .cases
        .persons()
        .history(&capability, person, state.now())
        .await
        .map_err(service)?;
    let banner = match params.done.as_deref() {
        Some("split") => NotificationBanner {
            type_: Some("success".to_owned()),
            text: Some("Referrals split: they are now another person's".to_owned()),
            ..NotificationBanner::default()
        }
        .to_string(),
        _ => String::new(),
    };
    Ok(render_status(
        StatusCode::OK,
        &person_page(&signed_in, &h, &Errors::default(), banner, &[]),
    ))
}

/// A split posted: the page again with its error, the check page, or (checked) split.
pub async fn split(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted {
        signed_in,
        form,
        carried,
    }: Posted,
) -> Result<Response, PageError> {
    let history = authorise(&state, &signed_in, Operation::ReadPersonHistory).await?;
    let capability = authorise(&state, &signed_in, Operation::ReviewPersonMatches).await?;
    let person = parse_person(&id)?;
    let h = state
        .cases
        .persons()
        .history(&history, person, state.now())
        .await
        .map_err(service)?;
    let chosen: Vec<String> = form
        .get("cases")
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| h.referrals.iter().any(|r| r.case_id.to_string() == *c))
        .collect();
    let mut errors = Errors::default();
    if chosen.is_empty() {
        errors.add("cases", "Select the referrals to split");
    } else if chosen.len() >= h.referrals.len() {
        errors.add("cases", "Leave at least one referral with this person");
    }
    if !errors.is_empty() {
        return Ok(render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &person_page(&signed_in, &h, &errors, String::new(), &chosen),
        ));
    }
    let references: Vec<String> = h
        .referrals
        .iter()
        .filter(|r| chosen.contains(&r.case_id.to_string()))
        .map(|r| r.reference.clone())
        .collect();
    let version: Option<u64> = form::value(&form, "version").parse().ok();
    if carried || form::value(&form, "confirmed") != "yes" {
        let mut hidden: Vec<(String, String)> = chosen
            .iter()
            .map(|c| ("cases".to_owned(), c.clone()))
            .collect();
        hidden.push(("version".to_owned(), h.version.to_string()));
        return Ok(render_status(
            StatusCode::OK,
            &CheckPage {
                layout: signed_in
                    .layout("Check the split")
                    .casework()
                    .back(format!("/persons/{person}")),
                what: format!(
                    "You are recording that {} {} not this person's. {} will become another person's (the person {} came from, if {} joined to this one).",
                    references.join(", "),
                    if references.len() == 1 { "is" } else { "are" },
                    if references.len() == 1 { "It" } else { "They" },
                    if references.len() == 1 { "it" } else { "they" },
                    if references.len() == 1 {
                        "it was"
                    } else {
                        "they were"
                    },
                ),
                action: format!("/persons/{person}"),
                hidden,
                form_token: signed_in.form_token.clone(),
                button: Button {
                    text: Some("Split the referrals".to_owned()),
                    ..Button::default()
                }
                .to_string(),
                change: format!("/persons/{person}"),
            },
        ));
    }
    // Back to the person they were joined from, when they all came from one.
    let cases: Vec<CaseId> = h
        .referrals
        .iter()
        .filter(|r| chosen.contains(&r.case_id.to_string()))
        .map(|r| r.case_id)
        .collect();
    let back_to = joined_from(&h, &cases);
    match state
        .cases
        .persons()
        .split(&capability, person, version, &cases, back_to, state.now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/persons/{person}?done=split")).into_response()),
        Err(ServiceError::Domain(e)) => {
            let mut errors = Errors::default();
            errors.add("cases", &crate::pages::lifecycle::refusal_words(&e));
            Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &person_page(&signed_in, &h, &errors, String::new(), &chosen),
            ))
        }
        Err(ServiceError::Conflict { .. }) => {
            let mut errors = Errors::default();
            errors.add("cases", "The person changed meanwhile: check and try again");
            Ok(render_status(
                StatusCode::CONFLICT,
                &person_page(&signed_in, &h, &errors, String::new(), &chosen),
            ))
        }
        Err(e) => Err(service(e)),
    }
}

/// The person `cases` were last joined from, if they all came in one join and that person is
/// still joined into this one.
pub fn joined_from(h: &PersonHistory, cases: &[CaseId]) -> Option<PersonId> {
    h.events.iter().rev().find_map(|e| match &e.event {
        nrm_domain::person::PersonEvent::Joined {
            from, referrals, ..
        } if cases
            .iter()
            .all(|c| referrals.iter().any(|r| r.case_id == *c)) =>
        {
            Some(*from)
        }
        _ => None,
    })
}

/// The re-referral flag for the case page: empty unless the caller may read persons'
/// histories and the referral's person has other referrals or a possible match waiting.
pub async fn case_flag(
    state: &AppState,
    signed_in: &SignedIn,
    read: &CaseCapability,
) -> Result<String, PageError> {
    let Ok(history) = nrm_access::authorise(&signed_in.principal, Operation::ReadPersonHistory)
    else {
        return Ok(String::new());
    };
    let Some(flag) = state
        .cases
        .persons()
        .of_case(read, &history, state.now())
        .await
        .map_err(service)?
    else {
        return Ok(String::new());
    };
    if flag.earlier.is_empty() && flag.open_reviews.is_empty() && flag.later.is_empty() {
        return Ok(String::new());
    }
    let esc = |s: &str| nrm_govuk::components::attributes::escape(s).to_string();
    let mut html = String::new();
    if !flag.earlier.is_empty() {
        let refs = flag
            .earlier
            .iter()
            .map(|(r, on)| {
                format!(
                    "<a class=\"govuk-link\" href=\"/cases/{0}\">{0}</a> ({1})",
                    esc(r),
                    esc(&date(*on))
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        html.push_str(&format!(
            "<p class=\"govuk-body\"><strong>Referred before:</strong> this person was referred in {refs}.</p><p class=\"govuk-body\">{}</p>",
            esc(&recovery_words(&flag.additional_recovery))
        ));
    }
    if !flag.later.is_empty() {
        let refs = flag
            .later
            .iter()
            .map(|(r, on)| {
                format!(
                    "<a class=\"govuk-link\" href=\"/cases/{0}\">{0}</a> ({1})",
                    esc(r),
                    esc(&date(*on))
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        html.push_str(&format!(
            "<p class=\"govuk-body\"><strong>Referred again since:</strong> {refs}.</p>"
        ));
    }
    if !flag.open_reviews.is_empty() {
        let links = flag
            .open_reviews
            .iter()
            .map(|r| format!("<a class=\"govuk-link\" href=\"/persons/reviews/{r}\">review the possible match</a>"))
            .collect::<Vec<_>>()
            .join(", ");
        html.push_str(&format!(
            "<p class=\"govuk-body\"><strong>Possible earlier referral:</strong> this referral may be of someone referred before: {links}.</p>"
        ));
    }
    html.push_str(&format!(
        "<p class=\"govuk-body\"><a class=\"govuk-link\" href=\"/persons/{}\">See the person's referrals</a></p>",
        flag.person_id
    ));
    Ok(format!(
        "<div class=\"govuk-inset-text\" id=\"re-referral\"><h2 class=\"govuk-heading-s\">This person's other referrals</h2>{html}</div>"
    ))
}
