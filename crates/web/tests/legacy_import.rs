//! `POST /api/v1/legacy-import` on both backends: only a system client's token with the
//! `import` scope may use it; the body is JSON Lines; refused lines come back by number and
//! rule while the rest go in; a second run of the same body makes nothing new.

#![allow(dead_code)]

mod support;

use nrm_access::{Operation, OrganisationKind};
use serde_json::json;
use support::{App, body, each_backend};

/// One line: an adult referred in March 2016 with a positive RG 9 days later.
fn line(id: &str) -> String {
    let mut adult = support::adult();
    adult["consent"]["referral_consent_given_on"] = json!("2016-03-01");
    json!({
        "legacy_id": id,
        "submitted_at": "2016-03-01T10:00:00Z",
        "submitted_by": {"user": "pc-1", "organisation": "legacy-police", "nation": "england", "list": "police"},
        "submission": {"kind": "adult", "details": legacy_details(adult)},
        "steps": [{
            "at": "2016-03-10T10:00:00Z",
            "by": {"user": "cw-1", "organisation": "legacy-ca"},
            "do": {"type": "reasonable_grounds", "outcome": "positive", "decided_on": "2016-03-10", "reasons": "Reasons"}
        }]
    })
    .to_string()
}

/// The API's adult referral body as the domain's `AdultReferral` (the legacy schema).
fn legacy_details(api: serde_json::Value) -> serde_json::Value {
    let mut exploitation = api["exploitation"].clone();
    exploitation["period"] =
        json!({"started_on": "2015-06-01", "ended_on": "2016-02-01", "ongoing": false});
    json!({
        "victim": {
            "given_names": api["victim"]["given_names"],
            "family_name": api["victim"]["family_name"],
            "other_names": [],
            "date_of_birth": "1980-01-01",
            "languages": [],
            "interpreter_needed": false,
            "contact": null,
            "current_address": null,
            "other_references": [],
            "narrative": "An account."
        },
        "profile": {"gender": "female", "nationalities": []},
        "consent": {"referral_consent_given_on": "2016-03-01", "support_consent": true},
        "exploitation": exploitation,
        "first_responder": {"organisation_type": "police"},
        "immigration_cohort": null
    })
}

async fn token(app: &App, scope: Operation, kind: OrganisationKind) -> String {
    let now = *app.clock.lock().unwrap_or_else(|e| panic!("{e}"));
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let org_cap = nrm_service::admin::system_capability(Operation::ManageOrganisations)
        .unwrap_or_else(|e| panic!("{e}"));
    let org = cases
        .administration()
        .add_organisation(
            &org_cap,
            nrm_domain::ids::OrganisationId(uuid::Uuid::new_v4()),
            "Legacy migration",
            &kind,
            now,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, token) = cases
        .administration()
        .create_api_token(&org_cap, org, "Legacy migration", &[scope], now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    format!("Bearer {token}")
}

#[tokio::test]
async fn a_system_client_imports_json_lines_and_a_second_run_adds_nothing() {
    each_backend(|app| async move {
        let bearer = token(
            &app,
            Operation::ImportLegacyCases,
            OrganisationKind::Administrators,
        )
        .await;
        let payload = format!(
            "{}\n{{\"legacy_id\": 7\n\n{}\n",
            line("OLD/1"),
            line("OLD/2")
        );
        let send = |auth: String, content_type: &'static str| {
            app.client
                .post(format!("{}/api/v1/legacy-import", app.base))
                .header("authorization", auth)
                .header("content-type", content_type)
                .body(payload.clone())
                .send()
        };
        let first = send(bearer.clone(), "application/x-ndjson")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.status(), 200);
        let first = body(first).await;
        assert_eq!(first["imported"], 2, "{first}");
        assert_eq!(first["refused"], 1, "{first}");
        assert_eq!(first["lines"], 3, "{first}");
        assert_eq!(first["refusals"][0]["line"], 2, "{first}");
        assert_eq!(first["refusals"][0]["rule"], "invalid-json", "{first}");

        let second = body(
            send(bearer.clone(), "application/x-ndjson")
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert_eq!(
            (
                &second["imported"],
                &second["already_present"],
                &second["refused"]
            ),
            (&json!(0), &json!(2), &json!(1)),
            "{second}"
        );

        // Not JSON Lines: 415.
        let wrong = send(bearer.clone(), "application/json")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(wrong.status(), 415);

        // A token without the scope, and a First Responder system's token: 403.
        for (scope, kind) in [
            (
                Operation::RunDeadlineSweep,
                OrganisationKind::Administrators,
            ),
            (
                Operation::ImportLegacyCases,
                OrganisationKind::FirstResponderOrganisation,
            ),
        ] {
            let other = token(&app, scope, kind).await;
            let denied = send(other, "application/x-ndjson")
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(denied.status(), 403);
        }
        assert_eq!(app.store.query_i64("SELECT COUNT(*) FROM cases").await, 2);
        app
    })
    .await;
}
