//! Independent Child Trafficking Guardians over HTTP on SQLite and PostgreSQL: a child referral
//! in a covered area reaches the guardian service's manager, who allocates it to a guardian
//! through the form, its errors and the check step; the guardian sees the child on their home,
//! records a contact the same way, and only they read its words; another guardian and other
//! roles get "not found" or "forbidden"; and the API answers the same through the same policy.

mod support;

use nrm_access::{OrganisationKind, Role};
use nrm_domain::ids::{OrganisationId, UserId};
use serde_json::json;
use support::pages::*;
use support::{Identity, body, child, each_backend};

const NOTE: &str = "Met at the foster home; wants to go to college";

/// The guardian service with its manager and two guardians; their emails.
async fn guardian_service(app: &support::App) -> (OrganisationId, Vec<String>) {
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let org = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            OrganisationId(uuid::Uuid::new_v4()),
            "Guardians",
            &OrganisationKind::GuardianService,
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut emails = Vec::new();
    for role in [Role::GuardianManager, Role::Guardian, Role::Guardian] {
        let email = format!("{}@example.invalid", uuid::Uuid::new_v4());
        cases
            .administration()
            .add_user(
                &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                    .unwrap_or_else(|e| panic!("{e}")),
                UserId(uuid::Uuid::new_v4()),
                org,
                &email,
                &[role],
                PASSWORD,
                now(app),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        emails.push(email);
    }
    (org, emails)
}

async fn cookie_for(app: &support::App, email: &str) -> String {
    let response = sign_in_again(app, email, &[("next", "/")]).await;
    assert_eq!(location(&response), "/", "signed in");
    set_cookie(&response)
}

async fn user_id(app: &support::App, email: &str) -> UserId {
    app.store
        .store
        .user_by_email(email)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("user"))
        .id
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Posts a form, then its check page, and returns the final response.
async fn through_check(
    app: &support::App,
    path: &str,
    cookie: &str,
    answers: &[(&str, &str)],
) -> reqwest::Response {
    let form = text(get(app, path, cookie).await).await;
    let t = token(&form);
    let mut posted: Vec<(&str, &str)> = vec![("form_token", t.as_str())];
    posted.extend_from_slice(answers);
    let check = post(app, path, cookie, &posted).await;
    assert_eq!(check.status(), 200, "{path}: the check page");
    let check = text(check).await;
    assert!(
        title(&check).starts_with("Check before you record"),
        "{}",
        title(&check)
    );
    posted.push(("confirmed", "yes"));
    let version = check
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    posted.retain(|(k, _)| *k != "version");
    let version = leak(version);
    posted.push(("version", version));
    post(app, path, cookie, &posted).await
}

// Security target #4 (need to know): a guardian sees only the children allocated to them.
#[tokio::test]
async fn a_child_referred_in_a_covered_area_reaches_a_guardian_over_the_pages() {
    each_backend(|app| async move {
        let mut referral = child();
        referral["local_authority_area"] = json!("Leeds");
        let response = app.post_json("/api/v1/referrals/child", &referral).await;
        assert_eq!(response.status(), 201);
        let reference = body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // A child outside every area gets no guardian.
        let mut kent = child();
        kent["local_authority_area"] = json!("Kent");
        let outside =
            body(app.post_json("/api/v1/referrals/child", &kent).await).await["reference"]
                .as_str()
                .unwrap_or_default()
                .to_owned();

        let (_, emails) = guardian_service(&app).await;
        let manager = cookie_for(&app, &emails[0]).await;
        let home = text(get(&app, "/guardians", &manager).await).await;
        assert!(home.contains("Awaiting allocation"));
        assert!(
            home.contains(&reference),
            "the manager sees the child awaiting allocation"
        );
        assert!(!home.contains(&outside));
        let child_path = format!("/guardians/children/{reference}");
        assert_eq!(
            get(&app, &format!("/guardians/children/{outside}"), &manager)
                .await
                .status(),
            404
        );

        // Allocation: errors first, then the check step, then the record.
        let allocate = format!("{child_path}/allocate");
        let form = text(get(&app, &allocate, &manager).await).await;
        assert!(
            form.contains("Who will be the child&#39;s guardian?")
                || form.contains("Who will be the child's guardian?")
        );
        let t = token(&form);
        let bad = post(&app, &allocate, &manager, &[("form_token", &t)]).await;
        assert_eq!(bad.status(), 422);
        let bad = text(bad).await;
        assert!(bad.contains("govuk-error-summary"));
        assert!(title(&bad).starts_with("Error:"), "{}", title(&bad));
        let guardian_id = user_id(&app, &emails[1]).await.0.to_string();
        let today = app.today();
        let (d, m, y) = (
            today.format("%-d").to_string(),
            today.format("%-m").to_string(),
            today.format("%Y").to_string(),
        );
        // The rules refuse a Regional Practice Coordinator when no one holds PR: said on the
        // check page, nothing recorded.
        let refused = through_check(
            &app,
            &allocate,
            &manager,
            &[
                ("parental_responsibility", "no"),
                ("role", "regional_practice_coordinator"),
                ("exceptional_need", "no"),
                ("worker", &guardian_id),
                ("on-day", &d),
                ("on-month", &m),
                ("on-year", &y),
            ],
        )
        .await;
        assert_eq!(refused.status(), 422);
        assert!(text(refused).await.contains("allocate a Direct Worker"));
        let done = through_check(
            &app,
            &allocate,
            &manager,
            &[
                ("parental_responsibility", "no"),
                ("role", "direct_worker"),
                ("exceptional_need", "no"),
                ("worker", &guardian_id),
                ("on-day", &d),
                ("on-month", &m),
                ("on-year", &y),
            ],
        )
        .await;
        assert_eq!(done.status(), 303);
        assert_eq!(location(&done), format!("{child_path}?done=allocate"));

        // The guardian's home lists the child; their page shows the child's name.
        let guardian = cookie_for(&app, &emails[1]).await;
        let home = text(get(&app, "/guardians", &guardian).await).await;
        assert!(home.contains(&reference));
        assert!(home.contains("Direct Worker"));
        let page = text(get(&app, &child_path, &guardian).await).await;
        assert!(page.contains("Record a contact"));
        assert!(page.contains("Next contact"), "what is due");
        assert!(
            page.contains("Given"),
            "the child's name, for their guardian"
        );
        let contact = through_check(
            &app,
            &format!("{child_path}/contact"),
            &guardian,
            &[
                ("kind", "face_to_face"),
                ("on-day", &d),
                ("on-month", &m),
                ("on-year", &y),
                ("notes", NOTE),
            ],
        )
        .await;
        assert_eq!(contact.status(), 303);
        assert_eq!(location(&contact), format!("{child_path}?done=contact"));
        let page = text(get(&app, &location(&contact), &guardian).await).await;
        assert!(page.contains("Contact recorded"));
        assert!(page.contains(NOTE));

        // Asking for a reconsideration goes to the case's own rules: with no decision yet, the
        // check page says so and nothing is recorded on either side.
        let reconsider = through_check(
            &app,
            &format!("{child_path}/reconsideration"),
            &guardian,
            &[
                ("decision", "reasonable_grounds"),
                ("grounds", "The school has new evidence"),
                ("on-day", &d),
                ("on-month", &m),
                ("on-year", &y),
                ("review_on-day", &d),
                ("review_on-month", &m),
                ("review_on-year", &y),
                ("facing_removal", "no"),
            ],
        )
        .await;
        assert_eq!(reconsider.status(), 422);
        assert!(
            text(reconsider)
                .await
                .contains("That decision has not been made")
        );
        let page = text(get(&app, &child_path, &guardian).await).await;
        assert!(page.contains("No advocacy actions recorded"));
        // Closing because contact is lost needs the missing-person reference.
        let close = format!("{child_path}/close");
        let t = token(&text(get(&app, &close, &guardian).await).await);
        let missing = post(
            &app,
            &close,
            &guardian,
            &[
                ("form_token", &t),
                ("reason", "lost_contact"),
                ("on-day", &d),
                ("on-month", &m),
                ("on-year", &y),
            ],
        )
        .await;
        assert_eq!(missing.status(), 422);
        let missing = text(missing).await;
        assert!(missing.contains("href=\"#missing_person_reference\""));
        assert!(missing.contains("Enter the police reference for the missing person report"));

        // The manager sees the record but not its words, nor the child's name.
        let seen = text(get(&app, &child_path, &manager).await).await;
        assert!(!seen.contains(NOTE));
        assert!(!seen.contains("Given"));
        assert!(
            seen.contains("Only the child&#39;s guardian can read this")
                || seen.contains("Only the child's guardian can read this")
        );
        // Another guardian of the same service: nothing, not even the form.
        let other = cookie_for(&app, &emails[2]).await;
        assert_eq!(get(&app, &child_path, &other).await.status(), 404);
        assert_eq!(
            get(&app, &format!("{child_path}/contact"), &other)
                .await
                .status(),
            404
        );
        assert!(
            !text(get(&app, "/guardians", &other).await)
                .await
                .contains(&reference)
        );
        // The manager cannot record a contact; a guardian cannot allocate.
        assert_eq!(
            get(&app, &format!("{child_path}/contact"), &manager)
                .await
                .status(),
            404
        );
        assert_eq!(get(&app, &allocate, &guardian).await.status(), 404);
        // Other roles have no guardian pages.
        let responder = first_responder(&app).await;
        assert_eq!(get(&app, "/guardians", &responder).await.status(), 403);
        assert_eq!(get(&app, &child_path, &responder).await.status(), 404);
        app
    })
    .await;
}

#[tokio::test]
async fn the_api_lists_reads_and_changes_through_the_same_policy() {
    each_backend(|app| async move {
        let mut referral = child();
        referral["local_authority_area"] = json!("Cardiff");
        let response = app.post_json("/api/v1/referrals/child", &referral).await;
        let reference = body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (org, emails) = guardian_service(&app).await;
        let as_who = |id: UserId, roles: &'static str| Identity {
            user: leak(id.0.to_string()),
            organisation: leak(org.0.to_string()),
            kind: "guardian_service",
            roles,
        };
        let manager = as_who(user_id(&app, &emails[0]).await, "guardian_manager");
        let guardian_user = user_id(&app, &emails[1]).await;
        let guardian = as_who(guardian_user, "guardian");
        let other = as_who(user_id(&app, &emails[2]).await, "guardian");
        let listed = app
            .get_as(
                "/api/v1/guardians/episodes?filter=awaiting_allocation",
                manager,
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(listed.status(), 200);
        let listed = body(listed).await;
        assert_eq!(listed[0]["reference"], json!(reference));
        assert_eq!(listed[0]["area"], json!("wales"));
        let path = format!("/api/v1/guardians/episodes/{reference}");
        let read = app
            .get_as(&path, manager)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.status(), 200);
        let etag = read
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let read = body(read).await;
        assert_eq!(read["status"], json!("awaiting_allocation"));
        assert_eq!(read["due"][0]["kind"], json!("allocation"));
        assert_eq!(read["notes"], json!(null));
        // Without If-Match: 428; with it, allocated.
        let actions = format!("{path}/actions");
        let allocate = json!({"allocate": {
            "worker": guardian_user.0,
            "role": "direct_worker",
            "parental_responsibility_in_uk": false,
            "on": app.today(),
        }});
        let no_tag = app
            .post_as(&actions, manager)
            .json(&allocate)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(no_tag.status(), 428);
        let done = app
            .post_as(&actions, manager)
            .header("if-match", etag.clone())
            .json(&allocate)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(done.status(), 200);
        // A guardian cannot allocate (not theirs to do); an unknown code is a field problem.
        let guardian_allocates = app
            .post_as(&actions, guardian)
            .header("if-match", "\"2\"")
            .json(&allocate)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(guardian_allocates.status(), 404);
        let bad = app
            .post_as(&actions, guardian)
            .header("if-match", "\"2\"")
            .json(
                &json!({"record_contact": {"kind": "telepathy", "on": app.today(), "notes": NOTE}}),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(bad.status(), 422);
        let contact = app
            .post_as(&actions, guardian)
            .header("if-match", "\"2\"")
            .json(&json!({"record_contact": {"kind": "phone", "on": app.today(), "notes": NOTE}}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(contact.status(), 200);
        // A stale version: 412.
        let stale = app
            .post_as(&actions, guardian)
            .header("if-match", "\"2\"")
            .json(&json!({"record_contact": {"kind": "phone", "on": app.today(), "notes": NOTE}}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stale.status(), 412);
        let mine = body(
            app.get_as(&path, guardian)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        let notes = mine["notes"].as_object().cloned().unwrap_or_default();
        assert!(notes.values().any(|v| v == NOTE));
        // Another guardian: not found, and their list is empty.
        let theirs = app
            .get_as(&path, other)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(theirs.status(), 404);
        let list = body(
            app.get_as("/api/v1/guardians/episodes", other)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert_eq!(list, json!([]));
        // Someone outside the guardian service: forbidden.
        let outsider = app
            .get("/api/v1/guardians/episodes")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outsider.status(), 403);
        app
    })
    .await;
}
