//! The page components (skip link to footer) against every fixture the package publishes for
//! them (see `common`).

mod common;

use nrm_govuk::components::*;

#[test]
fn skip_link() {
    common::check::<SkipLink>("skip-link", &[]);
}

#[test]
fn back_link() {
    common::check::<BackLink>("back-link", &[]);
}

#[test]
fn tag() {
    common::check::<Tag>("tag", &[]);
}

#[test]
fn panel() {
    common::check::<Panel>("panel", &[]);
}

#[test]
fn phase_banner() {
    common::check::<PhaseBanner>("phase-banner", &[]);
}

#[test]
fn error_summary() {
    common::check::<ErrorSummary>("error-summary", &[]);
}

#[test]
fn notification_banner() {
    common::check::<NotificationBanner>("notification-banner", &[]);
}

#[test]
fn table() {
    common::check::<Table>("table", &[]);
}

#[test]
fn summary_list() {
    common::check::<SummaryList>("summary-list", &[]);
}

#[test]
fn pagination() {
    common::check::<Pagination>("pagination", &[]);
}

#[test]
fn task_list() {
    common::check::<TaskList>("task-list", &[]);
}

#[test]
fn service_navigation() {
    common::check::<ServiceNavigation>("service-navigation", &[]);
}

#[test]
fn header() {
    common::check::<Header>("header", &[]);
}

#[test]
fn footer() {
    common::check::<Footer>("footer", &[]);
}
