//! Victim support: a person's support episode from referral into support to exit and Reach-In,
//! the accommodation they are placed in and its inspections, and their financial support.
//!
//! Its own capability beside the case: its own events ([`SupportEvent`]), state
//! ([`EpisodeState`], folded by `evolve`), rules ([`decide`]) and rulebook ([`SupportRules`],
//! `rulebook/support.json`, dated entries per nation). The case's RG and CG decisions reach an
//! episode as commands the service issues ([`SupportCommand::RecordReasonableGrounds`]), so the
//! two streams never share a transaction's rules. Pure like the rest of the crate.

pub mod accommodation;
pub mod command;
pub mod event;
pub mod finance;
pub mod ids;
pub mod rules;
pub mod state;

pub use command::{SupportCommand, decide};
pub use event::SupportEvent;
pub use ids::{AccommodationId, ConcernId, EpisodeId, InspectionId, PlacementId, RnaId};
pub use rules::SupportRules;
pub use state::{EpisodeState, OverdueFlags, SupportStatus};
