//! Application services: load a case, ask the domain to decide, append what it decided.
//!
//! The JSON API, the pages, the CLI and the demo all call these functions, so a rule is never
//! enforced in one entry point and forgotten in another. Handlers hold no business logic. This
//! layer owns the things the pure domain must not do: reading the clock is still the caller's
//! job (every function takes `now`), but generating identifiers and random reference bits,
//! retrying a clashing reference, and mapping store errors happen here.
//!
//! Four services share one store and one rulebook: [`Cases`] (the case use cases, `cases.rs`
//! and `actions.rs`), [`Drafts`] (saved referral drafts, `drafts.rs`), [`Identity`] (sign-in,
//! sessions and tokens, `identity.rs`) and [`Administration`] (organisations, accounts and API
//! tokens, `admin.rs`). `Cases::new` makes the set; `cases.drafts()`, `cases.identity()` and
//! `cases.administration()` borrow the others. Nothing outside this crate reaches the store:
//! every read and change is a method here that takes a capability and writes the audit entry.

use nrm_domain::{CaseReference, DomainError};
use nrm_store::StoreError;

mod actions;
pub mod admin;
mod cases;
pub mod drafts;
pub mod guardians;
pub mod identity;
pub mod support;
pub mod training;
pub use actions::{Action, SweepReport};
pub use admin::{Account, Administration, ApiTokenSummary, Organisation};
pub(crate) use cases::allowed;
pub use cases::{
    ActorName, CaseView, Cases, Caseworker, CaseworkerLoad, Deadline, DecisionInput, DecisionKind,
    NoticeView, OPEN_STATUSES, ReasonsView, Submitted, Team,
};
pub use drafts::{Draft, DraftId, DraftKind, DraftSubmitted, DraftSummary, Drafts, SubmittedDraft};
pub use guardians::Guardians;
pub use identity::Identity;
pub use support::Support;
mod statistics;
pub use statistics::{ExtractRequest, StatisticsRequest};
mod htcds;
mod import;
pub use htcds::{HtcdsExportRequest, HtcdsImportReport, HtcdsRefusal};
pub mod operations;
pub use import::{ImportMode, ImportReport, LegacyCase, Refusal};
pub mod retention;
pub use retention::{LegalHold, RetentionError, RetentionItem, RetentionReport, RetentionRun};
pub mod sar;
pub use sar::SubjectAccessExport;
pub mod persons;
pub use persons::Persons;
mod children;
mod panels;
pub use panels::{
    AgeAssessmentInput, AgendaItem, AssuranceInput, ConveneInput, MeetingChoice, PANEL_QUEUE_LIMIT,
    PanelAccount, PanelDecisionInput, PanelMeetingView, PanelQueue, PanelQueueItem, Present,
};

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("no such case")]
    NotFound,
    #[error("the case has changed since it was read (now at version {actual})")]
    Conflict { actual: u64 },
    /// The saved draft has already been submitted as case `reference`; it can no longer be
    /// changed or discarded.
    #[error("the draft has already been submitted as {reference}")]
    DraftSubmitted { reference: CaseReference },
    /// Too many attempts at a password check recently; try again later.
    #[error("too many attempts; try again later")]
    Throttled,
    #[error(transparent)]
    Store(StoreError),
}

/// Writes the audit entry for a use case's outcome (`case_id` and `subject` as the use case
/// has them). Fails closed: if the entry cannot be written, the caller gets an error rather
/// than an unaudited answer. Every service's audit helper comes here.
pub(crate) async fn write_audit<T>(
    store: &nrm_store::Store,
    actor: nrm_domain::Actor,
    action: &str,
    case_id: Option<nrm_domain::CaseId>,
    subject: Option<String>,
    result: &Result<T, ServiceError>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServiceError> {
    let record = nrm_store::audit::AuditRecord {
        actor,
        action: action.to_owned(),
        case_id,
        outcome: outcome_code(result),
        subject,
    };
    store
        .audit(&record, now)
        .await
        .map(|_| ())
        .map_err(ServiceError::Store)
}

/// How an audit entry records a use case's outcome: `ok`, `not_found`, `refused:<code>`…
pub(crate) fn outcome_code<T>(result: &Result<T, ServiceError>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(ServiceError::Domain(e)) => format!("refused:{}", e.code()),
        Err(ServiceError::NotFound) => "not_found".to_owned(),
        Err(ServiceError::Conflict { .. }) => "conflict".to_owned(),
        Err(ServiceError::DraftSubmitted { .. }) => "already_submitted".to_owned(),
        Err(ServiceError::Throttled) => "refused:throttled".to_owned(),
        Err(ServiceError::Store(_)) => "error".to_owned(),
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::VersionConflict { actual, .. } => Self::Conflict { actual },
            other => Self::Store(other),
        }
    }
}
mod referrers;
pub use referrers::{Referrer, ReferrerSettings};
mod reconsideration;
