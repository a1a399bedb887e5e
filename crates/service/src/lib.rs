//! Application services: load a case, ask the domain to decide, append what it decided.
//!
//! The JSON API, the pages, the CLI and the demo all call these functions, so a rule is never
//! enforced in one entry point and forgotten in another. Handlers hold no business logic. This
//! layer owns the things the pure domain must not do: reading the clock is still the caller's
//! job (every function takes `now`), but generating identifiers and random reference bits,
//! retrying a clashing reference, and mapping store errors happen here.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{
    Capability, CaseCapability, CaseFacts, CaseOperation, ListScope, Operation, Principal,
};
use nrm_domain::case::CaseState;
use nrm_domain::clock::uk_date;
use nrm_domain::command::{Command, Decision, Submit, decide};
use nrm_domain::event::{CaseEvent, NegativeReason, Outcome};
use nrm_domain::ids::{CaseId, SubjectId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, MAX_NARRATIVE_CHARS, PersonalDetails, VaultContent};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseReference, DomainError, FieldProblem, Rulebook};
use nrm_store::{
    Append, CaseSummary, LoadedCase, QueuePage, QueueQuery, Store, StoreError, VaultWrite,
};
use rand::Rng;

mod actions;
pub mod drafts;
pub mod identity;
mod import;
pub use actions::{Action, SweepReport};
pub use drafts::{Draft, DraftId, DraftKind, DraftSubmitted, DraftSummary, SubmittedDraft};
pub use import::{ImportReport, LegacyCase, Refusal};
use uuid::Uuid;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("no such case")]
    NotFound,
    #[error("the case has changed since it was read (now at version {actual})")]
    Conflict { actual: u64 },
    /// The saved draft has already been submitted as case `reference`; it can no longer be
    /// changed or discarded.
    #[error("the draft has already been submitted as {reference}")]
    DraftSubmitted { reference: CaseReference },
    /// Too many attempts at a password check recently; try again later.
    #[error("too many attempts; try again later")]
    Throttled,
    #[error(transparent)]
    Store(StoreError),
}

/// How an audit entry records a use case's outcome: `ok`, `not_found`, `refused:<code>`…
pub(crate) fn outcome_code<T>(result: &Result<T, ServiceError>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(ServiceError::Domain(e)) => format!("refused:{}", e.code()),
        Err(ServiceError::NotFound) => "not_found".to_owned(),
        Err(ServiceError::Conflict { .. }) => "conflict".to_owned(),
        Err(ServiceError::DraftSubmitted { .. }) => "already_submitted".to_owned(),
        Err(ServiceError::Throttled) => "refused:throttled".to_owned(),
        Err(ServiceError::Store(_)) => "error".to_owned(),
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::VersionConflict { actual, .. } => Self::Conflict { actual },
            other => Self::Store(other),
        }
    }
}

/// The result of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub case_id: CaseId,
    pub reference: CaseReference,
    pub version: u64,
}

/// A decision as entered, with its written reasons.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub outcome: Outcome,
    pub decided_on: NaiveDate,
    pub reasons: String,
    pub negative_reason: Option<NegativeReason>,
}

/// Which decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    ReasonableGrounds,
    ConclusiveGrounds,
}

/// A decision's written reasons, decrypted for the reader.
#[derive(Debug, Clone)]
pub struct ReasonsView {
    pub event_version: u64,
    pub reasons: DecisionReasons,
}

/// Everything about one case for someone entitled to see it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case_id: CaseId,
    pub version: u64,
    pub state: CaseState,
    pub summary: CaseSummary,
    pub events: Vec<nrm_store::StoredEvent>,
    pub personal_details: Option<PersonalDetails>,
    /// The personal details were read without the right to where the person lives and how
    /// to reach them: `current_address` and `contact` are left out (need to know).
    pub contact_details_withheld: bool,
    pub reasons: Vec<ReasonsView>,
}

/// The case use cases, over one store and one rulebook.
#[derive(Debug, Clone)]
pub struct Cases {
    store: Store,
    rules: Rulebook,
}

/// How many times a clashing case reference is regenerated before giving up. With 35 random
/// bits a clash is already rare; three in a row means something else is wrong.
const REFERENCE_ATTEMPTS: usize = 3;

impl Cases {
    pub fn new(store: Store, rules: Rulebook) -> Self {
        Self { store, rules }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn rules(&self) -> &Rulebook {
        &self.rules
    }

    /// Submits an adult referral, a child referral or a Duty to Notify report.
    pub async fn submit(
        &self,
        capability: &Capability,
        submission: Submission,
        now: DateTime<Utc>,
    ) -> Result<Submitted, ServiceError> {
        let actor = capability.actor();
        let needed = match submission {
            Submission::DutyToNotify(_) => Operation::SubmitDutyToNotify,
            Submission::Adult(_) | Submission::Child(_) => Operation::SubmitReferral,
        };
        if capability.operation() != needed {
            return Err(ServiceError::NotFound);
        }
        let result = match self.check_designation(actor, now).await {
            Ok(()) => self.submit_unaudited(actor, submission, None, now).await,
            Err(e) => Err(e),
        };
        self.audit_failure(actor, "case.submit", None, &result, now)
            .await?;
        result
    }

    /// Decides and appends a submission (after the caller's checks), retrying a clashing
    /// reference. `draft`, when given, is marked submitted in the same transaction.
    pub(crate) async fn submit_unaudited(
        &self,
        actor: Actor,
        submission: Submission,
        draft: Option<nrm_store::DraftClaim>,
        now: DateTime<Utc>,
    ) -> Result<Submitted, ServiceError> {
        let case_id = CaseId(Uuid::new_v4());
        let subject = SubjectId(Uuid::new_v4());
        let record = VaultRecordId(Uuid::new_v4());
        let personal = submission.personal_details().cloned();
        let mut command = Submit {
            submission,
            reference_random: 0,
            subject,
            personal_details: record,
            nations: Default::default(),
        };
        let mut last_error = None;
        for _ in 0..REFERENCE_ATTEMPTS {
            command.reference_random = rand::thread_rng().r#gen::<u64>();
            let wrapped = Command::Submit(Box::new(command.clone()));
            let events = decide(&CaseState::Empty, &wrapped, actor, &self.rules, now)?;
            let reference = match events.first() {
                Some(CaseEvent::ReferralSubmitted(e)) => e.reference.clone(),
                Some(CaseEvent::DutyToNotifyReported(e)) => e.reference.clone(),
                _ => {
                    return Err(ServiceError::Store(StoreError::Corrupt(
                        "submission produced no event".to_owned(),
                    )));
                }
            };
            let (subjects, writes) = match &personal {
                Some(details) => (
                    vec![subject],
                    vec![VaultWrite {
                        record,
                        subject,
                        content: VaultContent::PersonalDetails(details.clone()),
                    }],
                ),
                None => (Vec::new(), Vec::new()),
            };
            match self
                .store
                .append(Append {
                    case_id,
                    expected_version: 0,
                    reference: Some(&reference),
                    events: &events,
                    actor,
                    recorded_at: now,
                    new_subjects: &subjects,
                    vault_writes: &writes,
                    audit: Some(&nrm_store::audit::AuditRecord {
                        actor,
                        action: "case.submit".to_owned(),
                        case_id: Some(case_id),
                        outcome: "ok".to_owned(),
                        subject: None,
                    }),
                    draft,
                })
                .await
            {
                Ok(version) => {
                    tracing::debug!(case_id = %case_id, kind = events[0].kind(), "case submitted");
                    return Ok(Submitted {
                        case_id,
                        reference,
                        version,
                    });
                }
                Err(StoreError::DuplicateReference) => {
                    last_error = Some(StoreError::DuplicateReference)
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Store(
            last_error.unwrap_or(StoreError::DuplicateReference),
        ))
    }

    /// Records a Reasonable Grounds or Conclusive Grounds decision. `expected_version` is the
    /// version the decision maker saw (from the case's ETag); when absent, the version loaded
    /// here is used, so a concurrent change still fails rather than being overwritten.
    pub async fn decide(
        &self,
        capability: &CaseCapability,
        expected_version: Option<u64>,
        kind: DecisionKind,
        input: DecisionInput,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::Decide)?;
        let DecisionInput {
            outcome,
            decided_on,
            reasons,
            negative_reason,
        } = input;
        let action = match kind {
            DecisionKind::ReasonableGrounds => "decision.reasonable_grounds",
            DecisionKind::ConclusiveGrounds => "decision.conclusive_grounds",
        };
        let result = self
            .execute(
                actor,
                action,
                case_id,
                expected_version,
                Some(reasons),
                now,
                |record| {
                    let decision = Decision {
                        outcome,
                        decided_on,
                        reasons: record,
                        negative_reason,
                    };
                    match kind {
                        DecisionKind::ReasonableGrounds => {
                            Command::DecideReasonableGrounds(decision)
                        }
                        DecisionKind::ConclusiveGrounds => {
                            Command::DecideConclusiveGrounds(decision)
                        }
                    }
                },
            )
            .await;
        self.audit_failure(actor, action, Some(case_id), &result, now)
            .await?;
        result
    }

    /// Writes the audit entry for a change that failed (a successful change records its entry
    /// in its own transaction).
    pub(crate) async fn audit_failure<T>(
        &self,
        actor: Actor,
        action: &str,
        case_id: Option<CaseId>,
        result: &Result<T, ServiceError>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if result.is_ok() {
            return Ok(());
        }
        self.audit(actor, action, case_id, result, now).await
    }

    /// Writes the audit entry for a use case's outcome. Fails closed: if the entry cannot be
    /// written, the caller gets an error rather than an unaudited answer.
    pub(crate) async fn audit<T>(
        &self,
        actor: Actor,
        action: &str,
        case_id: Option<CaseId>,
        result: &Result<T, ServiceError>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let outcome = outcome_code(result);
        let record = nrm_store::audit::AuditRecord {
            actor,
            action: action.to_owned(),
            case_id,
            outcome,
            subject: None,
        };
        self.store
            .audit(&record, now)
            .await
            .map(|_| ())
            .map_err(ServiceError::Store)
    }

    /// Loads the case, builds the command (given the vault record id its written reasons will
    /// have, when it has any), decides and appends. Returns the new stream version.
    #[expect(clippy::too_many_arguments, reason = "the parts of one command")]
    pub(crate) async fn execute(
        &self,
        actor: Actor,
        action: &str,
        case_id: CaseId,
        expected_version: Option<u64>,
        reasons: Option<String>,
        now: DateTime<Utc>,
        build: impl FnOnce(VaultRecordId) -> Command,
    ) -> Result<u64, ServiceError> {
        let loaded = self
            .store
            .load(case_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(expected) = expected_version
            && expected != loaded.version
        {
            return Err(ServiceError::Conflict {
                actual: loaded.version,
            });
        }
        let mut problems = Vec::new();
        if let Some(text) = &reasons {
            if text.trim().is_empty() {
                problems.push(FieldProblem::new("/reasons", "Enter the reasons"));
            }
            nrm_domain::personal::too_long(text, MAX_NARRATIVE_CHARS, "/reasons", &mut problems);
        }
        let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
        let record = VaultRecordId(Uuid::new_v4());
        let command = build(record);
        let events = match decide(&state, &command, actor, &self.rules, now) {
            Ok(events) if problems.is_empty() => events,
            Ok(_) => return Err(DomainError::Invalid(problems).into()),
            Err(DomainError::Invalid(more)) => {
                problems.extend(more);
                return Err(DomainError::Invalid(problems).into());
            }
            // The field problems come first: fixing them is what the user can do now.
            Err(_) if !problems.is_empty() => return Err(DomainError::Invalid(problems).into()),
            Err(e) => return Err(e.into()),
        };
        if events.is_empty() {
            return Ok(loaded.version);
        }
        let writes = match (reasons, &state) {
            (Some(text), CaseState::Referral(r)) => vec![VaultWrite {
                record,
                subject: r.subject,
                content: VaultContent::DecisionReasons {
                    text: DecisionReasons(text),
                },
            }],
            _ => Vec::new(),
        };
        let version = self
            .store
            .append(Append {
                case_id,
                expected_version: loaded.version,
                reference: None,
                events: &events,
                actor,
                recorded_at: now,
                new_subjects: &[],
                vault_writes: &writes,
                audit: Some(&nrm_store::audit::AuditRecord {
                    actor,
                    action: action.to_owned(),
                    case_id: Some(case_id),
                    outcome: "ok".to_owned(),
                    subject: None,
                }),
                draft: None,
            })
            .await?;
        tracing::debug!(case_id = %case_id, events = events.len(), "command recorded");
        Ok(version)
    }

    /// One case with its timeline and decrypted personal data. The read is audited, and an
    /// audit failure refuses the read (fail closed).
    /// `personal` (a capability for the personal details of the same case) adds the decrypted
    /// personal details and written reasons; without it they are left out (analysts).
    /// `contact` (a capability for the contact details of the same case) adds the current
    /// address and safe contact to them; without it they are withheld (assurance panels).
    pub async fn view(
        &self,
        read: &CaseCapability,
        personal: Option<&CaseCapability>,
        contact: Option<&CaseCapability>,
        now: DateTime<Utc>,
    ) -> Result<CaseView, ServiceError> {
        let (actor, case_id) = allowed(read, CaseOperation::Read)?;
        let with_personal = match personal {
            Some(p) => allowed(p, CaseOperation::ReadPersonalDetails)?.1 == case_id,
            None => false,
        };
        let with_contact = with_personal
            && match contact {
                Some(c) => allowed(c, CaseOperation::ReadContactDetails)?.1 == case_id,
                None => false,
            };
        let result = self
            .view_unaudited(case_id, with_personal, now)
            .await
            .map(|mut view| {
                if !with_contact && let Some(details) = view.personal_details.as_mut() {
                    details.current_address = None;
                    details.contact = None;
                    view.contact_details_withheld = true;
                }
                view
            });
        let action = if with_personal {
            "case.read_personal"
        } else {
            "case.read"
        };
        self.audit(actor, action, Some(case_id), &result, now)
            .await?;
        result
    }

    async fn view_unaudited(
        &self,
        case_id: CaseId,
        with_personal: bool,
        now: DateTime<Utc>,
    ) -> Result<CaseView, ServiceError> {
        let loaded: LoadedCase = self
            .store
            .load(case_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let summary = self
            .store
            .summary(case_id, uk_date(now))
            .await?
            .ok_or(ServiceError::NotFound)?;
        let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
        let mut personal_details = None;
        let mut reasons = Vec::new();
        if let (CaseState::Referral(referral), true) = (&state, with_personal) {
            for stored in &loaded.events {
                match &stored.event {
                    CaseEvent::ReferralSubmitted(e) => {
                        if let VaultContent::PersonalDetails(d) = self
                            .store
                            .read_vault(referral.subject, e.personal_details)
                            .await?
                        {
                            personal_details = Some(d);
                        }
                    }
                    CaseEvent::ReasonableGroundsDecided(d)
                    | CaseEvent::ConclusiveGroundsDecided(d) => {
                        if let VaultContent::DecisionReasons { text } =
                            self.store.read_vault(referral.subject, d.reasons).await?
                        {
                            reasons.push(ReasonsView {
                                event_version: stored.version,
                                reasons: text,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(CaseView {
            case_id,
            version: loaded.version,
            state,
            summary,
            events: loaded.events,
            personal_details,
            contact_details_withheld: false,
            reasons,
        })
    }

    /// Finds a case by reference.
    pub async fn find(&self, reference: &CaseReference) -> Result<Option<CaseId>, ServiceError> {
        Ok(self.store.case_id_by_reference(reference).await?)
    }

    /// The work queue, limited to what `principal` may see. Listing is audited (no case id:
    /// it is a search).
    pub async fn queue(
        &self,
        capability: &Capability,
        principal: &Principal,
        query: &QueueQuery,
        now: DateTime<Utc>,
    ) -> Result<QueuePage, ServiceError> {
        if capability.operation() != Operation::ListCases || capability.actor() != principal.actor {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let result = match scoped(query, &nrm_access::list_scope(principal)) {
            Some(q) => self.store.queue(&q).await.map_err(ServiceError::from),
            None => Ok(QueuePage::empty(query.per_page)),
        };
        self.audit(actor, "case.search", None, &result, now).await?;
        result
    }

    /// A case's access history: every audit entry about it, oldest first.
    pub async fn access_history(
        &self,
        capability: &CaseCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<nrm_store::audit::AuditEntry>, ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::ReadAccessHistory)?;
        let result = self
            .store
            .audit_for_case(case_id)
            .await
            .map_err(ServiceError::from);
        self.audit(actor, "case.access_history", Some(case_id), &result, now)
            .await?;
        result
    }

    /// A registered First Responder Organisation may submit only while its designation is in
    /// force (designations are dated: they start and can end). Organisations not in the
    /// registry (development sign-in) are not checked.
    async fn check_designation(
        &self,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let Some(org) = self.store.organisation(actor.organisation).await? else {
            return Ok(());
        };
        if org.kind != nrm_access::OrganisationKind::FirstResponderOrganisation.code() {
            return Ok(());
        }
        let today = uk_date(now);
        let started = org.designated_from.is_some_and(|from| from <= today);
        let ended = org.designated_to.is_some_and(|to| to < today);
        if !started || ended {
            let when = match (org.designated_from, org.designated_to) {
                (Some(from), _) if from > today => format!("its designation starts on {from}"),
                (_, Some(to)) if to < today => format!("its designation ended on {to}"),
                _ => "it has no designation".to_owned(),
            };
            return Err(DomainError::refused(
                "not-designated",
                format!("Your organisation cannot make referrals on {today}: {when} as a First Responder Organisation"),
            )
            .into());
        }
        Ok(())
    }

    /// Records that the access policy refused `actor` (the audit log holds every denial).
    pub async fn record_denial(
        &self,
        actor: Actor,
        action: &str,
        case_id: Option<CaseId>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let record = nrm_store::audit::AuditRecord {
            actor,
            action: action.to_owned(),
            case_id,
            outcome: "denied".to_owned(),
            subject: None,
        };
        self.store
            .audit(&record, now)
            .await
            .map(|_| ())
            .map_err(ServiceError::Store)
    }

    /// The facts the access policy decides on, from the case's summary.
    pub async fn case_facts(
        &self,
        case_id: CaseId,
        today: NaiveDate,
    ) -> Result<Option<CaseFacts>, ServiceError> {
        let Some(summary) = self.store.summary(case_id, today).await? else {
            return Ok(None);
        };
        Ok(Some(CaseFacts {
            case_id,
            referring_organisation: summary.referring_organisation,
            duty_to_notify: summary.status == nrm_domain::case::CaseStatus::DutyToNotify.as_str(),
            competent_authority: summary
                .competent_authority
                .as_deref()
                .and_then(nrm_domain::event::CompetentAuthority::parse),
            pilot_site: summary.pilot_site.clone(),
            age_group: match summary.age_group.as_deref() {
                Some("child") => Some(nrm_domain::submission::AgeGroup::Child),
                Some("adult") => Some(nrm_domain::submission::AgeGroup::Adult),
                _ => None,
            },
            allocated_to: summary.allocated_to,
            review_pending: summary.review_pending,
            referred_by: summary.referring_user,
        }))
    }
}

/// The actor and case of a capability, if it covers `operation` (checked again here so a
/// capability for one thing can never be used for another: fail closed, as "not found").
pub(crate) fn allowed(
    capability: &CaseCapability,
    operation: CaseOperation,
) -> Result<(Actor, CaseId), ServiceError> {
    if capability.permits(operation) {
        Ok((capability.actor(), capability.case_id()))
    } else {
        Err(ServiceError::NotFound)
    }
}

/// `query` narrowed to `scope`, or `None` when nothing in scope can match.
fn scoped(query: &QueueQuery, scope: &ListScope) -> Option<QueueQuery> {
    let mut q = query.clone();
    match scope {
        ListScope::Everything => {}
        ListScope::Nothing => return None,
        ListScope::ReferredBy(org) => {
            if q.referring_organisation.is_some_and(|o| o != *org) {
                return None;
            }
            q.referring_organisation = Some(*org);
        }
        ListScope::CompetentAuthority {
            authority,
            allocated_to,
        } => {
            if q.competent_authority.is_some_and(|a| a != *authority) {
                return None;
            }
            q.competent_authority = Some(*authority);
            if let Some(user) = allocated_to {
                if q.allocated_to.is_some_and(|u| u != *user) {
                    return None;
                }
                q.allocated_to = Some(*user);
            }
        }
        ListScope::PilotPanel(site) => {
            q.competent_authority =
                Some(nrm_domain::event::CompetentAuthority::LocalAuthorityPanel);
            q.pilot_site = Some(site.clone());
        }
        ListScope::AwaitingReview => q.review_pending = Some(true),
    }
    Some(q)
}
