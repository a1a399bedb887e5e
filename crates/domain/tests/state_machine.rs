//! Property tests for the case state machine: no illegal transition is ever accepted.
//!
//! The main property generates 10,000 random command sequences (submissions of adult, child and
//! Duty to Notify cases, some deliberately invalid; Reasonable Grounds and Conclusive Grounds
//! decisions with dates before the referral, before the RG, either side of the end of the
//! minimum recovery period and in the future) on an advancing clock that starts anywhere between
//! May 2019 and June 2026. Each command is put to `decide`, and its verdict is compared with an
//! independent oracle: a small model of the rules written from the rules themselves, which
//! never calls `decide`. Every command the oracle refuses must be refused with the error for a
//! rule it breaks (a field problem must name exactly the fields the oracle expects), and every
//! command it allows must be accepted with the events it describes. After every step the accepted
//! history is checked against the case-file invariants: one submission and it comes first, at
//! most one RG and one CG, a CG only after a positive RG and never inside the minimum recovery
//! period (45 days for an RG before 30 January 2023, 30 days from then), every positive RG
//! followed at once by its recovery period, no decision dated before the referral or after the
//! day it was recorded, replaying the history gives the same state, and no event ever contains
//! the personal-data canary from the fixtures. The run counts what it reached (CGs on the first
//! allowed day, RGs either side of 30 January 2023, every kind of refusal, ...) and fails if the
//! generator stopped reaching any of them, so the property cannot pass vacuously. The plain tests
//! below state the same rules as a caseworker would, with real dates.
//!
//! This property issues no lifecycle commands (`Command::Lifecycle`), so no case here is ever
//! withdrawn, closed or suspended and no `DomainError::Refused` is expected; the lifecycle is
//! tested in `tests/lifecycle.rs`. With only the referral and the RG on the file, the last dated
//! step an RG or CG must follow is the referral or the RG, so the date bounds here are the
//! referral (for the RG) and the RG (for the CG); the state's `last_dated_on` is checked to be
//! the latest of the referral, RG and CG dates.

use std::cell::Cell;
use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use nrm_domain::calendar::CalendarDays;
use nrm_domain::case::Stage;
use nrm_domain::clock::uk_date;
use nrm_domain::command::{Decision, Submit, decide};
use nrm_domain::event::{CompetentAuthority, NegativeReason, Outcome};
use nrm_domain::exploitation::{ExploitationPeriod, ExploitationType};
use nrm_domain::fixtures::{
    CANARY, adult_referral, child_referral, duty_to_notify, personal_details,
};
use nrm_domain::rules::ReviewKind;
use nrm_domain::submission::{AgeAtExploitation, AgeGroup, Submission};
use nrm_domain::{
    Actor, CaseEvent, CaseState, CaseStatus, Command, DomainError, OrganisationId, Rulebook,
    SubjectId, UserId, VaultRecordId,
};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseResult, TestRunner};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Dates and fixed values
// ---------------------------------------------------------------------------------------------

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("invalid test date {y}-{m}-{d}"))
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap_or_else(|| panic!("invalid test instant {y}-{m}-{d} {h}:{min}"))
}

fn actor() -> Actor {
    Actor {
        user: UserId::from_uuid(Uuid::from_u128(1)),
        organisation: OrganisationId::from_uuid(Uuid::from_u128(2)),
    }
}

const SUBJECT: SubjectId = SubjectId::from_uuid(Uuid::from_u128(3));
const PERSONAL: VaultRecordId = VaultRecordId::from_uuid(Uuid::from_u128(4));
const REASONS: VaultRecordId = VaultRecordId::from_uuid(Uuid::from_u128(5));

/// The day the 30-day statutory minimum replaced the 45-day one (RG decided on or after it).
fn thirty_day_rule_from() -> NaiveDate {
    date(2023, 1, 30)
}

/// The minimum recovery period for a positive RG decided on `rg_on`, in calendar days, as the
/// rules say it (not as the rulebook table says it).
fn minimum_days(rg_on: NaiveDate) -> i64 {
    if rg_on < thirty_day_rule_from() {
        45
    } else {
        30
    }
}

fn minimum_ends_on(rg_on: NaiveDate) -> NaiveDate {
    rg_on + Duration::days(minimum_days(rg_on))
}

/// The review a negative CG decided on `cg_on` needs before it is served, as the rules say it:
/// none before the Single Competent Authority (29 April 2019), a multi-agency assurance panel
/// until the panels ended (1 December 2022), a second caseworker from then.
fn review_required(cg_on: NaiveDate) -> ReviewKind {
    if cg_on < date(2019, 4, 29) {
        ReviewKind::None
    } else if cg_on < date(2022, 12, 1) {
        ReviewKind::MultiAgencyAssurancePanel
    } else {
        ReviewKind::SecondCaseworker
    }
}

/// The review a negative RG decided on `rg_on` needs: none before the second-caseworker model
/// (1 December 2022), a second caseworker from then.
fn negative_rg_review_required(rg_on: NaiveDate) -> ReviewKind {
    if rg_on < date(2022, 12, 1) {
        ReviewKind::None
    } else {
        ReviewKind::SecondCaseworker
    }
}

/// The person's 18th birthday; someone born on 29 February comes of age on 1 March in a
/// common year.
fn eighteenth_birthday(born: NaiveDate) -> NaiveDate {
    let year = born.year() + 18;
    NaiveDate::from_ymd_opt(year, born.month(), born.day()).unwrap_or_else(|| date(year, 3, 1))
}

// ---------------------------------------------------------------------------------------------
// The oracle: the rules as a small model, written without calling `decide`
// ---------------------------------------------------------------------------------------------

/// What the oracle knows of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Empty,
    DutyToNotify,
    Referral {
        referred_on: NaiveDate,
        rg: Option<(Outcome, NaiveDate)>,
        cg: Option<(Outcome, NaiveDate)>,
    },
}

impl Model {
    fn status(self) -> Option<CaseStatus> {
        match self {
            Self::Empty => None,
            Self::DutyToNotify => Some(CaseStatus::DutyToNotify),
            Self::Referral { rg, cg, .. } => Some(match (rg, cg) {
                (None, _) => CaseStatus::AwaitingReasonableGrounds,
                (Some((Outcome::Negative, _)), _) => CaseStatus::NegativeReasonableGrounds,
                (Some((Outcome::Positive, _)), None) => CaseStatus::AwaitingConclusiveGrounds,
                (Some(_), Some((Outcome::Positive, _))) => CaseStatus::PositiveConclusiveGrounds,
                (Some(_), Some((Outcome::Negative, _))) => CaseStatus::NegativeConclusiveGrounds,
            }),
        }
    }

    /// The case after an accepted command.
    fn after(self, command: &Command, today: NaiveDate) -> Self {
        match (self, command) {
            (_, Command::Submit(s)) => match s.submission {
                Submission::DutyToNotify(_) => Self::DutyToNotify,
                _ => Self::Referral {
                    referred_on: today,
                    rg: None,
                    cg: None,
                },
            },
            (
                Self::Referral {
                    referred_on, cg, ..
                },
                Command::DecideReasonableGrounds(d),
            ) => Self::Referral {
                referred_on,
                rg: Some((d.outcome, d.decided_on)),
                cg,
            },
            (
                Self::Referral {
                    referred_on, rg, ..
                },
                Command::DecideConclusiveGrounds(d),
            ) => Self::Referral {
                referred_on,
                rg,
                cg: Some((d.outcome, d.decided_on)),
            },
            (model, _) => model,
        }
    }
}

/// The kinds of refusal, one per `DomainError` variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Refusal {
    Invalid,
    AlreadySubmitted,
    NoSuchCase,
    DutyToNotifyHasNoDecisions,
    ReasonableGroundsAlreadyDecided,
    ConclusiveGroundsWithoutReasonableGrounds,
    ConclusiveGroundsAfterNegativeReasonableGrounds,
    ConclusiveGroundsInsideRecoveryPeriod,
    ConclusiveGroundsAlreadyDecided,
    /// A lifecycle refusal (withdrawn, closed or suspended case, ...). This property issues no
    /// lifecycle commands, so no case is ever in such a state and the oracle never expects it;
    /// it is not in `REFUSALS`, whose every kind must be reached.
    Refused,
}

const REFUSALS: [Refusal; 9] = [
    Refusal::Invalid,
    Refusal::AlreadySubmitted,
    Refusal::NoSuchCase,
    Refusal::DutyToNotifyHasNoDecisions,
    Refusal::ReasonableGroundsAlreadyDecided,
    Refusal::ConclusiveGroundsWithoutReasonableGrounds,
    Refusal::ConclusiveGroundsAfterNegativeReasonableGrounds,
    Refusal::ConclusiveGroundsInsideRecoveryPeriod,
    Refusal::ConclusiveGroundsAlreadyDecided,
];

fn refusal(error: &DomainError) -> Refusal {
    match error {
        DomainError::Invalid(_) => Refusal::Invalid,
        DomainError::AlreadySubmitted => Refusal::AlreadySubmitted,
        DomainError::NoSuchCase => Refusal::NoSuchCase,
        DomainError::DutyToNotifyHasNoDecisions => Refusal::DutyToNotifyHasNoDecisions,
        DomainError::ReasonableGroundsAlreadyDecided => Refusal::ReasonableGroundsAlreadyDecided,
        DomainError::ConclusiveGroundsWithoutReasonableGrounds => {
            Refusal::ConclusiveGroundsWithoutReasonableGrounds
        }
        DomainError::ConclusiveGroundsAfterNegativeReasonableGrounds => {
            Refusal::ConclusiveGroundsAfterNegativeReasonableGrounds
        }
        DomainError::ConclusiveGroundsInsideRecoveryPeriod { .. } => {
            Refusal::ConclusiveGroundsInsideRecoveryPeriod
        }
        DomainError::ConclusiveGroundsAlreadyDecided => Refusal::ConclusiveGroundsAlreadyDecided,
        DomainError::Refused { .. } => Refusal::Refused,
    }
}

/// The oracle's verdict on one command: every rule it breaks, and for field problems the
/// fields they are about. An empty `broken` means the command must be accepted.
#[derive(Debug, Default)]
struct Verdict {
    broken: BTreeSet<Refusal>,
    fields: BTreeSet<&'static str>,
}

impl Verdict {
    fn field(&mut self, field: &'static str) {
        self.broken.insert(Refusal::Invalid);
        self.fields.insert(field);
    }

    fn refuse(&mut self, why: Refusal) {
        self.broken.insert(why);
    }
}

fn oracle(model: Model, command: &Command, today: NaiveDate) -> Verdict {
    let mut v = Verdict::default();
    match command {
        // Not generated here: the children's pathway has its own tests (tests/panels.rs).
        Command::Panel(_) | Command::Adulthood(_) | Command::AdditionalRecovery(_) => {
            v.refuse(Refusal::Refused)
        }
        Command::Submit(s) => {
            if model != Model::Empty {
                v.refuse(Refusal::AlreadySubmitted);
            }
            submission_rules(&s.submission, today, &mut v);
        }
        Command::DecideReasonableGrounds(d) => {
            decision_rules(d, today, &mut v);
            match model {
                Model::Empty => v.refuse(Refusal::NoSuchCase),
                Model::DutyToNotify => v.refuse(Refusal::DutyToNotifyHasNoDecisions),
                Model::Referral {
                    referred_on, rg, ..
                } => {
                    if rg.is_some() {
                        v.refuse(Refusal::ReasonableGroundsAlreadyDecided);
                    }
                    if d.decided_on < referred_on {
                        v.field("/decided_on");
                    }
                }
            }
        }
        Command::DecideConclusiveGrounds(d) => {
            decision_rules(d, today, &mut v);
            match model {
                Model::Empty => v.refuse(Refusal::NoSuchCase),
                Model::DutyToNotify => v.refuse(Refusal::DutyToNotifyHasNoDecisions),
                Model::Referral {
                    referred_on,
                    rg,
                    cg,
                } => {
                    if d.decided_on < referred_on {
                        v.field("/decided_on");
                    }
                    match rg {
                        None => v.refuse(Refusal::ConclusiveGroundsWithoutReasonableGrounds),
                        Some((Outcome::Negative, _)) => {
                            v.refuse(Refusal::ConclusiveGroundsAfterNegativeReasonableGrounds);
                        }
                        Some((Outcome::Positive, rg_on)) => {
                            if cg.is_some() {
                                v.refuse(Refusal::ConclusiveGroundsAlreadyDecided);
                            }
                            if d.decided_on < rg_on {
                                v.field("/decided_on");
                            }
                            if d.decided_on < minimum_ends_on(rg_on) {
                                v.refuse(Refusal::ConclusiveGroundsInsideRecoveryPeriod);
                            }
                        }
                    }
                }
            }
        }
        Command::Lifecycle(_) => {
            unreachable!("this property generates no lifecycle commands (see tests/lifecycle.rs)")
        }
    }
    v
}

/// Rules every RG or CG decision must meet whatever the case.
fn decision_rules(d: &Decision, today: NaiveDate, v: &mut Verdict) {
    if d.decided_on > today {
        v.field("/decided_on");
    }
    match (d.outcome, d.negative_reason) {
        (Outcome::Negative, None) | (Outcome::Positive, Some(_)) => v.field("/negative_reason"),
        _ => {}
    }
}

/// The field rules for a submission made on `today`.
fn submission_rules(submission: &Submission, today: NaiveDate, v: &mut Verdict) {
    let (exploitation, person) = match submission {
        Submission::Adult(r) => (&r.exploitation, Some(&r.victim)),
        Submission::Child(r) => (&r.exploitation, Some(&r.victim)),
        Submission::DutyToNotify(r) => (&r.exploitation, None),
    };
    let types = &exploitation.types;
    let distinct: BTreeSet<_> = types.iter().collect();
    if types.is_empty()
        || distinct.len() != types.len()
        || (types.contains(&ExploitationType::NotKnown) && types.len() > 1)
    {
        v.field("/exploitation/types");
    }
    if exploitation.county_lines && !types.contains(&ExploitationType::Criminal) {
        v.field("/exploitation/county_lines");
    }
    let ExploitationPeriod {
        started_on,
        ended_on,
        ongoing,
    } = exploitation.period;
    if started_on.is_some_and(|s| s > today) {
        v.field("/exploitation/period/started_on");
    }
    if ended_on.is_some_and(|e| e > today) {
        v.field("/exploitation/period/ended_on");
    }
    if let (Some(s), Some(e)) = (started_on, ended_on)
        && e < s
    {
        v.field("/exploitation/period/ended_on");
    }
    if ongoing && ended_on.is_some() {
        v.field("/exploitation/period/ended_on");
    }
    if let Some(p) = person {
        if p.given_names.trim().is_empty() && p.family_name.trim().is_empty() {
            v.field("/victim/given_names");
        }
        if p.narrative.trim().is_empty() {
            v.field("/victim/narrative");
        }
        if let Some(born) = p.date_of_birth {
            if born > today || born < date(1900, 1, 1) {
                v.field("/victim/date_of_birth");
            }
            // A date of birth in the future is reported once, on its own field.
            if born <= today && started_on.is_some_and(|s| s < born) {
                v.field("/exploitation/period/started_on");
            }
        }
    }
    match submission {
        Submission::Adult(r) => {
            if let Some(born) = r.victim.date_of_birth
                && born <= today
                && today < eighteenth_birthday(born)
            {
                v.field("/victim/date_of_birth");
            }
            if r.consent.referral_consent_given_on > today {
                v.field("/consent/referral_consent_given_on");
            }
        }
        Submission::Child(r) => {
            if let Some(born) = r.victim.date_of_birth
                && !r.age_disputed
                && today >= eighteenth_birthday(born)
            {
                v.field("/victim/date_of_birth");
            }
        }
        Submission::DutyToNotify(_) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Generated commands
// ---------------------------------------------------------------------------------------------

/// A date of birth, relative to the day the submission is made.
#[derive(Debug, Clone)]
enum DobSpec {
    NotGiven,
    /// `years` old on today's date, moved by `jitter` days (so near 18 it straddles the birthday).
    Age {
        years: i32,
        jitter: i64,
    },
    /// Born on 29 February of the leap year nearest `years` ago.
    LeapDay {
        years: i32,
    },
    InFuture {
        days: i64,
    },
    Before1900,
}

#[derive(Debug, Clone)]
enum KindSpec {
    Adult {
        dob: DobSpec,
        /// Consent given this many days from today (positive is in the future).
        consent_offset: i64,
        blank_names: bool,
    },
    Child {
        dob: DobSpec,
        age_disputed: bool,
        blank_names: bool,
    },
    DutyToNotify,
}

#[derive(Debug, Clone)]
struct SubmitSpec {
    kind: KindSpec,
    types: Vec<ExploitationType>,
    /// County lines; unless `county_lines_raw`, only kept when criminal exploitation is selected.
    county_lines: bool,
    county_lines_raw: bool,
    /// Offsets in days from today (positive is in the future).
    started: Option<i64>,
    ended: Option<i64>,
    ongoing: bool,
    reference_random: u64,
}

/// What a decision date is counted from.
#[derive(Debug, Clone, Copy)]
enum Anchor {
    Today,
    Referral,
    ReasonableGrounds,
    RecoveryEnd,
    /// 30 January 2023, when the 30-day minimum began.
    RuleChange,
}

#[derive(Debug, Clone, Copy)]
enum ReasonSpec {
    /// A reason exactly when the outcome is negative.
    Matching(NegativeReason),
    Absent,
    Present(NegativeReason),
}

#[derive(Debug, Clone)]
struct DecisionSpec {
    outcome: Outcome,
    anchor: Anchor,
    offset: i64,
    reason: ReasonSpec,
}

#[derive(Debug, Clone)]
enum CommandSpec {
    Submit(SubmitSpec),
    ReasonableGrounds(DecisionSpec),
    ConclusiveGrounds(DecisionSpec),
}

#[derive(Debug, Clone)]
struct Step {
    advance_days: i64,
    advance_seconds: i64,
    command: CommandSpec,
}

#[derive(Debug, Clone)]
struct Case {
    start: DateTime<Utc>,
    steps: Vec<Step>,
}

fn dob_spec(adult: bool) -> impl Strategy<Value = DobSpec> {
    let years = if adult {
        prop_oneof![8 => 18i32..=80, 2 => 15i32..=19].boxed()
    } else {
        prop_oneof![8 => 2i32..=17, 2 => 16i32..=20].boxed()
    };
    prop_oneof![
        80 => (years, -3i64..=3).prop_map(|(years, jitter)| DobSpec::Age { years, jitter }),
        6 => Just(DobSpec::NotGiven),
        5 => (1i64..=400).prop_map(|days| DobSpec::InFuture { days }),
        5 => (16i32..=20).prop_map(|years| DobSpec::LeapDay { years }),
        2 => Just(DobSpec::Before1900),
    ]
}

fn kind_spec() -> impl Strategy<Value = KindSpec> {
    prop_oneof![
        45 => (
            dob_spec(true),
            prop_oneof![95 => -60i64..=0, 5 => 1i64..=30],
            prop::bool::weighted(0.03),
        )
            .prop_map(|(dob, consent_offset, blank_names)| KindSpec::Adult {
                dob,
                consent_offset,
                blank_names,
            }),
        40 => (dob_spec(false), prop::bool::weighted(0.2), prop::bool::weighted(0.03)).prop_map(
            |(dob, age_disputed, blank_names)| KindSpec::Child {
                dob,
                age_disputed,
                blank_names,
            }
        ),
        15 => Just(KindSpec::DutyToNotify),
    ]
}

/// Exploitation types: mostly a valid selection, sometimes anything (empty, repeated, or
/// 'not known' with another type).
fn types_spec() -> impl Strategy<Value = Vec<ExploitationType>> {
    let known: Vec<ExploitationType> = ExploitationType::ALL
        .into_iter()
        .filter(|t| *t != ExploitationType::NotKnown)
        .collect();
    prop_oneof![
        85 => prop::sample::subsequence(known, 1..=3),
        5 => Just(vec![ExploitationType::NotKnown]),
        10 => prop::collection::vec(prop::sample::select(ExploitationType::ALL.to_vec()), 0..=3),
    ]
}

/// The exploitation period as (started, ended, ongoing) offsets from today.
fn period_spec() -> impl Strategy<Value = (Option<i64>, Option<i64>, bool)> {
    prop_oneof![
        5 => (0i64..=700, 0i64..=700).prop_map(|(a, b)| (Some(-a.max(b)), Some(-a.min(b)), false)),
        3 => (0i64..=700).prop_map(|a| (Some(-a), None, true)),
        1 => Just((None, None, false)),
        1 => (
            prop::option::of(-700i64..=5),
            prop::option::of(-700i64..=5),
            any::<bool>(),
        ),
    ]
}

fn submit_spec() -> impl Strategy<Value = SubmitSpec> {
    (
        kind_spec(),
        types_spec(),
        any::<bool>(),
        prop::bool::weighted(0.1),
        period_spec(),
        any::<u64>(),
    )
        .prop_map(
            |(kind, types, county_lines, county_lines_raw, (started, ended, ongoing), random)| {
                SubmitSpec {
                    kind,
                    types,
                    county_lines,
                    county_lines_raw,
                    started,
                    ended,
                    ongoing,
                    reference_random: random,
                }
            },
        )
}

fn negative_reason() -> impl Strategy<Value = NegativeReason> {
    prop::sample::select(vec![
        NegativeReason::InsufficientEvidence,
        NegativeReason::DefinitionNotMet,
        NegativeReason::Disengaged,
        NegativeReason::Other,
    ])
}

fn decision_spec() -> impl Strategy<Value = DecisionSpec> {
    let outcome = prop_oneof![65 => Just(Outcome::Positive), 35 => Just(Outcome::Negative)];
    let date = prop_oneof![
        3 => (-3i64..=2).prop_map(|o| (Anchor::Today, o)),
        1 => (-200i64..=0).prop_map(|o| (Anchor::Today, o)),
        2 => (-3i64..=3).prop_map(|o| (Anchor::Referral, o)),
        2 => (-3i64..=3).prop_map(|o| (Anchor::ReasonableGrounds, o)),
        4 => (-2i64..=2).prop_map(|o| (Anchor::RecoveryEnd, o)),
        2 => (-2i64..=1).prop_map(|o| (Anchor::RuleChange, o)),
    ];
    let reason = prop_oneof![
        90 => negative_reason().prop_map(ReasonSpec::Matching),
        5 => Just(ReasonSpec::Absent),
        5 => negative_reason().prop_map(ReasonSpec::Present),
    ];
    (outcome, date, reason).prop_map(|(outcome, (anchor, offset), reason)| DecisionSpec {
        outcome,
        anchor,
        offset,
        reason,
    })
}

fn command_spec(submit_weight: u32) -> impl Strategy<Value = CommandSpec> {
    prop_oneof![
        submit_weight => submit_spec().prop_map(CommandSpec::Submit),
        40 => decision_spec().prop_map(CommandSpec::ReasonableGrounds),
        50 => decision_spec().prop_map(CommandSpec::ConclusiveGrounds),
    ]
}

/// One step: the clock moves on (often not at all, else up to 120 days and some hours), then a
/// command. `submit_weight` is how likely a submission is, against 40 for an RG and 50 for a CG.
fn step(submit_weight: u32) -> impl Strategy<Value = Step> {
    (
        prop_oneof![3 => Just(0i64), 7 => 0i64..=120],
        0i64..86_400,
        command_spec(submit_weight),
    )
        .prop_map(|(advance_days, advance_seconds, command)| Step {
            advance_days,
            advance_seconds,
            command,
        })
}

fn case() -> impl Strategy<Value = Case> {
    // Anywhere from May 2019 to June 2026, and often in the days around 30 January 2023 so
    // that RG decisions land either side of the change from 45 to 30 days.
    let start = prop_oneof![
        4 => at(2019, 5, 1, 0, 0).timestamp()..at(2026, 6, 1, 0, 0).timestamp(),
        1 => at(2023, 1, 26, 0, 0).timestamp()..at(2023, 1, 31, 0, 0).timestamp(),
    ];
    // Most sequences open with a submission (so that decisions have a case to act on); the
    // rest open with anything. Later submissions are rarer: they can only be refused.
    (start, step(900), prop::collection::vec(step(10), 0..=7)).prop_map(|(start, first, rest)| {
        Case {
            start: DateTime::from_timestamp(start, 0).unwrap_or_default(),
            steps: std::iter::once(first).chain(rest).collect(),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Turning a generated step into a command
// ---------------------------------------------------------------------------------------------

fn days(from: NaiveDate, offset: i64) -> NaiveDate {
    from + Duration::days(offset)
}

fn dob(spec: &DobSpec, today: NaiveDate) -> Option<NaiveDate> {
    match *spec {
        DobSpec::NotGiven => None,
        DobSpec::Age { years, jitter } => {
            let year = today.year() - years;
            let anniversary = NaiveDate::from_ymd_opt(year, today.month(), today.day())
                .unwrap_or_else(|| date(year, 2, 28));
            Some(days(anniversary, jitter))
        }
        DobSpec::LeapDay { years } => {
            let mut year = today.year() - years;
            while NaiveDate::from_ymd_opt(year, 2, 29).is_none() {
                year -= 1;
            }
            Some(date(year, 2, 29))
        }
        DobSpec::InFuture { days: d } => Some(days(today, d)),
        DobSpec::Before1900 => Some(date(1899, 12, 31)),
    }
}

fn build_submit(spec: &SubmitSpec, today: NaiveDate) -> Command {
    let mut exploitation = nrm_domain::fixtures::exploitation(spec.types.clone());
    exploitation.county_lines = if spec.county_lines_raw {
        spec.county_lines
    } else {
        spec.county_lines && spec.types.contains(&ExploitationType::Criminal)
    };
    exploitation.period = ExploitationPeriod {
        started_on: spec.started.map(|o| days(today, o)),
        ended_on: spec.ended.map(|o| days(today, o)),
        ongoing: spec.ongoing,
    };
    let victim = |dob_spec: &DobSpec, blank_names: bool| {
        let mut details = personal_details(dob(dob_spec, today));
        if blank_names {
            details.given_names = " ".to_owned();
            details.family_name = String::new();
        }
        details
    };
    let submission = match &spec.kind {
        KindSpec::Adult {
            dob,
            consent_offset,
            blank_names,
        } => {
            let mut r = adult_referral();
            r.victim = victim(dob, *blank_names);
            r.consent.referral_consent_given_on = days(today, *consent_offset);
            r.exploitation = exploitation;
            Submission::Adult(r)
        }
        KindSpec::Child {
            dob,
            age_disputed,
            blank_names,
        } => {
            let mut r = child_referral();
            r.victim = victim(dob, *blank_names);
            r.age_disputed = *age_disputed;
            r.exploitation = exploitation;
            Submission::Child(r)
        }
        KindSpec::DutyToNotify => {
            let mut r = duty_to_notify();
            r.exploitation = exploitation;
            Submission::DutyToNotify(r)
        }
    };
    Command::Submit(Box::new(Submit {
        submission,
        reference_random: spec.reference_random,
        subject: SUBJECT,
        personal_details: PERSONAL,
        nations: Default::default(),
    }))
}

fn build_decision(spec: &DecisionSpec, model: Model, today: NaiveDate) -> Decision {
    let (referred_on, rg_on) = match model {
        Model::Referral {
            referred_on, rg, ..
        } => (Some(referred_on), rg.map(|(_, on)| on)),
        _ => (None, None),
    };
    let anchor = match spec.anchor {
        Anchor::Today => today,
        Anchor::Referral => referred_on.unwrap_or(today),
        Anchor::ReasonableGrounds => rg_on.unwrap_or(today),
        Anchor::RecoveryEnd => rg_on.map_or(today, minimum_ends_on),
        Anchor::RuleChange => thirty_day_rule_from(),
    };
    let negative_reason = match spec.reason {
        ReasonSpec::Matching(r) => (spec.outcome == Outcome::Negative).then_some(r),
        ReasonSpec::Absent => None,
        ReasonSpec::Present(r) => Some(r),
    };
    Decision {
        outcome: spec.outcome,
        decided_on: days(anchor, spec.offset),
        reasons: REASONS,
        negative_reason,
    }
}

fn build(command: &CommandSpec, model: Model, today: NaiveDate) -> Command {
    match command {
        CommandSpec::Submit(s) => build_submit(s, today),
        CommandSpec::ReasonableGrounds(d) => {
            Command::DecideReasonableGrounds(build_decision(d, model, today))
        }
        CommandSpec::ConclusiveGrounds(d) => {
            Command::DecideConclusiveGrounds(build_decision(d, model, today))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

fn problem_fields(error: &DomainError) -> BTreeSet<String> {
    match error {
        DomainError::Invalid(problems) => problems.iter().map(|p| p.field.clone()).collect(),
        _ => BTreeSet::new(),
    }
}

/// A refused command: refused for a rule the oracle says it breaks.
fn check_refusal(
    error: &DomainError,
    verdict: &Verdict,
    model: Model,
    command: &Command,
) -> TestCaseResult {
    let kind = refusal(error);
    prop_assert!(
        verdict.broken.contains(&kind),
        "refused with {error:?} but the oracle expected one of {:?}",
        verdict.broken
    );
    let shown = format!("{error} {error:?}");
    prop_assert!(!shown.contains(CANARY), "personal data in an error");
    if let DomainError::Invalid(problems) = error {
        prop_assert!(!problems.is_empty(), "Invalid with no problems");
        let got = problem_fields(error);
        let expected: BTreeSet<String> = verdict.fields.iter().map(|f| (*f).to_owned()).collect();
        if verdict.broken.len() == 1 {
            // Only field rules are broken: every broken field is reported, and nothing else.
            prop_assert_eq!(&got, &expected, "fields reported for {:?}", command);
        } else {
            prop_assert!(
                got.is_subset(&expected),
                "reported {:?}, expected within {:?}",
                got,
                expected
            );
        }
    }
    if let DomainError::ConclusiveGroundsInsideRecoveryPeriod {
        minimum_ends_on: ends,
        rule,
    } = error
        && let Model::Referral {
            rg: Some((_, rg_on)),
            ..
        } = model
    {
        prop_assert_eq!(*ends, minimum_ends_on(rg_on));
        let days = minimum_days(rg_on).to_string();
        prop_assert!(
            rule.contains(&days),
            "rule {rule:?} does not name {days} days"
        );
    }
    Ok(())
}

/// An accepted command: the events are the ones the command describes.
fn check_accepted(
    events: &[CaseEvent],
    command: &Command,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> TestCaseResult {
    let year = format!("-{:04}-", today.year());
    match command {
        Command::Panel(_) | Command::Adulthood(_) | Command::AdditionalRecovery(_) => {
            prop_assert!(false, "children's pathway commands are not generated here")
        }
        Command::Submit(s) => {
            prop_assert_eq!(events.len(), 1);
            match (&s.submission, &events[0]) {
                (Submission::DutyToNotify(_), CaseEvent::DutyToNotifyReported(e)) => {
                    prop_assert_eq!(e.reported_on, today);
                    prop_assert_eq!(e.submitted_at, now);
                    prop_assert!(e.reference.as_str().starts_with("DTN-"));
                    prop_assert!(e.reference.as_str().contains(&year));
                }
                (Submission::Adult(_) | Submission::Child(_), CaseEvent::ReferralSubmitted(e)) => {
                    prop_assert_eq!(e.referred_on, today);
                    prop_assert_eq!(e.submitted_at, now);
                    prop_assert_eq!(e.subject, SUBJECT);
                    prop_assert_eq!(e.personal_details, PERSONAL);
                    prop_assert!(e.reference.as_str().starts_with("NRM-"));
                    prop_assert!(e.reference.as_str().contains(&year));
                    // The fixtures name no immigration cohort and no local authority area, so
                    // every referral here is routed to the Single Competent Authority.
                    prop_assert_eq!(e.competent_authority, CompetentAuthority::Sca);
                    prop_assert_eq!(&e.pilot_site, &None);
                    prop_assert!(e.routing_reason.is_some(), "no routing reason recorded");
                    match &s.submission {
                        Submission::Adult(r) => {
                            prop_assert_eq!(e.age_group, AgeGroup::Adult);
                            prop_assert!(!e.age_disputed);
                            // Exploited before their 18th birthday: counted as a child.
                            let expected =
                                match (r.victim.date_of_birth, r.exploitation.period.started_on) {
                                    (Some(born), Some(started))
                                        if started < eighteenth_birthday(born) =>
                                    {
                                        AgeAtExploitation::Child
                                    }
                                    (Some(_), Some(_)) => AgeAtExploitation::Adult,
                                    _ => AgeAtExploitation::NotKnown,
                                };
                            prop_assert_eq!(e.age_at_exploitation, expected);
                            prop_assert_eq!(
                                e.consent.map(|c| c.referral_consent_given_on),
                                Some(r.consent.referral_consent_given_on)
                            );
                        }
                        Submission::Child(r) => {
                            prop_assert_eq!(e.age_group, AgeGroup::Child);
                            prop_assert_eq!(e.age_at_exploitation, AgeAtExploitation::Child);
                            prop_assert_eq!(e.age_disputed, r.age_disputed);
                            prop_assert!(e.consent.is_none());
                        }
                        Submission::DutyToNotify(_) => {}
                    }
                }
                (_, other) => prop_assert!(false, "submission recorded as {}", other.kind()),
            }
        }
        Command::DecideReasonableGrounds(d) | Command::DecideConclusiveGrounds(d) => {
            let is_rg = matches!(command, Command::DecideReasonableGrounds(_));
            let expected_len = if is_rg && d.outcome == Outcome::Positive {
                2
            } else {
                1
            };
            prop_assert_eq!(events.len(), expected_len);
            let g = match (&events[0], is_rg) {
                (CaseEvent::ReasonableGroundsDecided(g), true)
                | (CaseEvent::ConclusiveGroundsDecided(g), false) => g,
                (other, _) => {
                    prop_assert!(false, "decision recorded as {}", other.kind());
                    return Ok(());
                }
            };
            prop_assert_eq!(g.outcome, d.outcome);
            prop_assert_eq!(g.decided_on, d.decided_on);
            prop_assert_eq!(g.negative_reason, d.negative_reason);
            prop_assert_eq!(g.reasons, d.reasons);
            prop_assert_eq!(g.recorded_at, now);
            // A negative decision records the review its date requires (no case here goes to
            // a pilot panel); a positive one records none.
            let expected_review = (d.outcome == Outcome::Negative).then(|| {
                if is_rg {
                    negative_rg_review_required(d.decided_on)
                } else {
                    review_required(d.decided_on)
                }
            });
            prop_assert_eq!(g.review, expected_review);
        }
        Command::Lifecycle(_) => {
            prop_assert!(false, "this property generates no lifecycle commands");
        }
    }
    Ok(())
}

/// The invariants of an accepted history, read from the events alone.
fn check_history(history: &[CaseEvent]) -> TestCaseResult {
    let mut referred_on: Option<NaiveDate> = None;
    let mut rg: Option<(Outcome, NaiveDate)> = None;
    let mut cg_count = 0;
    for (i, event) in history.iter().enumerate() {
        let json =
            serde_json::to_string(event).unwrap_or_else(|e| panic!("an event must serialise: {e}"));
        prop_assert!(
            !json.contains(CANARY),
            "personal data in event {}: {}",
            event.kind(),
            json
        );
        let debug = format!("{event:?}");
        prop_assert!(!debug.contains(CANARY), "personal data in an event's Debug");
        match event {
            CaseEvent::ReferralSubmitted(e) => {
                prop_assert_eq!(i, 0, "a submission that is not the first event");
                referred_on = Some(e.referred_on);
                // Five working days: at least five calendar days on, on a weekday, and never
                // more than a fortnight even over Christmas or Easter.
                let due = e.reasonable_grounds_due_on;
                prop_assert!(due >= e.referred_on + Duration::days(5), "due {due}");
                prop_assert!(due <= e.referred_on + Duration::days(14), "due {due}");
                prop_assert!(!matches!(due.weekday(), Weekday::Sat | Weekday::Sun));
            }
            CaseEvent::DutyToNotifyReported(_) => {
                prop_assert_eq!(i, 0, "a submission that is not the first event");
                prop_assert_eq!(history.len(), 1, "a Duty to Notify report has no process");
            }
            CaseEvent::ReasonableGroundsDecided(d) => {
                let Some(referred_on) = referred_on else {
                    prop_assert!(false, "an RG with no referral before it");
                    return Ok(());
                };
                prop_assert!(rg.is_none(), "a second RG");
                prop_assert!(d.decided_on >= referred_on, "RG before the referral");
                prop_assert!(
                    d.decided_on <= uk_date(d.recorded_at),
                    "RG dated in the future"
                );
                prop_assert_eq!(d.negative_reason.is_some(), d.outcome == Outcome::Negative);
                let next = history.get(i + 1);
                match d.outcome {
                    Outcome::Positive => match next {
                        Some(CaseEvent::RecoveryPeriodStarted(p)) => {
                            prop_assert_eq!(p.starts_on, d.decided_on);
                            prop_assert_eq!(p.minimum_ends_on, minimum_ends_on(d.decided_on));
                            let minimum = u32::try_from(minimum_days(d.decided_on)).unwrap_or(0);
                            prop_assert_eq!(p.minimum, CalendarDays(minimum));
                        }
                        _ => prop_assert!(false, "a positive RG without its recovery period"),
                    },
                    Outcome::Negative => prop_assert!(
                        !matches!(next, Some(CaseEvent::RecoveryPeriodStarted(_))),
                        "a recovery period after a negative RG"
                    ),
                }
                rg = Some((d.outcome, d.decided_on));
            }
            CaseEvent::RecoveryPeriodStarted(_) => {
                prop_assert!(
                    matches!(
                        history.get(i.wrapping_sub(1)),
                        Some(CaseEvent::ReasonableGroundsDecided(d)) if d.outcome == Outcome::Positive
                    ),
                    "a recovery period not straight after a positive RG"
                );
            }
            CaseEvent::ConclusiveGroundsDecided(d) => {
                cg_count += 1;
                prop_assert_eq!(cg_count, 1, "a second CG");
                let Some((Outcome::Positive, rg_on)) = rg else {
                    prop_assert!(false, "a CG without a positive RG before it: {:?}", rg);
                    return Ok(());
                };
                prop_assert!(
                    d.decided_on >= minimum_ends_on(rg_on),
                    "CG on {} inside the recovery period after an RG on {}",
                    d.decided_on,
                    rg_on
                );
                prop_assert!(referred_on.is_some_and(|r| d.decided_on >= r));
                prop_assert!(
                    d.decided_on <= uk_date(d.recorded_at),
                    "CG dated in the future"
                );
                prop_assert_eq!(d.negative_reason.is_some(), d.outcome == Outcome::Negative);
            }
            other => prop_assert!(
                false,
                "a lifecycle event ({}) in a history built without lifecycle commands",
                other.kind()
            ),
        }
    }
    Ok(())
}

/// The state agrees with the oracle's model of the case.
fn check_state(state: &CaseState, model: Model) -> TestCaseResult {
    prop_assert_eq!(state.status(), model.status());
    if let (
        CaseState::Referral(r),
        Model::Referral {
            referred_on,
            rg,
            cg,
        },
    ) = (state, model)
    {
        prop_assert_eq!(r.referred_on, referred_on);
        // The last dated step on the file: here the referral, the RG or the CG, whichever is
        // latest (so the RG is held to the referral and the CG to the RG, as before).
        let last = [rg, cg]
            .into_iter()
            .flatten()
            .map(|(_, on)| on)
            .fold(referred_on, NaiveDate::max);
        prop_assert_eq!(r.last_dated_on, last, "the last dated step");
        if let (
            Stage::RecoveryPeriod {
                reasonable_grounds_on,
                minimum_ends_on: ends,
            },
            Some((_, rg_on)),
        ) = (r.stage, rg)
        {
            prop_assert_eq!(reasonable_grounds_on, rg_on);
            prop_assert_eq!(ends, Some(minimum_ends_on(rg_on)));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

/// How often each interesting thing happened, so a run that never reached a rule fails.
#[derive(Default)]
struct Coverage {
    cases: Cell<usize>,
    steps: Cell<usize>,
    submissions: Cell<usize>,
    duty_to_notify: Cell<usize>,
    positive_rg: Cell<usize>,
    negative_rg: Cell<usize>,
    cg: Cell<usize>,
    cg_on_first_day: Cell<usize>,
    cg_under_45_day_rule: Cell<usize>,
    cg_under_30_day_rule: Cell<usize>,
    refused: [Cell<usize>; REFUSALS.len()],
    refused_one_day_early: Cell<usize>,
    rg_either_side_of_rule_change: Cell<usize>,
    refused_after_30_of_45_days: Cell<usize>,
}

fn bump(c: &Cell<usize>) {
    c.set(c.get() + 1);
}

fn run_case(case: &Case, coverage: &Coverage) -> TestCaseResult {
    bump(&coverage.cases);
    let rules = Rulebook::current();
    let mut now = case.start;
    let mut state = CaseState::Empty;
    let mut model = Model::Empty;
    let mut history: Vec<CaseEvent> = Vec::new();
    for step in &case.steps {
        bump(&coverage.steps);
        now += Duration::days(step.advance_days) + Duration::seconds(step.advance_seconds);
        let today = uk_date(now);
        let command = build(&step.command, model, today);
        let verdict = oracle(model, &command, today);
        let before = state.clone();
        let result = decide(&state, &command, actor(), &rules, now);
        prop_assert_eq!(&state, &before, "decide changed the state");
        match result {
            Ok(events) => {
                prop_assert!(
                    verdict.broken.is_empty(),
                    "accepted {:?} on {} in state {:?}, but it breaks {:?} (fields {:?})",
                    command,
                    today,
                    model,
                    verdict.broken,
                    verdict.fields
                );
                check_accepted(&events, &command, today, now)?;
                match &command {
                    Command::Panel(_) | Command::Adulthood(_) | Command::AdditionalRecovery(_) => {}
                    Command::Submit(s) => {
                        bump(&coverage.submissions);
                        if matches!(s.submission, Submission::DutyToNotify(_)) {
                            bump(&coverage.duty_to_notify);
                        }
                    }
                    Command::DecideReasonableGrounds(d) => match d.outcome {
                        Outcome::Positive => {
                            bump(&coverage.positive_rg);
                            if (thirty_day_rule_from() - d.decided_on).num_days().abs() <= 1 {
                                bump(&coverage.rg_either_side_of_rule_change);
                            }
                        }
                        Outcome::Negative => bump(&coverage.negative_rg),
                    },
                    Command::DecideConclusiveGrounds(d) => {
                        bump(&coverage.cg);
                        if let Model::Referral {
                            rg: Some((_, rg_on)),
                            ..
                        } = model
                        {
                            if d.decided_on == minimum_ends_on(rg_on) {
                                bump(&coverage.cg_on_first_day);
                            }
                            if minimum_days(rg_on) == 45 {
                                bump(&coverage.cg_under_45_day_rule);
                            } else {
                                bump(&coverage.cg_under_30_day_rule);
                            }
                        }
                    }
                    Command::Lifecycle(_) => {
                        unreachable!("this property generates no lifecycle commands")
                    }
                }
                for event in &events {
                    state = state.evolve(event);
                }
                history.extend(events);
                model = model.after(&command, today);
            }
            Err(error) => {
                prop_assert!(
                    !verdict.broken.is_empty(),
                    "refused {:?} on {} in state {:?} with {:?}, but the oracle allows it",
                    command,
                    today,
                    model,
                    error
                );
                check_refusal(&error, &verdict, model, &command)?;
                let kind = refusal(&error);
                if let Some(i) = REFUSALS.iter().position(|r| *r == kind) {
                    bump(&coverage.refused[i]);
                }
                if let (
                    Command::DecideConclusiveGrounds(d),
                    Model::Referral {
                        rg: Some((Outcome::Positive, rg_on)),
                        cg: None,
                        ..
                    },
                ) = (&command, model)
                    && d.decided_on + Duration::days(1) == minimum_ends_on(rg_on)
                {
                    bump(&coverage.refused_one_day_early);
                }
                if let (
                    DomainError::ConclusiveGroundsInsideRecoveryPeriod { .. },
                    Command::DecideConclusiveGrounds(d),
                    Model::Referral {
                        rg: Some((_, rg_on)),
                        ..
                    },
                ) = (&error, &command, model)
                    && d.decided_on >= rg_on + Duration::days(30)
                {
                    bump(&coverage.refused_after_30_of_45_days);
                }
            }
        }
        check_history(&history)?;
        prop_assert_eq!(&CaseState::from_events(&history), &state, "replay differs");
        check_state(&state, model)?;
    }
    Ok(())
}

// ASVS v5.0.0-2.3.1 (Security target #44)
#[test]
fn no_illegal_transition_is_accepted_over_10_000_command_sequences() {
    let config = ProptestConfig {
        cases: 10_000,
        // Nothing is written next to the tests; a failure prints its minimal sequence.
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let coverage = Coverage::default();
    runner
        .run(&case(), |case| run_case(&case, &coverage))
        .unwrap_or_else(|e| panic!("{e}"));

    // What the run reached, with the least each should reach in 10,000 sequences (about a
    // third of what a run usually gets), so a generator change that stops exercising a rule
    // fails here instead of passing vacuously.
    let counts = [
        ("sequences", coverage.cases.get(), 10_000),
        ("commands", coverage.steps.get(), 20_000),
        ("submissions accepted", coverage.submissions.get(), 2_000),
        (
            "of which Duty to Notify",
            coverage.duty_to_notify.get(),
            300,
        ),
        ("positive RGs accepted", coverage.positive_rg.get(), 600),
        ("negative RGs accepted", coverage.negative_rg.get(), 300),
        ("CGs accepted", coverage.cg.get(), 130),
        (
            "CGs on the first allowed day",
            coverage.cg_on_first_day.get(),
            20,
        ),
        (
            "CGs under the 45-day rule",
            coverage.cg_under_45_day_rule.get(),
            50,
        ),
        (
            "CGs under the 30-day rule",
            coverage.cg_under_30_day_rule.get(),
            50,
        ),
        (
            "CGs refused one day early",
            coverage.refused_one_day_early.get(),
            25,
        ),
        (
            "positive RGs 29-31 Jan 2023",
            coverage.rg_either_side_of_rule_change.get(),
            12,
        ),
        (
            "CGs refused on days 30-44 of 45",
            coverage.refused_after_30_of_45_days.get(),
            15,
        ),
    ];
    for (what, n, _) in counts {
        println!("{what:>56}: {n}");
    }
    for (r, n) in REFUSALS.iter().zip(&coverage.refused) {
        println!("{:>56}: {}", format!("refused {r:?}"), n.get());
    }
    for (what, n, least) in counts {
        assert!(
            n >= least,
            "only {n} {what} (want {least}): the generator no longer reaches this"
        );
    }
    for (r, n) in REFUSALS.iter().zip(&coverage.refused) {
        assert!(n.get() >= 25, "only {} refusals {r:?}", n.get());
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios, as a caseworker would put them
// ---------------------------------------------------------------------------------------------

/// A case file being worked through: each command is decided at its own `now`.
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

    fn try_command(
        &mut self,
        command: &Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<CaseEvent>, DomainError> {
        let events = decide(&self.state, command, actor(), &Rulebook::current(), now)?;
        for e in &events {
            self.state = self.state.clone().evolve(e);
        }
        self.history.extend(events.iter().cloned());
        Ok(events)
    }

    fn must(&mut self, command: &Command, now: DateTime<Utc>) -> Vec<CaseEvent> {
        self.try_command(command, now)
            .unwrap_or_else(|e| panic!("expected {command:?} at {now} to be accepted: {e:?}"))
    }

    fn refused(&mut self, command: &Command, now: DateTime<Utc>) -> DomainError {
        let before = self.state.clone();
        match self.try_command(command, now) {
            Ok(events) => panic!("expected {command:?} at {now} to be refused, got {events:?}"),
            Err(e) => {
                assert_eq!(self.state, before, "a refused command changed the case");
                e
            }
        }
    }
}

/// The adult fixture, made valid on `today` (the fixture's own dates are in 2024).
fn adult_on(today: NaiveDate) -> Command {
    let mut r = adult_referral();
    r.consent.referral_consent_given_on = today;
    r.exploitation.period = ExploitationPeriod {
        started_on: Some(today - Duration::days(200)),
        ended_on: Some(today - Duration::days(30)),
        ongoing: false,
    };
    submit(Submission::Adult(r))
}

fn submit(submission: Submission) -> Command {
    Command::Submit(Box::new(Submit {
        submission,
        reference_random: 0x1234_5678,
        subject: SUBJECT,
        personal_details: PERSONAL,
        nations: Default::default(),
    }))
}

fn duty_to_notify_on(today: NaiveDate) -> Command {
    let mut r = duty_to_notify();
    r.exploitation.period = ExploitationPeriod {
        started_on: Some(today - Duration::days(90)),
        ended_on: None,
        ongoing: true,
    };
    submit(Submission::DutyToNotify(r))
}

fn positive(on: NaiveDate) -> Decision {
    Decision {
        outcome: Outcome::Positive,
        decided_on: on,
        reasons: REASONS,
        negative_reason: None,
    }
}

fn negative(on: NaiveDate) -> Decision {
    Decision {
        outcome: Outcome::Negative,
        decided_on: on,
        reasons: REASONS,
        negative_reason: Some(NegativeReason::InsufficientEvidence),
    }
}

fn rg(d: Decision) -> Command {
    Command::DecideReasonableGrounds(d)
}

fn cg(d: Decision) -> Command {
    Command::DecideConclusiveGrounds(d)
}

/// An adult referred on 10 January 2023 with a positive RG on `rg_on`.
fn referred_10_jan_2023_with_positive_rg(rg_on: NaiveDate, rg_now: DateTime<Utc>) -> CaseFile {
    let mut case = CaseFile::new();
    case.must(&adult_on(date(2023, 1, 10)), at(2023, 1, 10, 12, 0));
    case.must(&rg(positive(rg_on)), rg_now);
    case
}

#[test]
fn adult_referred_10_jan_2023_with_positive_rg_20_jan_can_have_cg_from_6_march_not_5_march() {
    let mut case = referred_10_jan_2023_with_positive_rg(date(2023, 1, 20), at(2023, 1, 20, 15, 0));
    let Some(CaseEvent::RecoveryPeriodStarted(p)) = case.history.last() else {
        panic!(
            "a positive RG starts the recovery period: {:?}",
            case.history
        );
    };
    assert_eq!(p.minimum, CalendarDays(45));
    assert_eq!(p.minimum_ends_on, date(2023, 3, 6));

    // The 45-day minimum applies because the RG came before 30 January 2023, even when the CG
    // is made after the 30-day rule began.
    let error = case.refused(&cg(positive(date(2023, 3, 5))), at(2023, 3, 5, 16, 0));
    assert!(
        matches!(
            error,
            DomainError::ConclusiveGroundsInsideRecoveryPeriod { minimum_ends_on, .. }
                if minimum_ends_on == date(2023, 3, 6)
        ),
        "{error:?}"
    );
    case.must(&cg(positive(date(2023, 3, 6))), at(2023, 3, 6, 9, 0));
    assert_eq!(
        case.state.status(),
        Some(CaseStatus::PositiveConclusiveGrounds)
    );
}

#[test]
fn rg_on_29_jan_2023_still_has_the_45_day_minimum_so_cg_from_15_march() {
    let mut case = referred_10_jan_2023_with_positive_rg(date(2023, 1, 29), at(2023, 1, 30, 9, 0));
    let error = case.refused(&cg(negative(date(2023, 3, 14))), at(2023, 3, 20, 9, 0));
    assert!(
        matches!(
            error,
            DomainError::ConclusiveGroundsInsideRecoveryPeriod { minimum_ends_on, .. }
                if minimum_ends_on == date(2023, 3, 15)
        ),
        "{error:?}"
    );
    case.must(&cg(negative(date(2023, 3, 15))), at(2023, 3, 20, 9, 0));
    assert_eq!(
        case.state.status(),
        Some(CaseStatus::NegativeConclusiveGrounds)
    );
}

#[test]
fn rg_on_30_jan_2023_has_the_30_day_minimum_so_cg_from_1_march_not_28_february() {
    let mut case = referred_10_jan_2023_with_positive_rg(date(2023, 1, 30), at(2023, 1, 30, 11, 0));
    let Some(CaseEvent::RecoveryPeriodStarted(p)) = case.history.last() else {
        panic!(
            "a positive RG starts the recovery period: {:?}",
            case.history
        );
    };
    assert_eq!(p.minimum, CalendarDays(30));
    assert_eq!(p.minimum_ends_on, date(2023, 3, 1));

    let error = case.refused(&cg(positive(date(2023, 2, 28))), at(2023, 2, 28, 10, 0));
    assert!(
        matches!(
            error,
            DomainError::ConclusiveGroundsInsideRecoveryPeriod { minimum_ends_on, .. }
                if minimum_ends_on == date(2023, 3, 1)
        ),
        "{error:?}"
    );
    case.must(&cg(positive(date(2023, 3, 1))), at(2023, 3, 1, 10, 0));
}

#[test]
fn a_second_rg_is_refused_whether_the_first_was_positive_or_negative() {
    let mut case = referred_10_jan_2023_with_positive_rg(date(2023, 1, 20), at(2023, 1, 20, 15, 0));
    let error = case.refused(&rg(negative(date(2023, 1, 25))), at(2023, 1, 25, 15, 0));
    assert_eq!(error, DomainError::ReasonableGroundsAlreadyDecided);

    let mut case = CaseFile::new();
    case.must(&adult_on(date(2025, 5, 1)), at(2025, 5, 1, 10, 0));
    case.must(&rg(negative(date(2025, 5, 6))), at(2025, 5, 6, 10, 0));
    let error = case.refused(&rg(positive(date(2025, 6, 6))), at(2025, 6, 6, 10, 0));
    assert_eq!(error, DomainError::ReasonableGroundsAlreadyDecided);
}

#[test]
fn a_cg_on_a_duty_to_notify_report_is_refused_and_so_is_an_rg() {
    let mut case = CaseFile::new();
    case.must(&duty_to_notify_on(date(2025, 3, 3)), at(2025, 3, 3, 10, 0));
    let error = case.refused(&cg(positive(date(2025, 6, 3))), at(2025, 6, 3, 10, 0));
    assert_eq!(error, DomainError::DutyToNotifyHasNoDecisions);
    let error = case.refused(&rg(positive(date(2025, 3, 4))), at(2025, 3, 4, 10, 0));
    assert_eq!(error, DomainError::DutyToNotifyHasNoDecisions);
    assert_eq!(case.state.status(), Some(CaseStatus::DutyToNotify));
}

#[test]
fn a_cg_after_a_negative_rg_is_refused() {
    let mut case = CaseFile::new();
    case.must(&adult_on(date(2024, 11, 4)), at(2024, 11, 4, 10, 0));
    case.must(&rg(negative(date(2024, 11, 8))), at(2024, 11, 8, 10, 0));
    assert!(
        !case
            .history
            .iter()
            .any(|e| matches!(e, CaseEvent::RecoveryPeriodStarted(_))),
        "a negative RG starts no recovery period"
    );
    let error = case.refused(&cg(negative(date(2025, 1, 8))), at(2025, 1, 8, 10, 0));
    assert_eq!(
        error,
        DomainError::ConclusiveGroundsAfterNegativeReasonableGrounds
    );
}

#[test]
fn a_cg_with_no_rg_and_a_second_cg_are_refused() {
    let mut case = CaseFile::new();
    case.must(&adult_on(date(2024, 11, 4)), at(2024, 11, 4, 10, 0));
    let error = case.refused(&cg(positive(date(2025, 1, 8))), at(2025, 1, 8, 10, 0));
    assert_eq!(
        error,
        DomainError::ConclusiveGroundsWithoutReasonableGrounds
    );

    case.must(&rg(positive(date(2025, 1, 9))), at(2025, 1, 9, 10, 0));
    case.must(&cg(positive(date(2025, 2, 10))), at(2025, 2, 10, 10, 0));
    let error = case.refused(&cg(negative(date(2025, 2, 11))), at(2025, 2, 11, 10, 0));
    assert_eq!(error, DomainError::ConclusiveGroundsAlreadyDecided);
}

#[test]
fn a_decision_on_a_case_never_submitted_and_a_second_submission_are_refused() {
    let mut case = CaseFile::new();
    let error = case.refused(&rg(positive(date(2025, 1, 9))), at(2025, 1, 9, 10, 0));
    assert_eq!(error, DomainError::NoSuchCase);
    case.must(&adult_on(date(2025, 1, 9)), at(2025, 1, 9, 10, 0));
    let error = case.refused(&adult_on(date(2025, 1, 10)), at(2025, 1, 10, 10, 0));
    assert_eq!(error, DomainError::AlreadySubmitted);
    let error = case.refused(
        &duty_to_notify_on(date(2025, 1, 10)),
        at(2025, 1, 10, 10, 0),
    );
    assert_eq!(error, DomainError::AlreadySubmitted);
}

#[test]
fn an_rg_dated_before_the_referral_or_after_today_is_refused() {
    let mut case = CaseFile::new();
    case.must(&adult_on(date(2025, 1, 9)), at(2025, 1, 9, 10, 0));
    let error = case.refused(&rg(positive(date(2025, 1, 8))), at(2025, 1, 14, 10, 0));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    let error = case.refused(&rg(positive(date(2025, 1, 15))), at(2025, 1, 14, 10, 0));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    case.must(&rg(positive(date(2025, 1, 9))), at(2025, 1, 14, 10, 0));
}

#[test]
fn today_is_the_uk_date_so_late_on_a_summer_evening_it_is_already_tomorrow() {
    let mut case = CaseFile::new();
    case.must(&adult_on(date(2023, 6, 30)), at(2023, 6, 30, 9, 0));
    // 23:30 UTC on 1 July is 00:30 BST on 2 July.
    let late = at(2023, 7, 1, 23, 30);
    let error = case.refused(&rg(positive(date(2023, 7, 3))), late);
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    case.must(&rg(positive(date(2023, 7, 2))), late);
}

#[test]
fn a_negative_decision_needs_a_reason_and_a_positive_one_must_not_have_one() {
    let mut case = CaseFile::new();
    case.must(&adult_on(date(2025, 1, 9)), at(2025, 1, 9, 10, 0));
    let mut no_reason = negative(date(2025, 1, 10));
    no_reason.negative_reason = None;
    let error = case.refused(&rg(no_reason), at(2025, 1, 10, 10, 0));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    let mut with_reason = positive(date(2025, 1, 10));
    with_reason.negative_reason = Some(NegativeReason::Other);
    let error = case.refused(&rg(with_reason), at(2025, 1, 10, 10, 0));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    case.must(&rg(positive(date(2025, 1, 10))), at(2025, 1, 10, 10, 0));
}

#[test]
fn someone_born_on_29_february_2008_is_an_adult_from_1_march_2026() {
    let born_29_feb = |today: NaiveDate| {
        let Command::Submit(mut s) = adult_on(today) else {
            panic!("adult_on makes a submission");
        };
        if let Submission::Adult(r) = &mut s.submission {
            r.victim.date_of_birth = Some(date(2008, 2, 29));
            r.exploitation.period.started_on = Some(date(2025, 9, 1));
        }
        Command::Submit(s)
    };
    let error = CaseFile::new().refused(&born_29_feb(date(2026, 2, 28)), at(2026, 2, 28, 12, 0));
    assert!(matches!(error, DomainError::Invalid(_)), "{error:?}");
    CaseFile::new().must(&born_29_feb(date(2026, 3, 1)), at(2026, 3, 1, 12, 0));
}
