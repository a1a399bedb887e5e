//! The victim support forms over HTTP on SQLite and PostgreSQL (issue 12): an adult referral
//! with consent reaches the prime contractor at intake; its manager allocates it through the
//! form (errors first, then the check step); an emergency referral refused in words when the
//! person does not consent, then made; the RG and CG reach the episode in the decisions' own
//! calls, so the support worker records a Recovery Needs Assessment and the contract manager
//! decides it; an inspection with a required action; the payments ledger; and the case page
//! showing a decision maker the support status and the escalated concern only; then the forms
//! for what only the API did before: a worker assigned, concerns escalated, found and closed, an
//! RNA decision's reconsideration asked, exit and Reach-In, accommodation added and a follow-up
//! inspection.

mod support;

use nrm_access::{OrganisationKind, Role};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_store::support::SupportProviderRow;
use serde_json::json;
use support::pages::*;
use support::{CANARY, each_backend};

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

async fn cookie_for(app: &support::App, email: &str) -> String {
    let response = sign_in_again(app, email, &[("next", "/")]).await;
    assert_eq!(location(&response), "/", "signed in");
    set_cookie(&response)
}

/// The prime contractor with its manager and a support worker: the organisation, the emails
/// and the worker's id.
async fn prime(app: &support::App) -> (OrganisationId, String, String, UserId) {
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let org = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            OrganisationId(uuid::Uuid::new_v4()),
            "Prime Contractor",
            &OrganisationKind::SupportProvider,
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.store
        .store
        .add_support_provider(
            &SupportProviderRow {
                organisation: org,
                name: String::new(),
                parent: None,
                regions: vec!["london".to_owned()],
                services: vec!["accommodation".to_owned()],
            },
            &nrm_store::audit::AuditRecord {
                actor: nrm_domain::Actor::SYSTEM,
                action: "support.add_provider".to_owned(),
                case_id: None,
                outcome: "ok".to_owned(),
                subject: None,
            },
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for role in [Role::SupportManager, Role::SupportProviderWorker] {
        let email = format!("{}@example.invalid", uuid::Uuid::new_v4());
        let id = UserId(uuid::Uuid::new_v4());
        cases
            .administration()
            .add_user(
                &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                    .unwrap_or_else(|e| panic!("{e}")),
                id,
                org,
                &email,
                &[role],
                PASSWORD,
                now(app),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        out.push((email, id));
    }
    (org, out[0].0.clone(), out[1].0.clone(), out[1].1)
}

/// Posts a form (with its token) and returns the response.
async fn post_form(
    app: &support::App,
    path: &str,
    cookie: &str,
    answers: &[(&str, &str)],
) -> reqwest::Response {
    let form = text(get(app, path, cookie).await).await;
    let t = token(&form);
    let mut posted: Vec<(&str, &str)> = vec![("form_token", t.as_str())];
    posted.extend_from_slice(answers);
    post(app, path, cookie, &posted).await
}

/// Posts a form, then its check page; returns the check page's HTML and the final response.
async fn through_check(
    app: &support::App,
    path: &str,
    cookie: &str,
    answers: &[(&str, &str)],
) -> (String, reqwest::Response) {
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
    let version = check
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    posted.retain(|(k, _)| *k != "version");
    posted.push(("version", leak(version)));
    posted.push(("confirmed", "yes"));
    let done = post(app, path, cookie, &posted).await;
    (check, done)
}

/// The first support reference on a page.
fn sup_reference(html: &str) -> String {
    html.split("SUP-")
        .nth(1)
        .map(|r| format!("SUP-{}", &r[..8.min(r.len())]))
        .unwrap_or_default()
}

/// The value of the first radio named `name` on a form.
fn first_radio(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" type=\"radio\" value=\""))
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn support_forms_from_intake_to_an_rna_decision() {
    each_backend(|app| async move {
        let (org, manager_email, worker_email, worker_id) = prime(&app).await;
        let case = app.submit_adult().await;
        let manager = cookie_for(&app, &manager_email).await;
        let worker = cookie_for(&app, &worker_email).await;
        let contract_email = account(
            &app,
            "Contract management",
            &OrganisationKind::ContractManagement,
            Role::ContractManager,
        )
        .await;
        let contract = cookie_for(&app, &contract_email).await;

        // The referral reached the prime contractor at intake, waiting for allocation.
        let home = text(get(&app, "/support", &manager).await).await;
        assert!(home.contains("Awaiting allocation"), "{home}");
        let reference = sup_reference(&home);
        assert_eq!(reference.len(), 12, "{home}");
        let episode = format!("/support/episodes/{reference}");
        let page = text(get(&app, &episode, &manager).await).await;
        assert!(page.contains("Allocate the referral"));

        // Only the prime's manager allocates; bad input is shown back with its errors.
        let allocate = format!("{episode}/record/allocate");
        assert_eq!(get(&app, &allocate, &worker).await.status(), 404);
        assert_eq!(get(&app, &allocate, &contract).await.status(), 404);
        let empty = post_form(&app, &allocate, &manager, &[]).await;
        assert_eq!(empty.status(), 422);
        let empty = text(empty).await;
        assert!(empty.contains("govuk-error-summary"));
        assert!(empty.contains("href=\"#provision\""));
        let worker_choice = leak(format!("{}@{}", worker_id.0, org.0));
        let org_choice = leak(org.0.to_string());
        let (check, done) = through_check(
            &app,
            &allocate,
            &manager,
            &[
                ("provision", "accommodation"),
                ("provider", org_choice),
                ("worker", worker_choice),
            ],
        )
        .await;
        assert!(check.contains("Accommodation in a safe house"));
        assert_eq!(done.status(), 303);
        assert_eq!(location(&done), episode);
        // Allocated: the form is gone; the worker now sees the person.
        assert_eq!(get(&app, &allocate, &manager).await.status(), 404);
        let home = text(get(&app, "/support", &worker).await).await;
        assert!(home.contains(&reference));

        // An emergency referral: refused in words without consent, nothing recorded; then made.
        let emergency = "/support/new/emergency";
        let (_, refused) = through_check(
            &app,
            emergency,
            &manager,
            &[("nation", "england"), ("adult", "yes"), ("consent", "no")],
        )
        .await;
        assert_eq!(refused.status(), 422);
        let refused = text(refused).await;
        assert!(refused.contains("govuk-error-summary"));
        assert!(refused.to_lowercase().contains("consent"), "{refused}");
        let (_, made) = through_check(
            &app,
            emergency,
            &manager,
            &[("nation", "england"), ("adult", "yes"), ("consent", "yes")],
        )
        .await;
        assert_eq!(made.status(), 303);
        let emergency_episode = location(&made);
        assert!(emergency_episode.starts_with("/support/episodes/SUP-"));
        let (_, allocated) = through_check(
            &app,
            &format!("{emergency_episode}/record/allocate"),
            &manager,
            &[
                ("provision", "emergency_accommodation"),
                ("provider", org_choice),
                ("worker", "none"),
            ],
        )
        .await;
        assert_eq!(allocated.status(), 303);

        // A high concern and a low one, through the concern form.
        for (severity, words) in [("high", format!("{CANARY} high")), ("low", format!("{CANARY} low"))] {
            let form = text(get(&app, &format!("{episode}/concern"), &worker).await).await;
            let t = token(&form);
            let version = form
                .split("name=\"version\" value=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_default()
                .to_owned();
            let raised = post(
                &app,
                &format!("{episode}/concern"),
                &worker,
                &[
                    ("form_token", t.as_str()),
                    ("version", version.as_str()),
                    ("kind", "re_trafficking"),
                    ("severity", severity),
                    ("details", words.as_str()),
                ],
            )
            .await;
            assert_eq!(raised.status(), 303);
        }

        // The RG and the CG reach the episode in the decisions' own calls.
        let case_url = format!("/api/v1/cases/{case}");
        let decided = app
            .change(
                &format!("{case_url}/reasonable-grounds-decision"),
                &json!({"outcome": "positive", "decided_on": "2025-11-03", "reasons": "Reasons given."}),
            )
            .await;
        assert_eq!(decided.status(), 200);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("Recovery period support"), "{page}");
        app.advance(31);
        let decided = app
            .change(
                &format!("{case_url}/conclusive-grounds-decision"),
                &json!({"outcome": "positive", "decided_on": app.today().to_string(), "reasons": "Reasons given."}),
            )
            .await;
        assert_eq!(decided.status(), 200);
        // A month on, everyone signs in again.
        let worker = cookie_for(&app, &worker_email).await;
        let contract = cookie_for(&app, &contract_email).await;
        let manager = cookie_for(&app, &manager_email).await;
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("Move-on support"), "{}", page.split("<main").nth(1).unwrap_or_default());

        // The worker records an RNA (a number that is not one is an error first).
        let rna = format!("{episode}/record/rna");
        let mut answers: Vec<(&str, &str)> = vec![
            ("need_accommodation", "ongoing"),
            ("need_health", "met_elsewhere"),
            ("need_mental_health", "ongoing"),
            ("need_legal", "none"),
            ("need_finance", "none"),
            ("need_immigration", "met_elsewhere"),
            ("need_education_and_employment", "none"),
            ("need_safety", "none"),
            ("recommended_days", "many"),
            ("evidence", "Counselling waiting list; no move-on accommodation yet."),
        ];
        let bad = post_form(&app, &rna, &worker, &answers).await;
        assert_eq!(bad.status(), 422);
        assert!(text(bad).await.contains("href=\"#recommended_days\""));
        answers.retain(|(k, _)| *k != "recommended_days");
        answers.push(("recommended_days", "45"));
        let (check, done) = through_check(&app, &rna, &worker, &answers).await;
        assert!(check.contains("Mental health"));
        assert_eq!(done.status(), 303, "{}", text(done).await);
        // The contract manager decides it; the worker cannot.
        let decide = format!("{episode}/record/rna-decision");
        assert_eq!(get(&app, &decide, &worker).await.status(), 404);
        let form = text(get(&app, &decide, &contract).await).await;
        let rna_id = leak(first_radio(&form, "rna"));
        assert_eq!(rna_id.len(), 36, "{form}");
        let (_, done) = through_check(
            &app,
            &decide,
            &contract,
            &[
                ("rna", rna_id),
                ("decision", "approved"),
                ("days_granted", "45"),
                ("reasons", "The needs are evidenced."),
            ],
        )
        .await;
        assert_eq!(done.status(), 303);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("Approved"), "{page}");
        assert!(page.contains("45 days granted"));

        // A safeguarding review: nothing chosen is an error; then recorded, and shown; the
        // contract manager (who does not support the person) has no such form.
        let review = format!("{episode}/record/safeguarding-review");
        assert_eq!(get(&app, &review, &contract).await.status(), 404);
        let bad = post_form(&app, &review, &worker, &[("notes", "")]).await;
        assert_eq!(bad.status(), 422);
        let bad = text(bad).await;
        assert!(bad.contains("href=\"#trigger\""), "{bad}");
        assert!(bad.contains("href=\"#notes\""));
        let (check, done) = through_check(
            &app,
            &review,
            &worker,
            &[
                ("trigger", "scheduled"),
                ("notes", "Settled; no contact from the exploiters; next review in a month."),
            ],
        )
        .await;
        assert!(check.contains("It was due (a scheduled review)"), "{check}");
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("/record/safeguarding-review"), "still offered for the next one");

        // A transition plan: an action without its owner is an error, and so is a plan
        // with no action; then recorded, and the RNA task list shows it done.
        let plan = format!("{episode}/record/transition-plan");
        assert_eq!(get(&app, &plan, &contract).await.status(), 404);
        let due = app.today() + chrono::Duration::days(30);
        let (d, m, y) = (
            leak(due.format("%d").to_string()),
            leak(due.format("%m").to_string()),
            leak(due.format("%Y").to_string()),
        );
        let details = "A council tenancy from next month; counselling continues.";
        let bad = post_form(
            &app,
            &plan,
            &worker,
            &[("plan_1_area", "accommodation"), ("details", details)],
        )
        .await;
        assert_eq!(bad.status(), 422);
        let bad = text(bad).await;
        assert!(bad.contains("href=\"#plan_1_owner\""), "{bad}");
        assert!(bad.contains("href=\"#plan_1_due-day\""));
        let none = post_form(&app, &plan, &worker, &[("details", details)]).await;
        assert_eq!(none.status(), 422);
        assert!(text(none).await.contains("Add at least one action"));
        let (check, done) = through_check(
            &app,
            &plan,
            &worker,
            &[
                ("plan_1_area", "accommodation"),
                ("plan_1_owner", "local_authority"),
                ("plan_1_due-day", d),
                ("plan_1_due-month", m),
                ("plan_1_due-year", y),
                ("details", details),
            ],
        )
        .await;
        assert!(check.contains("The local authority"), "{check}");
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(
            page.contains("1 action") && !page.contains("1 actions"),
            "the task list counts the plan's actions"
        );

        // The ledger: nothing due yet, as a table page for the provider; not for others.
        let payments = format!("{episode}/payments");
        let ledger = text(get(&app, &payments, &worker).await).await;
        assert!(ledger.contains("Owed now"));
        let decision_maker = decision_maker(&app).await;
        assert_eq!(get(&app, &payments, &decision_maker).await.status(), 404);

        // The case page: the decision maker sees support and the escalated concern only.
        let case_page = text(get(&app, &format!("/cases/{case}"), &decision_maker).await).await;
        assert!(case_page.contains("Victim support"), "{case_page}");
        assert!(case_page.contains("Move-on support"));
        assert!(case_page.contains("Safeguarding concerns escalated to the Home Office"));
        assert!(case_page.contains(&format!("{CANARY} high")));
        assert!(!case_page.contains(&format!("{CANARY} low")));

        // An inspection with a required action: an area without a due date is an error.
        let accommodation = nrm_access::support::authorise_support_service(
            &nrm_access::Principal {
                actor: nrm_domain::Actor {
                    user: UserId(uuid::Uuid::new_v4()),
                    organisation: org,
                },
                organisation_kind: OrganisationKind::SupportProvider,
                roles: vec![Role::SupportManager],
                allocated_cases_only: false,
                token_scopes: None,
                authenticated_at: None,
            },
            nrm_access::support::SupportServiceOperation::ManageAccommodation,
        )
        .unwrap_or_else(|_| panic!("manage"));
        let house = nrm_service::Support::new(app.store.store.clone(), nrm_domain::Rulebook::current())
            .add_accommodation(
                &accommodation,
                nrm_domain::support::accommodation::AccommodationType::Catered,
                4,
                "london".to_owned(),
                "1 Safe Street".to_owned(),
                now(&app),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let inspection = "/support/new/inspection";
        assert_eq!(get(&app, inspection, &manager).await.status(), 403);
        let house = leak(house.0.to_string());
        let today = app.today();
        let day = leak(today.format("%d").to_string());
        let month = leak(today.format("%m").to_string());
        let year = leak(today.format("%Y").to_string());

        // The worker places the person in the house, then ends the placement; an
        // accommodation that is not offered is refused, and the contract manager has no form.
        let start = format!("{episode}/record/start-placement");
        assert_eq!(get(&app, &start, &contract).await.status(), 404);
        let form = text(get(&app, &start, &worker).await).await;
        assert!(form.contains(house), "the provider's house is offered");
        let forged = post_form(
            &app,
            &start,
            &worker,
            &[
                ("accommodation", "00000000-0000-4000-8000-000000000001"),
                ("start-day", day),
                ("start-month", month),
                ("start-year", year),
            ],
        )
        .await;
        assert_eq!(forged.status(), 422);
        let began = today - chrono::Duration::days(2);
        let (b_day, b_month, b_year) = (
            leak(began.format("%d").to_string()),
            leak(began.format("%m").to_string()),
            leak(began.format("%Y").to_string()),
        );
        let (_, placed) = through_check(
            &app,
            &start,
            &worker,
            &[
                ("accommodation", house),
                ("start-day", b_day),
                ("start-month", b_month),
                ("start-year", b_year),
            ],
        )
        .await;
        assert_eq!(placed.status(), 303, "{}", text(placed).await);
        assert_eq!(get(&app, &start, &worker).await.status(), 404, "placed already");
        let end = format!("{episode}/record/end-placement");
        let form = text(get(&app, &end, &worker).await).await;
        let placement = leak(first_radio(&form, "placement"));
        assert_eq!(placement.len(), 36, "{form}");
        // Ending it on its first day breaks the rule: refused in words, nothing recorded.
        let (_, refused) = through_check(
            &app,
            &end,
            &worker,
            &[
                ("placement", placement),
                ("end-day", b_day),
                ("end-month", b_month),
                ("end-year", b_year),
                ("reason", "moved_on"),
            ],
        )
        .await;
        let refused = text(refused).await;
        assert!(refused.contains("A placement ends after its start"), "{refused}");
        let (check, ended) = through_check(
            &app,
            &end,
            &worker,
            &[
                ("placement", placement),
                ("end-day", day),
                ("end-month", month),
                ("end-year", year),
                ("reason", "moved_on"),
            ],
        )
        .await;
        assert!(check.contains("Moved on from support accommodation"));
        assert_eq!(ended.status(), 303, "{}", text(ended).await);
        assert_eq!(get(&app, &end, &worker).await.status(), 404, "no open placement");
        let due_year = leak((today + chrono::Duration::days(60)).format("%Y").to_string());
        let mut answers: Vec<(&str, &str)> = vec![
            ("accommodation", house),
            ("inspected_on-day", day),
            ("inspected_on-month", month),
            ("inspected_on-year", year),
            ("rating_safety", "good"),
            ("rating_safeguarding", "good"),
            ("rating_cleanliness", "good"),
            ("rating_staffing", "inadequate"),
            ("rating_wellbeing", "good"),
            ("action_1_area", "staffing"),
        ];
        let bad = post_form(&app, inspection, &contract, &answers).await;
        assert_eq!(bad.status(), 422);
        assert!(text(bad).await.contains("href=\"#action_1_due-day\""));
        answers.extend_from_slice(&[
            ("action_1_due-day", "1"),
            ("action_1_due-month", "6"),
            ("action_1_due-year", due_year),
        ]);
        let (check, done) = through_check(&app, inspection, &contract, &answers).await;
        assert!(check.contains("Inadequate"));
        assert_eq!(done.status(), 303, "{}", text(done).await);
        assert_eq!(location(&done), "/support/inspections");
        let list = text(get(&app, "/support/inspections", &contract).await).await;
        assert!(list.contains("Staffing: Inadequate"), "{list}");
        assert!(list.contains("Required actions"));

        // The provider's manager records the required action as done; the contract manager
        // (who inspects) has no such form.
        let complete = "/support/new/complete-action";
        assert_eq!(get(&app, complete, &contract).await.status(), 403);
        let list = text(get(&app, "/support/inspections", &manager).await).await;
        assert!(list.contains(complete), "{list}");
        let form = text(get(&app, complete, &manager).await).await;
        let action = leak(first_radio(&form, "action"));
        assert!(action.ends_with(":1"), "{form}");
        let bad = post_form(&app, complete, &manager, &[("action", action)]).await;
        assert_eq!(bad.status(), 422);
        assert!(text(bad).await.contains("href=\"#completed_on-day\""));
        let (check, done) = through_check(
            &app,
            complete,
            &manager,
            &[
                ("action", action),
                ("completed_on-day", day),
                ("completed_on-month", month),
                ("completed_on-year", year),
            ],
        )
        .await;
        assert!(check.contains("Staffing at the catered accommodation"), "{check}");
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let list = text(get(&app, "/support/inspections", &manager).await).await;
        assert!(list.contains("Completed "), "{list}");
        let form = text(get(&app, complete, &manager).await).await;
        assert!(form.contains("no required action is open"), "{form}");
        app
    })
    .await;
}

/// Issue 12 item 6 on pages: the provider's manager posts a week's subsistence as due once the
/// week has ended, records a payment and an adjustment with its reason, each through a check
/// page; bad input is shown back with an error summary; a payment of more than is owed is
/// refused in words with nothing recorded; the support worker and the contract manager have
/// no such forms; the ledger shows each line and still balances.
#[tokio::test]
async fn see_a_weekly_payment_posted_through_the_page() {
    each_backend(|app| async move {
        let (org, manager_email, worker_email, _) = prime(&app).await;
        app.submit_adult().await;
        let manager = cookie_for(&app, &manager_email).await;
        let home = text(get(&app, "/support", &manager).await).await;
        let reference = sup_reference(&home);
        let episode = format!("/support/episodes/{reference}");
        let org_choice = leak(org.0.to_string());
        let (_, allocated) = through_check(
            &app,
            &format!("{episode}/record/allocate"),
            &manager,
            &[
                ("provision", "outreach"),
                ("provider", org_choice),
                ("worker", "none"),
            ],
        )
        .await;
        assert_eq!(allocated.status(), 303);
        let week_due = format!("{episode}/record/week-due");
        // No week has ended yet: nothing to post.
        assert_eq!(get(&app, &week_due, &manager).await.status(), 404);

        app.advance(8);
        let manager = cookie_for(&app, &manager_email).await;
        let worker = cookie_for(&app, &worker_email).await;
        let contract_email = account(
            &app,
            "Contract management",
            &OrganisationKind::ContractManagement,
            Role::ContractManager,
        )
        .await;
        let contract = cookie_for(&app, &contract_email).await;
        let payments = format!("{episode}/payments");
        let ledger = text(get(&app, &payments, &manager).await).await;
        assert!(
            ledger.contains("Post a week&#39;s subsistence as due")
                || ledger.contains("Post a week's subsistence as due"),
            "{ledger}"
        );
        for who in [&worker, &contract] {
            assert_eq!(get(&app, &week_due, who).await.status(), 404);
        }
        let form = text(get(&app, &week_due, &manager).await).await;
        let week = leak(first_radio(&form, "week"));
        assert_eq!(week.len(), 10, "{form}");
        let empty = post_form(&app, &week_due, &manager, &[]).await;
        assert_eq!(empty.status(), 422);
        assert!(text(empty).await.contains("href=\"#week\""));
        let (check, done) = through_check(&app, &week_due, &manager, &[("week", week)]).await;
        assert!(check.contains("The week beginning"), "{check}");
        assert_eq!(done.status(), 303, "{}", text(done).await);
        assert_eq!(location(&done), payments);
        let again = get(&app, &week_due, &manager).await;
        if again.status() == 200 {
            let again = text(again).await;
            assert!(!again.contains(&format!("value=\"{week}\"")), "posted once");
        } else {
            assert_eq!(again.status(), 404, "no ended week is left to post");
        }
        let ledger = text(get(&app, &payments, &manager).await).await;
        assert!(
            ledger.contains("Subsistence due for the week beginning"),
            "{ledger}"
        );

        // A payment: an amount that is not one is an error; more than is owed is refused in
        // words; then recorded.
        let payment = format!("{episode}/record/payment");
        assert_eq!(get(&app, &payment, &worker).await.status(), 404);
        let today = app.today();
        let (d, m, y) = (
            leak(today.format("%d").to_string()),
            leak(today.format("%m").to_string()),
            leak(today.format("%Y").to_string()),
        );
        let bad = post_form(
            &app,
            &payment,
            &manager,
            &[
                ("paid_on-day", d),
                ("paid_on-month", m),
                ("paid_on-year", y),
                ("amount", "ten pounds"),
            ],
        )
        .await;
        assert_eq!(bad.status(), 422);
        assert!(text(bad).await.contains("href=\"#amount\""));
        let (_, refused) = through_check(
            &app,
            &payment,
            &manager,
            &[
                ("paid_on-day", d),
                ("paid_on-month", m),
                ("paid_on-year", y),
                ("amount", "10000"),
            ],
        )
        .await;
        assert_eq!(refused.status(), 422);
        let refused = text(refused).await;
        assert!(
            refused.contains("A payment must be between 1p and what is owed"),
            "{refused}"
        );
        let (check, paid) = through_check(
            &app,
            &payment,
            &manager,
            &[
                ("paid_on-day", d),
                ("paid_on-month", m),
                ("paid_on-year", y),
                ("amount", "10.00"),
            ],
        )
        .await;
        assert!(check.contains("10.00"), "{check}");
        assert_eq!(paid.status(), 303, "{}", text(paid).await);

        // An adjustment down, with its reason.
        let adjust = format!("{episode}/record/adjust");
        assert_eq!(get(&app, &adjust, &contract).await.status(), 404);
        let (check, adjusted) = through_check(
            &app,
            &adjust,
            &manager,
            &[
                ("direction", "down"),
                ("amount", "£1.50"),
                ("reason", "overpayment"),
            ],
        )
        .await;
        assert!(check.contains("Money paid that was not due"), "{check}");
        assert_eq!(adjusted.status(), 303, "{}", text(adjusted).await);
        let ledger = text(get(&app, &payments, &manager).await).await;
        assert!(ledger.contains("Paid to the person"), "{ledger}");
        assert!(ledger.contains("−£10.00"));
        assert!(ledger.contains("Adjustment: overpayment"));
        assert!(ledger.contains("−£1.50"));
        assert!(!ledger.contains("does not balance"));
        app
    })
    .await;
}

/// Another support worker of `organisation`: their email and id.
async fn another_worker(app: &support::App, organisation: OrganisationId) -> (String, UserId) {
    let cases = nrm_service::Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current());
    let email = format!("{}@example.invalid", uuid::Uuid::new_v4());
    let id = UserId(uuid::Uuid::new_v4());
    cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                .unwrap_or_else(|e| panic!("{e}")),
            id,
            organisation,
            &email,
            &[Role::SupportProviderWorker],
            PASSWORD,
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (email, id)
}

/// Raises a concern through the concern form.
async fn raise_concern(app: &support::App, episode: &str, cookie: &str, answers: &[(&str, &str)]) {
    let path = format!("{episode}/concern");
    let form = text(get(app, &path, cookie).await).await;
    let t = token(&form);
    let version = form
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let mut posted = vec![("form_token", t.as_str()), ("version", version.as_str())];
    posted.extend_from_slice(answers);
    assert_eq!(post(app, &path, cookie, &posted).await.status(), 303);
}

/// The radio values named `name` on a form.
fn radios(html: &str, name: &str) -> Vec<String> {
    html.split(&format!("name=\"{name}\" type=\"radio\" value=\""))
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// Issue 12 on pages, the actions only the API did before: the provider's manager assigns one
/// of its support workers; the worker escalates a concern, records a missing person found and
/// closes that concern with its outcome; asks for a shortened RNA decision to be reconsidered,
/// once; records the person's exit (the support period's end refused in words while it has
/// not ended) and starts Reach-In support after a positive CG. Each form is offered only while
/// the episode's state allows it, to a caller who may use it (others get "not found"), and bad
/// input gives the error summary.
#[tokio::test]
async fn the_later_support_forms_from_assigning_a_worker_to_reach_in() {
    each_backend(|app| async move {
        let (org, manager_email, worker_email, worker_id) = prime(&app).await;
        let (other_email, other_id) = another_worker(&app, org).await;
        let case = app.submit_adult().await;
        let manager = cookie_for(&app, &manager_email).await;
        let contract_email = account(
            &app,
            "Contract management",
            &OrganisationKind::ContractManagement,
            Role::ContractManager,
        )
        .await;
        let contract = cookie_for(&app, &contract_email).await;
        let home = text(get(&app, "/support", &manager).await).await;
        let reference = sup_reference(&home);
        let episode = format!("/support/episodes/{reference}");
        let assign = format!("{episode}/record/assign-worker");
        // Before allocation there is no provider to choose a worker of.
        assert_eq!(get(&app, &assign, &manager).await.status(), 404);
        let org_choice = leak(org.0.to_string());
        let (_, allocated) = through_check(
            &app,
            &format!("{episode}/record/allocate"),
            &manager,
            &[
                ("provision", "accommodation"),
                ("provider", org_choice),
                ("worker", "none"),
            ],
        )
        .await;
        assert_eq!(allocated.status(), 303);

        // The manager assigns a worker: nothing chosen and a forged one are errors; the
        // contract manager has no such form.
        let page = text(get(&app, &episode, &manager).await).await;
        assert!(page.contains("Assign a support worker"), "{page}");
        assert_eq!(get(&app, &assign, &contract).await.status(), 404);
        let form = text(get(&app, &assign, &manager).await).await;
        let offered = radios(&form, "worker");
        assert!(offered.contains(&worker_id.0.to_string()), "{form}");
        assert!(offered.contains(&other_id.0.to_string()), "{form}");
        let empty = post_form(&app, &assign, &manager, &[]).await;
        assert_eq!(empty.status(), 422);
        let empty = text(empty).await;
        assert!(empty.contains("govuk-error-summary") && empty.contains("href=\"#worker\""));
        let forged = post_form(
            &app,
            &assign,
            &manager,
            &[("worker", "00000000-0000-4000-8000-000000000001")],
        )
        .await;
        assert_eq!(forged.status(), 422);
        let worker_choice = leak(worker_id.0.to_string());
        let (check, done) = through_check(&app, &assign, &manager, &[("worker", worker_choice)]).await;
        assert!(check.contains(&worker_email), "{check}");
        assert_eq!(done.status(), 303, "{}", text(done).await);
        assert_eq!(location(&done), episode);
        let worker = cookie_for(&app, &worker_email).await;
        assert!(text(get(&app, "/support", &worker).await).await.contains(&reference));
        // The worker now assigned is not offered again, and a worker does not reassign.
        let form = text(get(&app, &assign, &manager).await).await;
        assert_eq!(radios(&form, "worker"), vec![other_id.0.to_string()], "{form}");
        assert_eq!(get(&app, &assign, &worker).await.status(), 404);
        let other = cookie_for(&app, &other_email).await;
        assert_eq!(get(&app, &episode, &other).await.status(), 404, "not theirs");

        // Concerns: none yet, so no concern forms.
        let escalate = format!("{episode}/record/escalate-concern");
        let found = format!("{episode}/record/person-found");
        let close = format!("{episode}/record/close-concern");
        for path in [&escalate, &found, &close] {
            assert_eq!(get(&app, path, &worker).await.status(), 404, "{path}");
        }
        raise_concern(
            &app,
            &episode,
            &worker,
            &[("kind", "self_harm"), ("severity", "low"), ("details", "Low mood.")],
        )
        .await;
        raise_concern(
            &app,
            &episode,
            &worker,
            &[
                ("kind", "going_missing"),
                ("severity", "medium"),
                ("details", "Did not return to the house."),
                ("police_reference", "MP/123"),
            ],
        )
        .await;
        // Escalating: only the worker (the contract manager receives escalations).
        assert_eq!(get(&app, &escalate, &contract).await.status(), 404);
        let form = text(get(&app, &escalate, &worker).await).await;
        let concerns = radios(&form, "concern");
        assert_eq!(concerns.len(), 2, "{form}");
        let empty = post_form(&app, &escalate, &worker, &[]).await;
        assert_eq!(empty.status(), 422);
        assert!(text(empty).await.contains("href=\"#concern\""));
        let self_harm = form
            .split("Self harm (low severity)")
            .next()
            .and_then(|before| before.rsplit("value=\"").next())
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned();
        assert!(concerns.contains(&self_harm), "{self_harm}");
        let self_harm = leak(self_harm);
        let (_, done) = through_check(&app, &escalate, &worker, &[("concern", self_harm)]).await;
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("Escalated to the Home Office"), "{page}");
        let form = text(get(&app, &escalate, &worker).await).await;
        assert!(!radios(&form, "concern").contains(&self_harm.to_owned()), "escalated once");
        // The escalated one awaits acknowledgement and the other person is missing: nothing
        // can be closed yet.
        assert_eq!(get(&app, &close, &worker).await.status(), 404);
        let form = text(get(&app, &found, &worker).await).await;
        let missing = radios(&form, "concern");
        assert_eq!(missing.len(), 1, "{form}");
        assert!(!missing.contains(&self_harm.to_owned()));
        let missing = leak(missing[0].clone());
        let (check, done) = through_check(&app, &found, &worker, &[("concern", missing)]).await;
        assert!(check.contains("Going missing"), "{check}");
        assert_eq!(done.status(), 303, "{}", text(done).await);
        assert_eq!(get(&app, &found, &worker).await.status(), 404, "found once");
        // Now the missing person concern can be closed with its outcome (not the escalated
        // one, until the Home Office acknowledges it).
        let form = text(get(&app, &close, &worker).await).await;
        assert_eq!(radios(&form, "concern"), vec![missing.to_owned()], "{form}");
        let bad = post_form(&app, &close, &worker, &[("concern", missing)]).await;
        assert_eq!(bad.status(), 422);
        let bad = text(bad).await;
        assert!(bad.contains("govuk-error-summary") && bad.contains("href=\"#outcome\""));
        assert_eq!(get(&app, &close, &contract).await.status(), 404);
        let (check, done) = through_check(
            &app,
            &close,
            &worker,
            &[("concern", missing), ("outcome", "person_found")],
        )
        .await;
        assert!(check.contains("The missing person was found"), "{check}");
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("Closed"), "{page}");
        assert_eq!(get(&app, &close, &worker).await.status(), 404, "nothing else closable");

        // Move-on support after a positive RG and CG; an RNA shortened by the Home Office.
        let case_url = format!("/api/v1/cases/{case}");
        let decided = app
            .change(
                &format!("{case_url}/reasonable-grounds-decision"),
                &json!({"outcome": "positive", "decided_on": "2025-11-03", "reasons": "Reasons given."}),
            )
            .await;
        assert_eq!(decided.status(), 200);
        app.advance(31);
        let decided = app
            .change(
                &format!("{case_url}/conclusive-grounds-decision"),
                &json!({"outcome": "positive", "decided_on": app.today().to_string(), "reasons": "Reasons given."}),
            )
            .await;
        assert_eq!(decided.status(), 200);
        let worker = cookie_for(&app, &worker_email).await;
        let contract = cookie_for(&app, &contract_email).await;
        let reconsider = format!("{episode}/record/rna-reconsideration");
        assert_eq!(get(&app, &reconsider, &worker).await.status(), 404, "no decision yet");
        let answers: Vec<(&str, &str)> = vec![
            ("need_accommodation", "ongoing"),
            ("need_health", "none"),
            ("need_mental_health", "ongoing"),
            ("need_legal", "none"),
            ("need_finance", "none"),
            ("need_immigration", "none"),
            ("need_education_and_employment", "none"),
            ("need_safety", "none"),
            ("recommended_days", "60"),
            ("evidence", "Counselling starts next month."),
        ];
        let (_, done) = through_check(&app, &format!("{episode}/record/rna"), &worker, &answers).await;
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let decide = format!("{episode}/record/rna-decision");
        let form = text(get(&app, &decide, &contract).await).await;
        let rna_id = leak(first_radio(&form, "rna"));
        let (_, done) = through_check(
            &app,
            &decide,
            &contract,
            &[
                ("rna", rna_id),
                ("decision", "shortened"),
                ("days_granted", "30"),
                ("reasons", "Thirty days meet the evidenced needs."),
            ],
        )
        .await;
        assert_eq!(done.status(), 303);

        // The worker asks for it to be reconsidered, with grounds; the contract manager, who
        // decides, does not ask.
        assert_eq!(get(&app, &reconsider, &contract).await.status(), 404);
        let form = text(get(&app, &reconsider, &worker).await).await;
        assert!(form.contains("30 of the 60 days recommended granted"), "{form}");
        let bad = post_form(&app, &reconsider, &worker, &[("decided_rna", rna_id)]).await;
        assert_eq!(bad.status(), 422);
        assert!(text(bad).await.contains("href=\"#grounds\""));
        let (check, done) = through_check(
            &app,
            &reconsider,
            &worker,
            &[
                ("decided_rna", rna_id),
                ("grounds", "The counselling waiting list is eight weeks."),
            ],
        )
        .await;
        assert!(check.contains("eight weeks"), "{check}");
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("Reconsideration requested"), "{page}");
        assert_eq!(get(&app, &reconsider, &worker).await.status(), 404, "asked once");

        // Exit: the contract manager records none; the end of a support period that has not
        // ended is refused in words, nothing recorded; then the person moves on.
        let exit = format!("{episode}/record/exit");
        let reach_in = format!("{episode}/record/reach-in");
        assert_eq!(get(&app, &exit, &contract).await.status(), 404);
        assert_eq!(get(&app, &reach_in, &worker).await.status(), 404, "not exited");
        let empty = post_form(&app, &exit, &worker, &[]).await;
        assert_eq!(empty.status(), 422);
        assert!(text(empty).await.contains("href=\"#reason\""));
        let (_, refused) = through_check(&app, &exit, &worker, &[("reason", "support_period_ended")]).await;
        assert_eq!(refused.status(), 422);
        let refused = text(refused).await;
        assert!(refused.contains("govuk-error-summary"));
        assert!(refused.contains("The support period has not ended"), "{refused}");
        assert!(text(get(&app, &episode, &worker).await).await.contains("Move-on support"));
        let (check, done) = through_check(&app, &exit, &worker, &[("reason", "moved_on")]).await;
        assert!(check.contains("The person has moved on to other support or independence"));
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("Exited"), "{page}");
        assert!(page.contains("moved on"), "{page}");
        assert_eq!(get(&app, &exit, &worker).await.status(), 404, "exited once");

        // Reach-In: the person exited after a positive CG in England, where the rules of the
        // exit date provide it.
        assert!(page.contains("Start Reach-In support"), "{page}");
        assert_eq!(get(&app, &reach_in, &contract).await.status(), 404);
        let (_, done) = through_check(&app, &reach_in, &worker, &[]).await;
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let page = text(get(&app, &episode, &worker).await).await;
        assert!(page.contains("Reach-In support since"), "{page}");
        assert_eq!(get(&app, &reach_in, &worker).await.status(), 404, "started once");
        // In Reach-In the person is no longer in support: the domain refuses a safeguarding
        // review ("not in support") and a new concern ("support has ended"), so neither is
        // offered.
        assert!(!page.contains("/record/safeguarding-review"), "{page}");
        assert!(!page.contains("Raise a safeguarding concern"), "{page}");
        let review = format!("{episode}/record/safeguarding-review");
        assert_eq!(get(&app, &review, &worker).await.status(), 404);
        app
    })
    .await;
}

/// Issue 12 on pages: the provider's manager adds accommodation (the address only in the
/// vault), and the contract manager records a follow-up of an earlier inspection; bad input
/// gives the error summary, a rule broken is refused in words on the check page, and those
/// without the right are refused.
#[tokio::test]
async fn accommodation_added_and_a_follow_up_inspection_through_the_pages() {
    each_backend(|app| async move {
        let (_, manager_email, worker_email, _) = prime(&app).await;
        let manager = cookie_for(&app, &manager_email).await;
        let worker = cookie_for(&app, &worker_email).await;
        let contract_email = account(
            &app,
            "Contract management",
            &OrganisationKind::ContractManagement,
            Role::ContractManager,
        )
        .await;
        let contract = cookie_for(&app, &contract_email).await;

        let add = "/support/new/accommodation";
        assert!(
            text(get(&app, "/support", &manager).await)
                .await
                .contains(add)
        );
        assert!(
            !text(get(&app, "/support", &worker).await)
                .await
                .contains(add)
        );
        assert_eq!(get(&app, add, &worker).await.status(), 403);
        assert_eq!(get(&app, add, &contract).await.status(), 403);
        let empty = post_form(&app, add, &manager, &[]).await;
        assert_eq!(empty.status(), 422);
        let empty = text(empty).await;
        assert!(empty.contains("govuk-error-summary"));
        for field in ["kind", "capacity", "region", "address"] {
            assert!(empty.contains(&format!("href=\"#{field}\"")), "{field}");
        }
        let address = format!("{CANARY} 2 Harbour Road");
        let mut answers: Vec<(&str, &str)> = vec![
            ("kind", "self_catered"),
            ("capacity", "six"),
            ("region", "north_west"),
            ("address", leak(address.clone())),
        ];
        let bad = post_form(&app, add, &manager, &answers).await;
        assert_eq!(bad.status(), 422);
        assert!(text(bad).await.contains("href=\"#capacity\""));
        // More places than the rules allow: refused in words on the check page.
        answers.retain(|(k, _)| *k != "capacity");
        answers.push(("capacity", "501"));
        let (_, refused) = through_check(&app, add, &manager, &answers).await;
        assert_eq!(refused.status(), 422);
        assert!(
            text(refused)
                .await
                .contains("Capacity must be between 1 and 500 places")
        );
        answers.retain(|(k, _)| *k != "capacity");
        answers.push(("capacity", "6"));
        let (check, done) = through_check(&app, add, &manager, &answers).await;
        assert!(
            check.contains("Self-catered: residents cook for themselves"),
            "{check}"
        );
        assert!(check.contains("North West"));
        assert_eq!(done.status(), 303, "{}", text(done).await);
        assert_eq!(location(&done), "/support");
        let home = text(get(&app, "/support", &manager).await).await;
        assert!(
            home.contains("North west") && home.contains("0 of 6"),
            "{home}"
        );
        assert!(!home.contains(CANARY), "the address stays in the vault");

        // A follow-up needs an earlier inspection; the manager records none.
        let follow = "/support/new/follow-up-inspection";
        assert_eq!(get(&app, follow, &manager).await.status(), 403);
        let list = text(get(&app, "/support/inspections", &contract).await).await;
        assert!(!list.contains(follow), "nothing to follow up yet");
        let form = text(get(&app, follow, &contract).await).await;
        assert!(
            form.contains("no inspection has been recorded yet"),
            "{form}"
        );
        let inspection = "/support/new/inspection";
        let form = text(get(&app, inspection, &contract).await).await;
        let house = leak(first_radio(&form, "accommodation"));
        let earlier = app.today() - chrono::Duration::days(14);
        let today = app.today();
        let parts = |d: chrono::NaiveDate| {
            (
                leak(d.format("%d").to_string()),
                leak(d.format("%m").to_string()),
                leak(d.format("%Y").to_string()),
            )
        };
        let (e_day, e_month, e_year) = parts(earlier);
        let (day, month, year) = parts(today);
        let (due_day, due_month, due_year) = parts(today + chrono::Duration::days(30));
        let (_, done) = through_check(
            &app,
            inspection,
            &contract,
            &[
                ("accommodation", house),
                ("inspected_on-day", e_day),
                ("inspected_on-month", e_month),
                ("inspected_on-year", e_year),
                ("rating_safety", "good"),
                ("rating_safeguarding", "good"),
                ("rating_cleanliness", "inadequate"),
                ("rating_staffing", "good"),
                ("rating_wellbeing", "good"),
                ("action_1_area", "cleanliness"),
                ("action_1_due-day", due_day),
                ("action_1_due-month", due_month),
                ("action_1_due-year", due_year),
            ],
        )
        .await;
        assert_eq!(done.status(), 303, "{}", text(done).await);
        let list = text(get(&app, "/support/inspections", &contract).await).await;
        assert!(list.contains(follow), "{list}");
        let form = text(get(&app, follow, &contract).await).await;
        let follows = leak(first_radio(&form, "follows"));
        assert!(follows.starts_with(&format!("{house}:")), "{form}");
        assert!(form.contains("1 required action open"), "{form}");
        let mut answers: Vec<(&str, &str)> = vec![
            ("follows", follows),
            ("rating_safety", "good"),
            ("rating_safeguarding", "good"),
            ("rating_cleanliness", "good"),
            ("rating_staffing", "good"),
        ];
        let bad = post_form(&app, follow, &contract, &answers).await;
        assert_eq!(bad.status(), 422);
        let bad = text(bad).await;
        assert!(
            bad.contains("href=\"#inspected_on-day\"")
                && bad.contains("href=\"#rating_wellbeing\"")
        );
        answers.push(("rating_wellbeing", "good"));
        // On the day of the inspection it follows: refused in words, nothing recorded.
        let mut same_day = answers.clone();
        same_day.extend_from_slice(&[
            ("inspected_on-day", e_day),
            ("inspected_on-month", e_month),
            ("inspected_on-year", e_year),
        ]);
        let (_, refused) = through_check(&app, follow, &contract, &same_day).await;
        assert_eq!(refused.status(), 422);
        assert!(text(refused).await.contains(
            "A follow-up inspection must follow an earlier inspection of the same accommodation"
        ));
        answers.extend_from_slice(&[
            ("inspected_on-day", day),
            ("inspected_on-month", month),
            ("inspected_on-year", year),
            ("notes", "Kitchen deep-cleaned; rota in place."),
        ]);
        let (check, done) = through_check(&app, follow, &contract, &answers).await;
        assert!(
            check.contains("Which inspection does this follow up?"),
            "{check}"
        );
        assert_eq!(done.status(), 303, "{}", text(done).await);
        assert_eq!(location(&done), "/support/inspections");
        let list = text(get(&app, "/support/inspections", &contract).await).await;
        assert!(list.contains("Follows up"), "{list}");
        assert!(
            list.contains(&format!("The inspection of {}", long_date(earlier))),
            "{list}"
        );
        app
    })
    .await;
}

/// A date as the pages write it ("3 November 2025").
fn long_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike as _;
    format!("{} {} {}", d.day(), d.format("%B"), d.year())
}
