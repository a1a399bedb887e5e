//! The NRM case file as pure domain logic.
//!
//! Submissions (adult referral, child referral, Duty to Notify report), the events that make up
//! a case's history, the case state machine (`decide` / `evolve`), the dated rulebook and the
//! working-day calendars. Nothing here performs I/O or reads a clock: the current time is an
//! argument, so every rule can be tested at any date and replayed exactly.
//!
//! Personal data (names, dates of birth, contact details, narrative accounts, decision reasons)
//! never enters an event. Events carry facts and references; the personal data travels beside
//! the command as a [`personal::PersonalDetails`] value that the store encrypts into the vault.

pub mod actor;
pub mod calendar;
pub mod case;
pub mod children;
pub mod clock;
pub mod command;
pub mod error;
pub mod event;
pub mod exploitation;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod geography;
pub mod ids;
pub mod notice;
pub mod person;
pub mod personal;
pub mod reference;
pub mod retention;
pub mod routing;
pub mod rules;
pub mod submission;
pub mod support;
pub mod training;

pub use actor::Actor;
pub use case::{CaseState, CaseStatus};
pub use command::{Command, Decision};
pub use error::{DomainError, FieldProblem};
pub use event::CaseEvent;
pub use ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
pub use reference::CaseReference;
pub use rules::Rulebook;
