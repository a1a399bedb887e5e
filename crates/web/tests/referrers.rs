//! Who may refer and who may report, over HTTP on both backends (issue #10 items 6 and 7):
//! administrators record an organisation's nation, First Responder list kind and designation
//! (`/api/v1/organisations/{id}/referrer`, with `If-Match`); a submission the organisation may
//! not make is an RFC 9457 problem naming the rule; the page offering the Duty to Notify report
//! says who may and who may not make one, and a refused report is an error summary on the
//! check page with the answers kept.

mod support;

use serde_json::{Value, json};
use support::pages::{first_responder, get, post, text, title, token};
use support::{App, Identity, body, each_backend};

const ADMIN: Identity = Identity {
    user: "00000000-0000-4000-8000-00000000a001",
    organisation: "00000000-0000-4000-8000-00000000a101",
    kind: "administrators",
    roles: "administrator",
};

fn responder_of(organisation: &str) -> Identity {
    Identity {
        user: "00000000-0000-4000-8000-00000000c001",
        organisation: Box::leak(organisation.to_owned().into_boxed_str()),
        kind: "first_responder_organisation",
        roles: "first_responder",
    }
}

async fn send(app: &App, path: &str, who: Identity, payload: &Value) -> reqwest::Response {
    app.post_as(path, who)
        .json(payload)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn etag(app: &App, id: &str) -> String {
    let response = app
        .get_as(&format!("/api/v1/organisations/{id}/referrer"), ADMIN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn put(app: &App, id: &str, tag: Option<&str>, payload: &Value) -> reqwest::Response {
    let request = app
        .client
        .put(format!("{}/api/v1/organisations/{id}/referrer", app.base));
    let request = support::signed_in(request, ADMIN).json(payload);
    let request = match tag {
        Some(tag) => request.header("if-match", tag),
        None => request,
    };
    request.send().await.unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn submissions_are_judged_on_the_organisations_list_kind_and_nation() {
    each_backend(|app: App| async move {
        // A charity on England's list: it may refer, but the duty to notify is not its.
        let created = send(
            &app,
            "/api/v1/organisations",
            ADMIN,
            &json!({"name": "A charity", "kind": "first_responder_organisation", "nation": "england", "first_responder_list": "salvation-army"}),
        )
        .await;
        assert_eq!(created.status(), 201);
        let id = body(created).await["id"].as_str().unwrap_or_default().to_owned();
        let charity = responder_of(&id);
        let referral = send(&app, "/api/v1/referrals/adult", charity, &support::adult()).await;
        assert_eq!(referral.status(), 201);
        let refused = send(&app, "/api/v1/duty-to-notify", charity, &support::duty_to_notify()).await;
        assert_eq!(refused.status(), 403);
        assert_eq!(
            refused.headers().get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let problem = body(refused).await;
        assert_eq!(problem["type"], "/problems/duty-to-notify-not-for-this-organisation");
        assert!(
            problem["detail"].as_str().is_some_and(|d| d.contains("England")),
            "{problem}"
        );

        // Its settings read back with a version; a change must name it.
        let settings = body(
            app.get_as(&format!("/api/v1/organisations/{id}/referrer"), ADMIN)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert_eq!(
            settings,
            json!({"nation": "england", "first_responder_list": "salvation-army", "designated_from": null, "designated_to": null})
        );
        let council = json!({"nation": "england", "first_responder_list": "local-authority", "designated_from": null, "designated_to": null});
        assert_eq!(put(&app, &id, None, &council).await.status(), 428);
        assert_eq!(put(&app, &id, Some("\"0000000000000000\""), &council).await.status(), 412);
        // A kind that is not on that nation's list is refused with the field named.
        let scottish_police = json!({"nation": "scotland", "first_responder_list": "police", "designated_from": null, "designated_to": null});
        let tag = etag(&app, &id).await;
        let invalid = put(&app, &id, Some(&tag), &scottish_police).await;
        assert_eq!(invalid.status(), 422);
        let problem = body(invalid).await;
        assert!(problem.to_string().contains("/first_responder_list"), "{problem}");
        // Recorded as a council: now its reports are accepted.
        assert_eq!(put(&app, &id, Some(&tag), &council).await.status(), 204);
        assert_ne!(etag(&app, &id).await, tag);
        let report = send(&app, "/api/v1/duty-to-notify", charity, &support::duty_to_notify()).await;
        assert_eq!(report.status(), 201);

        // With no nation and no designation it may no longer refer at all.
        let tag = etag(&app, &id).await;
        let nothing = json!({"nation": null, "first_responder_list": null, "designated_from": null, "designated_to": null});
        assert_eq!(put(&app, &id, Some(&tag), &nothing).await.status(), 204);
        let refused = send(&app, "/api/v1/referrals/adult", charity, &support::adult()).await;
        assert_eq!(refused.status(), 403);
        assert_eq!(
            body(refused).await["type"],
            "/problems/not-a-first-responder-organisation"
        );
        // An organisation that does not exist is not found.
        let nobody = put(&app, "00000000-0000-4000-8000-0000000000ff", Some(&tag), &nothing).await;
        assert_eq!(nobody.status(), 404);
        app
    })
    .await;
}

#[tokio::test]
async fn the_page_says_who_may_report_and_a_refused_report_keeps_its_answers() {
    each_backend(|app: App| async move {
        let cookie = first_responder(&app).await;
        let html = text(get(&app, "/referrals/new", &cookie).await).await;
        assert!(
            html.contains("Who can send a Duty to Notify report"),
            "{html}"
        );
        assert!(html.contains("In England, only: Police forces"), "{html}");
        assert!(
            html.contains("In Scotland, no organisation can send a Duty to Notify report."),
            "{html}"
        );
        assert!(
            html.contains("In Northern Ireland, no organisation"),
            "{html}"
        );

        // The signed-in First Responder's organisation is a police force in England; once it is
        // recorded as Police Scotland, its report is refused on the check page.
        let t = token(&html);
        let created = post(
            &app,
            "/referrals/new",
            &cookie,
            &[("kind", "duty_to_notify"), ("form_token", &t)],
        )
        .await;
        assert_eq!(created.status(), 303);
        let first = support::pages::location(&created);
        let base = first.trim_end_matches("/gender").to_owned();
        let steps: Vec<(String, Vec<(&str, &str)>)> = vec![
            (format!("{base}/gender"), vec![("gender", "female")]),
            (
                format!("{base}/nationality"),
                vec![("nationality", "VN"), ("second_nationality", "")],
            ),
            (
                format!("{base}/age-at-exploitation"),
                vec![("age_at_exploitation", "child")],
            ),
            (
                format!("{base}/exploitation/1"),
                vec![("kind", "criminal"), ("place", "england"), ("country", "")],
            ),
            (format!("{base}/exploitation"), vec![("another", "no")]),
            (
                format!("{base}/county-lines"),
                vec![("county_lines", "yes")],
            ),
            (
                format!("{base}/when"),
                vec![
                    ("started_on-day", "1"),
                    ("started_on-month", "2"),
                    ("started_on-year", "2024"),
                    ("ongoing", "no"),
                ],
            ),
            (
                format!("{base}/organisation"),
                vec![
                    ("organisation_type", "police"),
                    ("immigration_cohort", "none"),
                ],
            ),
        ];
        for (path, answers) in &steps {
            let mut form = answers.clone();
            form.push(("form_token", &t));
            let response = post(&app, path, &cookie, &form).await;
            assert_eq!(response.status(), 303, "{path}");
        }
        let next = format!("{base}/check");
        let check = text(get(&app, &next, &cookie).await).await;
        let version = check
            .split("name=\"version\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned();

        let cases =
            nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
        let admin = cases.administration();
        let capability =
            nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}"));
        let organisations = admin
            .organisations(&capability, support::pages::now(&app))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for org in organisations
            .iter()
            .filter(|o| o.kind == nrm_access::OrganisationKind::FirstResponderOrganisation)
        {
            admin
                .set_referrer(
                    &capability,
                    org.id,
                    &nrm_service::ReferrerSettings {
                        nation: Some(nrm_domain::geography::UkNation::Scotland),
                        first_responder_list: Some("police-scotland".to_owned()),
                        designated_from: None,
                        designated_to: None,
                    },
                    support::pages::now(&app),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let refused = post(
            &app,
            &next,
            &cookie,
            &[("form_token", &t), ("version", &version)],
        )
        .await;
        assert_eq!(refused.status(), 422);
        let html = text(refused).await;
        assert!(title(&html).starts_with("Error: "), "{html}");
        assert!(html.contains("govuk-error-summary"), "{html}");
        assert!(html.contains("href=\"#declaration\""), "{html}");
        assert!(html.contains("id=\"declaration\""), "{html}");
        assert!(
            html.contains("Your organisation cannot send a Duty to Notify report"),
            "{html}"
        );
        // Nothing was sent; the draft is still there to change or delete.
        assert_eq!(app.total().await, 0);
        let list = text(get(&app, "/referrals", &cookie).await).await;
        assert!(list.contains("/continue"), "{list}");
        app
    })
    .await;
}
