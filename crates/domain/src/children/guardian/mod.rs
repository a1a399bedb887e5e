//! Independent Child Trafficking Guardians (England and Wales, Modern Slavery Act 2015 s48).
//!
//! A child's guardian **episode** is its own event stream beside the case: created when a
//! child referral is accepted in an area the ICTG service covers on the referral's date
//! ([`rules::ChildrenRules::covering_area`], `rulebook/children.json`), allocated to a Direct
//! Worker when no one holds parental responsibility for the child in the UK, else to a Regional
//! Practice Coordinator (or, from May 2021, a Regional Practitioner for exceptional need); the
//! guardian's contacts, the professionals around the child, advocacy actions and their
//! outcomes, a reconsideration asked on the child's behalf; the 18th birthday flagged ahead,
//! then post-18 support where the area gives it, and the consent-to-support question; closure.
//! Pure like the rest of the crate: no date of birth is recorded, the service passes the 18th
//! birthday in from the vault.

pub mod command;
pub mod event;
pub mod rules;
pub mod state;

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

pub use command::{GuardianCommand, decide};
pub use event::GuardianEvent;
pub use rules::ChildrenRules;
pub use state::{Due, GuardianState, GuardianStatus};

/// A child's guardian episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GuardianEpisodeId(pub Uuid);

impl fmt::Display for GuardianEpisodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
