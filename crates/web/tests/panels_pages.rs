//! Issue 13 items 2 and 4 over HTTP on SQLite and PostgreSQL: a pilot panel's members convene
//! the panel, prepare its papers and record a decision with attendance (each through a form,
//! a check step and the record); the decision waits in the SCA's assurance queue, which only
//! its assurers open, until assured; served, the child-friendly letter reads in English and
//! Welsh. A panel member of another site never reaches the case.

mod support;

use nrm_access::{OrganisationKind, Role};
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::{OrganisationId, UserId};
use serde_json::json;
use support::each_backend;
use support::pages::*;

fn form_parts(html: &str) -> (String, String) {
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    (token(html), version)
}

/// The values offered for a radio question `name`, in page order.
fn radio_values(html: &str, name: &str) -> Vec<String> {
    html.split("<input")
        .filter(|tag| tag.contains(&format!("name=\"{name}\"")) && tag.contains("type=\"radio\""))
        .filter_map(|tag| {
            tag.split("value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(str::to_owned)
        })
        .collect()
}

async fn sign_in(app: &support::App, email: &str) -> String {
    let response = sign_in_again(app, email, &[("next", "/cases")]).await;
    assert_eq!(response.status(), 303, "signed in");
    set_cookie(&response)
}

/// Fills `path`'s form with `answers`, sees its check page, then records it.
async fn record(app: &support::App, cookie: &str, path: &str, answers: &[(&str, &str)]) -> String {
    let form = text(get(app, path, cookie).await).await;
    let (t, version) = form_parts(&form);
    let mut posted = vec![("form_token", t.as_str()), ("version", version.as_str())];
    posted.extend_from_slice(answers);
    let check = post(app, path, cookie, &posted).await;
    let status = check.status();
    let check = text(check).await;
    assert_eq!(status, 200, "{path}: {check}");
    assert!(check.contains("Check before you record"), "{path}");
    posted.push(("confirmed", "yes"));
    let recorded = post(app, path, cookie, &posted).await;
    let status = recorded.status();
    let at = location(&recorded);
    assert_eq!(status, 303, "{path}: {}", text(recorded).await);
    at
}

#[tokio::test]
async fn a_pilot_panel_convenes_decides_and_is_assured_over_http() {
    each_backend(|app| async move {
        let hull = OrganisationKind::LocalAuthority {
            pilot_site: Some("hull".to_owned()),
        };
        let chair = account(
            &app,
            "Hull City Council",
            &hull,
            Role::LocalAuthorityPanelMember,
        )
        .await;
        let organisation = app
            .store
            .store
            .user_by_email(&chair)
            .await
            .ok()
            .flatten()
            .map(|u| u.organisation)
            .unwrap_or(OrganisationId(uuid::Uuid::nil()));
        let cases =
            nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
        let mut members = Vec::new();
        for _ in 0..3 {
            let email = format!("{}@example.invalid", uuid::Uuid::new_v4());
            cases
                .administration()
                .add_user(
                    &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                        .unwrap_or_else(|e| panic!("{e}")),
                    UserId(uuid::Uuid::new_v4()),
                    organisation,
                    &email,
                    &[Role::LocalAuthorityPanelMember],
                    PASSWORD,
                    now(&app),
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            members.push(email);
        }
        let camden = account(
            &app,
            "Camden",
            &OrganisationKind::LocalAuthority {
                pilot_site: Some("camden".to_owned()),
            },
            Role::LocalAuthorityPanelMember,
        )
        .await;
        let assurer = account(
            &app,
            "SCA",
            &OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            Role::DecisionMaker,
        )
        .await;
        let mut child = support::child();
        child["local_authority_area"] = json!("hull");
        let response = app.post_json("/api/v1/referrals/child", &child).await;
        assert_eq!(response.status(), 201);
        let reference = support::body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let case_path = format!("/cases/{reference}");

        let panel = sign_in(&app, &chair).await;
        let other_site = sign_in(&app, &camden).await;
        assert_eq!(get(&app, &case_path, &other_site).await.status(), 404);
        let page = text(get(&app, &case_path, &panel).await).await;
        assert!(page.contains("Convene the panel"));
        // The panel decides at its meetings, not through the single decision maker's form.
        assert!(!page.contains(&format!("{case_path}/reasonable-grounds\"")));

        // Convene: the chair and the social care, police and health members from the site's
        // panel accounts.
        let convene = format!("{case_path}/actions/convene-panel");
        let form = text(get(&app, &convene, &panel).await).await;
        let accounts = radio_values(&form, "chair");
        assert_eq!(accounts.len(), 4, "the site's four panel accounts");
        let today = app.today();
        let (d, m, y) = (
            today.format("%-d").to_string(),
            today.format("%-m").to_string(),
            today.format("%Y").to_string(),
        );
        let done = record(
            &app,
            &panel,
            &convene,
            &[
                ("meets_on-day", &d),
                ("meets_on-month", &m),
                ("meets_on-year", &y),
                ("chair", &accounts[0]),
                ("chair_agency", "childrens_social_care"),
                ("chair_lead_social_worker", "no"),
                ("social_care_member", &accounts[1]),
                ("police_member", &accounts[2]),
                ("health_member", &accounts[3]),
            ],
        )
        .await;
        assert_eq!(done, format!("{case_path}?done=convene-panel"));

        // The papers: the referral and the agencies' information.
        let papers = format!("{case_path}/actions/panel-papers");
        let meeting = radio_values(&text(get(&app, &papers, &panel).await).await, "meeting");
        assert_eq!(meeting.len(), 1);
        let mut answers = vec![("meeting", meeting[0].as_str())];
        for (name, answer) in [
            ("paper_referral", "yes"),
            ("paper_childrens_social_care", "yes"),
            ("paper_police", "yes"),
            ("paper_health", "yes"),
            ("paper_education", "no"),
            ("paper_childs_views", "yes"),
            ("paper_guardian", "no"),
            ("paper_immigration", "no"),
            ("paper_first_responder", "no"),
        ] {
            answers.push((name, answer));
        }
        record(&app, &panel, &papers, &answers).await;

        // The decision, with attendance: without health present it is refused with the rule.
        let decision = format!("{case_path}/actions/panel-decision");
        let mut answers = vec![
            ("meeting", meeting[0].as_str()),
            ("decision", "reasonable_grounds"),
            ("outcome", "negative"),
            ("negative_reason", "insufficient_evidence"),
            ("chair_present", "yes"),
            ("social_care_present", "yes"),
            ("police_present", "yes"),
            ("health_present", "no"),
            (
                "reasons",
                "The information gathered did not meet the threshold",
            ),
        ];
        let form = text(get(&app, &decision, &panel).await).await;
        let (t, version) = form_parts(&form);
        let mut posted = vec![("form_token", t.as_str()), ("version", version.as_str())];
        posted.extend_from_slice(&answers);
        posted.push(("confirmed", "yes"));
        let refused = post(&app, &decision, &panel, &posted).await;
        assert_eq!(refused.status(), 422);
        assert!(text(refused).await.contains("health"));
        answers[7] = ("health_present", "yes");
        record(&app, &panel, &decision, &answers).await;

        // The SCA's assurance queue: its assurers only.
        assert_eq!(get(&app, "/assurance", &panel).await.status(), 403);
        let sca = sign_in(&app, &assurer).await;
        let queue = text(get(&app, "/assurance", &sca).await).await;
        assert!(queue.contains(&reference), "{queue}");
        assert!(
            text(get(&app, "/cases", &sca).await)
                .await
                .contains("/assurance")
        );
        let page = text(get(&app, &case_path, &sca).await).await;
        assert!(page.contains("Quality-assure a pilot panel"));
        record(
            &app,
            &sca,
            &format!("{case_path}/actions/assure-panel-decision"),
            &[
                ("decision", "reasonable_grounds"),
                ("outcome", "agree"),
                ("reviewed_on-day", &d),
                ("reviewed_on-month", &m),
                ("reviewed_on-year", &y),
                ("reasons", "The decision follows from the papers"),
            ],
        )
        .await;
        let queue = text(get(&app, "/assurance", &sca).await).await;
        assert!(!queue.contains(&reference));
        // Assured, the case is the panel's alone again.
        assert_eq!(get(&app, &case_path, &sca).await.status(), 404);

        // Served on the local authority; the letter for the child, in English and Welsh.
        record(
            &app,
            &panel,
            &format!("{case_path}/actions/serve"),
            &[
                ("decision", "reasonable_grounds"),
                ("served_on-day", &d),
                ("served_on-month", &m),
                ("served_on-year", &y),
                ("legal_representative", "no"),
            ],
        )
        .await;
        let page = text(get(&app, &case_path, &panel).await).await;
        let letter_path = format!("{case_path}/child-letter/reasonable-grounds");
        assert!(page.contains(&letter_path));
        let letter = text(get(&app, &letter_path, &panel).await).await;
        assert!(letter.contains("Our decision about your case"), "{letter}");
        let welsh = text(get(&app, &format!("{letter_path}?lang=cy"), &panel).await).await;
        assert!(welsh.contains("Ein penderfyniad am eich achos"));
        assert!(welsh.contains("lang=\"cy\""));
        app
    })
    .await;
}

/// Issue 13 item 5 over HTTP on both engines: two children turn 18 during their cases (the
/// sweep turn moves them on); the case page offers the SCA's manager the consent-to-support
/// question only while it is open, through a form and a check page ("no": recorded only); the
/// API records the other's "yes" (which refers them to adult support) and refuses a second
/// answer as an RFC 9457 problem.
#[tokio::test]
async fn the_consent_to_support_question_at_18_is_answered_on_the_case_page_and_the_api() {
    each_backend(|app| async move {
        let manager = account(
            &app,
            "SCA",
            &OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            Role::CaManager,
        )
        .await;
        let turns_18 = app.today() + chrono::Duration::days(10);
        let born = chrono::Datelike::with_year(&turns_18, chrono::Datelike::year(&turns_18) - 18)
            .unwrap_or(turns_18);
        let mut references = Vec::new();
        for _ in 0..2 {
            let mut child = support::child();
            child["victim"]["date_of_birth"] = json!(born.to_string());
            let response = app.post_json("/api/v1/referrals/child", &child).await;
            assert_eq!(response.status(), 201);
            references.push(
                support::body(response).await["reference"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        let cookie = sign_in(&app, &manager).await;
        let case_path = format!("/cases/{}", references[0]);
        let form_path = format!("{case_path}/actions/consent-to-support");
        // Still a child: no question, and its form is not found.
        let page = text(get(&app, &case_path, &cookie).await).await;
        assert!(!page.contains("consent-to-support"));
        assert_eq!(get(&app, &form_path, &cookie).await.status(), 404);

        app.advance(10);
        let cases =
            nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
        let report = cases
            .review_guardian_ages(now(&app))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.cases_turned_18, 2);

        // Ten days on, the session has ended: sign in again.
        let cookie = sign_in(&app, &manager).await;
        let page = text(get(&app, &case_path, &cookie).await).await;
        assert!(
            page.contains("Turned 18: ask the young adult the consent-to-support question"),
            "{}",
            page.split("Due dates").nth(1).unwrap_or(&page)
        );
        assert!(page.contains(&form_path));
        // Nothing answered: the error summary names the question.
        let form = text(get(&app, &form_path, &cookie).await).await;
        let (t, version) = form_parts(&form);
        let empty = post(
            &app,
            &form_path,
            &cookie,
            &[("form_token", t.as_str()), ("version", version.as_str())],
        )
        .await;
        let empty = text(empty).await;
        assert!(empty.contains("govuk-error-summary"));
        assert!(empty.contains("#consents"));
        let today = app.today();
        let (d, m, y) = (
            chrono::Datelike::day(&today).to_string(),
            chrono::Datelike::month(&today).to_string(),
            chrono::Datelike::year(&today).to_string(),
        );
        let at = record(
            &app,
            &cookie,
            &form_path,
            &[
                ("consents", "no"),
                ("on-day", d.as_str()),
                ("on-month", m.as_str()),
                ("on-year", y.as_str()),
            ],
        )
        .await;
        assert!(at.starts_with(&case_path), "{at}");
        let page = text(get(&app, &at, &cookie).await).await;
        assert!(page.contains("Answer to the consent-to-support question recorded"));
        assert!(!page.contains(&form_path));
        assert_eq!(get(&app, &form_path, &cookie).await.status(), 404);

        // The API: the other young adult's yes, then a second answer refused in words.
        let actions = format!("/api/v1/cases/{}/actions", references[1]);
        let answer =
            json!({"answer_consent_to_support": {"on": today.to_string(), "consents": true}});
        let response = app.change(&actions, &answer).await;
        assert_eq!(response.status(), 200, "{}", text(response).await);
        let again = app.change(&actions, &answer).await;
        assert_eq!(again.status(), 409);
        assert_eq!(
            again
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        assert!(text(again).await.contains("has been answered"));
        app
    })
    .await;
}
