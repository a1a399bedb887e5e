//! The read models (`case_summaries`, `case_deadlines`, `case_exploitation_types`): how each
//! event changes them.
//!
//! One source of truth, two interpreters. [`changes`] says, for each event, what it changes
//! (pure; only non-identifying facts are projected). [`project`] turns those changes into SQL
//! statements that the append runs in its own transaction, so the summary is never behind the
//! log; [`CaseRows`] folds the same changes in memory into a new case's final rows, which the
//! bulk import ([`crate::bulk`]) inserts once instead of updating them event by event. The
//! import test proves both give byte-identical rows on both engines.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::case::CaseStatus;
use nrm_domain::event::{CaseEvent, Deadline, DeadlineStatus, DecisionRef, Outcome, ReviewOutcome};
use nrm_domain::ids::CaseId;
use nrm_domain::rules::ReviewKind;
use nrm_domain::submission::AgeGroup;

use crate::StoreError;
use crate::statement::{Statement, Value};

fn outcome(o: Outcome) -> String {
    match o {
        Outcome::Positive => "positive",
        Outcome::Negative => "negative",
    }
    .to_owned()
}

fn age_group(a: AgeGroup) -> String {
    crate::queue::age_group_code(a).to_owned()
}

/// How a deadline is named in `case_deadlines`.
pub(crate) fn deadline_key(deadline: &Deadline) -> String {
    match deadline {
        Deadline::ReasonableGrounds => "reasonable_grounds".to_owned(),
        Deadline::Information(request) => format!("information:{request}"),
    }
}

pub(crate) fn deadline_status(status: DeadlineStatus) -> &'static str {
    match status {
        DeadlineStatus::OnTrack => "on_track",
        DeadlineStatus::DueSoon => "due_soon",
        DeadlineStatus::Overdue => "overdue",
    }
}

/// The sort key of a missing date: after every real one (see migration 0013).
pub(crate) fn no_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// The columns of `case_summaries`, in the order [`CaseRows`] keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    CaseId,
    Reference,
    Kind,
    Status,
    CompetentAuthority,
    AgeGroup,
    CountyLines,
    ReferringOrganisation,
    ReferredOn,
    RgDueOn,
    RgOutcome,
    RgDecidedOn,
    CgEarliestOn,
    CgOutcome,
    CgDecidedOn,
    Version,
    UpdatedAt,
    PilotSite,
    AllocatedTo,
    Suspended,
    Disqualified,
    ReviewPending,
    ReconsiderationPending,
    RgServedOn,
    CgServedOn,
    ReferringUser,
    RgDueKey,
    NextDueKey,
    DeadlineFlag,
}

/// How many columns `case_summaries` has.
pub(crate) const SUMMARY_COLUMNS: usize = 29;

impl Col {
    /// Every column, in order: `Col::ALL[c as usize] == c`.
    pub(crate) const ALL: [Col; SUMMARY_COLUMNS] = [
        Col::CaseId,
        Col::Reference,
        Col::Kind,
        Col::Status,
        Col::CompetentAuthority,
        Col::AgeGroup,
        Col::CountyLines,
        Col::ReferringOrganisation,
        Col::ReferredOn,
        Col::RgDueOn,
        Col::RgOutcome,
        Col::RgDecidedOn,
        Col::CgEarliestOn,
        Col::CgOutcome,
        Col::CgDecidedOn,
        Col::Version,
        Col::UpdatedAt,
        Col::PilotSite,
        Col::AllocatedTo,
        Col::Suspended,
        Col::Disqualified,
        Col::ReviewPending,
        Col::ReconsiderationPending,
        Col::RgServedOn,
        Col::CgServedOn,
        Col::ReferringUser,
        Col::RgDueKey,
        Col::NextDueKey,
        Col::DeadlineFlag,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Col::CaseId => "case_id",
            Col::Reference => "reference",
            Col::Kind => "kind",
            Col::Status => "status",
            Col::CompetentAuthority => "competent_authority",
            Col::AgeGroup => "age_group",
            Col::CountyLines => "county_lines",
            Col::ReferringOrganisation => "referring_organisation",
            Col::ReferredOn => "referred_on",
            Col::RgDueOn => "rg_due_on",
            Col::RgOutcome => "rg_outcome",
            Col::RgDecidedOn => "rg_decided_on",
            Col::CgEarliestOn => "cg_earliest_on",
            Col::CgOutcome => "cg_outcome",
            Col::CgDecidedOn => "cg_decided_on",
            Col::Version => "version",
            Col::UpdatedAt => "updated_at",
            Col::PilotSite => "pilot_site",
            Col::AllocatedTo => "allocated_to",
            Col::Suspended => "suspended",
            Col::Disqualified => "disqualified",
            Col::ReviewPending => "review_pending",
            Col::ReconsiderationPending => "reconsideration_pending",
            Col::RgServedOn => "rg_served_on",
            Col::CgServedOn => "cg_served_on",
            Col::ReferringUser => "referring_user",
            Col::RgDueKey => "rg_due_key",
            Col::NextDueKey => "next_due_key",
            Col::DeadlineFlag => "deadline_flag",
        }
    }

    /// The value a column holds before any event sets it: the schema's default, so a row
    /// inserted whole equals one inserted with only the set columns.
    fn default_value(self) -> Value {
        match self {
            Col::CountyLines
            | Col::Suspended
            | Col::Disqualified
            | Col::ReviewPending
            | Col::ReconsiderationPending => Value::Bool(false),
            Col::RgDueKey | Col::NextDueKey => Value::Date(no_date()),
            Col::DeadlineFlag | Col::Version => Value::I64(0),
            Col::CaseId | Col::ReferringOrganisation | Col::AllocatedTo | Col::ReferringUser => {
                Value::OptUuid(None)
            }
            Col::ReferredOn
            | Col::RgDueOn
            | Col::RgDecidedOn
            | Col::CgEarliestOn
            | Col::CgDecidedOn
            | Col::RgServedOn
            | Col::CgServedOn => Value::OptDate(None),
            Col::UpdatedAt => Value::OptTimestamp(None),
            Col::Reference
            | Col::Kind
            | Col::Status
            | Col::CompetentAuthority
            | Col::AgeGroup
            | Col::RgOutcome
            | Col::CgOutcome
            | Col::PilotSite => Value::OptText(None),
        }
    }
}

/// What one event changes in the read models.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// A new case's summary row with these columns; every other column takes its default.
    NewSummary(Vec<(Col, Value)>),
    /// Sets columns of the summary; with `stamp`, also the stream version and time.
    Set {
        columns: Vec<(Col, Value)>,
        stamp: bool,
    },
    /// A new open deadline, on track.
    OpenDeadline {
        key: String,
        due_on: NaiveDate,
    },
    CloseDeadline {
        key: String,
    },
    /// The Reasonable Grounds deadline opened again, on track, at the summary's due date (if
    /// it has one): a negative RG referred back by its review.
    ReopenReasonableGrounds,
    CloseAllDeadlines,
    /// The sweep's flag on an open deadline.
    FlagDeadline {
        key: String,
        status: &'static str,
    },
    AddExploitationType(&'static str),
}

impl Change {
    fn changes_deadlines(&self) -> bool {
        matches!(
            self,
            Change::OpenDeadline { .. }
                | Change::CloseDeadline { .. }
                | Change::ReopenReasonableGrounds
                | Change::CloseAllDeadlines
                | Change::FlagDeadline { .. }
        )
    }
}

fn set(columns: Vec<(Col, Value)>) -> Change {
    Change::Set {
        columns,
        stamp: true,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// What `event` changes in the read models, in order.
pub(crate) fn changes(event: &CaseEvent, version: u64, recorded_at: DateTime<Utc>) -> Vec<Change> {
    let mut out = Vec::new();
    match event {
        CaseEvent::ReferralSubmitted(e) => {
            let kind = match e.age_group {
                AgeGroup::Adult => crate::CaseKind::AdultReferral.as_str(),
                AgeGroup::Child => crate::CaseKind::ChildReferral.as_str(),
            };
            out.push(Change::NewSummary(vec![
                (Col::Reference, Value::Text(e.reference.to_string())),
                (Col::Kind, text(kind)),
                (
                    Col::Status,
                    text(CaseStatus::AwaitingReasonableGrounds.as_str()),
                ),
                (
                    Col::CompetentAuthority,
                    Value::OptText(Some(e.competent_authority.as_str().to_owned())),
                ),
                (Col::AgeGroup, Value::OptText(Some(age_group(e.age_group)))),
                (Col::CountyLines, Value::Bool(e.exploitation.county_lines)),
                (
                    Col::ReferringOrganisation,
                    Value::Uuid(e.referred_by.organisation.0),
                ),
                (Col::ReferredOn, Value::Date(e.referred_on)),
                (
                    Col::RgDueOn,
                    Value::OptDate(Some(e.reasonable_grounds_due_on)),
                ),
                (Col::Version, stream_version(version)),
                (Col::UpdatedAt, Value::Timestamp(recorded_at)),
                (Col::ReferringUser, Value::Uuid(e.referred_by.user.0)),
                (Col::RgDueKey, Value::Date(e.reasonable_grounds_due_on)),
                (Col::PilotSite, Value::OptText(e.pilot_site.clone())),
            ]));
            out.push(Change::OpenDeadline {
                key: deadline_key(&Deadline::ReasonableGrounds),
                due_on: e.reasonable_grounds_due_on,
            });
            out.extend(
                e.exploitation
                    .types
                    .iter()
                    .map(|t| Change::AddExploitationType(t.as_str())),
            );
        }
        CaseEvent::DutyToNotifyReported(e) => {
            out.push(Change::NewSummary(vec![
                (Col::Reference, Value::Text(e.reference.to_string())),
                (Col::Kind, text(crate::CaseKind::DutyToNotify.as_str())),
                (Col::Status, text(CaseStatus::DutyToNotify.as_str())),
                (Col::CompetentAuthority, Value::OptText(None)),
                (Col::AgeGroup, Value::OptText(Some("adult".to_owned()))),
                (Col::CountyLines, Value::Bool(e.exploitation.county_lines)),
                (
                    Col::ReferringOrganisation,
                    Value::Uuid(e.reported_by.organisation.0),
                ),
                (Col::ReferredOn, Value::Date(e.reported_on)),
                (Col::RgDueOn, Value::OptDate(None)),
                (Col::Version, stream_version(version)),
                (Col::UpdatedAt, Value::Timestamp(recorded_at)),
                (Col::ReferringUser, Value::Uuid(e.reported_by.user.0)),
                (Col::RgDueKey, Value::Date(no_date())),
            ]));
            out.extend(
                e.exploitation
                    .types
                    .iter()
                    .map(|t| Change::AddExploitationType(t.as_str())),
            );
        }
        CaseEvent::ReasonableGroundsDecided(d) => {
            let status = match d.outcome {
                Outcome::Positive => CaseStatus::AwaitingConclusiveGrounds,
                Outcome::Negative => CaseStatus::NegativeReasonableGrounds,
            };
            // A negative RG awaits its review (from December 2022, see the rulebook).
            out.push(set(vec![
                (Col::Status, text(status.as_str())),
                (Col::RgOutcome, Value::OptText(Some(outcome(d.outcome)))),
                (Col::RgDecidedOn, Value::OptDate(Some(d.decided_on))),
                (Col::RgServedOn, Value::OptDate(None)),
                (Col::ReconsiderationPending, Value::Bool(false)),
                (
                    Col::ReviewPending,
                    Value::Bool(ReviewKind::required(d.review)),
                ),
            ]));
            out.push(Change::CloseDeadline {
                key: deadline_key(&Deadline::ReasonableGrounds),
            });
        }
        CaseEvent::RecoveryPeriodStarted(p) => {
            out.push(set(vec![(
                Col::CgEarliestOn,
                Value::OptDate(Some(p.minimum_ends_on)),
            )]));
        }
        CaseEvent::ConclusiveGroundsDecided(d) => {
            let status = match d.outcome {
                Outcome::Positive => CaseStatus::PositiveConclusiveGrounds,
                Outcome::Negative => CaseStatus::NegativeConclusiveGrounds,
            };
            // A negative CG awaiting its review, or a pilot panel's positive one held for the
            // SCA's quality-assurance sample (only those record a review on a positive).
            let review_pending = ReviewKind::required(d.review);
            out.push(set(vec![
                (Col::Status, text(status.as_str())),
                (Col::CgOutcome, Value::OptText(Some(outcome(d.outcome)))),
                (Col::CgDecidedOn, Value::OptDate(Some(d.decided_on))),
                (Col::CgServedOn, Value::OptDate(None)),
                (Col::ReviewPending, Value::Bool(review_pending)),
                (Col::ReconsiderationPending, Value::Bool(false)),
            ]));
        }
        CaseEvent::RouteChanged { to, pilot_site, .. } => {
            out.push(set(vec![
                (
                    Col::CompetentAuthority,
                    Value::OptText(Some(to.as_str().to_owned())),
                ),
                (Col::PilotSite, Value::OptText(pilot_site.clone())),
            ]));
        }
        CaseEvent::CaseAllocated { to, .. } => {
            out.push(set(vec![(Col::AllocatedTo, Value::OptUuid(Some(to.0)))]));
        }
        CaseEvent::InformationRequested {
            request, due_on, ..
        } => {
            out.push(set(Vec::new()));
            out.push(Change::OpenDeadline {
                key: deadline_key(&Deadline::Information(*request)),
                due_on: *due_on,
            });
        }
        CaseEvent::InformationReceived { request, .. } => {
            out.push(set(Vec::new()));
            out.push(Change::CloseDeadline {
                key: deadline_key(&Deadline::Information(*request)),
            });
        }
        CaseEvent::RecoveryPeriodExtended { .. } => out.push(set(Vec::new())),
        CaseEvent::Disqualified { review, .. } => {
            out.push(set(vec![
                (Col::Disqualified, Value::Bool(true)),
                (
                    Col::ReviewPending,
                    Value::Bool(ReviewKind::required(*review)),
                ),
            ]));
        }
        CaseEvent::NegativeReasonableGroundsReviewed {
            outcome: review, ..
        } => match review {
            ReviewOutcome::Agree => out.push(set(vec![(Col::ReviewPending, Value::Bool(false))])),
            // Referred back: the case awaits its RG again, against its original due date.
            ReviewOutcome::ReferBack => {
                out.push(set(vec![
                    (
                        Col::Status,
                        text(CaseStatus::AwaitingReasonableGrounds.as_str()),
                    ),
                    (Col::RgOutcome, Value::OptText(None)),
                    (Col::RgDecidedOn, Value::OptDate(None)),
                    (Col::RgServedOn, Value::OptDate(None)),
                    (Col::ReviewPending, Value::Bool(false)),
                    // A pilot panel's positive RG returned by the SCA takes its recovery
                    // period with it.
                    (Col::CgEarliestOn, Value::OptDate(None)),
                ]));
                out.push(Change::ReopenReasonableGrounds);
            }
        },
        CaseEvent::DisqualificationReviewed {
            outcome: review, ..
        } => {
            // Referred back, the disqualification is set aside.
            out.push(set(vec![
                (
                    Col::Disqualified,
                    Value::Bool(*review == ReviewOutcome::Agree),
                ),
                (Col::ReviewPending, Value::Bool(false)),
            ]));
        }
        CaseEvent::NegativeConclusiveGroundsReviewed {
            outcome: review, ..
        } => match review {
            ReviewOutcome::Agree => out.push(set(vec![(Col::ReviewPending, Value::Bool(false))])),
            ReviewOutcome::ReferBack => out.push(set(vec![
                (
                    Col::Status,
                    text(CaseStatus::AwaitingConclusiveGrounds.as_str()),
                ),
                (Col::CgOutcome, Value::OptText(None)),
                (Col::CgDecidedOn, Value::OptDate(None)),
                (Col::ReviewPending, Value::Bool(false)),
            ])),
        },
        CaseEvent::DecisionServed {
            decision,
            served_on,
            ..
        } => {
            let column = match decision {
                DecisionRef::ReasonableGrounds => Col::RgServedOn,
                DecisionRef::ConclusiveGrounds => Col::CgServedOn,
            };
            out.push(set(vec![(column, Value::OptDate(Some(*served_on)))]));
        }
        CaseEvent::ReconsiderationRequested { .. } => {
            out.push(set(vec![(Col::ReconsiderationPending, Value::Bool(true))]));
        }
        CaseEvent::ReconsiderationDecided {
            decision,
            accepted,
            reasonable_grounds_due_on,
            ..
        } => {
            if !accepted {
                out.push(set(vec![(Col::ReconsiderationPending, Value::Bool(false))]));
                return out;
            }
            match decision {
                DecisionRef::ReasonableGrounds => {
                    out.push(set(vec![
                        (
                            Col::Status,
                            text(CaseStatus::AwaitingReasonableGrounds.as_str()),
                        ),
                        (Col::RgOutcome, Value::OptText(None)),
                        (Col::RgDecidedOn, Value::OptDate(None)),
                        (Col::RgServedOn, Value::OptDate(None)),
                        (Col::RgDueOn, Value::OptDate(*reasonable_grounds_due_on)),
                        (Col::ReconsiderationPending, Value::Bool(false)),
                        (
                            Col::RgDueKey,
                            Value::Date(reasonable_grounds_due_on.unwrap_or_else(no_date)),
                        ),
                    ]));
                    if let Some(due) = reasonable_grounds_due_on {
                        out.push(Change::OpenDeadline {
                            key: deadline_key(&Deadline::ReasonableGrounds),
                            due_on: *due,
                        });
                    }
                }
                DecisionRef::ConclusiveGrounds => out.push(set(vec![
                    (
                        Col::Status,
                        text(CaseStatus::AwaitingConclusiveGrounds.as_str()),
                    ),
                    (Col::CgOutcome, Value::OptText(None)),
                    (Col::CgDecidedOn, Value::OptDate(None)),
                    (Col::CgServedOn, Value::OptDate(None)),
                    (Col::ReconsiderationPending, Value::Bool(false)),
                ])),
            }
        }
        CaseEvent::Withdrawn { .. } | CaseEvent::Closed { .. } => {
            let status = if matches!(event, CaseEvent::Withdrawn { .. }) {
                CaseStatus::Withdrawn
            } else {
                CaseStatus::Closed
            };
            out.push(set(vec![(Col::Status, text(status.as_str()))]));
            out.push(Change::CloseAllDeadlines);
        }
        CaseEvent::Suspended { .. } | CaseEvent::Resumed { .. } => {
            out.push(set(vec![(
                Col::Suspended,
                Value::Bool(matches!(event, CaseEvent::Suspended { .. })),
            )]));
        }
        CaseEvent::DeadlineStatusChanged {
            deadline, status, ..
        } => {
            out.push(set(Vec::new()));
            out.push(Change::FlagDeadline {
                key: deadline_key(deadline),
                status: deadline_status(*status),
            });
        }
        CaseEvent::PanelConvened(_)
        | CaseEvent::PanelPapersPrepared(_)
        | CaseEvent::PanelDecided(_) => out.push(set(Vec::new())),
        // The age group follows the assessment (a route change, if any, is its own event).
        CaseEvent::AgeAssessed(e) => out.push(set(vec![(
            Col::AgeGroup,
            Value::OptText(Some(age_group(match e.finding {
                nrm_domain::children::age::AgeFinding::Adult => AgeGroup::Adult,
                nrm_domain::children::age::AgeFinding::Child => AgeGroup::Child,
            }))),
        )])),
        // Turned 18 during the case: an adult's from now on (a route change is its own event).
        CaseEvent::TurnedEighteen(_) => out.push(set(vec![(
            Col::AgeGroup,
            Value::OptText(Some(age_group(AgeGroup::Adult))),
        )])),
        CaseEvent::ConsentToSupportAnswered(_) => out.push(set(Vec::new())),
        // s62: the CG waits for the decision; without a recovery period it may follow at once.
        CaseEvent::AdditionalRecoveryPeriodQuestioned(_) => out.push(set(Vec::new())),
        CaseEvent::AdditionalRecoveryPeriodDecided(d) => {
            // Appropriate: the `RecoveryPeriodStarted` that follows sets the earliest day.
            out.push(set(if d.appropriate {
                Vec::new()
            } else {
                vec![(Col::CgEarliestOn, Value::OptDate(Some(d.decided_on)))]
            }));
        }
    }
    out
}

fn stream_version(version: u64) -> Value {
    Value::I64(i64::try_from(version).unwrap_or(i64::MAX))
}

/// The `deadline_flag` each deadline status gives a case (see migration 0013): the worst open
/// deadline's rank, 0 when none is open.
const DEADLINE_FLAGS: [(&str, i64); 3] = [("overdue", 3), ("due_soon", 2), ("on_track", 1)];

/// [`DEADLINE_FLAGS`] for one status.
fn flag_rank(status: &str) -> i64 {
    DEADLINE_FLAGS
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(1, |(_, rank)| *rank)
}

/// Brings the summary's next open due date and worst deadline flag up to date with
/// `case_deadlines`; runs after every change to a case's deadlines, in the same transaction,
/// so the queue filters on one indexed column instead of a subquery per case.
/// [`CaseRows::refresh_deadlines`] is the same rule in memory; both rank from
/// [`DEADLINE_FLAGS`].
fn refresh_deadlines(case: &Value) -> Statement {
    let ranks: String = DEADLINE_FLAGS
        .iter()
        .map(|(status, rank)| format!(" WHEN '{status}' THEN {rank}"))
        .collect();
    Statement::new(
        format!(
            "UPDATE case_summaries SET next_due_key = COALESCE((SELECT MIN(d.due_on) FROM case_deadlines d WHERE d.case_id = $1), '9999-12-31'), deadline_flag = COALESCE((SELECT MAX(CASE d.status{ranks} ELSE 1 END) FROM case_deadlines d WHERE d.case_id = $1), 0) WHERE case_id = $1"
        ),
        vec![case.clone()],
    )
}

/// The statements that bring the read models up to date with `event` at stream `version`.
pub(crate) fn project(
    case_id: CaseId,
    version: u64,
    event: &CaseEvent,
    recorded_at: DateTime<Utc>,
) -> Vec<Statement> {
    let case = Value::Uuid(case_id.0);
    let mut out = Vec::new();
    let mut changes = changes(event, version, recorded_at);
    let mut refresh = changes.iter().any(Change::changes_deadlines);
    let mut mask = None;
    // A new case's summary row is written once, whole: with its exploitation types' bit mask
    // (the types go in first, as the import writes them, `bulk.rs`) and its next due date and
    // deadline flag (from the deadlines it opens: a new case has no others). Before, the types'
    // trigger (migration 0014) updated the new row once per type and the deadline refresh once
    // more: each a new version of the row in every queue index and a set of queue-count deltas,
    // for values known here.
    let new_summary = changes.iter().any(|c| matches!(c, Change::NewSummary(_)));
    if new_summary
        && changes
            .iter()
            .all(|c| !c.changes_deadlines() || matches!(c, Change::OpenDeadline { .. }))
    {
        mask = Some(crate::counts::exploitation_mask(changes.iter().filter_map(
            |c| match c {
                Change::AddExploitationType(t) => Some(*t),
                _ => None,
            },
        )));
        let next_due = changes
            .iter()
            .filter_map(|c| match c {
                Change::OpenDeadline { due_on, .. } => Some(*due_on),
                _ => None,
            })
            .min();
        let flag = next_due.map_or(0, |_| flag_rank("on_track"));
        for change in &mut changes {
            if let Change::NewSummary(columns) = change {
                columns.extend([
                    (
                        Col::NextDueKey,
                        Value::Date(next_due.unwrap_or_else(no_date)),
                    ),
                    (Col::DeadlineFlag, Value::I64(flag)),
                ]);
            }
        }
        changes.sort_by_key(|c| !matches!(c, Change::AddExploitationType(_)));
        refresh = false;
    }
    for change in changes {
        out.push(match change {
            Change::NewSummary(columns) => {
                let mut names = vec![Col::CaseId.name()];
                let mut values = vec![case.clone()];
                for (column, value) in columns {
                    names.push(column.name());
                    values.push(value);
                }
                if let Some(mask) = mask {
                    names.push("exploitation_mask");
                    values.push(Value::I64(i64::from(mask)));
                }
                let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
                Statement::new(
                    Cow::Owned(format!(
                        "INSERT INTO case_summaries ({}) VALUES ({})",
                        names.join(", "),
                        placeholders.join(", ")
                    )),
                    values,
                )
            }
            Change::Set { mut columns, stamp } => {
                if stamp {
                    columns.push((Col::Version, stream_version(version)));
                    columns.push((Col::UpdatedAt, Value::Timestamp(recorded_at)));
                }
                let assignments: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, (column, _))| format!("{} = ${}", column.name(), i + 1))
                    .collect();
                let mut values: Vec<Value> = columns.into_iter().map(|(_, v)| v).collect();
                values.push(case.clone());
                Statement::new(
                    Cow::Owned(format!(
                        "UPDATE case_summaries SET {} WHERE case_id = ${}",
                        assignments.join(", "),
                        values.len()
                    )),
                    values,
                )
            }
            Change::OpenDeadline { key, due_on } => Statement::new(
                "INSERT INTO case_deadlines (case_id, deadline, due_on, status) VALUES ($1, $2, $3, $4)",
                vec![case.clone(), Value::Text(key), Value::Date(due_on), text("on_track")],
            ),
            Change::CloseDeadline { key } => Statement::new(
                "DELETE FROM case_deadlines WHERE case_id = $1 AND deadline = $2",
                vec![case.clone(), Value::Text(key)],
            ),
            Change::ReopenReasonableGrounds => Statement::new(
                "INSERT INTO case_deadlines (case_id, deadline, due_on, status) SELECT case_id, $1, rg_due_on, $2 FROM case_summaries WHERE case_id = $3 AND rg_due_on IS NOT NULL",
                vec![
                    Value::Text(deadline_key(&Deadline::ReasonableGrounds)),
                    text("on_track"),
                    case.clone(),
                ],
            ),
            Change::CloseAllDeadlines => Statement::new(
                "DELETE FROM case_deadlines WHERE case_id = $1",
                vec![case.clone()],
            ),
            Change::FlagDeadline { key, status } => Statement::new(
                "UPDATE case_deadlines SET status = $1 WHERE case_id = $2 AND deadline = $3",
                vec![text(status), case.clone(), Value::Text(key)],
            ),
            Change::AddExploitationType(t) => Statement::new(
                "INSERT INTO case_exploitation_types (case_id, exploitation_type) VALUES ($1, $2)",
                vec![case.clone(), text(t)],
            ),
        });
    }
    if refresh {
        out.push(refresh_deadlines(&case));
    }
    // A concluded age assessment may change the date of birth the case goes by: the sweep
    // turn's age review reads it again (migration 0028).
    if matches!(event, CaseEvent::AgeAssessed(_)) {
        out.push(Statement::new(
            "DELETE FROM case_age_reviews WHERE case_id = $1",
            vec![case.clone()],
        ));
    }
    out
}

/// A new case's read-model rows, folded in memory from its events by the same [`changes`]
/// the append path turns into SQL; the bulk import inserts the final rows once.
#[derive(Debug, Clone)]
pub(crate) struct CaseRows {
    case_id: CaseId,
    /// Every column of `case_summaries` in [`Col::ALL`] order; `None` until the case's
    /// submission event creates it.
    summary: Option<Vec<Value>>,
    /// Open deadlines: key → (due date, status).
    deadlines: BTreeMap<String, (NaiveDate, &'static str)>,
    exploitation_types: Vec<&'static str>,
}

impl CaseRows {
    pub(crate) fn new(case_id: CaseId) -> Self {
        Self {
            case_id,
            summary: None,
            deadlines: BTreeMap::new(),
            exploitation_types: Vec::new(),
        }
    }

    /// Applies `event` at stream `version`. Fails where the SQL path would fail (a second
    /// summary, a deadline or type recorded twice) or would silently do nothing (an update
    /// before the summary exists), so an import never writes what an append could not.
    pub(crate) fn apply(
        &mut self,
        event: &CaseEvent,
        version: u64,
        recorded_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("an imported case {what}"));
        let changes = changes(event, version, recorded_at);
        let refresh = changes.iter().any(Change::changes_deadlines);
        for change in changes {
            match change {
                Change::NewSummary(columns) => {
                    if self.summary.is_some() {
                        return Err(corrupt("is submitted twice"));
                    }
                    let mut row: Vec<Value> = Col::ALL.iter().map(|c| c.default_value()).collect();
                    row[Col::CaseId as usize] = Value::Uuid(self.case_id.0);
                    for (column, value) in columns {
                        row[column as usize] = value;
                    }
                    self.summary = Some(row);
                }
                Change::Set { columns, stamp } => {
                    let row = self
                        .summary
                        .as_mut()
                        .ok_or_else(|| corrupt("changes before its submission"))?;
                    for (column, value) in columns {
                        row[column as usize] = value;
                    }
                    if stamp {
                        row[Col::Version as usize] = stream_version(version);
                        row[Col::UpdatedAt as usize] = Value::Timestamp(recorded_at);
                    }
                }
                Change::OpenDeadline { key, due_on } => {
                    if self.deadlines.insert(key, (due_on, "on_track")).is_some() {
                        return Err(corrupt("opens a deadline twice"));
                    }
                }
                Change::CloseDeadline { key } => {
                    self.deadlines.remove(&key);
                }
                Change::ReopenReasonableGrounds => {
                    let due = match self.summary.as_ref().map(|row| &row[Col::RgDueOn as usize]) {
                        Some(Value::OptDate(Some(due)) | Value::Date(due)) => Some(*due),
                        _ => None,
                    };
                    if let Some(due) = due {
                        let key = deadline_key(&Deadline::ReasonableGrounds);
                        if self.deadlines.insert(key, (due, "on_track")).is_some() {
                            return Err(corrupt("opens a deadline twice"));
                        }
                    }
                }
                Change::CloseAllDeadlines => self.deadlines.clear(),
                Change::FlagDeadline { key, status } => {
                    if let Some(deadline) = self.deadlines.get_mut(&key) {
                        deadline.1 = status;
                    }
                }
                Change::AddExploitationType(t) => {
                    if self.exploitation_types.contains(&t) {
                        return Err(corrupt("records an exploitation type twice"));
                    }
                    self.exploitation_types.push(t);
                }
            }
        }
        if refresh {
            self.refresh_deadlines();
        }
        Ok(())
    }

    /// [`refresh_deadlines`] in memory.
    fn refresh_deadlines(&mut self) {
        let next = self.deadlines.values().map(|(due, _)| *due).min();
        let flag = self.deadlines.values().map(|(_, s)| flag_rank(s)).max();
        if let Some(row) = self.summary.as_mut() {
            row[Col::NextDueKey as usize] = Value::Date(next.unwrap_or_else(no_date));
            row[Col::DeadlineFlag as usize] = Value::I64(flag.unwrap_or(0));
        }
    }

    /// The final `case_summaries` row (columns in [`Col::ALL`] order), the open deadlines as
    /// `(key, due date, status)`, and the exploitation types; `None` if no event created the
    /// summary.
    #[allow(clippy::type_complexity)]
    pub(crate) fn finish(
        self,
    ) -> Option<(
        Vec<Value>,
        Vec<(String, NaiveDate, &'static str)>,
        Vec<&'static str>,
    )> {
        let summary = self.summary?;
        let deadlines = self
            .deadlines
            .into_iter()
            .map(|(key, (due, status))| (key, due, status))
            .collect();
        Some((summary, deadlines, self.exploitation_types))
    }
}
