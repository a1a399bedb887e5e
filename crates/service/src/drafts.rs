//! Saved referral drafts: a First Responder's unfinished referral, saved at every step of the
//! web journeys so a session timeout never loses it, and submitted at most once.
//!
//! The answers are opaque JSON to this layer (the web journeys give them their shape); they
//! hold personal data, so the store keeps them sealed with the master key and nothing here logs
//! them or puts them in an error. A draft belongs to the user (and organisation) that started
//! it: anyone else is told it does not exist. Saving is optimistic (the version the page was
//! rendered from must still be current). Submitting runs the normal submission path and marks
//! the draft submitted in the same transaction as the case's creation, so a check-your-answers
//! page submitted twice, even at the same moment, makes one case: the second submission is
//! answered with the first one's case.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use nrm_access::{Capability, Operation};
use nrm_domain::ids::CaseId;
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseReference, DomainError};
use nrm_store::StoreError;
use nrm_store::drafts::{DraftClaim, DraftRow};
use uuid::Uuid;

use crate::{Cases, ServiceError};

/// Saved referral drafts for the web journeys. Borrowed from [`Cases::drafts`].
#[derive(Debug, Clone, Copy)]
pub struct Drafts<'a> {
    cases: &'a Cases,
}

/// The largest set of answers a draft may hold, as serialised JSON. A whole referral is a few
/// kilobytes; this only stops a runaway client filling the database.
pub const MAX_DRAFT_BYTES: usize = 256 * 1024;

/// What a draft will become when submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftKind {
    Adult,
    Child,
    DutyToNotify,
}

impl DraftKind {
    pub const ALL: [Self; 3] = [Self::Adult, Self::Child, Self::DutyToNotify];

    pub fn code(self) -> &'static str {
        match self {
            Self::Adult => "adult",
            Self::Child => "child",
            Self::DutyToNotify => "duty_to_notify",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The operation a capability must be for to work on a draft of this kind.
    pub fn operation(self) -> Operation {
        match self {
            Self::Adult | Self::Child => Operation::SubmitReferral,
            Self::DutyToNotify => Operation::SubmitDutyToNotify,
        }
    }

    /// Whether `submission` is of this kind.
    pub fn matches(self, submission: &Submission) -> bool {
        matches!(
            (self, submission),
            (Self::Adult, Submission::Adult(_))
                | (Self::Child, Submission::Child(_))
                | (Self::DutyToNotify, Submission::DutyToNotify(_))
        )
    }
}

/// A draft's identifier (random; shown in URLs, so it must reveal nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DraftId(pub Uuid);

impl fmt::Display for DraftId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for DraftId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// The case a draft became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedDraft {
    pub case_id: CaseId,
    pub reference: CaseReference,
    pub submitted_at: DateTime<Utc>,
    /// The case's status now (`None` if its summary holds a status this build does not know).
    pub status: Option<nrm_domain::case::CaseStatus>,
}

/// A draft without its answers: for lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSummary {
    pub id: DraftId,
    pub kind: DraftKind,
    /// Starts at 1 and goes up by one with every save.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted: Option<SubmittedDraft>,
}

/// A draft with its answers.
#[derive(Clone, PartialEq)]
pub struct Draft {
    pub summary: DraftSummary,
    pub answers: serde_json::Value,
}

/// Never prints the answers (they hold personal data).
impl fmt::Debug for Draft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Draft")
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

/// The case a submitted draft made. `already_submitted` says the draft had been submitted
/// before (this request created nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftSubmitted {
    pub case_id: CaseId,
    pub reference: CaseReference,
    pub already_submitted: bool,
}

/// The actor of a capability that may work on drafts at all (either submit operation).
fn draft_actor(capability: &Capability) -> Result<Actor, ServiceError> {
    match capability.operation() {
        Operation::SubmitReferral | Operation::SubmitDutyToNotify => Ok(capability.actor()),
        _ => Err(ServiceError::NotFound),
    }
}

fn corrupt(message: String) -> ServiceError {
    ServiceError::Store(StoreError::Corrupt(message))
}

fn summary(row: DraftRow) -> Result<DraftSummary, ServiceError> {
    let kind = DraftKind::parse(&row.kind)
        .ok_or_else(|| corrupt(format!("draft {} has an unknown kind", row.id)))?;
    let submitted = match row.submitted {
        Some(s) => Some(SubmittedDraft {
            case_id: s.case_id,
            reference: CaseReference::from_str(&s.reference).map_err(|_| {
                corrupt(format!("draft {} has an unreadable case reference", row.id))
            })?,
            submitted_at: s.submitted_at,
            status: s
                .status
                .as_deref()
                .and_then(nrm_domain::case::CaseStatus::parse),
        }),
        None => None,
    };
    Ok(DraftSummary {
        id: DraftId(row.id),
        kind,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        submitted,
    })
}

impl<'a> Drafts<'a> {
    pub(crate) fn new(cases: &'a Cases) -> Self {
        Self { cases }
    }

    /// Starts an empty draft (answers `{}`, version 1) for the capability's holder.
    pub async fn start_draft(
        self,
        capability: &Capability,
        kind: DraftKind,
        now: DateTime<Utc>,
    ) -> Result<Draft, ServiceError> {
        if capability.operation() != kind.operation() {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let id = DraftId(nrm_domain::ids::time_ordered());
        let answers = serde_json::Value::Object(serde_json::Map::new());
        self.cases
            .store()
            .create_draft(id.0, actor, kind.code(), &answers, now)
            .await?;
        tracing::debug!(draft_id = %id, kind = kind.code(), "draft started");
        Ok(Draft {
            summary: DraftSummary {
                id,
                kind,
                version: 1,
                created_at: now,
                updated_at: now,
                submitted: None,
            },
            answers,
        })
    }

    /// The caller's draft `id`, if it is theirs and of a kind the capability covers. Reading
    /// its answers (personal data) is audited, with the draft as subject.
    pub async fn draft(
        self,
        capability: &Capability,
        id: DraftId,
        now: DateTime<Utc>,
    ) -> Result<Draft, ServiceError> {
        let actor = draft_actor(capability)?;
        let stored = self
            .cases
            .store()
            .draft(id.0, actor)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let found = summary(stored.row)?;
        if capability.operation() != found.kind.operation() {
            return Err(ServiceError::NotFound);
        }
        self.cases
            .audit_about(
                actor,
                "draft.read",
                Some(format!("draft:{id}")),
                &Ok::<(), ServiceError>(()),
                now,
            )
            .await?;
        Ok(Draft {
            summary: found,
            answers: stored.answers,
        })
    }

    /// The caller's own draft row, checked against the capability (anything else: not found).
    async fn own_draft(
        &self,
        capability: &Capability,
        id: DraftId,
    ) -> Result<(Actor, DraftSummary), ServiceError> {
        let actor = draft_actor(capability)?;
        let row = self
            .cases
            .store()
            .draft_row(id.0, actor)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let found = summary(row)?;
        if capability.operation() != found.kind.operation() {
            return Err(ServiceError::NotFound);
        }
        Ok((actor, found))
    }

    /// Why a write to a draft found it submitted (read again after the store refused it).
    async fn submitted_refusal(&self, id: DraftId, actor: Actor) -> ServiceError {
        match self.cases.store().draft_row(id.0, actor).await {
            Ok(None) => ServiceError::NotFound,
            Ok(Some(row)) => match summary(row) {
                Ok(DraftSummary {
                    submitted: Some(s), ..
                }) => ServiceError::DraftSubmitted {
                    reference: s.reference,
                },
                Ok(_) => corrupt(format!("draft {id} was refused as submitted but is not")),
                Err(e) => e,
            },
            Err(e) => e.into(),
        }
    }

    /// Replaces the draft's answers if it is still at `expected_version`; returns the new
    /// version. A stale version is [`ServiceError::Conflict`] with the current one; a
    /// submitted draft is [`ServiceError::DraftSubmitted`].
    pub async fn save_draft(
        self,
        capability: &Capability,
        id: DraftId,
        expected_version: u64,
        answers: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let (actor, current) = self.own_draft(capability, id).await?;
        if let Some(s) = current.submitted {
            return Err(ServiceError::DraftSubmitted {
                reference: s.reference,
            });
        }
        let size = serde_json::to_vec(answers).map_or(usize::MAX, |v| v.len());
        if size > MAX_DRAFT_BYTES {
            return Err(DomainError::refused(
                "draft-too-large",
                "The answers are too large to save",
            )
            .into());
        }
        match self
            .cases
            .store()
            .save_draft(id.0, actor, expected_version, answers, now)
            .await
        {
            Ok(version) => {
                tracing::debug!(draft_id = %id, version, "draft saved");
                Ok(version)
            }
            Err(StoreError::DraftAlreadySubmitted) => Err(self.submitted_refusal(id, actor).await),
            Err(e) => Err(e.into()),
        }
    }

    /// The caller's drafts of every kind, most recently updated first; a submitted one carries
    /// its case's reference and current status.
    pub async fn drafts(self, capability: &Capability) -> Result<Vec<DraftSummary>, ServiceError> {
        let actor = draft_actor(capability)?;
        self.cases
            .store()
            .drafts(actor)
            .await?
            .into_iter()
            .map(summary)
            .collect()
    }

    /// Submits the draft as `submission` (which the caller built from its answers). The normal
    /// submission path runs (designation check, audit entry) and the draft is marked submitted
    /// in the same transaction as the case's creation. A draft submitted before, including by a
    /// concurrent request, is answered with its case and `already_submitted`, and nothing new
    /// is created.
    pub async fn submit_draft(
        self,
        capability: &Capability,
        id: DraftId,
        submission: Submission,
        now: DateTime<Utc>,
    ) -> Result<DraftSubmitted, ServiceError> {
        let actor = draft_actor(capability)?;
        let result = self
            .submit_draft_unaudited(capability, id, submission, now)
            .await;
        self.cases
            .audit_failure(actor, "case.submit", None, &result, now)
            .await?;
        result
    }

    async fn submit_draft_unaudited(
        &self,
        capability: &Capability,
        id: DraftId,
        submission: Submission,
        now: DateTime<Utc>,
    ) -> Result<DraftSubmitted, ServiceError> {
        let (actor, current) = self.own_draft(capability, id).await?;
        if let Some(s) = current.submitted {
            return self.already_submitted(actor, s, now).await;
        }
        if !current.kind.matches(&submission) {
            return Err(DomainError::refused(
                "draft-kind-mismatch",
                "The submission is not the kind of referral the draft was started for",
            )
            .into());
        }
        let nations = self.cases.check_submitter(actor, &submission, now).await?;
        let claim = DraftClaim {
            draft_id: id.0,
            owner: actor,
        };
        match self
            .cases
            .submit_unaudited(actor, submission, nations, Some(claim), now)
            .await
        {
            Ok(submitted) => {
                tracing::debug!(draft_id = %id, case_id = %submitted.case_id, "draft submitted");
                Ok(DraftSubmitted {
                    case_id: submitted.case_id,
                    reference: submitted.reference,
                    already_submitted: false,
                })
            }
            // Someone submitted it between our read and our append (a double click): the
            // append was rolled back whole; answer with their case.
            Err(ServiceError::Store(StoreError::DraftAlreadySubmitted)) => {
                let row = self
                    .cases
                    .store()
                    .draft_row(id.0, actor)
                    .await?
                    .ok_or(ServiceError::NotFound)?;
                match summary(row)?.submitted {
                    Some(s) => self.already_submitted(actor, s, now).await,
                    None => Err(corrupt(format!(
                        "draft {id} could not be claimed but is not submitted"
                    ))),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Answers a repeated submission with the draft's case, recording in the audit log that
    /// its reference was given out again.
    async fn already_submitted(
        &self,
        actor: Actor,
        submitted: SubmittedDraft,
        now: DateTime<Utc>,
    ) -> Result<DraftSubmitted, ServiceError> {
        let record = nrm_store::audit::AuditRecord {
            actor,
            action: "case.submit".to_owned(),
            case_id: Some(submitted.case_id),
            outcome: "already_submitted".to_owned(),
            subject: None,
        };
        self.cases
            .store()
            .audit(&record, now)
            .await
            .map_err(ServiceError::Store)?;
        Ok(DraftSubmitted {
            case_id: submitted.case_id,
            reference: submitted.reference,
            already_submitted: true,
        })
    }

    /// Deletes an unsubmitted draft. A submitted one is kept (it records which case it became)
    /// and refused with [`ServiceError::DraftSubmitted`].
    pub async fn discard_draft(
        self,
        capability: &Capability,
        id: DraftId,
    ) -> Result<(), ServiceError> {
        let (actor, current) = self.own_draft(capability, id).await?;
        if let Some(s) = current.submitted {
            return Err(ServiceError::DraftSubmitted {
                reference: s.reference,
            });
        }
        match self.cases.store().discard_draft(id.0, actor).await {
            Ok(()) => {
                tracing::debug!(draft_id = %id, "draft discarded");
                Ok(())
            }
            Err(StoreError::DraftAlreadySubmitted) => Err(self.submitted_refusal(id, actor).await),
            Err(e) => Err(e.into()),
        }
    }
}
