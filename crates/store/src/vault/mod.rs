//! The personal-data vault: records encrypted under their subject's own data key.
//!
//! Writing happens inside the event append (see [`crate::events`]), so personal details and
//! the events that refer to them commit together or not at all. Reading decrypts one record
//! for a caller who is entitled to it.

pub mod crypto;

use nrm_domain::ids::{SubjectId, VaultRecordId};
use nrm_domain::personal::VaultContent;
use sqlx::Row;
use uuid::Uuid;

use crate::events::VaultWrite;
use crate::vault::crypto::{DataKey, RecordBinding};
use crate::{Store, StoreError, on_pool};

/// A subject created by this append: its id and wrapped data key.
#[derive(Debug)]
pub(crate) struct SealedSubject {
    pub subject: Uuid,
    pub wrapped_key: Vec<u8>,
}

/// A record ready to insert.
#[derive(Debug)]
pub(crate) struct SealedRecord {
    pub record: Uuid,
    pub subject: Uuid,
    pub kind: &'static str,
    pub ciphertext: Vec<u8>,
}

impl Store {
    /// Encrypts the writes of one append before its transaction starts, creating data keys
    /// for new subjects and unwrapping existing subjects' keys.
    pub(crate) async fn seal(
        &self,
        new_subjects: &[SubjectId],
        writes: &[VaultWrite],
    ) -> Result<(Vec<SealedSubject>, Vec<SealedRecord>), StoreError> {
        let mut keys: Vec<(Uuid, DataKey)> = Vec::new();
        let subjects = self.new_subject_keys(new_subjects, &mut keys)?;
        let mut records = Vec::new();
        for write in writes {
            let subject = write.subject.0;
            let key = match keys.iter().find(|(s, _)| *s == subject) {
                Some((_, key)) => key.clone(),
                None => {
                    let key = self.data_key(write.subject).await?;
                    keys.push((subject, key.clone()));
                    key
                }
            };
            records.push(seal_record(&key, write)?);
        }
        Ok((subjects, records))
    }

    /// Makes a data key for each new subject, adds it to `keys`, and returns the wrapped keys
    /// to store.
    pub(crate) fn new_subject_keys(
        &self,
        new_subjects: &[SubjectId],
        keys: &mut Vec<(Uuid, DataKey)>,
    ) -> Result<Vec<SealedSubject>, StoreError> {
        let mut subjects = Vec::with_capacity(new_subjects.len());
        for subject in new_subjects {
            let (key, wrapped_key) = self.master_key.new_data_key(subject.0)?;
            keys.push((subject.0, key));
            subjects.push(SealedSubject {
                subject: subject.0,
                wrapped_key,
            });
        }
        Ok(subjects)
    }

    /// The master key's name, stored beside each wrapped key.
    pub(crate) fn master_key_id(&self) -> &str {
        self.master_key.id()
    }
}

/// Encrypts one vault write under its subject's data key, bound to the record.
pub(crate) fn seal_record(key: &DataKey, write: &VaultWrite) -> Result<SealedRecord, StoreError> {
    let subject = write.subject.0;
    let kind = write.content.kind();
    let plaintext = serde_json::to_vec(&write.content)
        .map_err(|_| StoreError::Corrupt("vault content did not serialise".to_owned()))?;
    let binding = RecordBinding {
        record: write.record.0,
        subject,
        kind,
    };
    Ok(SealedRecord {
        record: write.record.0,
        subject,
        kind,
        ciphertext: key.encrypt(&binding, &plaintext)?,
    })
}

impl Store {
    async fn data_key(&self, subject: SubjectId) -> Result<DataKey, StoreError> {
        let wrapped: Option<Vec<u8>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT wrapped_key FROM vault_subjects WHERE subject_id = $1")
                .bind(subject.0)
                .fetch_optional(pool)
                .await?
        });
        self.unwrap_data_key(subject.0, &wrapped.ok_or(StoreError::NotFound)?)
    }

    /// A subject's data key from its stored wrapped key; an erased subject's is destroyed
    /// (see `retention.rs`), so reading under it is refused as erased.
    fn unwrap_data_key(&self, subject: Uuid, wrapped: &[u8]) -> Result<DataKey, StoreError> {
        if wrapped.is_empty() {
            return Err(StoreError::Erased);
        }
        Ok(self.master_key.unwrap_data_key(subject, wrapped)?)
    }

    /// Decrypts one vault record. The record must belong to `subject`.
    pub async fn read_vault(
        &self,
        subject: SubjectId,
        record: VaultRecordId,
    ) -> Result<VaultContent, StoreError> {
        self.read_vault_many(&[(subject, record)])
            .await?
            .pop()
            .unwrap_or(Err(StoreError::NotFound))
    }

    /// Decrypts several vault records with one query, each as [`Store::read_vault`] would:
    /// the outer error is a fault reading them, the inner one each record's own (not found,
    /// not its subject's, erased, does not decrypt or parse). For the sweeps' catch-up, which
    /// reads one record for each case of a page.
    pub async fn read_vault_many(
        &self,
        wanted: &[(SubjectId, VaultRecordId)],
    ) -> Result<Vec<Result<VaultContent, StoreError>>, StoreError> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        type Found = (Uuid, Uuid, String, Vec<u8>, Vec<u8>);
        let rows: Vec<Found> = on_pool!(self, pool => {
            let mut b = sqlx::QueryBuilder::new(
                "SELECT r.record_id, r.subject_id, r.kind, r.ciphertext, s.wrapped_key FROM vault_records r JOIN vault_subjects s ON s.subject_id = r.subject_id WHERE r.record_id IN (",
            );
            let mut list = b.separated(", ");
            for (_, record) in wanted {
                list.push_bind(record.0);
            }
            b.push(")");
            let rows = b.build().fetch_all(pool).await?;
            rows.iter()
                .map(|row| -> Result<Found, sqlx::Error> {
                    Ok((
                        row.try_get("record_id")?,
                        row.try_get("subject_id")?,
                        row.try_get("kind")?,
                        row.try_get("ciphertext")?,
                        row.try_get("wrapped_key")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        let by_record: std::collections::HashMap<Uuid, &Found> =
            rows.iter().map(|found| (found.0, found)).collect();
        Ok(wanted
            .iter()
            .map(|(subject, record)| {
                let (_, owner, kind, ciphertext, wrapped) = by_record
                    .get(&record.0)
                    .filter(|found| found.1 == subject.0)
                    .ok_or(StoreError::NotFound)?;
                let key = self.unwrap_data_key(*owner, wrapped)?;
                let binding = RecordBinding {
                    record: record.0,
                    subject: subject.0,
                    kind,
                };
                let plaintext = key.decrypt(&binding, ciphertext)?;
                serde_json::from_slice(&plaintext).map_err(|_| {
                    StoreError::Corrupt(format!("vault record {} does not parse", record.0))
                })
            })
            .collect())
    }
}
