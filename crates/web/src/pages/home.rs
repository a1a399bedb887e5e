//! The home page, `/`. Signed out, or signed in as a First Responder only, it is the First
//! Responder start page. Anyone else lands on the home of the one part of the service they
//! work in, or, working in several, chooses where to go; someone whose account opens no part
//! of the service is told so (403) rather than shown a page they cannot use.

use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::pages::areas::{Area, areas};
use crate::pages::layout::{Layout, render, render_status};
use crate::pages::referrals::handlers::start_page;
use crate::pages::session::{self, SignedIn};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    areas: Vec<Area>,
}

/// `/`: the start page, the one home, or the choice between several.
pub async fn home(State(state): State<AppState>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let lang = session::lang(&parts.headers);
    let Ok(signed_in) = SignedIn::from_request_parts(&mut parts, &state).await else {
        return start_page(None, lang);
    };
    let areas = areas(&signed_in.principal);
    match areas.as_slice() {
        [Area::Referrals] => start_page(Some(&signed_in), lang),
        [only] => Redirect::to(only.href()).into_response(),
        _ => {
            let layout = signed_in.layout(lang.t("home.title"));
            let page = HomePage {
                layout: if areas.is_empty() {
                    signed_in.layout(lang.t("page.forbidden"))
                } else {
                    layout
                },
                areas,
            };
            if page.areas.is_empty() {
                render_status(StatusCode::FORBIDDEN, &page)
            } else {
                render(&page)
            }
        }
    }
}
