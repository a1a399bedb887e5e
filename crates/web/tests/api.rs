//! The JSON API through the front door: a real server on a loopback port, on SQLite and
//! PostgreSQL, seeded only through the API itself.

mod support;

use serde_json::{Value, json};
use support::{App, CANARY, adult, body, child, duty_to_notify, each_backend};

fn decision(outcome: &str, decided_on: &str) -> Value {
    let mut d = json!({"outcome": outcome, "decided_on": decided_on, "reasons": format!("Reasons {CANARY}")});
    if outcome == "negative" {
        d["negative_reason"] = json!("insufficient_evidence");
    }
    d
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let b = body(response).await;
    assert!(
        !b.to_string().contains(CANARY),
        "a problem echoed personal data: {b}"
    );
    b
}

fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["pointer"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn each_kind_of_submission_is_accepted_and_readable() {
    each_backend(|app| async move {
        let response = app.post_json("/api/v1/referrals/adult", &adult()).await;
        assert_eq!(response.status(), 201);
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let created = body(response).await;
        let reference = created["reference"].as_str().unwrap_or_default().to_owned();
        assert!(reference.starts_with("NRM-2025-"), "{reference}");
        assert_eq!(location, Some(format!("/api/v1/cases/{reference}")));

        let response = app
            .get(&format!("/api/v1/cases/{reference}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers().get("etag").and_then(|v| v.to_str().ok()),
            Some("\"1\"")
        );
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store")
        );
        let case = body(response).await;
        assert_eq!(case["status"], "awaiting_reasonable_grounds");
        assert_eq!(case["kind"], "adult_referral");
        assert_eq!(case["competent_authority"], "sca");
        // Monday 3 Nov 2025 + 5 working days.
        assert_eq!(case["reasonable_grounds_due_on"], "2025-11-10");
        assert_eq!(case["overdue"], false);
        assert_eq!(
            case["personal_details"]["family_name"],
            format!("Family{CANARY}")
        );
        assert_eq!(case["timeline"][0]["type"], "referral_submitted");
        assert!(
            !case["timeline"][0]["data"].to_string().contains(CANARY),
            "personal data in an event"
        );

        let response = app.post_json("/api/v1/referrals/child", &child()).await;
        assert_eq!(response.status(), 201);
        let reference = body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let case = body(
            app.get(&format!("/api/v1/cases/{reference}"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert_eq!(case["age_group"], "child");
        assert_eq!(case["county_lines"], true);

        let response = app
            .post_json("/api/v1/duty-to-notify", &duty_to_notify())
            .await;
        assert_eq!(response.status(), 201);
        let reference = body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(reference.starts_with("DTN-"));
        let case = body(
            app.get(&format!("/api/v1/cases/{reference}"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert_eq!(case["status"], "duty_to_notify");
        assert_eq!(case["personal_details"], Value::Null);
        app
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_refused_with_problem_details_and_nothing_is_stored() {
    each_backend(|app| async move {
        let url = "/api/v1/referrals/adult";
        // Malformed JSON.
        let response = app
            .post(url)
            .header("content-type", "application/json")
            .body("{\"victim\": ")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            problem(response, 400).await["type"],
            "/problems/malformed-json"
        );
        // Not JSON at all.
        let response = app
            .post(url)
            .header("content-type", "text/plain")
            .body("hello")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        problem(response, 415).await;
        // Oversized.
        let mut big = adult();
        big["victim"]["narrative"] = json!("x".repeat(300 * 1024));
        problem(app.post_json(url, &big).await, 413).await;
        // Unknown field.
        let mut unknown = adult();
        unknown["victim"]["favourite_colour"] = json!("blue");
        let p = problem(app.post_json(url, &unknown).await, 422).await;
        assert!(pointers(&p)[0].starts_with("/victim"), "{p}");
        // Missing field.
        let mut missing = adult();
        missing.as_object_mut().map(|o| o.remove("consent"));
        assert_eq!(
            pointers(&problem(app.post_json(url, &missing).await, 422).await),
            vec!["/consent"]
        );
        // Unknown enumeration value.
        let mut unknown_enum = adult();
        unknown_enum["exploitation"]["types"] = json!(["labour", "piracy"]);
        assert_eq!(
            pointers(&problem(app.post_json(url, &unknown_enum).await, 422).await),
            vec!["/exploitation/types/1"]
        );
        // Impossible date.
        let mut impossible = adult();
        impossible["victim"]["date_of_birth"] = json!("1990-02-30");
        assert_eq!(
            pointers(&problem(app.post_json(url, &impossible).await, 422).await),
            vec!["/victim/date_of_birth"]
        );
        // Several domain problems at once, each named.
        let mut wrong = adult();
        wrong["victim"]["date_of_birth"] = json!("2030-01-01");
        wrong["consent"]["informed_consent_to_referral"] = json!(false);
        wrong["profile"]["nationalities"] = json!(["XX"]);
        wrong["exploitation"]["location"]["police_force_areas"] = json!(["atlantis"]);
        let p = problem(app.post_json(url, &wrong).await, 422).await;
        let named = pointers(&p);
        for expected in [
            "/consent/informed_consent_to_referral",
            "/profile/nationalities/0",
            "/exploitation/location/police_force_areas/0",
        ] {
            assert!(
                named.iter().any(|n| n == expected),
                "{expected} missing from {named:?}"
            );
        }
        // The date-of-birth check runs once the shape is valid.
        let mut future = adult();
        future["victim"]["date_of_birth"] = json!("2030-01-01");
        assert_eq!(
            pointers(&problem(app.post_json(url, &future).await, 422).await),
            vec!["/victim/date_of_birth"]
        );
        // An adult referral for someone under 18.
        let mut young = adult();
        young["victim"]["date_of_birth"] = json!("2012-01-01");
        let p = problem(app.post_json(url, &young).await, 422).await;
        assert!(
            p["errors"][0]["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("child referral")
        );
        // A child referral for an adult whose age is not disputed.
        let mut grown = child();
        grown["victim"]["date_of_birth"] = json!("1990-01-01");
        problem(app.post_json("/api/v1/referrals/child", &grown).await, 422).await;
        // County lines without criminal exploitation; an end before a start.
        let mut lines = adult();
        lines["exploitation"]["county_lines"] = json!(true);
        lines["exploitation"]["period"]["ended_on"] = json!("2024-01-01");
        let named = pointers(&problem(app.post_json(url, &lines).await, 422).await);
        assert!(
            named.contains(&"/exploitation/county_lines".to_owned())
                && named.contains(&"/exploitation/period/ended_on".to_owned()),
            "{named:?}"
        );
        // A Duty to Notify report cannot carry identifying details.
        let mut identifying = duty_to_notify();
        identifying["victim"] = support::victim();
        problem(
            app.post_json("/api/v1/duty-to-notify", &identifying).await,
            422,
        )
        .await;

        assert_eq!(
            app.total().await,
            0,
            "a refused submission left something behind"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn the_decision_lifecycle_follows_the_rules() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let case_url = format!("/api/v1/cases/{reference}");
        let rg_url = format!("{case_url}/reasonable-grounds-decision");
        let cg_url = format!("{case_url}/conclusive-grounds-decision");

        // A CG before any RG.
        let p = problem(
            app.change(&cg_url, &decision("positive", "2025-11-03"))
                .await,
            409,
        )
        .await;
        assert_eq!(
            p["type"],
            "/problems/conclusive-grounds-without-reasonable-grounds"
        );
        // An RG dated before the referral, and one in the future.
        problem(
            app.change(&rg_url, &decision("positive", "2025-11-02"))
                .await,
            422,
        )
        .await;
        problem(
            app.change(&rg_url, &decision("positive", "2025-11-04"))
                .await,
            422,
        )
        .await;
        // A negative decision needs its reason; empty reasons are refused.
        let mut no_reason = decision("negative", "2025-11-03");
        no_reason
            .as_object_mut()
            .map(|o| o.remove("negative_reason"));
        assert_eq!(
            pointers(&problem(app.change(&rg_url, &no_reason).await, 422).await),
            vec!["/negative_reason"]
        );
        let mut empty = decision("positive", "2025-11-03");
        empty["reasons"] = json!("  ");
        assert_eq!(
            pointers(&problem(app.change(&rg_url, &empty).await, 422).await),
            vec!["/reasons"]
        );
        // A stale If-Match.
        let response = app
            .post(&rg_url)
            .header("if-match", "\"7\"")
            .json(&decision("positive", "2025-11-03"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(problem(response, 412).await["current_version"], 1);

        // The RG, with the current ETag.
        let response = app
            .post(&rg_url)
            .header("if-match", "\"1\"")
            .json(&decision("positive", "2025-11-03"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), 200);
        let rg = body(response).await;
        assert_eq!(rg["status"], "awaiting_conclusive_grounds");
        assert_eq!(rg["version"], 3);
        // A second RG.
        problem(
            app.change(&rg_url, &decision("negative", "2025-11-03"))
                .await,
            409,
        )
        .await;

        let case = body(
            app.get(&case_url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        // 30 days from 3 Nov 2025.
        assert_eq!(case["conclusive_grounds_earliest_on"], "2025-12-03");
        assert_eq!(case["timeline"][1]["reasons"], format!("Reasons {CANARY}"));
        assert_eq!(case["timeline"][2]["type"], "recovery_period_started");

        // Inside the recovery period, the CG is refused and the rule named.
        app.advance(29);
        let p = problem(
            app.change(&cg_url, &decision("positive", "2025-12-02"))
                .await,
            422,
        )
        .await;
        assert!(
            p["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("2025-12-03"),
            "{p}"
        );
        assert!(
            p["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("Nationality and Borders Act 2022"),
            "{p}"
        );
        app.advance(1);
        let response = app
            .change(&cg_url, &decision("negative", "2025-12-03"))
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            body(response).await["status"],
            "negative_conclusive_grounds"
        );
        problem(
            app.change(&cg_url, &decision("positive", "2025-12-03"))
                .await,
            409,
        )
        .await;

        // Decisions on a Duty to Notify report (no decision maker's scope includes one: the
        // access policy answers "not found"), and on cases that do not exist.
        let dtn = body(
            app.change("/api/v1/duty-to-notify", &duty_to_notify())
                .await,
        )
        .await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        problem(
            app.change(
                &format!("/api/v1/cases/{dtn}/reasonable-grounds-decision"),
                &decision("positive", "2025-12-03"),
            )
            .await,
            404,
        )
        .await;
        problem(
            app.change(
                "/api/v1/cases/NRM-2025-0000-0000/reasonable-grounds-decision",
                &decision("positive", "2025-12-03"),
            )
            .await,
            404,
        )
        .await;
        problem(
            app.get("/api/v1/cases/not-a-reference")
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            404,
        )
        .await;

        // A negative RG closes the route to a CG.
        let other = app.submit_adult().await;
        let response = app
            .change(
                &format!("/api/v1/cases/{other}/reasonable-grounds-decision"),
                &decision("negative", "2025-12-03"),
            )
            .await;
        assert_eq!(response.status(), 200);
        app.advance(60);
        let p = problem(
            app.change(
                &format!("/api/v1/cases/{other}/conclusive-grounds-decision"),
                &decision("positive", "2026-01-20"),
            )
            .await,
            409,
        )
        .await;
        assert_eq!(
            p["type"],
            "/problems/conclusive-grounds-after-negative-reasonable-grounds"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn the_work_queue_filters_sorts_and_pages() {
    each_backend(|app| async move {
        for _ in 0..3 {
            app.submit_adult().await;
        }
        let mut ieca = adult();
        ieca["immigration_cohort"] = json!("immigration_detention");
        assert_eq!(
            app.change("/api/v1/referrals/adult", &ieca).await.status(),
            201
        );
        assert_eq!(
            app.change("/api/v1/referrals/child", &child())
                .await
                .status(),
            201
        );
        assert_eq!(
            app.change("/api/v1/duty-to-notify", &duty_to_notify())
                .await
                .status(),
            201
        );
        app.advance(8);
        let newer = app.submit_adult().await;

        let get = |query: &str| {
            let request = app.get(&format!("/api/v1/cases?{query}"));
            async move { body(request.send().await.unwrap_or_else(|e| panic!("{e}"))).await }
        };
        assert_eq!(get("").await["total"], 7);
        assert_eq!(get("competent_authority=ieca").await["total"], 1);
        assert_eq!(get("age_group=child").await["total"], 1);
        assert_eq!(get("exploitation_type=criminal").await["total"], 1);
        assert_eq!(get("status=duty_to_notify").await["total"], 1);
        assert_eq!(
            get("status=awaiting_reasonable_grounds,duty_to_notify").await["total"],
            7
        );
        // Referred on 3 Nov, due 10 Nov; it is now 11 Nov: five overdue, the newest is not.
        let overdue = get("overdue=true").await;
        assert_eq!(overdue["total"], 5);
        assert!(
            overdue["cases"]
                .as_array()
                .is_some_and(|c| c.iter().all(|c| c["overdue"] == true))
        );
        assert_eq!(get("overdue=false").await["total"], 2);
        let first = get("sort=referred_on&direction=desc&per_page=1").await;
        assert_eq!(first["cases"][0]["reference"], newer);
        assert_eq!(first["total"], 7);
        assert_eq!(first["total_capped"], false);
        let page_one = get("sort=reference&per_page=4").await;
        assert!(
            page_one["previous"].is_null(),
            "the first page has no previous"
        );
        let next = page_one["next"].as_str().unwrap_or_default().to_owned();
        let page_two = get(&format!("sort=reference&per_page=4&cursor={next}")).await;
        assert!(page_two["next"].is_null(), "the second page is the last");
        let previous = page_two["previous"].as_str().unwrap_or_default().to_owned();
        let back = get(&format!("sort=reference&per_page=4&cursor={previous}")).await;
        assert_eq!(
            back["cases"], page_one["cases"],
            "previous leads back to page one"
        );
        let pages: Vec<Value> = [page_one, page_two].into();
        let references: Vec<String> = pages
            .iter()
            .flat_map(|p| p["cases"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c["reference"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(references.len(), 7);
        let mut sorted = references.clone();
        sorted.sort();
        assert_eq!(references, sorted);
        // A cursor is the server's own: made for another sort, altered, or not one at all,
        // it is a 400 problem, never a 500.
        let forged = |plain: &str| {
            plain
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        for bad in [
            "status=lost".to_owned(),
            "overdue=maybe".to_owned(),
            "per_page=1000".to_owned(),
            "sort=name".to_owned(),
            "exploitation_type=piracy".to_owned(),
            format!("sort=referred_on&cursor={next}"),
            format!("sort=reference&direction=desc&cursor={next}"),
            format!("sort=reference&cursor={}", &next[..next.len() - 1]),
            "cursor=zz".to_owned(),
            "cursor=%27%20OR%201%3D1".to_owned(),
            format!("cursor={}", forged("q2|rg|a|n|not-a-date|NRM-1")),
            format!("cursor={}", forged("q2|rg|a|n|2025-01-01|x' OR '1'='1")),
            // A dated sort's place is a case id; the reference sort's is a reference.
            format!(
                "cursor={}",
                forged("q2|rg|a|n|2025-01-01|NRM-2025-K7M3-QX9D")
            ),
            format!(
                "cursor={}",
                forged("q2|reference|a|n||01a244ac-d24b-76b3-ac89-447471919aaf'")
            ),
            // The version before the case id broke a dated sort's ties.
            format!(
                "cursor={}",
                forged("q1|rg|a|n|2025-01-01|NRM-2025-K7M3-QX9D")
            ),
            format!("cursor={}", forged("q9|rg|a|n|2025-01-01|NRM-1")),
            format!("cursor={}", "ab".repeat(200)),
        ] {
            let response = app
                .get(&format!("/api/v1/cases?{bad}"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(response.status(), 400, "{bad}");
            problem(response, 400).await;
        }
        app
    })
    .await;
}

#[tokio::test]
async fn sign_in_is_required_and_the_development_mechanism_can_be_off() {
    let app = App::start_with(nrm_store::testing::sqlite().await, false).await;
    let response = app
        .get("/api/v1/cases")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        problem(response, 401).await["type"],
        "/problems/unauthenticated"
    );
    assert_eq!(
        app.change("/api/v1/referrals/adult", &adult())
            .await
            .status(),
        401
    );
    app.stop().await;

    let app = App::start(nrm_store::testing::sqlite().await).await;
    let anonymous = app
        .client
        .get(format!("{}/api/v1/cases", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    problem(anonymous, 401).await;
    app.stop().await;
}

#[tokio::test]
async fn probes_and_the_openapi_document_are_served() {
    let app = App::start(nrm_store::testing::sqlite().await).await;
    let health = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health.status(), 200);
    let ready = app
        .client
        .get(format!("{}/ready", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ready.status(), 200);
    let response = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    let doc = body(response).await;
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1")
    );
    let paths = doc["paths"]
        .as_object()
        .map(|p| p.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    for path in [
        "/api/v1/referrals/adult",
        "/api/v1/referrals/child",
        "/api/v1/duty-to-notify",
        "/api/v1/cases",
        "/api/v1/cases/{reference}",
        "/api/v1/cases/{reference}/reasonable-grounds-decision",
        "/api/v1/cases/{reference}/conclusive-grounds-decision",
        "/health",
        "/ready",
    ] {
        assert!(
            paths.iter().any(|p| p == path),
            "{path} missing from {paths:?}"
        );
    }
    let missing = app
        .client
        .get(format!("{}/api/v1/nowhere", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    problem(missing, 404).await;
    // Outside the API, a missing address is the GOV.UK "page not found" page.
    let page = app
        .client
        .get(format!("{}/nowhere", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status(), 404);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("Page not found")
    );
    let wrong_method = app
        .client
        .delete(format!("{}/api/v1/cases", app.base))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    problem(wrong_method, 405).await;
    app.stop().await;
}

#[tokio::test]
async fn lifecycle_actions_notices_rulebook_and_sweep_work_over_http() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let case_url = format!("/api/v1/cases/{reference}");
        let actions = format!("{case_url}/actions");

        // Allocation and a request for information, with its deadline on the case.
        let response = app.change(&actions, &json!({"allocate": {"to": "00000000-0000-4000-8000-000000000077"}})).await;
        assert_eq!(response.status(), 200);
        let response = app.change(&actions, &json!({"request_information": {"from": "police"}})).await;
        assert_eq!(response.status(), 200);
        let case = body(app.get(&case_url).send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(case["allocated_to"], "00000000-0000-4000-8000-000000000077");
        let deadlines = case["deadlines"].as_array().cloned().unwrap_or_default();
        assert_eq!(deadlines.len(), 2, "{deadlines:?}");
        // 3 Nov 2025 + 10 working days.
        assert!(deadlines.iter().any(|d| d["due_on"] == "2025-11-17"), "{deadlines:?}");

        // Unknown actions and bad fields are named.
        let p = problem(app.change(&actions, &json!({"teleport": {}})).await, 422).await;
        // The whole body names no known action: the pointer is the document root.
        assert_eq!(pointers(&p), vec![""]);
        assert!(p["errors"][0]["detail"].as_str().unwrap_or_default().contains("withdraw"), "{p}");
        let p = problem(app.change(&actions, &json!({"withdraw": {"on": "2025-11-03", "reason": "bored"}})).await, 422).await;
        assert_eq!(pointers(&p), vec!["/withdraw/reason"]);
        // A rule refusal names the rule.
        let p = problem(app.change(&actions, &json!({"serve_decision": {"decision": "reasonable_grounds", "served_on": "2025-11-03"}})).await, 409).await;
        assert_eq!(p["type"], "/problems/no-decision-to-serve");

        // The sweep, run twice, flags once.
        app.advance(5);
        let sweep = |app: &support::App| app.post("/api/v1/deadline-sweep").send();
        let first = body(sweep(&app).await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(first["changes"], 1);
        let second = body(sweep(&app).await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(second["changes"], 0);
        let due_soon = body(app.get("/api/v1/cases?deadline=due_soon").send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(due_soon["total"], 1);

        // A decision, served, gives notices addressed by role.
        let response = app.change(&format!("{case_url}/reasonable-grounds-decision"), &decision("positive", "2025-11-08")).await;
        assert_eq!(response.status(), 200);
        let response = app.change(&actions, &json!({"serve_decision": {"decision": "reasonable_grounds", "served_on": "2025-11-08"}})).await;
        assert_eq!(response.status(), 200);
        let notices = body(app.get(&format!("{case_url}/notices")).send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        let recipients: Vec<&str> = notices.as_array().map(|n| n.iter().filter_map(|n| n["recipient"].as_str()).collect()).unwrap_or_default();
        assert_eq!(recipients, vec!["potential_victim", "first_responder", "support_provider"]);
        assert!(!notices.to_string().contains(CANARY));
        assert!(notices[0]["body"].as_str().unwrap_or_default().contains("2025-12-08"), "{notices}");

        // Withdrawal, then a decision is refused with the withdrawal named.
        let response = app.change(&actions, &json!({"withdraw": {"on": "2025-11-08", "reason": "consent_withdrawn"}})).await;
        assert_eq!(response.status(), 200);
        let p = problem(app.change(&format!("{case_url}/conclusive-grounds-decision"), &decision("positive", "2025-11-08")).await, 409).await;
        assert!(p["detail"].as_str().unwrap_or_default().contains("withdrawn on 2025-11-08"), "{p}");

        // The rulebook is served read-only with its version and sources.
        let rules = body(app.get("/api/v1/rulebook").send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(rules["version"], "2026.6");
        assert_eq!(rules["recovery_period_minimum_days"][1]["value"], 30);
        app
    })
    .await;
}

// Issue #10 item 2: a negative RG (from December 2022) waits for a second caseworker's review.
#[tokio::test]
async fn a_negative_rg_is_not_served_before_its_review_and_not_reviewed_by_its_maker() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let case_url = format!("/api/v1/cases/{reference}");
        let actions = format!("{case_url}/actions");
        let response = app.change(&format!("{case_url}/reasonable-grounds-decision"), &decision("negative", "2025-11-03")).await;
        assert_eq!(response.status(), 200);
        let case = body(app.get(&case_url).send().await.unwrap_or_else(|e| panic!("{e}"))).await;
        assert_eq!(case["review_pending"], true, "{case}");
        let p = problem(app.change(&actions, &json!({"serve_decision": {"decision": "reasonable_grounds", "served_on": "2025-11-03"}})).await, 409).await;
        assert_eq!(p["type"], "/problems/review-before-service");
        // The caller made the decision, so cannot review it.
        let review = json!({"review_negative_decision": {
            "decision": "reasonable_grounds", "outcome": "agree",
            "reviewed_on": "2025-11-03", "reasons": "Checked against the guidance."
        }});
        let p = problem(app.change(&actions, &review).await, 409).await;
        assert_eq!(p["type"], "/problems/reviewer-is-decision-maker");
        app
    })
    .await;
}

#[tokio::test]
async fn every_read_and_change_is_in_the_case_access_history_and_the_chain_verifies() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let case_url = format!("/api/v1/cases/{reference}");
        for _ in 0..3 {
            let response = app
                .get(&case_url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(response.status(), 200);
        }
        // A refused decision is recorded with its outcome.
        problem(
            app.change(
                &format!("{case_url}/reasonable-grounds-decision"),
                &decision("positive", "2025-11-02"),
            )
            .await,
            422,
        )
        .await;
        let history = body(
            app.get(&format!("{case_url}/access-history"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        let actions: Vec<(String, String)> = history
            .as_array()
            .map(|h| {
                h.iter()
                    .map(|e| {
                        (
                            e["action"].as_str().unwrap_or_default().to_owned(),
                            e["outcome"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            actions,
            vec![
                ("case.submit".to_owned(), "ok".to_owned()),
                // Intake linkage read the details (in memory) to link the referral to a
                // person (issue 14).
                ("person.create".to_owned(), "ok".to_owned()),
                ("case.read_personal".to_owned(), "ok".to_owned()),
                ("case.read_personal".to_owned(), "ok".to_owned()),
                ("case.read_personal".to_owned(), "ok".to_owned()),
                (
                    "decision.reasonable_grounds".to_owned(),
                    "refused:invalid-input".to_owned()
                ),
            ]
        );
        assert!(
            history[0]["user"]
                .as_str()
                .is_some_and(|u| u == support::USER)
        );
        assert!(!history.to_string().contains(CANARY));
        let report = app
            .store
            .store
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(report.is_ok(), "{report:?}");
        app
    })
    .await;
}

#[tokio::test]
async fn security_headers_are_on_every_response_including_errors() {
    let app = App::start(nrm_store::testing::sqlite().await).await;
    let reference = app.submit_adult().await;
    let mut big = adult();
    big["victim"]["narrative"] = json!("x".repeat(300 * 1024));
    let responses = vec![
        app.client.get(format!("{}/health", app.base)).send().await,
        app.client
            .get(format!("{}/api/v1/openapi.json", app.base))
            .send()
            .await,
        app.get(&format!("/api/v1/cases/{reference}")).send().await,
        app.get("/api/v1/cases").send().await,
        app.client.get(format!("{}/nowhere", app.base)).send().await,
        app.client
            .delete(format!("{}/api/v1/cases", app.base))
            .send()
            .await,
        app.client
            .get(format!("{}/api/v1/cases", app.base))
            .send()
            .await,
        app.post("/api/v1/referrals/adult").json(&big).send().await,
        app.post("/api/v1/referrals/adult")
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await,
    ];
    for response in responses {
        let response = response.unwrap_or_else(|e| panic!("{e}"));
        let h = response.headers();
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let status = response.status();
        let csp = get("content-security-policy");
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{status}: CSP {csp}");
        }
        assert!(!csp.contains("unsafe-"), "{status}: CSP {csp}");
        assert!(
            get("strict-transport-security").contains("max-age=31536000")
                && get("strict-transport-security").contains("includeSubDomains")
        );
        assert_eq!(get("x-content-type-options"), "nosniff", "{status}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{status}");
        assert_eq!(get("cache-control"), "no-store", "{status}");
        assert!(!get("x-request-id").is_empty(), "{status}");
    }
    app.stop().await;
}
