//! Turning the access policy's answers into capabilities or HTTP answers, in one place.
//!
//! A case the caller may not touch gets the same 404 as a case that does not exist, so a
//! denial reveals nothing; the denial itself is written to the audit log.

use axum::http::StatusCode;
use nrm_access::{Capability, CaseCapability, CaseFacts, CaseOperation, Operation};
use nrm_domain::CaseReference;
use nrm_domain::clock::uk_date;

use crate::AppState;
use crate::actor::Caller;
use crate::problem::Problem;

/// Authorises an operation without a case; a refusal is 403 (nothing to hide).
pub async fn authorise(
    state: &AppState,
    caller: &Caller,
    operation: Operation,
) -> Result<Capability, Problem> {
    if nrm_access::is_privileged(operation) && !nrm_access::recent_enough(&caller.0, state.now()) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "sign-in-again",
            "Sign in again to do this: it needs a sign-in within the last 10 minutes",
        ));
    }
    match nrm_access::authorise(&caller.0, operation) {
        Ok(capability) => Ok(capability),
        Err(_) => {
            let code = operation.code();
            state
                .cases
                .record_denial(caller.actor(), &format!("access.{code}"), None, state.now())
                .await?;
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "You do not have access to do this",
            ))
        }
    }
}

/// Authorises an operation on the case named by `reference`, returning the capability and the
/// facts it was decided on.
pub async fn authorise_case(
    state: &AppState,
    caller: &Caller,
    reference: &str,
    operation: CaseOperation,
) -> Result<(CaseCapability, CaseFacts), Problem> {
    let reference: CaseReference = reference.parse().map_err(|_| Problem::not_found())?;
    let case_id = state
        .cases
        .find(&reference)
        .await?
        .ok_or_else(Problem::not_found)?;
    let facts = state
        .cases
        .case_facts(case_id, uk_date(state.now()))
        .await?
        .ok_or_else(Problem::not_found)?;
    match nrm_access::authorise_case(&caller.0, operation, &facts) {
        Ok(capability) => Ok((capability, facts)),
        Err(_) => {
            let code = operation.code();
            state
                .cases
                .record_denial(
                    caller.actor(),
                    &format!("access.{code}"),
                    Some(case_id),
                    state.now(),
                )
                .await?;
            Err(Problem::not_found())
        }
    }
}
