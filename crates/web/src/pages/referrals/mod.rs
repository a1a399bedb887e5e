//! The First Responder journeys: refer an adult, refer a child, send a Duty to Notify report.
//!
//! - [`journey`]: the questions of each journey as data, their checks, and the conversion of
//!   finished answers into a submission.
//! - [`fields`]: rendering a question's fields with the GOV.UK components.
//! - [`drafts`]: the caller's saved draft: loading, saving, where the journey goes next.
//! - [`handlers`]: the pages (start, your referrals, questions, check, confirmation, print).
//! - [`exploitation`]: the "add another" loop for exploitation details.

pub mod drafts;
pub mod exploitation;
pub mod fields;
pub mod handlers;
pub mod journey;
