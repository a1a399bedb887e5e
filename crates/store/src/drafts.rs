//! Saved referral drafts: storage only. Who may see, save or submit a draft is decided in the
//! service's drafts module; here every query is limited to the draft's owner, so a caller can
//! only ever reach their own rows.
//!
//! A draft's answers hold personal data. They are sealed with the master key under a context
//! naming the draft and its owner, so a ciphertext copied to another row does not open. A draft
//! is marked submitted only by the append that creates its case ([`DraftClaim`], in the same
//! transaction), and at most once.

use chrono::{DateTime, Utc};
use nrm_domain::Actor;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use sqlx::Row;
use uuid::Uuid;

use crate::{Store, StoreError, on_pool};

/// Marks a draft submitted, in the transaction that creates its case (see
/// [`crate::Append::draft`]). The append is rolled back with
/// [`StoreError::DraftAlreadySubmitted`] when the draft is already submitted, gone or not
/// `owner`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DraftClaim {
    pub draft_id: Uuid,
    pub owner: Actor,
}

/// The case a draft became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSubmissionRow {
    pub case_id: CaseId,
    pub reference: String,
    pub submitted_at: DateTime<Utc>,
    /// The case's status now, from its summary.
    pub status: Option<String>,
}

/// A draft as stored, without its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftRow {
    pub id: Uuid,
    pub owner: Actor,
    /// A draft-kind code (see the service's `DraftKind`).
    pub kind: String,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted: Option<DraftSubmissionRow>,
}

/// A draft with its answers opened.
#[derive(Clone, PartialEq)]
pub struct StoredDraft {
    pub row: DraftRow,
    pub answers: serde_json::Value,
}

/// Never prints the answers.
impl std::fmt::Debug for StoredDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredDraft")
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

/// What the sealed answers are bound to: the draft and its owner.
pub(crate) fn answers_context(id: Uuid, owner: Actor) -> String {
    format!("draft-answers:{id}:{}:{}", owner.user, owner.organisation)
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

const COLUMNS: &str = "d.draft_id, d.owner_user, d.owner_organisation, d.kind, d.version, d.created_at, d.updated_at, d.submitted_case, d.submitted_reference, d.submitted_at, s.status";
const FROM: &str = "FROM drafts d LEFT JOIN case_summaries s ON s.case_id = d.submitted_case";

macro_rules! draft_from_row {
    ($row:expr) => {{
        let row = $row;
        let version: i64 = row.try_get("version")?;
        let case: Option<Uuid> = row.try_get("submitted_case")?;
        let reference: Option<String> = row.try_get("submitted_reference")?;
        let submitted_at: Option<DateTime<Utc>> = row.try_get("submitted_at")?;
        DraftRow {
            id: row.try_get("draft_id")?,
            owner: Actor {
                user: UserId(row.try_get("owner_user")?),
                organisation: OrganisationId(row.try_get("owner_organisation")?),
            },
            kind: row.try_get("kind")?,
            version: u64::try_from(version).unwrap_or(0),
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            submitted: match (case, reference, submitted_at) {
                (Some(case), Some(reference), Some(submitted_at)) => Some(DraftSubmissionRow {
                    case_id: CaseId(case),
                    reference,
                    submitted_at,
                    status: row.try_get("status")?,
                }),
                _ => None,
            },
        }
    }};
}

impl Store {
    fn seal_answers(
        &self,
        id: Uuid,
        owner: Actor,
        answers: &serde_json::Value,
    ) -> Result<Vec<u8>, StoreError> {
        let plain = serde_json::to_vec(answers)
            .map_err(|_| StoreError::Corrupt("a draft's answers did not serialise".to_owned()))?;
        Ok(self
            .master_key
            .seal_secret(&answers_context(id, owner), &plain)?)
    }

    /// Stores a new draft at version 1.
    pub async fn create_draft(
        &self,
        id: Uuid,
        owner: Actor,
        kind: &str,
        answers: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sealed = self.seal_answers(id, owner, answers)?;
        let _turn = self.write_turn().await;
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO drafts (draft_id, owner_user, owner_organisation, kind, answers_sealed, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
                .bind(id)
                .bind(owner.user.0)
                .bind(owner.organisation.0)
                .bind(kind)
                .bind(sealed)
                .bind(1_i64)
                .bind(at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// `owner`'s draft `id` without its answers, if there is one.
    pub async fn draft_row(&self, id: Uuid, owner: Actor) -> Result<Option<DraftRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} {FROM} WHERE d.draft_id = $1 AND d.owner_user = $2 AND d.owner_organisation = $3"
            )))
            .bind(id)
            .bind(owner.user.0)
            .bind(owner.organisation.0)
            .fetch_optional(pool)
            .await?
            {
                Some(row) => Some(draft_from_row!(&row)),
                None => None,
            }
        }))
    }

    /// `owner`'s draft `id` with its answers opened, if there is one.
    pub async fn draft(&self, id: Uuid, owner: Actor) -> Result<Option<StoredDraft>, StoreError> {
        let found: Option<(DraftRow, Vec<u8>)> = on_pool!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS}, d.answers_sealed {FROM} WHERE d.draft_id = $1 AND d.owner_user = $2 AND d.owner_organisation = $3"
            )))
            .bind(id)
            .bind(owner.user.0)
            .bind(owner.organisation.0)
            .fetch_optional(pool)
            .await?
            {
                Some(row) => Some((draft_from_row!(&row), row.try_get("answers_sealed")?)),
                None => None,
            }
        });
        let Some((row, sealed)) = found else {
            return Ok(None);
        };
        let plain = self
            .master_key
            .open_secret(&answers_context(id, owner), &sealed)?;
        let answers = serde_json::from_slice(&plain)
            .map_err(|_| StoreError::Corrupt(format!("the answers of draft {id} do not parse")))?;
        Ok(Some(StoredDraft { row, answers }))
    }

    /// `owner`'s drafts, most recently updated first, each with its case's current status once
    /// submitted.
    pub async fn drafts(&self, owner: Actor) -> Result<Vec<DraftRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} {FROM} WHERE d.owner_user = $1 AND d.owner_organisation = $2 ORDER BY d.updated_at DESC, d.created_at DESC, d.draft_id"
            )))
            .bind(owner.user.0)
            .bind(owner.organisation.0)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(draft_from_row!(row));
            }
            out
        }))
    }

    /// Replaces a draft's answers if it is still at `expected_version` and not submitted;
    /// returns the new version. Otherwise nothing is written and the error says why:
    /// [`StoreError::NotFound`] (no such draft of `owner`'s),
    /// [`StoreError::DraftAlreadySubmitted`] or [`StoreError::VersionConflict`].
    pub async fn save_draft(
        &self,
        id: Uuid,
        owner: Actor,
        expected_version: u64,
        answers: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let sealed = self.seal_answers(id, owner, answers)?;
        let new_version = expected_version.saturating_add(1);
        let turn = self.write_turn().await;
        let changed = on_pool!(self, pool => {
            sqlx::query("UPDATE drafts SET answers_sealed = $1, version = $2, updated_at = $3 WHERE draft_id = $4 AND owner_user = $5 AND owner_organisation = $6 AND version = $7 AND submitted_case IS NULL")
                .bind(sealed)
                .bind(to_i64(new_version))
                .bind(at)
                .bind(id)
                .bind(owner.user.0)
                .bind(owner.organisation.0)
                .bind(to_i64(expected_version))
                .execute(pool)
                .await?
                .rows_affected()
        });
        drop(turn);
        if changed == 1 {
            return Ok(new_version);
        }
        Err(match self.draft_row(id, owner).await? {
            None => StoreError::NotFound,
            Some(row) if row.submitted.is_some() => StoreError::DraftAlreadySubmitted,
            Some(row) if row.version != expected_version => StoreError::VersionConflict {
                expected: expected_version,
                actual: row.version,
            },
            Some(_) => StoreError::Corrupt("a draft save changed nothing".to_owned()),
        })
    }

    /// Deletes a draft that has not been submitted. [`StoreError::NotFound`] when `owner` has no
    /// such draft; [`StoreError::DraftAlreadySubmitted`] when it became a case.
    pub async fn discard_draft(&self, id: Uuid, owner: Actor) -> Result<(), StoreError> {
        let turn = self.write_turn().await;
        let deleted = on_pool!(self, pool => {
            sqlx::query("DELETE FROM drafts WHERE draft_id = $1 AND owner_user = $2 AND owner_organisation = $3 AND submitted_case IS NULL")
                .bind(id)
                .bind(owner.user.0)
                .bind(owner.organisation.0)
                .execute(pool)
                .await?
                .rows_affected()
        });
        drop(turn);
        if deleted == 1 {
            return Ok(());
        }
        Err(match self.draft_row(id, owner).await? {
            None => StoreError::NotFound,
            Some(_) => StoreError::DraftAlreadySubmitted,
        })
    }
}
