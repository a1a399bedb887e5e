//! Sign-in: organisations and users, passwords, the second factor, sessions and throttling.
//!
//! - Passwords: at least 12 and at most 128 characters, no composition rules, a deny-list of
//!   common passwords; stored as Argon2id PHC strings (m = 19,456 KiB, t = 2, p = 1, the OWASP
//!   minimum). Hashing runs off the async threads.
//! - Second factor: TOTP (RFC 6238, SHA-1, 6 digits, 30 s, one step of clock skew) for every
//!   user; a code's time step can be used once. The seed is sealed with the master key.
//! - Sessions: 256-bit random tokens, stored only as SHA-256 hashes; 15 minutes idle and
//!   10 hours absolute; revoked at once on sign-out, disablement or a change of roles.
//! - Throttling: at most 10 attempts per account (and 100 per client) in a 5-minute window
//!   are checked; while throttled even the right password is refused. Each attempt reserves
//!   its place (one atomic upsert per key) before its password is checked, and gives it back
//!   only when it succeeds, so concurrent guesses cannot all read the same count. The keys are
//!   keyed hashes of the normalised email and of the client address; the typed text is never
//!   stored. Unknown accounts are throttled and answered exactly like known ones, so nothing
//!   reveals whether an account exists. The current-password check of a password change is
//!   a guess like any other and counts against the same limits.
//! - Faults fail closed: a database error anywhere in a sign-in, or an audit entry that cannot
//!   be written, is [`SignInRefused::Fault`] (a 500) and no session is handed out.
//! - Audit: every attempt, with the account (when it exists) as subject and a keyed hash of
//!   the client address in the outcome (`refused:not_right client:<hash>`); every
//!   administrative action with its subject (`user:`, `organisation:`, `token:<uuid>`). The
//!   shell's actions are the system's; the API's are the signed-in administrator's.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::{Actor, FieldProblem};
use nrm_store::StoreError;
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

use crate::{Cases, ServiceError};

/// Sign-in, sessions, password changes by their owner, and the principals behind sessions and
/// API tokens. Borrowed from [`Cases::identity`].
#[derive(Debug, Clone, Copy)]
pub struct Identity<'a> {
    cases: &'a Cases,
}

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

pub(crate) fn totp(secret: Vec<u8>) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret).ok()
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
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
    /// The attempt could not be checked or recorded (a database fault, an audit entry that
    /// could not be written): nothing was granted. A fault, never "not right".
    Fault,
}

/// A session token, shown once to the client (as a cookie) and stored only as a hash.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(pub String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

impl<'a> Identity<'a> {
    pub(crate) fn new(cases: &'a Cases) -> Self {
        Self { cases }
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

    /// Changes a user's password after checking the current one; every session of theirs ends.
    /// Checking the current password is a password guess like a sign-in, so it is throttled
    /// under the same account and client limits, reserved before the check.
    pub async fn change_password(
        self,
        user: UserId,
        current: &str,
        new: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let row = self
            .store()
            .user(user)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let actor = Actor {
            user,
            organisation: row.organisation,
        };
        let keys = self.throttle_keys(&row.email, client);
        if !self.reserve_attempt(&keys, now).await? {
            let refused = Err(ServiceError::Throttled);
            self.audit_about(
                actor,
                "account.password_change",
                user_subject(user),
                &refused,
                now,
            )
            .await?;
            return refused;
        }
        let current = current.to_owned();
        let phc = row.password_hash.clone();
        let ok = tokio::task::spawn_blocking(move || verify_password(&current, &phc))
            .await
            .map_err(|_| {
                ServiceError::Store(StoreError::Corrupt("password check failed".to_owned()))
            })?;
        if !ok {
            let refused = Err(nrm_domain::DomainError::Invalid(vec![FieldProblem::new(
                "/current_password",
                "The current password is not right",
            )])
            .into());
            self.audit_about(
                actor,
                "account.password_change",
                user_subject(user),
                &refused,
                now,
            )
            .await?;
            return refused;
        }
        self.store().release_sign_in_attempts(&keys.all()).await?;
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

    /// The current TOTP code for a user (for tests and the demo's sign-in helper only).
    pub async fn current_code(
        self,
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
    /// address for the per-client limit. Every outcome is audited, with the account when it
    /// exists and a keyed hash of the client address; if the entry cannot be written the
    /// attempt is a [`SignInRefused::Fault`] and no session is handed out.
    pub async fn sign_in(
        self,
        email: &str,
        password: &str,
        code: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Result<SessionToken, SignInRefused> {
        let attempt = self.sign_in_inner(email, password, code, client, now).await;
        let (actor, outcome) = match &attempt.result {
            Ok(_) => match attempt.account {
                Some(actor) => (actor, "ok"),
                None => (Actor::SYSTEM, "error"),
            },
            Err(SignInRefused::NotRight) => (Actor::SYSTEM, "refused:not_right"),
            Err(SignInRefused::Throttled) => (Actor::SYSTEM, "refused:throttled"),
            Err(SignInRefused::Fault) => (Actor::SYSTEM, "error"),
        };
        let record = nrm_store::audit::AuditRecord {
            actor,
            action: "session.sign_in".to_owned(),
            case_id: None,
            outcome: format!("{outcome} client:{}", self.client_hash(client)),
            subject: attempt.account.and_then(|a| user_subject(a.user)),
        };
        if let Err(e) = self.store().audit(&record, now).await {
            tracing::error!(error = %e, "a sign-in could not be audited; refused");
            if let Ok(token) = &attempt.result
                && let Err(e) = self.store().revoke_session(&token_hash(&token.0)).await
            {
                // The token is never handed out, so the session cannot be used either way.
                tracing::error!(error = %e, "an unaudited session could not be revoked");
            }
            return Err(SignInRefused::Fault);
        }
        attempt.result
    }

    /// A keyed hash of a client address, as the audit log records it: the same address always
    /// gives the same value (so an investigation can follow one client, or test an address it
    /// suspects), but the log does not hold the address itself.
    pub fn client_hash(&self, client: &str) -> String {
        hex(&self
            .store()
            .master_key()
            .lookup_hash("audit-client", client)[..16])
    }

    /// The throttle's keys for an attempt on `email` (normalised here) from `client`.
    fn throttle_keys(&self, email: &str, client: &str) -> ThrottleKeys {
        let key = self.store().master_key();
        let email = email.trim().to_lowercase();
        ThrottleKeys {
            account: key.lookup_hash("sign-in-throttle", &format!("account:{email}")),
            client: key.lookup_hash("sign-in-throttle", &format!("client:{client}")),
        }
    }

    /// Counts this attempt against the account's and the client's limits before anything is
    /// checked; `false` when either limit is already used up (the attempt must not go on).
    async fn reserve_attempt(
        &self,
        keys: &ThrottleKeys,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let counts = self
            .store()
            .reserve_sign_in_attempts(&keys.all(), now, THROTTLE_WINDOW_MINUTES * 60)
            .await?;
        match counts[..] {
            [account, client] => {
                Ok(account <= MAX_FAILURES_PER_ACCOUNT && client <= MAX_FAILURES_PER_CLIENT)
            }
            _ => Err(StoreError::Corrupt(
                "the throttle answered for the wrong number of keys".to_owned(),
            )),
        }
    }

    async fn sign_in_inner(
        &self,
        email: &str,
        password: &str,
        code: &str,
        client: &str,
        now: DateTime<Utc>,
    ) -> Attempt {
        let mut attempt = Attempt {
            account: None,
            result: Err(SignInRefused::NotRight),
        };
        let fault = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "a sign-in could not be checked");
            Err(SignInRefused::Fault)
        };
        let store = self.store();
        let email = email.trim().to_lowercase();
        // Over-long input is refused before any work is done with it.
        if email.len() > 254 || password.chars().count() > MAX_PASSWORD_CHARS || code.len() > 32 {
            return attempt;
        }
        // The attempt takes its place under the limits before anything is checked, so a burst
        // of concurrent guesses cannot all be checked against the same count.
        let keys = self.throttle_keys(&email, client);
        let allowed = match self.reserve_attempt(&keys, now).await {
            Ok(allowed) => allowed,
            Err(e) => {
                attempt.result = fault(&e);
                return attempt;
            }
        };
        let user = match store.user_by_email(&email).await {
            Ok(user) => user,
            Err(e) => {
                attempt.result = fault(&e);
                return attempt;
            }
        };
        attempt.account = user.as_ref().map(|u| Actor {
            user: u.id,
            organisation: u.organisation,
        });
        if !allowed {
            attempt.result = Err(SignInRefused::Throttled);
            return attempt;
        }
        // Unknown accounts take the same time: verify against a fixed hash.
        let phc = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(dummy_hash);
        let password = password.to_owned();
        let password_ok =
            match tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await {
                Ok(ok) => ok,
                Err(e) => {
                    attempt.result = fault(&e);
                    return attempt;
                }
            };
        let Some(user) = user.filter(|u| password_ok && !u.disabled) else {
            return attempt;
        };
        let seed = match store
            .master_key()
            .open_secret(&user.id.to_string(), &user.totp_secret)
        {
            Ok(seed) => seed,
            Err(e) => {
                attempt.result = fault(&e);
                return attempt;
            }
        };
        let seconds = u64::try_from(now.timestamp()).unwrap_or(0);
        let second_factor = if code.trim().len() > 6 {
            // A recovery code, usable once.
            store
                .use_recovery_code(user.id, &token_hash(&normalise_recovery(code)), now)
                .await
        } else {
            match matching_step(totp(seed), code.trim(), seconds) {
                // A right code already used is a replay: refused like a wrong one.
                Some(step) => store.use_totp_step(user.id, step).await,
                None => Ok(false),
            }
        };
        match second_factor {
            Ok(true) => {}
            Ok(false) => return attempt,
            Err(e) => {
                attempt.result = fault(&e);
                return attempt;
            }
        }
        // Right: the reserved place is given back, so the owner's sign-ins do not use up
        // their own limit.
        if let Err(e) = store.release_sign_in_attempts(&keys.all()).await {
            attempt.result = fault(&e);
            return attempt;
        }
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let token = SessionToken(hex(&raw));
        attempt.result = match store
            .create_session(&token_hash(&token.0), user.id, now)
            .await
        {
            Ok(()) => Ok(token),
            Err(e) => fault(&e),
        };
        attempt
    }

    /// The signed-in principal for a session token, if the session is live; touches it.
    pub async fn principal_for_session(
        self,
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
    pub async fn sign_out(self, token: &str) -> Result<(), ServiceError> {
        self.store().revoke_session(&token_hash(token)).await?;
        Ok(())
    }
}

/// What one sign-in attempt came to, and the account it named, when that exists.
struct Attempt {
    account: Option<Actor>,
    result: Result<SessionToken, SignInRefused>,
}

/// The keyed hashes an attempt is throttled under.
struct ThrottleKeys {
    account: [u8; 32],
    client: [u8; 32],
}

impl ThrottleKeys {
    fn all(&self) -> [&[u8]; 2] {
        [&self.account, &self.client]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Sets a user's password (checked against the policy), ending every session of theirs.
pub(crate) async fn set_password_unaudited(
    store: &nrm_store::Store,
    user: UserId,
    new: &str,
) -> Result<(), ServiceError> {
    check_password(new)
        .map_err(|p| ServiceError::from(nrm_domain::DomainError::Invalid(vec![p])))?;
    let new = new.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(|_| {
            ServiceError::Store(StoreError::Corrupt("hashing task failed".to_owned()))
        })??;
    if !store.set_password_hash(user, &hash).await? {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// The audit subject naming an organisation.
pub(crate) fn organisation_subject(id: OrganisationId) -> Option<String> {
    Some(format!("organisation:{}", id.0))
}

/// The audit subject naming an account.
pub(crate) fn user_subject(user: UserId) -> Option<String> {
    Some(format!("user:{}", user.0))
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
pub(crate) fn recovery_code() -> String {
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
pub(crate) fn normalise_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The prefix every API token starts with, so a leaked one is easy to recognise and scan for.
pub const API_TOKEN_PREFIX: &str = "nrm_";

impl Identity<'_> {
    /// The principal an API token acts as: its organisation, with the scopes as its only
    /// permissions. The token's id stands for the user in the audit log.
    pub async fn principal_for_token(self, token: &str) -> Result<Option<Principal>, ServiceError> {
        if !token.starts_with(API_TOKEN_PREFIX) || token.len() != API_TOKEN_PREFIX.len() + 64 {
            return Ok(None);
        }
        let Some((row, kind)) = self.store().api_token_with_kind(&token_hash(token)).await? else {
            return Ok(None);
        };
        let Some(kind) = OrganisationKind::parse(&kind) else {
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

    // ASVS v5.0.0-6.2.1, v5.0.0-6.2.9, v5.0.0-6.2.11
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

    // ASVS v5.0.0-11.4.2
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
