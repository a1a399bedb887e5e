//! A pilot panel's own view of its work (issue 13 item 2): where each of its cases stands
//! (the panel's queue) and what each meeting did (the meeting page), folded from the case's
//! events. Pure: the service loads the cases and reads the reasons from the vault.
//!
//! Where a case stands, in the order a panel works it:
//! - **returned by the SCA**: its quality assurance returned the panel's decision with
//!   reasons; the panel decides again at a new meeting (none convened yet);
//! - **to convene**: a decision is waiting and no meeting is to come;
//! - **awaiting papers**: a meeting is convened, its papers not yet prepared;
//! - **awaiting meeting**: the papers are ready, the meeting has not decided yet;
//! - **with the SCA**: the panel's decision waits for the SCA's quality assurance;
//! - **decided**: nothing waits on the panel.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::case::Referral;
use crate::children::panel::{PanelMeeting, PanelRules, pending_decision};
use crate::event::{CaseEvent, DecisionRef, Outcome, ReviewOutcome};
use crate::ids::{UserId, VaultRecordId};
use crate::rules::ReviewKind;

/// Where a pilot panel's case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PanelStage {
    ReturnedBySca,
    ToConvene,
    AwaitingPapers,
    AwaitingMeeting,
    WithSca,
    Decided,
}

impl PanelStage {
    pub const ALL: [Self; 6] = [
        Self::ReturnedBySca,
        Self::ToConvene,
        Self::AwaitingPapers,
        Self::AwaitingMeeting,
        Self::WithSca,
        Self::Decided,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ReturnedBySca => "returned",
            Self::ToConvene => "to-convene",
            Self::AwaitingPapers => "awaiting-papers",
            Self::AwaitingMeeting => "awaiting-meeting",
            Self::WithSca => "with-sca",
            Self::Decided => "decided",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::ReturnedBySca => "Returned by the SCA",
            Self::ToConvene => "To convene",
            Self::AwaitingPapers => "Awaiting papers",
            Self::AwaitingMeeting => "Awaiting meeting",
            Self::WithSca => "With the SCA for quality assurance",
            Self::Decided => "Decided",
        }
    }
}

/// The SCA's quality assurance of one panel decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assurance {
    pub outcome: ReviewOutcome,
    pub reviewed_on: NaiveDate,
    pub reasons: VaultRecordId,
}

/// A decision a meeting made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingDecision {
    pub decision: DecisionRef,
    pub outcome: Outcome,
    pub decided_on: NaiveDate,
    /// The panel's written reasons (vault).
    pub reasons: VaultRecordId,
    pub present: Vec<UserId>,
    /// Whether it went to the SCA's quality assurance, and the rule why (or why not).
    pub assured: bool,
    pub assurance_rule: String,
    pub assurance: Option<Assurance>,
}

/// A meeting of the panel for one case, with what it decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    pub meeting: PanelMeeting,
    pub decisions: Vec<MeetingDecision>,
}

/// The quorum as judged for a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quorum {
    /// How many must attend (the chair included), by the rule of the meeting's date.
    pub minimum: Option<u32>,
    pub rule: String,
    /// Who attended its last decision; `None` before it decided anything.
    pub present: Option<usize>,
}

impl Quorum {
    /// Whether the meeting made its quorum (the domain refuses a decision without one, so
    /// a decided meeting did); `None` before it met.
    pub fn met(&self) -> Option<bool> {
        self.present.map(|present| {
            self.minimum
                .is_none_or(|m| present >= usize::try_from(m).unwrap_or(usize::MAX))
        })
    }
}

impl MeetingRecord {
    pub fn quorum(&self) -> Quorum {
        let rule = PanelRules::current().minimum_attendance(self.meeting.meets_on);
        Quorum {
            minimum: rule.map(|r| r.value),
            rule: rule.map(|r| r.source.clone()).unwrap_or_default(),
            present: self.decisions.last().map(|d| d.present.len()),
        }
    }
}

/// The case's meetings in the order convened, each with its decisions (outcome, reasons,
/// attendance) and their quality assurance.
pub fn meeting_records(events: &[CaseEvent]) -> Vec<MeetingRecord> {
    let mut records: Vec<MeetingRecord> = Vec::new();
    // The panel decision whose grounds event comes next.
    let mut deciding: Option<(Uuid, crate::children::panel::PanelDecided)> = None;
    for event in events {
        match event {
            CaseEvent::PanelConvened(e) => records.push(MeetingRecord {
                meeting: PanelMeeting {
                    meeting: e.meeting,
                    pilot_site: e.pilot_site.clone(),
                    meets_on: e.meets_on,
                    chair: e.chair.clone(),
                    members: e.members.clone(),
                    papers: Vec::new(),
                    papers_prepared_on: None,
                    decided: Vec::new(),
                },
                decisions: Vec::new(),
            }),
            CaseEvent::PanelPapersPrepared(e) => {
                if let Some(r) = records.iter_mut().find(|r| r.meeting.meeting == e.meeting) {
                    r.meeting.papers.clone_from(&e.items);
                    r.meeting.papers_prepared_on = Some(e.prepared_on);
                }
            }
            CaseEvent::PanelDecided(e) => deciding = Some((e.meeting, e.clone())),
            CaseEvent::ReasonableGroundsDecided(d) | CaseEvent::ConclusiveGroundsDecided(d) => {
                let which = if matches!(event, CaseEvent::ReasonableGroundsDecided(_)) {
                    DecisionRef::ReasonableGrounds
                } else {
                    DecisionRef::ConclusiveGrounds
                };
                if let Some((meeting, panel)) = deciding.take()
                    && panel.decision == which
                    && let Some(r) = records.iter_mut().find(|r| r.meeting.meeting == meeting)
                {
                    r.meeting.decided.push((which, panel.present.clone()));
                    r.decisions.push(MeetingDecision {
                        decision: which,
                        outcome: d.outcome,
                        decided_on: d.decided_on,
                        reasons: d.reasons,
                        present: panel.present,
                        assured: panel.assured,
                        assurance_rule: panel.assurance_rule,
                        assurance: None,
                    });
                }
            }
            CaseEvent::NegativeReasonableGroundsReviewed {
                kind: ReviewKind::ScaQualityAssurance,
                outcome,
                reviewed_on,
                reasons,
                ..
            }
            | CaseEvent::NegativeConclusiveGroundsReviewed {
                kind: ReviewKind::ScaQualityAssurance,
                outcome,
                reviewed_on,
                reasons,
                ..
            } => {
                let which = if matches!(event, CaseEvent::NegativeReasonableGroundsReviewed { .. })
                {
                    DecisionRef::ReasonableGrounds
                } else {
                    DecisionRef::ConclusiveGrounds
                };
                // The latest assured decision of that kind not yet assured.
                if let Some(d) = records
                    .iter_mut()
                    .flat_map(|r| r.decisions.iter_mut())
                    .rfind(|d| d.decision == which && d.assured && d.assurance.is_none())
                {
                    d.assurance = Some(Assurance {
                        outcome: *outcome,
                        reviewed_on: *reviewed_on,
                        reasons: *reasons,
                    });
                }
            }
            _ => {}
        }
    }
    records
}

/// Where the case stands for its panel.
pub fn panel_stage(r: &Referral, records: &[MeetingRecord]) -> PanelStage {
    if r.awaiting_review().is_some() {
        return PanelStage::WithSca;
    }
    let Some(pending) = pending_decision(r).filter(|_| r.is_open()) else {
        return PanelStage::Decided;
    };
    // The meeting to come: convened after the last meeting that decided anything, and
    // itself undecided (a meeting convened and passed over is not to come).
    let last_decided = records.iter().rposition(|m| !m.decisions.is_empty());
    let to_come = records
        .iter()
        .enumerate()
        .rev()
        .find(|(at, m)| m.decisions.is_empty() && last_decided.is_none_or(|l| *at > l))
        .map(|(_, m)| m);
    match to_come {
        Some(m) if m.meeting.papers_prepared_on.is_none() => PanelStage::AwaitingPapers,
        Some(_) => PanelStage::AwaitingMeeting,
        None => {
            let returned = records
                .iter()
                .flat_map(|m| &m.decisions)
                .rfind(|d| d.decision == pending)
                .and_then(|d| d.assurance)
                .is_some_and(|a| a.outcome == ReviewOutcome::ReferBack);
            if returned {
                PanelStage::ReturnedBySca
            } else {
                PanelStage::ToConvene
            }
        }
    }
}
