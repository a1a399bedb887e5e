//! The administrators' pages. `/administration` is their home: the organisations (for
//! administrators) and the accounts the caller may manage (every account for administrators;
//! an FRO administrator's own organisation's First Responders), read through the
//! administration service, so each read is audited. English only, like casework.
//!
//! - [`organisations`]: list, view, add; nation, First Responder list kind and designation;
//! - [`accounts`]: list with filters, view with sessions, add, roles, disable and enable,
//!   password reset, ending a session (FRO administrators within their organisation);
//! - [`tokens`]: API tokens: list, create (shown once), revoke;
//! - [`ui`]: the page template, forms, check steps and the stale-change page they share.

pub mod accounts;
pub mod organisations;
pub mod tokens;
pub mod ui;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use nrm_access::{Operation, OrganisationKind, may_manage_account};
use nrm_govuk::components::{Table, TableCell};

use crate::AppState;
use crate::pages::authorise::authorise;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::layout::{Layout, Section, render};
use crate::pages::session::SignedIn;

#[derive(Template)]
#[template(path = "administration/home.html")]
struct HomePage {
    layout: Layout,
    organisations: Option<String>,
    accounts: String,
    takes_training: bool,
    /// The service's administrators (every organisation's) or an FRO administrator (their own).
    manages_tokens: bool,
}

/// The administration pages' routes (beside `/administration` itself).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/administration/organisations", get(organisations::list))
        .route(
            "/administration/organisations/new",
            get(organisations::new_page).post(organisations::add),
        )
        .route(
            "/administration/organisations/{id}",
            get(organisations::view),
        )
        .route(
            "/administration/organisations/{id}/referrer",
            get(organisations::referrer_page).post(organisations::set_referrer),
        )
        .route("/administration/accounts", get(accounts::list))
        .route(
            "/administration/accounts/new",
            get(accounts::new_page).post(accounts::add),
        )
        .route("/administration/accounts/{id}", get(accounts::view))
        .route(
            "/administration/accounts/{id}/roles",
            get(accounts::roles_page).post(accounts::set_roles),
        )
        .route(
            "/administration/accounts/{id}/status",
            get(accounts::status_page).post(accounts::set_status),
        )
        .route(
            "/administration/accounts/{id}/password",
            get(accounts::password_page).post(accounts::reset_password),
        )
        .route(
            "/administration/accounts/{id}/sessions/{session}/revoke",
            post(accounts::revoke_session),
        )
        .route("/administration/tokens", get(tokens::list))
        .route(
            "/administration/tokens/new",
            get(tokens::new_page).post(tokens::create),
        )
        .route(
            "/administration/tokens/{id}/revoke",
            get(tokens::revoke_page).post(tokens::revoke),
        )
}

/// Words for an organisation's kind.
pub fn kind_words(kind: &OrganisationKind) -> String {
    match kind {
        OrganisationKind::FirstResponderOrganisation => "First Responder Organisation".to_owned(),
        OrganisationKind::CompetentAuthority { authority } => {
            format!(
                "Competent authority ({})",
                authority.as_str().to_uppercase()
            )
        }
        OrganisationKind::LocalAuthority { pilot_site: None } => "Local authority".to_owned(),
        OrganisationKind::LocalAuthority {
            pilot_site: Some(site),
        } => format!("Local authority, pilot panel {site}"),
        OrganisationKind::SupportProvider => "Support provider".to_owned(),
        OrganisationKind::ContractManagement => "Home Office contract management".to_owned(),
        OrganisationKind::GuardianService => "Guardian service".to_owned(),
        OrganisationKind::AssurancePanel => "Assurance panel".to_owned(),
        OrganisationKind::Analysts => "Analysts".to_owned(),
        OrganisationKind::Administrators => "Administrators".to_owned(),
    }
}

fn text(value: impl Into<String>) -> TableCell {
    TableCell {
        text: Some(value.into()),
        ..TableCell::default()
    }
}

/// The administrators' home.
pub async fn home(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let lang = signed_in.lang;
    let now = state.now();
    let users = authorise(&state, &signed_in, Operation::ManageUsers).await?;
    let admin = state.cases.administration();
    // Only administrators manage organisations; an FRO administrator is not asked (and so
    // not refused) for it.
    let organisations =
        match nrm_access::authorise(&signed_in.principal, Operation::ManageOrganisations) {
            Ok(capability) => {
                let list = admin
                    .organisations(&capability, now)
                    .await
                    .map_err(|e| PageError::from_service(e, lang))?;
                Some(
                    Table {
                        caption: Some(format!("Organisations, {} in all", list.len())),
                        caption_classes: Some("govuk-table__caption--m".to_owned()),
                        head: vec![
                            text("Name"),
                            text("Kind"),
                            text("Designated from"),
                            text("Designated to"),
                        ],
                        rows: list
                            .iter()
                            .map(|o| {
                                vec![
                                    text(o.name.clone()),
                                    text(kind_words(&o.kind)),
                                    text(o.designated_from.map(date).unwrap_or_default()),
                                    text(o.designated_to.map(date).unwrap_or_default()),
                                ]
                            })
                            .collect(),
                        first_cell_is_header: true,
                        ..Table::default()
                    }
                    .to_string(),
                )
            }
            Err(_) => None,
        };
    let accounts: Vec<_> = admin
        .accounts(&users, now)
        .await
        .map_err(|e| PageError::from_service(e, lang))?
        .into_iter()
        .filter(|a| may_manage_account(&signed_in.principal, a.organisation, &a.roles))
        .collect();
    let accounts = Table {
        caption: Some(format!("Accounts you manage, {} in all", accounts.len())),
        caption_classes: Some("govuk-table__caption--m".to_owned()),
        head: vec![text("Email"), text("Roles"), text("Status")],
        rows: accounts
            .iter()
            .map(|a| {
                vec![
                    text(a.email.clone()),
                    text(
                        a.roles
                            .iter()
                            .map(|r| role_words(*r))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    text(if a.disabled { "Disabled" } else { "Active" }),
                ]
            })
            .collect(),
        first_cell_is_header: true,
        ..Table::default()
    }
    .to_string();
    let mut layout = signed_in
        .layout("Administration")
        .section(Section::Administration);
    layout.bilingual = false;
    layout.lang = crate::pages::i18n::Lang::En;
    Ok(render(&HomePage {
        layout,
        organisations,
        accounts,
        takes_training: nrm_access::authorise(&signed_in.principal, Operation::TakeTraining)
            .is_ok(),
        manages_tokens: [Operation::ManageOrganisations, Operation::ManageApiTokens]
            .into_iter()
            .any(|o| nrm_access::authorise(&signed_in.principal, o).is_ok()),
    }))
}

/// Words for a role.
pub fn role_words(role: nrm_access::Role) -> &'static str {
    use nrm_access::Role as R;
    match role {
        R::FirstResponder => "First Responder",
        R::ReferralManager => "Referral manager",
        R::FroAdministrator => "FRO administrator",
        R::DecisionMaker => "Decision maker",
        R::CaManager => "Competent authority manager",
        R::PanelMember => "Assurance panel member",
        R::LocalAuthorityPanelMember => "Local authority panel member",
        R::SupportProviderWorker => "Support provider worker",
        R::SupportManager => "Support manager",
        R::ContractManager => "Home Office contract manager",
        R::Guardian => "Guardian",
        R::GuardianManager => "Guardian service manager",
        R::Analyst => "Analyst",
        R::Administrator => "Administrator",
    }
}
