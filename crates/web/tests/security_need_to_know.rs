//! Need to know, over HTTP on SQLite and PostgreSQL: a First Responder reads the personal
//! details of the referrals they made and not their colleagues'; the organisation's referral
//! manager reads them all; an assurance panel member reviewing a negative decision reads the
//! account and the reasons but never where the person lives or how to reach them.

mod support;

use serde_json::{Value, json};
use support::{App, CANARY, Identity, RESPONDER, SCA_MANAGER, adult, body, each_backend};

/// Another First Responder in the Responder's own organisation.
const COLLEAGUE: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e1",
    organisation: support::ORGANISATION,
    kind: "first_responder_organisation",
    roles: "first_responder",
};
/// The Responder's organisation's referral manager.
const REFERRAL_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e2",
    organisation: support::ORGANISATION,
    kind: "first_responder_organisation",
    roles: "referral_manager",
};
/// A member of a Multi-Agency Assurance Panel.
const PANEL_MEMBER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000e3",
    organisation: "00000000-0000-4000-8000-0000000000f3",
    kind: "assurance_panel",
    roles: "panel_member",
};

async fn read(app: &App, reference: &str, who: Identity) -> (u16, Value) {
    let response = app
        .get_as(&format!("/api/v1/cases/{reference}"), who)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = response.status().as_u16();
    (status, body(response).await)
}

async fn decide(app: &App, reference: &str, which: &str, outcome: &str) {
    let url = format!("/api/v1/cases/{reference}");
    let (_, case) = read(app, reference, SCA_MANAGER).await;
    let version = case["version"].as_u64().unwrap_or_default();
    let mut decision = json!({
        "outcome": outcome,
        "decided_on": app.today().to_string(),
        "reasons": format!("Reasons {CANARY}"),
    });
    if outcome == "negative" {
        decision["negative_reason"] = json!("insufficient_evidence");
    }
    let response = app
        .post_as(&format!("{url}/{which}-grounds-decision"), SCA_MANAGER)
        .header("if-match", format!("\"{version}\""))
        .json(&decision)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200, "{which} {outcome}");
}

// ASVS v5.0.0-8.2.2: data-specific access, need to know within an organisation.
#[tokio::test]
async fn a_first_responder_reads_personal_details_only_of_the_referrals_they_made() {
    each_backend(|app| async move {
        let response = app
            .post_as("/api/v1/referrals/adult", RESPONDER)
            .json(&adult())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 201);
        let reference = body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();

        let (status, own) = read(&app, &reference, RESPONDER).await;
        assert_eq!(status, 200);
        assert!(
            own["personal_details"]["contact"]
                .as_str()
                .is_some_and(|a| a.contains(CANARY))
        );

        let (status, colleague) = read(&app, &reference, COLLEAGUE).await;
        assert_eq!(status, 200, "the organisation's referral, summary only");
        assert!(colleague["personal_details"].is_null());
        assert!(
            !colleague.to_string().contains(CANARY),
            "no personal data for a colleague: {colleague}"
        );

        let (status, manager) = read(&app, &reference, REFERRAL_MANAGER).await;
        assert_eq!(status, 200);
        assert!(
            manager["personal_details"]["contact"]
                .as_str()
                .is_some_and(|a| a.contains(CANARY))
        );
        assert_eq!(
            manager["personal_details"]["contact_details_withheld"],
            false
        );
        app
    })
    .await;
}

// ASVS v5.0.0-8.2.2 and v5.0.0-14.2.6 (only the data the function needs).
#[tokio::test]
async fn an_assurance_panel_member_never_sees_the_address_or_contact_details() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        decide(&app, &reference, "reasonable", "positive").await;
        // Past the minimum recovery period, a negative Conclusive Grounds decision goes to
        // review before it is served.
        app.advance(60);
        decide(&app, &reference, "conclusive", "negative").await;

        let (status, panel) = read(&app, &reference, PANEL_MEMBER).await;
        assert_eq!(status, 200, "awaiting review: {panel}");
        let details = &panel["personal_details"];
        assert!(
            details["narrative"]
                .as_str()
                .is_some_and(|n| n.contains(CANARY)),
            "the account is what the review needs: {details}"
        );
        assert!(details["current_address"].is_null());
        assert!(details["contact"].is_null());
        assert_eq!(details["contact_details_withheld"], true);
        assert!(
            !details.to_string().contains("Safe Street") && !details.to_string().contains("07700"),
            "{details}"
        );
        // The decision maker still sees them.
        let (_, manager) = read(&app, &reference, SCA_MANAGER).await;
        assert!(
            manager["personal_details"]["contact"]
                .as_str()
                .is_some_and(|a| a.contains(CANARY))
        );
        app
    })
    .await;
}
