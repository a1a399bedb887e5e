//! What can be asked of a support episode, and the rules that decide it.

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};

use crate::calendar::{Jurisdiction, WorkingDays};
use crate::clock::uk_date;
use crate::error::{DomainError, FieldProblem};
use crate::event::Outcome;
use crate::geography::UkNation;
use crate::ids::{CaseId, OrganisationId, UserId, VaultRecordId};
use crate::rules::{Rulebook, SupportPeriod};

use super::accommodation::{Accommodation, Placement, PlacementEndReason, check_placement};
use super::event::{
    ConcernKind, ConcernOutcome, EntryRoute, ExitReason, Need, NeedArea, NeedLevel, PlanAction,
    Provision, ReviewTrigger, RnaDecision, Severity, SupportEvent,
};
use super::finance::{AdjustmentReason, Posting, week_entitlement};
use super::ids::{ConcernId, EpisodeId, PlacementId, RnaId};
use super::rules::SupportRules;
use super::state::{EpisodeState, SupportStatus};

/// The longest further period an RNA may recommend or the Home Office grant at once (a sanity
/// bound on input, not a rule of the contract).
pub const MAX_RNA_DAYS: u32 = 730;

/// A request to change a support episode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupportCommand {
    Refer {
        case_id: Option<CaseId>,
        nation: UkNation,
        route: EntryRoute,
        prime: OrganisationId,
        adult: bool,
        consent_to_support: bool,
    },
    Allocate {
        provider: OrganisationId,
        worker: Option<UserId>,
        provision: Provision,
    },
    AssignWorker {
        worker: UserId,
    },
    RecordReasonableGrounds {
        outcome: Outcome,
        decided_on: NaiveDate,
    },
    RecordConclusiveGrounds {
        outcome: Outcome,
        decided_on: NaiveDate,
    },
    RecordRna {
        rna: RnaId,
        needs: Vec<Need>,
        recommended_days: u32,
        evidence: VaultRecordId,
    },
    DecideRna {
        rna: RnaId,
        decision: RnaDecision,
        days_granted: u32,
        reasons: VaultRecordId,
    },
    RequestRnaReconsideration {
        rna: RnaId,
        grounds: VaultRecordId,
    },
    RecordTransitionPlan {
        actions: Vec<PlanAction>,
        details: VaultRecordId,
    },
    RecordSafeguardingReview {
        trigger: ReviewTrigger,
        notes: VaultRecordId,
    },
    RaiseConcern {
        concern: ConcernId,
        kind: ConcernKind,
        severity: Severity,
        details: VaultRecordId,
        /// Required when the person has gone missing.
        police_reference: Option<VaultRecordId>,
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
        episode: EpisodeId,
        placement: PlacementId,
        accommodation: Accommodation,
        start: NaiveDate,
        /// Every placement in that accommodation (for its occupancy).
        occupancy: Vec<Placement>,
    },
    EndPlacement {
        placement: PlacementId,
        end: NaiveDate,
        reason: PlacementEndReason,
    },
    /// Post the entitlement of a week that has ended.
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

fn refused(code: &'static str, message: impl Into<String>) -> DomainError {
    DomainError::refused(code, message)
}

fn jurisdiction(state: &EpisodeState) -> Jurisdiction {
    state
        .nation
        .map_or(Jurisdiction::EnglandAndWales, UkNation::jurisdiction)
}

fn add_days(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_days(Days::new(u64::from(n)))
        .unwrap_or(NaiveDate::MAX)
}

/// The last day of support after a negative decision on `decided_on` (the main rulebook's exit
/// period of that date: hours rounded up to whole days, working days in the nation's calendar).
pub fn exit_support_last_day(
    rules: &Rulebook,
    nation: Jurisdiction,
    decided_on: NaiveDate,
) -> NaiveDate {
    match rules
        .move_on_support(decided_on)
        .value
        .after_negative_decision
    {
        SupportPeriod::Hours(h) => add_days(decided_on, h.div_ceil(24)),
        SupportPeriod::WorkingDays(n) => nation.add_working_days(decided_on, WorkingDays(n)),
        SupportPeriod::CalendarDays(n) => add_days(decided_on, n),
    }
}

/// Decides `command` against the episode's `state` at `now`, returning the events to append or
/// the rule broken. Pure: `now` and every rule are arguments.
pub fn decide(
    state: &EpisodeState,
    command: SupportCommand,
    rules: &Rulebook,
    support: &SupportRules,
    now: DateTime<Utc>,
) -> Result<Vec<SupportEvent>, DomainError> {
    let today = uk_date(now);
    use SupportCommand as C;
    if let C::Refer {
        case_id,
        nation,
        route,
        prime,
        adult,
        consent_to_support,
    } = command
    {
        if state.exists() {
            return Err(refused(
                "support-already-referred",
                "This person already has a support episode",
            ));
        }
        if !adult {
            return Err(refused(
                "children-supported-by-local-authority",
                "Children are supported by local authority children's services, not adult victim support",
            ));
        }
        if !consent_to_support {
            return Err(refused(
                "no-consent-to-support",
                "An adult must consent to support separately from consent to referral",
            ));
        }
        if route == EntryRoute::ConsentToSupport && case_id.is_none() {
            return Err(refused(
                "referral-needed",
                "Support by consent follows an NRM referral: name the case",
            ));
        }
        let target = support.allocation_target(today);
        let hours = match route {
            EntryRoute::EmergencyBeforeReasonableGrounds => target.value.emergency,
            EntryRoute::ConsentToSupport => target.value.standard,
        };
        return Ok(vec![SupportEvent::Referred {
            case_id,
            nation,
            route,
            prime,
            referred_at: now,
            allocation_due_at: now + Duration::hours(i64::from(hours)),
            rules_version: support.version().to_owned(),
        }]);
    }
    let Some(status) = state.status else {
        return Err(refused("no-support-episode", "There is no support episode"));
    };
    let open = !matches!(status, SupportStatus::Exited | SupportStatus::ReachIn);
    let need_open = || {
        if open {
            Ok(())
        } else {
            Err(refused(
                "support-ended",
                "Support has ended for this person",
            ))
        }
    };
    let need_support = || {
        if status.in_support() {
            Ok(())
        } else {
            Err(refused(
                "not-in-support",
                "The person is not in support: allocate the referral first",
            ))
        }
    };
    match command {
        C::Refer { .. } => unreachable_refer(),
        C::Allocate {
            provider,
            worker,
            provision,
        } => {
            if status != SupportStatus::AwaitingAllocation {
                return Err(refused(
                    "already-allocated",
                    "This referral has already been allocated",
                ));
            }
            if state.route == Some(EntryRoute::EmergencyBeforeReasonableGrounds)
                && provision == Provision::Outreach
                && state.reasonable_grounds.is_none()
            {
                // An emergency referral is a person destitute or at risk tonight.
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/provision",
                    "An emergency referral needs emergency accommodation or accommodation",
                )]));
            }
            let interval = support.safeguarding_review_interval(today).value;
            Ok(vec![SupportEvent::Allocated {
                provider,
                worker,
                provision,
                allocated_at: now,
                safeguarding_review_due_on: add_days(today, interval),
            }])
        }
        C::AssignWorker { worker } => {
            need_open()?;
            if state.provider.is_none() {
                return Err(refused(
                    "not-allocated",
                    "Allocate the referral to a provider first",
                ));
            }
            Ok(vec![SupportEvent::WorkerAssigned { worker }])
        }
        C::RecordReasonableGrounds {
            outcome,
            decided_on,
        } => {
            need_open()?;
            if state.reasonable_grounds.is_some() {
                return Err(refused(
                    "reasonable-grounds-already-recorded",
                    "The Reasonable Grounds decision is already recorded",
                ));
            }
            if decided_on > today {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/decided_on",
                    "The decision date must be today or in the past",
                )]));
            }
            let nation = state.nation.unwrap_or(UkNation::England);
            let until = match outcome {
                Outcome::Negative => Some(exit_support_last_day(
                    rules,
                    jurisdiction(state),
                    decided_on,
                )),
                Outcome::Positive => support
                    .nation(nation, decided_on)
                    .value
                    .days_from_positive_reasonable_grounds
                    .map(|days| add_days(decided_on, days.saturating_sub(1))),
            };
            Ok(vec![SupportEvent::ReasonableGroundsRecorded {
                outcome,
                decided_on,
                support_until: until,
            }])
        }
        C::RecordConclusiveGrounds {
            outcome,
            decided_on,
        } => {
            need_open()?;
            if state.reasonable_grounds.map(|(o, _)| o) != Some(Outcome::Positive) {
                return Err(refused(
                    "conclusive-grounds-without-positive-rg",
                    "A Conclusive Grounds decision follows a positive Reasonable Grounds decision",
                ));
            }
            if state.conclusive_grounds.is_some() {
                return Err(refused(
                    "conclusive-grounds-already-recorded",
                    "The Conclusive Grounds decision is already recorded",
                ));
            }
            if decided_on > today {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/decided_on",
                    "The decision date must be today or in the past",
                )]));
            }
            let nation = state.nation.unwrap_or(UkNation::England);
            let section = &support.nation(nation, decided_on).value;
            let (until, rna) = match outcome {
                Outcome::Negative => (
                    Some(exit_support_last_day(
                        rules,
                        jurisdiction(state),
                        decided_on,
                    )),
                    false,
                ),
                Outcome::Positive if section.move_on_after_positive_conclusive_grounds => {
                    let move_on = rules.move_on_support(decided_on).value;
                    (
                        Some(add_days(
                            decided_on,
                            move_on
                                .after_positive_conclusive_grounds_days
                                .saturating_sub(1),
                        )),
                        move_on.recovery_needs_assessment,
                    )
                }
                // Scotland and Northern Ireland: support ends at the CG (further support is
                // discretionary and not modelled as move-on).
                Outcome::Positive => (Some(decided_on), false),
            };
            Ok(vec![SupportEvent::ConclusiveGroundsRecorded {
                outcome,
                decided_on,
                support_until: until,
                rna_available: rna,
            }])
        }
        C::RecordRna {
            rna,
            needs,
            recommended_days,
            evidence,
        } => {
            need_support()?;
            if status != SupportStatus::MoveOn || !state.rna_available {
                return Err(refused(
                    "rna-not-available",
                    "A Recovery Needs Assessment is recorded during move-on support after a positive Conclusive Grounds decision, where the rules of its date provide one",
                ));
            }
            if state.rnas.iter().any(|r| r.awaiting_decision()) {
                return Err(refused(
                    "rna-awaiting-decision",
                    "An earlier Recovery Needs Assessment is still awaiting the Home Office's decision",
                ));
            }
            if state.rna(rna).is_some() {
                return Err(refused("rna-exists", "This assessment is already recorded"));
            }
            let mut problems = Vec::new();
            for area in NeedArea::ALL {
                if needs.iter().filter(|n| n.area == area).count() != 1 {
                    problems.push(FieldProblem::new(
                        format!("/needs/{}", area.code()),
                        format!("Assess {} once", area.code().replace('_', " ")),
                    ));
                }
            }
            let ongoing = needs.iter().any(|n| n.level == NeedLevel::Ongoing);
            if recommended_days > MAX_RNA_DAYS {
                problems.push(FieldProblem::new(
                    "/recommended_days",
                    format!("Recommend at most {MAX_RNA_DAYS} days"),
                ));
            } else if ongoing && recommended_days == 0 {
                problems.push(FieldProblem::new(
                    "/recommended_days",
                    "Recommend a further period for the ongoing needs",
                ));
            } else if !ongoing && recommended_days > 0 {
                problems.push(FieldProblem::new(
                    "/recommended_days",
                    "A further period needs at least one ongoing need",
                ));
            }
            if !problems.is_empty() {
                return Err(DomainError::Invalid(problems));
            }
            let days = support.recovery_needs_decision(today).value;
            Ok(vec![SupportEvent::RnaRecorded {
                rna,
                recorded_on: today,
                needs,
                recommended_days,
                evidence,
                decision_due_on: jurisdiction(state).add_working_days(today, WorkingDays(days)),
            }])
        }
        C::DecideRna {
            rna,
            decision,
            days_granted,
            reasons,
        } => {
            need_support()?;
            let Some(r) = state.rna(rna) else {
                return Err(refused("no-such-rna", "There is no such assessment"));
            };
            if !r.awaiting_decision() {
                return Err(refused(
                    "rna-already-decided",
                    "This assessment has been decided; a new decision needs a reconsideration request",
                ));
            }
            let ok = match decision {
                RnaDecision::Approved => days_granted == r.recommended_days,
                RnaDecision::Shortened => days_granted > 0 && days_granted < r.recommended_days,
                RnaDecision::Refused => days_granted == 0,
            };
            if !ok {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/days_granted",
                    format!(
                        "Approve the {} days recommended, shorten to fewer (at least 1), or refuse with none",
                        r.recommended_days
                    ),
                )]));
            }
            let until = (days_granted > 0).then(|| {
                let from = state.support_until.map_or(today, |u| u.max(today));
                add_days(from, days_granted)
            });
            Ok(vec![SupportEvent::RnaDecided {
                rna,
                decision,
                days_granted,
                decided_on: today,
                reasons,
                support_until: until,
                on_reconsideration: r.decision.is_some(),
            }])
        }
        C::RequestRnaReconsideration { rna, grounds } => {
            need_support()?;
            let Some(r) = state.rna(rna) else {
                return Err(refused("no-such-rna", "There is no such assessment"));
            };
            if !matches!(
                r.decision,
                Some(RnaDecision::Shortened | RnaDecision::Refused)
            ) || r.reconsideration_requested
            {
                return Err(refused(
                    "rna-reconsideration-not-available",
                    "Reconsideration can be asked once, of a decision that shortened or refused the period recommended",
                ));
            }
            let days = support.recovery_needs_decision(today).value;
            Ok(vec![SupportEvent::RnaReconsiderationRequested {
                rna,
                requested_on: today,
                grounds,
                decision_due_on: jurisdiction(state).add_working_days(today, WorkingDays(days)),
            }])
        }
        C::RecordTransitionPlan { actions, details } => {
            need_support()?;
            if status != SupportStatus::MoveOn {
                return Err(refused(
                    "transition-plan-in-move-on",
                    "A transition plan is made during move-on support",
                ));
            }
            let mut problems = Vec::new();
            if actions.is_empty() {
                problems.push(FieldProblem::new("/actions", "Add at least one action"));
            }
            for (i, a) in actions.iter().enumerate() {
                if a.due_on < today {
                    problems.push(FieldProblem::new(
                        format!("/actions/{i}/due_on"),
                        "An action's due date must be today or later",
                    ));
                }
            }
            if !problems.is_empty() {
                return Err(DomainError::Invalid(problems));
            }
            Ok(vec![SupportEvent::TransitionPlanRecorded {
                recorded_on: today,
                actions,
                details,
            }])
        }
        C::RecordSafeguardingReview { trigger, notes } => {
            need_support()?;
            let interval = support.safeguarding_review_interval(today).value;
            Ok(vec![SupportEvent::SafeguardingReviewed {
                reviewed_on: today,
                trigger,
                next_due_on: add_days(today, interval),
                notes,
            }])
        }
        C::RaiseConcern {
            concern,
            kind,
            severity,
            details,
            police_reference,
        } => {
            need_open()?;
            if state.concern(concern).is_some() {
                return Err(refused(
                    "concern-exists",
                    "This concern is already recorded",
                ));
            }
            if kind == ConcernKind::GoingMissing && police_reference.is_none() {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/police_reference",
                    "Enter the police reference for the missing person report",
                )]));
            }
            let mut events = vec![SupportEvent::ConcernRaised {
                concern,
                kind,
                severity,
                raised_at: now,
                details,
            }];
            if let (ConcernKind::GoingMissing, Some(reference)) = (kind, police_reference) {
                events.push(SupportEvent::MissingReported {
                    concern,
                    reported_at: now,
                    police_reference: reference,
                });
            }
            // The duty to escalate: a high-severity concern reaches the Home Office at once.
            if severity == Severity::High {
                events.push(escalation(support, concern, severity, now));
            }
            Ok(events)
        }
        C::EscalateConcern { concern } => {
            let c = open_concern(state, concern)?;
            if c.escalated() {
                return Err(refused(
                    "concern-already-escalated",
                    "This concern has already been escalated",
                ));
            }
            Ok(vec![escalation(support, concern, c.severity, now)])
        }
        C::AcknowledgeConcern { concern } => {
            let c = open_concern(state, concern)?;
            if !c.escalated() || c.acknowledged_at.is_some() {
                return Err(refused(
                    "concern-not-awaiting-acknowledgement",
                    "Only an escalated concern not yet acknowledged can be acknowledged",
                ));
            }
            Ok(vec![SupportEvent::ConcernAcknowledged {
                concern,
                acknowledged_at: now,
            }])
        }
        C::RecordPersonFound { concern } => {
            let c = open_concern(state, concern)?;
            if c.missing_since.is_none() || c.found_at.is_some() {
                return Err(refused(
                    "not-missing",
                    "This concern has no open missing person report",
                ));
            }
            Ok(vec![SupportEvent::MissingEnded {
                concern,
                found_at: now,
            }])
        }
        C::CloseConcern { concern, outcome } => {
            let c = open_concern(state, concern)?;
            if c.escalated() && c.acknowledged_at.is_none() {
                return Err(refused(
                    "concern-awaiting-acknowledgement",
                    "An escalated concern is closed after the Home Office has acknowledged it",
                ));
            }
            if c.missing_since.is_some() && c.found_at.is_none() {
                return Err(refused(
                    "person-still-missing",
                    "Record that the person has been found before closing the concern",
                ));
            }
            Ok(vec![SupportEvent::ConcernClosed {
                concern,
                closed_at: now,
                outcome,
            }])
        }
        C::StartPlacement {
            episode,
            placement,
            accommodation,
            start,
            occupancy,
        } => {
            need_support()?;
            if state.provider != Some(accommodation.provider) {
                return Err(refused(
                    "accommodation-of-another-provider",
                    "Place the person in accommodation of the provider supporting them",
                ));
            }
            if start < state.allocated_on.unwrap_or(start) || start > add_days(today, 1) {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/start",
                    "A placement starts between the allocation and tomorrow",
                )]));
            }
            let new = Placement {
                id: placement,
                episode,
                accommodation: accommodation.id,
                kind: accommodation.kind,
                start,
                end: None,
                end_reason: None,
            };
            check_placement(&new, &accommodation, &state.placements, &occupancy)?;
            Ok(vec![SupportEvent::PlacementStarted(new)])
        }
        C::EndPlacement {
            placement,
            end,
            reason,
        } => {
            let Some(p) = state.placements.iter().find(|p| p.id == placement) else {
                return Err(refused("no-such-placement", "There is no such placement"));
            };
            if p.end.is_some() {
                return Err(refused(
                    "placement-ended",
                    "This placement has already ended",
                ));
            }
            if end <= p.start || end > add_days(today, 1) {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/end",
                    "A placement ends after its start and no later than tomorrow",
                )]));
            }
            Ok(vec![SupportEvent::PlacementEnded {
                placement,
                end,
                reason,
            }])
        }
        C::PostWeekDue { week_start } => {
            let Some(span) = state.support_span() else {
                return Err(refused("not-allocated", "Support has not started"));
            };
            if add_days(week_start, 7) > today {
                return Err(refused(
                    "week-not-ended",
                    "A week's subsistence is due once the week has ended",
                ));
            }
            let week = week_entitlement(support, span, &state.placements, week_start)?;
            let posting = Posting::Due {
                week_start,
                amount_pence: week.amount_pence,
            };
            state.ledger.check(&posting)?;
            Ok(vec![SupportEvent::Posted(posting)])
        }
        C::RecordPayment { on, amount_pence } => {
            if on > today {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/on",
                    "A payment is recorded on or after the day it was made",
                )]));
            }
            let posting = Posting::Paid { on, amount_pence };
            state.ledger.check(&posting)?;
            Ok(vec![SupportEvent::Posted(posting)])
        }
        C::Adjust {
            amount_pence,
            reason,
        } => {
            let posting = Posting::Adjusted {
                on: today,
                amount_pence,
                reason,
            };
            state.ledger.check(&posting)?;
            Ok(vec![SupportEvent::Posted(posting)])
        }
        C::Exit { reason } => {
            need_open()?;
            if reason == ExitReason::SupportPeriodEnded
                && state.support_until.is_none_or(|u| today <= u)
            {
                return Err(refused(
                    "support-period-not-ended",
                    "The support period has not ended: choose another reason",
                ));
            }
            if reason == ExitReason::SupportPeriodEnded
                && state.rnas.iter().any(|r| r.awaiting_decision())
            {
                return Err(refused(
                    "rna-awaiting-decision",
                    "Support continues while a Recovery Needs Assessment awaits the Home Office's decision",
                ));
            }
            let positive_cg = state.conclusive_grounds.map(|(o, _)| o) == Some(Outcome::Positive);
            let nation = state.nation.unwrap_or(UkNation::England);
            let reach_in = positive_cg && support.nation(nation, today).value.reach_in;
            let mut events = Vec::new();
            if let Some(p) = state.current_placement() {
                events.push(SupportEvent::PlacementEnded {
                    placement: p.id,
                    end: today.max(EpisodeState::next_day(p.start)),
                    reason: PlacementEndReason::SupportEnded,
                });
            }
            events.push(SupportEvent::Exited {
                exited_on: today,
                reason,
                reach_in_eligible: reach_in,
            });
            Ok(events)
        }
        C::StartReachIn => {
            if status != SupportStatus::Exited || !state.reach_in_eligible {
                return Err(refused(
                    "reach-in-not-available",
                    "Reach-In support is for people who exited after a positive Conclusive Grounds decision where the rules of the exit date provide it",
                ));
            }
            Ok(vec![SupportEvent::ReachInStarted { started_on: today }])
        }
    }
}

fn unreachable_refer() -> Result<Vec<SupportEvent>, DomainError> {
    Err(refused(
        "support-already-referred",
        "This person already has a support episode",
    ))
}

fn open_concern(
    state: &EpisodeState,
    concern: ConcernId,
) -> Result<&super::state::ConcernState, DomainError> {
    match state.concern(concern) {
        Some(c) if c.open() => Ok(c),
        Some(_) => Err(refused("concern-closed", "This concern is closed")),
        None => Err(refused("no-such-concern", "There is no such concern")),
    }
}

fn escalation(
    support: &SupportRules,
    concern: ConcernId,
    severity: Severity,
    now: DateTime<Utc>,
) -> SupportEvent {
    let target = support.acknowledgement_target(uk_date(now)).value;
    let hours = match severity {
        Severity::High => target.high,
        Severity::Medium | Severity::Low => target.medium,
    };
    SupportEvent::ConcernEscalated {
        concern,
        escalated_at: now,
        acknowledgement_due_at: now + Duration::hours(i64::from(hours)),
    }
}
