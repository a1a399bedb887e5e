//! The official NRM and Duty to Notify statistics, from case facts.
//!
//! Facts in, tables out, with no store and no HTTP: [`facts`] folds a case's events into one
//! row of categories and dates; [`tables`] counts them for a period; [`disclosure`] decides
//! what of a table may be published (threshold, secondary suppression, rounding, the standard
//! symbols); [`csv`] and [`ods`] write what may be published; [`extract`] makes pseudonymised
//! case-level extracts for research with k-anonymity ([`kanon`]); [`htcds`] exports them
//! in the Human Trafficking Case Data Standard and reads HTCDS files for import. The definitions are in
//! `docs/statistics.md`.

pub mod codec;
pub mod csv;
pub mod disclosure;
pub mod extract;
pub mod facts;
pub mod htcds;
pub mod kanon;
pub mod ods;
pub mod period;
pub mod tables;

pub use disclosure::{Policy, Publication, PublishedTable, Shown, Symbol, publish};
pub use extract::{ExtractOptions, ExtractReport, ExtractRow, QuasiIdentifier, extract};
pub use facts::{EVENT_KINDS, Fact, fold};
pub use period::{BadPeriod, Period};
pub use tables::{Options, Table, Tables, build, quarters, span, touches};
