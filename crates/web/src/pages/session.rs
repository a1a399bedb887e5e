//! Signing in and out on pages, the signed-in caller, the per-session form token, and the
//! language choice.
//!
//! Every form carries a token derived from the session (a keyed hash of the session token, so
//! nothing extra is stored); a state-changing request must carry it and must also pass the
//! Fetch-Metadata/Origin check that guards every cookie-authenticated request.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::Principal;
use nrm_service::identity::SignInRefused;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::actor::ClientAddress;
use crate::cookies::{CLEAR_SESSION_COOKIE, cookie, session_cookie, session_token};
use crate::pages::errors::PageError;
use crate::pages::form::{self, Form};
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render};

/// The cookie that remembers the language choice (not personal, not secret).
pub const LANG_COOKIE: &str = "nrm-lang";
/// The hidden field every form carries.
pub const FORM_TOKEN_FIELD: &str = "form_token";

/// The page language, from the language cookie (English by default).
pub fn lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(|v| Lang::parse(&v))
        .unwrap_or_default()
}

/// The form token for a session.
fn form_token(session: &str) -> String {
    let digest = Sha256::digest(format!("nrm-form-token\0{session}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Someone signed in, reaching a page.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    pub lang: Lang,
    /// The token this session's forms carry.
    pub form_token: String,
    /// The path asked for (for the language switch to come back to).
    pub path: String,
}

impl SignedIn {
    /// The layout for a page this person sees.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::new(self.lang, title, &self.path).signed_in(&self.principal, &self.form_token)
    }

    /// Refuses a posted form that lacks this session's token.
    pub fn check_form(&self, form: &Form) -> Result<(), PageError> {
        let sent = form::value(form, FORM_TOKEN_FIELD);
        if sent.len() == self.form_token.len()
            && sent
                .bytes()
                .zip(self.form_token.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
        {
            Ok(())
        } else {
            Err(PageError::BadForm(self.lang))
        }
    }
}

/// The longest `next=` path followed.
const MAX_NEXT: usize = 512;

/// Where to go back to (after signing in, or switching language): a path on this site, and
/// nothing else. Only a strict pattern is accepted: `/`, then path segments of unreserved
/// characters (letters, digits, `-`, `.`, `_`, `~`) separated by single slashes, then an
/// optional query of unreserved characters, `=`, `&` and `%`-escapes. So no scheme, no host,
/// no `//` or `\\`, no control or white-space characters (a tab or newline in a `Location`
/// lets a browser resolve it to another site, or breaks the header), no dot segments.
/// Anything else is `None`, and the caller goes to `/`.
pub fn safe_next(input: &str) -> Option<&str> {
    if input.len() > MAX_NEXT || !input.starts_with('/') {
        return None;
    }
    let (path, query) = match input.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (input, None),
    };
    let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
    let body = &path[1..];
    if !body.is_empty() {
        let body = body.strip_suffix('/').unwrap_or(body);
        for segment in body.split('/') {
            if segment.is_empty()
                || segment == "."
                || segment == ".."
                || !segment.chars().all(unreserved)
            {
                return None;
            }
        }
    }
    if let Some(query) = query {
        let bytes = query.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = char::from(bytes[i]);
            if c == '%' {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return None;
                }
                // An escaped control character is no more welcome than a raw one.
                let value = u8::from_str_radix(&query[i + 1..i + 3], 16).ok()?;
                if value < 0x20 || value == 0x7f {
                    return None;
                }
                i += 3;
            } else if unreserved(c) || matches!(c, '=' | '&' | '+') {
                i += 1;
            } else {
                return None;
            }
        }
    }
    Some(input)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang(&parts.headers);
        let path = parts.uri.path().to_owned();
        let back_to_sign_in = || {
            let next = if parts.method.is_safe() {
                path.as_str()
            } else {
                "/referrals"
            };
            PageError::SignIn(format!("/sign-in?next={}", urlencode(next)))
        };
        let Some(token) = session_token(&parts.headers) else {
            return Err(back_to_sign_in());
        };
        if !parts.method.is_safe() && !crate::actor::same_origin(parts) {
            return Err(PageError::BadForm(lang));
        }
        match state
            .cases
            .identity()
            .principal_for_session(&token, state.now())
            .await
        {
            Ok(Some(principal)) => Ok(Self {
                principal,
                lang,
                form_token: form_token(&token),
                path,
            }),
            Ok(None) => Err(back_to_sign_in()),
            Err(e) => Err(PageError::from_service(e, lang)),
        }
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "sign-in.html")]
struct SignInPage {
    layout: Layout,
    errors: crate::pages::layout::Errors,
    email: String,
    next: String,
    notice: Option<&'static str>,
    /// Answers posted after the session ended, carried through signing in (never in a URL).
    replay: Vec<(String, String)>,
}

/// The prefix that marks a carried answer on the sign-in form.
const REPLAY: &str = "replay:";

/// The hidden field the "continue" page adds, so the page the answers go back to knows they
/// were carried through signing in (and shows its check step instead of recording anything).
pub const CARRIED_FIELD: &str = "carried";
/// Fields that are never carried: the old session's token, a check step's "confirmed" (a
/// carried post must show the check page again), and the carried marker itself.
const NEVER_CARRIED: [&str; 3] = [FORM_TOKEN_FIELD, "confirmed", CARRIED_FIELD];
/// The most answer text carried through signing in (the longest page, an account of
/// exploitation, is 20,000 characters), and the most fields. More is not reflected back.
const CARRY_LIMIT_BYTES: usize = 128 * 1024;
const CARRY_LIMIT_FIELDS: usize = 200;

/// The answers of a form posted after the session ended that may be carried through signing
/// in, or `None` when there are too many to reflect back.
fn carried(form: &Form) -> Option<Vec<(String, String)>> {
    let fields: Vec<(String, String)> = form
        .iter()
        .filter(|(name, _)| !NEVER_CARRIED.contains(&name.as_str()))
        .flat_map(|(name, values)| values.iter().map(move |v| (name.clone(), v.clone())))
        .collect();
    let bytes: usize = fields.iter().map(|(n, v)| n.len() + v.len()).sum();
    (fields.len() <= CARRY_LIMIT_FIELDS && bytes <= CARRY_LIMIT_BYTES).then_some(fields)
}

/// Whether a request positively comes from a page of this site: `Sec-Fetch-Site:
/// same-origin`, or, from a browser that does not send Fetch Metadata, an `Origin` naming this
/// host. A post with neither proves nothing and is never carried.
fn proven_same_origin(parts: &Parts) -> bool {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    match header("sec-fetch-site") {
        Some(site) => site == "same-origin",
        None => header("origin").is_some() && crate::actor::same_origin(parts),
    }
}

/// Someone whose session ended posted a form: ask them to sign in again, carrying what they
/// posted in the sign-in form's body, so signing in leads straight back to saving it.
///
/// Only a post proven to come from this site's own page is carried, only back to the page it
/// was posted to, and never with a check step's confirmation: a form posted from another site
/// (which carries no cookie, so always arrives "signed out") is refused, or it would come back
/// after signing in as the victim's own answers.
pub fn sign_in_to_keep(lang: Lang, parts: &Parts, form: &Form) -> Response {
    // ASVS v5.0.0-3.5.1: cross-site requests never reach a state-changing function.
    if !proven_same_origin(parts) {
        return PageError::BadForm(lang).into_response();
    }
    let action = parts.uri.path();
    let Some(next) = safe_next(action) else {
        return PageError::BadForm(lang).into_response();
    };
    let mut layout = Layout::new(lang, lang.t("signin.title"), "/sign-in");
    // Switching language here would be a new request without the carried answers.
    layout.bilingual = false;
    let replay = carried(form);
    let page = SignInPage {
        layout,
        errors: crate::pages::layout::Errors::default(),
        email: String::new(),
        next: next.to_owned(),
        notice: Some(if replay.is_some() {
            "signin.expired_kept"
        } else {
            "signin.expired"
        }),
        replay: replay.unwrap_or_default(),
    };
    let mut response = render(&page);
    *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
    response
}

#[derive(askama::Template)]
#[template(path = "signed-in-continue.html")]
struct ContinuePage {
    layout: Layout,
    action: String,
    fields: Vec<(String, String)>,
    form_token: String,
    button: nrm_govuk::components::Button,
}

/// The most a page's form may send: a 20,000-character account, percent-encoded, with room.
const FORM_LIMIT: usize = 1024 * 1024;

/// A form posted by someone signed in, carrying this session's token. When the session has
/// ended, the rejection is the sign-in page carrying what was posted ([`sign_in_to_keep`]);
/// a form without the token, or from another site, is refused.
#[derive(Debug)]
pub struct Posted {
    pub signed_in: SignedIn,
    pub form: Form,
    /// The answers were carried through signing in again (see [`sign_in_to_keep`]): a page
    /// that records a change on this post shows its check step instead.
    pub carried: bool,
}

impl axum::extract::FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let maybe = MaybeSignedIn::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| PageError::BadForm(maybe.lang).into_response())?;
        let mut form = form::parse(&bytes);
        let Some(signed_in) = maybe.signed_in else {
            return Err(sign_in_to_keep(maybe.lang, &parts, &form));
        };
        signed_in
            .check_form(&form)
            .map_err(IntoResponse::into_response)?;
        let carried = form.remove(CARRIED_FIELD).is_some();
        if carried {
            // Never straight to a recorded change: the check step is shown again.
            form.remove("confirmed");
        }
        Ok(Self {
            signed_in,
            form,
            carried,
        })
    }
}

/// A signed-in caller, or nobody (no session, or it ended).
#[derive(Debug)]
pub struct MaybeSignedIn {
    pub signed_in: Option<SignedIn>,
    pub lang: Lang,
    pub path: String,
}

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang(&parts.headers);
        let path = parts.uri.path().to_owned();
        match SignedIn::from_request_parts(parts, state).await {
            Ok(signed_in) => Ok(Self {
                signed_in: Some(signed_in),
                lang,
                path,
            }),
            Err(PageError::SignIn(_)) => Ok(Self {
                signed_in: None,
                lang,
                path,
            }),
            Err(other) => Err(other),
        }
    }
}

impl SignInPage {
    fn input(
        &self,
        name: &str,
        kind: &str,
        label: &str,
        hint: Option<&str>,
        autocomplete: &str,
        value: &str,
    ) -> nrm_govuk::components::Input {
        let lang = self.layout.lang;
        nrm_govuk::components::Input {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            type_: Some(kind.to_owned()),
            value: (!value.is_empty()).then(|| value.to_owned()),
            autocomplete: Some(autocomplete.to_owned()),
            spellcheck: Some(false),
            label: Some(nrm_govuk::components::Label {
                text: Some(lang.t(label).to_owned()),
                ..Default::default()
            }),
            hint: hint.map(|h| nrm_govuk::components::Hint {
                text: Some(lang.t(h).to_owned()),
                ..Default::default()
            }),
            error_message: self.errors.message(name, lang),
            ..Default::default()
        }
    }

    fn email_input(&self) -> nrm_govuk::components::Input {
        self.input(
            "email",
            "email",
            "signin.email",
            None,
            "username",
            &self.email,
        )
    }

    fn password_input(&self) -> nrm_govuk::components::Input {
        self.input(
            "password",
            "password",
            "signin.password",
            None,
            "current-password",
            "",
        )
    }

    fn code_input(&self) -> nrm_govuk::components::Input {
        let mut input = self.input(
            "code",
            "text",
            "signin.code",
            Some("signin.code.hint"),
            "one-time-code",
            "",
        );
        input.inputmode = Some("numeric".to_owned());
        input.classes = Some("govuk-input--width-5".to_owned());
        input
    }

    fn button(&self) -> nrm_govuk::components::Button {
        nrm_govuk::components::Button {
            text: Some(self.layout.t("signin.button").to_owned()),
            ..Default::default()
        }
    }
}

/// The sign-in page.
pub async fn sign_in_page(headers: HeaderMap, Query(query): Query<NextQuery>) -> Response {
    let lang = lang(&headers);
    let next = query
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("/")
        .to_owned();
    let notice = (next != "/").then_some("signin.expired");
    render(&SignInPage {
        layout: Layout::new(lang, lang.t("signin.title"), "/sign-in"),
        errors: crate::pages::layout::Errors::default(),
        email: String::new(),
        next,
        notice,
        replay: Vec::new(),
    })
}

/// Signs in from the page, then goes where the person was going.
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let lang = lang(&parts.headers);
    let Ok(body) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return PageError::BadForm(lang).into_response();
    };
    // Signing in is a state change too: only from this service's own sign-in page, judged by
    // Fetch Metadata, or by `Origin` when a browser sends no Fetch Metadata.
    // ASVS v5.0.0-3.5.1
    if !crate::actor::same_origin(&parts) {
        return PageError::BadForm(lang).into_response();
    }
    let form = form::parse(&body);
    let email = form::value(&form, "email").trim().to_owned();
    let password = form::value(&form, "password");
    let code = form::value(&form, "code").trim().to_owned();
    let next = safe_next(form::value(&form, "next"))
        .unwrap_or("/")
        .to_owned();
    // Answers carried from a form posted after the session ended (see `sign_in_to_keep`).
    let replay: Vec<(String, String)> = form
        .iter()
        .filter_map(|(name, values)| name.strip_prefix(REPLAY).map(|n| (n.to_owned(), values)))
        .filter(|(name, _)| !NEVER_CARRIED.contains(&name.as_str()))
        .flat_map(|(name, values)| values.iter().map(move |v| (name.clone(), v.clone())))
        .collect();
    let mut errors = crate::pages::layout::Errors::default();
    if email.is_empty() {
        errors.add("email", lang.t("signin.email.missing"));
    }
    if password.is_empty() {
        errors.add("password", lang.t("signin.password.missing"));
    }
    if code.is_empty() {
        errors.add("code", lang.t("signin.code.missing"));
    }
    if errors.is_empty() {
        match state
            .cases
            .identity()
            .sign_in(&email, password, &code, &client, state.now())
            .await
        {
            Ok(token) => {
                let mut response = if replay.is_empty() {
                    Redirect::to(&next).into_response()
                } else {
                    // Back to what they were saving: one press sends it with the new session.
                    render(&ContinuePage {
                        layout: Layout::new(lang, lang.t("signin.continue.title"), "/sign-in"),
                        action: next.clone(),
                        fields: replay,
                        form_token: form_token(&token.0),
                        button: nrm_govuk::components::Button {
                            text: Some(lang.t("save_continue").to_owned()),
                            ..Default::default()
                        },
                    })
                };
                if let Ok(cookie) = HeaderValue::from_str(&session_cookie(&token.0)) {
                    response.headers_mut().insert(header::SET_COOKIE, cookie);
                }
                return response;
            }
            Err(SignInRefused::NotRight) => errors.add("email", lang.t("signin.failed")),
            Err(SignInRefused::Throttled) => errors.add("email", lang.t("signin.throttled")),
            Err(SignInRefused::Fault) => return PageError::Fault(lang).into_response(),
        }
    }
    let mut page = SignInPage {
        layout: Layout::new(lang, lang.t("signin.title"), "/sign-in"),
        notice: (!replay.is_empty()).then_some("signin.expired_kept"),
        errors,
        email,
        next,
        replay,
    };
    page.layout.has_errors = true;
    let mut response = render(&page);
    *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    response
}

/// Signs out: the session ends at once and the cookie is cleared.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    signed_in: SignedIn,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    signed_in.check_form(&form::parse(&body))?;
    if let Some(token) = session_token(&headers) {
        state
            .cases
            .identity()
            .sign_out(&token)
            .await
            .map_err(|e| PageError::from_service(e, signed_in.lang))?;
    }
    let mut response = Redirect::to("/sign-in").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(CLEAR_SESSION_COOKIE),
    );
    Ok(response)
}

/// Switches language and goes back to the page the switch was on.
pub async fn language(Path(code): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let next = query.next.as_deref().and_then(safe_next).unwrap_or("/");
    let mut response = Redirect::to(next).into_response();
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
        lang.code()
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    // ASVS v5.0.0-1.2.5: redirects only to an allow-listed shape of local path.
    fn only_strict_local_paths_are_followed() {
        for good in [
            "/",
            "/referrals",
            "/referrals/",
            "/cases/NRM-2024-ABC-123",
            "/referrals/0b7c4f5e-1f2a-4c3d-9e8f-001122334455/exploitation/2",
            "/cases?status=awaiting_rg&page=2",
            "/cases?q=a%20b",
        ] {
            assert_eq!(safe_next(good), Some(good), "{good:?}");
        }
        for bad in [
            "",
            "referrals",
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/a//b",
            "/a/../b",
            "/./b",
            "/a b",
            "/a?b=%0A",
            "/a?b=%0d",
            "/a?b=%zz",
            "/a?b=<script>",
            "/a#fragment",
            "/caf\u{e9}",
            &format!("/{}", "a".repeat(600)),
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn form_tokens_differ_per_session() {
        assert_ne!(
            form_token("a".repeat(64).as_str()),
            form_token("b".repeat(64).as_str())
        );
        assert_eq!(form_token("a"), form_token("a"));
    }
}
