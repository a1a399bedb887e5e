//! What a page shows when it cannot do what was asked: sign in first, not found, no access,
//! an expired form, or a fault (logged with the request's id, never with personal data).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_service::ServiceError;

use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render_status};

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): go to this sign-in address.
    SignIn(String),
    /// Go somewhere else instead (a page reached out of order, say).
    Redirect(String),
    NotFound(Lang),
    Forbidden(Lang),
    /// A form without this session's token, or from another site.
    BadForm(Lang),
    Fault(Lang),
}

impl PageError {
    /// Maps a service failure; anything unexpected is logged and shown as a fault.
    pub fn from_service(error: ServiceError, lang: Lang) -> Self {
        match error {
            ServiceError::NotFound => Self::NotFound(lang),
            other => {
                tracing::error!(error = %other, "a page's service call failed");
                Self::Fault(lang)
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    text: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, lang, title, text) = match self {
            Self::SignIn(to) | Self::Redirect(to) => return Redirect::to(&to).into_response(),
            Self::NotFound(lang) => (
                StatusCode::NOT_FOUND,
                lang,
                "page.not_found",
                "page.not_found.text",
            ),
            Self::Forbidden(lang) => (
                StatusCode::FORBIDDEN,
                lang,
                "page.forbidden",
                "page.forbidden.text",
            ),
            Self::BadForm(lang) => (
                StatusCode::FORBIDDEN,
                lang,
                "page.stale_form",
                "page.stale_form.text",
            ),
            Self::Fault(lang) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                "page.error",
                "page.error.text",
            ),
        };
        render_status(
            status,
            &ErrorPage {
                layout: Layout::new(lang, lang.t(title), "/"),
                text: lang.t(text),
            },
        )
    }
}
