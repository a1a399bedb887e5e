//! `nrm org …` and `nrm user …`: administration of organisations and accounts from the shell.
//!
//! New passwords come from `NRM_NEW_USER_PASSWORD` or are generated and shown once; the TOTP
//! seed is shown once, for the person's authenticator app. Neither is ever logged.
//!
//! Every change goes through the same audited service methods as the API, recorded with the
//! system as actor (whoever runs the shell has the database's keys already).

use anyhow::{Context, bail};
use chrono::Utc;
use clap::Subcommand;
use nrm_access::{OrganisationKind, Role};
use nrm_domain::Actor;
use nrm_domain::ids::OrganisationId;
use nrm_service::Cases;
use uuid::Uuid;

use crate::config::{Config, Environment};

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Register an organisation.
    Add {
        #[arg(long)]
        name: String,
        /// first_responder_organisation, sca, ieca, local_authority[:pilot-site], support_provider,
        /// guardian_service, assurance_panel, analysts or administrators.
        #[arg(long)]
        kind: String,
        /// england, wales, scotland or northern_ireland.
        #[arg(long)]
        nation: Option<String>,
    },
    /// List organisations.
    List,
    /// Set a First Responder Organisation's designation dates (YYYY-MM-DD).
    Designate {
        #[arg(long)]
        id: Uuid,
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (prints the password, if generated, and the TOTP seed once).
    Add {
        #[arg(long)]
        organisation: Uuid,
        #[arg(long)]
        email: String,
        /// Comma-separated roles, e.g. decision_maker,ca_manager.
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// List accounts (ids, roles and status; no credentials).
    List,
    /// Disable an account; its sessions end at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Replace an account's roles; its sessions end at once.
    Roles {
        #[arg(long)]
        email: String,
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// Set a new password for an account (from NRM_NEW_USER_PASSWORD or generated and shown
    /// once); its sessions end at once.
    Password {
        #[arg(long)]
        email: String,
    },
    /// Print an account's current sign-in code (development configurations only).
    Code {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a system (prints the token once).
    Create {
        #[arg(long)]
        organisation: Uuid,
        /// What uses the token, e.g. "West Midlands Police case system".
        #[arg(long)]
        name: String,
        /// Comma-separated operations: submit_referral, submit_duty_to_notify, read_rulebook, run_deadline_sweep.
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
    },
    /// List tokens (ids, names, scopes; never the tokens).
    List,
    /// Revoke a token at once.
    Revoke {
        #[arg(long)]
        id: Uuid,
    },
}

pub async fn token(cases: &Cases, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            organisation,
            name,
            scopes,
        } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    nrm_access::Operation::parse(s)
                        .with_context(|| format!("`{s}` is not an operation"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let (id, token) = cases
                .create_api_token(OrganisationId(organisation), &name, &scopes, Utc::now())
                .await?;
            println!(
                "Token {id} created. Send it as `Authorization: Bearer <token>`; it is shown once:"
            );
            println!("{token}");
        }
        TokenCommand::List => {
            for (t, revoked) in cases.store().api_tokens().await? {
                let status = if revoked { "revoked" } else { "active" };
                println!(
                    "{}  {}  {:<8} {:<40} {}",
                    t.id,
                    t.organisation,
                    status,
                    t.name,
                    t.scopes.join(",")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            match cases.revoke_api_token(Actor::SYSTEM, id, Utc::now()).await {
                Err(nrm_service::ServiceError::NotFound) => bail!("no token has that id"),
                other => other?,
            }
            println!("Token {id} revoked.");
        }
    }
    Ok(())
}

fn roles(codes: &[String]) -> anyhow::Result<Vec<Role>> {
    codes
        .iter()
        .map(|c| Role::parse(c).with_context(|| format!("`{c}` is not a role")))
        .collect()
}

pub async fn org(cases: &Cases, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Add { name, kind, nation } => {
            let kind = OrganisationKind::parse(&kind)
                .with_context(|| format!("`{kind}` is not an organisation kind"))?;
            if let Some(n) = &nation
                && !["england", "wales", "scotland", "northern_ireland"].contains(&n.as_str())
            {
                bail!("`{n}` is not a UK nation: england, wales, scotland or northern_ireland");
            }
            let id = cases
                .add_organisation(OrganisationId(Uuid::new_v4()), &name, &kind, Utc::now())
                .await?;
            if let Some(n) = nation {
                cases.store().set_organisation_nation(id, Some(&n)).await?;
            }
            println!("{id}");
        }
        OrgCommand::Designate { id, from, to } => {
            if to.is_some_and(|to| to < from) {
                bail!("the designation cannot end before it starts");
            }
            match cases
                .designate_organisation(Actor::SYSTEM, OrganisationId(id), from, to, Utc::now())
                .await
            {
                Err(nrm_service::ServiceError::NotFound) => bail!("no organisation has that id"),
                other => other?,
            }
            println!(
                "Designated from {from}{}.",
                to.map(|t| format!(" to {t}")).unwrap_or_default()
            );
        }
        OrgCommand::List => {
            for org in cases.store().organisations().await? {
                println!("{}  {:<32} {}", org.id, org.kind, org.name);
            }
        }
    }
    Ok(())
}

pub async fn user(cases: &Cases, config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let store = cases.store();
    let find = |email: String| async move {
        store
            .user_by_email(&email.trim().to_lowercase())
            .await?
            .context("no account has that email address")
    };
    match command {
        UserCommand::Add {
            organisation,
            email,
            roles: codes,
        } => {
            let (password, generated) = match std::env::var("NRM_NEW_USER_PASSWORD") {
                Ok(p) => (p, false),
                Err(_) => (nrm_service::identity::generate_password(), true),
            };
            let created = cases
                .add_user(
                    nrm_domain::ids::UserId(Uuid::new_v4()),
                    OrganisationId(organisation),
                    &email,
                    &roles(&codes)?,
                    &password,
                    Utc::now(),
                )
                .await?;
            println!("Account {} created.", created.id);
            if generated {
                println!("Password (shown once): {password}");
            }
            println!(
                "TOTP seed for the authenticator app (shown once): {}",
                created.totp_secret_base32
            );
            println!(
                "Recovery codes, each usable once (shown once): {}",
                created.recovery_codes.join("  ")
            );
        }
        UserCommand::List => {
            for u in store.users().await? {
                let status = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{}  {}  {:<8} {}",
                    u.id,
                    u.organisation,
                    status,
                    u.roles.join(",")
                );
            }
        }
        UserCommand::Disable { email } => {
            let user = find(email).await?;
            cases
                .disable_user(Actor::SYSTEM, user.id, Utc::now())
                .await?;
            println!("Account {} disabled; its sessions have ended.", user.id);
        }
        UserCommand::Roles {
            email,
            roles: codes,
        } => {
            let user = find(email).await?;
            let roles = roles(&codes)?;
            cases
                .set_user_roles(Actor::SYSTEM, user.id, &roles, Utc::now())
                .await?;
            println!(
                "Account {} now has roles {}; its sessions have ended.",
                user.id,
                roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
            );
        }
        UserCommand::Password { email } => {
            let user = find(email).await?;
            let (password, generated) = match std::env::var("NRM_NEW_USER_PASSWORD") {
                Ok(p) => (p, false),
                Err(_) => (nrm_service::identity::generate_password(), true),
            };
            cases
                .set_password(Actor::SYSTEM, user.id, &password, Utc::now())
                .await?;
            println!("Password changed; the account's sessions have ended.");
            if generated {
                println!("New password (shown once): {password}");
            }
        }
        UserCommand::Code { email } => {
            if config.environment != Environment::Development {
                bail!("sign-in codes are only shown in a development configuration");
            }
            let user = find(email).await?;
            let code = cases
                .current_code(user.id, Utc::now())
                .await?
                .context("no code")?;
            println!("{code}");
        }
    }
    Ok(())
}
