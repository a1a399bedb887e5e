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
