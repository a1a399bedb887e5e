//! Administration through the API: administrators manage organisations and accounts; FRO
//! administrators manage their own First Responders and nothing else. On both backends.

mod support;

use serde_json::json;
use support::{App, Identity, body, each_backend};

const ADMIN: Identity = Identity {
    user: "00000000-0000-4000-8000-00000000a001",
    organisation: "00000000-0000-4000-8000-00000000a101",
    kind: "administrators",
    roles: "administrator",
};

#[tokio::test]
async fn administrators_manage_accounts_and_fro_administrators_only_their_own() {
    each_backend(|app: App| async move {
        // An administrator registers a police force and an SCA.
        let post = |path: &str, who: Identity, body: serde_json::Value| app.post_as(path, who).json(&body).send();
        let police = body(post("/api/v1/organisations", ADMIN, json!({"name": "A police force", "kind": "first_responder_organisation"})).await.unwrap_or_else(|e| panic!("{e}"))).await;
        let sca = body(post("/api/v1/organisations", ADMIN, json!({"name": "SCA", "kind": "sca"})).await.unwrap_or_else(|e| panic!("{e}"))).await;
        let police_id = police["id"].as_str().unwrap_or_default().to_owned();
        let sca_id = sca["id"].as_str().unwrap_or_default().to_owned();
        let bad_kind = post("/api/v1/organisations", ADMIN, json!({"name": "X", "kind": "pirates"})).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bad_kind.status(), 422);

        // ...and the police force's FRO administrator.
        let response = post("/api/v1/users", ADMIN, json!({"organisation": police_id, "email": "fro.admin@police.example", "roles": ["fro_administrator"]})).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 201);
        let created = body(response).await;
        assert_eq!(created["password"].as_str().map(str::len), Some(20));
        assert_eq!(created["recovery_codes"].as_array().map(Vec::len), Some(10));

        // The FRO administrator (signed in through the development headers for brevity).
        let fro_admin = Identity {
            user: "00000000-0000-4000-8000-00000000b001",
            organisation: Box::leak(police_id.clone().into_boxed_str()),
            kind: "first_responder_organisation",
            roles: "fro_administrator",
        };
        let own = post("/api/v1/users", fro_admin, json!({"organisation": police_id, "email": "officer@police.example", "roles": ["first_responder"]})).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(own.status(), 201);
        let officer = body(own).await["id"].as_str().unwrap_or_default().to_owned();
        let elsewhere = post("/api/v1/users", fro_admin, json!({"organisation": sca_id, "email": "dm@sca.example", "roles": ["first_responder"]})).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(elsewhere.status(), 403);
        let too_much = post("/api/v1/users", fro_admin, json!({"organisation": police_id, "email": "boss@police.example", "roles": ["decision_maker"]})).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(too_much.status(), 403);
        let organisations = app.get_as("/api/v1/organisations", fro_admin).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(organisations.status(), 403);

        // The administrator's SCA decision maker is invisible to the FRO administrator.
        let dm = body(post("/api/v1/users", ADMIN, json!({"organisation": sca_id, "email": "dm@sca.example", "roles": ["decision_maker"]})).await.unwrap_or_else(|e| panic!("{e}"))).await;
        let dm_id = dm["id"].as_str().unwrap_or_default().to_owned();
        let listed = body(app.get_as("/api/v1/users", fro_admin).send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        let emails: Vec<&str> = listed.as_array().map(|l| l.iter().filter_map(|u| u["email"].as_str()).collect()).unwrap_or_default();
        assert!(emails.contains(&"officer@police.example") && !emails.contains(&"dm@sca.example"), "{emails:?}");
        let disable_dm = app.post_as(&format!("/api/v1/users/{dm_id}/disable"), fro_admin).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(disable_dm.status(), 404);
        let promote = app.client.put(format!("{}/api/v1/users/{officer}/roles", app.base));
        let promote = support::signed_in(promote, fro_admin).json(&json!({"roles": ["decision_maker"]})).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(promote.status(), 404);
        // A change names the account version it was decided on (from the list).
        let officer_version = listed.as_array().and_then(|l| l.iter().find(|u| u["id"] == officer.as_str())).map(|u| u["version"].as_str().unwrap_or_default().to_owned()).unwrap_or_default();
        let disable_officer = app.post_as(&format!("/api/v1/users/{officer}/disable"), fro_admin).header("if-match", format!("\"{officer_version}\"")).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(disable_officer.status(), 204);

        // Duplicate email addresses are refused by field.
        let duplicate = post("/api/v1/users", ADMIN, json!({"organisation": police_id, "email": "officer@police.example", "roles": ["first_responder"]})).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(duplicate.status(), 422);
        app
    })
    .await;
}

/// The account's current version, from the account list, as an `If-Match` value.
async fn account_tag(app: &App, id: &str) -> String {
    let listed = body(
        app.get_as("/api/v1/users", ADMIN)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    let version = listed
        .as_array()
        .and_then(|l| l.iter().find(|u| u["id"] == id))
        .and_then(|u| u["version"].as_str())
        .unwrap_or_default()
        .to_owned();
    format!("\"{version}\"")
}

/// The audit entries for `action`, as (actor user, subject, outcome).
async fn audited(app: &App, action: &str) -> Vec<(String, Option<String>, String)> {
    app.store
        .store
        .audit_entries(0, 100_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| (e.actor_user, e.subject, e.outcome))
        .collect()
}

// ASVS v5.0.0-16.2.1 (administrative actions logged with who, what, to what and the outcome), v5.0.0-16.3.2 (draft reads)
#[tokio::test]
async fn every_administrative_action_is_audited_with_its_subject_and_actor() {
    each_backend(|app: App| async move {
        let now = *app.clock.lock().unwrap_or_else(|e| panic!("{e}"));
        let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
        let system = nrm_domain::Actor::SYSTEM.user.to_string();
        let ok = |actor: &str, subject: String| (actor.to_owned(), Some(subject), "ok".to_owned());

        // Through the API, as an administrator.
        let post = |path: &str, body: serde_json::Value| app.post_as(path, ADMIN).json(&body).send();
        let police = body(post("/api/v1/organisations", json!({"name": "A police force", "kind": "first_responder_organisation"})).await.unwrap_or_else(|e| panic!("{e}"))).await;
        let police_id = police["id"].as_str().unwrap_or_default().to_owned();
        assert_eq!(audited(&app, "organisation.add").await, vec![ok(ADMIN.user, format!("organisation:{police_id}"))]);
        let officer = body(post("/api/v1/users", json!({"organisation": police_id, "email": "officer@police.example", "roles": ["first_responder"]})).await.unwrap_or_else(|e| panic!("{e}"))).await;
        let officer_id = officer["id"].as_str().unwrap_or_default().to_owned();
        assert_eq!(audited(&app, "account.add").await, vec![ok(ADMIN.user, format!("user:{officer_id}"))]);
        let roles = app.client.put(format!("{}/api/v1/users/{officer_id}/roles", app.base));
        let roles = support::signed_in(roles, ADMIN).header("if-match", account_tag(&app, &officer_id).await).json(&json!({"roles": ["first_responder", "fro_administrator"]})).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(roles.status(), 204);
        assert_eq!(audited(&app, "account.roles").await, vec![ok(ADMIN.user, format!("user:{officer_id}"))]);
        let disable = app.post_as(&format!("/api/v1/users/{officer_id}/disable"), ADMIN).header("if-match", account_tag(&app, &officer_id).await).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(disable.status(), 204);
        assert_eq!(audited(&app, "account.disable").await, vec![ok(ADMIN.user, format!("user:{officer_id}"))]);

        // Through the service methods the shell (`nrm org`, `nrm user`, `nrm token`) calls, as
        // the system.
        let police = nrm_domain::ids::OrganisationId(uuid::Uuid::parse_str(&police_id).unwrap_or_default());
        let officer = nrm_domain::ids::UserId(uuid::Uuid::parse_str(&officer_id).unwrap_or_default());
        let org_cap = nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations).unwrap_or_else(|e| panic!("{e}"));
        let user_cap = nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers).unwrap_or_else(|e| panic!("{e}"));
        let admin = cases.administration();
        admin.designate_organisation(&org_cap, police, app.today(), None, now).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(audited(&app, "organisation.designate").await, vec![ok(&system, format!("organisation:{police_id}"))]);
        admin.set_password(&user_cap, officer, "a brand new long passphrase", now).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(audited(&app, "account.password_set").await, vec![ok(&system, format!("user:{officer_id}"))]);
        let (token, _) = admin.create_api_token(&org_cap, police, "Case system", &[nrm_access::Operation::SubmitReferral], now).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(audited(&app, "token.create").await, vec![ok(&system, format!("token:{token}"))]);
        admin.revoke_api_token(&org_cap, token, now).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(audited(&app, "token.revoke").await, vec![ok(&system, format!("token:{token}"))]);
        // A refused action is audited too, with its outcome.
        let nobody = uuid::Uuid::new_v4();
        assert!(admin.revoke_api_token(&org_cap, nobody, now).await.is_err());
        assert_eq!(audited(&app, "token.revoke").await[1], (system.clone(), Some(format!("token:{nobody}")), "not_found".to_owned()));

        // Reading a saved draft (its answers are personal data), as its First Responder.
        let responder = nrm_access::Principal {
            actor: nrm_domain::Actor { user: nrm_domain::ids::UserId(uuid::Uuid::new_v4()), organisation: police },
            organisation_kind: nrm_access::OrganisationKind::FirstResponderOrganisation,
            roles: vec![nrm_access::Role::FirstResponder],
            allocated_cases_only: false,
            token_scopes: None,
            authenticated_at: Some(now),
        };
        let capability = nrm_access::authorise(&responder, nrm_access::Operation::SubmitReferral).unwrap_or_else(|_| panic!("a First Responder may refer"));
        let draft = cases.drafts().start_draft(&capability, nrm_service::DraftKind::Adult, now).await.unwrap_or_else(|e| panic!("{e}"));
        cases.drafts().draft(&capability, draft.summary.id, now).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(audited(&app, "draft.read").await, vec![ok(&responder.actor.user.to_string(), format!("draft:{}", draft.summary.id))]);
        app
    })
    .await;
}

/// The tokens the caller manages, from the API's list.
async fn tokens_as(app: &App, who: Identity) -> Vec<serde_json::Value> {
    let response = app
        .get_as("/api/v1/tokens", who)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    body(response).await.as_array().cloned().unwrap_or_default()
}

/// The quoted version of token `id` in `listed`, for `If-Match`.
fn token_tag(listed: &[serde_json::Value], id: &str) -> String {
    let version = listed
        .iter()
        .find(|t| t["id"] == id)
        .and_then(|t| t["version"].as_str())
        .unwrap_or_else(|| panic!("token {id} is not listed"));
    format!("\"{version}\"")
}

/// Issue 11: an FRO administrator manages their own organisation's API tokens over the API
/// (`ManageApiTokens`, through the same audited service methods as the pages): lists, creates
/// with referrers' scopes only, and revokes their own; another organisation's token is not
/// found, whether listed, revoked or created for, and the refusals are audited.
#[tokio::test]
async fn fro_administrators_manage_their_own_organisations_api_tokens_over_the_api() {
    each_backend(|app: App| async move {
        let post = |path: &str, who: Identity, body: serde_json::Value| {
            app.post_as(path, who).json(&body).send()
        };
        let organisation = |name: &'static str| {
            let post = &post;
            async move {
                let created = post(
                    "/api/v1/organisations",
                    ADMIN,
                    json!({"name": name, "kind": "first_responder_organisation"}),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(created.status(), 201);
                body(created).await["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        let police_id = organisation("A police force").await;
        let charity_id = organisation("A charity").await;
        // The administrator makes a token for the charity (any organisation's, any scope).
        let created = post(
            "/api/v1/tokens",
            ADMIN,
            json!({"organisation": charity_id, "name": "Charity case system", "scopes": ["submit_referral", "list_cases"]}),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(created.status(), 201);
        let charity_token = body(created).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();

        let fro_admin = Identity {
            user: "00000000-0000-4000-8000-00000000b002",
            organisation: Box::leak(police_id.clone().into_boxed_str()),
            kind: "first_responder_organisation",
            roles: "fro_administrator",
        };
        // Nothing of the charity's is listed to the police force's FRO administrator.
        assert!(tokens_as(&app, fro_admin).await.is_empty());

        // Their own organisation's token, with a referrer's scope: created and shown once.
        let created = post(
            "/api/v1/tokens",
            fro_admin,
            json!({"organisation": police_id, "name": "Force case system", "scopes": ["submit_referral", "read_rulebook"]}),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(created.status(), 201);
        assert_eq!(
            created
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let created = body(created).await;
        let own_token = created["id"].as_str().unwrap_or_default().to_owned();
        let secret = created["token"].as_str().unwrap_or_default().to_owned();
        assert!(secret.starts_with("nrm_"), "the token is returned");
        // The token works for what it may do.
        let rulebook = app
            .client
            .get(format!("{}/api/v1/rulebook", app.base))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rulebook.status(), 200);

        // A scope beyond a referrer's, and a token for another organisation: refused.
        let too_much = post(
            "/api/v1/tokens",
            fro_admin,
            json!({"organisation": police_id, "name": "Reader", "scopes": ["list_cases"]}),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(too_much.status(), 422);
        assert_eq!(body(too_much).await["errors"][0]["pointer"], "/scopes");
        for elsewhere in [charity_id.clone(), uuid::Uuid::new_v4().to_string()] {
            let refused = post(
                "/api/v1/tokens",
                fro_admin,
                json!({"organisation": elsewhere, "name": "Theirs", "scopes": ["submit_referral"]}),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(refused.status(), 403, "the same whether it exists or not");
            assert_eq!(
                refused
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("application/problem+json")
            );
        }
        let unknown = post(
            "/api/v1/tokens",
            fro_admin,
            json!({"organisation": police_id, "name": "X", "scopes": ["everything"]}),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(unknown.status(), 422);

        // The list: their own token only, with its version.
        let listed = tokens_as(&app, fro_admin).await;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0]["id"], own_token.as_str());
        assert_eq!(listed[0]["organisation"], police_id.as_str());
        assert_eq!(listed[0]["scopes"], json!(["submit_referral", "read_rulebook"]));
        assert!(listed[0].get("token").is_none(), "never the token itself");

        // The charity's token: not found to them, as one that does not exist, and untouched.
        let charity_tag = token_tag(&tokens_as(&app, ADMIN).await, &charity_token);
        for id in [charity_token.clone(), uuid::Uuid::new_v4().to_string()] {
            let refused = app
                .post_as(&format!("/api/v1/tokens/{id}/revoke"), fro_admin)
                .header("if-match", charity_tag.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(refused.status(), 404);
        }
        let all = tokens_as(&app, ADMIN).await;
        assert!(
            all.iter()
                .any(|t| t["id"] == charity_token.as_str() && t["revoked"] == false),
            "another organisation's token is untouched"
        );

        // Their own: If-Match required (428), a stale one refused (412), then revoked.
        let path = format!("/api/v1/tokens/{own_token}/revoke");
        let revoke = |tag: Option<String>| {
            let request = app.post_as(&path, fro_admin);
            let request = match tag {
                Some(tag) => request.header("if-match", tag),
                None => request,
            };
            request.send()
        };
        let status = |r: reqwest::Response| r.status().as_u16();
        assert_eq!(status(revoke(None).await.unwrap_or_else(|e| panic!("{e}"))), 428);
        assert_eq!(
            status(
                revoke(Some("\"0000000000000000\"".to_owned()))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            ),
            412
        );
        let tag = token_tag(&tokens_as(&app, fro_admin).await, &own_token);
        assert_eq!(status(revoke(Some(tag.clone())).await.unwrap_or_else(|e| panic!("{e}"))), 204);
        assert_eq!(
            status(revoke(Some(tag)).await.unwrap_or_else(|e| panic!("{e}"))),
            404,
            "revoked already"
        );
        let listed = tokens_as(&app, fro_admin).await;
        assert_eq!(listed[0]["revoked"], true);
        let rulebook = app
            .client
            .get(format!("{}/api/v1/rulebook", app.base))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rulebook.status(), 401, "a revoked token is refused");

        // Audited, with the FRO administrator as actor and the token as subject.
        let by_fro = |rows: Vec<(String, Option<String>, String)>| {
            rows.into_iter()
                .filter(|(actor, _, _)| actor == fro_admin.user)
                .map(|(_, subject, outcome)| (subject, outcome))
                .collect::<Vec<_>>()
        };
        let created = by_fro(audited(&app, "token.create").await);
        assert_eq!(created.len(), 4, "{created:?}");
        assert_eq!(created[0], (Some(format!("token:{own_token}")), "ok".to_owned()));
        assert_eq!(created[1].1, "refused:invalid-input");
        assert!(created[2..].iter().all(|(_, outcome)| outcome == "not_found"), "{created:?}");
        let revoked = by_fro(audited(&app, "token.revoke").await);
        assert!(
            revoked.contains(&(Some(format!("token:{charity_token}")), "not_found".to_owned())),
            "the attempt on another organisation's token: {revoked:?}"
        );
        assert!(revoked.contains(&(Some(format!("token:{own_token}")), "ok".to_owned())));
        assert!(!by_fro(audited(&app, "token.list").await).is_empty());
        // Someone who manages neither: 403 (audited as a denial).
        let responder = Identity {
            roles: "first_responder",
            ..fro_admin
        };
        let listed = app
            .get_as("/api/v1/tokens", responder)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(listed.status(), 403);
        app
    })
    .await;
}
