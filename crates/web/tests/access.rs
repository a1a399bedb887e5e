//! The access policy through the HTTP API: organisations cannot see each other's referrals,
//! analysts get no personal data, competent authorities see only their own cases, and every
//! denial looks like "not found" and is audited. On SQLite and PostgreSQL.

mod support;

use serde_json::Value;
use support::{
    ANALYST, App, CANARY, IECA_DECISION_MAKER, Identity, OTHER_RESPONDER, RESPONDER, adult, body,
    each_backend,
};

const PER_ORGANISATION: usize = 50;

async fn submit_as(app: &App, who: Identity) -> String {
    let response = app
        .post_as("/api/v1/referrals/adult", who)
        .json(&adult())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 201);
    body(response).await["reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Every reference on every page of the queue, as `who` sees it.
async fn listed(app: &App, who: Identity) -> (Vec<String>, String) {
    let mut references = Vec::new();
    let mut raw = String::new();
    let mut cursor = String::new();
    for _ in 1..=20 {
        let response = app
            .get_as(&format!("/api/v1/cases?per_page=100{cursor}"), who)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 200);
        let b = body(response).await;
        raw.push_str(&b.to_string());
        let cases = b["cases"].as_array().cloned().unwrap_or_default();
        references.extend(
            cases
                .iter()
                .filter_map(|c| c["reference"].as_str().map(str::to_owned)),
        );
        match b["next"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    (references, raw)
}

// ASVS v5.0.0-8.4.1, v5.0.0-8.2.2
#[tokio::test]
async fn organisations_and_authorities_see_only_their_own_cases() {
    each_backend(|app| async move {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..PER_ORGANISATION {
            ours.push(submit_as(&app, RESPONDER).await);
            theirs.push(submit_as(&app, OTHER_RESPONDER).await);
        }

        // Lists: each First Responder sees exactly their own organisation's referrals.
        let (seen, raw) = listed(&app, OTHER_RESPONDER).await;
        assert_eq!(seen.len(), PER_ORGANISATION);
        assert!(ours.iter().all(|r| !raw.contains(r.as_str())), "another organisation's reference leaked into a list");
        let (seen, _) = listed(&app, RESPONDER).await;
        assert_eq!(seen.len(), PER_ORGANISATION);

        // Reads, notices, history and actions on the other organisation's cases: all 404, and
        // the body never carries the reference or anything of the case.
        for reference in &ours {
            for path in [
                format!("/api/v1/cases/{reference}"),
                format!("/api/v1/cases/{reference}/notices"),
                format!("/api/v1/cases/{reference}/access-history"),
            ] {
                let response = app.get_as(&path, OTHER_RESPONDER).send().await.unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(response.status(), 404, "{path}");
                let text = response.text().await.unwrap_or_default();
                assert!(!text.contains(reference.as_str()) && !text.contains(CANARY), "{text}");
            }
            let response = app
                .change_as(&format!("/api/v1/cases/{reference}/actions"), OTHER_RESPONDER, &serde_json::json!({"request_reconsideration": {"decision": "reasonable_grounds", "requested_on": "2025-11-03", "requested_by": "first_responder"}}))
                .await;
            assert_eq!(response.status(), 404);
        }

        // An analyst lists everything but reads no personal details.
        let (seen, _) = listed(&app, ANALYST).await;
        assert_eq!(seen.len(), 2 * PER_ORGANISATION);
        let case = body(app.get_as(&format!("/api/v1/cases/{}", ours[0]), ANALYST).send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(case["personal_details"], Value::Null);
        assert!(!case.to_string().contains(CANARY));

        // The IECA sees none of the SCA's cases.
        let (seen, _) = listed(&app, IECA_DECISION_MAKER).await;
        assert!(seen.is_empty());
        let response = app.get_as(&format!("/api/v1/cases/{}", ours[0]), IECA_DECISION_MAKER).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 404);

        // A First Responder cannot decide, and an analyst cannot submit.
        let response = app
            .change_as(&format!("/api/v1/cases/{}/reasonable-grounds-decision", ours[0]), RESPONDER, &serde_json::json!({"outcome": "positive", "decided_on": "2025-11-03", "reasons": "x"}))
            .await;
        assert_eq!(response.status(), 404);
        let response = app.post_as("/api/v1/referrals/adult", ANALYST).json(&adult()).send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 403);

        // Every denial is in the audit log, against the case it was about.
        let reference: nrm_domain::CaseReference = ours[0].parse().unwrap_or_else(|_| panic!("reference"));
        let id = app.store.store.case_id_by_reference(&reference).await.ok().flatten().unwrap_or_else(|| panic!("case"));
        let entries = app.store.store.audit_for_case(id).await.unwrap_or_default();
        let denials = entries.iter().filter(|e| e.outcome == "denied").count();
        assert!(denials >= 5, "{denials} denials audited");
        app
    })
    .await;
}
