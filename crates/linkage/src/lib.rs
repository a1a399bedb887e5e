//! Record linkage with no knowledge of any one system: normalisation of names, dates and
//! addresses, field comparisons with levels, a Fellegi–Sunter model whose m and u
//! probabilities are estimated from the data, blocking (optionally with keyed tokens),
//! clustering, and an index for matching one new record at a time.

pub mod block;
pub mod cluster;
pub mod compare;
pub mod data;
mod exact;
pub mod index;
pub mod model;
pub mod normalise;
mod par;
#[cfg(feature = "synth")]
pub mod synth;

pub use block::Blocker;
pub use data::{Dataset, Folded, Record};
pub use index::Index;
pub use model::{
    Corrections, Fit, Model, Outcome, Pair, Settings, dedupe, fit, probability, weight_of,
};
