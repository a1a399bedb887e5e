//! Victim support over HTTP on both backends: referral into support, allocation with
//! If-Match, need to know (another provider: not found; a decision maker: status and escalated
//! concerns only), a high concern reaching the contract manager's queue, problem details with
//! pointers for codes that do not parse, accommodation, an inspection with an action, and the
//! provider's statement as CSV.

mod support;

use nrm_domain::ids::OrganisationId;
use nrm_store::identity::OrganisationRow;
use nrm_store::support::SupportProviderRow;
use serde_json::{Value, json};
use support::{App, Identity, RESPONDER, body, each_backend, signed_in};
use uuid::Uuid;

const PRIME_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e1",
    organisation: "00000000-0000-4000-8000-0000000003a1",
    kind: "support_provider",
    roles: "support_manager",
};
const SUB_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e2",
    organisation: "00000000-0000-4000-8000-0000000003a2",
    kind: "support_provider",
    roles: "support_manager",
};
const WORKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e3",
    organisation: "00000000-0000-4000-8000-0000000003a2",
    kind: "support_provider",
    roles: "support_provider_worker",
};
const OTHER_WORKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e4",
    organisation: "00000000-0000-4000-8000-0000000003a3",
    kind: "support_provider",
    roles: "support_provider_worker",
};
const CONTRACT_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e5",
    organisation: "00000000-0000-4000-8000-0000000003a4",
    kind: "contract_management",
    roles: "contract_manager",
};
const DECISION_MAKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e6",
    organisation: "00000000-0000-4000-8000-000000000201",
    kind: "sca",
    roles: "decision_maker",
};

fn org(id: &str) -> OrganisationId {
    OrganisationId(Uuid::parse_str(id).unwrap_or_default())
}

async fn providers(app: &App) {
    let store = &app.store.store;
    let prime = org(PRIME_MANAGER.organisation);
    for (id, parent) in [
        (PRIME_MANAGER.organisation, None),
        (SUB_MANAGER.organisation, Some(prime)),
        (OTHER_WORKER.organisation, Some(prime)),
    ] {
        store
            .create_organisation(
                &OrganisationRow {
                    id: org(id),
                    name: id.to_owned(),
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
                    organisation: org(id),
                    name: String::new(),
                    parent,
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
}

async fn get(app: &App, path: &str, who: Identity) -> (u16, Value, String) {
    let r = signed_in(app.client.get(format!("{}{path}", app.base)), who)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, body(r).await, etag)
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
    (r.status().as_u16(), body(r).await)
}

/// Does an action with the episode's current ETag (read by `who` first).
async fn act(app: &App, reference: &str, who: Identity, json: &Value) -> (u16, Value) {
    let (_, _, tag) = get(app, &format!("/api/v1/support/episodes/{reference}"), who).await;
    post(
        app,
        &format!("/api/v1/support/episodes/{reference}/actions"),
        who,
        Some(&tag),
        json,
    )
    .await
}

#[tokio::test]
async fn support_over_the_api() {
    each_backend(|app| async move {
        providers(&app).await;
        let case = app.submit_adult().await;
        let _ = RESPONDER;

        // Referral into support: an adult referral with consent reaches the prime contractor
        // at intake, waiting for allocation; referring again by hand is refused.
        let (status, waiting, _) = get(
            &app,
            "/api/v1/support/episodes?filter=awaiting_allocation",
            PRIME_MANAGER,
        )
        .await;
        assert_eq!(status, 200, "{waiting}");
        assert_eq!(waiting.as_array().map(Vec::len), Some(1), "{waiting}");
        let reference = waiting[0]["reference"].as_str().unwrap_or_default().to_owned();
        assert!(reference.starts_with("SUP-"), "{waiting}");
        let (status, again) = post(
            &app,
            "/api/v1/support/episodes",
            PRIME_MANAGER,
            None,
            &json!({"case_reference": case, "nation": "england", "route": "consent_to_support"}),
        )
        .await;
        assert_eq!(status, 409, "{again}");
        let (status, bad) = post(
            &app,
            "/api/v1/support/episodes",
            PRIME_MANAGER,
            None,
            &json!({"nation": "atlantis", "route": "consent_to_support"}),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(bad["errors"][0]["pointer"], "/nation");

        // Allocation: If-Match required; only the prime's manager.
        let path = format!("/api/v1/support/episodes/{reference}/actions");
        let allocate = json!({"allocate": {"provider": SUB_MANAGER.organisation, "worker": WORKER.user, "provision": "accommodation"}});
        let (status, _) = post(&app, &path, PRIME_MANAGER, None, &allocate).await;
        assert_eq!(status, 428);
        let (status, _) = act(&app, &reference, SUB_MANAGER, &allocate).await;
        assert_eq!(status, 404, "the subcontractor's manager cannot see it yet");
        let (status, body) = act(&app, &reference, PRIME_MANAGER, &allocate).await;
        assert_eq!(status, 200, "{body}");

        // Another subcontractor's worker: not found; the worker: the record.
        let episode = format!("/api/v1/support/episodes/{reference}");
        assert_eq!(get(&app, &episode, OTHER_WORKER).await.0, 404);
        let (status, seen, _) = get(&app, &episode, WORKER).await;
        assert_eq!(status, 200);
        assert_eq!(seen["status"], "before_reasonable_grounds");
        assert!(seen["record"].is_object());

        // A code that does not parse is a problem with a pointer.
        let (status, bad) = act(
            &app,
            &reference,
            WORKER,
            &json!({"raise_concern": {"kind": "re_trafficking", "severity": "urgent", "details": "x"}}),
        )
        .await;
        assert_eq!(status, 422);
        assert_eq!(bad["errors"][0]["pointer"], "/raise_concern/severity");
        // A low concern and a high one.
        for (severity, words) in [("low", "low words"), ("high", "high words")] {
            let (status, body) = act(
                &app,
                &reference,
                WORKER,
                &json!({"raise_concern": {"kind": "going_missing", "severity": severity, "details": words, "police_reference": "PR-1"}}),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        let (status, queue, _) = get(&app, "/api/v1/support/escalations", CONTRACT_MANAGER).await;
        assert_eq!(status, 200);
        assert_eq!(queue.as_array().map(Vec::len), Some(1));
        assert_eq!(get(&app, "/api/v1/support/escalations", WORKER).await.0, 404);

        // The decision maker: status and the escalated concern, not the record or the other.
        let (status, dm, _) = get(&app, &episode, DECISION_MAKER).await;
        assert_eq!(status, 200);
        assert!(dm["record"].is_null());
        assert_eq!(dm["concerns"].as_array().map(Vec::len), Some(1));
        assert_eq!(dm["concerns"][0]["details"], "high words");
        let (_, worker_view, _) = get(&app, &episode, WORKER).await;
        assert_eq!(worker_view["concerns"].as_array().map(Vec::len), Some(2));
        let concern = dm["concerns"][0]["id"].as_str().unwrap_or_default().to_owned();
        let (status, _) = act(
            &app,
            &reference,
            CONTRACT_MANAGER,
            &json!({"acknowledge_concern": {"concern": concern}}),
        )
        .await;
        assert_eq!(status, 200);
        let (_, queue, _) = get(&app, "/api/v1/support/escalations", CONTRACT_MANAGER).await;
        assert_eq!(queue.as_array().map(Vec::len), Some(0));

        // Accommodation and an inspection with an action.
        let (status, house) = post(
            &app,
            "/api/v1/support/accommodation",
            SUB_MANAGER,
            None,
            &json!({"kind": "catered", "capacity": 3, "region": "london", "address": "1 Safe Street"}),
        )
        .await;
        assert_eq!(status, 201, "{house}");
        let findings: Vec<Value> = ["safety", "safeguarding", "cleanliness", "staffing", "wellbeing"]
            .iter()
            .map(|a| json!({"area": a, "rating": if *a == "staffing" { "inadequate" } else { "good" }}))
            .collect();
        let inspection = json!({"accommodation": house["id"], "inspected_on": "2025-11-01", "findings": findings});
        let (status, bad) = post(&app, "/api/v1/support/inspections", CONTRACT_MANAGER, None, &inspection).await;
        assert_eq!(status, 422);
        assert_eq!(bad["errors"][0]["pointer"], "/actions/staffing");
        let mut inspection = inspection;
        inspection["actions"] = json!([{"area": "staffing", "due_on": "2025-11-20"}]);
        let (status, _) = post(&app, "/api/v1/support/inspections", SUB_MANAGER, None, &inspection).await;
        assert_eq!(status, 403);
        let (status, _) = post(&app, "/api/v1/support/inspections", CONTRACT_MANAGER, None, &inspection).await;
        assert_eq!(status, 201);
        let (_, listed, _) = get(&app, "/api/v1/support/accommodation", CONTRACT_MANAGER).await;
        assert_eq!(listed[0]["last_rating"], "inadequate");
        assert_eq!(listed[0]["open_actions"], 1);

        // The statement: CSV for the provider's manager, not for another provider's.
        let url = format!(
            "{}/api/v1/support/statement?provider={}&from=2025-01-01&to=2025-12-31",
            app.base, SUB_MANAGER.organisation
        );
        let r = signed_in(app.client.get(&url), SUB_MANAGER)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/csv"))
        );
        let text = r.text().await.unwrap_or_default();
        assert!(text.starts_with("episode,date,kind,amount_gbp,reason\n"), "{text}");
        let r = signed_in(app.client.get(&url), PRIME_MANAGER)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 404);
        app
    })
    .await;
}
