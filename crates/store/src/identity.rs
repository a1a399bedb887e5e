//! Organisations, users, sessions and failed sign-ins: storage only. The rules (password
//! policy, hashing, second factor, timeouts, throttling) live in the service's identity module.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::ids::{OrganisationId, UserId};
use sqlx::Row;

use crate::{Store, StoreError, on_pool};

/// An organisation as stored. `kind` is an organisation-kind code (see `nrm_access`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationRow {
    pub id: OrganisationId,
    pub name: String,
    pub kind: String,
    /// For a First Responder Organisation: when its designation starts and (if it has) ends.
    pub designated_from: Option<NaiveDate>,
    pub designated_to: Option<NaiveDate>,
}

/// What decides whether an organisation may refer and report (migrations 0007, 0008, 0017).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferrerRow {
    /// The organisation's kind code (read only: [`Store::set_referrer`] leaves it).
    pub kind: String,
    /// `england`, `wales`, `scotland` or `northern_ireland`.
    pub nation: Option<String>,
    /// Its kind on the rulebook's First Responder Organisation list (`police`…).
    pub first_responder_list: Option<String>,
    /// An individual designation: from, and until (inclusive).
    pub designated_from: Option<NaiveDate>,
    pub designated_to: Option<NaiveDate>,
}

/// A user as stored. `roles` are role codes; `totp_secret` is sealed with the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: UserId,
    pub organisation: OrganisationId,
    pub email: String,
    pub roles: Vec<String>,
    pub allocated_only: bool,
    pub password_hash: String,
    pub totp_secret: Vec<u8>,
    pub totp_last_step: i64,
    pub disabled: bool,
}

/// Never prints the email or the credentials.
impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("organisation", &self.organisation)
            .field("roles", &self.roles)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// An API token as stored (the token itself is never stored, only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: uuid::Uuid,
    pub organisation: OrganisationId,
    pub name: String,
    /// Operation codes the token may do.
    pub scopes: Vec<String>,
}

/// A token's row from its columns (the scopes stored comma-separated).
fn token_row(id: uuid::Uuid, organisation: uuid::Uuid, name: String, scopes: &str) -> ApiTokenRow {
    ApiTokenRow {
        id,
        organisation: OrganisationId(organisation),
        name,
        scopes: scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// A session as stored (looked up by the hash of its token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRow {
    pub user: UserId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked: bool,
}

macro_rules! user_from_row {
    ($row:expr) => {{
        let row = $row;
        let roles: String = row.try_get("roles")?;
        UserRow {
            id: UserId(row.try_get("user_id")?),
            organisation: OrganisationId(row.try_get("organisation_id")?),
            email: row.try_get("email")?,
            roles: roles
                .split(',')
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            allocated_only: row.try_get("allocated_only")?,
            password_hash: row.try_get("password_hash")?,
            totp_secret: row.try_get("totp_secret")?,
            totp_last_step: row.try_get("totp_last_step")?,
            disabled: row.try_get("disabled")?,
        }
    }};
}

/// Ends every session of user `$id` inside the open transaction `$tx`: credentials or
/// permissions changed, so nothing issued before may go on.
macro_rules! revoke_user_sessions {
    ($tx:expr, $id:expr) => {
        sqlx::query("UPDATE sessions SET revoked = $1 WHERE user_id = $2")
            .bind(true)
            .bind($id.0)
            .execute(&mut *$tx)
            .await?
    };
}

const USER_COLUMNS: &str = "user_id, organisation_id, email, roles, allocated_only, password_hash, totp_secret, totp_last_step, disabled";

impl Store {
    pub async fn create_organisation(
        &self,
        org: &OrganisationRow,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO organisations (organisation_id, name, kind, created_at, designated_from, designated_to) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(org.id.0)
                .bind(&org.name)
                .bind(&org.kind)
                .bind(at)
                .bind(org.designated_from)
                .bind(org.designated_to)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn organisation(
        &self,
        id: OrganisationId,
    ) -> Result<Option<OrganisationRow>, StoreError> {
        type Row = (String, String, Option<NaiveDate>, Option<NaiveDate>);
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as("SELECT name, kind, designated_from, designated_to FROM organisations WHERE organisation_id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(
            |(name, kind, designated_from, designated_to)| OrganisationRow {
                id,
                name,
                kind,
                designated_from,
                designated_to,
            },
        ))
    }

    pub async fn organisations(&self) -> Result<Vec<OrganisationRow>, StoreError> {
        type Row = (
            uuid::Uuid,
            String,
            String,
            Option<NaiveDate>,
            Option<NaiveDate>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as("SELECT organisation_id, name, kind, designated_from, designated_to FROM organisations ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, name, kind, designated_from, designated_to)| OrganisationRow {
                    id: OrganisationId(id),
                    name,
                    kind,
                    designated_from,
                    designated_to,
                },
            )
            .collect())
    }

    /// Sets the UK nation an organisation works in.
    pub async fn set_organisation_nation(
        &self,
        id: OrganisationId,
        nation: Option<&str>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE organisations SET nation = $1 WHERE organisation_id = $2")
                .bind(nation)
                .bind(id.0)
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        }))
    }

    /// The UK nation an organisation works in, if recorded.
    pub async fn organisation_nation(
        &self,
        id: OrganisationId,
    ) -> Result<Option<String>, StoreError> {
        let nation: Option<Option<String>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT nation FROM organisations WHERE organisation_id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(nation.flatten())
    }

    /// Sets what decides whether an organisation may refer and report: its nation, its kind on
    /// the First Responder Organisation list and its individual designation, in one change.
    pub async fn set_referrer(
        &self,
        id: OrganisationId,
        r: &ReferrerRow,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE organisations SET nation = $1, first_responder_list = $2, designated_from = $3, designated_to = $4 WHERE organisation_id = $5")
                .bind(r.nation.as_deref())
                .bind(r.first_responder_list.as_deref())
                .bind(r.designated_from)
                .bind(r.designated_to)
                .bind(id.0)
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        }))
    }

    /// What decides whether an organisation may refer and report, if it exists.
    pub async fn referrer(&self, id: OrganisationId) -> Result<Option<ReferrerRow>, StoreError> {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<NaiveDate>,
            Option<NaiveDate>,
        );
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as("SELECT kind, nation, first_responder_list, designated_from, designated_to FROM organisations WHERE organisation_id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(
            |(kind, nation, first_responder_list, designated_from, designated_to)| ReferrerRow {
                kind,
                nation,
                first_responder_list,
                designated_from,
                designated_to,
            },
        ))
    }

    /// Every organisation's nation and First Responder list kind, by id.
    pub async fn referrers(
        &self,
    ) -> Result<Vec<(OrganisationId, Option<String>, Option<String>)>, StoreError> {
        type Row = (uuid::Uuid, Option<String>, Option<String>);
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as("SELECT organisation_id, nation, first_responder_list FROM organisations")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, nation, list)| (OrganisationId(id), nation, list))
            .collect())
    }

    /// Replaces a user's password hash; every session of theirs ends at once.
    pub async fn set_password_hash(&self, id: UserId, hash: &str) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query("UPDATE users SET password_hash = $1 WHERE user_id = $2")
                .bind(hash)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            revoke_user_sessions!(tx, id);
            tx.commit().await?;
            changed == 1
        }))
    }

    /// Sets a First Responder Organisation's designation dates.
    pub async fn set_designation(
        &self,
        id: OrganisationId,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE organisations SET designated_from = $1, designated_to = $2 WHERE organisation_id = $3")
                .bind(from)
                .bind(to)
                .bind(id.0)
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        }))
    }

    /// Creates a user; an email already in use is [`StoreError::DuplicateReference`].
    pub async fn create_user(&self, user: &UserRow, at: DateTime<Utc>) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let result = on_pool!(self, pool => {
            sqlx::query("INSERT INTO users (user_id, organisation_id, email, roles, allocated_only, password_hash, totp_secret, totp_last_step, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(user.id.0)
                .bind(user.organisation.0)
                .bind(&user.email)
                .bind(user.roles.join(","))
                .bind(user.allocated_only)
                .bind(&user.password_hash)
                .bind(&user.totp_secret)
                .bind(user.totp_last_step)
                .bind(user.disabled)
                .bind(at)
                .execute(pool)
                .await
                .map(|_| ())
        });
        match result {
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                Err(StoreError::DuplicateReference)
            }
            other => Ok(other?),
        }
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1")))
                .bind(email)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Some(user_from_row!(&row)),
                None => None,
            }
        }))
    }

    pub async fn user(&self, id: UserId) -> Result<Option<UserRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE user_id = $1")))
                .bind(id.0)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Some(user_from_row!(&row)),
                None => None,
            }
        }))
    }

    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users ORDER BY email")))
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(user_from_row!(row));
            }
            out
        }))
    }

    /// Disables or enables a user; disabling revokes every session at once.
    pub async fn set_user_disabled(&self, id: UserId, disabled: bool) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query("UPDATE users SET disabled = $1 WHERE user_id = $2")
                .bind(disabled)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if disabled {
                revoke_user_sessions!(tx, id);
            }
            tx.commit().await?;
            changed == 1
        }))
    }

    /// Replaces a user's roles; the change revokes their sessions so it takes effect at once.
    pub async fn set_user_roles(&self, id: UserId, roles: &[String]) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query("UPDATE users SET roles = $1 WHERE user_id = $2")
                .bind(roles.join(","))
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            revoke_user_sessions!(tx, id);
            tx.commit().await?;
            changed == 1
        }))
    }

    /// Records that a TOTP time step was used, refusing a step at or before the last one used
    /// (so a code cannot be replayed). Returns whether the step was accepted.
    pub async fn use_totp_step(&self, id: UserId, step: i64) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE users SET totp_last_step = $1 WHERE user_id = $2 AND totp_last_step < $1")
                .bind(step)
                .bind(id.0)
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        }))
    }

    pub async fn create_session(
        &self,
        token_hash: &[u8],
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, revoked) VALUES ($1, $2, $3, $4, $5)")
                .bind(token_hash.to_vec())
                .bind(user.0)
                .bind(at)
                .bind(at)
                .bind(false)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn session(&self, token_hash: &[u8]) -> Result<Option<SessionRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            match sqlx::query("SELECT user_id, created_at, last_seen_at, revoked FROM sessions WHERE token_hash = $1")
                .bind(token_hash.to_vec())
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Some(SessionRow {
                    user: UserId(row.try_get("user_id")?),
                    created_at: row.try_get("created_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                    revoked: row.try_get("revoked")?,
                }),
                None => None,
            }
        }))
    }

    pub async fn touch_session(
        &self,
        token_hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(at)
                .bind(token_hash.to_vec())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn revoke_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET revoked = $1 WHERE token_hash = $2")
                .bind(true)
                .bind(token_hash.to_vec())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Counts one more sign-in attempt against each of `keys` (keyed hashes, see
    /// [`crate::MasterKey::lookup_hash`]) and returns each key's count in its current window,
    /// before any password is checked. The check and the increment are one statement per key
    /// (an upsert that takes the row's lock), so concurrent attempts cannot all read the same
    /// count: the n-th attempt in a window always sees n. A window older than `window_seconds`
    /// starts again at 1, and rows whose window has passed are deleted here.
    pub async fn reserve_sign_in_attempts(
        &self,
        keys: &[&[u8]],
        now: DateTime<Utc>,
        window_seconds: i64,
    ) -> Result<Vec<u64>, StoreError> {
        let now = now.timestamp();
        let expired = now - window_seconds;
        let _turn = self.write_turn().await;
        let counts = on_pool!(self, pool => {
            sqlx::query("DELETE FROM sign_in_failures WHERE window_start <= $1")
                .bind(expired)
                .execute(pool)
                .await?;
            let mut counts = Vec::with_capacity(keys.len());
            for key in keys {
                let count: i64 = sqlx::query_scalar(
                    "INSERT INTO sign_in_failures (key_hash, window_start, failures) VALUES ($1, $2, 1) \
                     ON CONFLICT (key_hash) DO UPDATE SET \
                     failures = CASE WHEN sign_in_failures.window_start <= $3 THEN 1 ELSE sign_in_failures.failures + 1 END, \
                     window_start = CASE WHEN sign_in_failures.window_start <= $3 THEN $2 ELSE sign_in_failures.window_start END \
                     RETURNING failures",
                )
                .bind(key.to_vec())
                .bind(now)
                .bind(expired)
                .fetch_one(pool)
                .await?;
                counts.push(u64::try_from(count).unwrap_or(u64::MAX));
            }
            counts
        });
        Ok(counts)
    }

    /// Gives back an attempt reserved by [`Store::reserve_sign_in_attempts`] that succeeded.
    pub async fn release_sign_in_attempts(&self, keys: &[&[u8]]) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            for key in keys {
                sqlx::query("UPDATE sign_in_failures SET failures = failures - 1 WHERE key_hash = $1 AND failures > 0")
                    .bind(key.to_vec())
                    .execute(pool)
                    .await?;
            }
        });
        Ok(())
    }

    pub async fn create_api_token(
        &self,
        token: &ApiTokenRow,
        token_hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO api_tokens (token_hash, token_id, organisation_id, name, scopes, created_at, revoked) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(token_hash.to_vec())
                .bind(token.id)
                .bind(token.organisation.0)
                .bind(&token.name)
                .bind(token.scopes.join(","))
                .bind(at)
                .bind(false)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The live (unrevoked) token with this hash and the kind of the organisation it acts
    /// for, in one read (every API request asks both): `None` when either is missing.
    pub async fn api_token_with_kind(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(ApiTokenRow, String)>, StoreError> {
        type Row = (uuid::Uuid, uuid::Uuid, String, String, bool, String);
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as("SELECT t.token_id, t.organisation_id, t.name, t.scopes, t.revoked, o.kind FROM api_tokens t JOIN organisations o ON o.organisation_id = t.organisation_id WHERE t.token_hash = $1")
                .bind(token_hash.to_vec())
                .fetch_optional(pool)
                .await?
        });
        Ok(row
            .filter(|r| !r.4)
            .map(|(id, org, name, scopes, _, kind)| (token_row(id, org, name, &scopes), kind)))
    }

    pub async fn api_tokens(&self) -> Result<Vec<(ApiTokenRow, bool)>, StoreError> {
        let rows: Vec<(uuid::Uuid, uuid::Uuid, String, String, bool)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT token_id, organisation_id, name, scopes, revoked FROM api_tokens ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, org, name, scopes, revoked)| (token_row(id, org, name, &scopes), revoked))
            .collect())
    }

    /// Revokes a token at once; returns whether one was revoked.
    pub async fn revoke_api_token(&self, id: uuid::Uuid) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET revoked = $1 WHERE token_id = $2")
                .bind(true)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        }))
    }

    /// Stores a user's recovery codes (as hashes), replacing any they had.
    pub async fn set_recovery_codes(
        &self,
        user: UserId,
        hashes: &[Vec<u8>],
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user.0)
                .execute(&mut *tx)
                .await?;
            for hash in hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, used_at) VALUES ($1, $2, NULL)")
                    .bind(user.0)
                    .bind(hash.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Uses a recovery code once: returns whether an unused code with this hash existed.
    pub async fn use_recovery_code(
        &self,
        user: UserId,
        hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
                .bind(at)
                .bind(user.0)
                .bind(hash.to_vec())
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        }))
    }

    /// The master key, for sealing second-factor secrets.
    pub fn master_key(&self) -> &crate::MasterKey {
        &self.master_key
    }
}
