//! Where the person is now (issue #10 item 1), over HTTP on SQLite and PostgreSQL: the API's
//! optional `current_nation` (documented in the OpenAPI document; `unknown` when left out, so
//! older clients keep working; anything else refused as problem details), recorded on the
//! case and shown on the case page, whose due dates say which calendar counted each, with
//! the statutory support period of the nation the person is in.

mod support;

use serde_json::{Value, json};
use support::pages::*;
use support::{adult, body, each_backend};

fn adult_in(nation: Option<&str>) -> Value {
    let mut a = adult();
    if let Some(n) = nation {
        a["current_nation"] = json!(n);
    }
    a
}

#[tokio::test]
async fn the_current_nation_is_recorded_shown_and_its_support_period_counted() {
    each_backend(|app| async move {
        let submitted = app
            .post_json("/api/v1/referrals/adult", &adult_in(Some("scotland")))
            .await;
        assert_eq!(submitted.status(), 201);
        let reference = body(submitted).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // The API's case read says where the person is now.
        let read = body(
            app.get(&format!("/api/v1/cases/{reference}"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert_eq!(read["current_nation"], "scotland", "{read}");
        let cookie = decision_maker(&app).await;
        let case = text(get(&app, &format!("/cases/{reference}"), &cookie).await).await;
        assert!(case.contains("Where the person is now"), "{case}");
        assert!(case.contains("Counted on"));
        // The SCA decides: its RG deadline is counted on its calendar.
        assert!(case.contains("Working days, England and Wales bank holidays"));

        // A positive RG on Monday 3 November 2025 starts Scotland's 90 days.
        let decided = app
            .change(
                &format!("/api/v1/cases/{reference}/reasonable-grounds-decision"),
                &json!({"outcome": "positive", "decided_on": "2025-11-03", "reasons": "Reasons."}),
            )
            .await;
        assert_eq!(decided.status(), 200);
        let case = text(get(&app, &format!("/cases/{reference}"), &cookie).await).await;
        assert!(case.contains("Support in Scotland ends (90 days"), "{case}");
        assert!(case.contains("31 January 2026"), "RG day + 89");
        assert!(case.contains("the rules of Scotland (where the person is now)"));
        app
    })
    .await;
}

#[tokio::test]
async fn a_referral_without_the_field_records_no_nation_and_a_wrong_value_is_refused() {
    each_backend(|app| async move {
        for (body_nation, shown) in [(None, "Not known"), (Some("unknown"), "Not known")] {
            let submitted = app
                .post_json("/api/v1/referrals/adult", &adult_in(body_nation))
                .await;
            assert_eq!(submitted.status(), 201, "{body_nation:?}");
            let reference = body(submitted).await["reference"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let read = body(
                app.get(&format!("/api/v1/cases/{reference}"))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await;
            assert_eq!(read["current_nation"], "unknown", "{body_nation:?}: {read}");
            let cookie = decision_maker(&app).await;
            let case = text(get(&app, &format!("/cases/{reference}"), &cookie).await).await;
            let row = case
                .split("Where the person is now")
                .nth(1)
                .unwrap_or_default();
            assert!(
                row.get(..200).unwrap_or(row).contains(shown),
                "{body_nation:?}"
            );
        }
        let refused = app
            .post_json("/api/v1/referrals/adult", &adult_in(Some("atlantis")))
            .await;
        assert!(
            refused.status() == 400 || refused.status() == 422,
            "{}",
            refused.status()
        );
        assert_eq!(
            refused
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        app
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_optional_current_nation() {
    each_backend(|app| async move {
        let doc = body(
            app.get("/api/v1/openapi.json")
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        let schemas = &doc["components"]["schemas"];
        let values: Vec<&str> = schemas["CurrentNationDto"]["enum"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            values,
            [
                "england",
                "wales",
                "scotland",
                "northern_ireland",
                "unknown"
            ],
            "{}",
            schemas["CurrentNationDto"]
        );
        // The case read names it too, with the same values (the schema may nest its
        // properties under allOf beside the flattened summary).
        let read = schemas["CaseResponse"].to_string();
        assert!(
            read.contains("\"current_nation\"") && read.contains("CurrentNationDto"),
            "{read}"
        );
        for request in ["AdultReferralRequest", "ChildReferralRequest"] {
            let schema = &schemas[request];
            assert!(
                !schema["properties"]["current_nation"].is_null(),
                "{request}: {schema}"
            );
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert!(
                !required.contains(&"current_nation"),
                "{request} keeps it optional"
            );
        }
        app
    })
    .await;
}
