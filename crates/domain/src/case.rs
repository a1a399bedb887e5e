//! A case's current state, folded from its events by [`CaseState::evolve`].
//!
//! `evolve` never fails and never checks rules: events are facts that already happened. The
//! rules are checked once, in [`crate::command::decide`], before an event exists.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::calendar::Jurisdiction;
use crate::event::{
    CaseEvent, CompetentAuthority, Deadline, DeadlineStatus, DecisionRef, DisqualificationGround,
    Outcome, Recipient, ReviewOutcome, ReviewedDecision, SuspensionReason,
};
use crate::geography::UkNation;
use crate::ids::{SubjectId, UserId};
use crate::reference::CaseReference;
use crate::rules::ReviewKind;
use crate::submission::AgeGroup;

/// Where a referral is in the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    AwaitingReasonableGrounds,
    NegativeReasonableGrounds {
        decided_on: NaiveDate,
    },
    /// Positive RG; the recovery period runs and the case awaits its CG decision.
    RecoveryPeriod {
        reasonable_grounds_on: NaiveDate,
        minimum_ends_on: Option<NaiveDate>,
    },
    ConclusiveGrounds {
        outcome: Outcome,
        decided_on: NaiveDate,
        reasonable_grounds_on: NaiveDate,
    },
    Withdrawn {
        on: NaiveDate,
    },
    Closed {
        on: NaiveDate,
    },
}

/// One RG or CG decision as the case remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub outcome: Outcome,
    pub decided_on: NaiveDate,
    pub decided_by: Actor,
    pub served_on: Option<NaiveDate>,
    /// For a negative RG or CG: the review required, and whether it has agreed.
    pub review_required: Option<ReviewKind>,
    pub review_agreed: bool,
    /// The date the review agreed, when it has.
    pub reviewed_on: Option<NaiveDate>,
}

impl DecisionRecord {
    /// Whether the decision may be served: a negative decision needing review must have it
    /// agreed.
    pub fn ready_to_serve(&self) -> bool {
        self.served_on.is_none() && !self.awaiting_review()
    }

    /// Whether the decision still waits for the review the rulebook required of it.
    pub fn awaiting_review(&self) -> bool {
        !self.review_agreed && ReviewKind::required(self.review_required)
    }
}

/// A public order or bad faith disqualification as the case remembers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisqualificationRecord {
    pub decided_on: NaiveDate,
    pub decided_by: Actor,
    /// The review required, and whether it has agreed.
    pub review_required: Option<ReviewKind>,
    pub review_agreed: bool,
    pub reviewed_on: Option<NaiveDate>,
}

impl DisqualificationRecord {
    /// Whether the disqualification still waits for the review the rulebook required of it.
    pub fn awaiting_review(&self) -> bool {
        !self.review_agreed && ReviewKind::required(self.review_required)
    }
}

/// An open or answered request for further information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InformationRequest {
    pub request: uuid::Uuid,
    pub requested_on: NaiveDate,
    pub due_on: NaiveDate,
    pub received_on: Option<NaiveDate>,
    /// The calendar `due_on` was counted on (the one of whoever must reply).
    #[serde(default = "england_and_wales")]
    pub calendar: Jurisdiction,
}

fn england_and_wales() -> Jurisdiction {
    Jurisdiction::EnglandAndWales
}

/// A pending reconsideration request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingReconsideration {
    pub decision: DecisionRef,
    pub requested_on: NaiveDate,
}

/// What a referral's state holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub reference: CaseReference,
    pub referred_on: NaiveDate,
    pub age_group: AgeGroup,
    pub subject: SubjectId,
    pub competent_authority: CompetentAuthority,
    pub pilot_site: Option<String>,
    pub support_consent: bool,
    pub reasonable_grounds_due_on: NaiveDate,
    /// The calendar the RG due date is counted on (the deciding authority's).
    #[serde(default = "england_and_wales")]
    pub reasonable_grounds_calendar: Jurisdiction,
    /// The nation the referring organisation works in, when recorded.
    #[serde(default)]
    pub referring_organisation_nation: Option<UkNation>,
    /// The nation the person is in, when recorded.
    #[serde(default)]
    pub person_nation: Option<UkNation>,
    pub stage: Stage,
    pub allocated_to: Option<UserId>,
    pub reasonable_grounds: Option<DecisionRecord>,
    pub conclusive_grounds: Option<DecisionRecord>,
    pub information_requests: Vec<InformationRequest>,
    pub disqualified: Option<(DisqualificationGround, NaiveDate)>,
    /// The disqualification's maker and its review (alongside `disqualified`).
    #[serde(default)]
    pub disqualification: Option<DisqualificationRecord>,
    pub suspended: Option<(SuspensionReason, NaiveDate)>,
    pub recovery_extended_to: Option<NaiveDate>,
    /// The latest date of any decisive step on the file (decisions, reviews, service,
    /// reconsideration, withdrawal, suspension, resumption, closure). Later steps cannot be
    /// dated before it, so the file always reads in date order.
    pub last_dated_on: NaiveDate,
    pub reconsideration: Option<PendingReconsideration>,
    /// The last status the deadline sweep recorded for each deadline.
    pub deadlines: BTreeMap<Deadline, DeadlineStatus>,
    /// Everyone who has been sent a notice of each decision.
    pub notified: BTreeMap<DecisionRef, Vec<Recipient>>,
    /// The person's age is disputed and no assessment has concluded: treated as a child.
    #[serde(default)]
    pub age_disputed: bool,
    /// The age assessment that concluded, when one has.
    #[serde(default)]
    pub age_assessment: Option<crate::children::age::AgeAssessment>,
    /// A pilot panel's meetings for the case.
    #[serde(default)]
    pub panel_meetings: Vec<crate::children::panel::PanelMeeting>,
    /// The day the person was seen to have turned 18 during the case (`children::adulthood`).
    #[serde(default)]
    pub turned_18_on: Option<NaiveDate>,
    /// The day the consent-to-support question was offered to the young adult.
    #[serde(default)]
    pub consent_to_support_offered_on: Option<NaiveDate>,
    /// The day the young adult answered it.
    #[serde(default)]
    pub consent_to_support_answered_on: Option<NaiveDate>,
    /// For a person referred again under s62: whether another recovery period is appropriate
    /// (`person::recovery`).
    #[serde(default)]
    pub additional_recovery: Option<crate::person::recovery::AdditionalRecovery>,
}

impl Referral {
    /// The case is still in the process: not withdrawn or closed.
    pub fn is_open(&self) -> bool {
        !matches!(self.stage, Stage::Withdrawn { .. } | Stage::Closed { .. })
    }

    /// The decision that waits for its review before it may be served, if any.
    pub fn awaiting_review(&self) -> Option<ReviewedDecision> {
        if self.conclusive_grounds.is_some_and(|d| d.awaiting_review()) {
            Some(ReviewedDecision::ConclusiveGrounds)
        } else if self.disqualification.is_some_and(|d| d.awaiting_review()) {
            Some(ReviewedDecision::Disqualification)
        } else if self.reasonable_grounds.is_some_and(|d| d.awaiting_review()) {
            Some(ReviewedDecision::ReasonableGrounds)
        } else {
            None
        }
    }

    pub fn decision(&self, which: DecisionRef) -> Option<&DecisionRecord> {
        match which {
            DecisionRef::ReasonableGrounds => self.reasonable_grounds.as_ref(),
            DecisionRef::ConclusiveGrounds => self.conclusive_grounds.as_ref(),
        }
    }

    fn decision_mut(&mut self, which: DecisionRef) -> Option<&mut DecisionRecord> {
        match which {
            DecisionRef::ReasonableGrounds => self.reasonable_grounds.as_mut(),
            DecisionRef::ConclusiveGrounds => self.conclusive_grounds.as_mut(),
        }
    }
}

/// The state of one case stream.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CaseState {
    /// Nothing has been submitted under this id.
    #[default]
    Empty,
    /// A Duty to Notify report: a record with no process after it.
    DutyToNotify {
        reference: CaseReference,
        reported_on: NaiveDate,
    },
    Referral(Referral),
}

/// A one-word status for queues, filters and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    AwaitingReasonableGrounds,
    NegativeReasonableGrounds,
    AwaitingConclusiveGrounds,
    PositiveConclusiveGrounds,
    NegativeConclusiveGrounds,
    DutyToNotify,
    Withdrawn,
    Closed,
}

impl CaseStatus {
    pub const ALL: [Self; 8] = [
        Self::AwaitingReasonableGrounds,
        Self::NegativeReasonableGrounds,
        Self::AwaitingConclusiveGrounds,
        Self::PositiveConclusiveGrounds,
        Self::NegativeConclusiveGrounds,
        Self::DutyToNotify,
        Self::Withdrawn,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingReasonableGrounds => "awaiting_reasonable_grounds",
            Self::NegativeReasonableGrounds => "negative_reasonable_grounds",
            Self::AwaitingConclusiveGrounds => "awaiting_conclusive_grounds",
            Self::PositiveConclusiveGrounds => "positive_conclusive_grounds",
            Self::NegativeConclusiveGrounds => "negative_conclusive_grounds",
            Self::DutyToNotify => "duty_to_notify",
            Self::Withdrawn => "withdrawn",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl Stage {
    pub fn status(&self) -> CaseStatus {
        match self {
            Self::AwaitingReasonableGrounds => CaseStatus::AwaitingReasonableGrounds,
            Self::NegativeReasonableGrounds { .. } => CaseStatus::NegativeReasonableGrounds,
            Self::RecoveryPeriod { .. } => CaseStatus::AwaitingConclusiveGrounds,
            Self::ConclusiveGrounds {
                outcome: Outcome::Positive,
                ..
            } => CaseStatus::PositiveConclusiveGrounds,
            Self::ConclusiveGrounds {
                outcome: Outcome::Negative,
                ..
            } => CaseStatus::NegativeConclusiveGrounds,
            Self::Withdrawn { .. } => CaseStatus::Withdrawn,
            Self::Closed { .. } => CaseStatus::Closed,
        }
    }
}

impl CaseState {
    /// Applies one event. Events that do not fit the state (which `decide` never produces)
    /// leave it unchanged rather than panicking, so a damaged stream can still be read.
    #[must_use]
    pub fn evolve(self, event: &CaseEvent) -> Self {
        match (self, event) {
            (Self::Empty, CaseEvent::ReferralSubmitted(e)) => Self::Referral(Referral {
                reference: e.reference.clone(),
                referred_on: e.referred_on,
                age_group: e.age_group,
                subject: e.subject,
                competent_authority: e.competent_authority,
                pilot_site: e.pilot_site.clone(),
                support_consent: e.consent.is_some_and(|c| c.support_consent),
                reasonable_grounds_due_on: e.reasonable_grounds_due_on,
                reasonable_grounds_calendar: e
                    .reasonable_grounds_calendar
                    .unwrap_or(Jurisdiction::EnglandAndWales),
                referring_organisation_nation: e.referring_organisation_nation,
                person_nation: e.person_nation,
                stage: Stage::AwaitingReasonableGrounds,
                allocated_to: None,
                reasonable_grounds: None,
                conclusive_grounds: None,
                information_requests: Vec::new(),
                disqualified: None,
                disqualification: None,
                suspended: None,
                recovery_extended_to: None,
                last_dated_on: e.referred_on,
                reconsideration: None,
                deadlines: BTreeMap::new(),
                notified: BTreeMap::new(),
                age_disputed: e.age_disputed,
                age_assessment: None,
                panel_meetings: Vec::new(),
                turned_18_on: None,
                consent_to_support_offered_on: None,
                consent_to_support_answered_on: None,
                additional_recovery: None,
            }),
            (Self::Empty, CaseEvent::DutyToNotifyReported(e)) => Self::DutyToNotify {
                reference: e.reference.clone(),
                reported_on: e.reported_on,
            },
            (Self::Referral(mut r), event) => {
                evolve_referral(&mut r, event);
                Self::Referral(r)
            }
            (state, _) => state,
        }
    }

    /// Folds a whole stream.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Self {
        events.into_iter().fold(Self::Empty, Self::evolve)
    }

    pub fn status(&self) -> Option<CaseStatus> {
        match self {
            Self::Empty => None,
            Self::DutyToNotify { .. } => Some(CaseStatus::DutyToNotify),
            Self::Referral(r) => Some(r.stage.status()),
        }
    }
}

/// The date a decisive event puts on the file, if it is one.
fn decisive_date(event: &CaseEvent) -> Option<NaiveDate> {
    match event {
        CaseEvent::ReasonableGroundsDecided(d) | CaseEvent::ConclusiveGroundsDecided(d) => {
            Some(d.decided_on)
        }
        CaseEvent::Disqualified { decided_on, .. } => Some(*decided_on),
        CaseEvent::NegativeConclusiveGroundsReviewed { reviewed_on, .. }
        | CaseEvent::NegativeReasonableGroundsReviewed { reviewed_on, .. }
        | CaseEvent::DisqualificationReviewed { reviewed_on, .. } => Some(*reviewed_on),
        CaseEvent::DecisionServed { served_on, .. } => Some(*served_on),
        CaseEvent::ReconsiderationRequested { requested_on, .. } => Some(*requested_on),
        CaseEvent::ReconsiderationDecided { decided_on, .. } => Some(*decided_on),
        CaseEvent::AgeAssessed(e) => Some(e.assessed_on),
        CaseEvent::Withdrawn { on, .. }
        | CaseEvent::Suspended { on, .. }
        | CaseEvent::Resumed { on }
        | CaseEvent::Closed { on, .. } => Some(*on),
        _ => None,
    }
}

fn evolve_referral(r: &mut Referral, event: &CaseEvent) {
    if let Some(on) = decisive_date(event) {
        r.last_dated_on = r.last_dated_on.max(on);
    }
    match event {
        CaseEvent::ReferralSubmitted(_) | CaseEvent::DutyToNotifyReported(_) => {}
        CaseEvent::ReasonableGroundsDecided(d) => {
            r.reasonable_grounds = Some(DecisionRecord {
                outcome: d.outcome,
                decided_on: d.decided_on,
                decided_by: d.decided_by,
                served_on: None,
                review_required: d.review,
                review_agreed: false,
                reviewed_on: None,
            });
            r.reconsideration = None;
            r.stage = match d.outcome {
                Outcome::Positive => Stage::RecoveryPeriod {
                    reasonable_grounds_on: d.decided_on,
                    minimum_ends_on: None,
                },
                Outcome::Negative => Stage::NegativeReasonableGrounds {
                    decided_on: d.decided_on,
                },
            };
        }
        CaseEvent::RecoveryPeriodStarted(p) => {
            if let Stage::RecoveryPeriod {
                minimum_ends_on, ..
            } = &mut r.stage
            {
                *minimum_ends_on = Some(p.minimum_ends_on);
            }
        }
        CaseEvent::ConclusiveGroundsDecided(d) => {
            if let Stage::RecoveryPeriod {
                reasonable_grounds_on,
                ..
            } = r.stage
            {
                r.conclusive_grounds = Some(DecisionRecord {
                    outcome: d.outcome,
                    decided_on: d.decided_on,
                    decided_by: d.decided_by,
                    served_on: None,
                    review_required: d.review,
                    review_agreed: false,
                    reviewed_on: None,
                });
                r.reconsideration = None;
                r.stage = Stage::ConclusiveGrounds {
                    outcome: d.outcome,
                    decided_on: d.decided_on,
                    reasonable_grounds_on,
                };
            }
        }
        CaseEvent::RouteChanged { to, pilot_site, .. } => {
            r.competent_authority = *to;
            r.pilot_site.clone_from(pilot_site);
        }
        CaseEvent::CaseAllocated { to, .. } => r.allocated_to = Some(*to),
        CaseEvent::InformationRequested {
            request,
            requested_on,
            due_on,
            calendar,
            ..
        } => r.information_requests.push(InformationRequest {
            request: *request,
            requested_on: *requested_on,
            due_on: *due_on,
            received_on: None,
            calendar: calendar.unwrap_or(Jurisdiction::EnglandAndWales),
        }),
        CaseEvent::InformationReceived {
            request,
            received_on,
        } => {
            if let Some(open) = r
                .information_requests
                .iter_mut()
                .find(|i| i.request == *request)
            {
                open.received_on = Some(*received_on);
            }
        }
        CaseEvent::RecoveryPeriodExtended { until } => r.recovery_extended_to = Some(*until),
        CaseEvent::Disqualified {
            ground,
            decided_on,
            decided_by,
            review,
            ..
        } => {
            r.disqualified = Some((*ground, *decided_on));
            r.disqualification = Some(DisqualificationRecord {
                decided_on: *decided_on,
                decided_by: *decided_by,
                review_required: *review,
                review_agreed: false,
                reviewed_on: None,
            });
        }
        CaseEvent::NegativeReasonableGroundsReviewed {
            outcome,
            reviewed_on,
            ..
        } => match outcome {
            ReviewOutcome::Agree => {
                if let Some(rg) = r.reasonable_grounds.as_mut() {
                    rg.review_agreed = true;
                    rg.reviewed_on = Some(*reviewed_on);
                }
            }
            // The RG deadline opens again with its original due date; the sweep reports its
            // status afresh (the read model reopens it as on track).
            ReviewOutcome::ReferBack => {
                set_aside(r, DecisionRef::ReasonableGrounds);
                r.deadlines.remove(&Deadline::ReasonableGrounds);
            }
        },
        CaseEvent::DisqualificationReviewed {
            outcome,
            reviewed_on,
            ..
        } => match outcome {
            ReviewOutcome::Agree => {
                if let Some(d) = r.disqualification.as_mut() {
                    d.review_agreed = true;
                    d.reviewed_on = Some(*reviewed_on);
                }
            }
            // Referred back: the disqualification is set aside and the recovery period's
            // protection stands again.
            ReviewOutcome::ReferBack => {
                r.disqualified = None;
                r.disqualification = None;
            }
        },
        CaseEvent::NegativeConclusiveGroundsReviewed {
            outcome,
            reviewed_on,
            ..
        } => match outcome {
            ReviewOutcome::Agree => {
                if let Some(cg) = r.conclusive_grounds.as_mut() {
                    cg.review_agreed = true;
                    cg.reviewed_on = Some(*reviewed_on);
                }
            }
            ReviewOutcome::ReferBack => set_aside(r, DecisionRef::ConclusiveGrounds),
        },
        CaseEvent::DecisionServed {
            decision,
            served_on,
            recipients,
        } => {
            if let Some(record) = r.decision_mut(*decision) {
                record.served_on = Some(*served_on);
            }
            r.notified.insert(*decision, recipients.clone());
        }
        CaseEvent::ReconsiderationRequested {
            decision,
            requested_on,
            ..
        } => {
            r.reconsideration = Some(PendingReconsideration {
                decision: *decision,
                requested_on: *requested_on,
            });
        }
        CaseEvent::ReconsiderationDecided {
            decision,
            accepted,
            reasonable_grounds_due_on,
            ..
        } => {
            r.reconsideration = None;
            if *accepted {
                set_aside(r, *decision);
                if let Some(due) = reasonable_grounds_due_on {
                    r.reasonable_grounds_due_on = *due;
                    r.deadlines.remove(&Deadline::ReasonableGrounds);
                }
            }
        }
        CaseEvent::Withdrawn { on, .. } => r.stage = Stage::Withdrawn { on: *on },
        CaseEvent::Suspended { on, reason } => r.suspended = Some((*reason, *on)),
        CaseEvent::Resumed { .. } => r.suspended = None,
        CaseEvent::Closed { on, .. } => r.stage = Stage::Closed { on: *on },
        CaseEvent::DeadlineStatusChanged {
            deadline, status, ..
        } => {
            r.deadlines.insert(*deadline, *status);
        }
        CaseEvent::PanelConvened(_)
        | CaseEvent::PanelPapersPrepared(_)
        | CaseEvent::PanelDecided(_) => crate::children::panel::evolve(r, event),
        CaseEvent::AgeAssessed(_) => crate::children::age::evolve(r, event),
        CaseEvent::TurnedEighteen(_) | CaseEvent::ConsentToSupportAnswered(_) => {
            crate::children::adulthood::evolve(r, event);
        }
        CaseEvent::AdditionalRecoveryPeriodQuestioned(_)
        | CaseEvent::AdditionalRecoveryPeriodDecided(_) => {
            crate::person::recovery::evolve(r, event);
        }
    }
}

/// A decision set aside (reconsideration accepted, or a negative CG referred back by its
/// review): the case returns to the stage where that decision is still to be made.
fn set_aside(r: &mut Referral, decision: DecisionRef) {
    match decision {
        DecisionRef::ReasonableGrounds => {
            r.reasonable_grounds = None;
            r.additional_recovery = None;
            r.stage = Stage::AwaitingReasonableGrounds;
        }
        DecisionRef::ConclusiveGrounds => {
            if let Stage::ConclusiveGrounds {
                reasonable_grounds_on,
                ..
            } = r.stage
            {
                r.conclusive_grounds = None;
                r.stage = Stage::RecoveryPeriod {
                    reasonable_grounds_on,
                    minimum_ends_on: None,
                };
            }
        }
    }
    r.notified.remove(&decision);
}
