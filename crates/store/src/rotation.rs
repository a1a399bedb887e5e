//! Master key rotation: every data key re-wrapped, and every secret sealed with the master key
//! (draft answers, TOTP seeds) re-sealed, under a new master key; resumable, and the old key
//! refused afterwards.
//!
//! Progress is the rows themselves: a re-wrapped data key is labelled with the new key's
//! fingerprint (`vault_subjects.master_key_id = 'fp:<fingerprint>'`), a re-sealed secret is one
//! the new key opens. A run interrupted anywhere (each batch commits on its own) is resumed by
//! running it again with the same new key; it carries on where the rows say it stopped.
//! `master_key_rotations` records each rotation; once nothing is left under the old key the
//! rotation is marked finished and the old key's fingerprint is refused from then on
//! ([`Store::check_master_key`]).
//!
//! Lookup hashes (`MasterKey::lookup_hash`: sign-in throttles, legacy import ids, search
//! terms) are keyed by a lookup key derived from the *first* master key and kept through
//! rotations (the new key carries it, and it is configured as `lookup_key` afterwards): a
//! lookup hash is a stored identifier (a legacy case's id is one), so re-deriving them would
//! change ids that other systems hold. The lookup key is one-way from the first master key and
//! reveals nothing about any master key; its fingerprint is recorded so a store opened with a
//! different lookup key is refused rather than silently failing to find anything.

use chrono::{DateTime, Utc};
use nrm_domain::Actor;
use nrm_domain::ids::{OrganisationId, UserId};
use sqlx::Row;
use uuid::Uuid;

use crate::vault::crypto::MasterKey;
use crate::{Store, StoreError, on_pool};

/// How far a rotation has got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RotationProgress {
    pub subjects_rewrapped: u64,
    pub drafts_resealed: u64,
    pub totp_resealed: u64,
    /// Data keys still under the old key.
    pub subjects_remaining: u64,
    /// Whether nothing is left under the old key (the rotation is recorded as finished).
    pub finished: bool,
}

/// The label of a data key wrapped by `key` during rotation.
fn label(key: &MasterKey) -> String {
    format!("fp:{}", key.fingerprint())
}

impl Store {
    /// Refuses a configured master key that a finished rotation retired, and a lookup key
    /// other than the one the last rotation kept. Call after migrating, before serving.
    pub async fn check_master_key(&self) -> Result<(), StoreError> {
        let rows: Vec<(String, String, String, Option<DateTime<Utc>>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT old_fingerprint, new_fingerprint, lookup_fingerprint, finished_at FROM master_key_rotations ORDER BY started_at",
            )
            .fetch_all(pool)
            .await?
        });
        let mine = self.master_key.fingerprint();
        if rows.iter().any(|(_, _, _, finished)| finished.is_none()) {
            return Err(StoreError::KeyRefused(
                "a master key rotation is unfinished: run `nrm key rotate` again with the same new key"
                    .to_owned(),
            ));
        }
        for (old, _, _, finished) in &rows {
            if finished.is_some() && old == mine {
                return Err(StoreError::KeyRefused(
                    "the configured master key was retired by a key rotation: configure the new key"
                        .to_owned(),
                ));
            }
        }
        if let Some((_, _, lookup, _)) = rows.last()
            && *lookup != self.master_key.lookup_fingerprint()
        {
            return Err(StoreError::KeyRefused(
                "the configured lookup key is not the one kept by the last key rotation: configure lookup_key (nrm key rotate wrote it)"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// Re-wraps and re-seals up to `max_batches` batches of `batch` rows each under `new`
    /// (all of them when `None`), each batch committed on its own. Run again with the same
    /// `new` key to resume. `new` must carry this store's lookup key
    /// ([`MasterKey::with_lookup_key_of`]).
    pub async fn rotate_master_key(
        &self,
        new: &MasterKey,
        batch: usize,
        max_batches: Option<usize>,
        at: DateTime<Utc>,
    ) -> Result<RotationProgress, StoreError> {
        let old = &self.master_key;
        if new.fingerprint() == old.fingerprint() {
            return Err(StoreError::KeyRefused(
                "the new master key is the key in use".to_owned(),
            ));
        }
        if new.lookup_fingerprint() != old.lookup_fingerprint() {
            return Err(StoreError::KeyRefused(
                "the new master key must keep the lookup key in use".to_owned(),
            ));
        }
        self.start_rotation(new, at).await?;
        let batch = batch.max(1);
        let mut progress = RotationProgress::default();
        let mut batches = 0usize;
        let new_label = label(new);
        // Data keys.
        loop {
            if max_batches.is_some_and(|m| batches >= m) {
                progress.subjects_remaining = self.subjects_under_old(&new_label).await?;
                return Ok(progress);
            }
            let rows: Vec<(Uuid, Vec<u8>, String)> = on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT subject_id, wrapped_key, master_key_id FROM vault_subjects WHERE master_key_id <> $1 AND master_key_id <> 'erased' ORDER BY subject_id LIMIT $2",
                )
                .bind(&new_label)
                .bind(i64::try_from(batch).unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await?
            });
            if rows.is_empty() {
                break;
            }
            let mut rewrapped = Vec::with_capacity(rows.len());
            for (subject, wrapped, label_was) in rows {
                let key = old.unwrap_data_key_bytes(subject, &wrapped)?;
                let again = new.wrap_data_key_bytes(subject, &key)?;
                rewrapped.push((subject, again, label_was));
            }
            let _turn = self.write_turn().await;
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                for (subject, wrapped, label_was) in &rewrapped {
                    let done = sqlx::query(
                        "UPDATE vault_subjects SET wrapped_key = $1, master_key_id = $2 WHERE subject_id = $3 AND master_key_id = $4",
                    )
                    .bind(wrapped)
                    .bind(&new_label)
                    .bind(subject)
                    .bind(label_was)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    progress.subjects_rewrapped += done;
                }
                tx.commit().await?;
            });
            batches += 1;
        }
        // Draft answers.
        let mut after = Uuid::nil();
        loop {
            if max_batches.is_some_and(|m| batches >= m) {
                return Ok(progress);
            }
            let rows = on_pool!(self, pool => {
                let rows = sqlx::query(
                    "SELECT draft_id, owner_user, owner_organisation, answers_sealed FROM drafts WHERE draft_id > $1 ORDER BY draft_id LIMIT $2",
                )
                .bind(after)
                .bind(i64::try_from(batch).unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await?;
                let mut out: Vec<(Uuid, Actor, Vec<u8>)> = Vec::with_capacity(rows.len());
                for row in &rows {
                    out.push((
                        row.try_get("draft_id")?,
                        Actor {
                            user: UserId(row.try_get("owner_user")?),
                            organisation: OrganisationId(row.try_get("owner_organisation")?),
                        },
                        row.try_get("answers_sealed")?,
                    ));
                }
                out
            });
            let Some(last) = rows.last() else { break };
            after = last.0;
            let mut resealed = Vec::new();
            for (id, owner, sealed) in rows {
                // Erased (empty) or already under the new key: nothing to do.
                if sealed.is_empty() {
                    continue;
                }
                let context = crate::drafts::answers_context(id, owner);
                if new.open_secret(&context, &sealed).is_ok() {
                    continue;
                }
                let plain = old.open_secret(&context, &sealed)?;
                resealed.push((id, sealed, new.seal_secret(&context, &plain)?));
            }
            let _turn = self.write_turn().await;
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                for (id, was, now) in &resealed {
                    progress.drafts_resealed += sqlx::query(
                        "UPDATE drafts SET answers_sealed = $1 WHERE draft_id = $2 AND answers_sealed = $3",
                    )
                    .bind(now)
                    .bind(id)
                    .bind(was)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
            });
            batches += 1;
        }
        // TOTP seeds.
        let mut after = Uuid::nil();
        loop {
            if max_batches.is_some_and(|m| batches >= m) {
                return Ok(progress);
            }
            let rows: Vec<(Uuid, Vec<u8>)> = on_pool!(self, pool => {
                sqlx::query_as(
                    "SELECT user_id, totp_secret FROM users WHERE user_id > $1 ORDER BY user_id LIMIT $2",
                )
                .bind(after)
                .bind(i64::try_from(batch).unwrap_or(i64::MAX))
                .fetch_all(pool)
                .await?
            });
            let Some(last) = rows.last() else { break };
            after = last.0;
            let mut resealed = Vec::new();
            for (user, sealed) in rows {
                let context = user.to_string();
                if sealed.is_empty() || new.open_secret(&context, &sealed).is_ok() {
                    continue;
                }
                let plain = old.open_secret(&context, &sealed)?;
                resealed.push((user, sealed, new.seal_secret(&context, &plain)?));
            }
            let _turn = self.write_turn().await;
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                for (user, was, now) in &resealed {
                    progress.totp_resealed += sqlx::query(
                        "UPDATE users SET totp_secret = $1 WHERE user_id = $2 AND totp_secret = $3",
                    )
                    .bind(now)
                    .bind(user)
                    .bind(was)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
            });
            batches += 1;
        }
        progress.subjects_remaining = self.subjects_under_old(&new_label).await?;
        if progress.subjects_remaining == 0 {
            let _turn = self.write_turn().await;
            on_pool!(self, pool => {
                sqlx::query(
                    "UPDATE master_key_rotations SET finished_at = $1 WHERE new_fingerprint = $2 AND finished_at IS NULL",
                )
                .bind(at)
                .bind(new.fingerprint())
                .execute(pool)
                .await?;
            });
            progress.finished = true;
        }
        Ok(progress)
    }

    async fn subjects_under_old(&self, new_label: &str) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM vault_subjects WHERE master_key_id <> $1 AND master_key_id <> 'erased'",
            )
            .bind(new_label)
            .fetch_one(pool)
            .await?
        });
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Records the rotation to `new` (once); refuses a rotation to another key while one is
    /// unfinished.
    async fn start_rotation(&self, new: &MasterKey, at: DateTime<Utc>) -> Result<(), StoreError> {
        let open: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT new_fingerprint FROM master_key_rotations WHERE finished_at IS NULL",
            )
            .fetch_all(pool)
            .await?
        });
        if open.iter().any(|f| f != new.fingerprint()) {
            return Err(StoreError::KeyRefused(
                "another key rotation is unfinished: resume it with the same new key".to_owned(),
            ));
        }
        if open.is_empty() {
            let _turn = self.write_turn().await;
            on_pool!(self, pool => {
                sqlx::query(
                    "INSERT INTO master_key_rotations (rotation_id, old_key_id, old_fingerprint, new_key_id, new_fingerprint, lookup_fingerprint, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(Uuid::new_v4())
                .bind(self.master_key.id())
                .bind(self.master_key.fingerprint())
                .bind(new.id())
                .bind(new.fingerprint())
                .bind(new.lookup_fingerprint())
                .bind(at)
                .execute(pool)
                .await?;
            });
        }
        Ok(())
    }
}
