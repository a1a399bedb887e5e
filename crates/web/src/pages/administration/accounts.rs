//! Accounts, for administrators (every account) and FRO administrators (their own
//! organisation's First Responders, referral managers and FRO administrators: the policy's
//! `may_manage_account`): the list with filters, one account with its live sessions, adding
//! one (its first credentials shown once), changing its roles, disabling and enabling it,
//! resetting its password (the new one shown once) and ending a session. Every change has a
//! check step and names the account's version; a change to an account that changed since is
//! refused (409). An account the caller may not manage is "page not found", audited.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::{Capability, Operation, OrganisationKind, Role, may_manage_account};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_govuk::components::attributes::escape;
use nrm_govuk::components::{SummaryList, SummaryListRow, Table};
use nrm_service::{Account, ServiceError};
use serde::Deserialize;

use super::role_words;
use super::ui::*;
use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::errors::PageError;
use crate::pages::form::{self, Form};
use crate::pages::i18n::Lang;
use crate::pages::layout::Errors;
use crate::pages::session::{Posted, SignedIn};

fn fault(e: ServiceError) -> PageError {
    PageError::from_service(e, Lang::En)
}

/// A moment as UK time: "2 December 2026 at 14:05".
fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    let offset = if nrm_domain::clock::is_british_summer_time(at) {
        1
    } else {
        0
    };
    let local = at + chrono::Duration::hours(offset);
    format!(
        "{} at {}",
        Lang::En.long_date(nrm_domain::clock::uk_date(at)),
        local.format("%H:%M")
    )
}

/// The roles the caller may give an account in `organisation`.
fn offered_roles(signed_in: &SignedIn, organisation: OrganisationId) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .filter(|r| may_manage_account(&signed_in.principal, organisation, &[**r]))
        .map(|r| (r.code().to_owned(), role_words(*r).to_owned()))
        .collect()
}

fn roles_words(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| role_words(*r))
        .collect::<Vec<_>>()
        .join(", ")
}

fn posted_roles(form: &Form) -> Vec<String> {
    form.get("roles").cloned().unwrap_or_default()
}

fn account_id(id: &str) -> Result<UserId, PageError> {
    uuid::Uuid::parse_str(id)
        .map(UserId)
        .map_err(|_| PageError::NotFound(Lang::En))
}

/// The organisations' names the caller may see: every one for administrators, none otherwise
/// (an FRO administrator sees only their own, which the page names as "Your organisation").
async fn organisation_names(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<Vec<(OrganisationId, String, OrganisationKind)>, PageError> {
    match nrm_access::authorise(&signed_in.principal, Operation::ManageOrganisations) {
        Ok(capability) => Ok(state
            .cases
            .administration()
            .organisations(&capability, state.now())
            .await
            .map_err(fault)?
            .into_iter()
            .map(|o| (o.id, o.name, o.kind))
            .collect()),
        Err(_) => Ok(Vec::new()),
    }
}

fn organisation_name(
    names: &[(OrganisationId, String, OrganisationKind)],
    id: OrganisationId,
) -> String {
    names
        .iter()
        .find(|(o, _, _)| *o == id)
        .map_or_else(|| "Your organisation".to_owned(), |(_, n, _)| n.clone())
}

/// The account, when the caller may manage it; anyone else is refused as not found (audited).
async fn managed(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
) -> Result<(Capability, Account), PageError> {
    let capability = authorise(state, signed_in, Operation::ManageUsers).await?;
    let id = account_id(id)?;
    let account = state
        .cases
        .administration()
        .account(&capability, id, state.now())
        .await
        .map_err(fault)?;
    if !may_manage_account(&signed_in.principal, account.organisation, &account.roles) {
        state
            .cases
            .record_denial(
                signed_in.principal.actor,
                "access.manage_users",
                None,
                state.now(),
            )
            .await
            .map_err(fault)?;
        return Err(PageError::NotFound(Lang::En));
    }
    Ok((capability, account))
}

/// The account list's filters.
#[derive(Debug, Deserialize, Default)]
pub struct Filters {
    organisation: Option<String>,
    role: Option<String>,
    status: Option<String>,
}

/// The accounts the caller manages, filtered.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(filters): Query<Filters>,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ManageUsers).await?;
    let names = organisation_names(&state, &signed_in).await?;
    let organisation = filters.organisation.clone().unwrap_or_default();
    let role = filters.role.clone().unwrap_or_default();
    let status = filters.status.clone().unwrap_or_default();
    let accounts: Vec<Account> = state
        .cases
        .administration()
        .accounts(&capability, state.now())
        .await
        .map_err(fault)?
        .into_iter()
        .filter(|a| may_manage_account(&signed_in.principal, a.organisation, &a.roles))
        .filter(|a| organisation.is_empty() || a.organisation.0.to_string() == organisation)
        .filter(|a| role.is_empty() || a.roles.iter().any(|r| r.code() == role))
        .filter(|a| match status.as_str() {
            "active" => !a.disabled,
            "disabled" => a.disabled,
            _ => true,
        })
        .collect();
    let mut body = String::from(
        "<p class=\"govuk-body\"><a class=\"govuk-button\" href=\"/administration/accounts/new\" role=\"button\" draggable=\"false\" data-module=\"govuk-button\">Add an account</a></p>",
    );
    // The filters: a GET form, so the address carries ids and codes only.
    body.push_str("<form method=\"get\" action=\"/administration/accounts\" novalidate><div class=\"govuk-grid-row\">");
    let errors = Errors::default();
    if !names.is_empty() {
        let mut choices = vec![(String::new(), "Any organisation".to_owned())];
        choices.extend(names.iter().map(|(id, n, _)| (id.0.to_string(), n.clone())));
        body.push_str(&format!(
            "<div class=\"govuk-grid-column-one-third\">{}</div>",
            select(
                "organisation",
                "Organisation",
                &choices,
                &organisation,
                &errors
            )
        ));
    }
    let mut roles = vec![(String::new(), "Any role".to_owned())];
    roles.extend(
        Role::ALL
            .iter()
            .map(|r| (r.code().to_owned(), role_words(*r).to_owned())),
    );
    body.push_str(&format!(
        "<div class=\"govuk-grid-column-one-third\">{}</div>",
        select("role", "Role", &roles, &role, &errors)
    ));
    let statuses: Vec<(String, String)> = [
        ("", "Any status"),
        ("active", "Active"),
        ("disabled", "Disabled"),
    ]
    .iter()
    .map(|(c, w)| ((*c).to_owned(), (*w).to_owned()))
    .collect();
    body.push_str(&format!(
        "<div class=\"govuk-grid-column-one-third\">{}</div>",
        select("status", "Status", &statuses, &status, &errors)
    ));
    body.push_str("</div><button type=\"submit\" class=\"govuk-button govuk-button--secondary\" data-module=\"govuk-button\" id=\"filter\">Filter</button></form>");
    body.push_str(
        &Table {
            caption: Some(format!("{} accounts", accounts.len())),
            caption_classes: Some("govuk-table__caption--m".to_owned()),
            head: vec![
                text_cell("Email"),
                text_cell("Organisation"),
                text_cell("Roles"),
                text_cell("Status"),
            ],
            rows: accounts
                .iter()
                .map(|a| {
                    vec![
                        html_cell(link(
                            &format!("/administration/accounts/{}", a.id.0),
                            &a.email,
                        )),
                        text_cell(organisation_name(&names, a.organisation)),
                        text_cell(roles_words(&a.roles)),
                        text_cell(if a.disabled { "Disabled" } else { "Active" }),
                    ]
                })
                .collect(),
            first_cell_is_header: true,
            ..Table::default()
        }
        .to_string(),
    );
    Ok(wide(
        layout(&signed_in, "Accounts").back("/administration"),
        body,
    ))
}

/// `?done=` after a change.
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// One account: its details, what can be done to it, and its live sessions.
pub async fn view(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let (capability, account) = managed(&state, &signed_in, &id).await?;
    let names = organisation_names(&state, &signed_in).await?;
    let sessions = state
        .cases
        .administration()
        .account_sessions(&capability, account.id, state.now())
        .await
        .map_err(fault)?;
    let base = format!("/administration/accounts/{}", account.id.0);
    let mut body = done_banner(done.done.as_deref().map(|d| match d {
        "roles" => "The account's roles were changed",
        "disabled" => "The account was disabled: its sessions have ended",
        "enabled" => "The account was enabled",
        "session" => "The session was ended",
        _ => "The account was changed",
    }));
    body.push_str(
        &SummaryList {
            rows: vec![
                SummaryListRow::new("Email", account.email.clone()),
                SummaryListRow::new(
                    "Organisation",
                    organisation_name(&names, account.organisation),
                ),
                SummaryListRow::new("Roles", roles_words(&account.roles)),
                SummaryListRow::new(
                    "Status",
                    if account.disabled {
                        "Disabled"
                    } else {
                        "Active"
                    },
                ),
            ],
            ..SummaryList::default()
        }
        .to_string(),
    );
    body.push_str("<ul class=\"govuk-list\">");
    body.push_str(&format!(
        "<li>{}</li>",
        link(&format!("{base}/roles"), "Change the roles")
    ));
    body.push_str(&format!(
        "<li>{}</li>",
        link(
            &format!("{base}/status"),
            if account.disabled {
                "Enable the account"
            } else {
                "Disable the account"
            }
        )
    ));
    body.push_str(&format!(
        "<li>{}</li>",
        link(&format!("{base}/password"), "Reset the password")
    ));
    body.push_str("</ul>");
    body.push_str("<h2 class=\"govuk-heading-m\">Sessions</h2>");
    if sessions.is_empty() {
        body.push_str(&p("The account is not signed in anywhere."));
    } else {
        body.push_str(
            &Table {
                head: vec![text_cell("Signed in"), text_cell("Last used"), text_cell("")],
                rows: sessions
                    .iter()
                    .map(|s| {
                        let mut form = form_open(
                            &signed_in,
                            &format!("{base}/sessions/{}/revoke", s.id),
                            &[],
                        );
                        form.push_str(&format!(
                            "<button type=\"submit\" class=\"govuk-button govuk-button--warning govuk-!-margin-bottom-0\" data-module=\"govuk-button\">End this session<span class=\"govuk-visually-hidden\"> (signed in {})</span></button></form>",
                            escape(&when(s.created_at))
                        ));
                        vec![
                            text_cell(when(s.created_at)),
                            text_cell(when(s.last_seen_at)),
                            html_cell(form),
                        ]
                    })
                    .collect(),
                ..Table::default()
            }
            .to_string(),
        );
    }
    Ok(page(
        layout(&signed_in, "Account").back("/administration/accounts"),
        &Errors::default(),
        body,
        StatusCode::OK,
    ))
}

/// Ends one of the account's sessions.
pub async fn revoke_session(
    State(state): State<AppState>,
    Path((id, session)): Path<(String, String)>,
    Posted { signed_in, .. }: Posted,
) -> Result<Response, PageError> {
    let (capability, account) = managed(&state, &signed_in, &id).await?;
    state
        .cases
        .administration()
        .revoke_account_session(&capability, account.id, &session, state.now())
        .await
        .map_err(fault)?;
    Ok(Redirect::to(&format!(
        "/administration/accounts/{}?done=session",
        account.id.0
    ))
    .into_response())
}

#[expect(clippy::too_many_arguments, reason = "the parts of one page")]
fn new_form(
    signed_in: &SignedIn,
    names: &[(OrganisationId, String, OrganisationKind)],
    email: &str,
    organisation: &str,
    roles: &[String],
    offered: &[(String, String)],
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let mut body = form_open(signed_in, "/administration/accounts/new", &[]);
    body.push_str(&text_input(
        "email",
        "Work email address",
        Some("The person signs in with it"),
        email,
        errors,
    ));
    if names.is_empty() {
        body.push_str(&p("The account will be in your organisation."));
    } else {
        let mut choices = vec![(String::new(), "Choose an organisation".to_owned())];
        choices.extend(names.iter().map(|(id, n, _)| (id.0.to_string(), n.clone())));
        body.push_str(&select(
            "organisation",
            "Organisation",
            &choices,
            organisation,
            errors,
        ));
    }
    body.push_str(&checkboxes(
        "roles",
        "Roles",
        Some("Select all that apply"),
        offered,
        roles,
        errors,
    ));
    body.push_str(&button("Continue", "continue"));
    body.push_str("</form>");
    page(
        layout(signed_in, "Add an account").back("/administration/accounts"),
        errors,
        body,
        status,
    )
}

/// The form to add an account.
pub async fn new_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    authorise(&state, &signed_in, Operation::ManageUsers).await?;
    let names = organisation_names(&state, &signed_in).await?;
    let offered = offered_roles(&signed_in, signed_in.principal.actor.organisation);
    let offered = if names.is_empty() {
        offered
    } else {
        Role::ALL
            .iter()
            .map(|r| (r.code().to_owned(), role_words(*r).to_owned()))
            .collect()
    };
    Ok(new_form(
        &signed_in,
        &names,
        "",
        "",
        &[],
        &offered,
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// The new account posted: errors, the check page, or (checked) created, with its first
/// credentials shown once.
pub async fn add(
    State(state): State<AppState>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let capability = authorise(&state, &signed_in, Operation::ManageUsers).await?;
    let names = organisation_names(&state, &signed_in).await?;
    let email = form::value(&posted, "email").trim().to_lowercase();
    let organisation_code = form::value(&posted, "organisation").to_owned();
    let codes = posted_roles(&posted);
    let mut errors = Errors::default();
    if !email.contains('@') || email.len() > 254 {
        errors.add("email", "Enter a work email address, like name@example.org");
    }
    let organisation = if names.is_empty() {
        Some(signed_in.principal.actor.organisation)
    } else {
        let found = names
            .iter()
            .find(|(id, _, _)| id.0.to_string() == organisation_code)
            .map(|(id, _, _)| *id);
        if found.is_none() {
            errors.add("organisation", "Choose the organisation");
        }
        found
    };
    let roles: Vec<Role> = codes.iter().filter_map(|c| Role::parse(c)).collect();
    if roles.is_empty() || roles.len() != codes.len() {
        errors.add("roles", "Choose at least one role");
    } else if let Some(org) = organisation
        && !may_manage_account(&signed_in.principal, org, &roles)
    {
        errors.add("roles", "You cannot give those roles in that organisation");
    }
    let offered: Vec<(String, String)> = if names.is_empty() {
        offered_roles(&signed_in, signed_in.principal.actor.organisation)
    } else {
        Role::ALL
            .iter()
            .map(|r| (r.code().to_owned(), role_words(*r).to_owned()))
            .collect()
    };
    let Some(organisation) = organisation.filter(|_| errors.is_empty()) else {
        return Ok(new_form(
            &signed_in,
            &names,
            &email,
            &organisation_code,
            &codes,
            &offered,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    if form::value(&posted, "confirmed") != "yes" {
        let mut hidden = vec![
            ("email".to_owned(), email.clone()),
            ("organisation".to_owned(), organisation_code.clone()),
        ];
        hidden.extend(codes.iter().map(|c| ("roles".to_owned(), c.clone())));
        let rows = vec![
            SummaryListRow::new("Email", email.clone()),
            SummaryListRow::new("Organisation", organisation_name(&names, organisation)),
            SummaryListRow::new("Roles", roles_words(&roles)),
        ];
        return Ok(page(
            layout(&signed_in, "Check the account before you add it")
                .back("/administration/accounts/new"),
            &Errors::default(),
            check_body(
                &signed_in,
                "/administration/accounts/new",
                rows,
                hidden,
                "Add the account",
                "/administration/accounts/new",
            ),
            StatusCode::OK,
        ));
    }
    let password = nrm_service::identity::generate_password();
    let created = match state
        .cases
        .administration()
        .add_user(
            &capability,
            UserId(uuid::Uuid::new_v4()),
            organisation,
            &email,
            &roles,
            &password,
            state.now(),
        )
        .await
    {
        Ok(created) => created,
        Err(ServiceError::Domain(nrm_domain::DomainError::Invalid(problems))) => {
            return Ok(new_form(
                &signed_in,
                &names,
                &email,
                &organisation_code,
                &codes,
                &offered,
                &problems_to_errors(&problems),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(e) => return Err(fault(e)),
    };
    let mut body = nrm_govuk::components::Panel {
        heading_level: Some(2),
        title_text: Some("Account added".to_owned()),
        ..nrm_govuk::components::Panel::default()
    }
    .to_string();
    body.push_str("<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\" aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\"><span class=\"govuk-visually-hidden\">Warning</span>These are shown once. Give them to the person securely; they set up their authenticator app with the key.</strong></div>");
    body.push_str(
        &SummaryList {
            rows: vec![
                SummaryListRow::new("Email", email),
                SummaryListRow::new("Password", password),
                SummaryListRow::new("Authenticator key", created.totp_secret_base32),
                SummaryListRow::new("Recovery codes", created.recovery_codes.join(" ")),
            ],
            ..SummaryList::default()
        }
        .to_string(),
    );
    body.push_str(&format!(
        "<p class=\"govuk-body\">{}</p>",
        link(
            &format!("/administration/accounts/{}", created.id.0),
            "Go to the account"
        )
    ));
    Ok(secret(page(
        layout(&signed_in, "Account added"),
        &Errors::default(),
        body,
        StatusCode::CREATED,
    )))
}

/// A page showing a secret once: never stored by a browser or a proxy.
fn secret(mut response: Response) -> Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}

fn roles_form(
    signed_in: &SignedIn,
    account: &Account,
    roles: &[String],
    version: &str,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let action = format!("/administration/accounts/{}/roles", account.id.0);
    let mut body = p(&format!("Account: {}", account.email));
    body.push_str(&form_open(
        signed_in,
        &action,
        &[("version".to_owned(), version.to_owned())],
    ));
    body.push_str(&checkboxes(
        "roles",
        "Roles",
        Some("Select all that apply. The person's sessions end when the roles change"),
        &offered_roles(signed_in, account.organisation),
        roles,
        errors,
    ));
    body.push_str(&button("Continue", "continue"));
    body.push_str("</form>");
    page(
        layout(signed_in, "Change the roles")
            .back(format!("/administration/accounts/{}", account.id.0)),
        errors,
        body,
        status,
    )
}

/// The form to change an account's roles.
pub async fn roles_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, account) = managed(&state, &signed_in, &id).await?;
    let current: Vec<String> = account.roles.iter().map(|r| r.code().to_owned()).collect();
    Ok(roles_form(
        &signed_in,
        &account,
        &current,
        &account.version(),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// The new roles posted: errors, the check page, a stale version's refusal, or recorded.
pub async fn set_roles(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let (capability, account) = managed(&state, &signed_in, &id).await?;
    let version = form::value(&posted, "version").to_owned();
    let codes = posted_roles(&posted);
    let roles: Vec<Role> = codes.iter().filter_map(|c| Role::parse(c)).collect();
    let mut errors = Errors::default();
    if roles.is_empty() || roles.len() != codes.len() {
        errors.add("roles", "Choose at least one role");
    } else if !may_manage_account(&signed_in.principal, account.organisation, &roles) {
        errors.add("roles", "You cannot give those roles in this organisation");
    }
    if !errors.is_empty() {
        return Ok(roles_form(
            &signed_in,
            &account,
            &codes,
            &version,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let base = format!("/administration/accounts/{}", account.id.0);
    if version != account.version() {
        return Ok(stale(&signed_in, "account", &base));
    }
    let action = format!("{base}/roles");
    if form::value(&posted, "confirmed") != "yes" {
        let mut hidden = vec![("version".to_owned(), version)];
        hidden.extend(codes.iter().map(|c| ("roles".to_owned(), c.clone())));
        let rows = vec![
            SummaryListRow::new("Account", account.email.clone()),
            SummaryListRow::new("Roles now", roles_words(&account.roles)),
            SummaryListRow::new("New roles", roles_words(&roles)),
        ];
        return Ok(page(
            layout(&signed_in, "Check the roles before you change them").back(action.clone()),
            &Errors::default(),
            check_body(
                &signed_in,
                &action,
                rows,
                hidden,
                "Change the roles",
                &action,
            ),
            StatusCode::OK,
        ));
    }
    state
        .cases
        .administration()
        .set_user_roles(&capability, account.id, &roles, state.now())
        .await
        .map_err(fault)?;
    Ok(Redirect::to(&format!("{base}?done=roles")).into_response())
}

/// A confirmation page for a change without answers (disable, enable, reset).
fn confirm_page(
    signed_in: &SignedIn,
    account: &Account,
    action: &str,
    title: &str,
    words: &str,
    button_text: &str,
) -> Response {
    let mut body = SummaryList {
        rows: vec![
            SummaryListRow::new("Account", account.email.clone()),
            SummaryListRow::new(
                "Status",
                if account.disabled {
                    "Disabled"
                } else {
                    "Active"
                },
            ),
        ],
        ..SummaryList::default()
    }
    .to_string();
    body.push_str(&p(words));
    body.push_str(&form_open(
        signed_in,
        action,
        &[
            ("version".to_owned(), account.version()),
            ("confirmed".to_owned(), "yes".to_owned()),
        ],
    ));
    body.push_str(&warning_button(button_text, "confirm"));
    body.push_str("</form>");
    body.push_str(&format!(
        "<p class=\"govuk-body\">{}</p>",
        link(
            &format!("/administration/accounts/{}", account.id.0),
            "Cancel"
        )
    ));
    page(
        layout(signed_in, title).back(format!("/administration/accounts/{}", account.id.0)),
        &Errors::default(),
        body,
        StatusCode::OK,
    )
}

/// Disable (or, for a disabled account, enable): the check page.
pub async fn status_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, account) = managed(&state, &signed_in, &id).await?;
    let action = format!("/administration/accounts/{}/status", account.id.0);
    Ok(if account.disabled {
        confirm_page(
            &signed_in,
            &account,
            &action,
            "Enable the account",
            "The person can sign in again with their password and authenticator app.",
            "Enable the account",
        )
    } else {
        confirm_page(
            &signed_in,
            &account,
            &action,
            "Disable the account",
            "The person will not be able to sign in, and every session of theirs ends now.",
            "Disable the account",
        )
    })
}

/// Disable or enable, checked: a stale version's refusal, or recorded.
pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let (capability, account) = managed(&state, &signed_in, &id).await?;
    let base = format!("/administration/accounts/{}", account.id.0);
    if form::value(&posted, "version") != account.version() {
        return Ok(stale(&signed_in, "account", &base));
    }
    let admin = state.cases.administration();
    let done = if account.disabled {
        admin
            .enable_user(&capability, account.id, state.now())
            .await
            .map_err(fault)?;
        "enabled"
    } else {
        admin
            .disable_user(&capability, account.id, state.now())
            .await
            .map_err(fault)?;
        "disabled"
    };
    Ok(Redirect::to(&format!("{base}?done={done}")).into_response())
}

/// Reset the password: the check page.
pub async fn password_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, account) = managed(&state, &signed_in, &id).await?;
    Ok(confirm_page(
        &signed_in,
        &account,
        &format!("/administration/accounts/{}/password", account.id.0),
        "Reset the password",
        "A new password is made and shown to you once. The old one stops working and every session of theirs ends now.",
        "Reset the password",
    ))
}

/// Reset, checked: a stale version's refusal, or the new password shown once.
pub async fn reset_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let (capability, account) = managed(&state, &signed_in, &id).await?;
    let base = format!("/administration/accounts/{}", account.id.0);
    if form::value(&posted, "version") != account.version() {
        return Ok(stale(&signed_in, "account", &base));
    }
    let password = state
        .cases
        .administration()
        .reset_password(&capability, account.id, state.now())
        .await
        .map_err(fault)?;
    let mut body = nrm_govuk::components::Panel {
        heading_level: Some(2),
        title_text: Some("Password reset".to_owned()),
        ..nrm_govuk::components::Panel::default()
    }
    .to_string();
    body.push_str("<div class=\"govuk-warning-text\"><span class=\"govuk-warning-text__icon\" aria-hidden=\"true\">!</span><strong class=\"govuk-warning-text__text\"><span class=\"govuk-visually-hidden\">Warning</span>The new password is shown once. Give it to the person securely.</strong></div>");
    body.push_str(
        &SummaryList {
            rows: vec![
                SummaryListRow::new("Account", account.email.clone()),
                SummaryListRow::new("New password", password),
            ],
            ..SummaryList::default()
        }
        .to_string(),
    );
    body.push_str(&format!(
        "<p class=\"govuk-body\">{}</p>",
        link(&base, "Go to the account")
    ));
    Ok(secret(page(
        layout(&signed_in, "Password reset"),
        &Errors::default(),
        body,
        StatusCode::OK,
    )))
}
