//! The work-queue read model: how each event changes `case_summaries`.
//!
//! Pure: each event becomes SQL statements that the append runs in its own transaction, so the
//! summary is never behind the log. Only non-identifying facts are projected.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_domain::case::CaseStatus;
use nrm_domain::event::{CaseEvent, Deadline, DeadlineStatus, DecisionRef, Outcome, ReviewOutcome};
use nrm_domain::ids::CaseId;
use nrm_domain::rules::ReviewKind;
use nrm_domain::submission::AgeGroup;

use crate::statement::{Statement, Value};

fn outcome(o: Outcome) -> String {
    match o {
        Outcome::Positive => "positive",
        Outcome::Negative => "negative",
    }
    .to_owned()
}

fn age_group(a: AgeGroup) -> String {
    match a {
        AgeGroup::Adult => "adult",
        AgeGroup::Child => "child",
    }
    .to_owned()
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

fn close_deadline(case: &Value, deadline: &Deadline) -> Statement {
    Statement::new(
        "DELETE FROM case_deadlines WHERE case_id = $1 AND deadline = $2",
        vec![case.clone(), Value::Text(deadline_key(deadline))],
    )
}

/// The sort key of a missing date: after every real one (see migration 0013).
pub(crate) fn no_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Brings the summary's next open due date and worst deadline flag up to date with
/// `case_deadlines`; runs after every statement that changes a case's deadlines, in the same
/// transaction, so the queue filters on one indexed column instead of a subquery per case.
fn refresh_deadlines(case: &Value) -> Statement {
    Statement::new(
        "UPDATE case_summaries SET next_due_key = COALESCE((SELECT MIN(d.due_on) FROM case_deadlines d WHERE d.case_id = $1), '9999-12-31'), deadline_flag = COALESCE((SELECT MAX(CASE d.status WHEN 'overdue' THEN 3 WHEN 'due_soon' THEN 2 ELSE 1 END) FROM case_deadlines d WHERE d.case_id = $1), 0) WHERE case_id = $1",
        vec![case.clone()],
    )
}

/// Records that the case changed without changing any summary column.
fn touch(version: Value, at: Value, case: &Value) -> Statement {
    Statement::new(
        "UPDATE case_summaries SET version = $1, updated_at = $2 WHERE case_id = $3",
        vec![version, at, case.clone()],
    )
}

/// The statements that bring the read model up to date with `event` at stream `version`.
pub(crate) fn project(
    case_id: CaseId,
    version: u64,
    event: &CaseEvent,
    recorded_at: DateTime<Utc>,
) -> Vec<Statement> {
    let case = Value::Uuid(case_id.0);
    let version = Value::I64(i64::try_from(version).unwrap_or(i64::MAX));
    let at = Value::Timestamp(recorded_at);
    let mut out = Vec::new();
    let insert = "INSERT INTO case_summaries (case_id, reference, kind, status, competent_authority, age_group, county_lines, referring_organisation, referred_on, rg_due_on, version, updated_at, referring_user, rg_due_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    let types = match event {
        CaseEvent::ReferralSubmitted(e) => {
            let kind = match e.age_group {
                AgeGroup::Adult => "adult_referral",
                AgeGroup::Child => "child_referral",
            };
            out.push(Statement::new(
                insert,
                vec![
                    case.clone(),
                    Value::Text(e.reference.to_string()),
                    Value::Text(kind.to_owned()),
                    Value::Text(CaseStatus::AwaitingReasonableGrounds.as_str().to_owned()),
                    Value::OptText(Some(e.competent_authority.as_str().to_owned())),
                    Value::OptText(Some(age_group(e.age_group))),
                    Value::Bool(e.exploitation.county_lines),
                    Value::Uuid(e.referred_by.organisation.0),
                    Value::Date(e.referred_on),
                    Value::OptDate(Some(e.reasonable_grounds_due_on)),
                    version,
                    at,
                    Value::Uuid(e.referred_by.user.0),
                    Value::Date(e.reasonable_grounds_due_on),
                ],
            ));
            out.push(Statement::new(
                "UPDATE case_summaries SET pilot_site = $1 WHERE case_id = $2",
                vec![Value::OptText(e.pilot_site.clone()), case.clone()],
            ));
            out.push(Statement::new(
                "INSERT INTO case_deadlines (case_id, deadline, due_on, status) VALUES ($1, $2, $3, $4)",
                vec![
                    case.clone(),
                    Value::Text(deadline_key(&Deadline::ReasonableGrounds)),
                    Value::Date(e.reasonable_grounds_due_on),
                    Value::Text("on_track".to_owned()),
                ],
            ));
            out.push(refresh_deadlines(&case));
            e.exploitation.types.clone()
        }
        CaseEvent::DutyToNotifyReported(e) => {
            out.push(Statement::new(
                insert,
                vec![
                    case.clone(),
                    Value::Text(e.reference.to_string()),
                    Value::Text("duty_to_notify".to_owned()),
                    Value::Text(CaseStatus::DutyToNotify.as_str().to_owned()),
                    Value::OptText(None),
                    Value::OptText(Some("adult".to_owned())),
                    Value::Bool(e.exploitation.county_lines),
                    Value::Uuid(e.reported_by.organisation.0),
                    Value::Date(e.reported_on),
                    Value::OptDate(None),
                    version,
                    at,
                    Value::Uuid(e.reported_by.user.0),
                    Value::Date(no_date()),
                ],
            ));
            e.exploitation.types.clone()
        }
        CaseEvent::ReasonableGroundsDecided(d) => {
            let status = match d.outcome {
                Outcome::Positive => CaseStatus::AwaitingConclusiveGrounds,
                Outcome::Negative => CaseStatus::NegativeReasonableGrounds,
            };
            // A negative RG awaits its review (from December 2022, see the rulebook).
            out.push(Statement::new(
                "UPDATE case_summaries SET status = $1, rg_outcome = $2, rg_decided_on = $3, rg_served_on = NULL, reconsideration_pending = $4, review_pending = $5, version = $6, updated_at = $7 WHERE case_id = $8",
                vec![
                    Value::Text(status.as_str().to_owned()),
                    Value::Text(outcome(d.outcome)),
                    Value::Date(d.decided_on),
                    Value::Bool(false),
                    Value::Bool(ReviewKind::required(d.review)),
                    version,
                    at,
                    case.clone(),
                ],
            ));
            out.push(close_deadline(&case, &Deadline::ReasonableGrounds));
            out.push(refresh_deadlines(&case));
            return out;
        }
        CaseEvent::RecoveryPeriodStarted(p) => {
            out.push(Statement::new(
                "UPDATE case_summaries SET cg_earliest_on = $1, version = $2, updated_at = $3 WHERE case_id = $4",
                vec![Value::Date(p.minimum_ends_on), version, at, case],
            ));
            return out;
        }
        CaseEvent::ConclusiveGroundsDecided(d) => {
            let status = match d.outcome {
                Outcome::Positive => CaseStatus::PositiveConclusiveGrounds,
                Outcome::Negative => CaseStatus::NegativeConclusiveGrounds,
            };
            let review_pending = d.outcome == Outcome::Negative && ReviewKind::required(d.review);
            out.push(Statement::new(
                "UPDATE case_summaries SET status = $1, cg_outcome = $2, cg_decided_on = $3, cg_served_on = NULL, review_pending = $4, reconsideration_pending = $5, version = $6, updated_at = $7 WHERE case_id = $8",
                vec![
                    Value::Text(status.as_str().to_owned()),
                    Value::Text(outcome(d.outcome)),
                    Value::Date(d.decided_on),
                    Value::Bool(review_pending),
                    Value::Bool(false),
                    version,
                    at,
                    case,
                ],
            ));
            return out;
        }
        CaseEvent::RouteChanged { to, pilot_site, .. } => {
            out.push(Statement::new(
                "UPDATE case_summaries SET competent_authority = $1, pilot_site = $2, version = $3, updated_at = $4 WHERE case_id = $5",
                vec![
                    Value::OptText(Some(to.as_str().to_owned())),
                    Value::OptText(pilot_site.clone()),
                    version,
                    at,
                    case,
                ],
            ));
            return out;
        }
        CaseEvent::CaseAllocated { to, .. } => {
            out.push(Statement::new(
                "UPDATE case_summaries SET allocated_to = $1, version = $2, updated_at = $3 WHERE case_id = $4",
                vec![Value::Uuid(to.0), version, at, case],
            ));
            return out;
        }
        CaseEvent::InformationRequested {
            request, due_on, ..
        } => {
            out.push(touch(version, at, &case));
            out.push(Statement::new(
                "INSERT INTO case_deadlines (case_id, deadline, due_on, status) VALUES ($1, $2, $3, $4)",
                vec![
                    case.clone(),
                    Value::Text(deadline_key(&Deadline::Information(*request))),
                    Value::Date(*due_on),
                    Value::Text("on_track".to_owned()),
                ],
            ));
            out.push(refresh_deadlines(&case));
            return out;
        }
        CaseEvent::InformationReceived { request, .. } => {
            out.push(touch(version, at, &case));
            out.push(close_deadline(&case, &Deadline::Information(*request)));
            out.push(refresh_deadlines(&case));
            return out;
        }
        CaseEvent::RecoveryPeriodExtended { .. } => {
            out.push(touch(version, at, &case));
            return out;
        }
        CaseEvent::Disqualified { review, .. } => {
            out.push(Statement::new(
                "UPDATE case_summaries SET disqualified = $1, review_pending = $2, version = $3, updated_at = $4 WHERE case_id = $5",
                vec![
                    Value::Bool(true),
                    Value::Bool(ReviewKind::required(*review)),
                    version,
                    at,
                    case,
                ],
            ));
            return out;
        }
        CaseEvent::NegativeReasonableGroundsReviewed {
            outcome: review, ..
        } => {
            match review {
                ReviewOutcome::Agree => out.push(Statement::new(
                    "UPDATE case_summaries SET review_pending = $1, version = $2, updated_at = $3 WHERE case_id = $4",
                    vec![Value::Bool(false), version, at, case],
                )),
                // Referred back: the case awaits its RG again, against its original due date.
                ReviewOutcome::ReferBack => {
                    out.push(Statement::new(
                        "UPDATE case_summaries SET status = $1, rg_outcome = NULL, rg_decided_on = NULL, rg_served_on = NULL, review_pending = $2, version = $3, updated_at = $4 WHERE case_id = $5",
                        vec![
                            Value::Text(CaseStatus::AwaitingReasonableGrounds.as_str().to_owned()),
                            Value::Bool(false),
                            version,
                            at,
                            case.clone(),
                        ],
                    ));
                    out.push(Statement::new(
                        "INSERT INTO case_deadlines (case_id, deadline, due_on, status) SELECT case_id, $1, rg_due_on, $2 FROM case_summaries WHERE case_id = $3 AND rg_due_on IS NOT NULL",
                        vec![
                            Value::Text(deadline_key(&Deadline::ReasonableGrounds)),
                            Value::Text("on_track".to_owned()),
                            case.clone(),
                        ],
                    ));
                    out.push(refresh_deadlines(&case));
                }
            }
            return out;
        }
        CaseEvent::DisqualificationReviewed {
            outcome: review, ..
        } => {
            // Referred back, the disqualification is set aside.
            let disqualified = *review == ReviewOutcome::Agree;
            out.push(Statement::new(
                "UPDATE case_summaries SET disqualified = $1, review_pending = $2, version = $3, updated_at = $4 WHERE case_id = $5",
                vec![Value::Bool(disqualified), Value::Bool(false), version, at, case],
            ));
            return out;
        }
        CaseEvent::NegativeConclusiveGroundsReviewed {
            outcome: review, ..
        } => {
            match review {
                ReviewOutcome::Agree => out.push(Statement::new(
                    "UPDATE case_summaries SET review_pending = $1, version = $2, updated_at = $3 WHERE case_id = $4",
                    vec![Value::Bool(false), version, at, case],
                )),
                ReviewOutcome::ReferBack => out.push(Statement::new(
                    "UPDATE case_summaries SET status = $1, cg_outcome = NULL, cg_decided_on = NULL, review_pending = $2, version = $3, updated_at = $4 WHERE case_id = $5",
                    vec![
                        Value::Text(CaseStatus::AwaitingConclusiveGrounds.as_str().to_owned()),
                        Value::Bool(false),
                        version,
                        at,
                        case,
                    ],
                )),
            }
            return out;
        }
        CaseEvent::DecisionServed {
            decision,
            served_on,
            ..
        } => {
            let sql = match decision {
                DecisionRef::ReasonableGrounds => {
                    "UPDATE case_summaries SET rg_served_on = $1, version = $2, updated_at = $3 WHERE case_id = $4"
                }
                DecisionRef::ConclusiveGrounds => {
                    "UPDATE case_summaries SET cg_served_on = $1, version = $2, updated_at = $3 WHERE case_id = $4"
                }
            };
            out.push(Statement::new(
                sql,
                vec![Value::Date(*served_on), version, at, case],
            ));
            return out;
        }
        CaseEvent::ReconsiderationRequested { .. } => {
            out.push(Statement::new(
                "UPDATE case_summaries SET reconsideration_pending = $1, version = $2, updated_at = $3 WHERE case_id = $4",
                vec![Value::Bool(true), version, at, case],
            ));
            return out;
        }
        CaseEvent::ReconsiderationDecided {
            decision,
            accepted,
            reasonable_grounds_due_on,
            ..
        } => {
            if !accepted {
                out.push(Statement::new(
                    "UPDATE case_summaries SET reconsideration_pending = $1, version = $2, updated_at = $3 WHERE case_id = $4",
                    vec![Value::Bool(false), version, at, case],
                ));
                return out;
            }
            match decision {
                DecisionRef::ReasonableGrounds => {
                    out.push(Statement::new(
                        "UPDATE case_summaries SET status = $1, rg_outcome = NULL, rg_decided_on = NULL, rg_served_on = NULL, rg_due_on = $2, reconsideration_pending = $3, version = $4, updated_at = $5, rg_due_key = $6 WHERE case_id = $7",
                        vec![
                            Value::Text(CaseStatus::AwaitingReasonableGrounds.as_str().to_owned()),
                            Value::OptDate(*reasonable_grounds_due_on),
                            Value::Bool(false),
                            version,
                            at,
                            Value::Date(reasonable_grounds_due_on.unwrap_or_else(no_date)),
                            case.clone(),
                        ],
                    ));
                    if let Some(due) = reasonable_grounds_due_on {
                        out.push(Statement::new(
                            "INSERT INTO case_deadlines (case_id, deadline, due_on, status) VALUES ($1, $2, $3, $4)",
                            vec![
                                case.clone(),
                                Value::Text(deadline_key(&Deadline::ReasonableGrounds)),
                                Value::Date(*due),
                                Value::Text("on_track".to_owned()),
                            ],
                        ));
                        out.push(refresh_deadlines(&case));
                    }
                }
                DecisionRef::ConclusiveGrounds => out.push(Statement::new(
                    "UPDATE case_summaries SET status = $1, cg_outcome = NULL, cg_decided_on = NULL, cg_served_on = NULL, reconsideration_pending = $2, version = $3, updated_at = $4 WHERE case_id = $5",
                    vec![
                        Value::Text(CaseStatus::AwaitingConclusiveGrounds.as_str().to_owned()),
                        Value::Bool(false),
                        version,
                        at,
                        case,
                    ],
                )),
            }
            return out;
        }
        CaseEvent::Withdrawn { .. } | CaseEvent::Closed { .. } => {
            let status = if matches!(event, CaseEvent::Withdrawn { .. }) {
                CaseStatus::Withdrawn
            } else {
                CaseStatus::Closed
            };
            out.push(Statement::new(
                "UPDATE case_summaries SET status = $1, version = $2, updated_at = $3 WHERE case_id = $4",
                vec![Value::Text(status.as_str().to_owned()), version, at, case.clone()],
            ));
            out.push(Statement::new(
                "DELETE FROM case_deadlines WHERE case_id = $1",
                vec![case.clone()],
            ));
            out.push(refresh_deadlines(&case));
            return out;
        }
        CaseEvent::Suspended { .. } | CaseEvent::Resumed { .. } => {
            out.push(Statement::new(
                "UPDATE case_summaries SET suspended = $1, version = $2, updated_at = $3 WHERE case_id = $4",
                vec![Value::Bool(matches!(event, CaseEvent::Suspended { .. })), version, at, case],
            ));
            return out;
        }
        CaseEvent::DeadlineStatusChanged {
            deadline, status, ..
        } => {
            out.push(touch(version, at, &case));
            out.push(Statement::new(
                "UPDATE case_deadlines SET status = $1 WHERE case_id = $2 AND deadline = $3",
                vec![
                    Value::Text(deadline_status(*status).to_owned()),
                    case.clone(),
                    Value::Text(deadline_key(deadline)),
                ],
            ));
            out.push(refresh_deadlines(&case));
            return out;
        }
    };
    for t in types {
        out.push(Statement::new(
            "INSERT INTO case_exploitation_types (case_id, exploitation_type) VALUES ($1, $2)",
            vec![case.clone(), Value::Text(t.as_str().to_owned())],
        ));
    }
    out
}
