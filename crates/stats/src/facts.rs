//! One row of facts per case: what the tables count, folded from the case's events as they
//! stood at the end of the "as at" day. No personal data: a fact holds categories and dates.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::CaseEvent;
use nrm_domain::clock::uk_date;
use nrm_domain::event::{
    CompetentAuthority, DecisionRef, DisqualificationGround, Outcome, ReviewOutcome,
};
use nrm_domain::exploitation::{ExploitationType, LocationClass};
use nrm_domain::geography::{Country, PoliceForceArea, UkNation};
use nrm_domain::submission::{AgeAtExploitation, FirstResponderType, Gender};

/// An NRM referral or a Duty to Notify report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Referral,
    DutyToNotify,
}

/// Nationality as the tables group it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Nationality {
    NotKnown,
    Single(Country),
    /// Dual or multiple nationals, counted in a row of their own.
    Multiple,
}

/// Which grounds decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    ReasonableGrounds,
    ConclusiveGrounds,
}

impl Stage {
    fn of(decision: DecisionRef) -> Self {
        match decision {
            DecisionRef::ReasonableGrounds => Self::ReasonableGrounds,
            DecisionRef::ConclusiveGrounds => Self::ConclusiveGrounds,
        }
    }
}

/// A grounds decision that stands as issued (one set aside by its review before it was
/// served was never issued and is not here; one later reconsidered was issued and is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecisionFact {
    pub stage: Stage,
    pub decided_on: NaiveDate,
    pub outcome: Outcome,
    /// The competent authority deciding the case when the decision was made.
    pub authority: CompetentAuthority,
    /// The case's first decision at this stage (time-to-decision counts only these).
    pub first: bool,
}

/// A request to reconsider a decision, and its answer when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconsiderationFact {
    pub stage: Stage,
    pub requested_on: NaiveDate,
    /// The day it was decided and whether it was accepted.
    pub decided: Option<(NaiveDate, bool)>,
}

/// A disqualification (NABA 2022 s63) that stands (one referred back by its review is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisqualificationFact {
    pub decided_on: NaiveDate,
    pub ground: DisqualificationGround,
    pub authority: CompetentAuthority,
}

/// The exploitation types reported, as a set (bit `i` is `ExploitationType::ALL[i]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TypeSet(pub u8);

impl TypeSet {
    pub fn of(types: &[ExploitationType]) -> Self {
        let mut bits = 0u8;
        for t in types {
            if let Some(i) = ExploitationType::ALL.iter().position(|a| a == t) {
                bits |= 1 << i;
            }
        }
        Self(bits)
    }

    pub fn contains(self, t: ExploitationType) -> bool {
        ExploitationType::ALL
            .iter()
            .position(|a| *a == t)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }

    /// The one type when exactly one was reported.
    pub fn single(self) -> Option<ExploitationType> {
        (self.0.count_ones() == 1).then(|| ExploitationType::ALL[self.0.trailing_zeros() as usize])
    }

    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Everything the tables need to know about one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: Kind,
    /// The referral's (or report's) date: the date that puts it in a period.
    pub referred_on: NaiveDate,
    pub age: AgeAtExploitation,
    pub gender: Gender,
    pub nationality: Nationality,
    pub exploitation: TypeSet,
    pub county_lines: bool,
    pub location: LocationClass,
    /// The first police force area named where the exploitation happened.
    pub police_force_area: Option<PoliceForceArea>,
    /// That area's nation, or else the first UK nation named.
    pub nation: Option<UkNation>,
    pub first_responder: FirstResponderType,
    /// The competent authority the referral was routed to; `None` for Duty to Notify.
    pub authority: Option<CompetentAuthority>,
    pub decisions: Vec<DecisionFact>,
    pub reconsiderations: Vec<ReconsiderationFact>,
    pub disqualifications: Vec<DisqualificationFact>,
}

/// The event kinds a fact is folded from (the store reads only these).
pub const EVENT_KINDS: [&str; 11] = [
    "referral_submitted",
    "duty_to_notify_reported",
    "reasonable_grounds_decided",
    "conclusive_grounds_decided",
    "route_changed",
    "disqualified",
    "disqualification_reviewed",
    "negative_reasonable_grounds_reviewed",
    "negative_conclusive_grounds_reviewed",
    "reconsideration_requested",
    "reconsideration_decided",
];

fn nationality(list: &[Country]) -> Nationality {
    match list {
        [] => Nationality::NotKnown,
        [one] => Nationality::Single(*one),
        _ => Nationality::Multiple,
    }
}

/// Folds one case's events, in stream order, into its fact as it stood at the end of
/// `as_at` (a UK date): events recorded later are left out. `None` when the case had not been
/// referred by then.
pub fn fold<'a>(
    events: impl IntoIterator<Item = (&'a CaseEvent, DateTime<Utc>)>,
    as_at: NaiveDate,
) -> Option<Fact> {
    let mut fact: Option<Fact> = None;
    let mut current: Option<CompetentAuthority> = None;
    for (event, recorded_at) in events {
        if uk_date(recorded_at) > as_at {
            break;
        }
        if let CaseEvent::ReferralSubmitted(r) = event {
            let location = &r.exploitation.location;
            let police_force_area = location.police_force_areas.first().copied();
            current = Some(r.competent_authority);
            fact = Some(Fact {
                kind: Kind::Referral,
                referred_on: r.referred_on,
                age: r.age_at_exploitation,
                gender: r.gender,
                nationality: nationality(&r.nationalities),
                exploitation: TypeSet::of(&r.exploitation.types),
                county_lines: r.exploitation.county_lines,
                location: location.class(),
                police_force_area,
                nation: police_force_area
                    .map(|a| a.nation())
                    .or_else(|| location.uk_nations.first().copied()),
                first_responder: r.first_responder_type,
                authority: Some(r.competent_authority),
                decisions: Vec::new(),
                reconsiderations: Vec::new(),
                disqualifications: Vec::new(),
            });
            continue;
        }
        if let CaseEvent::DutyToNotifyReported(r) = event {
            let location = &r.exploitation.location;
            let police_force_area = location.police_force_areas.first().copied();
            fact = Some(Fact {
                kind: Kind::DutyToNotify,
                referred_on: r.reported_on,
                age: r.age_at_exploitation,
                gender: r.gender,
                nationality: nationality(&r.nationalities),
                exploitation: TypeSet::of(&r.exploitation.types),
                county_lines: r.exploitation.county_lines,
                location: location.class(),
                police_force_area,
                nation: police_force_area
                    .map(|a| a.nation())
                    .or_else(|| location.uk_nations.first().copied()),
                first_responder: r.first_responder_type,
                authority: None,
                decisions: Vec::new(),
                reconsiderations: Vec::new(),
                disqualifications: Vec::new(),
            });
            continue;
        }
        let Some(f) = fact.as_mut() else { continue };
        let authority = current.unwrap_or(CompetentAuthority::Sca);
        let mut decided = |stage: Stage, on: NaiveDate, outcome: Outcome| {
            let first = !f.decisions.iter().any(|d| d.stage == stage);
            f.decisions.push(DecisionFact {
                stage,
                decided_on: on,
                outcome,
                authority,
                first,
            });
        };
        match event {
            CaseEvent::ReasonableGroundsDecided(d) => {
                decided(Stage::ReasonableGrounds, d.decided_on, d.outcome)
            }
            CaseEvent::ConclusiveGroundsDecided(d) => {
                decided(Stage::ConclusiveGrounds, d.decided_on, d.outcome)
            }
            CaseEvent::RouteChanged { to, .. } => current = Some(*to),
            CaseEvent::NegativeReasonableGroundsReviewed {
                outcome: ReviewOutcome::ReferBack,
                ..
            } => set_aside(f, Stage::ReasonableGrounds),
            CaseEvent::NegativeConclusiveGroundsReviewed {
                outcome: ReviewOutcome::ReferBack,
                ..
            } => set_aside(f, Stage::ConclusiveGrounds),
            CaseEvent::Disqualified {
                ground, decided_on, ..
            } => f.disqualifications.push(DisqualificationFact {
                decided_on: *decided_on,
                ground: *ground,
                authority,
            }),
            CaseEvent::DisqualificationReviewed {
                outcome: ReviewOutcome::ReferBack,
                ..
            } => {
                f.disqualifications.pop();
            }
            CaseEvent::ReconsiderationRequested {
                decision,
                requested_on,
                ..
            } => f.reconsiderations.push(ReconsiderationFact {
                stage: Stage::of(*decision),
                requested_on: *requested_on,
                decided: None,
            }),
            CaseEvent::ReconsiderationDecided {
                decision,
                accepted,
                decided_on,
                ..
            } => {
                let stage = Stage::of(*decision);
                if let Some(open) = f
                    .reconsiderations
                    .iter_mut()
                    .rev()
                    .find(|r| r.stage == stage && r.decided.is_none())
                {
                    open.decided = Some((*decided_on, *accepted));
                }
            }
            _ => {}
        }
    }
    fact
}

/// A negative decision referred back by its review was never issued: it leaves the record,
/// and the next decision at that stage takes its place as the first.
fn set_aside(f: &mut Fact, stage: Stage) {
    if let Some(i) = f.decisions.iter().rposition(|d| d.stage == stage) {
        let removed = f.decisions.remove(i);
        if removed.first
            && let Some(next) = f.decisions.iter_mut().find(|d| d.stage == stage)
        {
            next.first = true;
        }
    }
}
