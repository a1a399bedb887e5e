//! The GOV.UK pages over HTTP on SQLite and PostgreSQL: assets and their headers, sign-in,
//! the per-session form token, a whole Duty to Notify journey, a page reached out of order,
//! errors kept with the answers, and a check-answers form sent twice making one case.
//! (The browser tests in `e2e/` drive the same pages in Chromium with axe-core.)

mod support;

use support::pages::*;
use support::{CANARY, each_backend};

// ASVS v5.0.0-3.4.1, v5.0.0-3.4.3
#[tokio::test]
async fn assets_are_fingerprinted_cached_for_a_year_and_carry_the_security_headers() {
    each_backend(|app| async move {
        let css = nrm_govuk::assets::url("govuk-frontend.min.css");
        let response = get(&app, css, "").await;
        assert_eq!(response.status(), 200);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-type"), "text/css; charset=utf-8");
        assert_eq!(
            header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert!(header("strict-transport-security").starts_with("max-age="));
        assert!(header("content-security-policy").contains("default-src 'self'"));
        assert_eq!(get(&app, "/assets/nothing.css", "").await.status(), 404);
        let page = get(&app, "/", "").await;
        let csp = page
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        let html = text(page).await;
        assert!(html.contains("OFFICIAL-SENSITIVE"));
        assert!(
            html.contains(css),
            "the page links the fingerprinted stylesheet"
        );
        app
    })
    .await;
}

#[tokio::test]
async fn pages_send_strangers_to_sign_in_and_refuse_forms_without_the_session_token() {
    each_backend(|app| async move {
        let response = get(&app, "/referrals", "").await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/sign-in?next=%2Freferrals");
        let failed = post(
            &app,
            "/sign-in",
            "",
            &[
                ("email", "nobody@example.invalid"),
                ("password", "x"),
                ("code", "000000"),
            ],
        )
        .await;
        assert_eq!(failed.status(), 422);
        let html = text(failed).await;
        assert!(title(&html).starts_with("Error: "), "{}", title(&html));
        assert!(html.contains("govuk-error-summary"));
        assert!(
            html.contains("value=\"nobody@example.invalid\""),
            "the email is kept"
        );

        let cookie = first_responder(&app).await;
        let list = text(get(&app, "/referrals", &cookie).await).await;
        let form_token = token(&list);
        assert_eq!(form_token.len(), 32);
        let refused = post(
            &app,
            "/referrals/new",
            &cookie,
            &[("kind", "duty_to_notify")],
        )
        .await;
        assert_eq!(refused.status(), 403, "no form token");
        let forged = post(
            &app,
            "/referrals/new",
            &cookie,
            &[("kind", "adult"), ("form_token", "0")],
        )
        .await;
        assert_eq!(forged.status(), 403, "wrong form token");
        assert_eq!(app.total().await, 0);
        app
    })
    .await;
}

#[tokio::test]
async fn a_duty_to_notify_journey_is_saved_at_every_step_and_sent_once() {
    each_backend(|app| async move {
        let cookie = first_responder(&app).await;
        let t = token(&text(get(&app, "/referrals/new", &cookie).await).await);
        let created = post(
            &app,
            "/referrals/new",
            &cookie,
            &[("kind", "duty_to_notify"), ("form_token", &t)],
        )
        .await;
        assert_eq!(created.status(), 303);
        let first = location(&created);
        let base = first.trim_end_matches("/gender").to_owned();
        assert!(first.ends_with("/gender"), "{first}");

        // Out of order: sent back to the first unanswered question.
        let early = get(&app, &format!("{base}/organisation"), &cookie).await;
        assert_eq!(early.status(), 303);
        assert_eq!(location(&early), first);

        // A missing answer: the GOV.UK error pattern.
        let missing = post(&app, &first, &cookie, &[("form_token", &t)]).await;
        assert_eq!(missing.status(), 422);
        let html = text(missing).await;
        assert!(title(&html).starts_with("Error: "));
        assert!(
            html.contains("href=\"#gender\""),
            "the summary links to the field"
        );

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
                    ("started_on-day", "31"),
                    ("started_on-month", "2"),
                    ("started_on-year", "2024"),
                    ("ended_on-day", ""),
                    ("ended_on-month", ""),
                    ("ended_on-year", ""),
                    ("ongoing", "no"),
                ],
            ),
        ];
        for (path, answers) in &steps {
            let mut form = answers.clone();
            form.push(("form_token", &t));
            let response = post(&app, path, &cookie, &form).await;
            if path.ends_with("/when") {
                // 31 February: refused, the typed date kept.
                assert_eq!(response.status(), 422, "{path}");
                let html = text(response).await;
                assert!(html.contains("must be a real date"), "{html}");
                assert!(html.contains("value=\"31\""));
                continue;
            }
            assert_eq!(response.status(), 303, "{path}");
        }
        // Only the part at fault is highlighted when one part is missing.
        let partial = post(
            &app,
            &format!("{base}/when"),
            &cookie,
            &[
                ("started_on-day", "1"),
                ("started_on-month", ""),
                ("started_on-year", "2024"),
                ("ongoing", "no"),
                ("form_token", &t),
            ],
        )
        .await;
        let html = text(partial).await;
        assert!(input_tag(&html, "started_on-month").contains("govuk-input--error"));
        assert!(!input_tag(&html, "started_on-day").contains("govuk-input--error"));
        assert!(html.contains("must include a month"));
        let when = post(
            &app,
            &format!("{base}/when"),
            &cookie,
            &[
                ("started_on-day", "1"),
                ("started_on-month", "2"),
                ("started_on-year", "2024"),
                ("ongoing", "no"),
                ("form_token", &t),
            ],
        )
        .await;
        assert_eq!(location(&when), format!("{base}/organisation"));
        let organisation = post(
            &app,
            &format!("{base}/organisation"),
            &cookie,
            &[
                ("organisation_type", "police"),
                ("immigration_cohort", "none"),
                ("form_token", &t),
            ],
        )
        .await;
        assert_eq!(location(&organisation), format!("{base}/check"));
        let check = text(get(&app, &format!("{base}/check"), &cookie).await).await;
        assert!(check.contains("Vietnam") && check.contains("Criminal exploitation, England"));
        let version = check
            .split("name=\"version\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let send = [("version", version.as_str()), ("form_token", t.as_str())];
        let check_path = format!("{base}/check");
        let (a, b) = tokio::join!(
            post(&app, &check_path, &cookie, &send),
            post(&app, &check_path, &cookie, &send),
        );
        assert_eq!(location(&a), format!("{base}/confirmation"));
        assert_eq!(location(&b), format!("{base}/confirmation"));
        let again = post(&app, &format!("{base}/check"), &cookie, &send).await;
        assert_eq!(
            location(&again),
            format!("{base}/confirmation"),
            "a stale resend"
        );
        assert_eq!(app.total().await, 1, "sent three times, one case");
        let done = text(get(&app, &format!("{base}/confirmation"), &cookie).await).await;
        assert!(done.contains("govuk-panel--confirmation"));
        let list = text(get(&app, "/referrals", &cookie).await).await;
        assert!(list.contains("Received"), "the list shows its status");
        // Answers can no longer change once sent.
        let late = post(
            &app,
            &format!("{base}/gender"),
            &cookie,
            &[("gender", "male"), ("form_token", &t)],
        )
        .await;
        assert_eq!(location(&late), format!("{base}/confirmation"));
        app
    })
    .await;
}

// ASVS v5.0.0-16.2.5, v5.0.0-14.2.1
#[tokio::test]
async fn names_typed_into_a_referral_stay_out_of_urls_and_logs_and_welsh_is_offered() {
    each_backend(|app| async move {
        let cookie = first_responder(&app).await;
        let (t, name_page) = start_draft(&app, &cookie, "adult").await;
        assert!(name_page.ends_with("/name"));
        let saved = post(
            &app,
            &name_page,
            &cookie,
            &[
                ("given_names", CANARY),
                ("family_name", CANARY),
                ("other_names", ""),
                ("form_token", &t),
            ],
        )
        .await;
        assert_eq!(saved.status(), 303);
        assert!(!location(&saved).contains(CANARY));
        let back = text(get(&app, &name_page, &cookie).await).await;
        assert!(back.contains(CANARY), "the saved answer is shown back");
        let switched = get(&app, &format!("/language/cy?next={name_page}"), &cookie).await;
        assert_eq!(location(&switched), name_page);
        let lang_cookie = switched
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .to_owned();
        let welsh = text(get(&app, &name_page, &format!("{cookie}; {lang_cookie}")).await).await;
        assert!(welsh.contains("<html lang=\"cy\""));
        assert!(welsh.contains("Beth yw enw"), "the question in Welsh");
        app
    })
    .await;
}

#[tokio::test]
async fn answers_posted_after_the_session_ended_are_kept_through_signing_in_again() {
    each_backend(|app| async move {
        let (cookie, email) = first_responder_with_email(&app).await;
        let (t, name_page) = start_draft(&app, &cookie, "adult").await;
        // Twenty minutes typing: the idle timeout (15 minutes) ends the session.
        app.advance_minutes(20);
        let late = post(
            &app,
            &name_page,
            &cookie,
            &[
                ("given_names", "Amira"),
                ("family_name", "Example"),
                ("form_token", &t),
            ],
        )
        .await;
        assert_eq!(late.status(), 401);
        let sign_in_page = text(late).await;
        assert!(sign_in_page.contains("name=\"replay:given_names\" value=\"Amira\""));
        assert!(sign_in_page.contains(&format!("name=\"next\" value=\"{name_page}\"")));
        let again = sign_in_again(
            &app,
            &email,
            &[
                ("next", name_page.as_str()),
                ("replay:given_names", "Amira"),
                ("replay:family_name", "Example"),
            ],
        )
        .await;
        assert_eq!(again.status(), 200, "a page to carry on from");
        let new_cookie = set_cookie(&again);
        let carry_on = text(again).await;
        let new_token = token(&carry_on);
        assert_ne!(new_token, t, "a new session, a new form token");
        assert!(carry_on.contains(&format!("action=\"{name_page}\"")));
        let saved = post(
            &app,
            &name_page,
            &new_cookie,
            &[
                ("given_names", "Amira"),
                ("family_name", "Example"),
                ("form_token", &new_token),
            ],
        )
        .await;
        assert_eq!(saved.status(), 303, "saved with the new session");
        let shown = text(get(&app, &name_page, &new_cookie).await).await;
        assert!(shown.contains("value=\"Amira\""));
        // A sign-in posted from another site is refused.
        let cross = client()
            .post(format!("{}/sign-in", app.base))
            .header("sec-fetch-site", "cross-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=a&password=b&code=c")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cross.status(), 403);
        app
    })
    .await;
}

#[tokio::test]
async fn a_draft_can_be_deleted_after_confirming_and_only_its_owner_sees_it() {
    each_backend(|app| async move {
        let cookie = first_responder(&app).await;
        let (t, first_page) = start_draft(&app, &cookie, "child").await;
        let base = first_page.trim_end_matches("/name").to_owned();
        let list = text(get(&app, "/referrals", &cookie).await).await;
        assert!(
            list.contains(&format!("{base}/delete")),
            "the list offers deletion"
        );
        let ask = get(&app, &format!("{base}/delete"), &cookie).await;
        assert_eq!(ask.status(), 200);
        let refused = post(&app, &format!("{base}/delete"), &cookie, &[]).await;
        assert_eq!(refused.status(), 403, "no form token");
        let deleted = post(
            &app,
            &format!("{base}/delete"),
            &cookie,
            &[("form_token", &t)],
        )
        .await;
        assert_eq!(location(&deleted), "/referrals?deleted=1");
        let banner = text(get(&app, "/referrals?deleted=1", &cookie).await).await;
        assert!(banner.contains("The draft has been deleted"));
        assert!(!banner.contains(&base), "gone from the list");
        assert_eq!(
            get(&app, &format!("{base}/name"), &cookie).await.status(),
            404
        );
        // Someone else's draft is not found, not forbidden.
        let stranger = first_responder(&app).await;
        let created = post(
            &app,
            "/referrals/new",
            &cookie,
            &[("kind", "adult"), ("form_token", &t)],
        )
        .await;
        let other = location(&created);
        assert_eq!(get(&app, &other, &stranger).await.status(), 404);
        app
    })
    .await;
}

#[tokio::test]
async fn a_decision_maker_finds_a_case_in_the_queue_and_records_a_reasonable_grounds_decision() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let cookie = decision_maker(&app).await;
        let home = get(&app, "/", &cookie).await;
        assert_eq!(
            location(&home),
            "/cases",
            "decision makers start at their queue"
        );
        let queue = text(get(&app, "/cases", &cookie).await).await;
        assert!(queue.contains(&reference), "the new case is in the queue");
        let filtered = text(get(&app, "/cases?age=child", &cookie).await).await;
        assert!(
            !filtered.contains(&reference),
            "an adult case is filtered out"
        );
        let case = text(get(&app, &format!("/cases/{reference}"), &cookie).await).await;
        assert!(case.contains("Due dates") && case.contains("Reasonable Grounds decision"));
        assert!(
            case.contains(CANARY),
            "personal details for the decision maker"
        );
        let path = format!("/cases/{reference}/reasonable-grounds");
        let form = text(get(&app, &path, &cookie).await).await;
        let t = token(&form);
        let version = form
            .split("name=\"version\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let missing = post(
            &app,
            &path,
            &cookie,
            &[("form_token", &t), ("version", &version)],
        )
        .await;
        assert_eq!(missing.status(), 422);
        assert!(title(&text(missing).await).starts_with("Error: "));
        let today = app.today();
        let (d, m, y) = (
            chrono::Datelike::day(&today).to_string(),
            chrono::Datelike::month(&today).to_string(),
            chrono::Datelike::year(&today).to_string(),
        );
        let answers = [
            ("form_token", t.as_str()),
            ("version", version.as_str()),
            ("outcome", "negative"),
            ("decided_on-day", d.as_str()),
            ("decided_on-month", m.as_str()),
            ("decided_on-year", y.as_str()),
            ("reasons", "The account does not meet the threshold."),
        ];
        let no_reason = post(&app, &path, &cookie, &answers).await;
        assert_eq!(
            no_reason.status(),
            422,
            "a negative decision needs its reason"
        );
        let mut with_reason = answers.to_vec();
        with_reason.push(("negative_reason", "insufficient_evidence"));
        let confirm = post(&app, &path, &cookie, &with_reason).await;
        assert_eq!(confirm.status(), 200);
        let confirm = text(confirm).await;
        assert!(confirm.contains("Check the Reasonable Grounds decision"));
        assert!(confirm.contains("The evidence does not meet the threshold"));
        // A stale version (the case changed meanwhile) is refused, not overwritten.
        let mut stale = with_reason.clone();
        stale.push(("confirmed", "yes"));
        stale[1] = ("version", "999");
        let refused = post(&app, &path, &cookie, &stale).await;
        assert_eq!(refused.status(), 409);
        let mut confirmed = with_reason.clone();
        confirmed.push(("confirmed", "yes"));
        let recorded = post(&app, &path, &cookie, &confirmed).await;
        assert_eq!(
            location(&recorded),
            format!("/cases/{reference}?recorded=reasonable-grounds")
        );
        let after = text(
            get(
                &app,
                &format!("/cases/{reference}?recorded=reasonable-grounds"),
                &cookie,
            )
            .await,
        )
        .await;
        assert!(after.contains("Reasonable Grounds decision recorded"));
        assert!(after.contains("Negative Reasonable Grounds"));
        app
    })
    .await;
}

#[tokio::test]
async fn the_queue_pages_through_every_case_once() {
    each_backend(|app| async move {
        let mut submitted = Vec::new();
        for _ in 0..30 {
            submitted.push(app.submit_adult().await);
        }
        let cookie = decision_maker(&app).await;
        let first = text(get(&app, "/cases?sort=reference", &cookie).await).await;
        assert!(
            first.contains("govuk-pagination"),
            "30 cases make two pages"
        );
        assert!(first.contains("Showing 25 of 30 cases"));
        let link = |html: &str, rel: &str| {
            let at = html.find(&format!("rel=\"{rel}\""))?;
            let start = html[..at].rfind("href=\"")? + "href=\"".len();
            let end = start + html[start..].find('"')?;
            Some(html[start..end].replace("&amp;", "&").replace("&#38;", "&"))
        };
        assert_eq!(
            link(&first, "prev"),
            None,
            "the first page has no previous link"
        );
        let next = link(&first, "next").unwrap_or_else(|| panic!("a next link"));
        assert!(next.contains("cursor=") && !next.contains("page="));
        let second = text(get(&app, &next, &cookie).await).await;
        assert!(second.contains("Showing 5 of 30 cases"));
        assert_eq!(link(&second, "next"), None, "the second page is the last");
        let previous = link(&second, "prev").unwrap_or_else(|| panic!("a previous link"));
        let back = text(get(&app, &previous, &cookie).await).await;
        assert!(back.contains("Showing 25 of 30 cases"));
        let on = |html: &str, reference: &str| html.contains(&format!("/cases/{reference}\""));
        for reference in &submitted {
            let pages = usize::from(on(&first, reference)) + usize::from(on(&second, reference));
            assert_eq!(pages, 1, "{reference} appears on exactly one page");
            assert_eq!(
                on(&first, reference),
                on(&back, reference),
                "previous leads back"
            );
        }
        // A cursor altered by hand falls back to the first page instead of failing.
        let altered = text(get(&app, "/cases?sort=reference&cursor=zz", &cookie).await).await;
        assert!(altered.contains("Showing 25 of 30 cases"));
        app
    })
    .await;
}

// ASVS v5.0.0-3.5.1, v5.0.0-3.5.2
#[tokio::test]
async fn every_page_form_refuses_a_missing_token_and_a_cross_site_post_and_changes_nothing() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let cookie = first_responder(&app).await;
        let (t, first_page) = start_draft(&app, &cookie, "adult").await;
        let base = first_page.trim_end_matches("/name").to_owned();
        let decider = decision_maker(&app).await;
        let routes = [
            ("/referrals/new".to_owned(), &cookie),
            (format!("{base}/name"), &cookie),
            (format!("{base}/exploitation/1"), &cookie),
            (format!("{base}/exploitation"), &cookie),
            (format!("{base}/exploitation/1/remove"), &cookie),
            (format!("{base}/check"), &cookie),
            (format!("{base}/delete"), &cookie),
            ("/sign-out".to_owned(), &cookie),
            (format!("/cases/{reference}/reasonable-grounds"), &decider),
        ];
        let before = app.total().await;
        for (path, who) in &routes {
            let no_token = post(&app, path, who, &[("given_names", "X"), ("kind", "adult")]).await;
            assert_eq!(no_token.status(), 403, "{path} without the form token");
            let cross = client()
                .post(format!("{}{path}", app.base))
                .header("cookie", who.as_str())
                .header("content-type", "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "cross-site")
                .body(format!("form_token={t}&kind=adult"))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(cross.status(), 403, "{path} from another site");
        }
        assert_eq!(app.total().await, before, "no case was created");
        let still = text(get(&app, &format!("{base}/name"), &cookie).await).await;
        assert!(!still.contains("value=\"X\""), "nothing was saved");
        assert_eq!(
            get(&app, "/referrals", &cookie).await.status(),
            200,
            "still signed in"
        );
        app
    })
    .await;
}
