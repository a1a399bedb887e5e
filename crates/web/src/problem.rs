//! RFC 9457 problem details: the one shape every API error takes, and the one mapping from
//! service errors to HTTP statuses.
//!
//! Bodies name the problem and the fields involved, never the values: a rejected name or date
//! of birth is not echoed back. Server faults carry only a generic title and the request id;
//! the cause is logged once, with that id, and never sent to the client.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nrm_domain::{DomainError, FieldProblem};
use nrm_service::ServiceError;
use nrm_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field: a JSON pointer into the request body (or the query parameter name) and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvalidField {
    pub pointer: String,
    pub detail: String,
}

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem; documented in docs/API-DESIGN.md.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Each invalid field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<InvalidField>,
    /// The current version of the case, for conflicts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{code}"),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            current_version: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn invalid(problems: Vec<FieldProblem>) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "The request has invalid fields",
        );
        p.errors = problems
            .into_iter()
            .map(|f| InvalidField {
                pointer: f.field,
                detail: f.message,
            })
            .collect();
        p
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "No such case")
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong; the request id identifies it to the service desk",
        )
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        if status.is_client_error() {
            // Security-event logging: every refused request is logged, without its content.
            tracing::info!(status = status.as_u16(), problem = %self.kind, "request refused");
        }
        let mut response = (status, Json(self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<DomainError> for Problem {
    fn from(e: DomainError) -> Self {
        let message = e.to_string();
        let code = e.code();
        match e {
            DomainError::Invalid(problems) => Self::invalid(problems),
            DomainError::ConclusiveGroundsInsideRecoveryPeriod { .. } => {
                let mut p = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    "The decision date is inside the recovery period",
                );
                p.errors = vec![InvalidField {
                    pointer: "/decided_on".to_owned(),
                    detail: capitalise(&message),
                }];
                p.detail(capitalise(&message))
            }
            DomainError::NoSuchCase => Self::not_found(),
            // Who may refer or report (issue #10): the organisation, not the case, is refused.
            DomainError::Refused { code, message }
                if matches!(
                    code,
                    "not-a-first-responder-organisation"
                        | "duty-to-notify-not-for-this-organisation"
                ) =>
            {
                Self::new(
                    StatusCode::FORBIDDEN,
                    code,
                    "Your organisation may not make this submission",
                )
                .detail(message)
            }
            DomainError::Refused { code, message } => Self::new(
                StatusCode::CONFLICT,
                code,
                "The rules do not allow this on the case as it stands",
            )
            .detail(message),
            DomainError::AlreadySubmitted
            | DomainError::DutyToNotifyHasNoDecisions
            | DomainError::ReasonableGroundsAlreadyDecided
            | DomainError::ConclusiveGroundsWithoutReasonableGrounds
            | DomainError::ConclusiveGroundsAfterNegativeReasonableGrounds
            | DomainError::ConclusiveGroundsAlreadyDecided => Self::new(
                StatusCode::CONFLICT,
                code,
                "The case is not at a stage where this can be done",
            )
            .detail(capitalise(&message)),
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Domain(d) => d.into(),
            ServiceError::NotFound => Self::not_found(),
            ServiceError::Conflict { actual } => {
                let mut p = Self::new(
                    StatusCode::PRECONDITION_FAILED,
                    "stale-version",
                    "The case has changed since you read it",
                )
                .detail(
                    "Read the case again, check the changes, and resubmit with its new version",
                );
                p.current_version = Some(actual);
                p
            }
            ServiceError::DraftSubmitted { reference } => Self::new(
                StatusCode::CONFLICT,
                "draft-submitted",
                "This referral has already been submitted",
            )
            .detail(format!("It was submitted as case {reference}")),
            ServiceError::Throttled => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Too many attempts: wait a few minutes and try again",
            ),
            ServiceError::Store(store) => store.into(),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::VersionConflict { actual, .. } => ServiceError::Conflict { actual }.into(),
            StoreError::DraftAlreadySubmitted => Self::new(
                StatusCode::CONFLICT,
                "draft-submitted",
                "This referral has already been submitted",
            ),
            StoreError::Erased => Self::new(
                StatusCode::GONE,
                "erased",
                "This personal data was erased at the end of its retention",
            ),
            StoreError::BadUrl(_)
            | StoreError::UnsafeDurability(_)
            | StoreError::DuplicateReference
            | StoreError::CommitFailed
            | StoreError::Crypto(_)
            | StoreError::KeyRefused(_)
            | StoreError::Corrupt(_)
            | StoreError::Database(_)
            | StoreError::Migrate(_) => {
                // Logged once here with the request's span (which carries the request id);
                // the message names the failure, never the data.
                tracing::error!(error = %e, "store failure");
                Self::internal()
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_error_maps_to_a_client_status() {
        let errors = [
            DomainError::Invalid(vec![FieldProblem::new("/a", "b")]),
            DomainError::AlreadySubmitted,
            DomainError::NoSuchCase,
            DomainError::DutyToNotifyHasNoDecisions,
            DomainError::ReasonableGroundsAlreadyDecided,
            DomainError::ConclusiveGroundsWithoutReasonableGrounds,
            DomainError::ConclusiveGroundsAfterNegativeReasonableGrounds,
            DomainError::ConclusiveGroundsInsideRecoveryPeriod {
                minimum_ends_on: chrono::NaiveDate::MIN,
                rule: "rule".to_owned(),
            },
            DomainError::ConclusiveGroundsAlreadyDecided,
        ];
        let statuses: Vec<u16> = errors
            .into_iter()
            .map(|e| Problem::from(e).status)
            .collect();
        assert_eq!(statuses, vec![422, 409, 404, 409, 409, 409, 409, 422, 409]);
    }

    #[test]
    fn store_faults_are_generic() {
        let p = Problem::from(StoreError::Corrupt(
            "event 3 of case x does not parse".to_owned(),
        ));
        assert_eq!(p.status, 500);
        let body = serde_json::to_string(&p).unwrap_or_default();
        assert!(!body.contains("event 3"), "{body}");
        // A group commit that did not commit: nothing was acknowledged, the client may retry.
        assert_eq!(Problem::from(StoreError::CommitFailed).status, 500);
        assert_eq!(
            Problem::from(ServiceError::Conflict { actual: 4 }).status,
            412
        );
    }
}
