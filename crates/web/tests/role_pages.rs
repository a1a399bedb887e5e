//! Every role's pages over HTTP on SQLite and PostgreSQL: the home each role lands on after
//! signing in (or the choice between several), the administration home and its audited reads,
//! and the lifecycle actions on the case page: the form, its errors, the check step, the
//! record, a refusal naming the rule and its date in words, a stale version refused, and an
//! action offered only to the roles the policy allows.

mod support;

use nrm_access::{OrganisationKind, Role};
use nrm_domain::event::CompetentAuthority;
use support::each_backend;
use support::pages::*;

/// A new account of `role` in a new organisation of `kind`, signed in; its cookie.
async fn signed_in(app: &support::App, kind: &OrganisationKind, role: Role) -> String {
    let email = account(app, "An organisation", kind, role).await;
    let response = sign_in_again(app, &email, &[("next", "/")]).await;
    assert_eq!(location(&response), "/", "signed in");
    set_cookie(&response)
}

fn sca() -> OrganisationKind {
    OrganisationKind::CompetentAuthority {
        authority: CompetentAuthority::Sca,
    }
}

/// The service navigation's links on a page.
fn navigation(html: &str) -> Vec<String> {
    html.split("govuk-service-navigation__link\" href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn each_role_lands_on_its_own_home_with_only_the_navigation_its_work_needs() {
    each_backend(|app| async move {
        let fro = OrganisationKind::FirstResponderOrganisation;
        for (kind, role, home, nav) in [
            (fro.clone(), Role::FirstResponder, None, vec!["/referrals"]),
            (
                fro.clone(),
                Role::ReferralManager,
                Some("/cases"),
                vec!["/cases"],
            ),
            (
                fro.clone(),
                Role::FroAdministrator,
                Some("/administration"),
                vec!["/administration"],
            ),
            (sca(), Role::DecisionMaker, Some("/cases"), vec!["/cases"]),
            (sca(), Role::CaManager, Some("/cases"), vec!["/cases"]),
            (
                OrganisationKind::AssurancePanel,
                Role::PanelMember,
                Some("/cases"),
                vec!["/cases"],
            ),
            (
                OrganisationKind::SupportProvider,
                Role::SupportProviderWorker,
                Some("/support"),
                vec!["/support"],
            ),
            (
                OrganisationKind::Administrators,
                Role::Administrator,
                Some("/administration"),
                vec!["/administration"],
            ),
        ] {
            let cookie = signed_in(&app, &kind, role).await;
            let landing = get(&app, "/", &cookie).await;
            match home {
                Some(home) => {
                    assert_eq!(landing.status(), 303, "{role:?}");
                    assert_eq!(location(&landing), home, "{role:?}");
                    let page = get(&app, home, &cookie).await;
                    if home != "/support" {
                        // The support area's pages are built by their own work (issue 12).
                        assert_eq!(page.status(), 200, "{role:?} at {home}");
                        assert_eq!(navigation(&text(page).await), nav, "{role:?}");
                    }
                }
                None => {
                    // A First Responder's home is the start page.
                    assert_eq!(landing.status(), 200, "{role:?}");
                    let html = text(landing).await;
                    assert!(html.contains("/referrals/new"), "the start button");
                    assert_eq!(navigation(&html), nav, "{role:?}");
                }
            }
        }
        // An analyst works in two parts of the service and chooses.
        let analyst = signed_in(&app, &OrganisationKind::Analysts, Role::Analyst).await;
        let choice = get(&app, "/", &analyst).await;
        assert_eq!(choice.status(), 200);
        let html = text(choice).await;
        assert!(title(&html).starts_with("What do you want to do?"));
        assert_eq!(navigation(&html), vec!["/cases", "/statistics"]);
        // Someone whose roles open nothing is told so, not shown a page they cannot use.
        let stray = signed_in(&app, &fro, Role::DecisionMaker).await;
        let nothing = get(&app, "/", &stray).await;
        assert_eq!(nothing.status(), 403);
        assert!(text(nothing).await.contains("does not give you access"));
        // A guardian and the guardian service's manager land on the guardians' home.
        for role in [Role::Guardian, Role::GuardianManager] {
            let guardian = signed_in(&app, &OrganisationKind::GuardianService, role).await;
            let landing = get(&app, "/", &guardian).await;
            assert_eq!(landing.status(), 303, "{role:?}");
            assert_eq!(location(&landing), "/guardians", "{role:?}");
            let page = get(&app, "/guardians", &guardian).await;
            assert_eq!(page.status(), 200, "{role:?}");
            assert_eq!(
                navigation(&text(page).await),
                vec!["/guardians"],
                "{role:?}"
            );
        }
        app
    })
    .await;
}

#[tokio::test]
async fn administrators_see_the_accounts_they_manage_and_the_reads_are_audited() {
    each_backend(|app| async move {
        let admin = signed_in(&app, &OrganisationKind::Administrators, Role::Administrator).await;
        let fro_email = account(
            &app,
            "A charity",
            &OrganisationKind::FirstResponderOrganisation,
            Role::FroAdministrator,
        )
        .await;
        let fro_admin = set_cookie(&sign_in_again(&app, &fro_email, &[("next", "/")]).await);
        let page = text(get(&app, "/administration", &admin).await).await;
        assert!(
            page.contains("Organisations, "),
            "administrators see organisations"
        );
        assert!(page.contains(&fro_email), "and every account");
        let own = get(&app, "/administration", &fro_admin).await;
        assert_eq!(own.status(), 200);
        let own = text(own).await;
        assert!(!own.contains("Organisations, "), "not the organisations");
        assert!(
            own.contains(&fro_email),
            "their own organisation's accounts"
        );
        assert_eq!(
            own.matches("govuk-table__row").count(),
            2,
            "only their own organisation's: a header and their own account"
        );
        let audited = app
            .store
            .store
            .audit_entries(0, 100_000)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.action == "account.list")
            .count();
        assert_eq!(audited, 2, "each read of the accounts is audited");
        // Someone else is refused.
        let responder = first_responder(&app).await;
        assert_eq!(get(&app, "/administration", &responder).await.status(), 403);
        // A privileged page needs a recent sign-in, as the API does.
        app.advance_minutes(11);
        let stale = get(&app, "/administration", &admin).await;
        assert_eq!(stale.status(), 303);
        assert!(location(&stale).starts_with("/sign-in?next=%2Fadministration"));
        app
    })
    .await;
}

/// The form token and version on an action's form.
fn form_parts(html: &str) -> (String, String) {
    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    (token(html), version)
}

#[tokio::test]
async fn lifecycle_actions_have_a_check_step_and_refusals_say_the_rule_and_its_date() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let cookie = signed_in(&app, &sca(), Role::DecisionMaker).await;
        let case = text(get(&app, &format!("/cases/{reference}"), &cookie).await).await;
        assert!(case.contains(&format!("/cases/{reference}/actions/request-information")));
        assert!(
            !case.contains("/actions/allocate"),
            "allocation is a manager's, not offered"
        );
        // And not reachable by its address either.
        assert_eq!(
            get(
                &app,
                &format!("/cases/{reference}/actions/allocate"),
                &cookie
            )
            .await
            .status(),
            404
        );
        let path = format!("/cases/{reference}/actions/request-information");
        let (t, version) = form_parts(&text(get(&app, &path, &cookie).await).await);
        let empty = post(
            &app,
            &path,
            &cookie,
            &[("form_token", &t), ("version", &version)],
        )
        .await;
        assert_eq!(empty.status(), 422);
        let empty = text(empty).await;
        assert!(title(&empty).starts_with("Error: "));
        assert!(empty.contains("href=\"#from\""));
        let answers = [
            ("form_token", t.as_str()),
            ("version", version.as_str()),
            ("from", "police"),
        ];
        let check = post(&app, &path, &cookie, &answers).await;
        assert_eq!(check.status(), 200);
        let check = text(check).await;
        assert!(check.contains("Check before you record"));
        assert!(check.contains("The police"));
        let before = app.version(&reference).await;
        assert_eq!(
            before.to_string(),
            version,
            "nothing recorded by the check step"
        );
        // A stale version is refused, not applied over the change.
        let mut stale = answers.to_vec();
        stale[1] = ("version", "999");
        stale.push(("confirmed", "yes"));
        assert_eq!(post(&app, &path, &cookie, &stale).await.status(), 409);
        let mut confirmed = answers.to_vec();
        confirmed.push(("confirmed", "yes"));
        let recorded = post(&app, &path, &cookie, &confirmed).await;
        assert_eq!(
            location(&recorded),
            format!("/cases/{reference}?done=request-information")
        );
        let after = text(
            get(
                &app,
                &format!("/cases/{reference}?done=request-information"),
                &cookie,
            )
            .await,
        )
        .await;
        assert!(after.contains("Information request recorded"));
        assert!(after.contains("Information requested"), "on the timeline");
        assert_eq!(app.version(&reference).await, before + 1);

        // The rules refuse: a case not yet in its recovery period cannot have it extended.
        let path = format!("/cases/{reference}/actions/extend-recovery");
        let (t, version) = form_parts(&text(get(&app, &path, &cookie).await).await);
        let until = app.today() + chrono::Duration::days(90);
        let (d, m, y) = (
            chrono::Datelike::day(&until).to_string(),
            chrono::Datelike::month(&until).to_string(),
            chrono::Datelike::year(&until).to_string(),
        );
        let refused = post(
            &app,
            &path,
            &cookie,
            &[
                ("form_token", t.as_str()),
                ("version", version.as_str()),
                ("until-day", d.as_str()),
                ("until-month", m.as_str()),
                ("until-year", y.as_str()),
                ("confirmed", "yes"),
            ],
        )
        .await;
        assert_eq!(refused.status(), 422);
        let refused = text(refused).await;
        assert!(title(&refused).starts_with("Error: "));
        assert!(
            refused.contains("Only a case in its recovery period"),
            "{refused}"
        );
        assert_eq!(
            app.version(&reference).await,
            before + 1,
            "nothing recorded"
        );

        // A First Responder is offered none of the caseworkers' actions.
        let responder = first_responder(&app).await;
        assert_eq!(
            get(
                &app,
                &format!("/cases/{reference}/actions/request-information"),
                &responder
            )
            .await
            .status(),
            404
        );
        app
    })
    .await;
}

/// A new account with `role` in the same organisation as `colleague`; its email and id.
async fn colleague(app: &support::App, colleague: &str, role: Role) -> (String, String) {
    let store = &app.store.store;
    let organisation = store
        .user_by_email(colleague)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no colleague"))
        .organisation;
    let email = format!("{}@example.invalid", uuid::Uuid::new_v4());
    let cases = nrm_service::Cases::new(store.clone(), nrm_domain::Rulebook::current());
    let created = cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                .unwrap_or_else(|e| panic!("{e}")),
            nrm_domain::ids::UserId(uuid::Uuid::new_v4()),
            organisation,
            &email,
            &[role],
            PASSWORD,
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (email, created.id.0.to_string())
}

#[tokio::test]
async fn a_manager_sees_the_team_allocates_in_bulk_and_a_caseworker_finds_their_cases() {
    each_backend(|app| async move {
        let first = app.submit_adult().await;
        let second = app.submit_adult().await;
        let manager_email =
            account(&app, "Single Competent Authority", &sca(), Role::CaManager).await;
        let manager = set_cookie(&sign_in_again(&app, &manager_email, &[("next", "/")]).await);
        let (worker_email, worker_id) = colleague(&app, &manager_email, Role::DecisionMaker).await;

        let team = text(get(&app, "/cases/team", &manager).await).await;
        assert!(team.contains(&worker_email), "the caseworker's load");
        assert!(
            team.contains("2 open cases are allocated to nobody"),
            "{team}"
        );
        assert!(
            team.contains(&first) && team.contains(&second),
            "offered for allocation"
        );
        let t = token(&team);

        let nothing = post(&app, "/cases/team", &manager, &[("form_token", &t)]).await;
        assert_eq!(nothing.status(), 422);
        let nothing = text(nothing).await;
        assert!(nothing.contains("href=\"#cases\"") && nothing.contains("href=\"#to\""));

        let chosen = [
            ("form_token", t.as_str()),
            ("cases", first.as_str()),
            ("to", worker_id.as_str()),
        ];
        let check = post(&app, "/cases/team", &manager, &chosen).await;
        assert_eq!(check.status(), 200);
        assert!(
            text(check)
                .await
                .contains(&format!("Allocate 1 case to {worker_email}?"))
        );
        let mut confirmed = chosen.to_vec();
        confirmed.push(("confirmed", "yes"));
        let done = post(&app, "/cases/team", &manager, &confirmed).await;
        assert_eq!(location(&done), "/cases/team?allocated=1");
        let team = text(get(&app, "/cases/team?allocated=1", &manager).await).await;
        assert!(team.contains("1 case allocated"));
        assert!(
            team.contains("1 open cases are allocated to nobody"),
            "{team}"
        );

        let unallocated = text(get(&app, "/cases?allocation=unallocated", &manager).await).await;
        assert!(unallocated.contains(&second) && !unallocated.contains(&first));

        let worker = set_cookie(&sign_in_again(&app, &worker_email, &[("next", "/")]).await);
        let mine = text(get(&app, "/cases?allocation=mine", &worker).await).await;
        assert!(title(&mine).starts_with("My cases"));
        assert!(mine.contains(&first) && !mine.contains(&second));
        assert_eq!(
            get(&app, "/cases/team", &worker).await.status(),
            403,
            "a manager's page"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn a_case_is_found_by_its_reference_only_by_those_who_may_read_it() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let decider = signed_in(&app, &sca(), Role::DecisionMaker).await;
        let form = get(&app, "/search", &decider).await;
        assert_eq!(form.status(), 200);
        let found = get(
            &app,
            &format!("/search?reference=+{}+", reference.to_lowercase()),
            &decider,
        )
        .await;
        assert_eq!(location(&found), format!("/cases/{reference}"));
        let empty = get(&app, "/search?reference=", &decider).await;
        assert_eq!(empty.status(), 422);
        assert!(title(&text(empty).await).starts_with("Error: "));
        // Another authority's decision maker is told no such case, as for one that does not exist.
        let ieca = OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Ieca,
        };
        let other = signed_in(&app, &ieca, Role::DecisionMaker).await;
        let hidden = get(&app, &format!("/search?reference={reference}"), &other).await;
        assert_eq!(hidden.status(), 404);
        let hidden = text(hidden).await;
        assert!(hidden.contains("No case you can see has that reference"));
        let missing = get(&app, "/search?reference=NRM-2026-0000-0000", &other).await;
        assert_eq!(missing.status(), 404);
        assert_eq!(
            title(&text(missing).await),
            title(&hidden),
            "the same answer as for a case that does not exist"
        );
        app
    })
    .await;
}

/// The search by name and date of birth: posted (never in a URL), found by a decision maker
/// who may read the person's details (with other spellings), not by another authority's; bad
/// input answered with the error summary, nothing searched.
#[tokio::test]
async fn a_case_is_found_by_name_and_date_of_birth_in_a_post_never_a_url() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let given = format!("Given{}", support::CANARY);
        let family = format!("Family{}", support::CANARY);
        let decider = signed_in(&app, &sca(), Role::DecisionMaker).await;
        let page = text(get(&app, "/search", &decider).await).await;
        assert!(page.contains("method=\"post\" action=\"/search\""));
        let form_token = token(&page);
        let found = post(
            &app,
            "/search",
            &decider,
            &[
                ("form_token", &form_token),
                ("given", &given),
                ("family", &family),
                ("born-day", "15"),
                ("born-month", "6"),
                ("born-year", "1995"),
            ],
        )
        .await;
        assert_eq!(found.status(), 200);
        let html = text(found).await;
        assert!(html.contains("1 case found"), "{html}");
        assert!(html.contains(&format!("href=\"/cases/{reference}\"")));
        assert!(html.contains("Strong match"));
        // Fifteen is not a month: the error summary. Without the date of birth: still found.
        let swapped = text(
            post(
                &app,
                "/search",
                &decider,
                &[
                    ("form_token", &form_token),
                    ("family", &family),
                    ("born-day", "6"),
                    ("born-month", "15"),
                    ("born-year", "1995"),
                ],
            )
            .await,
        )
        .await;
        assert!(swapped.contains("Error: "), "15 is not a month: an error");
        let swapped = text(
            post(
                &app,
                "/search",
                &decider,
                &[
                    ("form_token", &form_token),
                    ("given", &given),
                    ("family", &family),
                ],
            )
            .await,
        )
        .await;
        assert!(swapped.contains(&format!("href=\"/cases/{reference}\"")));
        // A family name alone is too little: the error summary, nothing found.
        let little = post(
            &app,
            "/search",
            &decider,
            &[("form_token", &form_token), ("family", &family)],
        )
        .await;
        assert_eq!(little.status(), 422);
        let little = text(little).await;
        assert!(title(&little).starts_with("Error: "));
        assert!(little.contains("href=\"#given\""));
        assert!(!little.contains(&reference));
        // Without the form token: refused.
        let forged = post(&app, "/search", &decider, &[("family", &family)]).await;
        assert_ne!(forged.status(), 200);
        // Another authority's decision maker finds nothing.
        let ieca = OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Ieca,
        };
        let other = signed_in(&app, &ieca, Role::DecisionMaker).await;
        let other_token = token(&text(get(&app, "/search", &other).await).await);
        let hidden = text(
            post(
                &app,
                "/search",
                &other,
                &[
                    ("form_token", &other_token),
                    ("given", &given),
                    ("family", &family),
                    ("born-day", "15"),
                    ("born-month", "6"),
                    ("born-year", "1995"),
                ],
            )
            .await,
        )
        .await;
        assert!(hidden.contains("No cases found"));
        assert!(!hidden.contains(&reference));
        app
    })
    .await;
}

/// The notices of a served decision, listed and printed (issue 11 item 2): linked from the case
/// page, one row per recipient, each a letter addressed by role with no personal details;
/// another authority's decision maker is told the case does not exist.
#[tokio::test]
async fn a_served_decision_has_its_notices_to_print_for_those_who_may_read_them() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let case_url = format!("/api/v1/cases/{reference}");
        let decision = serde_json::json!({
            "outcome": "positive",
            "decided_on": "2025-11-03",
            "reasons": format!("Reasons {}", support::CANARY),
        });
        let response = app
            .change(&format!("{case_url}/reasonable-grounds-decision"), &decision)
            .await;
        assert_eq!(response.status(), 200);
        let decider = signed_in(&app, &sca(), Role::DecisionMaker).await;
        let case = text(get(&app, &format!("/cases/{reference}"), &decider).await).await;
        assert!(
            !case.contains(&format!("/cases/{reference}/notices")),
            "nothing served yet"
        );
        let response = app
            .change(
                &format!("{case_url}/actions"),
                &serde_json::json!({"serve_decision": {"decision": "reasonable_grounds", "served_on": "2025-11-03"}}),
            )
            .await;
        assert_eq!(response.status(), 200);
        let case = text(get(&app, &format!("/cases/{reference}"), &decider).await).await;
        assert!(case.contains(&format!("href=\"/cases/{reference}/notices\"")));
        let list = get(&app, &format!("/cases/{reference}/notices"), &decider).await;
        assert_eq!(list.status(), 200);
        let list = text(list).await;
        assert_eq!(list.matches("<tr class=\"govuk-table__row\">").count(), 4, "a header and three notices");
        for to in ["The potential victim", "The First Responder", "The support provider"] {
            assert!(list.contains(to), "{to}");
        }
        let letter = get(&app, &format!("/cases/{reference}/notices/1"), &decider).await;
        assert_eq!(letter.status(), 200);
        let letter = text(letter).await;
        assert!(letter.contains("To: The potential victim"));
        assert!(letter.contains(&format!("Case reference: {reference}")));
        assert!(letter.contains("3 November 2025"));
        assert!(letter.contains("govuk-!-display-none-print"));
        assert!(!letter.contains(support::CANARY), "no personal details in a notice");
        for missing in ["0", "4", "x", "-1"] {
            let response = get(&app, &format!("/cases/{reference}/notices/{missing}"), &decider).await;
            assert_eq!(response.status(), 404, "{missing}");
        }
        let ieca = OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Ieca,
        };
        let other = signed_in(&app, &ieca, Role::DecisionMaker).await;
        for path in [
            format!("/cases/{reference}/notices"),
            format!("/cases/{reference}/notices/1"),
        ] {
            assert_eq!(get(&app, &path, &other).await.status(), 404, "{path}");
        }
        app
    })
    .await;
}

/// Sets the service's clock to 10:00 on `on`.
fn clock_to(app: &support::App, on: &str) {
    let day = chrono::NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap_or_default();
    if let Ok(mut t) = app.clock.lock() {
        *t = day.and_hms_opt(10, 0, 0).unwrap_or_default().and_utc();
    }
}

#[tokio::test]
async fn a_negative_cg_made_before_december_2022_is_reviewed_by_a_panel_named_with_its_members() {
    each_backend(|app| async move {
        // An adult referred in June 2022: RG positive, then CG negative in November 2022.
        clock_to(&app, "2022-06-01");
        let mut adult = support::adult();
        adult["consent"]["referral_consent_given_on"] = serde_json::json!("2022-05-30");
        adult["exploitation"]["period"] =
            serde_json::json!({"started_on": "2021-03-01", "ended_on": "2021-09-30", "ongoing": false});
        let created = app.post_json("/api/v1/referrals/adult", &adult).await;
        assert_eq!(created.status(), 201);
        let reference = support::body(created).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let decide = |path: &'static str, outcome: &'static str, on: &'static str| {
            let mut d = serde_json::json!({"outcome": outcome, "decided_on": on, "reasons": "Reasons"});
            if outcome == "negative" {
                d["negative_reason"] = serde_json::json!("insufficient_evidence");
            }
            (format!("/api/v1/cases/{reference}/{path}"), d)
        };
        let (rg, body) = decide("reasonable-grounds-decision", "positive", "2022-06-01");
        assert_eq!(app.change(&rg, &body).await.status(), 200);
        clock_to(&app, "2022-11-15");
        let (cg, body) = decide("conclusive-grounds-decision", "negative", "2022-11-15");
        assert_eq!(app.change(&cg, &body).await.status(), 200);

        // Three assurance panel members; the first records the panel's review.
        clock_to(&app, "2022-11-20");
        let panel = OrganisationKind::AssurancePanel;
        let mut ids = Vec::new();
        let mut emails = Vec::new();
        for _ in 0..3 {
            let email = account(&app, "Assurance panel", &panel, Role::PanelMember).await;
            let user = app
                .store
                .store
                .user_by_email(&email)
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("no account"));
            ids.push(user.id.0.to_string());
            emails.push(email);
        }
        let cookie = set_cookie(&sign_in_again(&app, &emails[0], &[("next", "/")]).await);
        let case = text(get(&app, &format!("/cases/{reference}"), &cookie).await).await;
        assert!(
            case.contains(&format!("/cases/{reference}/actions/panel-review")),
            "the panel's form is offered"
        );
        assert!(
            !case.contains(&format!("/cases/{reference}/actions/review\"")),
            "not the second caseworker's, which the rules of that date do not allow"
        );
        let path = format!("/cases/{reference}/actions/panel-review");
        let form = text(get(&app, &path, &cookie).await).await;
        for email in &emails {
            assert!(form.contains(email.as_str()), "each panel member offered");
        }
        let (t, version) = form_parts(&form);
        let answers = |second_agency: &'static str| {
            vec![
                ("form_token".to_owned(), t.clone()),
                ("version".to_owned(), version.clone()),
                ("outcome".to_owned(), "agree".to_owned()),
                ("chair".to_owned(), ids[0].clone()),
                ("chair_agency".to_owned(), "Home Office".to_owned()),
                ("first_member".to_owned(), ids[1].clone()),
                ("first_member_agency".to_owned(), "Police".to_owned()),
                ("second_member".to_owned(), ids[2].clone()),
                ("second_member_agency".to_owned(), second_agency.to_owned()),
                ("reviewed_on-day".to_owned(), "20".to_owned()),
                ("reviewed_on-month".to_owned(), "11".to_owned()),
                ("reviewed_on-year".to_owned(), "2022".to_owned()),
                ("reasons".to_owned(), "The panel read the file.".to_owned()),
                ("confirmed".to_owned(), "yes".to_owned()),
            ]
        };
        let borrow = |a: &[(String, String)]| {
            a.iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        let before = app.version(&reference).await;
        // Members from one agency: refused in words, nothing recorded.
        let one_agency = borrow(&answers("police"));
        let pairs: Vec<(&str, &str)> = one_agency
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let refused = post(&app, &path, &cookie, &pairs).await;
        assert_eq!(refused.status(), 422);
        let refused = text(refused).await;
        assert!(
            refused.contains("at least two members from different agencies"),
            "{refused}"
        );
        assert_eq!(app.version(&reference).await, before, "nothing recorded");
        // Without `confirmed` the check page names the members.
        let good = borrow(&answers("Local authority"));
        let pairs: Vec<(&str, &str)> = good
            .iter()
            .filter(|(k, _)| k != "confirmed")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let check = text(post(&app, &path, &cookie, &pairs).await).await;
        assert!(check.contains("Check before you record"));
        assert!(check.contains(emails[1].as_str()) && check.contains("Local authority"));
        let pairs: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let recorded = post(&app, &path, &cookie, &pairs).await;
        // Reviewed, the case leaves the panel's queue: back to the queue.
        assert_eq!(location(&recorded), "/cases");
        assert_eq!(app.version(&reference).await, before + 1);
        let decision_maker =
            signed_in(&app, &sca(), Role::DecisionMaker).await;
        let after = text(get(&app, &format!("/cases/{reference}"), &decision_maker).await).await;
        assert!(
            !after.contains(&format!("/cases/{reference}/actions/panel-review")),
            "no panel review is due any more"
        );

        // A case decided now is reviewed by a second caseworker: the panel's form is not
        // offered, and posted anyway it is refused with the rule and its date.
        clock_to(&app, "2025-11-03");
        // Someone else than the fixture's person (whose earlier positive RG would bring s62).
        let mut someone_else = support::adult();
        someone_else["victim"]["given_names"] = serde_json::json!("Wilhelmina");
        someone_else["victim"]["family_name"] = serde_json::json!("Okonkwo-Brandt");
        let response = app
            .post_json("/api/v1/referrals/adult", &someone_else)
            .await;
        assert_eq!(response.status(), 201);
        let recent = support::body(response).await["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let recent_rg = format!("/api/v1/cases/{recent}/reasonable-grounds-decision");
        let positive =
            serde_json::json!({"outcome": "positive", "decided_on": "2025-11-03", "reasons": "Reasons"});
        assert_eq!(app.change(&recent_rg, &positive).await.status(), 200);
        clock_to(&app, "2026-01-05");
        let recent_cg = format!("/api/v1/cases/{recent}/conclusive-grounds-decision");
        let mut negative =
            serde_json::json!({"outcome": "negative", "decided_on": "2026-01-05", "reasons": "Reasons"});
        negative["negative_reason"] = serde_json::json!("insufficient_evidence");
        assert_eq!(app.change(&recent_cg, &negative).await.status(), 200);
        let cookie = set_cookie(&sign_in_again(&app, &emails[0], &[("next", "/")]).await);
        let case = text(get(&app, &format!("/cases/{recent}"), &cookie).await).await;
        assert!(!case.contains("/actions/panel-review"));
        let path = format!("/cases/{recent}/actions/panel-review");
        let (t, version) = form_parts(&text(get(&app, &path, &cookie).await).await);
        let mut late = borrow(&answers("Local authority"));
        late[0].1 = t;
        late[1].1 = version;
        for (k, v) in &mut late {
            match k.as_str() {
                "reviewed_on-month" => *v = "1".to_owned(),
                "reviewed_on-year" => *v = "2026".to_owned(),
                "reviewed_on-day" => *v = "5".to_owned(),
                _ => {}
            }
        }
        let pairs: Vec<(&str, &str)> = late
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let refused = text(post(&app, &path, &cookie, &pairs).await).await;
        assert!(
            refused.contains(
                "made on 5 January 2026 is reviewed by a second caseworker, not a panel (assurance panels ended in December 2022)"
            ),
            "{refused}"
        );
        assert!(case.contains(&format!("/cases/{recent}/actions/review\"")));
        app
    })
    .await;
}

/// Issue 13 item 5: a child with no guardian (outside every ICTG area) is flagged on the case
/// page ahead of turning 18, by the children rulebook's notice; a younger child is not.
#[tokio::test]
async fn a_child_without_a_guardian_is_flagged_ahead_of_turning_18() {
    each_backend(|app| async move {
        let today = app.today();
        let refer = |born: chrono::NaiveDate| {
            let app = &app;
            async move {
                let mut body = support::child();
                body["victim"]["date_of_birth"] = serde_json::json!(born.to_string());
                let response = app.post_json("/api/v1/referrals/child", &body).await;
                assert_eq!(response.status(), 201);
                support::body(response).await["reference"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            }
        };
        let eighteenth = today + chrono::Duration::days(30);
        let born = eighteenth
            .checked_sub_months(chrono::Months::new(18 * 12))
            .unwrap_or_default();
        let soon = refer(born).await;
        let later = refer(today - chrono::Duration::days(12 * 365)).await;
        let cookie = signed_in(&app, &sca(), Role::DecisionMaker).await;
        let page = text(get(&app, &format!("/cases/{soon}"), &cookie).await).await;
        assert!(
            page.contains("Turns 18: plan for the adult route"),
            "the flag is on the case page"
        );
        assert!(page.contains(&eighteenth.format("%-d %B %Y").to_string()));
        let page = text(get(&app, &format!("/cases/{later}"), &cookie).await).await;
        assert!(
            !page.contains("Turns 18"),
            "a twelve-year-old is not flagged"
        );
        app
    })
    .await;
}
