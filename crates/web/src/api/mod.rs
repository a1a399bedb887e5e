//! The JSON API, version 1. Handlers parse, call a service, and shape the answer; nothing more.

pub mod actions;
pub mod admin;
pub mod cases;
pub mod guardians;
pub mod import;
pub mod mirror;
pub mod persons;
pub mod reconsideration;
pub mod session;
pub mod statistics;
pub mod submissions;
pub mod support;
pub mod tokens;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// A path parameter (a case reference, an account id). Unlike `axum::extract::Path`, whose
/// rejection is plain text quoting the path, one that does not parse is the problem-details
/// 404 any unknown case or account gets, echoing nothing.
#[derive(Debug)]
pub struct PathParam<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParam<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|_| Problem::not_found())
    }
}
