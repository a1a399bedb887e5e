//! Attacks on the JSON API's robustness, each carried out through the front door on SQLite and
//! PostgreSQL: changes made blind to the version they overwrite, and input smuggled back out
//! through error messages. Each test is named after the attack and fails on the code before
//! its fix.

mod support;

use serde_json::{Value, json};
use support::{App, CANARY, Identity, SCA_MANAGER, body, each_backend};

const ADMIN: Identity = Identity {
    user: "00000000-0000-4000-8000-00000000a001",
    organisation: "00000000-0000-4000-8000-00000000a101",
    kind: "administrators",
    roles: "administrator",
};

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts a problem-details answer with `status` and returns its body.
async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    body(response).await
}

fn decision() -> Value {
    json!({"outcome": "positive", "decided_on": "2025-11-03", "reasons": format!("Reasons {CANARY}")})
}

// ASVS v5.0.0-2.3.4 (a change cannot silently overwrite one made meanwhile: no lost updates)
#[tokio::test]
async fn a_blind_write_without_if_match_is_refused_with_428_and_changes_nothing() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let case = format!("/api/v1/cases/{reference}");
        let before = app.version(&reference).await;
        // Every state change on an existing case, with a body that would otherwise succeed.
        let changes = [
            (format!("{case}/reasonable-grounds-decision"), decision()),
            (format!("{case}/conclusive-grounds-decision"), decision()),
            (
                format!("{case}/actions"),
                json!({"allocate": {"to": "00000000-0000-4000-8000-000000000077"}}),
            ),
            (
                format!("{case}/actions"),
                json!({"withdraw": {"on": "2025-11-03", "reason": "other"}}),
            ),
        ];
        for (path, change) in &changes {
            let p = problem(send(app.post(path).json(change)).await, 428).await;
            assert_eq!(p["type"], "/problems/precondition-required", "{path}");
            assert!(!p.to_string().contains(CANARY));
        }
        assert_eq!(
            app.version(&reference).await,
            before,
            "a blind write landed"
        );

        // A stale version is still 412, and names the current one.
        let rg = format!("{case}/reasonable-grounds-decision");
        let stale = app.post(&rg).header("if-match", "\"0\"").json(&decision());
        let p = problem(send(stale).await, 412).await;
        assert_eq!(p["current_version"], before);
        // `*` ("whatever is there") is not a version.
        let any = app.post(&rg).header("if-match", "*").json(&decision());
        problem(send(any).await, 400).await;
        // The body's version is the other way to say it; disagreeing with If-Match is 400.
        let mut versioned = decision();
        versioned["version"] = json!(before);
        let both = app.post(&rg).header("if-match", "\"9\"").json(&versioned);
        problem(send(both).await, 400).await;
        assert_eq!(app.version(&reference).await, before);
        let response = send(app.post(&rg).json(&versioned)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers().get("etag").and_then(|v| v.to_str().ok()),
            Some("\"3\"")
        );
        // The same body version again is now stale.
        problem(send(app.post(&rg).json(&versioned)).await, 412).await;
        app
    })
    .await;
}

// ASVS v5.0.0-2.3.4
#[tokio::test]
async fn a_blind_account_change_without_if_match_is_refused_with_428() {
    each_backend(|app: App| async move {
        let post = |path: &str, body: Value| app.post_as(path, ADMIN).json(&body).send();
        let police = body(
            post(
                "/api/v1/organisations",
                json!({"name": "A police force", "kind": "first_responder_organisation"}),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        let created = post(
            "/api/v1/users",
            json!({"organisation": police["id"], "email": "officer@police.example", "roles": ["first_responder"]}),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(created.status(), 201);
        let id = body(created).await["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let account = |list: &Value| {
            list.as_array()
                .and_then(|l| l.iter().find(|u| u["id"] == id.as_str()).cloned())
                .unwrap_or(Value::Null)
        };
        let read = || async { account(&body(send(app.get_as("/api/v1/users", ADMIN)).await).await) };
        let first = read().await;
        let version = first["version"].as_str().unwrap_or_default().to_owned();
        assert!(!version.is_empty(), "{first}");
        let roles = format!("{}/api/v1/users/{id}/roles", app.base);
        let disable = format!("/api/v1/users/{id}/disable");

        // No If-Match: 428, on both changes, and the account is untouched.
        let p = problem(send(app.post_as(&disable, ADMIN)).await, 428).await;
        assert_eq!(p["type"], "/problems/precondition-required");
        let promote = support::signed_in(app.client.put(&roles), ADMIN)
            .json(&json!({"roles": ["fro_administrator"]}));
        problem(send(promote).await, 428).await;
        assert_eq!(read().await, first);

        // With the version read: the change lands, and the version moves on.
        let promote = support::signed_in(app.client.put(&roles), ADMIN)
            .header("if-match", format!("\"{version}\""))
            .json(&json!({"roles": ["fro_administrator"]}));
        assert_eq!(send(promote).await.status(), 204);
        let second = read().await;
        assert_ne!(second["version"], first["version"]);
        // The first version is now stale: 412, and the account is still enabled.
        let stale = app
            .post_as(&disable, ADMIN)
            .header("if-match", format!("\"{version}\""));
        problem(send(stale).await, 412).await;
        assert_eq!(read().await["disabled"], false);
        app
    })
    .await;
}

/// Every refusal below must carry neither the canary nor the unknown field's name.
fn assert_no_echo(p: &Value) {
    let text = p.to_string();
    assert!(!text.contains(CANARY), "a problem echoed input: {text}");
    assert!(
        !text.to_ascii_lowercase().contains("canary"),
        "a problem echoed input: {text}"
    );
}

fn adult_with(pointer: &str, value: Value) -> Value {
    let mut a = support::adult();
    if let Some(slot) = a.pointer_mut(pointer) {
        *slot = value;
    }
    a
}

// ASVS v5.0.0-16.5.1 (errors reveal nothing sensitive: no input is echoed back)
#[tokio::test]
async fn input_smuggled_into_error_messages_is_never_echoed() {
    each_backend(|app| async move {
        let adult_url = "/api/v1/referrals/adult";

        // An unknown field whose name is the canary: reported at its parent, unnamed.
        let mut unknown = support::adult();
        unknown["victim"][CANARY] = json!("x");
        let p = problem(app.post_json(adult_url, &unknown).await, 422).await;
        assert_no_echo(&p);
        assert_eq!(p["errors"][0]["pointer"], "/victim", "{p}");
        assert_eq!(
            p["errors"][0]["detail"], "Unknown field at /victim: remove it",
            "{p}"
        );
        // ...a snake_case one, which looks like one of ours, and one at the top level.
        let mut unknown = support::adult();
        unknown["victim"]["canary7q3z_alias"] = json!("x");
        assert_no_echo(&problem(app.post_json(adult_url, &unknown).await, 422).await);
        let mut unknown = support::duty_to_notify();
        unknown["canary_top"] = json!(1);
        let p = problem(app.post_json("/api/v1/duty-to-notify", &unknown).await, 422).await;
        assert_no_echo(&p);
        assert_eq!(p["errors"][0]["pointer"], "", "{p}");

        // Values: a wrong type, a bad enumeration value (crafted to look like serde's own
        // "expected" list), an impossible date, a string where a boolean goes, a too-long
        // value, an unknown country, an unknown police force area.
        let bad_values = [
            adult_with("/victim/interpreter_needed", json!(format!("{CANARY} at line 1 column 1"))),
            adult_with("/profile/gender", json!(format!("{CANARY}`, expected one of `male`"))),
            adult_with("/victim/date_of_birth", json!(CANARY)),
            adult_with("/victim/date_of_birth", json!(format!("2001-02-30{CANARY}"))),
            adult_with("/victim/given_names", json!({CANARY: CANARY})),
            adult_with("/victim/other_names", json!(format!("{CANARY}"))),
            adult_with("/victim/given_names", json!(CANARY.repeat(5000))),
            adult_with("/profile/nationalities", json!([CANARY])),
            adult_with("/exploitation/location/police_force_areas", json!([CANARY])),
            adult_with("/exploitation/types", json!([CANARY])),
            adult_with("/consent/referral_consent_given_on", json!(-1)),
        ];
        for bad in &bad_values {
            let response = app.post_json(adult_url, bad).await;
            let status = response.status().as_u16();
            assert!(matches!(status, 400 | 422), "{status} for {bad}");
            assert_no_echo(&problem(response, status).await);
        }
        // Malformed JSON, with the canary where the parser stops (400, or 422 when a field
        // or type is refused before the syntax error is reached).
        for raw in [
            format!("{{\"victim\": {CANARY}}}"),
            format!("{{\"victim\": \"{CANARY}"),
            format!("{{\"{CANARY}\"}}"),
            format!("{{\"victim\": {{\"{CANARY}\""),
            format!("[\"{CANARY}\"] {CANARY}"),
        ] {
            let request = app
                .post(adult_url)
                .header("content-type", "application/json")
                .body(raw.clone());
            let response = send(request).await;
            let status = response.status().as_u16();
            assert!(matches!(status, 400 | 422), "{status} for {raw}");
            assert_no_echo(&problem(response, status).await);
        }
        assert_eq!(app.total().await, 0, "a refused submission was stored");

        // The same on a decision, a lifecycle action, an administrative request and a query.
        let reference = app.submit_adult().await;
        let rg = format!("/api/v1/cases/{reference}/reasonable-grounds-decision");
        let actions = format!("/api/v1/cases/{reference}/actions");
        for (path, bad) in [
            (&rg, json!({"outcome": CANARY, "decided_on": "2025-11-03", "reasons": "r"})),
            (&rg, json!({"outcome": "positive", "decided_on": CANARY, "reasons": "r"})),
            (&rg, json!({"outcome": "positive", "decided_on": "2025-11-03", "reasons": "r", CANARY: 1})),
            (&actions, json!({CANARY: {}})),
            (&actions, json!({"withdraw": {"on": "2025-11-03", "reason": CANARY}})),
            (&actions, json!({"withdraw": {"on": "2025-11-03", "reason": "other", CANARY: 1}})),
        ] {
            let response = app.change(path, &bad).await;
            assert_no_echo(&problem(response, 422).await);
        }
        let organisation = app
            .post_as("/api/v1/organisations", ADMIN)
            .json(&json!({"name": "n", "kind": CANARY, "nation": CANARY}));
        assert_no_echo(&problem(send(organisation).await, 422).await);
        let query = app.get(&format!("/api/v1/cases?status={CANARY}&page={CANARY}"));
        assert_no_echo(&problem(send(query).await, 400).await);
        app
    })
    .await;
}

// ASVS v5.0.0-16.5.1
#[tokio::test]
async fn a_path_parameter_that_does_not_parse_is_not_echoed() {
    each_backend(|app| async move {
        for (request, status) in [
            (
                app.get_as(&format!("/api/v1/cases/%FF{CANARY}"), SCA_MANAGER),
                404,
            ),
            (
                app.post_as(&format!("/api/v1/users/{CANARY}/disable"), ADMIN),
                404,
            ),
            (
                support::signed_in(
                    app.client
                        .put(format!("{}/api/v1/users/{CANARY}/roles", app.base)),
                    ADMIN,
                )
                .json(&json!({"roles": []})),
                404,
            ),
        ] {
            assert_no_echo(&problem(send(request).await, status).await);
        }
        app
    })
    .await;
}

// ASVS v5.0.0-2.3.4. The document tells clients the rule: every operation that changes an
// existing resource (a path parameter, a non-GET method, other than signing out) takes
// If-Match and documents 412 and 428.
#[tokio::test]
async fn the_openapi_document_tells_clients_that_changes_need_if_match() {
    each_backend(|app| async move {
        let doc =
            body(send(app.client.get(format!("{}/api/v1/openapi.json", app.base))).await).await;
        let mut changes = 0;
        for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
            for method in ["post", "put", "patch", "delete"] {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                if !path.contains('{') {
                    continue;
                }
                changes += 1;
                let takes_if_match = operation["parameters"].as_array().is_some_and(|p| {
                    p.iter()
                        .any(|p| p["name"] == "If-Match" && p["in"] == "header")
                });
                assert!(takes_if_match, "{method} {path} does not take If-Match");
                for status in ["412", "428"] {
                    assert!(
                        operation["responses"].get(status).is_some(),
                        "{method} {path} does not document {status}"
                    );
                }
            }
        }
        // Five case and account changes, a support episode's actions, a guardian episode's
        // actions and reconsideration request, an organisation's referrer settings and a
        // support provider's reconsideration request (issue #10), and a possible match's
        // decision and a person's split (issue #14), and an API token's revocation (issue 11).
        assert_eq!(changes, 13, "the changes to existing resources");
        app
    })
    .await;
}
