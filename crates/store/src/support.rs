//! Victim support storage: support providers, each person's support episode as its own
//! append-only event stream (`support_events`) with the summary caseloads are listed from, the
//! concerns queue, accommodation, placements, inspections and payment postings.
//!
//! Who may read or change any of this is decided by the access policy and the service's support
//! module; here, as for cases, an append names the version it was decided on, and its events,
//! vault records, read-model rows and audit entry commit in one transaction or not at all.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::Actor;
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::support::accommodation::{
    Accommodation, AccommodationType, Finding, Inspection, InspectionArea, Placement,
    PlacementEndReason, Rating, RequiredAction,
};
use nrm_domain::support::finance::Posting;
use nrm_domain::support::{
    AccommodationId, ConcernId, EpisodeId, EpisodeState, InspectionId, PlacementId, SupportEvent,
};
use sqlx::Row;
use uuid::Uuid;

use crate::audit::AuditRecord;
use crate::events::{VaultWrite, to_i64};
use crate::group::Gated;
use crate::statement::{Statement, Value, execute_all};
use crate::{Store, StoreError, on_pool};

/// A support provider: its organisation, the prime contractor it works under, its regions and
/// the services it offers (codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportProviderRow {
    pub organisation: OrganisationId,
    pub name: String,
    pub parent: Option<OrganisationId>,
    pub regions: Vec<String>,
    pub services: Vec<String>,
}

/// An episode's summary (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeSummary {
    pub episode_id: EpisodeId,
    pub reference: String,
    pub version: u64,
    pub case_id: Option<CaseId>,
    pub subject: SubjectId,
    pub prime: OrganisationId,
    pub provider: Option<OrganisationId>,
    pub worker: Option<UserId>,
    pub status: String,
    pub nation: String,
    pub route: String,
    pub allocation_due_at: Option<DateTime<Utc>>,
    pub review_due_on: Option<NaiveDate>,
    pub support_until: Option<NaiveDate>,
    pub next_due_on: Option<NaiveDate>,
    pub open_concerns: u64,
    pub awaiting_acknowledgement: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A concern as listed for the Home Office's queue and the caseloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcernRow {
    pub concern_id: ConcernId,
    pub episode_id: EpisodeId,
    pub episode_reference: String,
    pub kind: String,
    pub severity: String,
    pub raised_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub acknowledgement_due_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// One payments posting of a provider's statement: due and adjustments add to what is owed,
/// payments subtract (`amount_pence` is signed so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingRow {
    pub episode_reference: String,
    pub posted_on: NaiveDate,
    /// `due`, `paid` or `adjusted`.
    pub kind: String,
    pub amount_pence: i64,
    pub reason: Option<String>,
}

/// A stored support event with its envelope.
#[derive(Debug, Clone)]
pub struct StoredSupportEvent {
    pub version: u64,
    pub event: SupportEvent,
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
}

/// A whole episode stream with its summary.
#[derive(Debug, Clone)]
pub struct LoadedEpisode {
    pub summary: EpisodeSummary,
    pub events: Vec<StoredSupportEvent>,
}

/// A new episode's identity, for the append that creates it.
#[derive(Debug, Clone, Copy)]
pub struct NewEpisode<'a> {
    pub reference: &'a str,
    pub subject: SubjectId,
}

/// One command's worth of changes to one episode.
#[derive(Debug, Clone)]
pub struct SupportAppend<'a> {
    pub episode_id: EpisodeId,
    /// The version decided on; 0 for a new episode (then `new` is required).
    pub expected_version: u64,
    pub new: Option<NewEpisode<'a>>,
    pub events: &'a [SupportEvent],
    /// The episode's state after these events: the read models are written from it.
    pub state_after: &'a EpisodeState,
    pub actor: Actor,
    pub recorded_at: DateTime<Utc>,
    pub new_subjects: &'a [SubjectId],
    pub vault_writes: &'a [VaultWrite],
    pub audit: &'a AuditRecord,
}

/// A new episode's row, the gate of its first append: a taken id or reference changes
/// nothing. Single-row `VALUES` with its placeholders in order, so the group committer merges
/// a batch's new episodes into one INSERT.
const NEW_EPISODE: &str = "INSERT INTO support_episodes (episode_id, reference, version, case_id, subject_id, prime, provider, worker, status, nation, route, open_concerns, awaiting_acknowledgement, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING";

/// Whose episodes a list covers (from the access policy's support scope).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeListScope {
    Everything,
    /// Referred to (prime) or allocated to the organisation.
    Organisation(OrganisationId),
    Worker(UserId),
}

/// Which episodes of the scope to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeFilter {
    /// Every episode not exited.
    Open,
    /// Open episodes with something due on or before the date.
    DueBy(NaiveDate),
    /// Open episodes with an open concern.
    ConcernsOpen,
    /// Awaiting allocation.
    AwaitingAllocation,
}

/// The most rows a list returns.
pub const LIST_LIMIT: i64 = 500;

fn opt_u(v: Option<Uuid>) -> Value {
    Value::OptUuid(v)
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

const SUMMARY_COLUMNS: &str = "episode_id, reference, version, case_id, subject_id, prime, provider, worker, status, nation, route, allocation_due_at, review_due_on, support_until, next_due_on, open_concerns, awaiting_acknowledgement, created_at, updated_at";

macro_rules! summary_from_row {
    ($row:expr) => {{
        let row = $row;
        let version: i64 = row.try_get("version")?;
        let open: i64 = row.try_get("open_concerns")?;
        let awaiting: i64 = row.try_get("awaiting_acknowledgement")?;
        let case: Option<Uuid> = row.try_get("case_id")?;
        let provider: Option<Uuid> = row.try_get("provider")?;
        let worker: Option<Uuid> = row.try_get("worker")?;
        EpisodeSummary {
            episode_id: EpisodeId(row.try_get("episode_id")?),
            reference: row.try_get("reference")?,
            version: u64_of(version),
            case_id: case.map(CaseId),
            subject: SubjectId(row.try_get("subject_id")?),
            prime: OrganisationId(row.try_get("prime")?),
            provider: provider.map(OrganisationId),
            worker: worker.map(UserId),
            status: row.try_get("status")?,
            nation: row.try_get("nation")?,
            route: row.try_get("route")?,
            allocation_due_at: row.try_get("allocation_due_at")?,
            review_due_on: row.try_get("review_due_on")?,
            support_until: row.try_get("support_until")?,
            next_due_on: row.try_get("next_due_on")?,
            open_concerns: u64_of(open),
            awaiting_acknowledgement: u64_of(awaiting),
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }
    }};
}

const CONCERN_COLUMNS: &str = "c.concern_id, c.episode_id, e.reference, c.kind, c.severity, c.raised_at, c.escalated_at, c.acknowledgement_due_at, c.acknowledged_at, c.closed_at";

macro_rules! concern_from_row {
    ($row:expr) => {{
        let row = $row;
        ConcernRow {
            concern_id: ConcernId(row.try_get("concern_id")?),
            episode_id: EpisodeId(row.try_get("episode_id")?),
            episode_reference: row.try_get("reference")?,
            kind: row.try_get("kind")?,
            severity: row.try_get("severity")?,
            raised_at: row.try_get("raised_at")?,
            escalated_at: row.try_get("escalated_at")?,
            acknowledgement_due_at: row.try_get("acknowledgement_due_at")?,
            acknowledged_at: row.try_get("acknowledged_at")?,
            closed_at: row.try_get("closed_at")?,
        }
    }};
}

fn nation_code(state: &EpisodeState) -> &'static str {
    use nrm_domain::geography::UkNation as N;
    match state.nation {
        Some(N::England) => "england",
        Some(N::Wales) => "wales",
        Some(N::Scotland) => "scotland",
        Some(N::NorthernIreland) => "northern_ireland",
        None => "unknown",
    }
}

fn placement_end_code(r: PlacementEndReason) -> &'static str {
    match r {
        PlacementEndReason::MovedToOtherAccommodation => "moved_to_other_accommodation",
        PlacementEndReason::MovedOn => "moved_on",
        PlacementEndReason::SafeguardingRisk => "safeguarding_risk",
        PlacementEndReason::Missing => "missing",
        PlacementEndReason::SupportEnded => "support_ended",
        PlacementEndReason::Other => "other",
    }
}

fn placement_end_parse(code: &str) -> Option<PlacementEndReason> {
    use PlacementEndReason as P;
    [
        P::MovedToOtherAccommodation,
        P::MovedOn,
        P::SafeguardingRisk,
        P::Missing,
        P::SupportEnded,
        P::Other,
    ]
    .into_iter()
    .find(|r| placement_end_code(*r) == code)
}

/// The read-model statements for an episode after an append (summary, concerns, placements).
fn projection(append: &SupportAppend<'_>, new_version: u64) -> Vec<Statement> {
    let s = append.state_after;
    let episode = append.episode_id.0;
    let open_concerns = s.concerns.iter().filter(|c| c.open()).count() as i64;
    let awaiting = s
        .concerns
        .iter()
        .filter(|c| c.open() && c.escalated() && c.acknowledged_at.is_none())
        .count() as i64;
    let mut out = vec![Statement::new(
        "UPDATE support_episodes SET provider = $2, worker = $3, status = $4, allocation_due_at = $5, review_due_on = $6, support_until = $7, next_due_on = $8, open_concerns = $9, awaiting_acknowledgement = $10, updated_at = $11 WHERE episode_id = $1",
        vec![
            Value::Uuid(episode),
            opt_u(s.provider.map(|o| o.0)),
            opt_u(s.worker.map(|u| u.0)),
            Value::Text(s.status.map_or("unknown", |st| st.code()).to_owned()),
            Value::OptTimestamp(s.allocation_due_at),
            Value::OptDate(s.next_review_due_on),
            Value::OptDate(s.support_until),
            Value::OptDate(s.next_due_on()),
            Value::I64(open_concerns),
            Value::I64(awaiting),
            Value::Timestamp(append.recorded_at),
        ],
    )];
    out.push(Statement::new(
        "DELETE FROM support_concerns WHERE episode_id = $1",
        vec![Value::Uuid(episode)],
    ));
    for c in &s.concerns {
        out.push(Statement::new(
            "INSERT INTO support_concerns (concern_id, episode_id, kind, severity, raised_at, escalated_at, acknowledgement_due_at, acknowledged_at, closed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                Value::Uuid(c.id.0),
                Value::Uuid(episode),
                Value::Text(c.kind.code().to_owned()),
                Value::Text(c.severity.code().to_owned()),
                Value::Timestamp(c.raised_at),
                Value::OptTimestamp(c.escalated_at),
                Value::OptTimestamp(c.acknowledgement_due_at),
                Value::OptTimestamp(c.acknowledged_at),
                Value::OptTimestamp(c.closed_at),
            ],
        ));
    }
    out.push(Statement::new(
        "DELETE FROM support_placements WHERE episode_id = $1",
        vec![Value::Uuid(episode)],
    ));
    for p in &s.placements {
        out.push(Statement::new(
            "INSERT INTO support_placements (placement_id, episode_id, accommodation_id, kind, start_on, end_on, end_reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                Value::Uuid(p.id.0),
                Value::Uuid(episode),
                Value::Uuid(p.accommodation.0),
                Value::Text(p.kind.code().to_owned()),
                Value::Date(p.start),
                Value::OptDate(p.end),
                Value::OptText(p.end_reason.map(|r| placement_end_code(r).to_owned())),
            ],
        ));
    }
    let provider = s.provider.or(s.prime).map_or(Uuid::nil(), |o| o.0);
    for (i, event) in append.events.iter().enumerate() {
        let version = append.expected_version + 1 + i as u64;
        if let SupportEvent::Posted(posting) = event {
            let (kind, on, amount, reason) = match posting {
                Posting::Due {
                    week_start,
                    amount_pence,
                } => ("due", *week_start, to_i64(*amount_pence), None),
                Posting::Paid { on, amount_pence } => ("paid", *on, -to_i64(*amount_pence), None),
                Posting::Adjusted {
                    on,
                    amount_pence,
                    reason,
                } => (
                    "adjusted",
                    *on,
                    *amount_pence,
                    Some(reason.code().to_owned()),
                ),
            };
            out.push(Statement::new(
                "INSERT INTO support_postings (episode_id, version, provider, kind, posted_on, amount_pence, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![
                    Value::Uuid(episode),
                    Value::I64(to_i64(version)),
                    Value::Uuid(provider),
                    Value::Text(kind.to_owned()),
                    Value::Date(on),
                    Value::I64(amount),
                    Value::OptText(reason),
                ],
            ));
        }
    }
    debug_assert!(new_version > append.expected_version || append.events.is_empty());
    out
}

impl Store {
    /// Runs `statements` in one transaction with `audit` chained at `at`. When `gate` is set,
    /// the first statement must change exactly one row or nothing is written and `gate`'s error
    /// is returned.
    async fn support_write(
        &self,
        statements: Vec<Statement>,
        audit: &AuditRecord,
        at: DateTime<Utc>,
        gated: bool,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let written = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let affected = execute_all!(tx, &statements)?;
            if gated && affected.first().copied() != Some(1) {
                tx.rollback().await?;
                false
            } else {
                crate::audit::append_audit!(tx, &self.audit_key, audit, at)?;
                tx.commit().await?;
                true
            }
        });
        Ok(written)
    }

    /// Vault rows for `new_subjects` and `writes`, sealed before the transaction starts.
    async fn vault_statements(
        &self,
        new_subjects: &[SubjectId],
        writes: &[VaultWrite],
        at: DateTime<Utc>,
    ) -> Result<Vec<Statement>, StoreError> {
        let (subjects, records) = self.seal(new_subjects, writes).await?;
        let mut out = Vec::new();
        for s in subjects {
            out.push(Statement::new(
                "INSERT INTO vault_subjects (subject_id, wrapped_key, master_key_id, created_at) VALUES ($1, $2, $3, $4)",
                vec![
                    Value::Uuid(s.subject),
                    Value::Bytes(s.wrapped_key),
                    Value::Text(self.master_key_id().to_owned()),
                    Value::Timestamp(at),
                ],
            ));
        }
        for r in records {
            out.push(Statement::new(
                "INSERT INTO vault_records (record_id, subject_id, kind, ciphertext, created_at) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    Value::Uuid(r.record),
                    Value::Uuid(r.subject),
                    Value::Text(r.kind.to_owned()),
                    Value::Bytes(r.ciphertext),
                    Value::Timestamp(at),
                ],
            ));
        }
        Ok(out)
    }

    /// Appends one command's events to an episode, with its vault records, read models and
    /// audit entry, atomically; returns the episode's new version.
    pub async fn append_support(&self, append: SupportAppend<'_>) -> Result<u64, StoreError> {
        let job = self.support_job(&append).await?;
        // Through the group committer, as a case's append is: concurrent episode writes (the
        // support reconciliation after a bulk load or import) share one durable commit; a new
        // episode's gate follows its vault subject.
        let written = self.committer.write(job).await.written()?;
        self.support_result(&append, written).await
    }

    /// What the group committer writes for `append`.
    pub(crate) async fn support_job(
        &self,
        append: &SupportAppend<'_>,
    ) -> Result<Gated, StoreError> {
        let new_version = append.expected_version + append.events.len() as u64;
        let episode = append.episode_id.0;
        let new = append.expected_version == 0;
        let mut statements = if new {
            let created = append
                .new
                .ok_or_else(|| StoreError::Corrupt("a new episode needs a reference".to_owned()))?;
            let s = append.state_after;
            // Vault subjects first: the episode row refers to its subject. The gate (the
            // episode row, inserted only if neither its id nor its reference is taken) comes
            // after them.
            let mut statements = self
                .vault_statements(append.new_subjects, append.vault_writes, append.recorded_at)
                .await?;
            statements.push(Statement::new(
                NEW_EPISODE,
                vec![
                    Value::Uuid(episode),
                    Value::Text(created.reference.to_owned()),
                    Value::I64(to_i64(new_version)),
                    opt_u(s.case_id.map(|c| c.0)),
                    Value::Uuid(created.subject.0),
                    Value::Uuid(s.prime.map_or(Uuid::nil(), |o| o.0)),
                    Value::OptUuid(None),
                    Value::OptUuid(None),
                    Value::Text("unknown".to_owned()),
                    Value::Text(nation_code(s).to_owned()),
                    Value::Text(s.route.map_or("unknown", |r| r.code()).to_owned()),
                    Value::I64(0),
                    Value::I64(0),
                    Value::Timestamp(append.recorded_at),
                    Value::Timestamp(append.recorded_at),
                ],
            ));
            statements
        } else {
            let mut statements = vec![Statement::new(
                "UPDATE support_episodes SET version = $1 WHERE episode_id = $2 AND version = $3",
                vec![
                    Value::I64(to_i64(new_version)),
                    Value::Uuid(episode),
                    Value::I64(to_i64(append.expected_version)),
                ],
            )];
            statements.extend(
                self.vault_statements(append.new_subjects, append.vault_writes, append.recorded_at)
                    .await?,
            );
            statements
        };
        let gate_at = if new { statements.len() - 1 } else { 0 };
        for (i, event) in append.events.iter().enumerate() {
            let version = append.expected_version + 1 + i as u64;
            let body = serde_json::to_string(event)
                .map_err(|_| StoreError::Corrupt("a support event did not serialise".to_owned()))?;
            statements.push(Statement::new(
                "INSERT INTO support_events (episode_id, version, kind, body, actor_user, actor_organisation, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                vec![
                    Value::Uuid(episode),
                    Value::I64(to_i64(version)),
                    Value::Text(event.kind().to_owned()),
                    Value::Text(body),
                    Value::Uuid(append.actor.user.0),
                    Value::Uuid(append.actor.organisation.0),
                    Value::Timestamp(append.recorded_at),
                ],
            ));
        }
        statements.extend(projection(append, new_version));
        Ok(Gated {
            statements,
            gate_at,
            id: episode,
            // A new episode's gate after no other row (the subject is the case's) is merged
            // with the batch's others into one INSERT; one after its new subject is written
            // alone.
            new_stream: (new && gate_at == 0).then_some("episode_id"),
            claim_at: None,
            audit: Some((append.audit.clone(), append.recorded_at)),
        })
    }

    /// What the committer's answer `written` for `append` means: the episode's new version,
    /// or why it was not written (moved meanwhile, its id or reference taken).
    pub(crate) async fn support_result(
        &self,
        append: &SupportAppend<'_>,
        written: bool,
    ) -> Result<u64, StoreError> {
        if written {
            return Ok(append.expected_version + append.events.len() as u64);
        }
        Err(crate::group::episode_refused(
            append.expected_version,
            self.support_version(append.episode_id).await?,
        ))
    }

    /// An episode's current version, if it exists.
    pub async fn support_version(&self, episode: EpisodeId) -> Result<Option<u64>, StoreError> {
        let v: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM support_episodes WHERE episode_id = $1")
                .bind(episode.0)
                .fetch_optional(pool)
                .await?
        });
        Ok(v.map(u64_of))
    }

    /// An episode's summary.
    pub async fn episode_summary(
        &self,
        episode: EpisodeId,
    ) -> Result<Option<EpisodeSummary>, StoreError> {
        Ok(on_pool!(self, pool => {
            match sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SUMMARY_COLUMNS} FROM support_episodes WHERE episode_id = $1"
            )))
            .bind(episode.0)
            .fetch_optional(pool)
            .await?
            {
                Some(row) => Some(summary_from_row!(&row)),
                None => None,
            }
        }))
    }

    /// The episode with this reference.
    pub async fn episode_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<EpisodeId>, StoreError> {
        let id: Option<Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT episode_id FROM support_episodes WHERE reference = $1")
                .bind(reference)
                .fetch_optional(pool)
                .await?
        });
        Ok(id.map(EpisodeId))
    }

    /// The episodes following a case.
    pub async fn episodes_for_case(&self, case: CaseId) -> Result<Vec<EpisodeSummary>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {SUMMARY_COLUMNS} FROM support_episodes WHERE case_id = $1 ORDER BY created_at"
            )))
            .bind(case.0)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(summary_from_row!(row));
            }
            out
        }))
    }

    /// A whole episode stream, with its summary.
    pub async fn load_episode(
        &self,
        episode: EpisodeId,
    ) -> Result<Option<LoadedEpisode>, StoreError> {
        let Some(summary) = self.episode_summary(episode).await? else {
            return Ok(None);
        };
        let rows: Vec<(i64, String, Uuid, Uuid, DateTime<Utc>)> = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT version, body, actor_user, actor_organisation, recorded_at FROM support_events WHERE episode_id = $1 ORDER BY version",
            )
            .bind(episode.0)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get("version")?,
                        row.try_get("body")?,
                        row.try_get("actor_user")?,
                        row.try_get("actor_organisation")?,
                        row.try_get("recorded_at")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        let mut events = Vec::with_capacity(rows.len());
        for (version, body, user, organisation, recorded_at) in rows {
            let event = serde_json::from_str(&body).map_err(|_| {
                StoreError::Corrupt(format!(
                    "event {version} of support episode {} does not parse",
                    episode.0
                ))
            })?;
            events.push(StoredSupportEvent {
                version: u64_of(version),
                event,
                actor: Actor {
                    user: UserId(user),
                    organisation: OrganisationId(organisation),
                },
                recorded_at,
            });
        }
        Ok(Some(LoadedEpisode { summary, events }))
    }

    /// Episodes in `scope` matching `filter`, soonest due first (at most [`LIST_LIMIT`]).
    pub async fn list_episodes(
        &self,
        scope: EpisodeListScope,
        filter: EpisodeFilter,
    ) -> Result<Vec<EpisodeSummary>, StoreError> {
        let (scope_sql, scope_value) = match scope {
            EpisodeListScope::Everything => ("1 = 1 AND $1 IS NULL", opt_u(None)),
            EpisodeListScope::Organisation(org) => {
                ("(prime = $1 OR provider = $1)", Value::Uuid(org.0))
            }
            EpisodeListScope::Worker(user) => ("worker = $1", Value::Uuid(user.0)),
        };
        let (filter_sql, filter_value) = match filter {
            EpisodeFilter::Open => (
                "status NOT IN ('exited', 'reach_in') AND $2 IS NULL",
                Value::OptDate(None),
            ),
            EpisodeFilter::DueBy(day) => (
                "status NOT IN ('exited', 'reach_in') AND next_due_on <= $2",
                Value::Date(day),
            ),
            EpisodeFilter::ConcernsOpen => {
                ("open_concerns > 0 AND $2 IS NULL", Value::OptDate(None))
            }
            EpisodeFilter::AwaitingAllocation => (
                "status = 'awaiting_allocation' AND $2 IS NULL",
                Value::OptDate(None),
            ),
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM support_episodes WHERE {scope_sql} AND {filter_sql} ORDER BY next_due_on IS NULL, next_due_on, reference LIMIT {LIST_LIMIT}"
        );
        let values = [scope_value, filter_value];
        Ok(on_pool!(self, pool => {
            let query = crate::statement::bind_values!(
                sqlx::query(sqlx::AssertSqlSafe(sql)),
                &values
            );
            let rows = query.fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(summary_from_row!(row));
            }
            out
        }))
    }

    /// Concerns escalated and not yet acknowledged (the Home Office's queue), the most urgent
    /// first, and those of one episode.
    pub async fn concerns_awaiting_acknowledgement(&self) -> Result<Vec<ConcernRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {CONCERN_COLUMNS} FROM support_concerns c JOIN support_episodes e ON e.episode_id = c.episode_id WHERE c.escalated_at IS NOT NULL AND c.acknowledged_at IS NULL AND c.closed_at IS NULL ORDER BY c.acknowledgement_due_at LIMIT {LIST_LIMIT}"
            )))
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(concern_from_row!(row));
            }
            out
        }))
    }

    /// Registers a support provider (its organisation must exist), atomically with its audit
    /// entry.
    pub async fn add_support_provider(
        &self,
        provider: &SupportProviderRow,
        audit: &AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let statements = vec![Statement::new(
            "INSERT INTO support_providers (organisation_id, parent_organisation, regions, services) VALUES ($1, $2, $3, $4)",
            vec![
                Value::Uuid(provider.organisation.0),
                opt_u(provider.parent.map(|p| p.0)),
                Value::Text(provider.regions.join(",")),
                Value::Text(provider.services.join(",")),
            ],
        )];
        self.support_write(statements, audit, at, false).await?;
        Ok(())
    }

    /// Every support provider with its organisation's name, primes first.
    pub async fn support_providers(&self) -> Result<Vec<SupportProviderRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT p.organisation_id, o.name, p.parent_organisation, p.regions, p.services FROM support_providers p JOIN organisations o ON o.organisation_id = p.organisation_id ORDER BY p.parent_organisation IS NOT NULL, o.name",
            )
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let parent: Option<Uuid> = row.try_get("parent_organisation")?;
                let regions: String = row.try_get("regions")?;
                let services: String = row.try_get("services")?;
                out.push(SupportProviderRow {
                    organisation: OrganisationId(row.try_get("organisation_id")?),
                    name: row.try_get("name")?,
                    parent: parent.map(OrganisationId),
                    regions: split_codes(&regions),
                    services: split_codes(&services),
                });
            }
            out
        }))
    }

    /// Adds accommodation with its address in the vault (under a subject of its own).
    pub async fn add_accommodation(
        &self,
        accommodation: &Accommodation,
        subject: SubjectId,
        address: &VaultWrite,
        audit: &AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut statements = self
            .vault_statements(&[subject], std::slice::from_ref(address), at)
            .await?;
        statements.push(Statement::new(
            "INSERT INTO support_accommodation (accommodation_id, provider, kind, capacity, region, subject_id, address_record, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                Value::Uuid(accommodation.id.0),
                Value::Uuid(accommodation.provider.0),
                Value::Text(accommodation.kind.code().to_owned()),
                Value::I64(i64::from(accommodation.capacity)),
                Value::Text(accommodation.region.clone()),
                Value::Uuid(subject.0),
                Value::Uuid(accommodation.address.0),
                Value::Timestamp(at),
            ],
        ));
        self.support_write(statements, audit, at, false).await?;
        Ok(())
    }

    /// Accommodation, of one provider or all, with the vault subject of each address.
    pub async fn accommodation_list(
        &self,
        provider: Option<OrganisationId>,
    ) -> Result<Vec<(Accommodation, SubjectId)>, StoreError> {
        let sql = "SELECT accommodation_id, provider, kind, capacity, region, subject_id, address_record FROM support_accommodation WHERE ($1 IS NULL OR provider = $1) ORDER BY region, accommodation_id";
        let rows: Vec<(Uuid, Uuid, String, i64, String, Uuid, Uuid)> = on_pool!(self, pool => {
            let rows = sqlx::query(sql)
                .bind(provider.map(|p| p.0))
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get("accommodation_id")?,
                        row.try_get("provider")?,
                        row.try_get("kind")?,
                        row.try_get("capacity")?,
                        row.try_get("region")?,
                        row.try_get("subject_id")?,
                        row.try_get("address_record")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        rows.into_iter()
            .map(|(id, provider, kind, capacity, region, subject, address)| {
                Ok((
                    Accommodation {
                        id: AccommodationId(id),
                        provider: OrganisationId(provider),
                        kind: AccommodationType::parse(&kind).ok_or_else(|| {
                            StoreError::Corrupt("an accommodation kind is unknown".to_owned())
                        })?,
                        capacity: u32::try_from(capacity).unwrap_or(0),
                        region,
                        address: VaultRecordId(address),
                    },
                    SubjectId(subject),
                ))
            })
            .collect()
    }

    /// One accommodation.
    pub async fn accommodation(
        &self,
        id: AccommodationId,
    ) -> Result<Option<(Accommodation, SubjectId)>, StoreError> {
        Ok(self
            .accommodation_list(None)
            .await?
            .into_iter()
            .find(|(a, _)| a.id == id))
    }

    /// Every placement in an accommodation (for occupancy).
    pub async fn placements_in(
        &self,
        accommodation: AccommodationId,
    ) -> Result<Vec<Placement>, StoreError> {
        type Row = (
            Uuid,
            Uuid,
            String,
            NaiveDate,
            Option<NaiveDate>,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT placement_id, episode_id, kind, start_on, end_on, end_reason FROM support_placements WHERE accommodation_id = $1 ORDER BY start_on",
            )
            .bind(accommodation.0)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get("placement_id")?,
                        row.try_get("episode_id")?,
                        row.try_get("kind")?,
                        row.try_get("start_on")?,
                        row.try_get("end_on")?,
                        row.try_get("end_reason")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?
        });
        rows.into_iter()
            .map(|(id, episode, kind, start, end, reason)| {
                Ok(Placement {
                    id: PlacementId(id),
                    episode: EpisodeId(episode),
                    accommodation,
                    kind: AccommodationType::parse(&kind).ok_or_else(|| {
                        StoreError::Corrupt("a placement kind is unknown".to_owned())
                    })?,
                    start,
                    end,
                    end_reason: reason.as_deref().and_then(placement_end_parse),
                })
            })
            .collect()
    }

    /// Records an inspection with its actions (and notes in the vault under the
    /// accommodation's subject), atomically with its audit entry.
    pub async fn record_inspection(
        &self,
        inspection: &Inspection,
        notes: Option<&VaultWrite>,
        inspector: Actor,
        audit: &AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut statements = match notes {
            Some(n) => {
                self.vault_statements(&[], std::slice::from_ref(n), at)
                    .await?
            }
            None => Vec::new(),
        };
        let findings = inspection
            .findings
            .iter()
            .map(|f| format!("{}={}", f.area.code(), f.rating.code()))
            .collect::<Vec<_>>()
            .join(",");
        statements.push(Statement::new(
            "INSERT INTO support_inspections (inspection_id, accommodation_id, inspected_on, follow_up_of, overall, findings, notes_record, inspector_user, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                Value::Uuid(inspection.id.0),
                Value::Uuid(inspection.accommodation.0),
                Value::Date(inspection.inspected_on),
                opt_u(inspection.follow_up_of.map(|i| i.0)),
                Value::Text(inspection.overall().code().to_owned()),
                Value::Text(findings),
                opt_u(inspection.notes.map(|n| n.0)),
                Value::Uuid(inspector.user.0),
                Value::Timestamp(at),
            ],
        ));
        for a in &inspection.actions {
            statements.push(Statement::new(
                "INSERT INTO support_inspection_actions (inspection_id, number, area, due_on, completed_on) VALUES ($1, $2, $3, $4, $5)",
                vec![
                    Value::Uuid(inspection.id.0),
                    Value::I64(i64::from(a.number)),
                    Value::Text(a.area.code().to_owned()),
                    Value::Date(a.due_on),
                    Value::OptDate(a.completed_on),
                ],
            ));
        }
        self.support_write(statements, audit, at, false).await?;
        Ok(())
    }

    /// Marks an action completed; `false` when there is no such open action.
    pub async fn complete_inspection_action(
        &self,
        inspection: InspectionId,
        number: u32,
        on: NaiveDate,
        audit: &AuditRecord,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let statements = vec![Statement::new(
            "UPDATE support_inspection_actions SET completed_on = $3 WHERE inspection_id = $1 AND number = $2 AND completed_on IS NULL",
            vec![
                Value::Uuid(inspection.0),
                Value::I64(i64::from(number)),
                Value::Date(on),
            ],
        )];
        self.support_write(statements, audit, at, true).await
    }

    /// Inspections, of one accommodation or of every accommodation of a provider (or all),
    /// newest first, with their actions.
    pub async fn inspections(
        &self,
        accommodation: Option<AccommodationId>,
        provider: Option<OrganisationId>,
    ) -> Result<Vec<Inspection>, StoreError> {
        type Head = (Uuid, Uuid, NaiveDate, Option<Uuid>, String, Option<Uuid>);
        type ActionRow = (Uuid, i64, String, NaiveDate, Option<NaiveDate>);
        let (heads, actions): (Vec<Head>, Vec<ActionRow>) = on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT i.inspection_id, i.accommodation_id, i.inspected_on, i.follow_up_of, i.findings, i.notes_record FROM support_inspections i JOIN support_accommodation a ON a.accommodation_id = i.accommodation_id WHERE ($1 IS NULL OR i.accommodation_id = $1) AND ($2 IS NULL OR a.provider = $2) ORDER BY i.inspected_on DESC, i.inspection_id",
            )
            .bind(accommodation.map(|a| a.0))
            .bind(provider.map(|p| p.0))
            .fetch_all(pool)
            .await?;
            let heads = rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get("inspection_id")?,
                        row.try_get("accommodation_id")?,
                        row.try_get("inspected_on")?,
                        row.try_get("follow_up_of")?,
                        row.try_get("findings")?,
                        row.try_get("notes_record")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let rows = sqlx::query(
                "SELECT x.inspection_id, x.number, x.area, x.due_on, x.completed_on FROM support_inspection_actions x JOIN support_inspections i ON i.inspection_id = x.inspection_id JOIN support_accommodation a ON a.accommodation_id = i.accommodation_id WHERE ($1 IS NULL OR i.accommodation_id = $1) AND ($2 IS NULL OR a.provider = $2) ORDER BY x.inspection_id, x.number",
            )
            .bind(accommodation.map(|a| a.0))
            .bind(provider.map(|p| p.0))
            .fetch_all(pool)
            .await?;
            let actions = rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok((
                        row.try_get("inspection_id")?,
                        row.try_get("number")?,
                        row.try_get("area")?,
                        row.try_get("due_on")?,
                        row.try_get("completed_on")?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?;
            (heads, actions)
        });
        let corrupt = || StoreError::Corrupt("an inspection record is unreadable".to_owned());
        let mut out = Vec::with_capacity(heads.len());
        for (id, accommodation, inspected_on, follow_up_of, findings, notes) in heads {
            let mut parsed = Vec::new();
            for pair in findings.split(',').filter(|s| !s.is_empty()) {
                let (area, rating) = pair.split_once('=').ok_or_else(corrupt)?;
                parsed.push(Finding {
                    area: InspectionArea::parse(area).ok_or_else(corrupt)?,
                    rating: Rating::parse(rating).ok_or_else(corrupt)?,
                });
            }
            let mut acts = Vec::new();
            for (_, number, area, due_on, completed_on) in actions.iter().filter(|a| a.0 == id) {
                acts.push(RequiredAction {
                    number: u32::try_from(*number).unwrap_or(0),
                    area: InspectionArea::parse(area).ok_or_else(corrupt)?,
                    due_on: *due_on,
                    completed_on: *completed_on,
                });
            }
            out.push(Inspection {
                id: InspectionId(id),
                accommodation: AccommodationId(accommodation),
                inspected_on,
                follow_up_of: follow_up_of.map(InspectionId),
                findings: parsed,
                actions: acts,
                notes: notes.map(VaultRecordId),
            });
        }
        Ok(out)
    }

    /// A provider's postings between two dates (inclusive), by episode reference then date.
    pub async fn provider_postings(
        &self,
        provider: OrganisationId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PostingRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query(
                "SELECT e.reference, p.posted_on, p.kind, p.amount_pence, p.reason FROM support_postings p JOIN support_episodes e ON e.episode_id = p.episode_id WHERE p.provider = $1 AND p.posted_on >= $2 AND p.posted_on <= $3 ORDER BY e.reference, p.posted_on, p.version",
            )
            .bind(provider.0)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<_, sqlx::Error> {
                    Ok(PostingRow {
                        episode_reference: row.try_get("reference")?,
                        posted_on: row.try_get("posted_on")?,
                        kind: row.try_get("kind")?,
                        amount_pence: row.try_get("amount_pence")?,
                        reason: row.try_get("reason")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?
        }))
    }

    /// The sweep turn's reconciliation of support with cases (issue 12): adult cases whose
    /// version is newer than the one the reconciliation last looked at (or never looked at),
    /// and that either have an open support episode or have none and are still open, after
    /// `after` in id order, at most `limit`; each with its version. A case unchanged since it
    /// was last looked at is never returned again, so a turn reads only what changed.
    pub async fn cases_to_reconcile_with_support(
        &self,
        after: Option<CaseId>,
        limit: i64,
    ) -> Result<Vec<(CaseId, u64)>, StoreError> {
        let sql = format!("{RECONCILE_PAGE_SQL}{}", limit.clamp(1, LIST_LIMIT));
        let values = [Value::Uuid(crate::guardians::keyset_after(
            after.map(|a| a.0),
        ))];
        Ok(on_pool!(self, pool => {
            let query = crate::statement::bind_values!(
                sqlx::query(sqlx::AssertSqlSafe(sql)),
                &values
            );
            let rows = query.fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let version: i64 = row.try_get("version")?;
                out.push((
                    CaseId(row.try_get("case_id")?),
                    u64::try_from(version).unwrap_or(0),
                ));
            }
            out
        }))
    }

    /// Records that the reconciliation looked at each case at its version (with `outcome`:
    /// what it found), so it is not looked at again until the case changes; a page's checks
    /// in one transaction (the last given for a case kept). Idempotent.
    pub async fn record_support_case_checks(
        &self,
        checks: &[(CaseId, u64, &str)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut last: std::collections::HashMap<CaseId, usize> = std::collections::HashMap::new();
        for (i, (case_id, _, _)) in checks.iter().enumerate() {
            last.insert(*case_id, i);
        }
        let rows: Vec<Vec<Value>> = checks
            .iter()
            .enumerate()
            .filter(|(i, (case_id, _, _))| last.get(case_id) == Some(i))
            .map(|(_, (case_id, case_version, outcome))| {
                vec![
                    Value::Uuid(case_id.0),
                    Value::I64(to_i64(*case_version)),
                    Value::Text((*outcome).to_owned()),
                    Value::Timestamp(at),
                ]
            })
            .collect();
        self.write_each(
            "INSERT INTO support_case_checks (case_id, case_version, outcome, checked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO UPDATE SET case_version = excluded.case_version, outcome = excluded.outcome, checked_at = excluded.checked_at",
            &rows,
        )
        .await
    }
}

fn split_codes(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A page of the cases the support reconciliation looks at (`$1` the last case of the page
/// before, see [`crate::guardians::keyset_after`]; the limit is appended).
pub(crate) const RECONCILE_PAGE_SQL: &str = "SELECT s.case_id, s.version FROM case_summaries s \
     LEFT JOIN support_case_checks c ON c.case_id = s.case_id \
     WHERE s.age_group = 'adult' AND (c.case_id IS NULL OR c.case_version < s.version) \
     AND ((s.status NOT IN ('withdrawn', 'closed', 'duty_to_notify') \
           AND NOT EXISTS (SELECT 1 FROM support_episodes e WHERE e.case_id = s.case_id)) \
       OR EXISTS (SELECT 1 FROM support_episodes e WHERE e.case_id = s.case_id \
           AND e.status NOT IN ('exited', 'reach_in'))) \
     AND s.case_id > $1 ORDER BY s.case_id LIMIT ";
