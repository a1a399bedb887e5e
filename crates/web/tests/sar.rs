//! The data protection officer's subject access page over HTTP, on both backends: the form,
//! an error summary for a missing or malformed reference, what is held for a case, the HTML
//! bundle and the JSON downloads (with the person's details, without staff identities), and
//! refusal to anyone else.

mod support;

use nrm_access::{OrganisationKind, Role};
use support::{CANARY, each_backend, pages};

#[tokio::test]
async fn the_dpo_exports_what_is_held_about_the_person_of_a_case() {
    each_backend(|app| async move {
        let reference = app.submit_adult().await;
        let email = pages::account(
            &app,
            "Service administrators",
            &OrganisationKind::Administrators,
            Role::Administrator,
        )
        .await;
        let signed_in =
            pages::sign_in_again(&app, &email, &[("next", "/data-protection/subject-access")])
                .await;
        assert_eq!(signed_in.status(), 303);
        let cookie = pages::set_cookie(&signed_in);

        let form = pages::get(&app, "/data-protection/subject-access", &cookie).await;
        assert_eq!(form.status(), 200);
        let html = form.text().await.unwrap_or_default();
        assert!(html.contains("name=\"reference\""), "{html}");
        assert!(!html.contains(CANARY));

        for bad in ["", "not-a-reference"] {
            let page = pages::get(
                &app,
                &format!("/data-protection/subject-access?reference={bad}"),
                &cookie,
            )
            .await;
            assert_eq!(page.status(), 422, "{bad}");
            let html = page.text().await.unwrap_or_default();
            assert!(html.contains("govuk-error-summary"), "{bad}");
        }

        let page = pages::get(
            &app,
            &format!("/data-protection/subject-access?reference={reference}"),
            &cookie,
        )
        .await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap_or_default();
        assert!(html.contains(&format!(
            "/data-protection/subject-access/{reference}/bundle.html"
        )));
        assert!(!html.contains(CANARY), "the page shows counts, not content");

        let bundle = pages::get(
            &app,
            &format!("/data-protection/subject-access/{reference}/bundle.html"),
            &cookie,
        )
        .await;
        assert_eq!(bundle.status(), 200);
        assert!(
            bundle
                .headers()
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("attachment"))
        );
        let html = bundle.text().await.unwrap_or_default();
        assert!(html.contains("OFFICIAL-SENSITIVE"));
        assert!(html.contains(&format!("Given{CANARY}")));
        assert!(html.contains(&format!("Account of exploitation {CANARY}")));

        let json = pages::get(
            &app,
            &format!("/data-protection/subject-access/{reference}/export.json"),
            &cookie,
        )
        .await;
        assert_eq!(json.status(), 200);
        let text = json.text().await.unwrap_or_default();
        let export: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            export["personal_details"]["given_names"],
            format!("Given{CANARY}")
        );
        assert_eq!(export["case_reference"], reference);
        assert!(
            !text.contains(support::USER),
            "the referrer's id is redacted"
        );

        // Anyone else is refused.
        let responder = pages::first_responder(&app).await;
        let refused = pages::get(&app, "/data-protection/subject-access", &responder).await;
        assert_eq!(refused.status(), 403);
        let refused = pages::get(
            &app,
            &format!("/data-protection/subject-access/{reference}/export.json"),
            &responder,
        )
        .await;
        assert_eq!(refused.status(), 403);
        app
    })
    .await;
}
