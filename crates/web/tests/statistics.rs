//! The statistics API and pages over HTTP, on both backends: the tables as JSON with their
//! notes and symbols, problem details for a bad period, the pages with their chart, and the
//! downloads.

mod support;

use serde_json::Value;
use support::{ANALYST, App, body, each_backend, pages};

async fn tables(app: &App, query: &str) -> reqwest::Response {
    app.get_as(&format!("/api/v1/statistics{query}"), ANALYST)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn table<'a>(publication: &'a Value, id: &str) -> &'a Value {
    publication["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["id"] == id))
        .unwrap_or_else(|| panic!("no table {id}"))
}

#[tokio::test]
async fn analysts_get_the_tables_as_json_with_small_counts_withheld() {
    each_backend(|app| async move {
        // Three adult referrals today: fewer than the default threshold of 5.
        for _ in 0..3 {
            app.submit_adult().await;
        }
        let today = app.today();
        let year = chrono::Datelike::year(&today);
        let response = tables(&app, &format!("?period={year}")).await;
        assert_eq!(response.status(), 200);
        let publication = body(response).await;
        assert_eq!(publication["period"], year.to_string());
        assert_eq!(publication["as_at"], today.to_string());
        assert_eq!(publication["tables"].as_array().map(Vec::len), Some(28));
        let gender = table(&publication, "referrals_by_gender");
        let total = gender["rows"]
            .as_array()
            .and_then(|r| r.last())
            .cloned()
            .unwrap_or_default();
        assert_eq!(total["label"], "Total");
        // 3 is withheld, and so is what would give it away.
        assert_eq!(total["cells"][3], "[c]");
        assert!(publication["notes"].as_array().is_some_and(|n| {
            n.iter()
                .any(|n| n["text"].as_str().unwrap_or("").contains("[c]"))
        }));

        // With suppression off, the counts themselves.
        let open = body(tables(&app, &format!("?period={year}&threshold=0")).await).await;
        let gender = table(&open, "referrals_by_gender");
        let total = gender["rows"]
            .as_array()
            .and_then(|r| r.last())
            .cloned()
            .unwrap_or_default();
        assert_eq!(total["cells"][3], 3);

        // A period that is not one, a future as-at date: problem details naming the parameter.
        let response = tables(&app, "?period=2024Q5&as_at=2999-01-01").await;
        assert_eq!(response.status(), 422);
        let problem = body(response).await;
        let pointers: Vec<&str> = problem["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["pointer"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(pointers, ["period", "as_at"]);

        // The pages, signed in as an analyst: the list, a table with its chart, the downloads.
        let email = pages::account(
            &app,
            "Analysts",
            &nrm_access::OrganisationKind::Analysts,
            nrm_access::Role::Analyst,
        )
        .await;
        let signed_in = pages::sign_in_again(&app, &email, &[("next", "/statistics")]).await;
        assert_eq!(signed_in.status(), 303);
        let cookie = pages::set_cookie(&signed_in);
        let page = pages::get(&app, &format!("/statistics?period={year}"), &cookie).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap_or_default();
        assert!(
            html.contains("/statistics/tables/referrals_by_gender?period="),
            "{html}"
        );
        let page = pages::get(
            &app,
            &format!("/statistics/tables/referrals_by_gender?period={year}"),
            &cookie,
        )
        .await;
        let html = page.text().await.unwrap_or_default();
        assert!(html.contains("role=\"img\" aria-labelledby=\"chart-title chart-desc\""));
        assert!(html.contains("<desc id=\"chart-desc\">Horizontal bar chart"));
        let csv = pages::get(
            &app,
            &format!("/statistics/csv/referrals_by_gender?period={year}"),
            &cookie,
        )
        .await;
        assert_eq!(
            csv.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/csv; charset=utf-8")
        );
        assert!(
            csv.text()
                .await
                .unwrap_or_default()
                .starts_with("Gender,Adult (18 or over),")
        );
        let bad = pages::get(&app, "/statistics?period=20x4", &cookie).await;
        assert_eq!(bad.status(), 422);
        let html = bad.text().await.unwrap_or_default();
        assert!(html.contains("govuk-error-summary") && html.contains("href=\"#period\""));
        app
    })
    .await;
}
