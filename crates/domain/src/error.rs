//! Rules a command can break, each with a message a caseworker can act on.
//!
//! Messages never contain personal data: they name fields, dates of decisions and rules, not
//! people.

use chrono::NaiveDate;

/// One problem with one input field. `field` is a JSON pointer into the submitted document
/// (for example `/victim/date_of_birth`), so the web layer can point at it on a form or in a
/// problem-details body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why the domain refused a command. Nothing is recorded when any of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("the submission has {} problem(s)", .0.len())]
    Invalid(Vec<FieldProblem>),
    #[error("this case has already been submitted")]
    AlreadySubmitted,
    #[error("there is no case to decide on")]
    NoSuchCase,
    #[error("a Duty to Notify report is an anonymous notification and has no decisions")]
    DutyToNotifyHasNoDecisions,
    #[error("a Reasonable Grounds decision has already been made on this case")]
    ReasonableGroundsAlreadyDecided,
    #[error(
        "a Conclusive Grounds decision can only follow a positive Reasonable Grounds decision, and none has been made"
    )]
    ConclusiveGroundsWithoutReasonableGrounds,
    #[error(
        "a Conclusive Grounds decision can only follow a positive Reasonable Grounds decision; this case had a negative one"
    )]
    ConclusiveGroundsAfterNegativeReasonableGrounds,
    #[error(
        "a Conclusive Grounds decision cannot be made before the recovery period's minimum ends on {minimum_ends_on} ({rule})"
    )]
    ConclusiveGroundsInsideRecoveryPeriod {
        minimum_ends_on: NaiveDate,
        rule: String,
    },
    #[error("a Conclusive Grounds decision has already been made on this case")]
    ConclusiveGroundsAlreadyDecided,
    /// A lifecycle rule refused the command; the message names the rule and its source.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
}

impl DomainError {
    /// A refusal by a lifecycle rule.
    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        Self::Refused {
            code,
            message: message.into(),
        }
    }

    /// A stable slug for the error kind, used in problem-details `type` URIs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid-input",
            Self::AlreadySubmitted => "already-submitted",
            Self::NoSuchCase => "no-such-case",
            Self::DutyToNotifyHasNoDecisions => "duty-to-notify-has-no-decisions",
            Self::ReasonableGroundsAlreadyDecided => "reasonable-grounds-already-decided",
            Self::ConclusiveGroundsWithoutReasonableGrounds => {
                "conclusive-grounds-without-reasonable-grounds"
            }
            Self::ConclusiveGroundsAfterNegativeReasonableGrounds => {
                "conclusive-grounds-after-negative-reasonable-grounds"
            }
            Self::ConclusiveGroundsInsideRecoveryPeriod { .. } => {
                "conclusive-grounds-inside-recovery-period"
            }
            Self::ConclusiveGroundsAlreadyDecided => "conclusive-grounds-already-decided",
            Self::Refused { code, .. } => code,
        }
    }
}
