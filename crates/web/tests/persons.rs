//! Persons over HTTP on SQLite and PostgreSQL (issue 14): a referral made again is linked to
//! the person at intake and the case shows the earlier one; a possible match is queued and a
//! decision maker reviews it on the pages (error summary, check step, join) and over the API;
//! the person's history; a split needs If-Match; First Responders reach none of it.

mod support;

use serde_json::{Value, json};
use support::pages::*;
use support::{App, RESPONDER, SCA_MANAGER, adult, body, each_backend};

async fn refer(app: &App, body_json: &Value) -> String {
    let response = app.post_json("/api/v1/referrals/adult", body_json).await;
    assert_eq!(response.status(), 201);
    body(response).await["reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The fixture's person again, with an address, the day of birth one off and the sex recorded
/// differently: a possible match, not a certain one.
fn possibly_again() -> Value {
    let mut b = adult();
    b["profile"]["gender"] = json!("female");
    b["victim"]["date_of_birth"] = json!("1995-06-16");
    b["victim"]["other_names"] = json!([]);
    b["victim"]["current_address"] = json!("80 Station Road, Bristol BS1 6QQ");
    b
}

#[tokio::test]
async fn re_referrals_are_flagged_reviewed_and_shown_in_the_person_history() {
    each_backend(|app| async move {
        let first = refer(&app, &adult()).await;
        app.advance(30);
        let second = refer(&app, &adult()).await;
        app.advance(30);
        let third = refer(&app, &possibly_again()).await;

        // The API: the re-referral flag of the second case names the first.
        let flag = app
            .get_as(&format!("/api/v1/cases/{second}/person"), SCA_MANAGER)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flag.status(), 200);
        let flag = body(flag).await;
        assert_eq!(flag["earlier"][0]["reference"], json!(first));
        let person = flag["person"].as_str().unwrap_or_default().to_owned();
        // A First Responder never sees another referral of the person.
        // ASVS v5.0.0-8.2.2 (data-specific, need-to-know access).
        for path in [
            format!("/api/v1/cases/{second}/person"),
            "/api/v1/persons/reviews".to_owned(),
            format!("/api/v1/persons/{person}"),
        ] {
            let r = app
                .get_as(&path, RESPONDER)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.status(), 403, "{path}");
        }
        // The queue holds the possible match, with levels and no values.
        let queue = body(
            app.get_as("/api/v1/persons/reviews", SCA_MANAGER)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        let items = queue.as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 1, "{queue}");
        assert_eq!(items[0]["new"]["reference"], json!(third));
        assert!(items[0]["new"]["details"].is_null());
        let review = items[0]["id"].as_str().unwrap_or_default().to_owned();
        // A split names the version it was decided on.
        let split = app
            .post_as(&format!("/api/v1/persons/{person}/split"), SCA_MANAGER)
            .json(&json!({"references": [second]}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(split.status(), 428);

        // The pages, as a decision maker.
        let dm = decision_maker(&app).await;
        let queue_page = text(get(&app, "/cases", &dm).await).await;
        assert!(
            queue_page.contains("href=\"/persons/reviews\""),
            "the queue links to the reviews"
        );
        let page = text(get(&app, "/persons/reviews", &dm).await).await;
        assert!(page.contains(&third), "the queue lists the new referral");
        let review_page = text(get(&app, &format!("/persons/reviews/{review}"), &dm).await).await;
        assert!(review_page.contains("What agreed and what did not"));
        assert!(review_page.contains("Given names"));
        let t = token(&review_page);
        let empty = post(
            &app,
            &format!("/persons/reviews/{review}"),
            &dm,
            &[("form_token", &t)],
        )
        .await;
        assert_eq!(empty.status(), 422);
        let empty = text(empty).await;
        assert!(title(&empty).starts_with("Error: "));
        assert!(empty.contains("href=\"#decision\""));
        let check = post(
            &app,
            &format!("/persons/reviews/{review}"),
            &dm,
            &[("form_token", &t), ("decision", "join")],
        )
        .await;
        assert_eq!(check.status(), 200);
        assert!(text(check).await.contains("Check your decision"));
        let done = post(
            &app,
            &format!("/persons/reviews/{review}"),
            &dm,
            &[
                ("form_token", &t),
                ("decision", "join"),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert_eq!(location(&done), "/persons/reviews?done=joined");

        // Over the API the decision names the review as read: none is 428, the decided review's
        // ETag is "1", and deciding it again as if open is 412.
        let api = format!("/api/v1/persons/reviews/{review}");
        let read = app
            .get_as(&api, SCA_MANAGER)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.status(), 200);
        assert_eq!(
            read.headers().get("etag").and_then(|v| v.to_str().ok()),
            Some("\"1\"")
        );
        let decide = |if_match: Option<&'static str>| {
            let mut request = app
                .post_as(&format!("{api}/decision"), SCA_MANAGER)
                .json(&serde_json::json!({"decision": "reject"}));
            if let Some(tag) = if_match {
                request = request.header("if-match", tag);
            }
            request.send()
        };
        let status = |r: Result<reqwest::Response, reqwest::Error>| {
            r.map(|r| r.status().as_u16()).unwrap_or(0)
        };
        assert_eq!(status(decide(None).await), 428);
        assert_eq!(status(decide(Some("\"0\"")).await), 412);

        // The case page flags the earlier referrals; the person page lists all three in order.
        let case = text(get(&app, &format!("/cases/{third}"), &dm).await).await;
        assert!(
            case.contains("id=\"re-referral\""),
            "the flag on the case page"
        );
        assert!(case.contains(&first) && case.contains(&second));
        let history = text(get(&app, &format!("/persons/{person}"), &dm).await).await;
        let (a, b, c) = (
            history.find(&first).unwrap_or(usize::MAX),
            history.find(&second).unwrap_or(usize::MAX),
            history.find(&third).unwrap_or(usize::MAX),
        );
        assert!(a < b && b < c && c < usize::MAX, "in date order");
        // A First Responder's pages show none of it.
        let responder = first_responder(&app).await;
        assert_eq!(
            get(&app, "/persons/reviews", &responder).await.status(),
            403
        );
        let theirs = text(get(&app, &format!("/cases/{third}"), &responder).await).await;
        assert!(!theirs.contains("re-referral"));
        app
    })
    .await;
}

/// The token, version and the day's date parts on a lifecycle action's form.
fn action_form(html: &str) -> (String, String) {
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    (token(html), version)
}

#[tokio::test]
async fn s62_a_person_referred_again_gets_another_recovery_period_only_if_the_authority_decides() {
    each_backend(|app| async move {
        let decision = |outcome: &str, on: &str| {
            json!({"outcome": outcome, "decided_on": on, "reasons": "Reasons for the decision"})
        };
        let first = refer(&app, &adult()).await;
        let on = app.today().to_string();
        let rg = app
            .change(
                &format!("/api/v1/cases/{first}/reasonable-grounds-decision"),
                &decision("positive", &on),
            )
            .await;
        assert_eq!(rg.status(), 200, "the first referral's positive RG");
        app.advance(60);
        let second = refer(&app, &adult()).await;
        let on = app.today().to_string();
        let rg = app
            .change(
                &format!("/api/v1/cases/{second}/reasonable-grounds-decision"),
                &decision("positive", &on),
            )
            .await;
        assert_eq!(rg.status(), 200);

        // No CG until the competent authority decides on another recovery period, however long.
        app.advance(45);
        let today = app.today();
        let on = today.to_string();
        let cg_url = format!("/api/v1/cases/{second}/conclusive-grounds-decision");
        let refused = app.change(&cg_url, &decision("positive", &on)).await;
        assert_eq!(refused.status(), 409);
        let refused = body(refused).await;
        assert_eq!(
            refused["type"],
            json!("/problems/conclusive-grounds-before-additional-recovery-decision")
        );
        assert!(
            refused["detail"]
                .as_str()
                .is_some_and(|d| d.contains(&first) && d.contains("s62")),
            "the refusal names the earlier referral and the rule: {refused}"
        );

        // The decision maker is offered the decision on this case only, and makes it on a page.
        let dm = decision_maker(&app).await;
        let page = text(get(&app, &format!("/cases/{second}"), &dm).await).await;
        assert!(page.contains(&format!("/cases/{second}/actions/additional-recovery-period")));
        let other = text(get(&app, &format!("/cases/{first}"), &dm).await).await;
        assert!(!other.contains("/actions/additional-recovery-period"));
        let path = format!("/cases/{second}/actions/additional-recovery-period");
        let (t, version) = action_form(&text(get(&app, &path, &dm).await).await);
        let (day, month, year) = (
            today.format("%-d").to_string(),
            today.format("%-m").to_string(),
            today.format("%Y").to_string(),
        );
        let answers = [
            ("form_token", t.as_str()),
            ("version", version.as_str()),
            ("appropriate", "no"),
            ("decided_on-day", day.as_str()),
            ("decided_on-month", month.as_str()),
            ("decided_on-year", year.as_str()),
            ("reasons", "The exploitation predates the earlier decision"),
        ];
        let check = post(&app, &path, &dm, &answers).await;
        assert_eq!(check.status(), 200);
        assert!(text(check).await.contains("Check before you record"));
        let mut confirmed = answers.to_vec();
        confirmed.push(("confirmed", "yes"));
        let recorded = post(&app, &path, &dm, &confirmed).await;
        assert_eq!(
            location(&recorded),
            format!("/cases/{second}?done=additional-recovery-period")
        );
        // Decided once: the API refuses a second decision in words.
        let again = app
            .change(
                &format!("/api/v1/cases/{second}/actions"),
                &json!({"decide_additional_recovery_period": {"appropriate": true, "decided_on": on, "reasons": "Again"}}),
            )
            .await;
        assert_eq!(again.status(), 409);
        assert_eq!(
            body(again).await["type"],
            json!("/problems/additional-recovery-already-decided")
        );
        // Not appropriate: no recovery period to wait out, so the CG may be made today.
        let cg = app.change(&cg_url, &decision("positive", &on)).await;
        assert_eq!(cg.status(), 200);
        app
    })
    .await;
}
