//! Property and scenario tests for the case lifecycle after submission: grounds decisions mixed
//! with routing, allocation, information requests, recovery-period extensions, disqualification,
//! review of negative Conclusive Grounds decisions, service, reconsideration, withdrawal,
//! suspension, resumption, closure and the deadline sweep.
//!
//! The property generates 10,000 command sequences on an advancing clock that starts anywhere
//! from January 2019 to June 2026 (and more often just before the dates the rules changed), so
//! every review regime (none, assurance panel, second caseworker) and every reconsideration
//! regime (no time limit, 30 days, 30 days without people facing removal) is reached. Most
//! steps pick a command that makes sense for the case as it stands, with dates anchored on the
//! case's own dates and on the rule changes; the rest pick any command at all.
//!
//! Two independent checks run on every step, neither of which calls `decide`:
//! - an oracle, written from the rules, says whether the command must be accepted or refused,
//!   and for many refusals with which one: the code and what its message must name (a case
//!   withdrawn, closed or suspended; a person disqualified; a reconsideration window still
//!   open), or the field a date problem must point at and the date it must give. An accepted
//!   command must produce exactly the events the oracle describes;
//! - the accepted history is checked event by event against the case-file invariants (nothing
//!   recorded on a closed case, and nothing but its closure on a withdrawn one; nothing decided
//!   on a suspended case; every decision, disqualification, review, service, reconsideration
//!   request and decision, withdrawal, suspension, resumption and closure dated on or after
//!   every earlier dated step, so none inside a suspension that has ended;
//!   no negative CG served before the review its date requires has agreed, or before the day it
//!   agreed; no review by the decision maker; panel quorum of distinct people from distinct
//!   agencies; notices to the right people; reconsideration only of a served negative decision,
//!   within the window, by someone allowed to ask; no closure as complete while the window is
//!   open; disqualification only between a positive RG and the CG, from 30 January 2023, once,
//!   and no extension of the recovery period after it; no overdue report for a decision already
//!   made).
//!
//! After every step the sweep is run twice on a copy of the case to show that the second run on
//! the same day changes nothing, replaying the history must give the folded state, and every
//! event must serialise without the fixtures' personal-data canary and read back unchanged.
//! The run counts what it reached, including each refusal rule by name, and fails if the
//! generator stopped reaching any of it.
//!
//! The scenario tests below state each rule as a caseworker would.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::calendar::{Jurisdiction, WorkingDays};
use nrm_domain::clock::uk_date;
use nrm_domain::command::{Decision, LifecycleCommand, ReviewPanel, Submit, decide};
use nrm_domain::event::{
    ClosureReason, CompetentAuthority, Deadline, DeadlineStatus, DecisionRef,
    DisqualificationGround, InformationSource, NegativeReason, Outcome, Recipient, RerouteReason,
    ReviewOutcome, ReviewedDecision, Reviewer, SuspensionReason, WithdrawalReason,
};
use nrm_domain::exploitation::ExploitationPeriod;
use nrm_domain::fixtures::{CANARY, adult_referral, child_referral, duty_to_notify};
use nrm_domain::rules::{Requester, ReviewKind};
use nrm_domain::submission::{AgeGroup, ImmigrationEnforcementCohort, Submission};
use nrm_domain::{
    Actor, CaseEvent, CaseState, CaseStatus, Command, DomainError, OrganisationId, Rulebook,
    SubjectId, UserId, VaultRecordId,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{TestCaseResult, TestRunner};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Dates, people and fixed values
// ---------------------------------------------------------------------------------------------

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("invalid test date {y}-{m}-{d}"))
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap_or_else(|| panic!("invalid test instant {y}-{m}-{d} {h}:{min}"))
}

/// Noon UTC on `day`: the UK date is `day` in summer and winter alike.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &day.and_hms_opt(12, 0, 0)
            .unwrap_or_else(|| panic!("noon exists on {day}")),
    )
}

/// The people who act on cases: caseworkers, managers and panel members.
const PEOPLE: usize = 7;

fn user(i: usize) -> UserId {
    UserId::from_uuid(Uuid::from_u128(100 + i as u128))
}

fn person(i: usize) -> Actor {
    Actor {
        user: user(i % PEOPLE),
        organisation: OrganisationId::from_uuid(Uuid::from_u128(200 + (i % 3) as u128)),
    }
}

const AGENCIES: [&str; 4] = ["police", "local authority", "ngo", "health"];

const SUBJECT: SubjectId = SubjectId::from_uuid(Uuid::from_u128(3));
const PERSONAL: VaultRecordId = VaultRecordId::from_uuid(Uuid::from_u128(4));
const REASONS: VaultRecordId = VaultRecordId::from_uuid(Uuid::from_u128(5));

/// The calendar competent-authority deadlines are counted in.
const CALENDAR: Jurisdiction = Jurisdiction::EnglandAndWales;

// ---------------------------------------------------------------------------------------------
// The rules as this test states them (from guidance, not from the rulebook table)
// ---------------------------------------------------------------------------------------------

/// Single Competent Authority, and with it the assurance panels: 29 April 2019.
fn sca_launch() -> NaiveDate {
    date(2019, 4, 29)
}

/// Assurance panels replaced by a second caseworker: 1 December 2022.
fn panels_end() -> NaiveDate {
    date(2022, 12, 1)
}

/// Nationality and Borders Act 2022 ss60-63 in force: 30 January 2023.
fn nab_act() -> NaiveDate {
    date(2023, 1, 30)
}

/// The 30-day reconsideration window (and the wider list of who may ask): 22 February 2024.
fn reconsideration_window_from() -> NaiveDate {
    date(2024, 2, 22)
}

/// People facing removal excluded from reconsideration: 17 September 2025.
fn removal_exclusion_from() -> NaiveDate {
    date(2025, 9, 17)
}

/// The review a negative CG decided on `cg_on` needs before it is served.
fn review_required(cg_on: NaiveDate) -> ReviewKind {
    if cg_on < sca_launch() {
        ReviewKind::None
    } else if cg_on < panels_end() {
        ReviewKind::MultiAgencyAssurancePanel
    } else {
        ReviewKind::SecondCaseworker
    }
}

/// The review a negative decision (or a disqualification) needs before it is served, from its
/// kind, the authority that made it and its date: a pilot panel's negative RG or CG goes to SCA
/// quality assurance; a negative RG to a second caseworker from December 2022 (none before); a
/// disqualification to a second caseworker (none could be made before s63); a negative CG as
/// above.
fn review_for(which: ReviewedDecision, authority: CompetentAuthority, on: NaiveDate) -> ReviewKind {
    match (which, authority) {
        (ReviewedDecision::Disqualification, _) if on < nab_act() => ReviewKind::None,
        (ReviewedDecision::Disqualification, _) => ReviewKind::SecondCaseworker,
        (_, CompetentAuthority::LocalAuthorityPanel) => ReviewKind::ScaQualityAssurance,
        (ReviewedDecision::ReasonableGrounds, _) if on < panels_end() => ReviewKind::None,
        (ReviewedDecision::ReasonableGrounds, _) => ReviewKind::SecondCaseworker,
        (ReviewedDecision::ConclusiveGrounds, _) => review_required(on),
    }
}

/// The reconsideration window, in calendar days from service, for a request made on `on`.
fn reconsideration_window(on: NaiveDate) -> Option<i64> {
    (on >= reconsideration_window_from()).then_some(30)
}

fn may_request_reconsideration(on: NaiveDate, who: Requester) -> bool {
    match who {
        Requester::FirstResponder | Requester::SupportProvider => true,
        Requester::PotentialVictim | Requester::LegalRepresentative => {
            on >= reconsideration_window_from()
        }
    }
}

fn minimum_recovery_days(rg_on: NaiveDate) -> i64 {
    if rg_on < nab_act() { 45 } else { 30 }
}

fn minimum_recovery_ends(rg_on: NaiveDate) -> NaiveDate {
    rg_on + Duration::days(minimum_recovery_days(rg_on))
}

const PILOT_SITES: [&str; 9] = [
    "hull",
    "barking-and-dagenham",
    "islington",
    "camden",
    "north-lincolnshire",
    "north-east-lincolnshire",
    "north-yorkshire",
    "york",
    "kensington-and-chelsea",
];

fn pilot_running(code: &str, on: NaiveDate) -> bool {
    on >= date(2021, 6, 1) && PILOT_SITES.contains(&code)
}

fn ieca_exists(on: NaiveDate) -> bool {
    on >= date(2021, 11, 8)
}

/// Five working days for the RG, ten for a reply to a request for information.
fn rg_due(from: NaiveDate) -> NaiveDate {
    CALENDAR.add_working_days(from, WorkingDays(5))
}

fn information_due(from: NaiveDate) -> NaiveDate {
    CALENDAR.add_working_days(from, WorkingDays(10))
}

/// Overdue after its day; due soon within two working days; else on track.
fn deadline_status(due_on: NaiveDate, today: NaiveDate) -> DeadlineStatus {
    if today > due_on {
        DeadlineStatus::Overdue
    } else if CALENDAR.working_days_between(today, due_on).0 <= 2 {
        DeadlineStatus::DueSoon
    } else {
        DeadlineStatus::OnTrack
    }
}

fn eighteenth_birthday(born: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let year = born.year() + 18;
    NaiveDate::from_ymd_opt(year, born.month(), born.day()).unwrap_or_else(|| date(year, 3, 1))
}

/// An agency name as people mean it: "Police " and "police" are one agency; a blank is none.
fn agency_key(agency: &str) -> Option<String> {
    let key = agency.trim().to_lowercase();
    (!key.is_empty()).then_some(key)
}

// ---------------------------------------------------------------------------------------------
// The model: what the test knows of a case, built from the accepted events alone
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Dec {
    outcome: Outcome,
    decided_on: NaiveDate,
    by: UserId,
    /// The decision maker's organisation.
    org: OrganisationId,
    served_on: Option<NaiveDate>,
    /// The review the decision needs before service (`None` for a positive one).
    review: ReviewKind,
    review_agreed: bool,
    /// The date the review agreed.
    agreed_on: Option<NaiveDate>,
}

impl Dec {
    fn awaiting_review(&self) -> bool {
        self.review != ReviewKind::None && !self.review_agreed
    }
}

/// What the rules need to know of a decision under review.
#[derive(Debug, Clone, Copy)]
struct UnderReview {
    decided_on: NaiveDate,
    by: UserId,
    org: OrganisationId,
    kind: ReviewKind,
    /// Reviewed already, or (a decision) served.
    done: bool,
}

#[derive(Debug, Clone)]
struct Info {
    id: Uuid,
    requested_on: NaiveDate,
    due_on: NaiveDate,
    received_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
struct File {
    age_group: AgeGroup,
    support_consent: bool,
    referred_on: NaiveDate,
    rg_due_on: NaiveDate,
    authority: CompetentAuthority,
    pilot_site: Option<String>,
    withdrawn_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    suspended_since: Option<NaiveDate>,
    rg: Option<Dec>,
    cg: Option<Dec>,
    extended_to: Option<NaiveDate>,
    disqualified_on: Option<NaiveDate>,
    /// The disqualification, as a decision under review.
    disq: Option<Dec>,
    pending: Option<(DecisionRef, NaiveDate)>,
    info: Vec<Info>,
    allocated_to: Option<UserId>,
    /// The last status the sweep reported for each deadline (on track until it says otherwise).
    deadlines: BTreeMap<Deadline, DeadlineStatus>,
    /// An RG reconsideration was accepted: the next RG is a second one on this case.
    rg_reopened: bool,
    /// The latest date of any dated step on the file: the referral, a decision, a
    /// disqualification, a review, a service, a reconsideration request or decision, a
    /// withdrawal, suspension, resumption or closure.
    last_dated_on: NaiveDate,
    /// Suspensions that have ended, as [from, to).
    past_suspensions: Vec<(NaiveDate, NaiveDate)>,
    /// When the last reconsideration request was decided.
    reconsideration_decided_on: Option<NaiveDate>,
}

impl File {
    fn finished(&self) -> bool {
        self.withdrawn_on.is_some() || self.closed_on.is_some()
    }

    /// The RG date while the case is between a positive RG and its CG.
    fn in_recovery(&self) -> Option<NaiveDate> {
        match (&self.rg, &self.cg) {
            (Some(rg), None) if rg.outcome == Outcome::Positive => Some(rg.decided_on),
            _ => None,
        }
    }

    fn decision(&self, which: DecisionRef) -> Option<&Dec> {
        match which {
            DecisionRef::ReasonableGrounds => self.rg.as_ref(),
            DecisionRef::ConclusiveGrounds => self.cg.as_ref(),
        }
    }

    fn decision_mut(&mut self, which: DecisionRef) -> Option<&mut Dec> {
        match which {
            DecisionRef::ReasonableGrounds => self.rg.as_mut(),
            DecisionRef::ConclusiveGrounds => self.cg.as_mut(),
        }
    }

    /// A negative CG whose review has not agreed yet, and the review it needs.
    fn cg_needing_review(&self) -> Option<(&Dec, ReviewKind)> {
        self.cg
            .as_ref()
            .filter(|cg| cg.outcome == Outcome::Negative && cg.awaiting_review())
            .map(|cg| (cg, cg.review))
    }

    fn reviewed(&self, which: ReviewedDecision) -> Option<&Dec> {
        match which {
            ReviewedDecision::ReasonableGrounds => self.rg.as_ref(),
            ReviewedDecision::ConclusiveGrounds => self.cg.as_ref(),
            ReviewedDecision::Disqualification => self.disq.as_ref(),
        }
    }

    fn reviewed_mut(&mut self, which: ReviewedDecision) -> Option<&mut Dec> {
        match which {
            ReviewedDecision::ReasonableGrounds => self.rg.as_mut(),
            ReviewedDecision::ConclusiveGrounds => self.cg.as_mut(),
            ReviewedDecision::Disqualification => self.disq.as_mut(),
        }
    }

    /// The negative decision or disqualification a review of `which` would be about.
    fn under_review(&self, which: ReviewedDecision) -> Option<UnderReview> {
        self.reviewed(which)
            .filter(|d| d.outcome == Outcome::Negative)
            .map(|d| UnderReview {
                decided_on: d.decided_on,
                by: d.by,
                org: d.org,
                kind: d.review,
                done: d.review_agreed || d.served_on.is_some(),
            })
    }

    /// The decision awaiting its review, if any: the CG, the disqualification, or the RG.
    fn awaiting_review(&self) -> Option<ReviewedDecision> {
        [
            ReviewedDecision::ConclusiveGrounds,
            ReviewedDecision::Disqualification,
            ReviewedDecision::ReasonableGrounds,
        ]
        .into_iter()
        .find(|w| {
            self.reviewed(*w)
                .is_some_and(|d| d.outcome == Outcome::Negative && d.awaiting_review())
        })
    }

    /// The last day a reconsideration can be asked for, when the case stands on a served
    /// negative final decision (a negative RG, or a negative CG) served under the 30-day rule.
    fn reconsideration_window_ends(&self) -> Option<NaiveDate> {
        if self.finished() {
            return None;
        }
        let last = match (&self.rg, &self.cg) {
            (_, Some(cg)) => cg,
            (Some(rg), None) if rg.outcome == Outcome::Negative => rg,
            _ => return None,
        };
        let served_on = last
            .served_on
            .filter(|_| last.outcome == Outcome::Negative)?;
        reconsideration_window(served_on).map(|days| served_on + Duration::days(days))
    }

    /// The last day of the recovery period: the extension's last day, or the minimum's (the
    /// day before the first day a CG may be made).
    fn recovery_end(&self) -> Option<NaiveDate> {
        self.in_recovery().map(|rg_on| {
            self.extended_to
                .unwrap_or_else(|| minimum_recovery_ends(rg_on) - Duration::days(1))
        })
    }

    /// The first day a CG may be made: after the minimum and after any extension still in
    /// force (a disqualification ends it).
    fn cg_earliest(&self) -> Option<NaiveDate> {
        self.in_recovery().map(|rg_on| {
            let minimum = minimum_recovery_ends(rg_on);
            self.extended_to
                .filter(|_| self.disqualified_on.is_none())
                .map_or(minimum, |ext| minimum.max(ext + Duration::days(1)))
        })
    }

    fn status(&self) -> CaseStatus {
        if self.closed_on.is_some() {
            return CaseStatus::Closed;
        }
        if self.withdrawn_on.is_some() {
            return CaseStatus::Withdrawn;
        }
        match (&self.rg, &self.cg) {
            (None, _) => CaseStatus::AwaitingReasonableGrounds,
            (Some(rg), None) if rg.outcome == Outcome::Negative => {
                CaseStatus::NegativeReasonableGrounds
            }
            (Some(_), None) => CaseStatus::AwaitingConclusiveGrounds,
            (Some(_), Some(cg)) => match cg.outcome {
                Outcome::Positive => CaseStatus::PositiveConclusiveGrounds,
                Outcome::Negative => CaseStatus::NegativeConclusiveGrounds,
            },
        }
    }

    /// The deadlines still open, with their due dates.
    fn open_deadlines(&self) -> BTreeMap<Deadline, NaiveDate> {
        let mut open = BTreeMap::new();
        if self.finished() {
            return open;
        }
        if self.rg.is_none() {
            open.insert(Deadline::ReasonableGrounds, self.rg_due_on);
        }
        for i in self.info.iter().filter(|i| i.received_on.is_none()) {
            open.insert(Deadline::Information(i.id), i.due_on);
        }
        open
    }
}

#[derive(Debug, Clone)]
enum Model {
    Empty,
    DutyToNotify,
    Referral(Box<File>),
}

// ---------------------------------------------------------------------------------------------
// The oracle: must a command be accepted?
// ---------------------------------------------------------------------------------------------

/// A refusal the oracle insists on.
#[derive(Debug, Clone)]
enum Want {
    /// Refused with this code, by a message that names each of `mentions`.
    Refused {
        code: &'static str,
        mentions: Vec<String>,
    },
    /// Invalid, with a problem at this field whose message names each of `mentions`.
    Problem {
        pointer: &'static str,
        mentions: Vec<String>,
    },
}

impl Want {
    fn met_by(&self, error: &DomainError) -> bool {
        match (self, error) {
            (
                Self::Refused { code, mentions },
                DomainError::Refused {
                    code: got, message, ..
                },
            ) => got == code && mentions.iter().all(|m| message.contains(m.as_str())),
            (Self::Problem { pointer, mentions }, DomainError::Invalid(problems)) => {
                problems.iter().any(|p| {
                    p.field == *pointer && mentions.iter().all(|m| p.message.contains(m.as_str()))
                })
            }
            _ => false,
        }
    }
}

/// Why the oracle refuses: the rule the command breaks, and the refusals that may report it.
/// With none, any refusal will do (the oracle does not insist on which of several broken rules
/// the domain reports first).
#[derive(Debug, Clone)]
struct Why {
    rule: &'static str,
    want: Vec<Want>,
}

fn ensure(ok: bool, rule: &'static str) -> Result<(), Why> {
    if ok {
        Ok(())
    } else {
        Err(Why {
            rule,
            want: Vec::new(),
        })
    }
}

/// Refused with `code`, by a message naming each of `mentions`.
fn refusal(rule: &'static str, code: &'static str, mentions: &[&dyn ToString]) -> Why {
    Why {
        rule,
        want: vec![Want::Refused {
            code,
            mentions: mentions.iter().map(|m| m.to_string()).collect(),
        }],
    }
}

/// A date given with a command must be no later than today and on or after each of `bounds`.
/// A date in the future is refused as such; an earlier one breaks the first bound it is before
/// (so a bound listed later names the rule that is stricter than those before it). Either way
/// the problem is at `pointer`, and an early date's message gives the latest bound.
fn dated(
    pointer: &'static str,
    d: NaiveDate,
    today: NaiveDate,
    bounds: &[(NaiveDate, &'static str)],
) -> Result<(), Why> {
    let problem = |rule, mentions: Vec<String>| {
        Err(Why {
            rule,
            want: vec![Want::Problem { pointer, mentions }],
        })
    };
    if d > today {
        return problem("dated after today", vec!["today or in the past".to_owned()]);
    }
    let not_before = bounds.iter().map(|b| b.0).max().unwrap_or(d);
    match bounds.iter().find(|(bound, _)| d < *bound) {
        Some((_, rule)) => problem(rule, vec!["on or after".to_owned(), not_before.to_string()]),
        None => Ok(()),
    }
}

/// Nothing is decided on a case that is closed, withdrawn or suspended.
fn guard_open(f: &File) -> Result<(), Why> {
    guard_not_finished(f)?;
    match f.suspended_since {
        Some(since) => Err(refusal(
            "the case is suspended",
            "case-suspended",
            &[&"suspended", &since],
        )),
        None => Ok(()),
    }
}

fn guard_not_finished(f: &File) -> Result<(), Why> {
    if let Some(on) = f.closed_on {
        return Err(refusal(
            "the case is closed",
            "case-closed",
            &[&"closed", &on],
        ));
    }
    if let Some(on) = f.withdrawn_on {
        return Err(refusal(
            "the case is withdrawn",
            "case-withdrawn",
            &[&"withdrawn", &on],
        ));
    }
    Ok(())
}

fn grounds_ok(d: &Decision) -> bool {
    (d.outcome == Outcome::Negative) == d.negative_reason.is_some()
}

/// A panel reviewing a decision by `decision_maker`: a chair and at least two members, all
/// different people, the members from at least two agencies (compared without capitals or
/// surrounding spaces; a blank agency is none), and none of them the decision maker. A panel
/// with one defect is refused for it; one with several, for any of them.
fn panel_check(panel: &ReviewPanel, decision_maker: UserId) -> Result<(), Why> {
    let members = |says: &str| Want::Problem {
        pointer: "/panel/members",
        mentions: vec![says.to_owned()],
    };
    let users: BTreeSet<UserId> = panel.members.iter().map(|m| m.user).collect();
    let agencies: BTreeSet<String> = panel
        .members
        .iter()
        .filter_map(|m| agency_key(&m.agency))
        .collect();
    let spellings: BTreeSet<&str> = panel.members.iter().map(|m| m.agency.as_str()).collect();
    let no_agency = panel
        .members
        .iter()
        .any(|m| agency_key(&m.agency).is_none());
    let mut defects: Vec<(&'static str, Want)> = Vec::new();
    if no_agency {
        defects.push((
            "panel: a member with no agency",
            members("Give each member's agency"),
        ));
    }
    if users.len() != panel.members.len() {
        defects.push(("panel: one person counted twice", members("counted once")));
    }
    if users.len() < 2 || agencies.len() < 2 {
        let rule = if users.len() >= 2 && !no_agency && spellings.len() >= 2 {
            "panel: one agency spelt two ways"
        } else {
            "panel: fewer than two members or agencies"
        };
        defects.push((
            rule,
            members("at least two members from different agencies"),
        ));
    }
    if panel.chair.user == decision_maker || users.contains(&decision_maker) {
        defects.push((
            "panel: the decision maker on it",
            Want::Refused {
                code: "reviewer-is-decision-maker",
                mentions: Vec::new(),
            },
        ));
    }
    if users.contains(&panel.chair.user) {
        defects.push(("panel: the chair also a member", members("chair")));
    }
    match &defects[..] {
        [] => Ok(()),
        [(rule, _)] => Err(Why {
            rule,
            want: defects.into_iter().map(|d| d.1).collect(),
        }),
        _ => Err(Why {
            rule: "panel: several defects",
            want: defects.into_iter().map(|d| d.1).collect(),
        }),
    }
}

fn panel_ok(panel: &ReviewPanel, decision_maker: UserId) -> bool {
    panel_check(panel, decision_maker).is_ok()
}

fn oracle(model: &Model, command: &Command, actor: Actor, today: NaiveDate) -> Result<(), Why> {
    let f = match (model, command) {
        (Model::Empty, Command::Submit(_)) => return Ok(()),
        (_, Command::Submit(_)) => return ensure(false, "already submitted"),
        (Model::Empty, _) => return ensure(false, "no case"),
        (Model::DutyToNotify, _) => return ensure(false, "a Duty to Notify report"),
        (Model::Referral(f), _) => f,
    };
    match command {
        Command::Panel(_) | Command::Adulthood(_) | Command::AdditionalRecovery(_) => ensure(
            false,
            "not modelled here (tests/panels.rs, tests/adulthood.rs, tests/additional_recovery.rs)",
        ),
        Command::Submit(_) => Ok(()),
        Command::DecideReasonableGrounds(d) => {
            guard_open(f)?;
            ensure(f.rg.is_none(), "RG already decided")?;
            dated(
                "/decided_on",
                d.decided_on,
                today,
                &[
                    (f.referred_on, "RG dated before the referral"),
                    (f.last_dated_on, "RG dated before the last dated step"),
                ],
            )?;
            ensure(grounds_ok(d), "reason must match outcome")
        }
        Command::DecideConclusiveGrounds(d) => {
            guard_open(f)?;
            let Some(rg_on) = f.in_recovery() else {
                return ensure(false, "CG only between a positive RG and a CG");
            };
            dated(
                "/decided_on",
                d.decided_on,
                today,
                &[
                    (rg_on, "CG dated before the RG"),
                    (f.last_dated_on, "CG dated before the last dated step"),
                ],
            )?;
            ensure(grounds_ok(d), "reason must match outcome")?;
            ensure(
                d.decided_on >= minimum_recovery_ends(rg_on),
                "CG inside the recovery period",
            )?;
            match f.extended_to.filter(|_| f.disqualified_on.is_none()) {
                Some(ext) if d.decided_on <= ext => Err(refusal(
                    "CG inside an extended recovery period",
                    "conclusive-grounds-inside-extended-recovery-period",
                    &[&ext, &(ext + Duration::days(1))],
                )),
                _ => Ok(()),
            }
        }
        Command::Lifecycle(c) => lifecycle_oracle(f, c, actor, today),
    }
}

/// A review of `which`: of a negative decision not yet served (or a disqualification) that needs
/// one, of the kind its date and maker require, never by its maker, for a pilot panel's decision
/// by someone outside the deciding organisation, dated on or after the decision and the file.
fn review_oracle(
    f: &File,
    which: ReviewedDecision,
    panel: Option<&ReviewPanel>,
    reviewed_on: NaiveDate,
    actor: Actor,
    today: NaiveDate,
) -> Result<(), Why> {
    guard_open(f)?;
    let Some(target) = f.under_review(which) else {
        return ensure(false, "nothing to review");
    };
    ensure(!target.done, "already reviewed")?;
    match (target.kind, panel) {
        (ReviewKind::None, _) => ensure(false, "no review needed under the rules of its date")?,
        (ReviewKind::MultiAgencyAssurancePanel, Some(p)) => panel_check(p, target.by)?,
        (ReviewKind::SecondCaseworker, None) => {
            ensure(actor.user != target.by, "the decision maker reviewing")?;
        }
        (ReviewKind::ScaQualityAssurance, None) => {
            ensure(actor.user != target.by, "the decision maker reviewing")?;
            if actor.organisation == target.org {
                return Err(refusal(
                    "a pilot decision assured by its own local authority",
                    "reviewer-from-deciding-authority",
                    &[&"Single Competent Authority"],
                ));
            }
        }
        _ => ensure(false, "the wrong kind of review for the decision")?,
    }
    dated(
        "/reviewed_on",
        reviewed_on,
        today,
        &[
            (target.decided_on, "reviewed before the decision"),
            (f.last_dated_on, "reviewed before the last dated step"),
        ],
    )
}

fn lifecycle_oracle(
    f: &File,
    command: &LifecycleCommand,
    actor: Actor,
    today: NaiveDate,
) -> Result<(), Why> {
    use LifecycleCommand as L;
    match command {
        L::RecordAgeAssessment(_) | L::AssurePanelDecision { .. } => {
            ensure(false, "not modelled here (tests/panels.rs)")
        }
        L::Reroute { to, pilot_site, .. } => {
            guard_open(f)?;
            ensure(f.cg.is_none(), "no reroute after the CG")?;
            let site = match to {
                CompetentAuthority::Ieca => {
                    ensure(ieca_exists(today), "IECA not yet created")?;
                    None
                }
                CompetentAuthority::LocalAuthorityPanel => {
                    ensure(f.age_group == AgeGroup::Child, "the pilot is for children")?;
                    let code = pilot_site.as_deref().unwrap_or_default();
                    ensure(pilot_running(code, today), "not a pilot site")?;
                    Some(code.to_owned())
                }
                CompetentAuthority::Sca => None,
            };
            ensure(
                !(*to == f.authority && site == f.pilot_site),
                "already with that authority",
            )
        }
        L::Allocate { to } => {
            guard_open(f)?;
            ensure(f.allocated_to != Some(*to), "already allocated to them")
        }
        L::RequestInformation { request, .. } => {
            guard_open(f)?;
            ensure(
                !f.info.iter().any(|i| i.id == *request),
                "duplicate request",
            )
        }
        L::RecordInformationReceived {
            request,
            received_on,
        } => {
            // A reply may still be recorded on a suspended case, but not once it is withdrawn
            // or closed.
            guard_not_finished(f)?;
            let Some(open) = f.info.iter().find(|i| i.id == *request) else {
                return ensure(false, "no such request");
            };
            ensure(open.received_on.is_none(), "already received")?;
            dated(
                "/received_on",
                *received_on,
                today,
                &[(open.requested_on, "reply dated before the request")],
            )
        }
        L::ExtendRecoveryPeriod { until } => {
            guard_open(f)?;
            let Some(end) = f.recovery_end() else {
                return ensure(false, "not in the recovery period");
            };
            if let Some(on) = f.disqualified_on {
                return Err(refusal(
                    "an extension after disqualification",
                    "disqualified",
                    &[&"disqualified", &on],
                ));
            }
            if *until <= end {
                return Err(Why {
                    rule: "an extension must extend",
                    want: vec![Want::Problem {
                        pointer: "/until",
                        mentions: vec![end.to_string()],
                    }],
                });
            }
            Ok(())
        }
        L::Disqualify { decided_on, .. } => {
            guard_open(f)?;
            let Some(rg_on) = f.in_recovery() else {
                return ensure(false, "disqualification needs a positive RG and no CG");
            };
            ensure(f.disqualified_on.is_none(), "already disqualified")?;
            ensure(
                *decided_on >= nab_act(),
                "s63 not in force on the decision date",
            )?;
            dated(
                "/decided_on",
                *decided_on,
                today,
                &[
                    (rg_on, "disqualified before the RG"),
                    (f.last_dated_on, "disqualified before the last dated step"),
                ],
            )
        }
        L::ReviewNegativeConclusiveGrounds {
            panel, reviewed_on, ..
        } => review_oracle(
            f,
            ReviewedDecision::ConclusiveGrounds,
            panel.as_ref(),
            *reviewed_on,
            actor,
            today,
        ),
        L::ReviewNegativeDecision {
            decision,
            panel,
            reviewed_on,
            ..
        } => review_oracle(f, *decision, panel.as_ref(), *reviewed_on, actor, today),
        L::ServeDecision {
            decision,
            served_on,
            ..
        } => {
            guard_open(f)?;
            let Some(d) = f.decision(*decision) else {
                return ensure(false, "no decision to serve");
            };
            ensure(d.served_on.is_none(), "already served")?;
            if d.outcome == Outcome::Negative && d.awaiting_review() {
                return Err(refusal(
                    "a negative decision served before its review agreed",
                    "review-before-service",
                    &[&d.decided_on],
                ));
            }
            let mut bounds = vec![(d.decided_on, "served before the decision")];
            if let Some(agreed) = d.agreed_on {
                bounds.push((agreed, "served before the day its review agreed"));
            }
            bounds.push((f.last_dated_on, "served before the last dated step"));
            dated("/served_on", *served_on, today, &bounds)
        }
        L::RequestReconsideration {
            decision,
            requested_on,
            requested_by,
            facing_removal,
        } => {
            guard_open(f)?;
            let Some(d) = f.decision(*decision) else {
                return ensure(false, "no decision to reconsider");
            };
            ensure(d.outcome == Outcome::Negative, "only a negative decision")?;
            ensure(f.pending.is_none(), "a request is pending")?;
            let Some(served_on) = d.served_on else {
                return ensure(false, "not served yet");
            };
            dated(
                "/requested_on",
                *requested_on,
                today,
                &[
                    (served_on, "requested before service"),
                    (f.last_dated_on, "requested before the last dated step"),
                ],
            )?;
            ensure(
                may_request_reconsideration(*requested_on, *requested_by),
                "requester not allowed",
            )?;
            ensure(
                !(*facing_removal && *requested_on >= removal_exclusion_from()),
                "facing removal",
            )?;
            ensure(
                reconsideration_window(*requested_on)
                    .is_none_or(|days| *requested_on <= served_on + Duration::days(days)),
                "window closed",
            )
        }
        L::DecideReconsideration { decided_on, .. } => {
            guard_open(f)?;
            let Some((_, requested_on)) = f.pending else {
                return ensure(false, "no pending request");
            };
            dated(
                "/decided_on",
                *decided_on,
                today,
                &[
                    (requested_on, "reconsideration decided before the request"),
                    (
                        f.last_dated_on,
                        "reconsideration decided before the last dated step",
                    ),
                ],
            )
        }
        L::Withdraw { on, reason } => {
            guard_not_finished(f)?;
            if *reason == WithdrawalReason::ConsentWithdrawn && f.age_group == AgeGroup::Child {
                return Err(refusal(
                    "a child's case withdrawn for consent withdrawn",
                    "child-consent-not-required",
                    &[&"child", &"consent"],
                ));
            }
            dated(
                "/on",
                *on,
                today,
                &[
                    (f.referred_on, "withdrawn before the referral"),
                    (f.last_dated_on, "withdrawn before the last dated step"),
                ],
            )
        }
        L::Suspend { on, .. } => {
            guard_not_finished(f)?;
            if f.suspended_since.is_some() {
                return Err(refusal("already suspended", "already-suspended", &[]));
            }
            dated(
                "/on",
                *on,
                today,
                &[
                    (f.referred_on, "suspended before the referral"),
                    (f.last_dated_on, "suspended before the last dated step"),
                ],
            )
        }
        L::Resume { on } => {
            // A withdrawn or closed case stays so, suspended or not.
            guard_not_finished(f)?;
            let Some(since) = f.suspended_since else {
                return Err(refusal("not suspended", "not-suspended", &[]));
            };
            dated(
                "/on",
                *on,
                today,
                &[
                    (since, "resumed before the suspension"),
                    (f.last_dated_on, "resumed before the last dated step"),
                ],
            )
        }
        L::Close { on, reason } => {
            if let Some(closed) = f.closed_on {
                return Err(refusal(
                    "already closed",
                    "case-closed",
                    &[&"closed", &closed],
                ));
            }
            // A served negative decision can be reconsidered until its window ends: the case is
            // not complete before then.
            if *reason == ClosureReason::ProcessComplete
                && let Some(ends) = f.reconsideration_window_ends()
                && *on <= ends
            {
                return Err(refusal(
                    "closed as complete inside the reconsideration window",
                    "reconsideration-window-open",
                    &[&"reconsideration window", &ends],
                ));
            }
            let allowed = match reason {
                ClosureReason::ProcessComplete => {
                    let final_decision = match (&f.rg, &f.cg) {
                        (_, Some(cg)) => Some(cg),
                        (Some(rg), None) if rg.outcome == Outcome::Negative => Some(rg),
                        _ => None,
                    };
                    f.withdrawn_on.is_none()
                        && final_decision.is_some_and(|d| d.served_on.is_some())
                        && f.pending.is_none()
                }
                ClosureReason::Withdrawn => f.withdrawn_on.is_some(),
                ClosureReason::NoDecisionPossible => f.suspended_since.is_some(),
                ClosureReason::Duplicate => true,
            };
            if !allowed {
                return Err(refusal("closure reason", "cannot-close", &[]));
            }
            dated(
                "/on",
                *on,
                today,
                &[
                    (f.referred_on, "closed before the referral"),
                    (f.last_dated_on, "closed before the last dated step"),
                ],
            )
        }
        L::SweepDeadlines => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// What an accepted command must record
// ---------------------------------------------------------------------------------------------

fn expected_recipients(f: &File, legal_representative: bool) -> BTreeSet<Recipient> {
    let mut out = BTreeSet::from([Recipient::FirstResponder]);
    match f.age_group {
        AgeGroup::Child => out.insert(Recipient::LocalAuthority),
        AgeGroup::Adult => out.insert(Recipient::PotentialVictim),
    };
    if legal_representative {
        out.insert(Recipient::LegalRepresentative);
    }
    if f.age_group == AgeGroup::Adult && f.support_consent {
        out.insert(Recipient::SupportProvider);
    }
    out
}

/// The route a referral made on `today` must take.
fn expected_route(s: &Submission, today: NaiveDate) -> (CompetentAuthority, Option<String>) {
    let (child, born, area, cohort) = match s {
        Submission::Adult(r) => (false, r.victim.date_of_birth, None, r.immigration_cohort),
        Submission::Child(r) => (
            true,
            r.victim.date_of_birth,
            r.local_authority_area.as_deref(),
            r.immigration_cohort,
        ),
        Submission::DutyToNotify(_) => (false, None, None, None),
    };
    if child
        && let Some(code) = area.filter(|c| pilot_running(c, today))
        && born.is_none_or(|b| today + Duration::days(100) < eighteenth_birthday(b))
    {
        return (
            CompetentAuthority::LocalAuthorityPanel,
            Some(code.to_owned()),
        );
    }
    if cohort.is_some() && ieca_exists(today) {
        return (CompetentAuthority::Ieca, None);
    }
    (CompetentAuthority::Sca, None)
}

/// The accepted command produced exactly the events it describes.
/// The event an accepted review records.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per part of a review"
)]
fn expected_review(
    f: &File,
    which: ReviewedDecision,
    outcome: ReviewOutcome,
    panel: Option<&ReviewPanel>,
    reviewer_agency: &str,
    reviewed_on: NaiveDate,
    reasons: VaultRecordId,
    actor: Actor,
) -> CaseEvent {
    let kind = f.under_review(which).map_or(ReviewKind::None, |t| t.kind);
    let (chair, reviewers) = match panel {
        Some(p) => (Some(p.chair.clone()), p.members.clone()),
        // A second caseworker or quality assurance review is by whoever records it.
        None => (
            None,
            vec![Reviewer {
                user: actor.user,
                agency: reviewer_agency.to_owned(),
            }],
        ),
    };
    match which {
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
    }
}

fn check_accepted(
    model: &Model,
    command: &Command,
    actor: Actor,
    today: NaiveDate,
    events: &[CaseEvent],
) -> TestCaseResult {
    use LifecycleCommand as L;
    let one = |e: CaseEvent| -> TestCaseResult {
        prop_assert_eq!(events, &[e][..], "events recorded for {:?}", command);
        Ok(())
    };
    let f = match (model, command) {
        (Model::Empty, Command::Submit(s)) => {
            prop_assert_eq!(events.len(), 1);
            match (&s.submission, &events[0]) {
                (Submission::DutyToNotify(_), CaseEvent::DutyToNotifyReported(e)) => {
                    prop_assert_eq!(e.reported_on, today);
                }
                (_, CaseEvent::ReferralSubmitted(e)) => {
                    prop_assert_eq!(e.referred_on, today);
                    let (authority, site) = expected_route(&s.submission, today);
                    prop_assert_eq!(e.competent_authority, authority);
                    prop_assert_eq!(&e.pilot_site, &site);
                    prop_assert!(
                        e.routing_reason
                            .as_deref()
                            .is_some_and(|r| !r.trim().is_empty()),
                        "no routing reason"
                    );
                    prop_assert_eq!(e.reasonable_grounds_due_on, rg_due(today));
                }
                (_, other) => prop_assert!(false, "submission recorded as {}", other.kind()),
            }
            return Ok(());
        }
        (Model::Referral(f), _) => f,
        _ => {
            prop_assert!(false, "accepted {:?} with no referral", command);
            return Ok(());
        }
    };
    match command {
        Command::Panel(_) | Command::Adulthood(_) | Command::AdditionalRecovery(_) => {
            prop_assert!(false, "children's pathway commands are not generated here")
        }
        Command::Submit(_) => prop_assert!(false, "a second submission accepted"),
        Command::DecideReasonableGrounds(d) | Command::DecideConclusiveGrounds(d) => {
            let is_rg = matches!(command, Command::DecideReasonableGrounds(_));
            let g = match events.first() {
                Some(CaseEvent::ReasonableGroundsDecided(g)) if is_rg => g,
                Some(CaseEvent::ConclusiveGroundsDecided(g)) if !is_rg => g,
                other => {
                    prop_assert!(false, "decision recorded as {:?}", other);
                    return Ok(());
                }
            };
            prop_assert_eq!(g.outcome, d.outcome);
            prop_assert_eq!(g.decided_on, d.decided_on);
            prop_assert_eq!(g.decided_by, actor);
            let which = if is_rg {
                ReviewedDecision::ReasonableGrounds
            } else {
                ReviewedDecision::ConclusiveGrounds
            };
            let review = (d.outcome == Outcome::Negative)
                .then(|| review_for(which, f.authority, d.decided_on));
            prop_assert_eq!(g.review, review, "review recorded on {:?}", g);
            let recovery = is_rg && d.outcome == Outcome::Positive;
            prop_assert_eq!(events.len(), if recovery { 2 } else { 1 });
            if recovery {
                let Some(CaseEvent::RecoveryPeriodStarted(p)) = events.get(1) else {
                    prop_assert!(false, "a positive RG without its recovery period");
                    return Ok(());
                };
                prop_assert_eq!(p.minimum_ends_on, minimum_recovery_ends(d.decided_on));
            }
        }
        Command::Lifecycle(c) => match c {
            L::RecordAgeAssessment(_) | L::AssurePanelDecision { .. } => {
                prop_assert!(false, "children's pathway commands are not generated here");
            }
            L::Reroute {
                to,
                pilot_site,
                reason,
            } => one(CaseEvent::RouteChanged {
                from: f.authority,
                to: *to,
                pilot_site: (*to == CompetentAuthority::LocalAuthorityPanel)
                    .then(|| pilot_site.clone())
                    .flatten(),
                reason: *reason,
                changed_on: today,
            })?,
            L::Allocate { to } => one(CaseEvent::CaseAllocated {
                to: *to,
                allocated_on: today,
            })?,
            L::RequestInformation { request, from } => one(CaseEvent::InformationRequested {
                request: *request,
                from: *from,
                requested_on: today,
                due_on: information_due(today),
                // No nations recorded and every pilot site in England: the SCA's calendar.
                calendar: Some(nrm_domain::calendar::Jurisdiction::EnglandAndWales),
            })?,
            L::RecordInformationReceived {
                request,
                received_on,
            } => one(CaseEvent::InformationReceived {
                request: *request,
                received_on: *received_on,
            })?,
            L::ExtendRecoveryPeriod { until } => {
                one(CaseEvent::RecoveryPeriodExtended { until: *until })?;
            }
            L::Disqualify {
                ground,
                decided_on,
                reasons,
            } => {
                let Some(CaseEvent::Disqualified { rule, .. }) = events.first() else {
                    prop_assert!(false, "disqualification recorded as {:?}", events);
                    return Ok(());
                };
                prop_assert!(rule.contains("s63"), "rule {rule:?} does not cite s63");
                one(CaseEvent::Disqualified {
                    ground: *ground,
                    decided_on: *decided_on,
                    decided_by: actor,
                    reasons: *reasons,
                    rule: rule.clone(),
                    review: Some(review_for(
                        ReviewedDecision::Disqualification,
                        f.authority,
                        *decided_on,
                    )),
                })?;
            }
            L::ReviewNegativeConclusiveGrounds {
                outcome,
                panel,
                reviewer_agency,
                reviewed_on,
                reasons,
            } => one(expected_review(
                f,
                ReviewedDecision::ConclusiveGrounds,
                *outcome,
                panel.as_ref(),
                reviewer_agency,
                *reviewed_on,
                *reasons,
                actor,
            ))?,
            L::ReviewNegativeDecision {
                decision,
                outcome,
                panel,
                reviewer_agency,
                reviewed_on,
                reasons,
            } => one(expected_review(
                f,
                *decision,
                *outcome,
                panel.as_ref(),
                reviewer_agency,
                *reviewed_on,
                *reasons,
                actor,
            ))?,
            L::ServeDecision {
                decision,
                served_on,
                legal_representative,
            } => {
                let Some(CaseEvent::DecisionServed { recipients, .. }) = events.first() else {
                    prop_assert!(false, "service recorded as {:?}", events);
                    return Ok(());
                };
                let set: BTreeSet<Recipient> = recipients.iter().copied().collect();
                prop_assert_eq!(set.len(), recipients.len(), "a recipient twice");
                prop_assert_eq!(set, expected_recipients(f, *legal_representative));
                one(CaseEvent::DecisionServed {
                    decision: *decision,
                    served_on: *served_on,
                    recipients: recipients.clone(),
                })?;
            }
            L::RequestReconsideration {
                decision,
                requested_on,
                requested_by,
                facing_removal,
            } => {
                let served_on = f
                    .decision(*decision)
                    .and_then(|d| d.served_on)
                    .unwrap_or(today);
                one(CaseEvent::ReconsiderationRequested {
                    decision: *decision,
                    requested_on: *requested_on,
                    requested_by: *requested_by,
                    window_ends_on: reconsideration_window(*requested_on)
                        .map(|days| served_on + Duration::days(days)),
                    facing_removal: *facing_removal,
                })?;
            }
            L::DecideReconsideration {
                accepted,
                decided_on,
                reasons,
            } => {
                let decision = f.pending.map_or(DecisionRef::ReasonableGrounds, |p| p.0);
                one(CaseEvent::ReconsiderationDecided {
                    decision,
                    accepted: *accepted,
                    decided_on: *decided_on,
                    reasons: *reasons,
                    reasonable_grounds_due_on: (*accepted
                        && decision == DecisionRef::ReasonableGrounds)
                        .then(|| rg_due(*decided_on)),
                })?;
            }
            L::Withdraw { on, reason } => one(CaseEvent::Withdrawn {
                on: *on,
                reason: *reason,
            })?,
            L::Suspend { on, reason } => one(CaseEvent::Suspended {
                on: *on,
                reason: *reason,
            })?,
            L::Resume { on } => one(CaseEvent::Resumed { on: *on })?,
            L::Close { on, reason } => one(CaseEvent::Closed {
                on: *on,
                reason: *reason,
            })?,
            L::SweepDeadlines => {
                let expected: BTreeMap<Deadline, (DeadlineStatus, NaiveDate)> = f
                    .open_deadlines()
                    .into_iter()
                    .map(|(d, due)| (d, (deadline_status(due, today), due)))
                    .filter(|(d, (status, _))| {
                        *status
                            != f.deadlines
                                .get(d)
                                .copied()
                                .unwrap_or(DeadlineStatus::OnTrack)
                    })
                    .collect();
                let mut got = BTreeMap::new();
                for e in events {
                    let CaseEvent::DeadlineStatusChanged {
                        deadline,
                        status,
                        due_on,
                        as_of,
                    } = e
                    else {
                        prop_assert!(false, "the sweep recorded {}", e.kind());
                        return Ok(());
                    };
                    prop_assert_eq!(*as_of, today);
                    prop_assert!(
                        got.insert(*deadline, (*status, *due_on)).is_none(),
                        "one deadline reported twice"
                    );
                }
                prop_assert_eq!(got, expected, "sweep on {}", today);
            }
        },
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The invariants of the accepted history, event by event
// ---------------------------------------------------------------------------------------------

/// Checks one event against the history before it (`model`), then adds it to the model.
/// Nothing here looks at the command that produced the event.
/// A review recorded on `which`: checked against the model and applied to it.
fn apply_review(
    f: &mut File,
    which: ReviewedDecision,
    kind: ReviewKind,
    outcome: ReviewOutcome,
    chair: Option<&Reviewer>,
    reviewers: &[Reviewer],
    reviewed_on: NaiveDate,
) -> TestCaseResult {
    let Some(d) = f
        .reviewed(which)
        .filter(|d| d.outcome == Outcome::Negative && d.awaiting_review())
        .cloned()
    else {
        prop_assert!(false, "a review of {:?} with none awaiting one", which);
        return Ok(());
    };
    prop_assert!(d.served_on.is_none(), "reviewed after service");
    prop_assert_eq!(
        kind,
        d.review,
        "review kind for {:?} on {}",
        which,
        d.decided_on
    );
    prop_assert!(reviewed_on >= d.decided_on);
    prop_assert!(
        reviewers.iter().all(|r| r.user != d.by),
        "the decision maker reviewed"
    );
    match kind {
        ReviewKind::MultiAgencyAssurancePanel => {
            let Some(chair) = chair else {
                prop_assert!(false, "a panel without a chair");
                return Ok(());
            };
            prop_assert!(
                panel_ok(
                    &ReviewPanel {
                        chair: chair.clone(),
                        members: reviewers.to_vec(),
                    },
                    d.by
                ),
                "panel without quorum or with the decision maker: {:?} {:?}",
                chair,
                reviewers
            );
        }
        ReviewKind::SecondCaseworker | ReviewKind::ScaQualityAssurance => {
            prop_assert!(chair.is_none());
            prop_assert_eq!(reviewers.len(), 1);
        }
        ReviewKind::None => prop_assert!(false, "a review of a decision that needs none"),
    }
    match outcome {
        ReviewOutcome::Agree => {
            if let Some(d) = f.reviewed_mut(which) {
                d.review_agreed = true;
                d.agreed_on = Some(reviewed_on);
            }
        }
        ReviewOutcome::ReferBack => match which {
            ReviewedDecision::ReasonableGrounds => {
                f.rg = None;
                f.deadlines.remove(&Deadline::ReasonableGrounds);
            }
            ReviewedDecision::ConclusiveGrounds => f.cg = None,
            ReviewedDecision::Disqualification => {
                f.disq = None;
                f.disqualified_on = None;
            }
        },
    }
    Ok(())
}

fn check_and_apply(model: &mut Model, event: &CaseEvent, index: usize) -> TestCaseResult {
    let json =
        serde_json::to_string(event).unwrap_or_else(|e| panic!("an event must serialise: {e}"));
    prop_assert!(
        !json.contains(CANARY),
        "personal data in {}: {}",
        event.kind(),
        json
    );
    let back: CaseEvent = serde_json::from_str(&json)
        .unwrap_or_else(|e| panic!("an event must read back: {e}: {json}"));
    prop_assert_eq!(&back, event, "an event changed on its way through JSON");

    let f = match (&mut *model, event) {
        (Model::Empty, CaseEvent::ReferralSubmitted(e)) => {
            prop_assert_eq!(index, 0);
            *model = Model::Referral(Box::new(File {
                age_group: e.age_group,
                support_consent: e.consent.is_some_and(|c| c.support_consent),
                referred_on: e.referred_on,
                rg_due_on: e.reasonable_grounds_due_on,
                authority: e.competent_authority,
                pilot_site: e.pilot_site.clone(),
                withdrawn_on: None,
                closed_on: None,
                suspended_since: None,
                rg: None,
                cg: None,
                extended_to: None,
                disqualified_on: None,
                disq: None,
                pending: None,
                info: Vec::new(),
                allocated_to: None,
                deadlines: BTreeMap::new(),
                rg_reopened: false,
                last_dated_on: e.referred_on,
                past_suspensions: Vec::new(),
                reconsideration_decided_on: None,
            }));
            return Ok(());
        }
        (Model::Empty, CaseEvent::DutyToNotifyReported(_)) => {
            prop_assert_eq!(index, 0);
            *model = Model::DutyToNotify;
            return Ok(());
        }
        (Model::Referral(f), _) => f,
        (m, e) => {
            prop_assert!(false, "{} recorded on {:?}", e.kind(), m);
            return Ok(());
        }
    };

    // Nothing is recorded on a closed case; only its closure on a withdrawn one; on a
    // suspended one, only a reply to a request, the deadlines, and its resumption, withdrawal
    // or closure.
    let withdrawn_ok = matches!(event, CaseEvent::Closed { .. });
    let suspended_ok = withdrawn_ok
        || matches!(
            event,
            CaseEvent::InformationReceived { .. }
                | CaseEvent::Resumed { .. }
                | CaseEvent::Withdrawn { .. }
                | CaseEvent::DeadlineStatusChanged { .. }
        );
    if let Some(on) = f.closed_on {
        prop_assert!(
            false,
            "{} recorded on a case closed on {}",
            event.kind(),
            on
        );
    }
    if let Some(on) = f.withdrawn_on {
        prop_assert!(
            withdrawn_ok,
            "{} recorded on a case withdrawn on {}",
            event.kind(),
            on
        );
    }
    if let Some(on) = f.suspended_since {
        prop_assert!(
            suspended_ok,
            "{} recorded on a case suspended since {}",
            event.kind(),
            on
        );
    }

    check_dates(f, event)?;
    if let Some(on) = step_date(event) {
        f.last_dated_on = f.last_dated_on.max(on);
    }

    match event {
        CaseEvent::PanelConvened(_)
        | CaseEvent::PanelPapersPrepared(_)
        | CaseEvent::PanelDecided(_)
        | CaseEvent::AgeAssessed(_)
        | CaseEvent::TurnedEighteen(_)
        | CaseEvent::ConsentToSupportAnswered(_)
        | CaseEvent::AdditionalRecoveryPeriodQuestioned(_)
        | CaseEvent::AdditionalRecoveryPeriodDecided(_) => {
            prop_assert!(
                false,
                "children's pathway events are not generated here (tests/panels.rs)"
            );
        }
        CaseEvent::ReferralSubmitted(_) | CaseEvent::DutyToNotifyReported(_) => {
            prop_assert!(false, "a second submission");
        }
        CaseEvent::ReasonableGroundsDecided(d) => {
            prop_assert!(f.rg.is_none(), "a second RG while the first stands");
            prop_assert!(d.decided_on >= f.referred_on);
            let review = (d.outcome == Outcome::Negative).then(|| {
                review_for(
                    ReviewedDecision::ReasonableGrounds,
                    f.authority,
                    d.decided_on,
                )
            });
            prop_assert_eq!(d.review, review, "the review recorded for an RG");
            f.rg = Some(Dec {
                outcome: d.outcome,
                decided_on: d.decided_on,
                by: d.decided_by.user,
                org: d.decided_by.organisation,
                served_on: None,
                review: review.unwrap_or(ReviewKind::None),
                review_agreed: false,
                agreed_on: None,
            });
            f.pending = None;
        }
        CaseEvent::RecoveryPeriodStarted(p) => {
            prop_assert!(
                f.rg.as_ref().is_some_and(
                    |rg| rg.outcome == Outcome::Positive && rg.decided_on == p.starts_on
                ),
                "a recovery period with no positive RG"
            );
        }
        CaseEvent::ConclusiveGroundsDecided(d) => {
            let Some(rg_on) = f.in_recovery() else {
                prop_assert!(false, "a CG with no positive RG, or a second CG");
                return Ok(());
            };
            prop_assert!(d.decided_on >= minimum_recovery_ends(rg_on));
            prop_assert!(
                f.cg_earliest()
                    .is_some_and(|earliest| d.decided_on >= earliest),
                "a CG on {} inside an extension to {:?}",
                d.decided_on,
                f.extended_to
            );
            let review = (d.outcome == Outcome::Negative).then(|| {
                review_for(
                    ReviewedDecision::ConclusiveGrounds,
                    f.authority,
                    d.decided_on,
                )
            });
            prop_assert_eq!(
                d.review,
                review,
                "the review recorded for a CG on {}",
                d.decided_on
            );
            f.cg = Some(Dec {
                outcome: d.outcome,
                decided_on: d.decided_on,
                by: d.decided_by.user,
                org: d.decided_by.organisation,
                served_on: None,
                review: review.unwrap_or(ReviewKind::None),
                review_agreed: false,
                agreed_on: None,
            });
            f.pending = None;
        }
        CaseEvent::RouteChanged {
            from,
            to,
            pilot_site,
            changed_on,
            ..
        } => {
            prop_assert!(f.cg.is_none(), "rerouted after the CG");
            prop_assert_eq!(*from, f.authority);
            match to {
                CompetentAuthority::Ieca => prop_assert!(ieca_exists(*changed_on)),
                CompetentAuthority::LocalAuthorityPanel => {
                    prop_assert_eq!(f.age_group, AgeGroup::Child);
                    prop_assert!(
                        pilot_site
                            .as_deref()
                            .is_some_and(|s| pilot_running(s, *changed_on))
                    );
                }
                CompetentAuthority::Sca => prop_assert!(pilot_site.is_none()),
            }
            f.authority = *to;
            f.pilot_site.clone_from(pilot_site);
        }
        CaseEvent::CaseAllocated { to, .. } => f.allocated_to = Some(*to),
        CaseEvent::InformationRequested {
            request,
            requested_on,
            due_on,
            ..
        } => {
            prop_assert!(
                !f.info.iter().any(|i| i.id == *request),
                "a request id reused"
            );
            prop_assert_eq!(
                CALENDAR.working_days_between(*requested_on, *due_on),
                WorkingDays(10)
            );
            f.info.push(Info {
                id: *request,
                requested_on: *requested_on,
                due_on: *due_on,
                received_on: None,
            });
        }
        CaseEvent::InformationReceived {
            request,
            received_on,
        } => {
            let Some(i) = f.info.iter_mut().find(|i| i.id == *request) else {
                prop_assert!(false, "a reply to no request");
                return Ok(());
            };
            prop_assert!(i.received_on.is_none(), "a second reply recorded");
            prop_assert!(*received_on >= i.requested_on);
            i.received_on = Some(*received_on);
        }
        CaseEvent::RecoveryPeriodExtended { until } => {
            prop_assert!(
                f.disqualified_on.is_none(),
                "the recovery period extended after a disqualification on {:?}",
                f.disqualified_on
            );
            let end = f.recovery_end();
            prop_assert!(
                end.is_some_and(|end| *until > end),
                "extension to {} from {:?}",
                until,
                end
            );
            f.extended_to = Some(*until);
        }
        CaseEvent::Disqualified {
            decided_on,
            decided_by,
            review,
            ..
        } => {
            let rg_on = f.in_recovery();
            prop_assert!(rg_on.is_some(), "disqualified outside the recovery period");
            prop_assert!(rg_on.is_some_and(|rg_on| *decided_on >= rg_on));
            prop_assert!(
                *decided_on >= nab_act(),
                "disqualified on {} before s63",
                decided_on
            );
            prop_assert!(f.disqualified_on.is_none(), "disqualified twice");
            f.disqualified_on = Some(*decided_on);
            f.disq = Some(Dec {
                outcome: Outcome::Negative,
                decided_on: *decided_on,
                by: decided_by.user,
                org: decided_by.organisation,
                served_on: None,
                review: review.unwrap_or(ReviewKind::None),
                review_agreed: false,
                agreed_on: None,
            });
        }
        CaseEvent::NegativeConclusiveGroundsReviewed {
            kind,
            outcome,
            chair,
            reviewers,
            reviewed_on,
            ..
        } => apply_review(
            f,
            ReviewedDecision::ConclusiveGrounds,
            *kind,
            *outcome,
            chair.as_ref(),
            reviewers,
            *reviewed_on,
        )?,
        CaseEvent::NegativeReasonableGroundsReviewed {
            kind,
            outcome,
            chair,
            reviewers,
            reviewed_on,
            ..
        } => apply_review(
            f,
            ReviewedDecision::ReasonableGrounds,
            *kind,
            *outcome,
            chair.as_ref(),
            reviewers,
            *reviewed_on,
        )?,
        CaseEvent::DisqualificationReviewed {
            kind,
            outcome,
            chair,
            reviewers,
            reviewed_on,
            ..
        } => apply_review(
            f,
            ReviewedDecision::Disqualification,
            *kind,
            *outcome,
            chair.as_ref(),
            reviewers,
            *reviewed_on,
        )?,
        CaseEvent::DecisionServed {
            decision,
            served_on,
            recipients,
        } => {
            if *decision == DecisionRef::ConclusiveGrounds {
                prop_assert!(
                    f.cg_needing_review().is_none(),
                    "a negative CG served before its review agreed"
                );
            }
            let child = f.age_group == AgeGroup::Child;
            prop_assert!(recipients.contains(&Recipient::FirstResponder));
            prop_assert_eq!(
                recipients.contains(&Recipient::PotentialVictim),
                !child,
                "notice to the person on a {:?} case: {:?}",
                f.age_group,
                recipients
            );
            if child {
                prop_assert!(recipients.contains(&Recipient::LocalAuthority));
            }
            let Some(d) = f.decision_mut(*decision) else {
                prop_assert!(false, "served a decision not made");
                return Ok(());
            };
            prop_assert!(d.served_on.is_none(), "served twice");
            prop_assert!(*served_on >= d.decided_on);
            prop_assert!(
                d.agreed_on.is_none_or(|agreed| *served_on >= agreed),
                "served on {} before its review agreed on {:?}",
                served_on,
                d.agreed_on
            );
            d.served_on = Some(*served_on);
        }
        CaseEvent::ReconsiderationRequested {
            decision,
            requested_on,
            requested_by,
            window_ends_on,
            facing_removal,
        } => {
            prop_assert!(f.pending.is_none(), "a second pending request");
            prop_assert!(
                !*facing_removal || *requested_on < removal_exclusion_from(),
                "a request on {} by a person facing removal",
                requested_on
            );
            let Some(d) = f.decision(*decision) else {
                prop_assert!(false, "reconsideration of a decision not made");
                return Ok(());
            };
            prop_assert_eq!(
                d.outcome,
                Outcome::Negative,
                "reconsideration of a positive decision"
            );
            let Some(served_on) = d.served_on else {
                prop_assert!(false, "reconsideration of an unserved decision");
                return Ok(());
            };
            prop_assert!(*requested_on >= served_on);
            prop_assert!(
                may_request_reconsideration(*requested_on, *requested_by),
                "{:?} may not ask on {}",
                requested_by,
                requested_on
            );
            let window =
                reconsideration_window(*requested_on).map(|n| served_on + Duration::days(n));
            prop_assert_eq!(*window_ends_on, window);
            prop_assert!(
                window.is_none_or(|w| *requested_on <= w),
                "outside the window"
            );
            f.pending = Some((*decision, *requested_on));
        }
        CaseEvent::ReconsiderationDecided {
            decision,
            accepted,
            decided_on,
            reasonable_grounds_due_on,
            ..
        } => {
            let Some((pending, requested_on)) = f.pending.take() else {
                prop_assert!(false, "a reconsideration decided with none pending");
                return Ok(());
            };
            prop_assert_eq!(*decision, pending);
            prop_assert!(*decided_on >= requested_on);
            f.reconsideration_decided_on = Some(*decided_on);
            if *accepted {
                // The decision is set aside: the case awaits it again.
                match decision {
                    DecisionRef::ReasonableGrounds => {
                        prop_assert_eq!(*reasonable_grounds_due_on, Some(rg_due(*decided_on)));
                        f.rg = None;
                        f.rg_reopened = true;
                        f.rg_due_on = rg_due(*decided_on);
                        f.deadlines.remove(&Deadline::ReasonableGrounds);
                    }
                    DecisionRef::ConclusiveGrounds => {
                        prop_assert_eq!(*reasonable_grounds_due_on, None);
                        f.cg = None;
                    }
                }
            } else {
                prop_assert_eq!(*reasonable_grounds_due_on, None);
            }
        }
        CaseEvent::Withdrawn { on, .. } => {
            prop_assert!(*on >= f.referred_on);
            f.withdrawn_on = Some(*on);
        }
        CaseEvent::Suspended { on, .. } => {
            prop_assert!(f.suspended_since.is_none(), "suspended twice");
            f.suspended_since = Some(*on);
        }
        CaseEvent::Resumed { on } => {
            let Some(since) = f.suspended_since.take() else {
                prop_assert!(false, "resumed a case not suspended");
                return Ok(());
            };
            prop_assert!(*on >= since);
            f.past_suspensions.push((since, *on));
        }
        CaseEvent::Closed { on, reason } => {
            prop_assert!(*on >= f.referred_on);
            if *reason == ClosureReason::ProcessComplete
                && let Some(ends) = f.reconsideration_window_ends()
            {
                prop_assert!(
                    *on > ends,
                    "closed as complete on {} while reconsideration could be asked until {}",
                    on,
                    ends
                );
            }
            f.closed_on = Some(*on);
        }
        CaseEvent::DeadlineStatusChanged {
            deadline,
            status,
            due_on,
            as_of,
        } => {
            let open = f.open_deadlines();
            prop_assert_eq!(
                open.get(deadline),
                Some(due_on),
                "{:?} reported on {} but not open (a decision or reply already made?)",
                deadline,
                as_of
            );
            prop_assert_eq!(*status, deadline_status(*due_on, *as_of));
            let last = f
                .deadlines
                .get(deadline)
                .copied()
                .unwrap_or(DeadlineStatus::OnTrack);
            prop_assert_ne!(*status, last, "the sweep reported no change");
            f.deadlines.insert(*deadline, *status);
        }
    }
    Ok(())
}

/// The date an event puts on the case file as a step in it, if it is one.
fn step_date(event: &CaseEvent) -> Option<NaiveDate> {
    match event {
        CaseEvent::ReasonableGroundsDecided(d) | CaseEvent::ConclusiveGroundsDecided(d) => {
            Some(d.decided_on)
        }
        CaseEvent::Disqualified { decided_on, .. }
        | CaseEvent::ReconsiderationDecided { decided_on, .. } => Some(*decided_on),
        CaseEvent::NegativeConclusiveGroundsReviewed { reviewed_on, .. }
        | CaseEvent::NegativeReasonableGroundsReviewed { reviewed_on, .. }
        | CaseEvent::DisqualificationReviewed { reviewed_on, .. } => Some(*reviewed_on),
        CaseEvent::DecisionServed { served_on, .. } => Some(*served_on),
        CaseEvent::ReconsiderationRequested { requested_on, .. } => Some(*requested_on),
        CaseEvent::Withdrawn { on, .. }
        | CaseEvent::Suspended { on, .. }
        | CaseEvent::Resumed { on }
        | CaseEvent::Closed { on, .. } => Some(*on),
        _ => None,
    }
}

/// The file reads in date order: every dated step (a decision, disqualification, review,
/// service, reconsideration request or decision, withdrawal, suspension, resumption or closure)
/// is dated on or after every step before it. So none is dated inside a suspension that has
/// ended, and no reconsideration request before the previous one was decided.
fn check_dates(f: &File, event: &CaseEvent) -> TestCaseResult {
    let Some(on) = step_date(event) else {
        return Ok(());
    };
    prop_assert!(
        on >= f.last_dated_on,
        "{} dated {} before the last dated step on the file ({})",
        event.kind(),
        on,
        f.last_dated_on
    );
    prop_assert!(
        !f.past_suspensions
            .iter()
            .any(|(from, to)| *from <= on && on < *to),
        "{} dated {} inside a past suspension {:?}",
        event.kind(),
        on,
        f.past_suspensions
    );
    if matches!(event, CaseEvent::ReconsiderationRequested { .. }) {
        prop_assert!(
            f.reconsideration_decided_on.is_none_or(|d| on >= d),
            "a reconsideration request dated {} before the previous one was decided ({:?})",
            on,
            f.reconsideration_decided_on
        );
    }
    Ok(())
}

/// The domain's state says what the model says.
fn check_state(state: &CaseState, model: &Model) -> TestCaseResult {
    match (state, model) {
        (CaseState::Empty, Model::Empty)
        | (CaseState::DutyToNotify { .. }, Model::DutyToNotify) => {}
        (CaseState::Referral(r), Model::Referral(f)) => {
            prop_assert_eq!(r.stage.status(), f.status());
            prop_assert_eq!(r.suspended.map(|s| s.1), f.suspended_since);
            prop_assert_eq!(
                r.reconsideration.map(|p| (p.decision, p.requested_on)),
                f.pending
            );
            prop_assert_eq!(r.competent_authority, f.authority);
            prop_assert_eq!(r.reasonable_grounds_due_on, f.rg_due_on);
            prop_assert_eq!(r.last_dated_on, f.last_dated_on, "the last dated step");
            prop_assert_eq!(r.disqualified.map(|d| d.1), f.disqualified_on);
            prop_assert_eq!(
                r.disqualification.map(|d| (d.decided_on, d.reviewed_on)),
                f.disq.as_ref().map(|d| (d.decided_on, d.agreed_on)),
                "the disqualification and its review"
            );
            prop_assert_eq!(r.awaiting_review(), f.awaiting_review());
            for which in [
                DecisionRef::ReasonableGrounds,
                DecisionRef::ConclusiveGrounds,
            ] {
                prop_assert_eq!(
                    r.decision(which).map(|d| (
                        d.outcome,
                        d.decided_on,
                        d.served_on,
                        d.reviewed_on
                    )),
                    f.decision(which)
                        .map(|d| (d.outcome, d.decided_on, d.served_on, d.agreed_on)),
                    "{:?}",
                    which
                );
            }
        }
        (s, m) => prop_assert!(false, "state {:?} but model {:?}", s, m),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Generated sequences
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Submit,
    Rg,
    Cg,
    Reroute,
    Allocate,
    RequestInfo,
    ReceiveInfo,
    Extend,
    Disqualify,
    Review,
    Serve,
    RequestReconsideration,
    DecideReconsideration,
    Withdraw,
    Suspend,
    Resume,
    Close,
    Sweep,
}

const KINDS: [Kind; 18] = [
    Kind::Submit,
    Kind::Rg,
    Kind::Cg,
    Kind::Reroute,
    Kind::Allocate,
    Kind::RequestInfo,
    Kind::ReceiveInfo,
    Kind::Extend,
    Kind::Disqualify,
    Kind::Review,
    Kind::Serve,
    Kind::RequestReconsideration,
    Kind::DecideReconsideration,
    Kind::Withdraw,
    Kind::Suspend,
    Kind::Resume,
    Kind::Close,
    Kind::Sweep,
];

/// A command's date: near today, near a date of the case's own that matters for the command
/// (the end of the recovery period, the end of the reconsideration window, ...), or near a
/// date the rules changed.
#[derive(Debug, Clone, Copy)]
enum DateSpec {
    Today(i64),
    Anchor(i64),
    Boundary { later: bool, offset: i64 },
}

#[derive(Debug, Clone, Copy)]
enum PanelSpec {
    Valid {
        three: bool,
    },
    DecisionMakerChairs,
    DecisionMakerSits,
    OneMember,
    OneAgency,
    ChairAlsoMember,
    /// Three members, one of them counted twice (for two agencies).
    SamePersonTwice,
    /// Three members, one with a blank agency.
    NoAgency,
    /// Two members from one agency spelt differently ("ngo" and " NGO ").
    OneAgencySpeltTwoWays,
}

#[derive(Debug, Clone)]
struct Params {
    positive: bool,
    reason: NegativeReason,
    reason_mismatch: bool,
    date: DateSpec,
    catch_up: bool,
    actor: usize,
    /// For a second caseworker review: the decision maker tries to review their own decision.
    self_review: bool,
    agree: bool,
    panel: PanelSpec,
    wrong_review_kind: bool,
    legal_rep: bool,
    other_decision: bool,
    requester: Requester,
    facing_removal: bool,
    accepted: bool,
    withdrawal: WithdrawalReason,
    suspension: SuspensionReason,
    closure: Option<ClosureReason>,
    authority: CompetentAuthority,
    pilot: Option<&'static str>,
    reroute: RerouteReason,
    reuse_request: bool,
    request: Index,
    source: InformationSource,
    ground: DisqualificationGround,
}

#[derive(Debug, Clone)]
struct Step {
    advance_days: i64,
    advance_seconds: i64,
    guided: bool,
    pick: Index,
    p: Params,
}

#[derive(Debug, Clone)]
enum SubmitSpec {
    Adult {
        support_consent: bool,
        cohort: Option<ImmigrationEnforcementCohort>,
    },
    Child {
        age_days: i64,
        area: Option<&'static str>,
        cohort: Option<ImmigrationEnforcementCohort>,
    },
    DutyToNotify,
}

#[derive(Debug, Clone)]
struct Case {
    start: i64,
    submit: SubmitSpec,
    steps: Vec<Step>,
}

fn date_spec() -> impl Strategy<Value = DateSpec> {
    prop_oneof![
        5 => (-3i64..=0).prop_map(DateSpec::Today),
        1 => Just(DateSpec::Today(1)),
        5 => (-2i64..=2).prop_map(DateSpec::Anchor),
        2 => (any::<bool>(), -2i64..=2)
            .prop_map(|(later, offset)| DateSpec::Boundary { later, offset }),
    ]
}

fn panel_spec() -> impl Strategy<Value = PanelSpec> {
    prop_oneof![
        12 => any::<bool>().prop_map(|three| PanelSpec::Valid { three }),
        1 => Just(PanelSpec::DecisionMakerChairs),
        1 => Just(PanelSpec::DecisionMakerSits),
        1 => Just(PanelSpec::OneMember),
        1 => Just(PanelSpec::OneAgency),
        1 => Just(PanelSpec::ChairAlsoMember),
        1 => Just(PanelSpec::SamePersonTwice),
        1 => Just(PanelSpec::NoAgency),
        1 => Just(PanelSpec::OneAgencySpeltTwoWays),
    ]
}

fn params() -> impl Strategy<Value = Params> {
    let decision = (
        any::<bool>(),
        prop::sample::select(vec![
            NegativeReason::InsufficientEvidence,
            NegativeReason::DefinitionNotMet,
            NegativeReason::Disengaged,
            NegativeReason::Other,
        ]),
        prop::bool::weighted(0.03),
        date_spec(),
        prop::bool::weighted(0.6),
        0..PEOPLE,
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.8),
        panel_spec(),
        prop::bool::weighted(0.12),
        any::<bool>(),
        prop::bool::weighted(0.1),
    );
    let reconsideration = (
        prop::sample::select(vec![
            Requester::FirstResponder,
            Requester::SupportProvider,
            Requester::PotentialVictim,
            Requester::LegalRepresentative,
        ]),
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.6),
        prop::sample::select(vec![
            WithdrawalReason::ConsentWithdrawn,
            WithdrawalReason::ReferredInError,
            WithdrawalReason::Other,
        ]),
        prop::sample::select(vec![
            SuspensionReason::MissingPerson,
            SuspensionReason::LostContact,
        ]),
        prop::option::weighted(
            0.2,
            prop::sample::select(vec![
                ClosureReason::ProcessComplete,
                ClosureReason::Withdrawn,
                ClosureReason::NoDecisionPossible,
                ClosureReason::Duplicate,
            ]),
        ),
    );
    let other = (
        prop::sample::select(vec![
            CompetentAuthority::Sca,
            CompetentAuthority::Ieca,
            CompetentAuthority::LocalAuthorityPanel,
        ]),
        prop::sample::select(vec![Some("hull"), Some("camden"), Some("leeds"), None]),
        prop::sample::select(vec![
            RerouteReason::DetentionStarted,
            RerouteReason::AsylumClaimInadmissible,
            RerouteReason::MovedIntoPilotArea,
            RerouteReason::Correction,
        ]),
        prop::bool::weighted(0.1),
        any::<Index>(),
        prop::sample::select(vec![
            InformationSource::FirstResponder,
            InformationSource::Police,
            InformationSource::LocalAuthority,
            InformationSource::SupportProvider,
        ]),
        prop::sample::select(vec![
            DisqualificationGround::PublicOrder,
            DisqualificationGround::BadFaith,
        ]),
    );
    (decision, reconsideration, other).prop_map(
        |(
            (
                positive,
                reason,
                reason_mismatch,
                date,
                catch_up,
                actor,
                self_review,
                agree,
                panel,
                wrong_review_kind,
                legal_rep,
                other_decision,
            ),
            (requester, facing_removal, accepted, withdrawal, suspension, closure),
            (authority, pilot, reroute, reuse_request, request, source, ground),
        )| Params {
            positive,
            reason,
            reason_mismatch,
            date,
            catch_up,
            actor,
            self_review,
            agree,
            panel,
            wrong_review_kind,
            legal_rep,
            other_decision,
            requester,
            facing_removal,
            accepted,
            withdrawal,
            suspension,
            closure,
            authority,
            pilot,
            reroute,
            reuse_request,
            request,
            source,
            ground,
        },
    )
}

fn step() -> impl Strategy<Value = Step> {
    (
        prop_oneof![3 => Just(0i64), 5 => 1i64..=10, 2 => 11i64..=60],
        0i64..86_400,
        prop::bool::weighted(0.8),
        any::<Index>(),
        params(),
    )
        .prop_map(|(advance_days, advance_seconds, guided, pick, p)| Step {
            advance_days,
            advance_seconds,
            guided,
            pick,
            p,
        })
}

fn cohort() -> impl Strategy<Value = Option<ImmigrationEnforcementCohort>> {
    prop::option::weighted(
        0.15,
        prop::sample::select(vec![
            ImmigrationEnforcementCohort::DetainedForeignNationalOffender,
            ImmigrationEnforcementCohort::ImmigrationDetention,
            ImmigrationEnforcementCohort::InadmissibleAsylumClaim,
        ]),
    )
}

fn submit_spec() -> impl Strategy<Value = SubmitSpec> {
    prop_oneof![
        55 => (any::<bool>(), cohort())
            .prop_map(|(support_consent, cohort)| SubmitSpec::Adult { support_consent, cohort }),
        42 => (
            // From a year old to a few days short of 18.
            365i64..=6_570,
            prop::sample::select(vec![None, Some("hull"), Some("islington"), Some("leeds")]),
            cohort(),
        )
            .prop_map(|(age_days, area, cohort)| SubmitSpec::Child { age_days, area, cohort }),
        3 => Just(SubmitSpec::DutyToNotify),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let t = |y, m, d| at(y, m, d, 0, 0).timestamp();
    // Anywhere from 2019 to mid-2026, and more often shortly before a rule changed: before
    // the SCA (negative CGs needing no review), before the panels ended, before s63, before the
    // 30-day window and before the removal exclusion.
    let start = prop_oneof![
        3 => t(2019, 1, 2)..t(2019, 3, 1),
        8 => t(2019, 3, 1)..t(2026, 6, 1),
        2 => t(2022, 9, 1)..t(2022, 11, 15),
        2 => t(2022, 12, 1)..t(2023, 1, 29),
        2 => t(2023, 12, 1)..t(2024, 2, 20),
        2 => t(2025, 7, 1)..t(2025, 9, 15),
    ];
    (start, submit_spec(), prop::collection::vec(step(), 4..=22)).prop_map(
        |(start, submit, steps)| Case {
            start,
            submit,
            steps,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Turning a generated step into a command
// ---------------------------------------------------------------------------------------------

fn build_submit(spec: &SubmitSpec, today: NaiveDate) -> Command {
    let period = ExploitationPeriod {
        started_on: Some(today - Duration::days(30)),
        ended_on: None,
        ongoing: true,
    };
    let submission = match spec {
        SubmitSpec::Adult {
            support_consent,
            cohort,
        } => {
            let mut r = adult_referral();
            r.consent.referral_consent_given_on = today;
            r.consent.support_consent = *support_consent;
            r.exploitation.period = period;
            r.immigration_cohort = *cohort;
            Submission::Adult(r)
        }
        SubmitSpec::Child {
            age_days,
            area,
            cohort,
        } => {
            let mut r = child_referral();
            r.victim.date_of_birth = Some(today - Duration::days(*age_days));
            r.local_authority_area = area.map(str::to_owned);
            r.exploitation.period = period;
            r.immigration_cohort = *cohort;
            Submission::Child(r)
        }
        SubmitSpec::DutyToNotify => {
            let mut r = duty_to_notify();
            r.exploitation.period = period;
            Submission::DutyToNotify(r)
        }
    };
    Command::Submit(Box::new(Submit {
        submission,
        reference_random: 0x0bad_cafe,
        subject: SUBJECT,
        personal_details: PERSONAL,
        nations: Default::default(),
    }))
}

/// The commands that make sense for the case as it stands, with weights.
fn plausible(f: &File) -> Vec<(Kind, u32)> {
    use Kind as K;
    if f.closed_on.is_some() {
        return KINDS.iter().map(|k| (*k, 1)).collect();
    }
    if f.withdrawn_on.is_some() {
        let mut v: Vec<(Kind, u32)> = KINDS.iter().map(|k| (*k, 1)).collect();
        v.push((K::Close, 10));
        return v;
    }
    if f.suspended_since.is_some() {
        return vec![
            (K::Resume, 12),
            (K::Close, 3),
            (K::Withdraw, 1),
            (K::Sweep, 1),
            (K::Rg, 1),
            (K::Cg, 1),
            (K::Serve, 1),
            (K::Review, 1),
            (K::RequestReconsideration, 1),
            (K::Disqualify, 1),
        ];
    }
    let mut v = vec![(K::Withdraw, 1), (K::Suspend, 1), (K::Sweep, 2)];
    let open_requests = f.info.iter().any(|i| i.received_on.is_none());
    if open_requests {
        v.push((K::ReceiveInfo, 2));
    }
    let unserved = |d: &Option<Dec>| d.as_ref().is_some_and(|d| d.served_on.is_none());
    let served_negative = |d: &Option<Dec>| {
        d.as_ref()
            .is_some_and(|d| d.outcome == Outcome::Negative && d.served_on.is_some())
    };
    if f.pending.is_some() {
        v.push((K::DecideReconsideration, 14));
        // A suspension while the request is pending, so that its decision is held to the
        // resumption (the review steps of issue #10 made this path rarer).
        v.push((K::Suspend, 2));
    }
    match (&f.rg, &f.cg) {
        (None, _) => v.extend([
            (K::Rg, 12),
            (K::RequestInfo, 2),
            (K::Reroute, 1),
            (K::Allocate, 1),
            (K::Sweep, 2),
        ]),
        (Some(rg), None) if rg.outcome == Outcome::Negative => {
            if rg.awaiting_review() {
                v.push((K::Review, 12));
                v.push((K::Serve, 1));
            } else if unserved(&f.rg) {
                v.push((K::Serve, 10));
            }
            if served_negative(&f.rg) && f.pending.is_none() {
                v.extend([(K::RequestReconsideration, 12), (K::Close, 2)]);
            }
        }
        (Some(_), None) => {
            v.extend([
                (K::Cg, 12),
                (K::Disqualify, 3),
                (K::Extend, 2),
                (K::RequestInfo, 1),
                (K::Reroute, 1),
            ]);
            if unserved(&f.rg) {
                v.push((K::Serve, 2));
            }
            if f.disq.as_ref().is_some_and(Dec::awaiting_review) {
                v.push((K::Review, 6));
            }
        }
        (Some(_), Some(cg)) => {
            if f.cg_needing_review().is_some() {
                v.push((K::Review, 12));
                v.push((K::Serve, 1));
                // A suspension while the review is awaited, so that it is held to the resumption.
                v.push((K::Suspend, 3));
            } else if cg.served_on.is_none() {
                v.push((K::Serve, 12));
            }
            if served_negative(&f.cg) && f.pending.is_none() {
                v.push((K::RequestReconsideration, 12));
            }
            if cg.served_on.is_some() {
                v.push((K::Close, 3));
            }
        }
    }
    v
}

fn pick_kind(step: &Step, model: &Model) -> Kind {
    let choices: Vec<(Kind, u32)> = match model {
        Model::Referral(f) if step.guided => plausible(f),
        _ => KINDS.iter().map(|k| (*k, 1)).collect(),
    };
    let total: u32 = choices.iter().map(|c| c.1).sum();
    let mut n = u32::try_from(step.pick.index(total as usize)).unwrap_or(0);
    for (kind, weight) in &choices {
        if n < *weight {
            return *kind;
        }
        n -= weight;
    }
    Kind::Sweep
}

/// The decision a review is about: the one awaiting review (else the latest decision), or
/// (sometimes) another.
fn review_target(f: &File, other: bool) -> ReviewedDecision {
    let natural = f.awaiting_review().unwrap_or(if f.cg.is_some() {
        ReviewedDecision::ConclusiveGrounds
    } else {
        ReviewedDecision::ReasonableGrounds
    });
    match (other, natural) {
        (false, d) => d,
        (true, ReviewedDecision::ReasonableGrounds) => ReviewedDecision::ConclusiveGrounds,
        (true, ReviewedDecision::ConclusiveGrounds) => ReviewedDecision::Disqualification,
        (true, ReviewedDecision::Disqualification) => ReviewedDecision::ReasonableGrounds,
    }
}

/// An organisation other than `org`, from those the test's people belong to.
fn other_org(org: OrganisationId) -> OrganisationId {
    (0..3)
        .map(|i| OrganisationId::from_uuid(Uuid::from_u128(200 + i)))
        .find(|o| *o != org)
        .unwrap_or(org)
}

/// The decision a service or reconsideration is about: the latest one, or (sometimes) the other.
fn target_decision(f: &File, kind: Kind, other: bool) -> DecisionRef {
    let natural = match kind {
        Kind::Serve => {
            if f.rg.as_ref().is_some_and(|d| d.served_on.is_none()) && f.cg.is_none() {
                DecisionRef::ReasonableGrounds
            } else if f.cg.is_some() {
                DecisionRef::ConclusiveGrounds
            } else {
                DecisionRef::ReasonableGrounds
            }
        }
        _ => {
            if f.cg.is_some() {
                DecisionRef::ConclusiveGrounds
            } else {
                DecisionRef::ReasonableGrounds
            }
        }
    };
    match (other, natural) {
        (false, d) => d,
        (true, DecisionRef::ReasonableGrounds) => DecisionRef::ConclusiveGrounds,
        (true, DecisionRef::ConclusiveGrounds) => DecisionRef::ReasonableGrounds,
    }
}

/// The date of the case that matters for this kind of command. A review, a service and a
/// reconsideration request are anchored on the last dated step on the file if it is later and
/// `on_the_file`, else on the decision they are about.
fn anchor(f: &File, kind: Kind, decision: DecisionRef, on_the_file: bool) -> Option<NaiveDate> {
    match kind {
        Kind::Rg | Kind::Withdraw | Kind::Suspend => Some(f.last_dated_on),
        // A case standing on a served negative decision can be closed as complete once the
        // reconsideration window has ended.
        Kind::Close => f.reconsideration_window_ends().or(Some(f.last_dated_on)),
        Kind::Cg => f.cg_earliest(),
        Kind::Disqualify => f.in_recovery(),
        Kind::Extend => f.recovery_end(),
        // A review is held to the CG and to every later step on the file (a resumption, say):
        // the date is near one or the other.
        Kind::Review => f.under_review(review_target(f, false)).map(|t| {
            if on_the_file {
                t.decided_on.max(f.last_dated_on)
            } else {
                t.decided_on
            }
        }),
        // A reviewed decision is served once its review has agreed, and on or after every
        // later step on the file (a disqualification after a positive RG, say).
        Kind::Serve => f.decision(decision).map(|d| {
            let own = d.agreed_on.unwrap_or(d.decided_on);
            if on_the_file {
                own.max(f.last_dated_on)
            } else {
                own
            }
        }),
        // A request is near the end of the 30-day window, or near a step on the file later
        // than the service (an earlier request decided, a resumption).
        Kind::RequestReconsideration => f.decision(decision).and_then(|d| d.served_on).map(|s| {
            if on_the_file && f.last_dated_on > s {
                f.last_dated_on
            } else {
                s + Duration::days(30)
            }
        }),
        Kind::DecideReconsideration => f.pending.map(|p| p.1),
        Kind::Resume => f.suspended_since,
        Kind::ReceiveInfo => f.info.last().map(|i| i.requested_on),
        Kind::Submit | Kind::Reroute | Kind::Allocate | Kind::RequestInfo | Kind::Sweep => None,
    }
}

/// A date on which a rule for this kind of command changed.
fn boundary(kind: Kind, later: bool) -> Option<NaiveDate> {
    match (kind, later) {
        (Kind::Cg | Kind::Review, true) => Some(panels_end()),
        (Kind::Cg | Kind::Review, false) => Some(sca_launch()),
        (Kind::Disqualify | Kind::Rg, _) => Some(nab_act()),
        (Kind::RequestReconsideration, false) => Some(reconsideration_window_from()),
        (Kind::RequestReconsideration, true) => Some(removal_exclusion_from()),
        _ => None,
    }
}

/// The people on a panel reviewing a decision by `dm`.
fn panel(spec: PanelSpec, dm: UserId, seed: usize) -> ReviewPanel {
    let others: Vec<UserId> = (0..PEOPLE).map(user).filter(|u| *u != dm).collect();
    let who = |i: usize| others[(seed + i) % others.len()];
    let agency = |i: usize| AGENCIES[(seed + i) % AGENCIES.len()].to_owned();
    let r = |u: UserId, a: String| Reviewer { user: u, agency: a };
    let (chair, members) = match spec {
        PanelSpec::Valid { three } => {
            let mut m = vec![r(who(1), agency(0)), r(who(2), agency(1))];
            if three {
                m.push(r(who(3), agency(0)));
            }
            (r(who(0), agency(2)), m)
        }
        PanelSpec::DecisionMakerChairs => (
            r(dm, agency(2)),
            vec![r(who(1), agency(0)), r(who(2), agency(1))],
        ),
        PanelSpec::DecisionMakerSits => (
            r(who(0), agency(2)),
            vec![r(who(1), agency(0)), r(dm, agency(1))],
        ),
        PanelSpec::OneMember => (r(who(0), agency(2)), vec![r(who(1), agency(0))]),
        PanelSpec::OneAgency => (
            r(who(0), agency(2)),
            vec![r(who(1), agency(0)), r(who(2), agency(0))],
        ),
        PanelSpec::ChairAlsoMember => (
            r(who(0), agency(2)),
            vec![r(who(0), agency(0)), r(who(1), agency(1))],
        ),
        PanelSpec::SamePersonTwice => (
            r(who(0), agency(2)),
            vec![
                r(who(1), agency(0)),
                r(who(2), agency(1)),
                r(who(1), agency(1)),
            ],
        ),
        PanelSpec::NoAgency => (
            r(who(0), agency(2)),
            vec![
                r(who(1), agency(0)),
                r(who(2), agency(1)),
                r(who(3), " ".to_owned()),
            ],
        ),
        PanelSpec::OneAgencySpeltTwoWays => (
            r(who(0), agency(2)),
            vec![
                r(who(1), agency(0)),
                r(who(2), format!(" {} ", agency(0).to_uppercase())),
            ],
        ),
    };
    ReviewPanel { chair, members }
}

/// The command for a step, who gives it and the date it names (if any).
fn build(
    kind: Kind,
    step: &Step,
    spec: &SubmitSpec,
    model: &Model,
    today: NaiveDate,
) -> (Command, Actor, Option<NaiveDate>) {
    use LifecycleCommand as L;
    let p = &step.p;
    let mut actor = person(p.actor);
    let Model::Referral(f) = model else {
        return (build_submit(spec, today), actor, None);
    };
    let decision = target_decision(f, kind, p.other_decision);
    let on = match p.date {
        DateSpec::Today(o) => today + Duration::days(o),
        DateSpec::Anchor(o) => {
            anchor(f, kind, decision, o % 2 == 0).unwrap_or(today) + Duration::days(o)
        }
        DateSpec::Boundary { later, offset } => {
            boundary(kind, later).unwrap_or(today) + Duration::days(offset)
        }
    };
    let grounds = || {
        let outcome = if p.positive {
            Outcome::Positive
        } else {
            Outcome::Negative
        };
        let reason = ((outcome == Outcome::Negative) != p.reason_mismatch).then_some(p.reason);
        Decision {
            outcome,
            decided_on: on,
            reasons: REASONS,
            negative_reason: reason,
        }
    };
    let fresh = Uuid::from_u128(0x1000 + f.info.len() as u128);
    let existing = (!f.info.is_empty()).then(|| f.info[p.request.index(f.info.len())].id);
    let open = f
        .info
        .iter()
        .filter(|i| i.received_on.is_none())
        .map(|i| i.id)
        .collect::<Vec<_>>();
    let lifecycle = |c: L| Command::Lifecycle(c);
    let command = match kind {
        Kind::Submit => build_submit(spec, today),
        Kind::Rg => Command::DecideReasonableGrounds(grounds()),
        Kind::Cg => Command::DecideConclusiveGrounds(grounds()),
        Kind::Reroute => lifecycle(L::Reroute {
            to: p.authority,
            pilot_site: p.pilot.map(str::to_owned),
            reason: p.reroute,
        }),
        Kind::Allocate => lifecycle(L::Allocate { to: user(p.actor) }),
        Kind::RequestInfo => lifecycle(L::RequestInformation {
            request: if p.reuse_request {
                existing.unwrap_or(fresh)
            } else {
                fresh
            },
            from: p.source,
        }),
        Kind::ReceiveInfo => {
            let request = if p.reuse_request || open.is_empty() {
                existing.unwrap_or(fresh)
            } else {
                open[p.request.index(open.len())]
            };
            let requested = f
                .info
                .iter()
                .find(|i| i.id == request)
                .map(|i| i.requested_on);
            let received_on = match p.date {
                DateSpec::Anchor(o) => requested.unwrap_or(today) + Duration::days(o),
                _ => on,
            };
            lifecycle(L::RecordInformationReceived {
                request,
                received_on,
            })
        }
        Kind::Extend => lifecycle(L::ExtendRecoveryPeriod { until: on }),
        Kind::Disqualify => lifecycle(L::Disqualify {
            ground: p.ground,
            decided_on: on,
            reasons: REASONS,
        }),
        Kind::Review => {
            let which = review_target(f, p.other_decision);
            let target = f.under_review(which);
            let dm = target.map_or(user(0), |t| t.by);
            let kind = target.map_or(ReviewKind::SecondCaseworker, |t| t.kind);
            let panel_due = kind == ReviewKind::MultiAgencyAssurancePanel;
            let use_panel = panel_due != p.wrong_review_kind;
            if !use_panel {
                // A second caseworker: someone other than the decision maker, unless the
                // decision maker tries to review their own decision. For SCA quality assurance
                // of a pilot decision, now and then someone from the deciding organisation.
                actor = if p.self_review {
                    Actor {
                        user: dm,
                        organisation: actor.organisation,
                    }
                } else {
                    let i = (0..PEOPLE)
                        .map(|k| (p.actor + k) % PEOPLE)
                        .find(|i| user(*i) != dm)
                        .unwrap_or(0);
                    person(i)
                };
                if let Some(t) = target
                    && t.kind == ReviewKind::ScaQualityAssurance
                {
                    actor.organisation = if p.actor.is_multiple_of(4) {
                        t.org
                    } else {
                        other_org(t.org)
                    };
                }
            }
            let outcome = if p.agree {
                ReviewOutcome::Agree
            } else {
                ReviewOutcome::ReferBack
            };
            let panel = use_panel.then(|| panel(p.panel, dm, p.actor));
            let reviewer_agency = AGENCIES[p.actor % AGENCIES.len()].to_owned();
            if which == ReviewedDecision::ConclusiveGrounds && p.legal_rep {
                lifecycle(L::ReviewNegativeConclusiveGrounds {
                    outcome,
                    panel,
                    reviewer_agency,
                    reviewed_on: on,
                    reasons: REASONS,
                })
            } else {
                lifecycle(L::ReviewNegativeDecision {
                    decision: which,
                    outcome,
                    panel,
                    reviewer_agency,
                    reviewed_on: on,
                    reasons: REASONS,
                })
            }
        }
        Kind::Serve => lifecycle(L::ServeDecision {
            decision,
            served_on: on,
            legal_representative: p.legal_rep,
        }),
        Kind::RequestReconsideration => lifecycle(L::RequestReconsideration {
            decision,
            requested_on: on,
            requested_by: p.requester,
            facing_removal: p.facing_removal,
        }),
        Kind::DecideReconsideration => lifecycle(L::DecideReconsideration {
            accepted: p.accepted,
            decided_on: on,
            reasons: REASONS,
        }),
        Kind::Withdraw => lifecycle(L::Withdraw {
            on,
            reason: p.withdrawal,
        }),
        Kind::Suspend => lifecycle(L::Suspend {
            on,
            reason: p.suspension,
        }),
        Kind::Resume => lifecycle(L::Resume { on }),
        Kind::Close => {
            let natural = if f.withdrawn_on.is_some() {
                ClosureReason::Withdrawn
            } else if f.suspended_since.is_some() {
                ClosureReason::NoDecisionPossible
            } else {
                ClosureReason::ProcessComplete
            };
            lifecycle(L::Close {
                on,
                reason: p.closure.unwrap_or(natural),
            })
        }
        Kind::Sweep => lifecycle(L::SweepDeadlines),
    };
    let named = !matches!(
        kind,
        Kind::Submit | Kind::Reroute | Kind::Allocate | Kind::RequestInfo | Kind::Sweep
    );
    (command, actor, named.then_some(on))
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

/// How often each interesting thing happened, so a run that never reached a rule fails.
#[derive(Default)]
struct Coverage(RefCell<BTreeMap<String, usize>>);

impl Coverage {
    fn bump(&self, what: &str) {
        *self.0.borrow_mut().entry(what.to_owned()).or_default() += 1;
    }

    fn get(&self, what: &str) -> usize {
        self.0.borrow().get(what).copied().unwrap_or(0)
    }
}

fn count_accepted(cov: &Coverage, model: &Model, command: &Command, today: NaiveDate) {
    use LifecycleCommand as L;
    let Model::Referral(f) = model else {
        cov.bump("accepted submissions");
        return;
    };
    match command {
        Command::Panel(_) | Command::Adulthood(_) | Command::AdditionalRecovery(_) => {}
        Command::Submit(_) => {}
        Command::DecideReasonableGrounds(d) => {
            cov.bump("accepted RGs");
            if d.outcome == Outcome::Negative {
                cov.bump(
                    match review_for(
                        ReviewedDecision::ReasonableGrounds,
                        f.authority,
                        d.decided_on,
                    ) {
                        ReviewKind::None => "negative RGs needing no review (before December 2022)",
                        ReviewKind::ScaQualityAssurance => "negative RGs for SCA quality assurance",
                        _ => "negative RGs for a second caseworker",
                    },
                );
            }
            if f.rg_reopened {
                cov.bump("second RGs after an accepted reconsideration");
            }
        }
        Command::DecideConclusiveGrounds(d) => {
            cov.bump("accepted CGs");
            if d.outcome == Outcome::Negative {
                cov.bump(
                    match review_for(
                        ReviewedDecision::ConclusiveGrounds,
                        f.authority,
                        d.decided_on,
                    ) {
                        ReviewKind::None => "negative CGs needing no review (before the SCA)",
                        ReviewKind::MultiAgencyAssurancePanel => "negative CGs for a panel",
                        ReviewKind::SecondCaseworker => "negative CGs for a second caseworker",
                        ReviewKind::ScaQualityAssurance => "negative CGs for SCA quality assurance",
                    },
                );
            }
        }
        Command::Lifecycle(c) => match c {
            L::RecordAgeAssessment(_) | L::AssurePanelDecision { .. } => {}
            L::Reroute { .. } => cov.bump("reroutes"),
            L::Allocate { .. } => cov.bump("allocations"),
            L::RequestInformation { .. } => cov.bump("information requests"),
            L::RecordInformationReceived { .. } => cov.bump("information replies"),
            L::ExtendRecoveryPeriod { .. } => cov.bump("recovery extensions"),
            L::Disqualify { .. } => cov.bump("disqualifications"),
            L::ReviewNegativeConclusiveGrounds { panel, outcome, .. } => {
                cov.bump(if panel.is_some() {
                    "panel reviews"
                } else {
                    "second caseworker reviews"
                });
                if *outcome == ReviewOutcome::ReferBack {
                    cov.bump("reviews referring back");
                }
            }
            L::ReviewNegativeDecision {
                decision,
                panel,
                outcome,
                ..
            } => {
                cov.bump(match decision {
                    ReviewedDecision::ReasonableGrounds => "reviews of negative RGs",
                    ReviewedDecision::ConclusiveGrounds => "reviews of negative CGs by decision",
                    ReviewedDecision::Disqualification => "reviews of disqualifications",
                });
                if f.under_review(*decision)
                    .is_some_and(|t| t.kind == ReviewKind::ScaQualityAssurance)
                {
                    cov.bump("SCA quality assurance reviews");
                }
                if panel.is_some() {
                    cov.bump("panel reviews");
                }
                if *outcome == ReviewOutcome::ReferBack {
                    cov.bump(match decision {
                        ReviewedDecision::ReasonableGrounds => "negative RGs referred back",
                        ReviewedDecision::ConclusiveGrounds => "reviews referring back",
                        ReviewedDecision::Disqualification => "disqualifications referred back",
                    });
                }
            }
            L::ServeDecision {
                decision,
                served_on,
                ..
            } => {
                if f.decision(*decision)
                    .and_then(|d| d.agreed_on)
                    .is_some_and(|agreed| *served_on == agreed)
                {
                    cov.bump("negative CGs served on the day their review agreed");
                }
                cov.bump(match f.age_group {
                    AgeGroup::Child => "services on children's cases",
                    AgeGroup::Adult => "services on adults' cases",
                });
                if *decision == DecisionRef::ConclusiveGrounds
                    && f.cg.as_ref().is_some_and(|cg| {
                        cg.outcome == Outcome::Negative && cg.review != ReviewKind::None
                    })
                {
                    cov.bump("reviewed negative CGs served");
                }
                if *decision == DecisionRef::ReasonableGrounds
                    && f.rg.as_ref().is_some_and(|rg| {
                        rg.outcome == Outcome::Negative && rg.review != ReviewKind::None
                    })
                {
                    cov.bump("reviewed negative RGs served");
                }
            }
            L::RequestReconsideration { requested_on, .. } => {
                cov.bump(if *requested_on >= removal_exclusion_from() {
                    "reconsideration requests from 17 Sep 2025"
                } else if *requested_on >= reconsideration_window_from() {
                    "reconsideration requests in the 30-day window"
                } else {
                    "reconsideration requests with no time limit"
                });
                let served =
                    f.cg.as_ref()
                        .or(f.rg.as_ref())
                        .and_then(|d| d.served_on)
                        .unwrap_or(today);
                if reconsideration_window(*requested_on)
                    .is_some_and(|n| *requested_on == served + Duration::days(n))
                {
                    cov.bump("reconsideration requests on the window's last day");
                }
            }
            L::DecideReconsideration { accepted, .. } => {
                if *accepted {
                    cov.bump(match f.pending.map(|p| p.0) {
                        Some(DecisionRef::ReasonableGrounds) => "accepted RG reconsiderations",
                        _ => "accepted CG reconsiderations",
                    });
                } else {
                    cov.bump("refused reconsiderations");
                }
            }
            L::Withdraw { on, .. } | L::Suspend { on, .. } | L::Close { on, .. }
                if *on == f.last_dated_on && f.last_dated_on > f.referred_on =>
            {
                cov.bump("withdrawals, suspensions or closures on the day of the last step");
                count_ending(cov, f, c);
            }
            L::Withdraw { .. } | L::Suspend { .. } | L::Close { .. } => count_ending(cov, f, c),
            L::Resume { .. } => cov.bump("resumptions"),
            L::SweepDeadlines => {}
        },
    }
}

/// An accepted decision dated on the day of the last dated step, when that step is later
/// than the decision's own bound (the referral, the RG, the request): the new bound, met.
fn count_held_to_the_file(cov: &Coverage, f: &File, command: &Command) {
    use LifecycleCommand as L;
    let (on, own_bound) = match command {
        Command::DecideReasonableGrounds(d) => (d.decided_on, Some(f.referred_on)),
        Command::DecideConclusiveGrounds(d) => (d.decided_on, f.in_recovery()),
        Command::Lifecycle(L::Disqualify { decided_on, .. }) => (*decided_on, f.in_recovery()),
        Command::Lifecycle(L::DecideReconsideration { decided_on, .. }) => {
            (*decided_on, f.pending.map(|p| p.1))
        }
        _ => return,
    };
    if own_bound.is_some_and(|b| b < f.last_dated_on) && on == f.last_dated_on {
        cov.bump("decisions dated on the day of a later step on the file");
    }
}

/// An accepted review, service or reconsideration request dated on the day of the last dated
/// step, when that step is later than its own bound (the CG, the decision and its review, the
/// service): the bound the file now holds them to, met.
fn count_step_held_to_the_file(cov: &Coverage, f: &File, command: &Command) {
    use LifecycleCommand as L;
    let Command::Lifecycle(c) = command else {
        return;
    };
    let (on, own_bound, what) = match c {
        L::ReviewNegativeConclusiveGrounds { reviewed_on, .. } => (
            *reviewed_on,
            f.cg.as_ref().map(|cg| cg.decided_on),
            "reviews dated on the day of a later step on the file",
        ),
        L::ReviewNegativeDecision {
            decision,
            reviewed_on,
            ..
        } => (
            *reviewed_on,
            f.under_review(*decision).map(|t| t.decided_on),
            "reviews dated on the day of a later step on the file",
        ),
        L::ServeDecision {
            decision,
            served_on,
            ..
        } => (
            *served_on,
            f.decision(*decision)
                .map(|d| d.agreed_on.unwrap_or(d.decided_on).max(d.decided_on)),
            "services dated on the day of a later step on the file",
        ),
        L::RequestReconsideration {
            decision,
            requested_on,
            ..
        } => (
            *requested_on,
            f.decision(*decision).and_then(|d| d.served_on),
            "reconsideration requests dated on the day of a later step on the file",
        ),
        _ => return,
    };
    if own_bound.is_some_and(|b| b < f.last_dated_on) && on == f.last_dated_on {
        cov.bump(what);
    }
}

fn count_ending(cov: &Coverage, f: &File, command: &LifecycleCommand) {
    use LifecycleCommand as L;
    match command {
        L::Withdraw { .. } => cov.bump("withdrawals"),
        L::Suspend { .. } => cov.bump("suspensions"),
        L::Close { on, reason } => {
            cov.bump(match reason {
                ClosureReason::ProcessComplete => "closures: process complete",
                ClosureReason::Withdrawn => "closures: withdrawn",
                ClosureReason::NoDecisionPossible => "closures: no decision possible",
                ClosureReason::Duplicate => "closures: duplicate",
            });
            if *reason == ClosureReason::ProcessComplete
                && let Some(ends) = f.reconsideration_window_ends()
            {
                cov.bump("closures as complete after a negative decision's window");
                if *on == ends + Duration::days(1) {
                    cov.bump("closures as complete the day after the window ends");
                }
            }
        }
        _ => {}
    }
}

fn count_refused(cov: &Coverage, error: &DomainError) {
    if let DomainError::Refused { code, .. } = error {
        cov.bump(match *code {
            "case-withdrawn" => "refused: case withdrawn",
            "case-closed" => "refused: case closed",
            "case-suspended" => "refused: case suspended",
            "review-before-service" => "refused: service before review",
            "panel-required" => "refused: panel required",
            "second-caseworker-required" => "refused: second caseworker required",
            "reviewer-is-decision-maker" => "refused: reviewer is the decision maker",
            "no-review-required" => "refused: no review before the SCA",
            "reviewer-from-deciding-authority" => {
                "refused: pilot decision assured by its own authority"
            }
            "sca-quality-assurance-required" => "refused: panel for a pilot decision",
            "reconsideration-window-closed" => "refused: reconsideration window closed",
            "reconsideration-excluded" => "refused: facing removal",
            "requester-not-allowed" => "refused: requester not allowed",
            "disqualification-not-in-force" => "refused: disqualification before s63",
            "already-disqualified" => "refused: disqualified twice",
            "disqualification-needs-positive-rg" => "refused: disqualification outside recovery",
            "cannot-close" => "refused: closure reason",
            "disqualified" => "refused: extension after disqualification",
            "reconsideration-window-open" => "refused: reconsideration window open",
            _ => "refused: other rules",
        });
    } else if let DomainError::Invalid(problems) = error
        && problems.iter().any(|p| p.field == "/panel/members")
    {
        cov.bump("refused: panel quorum");
    }
}

fn run_case(case: &Case, cov: &Coverage) -> TestCaseResult {
    let rules = Rulebook::current();
    let mut now = DateTime::from_timestamp(case.start, 0).unwrap_or_default();
    let mut state = CaseState::Empty;
    let mut model = Model::Empty;
    let mut history: Vec<CaseEvent> = Vec::new();
    let first = Step {
        advance_days: 0,
        advance_seconds: 0,
        guided: true,
        pick: case.steps[0].pick,
        p: case.steps[0].p.clone(),
    };
    for (i, step) in std::iter::once(&first).chain(&case.steps).enumerate() {
        cov.bump("steps");
        now += Duration::days(step.advance_days) + Duration::seconds(step.advance_seconds);
        let mut today = uk_date(now);
        let kind = if i == 0 {
            Kind::Submit
        } else {
            pick_kind(step, &model)
        };
        let (command, actor, named) = build(kind, step, &case.submit, &model, today);
        // Sometimes the clock moves on to the date the command names.
        if step.p.catch_up
            && let Some(d) = named
            && d > today
        {
            now = noon(d) + Duration::seconds(step.advance_seconds % 3_600);
            today = uk_date(now);
        }
        let verdict = oracle(&model, &command, actor, today);
        let result = decide(&state, &command, actor, &rules, now);
        match result {
            Ok(events) => {
                if let Err(why) = verdict {
                    prop_assert!(
                        false,
                        "accepted {:?} by {:?} on {} but it breaks '{}'; case {:?}; events {:?}",
                        command,
                        actor.user,
                        today,
                        why.rule,
                        model,
                        events
                    );
                }
                check_accepted(&model, &command, actor, today, &events)?;
                count_accepted(cov, &model, &command, today);
                if !events.is_empty()
                    && matches!(
                        command,
                        Command::Lifecycle(LifecycleCommand::SweepDeadlines)
                    )
                {
                    cov.bump("sweeps with changes");
                    if events.iter().any(|e| {
                        matches!(
                            e,
                            CaseEvent::DeadlineStatusChanged {
                                status: DeadlineStatus::Overdue,
                                ..
                            }
                        )
                    }) {
                        cov.bump("overdue reports");
                    }
                }
                if let Model::Referral(f) = &model {
                    count_held_to_the_file(cov, f, &command);
                    count_step_held_to_the_file(cov, f, &command);
                }
                for event in &events {
                    check_and_apply(&mut model, event, history.len())?;
                    state = state.evolve(event);
                    history.push(event.clone());
                }
            }
            Err(error) => {
                let shown = format!("{error} {error:?}");
                prop_assert!(!shown.contains(CANARY), "personal data in an error");
                let Err(why) = verdict else {
                    prop_assert!(
                        false,
                        "refused {:?} by {:?} on {} with {:?}, but the oracle allows it; case {:?}",
                        command,
                        actor.user,
                        today,
                        error,
                        model
                    );
                    return Ok(());
                };
                prop_assert!(
                    why.want.is_empty() || why.want.iter().any(|w| w.met_by(&error)),
                    "refused {:?} on {} ({}) with {:?}, but the oracle wants one of {:?}; case {:?}",
                    command,
                    today,
                    why.rule,
                    error,
                    why.want,
                    model
                );
                cov.bump(&format!("refused for: {}", why.rule));
                if let Command::Lifecycle(
                    LifecycleCommand::Resume { .. }
                    | LifecycleCommand::RecordInformationReceived { .. },
                ) = command
                    && matches!(error.code(), "case-withdrawn" | "case-closed")
                {
                    cov.bump(
                        "refused: a resumption or information reply on a withdrawn or closed case",
                    );
                }
                count_refused(cov, &error);
            }
        }
        prop_assert_eq!(&CaseState::from_events(&history), &state, "replay differs");
        check_state(&state, &model)?;

        // The sweep, twice on the same day: the second run finds nothing to change.
        if let Model::Referral(_) = model {
            let sweep = Command::Lifecycle(LifecycleCommand::SweepDeadlines);
            let first = decide(&state, &sweep, actor, &rules, now)
                .unwrap_or_else(|e| panic!("the sweep cannot be refused: {e:?}"));
            let swept = first.iter().fold(state.clone(), |s, e| s.evolve(e));
            let second = decide(&swept, &sweep, actor, &rules, now)
                .unwrap_or_else(|e| panic!("the sweep cannot be refused: {e:?}"));
            prop_assert!(
                second.is_empty(),
                "a second sweep on {} recorded {:?}",
                today,
                second
            );
        }
    }
    cov.bump("sequences");
    Ok(())
}

// ASVS v5.0.0-2.3.1 (Security target #44)
#[test]
fn the_lifecycle_keeps_its_invariants_over_10_000_command_sequences() {
    let config = ProptestConfig {
        cases: 10_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let cov = Coverage::default();
    runner
        .run(&case(), |case| run_case(&case, &cov))
        .unwrap_or_else(|e| panic!("{e}"));

    for (what, n) in cov.0.borrow().iter() {
        println!("{what:>60}: {n}");
    }
    // The least each should reach in 10,000 sequences (well under what a run usually gets).
    let least = [
        ("sequences", 10_000),
        ("accepted RGs", 3_000),
        ("accepted CGs", 1_000),
        ("negative CGs needing no review (before the SCA)", 10),
        ("negative CGs for a panel", 100),
        ("negative CGs for a second caseworker", 100),
        ("panel reviews", 50),
        ("second caseworker reviews", 50),
        ("reviews referring back", 10),
        ("reviewed negative CGs served", 50),
        ("services on children's cases", 200),
        ("services on adults' cases", 200),
        ("reconsideration requests with no time limit", 50),
        ("reconsideration requests in the 30-day window", 50),
        ("reconsideration requests from 17 Sep 2025", 20),
        ("reconsideration requests on the window's last day", 5),
        ("accepted RG reconsiderations", 30),
        ("accepted CG reconsiderations", 10),
        ("second RGs after an accepted reconsideration", 10),
        ("disqualifications", 30),
        ("withdrawals", 100),
        ("suspensions", 100),
        ("resumptions", 50),
        ("closures: process complete", 30),
        ("closures: withdrawn", 30),
        ("closures: no decision possible", 10),
        ("recovery extensions", 20),
        ("reroutes", 20),
        ("information requests", 50),
        ("information replies", 20),
        ("sweeps with changes", 200),
        ("overdue reports", 50),
        ("refused: case withdrawn", 30),
        ("refused: case closed", 30),
        ("refused: case suspended", 30),
        ("refused: service before review", 10),
        ("refused: panel required", 5),
        ("refused: second caseworker required", 5),
        ("refused: reviewer is the decision maker", 5),
        ("refused: panel quorum", 5),
        ("refused: reconsideration window closed", 10),
        ("refused: facing removal", 5),
        ("refused: requester not allowed", 10),
        ("refused: disqualification before s63", 10),
        // The rules of the fix: the panel, service after the review, the file in date order,
        // nothing more on a withdrawn or closed case, the reconsideration window before
        // closure, and no extension after disqualification.
        ("refused for: panel: one person counted twice", 5),
        ("refused for: panel: a member with no agency", 5),
        ("refused for: panel: one agency spelt two ways", 5),
        ("refused for: served before the day its review agreed", 5),
        ("negative CGs served on the day their review agreed", 20),
        ("refused for: RG dated before the last dated step", 5),
        ("refused for: CG dated before the last dated step", 5),
        ("refused for: disqualified before the last dated step", 5),
        (
            "refused for: reconsideration decided before the last dated step",
            5,
        ),
        ("refused for: withdrawn before the last dated step", 20),
        ("refused for: suspended before the last dated step", 20),
        ("refused for: closed before the last dated step", 20),
        (
            "withdrawals, suspensions or closures on the day of the last step",
            50,
        ),
        ("decisions dated on the day of a later step on the file", 20),
        // A review, a service and a reconsideration request are held to the whole file too.
        ("refused for: reviewed before the last dated step", 10),
        ("refused for: served before the last dated step", 50),
        ("refused for: requested before the last dated step", 50),
        ("reviews dated on the day of a later step on the file", 5),
        ("services dated on the day of a later step on the file", 20),
        (
            "reconsideration requests dated on the day of a later step on the file",
            15,
        ),
        (
            "refused: a resumption or information reply on a withdrawn or closed case",
            10,
        ),
        ("refused: reconsideration window open", 20),
        (
            "closures as complete after a negative decision's window",
            10,
        ),
        ("closures as complete the day after the window ends", 3),
        ("refused: extension after disqualification", 5),
        // Issue #10: every negative decision reviewed before service since December 2022, a
        // pilot panel's by SCA quality assurance; the CG held to an extension; no "consent
        // withdrawn" on a child's case.
        ("negative RGs needing no review (before December 2022)", 10),
        ("negative RGs for a second caseworker", 20),
        ("reviews of negative RGs", 20),
        ("reviewed negative RGs served", 10),
        ("negative RGs referred back", 3),
        ("reviews of disqualifications", 5),
        ("disqualifications referred back", 2),
        ("SCA quality assurance reviews", 3),
        ("refused: pilot decision assured by its own authority", 2),
        (
            "refused for: a negative decision served before its review agreed",
            10,
        ),
        ("refused for: CG inside an extended recovery period", 3),
        (
            "refused for: a child's case withdrawn for consent withdrawn",
            3,
        ),
    ];
    for (what, n) in least {
        assert!(
            cov.get(what) >= n,
            "only {} '{what}' (want {n}): the generator no longer reaches this",
            cov.get(what)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios, as a caseworker would put them
// ---------------------------------------------------------------------------------------------

/// Caseworker A, who makes most decisions; B, a second caseworker; C, D and E sit on panels.
fn a() -> Actor {
    person(0)
}

fn b() -> Actor {
    person(1)
}

/// A case file being worked through; each command is given at noon on its own day.
#[derive(Clone)]
struct CaseFile {
    state: CaseState,
    history: Vec<CaseEvent>,
}

impl CaseFile {
    fn new() -> Self {
        Self {
            state: CaseState::Empty,
            history: Vec::new(),
        }
    }

    fn try_as(
        &mut self,
        who: Actor,
        command: &Command,
        today: NaiveDate,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let events = decide(&self.state, command, who, &Rulebook::current(), noon(today))?;
        for e in &events {
            self.state = self.state.clone().evolve(e);
        }
        self.history.extend(events.iter().cloned());
        Ok(events)
    }

    fn must_as(&mut self, who: Actor, command: &Command, today: NaiveDate) -> Vec<CaseEvent> {
        self.try_as(who, command, today)
            .unwrap_or_else(|e| panic!("expected {command:?} on {today} to be accepted: {e:?}"))
    }

    fn must(&mut self, command: &Command, today: NaiveDate) -> Vec<CaseEvent> {
        self.must_as(a(), command, today)
    }

    fn refused_as(&mut self, who: Actor, command: &Command, today: NaiveDate) -> DomainError {
        let before = self.state.clone();
        match self.try_as(who, command, today) {
            Ok(events) => panic!("expected {command:?} on {today} to be refused, got {events:?}"),
            Err(e) => {
                assert_eq!(self.state, before, "a refused command changed the case");
                e
            }
        }
    }

    fn refused(&mut self, command: &Command, today: NaiveDate) -> DomainError {
        self.refused_as(a(), command, today)
    }

    fn status(&self) -> Option<CaseStatus> {
        self.state.status()
    }

    fn referral(&self) -> &nrm_domain::case::Referral {
        match &self.state {
            CaseState::Referral(r) => r,
            other => panic!("not a referral: {other:?}"),
        }
    }
}

/// The refusal's code, and its message must mention each of `words`.
fn assert_refused(error: &DomainError, code: &str, words: &[&str]) {
    assert_eq!(error.code(), code, "{error:?}");
    let message = error.to_string();
    for w in words {
        assert!(message.contains(w), "{message:?} does not mention {w:?}");
    }
}

fn adult(today: NaiveDate, support_consent: bool) -> Command {
    build_submit(
        &SubmitSpec::Adult {
            support_consent,
            cohort: None,
        },
        today,
    )
}

fn child(today: NaiveDate, area: Option<&'static str>) -> Command {
    build_submit(
        &SubmitSpec::Child {
            age_days: 15 * 365,
            area,
            cohort: None,
        },
        today,
    )
}

fn grounds(outcome: Outcome, on: NaiveDate) -> Decision {
    Decision {
        outcome,
        decided_on: on,
        reasons: REASONS,
        negative_reason: (outcome == Outcome::Negative)
            .then_some(NegativeReason::InsufficientEvidence),
    }
}

fn rg(outcome: Outcome, on: NaiveDate) -> Command {
    Command::DecideReasonableGrounds(grounds(outcome, on))
}

fn cg(outcome: Outcome, on: NaiveDate) -> Command {
    Command::DecideConclusiveGrounds(grounds(outcome, on))
}

fn life(c: LifecycleCommand) -> Command {
    Command::Lifecycle(c)
}

fn serve(decision: DecisionRef, on: NaiveDate, legal_representative: bool) -> Command {
    life(LifecycleCommand::ServeDecision {
        decision,
        served_on: on,
        legal_representative,
    })
}

fn second_caseworker_review(outcome: ReviewOutcome, on: NaiveDate) -> Command {
    life(LifecycleCommand::ReviewNegativeConclusiveGrounds {
        outcome,
        panel: None,
        reviewer_agency: "Home Office".to_owned(),
        reviewed_on: on,
        reasons: REASONS,
    })
}

/// A second caseworker's review of a negative RG.
fn rg_review(outcome: ReviewOutcome, on: NaiveDate) -> Command {
    life(LifecycleCommand::ReviewNegativeDecision {
        decision: ReviewedDecision::ReasonableGrounds,
        outcome,
        panel: None,
        reviewer_agency: "Home Office".to_owned(),
        reviewed_on: on,
        reasons: REASONS,
    })
}

fn member(i: usize, agency: &str) -> Reviewer {
    Reviewer {
        user: user(i),
        agency: agency.to_owned(),
    }
}

fn panel_review(chair: Reviewer, members: Vec<Reviewer>, on: NaiveDate) -> Command {
    life(LifecycleCommand::ReviewNegativeConclusiveGrounds {
        outcome: ReviewOutcome::Agree,
        panel: Some(ReviewPanel { chair, members }),
        reviewer_agency: String::new(),
        reviewed_on: on,
        reasons: REASONS,
    })
}

/// Chair C (police), members D (local authority) and E (NGO).
fn good_panel(on: NaiveDate) -> Command {
    panel_review(
        member(2, "police"),
        vec![member(3, "local authority"), member(4, "ngo")],
        on,
    )
}

fn reconsider(
    decision: DecisionRef,
    on: NaiveDate,
    by: Requester,
    facing_removal: bool,
) -> Command {
    life(LifecycleCommand::RequestReconsideration {
        decision,
        requested_on: on,
        requested_by: by,
        facing_removal,
    })
}

fn decide_reconsideration(accepted: bool, on: NaiveDate) -> Command {
    life(LifecycleCommand::DecideReconsideration {
        accepted,
        decided_on: on,
        reasons: REASONS,
    })
}

fn disqualify(on: NaiveDate) -> Command {
    life(LifecycleCommand::Disqualify {
        ground: DisqualificationGround::PublicOrder,
        decided_on: on,
        reasons: REASONS,
    })
}

fn withdraw(on: NaiveDate) -> Command {
    life(LifecycleCommand::Withdraw {
        on,
        reason: WithdrawalReason::ConsentWithdrawn,
    })
}

fn suspend(on: NaiveDate) -> Command {
    life(LifecycleCommand::Suspend {
        on,
        reason: SuspensionReason::MissingPerson,
    })
}

fn resume(on: NaiveDate) -> Command {
    life(LifecycleCommand::Resume { on })
}

fn close(on: NaiveDate, reason: ClosureReason) -> Command {
    life(LifecycleCommand::Close { on, reason })
}

fn sweep() -> Command {
    life(LifecycleCommand::SweepDeadlines)
}

use DecisionRef::{ConclusiveGrounds as CG, ReasonableGrounds as RG};
use Outcome::{Negative, Positive};

/// An adult with a negative CG made by caseworker A on `cg_on` (referred 60 days before, with
/// a positive RG two days after the referral).
fn negative_cg_on(cg_on: NaiveDate) -> CaseFile {
    let referred = cg_on - Duration::days(60);
    let mut case = CaseFile::new();
    case.must(&adult(referred, true), referred);
    case.must(
        &rg(Positive, referred + Duration::days(2)),
        referred + Duration::days(2),
    );
    case.must(&cg(Negative, cg_on), cg_on);
    case
}

/// An adult with a negative RG served on `served_on`.
fn negative_rg_served_on(served_on: NaiveDate) -> CaseFile {
    let referred = served_on - Duration::days(5);
    let mut case = CaseFile::new();
    case.must(&adult(referred, true), referred);
    case.must(
        &rg(Negative, served_on - Duration::days(1)),
        served_on - Duration::days(1),
    );
    // Reviewed by a second caseworker (from December 2022) on the day it was made.
    case.must_as(
        b(),
        &rg_review(ReviewOutcome::Agree, served_on - Duration::days(1)),
        served_on - Duration::days(1),
    );
    case.must(&serve(RG, served_on, false), served_on);
    case
}

fn recorded_review(case: &CaseFile) -> Option<ReviewKind> {
    case.history.iter().find_map(|e| match e {
        CaseEvent::ConclusiveGroundsDecided(d) => d.review,
        _ => None,
    })
}

#[test]
fn a_negative_cg_decided_on_15_november_2022_must_go_to_an_assurance_panel_before_it_is_served() {
    let mut case = negative_cg_on(date(2022, 11, 15));
    assert_eq!(
        recorded_review(&case),
        Some(ReviewKind::MultiAgencyAssurancePanel)
    );

    let error = case.refused(&serve(CG, date(2022, 11, 16), false), date(2022, 11, 16));
    assert_refused(
        &error,
        "review-before-service",
        &["2022-11-15", "assurance panel"],
    );

    // The panel is chosen by the CG date: a review in January 2023, after the panels ended,
    // is still a panel review, and a second caseworker review is refused.
    let review_day = date(2023, 1, 5);
    let error = case.refused_as(
        b(),
        &second_caseworker_review(ReviewOutcome::Agree, review_day),
        review_day,
    );
    assert_refused(&error, "panel-required", &["multi-agency assurance panel"]);

    // Quorum: a chair and two members from two agencies, none of them the decision maker.
    let error = case.refused(
        &panel_review(
            member(2, "police"),
            vec![member(0, "home office"), member(4, "ngo")],
            review_day,
        ),
        review_day,
    );
    assert_refused(&error, "reviewer-is-decision-maker", &[]);
    let error = case.refused(
        &panel_review(
            member(0, "home office"),
            vec![member(3, "police"), member(4, "ngo")],
            review_day,
        ),
        review_day,
    );
    assert_refused(&error, "reviewer-is-decision-maker", &[]);
    let error = case.refused(
        &panel_review(member(2, "police"), vec![member(3, "ngo")], review_day),
        review_day,
    );
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    let error = case.refused(
        &panel_review(
            member(2, "police"),
            vec![member(3, "ngo"), member(4, "ngo")],
            review_day,
        ),
        review_day,
    );
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");

    let events = case.must(&good_panel(review_day), review_day);
    let [
        CaseEvent::NegativeConclusiveGroundsReviewed {
            kind,
            chair,
            reviewers,
            ..
        },
    ] = &events[..]
    else {
        panic!("{events:?}");
    };
    assert_eq!(*kind, ReviewKind::MultiAgencyAssurancePanel);
    assert_eq!(chair.as_ref().map(|c| c.user), Some(user(2)));
    assert_eq!(reviewers.len(), 2);
    case.must(&serve(CG, date(2023, 1, 6), false), date(2023, 1, 6));
}

// Security target #7
#[test]
fn a_negative_cg_decided_on_10_january_2023_is_reviewed_by_a_second_caseworker_not_by_its_maker() {
    let mut case = negative_cg_on(date(2023, 1, 10));
    assert_eq!(recorded_review(&case), Some(ReviewKind::SecondCaseworker));
    let day = date(2023, 1, 12);

    let error = case.refused(&serve(CG, day, false), day);
    assert_refused(&error, "review-before-service", &["second caseworker"]);
    // Caseworker A made the decision and cannot review it.
    let error = case.refused_as(
        a(),
        &second_caseworker_review(ReviewOutcome::Agree, day),
        day,
    );
    assert_refused(&error, "reviewer-is-decision-maker", &[]);
    // The panels had ended.
    let error = case.refused_as(b(), &good_panel(day), day);
    assert_refused(&error, "second-caseworker-required", &["2023-01-10"]);

    let events = case.must_as(
        b(),
        &second_caseworker_review(ReviewOutcome::Agree, day),
        day,
    );
    let [
        CaseEvent::NegativeConclusiveGroundsReviewed {
            kind,
            chair,
            reviewers,
            ..
        },
    ] = &events[..]
    else {
        panic!("{events:?}");
    };
    assert_eq!(*kind, ReviewKind::SecondCaseworker);
    assert_eq!(*chair, None);
    assert_eq!(
        reviewers.iter().map(|r| r.user).collect::<Vec<_>>(),
        vec![b().user]
    );
    case.must(&serve(CG, day, false), day);
}

#[test]
fn the_review_follows_the_cg_date_a_panel_to_30_november_2022_a_second_caseworker_from_1_december()
{
    let mut case = negative_cg_on(date(2022, 11, 30));
    assert_eq!(
        recorded_review(&case),
        Some(ReviewKind::MultiAgencyAssurancePanel)
    );
    case.must(&good_panel(date(2022, 12, 5)), date(2022, 12, 5));

    let mut case = negative_cg_on(date(2022, 12, 1));
    assert_eq!(recorded_review(&case), Some(ReviewKind::SecondCaseworker));
    let error = case.refused(&good_panel(date(2022, 12, 5)), date(2022, 12, 5));
    assert_refused(&error, "second-caseworker-required", &[]);
}

#[test]
fn a_negative_cg_decided_on_10_april_2019_before_the_sca_needs_no_review_and_is_served_at_once() {
    let mut case = negative_cg_on(date(2019, 4, 10));
    assert_eq!(recorded_review(&case), Some(ReviewKind::None));
    let error = case.refused_as(
        b(),
        &second_caseworker_review(ReviewOutcome::Agree, date(2019, 4, 11)),
        date(2019, 4, 11),
    );
    assert_refused(&error, "no-review-required", &[]);
    case.must(&serve(CG, date(2019, 4, 11), false), date(2019, 4, 11));
}

#[test]
fn a_negative_cg_referred_back_by_its_review_returns_the_case_to_await_a_new_cg() {
    let mut case = negative_cg_on(date(2024, 3, 1));
    case.must_as(
        b(),
        &second_caseworker_review(ReviewOutcome::ReferBack, date(2024, 3, 4)),
        date(2024, 3, 4),
    );
    assert_eq!(case.status(), Some(CaseStatus::AwaitingConclusiveGrounds));
    let error = case.refused(&serve(CG, date(2024, 3, 5), false), date(2024, 3, 5));
    assert_refused(&error, "no-decision-to-serve", &[]);
    case.must(&cg(Positive, date(2024, 3, 20)), date(2024, 3, 20));
    case.must(&serve(CG, date(2024, 3, 21), false), date(2024, 3, 21));
}

#[test]
fn a_negative_rg_served_on_1_march_2024_can_have_reconsideration_requested_until_31_march_not_1_april()
 {
    let served = negative_rg_served_on(date(2024, 3, 1));

    let mut late = served.clone();
    let error = late.refused(
        &reconsider(RG, date(2024, 4, 1), Requester::PotentialVictim, false),
        date(2024, 4, 1),
    );
    assert_refused(
        &error,
        "reconsideration-window-closed",
        &["2024-03-31", "30 calendar days"],
    );

    let mut in_time = served;
    let events = in_time.must(
        &reconsider(RG, date(2024, 3, 31), Requester::PotentialVictim, false),
        date(2024, 3, 31),
    );
    assert!(
        matches!(
            &events[..],
            [CaseEvent::ReconsiderationRequested { window_ends_on: Some(d), .. }] if *d == date(2024, 3, 31)
        ),
        "{events:?}"
    );
}

#[test]
fn before_22_february_2024_reconsideration_had_no_time_limit_but_only_the_first_responder_or_support_provider_could_ask()
 {
    let served = negative_rg_served_on(date(2023, 6, 1));

    let mut case = served.clone();
    let error = case.refused(
        &reconsider(RG, date(2024, 2, 21), Requester::PotentialVictim, false),
        date(2024, 2, 21),
    );
    assert_refused(&error, "requester-not-allowed", &[]);
    let events = case.must(
        &reconsider(RG, date(2024, 2, 21), Requester::FirstResponder, false),
        date(2024, 2, 21),
    );
    assert!(
        matches!(
            &events[..],
            [CaseEvent::ReconsiderationRequested {
                window_ends_on: None,
                ..
            }]
        ),
        "{events:?}"
    );

    // From 22 February 2024 the 30 days from service apply, whenever the decision was served.
    let mut case = served;
    let error = case.refused(
        &reconsider(RG, date(2024, 2, 22), Requester::FirstResponder, false),
        date(2024, 2, 22),
    );
    assert_refused(&error, "reconsideration-window-closed", &[]);
}

#[test]
fn from_17_september_2025_a_person_facing_removal_cannot_request_reconsideration() {
    let served = negative_rg_served_on(date(2025, 9, 1));

    let mut case = served.clone();
    case.must(
        &reconsider(RG, date(2025, 9, 16), Requester::LegalRepresentative, true),
        date(2025, 9, 16),
    );

    let mut case = served;
    let error = case.refused(
        &reconsider(RG, date(2025, 9, 17), Requester::LegalRepresentative, true),
        date(2025, 9, 17),
    );
    assert_refused(&error, "reconsideration-excluded", &["17 September 2025"]);
    case.must(
        &reconsider(RG, date(2025, 9, 17), Requester::LegalRepresentative, false),
        date(2025, 9, 17),
    );
}

#[test]
fn a_positive_or_unserved_decision_cannot_be_reconsidered() {
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&rg(Negative, date(2024, 5, 3)), date(2024, 5, 3));
    case.must_as(
        b(),
        &rg_review(ReviewOutcome::Agree, date(2024, 5, 3)),
        date(2024, 5, 3),
    );
    let error = case.refused(
        &reconsider(RG, date(2024, 5, 4), Requester::FirstResponder, false),
        date(2024, 5, 4),
    );
    assert_refused(&error, "reconsider-after-service", &[]);

    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&rg(Positive, date(2024, 5, 3)), date(2024, 5, 3));
    case.must(&serve(RG, date(2024, 5, 3), false), date(2024, 5, 3));
    let error = case.refused(
        &reconsider(RG, date(2024, 5, 4), Requester::FirstResponder, false),
        date(2024, 5, 4),
    );
    assert_refused(&error, "reconsider-negative-only", &[]);
}

#[test]
fn an_accepted_reconsideration_of_a_negative_rg_lets_a_second_rg_be_made() {
    let mut case = negative_rg_served_on(date(2024, 6, 3));
    case.must(
        &reconsider(RG, date(2024, 6, 10), Requester::SupportProvider, false),
        date(2024, 6, 10),
    );
    // Only one request at a time.
    let error = case.refused(
        &reconsider(RG, date(2024, 6, 11), Requester::FirstResponder, false),
        date(2024, 6, 11),
    );
    assert_refused(&error, "reconsideration-pending", &[]);
    let events = case.must(
        &decide_reconsideration(true, date(2024, 6, 14)),
        date(2024, 6, 14),
    );
    // Five working days from Friday 14 June 2024.
    assert!(
        matches!(
            &events[..],
            [CaseEvent::ReconsiderationDecided { accepted: true, reasonable_grounds_due_on: Some(d), .. }]
                if *d == date(2024, 6, 21)
        ),
        "{events:?}"
    );
    assert_eq!(case.status(), Some(CaseStatus::AwaitingReasonableGrounds));
    assert_eq!(case.referral().reasonable_grounds_due_on, date(2024, 6, 21));
    case.must(&rg(Positive, date(2024, 6, 17)), date(2024, 6, 17));
    assert_eq!(case.status(), Some(CaseStatus::AwaitingConclusiveGrounds));
}

#[test]
fn an_accepted_reconsideration_of_a_negative_cg_returns_the_case_to_await_its_cg() {
    let mut case = negative_cg_on(date(2024, 9, 2));
    case.must_as(
        b(),
        &second_caseworker_review(ReviewOutcome::Agree, date(2024, 9, 3)),
        date(2024, 9, 3),
    );
    case.must(&serve(CG, date(2024, 9, 4), true), date(2024, 9, 4));
    case.must(
        &reconsider(CG, date(2024, 9, 20), Requester::LegalRepresentative, false),
        date(2024, 9, 20),
    );
    let refused = case.clone().must(
        &decide_reconsideration(false, date(2024, 10, 1)),
        date(2024, 10, 1),
    );
    assert_eq!(refused.len(), 1);
    case.must(
        &decide_reconsideration(true, date(2024, 10, 1)),
        date(2024, 10, 1),
    );
    assert_eq!(case.status(), Some(CaseStatus::AwaitingConclusiveGrounds));
    case.must(&cg(Positive, date(2024, 10, 15)), date(2024, 10, 15));
}

#[test]
fn a_disqualification_on_20_january_2023_is_refused_as_s63_is_not_in_force_and_on_1_february_2023_accepted()
 {
    let mut case = CaseFile::new();
    case.must(&adult(date(2023, 1, 9), true), date(2023, 1, 9));
    // Before the positive RG there is nothing to disqualify from.
    let error = case.refused(&disqualify(date(2023, 1, 10)), date(2023, 1, 10));
    assert_refused(&error, "disqualification-needs-positive-rg", &["s63"]);
    case.must(&rg(Positive, date(2023, 1, 10)), date(2023, 1, 10));

    let error = case.refused(&disqualify(date(2023, 1, 20)), date(2023, 1, 20));
    assert_refused(&error, "disqualification-not-in-force", &["2023-01-20"]);
    // Recorded later, a decision dated before s63 is still refused.
    let error = case.refused(&disqualify(date(2023, 1, 29)), date(2023, 2, 1));
    assert_refused(&error, "disqualification-not-in-force", &[]);

    let events = case.must(&disqualify(date(2023, 2, 1)), date(2023, 2, 1));
    assert!(
        matches!(&events[..], [CaseEvent::Disqualified { rule, .. }] if rule.contains("s63")),
        "{events:?}"
    );
    let error = case.refused(&disqualify(date(2023, 2, 2)), date(2023, 2, 2));
    assert_refused(&error, "already-disqualified", &[]);

    // After the CG, disqualification is no longer possible.
    let mut case = CaseFile::new();
    case.must(&adult(date(2023, 2, 1), true), date(2023, 2, 1));
    case.must(&rg(Positive, date(2023, 2, 2)), date(2023, 2, 2));
    case.must(&cg(Positive, date(2023, 3, 6)), date(2023, 3, 6));
    let error = case.refused(&disqualify(date(2023, 3, 7)), date(2023, 3, 7));
    assert_refused(&error, "disqualification-needs-positive-rg", &[]);
}

fn served_recipients(events: &[CaseEvent]) -> BTreeSet<Recipient> {
    match events {
        [CaseEvent::DecisionServed { recipients, .. }] => recipients.iter().copied().collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_childs_decision_notice_goes_to_the_local_authority_never_the_child() {
    let mut case = CaseFile::new();
    case.must(&child(date(2024, 7, 1), None), date(2024, 7, 1));
    case.must(&rg(Negative, date(2024, 7, 3)), date(2024, 7, 3));
    case.must_as(
        b(),
        &rg_review(ReviewOutcome::Agree, date(2024, 7, 3)),
        date(2024, 7, 3),
    );
    let events = case.must(&serve(RG, date(2024, 7, 4), true), date(2024, 7, 4));
    assert_eq!(
        served_recipients(&events),
        BTreeSet::from([
            Recipient::LocalAuthority,
            Recipient::LegalRepresentative,
            Recipient::FirstResponder
        ])
    );

    // An adult is told themselves, and their support provider when they consented to support.
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 7, 1), true), date(2024, 7, 1));
    case.must(&rg(Positive, date(2024, 7, 3)), date(2024, 7, 3));
    let events = case.must(&serve(RG, date(2024, 7, 4), false), date(2024, 7, 4));
    assert_eq!(
        served_recipients(&events),
        BTreeSet::from([
            Recipient::PotentialVictim,
            Recipient::FirstResponder,
            Recipient::SupportProvider
        ])
    );
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 7, 1), false), date(2024, 7, 1));
    case.must(&rg(Positive, date(2024, 7, 3)), date(2024, 7, 3));
    let events = case.must(&serve(RG, date(2024, 7, 4), false), date(2024, 7, 4));
    assert_eq!(
        served_recipients(&events),
        BTreeSet::from([Recipient::PotentialVictim, Recipient::FirstResponder])
    );
}

#[test]
fn a_decision_on_a_withdrawn_case_is_refused_with_a_message_naming_the_withdrawal() {
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&withdraw(date(2024, 5, 3)), date(2024, 5, 3));
    assert_eq!(case.status(), Some(CaseStatus::Withdrawn));

    let error = case.refused(&rg(Positive, date(2024, 5, 6)), date(2024, 5, 6));
    assert_refused(&error, "case-withdrawn", &["withdrawn on 2024-05-03"]);
    for command in [
        withdraw(date(2024, 5, 6)),
        suspend(date(2024, 5, 6)),
        sweep(),
    ] {
        let before = case.history.len();
        match case.try_as(a(), &command, date(2024, 5, 6)) {
            Ok(events) => assert!(events.is_empty(), "{command:?} recorded {events:?}"),
            Err(e) => assert_refused(&e, "case-withdrawn", &["2024-05-03"]),
        }
        assert_eq!(case.history.len(), before);
    }
    // A withdrawn case can only be closed, and once closed nothing more happens to it.
    let error = case.refused(
        &close(date(2024, 5, 7), ClosureReason::ProcessComplete),
        date(2024, 5, 7),
    );
    assert_refused(&error, "cannot-close", &[]);
    case.must(
        &close(date(2024, 5, 7), ClosureReason::Withdrawn),
        date(2024, 5, 7),
    );
    let error = case.refused(&rg(Positive, date(2024, 5, 8)), date(2024, 5, 8));
    assert_refused(&error, "case-closed", &["closed on 2024-05-07"]);
    let error = case.refused(
        &close(date(2024, 5, 8), ClosureReason::Duplicate),
        date(2024, 5, 8),
    );
    assert_refused(&error, "case-closed", &[]);
}

#[test]
fn a_suspended_case_takes_no_decision_until_it_is_resumed() {
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    let error = case.refused(
        &close(date(2024, 5, 2), ClosureReason::NoDecisionPossible),
        date(2024, 5, 2),
    );
    assert_refused(&error, "cannot-close", &["suspended"]);
    case.must(&suspend(date(2024, 5, 3)), date(2024, 5, 3));
    let error = case.refused(&rg(Positive, date(2024, 5, 6)), date(2024, 5, 6));
    assert_refused(&error, "case-suspended", &["since 2024-05-03", "missing"]);
    let error = case.refused(&suspend(date(2024, 5, 6)), date(2024, 5, 6));
    assert_refused(&error, "already-suspended", &[]);
    let error = case.refused(&resume(date(2024, 5, 2)), date(2024, 5, 6));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    case.must(&resume(date(2024, 6, 1)), date(2024, 6, 1));
    let error = case.refused(&resume(date(2024, 6, 2)), date(2024, 6, 2));
    assert_refused(&error, "not-suspended", &[]);
    case.must(&rg(Positive, date(2024, 6, 3)), date(2024, 6, 3));
}

#[test]
fn a_case_is_closed_as_complete_only_once_its_final_decision_is_served_and_no_reconsideration_is_pending()
 {
    let mut case = negative_rg_served_on(date(2024, 8, 1));
    case.must(
        &reconsider(RG, date(2024, 8, 5), Requester::FirstResponder, false),
        date(2024, 8, 5),
    );
    // Inside the reconsideration window (to 31 August) the open window is the reason given.
    let error = case.refused(
        &close(date(2024, 8, 6), ClosureReason::ProcessComplete),
        date(2024, 8, 6),
    );
    assert_refused(&error, "reconsideration-window-open", &["2024-08-31"]);
    // After it, the request still pending keeps the case open.
    let error = case.refused(
        &close(date(2024, 9, 2), ClosureReason::ProcessComplete),
        date(2024, 9, 2),
    );
    assert_refused(&error, "cannot-close", &["reconsideration is pending"]);
    case.must(
        &decide_reconsideration(false, date(2024, 9, 3)),
        date(2024, 9, 3),
    );
    case.must(
        &close(date(2024, 9, 10), ClosureReason::ProcessComplete),
        date(2024, 9, 10),
    );

    // A positive RG is not a final decision.
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 8, 1), true), date(2024, 8, 1));
    case.must(&rg(Positive, date(2024, 8, 2)), date(2024, 8, 2));
    case.must(&serve(RG, date(2024, 8, 2), false), date(2024, 8, 2));
    let error = case.refused(
        &close(date(2024, 8, 6), ClosureReason::ProcessComplete),
        date(2024, 8, 6),
    );
    assert_refused(&error, "cannot-close", &[]);
}

fn deadline_changes(events: &[CaseEvent]) -> Vec<(Deadline, DeadlineStatus)> {
    events
        .iter()
        .map(|e| match e {
            CaseEvent::DeadlineStatusChanged {
                deadline, status, ..
            } => (*deadline, *status),
            other => panic!("the sweep recorded {other:?}"),
        })
        .collect()
}

#[test]
fn the_sweep_reports_each_change_once_and_no_overdue_rg_once_the_rg_is_made() {
    // Referred Monday 3 November 2025: the RG is due Monday 10 November.
    let mut case = CaseFile::new();
    case.must(&adult(date(2025, 11, 3), true), date(2025, 11, 3));
    assert_eq!(
        case.referral().reasonable_grounds_due_on,
        date(2025, 11, 10)
    );
    assert!(
        case.must(&sweep(), date(2025, 11, 4)).is_empty(),
        "on track on 4 November"
    );
    let due_soon = case.must(&sweep(), date(2025, 11, 6));
    assert_eq!(
        deadline_changes(&due_soon),
        vec![(Deadline::ReasonableGrounds, DeadlineStatus::DueSoon)]
    );
    assert!(
        case.must(&sweep(), date(2025, 11, 6)).is_empty(),
        "the second sweep of the day"
    );
    assert!(
        case.must(&sweep(), date(2025, 11, 10)).is_empty(),
        "still due soon on the day"
    );
    let overdue = case.must(&sweep(), date(2025, 11, 11));
    assert_eq!(
        deadline_changes(&overdue),
        vec![(Deadline::ReasonableGrounds, DeadlineStatus::Overdue)]
    );
    assert!(case.must(&sweep(), date(2025, 11, 11)).is_empty());
    case.must(&rg(Negative, date(2025, 11, 12)), date(2025, 11, 12));
    assert!(
        case.must(&sweep(), date(2025, 11, 20)).is_empty(),
        "no deadline once decided"
    );
}

#[test]
fn a_case_can_move_to_the_ieca_from_8_november_2021_and_a_child_to_a_pilot_panel_from_june_2021() {
    let to = |to, pilot_site: Option<&str>| {
        life(LifecycleCommand::Reroute {
            to,
            pilot_site: pilot_site.map(str::to_owned),
            reason: RerouteReason::DetentionStarted,
        })
    };
    let mut case = CaseFile::new();
    case.must(&adult(date(2021, 11, 1), true), date(2021, 11, 1));
    let error = case.refused(&to(CompetentAuthority::Ieca, None), date(2021, 11, 7));
    assert_refused(&error, "authority-not-in-force", &[]);
    case.must(&to(CompetentAuthority::Ieca, None), date(2021, 11, 8));
    let error = case.refused(
        &to(CompetentAuthority::LocalAuthorityPanel, Some("hull")),
        date(2021, 11, 9),
    );
    assert_refused(&error, "pilot-is-for-children", &[]);

    let mut case = CaseFile::new();
    case.must(&child(date(2021, 5, 28), Some("hull")), date(2021, 5, 28));
    assert_eq!(
        case.referral().competent_authority,
        CompetentAuthority::Sca,
        "before the pilot"
    );
    let error = case.refused(
        &to(CompetentAuthority::LocalAuthorityPanel, Some("hull")),
        date(2021, 5, 31),
    );
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    case.must(
        &to(CompetentAuthority::LocalAuthorityPanel, Some("hull")),
        date(2021, 6, 1),
    );
    assert_eq!(case.referral().pilot_site.as_deref(), Some("hull"));

    let mut case = CaseFile::new();
    case.must(&child(date(2024, 1, 8), Some("hull")), date(2024, 1, 8));
    assert_eq!(
        case.referral().competent_authority,
        CompetentAuthority::LocalAuthorityPanel
    );
}

/// The command was refused as invalid, with a problem at `pointer` whose message names each of
/// `words`.
fn assert_invalid(error: &DomainError, pointer: &str, words: &[&str]) {
    let DomainError::Invalid(problems) = error else {
        panic!("expected a problem at {pointer}, got {error:?}");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.field == pointer && words.iter().all(|w| p.message.contains(w))),
        "{problems:?} has no problem at {pointer} naming {words:?}"
    );
}

fn request_information(id: Uuid) -> Command {
    life(LifecycleCommand::RequestInformation {
        request: id,
        from: InformationSource::Police,
    })
}

fn information_received(id: Uuid, on: NaiveDate) -> Command {
    life(LifecycleCommand::RecordInformationReceived {
        request: id,
        received_on: on,
    })
}

fn extend(until: NaiveDate) -> Command {
    life(LifecycleCommand::ExtendRecoveryPeriod { until })
}

#[test]
fn a_panel_needs_two_different_people_from_two_agencies_however_the_agencies_are_written() {
    let day = date(2021, 3, 3);
    // D (NGO), E (local authority) and D again: D is counted once.
    let error = negative_cg_on(date(2021, 3, 1)).refused(
        &panel_review(
            member(2, "police"),
            vec![
                member(3, "ngo"),
                member(4, "local authority"),
                member(3, "local authority"),
            ],
            day,
        ),
        day,
    );
    assert_invalid(&error, "/panel/members", &["counted once"]);
    // A member with no agency.
    let error = negative_cg_on(date(2021, 3, 1)).refused(
        &panel_review(
            member(2, "police"),
            vec![member(3, "ngo"), member(4, "health"), member(5, "  ")],
            day,
        ),
        day,
    );
    assert_invalid(&error, "/panel/members", &["Give each member's agency"]);
    // "NGO" and " ngo " are one agency.
    let error = negative_cg_on(date(2021, 3, 1)).refused(
        &panel_review(
            member(2, "police"),
            vec![member(3, "NGO"), member(4, " ngo ")],
            day,
        ),
        day,
    );
    assert_invalid(
        &error,
        "/panel/members",
        &["at least two members from different agencies"],
    );
    // Written any way, two agencies are two agencies.
    let mut case = negative_cg_on(date(2021, 3, 1));
    let events = case.must(
        &panel_review(
            member(2, "police"),
            vec![member(3, "Police "), member(4, "ngo")],
            day,
        ),
        day,
    );
    let [CaseEvent::NegativeConclusiveGroundsReviewed { reviewers, .. }] = &events[..] else {
        panic!("{events:?}");
    };
    assert_eq!(reviewers.len(), 2);
}

#[test]
fn a_negative_cg_agreed_by_its_reviewer_on_10_march_2024_can_be_served_from_10_march_not_9_march() {
    let mut case = negative_cg_on(date(2024, 3, 1));
    case.must_as(
        b(),
        &second_caseworker_review(ReviewOutcome::Agree, date(2024, 3, 10)),
        date(2024, 3, 10),
    );
    assert_eq!(
        case.referral()
            .conclusive_grounds
            .and_then(|cg| cg.reviewed_on),
        Some(date(2024, 3, 10))
    );
    let error = case.refused(&serve(CG, date(2024, 3, 9), false), date(2024, 3, 11));
    assert_invalid(&error, "/served_on", &["on or after", "(2024-03-10)"]);
    case.must(&serve(CG, date(2024, 3, 10), false), date(2024, 3, 11));
}

#[test]
fn after_a_suspension_from_20_may_to_1_june_2024_nothing_can_be_dated_before_1_june() {
    // Adult referred 1 May 2024, positive RG 10 May, suspended 20 May, resumed 1 June.
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&rg(Positive, date(2024, 5, 10)), date(2024, 5, 10));
    assert_eq!(case.referral().last_dated_on, date(2024, 5, 10));
    case.must(&suspend(date(2024, 5, 20)), date(2024, 5, 20));
    case.must(&resume(date(2024, 6, 1)), date(2024, 6, 1));
    assert_eq!(case.referral().last_dated_on, date(2024, 6, 1));
    let today = date(2024, 6, 12);
    for (early, on_the_day, pointer) in [
        (
            withdraw(date(2024, 5, 25)),
            withdraw(date(2024, 6, 1)),
            "/on",
        ),
        (suspend(date(2024, 5, 25)), suspend(date(2024, 6, 1)), "/on"),
        (
            close(date(2024, 5, 25), ClosureReason::Duplicate),
            close(date(2024, 6, 1), ClosureReason::Duplicate),
            "/on",
        ),
        (
            disqualify(date(2024, 5, 25)),
            disqualify(date(2024, 6, 1)),
            "/decided_on",
        ),
    ] {
        let mut copy = case.clone();
        let error = copy.refused(&early, today);
        assert_invalid(&error, pointer, &["on or after", "(2024-06-01)"]);
        copy.must(&on_the_day, today);
    }
    // The minimum recovery period ended on 9 June, but the CG cannot be dated before a later
    // suspension's end either: suspended 10 June, resumed 20 June.
    case.must(&suspend(date(2024, 6, 10)), date(2024, 6, 10));
    case.must(&resume(date(2024, 6, 20)), date(2024, 6, 20));
    let error = case.refused(&cg(Positive, date(2024, 6, 15)), date(2024, 6, 21));
    assert_invalid(&error, "/decided_on", &["on or after", "(2024-06-20)"]);
    case.must(&cg(Positive, date(2024, 6, 20)), date(2024, 6, 21));
}

#[test]
fn a_reconsideration_requested_on_10_june_2024_and_resumed_after_a_suspension_on_20_june_is_decided_from_20_june()
 {
    let mut case = negative_rg_served_on(date(2024, 6, 3));
    case.must(
        &reconsider(RG, date(2024, 6, 10), Requester::SupportProvider, false),
        date(2024, 6, 10),
    );
    case.must(&suspend(date(2024, 6, 12)), date(2024, 6, 12));
    case.must(&resume(date(2024, 6, 20)), date(2024, 6, 20));
    let error = case.refused(
        &decide_reconsideration(true, date(2024, 6, 15)),
        date(2024, 6, 21),
    );
    assert_invalid(&error, "/decided_on", &["on or after", "(2024-06-20)"]);
    case.must(
        &decide_reconsideration(true, date(2024, 6, 20)),
        date(2024, 6, 21),
    );
    // The new RG is dated from the accepted reconsideration, not the referral.
    let error = case.refused(&rg(Positive, date(2024, 6, 19)), date(2024, 6, 24));
    assert_invalid(&error, "/decided_on", &["on or after", "(2024-06-20)"]);
    case.must(&rg(Positive, date(2024, 6, 24)), date(2024, 6, 24));
}

#[test]
fn a_case_withdrawn_or_closed_while_suspended_cannot_be_resumed() {
    // Suspended on 3 May 2024 (missing), withdrawn on 10 May while still suspended.
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&suspend(date(2024, 5, 3)), date(2024, 5, 3));
    case.must(&withdraw(date(2024, 5, 10)), date(2024, 5, 10));
    let error = case.refused(&resume(date(2024, 6, 1)), date(2024, 6, 1));
    assert_refused(&error, "case-withdrawn", &["withdrawn on 2024-05-10"]);
    case.must(
        &close(date(2024, 6, 2), ClosureReason::Withdrawn),
        date(2024, 6, 2),
    );
    let error = case.refused(&resume(date(2024, 6, 3)), date(2024, 6, 3));
    assert_refused(&error, "case-closed", &["closed on 2024-06-02"]);
    assert_eq!(case.status(), Some(CaseStatus::Closed));

    // A closed case that was never suspended is refused as closed, not as "not suspended".
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(
        &close(date(2024, 5, 2), ClosureReason::Duplicate),
        date(2024, 5, 2),
    );
    let error = case.refused(&resume(date(2024, 5, 3)), date(2024, 5, 3));
    assert_refused(&error, "case-closed", &["2024-05-02"]);
}

#[test]
fn a_reply_to_a_request_for_information_is_recorded_on_a_suspended_case_but_not_a_withdrawn_or_closed_one()
 {
    // The police are asked on 2 May 2024 and reply on 4 May.
    let id = Uuid::from_u128(77);
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&request_information(id), date(2024, 5, 2));

    let mut suspended = case.clone();
    suspended.must(&suspend(date(2024, 5, 3)), date(2024, 5, 3));
    suspended.must(
        &information_received(id, date(2024, 5, 4)),
        date(2024, 5, 4),
    );

    let mut withdrawn = case.clone();
    withdrawn.must(&withdraw(date(2024, 5, 3)), date(2024, 5, 3));
    let error = withdrawn.refused(
        &information_received(id, date(2024, 5, 4)),
        date(2024, 5, 4),
    );
    assert_refused(&error, "case-withdrawn", &["2024-05-03"]);
    // A request that does not exist is refused the same way: the case comes first.
    let error = withdrawn.refused(
        &information_received(Uuid::from_u128(78), date(2024, 5, 4)),
        date(2024, 5, 4),
    );
    assert_refused(&error, "case-withdrawn", &["2024-05-03"]);

    let mut closed = case;
    closed.must(
        &close(date(2024, 5, 3), ClosureReason::Duplicate),
        date(2024, 5, 3),
    );
    let error = closed.refused(
        &information_received(id, date(2024, 5, 4)),
        date(2024, 5, 4),
    );
    assert_refused(&error, "case-closed", &["2024-05-03"]);
}

#[test]
fn a_negative_decision_served_on_1_march_2024_is_closed_as_complete_from_1_april_once_its_window_has_ended()
 {
    use ClosureReason::{Duplicate, ProcessComplete};
    let served = negative_rg_served_on(date(2024, 3, 1));

    // The window's last day is 31 March: the case is not complete until after it.
    let mut case = served.clone();
    let error = case.refused(
        &close(date(2024, 3, 31), ProcessComplete),
        date(2024, 3, 31),
    );
    assert_refused(
        &error,
        "reconsideration-window-open",
        &["reconsideration window", "2024-03-31"],
    );
    // Recorded after the window but dated inside it: still refused.
    let error = case.refused(
        &close(date(2024, 3, 15), ProcessComplete),
        date(2024, 4, 10),
    );
    assert_refused(&error, "reconsideration-window-open", &["2024-03-31"]);
    case.must(&close(date(2024, 4, 1), ProcessComplete), date(2024, 4, 1));

    // A duplicate is closed at once.
    let mut case = served.clone();
    case.must(&close(date(2024, 3, 2), Duplicate), date(2024, 3, 2));

    // A refused reconsideration does not end the window early: another can still be asked.
    let mut case = served;
    case.must(
        &reconsider(RG, date(2024, 3, 5), Requester::FirstResponder, false),
        date(2024, 3, 5),
    );
    case.must(
        &decide_reconsideration(false, date(2024, 3, 10)),
        date(2024, 3, 10),
    );
    let error = case.refused(
        &close(date(2024, 3, 20), ProcessComplete),
        date(2024, 3, 20),
    );
    assert_refused(&error, "reconsideration-window-open", &["2024-03-31"]);
    case.must(&close(date(2024, 4, 1), ProcessComplete), date(2024, 4, 1));

    // A negative CG reviewed on 3 September 2024 and served on 4 September: to 4 October.
    let mut case = negative_cg_on(date(2024, 9, 2));
    case.must_as(
        b(),
        &second_caseworker_review(ReviewOutcome::Agree, date(2024, 9, 3)),
        date(2024, 9, 3),
    );
    case.must(&serve(CG, date(2024, 9, 4), false), date(2024, 9, 4));
    let error = case.refused(
        &close(date(2024, 10, 4), ProcessComplete),
        date(2024, 10, 4),
    );
    assert_refused(&error, "reconsideration-window-open", &["2024-10-04"]);
    case.must(
        &close(date(2024, 10, 5), ProcessComplete),
        date(2024, 10, 5),
    );
}

#[test]
fn a_negative_decision_served_before_22_february_2024_or_a_positive_cg_is_closed_as_complete_at_once()
 {
    use ClosureReason::ProcessComplete;
    // Served on 1 February 2024, under the rule with no time limit.
    let mut case = negative_rg_served_on(date(2024, 2, 1));
    case.must(&close(date(2024, 2, 2), ProcessComplete), date(2024, 2, 2));

    // A positive CG has nothing to reconsider: closed the day it is served.
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&rg(Positive, date(2024, 5, 2)), date(2024, 5, 2));
    case.must(&cg(Positive, date(2024, 6, 3)), date(2024, 6, 3));
    case.must(&serve(CG, date(2024, 6, 4), false), date(2024, 6, 4));
    case.must(&close(date(2024, 6, 4), ProcessComplete), date(2024, 6, 4));
}

#[test]
fn the_recovery_period_of_a_person_disqualified_on_1_february_2023_cannot_be_extended() {
    // Positive RG on 10 January 2023: 45 days' minimum, to 24 February.
    let mut case = CaseFile::new();
    case.must(&adult(date(2023, 1, 9), true), date(2023, 1, 9));
    case.must(&rg(Positive, date(2023, 1, 10)), date(2023, 1, 10));
    // Before the disqualification the period can be extended.
    case.must(&extend(date(2023, 3, 10)), date(2023, 1, 20));
    case.must(&disqualify(date(2023, 2, 1)), date(2023, 2, 1));
    let error = case.refused(&extend(date(2023, 3, 20)), date(2023, 2, 2));
    assert_refused(
        &error,
        "disqualified",
        &["disqualified on 2023-02-01", "s63"],
    );
    // Even an "extension" that would not extend is refused for the disqualification first.
    let error = case.refused(&extend(date(2023, 3, 1)), date(2023, 2, 2));
    assert_refused(&error, "disqualified", &["2023-02-01"]);
    // The CG can still be made.
    case.must(&cg(Negative, date(2023, 3, 1)), date(2023, 3, 1));
}

// ---------------------------------------------------------------------------------------------
// Behaviour that was reported as wrong and has been fixed: these failed before the fix.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_panel_cannot_count_one_person_twice() {
    // Chair C; "members" D (NGO) and D again (local authority): one member, two agencies.
    let mut case = negative_cg_on(date(2021, 3, 1));
    let day = date(2021, 3, 3);
    let error = case.refused(
        &panel_review(
            member(2, "police"),
            vec![member(3, "ngo"), member(3, "local authority")],
            day,
        ),
        day,
    );
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
}

#[test]
fn panel_members_from_ngo_and_ngo_or_from_no_agency_are_not_two_agencies() {
    let day = date(2021, 3, 3);
    for agencies in [["NGO", "ngo"], [" ", "ngo"]] {
        let mut case = negative_cg_on(date(2021, 3, 1));
        let error = case.refused(
            &panel_review(
                member(2, "police"),
                vec![member(3, agencies[0]), member(4, agencies[1])],
                day,
            ),
            day,
        );
        assert!(
            matches!(error, DomainError::Invalid(_)),
            "{agencies:?}: {error:?}"
        );
    }
}

#[test]
fn a_negative_cg_cannot_be_served_before_the_day_its_review_agreed() {
    // CG 1 March 2024; second caseworker agrees on 10 March; service recorded as 5 March.
    let mut case = negative_cg_on(date(2024, 3, 1));
    case.must_as(
        b(),
        &second_caseworker_review(ReviewOutcome::Agree, date(2024, 3, 10)),
        date(2024, 3, 10),
    );
    let error = case.refused(&serve(CG, date(2024, 3, 5), false), date(2024, 3, 11));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
}

#[test]
fn a_case_cannot_be_withdrawn_suspended_or_closed_before_a_decision_already_on_its_file() {
    // Positive RG on 10 May 2024; then withdrawn / suspended / closed "on 5 May".
    for command in [
        withdraw(date(2024, 5, 5)),
        suspend(date(2024, 5, 5)),
        close(date(2024, 5, 5), ClosureReason::Duplicate),
    ] {
        let mut case = CaseFile::new();
        case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
        case.must(&rg(Positive, date(2024, 5, 10)), date(2024, 5, 10));
        let error = case.refused(&command, date(2024, 5, 12));
        assert!(
            matches!(error, DomainError::Invalid(_)),
            "{command:?}: {error:?}"
        );
    }
}

#[test]
fn a_withdrawn_case_cannot_be_closed_before_the_day_it_was_withdrawn() {
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&withdraw(date(2024, 6, 1)), date(2024, 6, 1));
    let error = case.refused(
        &close(date(2024, 5, 15), ClosureReason::Withdrawn),
        date(2024, 6, 2),
    );
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
}

#[test]
fn a_closed_case_cannot_be_resumed() {
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&suspend(date(2024, 5, 3)), date(2024, 5, 3));
    case.must(
        &close(date(2024, 8, 1), ClosureReason::NoDecisionPossible),
        date(2024, 8, 1),
    );
    let error = case.refused(&resume(date(2024, 9, 1)), date(2024, 9, 1));
    assert_refused(&error, "case-closed", &["2024-08-01"]);
}

#[test]
fn a_decision_made_again_cannot_be_dated_before_the_set_aside_that_reopened_it() {
    // Negative RG 2 June 2024, served 3 June; reconsideration accepted 14 June; new RG "30 May".
    let mut case = negative_rg_served_on(date(2024, 6, 3));
    case.must(
        &reconsider(RG, date(2024, 6, 10), Requester::SupportProvider, false),
        date(2024, 6, 10),
    );
    case.must(
        &decide_reconsideration(true, date(2024, 6, 14)),
        date(2024, 6, 14),
    );
    let error = case.refused(&rg(Positive, date(2024, 5, 30)), date(2024, 6, 17));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");

    // Negative CG 1 March 2024 referred back on 4 March; new CG "15 February".
    let mut case = negative_cg_on(date(2024, 3, 1));
    case.must_as(
        b(),
        &second_caseworker_review(ReviewOutcome::ReferBack, date(2024, 3, 4)),
        date(2024, 3, 4),
    );
    let error = case.refused(&cg(Positive, date(2024, 2, 15)), date(2024, 3, 5));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
}

#[test]
fn a_decision_cannot_be_dated_inside_a_suspension() {
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&suspend(date(2024, 5, 3)), date(2024, 5, 3));
    case.must(&resume(date(2024, 6, 1)), date(2024, 6, 1));
    let error = case.refused(&rg(Positive, date(2024, 5, 20)), date(2024, 6, 2));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
}

// ---------------------------------------------------------------------------------------------
// A review, a service and a reconsideration request are held to every later step on the file,
// as decisions are: not before an earlier request was decided, nor inside a suspension.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_reconsideration_request_cannot_be_dated_before_the_previous_request_was_decided() {
    // Negative RG served 1 March 2024; a request on 5 March is refused on 10 March; a second
    // request is then recorded as made on 6 March, while the first was still pending.
    let mut case = negative_rg_served_on(date(2024, 3, 1));
    case.must(
        &reconsider(RG, date(2024, 3, 5), Requester::FirstResponder, false),
        date(2024, 3, 5),
    );
    case.must(
        &decide_reconsideration(false, date(2024, 3, 10)),
        date(2024, 3, 10),
    );
    let error = case.refused(
        &reconsider(RG, date(2024, 3, 6), Requester::PotentialVictim, false),
        date(2024, 3, 11),
    );
    assert_invalid(&error, "/requested_on", &["2024-03-10"]);
}

#[test]
fn a_review_a_service_or_a_reconsideration_request_cannot_be_dated_inside_a_suspension() {
    // Each is refused while the case is suspended, but accepted afterwards dated inside the
    // suspension (the fix applies the same rule to decisions, withdrawals and closures).
    let suspended = |mut case: CaseFile, from: NaiveDate, to: NaiveDate| {
        case.must(&suspend(from), from);
        case.must(&resume(to), to);
        case
    };
    // Negative RG 2 May 2024; suspended 3 May to 1 June; served "20 May".
    let mut case = CaseFile::new();
    case.must(&adult(date(2024, 5, 1), true), date(2024, 5, 1));
    case.must(&rg(Negative, date(2024, 5, 2)), date(2024, 5, 2));
    case.must_as(
        b(),
        &rg_review(ReviewOutcome::Agree, date(2024, 5, 2)),
        date(2024, 5, 2),
    );
    let mut case = suspended(case, date(2024, 5, 3), date(2024, 6, 1));
    let error = case.refused(&serve(RG, date(2024, 5, 20), false), date(2024, 6, 2));
    assert_invalid(&error, "/served_on", &["2024-06-01"]);

    // Negative CG 1 March 2024; suspended 2 to 20 March; reviewed "10 March".
    let mut case = suspended(
        negative_cg_on(date(2024, 3, 1)),
        date(2024, 3, 2),
        date(2024, 3, 20),
    );
    let error = case.refused_as(
        b(),
        &second_caseworker_review(ReviewOutcome::Agree, date(2024, 3, 10)),
        date(2024, 3, 21),
    );
    assert_invalid(&error, "/reviewed_on", &["2024-03-20"]);

    // Negative RG served 1 March 2024; suspended 2 to 20 March; reconsideration asked "10 March".
    let mut case = suspended(
        negative_rg_served_on(date(2024, 3, 1)),
        date(2024, 3, 2),
        date(2024, 3, 20),
    );
    let error = case.refused(
        &reconsider(RG, date(2024, 3, 10), Requester::PotentialVictim, false),
        date(2024, 3, 21),
    );
    assert_invalid(&error, "/requested_on", &["2024-03-20"]);
}
