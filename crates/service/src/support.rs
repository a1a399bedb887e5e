//! Victim support use cases: referral into support, allocation, the support worker's records,
//! the Home Office's decisions and acknowledgements, accommodation and inspections, payments.
//!
//! Every method takes a capability from the access policy's support module (checked again
//! here, fail closed) and writes its audit entry: a change in the transaction that makes it, a
//! read before the answer is returned (an unaudited read is refused). Words about the person
//! (needs evidence, notes, concern details, the police reference) go into the vault under the
//! person's own subject; an accommodation's address under a subject of its own.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::support::{
    EpisodeFacts, SupportCapability, SupportOperation, SupportScope, SupportServiceCapability,
    SupportServiceOperation, organisation_in_scope,
};
use nrm_access::{Capability, Operation};
use nrm_domain::case::CaseState;
use nrm_domain::clock::uk_date;
use nrm_domain::event::Outcome;
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, VaultContent};
use nrm_domain::support::accommodation::{
    Accommodation, AccommodationType, Inspection, PlacementEndReason, RequiredAction,
    overdue_actions,
};
use nrm_domain::support::command::SupportCommand;
use nrm_domain::support::event::{
    ConcernKind, ConcernOutcome, EntryRoute, ExitReason, Need, PlanAction, Provision,
    ReviewTrigger, RnaDecision, Severity,
};
use nrm_domain::support::finance::{AdjustmentReason, StatementLine, statement_csv};
use nrm_domain::support::{
    AccommodationId, ConcernId, EpisodeId, EpisodeState, InspectionId, OverdueFlags, PlacementId,
    RnaId, SupportEvent, SupportRules, decide,
};
use nrm_domain::{Actor, DomainError, FieldProblem, Rulebook};
use nrm_store::audit::AuditRecord;
use nrm_store::support::{
    ConcernRow, EpisodeFilter, EpisodeListScope, EpisodeSummary, NewEpisode, SupportAppend,
    SupportProviderRow,
};
use nrm_store::{Store, StoreError, VaultWrite};
use rand::Rng;
use uuid::Uuid;

use crate::{Cases, ServiceError};

/// The longest text a support note may hold.
pub const MAX_NOTE_CHARS: usize = 20_000;

/// A new referral into support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferInput {
    /// The NRM case; `None` only for an emergency request before a referral exists.
    pub case_id: Option<CaseId>,
    pub nation: UkNation,
    pub route: EntryRoute,
    /// For an emergency request without a case: that the person is an adult and consents to
    /// support (a case's own record is used when there is one).
    pub adult: bool,
    pub consent_to_support: bool,
}

/// A referral made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referred {
    pub episode_id: EpisodeId,
    pub reference: String,
    pub version: u64,
}

/// A change to an episode, as entered (text goes to the vault).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupportAction {
    Allocate {
        provider: OrganisationId,
        worker: Option<UserId>,
        provision: Provision,
    },
    AssignWorker {
        worker: UserId,
    },
    /// Brings the case's effective RG and CG decisions onto the episode (outcomes and dates
    /// only, never their reasons).
    SyncDecisions,
    RecordRna {
        needs: Vec<Need>,
        recommended_days: u32,
        evidence: String,
    },
    DecideRna {
        rna: RnaId,
        decision: RnaDecision,
        days_granted: u32,
        reasons: String,
    },
    RequestRnaReconsideration {
        rna: RnaId,
        grounds: String,
    },
    RecordTransitionPlan {
        actions: Vec<PlanAction>,
        details: String,
    },
    RecordSafeguardingReview {
        trigger: ReviewTrigger,
        notes: String,
    },
    RaiseConcern {
        kind: ConcernKind,
        severity: Severity,
        details: String,
        police_reference: Option<String>,
    },
    EscalateConcern {
        concern: ConcernId,
    },
    AcknowledgeConcern {
        concern: ConcernId,
    },
    RecordPersonFound {
        concern: ConcernId,
    },
    CloseConcern {
        concern: ConcernId,
        outcome: ConcernOutcome,
    },
    StartPlacement {
        accommodation: AccommodationId,
        start: NaiveDate,
    },
    EndPlacement {
        placement: PlacementId,
        end: NaiveDate,
        reason: PlacementEndReason,
    },
    PostWeekDue {
        week_start: NaiveDate,
    },
    RecordPayment {
        on: NaiveDate,
        amount_pence: u64,
    },
    Adjust {
        amount_pence: i64,
        reason: AdjustmentReason,
    },
    Exit {
        reason: ExitReason,
    },
    StartReachIn,
}

impl SupportAction {
    /// The operation a capability must name for this action.
    pub fn operation(&self) -> SupportOperation {
        match self {
            Self::Allocate { .. } => SupportOperation::Allocate,
            Self::DecideRna { .. } => SupportOperation::DecideRna,
            Self::AcknowledgeConcern { .. } => SupportOperation::AcknowledgeConcern,
            Self::PostWeekDue { .. } | Self::RecordPayment { .. } | Self::Adjust { .. } => {
                SupportOperation::Pay
            }
            _ => SupportOperation::Record,
        }
    }

    /// A stable name for audit entries.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Allocate { .. } => "support.allocate",
            Self::AssignWorker { .. } => "support.assign_worker",
            Self::SyncDecisions => "support.sync_decisions",
            Self::RecordRna { .. } => "support.record_rna",
            Self::DecideRna { .. } => "support.decide_rna",
            Self::RequestRnaReconsideration { .. } => "support.request_rna_reconsideration",
            Self::RecordTransitionPlan { .. } => "support.record_transition_plan",
            Self::RecordSafeguardingReview { .. } => "support.record_safeguarding_review",
            Self::RaiseConcern { .. } => "support.raise_concern",
            Self::EscalateConcern { .. } => "support.escalate_concern",
            Self::AcknowledgeConcern { .. } => "support.acknowledge_concern",
            Self::RecordPersonFound { .. } => "support.person_found",
            Self::CloseConcern { .. } => "support.close_concern",
            Self::StartPlacement { .. } => "support.start_placement",
            Self::EndPlacement { .. } => "support.end_placement",
            Self::PostWeekDue { .. } => "support.post_week_due",
            Self::RecordPayment { .. } => "support.record_payment",
            Self::Adjust { .. } => "support.adjust",
            Self::Exit { .. } => "support.exit",
            Self::StartReachIn => "support.start_reach_in",
        }
    }
}

/// A safeguarding concern with its words, when the reader may see them.
#[derive(Debug, Clone)]
pub struct ConcernView {
    pub concern: nrm_domain::support::state::ConcernState,
    pub details: Option<DecisionReasons>,
    pub police_reference: Option<DecisionReasons>,
}

/// What a reader may see of an episode.
#[derive(Debug, Clone)]
pub struct EpisodeView {
    pub summary: EpisodeSummary,
    pub overdue: OverdueFlags,
    /// The support record (`None` for a status-only reader: decision makers).
    pub state: Option<EpisodeState>,
    /// The concerns the reader may see: all for the provider, escalated ones for the Home
    /// Office and decision makers.
    pub concerns: Vec<ConcernView>,
    /// Whether the reader sees every concern (safeguarding) or only escalated ones.
    pub all_concerns: bool,
}

/// Accommodation with its occupancy on a day and its inspections.
#[derive(Debug, Clone)]
pub struct AccommodationView {
    pub accommodation: Accommodation,
    pub occupancy: u32,
    pub inspections: Vec<Inspection>,
}

/// A new inspection, as entered.
#[derive(Debug, Clone)]
pub struct InspectionInput {
    pub accommodation: AccommodationId,
    pub inspected_on: NaiveDate,
    pub follow_up_of: Option<InspectionId>,
    pub findings: Vec<nrm_domain::support::accommodation::Finding>,
    /// `(area, due on)` per action, numbered in order.
    pub actions: Vec<(
        nrm_domain::support::accommodation::InspectionArea,
        NaiveDate,
    )>,
    pub notes: Option<String>,
}

/// An overdue inspection action, for the contract manager's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueAction {
    pub inspection: InspectionId,
    pub accommodation: AccommodationId,
    pub provider: OrganisationId,
    pub action: RequiredAction,
}

/// Who an episode may be allocated to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocationChoices {
    /// The prime contractor and its subcontractors.
    pub providers: Vec<SupportProviderRow>,
    /// Active support workers of those providers: `(user, email, organisation)`.
    pub workers: Vec<(UserId, String, OrganisationId)>,
}

/// The support use cases.
#[derive(Debug, Clone)]
pub struct Support {
    store: Store,
    rules: Rulebook,
    support_rules: SupportRules,
}

fn note(text: &str, field: &str, required: bool) -> Result<Option<DecisionReasons>, ServiceError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        if required {
            return Err(
                DomainError::Invalid(vec![FieldProblem::new(field, "Enter the details")]).into(),
            );
        }
        return Ok(None);
    }
    if trimmed.chars().count() > MAX_NOTE_CHARS {
        return Err(DomainError::Invalid(vec![FieldProblem::new(
            field,
            format!("Must be {MAX_NOTE_CHARS} characters or fewer"),
        )])
        .into());
    }
    Ok(Some(DecisionReasons(trimmed.to_owned())))
}

fn episode_subject(episode: EpisodeId) -> String {
    format!("support_episode:{episode}")
}

/// A new referral's support episode decided at intake, ready to write with its case.
#[derive(Debug)]
pub(crate) struct PreparedEpisode {
    episode_id: EpisodeId,
    reference: String,
    subject: SubjectId,
    events: Vec<SupportEvent>,
    state: EpisodeState,
    actor: Actor,
    audit: AuditRecord,
}

impl PreparedEpisode {
    /// The store's append of this episode.
    pub(crate) fn append(&self, now: DateTime<Utc>) -> SupportAppend<'_> {
        SupportAppend {
            episode_id: self.episode_id,
            expected_version: 0,
            new: Some(NewEpisode {
                reference: &self.reference,
                subject: self.subject,
            }),
            events: &self.events,
            state_after: &self.state,
            actor: self.actor,
            recorded_at: now,
            new_subjects: &[],
            vault_writes: &[],
            audit: &self.audit,
        }
    }
}

fn new_reference() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let body: String = (0..8)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("SUP-{body}")
}

impl Support {
    pub fn new(store: Store, rules: Rulebook) -> Self {
        Self {
            store,
            rules,
            support_rules: SupportRules::current(),
        }
    }

    pub fn rules(&self) -> &SupportRules {
        &self.support_rules
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

    /// Registers an organisation as a support provider under `parent` (a prime contractor),
    /// or as a prime (no parent). Service administrators only.
    pub async fn add_provider(
        &self,
        capability: &Capability,
        provider: SupportProviderRow,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if capability.operation() != Operation::ManageOrganisations {
            return Err(ServiceError::NotFound);
        }
        let mut problems = Vec::new();
        for (i, r) in provider.regions.iter().enumerate() {
            if !nrm_domain::support::accommodation::valid_region(r) {
                problems.push(FieldProblem::new(
                    format!("/regions/{i}"),
                    "Choose a region",
                ));
            }
        }
        if provider.parent == Some(provider.organisation) {
            problems.push(FieldProblem::new(
                "/parent",
                "A provider cannot be its own prime contractor",
            ));
        }
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let record = AuditRecord {
            actor: capability.actor(),
            action: "support.add_provider".to_owned(),
            case_id: None,
            outcome: "ok".to_owned(),
            subject: Some(format!("organisation:{}", provider.organisation)),
        };
        self.store
            .add_support_provider(&provider, &record, now)
            .await?;
        Ok(())
    }

    /// Every support provider.
    pub async fn providers(&self) -> Result<Vec<SupportProviderRow>, ServiceError> {
        Ok(self.store.support_providers().await?)
    }

    /// The facts the access policy decides on for an episode.
    pub async fn facts(
        &self,
        episode: EpisodeId,
        today: NaiveDate,
    ) -> Result<Option<EpisodeFacts>, ServiceError> {
        let Some(summary) = self.store.episode_summary(episode).await? else {
            return Ok(None);
        };
        let case = match summary.case_id {
            Some(case) => {
                Cases::new(self.store.clone(), self.rules.clone())
                    .case_facts(case, today)
                    .await?
            }
            None => None,
        };
        Ok(Some(EpisodeFacts {
            episode,
            prime: summary.prime,
            provider: summary.provider,
            worker: summary.worker,
            case,
        }))
    }

    /// The episode with a reference.
    pub async fn find(&self, reference: &str) -> Result<Option<EpisodeId>, ServiceError> {
        Ok(self.store.episode_by_reference(reference).await?)
    }

    /// The stream version of the episode a capability names (the `If-Match` a form carries),
    /// 0 for an episode with no events yet.
    pub async fn version(&self, capability: &SupportCapability) -> Result<u64, ServiceError> {
        Ok(self
            .store
            .support_version(capability.episode())
            .await?
            .unwrap_or(0))
    }

    /// The episodes following a case (for the access policy to filter per reader).
    pub async fn episodes_for_case(&self, case: CaseId) -> Result<Vec<EpisodeId>, ServiceError> {
        Ok(self
            .store
            .episodes_for_case(case)
            .await?
            .into_iter()
            .map(|s| s.episode_id)
            .collect())
    }

    /// Who an episode may be allocated to (the prime's manager, [`SupportOperation::Allocate`]):
    /// the prime contractor and its subcontractors, and the active support workers of each as
    /// `(user, email, organisation)`. Audited.
    pub async fn allocation_choices(
        &self,
        capability: &SupportCapability,
        now: DateTime<Utc>,
    ) -> Result<AllocationChoices, ServiceError> {
        if !capability.permits(SupportOperation::Allocate) {
            return Err(ServiceError::NotFound);
        }
        let episode = capability.episode();
        let result = async {
            let summary = self
                .store
                .episode_summary(episode)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let providers: Vec<SupportProviderRow> = self
                .store
                .support_providers()
                .await?
                .into_iter()
                .filter(|p| p.organisation == summary.prime || p.parent == Some(summary.prime))
                .collect();
            let workers = self
                .active_workers(|o| providers.iter().any(|p| p.organisation == o))
                .await?;
            Ok(AllocationChoices { providers, workers })
        }
        .await;
        self.audit(
            capability.actor(),
            "support.list_allocation_choices",
            None,
            Some(episode_subject(episode)),
            &result,
            now,
        )
        .await?;
        result
    }

    /// The active support workers of the organisations `of` accepts, `(user, email,
    /// organisation)`, by email.
    async fn active_workers(
        &self,
        of: impl Fn(OrganisationId) -> bool,
    ) -> Result<Vec<(UserId, String, OrganisationId)>, ServiceError> {
        let worker_role = nrm_access::Role::SupportProviderWorker.code();
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .filter(|u| {
                !u.disabled && of(u.organisation) && u.roles.iter().any(|r| r == worker_role)
            })
            .map(|u| (u.id, u.email, u.organisation))
            .collect())
    }

    /// The active support workers of `provider`, `(user, email)`, by email.
    async fn workers_of(
        &self,
        provider: OrganisationId,
    ) -> Result<Vec<(UserId, String)>, ServiceError> {
        Ok(self
            .active_workers(|o| o == provider)
            .await?
            .into_iter()
            .map(|(id, email, _)| (id, email))
            .collect())
    }

    /// Who the person may be assigned to (the provider supporting them,
    /// [`SupportOperation::Record`]): the active support workers of the episode's provider as
    /// `(user, email)`; none before allocation. Audited.
    pub async fn worker_choices(
        &self,
        capability: &SupportCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<(UserId, String)>, ServiceError> {
        if !capability.permits(SupportOperation::Record) {
            return Err(ServiceError::NotFound);
        }
        let episode = capability.episode();
        let result = async {
            let summary = self
                .store
                .episode_summary(episode)
                .await?
                .ok_or(ServiceError::NotFound)?;
            match summary.provider {
                Some(provider) => self.workers_of(provider).await,
                None => Ok(Vec::new()),
            }
        }
        .await;
        self.audit(
            capability.actor(),
            "support.list_worker_choices",
            None,
            Some(episode_subject(episode)),
            &result,
            now,
        )
        .await?;
        result
    }

    /// The prime contractor of the caller's organisation (itself when it is one).
    async fn prime_of(&self, organisation: OrganisationId) -> Result<OrganisationId, ServiceError> {
        let providers = self.store.support_providers().await?;
        let me = providers
            .iter()
            .find(|p| p.organisation == organisation)
            .ok_or_else(|| {
                DomainError::refused(
                    "not-a-support-provider",
                    "Your organisation is not registered as a support provider",
                )
            })?;
        Ok(me.parent.unwrap_or(me.organisation))
    }

    /// Refers a person to the prime contractor.
    pub async fn refer(
        &self,
        capability: &SupportServiceCapability,
        input: ReferInput,
        now: DateTime<Utc>,
    ) -> Result<Referred, ServiceError> {
        if capability.operation() != SupportServiceOperation::Refer {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let case = input.case_id;
        let result = self.refer_unaudited(actor, input, now).await;
        // A referral made is audited in its own transaction; a refusal here.
        if result.is_err() {
            self.audit(actor, "support.refer", case, None, &result, now)
                .await?;
        }
        result
    }

    async fn refer_unaudited(
        &self,
        actor: Actor,
        input: ReferInput,
        now: DateTime<Utc>,
    ) -> Result<Referred, ServiceError> {
        let prime = self.prime_of(actor.organisation).await?;
        self.refer_to(actor, prime, input, now).await
    }

    /// The nation referral `r`'s person is in (else the referring organisation's, else
    /// England) and its prime contractor, when one is registered.
    async fn prime_for_referral(
        &self,
        r: &nrm_domain::case::Referral,
    ) -> Result<Option<(UkNation, OrganisationId)>, ServiceError> {
        let nation = r
            .person_nation
            .or(r.referring_organisation_nation)
            .unwrap_or(UkNation::England);
        Ok(self.prime_for(nation).await?.map(|prime| (nation, prime)))
    }

    /// The prime contractor registered for `nation`: a provider without a parent holding the
    /// contract that covers it (England and Wales share one), one with a region in the nation
    /// itself first, then the first by organisation; if any.
    async fn prime_for(&self, nation: UkNation) -> Result<Option<OrganisationId>, ServiceError> {
        let mut primes: Vec<(bool, OrganisationId)> = self
            .store
            .support_providers()
            .await?
            .into_iter()
            .filter(|p| p.parent.is_none())
            .filter(|p| {
                p.regions
                    .iter()
                    .any(|r| contract_area(region_nation(r)) == contract_area(nation))
            })
            .map(|p| {
                let elsewhere = !p.regions.iter().any(|r| region_nation(r) == nation);
                (elsewhere, p.organisation)
            })
            .collect();
        primes.sort_by_key(|(elsewhere, o)| (*elsewhere, o.0));
        Ok(primes.first().map(|(_, o)| *o))
    }

    /// After a referral is accepted (from `Cases::submit`, with the events it wrote): an adult
    /// who consents to support is referred to the prime contractor of the nation they are in,
    /// at once. The case is already committed, so a failure here does not undo it: it is audited
    /// (`support.refer`, outcome `error`) and logged without personal data; the prime's
    /// manager can still refer by hand, and a later decision tries again
    /// ([`Support::after_case_change`]).
    pub(crate) async fn after_referral(
        &self,
        actor: Actor,
        case_id: CaseId,
        events: &[nrm_domain::event::CaseEvent],
        now: DateTime<Utc>,
    ) {
        // The case is the one just written, from these events: nothing to read back, and a
        // case no one else knows the id of yet has no episode.
        let result = match CaseState::from_events(events) {
            CaseState::Referral(r) if wants_support(&r) => {
                self.refer_referral(actor, case_id, &r, now).await
            }
            _ => Ok(None),
        };
        if result.is_err() {
            tracing::warn!(case_id = %case_id, "the support referral of an adult referral failed");
            if self
                .audit(actor, "support.refer", Some(case_id), None, &result, now)
                .await
                .is_err()
            {
                tracing::error!(case_id = %case_id, "the failed support referral could not be audited");
            }
        }
    }

    /// The intake hook of `Cases::submit`, before the case is appended: the support episode
    /// of a new adult referral with consent to support (the case's `events`), decided so that
    /// it is written in the case's own batch ([`nrm_store::Store::append_intake`]).
    /// `Ok(None)` when there is none to make: not such a referral, or no prime contractor
    /// registered for its nation (which [`Support::after_referral`] would find again).
    pub(crate) async fn prepare_intake(
        &self,
        actor: Actor,
        case_id: CaseId,
        events: &[nrm_domain::event::CaseEvent],
        now: DateTime<Utc>,
    ) -> Result<Option<PreparedEpisode>, ServiceError> {
        let CaseState::Referral(r) = CaseState::from_events(events) else {
            return Ok(None);
        };
        if !wants_support(&r) {
            return Ok(None);
        }
        let Some((nation, prime)) = self.prime_for_referral(&r).await? else {
            return Ok(None);
        };
        let events = decide(
            &EpisodeState::default(),
            SupportCommand::Refer {
                case_id: Some(case_id),
                nation,
                route: EntryRoute::ConsentToSupport,
                prime,
                adult: true,
                consent_to_support: true,
            },
            &self.rules,
            &self.support_rules,
            now,
        )?;
        let state = EpisodeState::from_events(&events);
        let episode_id = EpisodeId(nrm_domain::ids::time_ordered());
        Ok(Some(PreparedEpisode {
            episode_id,
            reference: new_reference(),
            subject: r.subject,
            events,
            state,
            actor,
            audit: AuditRecord {
                actor,
                action: "support.refer".to_owned(),
                case_id: Some(case_id),
                outcome: "ok".to_owned(),
                subject: Some(episode_subject(episode_id)),
            },
        }))
    }

    /// The automatic support referral of a case: made when the case is an adult referral with
    /// consent to support, has no episode yet and a prime contractor is registered for the
    /// person's nation. Idempotent: `Ok(None)` when there is nothing to do. Its own
    /// transaction, audited as `support.refer` under `actor` (who submitted the referral).
    pub async fn refer_on_intake(
        &self,
        actor: Actor,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Option<EpisodeId>, ServiceError> {
        let Some(loaded) = self.store.load(case_id).await? else {
            return Ok(None);
        };
        let CaseState::Referral(r) = CaseState::from_events(loaded.events.iter().map(|e| &e.event))
        else {
            return Ok(None);
        };
        if !wants_support(&r) || !self.store.episodes_for_case(case_id).await?.is_empty() {
            return Ok(None);
        }
        self.refer_referral(actor, case_id, &r, now).await
    }

    /// Refers case `case_id` (referral `r`, which wants support and has no episode) to the
    /// prime contractor of its nation, when one is registered.
    async fn refer_referral(
        &self,
        actor: Actor,
        case_id: CaseId,
        r: &nrm_domain::case::Referral,
        now: DateTime<Utc>,
    ) -> Result<Option<EpisodeId>, ServiceError> {
        let Some((nation, prime)) = self.prime_for_referral(r).await? else {
            return Ok(None);
        };
        let referred = self
            .refer_to(
                actor,
                prime,
                ReferInput {
                    case_id: Some(case_id),
                    nation,
                    route: EntryRoute::ConsentToSupport,
                    adult: true,
                    consent_to_support: true,
                },
                now,
            )
            .await?;
        // A decision already recorded on the case (or its withdrawal) comes across at once. A
        // case with none, as every case at intake is, has nothing to bring across, so the
        // episode and the case are not read again; one decided in the moment between is
        // brought across by the decision's own hook or the sweep's reconciliation.
        if r.reasonable_grounds.is_some()
            || r.conclusive_grounds.is_some()
            || r.stage.status() == nrm_domain::case::CaseStatus::Withdrawn
        {
            self.sync_episode(actor, referred.episode_id, now).await?;
        }
        Ok(Some(referred.episode_id))
    }

    /// After a change to a case that records or reviews a decision (from the case service,
    /// once it is committed): the case's effective RG and CG outcomes reach its support
    /// episodes, and an adult referral with consent that has no episode yet gets one. A
    /// failure does not undo the decision: it is audited (`support.sync_decisions`, outcome
    /// `error`) and logged without personal data; the support worker's "bring decisions
    /// across" action and the next decision try again (idempotent).
    pub(crate) async fn after_case_change(
        &self,
        actor: Actor,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) {
        let result = self.sync_case(actor, case_id, now).await;
        if result.is_err() {
            tracing::warn!(case_id = %case_id, "bringing a decision onto a support episode failed");
            if self
                .audit(
                    actor,
                    "support.sync_decisions",
                    Some(case_id),
                    None,
                    &result,
                    now,
                )
                .await
                .is_err()
            {
                tracing::error!(case_id = %case_id, "the failed support update could not be audited");
            }
        }
    }

    /// Brings the case's effective decisions onto every open episode of the case (referring
    /// it first when it has none and should). Returns how many episodes changed. Idempotent.
    pub async fn sync_case(
        &self,
        actor: Actor,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        Ok(match self.reconcile_case(actor, case_id, now).await? {
            Reconciled::NothingToDo => 0,
            Reconciled::Updated(n) => n,
            Reconciled::Referred => 1,
        })
    }

    /// [`Support::sync_case`], saying whether the case was referred or its episodes brought
    /// up to date (its episodes read once).
    pub(crate) async fn reconcile_case(
        &self,
        actor: Actor,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Reconciled, ServiceError> {
        let episodes = self.store.episodes_for_case(case_id).await?;
        if episodes.is_empty() {
            return Ok(match self.refer_on_intake(actor, case_id, now).await? {
                Some(_) => Reconciled::Referred,
                None => Reconciled::NothingToDo,
            });
        }
        let mut changed = 0;
        for episode in episodes {
            if self.sync_episode(actor, episode.episode_id, now).await? {
                changed += 1;
            }
        }
        Ok(match changed {
            0 => Reconciled::NothingToDo,
            n => Reconciled::Updated(n),
        })
    }

    /// Brings the case's decisions onto one episode, retrying once if the episode changed
    /// meanwhile. `Ok(false)`: nothing new to bring, or the episode is closed.
    async fn sync_episode(
        &self,
        actor: Actor,
        episode: EpisodeId,
        now: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        for _ in 0..2 {
            let mut case = None;
            match self
                .act_unaudited(
                    actor,
                    episode,
                    None,
                    SupportAction::SyncDecisions,
                    now,
                    &mut case,
                )
                .await
            {
                Ok(_) => return Ok(true),
                Err(ServiceError::Conflict { .. }) => continue,
                Err(ServiceError::Store(StoreError::VersionConflict { .. })) => continue,
                Err(ServiceError::Domain(DomainError::Refused {
                    code: "nothing-to-record" | "support-ended",
                    ..
                })) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Err(ServiceError::Conflict { actual: 0 })
    }

    async fn refer_to(
        &self,
        actor: Actor,
        prime: OrganisationId,
        input: ReferInput,
        now: DateTime<Utc>,
    ) -> Result<Referred, ServiceError> {
        let (subject, new_subject, adult, consent) = match input.case_id {
            Some(case) => {
                let loaded = self.store.load(case).await?.ok_or(ServiceError::NotFound)?;
                let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
                let CaseState::Referral(r) = state else {
                    return Err(DomainError::refused(
                        "no-referral",
                        "Support follows an NRM referral; a Duty to Notify report has none",
                    )
                    .into());
                };
                if !self.store.episodes_for_case(case).await?.is_empty() {
                    return Err(DomainError::refused(
                        "support-already-referred",
                        "This person already has a support episode",
                    )
                    .into());
                }
                (
                    r.subject,
                    false,
                    r.age_group == nrm_domain::submission::AgeGroup::Adult,
                    r.support_consent,
                )
            }
            None => (
                SubjectId(nrm_domain::ids::time_ordered()),
                true,
                input.adult,
                input.consent_to_support,
            ),
        };
        let events = decide(
            &EpisodeState::default(),
            SupportCommand::Refer {
                case_id: input.case_id,
                nation: input.nation,
                route: input.route,
                prime,
                adult,
                consent_to_support: consent,
            },
            &self.rules,
            &self.support_rules,
            now,
        )?;
        let state = EpisodeState::from_events(&events);
        let episode_id = EpisodeId(nrm_domain::ids::time_ordered());
        let subjects: Vec<SubjectId> = if new_subject { vec![subject] } else { vec![] };
        for _ in 0..3 {
            let reference = new_reference();
            let audit = AuditRecord {
                actor,
                action: "support.refer".to_owned(),
                case_id: input.case_id,
                outcome: "ok".to_owned(),
                subject: Some(episode_subject(episode_id)),
            };
            match self
                .store
                .append_support(SupportAppend {
                    episode_id,
                    expected_version: 0,
                    new: Some(NewEpisode {
                        reference: &reference,
                        subject,
                    }),
                    events: &events,
                    state_after: &state,
                    actor,
                    recorded_at: now,
                    new_subjects: &subjects,
                    vault_writes: &[],
                    audit: &audit,
                })
                .await
            {
                Ok(version) => {
                    return Ok(Referred {
                        episode_id,
                        reference,
                        version,
                    });
                }
                Err(StoreError::DuplicateReference) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Store(StoreError::DuplicateReference))
    }

    /// Does `action` to the episode, decided on `expected_version` (the version the caller
    /// read; `None`: the version loaded here). Returns the new version.
    pub async fn act(
        &self,
        capability: &SupportCapability,
        expected_version: Option<u64>,
        action: SupportAction,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        if !capability.permits(action.operation()) {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let episode = capability.episode();
        let code = action.code();
        let mut case_id = None;
        let result = self
            .act_unaudited(actor, episode, expected_version, action, now, &mut case_id)
            .await;
        if result.is_err() {
            self.audit(
                actor,
                code,
                case_id,
                Some(episode_subject(episode)),
                &result,
                now,
            )
            .await?;
        }
        result
    }

    async fn act_unaudited(
        &self,
        actor: Actor,
        episode: EpisodeId,
        expected_version: Option<u64>,
        action: SupportAction,
        now: DateTime<Utc>,
        case_out: &mut Option<CaseId>,
    ) -> Result<u64, ServiceError> {
        let loaded = self
            .store
            .load_episode(episode)
            .await?
            .ok_or(ServiceError::NotFound)?;
        *case_out = loaded.summary.case_id;
        let version = loaded.summary.version;
        if let Some(expected) = expected_version
            && expected != version
        {
            return Err(ServiceError::Conflict { actual: version });
        }
        let state = EpisodeState::from_events(loaded.events.iter().map(|e| &e.event));
        let subject = loaded.summary.subject;
        let code = action.code();
        let mut writes: Vec<VaultWrite> = Vec::new();
        let mut vault = |text: DecisionReasons| {
            let record = VaultRecordId(nrm_domain::ids::time_ordered());
            writes.push(VaultWrite {
                record,
                subject,
                content: VaultContent::SupportNote { text },
            });
            record
        };
        let required = |text: &str, field: &str| -> Result<DecisionReasons, ServiceError> {
            note(text, field, true)?.ok_or(ServiceError::NotFound)
        };
        let commands: Vec<SupportCommand> = match action {
            SupportAction::Allocate {
                provider,
                worker,
                provision,
            } => {
                let providers = self.store.support_providers().await?;
                let ok = providers.iter().any(|p| {
                    p.organisation == provider
                        && (p.organisation == loaded.summary.prime
                            || p.parent == Some(loaded.summary.prime))
                });
                if !ok {
                    return Err(DomainError::Invalid(vec![FieldProblem::new(
                        "/provider",
                        "Choose the prime contractor or one of its subcontractors",
                    )])
                    .into());
                }
                vec![SupportCommand::Allocate {
                    provider,
                    worker,
                    provision,
                }]
            }
            SupportAction::AssignWorker { worker } => {
                // Only a support worker of the provider supporting the person.
                let ours = match loaded.summary.provider {
                    Some(provider) => self
                        .workers_of(provider)
                        .await?
                        .iter()
                        .any(|(u, _)| *u == worker),
                    None => true,
                };
                if !ours {
                    return Err(DomainError::Invalid(vec![FieldProblem::new(
                        "/worker",
                        "Choose a support worker of the provider supporting the person",
                    )])
                    .into());
                }
                vec![SupportCommand::AssignWorker { worker }]
            }
            SupportAction::SyncDecisions => {
                self.decision_commands(&state, loaded.summary.case_id)
                    .await?
            }
            SupportAction::RecordRna {
                needs,
                recommended_days,
                evidence,
            } => vec![SupportCommand::RecordRna {
                rna: RnaId(nrm_domain::ids::time_ordered()),
                needs,
                recommended_days,
                evidence: vault(required(&evidence, "/evidence")?),
            }],
            SupportAction::DecideRna {
                rna,
                decision,
                days_granted,
                reasons,
            } => vec![SupportCommand::DecideRna {
                rna,
                decision,
                days_granted,
                reasons: vault(required(&reasons, "/reasons")?),
            }],
            SupportAction::RequestRnaReconsideration { rna, grounds } => {
                vec![SupportCommand::RequestRnaReconsideration {
                    rna,
                    grounds: vault(required(&grounds, "/grounds")?),
                }]
            }
            SupportAction::RecordTransitionPlan { actions, details } => {
                vec![SupportCommand::RecordTransitionPlan {
                    actions,
                    details: vault(required(&details, "/details")?),
                }]
            }
            SupportAction::RecordSafeguardingReview { trigger, notes } => {
                vec![SupportCommand::RecordSafeguardingReview {
                    trigger,
                    notes: vault(required(&notes, "/notes")?),
                }]
            }
            SupportAction::RaiseConcern {
                kind,
                severity,
                details,
                police_reference,
            } => {
                let details = vault(required(&details, "/details")?);
                let police = match police_reference {
                    Some(r) => note(&r, "/police_reference", false)?.map(&mut vault),
                    None => None,
                };
                vec![SupportCommand::RaiseConcern {
                    concern: ConcernId(nrm_domain::ids::time_ordered()),
                    kind,
                    severity,
                    details,
                    police_reference: police,
                }]
            }
            SupportAction::EscalateConcern { concern } => {
                vec![SupportCommand::EscalateConcern { concern }]
            }
            SupportAction::AcknowledgeConcern { concern } => {
                vec![SupportCommand::AcknowledgeConcern { concern }]
            }
            SupportAction::RecordPersonFound { concern } => {
                vec![SupportCommand::RecordPersonFound { concern }]
            }
            SupportAction::CloseConcern { concern, outcome } => {
                vec![SupportCommand::CloseConcern { concern, outcome }]
            }
            SupportAction::StartPlacement {
                accommodation,
                start,
            } => {
                let (accommodation, _) = self
                    .store
                    .accommodation(accommodation)
                    .await?
                    .ok_or_else(|| {
                        DomainError::Invalid(vec![FieldProblem::new(
                            "/accommodation",
                            "Choose accommodation",
                        )])
                    })?;
                let occupancy = self.store.placements_in(accommodation.id).await?;
                vec![SupportCommand::StartPlacement {
                    episode,
                    placement: PlacementId(nrm_domain::ids::time_ordered()),
                    accommodation,
                    start,
                    occupancy,
                }]
            }
            SupportAction::EndPlacement {
                placement,
                end,
                reason,
            } => vec![SupportCommand::EndPlacement {
                placement,
                end,
                reason,
            }],
            SupportAction::PostWeekDue { week_start } => {
                vec![SupportCommand::PostWeekDue { week_start }]
            }
            SupportAction::RecordPayment { on, amount_pence } => {
                vec![SupportCommand::RecordPayment { on, amount_pence }]
            }
            SupportAction::Adjust {
                amount_pence,
                reason,
            } => vec![SupportCommand::Adjust {
                amount_pence,
                reason,
            }],
            SupportAction::Exit { reason } => vec![SupportCommand::Exit { reason }],
            SupportAction::StartReachIn => vec![SupportCommand::StartReachIn],
        };
        if commands.is_empty() {
            return Err(DomainError::refused(
                "nothing-to-record",
                "The case has no decision the support record does not already have",
            )
            .into());
        }
        let mut after = state;
        let mut events: Vec<SupportEvent> = Vec::new();
        for command in commands {
            let new = decide(&after, command, &self.rules, &self.support_rules, now)?;
            for e in &new {
                after.evolve(e);
            }
            events.extend(new);
        }
        let audit = AuditRecord {
            actor,
            action: code.to_owned(),
            case_id: loaded.summary.case_id,
            outcome: "ok".to_owned(),
            subject: Some(episode_subject(episode)),
        };
        Ok(self
            .store
            .append_support(SupportAppend {
                episode_id: episode,
                expected_version: version,
                new: None,
                events: &events,
                state_after: &after,
                actor,
                recorded_at: now,
                new_subjects: &[],
                vault_writes: &writes,
                audit: &audit,
            })
            .await?)
    }

    /// The commands that bring the case's effective decisions onto the episode: a positive
    /// decision at once, a negative one once any review it needs has agreed.
    async fn decision_commands(
        &self,
        state: &EpisodeState,
        case: Option<CaseId>,
    ) -> Result<Vec<SupportCommand>, ServiceError> {
        let Some(case) = case else {
            return Ok(Vec::new());
        };
        let loaded = self.store.load(case).await?.ok_or(ServiceError::NotFound)?;
        let CaseState::Referral(r) = CaseState::from_events(loaded.events.iter().map(|e| &e.event))
        else {
            return Ok(Vec::new());
        };
        let effective = |d: &nrm_domain::case::DecisionRecord| {
            d.outcome == Outcome::Positive || !d.awaiting_review()
        };
        let mut out = Vec::new();
        if state.reasonable_grounds.is_none()
            && let Some(d) = r.reasonable_grounds.as_ref().filter(|d| effective(d))
        {
            out.push(SupportCommand::RecordReasonableGrounds {
                outcome: d.outcome,
                decided_on: d.decided_on,
            });
        }
        if state.conclusive_grounds.is_none()
            && let Some(d) = r.conclusive_grounds.as_ref().filter(|d| effective(d))
        {
            out.push(SupportCommand::RecordConclusiveGrounds {
                outcome: d.outcome,
                decided_on: d.decided_on,
            });
        }
        // A case withdrawn closes its open episode, with the withdrawal's reason.
        if state.exited.is_none()
            && state.status.is_some()
            && r.stage.status() == nrm_domain::case::CaseStatus::Withdrawn
        {
            let reason = loaded.events.iter().rev().find_map(|e| match &e.event {
                nrm_domain::event::CaseEvent::Withdrawn { reason, .. } => Some(*reason),
                _ => None,
            });
            out.push(SupportCommand::Exit {
                reason: match reason {
                    Some(nrm_domain::event::WithdrawalReason::ConsentWithdrawn) => {
                        ExitReason::ConsentWithdrawn
                    }
                    _ => ExitReason::Other,
                },
            });
        }
        Ok(out)
    }

    /// An episode for a reader: `read` names [`SupportOperation::ReadStatus`] or
    /// [`SupportOperation::ReadSupport`]; `concerns` names [`SupportOperation::ReadSafeguarding`]
    /// (every concern, with its words) or [`SupportOperation::ReadEscalatedConcerns`]. The read
    /// is audited before it is returned.
    pub async fn view(
        &self,
        read: &SupportCapability,
        concerns: Option<&SupportCapability>,
        now: DateTime<Utc>,
    ) -> Result<EpisodeView, ServiceError> {
        let full = read.permits(SupportOperation::ReadSupport);
        if !full && !read.permits(SupportOperation::ReadStatus) {
            return Err(ServiceError::NotFound);
        }
        let episode = read.episode();
        let all_concerns = match concerns {
            Some(c) if c.episode() != episode => return Err(ServiceError::NotFound),
            Some(c) if c.permits(SupportOperation::ReadSafeguarding) => Some(true),
            Some(c) if c.permits(SupportOperation::ReadEscalatedConcerns) => Some(false),
            Some(_) => return Err(ServiceError::NotFound),
            None => None,
        };
        let result = self.view_unaudited(episode, full, all_concerns, now).await;
        let action = match (full, all_concerns) {
            (_, Some(true)) => "support.read_safeguarding",
            (true, _) => "support.read",
            (false, _) => "support.read_status",
        };
        let case = result.as_ref().ok().and_then(|v| v.summary.case_id);
        self.audit(
            read.actor(),
            action,
            case,
            Some(episode_subject(episode)),
            &result,
            now,
        )
        .await?;
        result
    }

    async fn view_unaudited(
        &self,
        episode: EpisodeId,
        full: bool,
        all_concerns: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<EpisodeView, ServiceError> {
        let loaded = self
            .store
            .load_episode(episode)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let state = EpisodeState::from_events(loaded.events.iter().map(|e| &e.event));
        let overdue = state.overdue(now, uk_date(now));
        let subject = loaded.summary.subject;
        let mut concerns = Vec::new();
        if let Some(all) = all_concerns {
            for c in state.concerns.iter().filter(|c| all || c.escalated()) {
                let details = self.read_note(subject, Some(c.details)).await?;
                let police_reference = self.read_note(subject, c.police_reference).await?;
                concerns.push(ConcernView {
                    concern: c.clone(),
                    details,
                    police_reference,
                });
            }
        }
        Ok(EpisodeView {
            summary: loaded.summary,
            overdue,
            state: full.then_some(state),
            concerns,
            all_concerns: all_concerns == Some(true),
        })
    }

    async fn read_note(
        &self,
        subject: SubjectId,
        record: Option<VaultRecordId>,
    ) -> Result<Option<DecisionReasons>, ServiceError> {
        let Some(record) = record else {
            return Ok(None);
        };
        match self.store.read_vault(subject, record).await? {
            VaultContent::SupportNote { text } => Ok(Some(text)),
            _ => Err(ServiceError::Store(StoreError::Corrupt(
                "a support note is of another kind".to_owned(),
            ))),
        }
    }

    /// Reads one note of an episode (an RNA's evidence or reasons, a review's notes) for a
    /// reader of the support record. Audited.
    pub async fn note(
        &self,
        read: &SupportCapability,
        record: VaultRecordId,
        now: DateTime<Utc>,
    ) -> Result<DecisionReasons, ServiceError> {
        if !read.permits(SupportOperation::ReadSupport) {
            return Err(ServiceError::NotFound);
        }
        let episode = read.episode();
        let result = async {
            let loaded = self
                .store
                .load_episode(episode)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let state = EpisodeState::from_events(loaded.events.iter().map(|e| &e.event));
            // Only the support record's own notes: not a concern's words (those need the
            // safeguarding capability) and never another record of the person's.
            let ok = state
                .rnas
                .iter()
                .any(|r| r.evidence == record || r.reasons == Some(record))
                || loaded.events.iter().any(|e| match &e.event {
                    SupportEvent::TransitionPlanRecorded { details, .. } => *details == record,
                    SupportEvent::RnaReconsiderationRequested { grounds, .. } => *grounds == record,
                    _ => false,
                });
            if !ok {
                return Err(ServiceError::NotFound);
            }
            self.read_note(loaded.summary.subject, Some(record))
                .await?
                .ok_or(ServiceError::NotFound)
        }
        .await;
        self.audit(
            read.actor(),
            "support.read_note",
            None,
            Some(episode_subject(episode)),
            &result,
            now,
        )
        .await?;
        result
    }

    /// The episodes in the caller's scope matching `filter`. Audited.
    pub async fn list(
        &self,
        capability: &SupportServiceCapability,
        filter: EpisodeFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<(EpisodeSummary, OverdueFlags)>, ServiceError> {
        if capability.operation() != SupportServiceOperation::ListEpisodes {
            return Err(ServiceError::NotFound);
        }
        let scope = match capability.scope() {
            SupportScope::Everything => EpisodeListScope::Everything,
            SupportScope::Provider(org) => EpisodeListScope::Organisation(*org),
            SupportScope::Worker { user, .. } => EpisodeListScope::Worker(*user),
            SupportScope::Nothing => return Err(ServiceError::NotFound),
        };
        let result = async {
            let rows = self.store.list_episodes(scope, filter).await?;
            let today = uk_date(now);
            Ok(rows
                .into_iter()
                .map(|s| {
                    let flags = summary_flags(&s, now, today);
                    (s, flags)
                })
                .collect())
        }
        .await;
        self.audit(capability.actor(), "support.list", None, None, &result, now)
            .await?;
        result
    }

    /// The concerns escalated to the Home Office and not yet acknowledged (contract managers).
    pub async fn escalations(
        &self,
        capability: &SupportServiceCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<ConcernRow>, ServiceError> {
        if capability.operation() != SupportServiceOperation::ListEpisodes
            || capability.scope() != &SupportScope::Everything
        {
            return Err(ServiceError::NotFound);
        }
        let result = self
            .store
            .concerns_awaiting_acknowledgement()
            .await
            .map_err(ServiceError::from);
        self.audit(
            capability.actor(),
            "support.list_escalations",
            None,
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// Registers accommodation of the caller's own organisation, its address in the vault.
    pub async fn add_accommodation(
        &self,
        capability: &SupportServiceCapability,
        kind: AccommodationType,
        capacity: u32,
        region: String,
        address: String,
        now: DateTime<Utc>,
    ) -> Result<AccommodationId, ServiceError> {
        if capability.operation() != SupportServiceOperation::ManageAccommodation {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let subject = SubjectId(nrm_domain::ids::time_ordered());
        let accommodation = Accommodation {
            id: AccommodationId(nrm_domain::ids::time_ordered()),
            provider: actor.organisation,
            kind,
            capacity,
            region,
            address: VaultRecordId(nrm_domain::ids::time_ordered()),
        };
        let checked = accommodation
            .check()
            .map_err(ServiceError::from)
            .and_then(|()| note(&address, "/address", true));
        let text = match checked {
            Ok(Some(text)) => text,
            Ok(None) | Err(_) => {
                let failed = checked.and_then(|t| t.ok_or(ServiceError::NotFound));
                self.audit(actor, "support.add_accommodation", None, None, &failed, now)
                    .await?;
                return Err(failed.err().unwrap_or(ServiceError::NotFound));
            }
        };
        let audit = AuditRecord {
            actor,
            action: "support.add_accommodation".to_owned(),
            case_id: None,
            outcome: "ok".to_owned(),
            subject: Some(format!("accommodation:{}", accommodation.id)),
        };
        self.store
            .add_accommodation(
                &accommodation,
                subject,
                &VaultWrite {
                    record: accommodation.address,
                    subject,
                    content: VaultContent::SupportNote { text },
                },
                &audit,
                now,
            )
            .await?;
        Ok(accommodation.id)
    }

    /// Accommodation in the caller's scope, each with its occupancy on `on` and inspections.
    pub async fn accommodation(
        &self,
        capability: &SupportServiceCapability,
        on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Vec<AccommodationView>, ServiceError> {
        if capability.operation() != SupportServiceOperation::ReadAccommodation {
            return Err(ServiceError::NotFound);
        }
        let provider = scope_provider(capability.scope())?;
        let result = async {
            let mut out = Vec::new();
            let inspections = self.store.inspections(None, provider).await?;
            for (a, _) in self.store.accommodation_list(provider).await? {
                let placements = self.store.placements_in(a.id).await?;
                out.push(AccommodationView {
                    occupancy: nrm_domain::support::accommodation::occupancy_at(
                        &placements,
                        a.id,
                        on,
                    ),
                    inspections: inspections
                        .iter()
                        .filter(|i| i.accommodation == a.id)
                        .cloned()
                        .collect(),
                    accommodation: a,
                });
            }
            Ok(out)
        }
        .await;
        self.audit(
            capability.actor(),
            "support.read_accommodation",
            None,
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// Records an inspection (contract managers). Returns its id.
    pub async fn record_inspection(
        &self,
        capability: &SupportServiceCapability,
        input: InspectionInput,
        now: DateTime<Utc>,
    ) -> Result<InspectionId, ServiceError> {
        if capability.operation() != SupportServiceOperation::Inspect {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let result = async {
            let (accommodation, subject) = self
                .store
                .accommodation(input.accommodation)
                .await?
                .ok_or_else(|| {
                    DomainError::Invalid(vec![FieldProblem::new(
                        "/accommodation",
                        "Choose accommodation",
                    )])
                })?;
            if input.inspected_on > uk_date(now) {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/inspected_on",
                    "The inspection date must be today or in the past",
                )])
                .into());
            }
            let followed = match input.follow_up_of {
                Some(id) => Some(
                    self.store
                        .inspections(Some(accommodation.id), None)
                        .await?
                        .into_iter()
                        .find(|i| i.id == id)
                        .ok_or_else(|| {
                            DomainError::Invalid(vec![FieldProblem::new(
                                "/follow_up_of",
                                "Choose an earlier inspection of this accommodation",
                            )])
                        })?,
                ),
                None => None,
            };
            let notes = note(input.notes.as_deref().unwrap_or(""), "/notes", false)?;
            let notes_write = notes.map(|text| VaultWrite {
                record: VaultRecordId(nrm_domain::ids::time_ordered()),
                subject,
                content: VaultContent::SupportNote { text },
            });
            let inspection = Inspection {
                id: InspectionId(nrm_domain::ids::time_ordered()),
                accommodation: accommodation.id,
                inspected_on: input.inspected_on,
                follow_up_of: input.follow_up_of,
                findings: input.findings,
                actions: input
                    .actions
                    .iter()
                    .enumerate()
                    .map(|(i, (area, due_on))| RequiredAction {
                        number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                        area: *area,
                        due_on: *due_on,
                        completed_on: None,
                    })
                    .collect(),
                notes: notes_write.as_ref().map(|w| w.record),
            };
            inspection.check(followed.as_ref())?;
            let audit = AuditRecord {
                actor,
                action: "support.record_inspection".to_owned(),
                case_id: None,
                outcome: "ok".to_owned(),
                subject: Some(format!("accommodation:{}", accommodation.id)),
            };
            self.store
                .record_inspection(&inspection, notes_write.as_ref(), actor, &audit, now)
                .await?;
            Ok(inspection.id)
        }
        .await;
        if result.is_err() {
            self.audit(actor, "support.record_inspection", None, None, &result, now)
                .await?;
        }
        result
    }

    /// Marks an inspection action completed (the provider's manager, for its own accommodation).
    pub async fn complete_action(
        &self,
        capability: &SupportServiceCapability,
        inspection: InspectionId,
        number: u32,
        on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if capability.operation() != SupportServiceOperation::CompleteActions {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let provider = scope_provider(capability.scope())?;
        let found = self
            .store
            .inspections(None, provider)
            .await?
            .into_iter()
            .any(|i| i.id == inspection);
        let audit = AuditRecord {
            actor,
            action: "support.complete_action".to_owned(),
            case_id: None,
            outcome: "ok".to_owned(),
            subject: Some(format!("inspection:{inspection}")),
        };
        let done = found
            && on <= uk_date(now)
            && self
                .store
                .complete_inspection_action(inspection, number, on, &audit, now)
                .await?;
        if done {
            Ok(())
        } else {
            let failed: Result<(), ServiceError> = Err(ServiceError::NotFound);
            self.audit(actor, "support.complete_action", None, None, &failed, now)
                .await?;
            failed
        }
    }

    /// Inspection actions past their due date, in the caller's scope (the contract manager's
    /// view of every provider).
    pub async fn overdue_actions(
        &self,
        capability: &SupportServiceCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<OverdueAction>, ServiceError> {
        if capability.operation() != SupportServiceOperation::ReadAccommodation {
            return Err(ServiceError::NotFound);
        }
        let provider = scope_provider(capability.scope())?;
        let result = async {
            let list = self.store.accommodation_list(provider).await?;
            let inspections = self.store.inspections(None, provider).await?;
            Ok(overdue_actions(&inspections, uk_date(now))
                .into_iter()
                .map(|(i, a)| OverdueAction {
                    inspection: i.id,
                    accommodation: i.accommodation,
                    provider: list
                        .iter()
                        .find(|(x, _)| x.id == i.accommodation)
                        .map_or(OrganisationId(Uuid::nil()), |(x, _)| x.provider),
                    action: a.clone(),
                })
                .collect())
        }
        .await;
        self.audit(
            capability.actor(),
            "support.read_overdue_actions",
            None,
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// A provider's payments statement between two dates, as CSV (episodes by reference only).
    pub async fn statement_csv(
        &self,
        capability: &SupportServiceCapability,
        provider: OrganisationId,
        from: NaiveDate,
        to: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<String, ServiceError> {
        if capability.operation() != SupportServiceOperation::ReadStatement
            || !organisation_in_scope(capability.scope(), provider)
        {
            return Err(ServiceError::NotFound);
        }
        let result = async {
            if to < from {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/to",
                    "The end of the period must not be before its start",
                )])
                .into());
            }
            let rows = self.store.provider_postings(provider, from, to).await?;
            let lines: Vec<StatementLine> = rows
                .into_iter()
                .map(|row| StatementLine {
                    episode_reference: row.episode_reference,
                    date: row.posted_on,
                    kind: match row.kind.as_str() {
                        "due" => "due",
                        "paid" => "paid",
                        _ => "adjusted",
                    },
                    amount_pence: row.amount_pence,
                    reason: row
                        .reason
                        .as_deref()
                        .and_then(AdjustmentReason::parse)
                        .map(AdjustmentReason::code),
                })
                .collect();
            Ok(statement_csv(&lines))
        }
        .await;
        self.audit(
            capability.actor(),
            "support.read_statement",
            None,
            Some(format!("organisation:{provider}")),
            &result,
            now,
        )
        .await?;
        result
    }
}

/// Whether a case event changes what support knows of the case's decisions (an RG or CG
/// decision, or the review that makes a negative one effective), or makes the case one to
/// refer (a young adult's "yes" to the consent-to-support question, issue 13).
pub(crate) fn reaches_support(event: &nrm_domain::event::CaseEvent) -> bool {
    use nrm_domain::event::CaseEvent as E;
    matches!(
        event,
        E::ReasonableGroundsDecided(_)
            | E::ConclusiveGroundsDecided(_)
            | E::NegativeReasonableGroundsReviewed { .. }
            | E::NegativeConclusiveGroundsReviewed { .. }
            | E::Withdrawn { .. }
    ) || matches!(event, E::ConsentToSupportAnswered(a) if a.consents)
}

/// The support contract's area a nation is in: one adult victim care contract covers England
/// and Wales; Scotland and Northern Ireland fund their own (`rulebook/support.json`).
fn contract_area(nation: UkNation) -> UkNation {
    match nation {
        UkNation::Wales => UkNation::England,
        other => other,
    }
}

/// The nation a region code is in.
fn region_nation(region: &str) -> UkNation {
    match region {
        "scotland" => UkNation::Scotland,
        "northern_ireland" => UkNation::NorthernIreland,
        "wales" => UkNation::Wales,
        _ => UkNation::England,
    }
}

fn scope_provider(scope: &SupportScope) -> Result<Option<OrganisationId>, ServiceError> {
    match scope {
        SupportScope::Everything => Ok(None),
        SupportScope::Provider(org) => Ok(Some(*org)),
        SupportScope::Worker { organisation, .. } => Ok(Some(*organisation)),
        SupportScope::Nothing => Err(ServiceError::NotFound),
    }
}

/// The overdue flags a summary row can show (the full set needs the episode's events).
pub fn summary_flags(s: &EpisodeSummary, now: DateTime<Utc>, today: NaiveDate) -> OverdueFlags {
    let open = !matches!(s.status.as_str(), "exited" | "reach_in");
    let in_support = open && s.status != "awaiting_allocation";
    OverdueFlags {
        allocation: s.status == "awaiting_allocation"
            && s.allocation_due_at.is_some_and(|d| now > d),
        safeguarding_review: in_support && s.review_due_on.is_some_and(|d| today > d),
        acknowledgement: s.awaiting_acknowledgement > 0 && s.next_due_on.is_some_and(|d| today > d),
        rna_decision: false,
        exit: in_support && s.support_until.is_some_and(|d| today > d),
    }
}

/// What the sweep turn's reconciliation of support did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupportReconcileReport {
    /// Cases looked at (changed since they were last looked at).
    pub checked: usize,
    /// Episodes made for adult cases with consent that had none (bulk-loaded, imported, or
    /// whose intake referral failed).
    pub referred: usize,
    /// Episodes that took a decision or a withdrawal of their case they had not seen.
    pub updated: usize,
    /// Cases whose episode refused the update (left for a person to look at; not retried
    /// until the case changes).
    pub refused: usize,
}

/// Cases looked at per page by the reconciliation.
const RECONCILE_PAGE: i64 = 200;

impl Cases {
    /// The support part of the sweep turn (issue 12): reconciles support episodes with their
    /// cases. An open adult case with consent to support and no episode gets one (as at
    /// intake, to the prime contractor of the person's nation); an open episode takes its
    /// case's Reasonable Grounds, Conclusive Grounds or withdrawal that it has not seen. Only
    /// cases changed since the last look are read (a store query; `support_case_checks`
    /// keeps the version looked at), so a quiet turn reads nothing. Idempotent: each change is
    /// an episode event with its own audit entry (a page's cases are looked at concurrently,
    /// so the group commit writes their changes together); the run is audited as
    /// `support.reconcile`. The overdue flags are worked out from the episode's due dates
    /// whenever it is read, so a changed episode's flags follow at once.
    pub async fn reconcile_support(
        &self,
        now: DateTime<Utc>,
    ) -> Result<SupportReconcileReport, ServiceError> {
        let result = self.reconcile_support_unaudited(now).await;
        self.audit(Actor::SYSTEM, "support.reconcile", None, &result, now)
            .await?;
        result
    }

    async fn reconcile_support_unaudited(
        &self,
        now: DateTime<Utc>,
    ) -> Result<SupportReconcileReport, ServiceError> {
        let support = self.support();
        let store = self.store();
        let mut report = SupportReconcileReport::default();
        let mut after = None;
        loop {
            let page = store
                .cases_to_reconcile_with_support(after, RECONCILE_PAGE)
                .await?;
            let Some((last, _)) = page.last() else {
                break;
            };
            after = Some(*last);
            // The page's cases at once: each change its own audited append, and the group
            // commit takes them together; then the page's checks in one write.
            let looks = page
                .iter()
                .map(|&(case_id, _)| support.reconcile_case(Actor::SYSTEM, case_id, now));
            let results = futures_util::future::join_all(looks).await;
            let mut checks: Vec<(CaseId, u64, &'static str)> = Vec::with_capacity(page.len());
            for (&(case_id, version), result) in page.iter().zip(results) {
                report.checked += 1;
                let outcome = match result {
                    Ok(Reconciled::NothingToDo) => "nothing_to_do",
                    Ok(Reconciled::Updated(n)) => {
                        report.updated += n;
                        "updated"
                    }
                    Ok(Reconciled::Referred) => {
                        report.referred += 1;
                        "referred"
                    }
                    // Changed meanwhile (a person's change, another instance): the case's
                    // new version brings it back next turn.
                    Err(ServiceError::Conflict { .. })
                    | Err(ServiceError::Store(
                        StoreError::VersionConflict { .. } | StoreError::DuplicateReference,
                    )) => continue,
                    Err(ServiceError::Domain(_)) => {
                        tracing::warn!(case_id = %case_id, "support reconciliation refused for a case");
                        report.refused += 1;
                        "refused"
                    }
                    Err(e) => {
                        // What the page found before it is kept; the rest is looked at again.
                        store.record_support_case_checks(&checks, now).await?;
                        return Err(e);
                    }
                };
                checks.push((case_id, version, outcome));
            }
            store.record_support_case_checks(&checks, now).await?;
        }
        if report.referred + report.updated + report.refused > 0 {
            tracing::info!(
                checked = report.checked,
                referred = report.referred,
                updated = report.updated,
                refused = report.refused,
                "support reconciliation"
            );
        }
        Ok(report)
    }
}

/// What the support reconciliation did with one case.
pub(crate) enum Reconciled {
    NothingToDo,
    /// This many of its episodes brought up to date.
    Updated(usize),
    /// Referred to support now.
    Referred,
}

/// Whether referral `r` is referred to support on its own: an open adult referral with
/// consent to support.
fn wants_support(r: &nrm_domain::case::Referral) -> bool {
    r.age_group == nrm_domain::submission::AgeGroup::Adult && r.support_consent && r.is_open()
}
