//! A support episode folded from its events, with its clocks and overdue flags.

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;

use crate::event::Outcome;
use crate::geography::UkNation;
use crate::ids::{CaseId, OrganisationId, UserId, VaultRecordId};

use super::accommodation::Placement;
use super::event::{
    ConcernKind, ConcernOutcome, EntryRoute, ExitReason, Need, PlanAction, Provision, RnaDecision,
    Severity, SupportEvent,
};
use super::finance::{Ledger, SupportSpan};
use super::ids::{ConcernId, RnaId};

/// Where a support episode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportStatus {
    /// Referred to the prime contractor; no subcontractor yet.
    AwaitingAllocation,
    /// Supported before the RG (emergency, or consent to support while the RG is awaited).
    BeforeReasonableGrounds,
    /// A positive RG: recovery period support until the CG (or a fixed period).
    RecoveryPeriod,
    /// A positive CG: move-on support, extended by RNA decisions.
    MoveOn,
    /// A negative RG or CG: support ends after the notice period.
    Ending,
    Exited,
    /// Reach-In support after exit.
    ReachIn,
}

impl SupportStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::AwaitingAllocation => "awaiting_allocation",
            Self::BeforeReasonableGrounds => "before_reasonable_grounds",
            Self::RecoveryPeriod => "recovery_period",
            Self::MoveOn => "move_on",
            Self::Ending => "ending",
            Self::Exited => "exited",
            Self::ReachIn => "reach_in",
        }
    }

    /// Whether the person is in support (allocated, not exited).
    pub fn in_support(self) -> bool {
        matches!(
            self,
            Self::BeforeReasonableGrounds | Self::RecoveryPeriod | Self::MoveOn | Self::Ending
        )
    }
}

/// One RNA and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RnaState {
    pub id: RnaId,
    pub recorded_on: NaiveDate,
    pub needs: Vec<Need>,
    pub recommended_days: u32,
    pub evidence: VaultRecordId,
    pub decision_due_on: NaiveDate,
    pub decision: Option<RnaDecision>,
    pub days_granted: u32,
    pub decided_on: Option<NaiveDate>,
    pub reasons: Option<VaultRecordId>,
    pub reconsideration_requested: bool,
    pub reconsidered: bool,
}

impl RnaState {
    /// Waiting for the Home Office (first decision or reconsideration).
    pub fn awaiting_decision(&self) -> bool {
        self.decision.is_none() || self.reconsideration_requested && !self.reconsidered
    }
}

/// One safeguarding concern.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConcernState {
    pub id: ConcernId,
    pub kind: ConcernKind,
    pub severity: Severity,
    pub raised_at: DateTime<Utc>,
    pub details: VaultRecordId,
    pub escalated_at: Option<DateTime<Utc>>,
    pub acknowledgement_due_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<ConcernOutcome>,
    pub police_reference: Option<VaultRecordId>,
    pub missing_since: Option<DateTime<Utc>>,
    pub found_at: Option<DateTime<Utc>>,
}

impl ConcernState {
    pub fn open(&self) -> bool {
        self.closed_at.is_none()
    }

    pub fn escalated(&self) -> bool {
        self.escalated_at.is_some()
    }

    /// Escalated, not yet acknowledged, and past its acknowledgement time at `now`.
    pub fn acknowledgement_overdue(&self, now: DateTime<Utc>) -> bool {
        self.acknowledged_at.is_none() && self.acknowledgement_due_at.is_some_and(|due| now > due)
    }
}

/// The overdue flags of an episode at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OverdueFlags {
    pub allocation: bool,
    pub safeguarding_review: bool,
    pub acknowledgement: bool,
    pub rna_decision: bool,
    /// The support period has ended and the person has not exited.
    pub exit: bool,
}

impl OverdueFlags {
    pub fn any(&self) -> bool {
        self.allocation
            || self.safeguarding_review
            || self.acknowledgement
            || self.rna_decision
            || self.exit
    }
}

/// A support episode's current state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EpisodeState {
    pub status: Option<SupportStatus>,
    pub case_id: Option<CaseId>,
    pub nation: Option<UkNation>,
    pub route: Option<EntryRoute>,
    pub prime: Option<OrganisationId>,
    pub provider: Option<OrganisationId>,
    pub worker: Option<UserId>,
    pub provision: Option<Provision>,
    pub referred_at: Option<DateTime<Utc>>,
    pub allocation_due_at: Option<DateTime<Utc>>,
    pub allocated_on: Option<NaiveDate>,
    pub reasonable_grounds: Option<(Outcome, NaiveDate)>,
    pub conclusive_grounds: Option<(Outcome, NaiveDate)>,
    /// The last day of support, when one is set.
    pub support_until: Option<NaiveDate>,
    pub rna_available: bool,
    pub next_review_due_on: Option<NaiveDate>,
    pub last_review_on: Option<NaiveDate>,
    pub rnas: Vec<RnaState>,
    pub transition_plan: Option<Vec<PlanAction>>,
    pub concerns: Vec<ConcernState>,
    pub placements: Vec<Placement>,
    pub ledger: Ledger,
    pub exited: Option<(NaiveDate, ExitReason)>,
    pub reach_in_eligible: bool,
    pub reach_in_started_on: Option<NaiveDate>,
    pub version: u64,
}

impl EpisodeState {
    /// Folds a stream of events.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a SupportEvent>) -> Self {
        let mut state = Self::default();
        for e in events {
            state.evolve(e);
        }
        state
    }

    pub fn exists(&self) -> bool {
        self.status.is_some()
    }

    pub fn concern(&self, id: ConcernId) -> Option<&ConcernState> {
        self.concerns.iter().find(|c| c.id == id)
    }

    pub fn rna(&self, id: RnaId) -> Option<&RnaState> {
        self.rnas.iter().find(|r| r.id == id)
    }

    /// Whether any concern has ever been escalated to the Home Office.
    pub fn has_escalated_concern(&self) -> bool {
        self.concerns.iter().any(ConcernState::escalated)
    }

    /// The days in support: from allocation to exit (the exit day not included).
    pub fn support_span(&self) -> Option<SupportSpan> {
        self.allocated_on.map(|from| SupportSpan {
            from,
            until: self.exited.map(|(on, _)| on),
        })
    }

    /// The overdue flags at `now` (`today` is `now`'s UK civil date).
    pub fn overdue(&self, now: DateTime<Utc>, today: NaiveDate) -> OverdueFlags {
        let Some(status) = self.status else {
            return OverdueFlags::default();
        };
        OverdueFlags {
            allocation: status == SupportStatus::AwaitingAllocation
                && self.allocation_due_at.is_some_and(|due| now > due),
            safeguarding_review: status.in_support()
                && self.next_review_due_on.is_some_and(|due| today > due),
            acknowledgement: self.concerns.iter().any(|c| c.acknowledgement_overdue(now)),
            rna_decision: self
                .rnas
                .iter()
                .any(|r| r.awaiting_decision() && today > r.decision_due_on),
            exit: status.in_support()
                && self.support_until.is_some_and(|until| today > until)
                && !self.rnas.iter().any(RnaState::awaiting_decision),
        }
    }

    /// The earliest date something is due (for the caseload's sort), if any.
    pub fn next_due_on(&self) -> Option<NaiveDate> {
        let status = self.status?;
        let mut dates = Vec::new();
        if status == SupportStatus::AwaitingAllocation {
            dates.extend(self.allocation_due_at.map(|d| d.date_naive()));
        }
        if status.in_support() {
            dates.extend(self.next_review_due_on);
            dates.extend(self.support_until);
        }
        dates.extend(
            self.rnas
                .iter()
                .filter(|r| r.awaiting_decision())
                .map(|r| r.decision_due_on),
        );
        dates.extend(
            self.concerns
                .iter()
                .filter(|c| c.acknowledged_at.is_none())
                .filter_map(|c| c.acknowledgement_due_at.map(|d| d.date_naive())),
        );
        dates.into_iter().min()
    }

    /// Applies one event. Events are facts already decided: nothing here can fail.
    pub fn evolve(&mut self, event: &SupportEvent) {
        self.version += 1;
        match event {
            SupportEvent::Referred {
                case_id,
                nation,
                route,
                prime,
                referred_at,
                allocation_due_at,
                ..
            } => {
                self.status = Some(SupportStatus::AwaitingAllocation);
                self.case_id = *case_id;
                self.nation = Some(*nation);
                self.route = Some(*route);
                self.prime = Some(*prime);
                self.referred_at = Some(*referred_at);
                self.allocation_due_at = Some(*allocation_due_at);
            }
            SupportEvent::Allocated {
                provider,
                worker,
                provision,
                allocated_at,
                safeguarding_review_due_on,
            } => {
                self.provider = Some(*provider);
                self.worker = *worker;
                self.provision = Some(*provision);
                self.allocated_on = Some(allocated_at.date_naive());
                self.next_review_due_on = Some(*safeguarding_review_due_on);
                if self.status == Some(SupportStatus::AwaitingAllocation) {
                    self.status = Some(match self.reasonable_grounds {
                        Some((Outcome::Positive, _)) => SupportStatus::RecoveryPeriod,
                        Some((Outcome::Negative, _)) => SupportStatus::Ending,
                        None => SupportStatus::BeforeReasonableGrounds,
                    });
                }
            }
            SupportEvent::WorkerAssigned { worker } => self.worker = Some(*worker),
            SupportEvent::ReasonableGroundsRecorded {
                outcome,
                decided_on,
                support_until,
            } => {
                self.reasonable_grounds = Some((*outcome, *decided_on));
                self.support_until = *support_until;
                if self.status.is_some_and(SupportStatus::in_support) {
                    self.status = Some(match outcome {
                        Outcome::Positive => SupportStatus::RecoveryPeriod,
                        Outcome::Negative => SupportStatus::Ending,
                    });
                }
            }
            SupportEvent::ConclusiveGroundsRecorded {
                outcome,
                decided_on,
                support_until,
                rna_available,
            } => {
                self.conclusive_grounds = Some((*outcome, *decided_on));
                self.support_until = *support_until;
                self.rna_available = *rna_available;
                if self.status.is_some_and(SupportStatus::in_support) {
                    self.status = Some(match outcome {
                        Outcome::Positive if *rna_available || support_until.is_some() => {
                            SupportStatus::MoveOn
                        }
                        _ => SupportStatus::Ending,
                    });
                }
            }
            SupportEvent::RnaRecorded {
                rna,
                recorded_on,
                needs,
                recommended_days,
                evidence,
                decision_due_on,
            } => self.rnas.push(RnaState {
                id: *rna,
                recorded_on: *recorded_on,
                needs: needs.clone(),
                recommended_days: *recommended_days,
                evidence: *evidence,
                decision_due_on: *decision_due_on,
                decision: None,
                days_granted: 0,
                decided_on: None,
                reasons: None,
                reconsideration_requested: false,
                reconsidered: false,
            }),
            SupportEvent::RnaDecided {
                rna,
                decision,
                days_granted,
                decided_on,
                reasons,
                support_until,
                on_reconsideration,
            } => {
                if let Some(r) = self.rnas.iter_mut().find(|r| r.id == *rna) {
                    r.decision = Some(*decision);
                    r.days_granted = *days_granted;
                    r.decided_on = Some(*decided_on);
                    r.reasons = Some(*reasons);
                    if *on_reconsideration {
                        r.reconsidered = true;
                    }
                }
                if support_until.is_some() {
                    self.support_until = *support_until;
                }
            }
            SupportEvent::RnaReconsiderationRequested {
                rna,
                decision_due_on,
                ..
            } => {
                if let Some(r) = self.rnas.iter_mut().find(|r| r.id == *rna) {
                    r.reconsideration_requested = true;
                    r.decision_due_on = *decision_due_on;
                }
            }
            SupportEvent::TransitionPlanRecorded { actions, .. } => {
                self.transition_plan = Some(actions.clone());
            }
            SupportEvent::SafeguardingReviewed {
                reviewed_on,
                next_due_on,
                ..
            } => {
                self.last_review_on = Some(*reviewed_on);
                self.next_review_due_on = Some(*next_due_on);
            }
            SupportEvent::ConcernRaised {
                concern,
                kind,
                severity,
                raised_at,
                details,
            } => self.concerns.push(ConcernState {
                id: *concern,
                kind: *kind,
                severity: *severity,
                raised_at: *raised_at,
                details: *details,
                escalated_at: None,
                acknowledgement_due_at: None,
                acknowledged_at: None,
                closed_at: None,
                outcome: None,
                police_reference: None,
                missing_since: None,
                found_at: None,
            }),
            SupportEvent::ConcernEscalated {
                concern,
                escalated_at,
                acknowledgement_due_at,
            } => {
                if let Some(c) = self.concerns.iter_mut().find(|c| c.id == *concern) {
                    c.escalated_at = Some(*escalated_at);
                    c.acknowledgement_due_at = Some(*acknowledgement_due_at);
                }
            }
            SupportEvent::ConcernAcknowledged {
                concern,
                acknowledged_at,
            } => {
                if let Some(c) = self.concerns.iter_mut().find(|c| c.id == *concern) {
                    c.acknowledged_at = Some(*acknowledged_at);
                }
            }
            SupportEvent::ConcernClosed {
                concern,
                closed_at,
                outcome,
            } => {
                if let Some(c) = self.concerns.iter_mut().find(|c| c.id == *concern) {
                    c.closed_at = Some(*closed_at);
                    c.outcome = Some(*outcome);
                }
            }
            SupportEvent::MissingReported {
                concern,
                reported_at,
                police_reference,
            } => {
                if let Some(c) = self.concerns.iter_mut().find(|c| c.id == *concern) {
                    c.missing_since = Some(*reported_at);
                    c.police_reference = Some(*police_reference);
                }
            }
            SupportEvent::MissingEnded { concern, found_at } => {
                if let Some(c) = self.concerns.iter_mut().find(|c| c.id == *concern) {
                    c.found_at = Some(*found_at);
                }
            }
            SupportEvent::PlacementStarted(p) => self.placements.push(p.clone()),
            SupportEvent::PlacementEnded {
                placement,
                end,
                reason,
            } => {
                if let Some(p) = self.placements.iter_mut().find(|p| p.id == *placement) {
                    p.end = Some(*end);
                    p.end_reason = Some(*reason);
                }
            }
            SupportEvent::Posted(posting) => self.ledger.apply(posting.clone()),
            SupportEvent::Exited {
                exited_on,
                reason,
                reach_in_eligible,
            } => {
                self.status = Some(SupportStatus::Exited);
                self.exited = Some((*exited_on, *reason));
                self.reach_in_eligible = *reach_in_eligible;
            }
            SupportEvent::ReachInStarted { started_on } => {
                self.status = Some(SupportStatus::ReachIn);
                self.reach_in_started_on = Some(*started_on);
            }
        }
    }

    /// The open placement, if the person is placed.
    pub fn current_placement(&self) -> Option<&Placement> {
        self.placements.iter().find(|p| p.end.is_none())
    }

    /// The day after `d` (saturating at the end of the calendar).
    pub fn next_day(d: NaiveDate) -> NaiveDate {
        d.checked_add_days(Days::new(1)).unwrap_or(d)
    }
}
