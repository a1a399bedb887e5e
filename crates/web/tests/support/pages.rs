//! Helpers for driving the pages over HTTP as a person would: accounts signed in through the
//! sign-in page, form posts carrying `Sec-Fetch-Site: same-origin`, and page scraping.

use nrm_access::{OrganisationKind, Role};
use nrm_domain::ids::{OrganisationId, UserId};
use reqwest::{Client, Response, redirect};

use super::App;

pub const PASSWORD: &str = "a long enough passphrase";

pub fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn now(app: &App) -> chrono::DateTime<chrono::Utc> {
    *app.clock.lock().unwrap_or_else(|e| panic!("{e}"))
}

/// A designated First Responder Organisation with one first responder; returns their cookie.
pub async fn first_responder(app: &App) -> String {
    first_responder_with_email(app).await.0
}

/// Signs `email` in again (the clock must have moved on a TOTP step since the last sign-in).
pub async fn sign_in_again(app: &App, email: &str, extra: &[(&str, &str)]) -> Response {
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let user = app
        .store
        .store
        .user_by_email(email)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no such user"))
        .id;
    let code = cases
        .identity()
        .current_code(user, now(app))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut form = vec![
        ("email", email),
        ("password", PASSWORD),
        ("code", code.as_str()),
    ];
    form.extend_from_slice(extra);
    post(app, "/sign-in", "", &form).await
}

/// As [`first_responder`], also returning the email.
pub async fn first_responder_with_email(app: &App) -> (String, String) {
    let email = account(
        app,
        "A charity",
        &OrganisationKind::FirstResponderOrganisation,
        Role::FirstResponder,
    )
    .await;
    let response = sign_in_again(app, &email, &[("next", "/referrals")]).await;
    assert_eq!(response.status(), 303, "signed in");
    assert_eq!(location(&response), "/referrals");
    (set_cookie(&response), email)
}

/// A new organisation of `kind` (for one that refers: a police force in England, also
/// designated from 2020) with one account holding
/// `role`; returns the account's email.
pub async fn account(app: &App, name: &str, kind: &OrganisationKind, role: Role) -> String {
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let org = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            OrganisationId(uuid::Uuid::new_v4()),
            name,
            kind,
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    if *kind == OrganisationKind::FirstResponderOrganisation {
        // A police force in England (it may refer and make Duty to Notify reports),
        // designated from 2020 as well.
        cases
            .administration()
            .set_referrer(
                &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                    .unwrap_or_else(|e| panic!("{e}")),
                org,
                &nrm_service::ReferrerSettings {
                    nation: Some(nrm_domain::geography::UkNation::England),
                    first_responder_list: Some("police".to_owned()),
                    designated_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
                    designated_to: None,
                },
                now(app),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let email = format!("{}@example.invalid", uuid::Uuid::new_v4());
    cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                .unwrap_or_else(|e| panic!("{e}")),
            UserId(uuid::Uuid::new_v4()),
            org,
            &email,
            &[role],
            PASSWORD,
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    email
}

pub fn set_cookie(response: &Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_owned()
}

pub async fn get(app: &App, path: &str, cookie: &str) -> Response {
    client()
        .get(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

pub async fn post(app: &App, path: &str, cookie: &str, form: &[(&str, &str)]) -> Response {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    client()
        .post(format!("{}{path}", app.base))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub async fn text(response: Response) -> String {
    response.text().await.unwrap_or_default()
}

/// The form token in a page's forms.
pub fn token(html: &str) -> String {
    html.split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// The `<input>` tag with this id.
pub fn input_tag(html: &str, id: &str) -> String {
    html.split("<input")
        .find(|tag| {
            tag.split('>')
                .next()
                .is_some_and(|t| t.contains(&format!("id=\"{id}\"")))
        })
        .and_then(|tag| tag.split('>').next())
        .unwrap_or_default()
        .to_owned()
}

pub fn title(html: &str) -> String {
    html.split("<title>")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap_or_default()
        .to_owned()
}

/// Starts a referral draft of `kind` as the signed-in `cookie`: the session's form token and
/// the draft's first question page.
pub async fn start_draft(app: &App, cookie: &str, kind: &str) -> (String, String) {
    let t = token(&text(get(app, "/referrals/new", cookie).await).await);
    let created = post(
        app,
        "/referrals/new",
        cookie,
        &[("kind", kind), ("form_token", &t)],
    )
    .await;
    (t, location(&created))
}

/// A decision maker at the Single Competent Authority, signed in through the page.
pub async fn decision_maker(app: &App) -> String {
    decision_maker_with_email(app).await.0
}

/// As [`decision_maker`], also returning the email.
pub async fn decision_maker_with_email(app: &App) -> (String, String) {
    let email = account(
        app,
        "Single Competent Authority",
        &OrganisationKind::CompetentAuthority {
            authority: nrm_domain::event::CompetentAuthority::Sca,
        },
        Role::DecisionMaker,
    )
    .await;
    let response = sign_in_again(app, &email, &[("next", "/")]).await;
    assert_eq!(location(&response), "/");
    (set_cookie(&response), email)
}
