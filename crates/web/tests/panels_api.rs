//! Issue 13 on the API, on SQLite and PostgreSQL: a pilot panel's meeting, papers and decision
//! as lifecycle actions (with `If-Match`), the SCA's quality assurance, and an age assessment
//! that reroutes a case; problems name their rule; another site's panel sees nothing.

mod support;

use serde_json::json;
use support::{Identity, SCA_MANAGER, body, each_backend};

const HULL_PANEL: Identity = Identity {
    user: "00000000-0000-4000-8000-000000000031",
    organisation: "00000000-0000-4000-8000-000000000331",
    kind: "local_authority:hull",
    roles: "local_authority_panel_member",
};
const CAMDEN_PANEL: Identity = Identity {
    user: "00000000-0000-4000-8000-000000000041",
    organisation: "00000000-0000-4000-8000-000000000341",
    kind: "local_authority:camden",
    roles: "local_authority_panel_member",
};
const MEETING: &str = "00000000-0000-4000-8000-00000000a001";
const SOCIAL_CARE: &str = "00000000-0000-4000-8000-000000000032";
const POLICE: &str = "00000000-0000-4000-8000-000000000033";
const HEALTH: &str = "00000000-0000-4000-8000-000000000034";

async fn hull_child(app: &support::App, disputed: bool) -> String {
    let mut child = support::child();
    child["local_authority_area"] = json!("hull");
    child["age_disputed"] = json!(disputed);
    let response = app.post_json("/api/v1/referrals/child", &child).await;
    assert_eq!(response.status(), 201);
    body(response).await["reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_pilot_panel_decides_and_the_sca_assures_it_through_the_api() {
    each_backend(|app| async move {
        let reference = hull_child(&app, false).await;
        let actions = format!("/api/v1/cases/{reference}/actions");
        let today = app.today().to_string();
        let convene = json!({"convene_panel": {
            "meeting": MEETING,
            "meets_on": today,
            "chair": {"user": HULL_PANEL.user, "agency": "childrens_social_care"},
            "members": [
                {"user": SOCIAL_CARE, "agency": "childrens_social_care"},
                {"user": POLICE, "agency": "police"},
                {"user": HEALTH, "agency": "health"},
            ],
        }});
        // Another site's panel: not found.
        assert_eq!(
            app.change_as(&actions, CAMDEN_PANEL, &convene)
                .await
                .status(),
            404
        );
        assert_eq!(
            app.change_as(&actions, HULL_PANEL, &convene).await.status(),
            200
        );
        let papers = json!({"prepare_panel_papers": {
            "meeting": MEETING,
            "items": ["referral", "childrens_social_care", "police", "health"],
        }});
        assert_eq!(
            app.change_as(&actions, HULL_PANEL, &papers).await.status(),
            200
        );
        // Without the chair: refused, naming the rule.
        let decision = |present: Vec<&str>| {
            json!({"record_panel_decision": {
                "meeting": MEETING,
                "decision": "reasonable_grounds",
                "outcome": "negative",
                "negative_reason": "insufficient_evidence",
                "present": present,
                "reasons": "The information gathered did not meet the threshold",
            }})
        };
        let refused = app
            .change_as(
                &actions,
                HULL_PANEL,
                &decision(vec![SOCIAL_CARE, POLICE, HEALTH]),
            )
            .await;
        // A rule of the case as it stands: 409 with the rule's code.
        assert_eq!(refused.status(), 409);
        assert!(body(refused).await.to_string().contains("panel-quorum"));
        let decided = app
            .change_as(
                &actions,
                HULL_PANEL,
                &decision(vec![HULL_PANEL.user, SOCIAL_CARE, POLICE, HEALTH]),
            )
            .await;
        assert_eq!(decided.status(), 200);
        // The SCA's assurer agrees it.
        let assure = json!({"assure_panel_decision": {
            "decision": "reasonable_grounds",
            "outcome": "agree",
            "reviewed_on": today,
            "reasons": "The decision follows from the papers",
        }});
        // Not the panel itself (here its chair, who recorded it: the maker of the decision).
        let own = app.change_as(&actions, HULL_PANEL, &assure).await;
        assert_eq!(own.status(), 409);
        assert!(
            body(own)
                .await
                .to_string()
                .contains("reviewer-is-decision-maker")
        );
        assert_eq!(
            app.change_as(&actions, SCA_MANAGER, &assure).await.status(),
            200
        );
        // Assured: the SCA no longer sees the case.
        assert_eq!(
            app.change_as(&actions, SCA_MANAGER, &assure).await.status(),
            404
        );
        app
    })
    .await;
}

#[tokio::test]
async fn an_age_assessment_reroutes_a_case_through_the_api() {
    each_backend(|app| async move {
        let reference = hull_child(&app, true).await;
        let actions = format!("/api/v1/cases/{reference}/actions");
        let today = app.today();
        let assess = |born: String| {
            json!({"record_age_assessment": {
                "assessed_on": today.to_string(),
                "assessed_by": "local_authority",
                "finding": "adult",
                "date_of_birth": born,
                "reasons": "Assessed by two social workers",
            }})
        };
        // A date of birth that makes the person a child contradicts the finding.
        let young = (today - chrono::Duration::days(365 * 12)).to_string();
        let refused = app.change_as(&actions, HULL_PANEL, &assess(young)).await;
        assert_eq!(refused.status(), 422);
        assert!(body(refused).await.to_string().contains("/date_of_birth"));
        let adult = (today - chrono::Duration::days(365 * 25)).to_string();
        assert_eq!(
            app.change_as(&actions, HULL_PANEL, &assess(adult))
                .await
                .status(),
            200
        );
        // Now with the SCA, as an adult.
        let case = body(
            support::signed_in(
                app.client
                    .get(format!("{}/api/v1/cases/{reference}", app.base)),
                SCA_MANAGER,
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        let text = case.to_string();
        assert!(text.contains("\"sca\""), "{text}");
        assert!(text.contains("\"adult\""), "{text}");
        app
    })
    .await;
}
