//! The work-queue read model: how each event changes `case_summaries`.
//!
//! Pure: each event becomes SQL statements that the append runs in its own transaction, so the
//! summary is never behind the log. Only non-identifying facts are projected.

use chrono::{DateTime, Utc};
use nrm_domain::case::CaseStatus;
use nrm_domain::event::{CaseEvent, Outcome};
use nrm_domain::ids::CaseId;
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
    let insert = "INSERT INTO case_summaries (case_id, reference, kind, status, competent_authority, age_group, county_lines, referring_organisation, referred_on, rg_due_on, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
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
                ],
            ));
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
                ],
            ));
            e.exploitation.types.clone()
        }
        CaseEvent::ReasonableGroundsDecided(d) => {
            let status = match d.outcome {
                Outcome::Positive => CaseStatus::AwaitingConclusiveGrounds,
                Outcome::Negative => CaseStatus::NegativeReasonableGrounds,
            };
            out.push(Statement::new(
                "UPDATE case_summaries SET status = $1, rg_outcome = $2, rg_decided_on = $3, version = $4, updated_at = $5 WHERE case_id = $6",
                vec![
                    Value::Text(status.as_str().to_owned()),
                    Value::Text(outcome(d.outcome)),
                    Value::Date(d.decided_on),
                    version,
                    at,
                    case,
                ],
            ));
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
            out.push(Statement::new(
                "UPDATE case_summaries SET status = $1, cg_outcome = $2, cg_decided_on = $3, version = $4, updated_at = $5 WHERE case_id = $6",
                vec![
                    Value::Text(status.as_str().to_owned()),
                    Value::Text(outcome(d.outcome)),
                    Value::Date(d.decided_on),
                    version,
                    at,
                    case,
                ],
            ));
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
