//! The one way a page asks the access policy: [`authorise`] for an operation without a case,
//! [`authorise_case`] for one on a case. A refusal is audited (by the same helpers the API
//! uses) and shown as the page that says so: "you cannot use this page" without a case,
//! "page not found" for a case (which reveals nothing about whether it exists).

use nrm_access::{Capability, Operation};

use crate::AppState;
use crate::access;
use crate::actor::Caller;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::session::SignedIn;
use crate::problem::Problem;

/// Asks the access policy; a refusal is audited and shown as "you cannot use this page". A
/// privileged operation (managing accounts or organisations) also needs a sign-in within the
/// last few minutes, as on the API: otherwise the person signs in again and comes back here.
pub async fn authorise(
    state: &AppState,
    signed_in: &SignedIn,
    operation: Operation,
) -> Result<Capability, PageError> {
    if nrm_access::is_privileged(operation)
        && !nrm_access::recent_enough(&signed_in.principal, state.now())
        && nrm_access::authorise(&signed_in.principal, operation).is_ok()
    {
        let next: String = form_urlencoded::byte_serialize(signed_in.path.as_bytes()).collect();
        return Err(PageError::SignIn(format!("/sign-in?next={next}")));
    }
    match nrm_access::authorise(&signed_in.principal, operation) {
        Ok(capability) => Ok(capability),
        Err(_) => {
            state
                .cases
                .record_denial(
                    signed_in.principal.actor,
                    &format!("access.{}", operation.code()),
                    None,
                    state.now(),
                )
                .await
                .map_err(|e| PageError::from_service(e, signed_in.lang))?;
            Err(PageError::Forbidden(signed_in.lang))
        }
    }
}

/// Turns an API-style refusal into the page that says so.
pub fn page_error(problem: &Problem) -> PageError {
    match problem.status {
        404 => PageError::NotFound(Lang::En),
        401 => PageError::SignIn("/sign-in".to_owned()),
        403 => PageError::Forbidden(Lang::En),
        _ => PageError::Fault(Lang::En),
    }
}

/// The caller as the access layer knows them.
pub fn caller(signed_in: &SignedIn) -> Caller {
    Caller(signed_in.principal.clone())
}

/// Authorises a case operation for a page.
pub async fn authorise_case(
    state: &crate::AppState,
    signed_in: &SignedIn,
    reference: &str,
    operation: nrm_access::CaseOperation,
) -> Result<(nrm_access::CaseCapability, nrm_access::CaseFacts), PageError> {
    access::authorise_case(state, &caller(signed_in), reference, operation)
        .await
        .map_err(|p| page_error(&p))
}
