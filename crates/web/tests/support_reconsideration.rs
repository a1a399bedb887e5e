//! A support provider asks for reconsideration for the person it supports, over HTTP on both
//! backends (issue #10 item 8): only the provider supporting the person reaches it, the change
//! names the episode's version, and the case records the support provider as requester.

mod support;

use nrm_domain::ids::OrganisationId;
use nrm_store::identity::OrganisationRow;
use nrm_store::support::SupportProviderRow;
use serde_json::{Value, json};
use support::{App, Identity, body, each_backend, signed_in};
use uuid::Uuid;

const PRIME_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e1",
    organisation: "00000000-0000-4000-8000-0000000003a1",
    kind: "support_provider",
    roles: "support_manager",
};
const WORKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e3",
    organisation: "00000000-0000-4000-8000-0000000003a1",
    kind: "support_provider",
    roles: "support_provider_worker",
};
const OTHER_WORKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e4",
    organisation: "00000000-0000-4000-8000-0000000003a1",
    kind: "support_provider",
    roles: "support_provider_worker",
};
const CONTRACT_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e5",
    organisation: "00000000-0000-4000-8000-0000000003a4",
    kind: "contract_management",
    roles: "contract_manager",
};
/// A second SCA caseworker, to review the decision maker's negative RG.
const SECOND_CASEWORKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e6",
    organisation: "00000000-0000-4000-8000-000000000201",
    kind: "sca",
    roles: "ca_manager,decision_maker",
};

async fn provider(app: &App) {
    let store = &app.store.store;
    let id = OrganisationId(Uuid::parse_str(PRIME_MANAGER.organisation).unwrap_or_default());
    store
        .create_organisation(
            &OrganisationRow {
                id,
                name: "Prime".to_owned(),
                kind: "support_provider".to_owned(),
                designated_from: None,
                designated_to: None,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .add_support_provider(
            &SupportProviderRow {
                organisation: id,
                name: String::new(),
                parent: None,
                regions: vec!["london".to_owned()],
                services: vec!["accommodation".to_owned()],
            },
            &nrm_store::audit::AuditRecord {
                actor: nrm_domain::Actor::SYSTEM,
                action: "support.add_provider".to_owned(),
                case_id: None,
                outcome: "ok".to_owned(),
                subject: None,
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn episode_tag(app: &App, reference: &str, who: Identity) -> String {
    let r = signed_in(
        app.client
            .get(format!("{}/api/v1/support/episodes/{reference}", app.base)),
        who,
    )
    .send()
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 200);
    r.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn post(
    app: &App,
    path: &str,
    who: Identity,
    tag: Option<&str>,
    json: &Value,
) -> (u16, Value) {
    let mut r = signed_in(app.client.post(format!("{}{path}", app.base)), who).json(json);
    if let Some(tag) = tag {
        r = r.header("if-match", tag);
    }
    let r = r.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_allocated_worker_asks_and_the_case_names_the_support_provider() {
    each_backend(|app| async move {
        provider(&app).await;
        let today = app.today().to_string();
        let case = app.submit_adult().await;
        let case_url = format!("/api/v1/cases/{case}");
        // A negative RG, reviewed by a second caseworker, served.
        let rg = json!({"outcome": "negative", "decided_on": today, "reasons": "Reasons.", "negative_reason": "insufficient_evidence"});
        assert_eq!(app.change(&format!("{case_url}/reasonable-grounds-decision"), &rg).await.status(), 200);
        let review = json!({"review_negative_decision": {
            "decision": "reasonable_grounds", "outcome": "agree",
            "reviewed_on": today, "reasons": "Checked against the guidance."
        }});
        let actions = format!("{case_url}/actions");
        assert_eq!(app.change_as(&actions, SECOND_CASEWORKER, &review).await.status(), 200);
        let serve = json!({"serve_decision": {"decision": "reasonable_grounds", "served_on": today}});
        assert_eq!(app.change(&actions, &serve).await.status(), 200);

        // The person was referred into support at intake (issue 12); it is allocated to the
        // worker.
        let r = signed_in(
            app.client.get(format!(
                "{}/api/v1/support/episodes?filter=awaiting_allocation",
                app.base
            )),
            PRIME_MANAGER,
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let waiting: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(waiting.as_array().map(Vec::len), Some(1), "{waiting}");
        let reference = waiting[0]["reference"].as_str().unwrap_or_default().to_owned();
        let allocate = json!({"allocate": {"provider": PRIME_MANAGER.organisation, "worker": WORKER.user, "provision": "accommodation"}});
        let tag = episode_tag(&app, &reference, PRIME_MANAGER).await;
        let (status, body_) = post(&app, &format!("/api/v1/support/episodes/{reference}/actions"), PRIME_MANAGER, Some(&tag), &allocate).await;
        assert_eq!(status, 200, "{body_}");

        let path = format!("/api/v1/support/episodes/{reference}/reconsideration-request");
        let ask = json!({"decision": "reasonable_grounds", "requested_on": today});
        // Another worker of the same provider, and the contract manager (who sees the episode
        // but supports nobody): not found.
        let tag = episode_tag(&app, &reference, WORKER).await;
        assert_eq!(post(&app, &path, OTHER_WORKER, Some(&tag), &ask).await.0, 404);
        assert_eq!(post(&app, &path, CONTRACT_MANAGER, Some(&tag), &ask).await.0, 404);
        // The worker: If-Match required and current.
        assert_eq!(post(&app, &path, WORKER, None, &ask).await.0, 428);
        assert_eq!(post(&app, &path, WORKER, Some("\"999\""), &ask).await.0, 412);
        let (status, problem) = post(&app, &path, WORKER, Some(&tag), &json!({"decision": "nothing", "requested_on": today})).await;
        assert_eq!(status, 422, "{problem}");
        let (status, problem) = post(&app, &path, WORKER, Some(&tag), &ask).await;
        assert_eq!(status, 204, "{problem}");
        // The case records the request, with the support provider as requester.
        let seen = body(app.get(&case_url).send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(seen["reconsideration_pending"], true, "{seen}");
        assert!(seen.to_string().contains("\"requested_by\":\"support_provider\""), "{seen}");
        // A second request while one is pending is refused by the rules, naming the rule.
        let (status, problem) = post(&app, &path, WORKER, Some(&tag), &ask).await;
        assert_eq!(status, 409, "{problem}");
        assert_eq!(problem["type"], "/problems/reconsideration-pending");
        app
    })
    .await;
}
