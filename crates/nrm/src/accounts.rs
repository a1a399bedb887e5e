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
use nrm_access::{Operation, OrganisationKind, Role};
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
        /// For a First Responder Organisation: its kind on the rulebook's First Responder
        /// Organisation list for its nation (police, local-authority, salvation-army…; see
        /// `first_responder_organisations` in the rulebook). With it the organisation refers
        /// while that kind is listed for its nation, instead of under an individual
        /// designation from today.
        #[arg(long, requires = "nation")]
        list: Option<String>,
    },
    /// List organisations (with nation and First Responder list kind).
    List,
    /// Set what decides whether an organisation may refer and make Duty to Notify reports,
    /// all together: its nation, its First Responder list kind and an individual designation
    /// (YYYY-MM-DD). What is left out is cleared.
    Referrer {
        #[arg(long)]
        id: Uuid,
        /// england, wales, scotland or northern_ireland.
        #[arg(long)]
        nation: Option<String>,
        #[arg(long)]
        list: Option<String>,
        #[arg(long)]
        designated_from: Option<chrono::NaiveDate>,
        #[arg(long, requires = "designated_from")]
        designated_to: Option<chrono::NaiveDate>,
    },
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
                .administration()
                .create_api_token(
                    &system(Operation::ManageOrganisations)?,
                    OrganisationId(organisation),
                    &name,
                    &scopes,
                    Utc::now(),
                )
                .await?;
            println!(
                "Token {id} created. Send it as `Authorization: Bearer <token>`; it is shown once:"
            );
            println!("{token}");
        }
        TokenCommand::List => {
            let tokens = cases
                .administration()
                .api_tokens(&system(Operation::ManageOrganisations)?, Utc::now())
                .await?;
            for t in tokens {
                let status = if t.revoked { "revoked" } else { "active" };
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.code()).collect();
                println!(
                    "{}  {}  {:<8} {:<40} {}",
                    t.id,
                    t.organisation,
                    status,
                    t.name,
                    scopes.join(",")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            match cases
                .administration()
                .revoke_api_token(&system(Operation::ManageOrganisations)?, id, Utc::now())
                .await
            {
                Err(nrm_service::ServiceError::NotFound) => bail!("no token has that id"),
                other => other?,
            }
            println!("Token {id} revoked.");
        }
    }
    Ok(())
}

fn parse_nation(code: &str) -> anyhow::Result<nrm_domain::geography::UkNation> {
    use nrm_domain::geography::UkNation;
    Ok(match code {
        "england" => UkNation::England,
        "wales" => UkNation::Wales,
        "scotland" => UkNation::Scotland,
        "northern_ireland" => UkNation::NorthernIreland,
        _ => bail!("`{code}` is not a UK nation: england, wales, scotland or northern_ireland"),
    })
}

fn nation_code(nation: nrm_domain::geography::UkNation) -> &'static str {
    use nrm_domain::geography::UkNation;
    match nation {
        UkNation::England => "england",
        UkNation::Wales => "wales",
        UkNation::Scotland => "scotland",
        UkNation::NorthernIreland => "northern_ireland",
    }
}

/// A capability for the shell, which acts as the system.
fn system(operation: Operation) -> anyhow::Result<nrm_access::Capability> {
    Ok(nrm_service::admin::system_capability(operation)?)
}

fn roles(codes: &[String]) -> anyhow::Result<Vec<Role>> {
    codes
        .iter()
        .map(|c| Role::parse(c).with_context(|| format!("`{c}` is not a role")))
        .collect()
}

pub async fn org(cases: &Cases, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Add {
            name,
            kind,
            nation,
            list,
        } => {
            let kind = OrganisationKind::parse(&kind)
                .with_context(|| format!("`{kind}` is not an organisation kind"))?;
            if let Some(n) = &nation
                && !["england", "wales", "scotland", "northern_ireland"].contains(&n.as_str())
            {
                bail!("`{n}` is not a UK nation: england, wales, scotland or northern_ireland");
            }
            let admin = cases.administration();
            let capability = system(Operation::ManageOrganisations)?;
            if list.is_some() {
                let problems = admin.check_referrer_settings(
                    &kind,
                    &nrm_service::ReferrerSettings {
                        nation: nation.as_deref().map(parse_nation).transpose()?,
                        first_responder_list: list.clone(),
                        designated_from: None,
                        designated_to: None,
                    },
                );
                if let Some(p) = problems.first() {
                    bail!("{}: {}", p.field, p.message);
                }
            }
            let id = admin
                .add_organisation(
                    &capability,
                    OrganisationId(Uuid::new_v4()),
                    &name,
                    &kind,
                    Utc::now(),
                )
                .await?;
            match (list, nation) {
                (Some(list), Some(n)) => {
                    admin
                        .set_referrer(
                            &capability,
                            id,
                            &nrm_service::ReferrerSettings {
                                nation: Some(parse_nation(&n)?),
                                first_responder_list: Some(list),
                                designated_from: None,
                                designated_to: None,
                            },
                            Utc::now(),
                        )
                        .await?;
                }
                (_, Some(n)) => {
                    admin
                        .set_organisation_nation(&capability, id, &n, Utc::now())
                        .await?;
                }
                _ => {}
            }
            println!("{id}");
        }
        OrgCommand::Designate { id, from, to } => {
            if to.is_some_and(|to| to < from) {
                bail!("the designation cannot end before it starts");
            }
            match cases
                .administration()
                .designate_organisation(
                    &system(Operation::ManageOrganisations)?,
                    OrganisationId(id),
                    from,
                    to,
                    Utc::now(),
                )
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
            let capability = system(Operation::ManageOrganisations)?;
            let admin = cases.administration();
            let list = admin.organisations(&capability, Utc::now()).await?;
            for org in list {
                let referrer = admin.referrer(&capability, org.id, Utc::now()).await?;
                let s = referrer.settings;
                println!(
                    "{}  {:<32} {:<16} {:<24} {}",
                    org.id,
                    org.kind.code(),
                    s.nation.map_or("-", nation_code),
                    s.first_responder_list.as_deref().unwrap_or("-"),
                    org.name
                );
            }
        }
        OrgCommand::Referrer {
            id,
            nation,
            list,
            designated_from,
            designated_to,
        } => {
            let settings = nrm_service::ReferrerSettings {
                nation: nation.as_deref().map(parse_nation).transpose()?,
                first_responder_list: list,
                designated_from,
                designated_to,
            };
            match cases
                .administration()
                .set_referrer(
                    &system(Operation::ManageOrganisations)?,
                    OrganisationId(id),
                    &settings,
                    Utc::now(),
                )
                .await
            {
                Err(nrm_service::ServiceError::NotFound) => bail!("no organisation has that id"),
                other => other?,
            }
            println!("Recorded.");
        }
    }
    Ok(())
}

pub async fn user(cases: &Cases, config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let admin = cases.administration();
    let capability = system(Operation::ManageUsers)?;
    let capability = &capability;
    let find = |email: String| async move {
        match admin.account_by_email(capability, &email, Utc::now()).await {
            Err(nrm_service::ServiceError::NotFound) => bail!("no account has that email address"),
            other => Ok(other?),
        }
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
            let created = admin
                .add_user(
                    capability,
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
            for u in admin.accounts(capability, Utc::now()).await? {
                let status = if u.disabled { "disabled" } else { "active" };
                let roles: Vec<&str> = u.roles.iter().map(|r| r.code()).collect();
                println!(
                    "{}  {}  {:<8} {}",
                    u.id,
                    u.organisation,
                    status,
                    roles.join(",")
                );
            }
        }
        UserCommand::Disable { email } => {
            let user = find(email).await?;
            admin.disable_user(capability, user.id, Utc::now()).await?;
            println!("Account {} disabled; its sessions have ended.", user.id);
        }
        UserCommand::Roles {
            email,
            roles: codes,
        } => {
            let user = find(email).await?;
            let roles = roles(&codes)?;
            admin
                .set_user_roles(capability, user.id, &roles, Utc::now())
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
            admin
                .set_password(capability, user.id, &password, Utc::now())
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
                .identity()
                .current_code(user.id, Utc::now())
                .await?
                .context("no code")?;
            println!("{code}");
        }
    }
    Ok(())
}
