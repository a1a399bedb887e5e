//! Reconsideration asked by a support provider for a person it supports (issue #10 item 8).
//!
//! Who may ask for a negative decision to be reconsidered is dated rulebook data
//! (`reconsideration.requesters`): the First Responder and the support provider throughout,
//! and from 2024 the person and their legal representative. First Responders ask through the
//! case policy ([`crate::CaseOperation::RequestReconsideration`] for the referrer and its
//! referral manager); the person and their legal representative have no accounts, so the
//! deciding authority records their requests as requester kinds on a request it makes on
//! their behalf. A support provider has no case scope at all: it may ask only for the people
//! it supports, which is the support policy's question (the episode in its scope: the prime
//! contractor's or the allocated subcontractor's manager, the allocated worker), and only
//! when the episode follows a case that is not a Duty to Notify report.
//!
//! The answer is a [`SupportedReconsideration`], which only this crate makes and the case
//! service's `request_reconsideration_as_support_provider` requires: that service records the
//! request with the support provider as requester, never another kind.

use nrm_domain::Actor;
use nrm_domain::ids::CaseId;

use crate::support::{EpisodeFacts, SupportScope, episode_in_scope, support_scope};
use crate::{CaseCapability, CaseOperation, Denied, Principal};

/// Permission for a support provider to ask for reconsideration on one case, for a person it
/// supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportedReconsideration {
    capability: CaseCapability,
}

impl SupportedReconsideration {
    pub fn case_id(&self) -> CaseId {
        self.capability.case_id
    }

    pub fn actor(&self) -> Actor {
        self.capability.actor
    }

    /// The case capability the case service carries the request out under (its operation is
    /// [`CaseOperation::RequestReconsideration`]). For the case service only, which records
    /// the request with the support provider as the requester.
    pub fn case_capability(&self) -> &CaseCapability {
        &self.capability
    }
}

/// Whether `p` may ask, as the person's support provider, for a decision on the case the
/// episode follows to be reconsidered.
pub fn authorise_supported_reconsideration(
    p: &Principal,
    episode: &EpisodeFacts,
) -> Result<SupportedReconsideration, Denied> {
    let scope = support_scope(p);
    let provider = matches!(
        scope,
        SupportScope::Provider(_) | SupportScope::Worker { .. }
    );
    let case = episode.case.as_ref().filter(|c| !c.duty_to_notify);
    match case {
        Some(case) if provider && episode_in_scope(&scope, episode) => {
            Ok(SupportedReconsideration {
                capability: CaseCapability {
                    case_id: case.case_id,
                    operation: CaseOperation::RequestReconsideration,
                    actor: p.actor,
                },
            })
        }
        _ => Err(Denied),
    }
}
