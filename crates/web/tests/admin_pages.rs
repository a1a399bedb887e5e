//! The administration pages over HTTP on SQLite and PostgreSQL (issue 11 item 5):
//! organisations (add with a check step, change the nation and designation, a stale change
//! refused with 409), accounts (add with credentials shown once, roles, disable and enable,
//! password reset, sessions ended one by one), API tokens (create shown once, revoke), and an
//! FRO administrator confined to their own organisation's accounts (another's is "not found",
//! audited; organisations are refused; API tokens only their own organisation's, with referrers'
//! scopes, another's refused by the service and audited).

mod support;

use nrm_access::{OrganisationKind, Role};
use support::each_backend;
use support::pages::*;

async fn signed_in(
    app: &support::App,
    name: &str,
    kind: &OrganisationKind,
    role: Role,
) -> (String, String) {
    let email = account(app, name, kind, role).await;
    let response = sign_in_again(app, &email, &[("next", "/")]).await;
    assert_eq!(response.status(), 303, "signed in");
    (set_cookie(&response), email)
}

async fn user(app: &support::App, email: &str) -> nrm_store::identity::UserRow {
    app.store
        .store
        .user_by_email(email)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no such user"))
}

/// The value of a hidden field on a page.
fn hidden(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

async fn audited(app: &support::App, action: &str) -> usize {
    app.store
        .store
        .audit_entries(0, 100_000)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.action == action)
        .count()
}

#[tokio::test]
async fn administrators_add_and_change_organisations_with_a_check_step_and_stale_changes_refused() {
    each_backend(|app| async move {
        let (admin, _) = signed_in(
            &app,
            "The administrators",
            &OrganisationKind::Administrators,
            Role::Administrator,
        )
        .await;
        let list = get(&app, "/administration/organisations", &admin).await;
        assert_eq!(list.status(), 200);
        let form = text(get(&app, "/administration/organisations/new", &admin).await).await;
        let t = token(&form);
        // Nothing chosen: the error summary, nothing added.
        let bad = post(
            &app,
            "/administration/organisations/new",
            &admin,
            &[("form_token", &t)],
        )
        .await;
        assert_eq!(bad.status(), 422);
        let bad = text(bad).await;
        assert!(bad.contains("govuk-error-summary"));
        assert!(
            bad.contains("Enter the organisation&#39;s name")
                || bad.contains("Enter the organisation's name")
        );
        // A list kind not on Scotland's list for a police force? Police is listed everywhere;
        // a kind without a nation is refused.
        let answers = [
            ("form_token", t.as_str()),
            ("name", "Northshire Constabulary"),
            ("kind", "first_responder_organisation"),
            ("nation", ""),
            ("first_responder_list", "police"),
        ];
        let refused = post(&app, "/administration/organisations/new", &admin, &answers).await;
        assert_eq!(refused.status(), 422, "a list kind needs a nation");
        let mut answers = answers.to_vec();
        answers[3] = ("nation", "england");
        let before = audited(&app, "organisation.add").await;
        let check = post(&app, "/administration/organisations/new", &admin, &answers).await;
        assert_eq!(check.status(), 200);
        let check = text(check).await;
        assert!(check.contains("Check the organisation before you add it"));
        assert!(check.contains("Northshire Constabulary"));
        assert_eq!(
            audited(&app, "organisation.add").await,
            before,
            "nothing added before the check is confirmed"
        );
        answers.push(("confirmed", "yes"));
        let added = post(&app, "/administration/organisations/new", &admin, &answers).await;
        assert_eq!(added.status(), 303);
        let at = location(&added);
        assert!(
            at.starts_with("/administration/organisations/") && at.ends_with("?done=added"),
            "{at}"
        );
        assert_eq!(audited(&app, "organisation.add").await, before + 1);
        let view = text(get(&app, &at, &admin).await).await;
        assert!(view.contains("Northshire Constabulary") && view.contains("England"));
        // Change the designation: the form carries the version read.
        let path = at.trim_end_matches("?done=added").to_owned();
        let form = text(get(&app, &format!("{path}/referrer"), &admin).await).await;
        let version = hidden(&form, "version");
        assert!(!version.is_empty());
        let change = [
            ("form_token", t.as_str()),
            ("version", version.as_str()),
            ("nation", "england"),
            ("first_responder_list", "police"),
            ("designated_from-day", "1"),
            ("designated_from-month", "4"),
            ("designated_from-year", "2024"),
            ("designated_to-day", "31"),
            ("designated_to-month", "3"),
            ("designated_to-year", "2024"),
        ];
        let wrong = post(&app, &format!("{path}/referrer"), &admin, &change).await;
        assert_eq!(wrong.status(), 422, "ends before it starts");
        assert!(text(wrong).await.contains("govuk-error-summary"));
        let mut change = change.to_vec();
        change[7] = ("designated_to-day", "");
        change[8] = ("designated_to-month", "");
        change[9] = ("designated_to-year", "");
        let check = post(&app, &format!("{path}/referrer"), &admin, &change).await;
        assert_eq!(check.status(), 200);
        assert!(text(check).await.contains("1 April 2024"));
        change.push(("confirmed", "yes"));
        let saved = post(&app, &format!("{path}/referrer"), &admin, &change).await;
        assert_eq!(saved.status(), 303);
        assert!(
            text(get(&app, &path, &admin).await)
                .await
                .contains("1 April 2024")
        );
        // The same change again, decided on the version read before: refused, nothing changed.
        change[7] = ("designated_to-day", "1");
        change[8] = ("designated_to-month", "1");
        change[9] = ("designated_to-year", "2030");
        let stale = post(&app, &format!("{path}/referrer"), &admin, &change).await;
        assert_eq!(stale.status(), 409);
        assert!(
            text(stale)
                .await
                .contains("changed while you were working on it")
        );
        assert!(
            !text(get(&app, &path, &admin).await)
                .await
                .contains("1 January 2030")
        );
        app
    })
    .await;
}

#[tokio::test]
async fn administrators_manage_accounts_sessions_and_tokens() {
    each_backend(|app| async move {
        let (admin, _) = signed_in(
            &app,
            "The administrators",
            &OrganisationKind::Administrators,
            Role::Administrator,
        )
        .await;
        // Someone signed in elsewhere, in a First Responder Organisation.
        let (responder, responder_email) = first_responder_with_email(&app).await;
        let row = user(&app, &responder_email).await;
        let org = row.organisation.0.to_string();
        // The list, filtered by organisation, role and status.
        let listed = text(
            get(
                &app,
                &format!(
                    "/administration/accounts?organisation={org}&role=first_responder&status=active"
                ),
                &admin,
            )
            .await,
        )
        .await;
        assert!(listed.contains(&responder_email));
        let none = text(
            get(
                &app,
                &format!("/administration/accounts?organisation={org}&status=disabled"),
                &admin,
            )
            .await,
        )
        .await;
        assert!(!none.contains(&responder_email));
        // Add an account: a check step, then its credentials once.
        let form = text(get(&app, "/administration/accounts/new", &admin).await).await;
        let t = token(&form);
        let new_email = format!("{}@example.invalid", uuid::Uuid::new_v4());
        let answers = vec![
            ("form_token", t.as_str()),
            ("email", new_email.as_str()),
            ("organisation", org.as_str()),
            ("roles", "first_responder"),
            ("roles", "referral_manager"),
        ];
        let check = post(&app, "/administration/accounts/new", &admin, &answers).await;
        assert_eq!(check.status(), 200);
        assert!(
            text(check)
                .await
                .contains("Check the account before you add it")
        );
        let mut confirmed = answers.clone();
        confirmed.push(("confirmed", "yes"));
        let created = post(&app, "/administration/accounts/new", &admin, &confirmed).await;
        assert_eq!(created.status(), 201);
        assert_eq!(
            created
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let created = text(created).await;
        assert!(
            created.contains("Password")
                && created.contains("Authenticator key")
                && created.contains("Recovery codes")
        );
        let added = user(&app, &new_email).await;
        assert_eq!(
            added.roles,
            vec!["first_responder".to_owned(), "referral_manager".to_owned()]
        );
        // The same email again: the form's error.
        let again = post(&app, "/administration/accounts/new", &admin, &confirmed).await;
        assert_eq!(again.status(), 422);
        assert!(text(again).await.contains("already exists"));
        // Change the roles: check step, then recorded; a stale version is 409.
        let base = format!("/administration/accounts/{}", added.id.0);
        let form = text(get(&app, &format!("{base}/roles"), &admin).await).await;
        let version = hidden(&form, "version");
        let roles = [
            ("form_token", t.as_str()),
            ("version", version.as_str()),
            ("roles", "first_responder"),
        ];
        let check = post(&app, &format!("{base}/roles"), &admin, &roles).await;
        assert_eq!(check.status(), 200);
        let mut roles = roles.to_vec();
        roles.push(("confirmed", "yes"));
        assert_eq!(
            post(&app, &format!("{base}/roles"), &admin, &roles)
                .await
                .status(),
            303
        );
        assert_eq!(
            user(&app, &new_email).await.roles,
            vec!["first_responder".to_owned()]
        );
        let stale = post(&app, &format!("{base}/roles"), &admin, &roles).await;
        assert_eq!(
            stale.status(),
            409,
            "the account changed since the version was read"
        );
        // The signed-in responder's session is listed and can be ended alone.
        let responder_base = format!("/administration/accounts/{}", row.id.0);
        let view = text(get(&app, &responder_base, &admin).await).await;
        assert!(view.contains("End this session"));
        let revoke = view
            .split("action=\"")
            .filter_map(|r| r.split('"').next())
            .find(|a| a.contains("/sessions/"))
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            get(&app, "/referrals", &responder).await.status(),
            200,
            "still signed in"
        );
        let ended = post(&app, &revoke, &admin, &[("form_token", t.as_str())]).await;
        assert_eq!(ended.status(), 303);
        assert_eq!(
            get(&app, "/referrals", &responder).await.status(),
            303,
            "signed out"
        );
        assert!(
            text(get(&app, &responder_base, &admin).await)
                .await
                .contains("not signed in anywhere")
        );
        assert_eq!(audited(&app, "account.session_revoke").await, 1);
        // Disable, then enable.
        let page = text(get(&app, &format!("{base}/status"), &admin).await).await;
        assert!(page.contains("Disable the account"));
        let version = hidden(&page, "version");
        let done = post(
            &app,
            &format!("{base}/status"),
            &admin,
            &[
                ("form_token", &t),
                ("version", &version),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert_eq!(location(&done), format!("{base}?done=disabled"));
        assert!(user(&app, &new_email).await.disabled);
        // The old version again: 409, still disabled.
        let stale = post(
            &app,
            &format!("{base}/status"),
            &admin,
            &[
                ("form_token", &t),
                ("version", &version),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert_eq!(stale.status(), 409);
        assert!(user(&app, &new_email).await.disabled);
        let page = text(get(&app, &format!("{base}/status"), &admin).await).await;
        assert!(page.contains("Enable the account"));
        let version = hidden(&page, "version");
        post(
            &app,
            &format!("{base}/status"),
            &admin,
            &[
                ("form_token", &t),
                ("version", &version),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert!(!user(&app, &new_email).await.disabled);
        // Reset the password: the new one shown once, the old hash replaced.
        let old_hash = user(&app, &new_email).await.password_hash;
        let page = text(get(&app, &format!("{base}/password"), &admin).await).await;
        let version = hidden(&page, "version");
        let reset = post(
            &app,
            &format!("{base}/password"),
            &admin,
            &[
                ("form_token", &t),
                ("version", &version),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert_eq!(reset.status(), 200);
        assert!(text(reset).await.contains("New password"));
        assert_ne!(user(&app, &new_email).await.password_hash, old_hash);
        // API tokens: create (shown once), list, revoke.
        let form = text(get(&app, "/administration/tokens/new", &admin).await).await;
        assert!(form.contains("read_service_metrics"));
        let missing = post(
            &app,
            "/administration/tokens/new",
            &admin,
            &[("form_token", &t), ("name", "Monitoring")],
        )
        .await;
        assert_eq!(missing.status(), 422);
        let answers = vec![
            ("form_token", t.as_str()),
            ("name", "Monitoring"),
            ("organisation", org.as_str()),
            ("scopes", "read_service_metrics"),
        ];
        assert_eq!(
            post(&app, "/administration/tokens/new", &admin, &answers)
                .await
                .status(),
            200
        );
        let mut answers = answers;
        answers.push(("confirmed", "yes"));
        let created = post(&app, "/administration/tokens/new", &admin, &answers).await;
        assert_eq!(created.status(), 201);
        assert!(text(created).await.contains("nrm_"), "the token is shown");
        let list = text(get(&app, "/administration/tokens", &admin).await).await;
        assert!(list.contains("Monitoring") && list.contains("Active"));
        let revoke = list
            .split("href=\"")
            .filter_map(|r| r.split('"').next())
            .find(|h| h.ends_with("/revoke"))
            .unwrap_or_default()
            .to_owned();
        assert_eq!(get(&app, &revoke, &admin).await.status(), 200);
        let revoked = post(
            &app,
            &revoke,
            &admin,
            &[("form_token", &t), ("confirmed", "yes")],
        )
        .await;
        assert_eq!(revoked.status(), 303);
        assert!(
            text(get(&app, "/administration/tokens", &admin).await)
                .await
                .contains("Revoked")
        );
        assert_eq!(audited(&app, "token.revoke").await, 1);
        app
    })
    .await;
}

#[tokio::test]
async fn an_fro_administrator_manages_only_their_own_organisation() {
    each_backend(|app| async move {
        let (fro_admin, fro_email) = signed_in(
            &app,
            "A charity",
            &OrganisationKind::FirstResponderOrganisation,
            Role::FroAdministrator,
        )
        .await;
        let own = user(&app, &fro_email).await.organisation;
        let (_, other_email) = first_responder_with_email(&app).await;
        let other = user(&app, &other_email).await;
        assert_ne!(other.organisation, own);
        // The list holds only their own organisation's accounts, whatever the filter asks.
        let list = text(
            get(
                &app,
                &format!(
                    "/administration/accounts?organisation={}",
                    other.organisation.0
                ),
                &fro_admin,
            )
            .await,
        )
        .await;
        assert!(!list.contains(&other_email));
        let list = text(get(&app, "/administration/accounts", &fro_admin).await).await;
        assert!(list.contains(&fro_email) && !list.contains(&other_email));
        // Another organisation's account: not found, for every page and change, audited.
        let base = format!("/administration/accounts/{}", other.id.0);
        let denials = audited(&app, "access.manage_users").await;
        for path in [
            base.clone(),
            format!("{base}/roles"),
            format!("{base}/status"),
            format!("{base}/password"),
        ] {
            assert_eq!(get(&app, &path, &fro_admin).await.status(), 404, "{path}");
        }
        let form = text(get(&app, "/administration/accounts/new", &fro_admin).await).await;
        let t = token(&form);
        let change = post(
            &app,
            &format!("{base}/status"),
            &fro_admin,
            &[("form_token", &t), ("version", "x"), ("confirmed", "yes")],
        )
        .await;
        assert_eq!(change.status(), 404);
        assert!(!user(&app, &other_email).await.disabled, "nothing changed");
        assert_eq!(audited(&app, "access.manage_users").await, denials + 5);
        // Organisations are the service's administrators' only.
        assert_eq!(
            get(&app, "/administration/organisations", &fro_admin)
                .await
                .status(),
            403
        );
        // API tokens: their own organisation's only, with referrers' scopes only.
        let cases =
            nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
        let system =
            nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}"));
        let (others_token, _) = cases
            .administration()
            .create_api_token(
                &system,
                other.organisation,
                "Their case system",
                &[nrm_access::Operation::SubmitReferral],
                now(&app),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let home = text(get(&app, "/administration", &fro_admin).await).await;
        assert!(
            home.contains("/administration/tokens"),
            "offered on the home"
        );
        let list = text(get(&app, "/administration/tokens", &fro_admin).await).await;
        assert!(
            !list.contains("Their case system"),
            "another organisation's token is not listed"
        );
        let new = text(get(&app, "/administration/tokens/new", &fro_admin).await).await;
        assert!(new.contains("submit_referral") && !new.contains("read_service_metrics"));
        let own_code = own.0.to_string();
        let other_code = other.organisation.0.to_string();
        for (organisation, scope) in [
            (other_code.as_str(), "submit_referral"),
            (own_code.as_str(), "read_service_metrics"),
        ] {
            let refused = post(
                &app,
                "/administration/tokens/new",
                &fro_admin,
                &[
                    ("form_token", &t),
                    ("name", "Case system"),
                    ("organisation", organisation),
                    ("scopes", scope),
                    ("confirmed", "yes"),
                ],
            )
            .await;
            assert_eq!(refused.status(), 422, "{organisation} {scope}");
        }
        let created = post(
            &app,
            "/administration/tokens/new",
            &fro_admin,
            &[
                ("form_token", &t),
                ("name", "Our case system"),
                ("organisation", own_code.as_str()),
                ("scopes", "submit_referral"),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert_eq!(created.status(), 201);
        assert!(
            text(created).await.contains("nrm_"),
            "the token is shown once"
        );
        let list = text(get(&app, "/administration/tokens", &fro_admin).await).await;
        assert!(list.contains("Our case system") && !list.contains("Their case system"));
        // The service itself refuses another organisation's, whatever a page offers; audited.
        let capability = nrm_access::authorise(
            &nrm_access::Principal {
                actor: nrm_domain::Actor {
                    user: user(&app, &fro_email).await.id,
                    organisation: own,
                },
                organisation_kind: OrganisationKind::FirstResponderOrganisation,
                roles: vec![Role::FroAdministrator],
                allocated_cases_only: false,
                token_scopes: None,
                authenticated_at: None,
            },
            nrm_access::Operation::ManageApiTokens,
        )
        .unwrap_or_else(|_| panic!("an FRO administrator manages their tokens"));
        let before = audited(&app, "token.create").await;
        assert!(matches!(
            cases
                .administration()
                .create_api_token(
                    &capability,
                    other.organisation,
                    "Theirs",
                    &[nrm_access::Operation::SubmitReferral],
                    now(&app),
                )
                .await,
            Err(nrm_service::ServiceError::NotFound)
        ));
        assert_eq!(
            audited(&app, "token.create").await,
            before + 1,
            "the refusal is audited"
        );
        // Revoking another organisation's token: not found, and it stays active.
        let revoke = format!("/administration/tokens/{others_token}/revoke");
        assert_eq!(get(&app, &revoke, &fro_admin).await.status(), 404);
        assert_eq!(
            post(
                &app,
                &revoke,
                &fro_admin,
                &[("form_token", &t), ("confirmed", "yes")]
            )
            .await
            .status(),
            404
        );
        let still = cases
            .administration()
            .api_tokens(&system, now(&app))
            .await
            .unwrap_or_default();
        assert!(
            still.iter().any(|x| x.id == others_token && !x.revoked),
            "another organisation's token is untouched"
        );
        // Their own: revoked.
        let own_revoke = list
            .split("href=\"")
            .filter_map(|r| r.split('"').next())
            .find(|h| h.ends_with("/revoke"))
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            post(
                &app,
                &own_revoke,
                &fro_admin,
                &[("form_token", &t), ("confirmed", "yes")]
            )
            .await
            .status(),
            303
        );
        assert!(
            text(get(&app, "/administration/tokens", &fro_admin).await)
                .await
                .contains("Revoked")
        );
        // They add First Responders to their own organisation, and no other role.
        assert!(form.contains("first_responder") && !form.contains("decision_maker"));
        let email = format!("{}@example.invalid", uuid::Uuid::new_v4());
        let refused = post(
            &app,
            "/administration/accounts/new",
            &fro_admin,
            &[
                ("form_token", &t),
                ("email", &email),
                ("roles", "decision_maker"),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert_eq!(refused.status(), 422);
        let created = post(
            &app,
            "/administration/accounts/new",
            &fro_admin,
            &[
                ("form_token", &t),
                ("email", &email),
                ("roles", "first_responder"),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert_eq!(created.status(), 201);
        assert_eq!(
            user(&app, &email).await.organisation,
            own,
            "in their own organisation"
        );
        // Someone without the role: refused.
        let responder = first_responder(&app).await;
        assert_eq!(
            get(&app, "/administration/accounts", &responder)
                .await
                .status(),
            403
        );
        app
    })
    .await;
}
