//! The GOV.UK pages: server-rendered HTML that works without JavaScript.
//!
//! - [`layout`]: the page template every page extends (marking, header, language switch,
//!   footer), and the [`layout::Layout`] values it needs.
//! - [`session`]: signing in and out, the signed-in caller for pages, and the per-session
//!   token every form carries.
//! - [`referrals`]: the First Responder journeys (English and Welsh).
//! - [`casework`]: the decision makers' queue, case page and decision forms.
//! - [`assets`]: the embedded GOV.UK Frontend files.
//!
//! Pages call the same services as the JSON API and ask the same access policy; handlers hold
//! no business rules. Personal data never appears in a URL: drafts and cases are addressed by
//! random ids and case references only.

pub mod assets;
pub mod casework;
pub mod countries;
pub mod errors;
pub mod form;
pub mod i18n;
pub mod layout;
mod messages;
pub mod referrals;
pub mod session;
pub mod statistics;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// The page routes (the API's are in `crate::router`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(referrals::handlers::start))
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
        .route("/statistics", get(statistics::index))
        .route("/statistics/tables/{id}", get(statistics::table))
        .route("/statistics/csv/{id}", get(statistics::csv))
        .route("/statistics/workbook", get(statistics::workbook))
        .route("/cases", get(casework::queue::page))
        .route("/cases/{reference}", get(casework::case::page))
        .route(
            "/cases/{reference}/{decision}",
            get(casework::decision::form).post(casework::decision::submit),
        )
        .route("/assets/{*path}", get(assets::serve))
}
