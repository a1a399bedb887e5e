//! API tokens, for the service's administrators (`ManageOrganisations`, every organisation's)
//! and FRO administrators (`ManageApiTokens`, their own organisation's, with referrers' scopes
//! only): the list (never the tokens themselves), creating one for an organisation with its
//! scopes (the token shown once) and revoking one, each change with a check step. The service
//! enforces the organisation and the scopes; these pages only offer what it allows.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::Operation;
use nrm_domain::ids::OrganisationId;
use nrm_govuk::components::{SummaryList, SummaryListRow, Table};
use nrm_service::ServiceError;
use serde::Deserialize;

use super::ui::*;
use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::errors::PageError;
use crate::pages::form;
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

/// The capability to manage tokens: an FRO administrator's for their own organisation, else
/// the service's administrators' (anyone else is refused, audited).
async fn token_capability(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<nrm_access::Capability, PageError> {
    let operation =
        if nrm_access::authorise(&signed_in.principal, Operation::ManageApiTokens).is_ok() {
            Operation::ManageApiTokens
        } else {
            Operation::ManageOrganisations
        };
    authorise(state, signed_in, operation).await
}

/// The scopes the capability may give.
fn scopes(capability: &nrm_access::Capability) -> Vec<(String, String)> {
    let own = capability.operation() == Operation::ManageApiTokens;
    Operation::ALL
        .iter()
        .filter(|o| !own || nrm_access::FRO_TOKEN_SCOPES.contains(o))
        .map(|o| (o.code().to_owned(), o.code().replace('_', " ")))
        .collect()
}

/// Every API token.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let capability = token_capability(&state, &signed_in).await?;
    let now = state.now();
    let admin = state.cases.administration();
    let names = organisation_choices(&state, &signed_in, &capability).await?;
    let tokens = admin.api_tokens(&capability, now).await.map_err(fault)?;
    let mut body = done_banner(done.done.as_deref().map(|_| "The token was revoked"));
    body.push_str(
        "<p class=\"govuk-body\"><a class=\"govuk-button\" href=\"/administration/tokens/new\" role=\"button\" draggable=\"false\" data-module=\"govuk-button\">Create a token</a></p>",
    );
    body.push_str(
        &Table {
            caption: Some(format!("{} API tokens", tokens.len())),
            caption_classes: Some("govuk-table__caption--m".to_owned()),
            head: vec![
                text_cell("Name"),
                text_cell("Organisation"),
                text_cell("Scopes"),
                text_cell("Status"),
                text_cell(""),
            ],
            rows: tokens
                .iter()
                .map(|t| {
                    vec![
                        text_cell(t.name.clone()),
                        text_cell(
                            names
                                .iter()
                                .find(|(id, _)| *id == t.organisation.0.to_string())
                                .map_or_else(String::new, |(_, name)| name.clone()),
                        ),
                        text_cell(
                            t.scopes
                                .iter()
                                .map(|s| s.code())
                                .collect::<Vec<_>>()
                                .join(", "),
                        ),
                        text_cell(if t.revoked { "Revoked" } else { "Active" }),
                        if t.revoked {
                            text_cell("")
                        } else {
                            html_cell(format!(
                                "<a class=\"govuk-link\" href=\"/administration/tokens/{}/revoke\">Revoke<span class=\"govuk-visually-hidden\"> {}</span></a>",
                                t.id,
                                nrm_govuk::components::attributes::escape(&t.name)
                            ))
                        },
                    ]
                })
                .collect(),
            first_cell_is_header: true,
            ..Table::default()
        }
        .to_string(),
    );
    Ok(wide(
        layout(&signed_in, "API tokens").back("/administration"),
        body,
    ))
}

fn new_form(
    signed_in: &SignedIn,
    scopes: &[(String, String)],
    organisations: &[(String, String)],
    answers: (&str, &str, &[String]),
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let (name, organisation, chosen) = answers;
    let mut body = form_open(signed_in, "/administration/tokens/new", &[]);
    body.push_str(&text_input(
        "name",
        "Name",
        Some("What uses the token, for example the monitoring service"),
        name,
        errors,
    ));
    let mut choices = vec![(String::new(), "Choose an organisation".to_owned())];
    choices.extend(organisations.iter().cloned());
    body.push_str(&select(
        "organisation",
        "Organisation it acts for",
        &choices,
        organisation,
        errors,
    ));
    body.push_str(&checkboxes(
        "scopes",
        "Scopes",
        Some("The only operations the token may do"),
        scopes,
        chosen,
        errors,
    ));
    body.push_str(&button("Continue", "continue"));
    body.push_str("</form>");
    page(
        layout(signed_in, "Create an API token").back("/administration/tokens"),
        errors,
        body,
        status,
    )
}

async fn organisation_choices(
    state: &AppState,
    signed_in: &SignedIn,
    capability: &nrm_access::Capability,
) -> Result<Vec<(String, String)>, PageError> {
    if capability.operation() == Operation::ManageApiTokens {
        // An FRO administrator acts for their own organisation only.
        return Ok(vec![(
            signed_in.principal.actor.organisation.0.to_string(),
            "Your organisation".to_owned(),
        )]);
    }
    Ok(state
        .cases
        .administration()
        .organisations(capability, state.now())
        .await
        .map_err(fault)?
        .into_iter()
        .map(|o| (o.id.0.to_string(), o.name))
        .collect())
}

/// The form to create a token.
pub async fn new_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let capability = token_capability(&state, &signed_in).await?;
    let organisations = organisation_choices(&state, &signed_in, &capability).await?;
    Ok(new_form(
        &signed_in,
        &scopes(&capability),
        &organisations,
        ("", "", &[]),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// The token posted: errors, the check page, or (checked) created and shown once.
pub async fn create(
    State(state): State<AppState>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let capability = token_capability(&state, &signed_in).await?;
    let organisations = organisation_choices(&state, &signed_in, &capability).await?;
    let offered = scopes(&capability);
    let name = form::value(&posted, "name").trim().to_owned();
    let organisation_code = form::value(&posted, "organisation").to_owned();
    let codes = posted.get("scopes").cloned().unwrap_or_default();
    let chosen: Vec<Operation> = codes
        .iter()
        .filter(|c| offered.iter().any(|(code, _)| code == *c))
        .filter_map(|c| Operation::parse(c))
        .collect();
    let mut errors = Errors::default();
    if name.is_empty() || name.len() > 200 {
        errors.add(
            "name",
            "Name the token (what uses it), in 200 characters or fewer",
        );
    }
    let organisation = organisations
        .iter()
        .find(|(id, _)| *id == organisation_code)
        .cloned();
    if organisation.is_none() {
        errors.add("organisation", "Choose the organisation");
    }
    if chosen.is_empty() || chosen.len() != codes.len() {
        errors.add("scopes", "Choose at least one scope");
    }
    let Some((organisation_id, organisation_name)) = organisation.filter(|_| errors.is_empty())
    else {
        return Ok(new_form(
            &signed_in,
            &offered,
            &organisations,
            (&name, &organisation_code, &codes),
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    if form::value(&posted, "confirmed") != "yes" {
        let mut hidden = vec![
            ("name".to_owned(), name.clone()),
            ("organisation".to_owned(), organisation_code.clone()),
        ];
        hidden.extend(codes.iter().map(|c| ("scopes".to_owned(), c.clone())));
        let rows = vec![
            SummaryListRow::new("Name", name.clone()),
            SummaryListRow::new("Organisation", organisation_name),
            SummaryListRow::new("Scopes", codes.join(", ")),
        ];
        return Ok(page(
            layout(&signed_in, "Check the token before you create it")
                .back("/administration/tokens/new"),
            &Errors::default(),
            check_body(
                &signed_in,
                "/administration/tokens/new",
                rows,
                hidden,
                "Create the token",
                "/administration/tokens/new",
            ),
            StatusCode::OK,
        ));
    }
    let organisation = OrganisationId(
        uuid::Uuid::parse_str(&organisation_id).map_err(|_| PageError::NotFound(Lang::En))?,
    );
    let (_, token) = state
        .cases
        .administration()
        .create_api_token(&capability, organisation, &name, &chosen, state.now())
        .await
        .map_err(fault)?;
    let mut body = nrm_govuk::components::Panel {
        heading_level: Some(2),
        title_text: Some("Token created".to_owned()),
        ..nrm_govuk::components::Panel::default()
    }
    .to_string();
    body.push_str("<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\" aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\"><span class=\"govuk-visually-hidden\">Warning</span>The token is shown once and stored only as a hash. Copy it into the system that uses it now.</strong></div>");
    body.push_str(
        &SummaryList {
            rows: vec![
                SummaryListRow::new("Name", name),
                SummaryListRow::new("Token", token),
            ],
            ..SummaryList::default()
        }
        .to_string(),
    );
    body.push_str(&format!(
        "<p class=\"govuk-body\">{}</p>",
        link("/administration/tokens", "Go to the API tokens")
    ));
    let mut response = page(
        layout(&signed_in, "Token created"),
        &Errors::default(),
        body,
        StatusCode::CREATED,
    );
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Revoke a token: the check page.
pub async fn revoke_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let capability = token_capability(&state, &signed_in).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| PageError::NotFound(Lang::En))?;
    let token = state
        .cases
        .administration()
        .api_tokens(&capability, state.now())
        .await
        .map_err(fault)?
        .into_iter()
        .find(|t| t.id == id && !t.revoked)
        .ok_or(PageError::NotFound(Lang::En))?;
    let action = format!("/administration/tokens/{id}/revoke");
    let mut body = SummaryList {
        rows: vec![SummaryListRow::new("Token", token.name)],
        ..SummaryList::default()
    }
    .to_string();
    body.push_str(&p(
        "Whatever uses the token is refused from now on. This cannot be undone.",
    ));
    body.push_str(&form_open(
        &signed_in,
        &action,
        &[("confirmed".to_owned(), "yes".to_owned())],
    ));
    body.push_str(&warning_button("Revoke the token", "confirm"));
    body.push_str("</form>");
    Ok(page(
        layout(&signed_in, "Revoke the token").back("/administration/tokens"),
        &Errors::default(),
        body,
        StatusCode::OK,
    ))
}

/// Revoke, checked.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { signed_in, .. }: Posted,
) -> Result<Response, PageError> {
    let capability = token_capability(&state, &signed_in).await?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| PageError::NotFound(Lang::En))?;
    state
        .cases
        .administration()
        .revoke_api_token(&capability, id, state.now())
        .await
        .map_err(fault)?;
    Ok(Redirect::to("/administration/tokens?done=revoked").into_response())
}
