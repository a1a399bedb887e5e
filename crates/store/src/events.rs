//! Appending to and reading case streams, with optimistic concurrency.
//!
//! A writer says which version of the stream it decided against. The append moves the
//! stream's version from exactly that number to the new one, in the same transaction as the
//! events, the vault records and the read-model updates; if anyone else appended in between,
//! nothing is written and the caller gets [`StoreError::VersionConflict`]. Nothing is ever
//! merged silently.

use chrono::{DateTime, Utc};
use nrm_domain::ids::{CaseId, SubjectId, VaultRecordId};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::personal::VaultContent;
use nrm_domain::{Actor, CaseEvent, CaseReference};
use sqlx::Row;

use crate::group::{Gated, Outcome, Written};
use crate::projection::project;
use crate::statement::{Statement, Value};
use crate::{Store, StoreError, on_pool};

/// A vault record to write with the events.
#[derive(Debug, Clone)]
pub struct VaultWrite {
    pub record: VaultRecordId,
    pub subject: SubjectId,
    pub content: VaultContent,
}

/// One command's worth of changes to one case.
#[derive(Debug, Clone)]
pub struct Append<'a> {
    pub case_id: CaseId,
    /// The version the command was decided against; 0 for a new case.
    pub expected_version: u64,
    /// The case reference; required when `expected_version` is 0.
    pub reference: Option<&'a CaseReference>,
    pub events: &'a [CaseEvent],
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
    /// Subjects whose data keys this append creates.
    pub new_subjects: &'a [SubjectId],
    pub vault_writes: &'a [VaultWrite],
    /// The audit entry for this change, written in the same transaction, so a change and its
    /// audit entry are committed together or not at all.
    pub audit: Option<&'a crate::audit::AuditRecord>,
    /// The saved draft this new case was submitted from: marked submitted in the same
    /// transaction, at most once. If it is already submitted (or gone, or not the claimant's),
    /// nothing is written and the append fails with [`StoreError::DraftAlreadySubmitted`].
    pub draft: Option<crate::drafts::DraftClaim>,
}

/// An event as stored, with its envelope.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub version: u64,
    pub event: CaseEvent,
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
}

/// A whole stream.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub case_id: CaseId,
    pub version: u64,
    pub events: Vec<StoredEvent>,
}

/// The `body` column of an event written now: empty, the event is in `packed`
/// ([`crate::event_codec`]).
pub(crate) const PACKED_BODY: &str = "";

/// One row of `case_events` as `load` reads it: case, version, body, packed, actor's user and
/// organisation, recorded at.
type EventRow = (
    uuid::Uuid,
    i64,
    String,
    Option<Vec<u8>>,
    uuid::Uuid,
    uuid::Uuid,
    DateTime<Utc>,
);

/// Reads an [`EventRow`] from a row of either engine (a macro, so it compiles for both).
macro_rules! event_row {
    () => {
        |row| -> Result<EventRow, sqlx::Error> {
            Ok((
                row.try_get("case_id")?,
                row.try_get("version")?,
                row.try_get("body")?,
                row.try_get("packed")?,
                row.try_get("actor_user")?,
                row.try_get("actor_organisation")?,
                row.try_get("recorded_at")?,
            ))
        }
    };
}

/// Decodes rows ordered by case and version into one [`LoadedCase`] per case, in row order.
fn loaded_cases(rows: Vec<EventRow>) -> Result<Vec<LoadedCase>, StoreError> {
    let mut cases: Vec<LoadedCase> = Vec::new();
    for (case, version, body, packed, user, organisation, recorded_at) in rows {
        let event = crate::event_codec::read(&body, packed.as_deref()).map_err(|_| {
            StoreError::Corrupt(format!("event {version} of case {case} does not parse"))
        })?;
        let event = StoredEvent {
            version: u64::try_from(version).unwrap_or(0),
            event,
            actor: Actor {
                user: UserId(user),
                organisation: OrganisationId(organisation),
            },
            recorded_at,
        };
        match cases.last_mut() {
            Some(last) if last.case_id.0 == case => {
                last.version = event.version;
                last.events.push(event);
            }
            _ => cases.push(LoadedCase {
                case_id: CaseId(case),
                version: event.version,
                events: vec![event],
            }),
        }
    }
    Ok(cases)
}

pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store {
    /// Appends one command's events atomically; returns the stream's new version.
    ///
    /// The append is written by the group committer (`group/`), in a transaction it may share
    /// with other appends; it is acknowledged only once that transaction has committed, and
    /// fails alone if it cannot be written.
    pub async fn append(&self, append: Append<'_>) -> Result<u64, StoreError> {
        let job = self.append_job(&append).await?;
        let outcome = self.committer.write(job).await;
        self.append_result(append, outcome).await
    }

    /// What the committer writes for `append`.
    pub(crate) async fn append_job(&self, append: &Append<'_>) -> Result<Gated, StoreError> {
        let statements = self.append_statements(append).await?;
        Ok(Gated {
            statements,
            gate_at: 0,
            id: append.case_id.0,
            new_stream: (append.expected_version == 0).then_some("case_id"),
            // The draft claim, when there is one, is the statement after the case row.
            claim_at: append.draft.map(|_| 1),
            audit: append
                .audit
                .map(|record| (record.clone(), append.recorded_at)),
        })
    }

    /// What the committer's `outcome` for `append` means to its caller: the stream's new
    /// version, or why it was not written.
    pub(crate) async fn append_result(
        &self,
        append: Append<'_>,
        outcome: Outcome,
    ) -> Result<u64, StoreError> {
        let new_version = append.expected_version + append.events.len() as u64;
        let new_case = append.expected_version == 0;
        match outcome {
            Outcome::Written(Written::Done) => Ok(new_version),
            // A new stream's row was not inserted: someone else created this stream first;
            // failing that, the clash is the generated reference.
            Outcome::Written(Written::Stale) if new_case => match self.conflict(append).await {
                StoreError::NotFound => Err(StoreError::DuplicateReference),
                other => Err(other),
            },
            Outcome::Written(Written::Stale) => Err(self.conflict(append).await),
            Outcome::Written(Written::DraftClaimed) => Err(StoreError::DraftAlreadySubmitted),
            Outcome::Failed(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                // Someone else extended this stream first (its events are there); failing
                // that, the clash is the generated reference.
                match self.conflict(append).await {
                    StoreError::NotFound => Err(StoreError::DuplicateReference),
                    other => Err(other),
                }
            }
            Outcome::Failed(e) => Err(e.into()),
            Outcome::BatchFailed => Err(StoreError::CommitFailed),
        }
    }

    /// The statements that write `append`: the stream row, vault, events and read models.
    /// The first statement changes no row when the stream is not at the expected version (for
    /// a new stream: when its id or reference is already taken).
    pub(crate) async fn append_statements(
        &self,
        append: &Append<'_>,
    ) -> Result<Vec<Statement>, StoreError> {
        let (subjects, records) = self.seal(append.new_subjects, append.vault_writes).await?;
        let new_version = append.expected_version + append.events.len() as u64;
        let case = append.case_id.0;

        let mut statements = Vec::new();
        if append.expected_version == 0 {
            let reference = append
                .reference
                .ok_or_else(|| StoreError::Corrupt("a new case needs a reference".to_owned()))?;
            statements.push(Statement::new(
                "INSERT INTO cases (case_id, reference, version, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                vec![
                    Value::Uuid(case),
                    Value::Text(reference.to_string()),
                    Value::I64(to_i64(new_version)),
                    Value::Timestamp(append.recorded_at),
                ],
            ));
            if let Some(claim) = append.draft {
                // Straight after the case row, so a concurrent claim of the same draft waits
                // on its row lock before doing any more work.
                statements.push(Statement::new(
                    "UPDATE drafts SET submitted_case = $1, submitted_reference = $2, submitted_at = $3, updated_at = $3 WHERE draft_id = $4 AND owner_user = $5 AND owner_organisation = $6 AND submitted_case IS NULL",
                    vec![
                        Value::Uuid(case),
                        Value::Text(reference.to_string()),
                        Value::Timestamp(append.recorded_at),
                        Value::Uuid(claim.draft_id),
                        Value::Uuid(claim.owner.user.0),
                        Value::Uuid(claim.owner.organisation.0),
                    ],
                ));
            }
        } else {
            if append.draft.is_some() {
                return Err(StoreError::Corrupt(
                    "only a new case can be submitted from a draft".to_owned(),
                ));
            }
            statements.push(Statement::new(
                "UPDATE cases SET version = $1 WHERE case_id = $2 AND version = $3",
                vec![
                    Value::I64(to_i64(new_version)),
                    Value::Uuid(case),
                    Value::I64(to_i64(append.expected_version)),
                ],
            ));
        }
        for s in subjects {
            statements.push(Statement::new(
                "INSERT INTO vault_subjects (subject_id, wrapped_key, master_key_id, created_at) VALUES ($1, $2, $3, $4)",
                vec![
                    Value::Uuid(s.subject),
                    Value::Bytes(s.wrapped_key),
                    Value::Text(self.master_key_id().to_owned()),
                    Value::Timestamp(append.recorded_at),
                ],
            ));
        }
        for r in records {
            statements.push(Statement::new(
                "INSERT INTO vault_records (record_id, subject_id, kind, ciphertext, created_at) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    Value::Uuid(r.record),
                    Value::Uuid(r.subject),
                    Value::Text(r.kind.to_owned()),
                    Value::Bytes(r.ciphertext),
                    Value::Timestamp(append.recorded_at),
                ],
            ));
        }
        for (i, event) in append.events.iter().enumerate() {
            let version = append.expected_version + 1 + i as u64;
            statements.push(Statement::new(
                "INSERT INTO case_events (case_id, version, kind, body, actor_user, actor_organisation, recorded_at, packed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                vec![
                    Value::Uuid(case),
                    Value::I64(to_i64(version)),
                    Value::Text(event.kind().to_owned()),
                    Value::Text(PACKED_BODY.to_owned()),
                    Value::Uuid(append.actor.user.0),
                    Value::Uuid(append.actor.organisation.0),
                    Value::Timestamp(append.recorded_at),
                    Value::Bytes(crate::event_codec::pack(event)?),
                ],
            ));
            statements.extend(project(append.case_id, version, event, append.recorded_at));
        }
        Ok(statements)
    }

    async fn conflict(&self, append: Append<'_>) -> StoreError {
        match self.version(append.case_id).await {
            Ok(Some(actual)) if actual == append.expected_version => {
                StoreError::Corrupt("the append clashed with existing rows".to_owned())
            }
            Ok(Some(actual)) => StoreError::VersionConflict {
                expected: append.expected_version,
                actual,
            },
            Ok(None) => StoreError::NotFound,
            Err(e) => e,
        }
    }

    /// The stream's current version, if it exists.
    pub async fn version(&self, case_id: CaseId) -> Result<Option<u64>, StoreError> {
        let version: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM cases WHERE case_id = $1")
                .bind(case_id.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(version.map(|v| u64::try_from(v).unwrap_or(0)))
    }

    /// Reads a whole stream in order.
    pub async fn load(&self, case_id: CaseId) -> Result<Option<LoadedCase>, StoreError> {
        let rows: Vec<EventRow> = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT case_id, version, body, packed, actor_user, actor_organisation, recorded_at FROM case_events WHERE case_id = $1 ORDER BY version",
            )
            .bind(case_id.0)
            .fetch_all(pool)
            .await?;
            rows.iter().map(event_row!()).collect::<Result<Vec<_>, _>>()?
        });
        Ok(loaded_cases(rows)?.pop())
    }

    /// Reads several whole streams (each in order) with one query, in the order of
    /// `case_ids`; a case that does not exist is left out. For the sweeps' catch-up, which
    /// looks at a page of cases at a time: one statement a page instead of one a case.
    pub async fn load_many(&self, case_ids: &[CaseId]) -> Result<Vec<LoadedCase>, StoreError> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self
            .events_of(case_ids, "", " ORDER BY case_id, version")
            .await?;
        let mut by_id: std::collections::HashMap<uuid::Uuid, LoadedCase> = loaded_cases(rows)?
            .into_iter()
            .map(|c| (c.case_id.0, c))
            .collect();
        Ok(case_ids
            .iter()
            .filter_map(|id| by_id.remove(&id.0))
            .collect())
    }

    /// The event rows of `case_ids` in one read: `only` (empty, or a condition ending in
    /// `AND`) narrows them, `order` (empty, or an `ORDER BY`) orders them.
    async fn events_of(
        &self,
        case_ids: &[CaseId],
        only: &'static str,
        order: &'static str,
    ) -> Result<Vec<EventRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            let mut b = sqlx::QueryBuilder::new(
                "SELECT case_id, version, body, packed, actor_user, actor_organisation, recorded_at FROM case_events WHERE ",
            );
            b.push(only);
            b.push("case_id IN (");
            let mut list = b.separated(", ");
            for id in case_ids {
                list.push_bind(id.0);
            }
            b.push(")");
            b.push(order);
            let rows = b.build().fetch_all(pool).await?;
            rows.iter().map(event_row!()).collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// The first event of each of `case_ids` (a referral's submission, a report's), in the
    /// order asked, leaving out those that do not exist: one row a case in one read, however
    /// long their histories (what person linkage needs of each candidate: the submission holds
    /// its vault subject and record, its gender, reference and date).
    pub async fn first_events(
        &self,
        case_ids: &[CaseId],
    ) -> Result<Vec<(CaseId, CaseEvent)>, StoreError> {
        if case_ids.is_empty() {
            return Ok(Vec::new());
        }
        // One row a case, so each is a case of its own to `loaded_cases` in any order.
        let rows = self.events_of(case_ids, "version = 1 AND ", "").await?;
        let by_id: std::collections::HashMap<uuid::Uuid, CaseEvent> = loaded_cases(rows)?
            .into_iter()
            .filter_map(|c| c.events.into_iter().next().map(|e| (c.case_id.0, e.event)))
            .collect();
        Ok(case_ids
            .iter()
            .filter_map(|id| by_id.get(&id.0).map(|e| (*id, e.clone())))
            .collect())
    }

    /// Finds a case by its reference.
    pub async fn case_id_by_reference(
        &self,
        reference: &CaseReference,
    ) -> Result<Option<CaseId>, StoreError> {
        let id: Option<uuid::Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT case_id FROM cases WHERE reference = $1")
                .bind(reference.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(id.map(CaseId))
    }
}
