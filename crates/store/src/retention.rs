//! Retention: each case's legal holds and erasure as an append-only stream
//! (`retention_events`, migration 0022), and erasure itself: crypto-shredding.
//!
//! Erasing a case destroys the wrapped data key of every subject that belongs to it (the
//! referral's person and any support episode's), overwrites their vault records' ciphertext,
//! overwrites the sealed answers of the draft that became the case, and deletes the referral's
//! keyed linkage tokens (so the erased person is no longer found by intake or search), all in
//! one transaction with the retention event and the audit entry. The case's events (which
//! hold no personal data), its read models and the audit log stay: statistics are unchanged
//! by erasure.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::retention::RetentionEvent;
use nrm_domain::{CaseId, SubjectId};
use sqlx::Row;
use uuid::Uuid;

use crate::audit::AuditRecord;
use crate::statement::{Statement, Value, execute_all};
use crate::{Store, StoreError, on_pool};

/// A case that has reached an end status and whose personal data is not yet erased (no
/// personal data: the reference is the case's, not the person's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionCandidate {
    pub case_id: CaseId,
    pub reference: String,
    pub status: String,
    pub age_group: Option<String>,
    pub referred_on: NaiveDate,
    /// When the case last changed (its last event): the day it concluded.
    pub updated_at: DateTime<Utc>,
    /// Legal holds in place.
    pub holds: u64,
}

/// One legal hold in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRow {
    pub hold_id: Uuid,
    pub case_id: CaseId,
    pub reason: String,
    pub placed_at: DateTime<Utc>,
}

/// What one erasure destroyed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasureCounts {
    pub subjects: u64,
    pub records: u64,
    pub drafts: u64,
    /// The referral's keyed linkage tokens deleted.
    pub link_tokens: u64,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn event_body(event: &RetentionEvent) -> Result<String, StoreError> {
    serde_json::to_string(event)
        .map_err(|_| StoreError::Corrupt("a retention event did not serialise".to_owned()))
}

impl Store {
    /// Referral cases at an end status whose personal data has not been erased, oldest change
    /// first. Open cases and Duty to Notify reports (no personal data) are left out.
    pub async fn retention_candidates(&self) -> Result<Vec<RetentionCandidate>, StoreError> {
        const SQL: &str = "SELECT s.case_id, s.reference, s.status, s.age_group, s.referred_on, s.updated_at, \
            (SELECT COUNT(*) FROM retention_holds h WHERE h.case_id = s.case_id) AS holds \
            FROM case_summaries s \
            WHERE s.status IN ('positive_conclusive_grounds', 'negative_conclusive_grounds', 'negative_reasonable_grounds', 'withdrawn', 'closed') \
            AND s.kind <> 'duty_to_notify' \
            AND NOT EXISTS (SELECT 1 FROM erased_subjects e WHERE e.case_id = s.case_id) \
            ORDER BY s.updated_at, s.case_id";
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(SQL).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let holds: i64 = row.try_get("holds")?;
                out.push(RetentionCandidate {
                    case_id: CaseId(row.try_get("case_id")?),
                    reference: row.try_get("reference")?,
                    status: row.try_get("status")?,
                    age_group: row.try_get("age_group")?,
                    referred_on: row.try_get("referred_on")?,
                    updated_at: row.try_get("updated_at")?,
                    holds: u64::try_from(holds).unwrap_or(0),
                });
            }
            out
        }))
    }

    /// A case's retention stream, in order, with each event's version.
    pub async fn retention_events(
        &self,
        case_id: CaseId,
    ) -> Result<Vec<(u64, RetentionEvent)>, StoreError> {
        let rows: Vec<(i64, String)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT version, body FROM retention_events WHERE case_id = $1 ORDER BY version",
            )
            .bind(case_id.0)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(version, body)| {
                let event = serde_json::from_str(&body).map_err(|_| {
                    StoreError::Corrupt(format!(
                        "retention event {version} of case {} does not parse",
                        case_id.0
                    ))
                })?;
                Ok((u64::try_from(version).unwrap_or(0), event))
            })
            .collect()
    }

    /// Legal holds in place, on one case or on every case.
    pub async fn legal_holds(&self, case_id: Option<CaseId>) -> Result<Vec<HoldRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = match case_id {
                Some(case_id) => sqlx::query(
                    "SELECT hold_id, case_id, reason, placed_at FROM retention_holds WHERE case_id = $1 ORDER BY placed_at, hold_id",
                )
                .bind(case_id.0)
                .fetch_all(pool)
                .await?,
                None => sqlx::query(
                    "SELECT hold_id, case_id, reason, placed_at FROM retention_holds ORDER BY placed_at, hold_id",
                )
                .fetch_all(pool)
                .await?,
            };
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(HoldRow {
                    hold_id: row.try_get("hold_id")?,
                    case_id: CaseId(row.try_get("case_id")?),
                    reason: row.try_get("reason")?,
                    placed_at: row.try_get("placed_at")?,
                });
            }
            out
        }))
    }

    /// The subjects of a case's support episodes (the referral's own subject is in its event).
    pub async fn support_subjects_of_case(
        &self,
        case_id: CaseId,
    ) -> Result<Vec<SubjectId>, StoreError> {
        let rows: Vec<Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT DISTINCT subject_id FROM support_episodes WHERE case_id = $1")
                .bind(case_id.0)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(SubjectId).collect())
    }

    /// Every vault record held under `subject` (id, kind, when written), oldest first: what a
    /// subject access request must account for.
    pub async fn vault_records_of(
        &self,
        subject: SubjectId,
    ) -> Result<Vec<(nrm_domain::VaultRecordId, String, DateTime<Utc>)>, StoreError> {
        let rows: Vec<(Uuid, String, DateTime<Utc>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT record_id, kind, created_at FROM vault_records WHERE subject_id = $1 ORDER BY created_at, record_id",
            )
            .bind(subject.0)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, kind, at)| (nrm_domain::VaultRecordId(id), kind, at))
            .collect())
    }

    /// A case's support episodes: reference, status and subject.
    pub async fn support_episodes_of_case(
        &self,
        case_id: CaseId,
    ) -> Result<Vec<(String, String, SubjectId)>, StoreError> {
        let rows: Vec<(String, String, Uuid)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT reference, status, subject_id FROM support_episodes WHERE case_id = $1 ORDER BY created_at, reference",
            )
            .bind(case_id.0)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(r, s, subject)| (r, s, SubjectId(subject)))
            .collect())
    }

    /// Whether a subject's data key has been destroyed.
    pub async fn subject_erased(&self, subject: SubjectId) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM erased_subjects WHERE subject_id = $1")
                .bind(subject.0)
                .fetch_one(pool)
                .await?
        });
        Ok(n > 0)
    }

    /// Appends `events` (holds placed or lifted) to a case's retention stream if it is still
    /// at `expected_version`, with the audit entry, atomically; returns the new version.
    pub async fn append_retention(
        &self,
        case_id: CaseId,
        expected_version: u64,
        events: &[RetentionEvent],
        audit: &AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut statements = Vec::new();
        let mut version = expected_version;
        for event in events {
            version += 1;
            statements.push(Statement::new(
                "INSERT INTO retention_events (case_id, version, kind, body, recorded_at) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    Value::Uuid(case_id.0),
                    Value::I64(to_i64(version)),
                    Value::Text(event.kind().to_owned()),
                    Value::Text(event_body(event)?),
                    Value::Timestamp(at),
                ],
            ));
            match event {
                RetentionEvent::HoldPlaced {
                    hold, reason, at, ..
                } => {
                    statements.push(Statement::new(
                        "INSERT INTO retention_holds (hold_id, case_id, reason, placed_at) VALUES ($1, $2, $3, $4)",
                        vec![
                            Value::Uuid(hold.0),
                            Value::Uuid(case_id.0),
                            Value::Text(reason.code().to_owned()),
                            Value::Timestamp(*at),
                        ],
                    ));
                }
                RetentionEvent::HoldLifted { hold, .. } => {
                    statements.push(Statement::new(
                        "DELETE FROM retention_holds WHERE hold_id = $1 AND case_id = $2",
                        vec![Value::Uuid(hold.0), Value::Uuid(case_id.0)],
                    ));
                }
                RetentionEvent::Erased { .. } => {
                    return Err(StoreError::Corrupt(
                        "erasure goes through Store::erase_case".to_owned(),
                    ));
                }
            }
        }
        self.retention_write(case_id, expected_version, statements, audit, at)
            .await?;
        Ok(version)
    }

    /// Erases a case's personal data: records `event` (an [`RetentionEvent::Erased`]) at
    /// `expected_version + 1`, destroys the wrapped data key of each of `subjects` and
    /// overwrites their vault records, overwrites the sealed answers of the draft that became
    /// the case, and chains `audit`, in one transaction. Refused with a version conflict if the
    /// stream moved on (a hold placed meanwhile).
    pub async fn erase_case(
        &self,
        case_id: CaseId,
        expected_version: u64,
        event: &RetentionEvent,
        subjects: &[SubjectId],
        audit: &AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<ErasureCounts, StoreError> {
        if !matches!(event, RetentionEvent::Erased { .. }) {
            return Err(StoreError::Corrupt(
                "erase_case takes an erasure event".to_owned(),
            ));
        }
        let mut statements = vec![Statement::new(
            "INSERT INTO retention_events (case_id, version, kind, body, recorded_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                Value::Uuid(case_id.0),
                Value::I64(to_i64(expected_version + 1)),
                Value::Text(event.kind().to_owned()),
                Value::Text(event_body(event)?),
                Value::Timestamp(at),
            ],
        )];
        let mut subjects: Vec<SubjectId> = subjects.to_vec();
        subjects.sort_by_key(|s| s.0);
        subjects.dedup();
        for subject in &subjects {
            // The key first: without it every record is unreadable even from an old copy of
            // the records; the records' bytes are then overwritten as well.
            statements.push(Statement::new(
                "UPDATE vault_subjects SET wrapped_key = $1, master_key_id = 'erased' WHERE subject_id = $2",
                vec![Value::Bytes(Vec::new()), Value::Uuid(subject.0)],
            ));
            statements.push(Statement::new(
                "UPDATE vault_records SET ciphertext = $1 WHERE subject_id = $2",
                vec![Value::Bytes(Vec::new()), Value::Uuid(subject.0)],
            ));
            statements.push(Statement::new(
                "INSERT INTO erased_subjects (subject_id, case_id, erased_at) VALUES ($1, $2, $3)",
                vec![
                    Value::Uuid(subject.0),
                    Value::Uuid(case_id.0),
                    Value::Timestamp(at),
                ],
            ));
        }
        statements.push(Statement::new(
            "UPDATE drafts SET answers_sealed = $1 WHERE submitted_case = $2",
            vec![Value::Bytes(Vec::new()), Value::Uuid(case_id.0)],
        ));
        // The keyed linkage tokens of the referral's names, date of birth and address: derived
        // from the personal data with the service's linkage key, not the subject's, so they
        // would outlive the shredding and keep finding the person. Deleted with the key (the
        // name counts' triggers count them out).
        statements.push(Statement::new(
            "DELETE FROM person_link_tokens WHERE case_id = $1",
            vec![Value::Uuid(case_id.0)],
        ));
        let affected = self
            .retention_write(case_id, expected_version, statements, audit, at)
            .await?;
        let mut counts = ErasureCounts::default();
        let mut i = 1;
        for _ in &subjects {
            counts.subjects += affected.get(i).copied().unwrap_or(0);
            counts.records += affected.get(i + 1).copied().unwrap_or(0);
            i += 3;
        }
        counts.drafts = affected.get(i).copied().unwrap_or(0);
        counts.link_tokens = affected.get(i + 1).copied().unwrap_or(0);
        Ok(counts)
    }

    /// Runs a retention change in one transaction with its audit entry; the first statement
    /// is the stream's next event, whose primary key refuses a stale `expected_version`.
    async fn retention_write(
        &self,
        case_id: CaseId,
        expected_version: u64,
        statements: Vec<Statement>,
        audit: &AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<Vec<u64>, StoreError> {
        let current = self.retention_version(case_id).await?;
        if current != expected_version {
            return Err(StoreError::VersionConflict {
                expected: expected_version,
                actual: current,
            });
        }
        let _turn = self.write_turn().await;
        let result: Result<Vec<u64>, sqlx::Error> = on_pool!(self, pool => {
            async {
                let mut tx = pool.begin().await?;
                let affected = execute_all!(tx, &statements)?;
                crate::audit::append_audit!(tx, &self.audit_key, audit, at)?;
                tx.commit().await?;
                Ok(affected)
            }
            .await
        });
        match result {
            Ok(affected) => Ok(affected),
            Err(e) => {
                // A clash on the stream's primary key: someone appended first.
                let actual = self.retention_version(case_id).await?;
                if actual != expected_version {
                    Err(StoreError::VersionConflict {
                        expected: expected_version,
                        actual,
                    })
                } else {
                    Err(e.into())
                }
            }
        }
    }

    async fn retention_version(&self, case_id: CaseId) -> Result<u64, StoreError> {
        let v: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(version) FROM retention_events WHERE case_id = $1")
                .bind(case_id.0)
                .fetch_one(pool)
                .await?
        });
        Ok(v.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
    }
}
