//! Reconsideration asked by a support provider for a person it supports (issue #10 item 8):
//! the case policy gives support providers no case scope, so this is the one way they reach a
//! case, with a [`SupportedReconsideration`] from the access policy, and the request is always
//! recorded with the support provider as its requester. Whether a support provider may ask on
//! the request's date is the rulebook's dated `reconsideration.requesters`, applied by the
//! domain like any other request.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::reconsideration::SupportedReconsideration;
use nrm_domain::event::DecisionRef;
use nrm_domain::rules::Requester;

use crate::{Action, Cases, ServiceError};

impl Cases {
    /// Records a support provider's request that `decision` be reconsidered, made on
    /// `requested_on`. Audited as `decision.request_reconsideration` like any request.
    pub async fn request_reconsideration_as_support_provider(
        &self,
        grant: &SupportedReconsideration,
        expected_version: Option<u64>,
        decision: DecisionRef,
        requested_on: NaiveDate,
        facing_removal: bool,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        self.act(
            grant.case_capability(),
            expected_version,
            Action::RequestReconsideration {
                decision,
                requested_on,
                requested_by: Requester::SupportProvider,
                facing_removal,
            },
            now,
        )
        .await
    }
}
