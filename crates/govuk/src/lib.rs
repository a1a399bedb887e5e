//! GOV.UK Frontend for NRM Digital.
//!
//! - [`assets`]: the pinned `govuk-frontend` package's CSS, JavaScript, fonts and images, and
//!   our own few files, embedded in the binary with fingerprinted URLs.
//! - [`components`]: askama components reproducing the GOV.UK Frontend macros. Each takes the
//!   same options as the Nunjucks macro (deserialisable from the package's `fixtures.json`, so
//!   `tests/fixtures.rs` checks every fixture's rendering against the package's own HTML) and
//!   renders with [`std::fmt::Display`].

pub mod assets;
pub mod components;
