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

/// The package's HTML for one fixture, normalised.
fn expected(component: &str, name: &str) -> String {
    let fixture = common::fixtures(component)
        .into_iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{component} has a fixture {name:?}"));
    common::normalise(fixture["html"].as_str().expect("html is text"))
}

#[test]
fn summary_list_built_in_rust() {
    let list = SummaryList {
        rows: vec![
            SummaryListRow::new("Name", "Firstname Lastname").with_action(SummaryListAction {
                href: Some("#".into()),
                text: Some("First action".into()),
                ..Default::default()
            }),
        ],
        ..Default::default()
    };
    assert_eq!(
        common::normalise(&list.to_string()),
        expected("summary-list", "single action with anchor")
    );
}

#[test]
fn header_and_footer_built_in_rust() {
    assert_eq!(
        common::normalise(&Header::default().to_string()),
        expected("header", "default")
    );
    let footer = Footer {
        meta: Some(FooterMeta {
            items: (1..=8)
                .zip([
                    "Bibendum Ornare",
                    "Nullam",
                    "Tortor Fringilla",
                    "Tellus",
                    "Egestas Nullam",
                    "Euismod Etiam",
                    "Fusce Sollicitudin",
                    "Ligula Nullam Ultricies",
                ])
                .map(|(n, text)| FooterLink::new(format!("#{n}"), text))
                .collect(),
            ..Default::default()
        }),
        content_licence: FooterContentLicence::Hidden,
        ..Default::default()
    };
    assert_eq!(
        common::normalise(&footer.to_string()),
        expected("footer", "with only meta links")
    );
}
