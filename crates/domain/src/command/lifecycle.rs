//! The case lifecycle after submission, other than the grounds decisions themselves: routing
//! and allocation, requests for information, recovery-period extensions, disqualification,
//! review of negative Conclusive Grounds decisions, service, reconsideration, withdrawal,
//! suspension, resumption, closure and the deadline sweep.
//!
//! Each refusal names the rule and, where the rule comes from the rulebook, its source.

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

use super::referral;
use crate::actor::Actor;
use crate::case::{CaseState, Referral, Stage};
use crate::error::{DomainError, FieldProblem};
use crate::event::{
    CaseEvent, ClosureReason, CompetentAuthority, Deadline, DeadlineStatus, DecisionRef,
    DisqualificationGround, InformationSource, Outcome, RerouteReason, ReviewOutcome,
    ReviewedDecision, Reviewer, SuspensionReason, WithdrawalReason,
};
use crate::ids::{UserId, VaultRecordId};
use crate::notice;
use crate::rules::{Requester, ReviewKind, Rulebook};
use crate::submission::AgeGroup;

/// The chair and members of a multi-agency assurance panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPanel {
    pub chair: Reviewer,
    pub members: Vec<Reviewer>,
}

/// A lifecycle command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifecycleCommand {
    Reroute {
        to: CompetentAuthority,
        pilot_site: Option<String>,
        reason: RerouteReason,
    },
    Allocate {
        to: UserId,
    },
    RequestInformation {
        request: Uuid,
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
        reasons: VaultRecordId,
    },
    /// A review of a negative CG: by a panel (2019–2022 rule) or, with `panel: None`, by the
    /// acting user as second caseworker. The same as [`Self::ReviewNegativeDecision`] of the
    /// CG.
    ReviewNegativeConclusiveGrounds {
        outcome: ReviewOutcome,
        panel: Option<ReviewPanel>,
        reviewer_agency: String,
        reviewed_on: NaiveDate,
        reasons: VaultRecordId,
    },
    /// A review of a negative RG, a negative CG or a disqualification before it is served: by
    /// a panel where the rulebook requires one, else (`panel: None`) by the acting user as
    /// second caseworker or, for a pilot panel's decision, as SCA quality assurance.
    ReviewNegativeDecision {
        decision: ReviewedDecision,
        outcome: ReviewOutcome,
        panel: Option<ReviewPanel>,
        reviewer_agency: String,
        reviewed_on: NaiveDate,
        reasons: VaultRecordId,
    },
    ServeDecision {
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
        reasons: VaultRecordId,
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
    /// Brings the deadline flags up to date for `today`. Idempotent: emits only changes.
    SweepDeadlines,
    /// An age assessment concluded (`children::age`).
    RecordAgeAssessment(crate::children::age::RecordAgeAssessment),
    /// The Single Competent Authority's quality assurance of a devolved pilot panel's decision
    /// held for it (every negative one, and the positive ones in the sample): agreed, or
    /// returned with reasons so the panel decides again.
    AssurePanelDecision {
        decision: DecisionRef,
        outcome: ReviewOutcome,
        reviewed_on: NaiveDate,
        reasons: VaultRecordId,
    },
}

/// Refuses decisions on cases that are withdrawn, closed or suspended.
pub(crate) fn guard_open(r: &Referral) -> Result<(), DomainError> {
    match r.stage {
        Stage::Withdrawn { on } => {
            return Err(DomainError::refused(
                "case-withdrawn",
                format!("The case was withdrawn on {on}; nothing more can be decided on it"),
            ));
        }
        Stage::Closed { on } => {
            return Err(DomainError::refused(
                "case-closed",
                format!("The case was closed on {on}; nothing more can be decided on it"),
            ));
        }
        _ => {}
    }
    if let Some((reason, since)) = r.suspended {
        let why = match reason {
            SuspensionReason::MissingPerson => "the person is missing",
            SuspensionReason::LostContact => "contact with the person was lost",
        };
        return Err(DomainError::refused(
            "case-suspended",
            format!("The case has been suspended since {since} because {why}; resume it first"),
        ));
    }
    Ok(())
}

fn date_problem(
    field: &str,
    date: NaiveDate,
    not_before: NaiveDate,
    what: &str,
    today: NaiveDate,
) -> Option<FieldProblem> {
    if date > today {
        Some(FieldProblem::new(
            field,
            "The date must be today or in the past",
        ))
    } else if date < not_before {
        Some(FieldProblem::new(
            field,
            format!("The date must be on or after {what} ({not_before})"),
        ))
    } else {
        None
    }
}

fn check_date(
    field: &str,
    date: NaiveDate,
    not_before: NaiveDate,
    what: &str,
    today: NaiveDate,
) -> Result<(), DomainError> {
    match date_problem(field, date, not_before, what, today) {
        Some(p) => Err(DomainError::Invalid(vec![p])),
        None => Ok(()),
    }
}

pub(crate) fn decide(
    state: &CaseState,
    command: &LifecycleCommand,
    actor: Actor,
    rules: &Rulebook,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    let r = referral(state)?;
    use LifecycleCommand as C;
    match command {
        C::Reroute {
            to,
            pilot_site,
            reason,
        } => {
            guard_open(r)?;
            if r.conclusive_grounds.is_some() {
                return Err(DomainError::refused(
                    "route-after-conclusive-grounds",
                    "The Conclusive Grounds decision has been made; the case can no longer move to another competent authority",
                ));
            }
            let authorities = rules.authorities(today);
            let site = match to {
                CompetentAuthority::Ieca if !authorities.value.immigration_enforcement => {
                    return Err(DomainError::refused(
                        "authority-not-in-force",
                        format!(
                            "The IECA does not exist on {today} ({})",
                            authorities.source
                        ),
                    ));
                }
                CompetentAuthority::LocalAuthorityPanel => {
                    if r.age_group != AgeGroup::Child {
                        return Err(DomainError::refused(
                            "pilot-is-for-children",
                            "Only children's cases can go to a local-authority decision panel",
                        ));
                    }
                    let code = pilot_site.as_deref().unwrap_or_default();
                    match rules.pilot_site(code, today) {
                        Some(site) => Some(site.code.clone()),
                        None => {
                            return Err(DomainError::Invalid(vec![FieldProblem::new(
                                "/pilot_site",
                                "Not a local authority running the devolved decision pilot on this date",
                            )]));
                        }
                    }
                }
                _ => None,
            };
            if *to == r.competent_authority && site == r.pilot_site {
                return Err(DomainError::refused(
                    "same-route",
                    "The case is already with that competent authority",
                ));
            }
            Ok(vec![CaseEvent::RouteChanged {
                from: r.competent_authority,
                to: *to,
                pilot_site: site,
                reason: *reason,
                changed_on: today,
            }])
        }
        C::Allocate { to } => {
            guard_open(r)?;
            if r.allocated_to == Some(*to) {
                return Err(DomainError::refused(
                    "already-allocated",
                    "The case is already allocated to that decision maker",
                ));
            }
            Ok(vec![CaseEvent::CaseAllocated {
                to: *to,
                allocated_on: today,
            }])
        }
        C::RequestInformation { request, from } => {
            guard_open(r)?;
            if r.information_requests.iter().any(|i| i.request == *request) {
                return Err(DomainError::refused(
                    "duplicate-request",
                    "That information request already exists",
                ));
            }
            let deciding =
                rules.deciding_calendar(r.competent_authority, r.pilot_site.as_deref(), today);
            let pilot = (r.competent_authority == CompetentAuthority::LocalAuthorityPanel)
                .then_some(deciding);
            let calendar = rules.replying_calendar(
                *from,
                r.referring_organisation_nation,
                r.person_nation,
                pilot,
                deciding,
            );
            Ok(vec![CaseEvent::InformationRequested {
                request: *request,
                from: *from,
                requested_on: today,
                due_on: rules.information_due_on_in(today, calendar),
                calendar: Some(calendar),
            }])
        }
        C::RecordInformationReceived {
            request,
            received_on,
        } => {
            guard_not_finished(r)?;
            let Some(open) = r
                .information_requests
                .iter()
                .find(|i| i.request == *request)
            else {
                return Err(DomainError::refused(
                    "no-such-request",
                    "There is no such information request on this case",
                ));
            };
            if open.received_on.is_some() {
                return Err(DomainError::refused(
                    "already-received",
                    "A reply to that request has already been recorded",
                ));
            }
            check_date(
                "/received_on",
                *received_on,
                open.requested_on,
                "the date of the request",
                today,
            )?;
            Ok(vec![CaseEvent::InformationReceived {
                request: *request,
                received_on: *received_on,
            }])
        }
        C::ExtendRecoveryPeriod { until } => {
            guard_open(r)?;
            let Stage::RecoveryPeriod {
                reasonable_grounds_on,
                ..
            } = r.stage
            else {
                return Err(DomainError::refused(
                    "not-in-recovery-period",
                    "Only a case in its recovery period (after a positive Reasonable Grounds decision, before the Conclusive Grounds decision) can have it extended",
                ));
            };
            // The last day of the recovery period as it stands: the extension's `until` day,
            // or the minimum's last day (RG + N - 1: the CG may be made from RG + N).
            let current = r
                .recovery_extended_to
                .unwrap_or_else(|| rules.recovery_period_minimum_last_day(reasonable_grounds_on));
            if let Some((_, on)) = r.disqualified {
                return Err(DomainError::refused(
                    "disqualified",
                    format!(
                        "The person was disqualified on {on}: protection in the recovery period has ended and it cannot be extended (Nationality and Borders Act 2022 s63)"
                    ),
                ));
            }
            if *until <= current {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/until",
                    format!(
                        "An extension must end after the current end of the recovery period ({current})"
                    ),
                )]));
            }
            Ok(vec![CaseEvent::RecoveryPeriodExtended { until: *until }])
        }
        C::Disqualify {
            ground,
            decided_on,
            reasons,
        } => {
            guard_open(r)?;
            let Stage::RecoveryPeriod {
                reasonable_grounds_on,
                ..
            } = r.stage
            else {
                return Err(DomainError::refused(
                    "disqualification-needs-positive-rg",
                    "A public order or bad faith disqualification can only follow a positive Reasonable Grounds decision and precede the Conclusive Grounds decision (Nationality and Borders Act 2022 s63)",
                ));
            };
            if r.disqualified.is_some() {
                return Err(DomainError::refused(
                    "already-disqualified",
                    "The person has already been disqualified on this case",
                ));
            }
            let rule = rules.disqualification_available(*decided_on);
            if !rule.value {
                return Err(DomainError::refused(
                    "disqualification-not-in-force",
                    format!(
                        "No disqualification could be made on {decided_on}: {}",
                        rule.source
                    ),
                ));
            }
            check_date(
                "/decided_on",
                *decided_on,
                reasonable_grounds_on.max(r.last_dated_on),
                "the Reasonable Grounds decision and every later step on the file",
                today,
            )?;
            let review = rules
                .negative_decision_review(
                    ReviewedDecision::Disqualification,
                    r.competent_authority,
                    *decided_on,
                )
                .value;
            Ok(vec![CaseEvent::Disqualified {
                ground: *ground,
                decided_on: *decided_on,
                decided_by: actor,
                reasons: *reasons,
                rule: rule.source.clone(),
                review: Some(review),
            }])
        }
        C::ReviewNegativeConclusiveGrounds {
            outcome,
            panel,
            reviewer_agency,
            reviewed_on,
            reasons,
        } => review(
            r,
            ReviewedDecision::ConclusiveGrounds,
            Review {
                outcome: *outcome,
                panel: panel.as_ref(),
                reviewer_agency,
                reviewed_on: *reviewed_on,
                reasons: *reasons,
            },
            actor,
            today,
        ),
        C::ReviewNegativeDecision {
            decision,
            outcome,
            panel,
            reviewer_agency,
            reviewed_on,
            reasons,
        } => review(
            r,
            *decision,
            Review {
                outcome: *outcome,
                panel: panel.as_ref(),
                reviewer_agency,
                reviewed_on: *reviewed_on,
                reasons: *reasons,
            },
            actor,
            today,
        ),
        C::ServeDecision {
            decision,
            served_on,
            legal_representative,
        } => {
            guard_open(r)?;
            let Some(record) = r.decision(*decision) else {
                return Err(DomainError::refused(
                    "no-decision-to-serve",
                    "That decision has not been made",
                ));
            };
            if record.served_on.is_some() {
                return Err(DomainError::refused(
                    "already-served",
                    "That decision has already been served",
                ));
            }
            if !record.ready_to_serve() {
                let what = match decision {
                    DecisionRef::ReasonableGrounds => ReviewedDecision::ReasonableGrounds,
                    DecisionRef::ConclusiveGrounds => ReviewedDecision::ConclusiveGrounds,
                };
                return Err(DomainError::refused(
                    "review-before-service",
                    format!(
                        "A {} made on {} must be reviewed by {} before it is served",
                        what.describe(),
                        record.decided_on,
                        reviewer_name(record.review_required)
                    ),
                ));
            }
            check_date(
                "/served_on",
                *served_on,
                record
                    .reviewed_on
                    .unwrap_or(record.decided_on)
                    .max(record.decided_on)
                    .max(r.last_dated_on),
                "the decision, its review and every later step on the file",
                today,
            )?;
            Ok(vec![CaseEvent::DecisionServed {
                decision: *decision,
                served_on: *served_on,
                recipients: notice::recipients(r, *legal_representative),
            }])
        }
        C::RequestReconsideration {
            decision,
            requested_on,
            requested_by,
            facing_removal,
        } => {
            guard_open(r)?;
            let Some(record) = r.decision(*decision) else {
                return Err(DomainError::refused(
                    "no-decision-to-reconsider",
                    "That decision has not been made",
                ));
            };
            if record.outcome != Outcome::Negative {
                return Err(DomainError::refused(
                    "reconsider-negative-only",
                    "Only a negative decision can be reconsidered",
                ));
            }
            if r.reconsideration.is_some() {
                return Err(DomainError::refused(
                    "reconsideration-pending",
                    "A reconsideration request is already being considered",
                ));
            }
            let Some(served_on) = record.served_on else {
                return Err(DomainError::refused(
                    "reconsider-after-service",
                    "The decision has not been served yet; a reconsideration can be requested once it has",
                ));
            };
            check_date(
                "/requested_on",
                *requested_on,
                served_on.max(r.last_dated_on),
                "the date the decision was served and every later step on the file",
                today,
            )?;
            let rule = rules.reconsideration(*requested_on);
            if !rule.value.requesters.contains(requested_by) {
                return Err(DomainError::refused(
                    "requester-not-allowed",
                    format!(
                        "That person cannot request a reconsideration on {requested_on}: {}",
                        rule.source
                    ),
                ));
            }
            if *facing_removal && rule.value.excludes_people_facing_removal {
                return Err(DomainError::refused(
                    "reconsideration-excluded",
                    format!(
                        "People facing removal cannot request a reconsideration from 17 September 2025: {}",
                        rule.source
                    ),
                ));
            }
            let window_ends_on = rule
                .value
                .window_days
                .map(|days| served_on + Duration::days(i64::from(days)));
            if let Some(ends) = window_ends_on
                && *requested_on > ends
            {
                return Err(DomainError::refused(
                    "reconsideration-window-closed",
                    format!(
                        "Reconsideration had to be requested by {ends}, {} calendar days after the decision was served on {served_on} ({})",
                        rule.value.window_days.unwrap_or_default(),
                        rule.source
                    ),
                ));
            }
            Ok(vec![CaseEvent::ReconsiderationRequested {
                decision: *decision,
                requested_on: *requested_on,
                requested_by: *requested_by,
                window_ends_on,
                facing_removal: *facing_removal,
            }])
        }
        C::DecideReconsideration {
            accepted,
            decided_on,
            reasons,
        } => {
            guard_open(r)?;
            let Some(pending) = r.reconsideration else {
                return Err(DomainError::refused(
                    "no-reconsideration",
                    "There is no reconsideration request to decide",
                ));
            };
            check_date(
                "/decided_on",
                *decided_on,
                pending.requested_on.max(r.last_dated_on),
                "the request",
                today,
            )?;
            let reopened = *accepted && pending.decision == DecisionRef::ReasonableGrounds;
            Ok(vec![CaseEvent::ReconsiderationDecided {
                decision: pending.decision,
                accepted: *accepted,
                decided_on: *decided_on,
                reasons: *reasons,
                reasonable_grounds_due_on: reopened.then(|| {
                    rules.reasonable_grounds_due_on_in(*decided_on, r.reasonable_grounds_calendar)
                }),
            }])
        }
        C::Withdraw { on, reason } => {
            guard_not_finished(r)?;
            if *reason == WithdrawalReason::ConsentWithdrawn && r.age_group == AgeGroup::Child {
                return Err(DomainError::refused(
                    "child-consent-not-required",
                    "A child's case cannot be withdrawn because consent was withdrawn: children are referred without consent, so there is none to withdraw (statutory guidance: a child's referral needs no consent). Give another reason",
                ));
            }
            check_date(
                "/on",
                *on,
                r.last_dated_on,
                "the last dated step on the case file",
                today,
            )?;
            Ok(vec![CaseEvent::Withdrawn {
                on: *on,
                reason: *reason,
            }])
        }
        C::Suspend { on, reason } => {
            guard_not_finished(r)?;
            if r.suspended.is_some() {
                return Err(DomainError::refused(
                    "already-suspended",
                    "The case is already suspended",
                ));
            }
            check_date(
                "/on",
                *on,
                r.last_dated_on,
                "the last dated step on the case file",
                today,
            )?;
            Ok(vec![CaseEvent::Suspended {
                on: *on,
                reason: *reason,
            }])
        }
        C::Resume { on } => {
            guard_not_finished(r)?;
            let Some((_, since)) = r.suspended else {
                return Err(DomainError::refused(
                    "not-suspended",
                    "The case is not suspended",
                ));
            };
            check_date(
                "/on",
                *on,
                since.max(r.last_dated_on),
                "the suspension",
                today,
            )?;
            Ok(vec![CaseEvent::Resumed { on: *on }])
        }
        C::Close { on, reason } => close(r, *on, *reason, rules, today),
        C::SweepDeadlines => Ok(sweep(r, rules, today)),
        C::RecordAgeAssessment(c) => crate::children::age::decide(r, c, actor, rules, today),
        C::AssurePanelDecision {
            decision,
            outcome,
            reviewed_on,
            reasons,
        } => {
            let reviewed = match decision {
                DecisionRef::ReasonableGrounds => ReviewedDecision::ReasonableGrounds,
                DecisionRef::ConclusiveGrounds => ReviewedDecision::ConclusiveGrounds,
            };
            let held = r
                .decision(*decision)
                .is_some_and(|d| d.review_required == Some(ReviewKind::ScaQualityAssurance));
            if !held {
                return Err(DomainError::refused(
                    "nothing-to-assure",
                    "There is no devolved pilot panel's decision on this case waiting for the Single Competent Authority's quality assurance",
                ));
            }
            review(
                r,
                reviewed,
                Review {
                    outcome: *outcome,
                    panel: None,
                    reviewer_agency: "Single Competent Authority",
                    reviewed_on: *reviewed_on,
                    reasons: *reasons,
                },
                actor,
                today,
            )
        }
    }
}

fn guard_not_finished(r: &Referral) -> Result<(), DomainError> {
    match r.stage {
        Stage::Withdrawn { on } => Err(DomainError::refused(
            "case-withdrawn",
            format!("The case was withdrawn on {on}"),
        )),
        Stage::Closed { on } => Err(DomainError::refused(
            "case-closed",
            format!("The case was closed on {on}"),
        )),
        _ => Ok(()),
    }
}

/// Who a review of this kind is by, in a sentence.
fn reviewer_name(kind: Option<ReviewKind>) -> &'static str {
    match kind {
        Some(ReviewKind::MultiAgencyAssurancePanel) => "a multi-agency assurance panel",
        Some(ReviewKind::ScaQualityAssurance) => "Single Competent Authority quality assurance",
        _ => "a second caseworker",
    }
}

/// What a reviewer records.
struct Review<'a> {
    outcome: ReviewOutcome,
    panel: Option<&'a ReviewPanel>,
    reviewer_agency: &'a str,
    reviewed_on: NaiveDate,
    reasons: VaultRecordId,
}

/// The decision under review as the rules need it.
struct UnderReview {
    decided_on: NaiveDate,
    decided_by: Actor,
    kind: ReviewKind,
    done: bool,
}

/// The reviews this case waits for before a decision can be served: each decision not yet
/// reviewed with the kind of review the rules of its date require (a multi-agency assurance
/// panel for a negative CG made from 2019 to December 2022, else a second caseworker or the
/// SCA's quality assurance). The pages offer the matching form.
pub fn reviews_due(r: &Referral) -> Vec<(ReviewedDecision, ReviewKind)> {
    [
        ReviewedDecision::ReasonableGrounds,
        ReviewedDecision::ConclusiveGrounds,
        ReviewedDecision::Disqualification,
    ]
    .into_iter()
    .filter_map(|decision| {
        under_review(r, decision)
            .filter(|u| !u.done && u.kind != ReviewKind::None)
            .map(|u| (decision, u.kind))
    })
    .collect()
}

fn under_review(r: &Referral, decision: ReviewedDecision) -> Option<UnderReview> {
    // A negative decision, or a pilot panel's positive one held for the SCA's sample.
    let negative = |d: &crate::case::DecisionRecord| {
        (d.outcome == Outcome::Negative
            || d.review_required == Some(ReviewKind::ScaQualityAssurance))
        .then(|| UnderReview {
            decided_on: d.decided_on,
            decided_by: d.decided_by,
            kind: d.review_required.unwrap_or(ReviewKind::None),
            done: d.review_agreed || d.served_on.is_some(),
        })
    };
    match decision {
        ReviewedDecision::ReasonableGrounds => r.reasonable_grounds.as_ref().and_then(negative),
        ReviewedDecision::ConclusiveGrounds => r.conclusive_grounds.as_ref().and_then(negative),
        ReviewedDecision::Disqualification => r.disqualification.map(|d| UnderReview {
            decided_on: d.decided_on,
            decided_by: d.decided_by,
            kind: d.review_required.unwrap_or(ReviewKind::None),
            done: d.review_agreed,
        }),
    }
}

fn review(
    r: &Referral,
    decision: ReviewedDecision,
    review: Review<'_>,
    actor: Actor,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    guard_open(r)?;
    let what = decision.describe();
    let Some(target) = under_review(r, decision) else {
        return Err(DomainError::refused(
            "nothing-to-review",
            format!("There is no {what} on this case to review"),
        ));
    };
    if target.done {
        return Err(DomainError::refused(
            "already-reviewed",
            "This decision has already been reviewed",
        ));
    }
    let decision_maker = target.decided_by.user;
    let decided_on = target.decided_on;
    let (chair, reviewers) = match (target.kind, review.panel) {
        (ReviewKind::None, _) => {
            return Err(DomainError::refused(
                "no-review-required",
                format!(
                    "A {what} made on {decided_on} needs no review under the rules of that date"
                ),
            ));
        }
        (ReviewKind::MultiAgencyAssurancePanel, None) => {
            return Err(DomainError::refused(
                "panel-required",
                format!(
                    "A {what} made on {decided_on} must be reviewed by a multi-agency assurance panel (2019 to December 2022)"
                ),
            ));
        }
        (ReviewKind::SecondCaseworker, Some(_)) => {
            return Err(DomainError::refused(
                "second-caseworker-required",
                format!(
                    "A {what} made on {decided_on} is reviewed by a second caseworker, not a panel (assurance panels ended in December 2022)"
                ),
            ));
        }
        (ReviewKind::ScaQualityAssurance, Some(_)) => {
            return Err(DomainError::refused(
                "sca-quality-assurance-required",
                format!(
                    "A {what} made on {decided_on} by a devolved pilot panel is quality-assured by the Single Competent Authority, not reviewed by an assurance panel"
                ),
            ));
        }
        (ReviewKind::MultiAgencyAssurancePanel, Some(panel)) => {
            // Agencies compare without case or surrounding spaces; a blank agency is none.
            if panel.members.iter().any(|m| m.agency.trim().is_empty()) {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/panel/members",
                    "Give each member's agency",
                )]));
            }
            let mut agencies: Vec<String> = panel
                .members
                .iter()
                .map(|m| m.agency.trim().to_lowercase())
                .collect();
            agencies.sort_unstable();
            agencies.dedup();
            let mut people: Vec<UserId> = panel.members.iter().map(|m| m.user).collect();
            people.sort_unstable();
            people.dedup();
            if people.len() != panel.members.len() {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/panel/members",
                    "Each member can only be counted once",
                )]));
            }
            if panel.members.len() < 2 || agencies.len() < 2 {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/panel/members",
                    "A panel needs a chair and at least two members from different agencies",
                )]));
            }
            let everyone = std::iter::once(&panel.chair).chain(&panel.members);
            if everyone.clone().any(|m| m.user == decision_maker) {
                return Err(DomainError::refused(
                    "reviewer-is-decision-maker",
                    "The decision maker cannot sit on the panel reviewing their own decision",
                ));
            }
            if panel.members.iter().any(|m| m.user == panel.chair.user) {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/panel/members",
                    "The chair cannot also be a member",
                )]));
            }
            (Some(panel.chair.clone()), panel.members.clone())
        }
        (kind @ (ReviewKind::SecondCaseworker | ReviewKind::ScaQualityAssurance), None) => {
            if actor.user == decision_maker {
                return Err(DomainError::refused(
                    "reviewer-is-decision-maker",
                    format!(
                        "A decision cannot be reviewed by the person who made it: {} must review it",
                        reviewer_name(Some(kind))
                    ),
                ));
            }
            if kind == ReviewKind::ScaQualityAssurance
                && actor.organisation == target.decided_by.organisation
            {
                return Err(DomainError::refused(
                    "reviewer-from-deciding-authority",
                    "A pilot panel's decision is quality-assured by the Single Competent Authority, not by the local authority that made it",
                ));
            }
            (
                None,
                vec![Reviewer {
                    user: actor.user,
                    agency: review.reviewer_agency.to_owned(),
                }],
            )
        }
    };
    let step = match decision {
        ReviewedDecision::ReasonableGrounds => "the Reasonable Grounds decision",
        ReviewedDecision::ConclusiveGrounds => "the Conclusive Grounds decision",
        ReviewedDecision::Disqualification => "the disqualification",
    };
    check_date(
        "/reviewed_on",
        review.reviewed_on,
        decided_on.max(r.last_dated_on),
        &format!("{step} and every later step on the file"),
        today,
    )?;
    let (kind, outcome, reviewed_on, reasons) = (
        target.kind,
        review.outcome,
        review.reviewed_on,
        review.reasons,
    );
    Ok(vec![match decision {
        ReviewedDecision::ConclusiveGrounds => CaseEvent::NegativeConclusiveGroundsReviewed {
            kind,
            outcome,
            chair,
            reviewers,
            reviewed_on,
            reasons,
        },
        ReviewedDecision::ReasonableGrounds => CaseEvent::NegativeReasonableGroundsReviewed {
            kind,
            outcome,
            chair,
            reviewers,
            reviewed_on,
            reasons,
        },
        ReviewedDecision::Disqualification => CaseEvent::DisqualificationReviewed {
            kind,
            outcome,
            chair,
            reviewers,
            reviewed_on,
            reasons,
        },
    }])
}

fn close(
    r: &Referral,
    on: NaiveDate,
    reason: ClosureReason,
    rules: &Rulebook,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    if let Stage::Closed { on } = r.stage {
        return Err(DomainError::refused(
            "case-closed",
            format!("The case was closed on {on}"),
        ));
    }
    let final_served = match r.stage {
        Stage::NegativeReasonableGrounds { .. } => {
            r.reasonable_grounds.is_some_and(|d| d.served_on.is_some())
        }
        Stage::ConclusiveGrounds { .. } => {
            r.conclusive_grounds.is_some_and(|d| d.served_on.is_some())
        }
        _ => false,
    };
    // A served negative decision can still be reconsidered until its window closes: closing
    // the case as complete before then would take that away.
    let final_record = match r.stage {
        Stage::NegativeReasonableGrounds { .. } => r.reasonable_grounds,
        Stage::ConclusiveGrounds { .. } => r.conclusive_grounds,
        _ => None,
    };
    if reason == ClosureReason::ProcessComplete
        && let Some(record) = final_record
        && record.outcome == Outcome::Negative
        && let Some(served_on) = record.served_on
        && let Some(days) = rules.reconsideration(served_on).value.window_days
    {
        let window_ends = served_on + Duration::days(i64::from(days));
        if on <= window_ends {
            return Err(DomainError::refused(
                "reconsideration-window-open",
                format!(
                    "The case cannot be closed as complete until the reconsideration window ends on {window_ends}"
                ),
            ));
        }
    }
    let allowed = match reason {
        ClosureReason::ProcessComplete => final_served && r.reconsideration.is_none(),
        ClosureReason::Withdrawn => matches!(r.stage, Stage::Withdrawn { .. }),
        ClosureReason::NoDecisionPossible => r.suspended.is_some(),
        ClosureReason::Duplicate => true,
    };
    if !allowed {
        let why = match reason {
            ClosureReason::ProcessComplete => {
                "its final decision has not been served, or a reconsideration is pending"
            }
            ClosureReason::Withdrawn => "it has not been withdrawn",
            ClosureReason::NoDecisionPossible => {
                "only a suspended case can be closed with no decision possible"
            }
            ClosureReason::Duplicate => "",
        };
        return Err(DomainError::refused(
            "cannot-close",
            format!("The case cannot be closed for that reason: {why}"),
        ));
    }
    check_date(
        "/on",
        on,
        r.last_dated_on,
        "the last dated step on the case file",
        today,
    )?;
    Ok(vec![CaseEvent::Closed { on, reason }])
}

/// The deadlines a case has open, with their due dates and the calendars they are counted on.
pub fn open_deadlines(r: &Referral) -> Vec<(Deadline, NaiveDate, crate::calendar::Jurisdiction)> {
    if !r.is_open() {
        return Vec::new();
    }
    let mut open = Vec::new();
    if r.stage == Stage::AwaitingReasonableGrounds {
        open.push((
            Deadline::ReasonableGrounds,
            r.reasonable_grounds_due_on,
            r.reasonable_grounds_calendar,
        ));
    }
    for request in r
        .information_requests
        .iter()
        .filter(|i| i.received_on.is_none())
    {
        open.push((
            Deadline::Information(request.request),
            request.due_on,
            request.calendar,
        ));
    }
    open
}

/// Where a deadline due on `due_on` stands on `today`, counted on the competent
/// authorities' calendar.
pub fn deadline_status(due_on: NaiveDate, today: NaiveDate, rules: &Rulebook) -> DeadlineStatus {
    deadline_status_on(due_on, today, rules, rules.competent_authority_calendar)
}

/// Where a deadline due on `due_on` stands on `today`, counted on `calendar` (the one its due
/// date was counted on).
pub fn deadline_status_on(
    due_on: NaiveDate,
    today: NaiveDate,
    rules: &Rulebook,
    calendar: crate::calendar::Jurisdiction,
) -> DeadlineStatus {
    if today > due_on {
        DeadlineStatus::Overdue
    } else if calendar.working_days_between(today, due_on) <= rules.due_soon(today) {
        DeadlineStatus::DueSoon
    } else {
        DeadlineStatus::OnTrack
    }
}

fn sweep(r: &Referral, rules: &Rulebook, today: NaiveDate) -> Vec<CaseEvent> {
    open_deadlines(r)
        .into_iter()
        .filter_map(|(deadline, due_on, calendar)| {
            let status = deadline_status_on(due_on, today, rules, calendar);
            let last = r
                .deadlines
                .get(&deadline)
                .copied()
                .unwrap_or(DeadlineStatus::OnTrack);
            (status != last).then_some(CaseEvent::DeadlineStatusChanged {
                deadline,
                status,
                due_on,
                as_of: today,
            })
        })
        .collect()
}
