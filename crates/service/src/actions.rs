//! The lifecycle use cases: everything after submission other than the grounds decisions,
//! and the deadline sweep.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, CaseCapability, CaseOperation, Operation};
use nrm_domain::Actor;
use nrm_domain::calendar::WorkingDays;
use nrm_domain::clock::uk_date;
use nrm_domain::command::{Command, LifecycleCommand, ReviewPanel};
use nrm_domain::event::{
    ClosureReason, CompetentAuthority, DecisionRef, DisqualificationGround, InformationSource,
    RerouteReason, ReviewOutcome, ReviewedDecision, SuspensionReason, WithdrawalReason,
};
use nrm_domain::ids::UserId;
use nrm_domain::person::recovery::AdditionalRecoveryCommand;
use nrm_domain::rules::Requester;
use nrm_store::StoreError;
use uuid::Uuid;

use crate::{Cases, ServiceError};

/// A lifecycle action as a user asks for it. Written reasons, where an action has them, are
/// stored encrypted in the vault.
#[derive(Debug, Clone)]
pub enum Action {
    Reroute {
        to: CompetentAuthority,
        pilot_site: Option<String>,
        reason: RerouteReason,
    },
    Allocate {
        to: UserId,
    },
    RequestInformation {
        from: InformationSource,
    },
    RecordInformationReceived {
        request: Uuid,
        received_on: NaiveDate,
    },
    ExtendRecoveryPeriod {
        until: NaiveDate,
    },
    Disqualify {
        ground: DisqualificationGround,
        decided_on: NaiveDate,
        reasons: String,
    },
    ReviewNegativeConclusiveGrounds {
        outcome: ReviewOutcome,
        panel: Option<ReviewPanel>,
        reviewer_agency: String,
        reviewed_on: NaiveDate,
        reasons: String,
    },
    /// The review of a negative RG, a negative CG or a disqualification before it is served.
    ReviewNegativeDecision {
        decision: ReviewedDecision,
        outcome: ReviewOutcome,
        panel: Option<ReviewPanel>,
        reviewer_agency: String,
        reviewed_on: NaiveDate,
        reasons: String,
    },
    Serve {
        decision: DecisionRef,
        served_on: NaiveDate,
        legal_representative: bool,
    },
    RequestReconsideration {
        decision: DecisionRef,
        requested_on: NaiveDate,
        requested_by: Requester,
        facing_removal: bool,
    },
    DecideReconsideration {
        accepted: bool,
        decided_on: NaiveDate,
        reasons: String,
    },
    Withdraw {
        on: NaiveDate,
        reason: WithdrawalReason,
    },
    Suspend {
        on: NaiveDate,
        reason: SuspensionReason,
    },
    Resume {
        on: NaiveDate,
    },
    Close {
        on: NaiveDate,
        reason: ClosureReason,
    },
    /// An age assessment concluded (`Cases::record_age_assessment`).
    RecordAgeAssessment(crate::AgeAssessmentInput),
    /// A pilot panel's meeting convened (`Cases::convene_panel`).
    ConvenePanel(crate::ConveneInput),
    /// The papers for a pilot panel's meeting (`Cases::prepare_panel_papers`).
    PreparePanelPapers {
        meeting: Uuid,
        items: Vec<nrm_domain::children::panel::ChecklistItem>,
    },
    /// A pilot panel's decision at its meeting (`Cases::record_panel_decision`).
    RecordPanelDecision(crate::PanelDecisionInput),
    /// Whether another recovery period is appropriate for a person referred again (NABA 2022
    /// s62), after a positive RG opened the question.
    DecideAdditionalRecoveryPeriod {
        appropriate: bool,
        decided_on: NaiveDate,
        reasons: String,
    },
    /// The SCA's quality assurance of a devolved pilot panel's decision.
    AssurePanelDecision {
        decision: DecisionRef,
        outcome: ReviewOutcome,
        reviewed_on: NaiveDate,
        reasons: String,
    },
    /// The young adult's answer to the consent-to-support question offered when they turned
    /// 18 during the case (`Cases::answer_consent_to_support`).
    AnswerConsentToSupport {
        on: NaiveDate,
        consents: bool,
    },
}

impl Action {
    /// The access-policy operation this action needs.
    pub fn operation(&self) -> CaseOperation {
        match self {
            Self::Reroute { .. } => CaseOperation::Reroute,
            Self::Allocate { .. } => CaseOperation::Allocate,
            Self::Disqualify { .. } | Self::DecideAdditionalRecoveryPeriod { .. } => {
                CaseOperation::Decide
            }
            Self::ReviewNegativeConclusiveGrounds { .. }
            | Self::ReviewNegativeDecision { .. }
            | Self::AssurePanelDecision { .. } => CaseOperation::Review,
            Self::RecordAgeAssessment(_) | Self::AnswerConsentToSupport { .. } => {
                CaseOperation::Manage
            }
            Self::ConvenePanel(_)
            | Self::PreparePanelPapers { .. }
            | Self::RecordPanelDecision(_) => CaseOperation::Decide,
            Self::RequestReconsideration { .. } => CaseOperation::RequestReconsideration,
            Self::RequestInformation { .. }
            | Self::RecordInformationReceived { .. }
            | Self::ExtendRecoveryPeriod { .. }
            | Self::Serve { .. }
            | Self::DecideReconsideration { .. }
            | Self::Withdraw { .. }
            | Self::Suspend { .. }
            | Self::Resume { .. }
            | Self::Close { .. } => CaseOperation::Manage,
        }
    }

    /// The audit code for this action.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Reroute { .. } => "case.reroute",
            Self::Allocate { .. } => "case.allocate",
            Self::RequestInformation { .. } => "case.request_information",
            Self::RecordInformationReceived { .. } => "case.record_information_received",
            Self::ExtendRecoveryPeriod { .. } => "case.extend_recovery_period",
            Self::Disqualify { .. } => "decision.disqualification",
            Self::DecideAdditionalRecoveryPeriod { .. } => "decision.additional_recovery_period",
            Self::ReviewNegativeConclusiveGrounds { .. } | Self::ReviewNegativeDecision { .. } => {
                "decision.review"
            }
            Self::Serve { .. } => "decision.serve",
            Self::RequestReconsideration { .. } => "decision.request_reconsideration",
            Self::DecideReconsideration { .. } => "decision.reconsideration",
            Self::Withdraw { .. } => "case.withdraw",
            Self::Suspend { .. } => "case.suspend",
            Self::Resume { .. } => "case.resume",
            Self::Close { .. } => "case.close",
            Self::RecordAgeAssessment(_) => "case.age_assessment",
            Self::ConvenePanel(_) => "panel.convene",
            Self::PreparePanelPapers { .. } => "panel.papers",
            Self::RecordPanelDecision(_) => "panel.decision",
            Self::AssurePanelDecision { .. } => "panel.assurance",
            Self::AnswerConsentToSupport { .. } => "case.consent_to_support",
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Cases whose deadlines might have changed status.
    pub cases_checked: usize,
    /// Deadline status changes recorded.
    pub changes: usize,
}

impl Cases {
    /// Carries out a lifecycle action.
    pub async fn act(
        &self,
        capability: &CaseCapability,
        expected_version: Option<u64>,
        action: Action,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        use LifecycleCommand as L;
        // These seal more than one record, or draw the assurance sample: their own paths.
        let action = match action {
            Action::RecordAgeAssessment(input) => {
                return self
                    .record_age_assessment(capability, expected_version, input, now)
                    .await;
            }
            Action::ConvenePanel(input) => {
                return self
                    .convene_panel(capability, expected_version, input, now)
                    .await
                    .map(|(_, version)| version);
            }
            Action::PreparePanelPapers { meeting, items } => {
                return self
                    .prepare_panel_papers(capability, expected_version, meeting, items, now)
                    .await;
            }
            Action::RecordPanelDecision(input) => {
                return self
                    .record_panel_decision(capability, expected_version, input, now)
                    .await;
            }
            // Not a lifecycle command: the s62 decision of `person::recovery`.
            Action::DecideAdditionalRecoveryPeriod {
                appropriate,
                decided_on,
                reasons,
            } => {
                let operation = CaseOperation::Decide;
                let (actor, case_id) = crate::allowed(capability, operation)?;
                let code = "decision.additional_recovery_period";
                let result = self
                    .execute(
                        actor,
                        code,
                        case_id,
                        expected_version,
                        Some(reasons),
                        now,
                        |record| {
                            Command::AdditionalRecovery(AdditionalRecoveryCommand::Decide {
                                appropriate,
                                decided_on,
                                reasons: record,
                            })
                        },
                    )
                    .await;
                self.audit_failure(actor, code, Some(case_id), &result, now)
                    .await?;
                return result;
            }
            Action::AnswerConsentToSupport { on, consents } => {
                return self
                    .answer_consent_to_support(capability, expected_version, on, consents, now)
                    .await;
            }
            other => other,
        };
        let (actor, case_id) = crate::allowed(capability, action.operation())?;
        let code = action.code();
        let (reasons, build): (
            Option<String>,
            Box<dyn FnOnce(nrm_domain::VaultRecordId) -> LifecycleCommand + Send>,
        ) = match action {
            Action::Reroute {
                to,
                pilot_site,
                reason,
            } => (
                None,
                Box::new(move |_| L::Reroute {
                    to,
                    pilot_site,
                    reason,
                }),
            ),
            Action::Allocate { to } => (None, Box::new(move |_| L::Allocate { to })),
            Action::RequestInformation { from } => {
                let request = Uuid::new_v4();
                (
                    None,
                    Box::new(move |_| L::RequestInformation { request, from }),
                )
            }
            Action::RecordInformationReceived {
                request,
                received_on,
            } => (
                None,
                Box::new(move |_| L::RecordInformationReceived {
                    request,
                    received_on,
                }),
            ),
            Action::ExtendRecoveryPeriod { until } => {
                (None, Box::new(move |_| L::ExtendRecoveryPeriod { until }))
            }
            Action::Disqualify {
                ground,
                decided_on,
                reasons,
            } => (
                Some(reasons),
                Box::new(move |record| L::Disqualify {
                    ground,
                    decided_on,
                    reasons: record,
                }),
            ),
            Action::ReviewNegativeConclusiveGrounds {
                outcome,
                panel,
                reviewer_agency,
                reviewed_on,
                reasons,
            } => (
                Some(reasons),
                Box::new(move |record| L::ReviewNegativeConclusiveGrounds {
                    outcome,
                    panel,
                    reviewer_agency,
                    reviewed_on,
                    reasons: record,
                }),
            ),
            Action::ReviewNegativeDecision {
                decision,
                outcome,
                panel,
                reviewer_agency,
                reviewed_on,
                reasons,
            } => (
                Some(reasons),
                Box::new(move |record| L::ReviewNegativeDecision {
                    decision,
                    outcome,
                    panel,
                    reviewer_agency,
                    reviewed_on,
                    reasons: record,
                }),
            ),
            Action::Serve {
                decision,
                served_on,
                legal_representative,
            } => (
                None,
                Box::new(move |_| L::ServeDecision {
                    decision,
                    served_on,
                    legal_representative,
                }),
            ),
            Action::RequestReconsideration {
                decision,
                requested_on,
                requested_by,
                facing_removal,
            } => (
                None,
                Box::new(move |_| L::RequestReconsideration {
                    decision,
                    requested_on,
                    requested_by,
                    facing_removal,
                }),
            ),
            Action::DecideReconsideration {
                accepted,
                decided_on,
                reasons,
            } => (
                Some(reasons),
                Box::new(move |record| L::DecideReconsideration {
                    accepted,
                    decided_on,
                    reasons: record,
                }),
            ),
            Action::Withdraw { on, reason } => {
                (None, Box::new(move |_| L::Withdraw { on, reason }))
            }
            Action::Suspend { on, reason } => (None, Box::new(move |_| L::Suspend { on, reason })),
            Action::Resume { on } => (None, Box::new(move |_| L::Resume { on })),
            Action::Close { on, reason } => (None, Box::new(move |_| L::Close { on, reason })),
            Action::AssurePanelDecision {
                decision,
                outcome,
                reviewed_on,
                reasons,
            } => (
                Some(reasons),
                Box::new(move |record| L::AssurePanelDecision {
                    decision,
                    outcome,
                    reviewed_on,
                    reasons: record,
                }),
            ),
            // Handled above.
            Action::RecordAgeAssessment(_)
            | Action::ConvenePanel(_)
            | Action::PreparePanelPapers { .. }
            | Action::RecordPanelDecision(_)
            | Action::DecideAdditionalRecoveryPeriod { .. }
            | Action::AnswerConsentToSupport { .. } => return Err(ServiceError::NotFound),
        };
        let result = self
            .execute(
                actor,
                code,
                case_id,
                expected_version,
                reasons,
                now,
                |record| Command::Lifecycle(build(record)),
            )
            .await;
        self.audit_failure(actor, code, Some(case_id), &result, now)
            .await?;
        result
    }

    /// Brings every case's deadline flags up to date. Idempotent and safe to run from several
    /// instances at once: a case changed concurrently is simply re-read and re-decided on the
    /// next run, and a flag already raised is never raised twice.
    /// The sweep asked for by a person (an operations endpoint): needs the capability.
    pub async fn sweep_as(
        &self,
        capability: &Capability,
        now: DateTime<Utc>,
    ) -> Result<SweepReport, ServiceError> {
        if capability.operation() != Operation::RunDeadlineSweep {
            return Err(ServiceError::NotFound);
        }
        let result = self.sweep(now).await;
        self.audit(
            capability.actor(),
            "deadline.sweep_requested",
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// The system's own sweep (the periodic task in `serve`, `nrm sweep`).
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<SweepReport, ServiceError> {
        let today = uk_date(now);
        let horizon = self
            .rules()
            .competent_authority_calendar
            .add_working_days(today, WorkingDays(self.rules().due_soon(today).0));
        let candidates = self
            .store()
            .cases_with_deadlines_to_flag(today, horizon)
            .await?;
        let mut report = SweepReport {
            cases_checked: candidates.len(),
            changes: 0,
        };
        for case_id in candidates {
            let before = self.store().version(case_id).await?.unwrap_or(0);
            match self
                .execute(
                    Actor::SYSTEM,
                    "deadline.sweep",
                    case_id,
                    None,
                    None,
                    now,
                    |_| Command::Lifecycle(LifecycleCommand::SweepDeadlines),
                )
                .await
            {
                Ok(after) => {
                    report.changes += usize::try_from(after.saturating_sub(before)).unwrap_or(0)
                }
                // Changed under us: the next sweep will look again.
                Err(ServiceError::Conflict { .. }) => {}
                Err(ServiceError::Store(StoreError::VersionConflict { .. })) => {}
                Err(e) => return Err(e),
            }
        }
        // The queue's kept counts gather deltas as cases change; folding them here keeps a
        // count's cost flat (see nrm_store's counts module).
        let folded = self.store().fold_queue_counts().await?;
        if report.changes > 0 || folded.deltas > 0 {
            tracing::info!(
                checked = report.cases_checked,
                changes = report.changes,
                count_deltas_folded = folded.deltas,
                "deadline sweep"
            );
        }
        Ok(report)
    }
}
