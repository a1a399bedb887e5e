//! Sign-in: organisations and users, passwords, the second factor, sessions and throttling.
//!
//! - Passwords: at least 12 and at most 128 characters, no composition rules, a deny-list of
//!   common passwords; stored as Argon2id PHC strings (m = 19,456 KiB, t = 2, p = 1, the OWASP
//!   minimum). Hashing runs off the async threads.
//! - Second factor: TOTP (RFC 6238, SHA-1, 6 digits, 30 s, one step of clock skew) for every
//!   user; a code's time step can be used once. The seed is sealed with the master key.
//! - Sessions: 256-bit random tokens, stored only as SHA-256 hashes; 15 minutes idle and
//!   10 hours absolute; revoked at once on sign-out, disablement or a change of roles.
//! - Throttling: at most 10 failed sign-ins per account (and 100 per client) in 5 minutes;
//!   while throttled even the right password is refused. Unknown accounts are throttled and
//!   answered exactly like known ones, so nothing reveals whether an account exists.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::{Actor, FieldProblem};
use nrm_store::StoreError;
use nrm_store::identity::{OrganisationRow, UserRow};
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

use crate::{Cases, ServiceError};

pub const IDLE_TIMEOUT_MINUTES: i64 = 15;
pub const ABSOLUTE_TIMEOUT_HOURS: i64 = 10;
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 10;
pub const MAX_FAILURES_PER_CLIENT: u64 = 100;
pub const THROTTLE_WINDOW_MINUTES: i64 = 5;
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Common passwords refused whatever their length (a small built-in list; a deployment adds a
/// breached-password service).
const DENY_LIST: &[&str] = &[
    "password1234",
    "123456789012",
    "qwertyuiopas",
    "passwordpassword",
    "letmeinletmein",
    "iloveyou1234",
    "welcome12345",
    "administrator",
    "changeme1234",
    "password123!",
];

/// Why a password cannot be used.
pub fn check_password(password: &str) -> Result<(), FieldProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldProblem::new(
            "/password",
            format!("Use at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldProblem::new(
            "/password",
            format!("Use at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if DENY_LIST.contains(&password.to_lowercase().as_str()) {
        return Err(FieldProblem::new(
            "/password",
            "That password is too common: choose another",
        ));
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // Argon2id, version 0x13, m = 19,456 KiB, t = 2, p = 1.
    Argon2::default()
}

/// Hashes a password (CPU-heavy: call from a blocking task).
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| ServiceError::Store(StoreError::Corrupt("password hashing failed".to_owned())))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

fn totp(secret: Vec<u8>) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret).ok()
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new user's credentials, shown once to whoever creates the account.
#[derive(Clone)]
pub struct NewUser {
    pub id: UserId,
    /// The TOTP seed in base32, for an authenticator app.
    pub totp_secret_base32: String,
    /// Ten one-time codes for when the authenticator is lost.
    pub recovery_codes: Vec<String>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why a sign-in failed. Deliberately coarse: it never says which part was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefused {
    /// The email, password or code is not right (or the account is disabled).
    NotRight,
    /// Too many failed attempts recently; try again later.
    Throttled,
}

/// A session token, shown once to the client (as a cookie) and stored only as a hash.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

impl Cases {
    /// Registers an organisation under `id` (callers make a fresh one; the demo uses fixed ids).
    pub async fn add_organisation(
        &self,
        id: OrganisationId,
        name: &str,
        kind: &OrganisationKind,
        now: DateTime<Utc>,
    ) -> Result<OrganisationId, ServiceError> {
        self.store()
            .create_organisation(
                &OrganisationRow {
                    id,
                    name: name.to_owned(),
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
        Ok(id)
    }

    /// Creates a user with a password (checked against the policy) and a fresh TOTP seed.
    pub async fn add_user(
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

    /// Changes a user's password after checking the current one; every session of theirs ends.
    pub async fn change_password(
        &self,
        user: UserId,
        current: &str,
        new: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let row = self
            .store()
            .user(user)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let current = current.to_owned();
        let phc = row.password_hash.clone();
        let ok = tokio::task::spawn_blocking(move || verify_password(&current, &phc))
            .await
            .unwrap_or(false);
        if !ok {
            return Err(nrm_domain::DomainError::Invalid(vec![FieldProblem::new(
                "/current_password",
                "The current password is not right",
            )])
            .into());
        }
        self.set_password(user, new, now).await
    }

    /// Sets a user's password (an administrator's reset); every session of theirs ends.
    pub async fn set_password(
        &self,
        user: UserId,
        new: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        check_password(new)
            .map_err(|p| ServiceError::from(nrm_domain::DomainError::Invalid(vec![p])))?;
        let new = new.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(|_| {
                ServiceError::Store(StoreError::Corrupt("hashing task failed".to_owned()))
            })??;
        if !self.store().set_password_hash(user, &hash).await? {
            return Err(ServiceError::NotFound);
        }
        let record = Actor {
            user,
            organisation: OrganisationId(uuid::Uuid::nil()),
        };
        self.audit(
            record,
            "account.password_changed",
            None,
            &Ok::<(), ServiceError>(()),
            now,
        )
        .await
    }

    /// The current TOTP code for a user (for tests and the demo's sign-in helper only).
    pub async fn current_code(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServiceError> {
        let Some(row) = self.store().user(user).await? else {
            return Ok(None);
        };
        let seed = self
            .store()
            .master_key()
            .open_secret(&user.to_string(), &row.totp_secret)
            .map_err(StoreError::from)?;
        Ok(totp(seed).map(|t| t.generate(u64::try_from(now.timestamp()).unwrap_or(0))))
    }

    /// Signs in with email, password and TOTP code. `client` identifies the caller's network
    /// address for the per-client limit. Every outcome is audited.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        code: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<SessionToken, SignInRefused> {
        let outcome = self.sign_in_inner(email, password, code, client, now).await;
        let (actor, result) = match &outcome {
            Ok((user, organisation, _)) => (
                Actor {
                    user: *user,
                    organisation: *organisation,
                },
                Ok(()),
            ),
            Err(_) => (Actor::SYSTEM, Err(ServiceError::NotFound)),
        };
        let action = match outcome {
            Err(SignInRefused::Throttled) => "session.sign_in_throttled",
            _ => "session.sign_in",
        };
        let _ = self.audit(actor, action, None, &result, now).await;
        outcome.map(|(_, _, token)| token)
    }

    async fn sign_in_inner(
        &self,
        email: &str,
        password: &str,
        code: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<(UserId, OrganisationId, SessionToken), SignInRefused> {
        let store = self.store();
        let email = email.trim().to_lowercase();
        // Over-long input is refused before any work is done with it.
        if email.len() > 254 || password.chars().count() > MAX_PASSWORD_CHARS || code.len() > 32 {
            return Err(SignInRefused::NotRight);
        }
        let account_key = format!("account:{email}");
        let client_key = format!("client:{client}");
        let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
        let throttled = store
            .sign_in_failures_since(&account_key, since)
            .await
            .map_err(|_| SignInRefused::NotRight)?
            >= MAX_FAILURES_PER_ACCOUNT
            || store
                .sign_in_failures_since(&client_key, since)
                .await
                .map_err(|_| SignInRefused::NotRight)?
                >= MAX_FAILURES_PER_CLIENT;
        if throttled {
            let _ = store.record_sign_in_failure(&account_key, now).await;
            return Err(SignInRefused::Throttled);
        }
        let user = store
            .user_by_email(&email)
            .await
            .map_err(|_| SignInRefused::NotRight)?;
        // Unknown accounts take the same time: verify against a fixed hash.
        let phc = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(dummy_hash);
        let password = password.to_owned();
        let password_ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
            .await
            .unwrap_or(false);
        let fail = || async {
            let _ = store.record_sign_in_failure(&account_key, now).await;
            let _ = store.record_sign_in_failure(&client_key, now).await;
            SignInRefused::NotRight
        };
        let Some(user) = user.filter(|u| password_ok && !u.disabled) else {
            return Err(fail().await);
        };
        let seed = match store
            .master_key()
            .open_secret(&user.id.to_string(), &user.totp_secret)
        {
            Ok(seed) => seed,
            Err(_) => return Err(fail().await),
        };
        let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
        if code.trim().len() > 6 {
            // A recovery code, usable once.
            let used = store
                .use_recovery_code(user.id, &token_hash(&normalise_recovery(code)), now)
                .await
                .map_err(|_| SignInRefused::NotRight)?;
            if !used {
                return Err(fail().await);
            }
        } else {
            let step = matching_step(totp(seed), code.trim(), seconds);
            let Some(step) = step else {
                return Err(fail().await);
            };
            if !store
                .use_totp_step(user.id, step)
                .await
                .map_err(|_| SignInRefused::NotRight)?
            {
                // The code was right but already used: a replay.
                return Err(fail().await);
            }
        }
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = SessionToken(raw.iter().map(|b| format!("{b:02x}")).collect());
        store
            .create_session(&token_hash(&token.0), user.id, now)
            .await
            .map_err(|_| SignInRefused::NotRight)?;
        Ok((user.id, user.organisation, token))
    }

    /// The signed-in principal for a session token, if the session is live; touches it.
    pub async fn principal_for_session(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Principal>, ServiceError> {
        if token.len() != 64 {
            return Ok(None);
        }
        let hash = token_hash(token);
        let Some(session) = self.store().session(&hash).await? else {
            return Ok(None);
        };
        let idle = now - session.last_seen_at > Duration::minutes(IDLE_TIMEOUT_MINUTES);
        let expired = now - session.created_at > Duration::hours(ABSOLUTE_TIMEOUT_HOURS);
        if session.revoked || idle || expired {
            return Ok(None);
        }
        let Some(user) = self.store().user(session.user).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        let Some(organisation) = self.store().organisation(user.organisation).await? else {
            return Ok(None);
        };
        let Some(kind) = OrganisationKind::parse(&organisation.kind) else {
            return Ok(None);
        };
        // Recording activity is a durable write: once a minute is enough to keep the 15-minute
        // idle timeout honest without a write on every request.
        if now - session.last_seen_at > Duration::minutes(1) {
            self.store().touch_session(&hash, now).await?;
        }
        Ok(Some(Principal {
            actor: Actor {
                user: user.id,
                organisation: user.organisation,
            },
            organisation_kind: kind,
            roles: user.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            allocated_cases_only: user.allocated_only,
            token_scopes: None,
            authenticated_at: Some(session.created_at),
        }))
    }

    /// Ends a session at once.
    pub async fn sign_out(&self, token: &str) -> Result<(), ServiceError> {
        self.store().revoke_session(&token_hash(token)).await?;
        Ok(())
    }
}

/// A random password of 20 letters and digits (for accounts created by an administrator).
pub fn generate_password() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| char::from(CHARS[rand::Rng::gen_range(&mut rng, 0..CHARS.len())]))
        .collect()
}

/// How many recovery codes each account gets.
pub const RECOVERY_CODES: usize = 10;

/// A recovery code: 15 characters from an unambiguous alphabet (about 74 bits), in groups.
fn recovery_code() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..15)
        .map(|_| char::from(CHARS[rand::Rng::gen_range(&mut rng, 0..CHARS.len())]))
        .collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Recovery codes compare without case, spaces or dashes.
fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The prefix every API token starts with, so a leaked one is easy to recognise and scan for.
pub const API_TOKEN_PREFIX: &str = "nrm_";

impl Cases {
    /// Creates an API token for `organisation` that may do only `scopes`. Returns the token id
    /// and the token itself, which is shown once and stored only as a hash.
    pub async fn create_api_token(
        &self,
        organisation: OrganisationId,
        name: &str,
        scopes: &[Operation],
        now: DateTime<Utc>,
    ) -> Result<(uuid::Uuid, String), ServiceError> {
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
        let id = uuid::Uuid::new_v4();
        let row = nrm_store::identity::ApiTokenRow {
            id,
            organisation,
            name: name.trim().to_owned(),
            scopes: scopes.iter().map(|s| s.code().to_owned()).collect(),
        };
        self.store()
            .create_api_token(&row, &token_hash(&token), now)
            .await?;
        Ok((id, token))
    }

    /// The principal an API token acts as: its organisation, with the scopes as its only
    /// permissions. The token's id stands for the user in the audit log.
    pub async fn principal_for_token(
        &self,
        token: &str,
    ) -> Result<Option<Principal>, ServiceError> {
        if !token.starts_with(API_TOKEN_PREFIX) || token.len() != API_TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        let Some(row) = self.store().api_token(&token_hash(token)).await? else {
            return Ok(None);
        };
        let Some(organisation) = self.store().organisation(row.organisation).await? else {
            return Ok(None);
        };
        let Some(kind) = OrganisationKind::parse(&organisation.kind) else {
            return Ok(None);
        };
        let scopes: Vec<Operation> = row
            .scopes
            .iter()
            .filter_map(|s| Operation::parse(s))
            .collect();
        // A token submitting referrals acts for a First Responder Organisation.
        let roles = if scopes
            .iter()
            .any(|s| matches!(s, Operation::SubmitReferral | Operation::SubmitDutyToNotify))
        {
            vec![Role::FirstResponder]
        } else {
            vec![Role::Administrator]
        };
        Ok(Some(Principal {
            actor: Actor {
                user: UserId(row.id),
                organisation: row.organisation,
            },
            organisation_kind: kind,
            roles,
            allocated_cases_only: false,
            token_scopes: Some(scopes),
            authenticated_at: None,
        }))
    }
}

/// The time step whose code matches, allowing one step either side.
fn matching_step(totp: Option<TOTP>, code: &str, seconds: u64) -> Option<i64> {
    let totp = totp?;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = seconds / 30;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| totp.generate(s * 30) == code)
        .and_then(|s| i64::try_from(s).ok())
}

/// A valid Argon2id hash of a random password, so that an unknown account costs the same.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password("not-a-real-password-for-anyone").unwrap_or_default())
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_is_length_and_a_deny_list_only() {
        assert!(check_password("short").is_err());
        assert!(check_password("elevenchars").is_err());
        assert!(check_password("twelve chars").is_ok());
        assert!(check_password(&"a".repeat(128)).is_ok());
        assert!(check_password(&"a".repeat(129)).is_err());
        for denied in DENY_LIST {
            assert!(check_password(denied).is_err(), "{denied}");
            assert!(check_password(&denied.to_uppercase()).is_err(), "{denied}");
        }
        // No composition rules: all lower case letters is fine.
        assert!(check_password("correcthorsebatterystaple").is_ok());
    }

    #[test]
    fn hashes_are_argon2id_with_at_least_the_owasp_parameters() {
        let phc = hash_password("correct horse battery").unwrap_or_default();
        let parsed = PasswordHash::new(&phc).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let param = |name: &str| parsed.params.get_decimal(name).unwrap_or(0);
        assert!(param("m") >= 19_456, "{phc}");
        assert!(param("t") >= 2, "{phc}");
        assert_eq!(param("p"), 1, "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterz", &phc));
    }
}
