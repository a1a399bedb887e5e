//! The GOV.UK pages: server-rendered HTML that works without JavaScript.
//!
//! - [`layout`]: the page template every page extends (marking, header, language switch,
//!   footer), and the [`layout::Layout`] values it needs.
//! - [`session`]: signing in and out, the signed-in caller for pages, and the per-session
//!   token every form carries.
//! - [`referrals`]: the First Responder journeys (English and Welsh).
//! - [`casework`]: the decision makers' queue, case page and decision forms.
//! - [`allocation`]: a manager's team, caseloads and bulk allocation.
//! - [`search`]: finding a case by its reference, or by name and date of birth over keyed
//!   tokens (audited, hashed terms).
//! - [`lifecycle`]: every other action on a case, each a form with a check step.
//! - [`areas`] and [`home`]: the parts of the service each person works in, their
//!   navigation, and the home page after signing in (a chooser for several).
//! - [`administration`]: organisations, accounts and API tokens, for administrators (and FRO
//!   administrators within their organisation).
//! - [`training`]: the First Responder training course and its completion records.
//! - [`authorise`]: the one way a page asks the access policy (refusals audited).
//! - [`assets`]: the embedded GOV.UK Frontend files.
//!
//! Pages call the same services as the JSON API and ask the same access policy; handlers hold
//! no business rules. Personal data never appears in a URL: drafts and cases are addressed by
//! random ids and case references only.

pub mod administration;
pub mod allocation;
pub mod areas;
pub mod assets;
pub mod assurance;
pub mod authorise;
pub mod casework;
pub mod countries;
pub mod dpo;
pub mod errors;
pub mod form;
pub mod guardians;
pub mod home;
pub mod i18n;
pub mod layout;
pub mod lifecycle;
mod messages;
pub mod notices;
pub mod panels;
pub mod person;
pub mod referrals;
pub mod search;
pub mod session;
pub mod statistics;
pub mod support;
pub mod training;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The page routes (the API's are in `crate::router`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/administration", get(administration::home))
        .merge(administration::routes())
        .route("/training", get(training::start))
        .route(
            "/training/questions",
            get(training::questions).post(training::answer),
        )
        .route("/training/records", get(training::records))
        .route("/training/{page}", get(training::section))
        .route(
            "/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .route("/language/{code}", get(session::language))
        .route("/referrals", get(referrals::handlers::list))
        .route(
            "/referrals/new",
            get(referrals::handlers::choose).post(referrals::handlers::create),
        )
        .route(
            "/referrals/{draft}/check",
            get(referrals::handlers::check).post(referrals::handlers::send),
        )
        .route(
            "/referrals/{draft}/confirmation",
            get(referrals::handlers::confirmation),
        )
        .route("/referrals/{draft}/print", get(referrals::handlers::print))
        .route(
            "/referrals/{draft}/delete",
            get(referrals::handlers::delete_page).post(referrals::handlers::delete),
        )
        .route(
            "/referrals/{draft}/exploitation",
            get(referrals::exploitation::summary).post(referrals::exploitation::decide_another),
        )
        .route(
            "/referrals/{draft}/exploitation/{index}",
            get(referrals::exploitation::entry).post(referrals::exploitation::save_entry),
        )
        .route(
            "/referrals/{draft}/exploitation/{index}/remove",
            post(referrals::exploitation::remove),
        )
        .route(
            "/referrals/{draft}/{slug}",
            get(referrals::handlers::question).post(referrals::handlers::answer),
        )
        .route("/support", get(support::home::page))
        .route("/support/statement.csv", get(support::home::statement))
        .route("/support/episodes/{reference}", get(support::episode::page))
        .route(
            "/support/episodes/{reference}/concern",
            get(support::episode::concern_form).post(support::episode::concern_submit),
        )
        .route(
            "/support/episodes/{reference}/record/{form}",
            get(support::forms::show).post(support::forms::submit),
        )
        .route(
            "/support/episodes/{reference}/payments",
            get(support::records::payments),
        )
        .route(
            "/support/new/{form}",
            get(support::forms::show_new).post(support::forms::submit_new),
        )
        .route("/support/inspections", get(support::records::inspections))
        .route(
            "/support/episodes/{reference}/concerns/{concern}/acknowledge",
            post(support::episode::acknowledge),
        )
        .route("/guardians", get(guardians::home::page))
        .route(
            "/guardians/children/{reference}",
            get(guardians::child::page),
        )
        .route(
            "/guardians/children/{reference}/{form}",
            get(guardians::forms::show).post(guardians::forms::submit),
        )
        .route("/statistics", get(statistics::index))
        .route("/statistics/tables/{id}", get(statistics::table))
        .route("/statistics/csv/{id}", get(statistics::csv))
        .route("/statistics/workbook", get(statistics::workbook))
        .route("/persons/reviews", get(person::queue))
        .route(
            "/persons/reviews/{review}",
            get(person::review).post(person::decide),
        )
        .route("/persons/{person}", get(person::person).post(person::split))
        .route("/cases", get(casework::queue::page))
        .route("/search", get(search::search).post(search::search_person))
        .route("/data-protection/subject-access", get(dpo::index))
        .route(
            "/data-protection/subject-access/{reference}/bundle.html",
            get(dpo::bundle),
        )
        .route(
            "/data-protection/subject-access/{reference}/export.json",
            get(dpo::json),
        )
        .route("/assurance", get(assurance::queue))
        .route("/panel", get(panels::work::queue))
        .route("/panel/meetings/{date}", get(panels::work::meeting))
        .route(
            "/cases/{reference}/child-letter/{decision}",
            get(panels::letter),
        )
        .route(
            "/cases/team",
            get(allocation::team).post(allocation::allocate),
        )
        .route("/cases/{reference}", get(casework::case::page))
        .route("/cases/{reference}/notices", get(notices::list))
        .route("/cases/{reference}/notices/{n}", get(notices::letter))
        .route(
            "/cases/{reference}/actions/{action}",
            get(lifecycle::show).post(lifecycle::submit),
        )
        .route(
            "/cases/{reference}/{decision}",
            get(casework::decision::form).post(casework::decision::submit),
        )
        .route("/assets/{*path}", get(assets::serve))
}
