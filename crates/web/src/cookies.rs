//! The cookies the service sets and reads: the session cookie (`__Host-` prefixed, `Secure`,
//! `HttpOnly`, `SameSite=Strict`, path `/`, no domain) for the API and the pages alike, and the
//! reading of any cookie by name. Neither the API nor the pages own these, so neither imports
//! the other for them.

use axum::http::{HeaderMap, header};

/// The session cookie's name. The `__Host-` prefix makes browsers insist on Secure, path `/`
/// and no Domain attribute.
pub const SESSION_COOKIE: &str = "__Host-nrm-session";

/// The `Set-Cookie` value that starts a session.
pub fn session_cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that ends one.
pub const CLEAR_SESSION_COOKIE: &str =
    "__Host-nrm-session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";

/// The value of the request's cookie called `name`, if any.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// The session token from the request's cookies, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}
