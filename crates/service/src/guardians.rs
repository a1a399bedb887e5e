//! Independent Child Trafficking Guardian use cases: the ICTG referral made when a child
//! referral is accepted in a covered area, allocation, the guardian's records (contacts,
//! professionals, advocacy), a reconsideration asked on the child's behalf, the daily age review
//! (turning 18), the consent-to-support answer and closure; the caseload and what is due.
//!
//! Every method takes a capability from the access policy's children module (checked again
//! here, fail closed) and writes its audit entry: a change in the transaction that makes it, a
//! read before the answer is returned. Words (contact notes, professionals' names and details,
//! advocacy details, missing-person references) go into the vault under the child's own
//! subject; no date of birth leaves the vault (the age review reads it there each time).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use nrm_access::children::{
    GuardianCapability, GuardianFacts, GuardianOperation, GuardianScope, GuardianServiceCapability,
    GuardianServiceOperation,
};
use nrm_access::{CaseCapability, CaseOperation, Role};
use nrm_domain::children::guardian::event::{
    AdvocacyKind, AdvocacyOutcome, ClosureReason, ContactKind, GuardianRole, ProfessionalRole,
};
use nrm_domain::children::guardian::{
    ChildrenRules, Due, GuardianCommand, GuardianEpisodeId, GuardianEvent, GuardianState, decide,
};
use nrm_domain::event::DecisionRef;
use nrm_domain::geography::PoliceForceArea;
use nrm_domain::ids::{CaseId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, VaultContent};
use nrm_domain::rules::Requester;
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, DomainError, FieldProblem};
use nrm_store::audit::AuditRecord;
use nrm_store::guardians::{
    GuardianAppend, GuardianEpisodeSummary, GuardianFilter, GuardianListScope, StoredGuardianEvent,
};
use nrm_store::{Store, StoreError, VaultWrite};
use uuid::Uuid;

use crate::{Action, Cases, ServiceError};

/// The longest text a guardian's note may hold.
pub const MAX_GUARDIAN_NOTE_CHARS: usize = 20_000;
/// The longest missing-person reference.
pub const MAX_MISSING_REFERENCE_CHARS: usize = 100;

/// What the intake needs from a child referral, taken before the submission is consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GuardianIntake {
    local_authority: Option<String>,
    police_force_areas: Vec<PoliceForceArea>,
}

impl GuardianIntake {
    /// The intake facts of a case already recorded (the ICTG referral catch-up): the local
    /// authority is known there only as the pilot site, so the police force areas of the
    /// exploitation carry the rest.
    pub(crate) fn of_case(event: &nrm_domain::event::ReferralSubmitted) -> Self {
        Self {
            local_authority: event.pilot_site.clone(),
            police_force_areas: event.exploitation.location.police_force_areas.clone(),
        }
    }

    /// Whether a guardian service covered the child's area on `on`: what the domain checks
    /// first when it decides the referral (refused `not-in-ictg-area` otherwise).
    pub(crate) fn covered(&self, rules: &ChildrenRules, on: NaiveDate) -> bool {
        rules
            .covering_area(
                self.local_authority.as_deref(),
                &self.police_force_areas,
                on,
            )
            .is_some()
    }
}

/// The intake facts of a child referral (`None` for adults and Duty to Notify reports).
pub(crate) fn intake_of(submission: &Submission) -> Option<GuardianIntake> {
    match submission {
        Submission::Child(child) => Some(GuardianIntake {
            local_authority: child.local_authority_area.clone(),
            police_force_areas: child.exploitation.location.police_force_areas.clone(),
        }),
        Submission::Adult(_) | Submission::DutyToNotify(_) => None,
    }
}

/// A child referral's ICTG referral, decided before its case is written
/// ([`Guardians::prepare_intake`]): written in the case's batch, or on its own after it.
#[derive(Debug)]
pub(crate) struct PreparedGuardian {
    pub(crate) episode: GuardianEpisodeId,
    events: Vec<GuardianEvent>,
    after: GuardianState,
    actor: Actor,
    audit: AuditRecord,
}

impl PreparedGuardian {
    /// The new episode's append, recorded at `now`.
    pub(crate) fn append(&self, now: DateTime<Utc>) -> GuardianAppend<'_> {
        GuardianAppend {
            episode_id: self.episode,
            expected_version: 0,
            events: &self.events,
            state_after: &self.after,
            actor: self.actor,
            recorded_at: now,
            vault_writes: &[],
            audit: &self.audit,
        }
    }
}

/// A change to an episode, as entered (text goes to the vault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardianAction {
    Allocate {
        worker: UserId,
        role: GuardianRole,
        parental_responsibility_in_uk: bool,
        exceptional_need: bool,
        on: NaiveDate,
    },
    RecordContact {
        kind: ContactKind,
        on: NaiveDate,
        notes: String,
    },
    AddProfessional {
        role: ProfessionalRole,
        /// Name, organisation and how to reach them.
        details: String,
        on: NaiveDate,
    },
    RemoveProfessional {
        professional: Uuid,
        on: NaiveDate,
    },
    StartAdvocacy {
        kind: AdvocacyKind,
        on: NaiveDate,
        details: String,
        review_on: NaiveDate,
    },
    ConcludeAdvocacy {
        action: Uuid,
        outcome: AdvocacyOutcome,
        on: NaiveDate,
        details: String,
    },
    AnswerConsentToSupport {
        on: NaiveDate,
        consents: bool,
    },
    Close {
        on: NaiveDate,
        reason: ClosureReason,
        missing_person_reference: Option<String>,
        details: Option<String>,
    },
}

impl GuardianAction {
    /// The operation the action needs.
    pub fn operation(&self) -> GuardianOperation {
        match self {
            Self::Allocate { .. } => GuardianOperation::Allocate,
            Self::Close { .. } => GuardianOperation::Close,
            _ => GuardianOperation::Record,
        }
    }

    /// The audit code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Allocate { .. } => "guardian.allocate",
            Self::RecordContact { .. } => "guardian.contact",
            Self::AddProfessional { .. } => "guardian.add_professional",
            Self::RemoveProfessional { .. } => "guardian.remove_professional",
            Self::StartAdvocacy { .. } => "guardian.start_advocacy",
            Self::ConcludeAdvocacy { .. } => "guardian.conclude_advocacy",
            Self::AnswerConsentToSupport { .. } => "guardian.consent_to_support",
            Self::Close { .. } => "guardian.close",
        }
    }
}

/// An episode as its reader sees it.
#[derive(Debug, Clone)]
pub struct GuardianView {
    pub summary: GuardianEpisodeSummary,
    pub state: GuardianState,
    pub due: Vec<Due>,
    pub events: Vec<StoredGuardianEvent>,
}

/// A guardian service worker who may be allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianWorker {
    pub id: UserId,
    pub email: String,
}

/// What one age review did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgeReviewReport {
    pub checked: usize,
    pub flagged: usize,
    pub turned_18: usize,
    /// Episodes whose child has no date of birth on record (nothing to review).
    pub no_date_of_birth: usize,
    /// Episodes closed because their post-18 support ended.
    pub post_18_ended: usize,
    /// Child cases whose person turned 18: moved to the adult route's rules.
    pub cases_turned_18: usize,
    /// Child cases given the ICTG referral they lacked (a failed intake, an import).
    pub ictg_referred: usize,
}

/// The guardian use cases.
#[derive(Debug, Clone)]
pub struct Guardians {
    store: Store,
    children_rules: ChildrenRules,
}

impl Cases {
    /// Independent Child Trafficking Guardians.
    pub fn guardians(&self) -> Guardians {
        Guardians::new(self.store().clone())
    }

    /// The daily age review, as the service itself (the periodic sweep and `nrm sweep`),
    /// authorised by the policy like anyone else.
    pub async fn review_guardian_ages(
        &self,
        now: DateTime<Utc>,
    ) -> Result<AgeReviewReport, ServiceError> {
        let capability = nrm_access::children::authorise_guardian_service(
            &nrm_access::Principal::system(),
            GuardianServiceOperation::ReviewAges,
        )
        .map_err(|_| ServiceError::NotFound)?;
        let actor = capability.actor();
        // The cases first (a child who turned 18 is no longer referred), then the referrals
        // the intake could not make, then the guardians' own episodes.
        let cases_turned_18 = self.review_case_ages(actor, now).await?;
        let ictg_referred = self.refer_missing_guardians(actor, now).await?;
        let mut report = self.guardians().review_ages(&capability, now).await?;
        report.cases_turned_18 = cases_turned_18;
        report.ictg_referred = ictg_referred;
        Ok(report)
    }
}

fn guardian_subject(episode: GuardianEpisodeId) -> String {
    format!("guardian_episode:{episode}")
}

fn text(value: &str, field: &str, max: usize) -> Result<DecisionReasons, ServiceError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(
            DomainError::Invalid(vec![FieldProblem::new(field, "Enter the details")]).into(),
        );
    }
    if trimmed.chars().count() > max {
        return Err(DomainError::Invalid(vec![FieldProblem::new(
            field,
            format!("Must be {max} characters or fewer"),
        )])
        .into());
    }
    Ok(DecisionReasons(trimmed.to_owned()))
}

/// The day someone born on `born` turns 18 (29 February birthdays on 1 March in common years,
/// as in England and Wales).
pub fn eighteenth_birthday(born: NaiveDate) -> NaiveDate {
    let year = born.year() + 18;
    NaiveDate::from_ymd_opt(year, born.month(), born.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .unwrap_or(born)
}

impl Guardians {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            children_rules: ChildrenRules::current(),
        }
    }

    pub fn rules(&self) -> &ChildrenRules {
        &self.children_rules
    }

    async fn audit<T>(
        &self,
        actor: Actor,
        action: &str,
        case_id: Option<CaseId>,
        subject: Option<String>,
        result: &Result<T, ServiceError>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        crate::write_audit(&self.store, actor, action, case_id, subject, result, now).await
    }

    /// After a child referral is accepted: makes its ICTG referral when the area is covered.
    /// The case is already committed, so a failure here does not undo it: it is audited
    /// (`guardian.refer`, outcome `error`) and logged without personal data, for the service
    /// manager to refer by hand.
    pub(crate) async fn after_child_referral(
        &self,
        actor: Actor,
        case_id: CaseId,
        intake: GuardianIntake,
        event: &nrm_domain::event::ReferralSubmitted,
        now: DateTime<Utc>,
    ) {
        let result = self
            .refer_on_intake(actor, case_id, intake, event, now)
            .await;
        if result.is_err() {
            tracing::warn!(case_id = %case_id, "the ICTG referral of a child referral failed");
            if self
                .audit(actor, "guardian.refer", Some(case_id), None, &result, now)
                .await
                .is_err()
            {
                tracing::error!(case_id = %case_id, "the failed ICTG referral could not be audited");
            }
        }
    }

    /// The ICTG referral for a child referral just accepted (from `Cases::submit`): made when
    /// the referral's area is covered on its date, under the submitter as actor. `Ok(None)`:
    /// not covered. Its own transaction, audited as `guardian.refer`.
    pub(crate) async fn refer_on_intake(
        &self,
        actor: Actor,
        case_id: CaseId,
        intake: GuardianIntake,
        event: &nrm_domain::event::ReferralSubmitted,
        now: DateTime<Utc>,
    ) -> Result<Option<GuardianEpisodeId>, ServiceError> {
        let Some(prepared) = self.prepare_intake(actor, case_id, intake, event, now)? else {
            return Ok(None);
        };
        self.store.append_guardian(prepared.append(now)).await?;
        Ok(Some(prepared.episode))
    }

    /// Decides the ICTG referral of a child referral about to be written (no reads: the
    /// referral itself and the dated pilot areas are all it needs), for `Cases::submit` to
    /// write in the case's own batch. `Ok(None)`: the area is not covered on its date.
    pub(crate) fn prepare_intake(
        &self,
        actor: Actor,
        case_id: CaseId,
        intake: GuardianIntake,
        event: &nrm_domain::event::ReferralSubmitted,
        now: DateTime<Utc>,
    ) -> Result<Option<PreparedGuardian>, ServiceError> {
        let command = GuardianCommand::Refer {
            case_id,
            case_reference: event.reference.to_string(),
            subject: event.subject,
            personal_details: event.personal_details,
            referred_on: event.referred_on,
            local_authority: intake.local_authority,
            police_force_areas: intake.police_force_areas,
        };
        let state = GuardianState::default();
        let events = match decide(&state, command, &self.children_rules, now) {
            Ok(events) => events,
            Err(DomainError::Refused {
                code: "not-in-ictg-area",
                ..
            }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let episode = GuardianEpisodeId(nrm_domain::ids::time_ordered());
        let mut after = state;
        for e in &events {
            after.evolve(e);
        }
        let audit = AuditRecord {
            actor,
            action: "guardian.refer".to_owned(),
            case_id: Some(case_id),
            outcome: "ok".to_owned(),
            subject: Some(guardian_subject(episode)),
        };
        Ok(Some(PreparedGuardian {
            episode,
            events,
            after,
            actor,
            audit,
        }))
    }

    /// The facts the access policy decides on for an episode.
    pub async fn facts(
        &self,
        episode: GuardianEpisodeId,
    ) -> Result<Option<GuardianFacts>, ServiceError> {
        Ok(self
            .store
            .guardian_summary(episode)
            .await?
            .map(|s| facts_of(&s)))
    }

    /// The guardian episode of the case with this reference.
    pub async fn find(&self, reference: &str) -> Result<Option<GuardianEpisodeId>, ServiceError> {
        Ok(self.store.guardian_episode_by_reference(reference).await?)
    }

    /// The guardian episode of a case, if the child has one.
    pub async fn episode_for_case(
        &self,
        case: CaseId,
    ) -> Result<Option<GuardianEpisodeId>, ServiceError> {
        Ok(self
            .store
            .guardian_episode_for_case(case)
            .await?
            .map(|s| s.episode_id))
    }

    /// For a reader of the case (its page): the day the child's guardian episode flagged the
    /// 18th birthday ahead, while it is still to come, if the child has an episode and it is
    /// flagged. Nothing else of the episode. Audited when there is an episode.
    pub async fn turning_18_for_case(
        &self,
        read: &CaseCapability,
        now: DateTime<Utc>,
    ) -> Result<Option<NaiveDate>, ServiceError> {
        if !read.permits(CaseOperation::Read) {
            return Err(ServiceError::NotFound);
        }
        let Some(summary) = self.store.guardian_episode_for_case(read.case_id()).await? else {
            return Ok(None);
        };
        let result = async {
            if !summary.turning_18_flagged {
                return Ok(None);
            }
            let (_, state) = self.load(summary.episode_id).await?;
            Ok(state
                .turning_18_flagged_on
                .filter(|_| state.turned_18_on.is_none()))
        }
        .await;
        self.audit(
            read.actor(),
            "guardian.read_turning_18",
            Some(read.case_id()),
            Some(guardian_subject(summary.episode_id)),
            &result,
            now,
        )
        .await?;
        result
    }

    /// The episodes in the caller's scope matching `filter`, soonest due first. Audited.
    pub async fn list(
        &self,
        capability: &GuardianServiceCapability,
        filter: GuardianFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<GuardianEpisodeSummary>, ServiceError> {
        if capability.operation() != GuardianServiceOperation::ListEpisodes {
            return Err(ServiceError::NotFound);
        }
        let scope = match capability.scope() {
            GuardianScope::Everything => GuardianListScope::Everything,
            GuardianScope::Worker(user) => GuardianListScope::Worker(*user),
            GuardianScope::Nothing => return Err(ServiceError::NotFound),
        };
        let result = self
            .store
            .list_guardian_episodes(scope, filter)
            .await
            .map_err(ServiceError::from);
        self.audit(
            capability.actor(),
            "guardian.list",
            None,
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// The guardian service's workers who may be allocated (the manager's own organisation's
    /// enabled accounts with the guardian role). Audited.
    pub async fn workers(
        &self,
        capability: &GuardianServiceCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<GuardianWorker>, ServiceError> {
        if capability.operation() != GuardianServiceOperation::ListWorkers {
            return Err(ServiceError::NotFound);
        }
        let organisation = capability.actor().organisation;
        let result = async {
            Ok(self
                .store
                .users()
                .await?
                .into_iter()
                .filter(|u| {
                    u.organisation == organisation
                        && !u.disabled
                        && u.roles.iter().any(|r| r == Role::Guardian.code())
                })
                .map(|u| GuardianWorker {
                    id: u.id,
                    email: u.email,
                })
                .collect())
        }
        .await;
        self.audit(
            capability.actor(),
            "guardian.list_workers",
            None,
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// One episode: state, what is due, the timeline (no words). Audited.
    pub async fn view(
        &self,
        read: &GuardianCapability,
        now: DateTime<Utc>,
    ) -> Result<GuardianView, ServiceError> {
        if !read.permits(GuardianOperation::Read) {
            return Err(ServiceError::NotFound);
        }
        let episode = read.episode();
        let result = async {
            let loaded = self
                .store
                .load_guardian_episode(episode)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let state = GuardianState::from_events(loaded.events.iter().map(|e| &e.event));
            Ok(GuardianView {
                due: state.due(),
                summary: loaded.summary,
                state,
                events: loaded.events,
            })
        }
        .await;
        let case_id = result.as_ref().ok().map(|v| v.summary.case_id);
        self.audit(
            read.actor(),
            "guardian.read",
            case_id,
            Some(guardian_subject(episode)),
            &result,
            now,
        )
        .await?;
        result
    }

    /// Every word recorded on the episode (contacts' notes, professionals' details, advocacy
    /// details and outcomes, a missing-person reference), by record. The allocated guardian
    /// only. Audited.
    pub async fn notes(
        &self,
        read: &GuardianCapability,
        now: DateTime<Utc>,
    ) -> Result<BTreeMap<VaultRecordId, String>, ServiceError> {
        if !read.permits(GuardianOperation::ReadNotes) {
            return Err(ServiceError::NotFound);
        }
        let episode = read.episode();
        let result = async {
            let loaded = self
                .store
                .load_guardian_episode(episode)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let subject = loaded.summary.subject;
            let mut out = BTreeMap::new();
            for record in loaded.events.iter().flat_map(|e| records_of(&e.event)) {
                out.insert(record, self.read_note(subject, record).await?);
            }
            Ok(out)
        }
        .await;
        self.audit(
            read.actor(),
            "guardian.read_notes",
            None,
            Some(guardian_subject(episode)),
            &result,
            now,
        )
        .await?;
        result
    }

    async fn read_note(
        &self,
        subject: SubjectId,
        record: VaultRecordId,
    ) -> Result<String, ServiceError> {
        match self.store.read_vault(subject, record).await? {
            VaultContent::GuardianNote { text } => Ok(text.0),
            _ => Err(ServiceError::Store(StoreError::Corrupt(
                "a guardian note is of another kind".to_owned(),
            ))),
        }
    }

    /// The version of the episode a capability names (the `If-Match` a form carries).
    pub async fn version(&self, capability: &GuardianCapability) -> Result<u64, ServiceError> {
        Ok(self
            .store
            .guardian_version(capability.episode())
            .await?
            .unwrap_or(0))
    }

    async fn load(
        &self,
        episode: GuardianEpisodeId,
    ) -> Result<(GuardianEpisodeSummary, GuardianState), ServiceError> {
        let loaded = self
            .store
            .load_guardian_episode(episode)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let state = GuardianState::from_events(loaded.events.iter().map(|e| &e.event));
        Ok((loaded.summary, state))
    }

    /// Makes a change. `expected_version` is the version the caller saw (from the page's form
    /// or the `If-Match`); without it the version loaded here is used. Audited in the change's
    /// own transaction, and a refusal on its own.
    pub async fn change(
        &self,
        capability: &GuardianCapability,
        expected_version: Option<u64>,
        action: GuardianAction,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        if !capability.permits(action.operation()) {
            return Err(ServiceError::NotFound);
        }
        let code = action.code();
        let episode = capability.episode();
        let actor = capability.actor();
        let result = self
            .change_unaudited(actor, episode, expected_version, action, now)
            .await;
        if result.is_err() {
            self.audit(
                actor,
                code,
                None,
                Some(guardian_subject(episode)),
                &result,
                now,
            )
            .await?;
        }
        result
    }

    async fn change_unaudited(
        &self,
        actor: Actor,
        episode: GuardianEpisodeId,
        expected_version: Option<u64>,
        action: GuardianAction,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let code = action.code();
        let (summary, state) = self.load(episode).await?;
        if let Some(expected) = expected_version
            && expected != summary.version
        {
            return Err(ServiceError::Conflict {
                actual: summary.version,
            });
        }
        let subject = summary.subject;
        let mut writes = Vec::new();
        let mut note =
            |value: &str, field: &str, max: usize| -> Result<VaultRecordId, ServiceError> {
                let text = text(value, field, max)?;
                let record = VaultRecordId(nrm_domain::ids::time_ordered());
                writes.push(VaultWrite {
                    record,
                    subject,
                    content: VaultContent::GuardianNote { text },
                });
                Ok(record)
            };
        let command = match action {
            GuardianAction::Allocate {
                worker,
                role,
                parental_responsibility_in_uk,
                exceptional_need,
                on,
            } => {
                self.check_worker(actor, worker).await?;
                GuardianCommand::Allocate {
                    worker,
                    role,
                    parental_responsibility_in_uk,
                    exceptional_need,
                    on,
                }
            }
            GuardianAction::RecordContact { kind, on, notes } => GuardianCommand::RecordContact {
                contact: Uuid::new_v4(),
                kind,
                on,
                notes: note(&notes, "/notes", MAX_GUARDIAN_NOTE_CHARS)?,
            },
            GuardianAction::AddProfessional { role, details, on } => {
                GuardianCommand::AddProfessional {
                    professional: Uuid::new_v4(),
                    role,
                    details: note(&details, "/details", MAX_GUARDIAN_NOTE_CHARS)?,
                    on,
                }
            }
            GuardianAction::RemoveProfessional { professional, on } => {
                GuardianCommand::RemoveProfessional { professional, on }
            }
            GuardianAction::StartAdvocacy {
                kind,
                on,
                details,
                review_on,
            } => GuardianCommand::StartAdvocacy {
                action: Uuid::new_v4(),
                kind,
                on,
                details: note(&details, "/details", MAX_GUARDIAN_NOTE_CHARS)?,
                review_on,
            },
            GuardianAction::ConcludeAdvocacy {
                action,
                outcome,
                on,
                details,
            } => GuardianCommand::ConcludeAdvocacy {
                action,
                outcome,
                on,
                details: note(&details, "/details", MAX_GUARDIAN_NOTE_CHARS)?,
            },
            GuardianAction::AnswerConsentToSupport { on, consents } => {
                GuardianCommand::AnswerConsentToSupport { on, consents }
            }
            GuardianAction::Close {
                on,
                reason,
                missing_person_reference,
                details,
            } => {
                let missing_person_reference = match missing_person_reference
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                {
                    Some(r) if reason == ClosureReason::LostContact => Some(note(
                        r,
                        "/missing_person_reference",
                        MAX_MISSING_REFERENCE_CHARS,
                    )?),
                    _ => None,
                };
                let details = match details.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                    Some(d) => Some(note(d, "/details", MAX_GUARDIAN_NOTE_CHARS)?),
                    None => None,
                };
                GuardianCommand::Close {
                    on,
                    reason,
                    missing_person_reference,
                    details,
                }
            }
        };
        self.append(actor, episode, &summary, state, command, writes, code, now)
            .await
    }

    /// Decides `command` on `state` and appends what it makes with `writes`, audited as `code`.
    #[allow(clippy::too_many_arguments)]
    async fn append(
        &self,
        actor: Actor,
        episode: GuardianEpisodeId,
        summary: &GuardianEpisodeSummary,
        state: GuardianState,
        command: GuardianCommand,
        writes: Vec<VaultWrite>,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let events = decide(&state, command, &self.children_rules, now)?;
        if events.is_empty() {
            return Ok(summary.version);
        }
        let mut after = state;
        for e in &events {
            after.evolve(e);
        }
        let audit = AuditRecord {
            actor,
            action: code.to_owned(),
            case_id: Some(summary.case_id),
            outcome: "ok".to_owned(),
            subject: Some(guardian_subject(episode)),
        };
        self.store
            .append_guardian(GuardianAppend {
                episode_id: episode,
                expected_version: summary.version,
                events: &events,
                state_after: &after,
                actor,
                recorded_at: now,
                vault_writes: &writes,
                audit: &audit,
            })
            .await
            .map_err(|e| match e {
                StoreError::VersionConflict { actual, .. } => ServiceError::Conflict { actual },
                other => ServiceError::Store(other),
            })
    }

    /// Refuses allocating anyone but an enabled guardian of the allocating manager's own
    /// guardian service.
    async fn check_worker(&self, actor: Actor, worker: UserId) -> Result<(), ServiceError> {
        let ok = self.store.user(worker).await?.is_some_and(|u| {
            u.organisation == actor.organisation
                && !u.disabled
                && u.roles.iter().any(|r| r == Role::Guardian.code())
        });
        if ok {
            Ok(())
        } else {
            Err(DomainError::Invalid(vec![FieldProblem::new(
                "/worker",
                "Choose a guardian of this service",
            )])
            .into())
        }
    }

    /// Asks for a negative decision on the child's case to be reconsidered on their behalf:
    /// the case's own rules decide the request (made as on the child's behalf, `potential
    /// victim`, under the reconsideration rules of the date), then the guardian's episode
    /// records it as an advocacy action with `grounds` in the vault. Both audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn request_reconsideration(
        &self,
        cases: &Cases,
        record: &GuardianCapability,
        request: &CaseCapability,
        expected_version: Option<u64>,
        decision: DecisionRef,
        on: NaiveDate,
        grounds: String,
        facing_removal: bool,
        review_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        if !record.permits(GuardianOperation::Record)
            || !request.permits(CaseOperation::RequestReconsideration)
        {
            return Err(ServiceError::NotFound);
        }
        let actor = record.actor();
        let episode = record.episode();
        let result = async {
            let (summary, state) = self.load(episode).await?;
            if summary.case_id != request.case_id() {
                return Err(ServiceError::NotFound);
            }
            if let Some(expected) = expected_version
                && expected != summary.version
            {
                return Err(ServiceError::Conflict {
                    actual: summary.version,
                });
            }
            let grounds = text(&grounds, "/grounds", MAX_GUARDIAN_NOTE_CHARS)?;
            // Check the guardian's side first, so the case is not changed for a request the
            // episode would refuse.
            let details = VaultRecordId(nrm_domain::ids::time_ordered());
            let command = GuardianCommand::RecordReconsiderationRequest {
                decision,
                action: Uuid::new_v4(),
                on,
                details,
                review_on,
            };
            decide(&state, command.clone(), &self.children_rules, now)?;
            cases
                .act(
                    request,
                    None,
                    Action::RequestReconsideration {
                        decision,
                        requested_on: on,
                        requested_by: Requester::PotentialVictim,
                        facing_removal,
                    },
                    now,
                )
                .await?;
            let writes = vec![VaultWrite {
                record: details,
                subject: summary.subject,
                content: VaultContent::GuardianNote { text: grounds },
            }];
            self.append(
                actor,
                episode,
                &summary,
                state,
                command,
                writes,
                "guardian.request_reconsideration",
                now,
            )
            .await
        }
        .await;
        if result.is_err() {
            self.audit(
                actor,
                "guardian.request_reconsideration",
                Some(request.case_id()),
                Some(guardian_subject(episode)),
                &result,
                now,
            )
            .await?;
        }
        result
    }

    /// The daily age review over every open episode: reads each child's date of birth from
    /// the vault, flags the 18th birthday ahead by the dated notice, and on it moves to post-18
    /// support or towards closure and offers the consent-to-support question. Each change is
    /// audited in its own transaction; the run once.
    pub async fn review_ages(
        &self,
        capability: &GuardianServiceCapability,
        now: DateTime<Utc>,
    ) -> Result<AgeReviewReport, ServiceError> {
        if capability.operation() != GuardianServiceOperation::ReviewAges {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let result = self.review_ages_unaudited(actor, now).await;
        self.audit(actor, "guardian.review_ages", None, None, &result, now)
            .await?;
        result
    }

    async fn review_ages_unaudited(
        &self,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<AgeReviewReport, ServiceError> {
        let mut report = AgeReviewReport::default();
        let mut after = None;
        loop {
            let page = self.store.open_guardian_episodes_after(after, 200).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.episode_id);
            for summary in page {
                report.checked += 1;
                let (summary, state) = self.load(summary.episode_id).await?;
                let Some(record) = state.personal_details else {
                    report.no_date_of_birth += 1;
                    continue;
                };
                let born = match self.store.read_vault(summary.subject, record).await? {
                    VaultContent::PersonalDetails(details) => details.date_of_birth,
                    _ => None,
                };
                let Some(born) = born else {
                    report.no_date_of_birth += 1;
                    continue;
                };
                let command = GuardianCommand::ReviewAge {
                    turns_18_on: eighteenth_birthday(born),
                };
                let events = decide(&state, command.clone(), &self.children_rules, now)?;
                if events.is_empty() {
                    continue;
                }
                if events.iter().any(|e| {
                    matches!(
                        e,
                        GuardianEvent::Closed {
                            reason: ClosureReason::Post18SupportEnded,
                            ..
                        }
                    )
                }) {
                    report.post_18_ended += 1;
                } else if events
                    .iter()
                    .any(|e| matches!(e, GuardianEvent::TurnedEighteen { .. }))
                {
                    report.turned_18 += 1;
                } else {
                    report.flagged += 1;
                }
                match self
                    .append(
                        actor,
                        summary.episode_id,
                        &summary,
                        state,
                        command,
                        Vec::new(),
                        "guardian.review_age",
                        now,
                    )
                    .await
                {
                    // Someone changed it meanwhile: the next run looks again.
                    Ok(_) | Err(ServiceError::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(report)
    }
}

fn facts_of(s: &GuardianEpisodeSummary) -> GuardianFacts {
    GuardianFacts {
        episode: s.episode_id,
        case_id: s.case_id,
        worker: s.worker,
        open: s.status != "closed",
    }
}

/// The vault records an event names.
fn records_of(event: &GuardianEvent) -> Vec<VaultRecordId> {
    use GuardianEvent as E;
    match event {
        E::ContactRecorded { notes, .. } => vec![*notes],
        E::ProfessionalAdded { details, .. }
        | E::AdvocacyStarted { details, .. }
        | E::AdvocacyConcluded { details, .. } => vec![*details],
        E::Closed {
            missing_person_reference,
            details,
            ..
        } => missing_person_reference
            .iter()
            .chain(details)
            .copied()
            .collect(),
        _ => Vec::new(),
    }
}
