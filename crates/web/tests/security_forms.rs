//! Attacks on the page forms, each carried out against a real server on SQLite and
//! PostgreSQL: a cross-site form carried through signing in to record a decision, a carried
//! form skipping its check step, a sign-in posted from another origin, an open redirect through
//! the language switch, and a huge form reflected back while signed out.

mod support;

use nrm_access::{OrganisationKind, Role};
use support::pages::*;
use support::{App, CANARY, each_backend};

/// The Reasonable Grounds form of a new adult case for a signed-in decision maker: the case
/// reference, the form's path, its token and the case version.
async fn decision_form(app: &App, cookie: &str) -> (String, String, String, String) {
    let reference = app.submit_adult().await;
    let path = format!("/cases/{reference}/reasonable-grounds");
    let form = text(get(app, &path, cookie).await).await;
    let version = form
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    (reference, path, token(&form), version)
}

/// The answers of a negative Reasonable Grounds decision dated today.
fn negative(app: &App, version: &str) -> Vec<(String, String)> {
    let today = app.today();
    [
        ("version", version.to_owned()),
        ("outcome", "negative".to_owned()),
        ("decided_on-day", chrono::Datelike::day(&today).to_string()),
        (
            "decided_on-month",
            chrono::Datelike::month(&today).to_string(),
        ),
        (
            "decided_on-year",
            chrono::Datelike::year(&today).to_string(),
        ),
        ("reasons", "Chosen by someone else.".to_owned()),
        ("negative_reason", "insufficient_evidence".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn pairs(answers: &[(String, String)]) -> Vec<(&str, &str)> {
    answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn encode(answers: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(answers)
        .finish()
}

/// Whether the case page shows a recorded Reasonable Grounds decision.
async fn has_rg_decision(app: &App, reference: &str, cookie: &str) -> bool {
    let case = text(get(app, &format!("/cases/{reference}"), cookie).await).await;
    case.contains("Negative Reasonable Grounds") || case.contains("Positive Reasonable Grounds")
}

// ASVS v5.0.0-3.5.1: cross-origin requests cannot trigger sensitive functionality.
#[tokio::test]
async fn a_cross_site_decision_form_posted_signed_out_is_refused_not_carried_through_sign_in() {
    each_backend(|app| async move {
        let (cookie, email) = decision_maker_with_email(&app).await;
        let (reference, path, _, version) = decision_form(&app, &cookie).await;
        let mut forged = negative(&app, &version);
        forged.push(("confirmed".to_owned(), "yes".to_owned()));
        let body = encode(&pairs(&forged));
        // The attacker's page posts to the service; SameSite=Strict means no cookie goes with
        // it. Modern browsers say where it came from; older ones send only `Origin`; a
        // non-browser may send neither. None of them may be carried through signing in.
        for headers in [
            vec![
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
            vec![("sec-fetch-site", "same-site")],
            vec![("origin", "https://evil.example")],
            vec![],
        ] {
            let mut request = client()
                .post(format!("{}{path}", app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone());
            for (name, value) in &headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(response.status(), 403, "{headers:?}");
            let page = text(response).await;
            assert!(!page.contains("replay:"), "nothing carried: {headers:?}");
            assert!(!page.contains("Chosen by someone else"), "{headers:?}");
        }
        // The decision maker signs in and carries on: nothing was recorded in their name.
        app.advance_minutes(1);
        let again = sign_in_again(&app, &email, &[("next", path.as_str())]).await;
        assert_eq!(again.status(), 303);
        let cookie = set_cookie(&again);
        assert!(!has_rg_decision(&app, &reference, &cookie).await);
        app
    })
    .await;
}

// ASVS v5.0.0-3.5.1, v5.0.0-2.3.1: a carried form goes back to its page and its check step.
#[tokio::test]
async fn a_decision_carried_through_sign_in_shows_the_check_page_again_and_records_nothing() {
    each_backend(|app| async move {
        let (cookie, email) = decision_maker_with_email(&app).await;
        let (reference, path, t, version) = decision_form(&app, &cookie).await;
        let mut answers = negative(&app, &version);
        answers.push(("form_token".to_owned(), t.clone()));
        answers.push(("confirmed".to_owned(), "yes".to_owned()));
        // The session ends while the decision maker is on the check page.
        app.advance_minutes(20);
        let late = post(&app, &path, &cookie, &pairs(&answers)).await;
        assert_eq!(late.status(), 401, "the sign-in page, keeping the answers");
        let sign_in_page = text(late).await;
        assert!(sign_in_page.contains("name=\"replay:outcome\" value=\"negative\""));
        assert!(
            !sign_in_page.contains("replay:confirmed"),
            "never the check"
        );
        assert!(sign_in_page.contains(&format!("name=\"next\" value=\"{path}\"")));
        // Even a sign-in form that tries to carry the confirmation (or the marker) does not.
        let mut carried: Vec<(String, String)> = negative(&app, &version)
            .into_iter()
            .map(|(k, v)| (format!("replay:{k}"), v))
            .collect();
        carried.push(("replay:confirmed".to_owned(), "yes".to_owned()));
        carried.push(("next".to_owned(), path.clone()));
        let again = sign_in_again(&app, &email, &pairs(&carried)).await;
        assert_eq!(again.status(), 200, "a page to carry on from");
        let new_cookie = set_cookie(&again);
        let carry_on = text(again).await;
        assert!(carry_on.contains(&format!("action=\"{path}\"")));
        assert!(!carry_on.contains("name=\"confirmed\""));
        assert!(carry_on.contains("name=\"carried\" value=\"yes\""));
        // Pressing the button (even with a confirmation added) shows the check page again.
        let mut pressed: Vec<(String, String)> = negative(&app, &version);
        pressed.push(("form_token".to_owned(), token(&carry_on)));
        pressed.push(("carried".to_owned(), "yes".to_owned()));
        pressed.push(("confirmed".to_owned(), "yes".to_owned()));
        let check = post(&app, &path, &new_cookie, &pairs(&pressed)).await;
        assert_eq!(
            check.status(),
            200,
            "the check page, not a recorded decision"
        );
        let check = text(check).await;
        assert!(check.contains("Check the Reasonable Grounds decision"));
        assert!(!has_rg_decision(&app, &reference, &new_cookie).await);
        // Only the person's own confirmation on the check page records it.
        let confirm: Vec<(String, String)> = pressed
            .into_iter()
            .filter(|(k, _)| k != "carried")
            .collect();
        let recorded = post(&app, &path, &new_cookie, &pairs(&confirm)).await;
        assert_eq!(
            location(&recorded),
            format!("/cases/{reference}?recorded=reasonable-grounds")
        );
        assert!(has_rg_decision(&app, &reference, &new_cookie).await);
        app
    })
    .await;
}

// ASVS v5.0.0-3.5.1: a carried post never deletes without asking again.
#[tokio::test]
async fn a_draft_deletion_carried_through_sign_in_asks_again_before_deleting() {
    each_backend(|app| async move {
        let (cookie, email) = first_responder_with_email(&app).await;
        let (t, first_page) = start_draft(&app, &cookie, "adult").await;
        let draft = first_page.split('/').nth(2).unwrap_or_default().to_owned();
        let delete = format!("/referrals/{draft}/delete");
        app.advance_minutes(20);
        let late = post(&app, &delete, &cookie, &[("form_token", &t)]).await;
        assert_eq!(late.status(), 401);
        let again = sign_in_again(&app, &email, &[("next", delete.as_str())]).await;
        assert_eq!(again.status(), 303, "nothing carried: straight back");
        let new_cookie = set_cookie(&again);
        let page = text(get(&app, &delete, &new_cookie).await).await;
        let carried = post(
            &app,
            &delete,
            &new_cookie,
            &[("form_token", &token(&page)), ("carried", "yes")],
        )
        .await;
        assert_eq!(location(&carried), delete, "asked again");
        let list = text(get(&app, "/referrals", &new_cookie).await).await;
        assert!(list.contains(&draft), "the draft is still there");
        app
    })
    .await;
}

// ASVS v5.0.0-3.5.1: the sign-in form accepts posts only from its own origin.
#[tokio::test]
async fn a_sign_in_posted_from_a_foreign_origin_without_fetch_metadata_is_refused() {
    each_backend(|app| async move {
        let email = account(
            &app,
            "A charity",
            &OrganisationKind::FirstResponderOrganisation,
            Role::FirstResponder,
        )
        .await;
        let host = app.base.trim_start_matches("http://").to_owned();
        for (origin, expected_refused) in [
            ("https://evil.example".to_owned(), true),
            (format!("http://{host}.evil.example"), true),
            ("null".to_owned(), true),
            (format!("http://{host}"), false),
        ] {
            let response = client()
                .post(format!("{}/sign-in", app.base))
                .header("origin", &origin)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encode(&[
                    ("email", email.as_str()),
                    ("password", "wrong but long enough"),
                    ("code", "000000"),
                ]))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if expected_refused {
                assert_eq!(response.status(), 403, "{origin}");
            } else {
                assert_eq!(response.status(), 422, "judged, and refused: {origin}");
            }
        }
        app
    })
    .await;
}

// ASVS v5.0.0-1.2.5 (URL redirects go only to allowed destinations) and v5.0.0-16.5.3.
#[tokio::test]
async fn the_language_switch_never_redirects_to_another_site_or_fails_on_control_characters() {
    each_backend(|app| async move {
        for (next, expected) in [
            ("/%09/evil.example", "/"),
            ("/%0A/evil.example", "/"),
            ("/%0D%0ASet-Cookie:%20a=b", "/"),
            ("//evil.example", "/"),
            ("/%5Cevil.example", "/"),
            ("https://evil.example", "/"),
            ("%2F%2Fevil.example", "/"),
            ("/cases", "/cases"),
            ("/referrals/new", "/referrals/new"),
        ] {
            let response = client()
                .get(format!("{}/language/cy?next={next}", app.base))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(response.status(), 303, "{next}");
            assert_eq!(location(&response), expected, "{next}");
            assert!(response.headers().get("set-cookie").is_some());
        }
        // The sign-in page's `next` follows the same rule.
        let page = text(
            client()
                .get(format!("{}/sign-in?next=/%09/evil.example", app.base))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
        assert!(page.contains("name=\"next\" value=\"/\""));
        app
    })
    .await;
}

// ASVS v5.0.0-3.2.2 (no content injection) and v5.0.0-4.3.x: a huge signed-out form is not
// reflected back.
#[tokio::test]
async fn a_900_kb_form_posted_while_signed_out_is_not_reflected_back() {
    each_backend(|app| async move {
        let filler = format!("{CANARY}{}", "x".repeat(900 * 1024));
        let body = encode(&[("given_names", filler.as_str()), ("form_token", "t")]);
        for site in ["cross-site", "same-origin"] {
            let response = client()
                .post(format!("{}/referrals/new", app.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("sec-fetch-site", site)
                .body(body.clone())
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let status = response.status();
            let page = text(response).await;
            assert!(
                status == 403 || status == 401,
                "refused or asked to sign in: {site} {status}"
            );
            assert!(!page.contains(CANARY), "not reflected: {site}");
            assert!(page.len() < 64 * 1024, "{site}: {} bytes", page.len());
        }
        app
    })
    .await;
}
