//! Every component against every fixture the package publishes for it (see `common`).

mod common;

use nrm_govuk::components::*;

#[test]
fn button() {
    common::check::<Button>("button", &[]);
}
