//! The First Responder training over HTTP on SQLite and PostgreSQL (issue 11 item 6): the
//! start page nudges an untrained First Responder; the course's pages; the questions with
//! their errors, a failed attempt (nothing recorded) and a pass (recorded with its date and
//! course version); the reminder after the rulebook's period; FRO administrators see who in
//! their own organisation is trained, and no other organisation's.

mod support;

use nrm_access::{Operation, OrganisationKind, Role};
use nrm_domain::ids::UserId;
use support::each_backend;
use support::pages::*;

fn course() -> &'static nrm_domain::training::Course {
    &nrm_domain::training::TrainingRules::current()
        .course_on(chrono::NaiveDate::from_ymd_opt(2025, 11, 3).unwrap_or_default())
        .value
}

/// Every question answered: rightly, or (for `wrong` of them) with another option.
fn answers(token: &str, wrong: usize) -> Vec<(String, String)> {
    let mut out = vec![("form_token".to_owned(), token.to_owned())];
    for (i, q) in course().questions.iter().enumerate() {
        let code = if i < wrong {
            q.options
                .iter()
                .find(|o| o.code != q.answer)
                .map(|o| o.code.clone())
                .unwrap_or_default()
        } else {
            q.answer.clone()
        };
        out.push((q.id.clone(), code));
    }
    out
}

async fn post_owned(
    app: &support::App,
    path: &str,
    cookie: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post(app, path, cookie, &pairs).await
}

async fn user(app: &support::App, email: &str) -> nrm_store::identity::UserRow {
    app.store
        .store
        .user_by_email(email)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no such user"))
}

/// A First Responder in the FRO administrator's organisation; their cookie and email.
async fn colleague(app: &support::App, admin_email: &str) -> (String, String) {
    let organisation = user(app, admin_email).await.organisation;
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let email = format!("{}@example.invalid", uuid::Uuid::new_v4());
    cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(Operation::ManageUsers)
                .unwrap_or_else(|e| panic!("{e}")),
            UserId(uuid::Uuid::new_v4()),
            organisation,
            &email,
            &[Role::FirstResponder],
            PASSWORD,
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let response = sign_in_again(app, &email, &[("next", "/referrals")]).await;
    assert_eq!(response.status(), 303);
    (set_cookie(&response), email)
}

#[tokio::test]
async fn a_first_responder_is_nudged_takes_the_course_fails_passes_and_is_reminded() {
    each_backend(|app| async move {
        let admin_email = account(
            &app,
            "A charity",
            &OrganisationKind::FirstResponderOrganisation,
            Role::FroAdministrator,
        )
        .await;
        let (responder, email) = colleague(&app, &admin_email).await;
        let start = text(get(&app, "/referrals", &responder).await).await;
        assert!(
            start.contains("training-nudge"),
            "an untrained First Responder is nudged"
        );
        assert!(start.contains("You have not completed the First Responder training yet"));
        // In Welsh too, like the rest of the start page; the link says the course is English.
        let welsh = text(get(&app, "/referrals", &format!("{responder}; nrm-lang=cy")).await).await;
        assert!(welsh.contains("<html lang=\"cy\""));
        assert!(
            welsh.contains("Nid ydych wedi cwblhau hyfforddiant yr Ymatebwr Cyntaf eto"),
            "the nudge in Welsh"
        );
        assert!(welsh.contains("Gwneud yr hyfforddiant (yn Saesneg)"));
        assert!(!welsh.contains("You have not completed the First Responder training yet"));
        let page = text(get(&app, "/training", &responder).await).await;
        assert!(page.contains("You have not completed the training yet"));
        for section in &course().sections {
            let shown = get(&app, &format!("/training/{}", section.slug), &responder).await;
            assert_eq!(shown.status(), 200);
            assert!(text(shown).await.contains(&section.title));
        }
        assert_eq!(
            get(&app, "/training/no-such-page", &responder)
                .await
                .status(),
            404
        );
        let questions = text(get(&app, "/training/questions", &responder).await).await;
        let t = token(&questions);
        // Nothing answered: every question's error, nothing recorded.
        let empty = post(
            &app,
            "/training/questions",
            &responder,
            &[("form_token", &t)],
        )
        .await;
        assert_eq!(empty.status(), 422);
        let empty = text(empty).await;
        assert!(empty.contains("govuk-error-summary") && empty.contains("Answer question 1"));
        // Below the pass mark: told so, nothing recorded.
        let total = course().questions.len();
        let most_wrong = total - (course().pass_mark_percent as usize * total).div_ceil(100) + 1;
        let failed = post_owned(
            &app,
            "/training/questions",
            &responder,
            &answers(&t, most_wrong),
        )
        .await;
        assert_eq!(failed.status(), 200);
        assert!(text(failed).await.contains("You did not pass this time"));
        let id = user(&app, &email).await.id;
        assert!(
            app.store
                .store
                .latest_training_completion(id)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
        // Every answer right: passed and recorded with the course version.
        let passed = post_owned(&app, "/training/questions", &responder, &answers(&t, 0)).await;
        assert!(text(passed).await.contains("You have passed"));
        let record = app
            .store
            .store
            .latest_training_completion(id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("recorded"));
        assert_eq!(record.course_version, course().course_version);
        assert_eq!(record.completed_at, now(&app));
        assert_eq!(record.correct as usize, total);
        let entries = app
            .store
            .store
            .audit_entries(0, 100_000)
            .await
            .unwrap_or_default();
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "training.failed")
                .count(),
            1
        );
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "training.passed")
                .count(),
            1
        );
        assert!(
            !text(get(&app, "/referrals", &responder).await)
                .await
                .contains("training-nudge"),
            "no nudge once trained"
        );
        // The reminder: due again after the rulebook's period.
        app.advance(i64::from(course().reminder_days) - 1);
        app.advance_minutes(1);
        let (responder, _) = {
            let r = sign_in_again(&app, &email, &[("next", "/referrals")]).await;
            (set_cookie(&r), ())
        };
        assert!(
            !text(get(&app, "/referrals", &responder).await)
                .await
                .contains("training-nudge"),
            "not yet due"
        );
        app.advance(1);
        app.advance_minutes(1);
        let r = sign_in_again(&app, &email, &[("next", "/referrals")]).await;
        let responder = set_cookie(&r);
        assert!(
            text(get(&app, "/referrals", &responder).await)
                .await
                .contains("training-nudge"),
            "due again"
        );
        assert!(
            text(get(&app, "/training", &responder).await)
                .await
                .contains("due again")
        );
        app
    })
    .await;
}

#[tokio::test]
async fn fro_administrators_see_who_in_their_own_organisation_is_trained() {
    each_backend(|app| async move {
        let admin_email = account(
            &app,
            "A charity",
            &OrganisationKind::FirstResponderOrganisation,
            Role::FroAdministrator,
        )
        .await;
        let (responder, email) = colleague(&app, &admin_email).await;
        let (_, untrained) = colleague(&app, &admin_email).await;
        let questions = text(get(&app, "/training/questions", &responder).await).await;
        let t = token(&questions);
        post_owned(&app, "/training/questions", &responder, &answers(&t, 0)).await;
        let admin = set_cookie(&sign_in_again(&app, &admin_email, &[("next", "/")]).await);
        let records = get(&app, "/training/records", &admin).await;
        assert_eq!(records.status(), 200);
        let records = text(records).await;
        assert!(records.contains(&email) && records.contains(&untrained));
        assert!(records.contains(&course().course_version));
        assert!(records.contains("Not trained") && records.contains("Trained, due"));
        assert!(
            records.contains("1 of 3 people trained"),
            "the two First Responders and the administrator"
        );
        // Another organisation's records: not found, audited.
        let other = account(
            &app,
            "Another charity",
            &OrganisationKind::FirstResponderOrganisation,
            Role::FirstResponder,
        )
        .await;
        let other_org = user(&app, &other).await.organisation;
        let refused = get(
            &app,
            &format!("/training/records?organisation={}", other_org.0),
            &admin,
        )
        .await;
        assert_eq!(refused.status(), 404);
        let entries = app
            .store
            .store
            .audit_entries(0, 100_000)
            .await
            .unwrap_or_default();
        assert!(
            entries
                .iter()
                .any(|e| e.action == "access.read_training_records")
        );
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "training.records")
                .count(),
            1
        );
        // A First Responder does not see the records; a decision maker takes no training.
        assert_eq!(
            get(&app, "/training/records", &responder).await.status(),
            403
        );
        let decider = decision_maker(&app).await;
        assert_eq!(get(&app, "/training", &decider).await.status(), 403);
        // The service's administrators choose an organisation, then see its records.
        let service_admin = account(
            &app,
            "Administrators",
            &OrganisationKind::Administrators,
            Role::Administrator,
        )
        .await;
        let service_admin =
            set_cookie(&sign_in_again(&app, &service_admin, &[("next", "/")]).await);
        let choose = text(get(&app, "/training/records", &service_admin).await).await;
        assert!(choose.contains("A charity"));
        let own_org = user(&app, &admin_email).await.organisation;
        let theirs = text(
            get(
                &app,
                &format!("/training/records?organisation={}", own_org.0),
                &service_admin,
            )
            .await,
        )
        .await;
        assert!(theirs.contains(&email));
        app
    })
    .await;
}
