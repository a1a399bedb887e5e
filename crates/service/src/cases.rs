//! The case use cases: submit, decide, read, list, and the reads around them (notices,
//! deadlines, access history). Lifecycle actions and the sweep are in `actions.rs`.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{
    Capability, CaseCapability, CaseFacts, CaseOperation, ListScope, Operation, Principal,
};
use nrm_domain::case::CaseState;
use nrm_domain::clock::uk_date;
use nrm_domain::command::{Command, Decision, Submit, decide};
use nrm_domain::event::{CaseEvent, NegativeReason, Outcome};
use nrm_domain::ids::{CaseId, SubjectId, VaultRecordId};
use nrm_domain::person::recovery::AdditionalRecoveryCommand;
use nrm_domain::personal::{DecisionReasons, MAX_NARRATIVE_CHARS, PersonalDetails, VaultContent};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseReference, DomainError, FieldProblem, Rulebook};
use nrm_store::{
    Append, CaseSummary, LoadedCase, QueuePage, QueueQuery, Store, StoreError, VaultWrite,
};
use rand::Rng;

use crate::{ServiceError, outcome_code};

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
    /// The case's open deadlines, soonest first.
    pub deadlines: Vec<Deadline>,
    /// Who recorded the case's events, by user id (staff accounts, API clients, the service).
    pub actors: std::collections::BTreeMap<nrm_domain::ids::UserId, ActorName>,
}

/// Who did something on a case, as the timeline shows it: never the person referred, only
/// staff, organisations and the service itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorName {
    /// The account's email address, when the actor is an account.
    pub account: Option<String>,
    /// The actor's organisation's name, when it is registered.
    pub organisation: Option<String>,
    /// The actor is the service itself (the deadline sweep, an import).
    pub system: bool,
}

/// One caseworker's load: open cases allocated to them, and how many of those have an
/// overdue deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseworkerLoad {
    pub id: nrm_domain::ids::UserId,
    pub email: String,
    pub open: u64,
    pub overdue: u64,
}

/// A competent authority team as its manager sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Open cases allocated to nobody (counted up to the queue's count limit).
    pub unallocated: u64,
    pub unallocated_capped: bool,
    pub caseworkers: Vec<CaseworkerLoad>,
}

/// The statuses of cases still waiting for a decision.
pub const OPEN_STATUSES: [nrm_domain::case::CaseStatus; 2] = [
    nrm_domain::case::CaseStatus::AwaitingReasonableGrounds,
    nrm_domain::case::CaseStatus::AwaitingConclusiveGrounds,
];

/// A caseworker a case can be allocated to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caseworker {
    pub id: nrm_domain::ids::UserId,
    pub email: String,
}

/// An open deadline of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// Which deadline (`reasonable_grounds`, `information:<id>`…).
    pub key: String,
    pub due_on: NaiveDate,
    /// How the sweep last judged it (`on_track`, `due_soon`, `overdue`).
    pub status: String,
}

/// A decision notice for a served decision, addressed by role (names are merged in only when
/// it is sent), with the stream version of the service that produced it.
#[derive(Debug, Clone)]
pub struct NoticeView {
    pub served_version: u64,
    pub served_on: NaiveDate,
    pub notice: nrm_domain::notice::Notice,
}

/// The case use cases, over one store and one rulebook.
#[derive(Debug, Clone)]
pub struct Cases {
    store: Store,
    rules: Rulebook,
    /// What this process's periodic jobs have done (`operations.rs`), shared by every clone.
    jobs: std::sync::Arc<crate::operations::JobCounters>,
}

/// How many times a clashing case reference is regenerated before giving up. With 35 random
/// bits a clash is already rare; three in a row means something else is wrong.
const REFERENCE_ATTEMPTS: usize = 3;

impl Cases {
    pub fn new(store: Store, rules: Rulebook) -> Self {
        Self {
            store,
            rules,
            jobs: std::sync::Arc::default(),
        }
    }

    pub(crate) fn job_counters(&self) -> &crate::operations::JobCounters {
        &self.jobs
    }

    /// The store, for this crate's services only: nothing outside them reaches it.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Saved referral drafts.
    pub fn drafts(&self) -> crate::Drafts<'_> {
        crate::Drafts::new(self)
    }

    /// Sign-in, sessions and the principals behind sessions and API tokens.
    pub fn identity(&self) -> crate::Identity<'_> {
        crate::Identity::new(self)
    }

    /// Organisations, accounts and API tokens.
    pub fn administration(&self) -> crate::Administration<'_> {
        crate::Administration::new(self)
    }

    /// Victim support: episodes, safeguarding, accommodation and payments.
    pub fn support(&self) -> crate::Support {
        crate::Support::new(self.store.clone(), self.rules.clone())
    }

    /// Whether the database answers (the `/ready` probe; reads nothing).
    pub async fn ready(&self) -> Result<(), ServiceError> {
        self.store.ping().await.map_err(ServiceError::Store)
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
        let result = match self.check_submitter(actor, &submission, now).await {
            Ok(nations) => {
                self.submit_unaudited(actor, submission, nations, None, now)
                    .await
            }
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
        nations: nrm_domain::command::Nations,
        draft: Option<nrm_store::DraftClaim>,
        now: DateTime<Utc>,
    ) -> Result<Submitted, ServiceError> {
        let case_id = CaseId(nrm_domain::ids::time_ordered());
        let subject = SubjectId(nrm_domain::ids::time_ordered());
        let record = VaultRecordId(nrm_domain::ids::time_ordered());
        let personal = submission.personal_details().cloned();
        let mut guardian_intake = crate::guardians::intake_of(&submission);
        let support_intake =
            matches!(&submission, Submission::Adult(a) if a.consent.support_consent);
        let mut command = Submit {
            submission,
            reference_random: 0,
            subject,
            personal_details: record,
            nations,
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
            // Person linkage (issue 14) of an adult or child referral (a Duty to Notify
            // report is anonymous), decided before the append so that it is written in the
            // case's own batch: one durable commit for both.
            let submitted = match (&personal, events.first()) {
                (Some(details), Some(CaseEvent::ReferralSubmitted(e))) => Some((details, e)),
                _ => None,
            };
            let link = match submitted {
                Some((details, e)) => self.prepare_intake_link(case_id, e, details).await,
                None => None,
            };
            let append = Append {
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
            };
            // Victim support (issue 12): an adult who consents is referred at once, the episode
            // decided now and written in the case's batch too. Failing to decide it leaves it
            // to be made after the append.
            let (episode, mut support_later) = if support_intake {
                match self
                    .support()
                    .prepare_intake(actor, case_id, &events, now)
                    .await
                {
                    Ok(episode) => (episode, false),
                    Err(e) => {
                        tracing::warn!(case_id = %case_id, error = %e, "deciding the support referral of a new referral failed; making it after its append");
                        (None, true)
                    }
                }
            } else {
                (None, false)
            };
            // A child's ICTG referral (issue 11) where the pilot covers the referral's area:
            // decided now from the referral alone and written in the case's batch too.
            let (guardian, mut guardian_later) = match (&guardian_intake, events.first()) {
                (Some(intake), Some(CaseEvent::ReferralSubmitted(e))) => {
                    match self
                        .guardians()
                        .prepare_intake(actor, case_id, intake.clone(), e, now)
                    {
                        Ok(prepared) => (prepared, false),
                        Err(e) => {
                            tracing::warn!(case_id = %case_id, error = %e, "deciding the ICTG referral of a new child referral failed; making it after its append");
                            (None, true)
                        }
                    }
                }
                _ => (None, false),
            };
            let appended = self
                .store
                .append_intake(
                    append,
                    nrm_store::intake::IntakeWrites {
                        link: link.as_ref().map(|l| l.write(now)),
                        support: episode.as_ref().map(|e| e.append(now)),
                        guardian: guardian.as_ref().map(|g| g.append(now)),
                    },
                )
                .await
                .map(|written| {
                    support_later |= matches!(written.support, Some(Err(_)));
                    guardian_later |= matches!(written.guardian, Some(Err(_)));
                    (written.version, matches!(written.link, Some(Ok(()))))
                });
            match appended {
                Ok((version, linked)) => {
                    tracing::debug!(case_id = %case_id, kind = events[0].kind(), "case submitted");
                    // An ICTG referral not written with the case (it could not be decided, or
                    // failed in the batch) is made now, on its own.
                    if let (true, Some(intake), Some(CaseEvent::ReferralSubmitted(e))) =
                        (guardian_later, guardian_intake.take(), events.first())
                    {
                        self.guardians()
                            .after_child_referral(actor, case_id, intake, e, now)
                            .await;
                    }
                    // A support episode or a linkage not written with the case (it could not
                    // be decided, or was refused: an episode reference taken, a person
                    // another intake changed meanwhile) is made now. The two touch different
                    // streams, so they run side by side; neither fails the committed
                    // submission.
                    let support = async {
                        if support_later {
                            self.support()
                                .after_referral(actor, case_id, &events, now)
                                .await;
                        }
                    };
                    let linkage = async {
                        if let (Some((details, e)), false) = (submitted, linked) {
                            self.link_submitted(case_id, e, details.clone(), now).await;
                        }
                    };
                    tokio::join!(support, linkage);
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
        // A devolved pilot panel decides at its meetings (`Cases::record_panel_decision`),
        // where its composition, papers and attendance are checked: never by one person here.
        if let Some(facts) = self.case_facts(case_id, uk_date(now)).await?
            && facts.competent_authority
                == Some(nrm_domain::event::CompetentAuthority::LocalAuthorityPanel)
        {
            let result = Err(DomainError::refused(
                "pilot-decision-at-panel",
                "A devolved pilot panel's decision is recorded at its meeting, with who attended: use \"Record the panel's decision\"",
            )
            .into());
            self.audit_failure(actor, action, Some(case_id), &result, now)
                .await?;
            return result;
        }
        // A person referred again: the domain applies s62 to their earlier positive RGs.
        let earlier = match kind {
            DecisionKind::ReasonableGrounds => {
                self.persons()
                    .earlier_positive_rgs(case_id, uk_date(now))
                    .await?
            }
            DecisionKind::ConclusiveGrounds => Vec::new(),
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
                        DecisionKind::ReasonableGrounds if !earlier.is_empty() => {
                            Command::AdditionalRecovery(
                                AdditionalRecoveryCommand::DecideReasonableGrounds {
                                    decision,
                                    earlier,
                                },
                            )
                        }
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
        crate::write_audit(&self.store, actor, action, case_id, None, result, now).await
    }

    /// Writes the audit entry for an administrative action (or a read) on `subject`, a
    /// non-case thing such as `user:<uuid>`. Fails closed like `Cases::audit`.
    pub(crate) async fn audit_about<T>(
        &self,
        actor: Actor,
        action: &str,
        subject: Option<String>,
        result: &Result<T, ServiceError>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        crate::write_audit(&self.store, actor, action, None, subject, result, now).await
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
        let record = VaultRecordId(nrm_domain::ids::time_ordered());
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
        if events.iter().any(crate::support::reaches_support) {
            self.support().after_case_change(actor, case_id, now).await;
        }
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
        let deadlines = self
            .store
            .deadlines(case_id)
            .await?
            .into_iter()
            .map(|(key, due_on, status)| Deadline {
                key,
                due_on,
                status,
            })
            .collect();
        let mut actors = std::collections::BTreeMap::new();
        for stored in &loaded.events {
            let actor = stored.actor;
            if actors.contains_key(&actor.user) {
                continue;
            }
            let name = if actor == Actor::SYSTEM {
                ActorName {
                    account: None,
                    organisation: None,
                    system: true,
                }
            } else {
                ActorName {
                    account: self.store.user(actor.user).await?.map(|u| u.email),
                    organisation: self
                        .store
                        .organisation(actor.organisation)
                        .await?
                        .map(|o| o.name),
                    system: false,
                }
            };
            actors.insert(actor.user, name);
        }
        let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
        let mut personal_details = None;
        let mut reasons = Vec::new();
        if let (CaseState::Referral(referral), true) = (&state, with_personal) {
            for stored in &loaded.events {
                match &stored.event {
                    CaseEvent::ReferralSubmitted(e) => {
                        // Erased at the end of retention: the case is shown without them.
                        if let Some(VaultContent::PersonalDetails(d)) = unless_erased(
                            self.store
                                .read_vault(referral.subject, e.personal_details)
                                .await,
                        )? {
                            personal_details = Some(d);
                        }
                    }
                    CaseEvent::ReasonableGroundsDecided(d)
                    | CaseEvent::ConclusiveGroundsDecided(d) => {
                        if let Some(VaultContent::DecisionReasons { text }) =
                            unless_erased(self.store.read_vault(referral.subject, d.reasons).await)?
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
            deadlines,
            actors,
        })
    }

    /// The caseworkers of the allocating manager's organisation who can take the case: active
    /// decision makers. Audited (`case.caseworkers`).
    pub async fn caseworkers(
        &self,
        capability: &CaseCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<Caseworker>, ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::Allocate)?;
        let result = self
            .store
            .users()
            .await
            .map_err(ServiceError::from)
            .map(|users| {
                users
                    .into_iter()
                    .filter(|u| {
                        u.organisation == actor.organisation
                            && !u.disabled
                            && u.roles.iter().any(|r| {
                                nrm_access::Role::parse(r) == Some(nrm_access::Role::DecisionMaker)
                            })
                    })
                    .map(|u| Caseworker {
                        id: u.id,
                        email: u.email,
                    })
                    .collect()
            });
        self.audit(actor, "case.caseworkers", Some(case_id), &result, now)
            .await?;
        result
    }

    /// The notices of every served decision on the case, oldest first. Audited
    /// (`case.read_notices`); an audit failure refuses the read.
    pub async fn notices(
        &self,
        capability: &CaseCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<NoticeView>, ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::ReadNotices)?;
        let result = self.notices_unaudited(case_id).await;
        self.audit(actor, "case.read_notices", Some(case_id), &result, now)
            .await?;
        result
    }

    async fn notices_unaudited(&self, case_id: CaseId) -> Result<Vec<NoticeView>, ServiceError> {
        let loaded = self
            .store
            .load(case_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let mut out = Vec::new();
        let mut so_far = CaseState::Empty;
        for stored in &loaded.events {
            so_far = so_far.evolve(&stored.event);
            if let (
                CaseEvent::DecisionServed {
                    decision,
                    served_on,
                    recipients,
                },
                CaseState::Referral(r),
            ) = (&stored.event, &so_far)
                && let Some(record) = r.decision(*decision)
            {
                out.extend(
                    nrm_domain::notice::notices(
                        r,
                        *decision,
                        record.outcome,
                        record.decided_on,
                        *served_on,
                        recipients,
                        &self.rules,
                    )
                    .into_iter()
                    .map(|notice| NoticeView {
                        served_version: stored.version,
                        served_on: *served_on,
                        notice,
                    }),
                );
            }
        }
        Ok(out)
    }

    /// The case's summary after a change the caller just made with `capability` (the change
    /// wrote its own audit entry; this reads back its status for the answer).
    pub async fn summary_after_change(
        &self,
        capability: &CaseCapability,
        now: DateTime<Utc>,
    ) -> Result<CaseSummary, ServiceError> {
        if matches!(
            capability.operation(),
            CaseOperation::Read
                | CaseOperation::ReadPersonalDetails
                | CaseOperation::ReadContactDetails
                | CaseOperation::ReadAccessHistory
                | CaseOperation::ReadNotices
        ) {
            return Err(ServiceError::NotFound);
        }
        self.store
            .summary(capability.case_id(), uk_date(now))
            .await?
            .ok_or(ServiceError::NotFound)
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

    /// The audit subject of a search: `term:` and a keyed hash of the normalised terms, never
    /// the terms themselves.
    pub(crate) fn search_term_subject(&self, term: &str) -> String {
        let hashed = self.store.master_key().lookup_hash("search-term", term);
        let hex: String = hashed[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("term:{hex}")
    }

    /// Finds a case by its reference, exactly, among the cases `principal` may read. A case
    /// they may not read is not found, exactly like one that does not exist. Every search is
    /// audited (`case.find`), the term only as a keyed hash (`term:<hex>`), the case when found.
    pub async fn find_reference(
        &self,
        capability: &Capability,
        principal: &Principal,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CaseReference>, ServiceError> {
        if capability.operation() != Operation::ListCases || capability.actor() != principal.actor {
            return Err(ServiceError::NotFound);
        }
        let term = text.trim().to_uppercase();
        let subject = Some(self.search_term_subject(&term));
        let mut found = None;
        let result: Result<Option<CaseReference>, ServiceError> = async {
            let Ok(reference) = term.parse::<CaseReference>() else {
                return Ok(None);
            };
            let Some(case_id) = self.store.case_id_by_reference(&reference).await? else {
                return Ok(None);
            };
            let Some(facts) = self.case_facts(case_id, uk_date(now)).await? else {
                return Ok(None);
            };
            if nrm_access::authorise_case(principal, CaseOperation::Read, &facts).is_err() {
                return Ok(None);
            }
            found = Some(case_id);
            Ok(Some(reference))
        }
        .await;
        let record = nrm_store::audit::AuditRecord {
            actor: capability.actor(),
            action: "case.find".to_owned(),
            case_id: found,
            outcome: outcome_code(&result),
            subject,
        };
        self.store
            .audit(&record, now)
            .await
            .map_err(ServiceError::Store)?;
        result
    }

    /// The manager's team: unallocated open cases, and each active decision maker's open cases
    /// and overdue ones. Audited (`case.team`).
    pub async fn team(
        &self,
        capability: &Capability,
        principal: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Team, ServiceError> {
        if capability.operation() != Operation::AllocateCases
            || capability.actor() != principal.actor
        {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let result = self.team_unaudited(principal, now).await;
        self.audit(actor, "case.team", None, &result, now).await?;
        result
    }

    async fn team_unaudited(
        &self,
        principal: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Team, ServiceError> {
        let nrm_access::OrganisationKind::CompetentAuthority { authority } =
            principal.organisation_kind
        else {
            return Err(ServiceError::NotFound);
        };
        let mut base = QueueQuery::new(uk_date(now));
        base.statuses = OPEN_STATUSES.to_vec();
        base.competent_authority = Some(authority);
        base.per_page = 1;
        let mut unallocated = base.clone();
        unallocated.unallocated = true;
        let unallocated = self.store.queue(&unallocated).await?;
        let mut caseworkers = Vec::new();
        for user in self.store.users().await? {
            let decides = user
                .roles
                .iter()
                .any(|r| nrm_access::Role::parse(r) == Some(nrm_access::Role::DecisionMaker));
            if user.organisation != principal.actor.organisation || user.disabled || !decides {
                continue;
            }
            let mut theirs = base.clone();
            theirs.allocated_to = Some(user.id);
            let open = self.store.queue(&theirs).await?.total;
            theirs.deadline = Some(nrm_domain::event::DeadlineStatus::Overdue);
            let overdue = self.store.queue(&theirs).await?.total;
            caseworkers.push(CaseworkerLoad {
                id: user.id,
                email: user.email,
                open,
                overdue,
            });
        }
        Ok(Team {
            unallocated: unallocated.total,
            unallocated_capped: unallocated.total_capped,
            caseworkers,
        })
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
            duty_to_notify: summary.status == nrm_domain::case::CaseStatus::DutyToNotify,
            competent_authority: summary.competent_authority,
            pilot_site: summary.pilot_site.clone(),
            age_group: summary.age_group,
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
                if q.allocated_to.is_some_and(|u| u != *user) || q.unallocated {
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

/// A vault read, with erased personal data (retention ended) as `None`.
fn unless_erased<T>(result: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::Erased) => Ok(None),
        Err(e) => Err(e),
    }
}
