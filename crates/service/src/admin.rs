//! Administration: organisations (kind, nation, dated designation), accounts (roles,
//! disablement, password resets) and API tokens. Every method takes a capability for
//! [`Operation::ManageOrganisations`] (organisations and tokens) or [`Operation::ManageUsers`]
//! (accounts), and every change and every read writes an audit entry naming its subject
//! (`organisation:`, `user:`, `token:<uuid>`); an entry that cannot be written refuses the
//! action. Which accounts a holder of `ManageUsers` may touch (an FRO administrator only their
//! own organisation's First Responders) is the access policy's `may_manage_account`, asked by
//! the caller with the [`Account`] read here. The shell and the demo act as the system: they
//! authorise `Principal::system()` like anyone else.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, FRO_TOKEN_SCOPES, Operation, OrganisationKind, Role};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::{Actor, FieldProblem};
use nrm_store::StoreError;
use nrm_store::identity::{OrganisationRow, UserRow};
use rand::RngCore;

use crate::identity::{
    API_TOKEN_PREFIX, NewUser, RECOVERY_CODES, check_password, hash_password, normalise_recovery,
    organisation_subject, recovery_code, set_password_unaudited, token_hash, totp, user_subject,
};
use crate::{Cases, ServiceError};

/// Organisations, accounts and API tokens. Borrowed from [`Cases::administration`].
#[derive(Debug, Clone, Copy)]
pub struct Administration<'a> {
    cases: &'a Cases,
}

/// An organisation, for administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    pub designated_from: Option<NaiveDate>,
    pub designated_to: Option<NaiveDate>,
}

/// An account, without its credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: UserId,
    pub organisation: OrganisationId,
    pub email: String,
    pub roles: Vec<Role>,
    /// A decision maker who sees only the cases allocated to them.
    pub allocated_only: bool,
    pub disabled: bool,
}

/// Never prints the email.
impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("organisation", &self.organisation)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// The account's version: a digest of what an administrator can change (organisation,
    /// email, roles, scope, disabled), so any change gives a new one. Accounts have no stored
    /// version counter; a change names the state it was decided on, like a case's ETag.
    pub fn version(&self) -> String {
        use sha2::{Digest, Sha256};
        let roles: Vec<&str> = self.roles.iter().map(|r| r.code()).collect();
        let mut hash = Sha256::new();
        for part in [
            self.organisation.0.to_string().as_str(),
            self.email.as_str(),
            &roles.join(","),
            if self.allocated_only { "1" } else { "0" },
            if self.disabled { "1" } else { "0" },
        ] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub(crate) fn from_row(row: UserRow) -> Self {
        Self {
            id: row.id,
            organisation: row.organisation,
            email: row.email,
            // A code this build does not know gives no power (the same as sign-in reads it).
            roles: row.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            allocated_only: row.allocated_only,
            disabled: row.disabled,
        }
    }
}

/// An API token, without the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenSummary {
    pub id: uuid::Uuid,
    pub organisation: OrganisationId,
    pub name: String,
    pub scopes: Vec<Operation>,
    pub revoked: bool,
}

impl ApiTokenSummary {
    /// The token's version: a digest of what it is (organisation, name, scopes) and whether it
    /// is revoked, so revoking it gives a new one. Tokens have no stored version counter; the
    /// API's revoke names the state it was decided on, as an account's change does.
    pub fn version(&self) -> String {
        use sha2::{Digest, Sha256};
        let scopes: Vec<&str> = self.scopes.iter().map(|s| s.code()).collect();
        let mut hash = Sha256::new();
        for part in [
            self.id.to_string().as_str(),
            self.organisation.0.to_string().as_str(),
            self.name.as_str(),
            &scopes.join(","),
            if self.revoked { "1" } else { "0" },
        ] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// One live session of an account, for its administrators: when it began and was last used,
/// and an id to end it by (derived from the stored hash of its token, which is itself never
/// shown: the id cannot be used to sign in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSession {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

fn session_id(token_hash: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(b"nrm-session-id:");
    hash.update(token_hash);
    hash.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The actor of `capability` when it is for `operation` (checked again: fail closed).
pub(crate) fn holder(capability: &Capability, operation: Operation) -> Result<Actor, ServiceError> {
    if capability.operation() == operation {
        Ok(capability.actor())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Whose API tokens the capability manages: every organisation's ([`Operation::ManageOrganisations`],
/// the service's administrators) or only the actor's own ([`Operation::ManageApiTokens`], an FRO
/// administrator, who may also give only [`FRO_TOKEN_SCOPES`]).
fn token_manager(capability: &Capability) -> Result<(Actor, Option<OrganisationId>), ServiceError> {
    let actor = capability.actor();
    match capability.operation() {
        Operation::ManageOrganisations => Ok((actor, None)),
        Operation::ManageApiTokens => Ok((actor, Some(actor.organisation))),
        _ => Err(ServiceError::NotFound),
    }
}

fn organisation(row: OrganisationRow) -> Result<Organisation, ServiceError> {
    let kind = OrganisationKind::parse(&row.kind).ok_or_else(|| {
        ServiceError::Store(StoreError::Corrupt(format!(
            "organisation {} has an unknown kind",
            row.id.0
        )))
    })?;
    Ok(Organisation {
        id: row.id,
        name: row.name,
        kind,
        designated_from: row.designated_from,
        designated_to: row.designated_to,
    })
}

/// A capability for the service itself (the shell, the demo, the benchmarks), asked of the
/// access policy for [`nrm_access::Principal::system`] like any other caller's.
pub fn system_capability(operation: Operation) -> Result<Capability, ServiceError> {
    nrm_access::authorise(&nrm_access::Principal::system(), operation)
        .map_err(|_| ServiceError::NotFound)
}

/// The UK nations an organisation can work in, as stored.
pub const NATIONS: [&str; 4] = ["england", "wales", "scotland", "northern_ireland"];

impl<'a> Administration<'a> {
    pub(crate) fn new(cases: &'a Cases) -> Self {
        Self { cases }
    }

    pub(crate) fn cases(&self) -> &'a Cases {
        self.cases
    }

    fn store(&self) -> &'a nrm_store::Store {
        self.cases.store()
    }

    async fn audit_about<T>(
        &self,
        actor: Actor,
        action: &str,
        subject: Option<String>,
        result: &Result<T, ServiceError>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        self.cases
            .audit_about(actor, action, subject, result, now)
            .await
    }

    /// Every organisation, by name. Audited (`organisation.list`).
    pub async fn organisations(
        self,
        capability: &Capability,
        now: DateTime<Utc>,
    ) -> Result<Vec<Organisation>, ServiceError> {
        let actor = holder(capability, Operation::ManageOrganisations)?;
        let result = match self.store().organisations().await {
            Ok(rows) => rows.into_iter().map(organisation).collect(),
            Err(e) => Err(e.into()),
        };
        self.audit_about(actor, "organisation.list", None, &result, now)
            .await?;
        result
    }

    /// Registers an organisation under `id` (callers make a fresh one; the demo uses fixed
    /// ids), in `nation` when it has one. Audited.
    pub async fn add_organisation(
        self,
        capability: &Capability,
        id: OrganisationId,
        name: &str,
        kind: &OrganisationKind,
        now: DateTime<Utc>,
    ) -> Result<OrganisationId, ServiceError> {
        let actor = holder(capability, Operation::ManageOrganisations)?;
        let result = self.add_organisation_unaudited(id, name, kind, now).await;
        self.audit_about(
            actor,
            "organisation.add",
            organisation_subject(id),
            &result,
            now,
        )
        .await?;
        result.map(|()| id)
    }

    async fn add_organisation_unaudited(
        &self,
        id: OrganisationId,
        name: &str,
        kind: &OrganisationKind,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if name.trim().is_empty() || name.len() > 200 {
            return Err(nrm_domain::DomainError::Invalid(vec![FieldProblem::new(
                "/name",
                "Enter the organisation's name, in 200 characters or fewer",
            )])
            .into());
        }
        self.store()
            .create_organisation(
                &OrganisationRow {
                    id,
                    name: name.trim().to_owned(),
                    kind: kind.code(),
                    // A First Responder Organisation is designated from the day it is
                    // registered until an administrator says otherwise.
                    designated_from: (*kind == OrganisationKind::FirstResponderOrganisation)
                        .then(|| nrm_domain::clock::uk_date(now)),
                    designated_to: None,
                },
                now,
            )
            .await?;
        Ok(())
    }

    /// Sets the UK nation an organisation works in (one of [`NATIONS`]); audited.
    pub async fn set_organisation_nation(
        self,
        capability: &Capability,
        id: OrganisationId,
        nation: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = holder(capability, Operation::ManageOrganisations)?;
        let result = if NATIONS.contains(&nation) {
            match self.store().set_organisation_nation(id, Some(nation)).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(ServiceError::NotFound),
                Err(e) => Err(e.into()),
            }
        } else {
            Err(nrm_domain::DomainError::Invalid(vec![FieldProblem::new(
                "/nation",
                "Choose England, Wales, Scotland or Northern Ireland",
            )])
            .into())
        };
        self.audit_about(
            actor,
            "organisation.nation",
            organisation_subject(id),
            &result,
            now,
        )
        .await?;
        result
    }

    /// Sets a First Responder Organisation's dated designation (it refers only while
    /// designated); audited.
    pub async fn designate_organisation(
        self,
        capability: &Capability,
        id: OrganisationId,
        from: NaiveDate,
        to: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = holder(capability, Operation::ManageOrganisations)?;
        let result = if to.is_some_and(|to| to < from) {
            Err(nrm_domain::DomainError::Invalid(vec![FieldProblem::new(
                "/to",
                "The designation cannot end before it starts",
            )])
            .into())
        } else {
            match self.store().set_designation(id, Some(from), to).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(ServiceError::NotFound),
                Err(e) => Err(e.into()),
            }
        };
        self.audit_about(
            actor,
            "organisation.designate",
            organisation_subject(id),
            &result,
            now,
        )
        .await?;
        result
    }

    /// Every account, by email. Audited (`account.list`). The caller keeps only those the
    /// policy's `may_manage_account` allows it.
    pub async fn accounts(
        self,
        capability: &Capability,
        now: DateTime<Utc>,
    ) -> Result<Vec<Account>, ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = self
            .store()
            .users()
            .await
            .map(|rows| rows.into_iter().map(Account::from_row).collect())
            .map_err(ServiceError::from);
        self.audit_about(actor, "account.list", None, &result, now)
            .await?;
        result
    }

    /// One account. Audited (`account.read`, with the account as subject).
    pub async fn account(
        self,
        capability: &Capability,
        id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Account, ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = match self.store().user(id).await {
            Ok(Some(row)) => Ok(Account::from_row(row)),
            Ok(None) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        };
        self.audit_about(actor, "account.read", user_subject(id), &result, now)
            .await?;
        result
    }

    /// The account with this email address (normalised here). Audited (`account.read`).
    pub async fn account_by_email(
        self,
        capability: &Capability,
        email: &str,
        now: DateTime<Utc>,
    ) -> Result<Account, ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = match self
            .store()
            .user_by_email(&email.trim().to_lowercase())
            .await
        {
            Ok(Some(row)) => Ok(Account::from_row(row)),
            Ok(None) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        };
        let subject = result.as_ref().ok().and_then(|a| user_subject(a.id));
        self.audit_about(actor, "account.read", subject, &result, now)
            .await?;
        result
    }

    /// Disables an account; its sessions end at once. Audited.
    pub async fn disable_user(
        self,
        capability: &Capability,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = match self.store().set_user_disabled(user, true).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        };
        self.audit_about(actor, "account.disable", user_subject(user), &result, now)
            .await?;
        result
    }

    /// Replaces an account's roles; its sessions end at once. Audited.
    pub async fn set_user_roles(
        self,
        capability: &Capability,
        user: UserId,
        roles: &[Role],
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = if roles.is_empty() {
            Err(nrm_domain::DomainError::Invalid(vec![FieldProblem::new(
                "/roles",
                "Give the account at least one role",
            )])
            .into())
        } else {
            let codes: Vec<String> = roles.iter().map(|r| r.code().to_owned()).collect();
            match self.store().set_user_roles(user, &codes).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(ServiceError::NotFound),
                Err(e) => Err(e.into()),
            }
        };
        self.audit_about(actor, "account.roles", user_subject(user), &result, now)
            .await?;
        result
    }

    /// Resets an account's password; every session of theirs ends. Audited with the account
    /// as subject.
    pub async fn set_password(
        self,
        capability: &Capability,
        user: UserId,
        new: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = set_password_unaudited(self.store(), user, new).await;
        self.audit_about(
            actor,
            "account.password_set",
            user_subject(user),
            &result,
            now,
        )
        .await?;
        result
    }

    /// Creates an account with a password (checked against the policy) and a fresh TOTP seed;
    /// audited with the new account as subject.
    #[expect(clippy::too_many_arguments, reason = "the parts of one account")]
    pub async fn add_user(
        self,
        capability: &Capability,
        id: UserId,
        organisation: OrganisationId,
        email: &str,
        roles: &[Role],
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<NewUser, ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = self
            .add_user_unaudited(id, organisation, email, roles, password, now)
            .await;
        self.audit_about(actor, "account.add", user_subject(id), &result, now)
            .await?;
        result
    }
    /// Creates a user with a password (checked against the policy) and a fresh TOTP seed.
    async fn add_user_unaudited(
        &self,
        id: UserId,
        organisation: OrganisationId,
        email: &str,
        roles: &[Role],
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<NewUser, ServiceError> {
        let mut problems = Vec::new();
        let email = email.trim().to_lowercase();
        if !email.contains('@') || email.len() > 254 {
            problems.push(FieldProblem::new("/email", "Enter a work email address"));
        }
        if roles.is_empty() {
            problems.push(FieldProblem::new(
                "/roles",
                "Give the user at least one role",
            ));
        }
        if let Err(p) = check_password(password) {
            problems.push(p);
        }
        if self.store().organisation(organisation).await?.is_none() {
            problems.push(FieldProblem::new("/organisation", "No such organisation"));
        }
        if !problems.is_empty() {
            return Err(nrm_domain::DomainError::Invalid(problems).into());
        }
        let password = password.to_owned();
        let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| {
                ServiceError::Store(StoreError::Corrupt("hashing task failed".to_owned()))
            })??;
        let mut seed = vec![0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let sealed = self
            .store()
            .master_key()
            .seal_secret(&id.to_string(), &seed)
            .map_err(StoreError::from)?;
        let base32 = totp(seed)
            .map(|t| t.get_secret_base32())
            .unwrap_or_default();
        let row = UserRow {
            id,
            organisation,
            email,
            roles: roles.iter().map(|r| r.code().to_owned()).collect(),
            allocated_only: false,
            password_hash,
            totp_secret: sealed,
            totp_last_step: 0,
            disabled: false,
        };
        match self.store().create_user(&row, now).await {
            Err(StoreError::DuplicateReference) => {
                Err(nrm_domain::DomainError::Invalid(vec![FieldProblem::new(
                    "/email",
                    "A user with that email address already exists",
                )])
                .into())
            }
            other => {
                other?;
                let recovery_codes: Vec<String> =
                    (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
                let hashes: Vec<Vec<u8>> = recovery_codes
                    .iter()
                    .map(|c| token_hash(&normalise_recovery(c)))
                    .collect();
                self.store().set_recovery_codes(id, &hashes).await?;
                Ok(NewUser {
                    id,
                    totp_secret_base32: base32,
                    recovery_codes,
                })
            }
        }
    }

    async fn create_api_token_unaudited(
        &self,
        id: uuid::Uuid,
        organisation: OrganisationId,
        name: &str,
        scopes: &[Operation],
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let mut problems = Vec::new();
        if scopes.is_empty() {
            problems.push(FieldProblem::new(
                "/scopes",
                "Give the token at least one scope",
            ));
        }
        if name.trim().is_empty() || name.len() > 200 {
            problems.push(FieldProblem::new(
                "/name",
                "Name the token (what uses it), in 200 characters or fewer",
            ));
        }
        if self.store().organisation(organisation).await?.is_none() {
            problems.push(FieldProblem::new("/organisation", "No such organisation"));
        }
        if !problems.is_empty() {
            return Err(nrm_domain::DomainError::Invalid(problems).into());
        }
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = format!(
            "{API_TOKEN_PREFIX}{}",
            raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let row = nrm_store::identity::ApiTokenRow {
            id,
            organisation,
            name: name.trim().to_owned(),
            scopes: scopes.iter().map(|s| s.code().to_owned()).collect(),
        };
        self.store()
            .create_api_token(&row, &token_hash(&token), now)
            .await?;
        Ok(token)
    }

    /// Creates an API token for `organisation` that may do only `scopes`. Returns the token id
    /// and the token itself, which is shown once and stored only as a hash. Audited with the
    /// token as subject.
    pub async fn create_api_token(
        self,
        capability: &Capability,
        organisation: OrganisationId,
        name: &str,
        scopes: &[Operation],
        now: DateTime<Utc>,
    ) -> Result<(uuid::Uuid, String), ServiceError> {
        let (actor, own) = token_manager(capability)?;
        let id = uuid::Uuid::new_v4();
        let result = match own {
            // An FRO administrator: their own organisation's tokens, with referrers' scopes.
            Some(own) if own != organisation => Err(ServiceError::NotFound),
            Some(_) if scopes.iter().any(|s| !FRO_TOKEN_SCOPES.contains(s)) => {
                Err(nrm_domain::DomainError::Invalid(vec![FieldProblem::new(
                    "/scopes",
                    "Your organisation's tokens may only submit referrals, submit Duty to Notify reports and read the rulebook",
                )])
                .into())
            }
            _ => {
                self.create_api_token_unaudited(id, organisation, name, scopes, now)
                    .await
            }
        };
        self.audit_about(
            actor,
            "token.create",
            Some(format!("token:{id}")),
            &result,
            now,
        )
        .await?;
        result.map(|token| (id, token))
    }

    /// Revokes an API token at once; audited.
    pub async fn revoke_api_token(
        self,
        capability: &Capability,
        id: uuid::Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let (actor, own) = token_manager(capability)?;
        let theirs = match own {
            None => Ok(true),
            // Another organisation's token is, to an FRO administrator, no token at all.
            Some(own) => self
                .store()
                .api_tokens()
                .await
                .map(|rows| {
                    rows.iter()
                        .any(|(row, _)| row.id == id && row.organisation == own)
                })
                .map_err(ServiceError::from),
        };
        let result = match theirs {
            Ok(true) => match self.store().revoke_api_token(id).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(ServiceError::NotFound),
                Err(e) => Err(e.into()),
            },
            Ok(false) => Err(ServiceError::NotFound),
            Err(e) => Err(e),
        };
        self.audit_about(
            actor,
            "token.revoke",
            Some(format!("token:{id}")),
            &result,
            now,
        )
        .await?;
        result
    }

    /// Every API token (never the token itself), by name. Audited (`token.list`).
    pub async fn api_tokens(
        self,
        capability: &Capability,
        now: DateTime<Utc>,
    ) -> Result<Vec<ApiTokenSummary>, ServiceError> {
        let (actor, own) = token_manager(capability)?;
        let result = self
            .store()
            .api_tokens()
            .await
            .map(|rows| {
                rows.into_iter()
                    .filter(|(row, _)| own.is_none_or(|own| row.organisation == own))
                    .map(|(row, revoked)| ApiTokenSummary {
                        id: row.id,
                        organisation: row.organisation,
                        name: row.name,
                        scopes: row
                            .scopes
                            .iter()
                            .filter_map(|s| Operation::parse(s))
                            .collect(),
                        revoked,
                    })
                    .collect()
            })
            .map_err(ServiceError::from);
        self.audit_about(actor, "token.list", None, &result, now)
            .await?;
        result
    }

    /// One organisation. Audited (`organisation.read`).
    pub async fn organisation(
        self,
        capability: &Capability,
        id: OrganisationId,
        now: DateTime<Utc>,
    ) -> Result<Organisation, ServiceError> {
        let actor = holder(capability, Operation::ManageOrganisations)?;
        let result = match self.store().organisation(id).await {
            Ok(Some(row)) => organisation(row),
            Ok(None) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        };
        self.audit_about(
            actor,
            "organisation.read",
            organisation_subject(id),
            &result,
            now,
        )
        .await?;
        result
    }

    /// Enables a disabled account (it signs in afresh: no session of before comes back).
    /// Audited.
    pub async fn enable_user(
        self,
        capability: &Capability,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = match self.store().set_user_disabled(user, false).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        };
        self.audit_about(actor, "account.enable", user_subject(user), &result, now)
            .await?;
        result
    }

    /// An account's live sessions, newest first. Audited (`account.sessions`).
    pub async fn account_sessions(
        self,
        capability: &Capability,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccountSession>, ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = self
            .store()
            .user_sessions(user)
            .await
            .map(|rows| {
                rows.into_iter()
                    .map(|(hash, row)| AccountSession {
                        id: session_id(&hash),
                        created_at: row.created_at,
                        last_seen_at: row.last_seen_at,
                    })
                    .collect()
            })
            .map_err(ServiceError::from);
        self.audit_about(actor, "account.sessions", user_subject(user), &result, now)
            .await?;
        result
    }

    /// Ends one of an account's sessions (by its [`AccountSession::id`]) at once. Audited
    /// (`account.session_revoke`); a session already ended or unknown is not found.
    pub async fn revoke_account_session(
        self,
        capability: &Capability,
        user: UserId,
        session: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = holder(capability, Operation::ManageUsers)?;
        let result = self.revoke_session_unaudited(user, session).await;
        self.audit_about(
            actor,
            "account.session_revoke",
            user_subject(user),
            &result,
            now,
        )
        .await?;
        result
    }

    async fn revoke_session_unaudited(
        &self,
        user: UserId,
        session: &str,
    ) -> Result<(), ServiceError> {
        let hash = self
            .store()
            .user_sessions(user)
            .await?
            .into_iter()
            .map(|(hash, _)| hash)
            .find(|hash| session_id(hash) == session)
            .ok_or(ServiceError::NotFound)?;
        if self.store().revoke_user_session(user, &hash).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Resets an account's password to a new random one, returned once to be given to the
    /// person (every session of theirs ends). Audited as `account.password_set`.
    pub async fn reset_password(
        self,
        capability: &Capability,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        let password = crate::identity::generate_password();
        self.set_password(capability, user, &password, now).await?;
        Ok(password)
    }
}
