//! Signing in: password and second factor, sessions, timeouts, revocation, throttling and
//! cross-site protection, over HTTP on SQLite and PostgreSQL.

mod support;

use chrono::Duration;
use nrm_access::{OrganisationKind, Role};
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::UserId;
use reqwest::Response;
use serde_json::json;
use support::{App, body, each_backend};

const PASSWORD: &str = "a long enough passphrase";

async fn make_user(app: &App, email: &str) -> UserId {
    let now = *app.clock.lock().unwrap_or_else(|e| panic!("{e}"));
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let org = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            nrm_domain::ids::OrganisationId(uuid::Uuid::new_v4()),
            "Single Competent Authority",
            &OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                .unwrap_or_else(|e| panic!("{e}")),
            UserId(uuid::Uuid::new_v4()),
            org,
            email,
            &[Role::CaManager, Role::DecisionMaker],
            PASSWORD,
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .id
}

async fn code(app: &App, user: UserId) -> String {
    let now = *app.clock.lock().unwrap_or_else(|e| panic!("{e}"));
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    cases
        .identity()
        .current_code(user, now)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

async fn sign_in(app: &App, email: &str, password: &str, code: &str) -> Response {
    app.client
        .post(format!("{}/api/v1/sign-in", app.base))
        .json(&json!({"email": email, "password": password, "code": code}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn cookie_of(response: &Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_owned()
}

async fn list_with(app: &App, cookie: &str) -> u16 {
    app.client
        .get(format!("{}/api/v1/cases", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

// ASVS v5.0.0-6.3.3, v5.0.0-7.2.4, v5.0.0-7.3.1, v5.0.0-7.4.1, v5.0.0-7.4.2, v5.0.0-3.3.1 (Security targets #11, #12, #13, #14, #16)
#[tokio::test]
async fn sign_in_needs_password_and_code_and_sessions_end_when_they_should() {
    each_backend(|app| async move {
        let email = "caseworker@sca.example";
        let user = make_user(&app, email).await;

        // Wrong password, wrong code, unknown account: the same answer each time.
        let good = code(&app, user).await;
        let wrong_password = body(sign_in(&app, email, "not the passphrase", &good).await).await;
        let wrong_code = body(sign_in(&app, email, PASSWORD, "000000").await).await;
        let unknown = body(sign_in(&app, "nobody@sca.example", PASSWORD, &good).await).await;
        assert_eq!(wrong_password, wrong_code);
        assert_eq!(wrong_password, unknown);
        assert_eq!(wrong_password["status"], 401);

        // The right password and code: a session cookie with every protection.
        let response = sign_in(&app, email, PASSWORD, &good).await;
        assert_eq!(response.status(), 204);
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        for attribute in [
            "__Host-nrm-session=",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
        ] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        assert!(!set_cookie.contains("Domain"), "{set_cookie}");
        let cookie = cookie_of(&response);
        assert_eq!(
            cookie.len(),
            "__Host-nrm-session=".len() + 64,
            "a 256-bit token"
        );
        assert_eq!(list_with(&app, &cookie).await, 200);

        // The same code cannot be used twice.
        assert_eq!(sign_in(&app, email, PASSWORD, &good).await.status(), 401);

        // Idle for more than 15 minutes: the session is gone.
        app.advance_minutes(14);
        assert_eq!(list_with(&app, &cookie).await, 200);
        app.advance_minutes(16);
        assert_eq!(list_with(&app, &cookie).await, 401);

        // A fresh session ends on sign-out.
        app.advance_minutes(1);
        let cookie = cookie_of(&sign_in(&app, email, PASSWORD, &code(&app, user).await).await);
        assert_eq!(list_with(&app, &cookie).await, 200);
        let out = app
            .client
            .post(format!("{}/api/v1/sign-out", app.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status(), 204);
        assert_eq!(list_with(&app, &cookie).await, 401);

        // Disabling the user ends their sessions at once.
        app.advance_minutes(1);
        let cookie = cookie_of(&sign_in(&app, email, PASSWORD, &code(&app, user).await).await);
        assert_eq!(list_with(&app, &cookie).await, 200);
        app.store
            .store
            .set_user_disabled(user, true)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(list_with(&app, &cookie).await, 401);

        // A forged or over-long cookie is simply not a session.
        assert_eq!(
            list_with(&app, &format!("__Host-nrm-session={}", "a".repeat(64))).await,
            401
        );
        assert_eq!(
            list_with(&app, &format!("__Host-nrm-session={}", "a".repeat(5000))).await,
            401
        );
        app
    })
    .await;
}

// ASVS v5.0.0-6.3.1
#[tokio::test]
async fn ten_failures_throttle_the_account_even_for_the_right_password() {
    each_backend(|app| async move {
        let email = "target@sca.example";
        let user = make_user(&app, email).await;
        for _ in 0..10 {
            assert_eq!(
                sign_in(&app, email, "a wrong passphrase!", "123456")
                    .await
                    .status(),
                401
            );
        }
        let throttled = sign_in(&app, email, PASSWORD, &code(&app, user).await).await;
        assert_eq!(throttled.status(), 429);
        // An account that does not exist is throttled the same way.
        for _ in 0..10 {
            sign_in(&app, "ghost@sca.example", "a wrong passphrase!", "123456").await;
        }
        assert_eq!(
            sign_in(&app, "ghost@sca.example", PASSWORD, "123456")
                .await
                .status(),
            429
        );
        // After five quiet minutes the account can sign in again.
        app.advance_minutes(6);
        assert_eq!(
            sign_in(&app, email, PASSWORD, &code(&app, user).await)
                .await
                .status(),
            204
        );
        app
    })
    .await;
}

// ASVS v5.0.0-3.5.1
#[tokio::test]
async fn cookie_sessions_refuse_cross_site_changes() {
    each_backend(|app| async move {
        let email = "csrf@sca.example";
        let user = make_user(&app, email).await;
        let cookie = cookie_of(&sign_in(&app, email, PASSWORD, &code(&app, user).await).await);
        let sweep = |site: Option<&'static str>, origin: Option<&'static str>| {
            let mut request = app
                .client
                .post(format!("{}/api/v1/deadline-sweep", app.base))
                .header("cookie", cookie.clone());
            if let Some(site) = site {
                request = request.header("sec-fetch-site", site);
            }
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            request.send()
        };
        for (site, origin) in [
            (Some("cross-site"), None),
            (Some("same-site"), None),
            (None, Some("https://evil.example")),
        ] {
            let response = sweep(site, origin).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(response.status(), 403, "{site:?} {origin:?}");
        }
        let response = sweep(Some("same-origin"), None)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 200);
        // Reads are not state changes: a cross-site GET is answered (SameSite=Strict keeps
        // browsers from sending the cookie anyway).
        let _ = Duration::zero();
        app
    })
    .await;
}

// ASVS v5.0.0-7.3.2
#[tokio::test]
async fn a_session_ends_after_ten_hours_however_busy() {
    let app = App::start(nrm_store::testing::sqlite().await).await;
    let email = "busy@sca.example";
    let user = make_user(&app, email).await;
    let cookie = cookie_of(&sign_in(&app, email, PASSWORD, &code(&app, user).await).await);
    // Active every 14 minutes, so never idle: still signed in at 9 h 48 min...
    for _ in 0..42 {
        app.advance_minutes(14);
        assert_eq!(list_with(&app, &cookie).await, 200);
    }
    // ...and signed out once more than 10 hours have passed since sign-in.
    app.advance_minutes(14);
    assert_eq!(list_with(&app, &cookie).await, 401);
    app.stop().await;
}

// ASVS v5.0.0-8.2.1
#[tokio::test]
async fn api_tokens_do_only_what_their_scopes_name_and_can_be_revoked() {
    each_backend(|app| async move {
        let now = *app.clock.lock().unwrap_or_else(|e| panic!("{e}"));
        let cases =
            nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
        let police = cases
            .administration()
            .add_organisation(
                &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                    .unwrap_or_else(|e| panic!("{e}")),
                nrm_domain::ids::OrganisationId(uuid::Uuid::new_v4()),
                "A police force",
                &OrganisationKind::FirstResponderOrganisation,
                now,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (id, token) = cases
            .administration()
            .create_api_token(
                &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                    .unwrap_or_else(|e| panic!("{e}")),
                police,
                "Police case system",
                &[nrm_access::Operation::SubmitReferral],
                now,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let bearer = format!("Bearer {token}");
        let submit = |auth: String| {
            app.client
                .post(format!("{}/api/v1/referrals/adult", app.base))
                .header("authorization", auth)
                .json(&support::adult())
                .send()
        };
        let response = submit(bearer.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 201);
        let reference = body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // Outside its scope: no list, no Duty to Notify, no case reads.
        let list = app
            .client
            .get(format!("{}/api/v1/cases", app.base))
            .header("authorization", &bearer)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(list.status(), 403);
        let dtn = app
            .client
            .post(format!("{}/api/v1/duty-to-notify", app.base))
            .header("authorization", &bearer)
            .json(&support::duty_to_notify())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(dtn.status(), 403);
        let read = app
            .client
            .get(format!("{}/api/v1/cases/{reference}", app.base))
            .header("authorization", &bearer)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.status(), 404);
        // The token is stored only as a hash.
        let tokens = app.store.store.api_tokens().await.unwrap_or_default();
        assert_eq!(tokens.len(), 1);
        assert!(!format!("{tokens:?}").contains(&token[4..]));
        // Forged and revoked tokens are refused.
        let forged = submit(format!("Bearer nrm_{}", "0".repeat(64)))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(forged.status(), 401);
        app.store
            .store
            .revoke_api_token(id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            submit(bearer)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .status(),
            401
        );
        app
    })
    .await;
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_in_place_of_the_authenticator() {
    let app = App::start(nrm_store::testing::sqlite().await).await;
    let now = *app.clock.lock().unwrap_or_else(|e| panic!("{e}"));
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let org = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            nrm_domain::ids::OrganisationId(uuid::Uuid::new_v4()),
            "SCA",
            &OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let created = cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                .unwrap_or_else(|e| panic!("{e}")),
            UserId(uuid::Uuid::new_v4()),
            org,
            "lost.phone@sca.example",
            &[Role::DecisionMaker],
            PASSWORD,
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(created.recovery_codes.len(), 10);
    let code = created.recovery_codes[3].clone();
    assert_eq!(
        sign_in(
            &app,
            "lost.phone@sca.example",
            PASSWORD,
            &code.to_uppercase()
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        sign_in(&app, "lost.phone@sca.example", PASSWORD, &code)
            .await
            .status(),
        401,
        "used once only"
    );
    assert_eq!(
        sign_in(
            &app,
            "lost.phone@sca.example",
            PASSWORD,
            "abcde-fghjk-mnpqr"
        )
        .await
        .status(),
        401
    );
    app.stop().await;
}

#[tokio::test]
async fn a_first_responder_organisation_refers_only_while_designated() {
    each_backend(|app| async move {
        let now = *app.clock.lock().unwrap_or_else(|e| panic!("{e}"));
        let cases =
            nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
        let charity = cases
            .administration()
            .add_organisation(
                &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                    .unwrap_or_else(|e| panic!("{e}")),
                nrm_domain::ids::OrganisationId(uuid::Uuid::new_v4()),
                "A charity",
                &OrganisationKind::FirstResponderOrganisation,
                now,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (_, token) = cases
            .administration()
            .create_api_token(
                &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                    .unwrap_or_else(|e| panic!("{e}")),
                charity,
                "Charity case system",
                &[nrm_access::Operation::SubmitReferral],
                now,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let submit = || {
            app.client
                .post(format!("{}/api/v1/referrals/adult", app.base))
                .header("authorization", format!("Bearer {token}"))
                .json(&support::adult())
                .send()
        };
        assert_eq!(
            submit().await.unwrap_or_else(|e| panic!("{e}")).status(),
            201
        );
        // Its designation ended yesterday: referrals are refused, naming the date.
        let today = now.date_naive();
        app.store
            .store
            .set_designation(
                charity,
                Some(today - Duration::days(400)),
                Some(today - Duration::days(1)),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let refused = submit().await.unwrap_or_else(|e| panic!("{e}"));
        // The organisation, not the case, is refused (issue #10): 403, naming the rule.
        assert_eq!(refused.status(), 403);
        let detail = body(refused).await["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            detail.contains(&format!("ended on {}", today - Duration::days(1))),
            "{detail}"
        );
        app
    })
    .await;
}

// ASVS v5.0.0-7.5.3
#[tokio::test]
async fn privileged_operations_need_a_sign_in_within_ten_minutes() {
    let app = App::start(nrm_store::testing::sqlite().await).await;
    let now = *app.clock.lock().unwrap_or_else(|e| panic!("{e}"));
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let admins = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            nrm_domain::ids::OrganisationId(uuid::Uuid::new_v4()),
            "Service team",
            &OrganisationKind::Administrators,
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let admin = cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                .unwrap_or_else(|e| panic!("{e}")),
            UserId(uuid::Uuid::new_v4()),
            admins,
            "admin@service.example",
            &[Role::Administrator],
            PASSWORD,
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .id;
    let cookie = cookie_of(
        &sign_in(
            &app,
            "admin@service.example",
            PASSWORD,
            &code(&app, admin).await,
        )
        .await,
    );
    let add = |cookie: String| {
        app.client
            .post(format!("{}/api/v1/organisations", app.base))
            .header("cookie", cookie)
            .header("sec-fetch-site", "same-origin")
            .json(&json!({"name": "A council", "kind": "local_authority"}))
            .send()
    };
    assert_eq!(
        add(cookie.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .status(),
        201
    );
    app.advance_minutes(9);
    assert_eq!(
        add(cookie.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .status(),
        201
    );
    // Still signed in (never idle), but the sign-in is now more than ten minutes old.
    app.advance_minutes(2);
    let stale = add(cookie.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stale.status(), 403);
    assert_eq!(body(stale).await["type"], "/problems/sign-in-again");
    let fresh = cookie_of(
        &sign_in(
            &app,
            "admin@service.example",
            PASSWORD,
            &code(&app, admin).await,
        )
        .await,
    );
    assert_eq!(
        add(fresh).await.unwrap_or_else(|e| panic!("{e}")).status(),
        201
    );
    app.stop().await;
}

// ASVS v5.0.0-7.4.3
#[tokio::test]
async fn changing_the_password_ends_every_session_and_old_codes_expire() {
    each_backend(|app| async move {
        let email = "changer@sca.example";
        let user = make_user(&app, email).await;
        // A code from a minute and a half ago has expired.
        let old = code(&app, user).await;
        app.advance_minutes(2);
        assert_eq!(sign_in(&app, email, PASSWORD, &old).await.status(), 401);
        let cookie = cookie_of(&sign_in(&app, email, PASSWORD, &code(&app, user).await).await);
        let other = {
            app.advance_minutes(1);
            cookie_of(&sign_in(&app, email, PASSWORD, &code(&app, user).await).await)
        };
        let change = |current: &str, new: &str| {
            app.client
                .post(format!("{}/api/v1/me/password", app.base))
                .header("cookie", cookie.clone())
                .header("sec-fetch-site", "same-origin")
                .json(&json!({"current_password": current, "new_password": new}))
                .send()
        };
        assert_eq!(
            change("not the passphrase", "another long passphrase")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .status(),
            422
        );
        assert_eq!(
            change(PASSWORD, "short")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .status(),
            422
        );
        assert_eq!(
            change(PASSWORD, "another long passphrase")
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .status(),
            204
        );
        assert_eq!(list_with(&app, &cookie).await, 401);
        assert_eq!(list_with(&app, &other).await, 401);
        app.advance_minutes(1);
        assert_eq!(
            sign_in(&app, email, PASSWORD, &code(&app, user).await)
                .await
                .status(),
            401
        );
        app.advance_minutes(1);
        assert_eq!(
            sign_in(
                &app,
                email,
                "another long passphrase",
                &code(&app, user).await
            )
            .await
            .status(),
            204
        );
        app
    })
    .await;
}

// ASVS v5.0.0-6.3.1
#[tokio::test]
async fn one_client_guessing_across_many_accounts_is_throttled() {
    let app = App::start(nrm_store::testing::sqlite().await).await;
    let email = "victim@sca.example";
    let user = make_user(&app, email).await;
    // A hundred failures from this client, each against a different (made-up) account, so no
    // single account reaches its own limit.
    for i in 0..100 {
        let status = sign_in(
            &app,
            &format!("guess{i}@sca.example"),
            "a wrong passphrase!",
            "123456",
        )
        .await
        .status();
        assert_eq!(status, 401, "attempt {i}");
    }
    // Now even a real account's right password and code are refused from this client.
    assert_eq!(
        sign_in(&app, email, PASSWORD, &code(&app, user).await)
            .await
            .status(),
        429
    );
    app.advance_minutes(6);
    assert_eq!(
        sign_in(&app, email, PASSWORD, &code(&app, user).await)
            .await
            .status(),
        204
    );
    app.stop().await;
}
