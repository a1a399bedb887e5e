//! First Responder training completions (migration 0024), and the per-account session reads
//! the administration pages need: storage only. The rules (which course, the pass mark, when
//! it is due again) are the domain's `training` module; who may read or record is the
//! service's `training` and `admin` modules.

use chrono::{DateTime, Utc};
use nrm_domain::ids::{OrganisationId, UserId};
use sqlx::Row;

use crate::identity::SessionRow;
use crate::{Store, StoreError, on_pool};

/// One passed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionRow {
    pub user: UserId,
    pub completed_at: DateTime<Utc>,
    pub course_version: String,
    pub correct: i64,
    pub total: i64,
}

macro_rules! completion_from_row {
    ($row:expr) => {{
        let row = $row;
        CompletionRow {
            user: UserId(row.try_get("user_id")?),
            completed_at: row.try_get("completed_at")?,
            course_version: row.try_get("course_version")?,
            correct: row.try_get("correct")?,
            total: row.try_get("total")?,
        }
    }};
}

impl Store {
    /// Records a passed attempt.
    pub async fn record_training_completion(&self, row: &CompletionRow) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO training_completions (user_id, completed_at, course_version, correct, total) VALUES ($1, $2, $3, $4, $5)")
                .bind(row.user.0)
                .bind(row.completed_at)
                .bind(&row.course_version)
                .bind(row.correct)
                .bind(row.total)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// An account's latest completion, if it has one.
    pub async fn latest_training_completion(
        &self,
        user: UserId,
    ) -> Result<Option<CompletionRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            match sqlx::query("SELECT user_id, completed_at, course_version, correct, total FROM training_completions WHERE user_id = $1 ORDER BY completed_at DESC LIMIT 1")
                .bind(user.0)
                .fetch_optional(pool)
                .await?
            {
                Some(row) => Some(completion_from_row!(row)),
                None => None,
            }
        }))
    }

    /// The latest completion of each account in `organisation` that has one.
    pub async fn latest_training_completions(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<CompletionRow>, StoreError> {
        let rows: Vec<CompletionRow> = on_pool!(self, pool => {
            let mut out = Vec::new();
            for row in sqlx::query("SELECT t.user_id, t.completed_at, t.course_version, t.correct, t.total FROM training_completions t JOIN users u ON u.user_id = t.user_id WHERE u.organisation_id = $1 ORDER BY t.completed_at")
                .bind(organisation.0)
                .fetch_all(pool)
                .await?
            {
                out.push(completion_from_row!(row));
            }
            out
        });
        // Ordered by time: the last one seen for each account is its latest.
        let mut latest: std::collections::BTreeMap<uuid::Uuid, CompletionRow> =
            std::collections::BTreeMap::new();
        for row in rows {
            latest.insert(row.user.0, row);
        }
        Ok(latest.into_values().collect())
    }

    /// An account's sessions that have not been revoked, newest first, each with the hash of
    /// its token (the key to revoke it by; the token itself is never stored).
    pub async fn user_sessions(
        &self,
        user: UserId,
    ) -> Result<Vec<(Vec<u8>, SessionRow)>, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut out = Vec::new();
            for row in sqlx::query("SELECT token_hash, user_id, created_at, last_seen_at, revoked FROM sessions WHERE user_id = $1 AND revoked = $2 ORDER BY created_at DESC")
                .bind(user.0)
                .bind(false)
                .fetch_all(pool)
                .await?
            {
                out.push((
                    row.try_get::<Vec<u8>, _>("token_hash")?,
                    SessionRow {
                        user: UserId(row.try_get("user_id")?),
                        created_at: row.try_get("created_at")?,
                        last_seen_at: row.try_get("last_seen_at")?,
                        revoked: row.try_get("revoked")?,
                    },
                ));
            }
            out
        }))
    }

    /// Revokes one of `user`'s sessions by its token's hash; whether one was live.
    pub async fn revoke_user_session(
        &self,
        user: UserId,
        token_hash: &[u8],
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE sessions SET revoked = $1 WHERE user_id = $2 AND token_hash = $3 AND revoked = $4")
                .bind(true)
                .bind(user.0)
                .bind(token_hash.to_vec())
                .bind(false)
                .execute(pool)
                .await?
                .rows_affected()
                == 1
        }))
    }
}
