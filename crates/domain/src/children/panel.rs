//! Devolved pilot panels (issue 13 item 2; domain brief 1.4): a local authority running the
//! child decision-making pilot convenes a multi-agency panel for a case routed to it, prepares
//! the papers (the referral and a multi-agency information-gathering checklist), and records the
//! Reasonable and Conclusive Grounds decisions with who attended. The decision itself is the
//! case's own `ReasonableGroundsDecided` / `ConclusiveGroundsDecided` event, made by the same
//! rules as any other (`command::grounds_events`), so the lifecycle stays one truth; the panel
//! adds the meeting, the papers and the attendance before it.
//!
//! The Single Competent Authority quality-assures every negative decision (the main
//! rulebook's `pilot_negative_decision_review`) and a sample of the positive ones
//! (`panels.json`, drawn with randomness the caller passes in). A decision held for assurance
//! is not served; the SCA agrees it or returns it with reasons, and a returned decision is set
//! aside so the panel decides again at a new meeting.
//!
//! Dated rules here come from `rulebook/panels.json`: the papers a panel needs before it
//! decides, how many must attend, the positive-decision sample.

use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::Actor;
use crate::case::{Referral, Stage};
use crate::command::Decision;
use crate::error::{DomainError, FieldProblem};
use crate::event::{CaseEvent, CompetentAuthority, DecisionRef};
use crate::ids::UserId;
use crate::rules::{Dated, PilotPanel, PilotPanelMember, ReviewKind, Rulebook};

/// One item of the multi-agency information-gathering checklist in the panel's papers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistItem {
    /// The NRM referral itself.
    Referral,
    /// Information from children's social care (the lead social worker's assessment).
    ChildrensSocialCare,
    /// Police information and intelligence.
    Police,
    /// Health information.
    Health,
    /// Education (school, college).
    Education,
    /// The child's own views, in their words.
    ChildsViews,
    /// The Independent Child Trafficking Guardian's (or another advocate's) views.
    Guardian,
    /// Immigration information (Home Office).
    Immigration,
    /// Further information from the First Responder.
    FirstResponder,
}

impl ChecklistItem {
    pub const ALL: [Self; 9] = [
        Self::Referral,
        Self::ChildrensSocialCare,
        Self::Police,
        Self::Health,
        Self::Education,
        Self::ChildsViews,
        Self::Guardian,
        Self::Immigration,
        Self::FirstResponder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referral => "referral",
            Self::ChildrensSocialCare => "childrens_social_care",
            Self::Police => "police",
            Self::Health => "health",
            Self::Education => "education",
            Self::ChildsViews => "childs_views",
            Self::Guardian => "guardian",
            Self::Immigration => "immigration",
            Self::FirstResponder => "first_responder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.as_str() == s)
    }

    /// The item as the checklist words it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Referral => "The NRM referral",
            Self::ChildrensSocialCare => "Children's social care information",
            Self::Police => "Police information",
            Self::Health => "Health information",
            Self::Education => "Education information",
            Self::ChildsViews => "The child's views",
            Self::Guardian => "The guardian's or advocate's views",
            Self::Immigration => "Immigration information",
            Self::FirstResponder => "Further information from the First Responder",
        }
    }
}

/// The panels' dated rules (`rulebook/panels.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelRules {
    pub version: String,
    pub notes: String,
    /// Checklist items the papers must have ticked before the panel decides.
    pub papers_required: Vec<Dated<Vec<ChecklistItem>>>,
    /// How many must be present (the chair included) for the panel to decide.
    pub minimum_attendance: Vec<Dated<u32>>,
    /// Of each thousand positive decisions, how many the SCA quality-assures.
    pub positive_decision_sample_per_thousand: Vec<Dated<u32>>,
    /// What a child's case does when the person turns 18 during it, by the birthday's date
    /// (`children::adulthood`).
    pub case_on_turning_18: Vec<Dated<crate::children::adulthood::TurningEighteenRule>>,
}

static PANEL_RULES: LazyLock<Result<PanelRules, String>> =
    LazyLock::new(|| PanelRules::parse(include_str!("../../rulebook/panels.json")));

impl PanelRules {
    /// The rules this build ships. Checked by a unit test; a build whose file does not parse
    /// panics on first use rather than deciding under unknown rules.
    pub fn current() -> &'static Self {
        match &*PANEL_RULES {
            Ok(rules) => rules,
            Err(e) => panic!("the shipped panel rules are invalid: {e}"),
        }
    }

    pub fn parse(json: &str) -> Result<Self, String> {
        let rules: Self = serde_json::from_str(json).map_err(|e| e.to_string())?;
        fn ordered<T>(name: &str, entries: &[Dated<T>]) -> Result<(), String> {
            if entries.is_empty() || entries.windows(2).any(|w| w[0].from >= w[1].from) {
                return Err(format!("{name} must have entries in increasing date order"));
            }
            Ok(())
        }
        ordered("papers_required", &rules.papers_required)?;
        ordered("minimum_attendance", &rules.minimum_attendance)?;
        ordered(
            "positive_decision_sample_per_thousand",
            &rules.positive_decision_sample_per_thousand,
        )?;
        ordered("case_on_turning_18", &rules.case_on_turning_18)?;
        if rules
            .positive_decision_sample_per_thousand
            .iter()
            .any(|e| e.value > 1000)
        {
            return Err("a sample is at most 1000 per thousand".to_owned());
        }
        Ok(rules)
    }

    fn on<T>(entries: &[Dated<T>], on: NaiveDate) -> Option<&Dated<T>> {
        entries.iter().rev().find(|e| e.from <= on)
    }

    /// The papers a panel meeting on `on` needs (none before the pilot began).
    pub fn papers_required(&self, on: NaiveDate) -> Option<&Dated<Vec<ChecklistItem>>> {
        Self::on(&self.papers_required, on)
    }

    /// How many must attend a panel meeting on `on`.
    pub fn minimum_attendance(&self, on: NaiveDate) -> Option<&Dated<u32>> {
        Self::on(&self.minimum_attendance, on)
    }

    /// The positive-decision sample for a decision made on `on`.
    pub fn positive_sample(&self, on: NaiveDate) -> Option<&Dated<u32>> {
        Self::on(&self.positive_decision_sample_per_thousand, on)
    }

    /// What a child's case does when the person turns 18 on `on`.
    pub fn case_on_turning_18(
        &self,
        on: NaiveDate,
    ) -> Option<&Dated<crate::children::adulthood::TurningEighteenRule>> {
        Self::on(&self.case_on_turning_18, on)
    }

    /// Whether a positive decision made on `on` is in the SCA's sample, given a uniform draw in
    /// `0..1000` made by the caller.
    pub fn positive_sampled(&self, on: NaiveDate, draw: u16) -> bool {
        self.positive_sample(on)
            .is_some_and(|rule| u32::from(draw % 1000) < rule.value)
    }
}

/// A panel meeting was convened for the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelConvened {
    pub meeting: Uuid,
    pub pilot_site: String,
    pub meets_on: NaiveDate,
    pub chair: PilotPanelMember,
    pub members: Vec<PilotPanelMember>,
    pub convened_by: Actor,
    /// The composition rule it was checked against.
    pub rule: String,
}

/// The papers for a meeting were prepared: the checklist items ticked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelPapersPrepared {
    pub meeting: Uuid,
    pub items: Vec<ChecklistItem>,
    pub prepared_on: NaiveDate,
    pub prepared_by: Actor,
}

/// The panel made a decision at a meeting (the grounds decision event follows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelDecided {
    pub meeting: Uuid,
    pub decision: DecisionRef,
    /// Who was present: the chair and the members who attended.
    pub present: Vec<UserId>,
    /// Whether the decision goes to the SCA's quality assurance before it is served.
    pub assured: bool,
    /// Why (or why not): the rule applied.
    pub assurance_rule: String,
}

/// A meeting as the case remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PanelMeeting {
    pub meeting: Uuid,
    pub pilot_site: String,
    pub meets_on: NaiveDate,
    pub chair: PilotPanelMember,
    pub members: Vec<PilotPanelMember>,
    pub papers: Vec<ChecklistItem>,
    pub papers_prepared_on: Option<NaiveDate>,
    /// The decisions made at it, with who was present.
    pub decided: Vec<(DecisionRef, Vec<UserId>)>,
}

impl PanelMeeting {
    pub fn everyone(&self) -> impl Iterator<Item = &PilotPanelMember> {
        std::iter::once(&self.chair).chain(&self.members)
    }
}

/// What a panel's local authority asks of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelCommand {
    Convene {
        meeting: Uuid,
        meets_on: NaiveDate,
        chair: PilotPanelMember,
        members: Vec<PilotPanelMember>,
    },
    PreparePapers {
        meeting: Uuid,
        items: Vec<ChecklistItem>,
    },
    Decide {
        meeting: Uuid,
        decision: DecisionRef,
        grounds: Decision,
        /// The chair and members present.
        present: Vec<UserId>,
        /// A uniform draw in `0..1000` for the SCA's positive-decision sample.
        assurance_draw: u16,
    },
}

/// Folds a panel event into the case.
pub(crate) fn evolve(r: &mut Referral, event: &CaseEvent) {
    match event {
        CaseEvent::PanelConvened(e) => r.panel_meetings.push(PanelMeeting {
            meeting: e.meeting,
            pilot_site: e.pilot_site.clone(),
            meets_on: e.meets_on,
            chair: e.chair.clone(),
            members: e.members.clone(),
            papers: Vec::new(),
            papers_prepared_on: None,
            decided: Vec::new(),
        }),
        CaseEvent::PanelPapersPrepared(e) => {
            if let Some(m) = r.panel_meetings.iter_mut().find(|m| m.meeting == e.meeting) {
                m.papers.clone_from(&e.items);
                m.papers_prepared_on = Some(e.prepared_on);
            }
        }
        CaseEvent::PanelDecided(e) => {
            if let Some(m) = r.panel_meetings.iter_mut().find(|m| m.meeting == e.meeting) {
                m.decided.push((e.decision, e.present.clone()));
            }
        }
        _ => {}
    }
}

fn refused(code: &'static str, message: impl Into<String>) -> DomainError {
    DomainError::refused(code, message)
}

/// The decision the case waits for, if a panel can make one now.
pub fn pending_decision(r: &Referral) -> Option<DecisionRef> {
    match r.stage {
        Stage::AwaitingReasonableGrounds => Some(DecisionRef::ReasonableGrounds),
        Stage::RecoveryPeriod { .. } => Some(DecisionRef::ConclusiveGrounds),
        _ => None,
    }
}

pub(crate) fn decide(
    r: &Referral,
    command: &PanelCommand,
    actor: Actor,
    rules: &Rulebook,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, DomainError> {
    crate::command::guard_open(r)?;
    if r.competent_authority != CompetentAuthority::LocalAuthorityPanel {
        return Err(refused(
            "not-a-pilot-case",
            "Only a case routed to a devolved pilot local authority is decided by its panel",
        ));
    }
    let site = r.pilot_site.clone().unwrap_or_default();
    let panel_rules = PanelRules::current();
    match command {
        PanelCommand::Convene {
            meeting,
            meets_on,
            chair,
            members,
        } => {
            if pending_decision(r).is_none() {
                return Err(refused(
                    "nothing-for-the-panel",
                    "The case has no Reasonable or Conclusive Grounds decision waiting to be made",
                ));
            }
            if r.panel_meetings.iter().any(|m| m.meeting == *meeting) {
                return Err(refused("duplicate-meeting", "That meeting already exists"));
            }
            if *meets_on < r.last_dated_on {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/meets_on",
                    format!(
                        "The meeting date must be on or after the last dated step on the case file ({})",
                        r.last_dated_on
                    ),
                )]));
            }
            if rules.pilot_site(&site, *meets_on).is_none() {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/meets_on",
                    format!("The local authority does not run the pilot on {meets_on}"),
                )]));
            }
            rules.check_pilot_panel(
                &PilotPanel {
                    chair: chair.clone(),
                    members: members.clone(),
                },
                *meets_on,
            )?;
            Ok(vec![CaseEvent::PanelConvened(PanelConvened {
                meeting: *meeting,
                pilot_site: site,
                meets_on: *meets_on,
                chair: chair.clone(),
                members: members.clone(),
                convened_by: actor,
                rule: rules
                    .data()
                    .pilot_panel_required_agencies
                    .iter()
                    .rev()
                    .find(|e| e.from <= *meets_on)
                    .map(|e| e.source.clone())
                    .unwrap_or_default(),
            })])
        }
        PanelCommand::PreparePapers { meeting, items } => {
            let m = meeting_to_come(r, *meeting)?;
            let mut problems = Vec::new();
            let mut sorted = items.clone();
            sorted.sort_unstable();
            sorted.dedup();
            if sorted.len() != items.len() {
                problems.push(FieldProblem::new(
                    "/items",
                    "Each checklist item can only be ticked once",
                ));
            }
            if !items.contains(&crate::children::panel::ChecklistItem::Referral) {
                problems.push(FieldProblem::new(
                    "/items",
                    "The papers always include the NRM referral: tick it",
                ));
            }
            if !problems.is_empty() {
                return Err(DomainError::Invalid(problems));
            }
            let _ = m;
            Ok(vec![CaseEvent::PanelPapersPrepared(PanelPapersPrepared {
                meeting: *meeting,
                items: sorted,
                prepared_on: today,
                prepared_by: actor,
            })])
        }
        PanelCommand::Decide {
            meeting,
            decision,
            grounds,
            present,
            assurance_draw,
        } => {
            let m = meeting_to_come(r, *meeting)?;
            if pending_decision(r) != Some(*decision) {
                return Err(refused(
                    "not-the-pending-decision",
                    match decision {
                        DecisionRef::ReasonableGrounds => {
                            "The case is not waiting for a Reasonable Grounds decision"
                        }
                        DecisionRef::ConclusiveGrounds => {
                            "The case is not waiting for a Conclusive Grounds decision"
                        }
                    },
                ));
            }
            if grounds.decided_on != m.meets_on {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/decided_on",
                    format!(
                        "A panel decides at its meeting: the decision date is the meeting's ({})",
                        m.meets_on
                    ),
                )]));
            }
            // The papers: the dated checklist items must be ticked.
            if m.papers_prepared_on.is_none() {
                return Err(refused(
                    "papers-not-prepared",
                    "The panel's papers have not been prepared: tick the information-gathering checklist first",
                ));
            }
            if let Some(required) = panel_rules.papers_required(m.meets_on) {
                let missing: Vec<&str> = required
                    .value
                    .iter()
                    .filter(|i| !m.papers.contains(i))
                    .map(|i| i.describe())
                    .collect();
                if !missing.is_empty() {
                    return Err(refused(
                        "papers-incomplete",
                        format!(
                            "The panel's papers lack: {} ({})",
                            missing.join(", "),
                            required.source
                        ),
                    ));
                }
            }
            // Attendance: the chair and members present, who must still make a quorum.
            let mut attendees: Vec<UserId> = present.clone();
            attendees.sort_unstable();
            attendees.dedup();
            if attendees.len() != present.len() {
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/present",
                    "Each member can only be counted once",
                )]));
            }
            if let Some(stranger) = present
                .iter()
                .find(|u| !m.everyone().any(|member| member.user == **u))
            {
                let _ = stranger;
                return Err(DomainError::Invalid(vec![FieldProblem::new(
                    "/present",
                    "Only the panel's chair and members can be recorded as present",
                )]));
            }
            if !present.contains(&m.chair.user) {
                return Err(refused(
                    "panel-quorum",
                    "The panel cannot decide without its chair present",
                ));
            }
            let members_present: Vec<PilotPanelMember> = m
                .members
                .iter()
                .filter(|member| present.contains(&member.user))
                .cloned()
                .collect();
            if let Some(minimum) = panel_rules.minimum_attendance(m.meets_on)
                && present.len() < usize::try_from(minimum.value).unwrap_or(usize::MAX)
            {
                return Err(refused(
                    "panel-quorum",
                    format!(
                        "The panel needs at least {} present, the chair included, to decide ({})",
                        minimum.value, minimum.source
                    ),
                ));
            }
            rules
                .check_pilot_panel(
                    &PilotPanel {
                        chair: m.chair.clone(),
                        members: members_present,
                    },
                    m.meets_on,
                )
                .map_err(|e| match e {
                    DomainError::Refused { message, .. } => {
                        refused("panel-quorum", format!("Of those present: {message}"))
                    }
                    other => other,
                })?;
            // The decision itself, by the case's own rules; a positive decision may be in
            // the SCA's sample.
            let sampled = grounds.outcome == crate::event::Outcome::Positive
                && panel_rules.positive_sampled(grounds.decided_on, *assurance_draw);
            let positive_review = sampled.then_some(ReviewKind::ScaQualityAssurance);
            let events = match decision {
                DecisionRef::ReasonableGrounds => crate::command::reasonable_grounds_events(
                    r,
                    grounds,
                    actor,
                    rules,
                    now,
                    today,
                    positive_review,
                )?,
                DecisionRef::ConclusiveGrounds => crate::command::conclusive_grounds_events(
                    r,
                    grounds,
                    actor,
                    rules,
                    now,
                    today,
                    positive_review,
                )?,
            };
            let (assured, assurance_rule) = match grounds.outcome {
                crate::event::Outcome::Negative => {
                    let rule = rules.negative_decision_review(
                        match decision {
                            DecisionRef::ReasonableGrounds => {
                                crate::event::ReviewedDecision::ReasonableGrounds
                            }
                            DecisionRef::ConclusiveGrounds => {
                                crate::event::ReviewedDecision::ConclusiveGrounds
                            }
                        },
                        CompetentAuthority::LocalAuthorityPanel,
                        grounds.decided_on,
                    );
                    (ReviewKind::required(Some(rule.value)), rule.source.clone())
                }
                crate::event::Outcome::Positive => (
                    sampled,
                    panel_rules
                        .positive_sample(grounds.decided_on)
                        .map(|r| r.source.clone())
                        .unwrap_or_default(),
                ),
            };
            let mut out = vec![CaseEvent::PanelDecided(PanelDecided {
                meeting: *meeting,
                decision: *decision,
                present: present.clone(),
                assured,
                assurance_rule,
            })];
            out.extend(events);
            Ok(out)
        }
    }
}

/// The meeting, which must exist and not have decided the case's pending decision.
fn meeting_to_come(r: &Referral, meeting: Uuid) -> Result<&PanelMeeting, DomainError> {
    let Some(m) = r.panel_meetings.iter().find(|m| m.meeting == meeting) else {
        return Err(refused(
            "no-such-meeting",
            "There is no such panel meeting on this case",
        ));
    };
    if let Some(pending) = pending_decision(r)
        && m.decided.iter().any(|(d, _)| *d == pending)
    {
        return Err(refused(
            "meeting-already-decided",
            "This meeting has already made that decision; a decision returned by quality assurance is made again at a new meeting",
        ));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_panel_rules_parse() {
        let rules = PanelRules::current();
        assert!(!rules.papers_required.is_empty());
    }

    #[test]
    fn a_sample_is_drawn_only_from_the_pilot_start() {
        let rules = PanelRules::current();
        let before = NaiveDate::from_ymd_opt(2021, 5, 31).unwrap_or_default();
        let after = NaiveDate::from_ymd_opt(2021, 6, 1).unwrap_or_default();
        assert!(!rules.positive_sampled(before, 0));
        assert!(rules.positive_sampled(after, 0));
        assert!(rules.positive_sampled(after, 99));
        assert!(!rules.positive_sampled(after, 100));
        assert!(!rules.positive_sampled(after, 999));
        assert!(rules.papers_required(before).is_none());
        assert!(
            rules
                .minimum_attendance(after)
                .is_some_and(|m| m.value == 3)
        );
    }
}
