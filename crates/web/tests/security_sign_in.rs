//! Attacks on signing in, each carried out over HTTP on SQLite and PostgreSQL: racing the
//! throttle with concurrent guesses, guessing through the password change, breaking the
//! database or the audit log in the middle of a sign-in, and reading the failure table for
//! the addresses people typed.

mod support;

use nrm_access::{OrganisationKind, Role};
use nrm_domain::Actor;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_service::Cases;
use nrm_service::identity::{MAX_FAILURES_PER_ACCOUNT, THROTTLE_WINDOW_MINUTES};
use nrm_store::audit::AuditEntry;
use reqwest::Response;
use serde_json::json;
use support::{App, each_backend};

const PASSWORD: &str = "a long enough passphrase";
const WRONG: &str = "a wrong passphrase!";
/// Concurrent wrong guesses fired at once: four times the account's limit.
const BURST: usize = 40;

fn cases(app: &App) -> Cases {
    Cases::new(app.store.store.clone(), nrm_domain::Rulebook::current())
}

fn now(app: &App) -> chrono::DateTime<chrono::Utc> {
    *app.clock.lock().unwrap_or_else(|e| panic!("{e}"))
}

async fn make_user(app: &App, email: &str) -> (UserId, OrganisationId) {
    let cases = cases(app);
    let org = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            OrganisationId(uuid::Uuid::new_v4()),
            "Single Competent Authority",
            &OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let user = cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)
                .unwrap_or_else(|e| panic!("{e}")),
            UserId(uuid::Uuid::new_v4()),
            org,
            email,
            &[Role::CaManager, Role::DecisionMaker],
            PASSWORD,
            now(app),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .id;
    (user, org)
}

async fn code(app: &App, user: UserId) -> String {
    cases(app)
        .identity()
        .current_code(user, now(app))
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

async fn sign_in(app: &App, email: &str, password: &str, code: &str) -> Response {
    app.client
        .post(format!("{}/api/v1/sign-in", app.base))
        .json(&json!({"email": email, "password": password, "code": code}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn page_sign_in(app: &App, email: &str, password: &str, code: &str) -> Response {
    app.client
        .post(format!("{}/sign-in", app.base))
        .header("sec-fetch-site", "same-origin")
        .header("origin", app.base.clone())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("email", email), ("password", password), ("code", code)])
                .finish(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

async fn audit_log(app: &App) -> Vec<AuditEntry> {
    app.store
        .store
        .audit_entries(0, 100_000)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

// ASVS v5.0.0-6.3.1 (brute-force controls), Security target #8
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_beyond_the_limit_are_all_throttled() {
    each_backend(|app| async move {
        let email = "raced@sca.example";
        let (user, _) = make_user(&app, email).await;
        let right_code = code(&app, user).await;
        // Forty wrong guesses and the right password and code, all at once.
        // Every request waits at the barrier, so all of them are in flight together.
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(BURST + 1));
        let mut tasks = Vec::new();
        for i in 0..=BURST {
            let client = app.client.clone();
            let barrier = barrier.clone();
            let url = format!("{}/api/v1/sign-in", app.base);
            let (password, code) = if i == BURST / 2 {
                (PASSWORD, right_code.clone())
            } else {
                (WRONG, "123456".to_owned())
            };
            tasks.push(tokio::spawn(async move {
                let request = client
                    .post(url)
                    .json(&json!({"email": email, "password": password, "code": code}));
                barrier.wait().await;
                request
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap_or(0));
        }
        let checked = count(&statuses, 401) + count(&statuses, 204);
        let limit = usize::try_from(MAX_FAILURES_PER_ACCOUNT).unwrap_or(usize::MAX);
        assert!(
            checked <= limit,
            "{checked} attempts were checked, more than the limit of {limit}: {statuses:?}"
        );
        assert_eq!(
            count(&statuses, 429),
            BURST + 1 - checked,
            "every other attempt is throttled: {statuses:?}"
        );
        // The audit log agrees: no more than the limit were checked.
        let refused_checks = audit_log(&app)
            .await
            .iter()
            .filter(|e| e.action == "session.sign_in" && e.outcome.starts_with("refused:not_right"))
            .count();
        assert!(refused_checks <= limit, "{refused_checks} checked");
        // And with the limit used up, the right password and a fresh code are refused too.
        app.advance_minutes(1);
        assert_eq!(
            sign_in(&app, email, PASSWORD, &code(&app, user).await)
                .await
                .status(),
            429
        );
        app
    })
    .await;
}

// ASVS v5.0.0-6.3.1 (the current-password check is a password oracle: throttled like sign-in)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_at_the_current_password_are_throttled() {
    each_backend(|app| async move {
        let email = "changer@sca.example";
        let (user, _) = make_user(&app, email).await;
        let response = sign_in(&app, email, PASSWORD, &code(&app, user).await).await;
        assert_eq!(response.status(), 204);
        let cookie = session_cookie(&response).unwrap_or_default();
        let change = |current: &'static str| {
            let request = app
                .client
                .post(format!("{}/api/v1/me/password", app.base))
                .header("cookie", cookie.clone())
                .header("sec-fetch-site", "same-origin")
                .json(&json!({"current_password": current, "new_password": "another long passphrase"}));
            async move {
                request
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        };
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(BURST));
        let tasks: Vec<_> = (0..BURST)
            .map(|_| {
                let barrier = barrier.clone();
                let guess = change(WRONG);
                tokio::spawn(async move {
                    barrier.wait().await;
                    guess.await
                })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap_or(0));
        }
        let checked = count(&statuses, 422);
        let limit = usize::try_from(MAX_FAILURES_PER_ACCOUNT).unwrap_or(usize::MAX);
        assert!(checked <= limit, "{checked} guesses were checked: {statuses:?}");
        assert_eq!(count(&statuses, 429), BURST - checked, "{statuses:?}");
        // The right current password is refused as well while the limit is used up.
        assert_eq!(change(PASSWORD).await, 429);
        // Signing in shares the account's limit: the guesses above used it up there too.
        app.advance_minutes(1);
        assert_eq!(
            sign_in(&app, email, PASSWORD, &code(&app, user).await)
                .await
                .status(),
            429
        );
        app
    })
    .await;
}

/// What a fault must look like from outside: a 500 with a generic body, and no session.
async fn assert_fault_grants_nothing(response: Response) {
    assert_eq!(response.status(), 500);
    assert!(
        session_cookie(&response).is_none(),
        "a session was handed out"
    );
    let text = response.text().await.unwrap_or_default();
    for leak in [
        "sqlx",
        "SQLITE",
        "sqlite",
        "postgres",
        "relation",
        "no such table",
        "/src/",
    ] {
        assert!(!text.contains(leak), "the body names the fault: {text}");
    }
}

// ASVS v5.0.0-16.5.3 (fail securely: a fault never grants access), v5.0.0-16.5.1 (generic errors)
#[tokio::test]
async fn a_database_fault_during_sign_in_is_a_fault_not_a_wrong_password() {
    each_backend(|app| async move {
        let email = "faulty@sca.example";
        let (user, _) = make_user(&app, email).await;
        // Each table the sign-in path needs, broken in turn as someone with rights on the
        // database might: the throttle, the accounts, the sessions.
        for table in ["sign_in_failures", "users", "sessions"] {
            app.store
                .execute_raw(&format!("ALTER TABLE {table} RENAME TO {table}_gone"))
                .await;
            // A wrong password never reaches the sessions table; everything else meets the fault.
            let passwords: &[&str] = if table == "sessions" {
                &[PASSWORD]
            } else {
                &[PASSWORD, WRONG]
            };
            for password in passwords {
                app.advance_minutes(1);
                let response = sign_in(&app, email, password, &code(&app, user).await).await;
                assert_fault_grants_nothing(response).await;
                // The sign-in page: the generic fault page, not "not right". (With the accounts
                // table gone there is no code to read; the page needs one to be filled in.)
                app.advance_minutes(1);
                let code = Some(code(&app, user).await)
                    .filter(|c| !c.is_empty())
                    .unwrap_or_else(|| "123456".to_owned());
                let response = page_sign_in(&app, email, password, &code).await;
                assert_fault_grants_nothing(response).await;
            }
            app.store
                .execute_raw(&format!("ALTER TABLE {table}_gone RENAME TO {table}"))
                .await;
        }
        assert_eq!(
            app.store.query_i64("SELECT COUNT(*) FROM sessions").await,
            0,
            "no session was created"
        );
        // Repaired, the same credentials work: the faults above were the database's.
        app.advance_minutes(1);
        assert_eq!(
            sign_in(&app, email, PASSWORD, &code(&app, user).await)
                .await
                .status(),
            204
        );
        app
    })
    .await;
}

// ASVS v5.0.0-16.3.1 (authentication events are logged; a sign-in that cannot be is refused), v5.0.0-16.5.3
#[tokio::test]
async fn a_sign_in_whose_audit_entry_cannot_be_written_is_refused() {
    each_backend(|app| async move {
        let email = "unaudited@sca.example";
        let (user, _) = make_user(&app, email).await;
        let refuse_audit = if app.store.name == "sqlite" {
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit refused'); END;"
        } else {
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$; \
             CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
        };
        app.store.execute_raw(refuse_audit).await;
        // The right password and code: refused, because the sign-in could not be recorded.
        assert_fault_grants_nothing(sign_in(&app, email, PASSWORD, &code(&app, user).await).await)
            .await;
        // A wrong one: not a plain 401 either, since the failure could not be recorded.
        app.advance_minutes(1);
        assert_fault_grants_nothing(sign_in(&app, email, WRONG, &code(&app, user).await).await)
            .await;
        // The session the first attempt made was never handed out, and is revoked.
        assert_eq!(
            app.store
                .query_i64("SELECT COUNT(*) FROM sessions WHERE revoked = false")
                .await,
            0
        );
        app
    })
    .await;
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

// ASVS v5.0.0-14.2.4 (sensitive data protected as documented), v5.0.0-14.2.7 (deleted when no longer needed)
#[tokio::test]
async fn the_failure_table_holds_no_typed_email_address_and_forgets_old_failures() {
    each_backend(|app| async move {
        let (user, _) = make_user(&app, "known@sca.example").await;
        // Failures for an account that does not exist (a mistyped address: someone's personal
        // email, say) and for one that does, typed with stray spaces and capitals.
        let typed = "Someone.Private.7731@Home.Example";
        for _ in 0..3 {
            sign_in(&app, &format!("  {typed} "), WRONG, "123456").await;
            sign_in(&app, "KNOWN@sca.example", WRONG, &code(&app, user).await).await;
        }
        assert!(
            app.store
                .query_i64("SELECT COUNT(*) FROM sign_in_failures")
                .await
                > 0,
            "failures are counted"
        );
        let dump = app.store.dump_text().await;
        for form in [typed.to_owned(), typed.to_lowercase()] {
            assert!(!dump.contains(&form), "the database holds {form}");
            assert!(
                !dump.contains(&hex(&form)),
                "the database holds {form} in hex"
            );
        }
        // The typed address counts against the same (normalised) key however it was typed.
        for _ in 3..MAX_FAILURES_PER_ACCOUNT {
            sign_in(&app, &typed.to_lowercase(), WRONG, "123456").await;
        }
        assert_eq!(sign_in(&app, typed, WRONG, "123456").await.status(), 429);
        // Once the window has passed, the next attempt prunes every old row: only its own two
        // (its account and its client) are left.
        app.advance_minutes(THROTTLE_WINDOW_MINUTES + 1);
        sign_in(&app, "someone.else@sca.example", WRONG, "123456").await;
        assert_eq!(
            app.store
                .query_i64("SELECT COUNT(*) FROM sign_in_failures")
                .await,
            2
        );
        app
    })
    .await;
}

// ASVS v5.0.0-16.3.1 (failed authentication is logged with the account and the client)
#[tokio::test]
async fn failed_sign_ins_are_audited_with_the_account_and_the_client() {
    each_backend(|app| async move {
        let email = "audited@sca.example";
        let (user, organisation) = make_user(&app, email).await;
        sign_in(&app, email, WRONG, "123456").await;
        sign_in(&app, "nobody@sca.example", WRONG, "123456").await;
        let good = sign_in(&app, email, PASSWORD, &code(&app, user).await).await;
        assert_eq!(good.status(), 204);
        let client = cases(&app).identity().client_hash("127.0.0.1");
        let entries: Vec<AuditEntry> = audit_log(&app)
            .await
            .into_iter()
            .filter(|e| e.action == "session.sign_in")
            .collect();
        assert_eq!(entries.len(), 3, "{entries:?}");
        // The known account's failure names the account and the client (as a keyed hash).
        assert_eq!(
            entries[0].subject.as_deref(),
            Some(&*format!("user:{}", user.0))
        );
        assert_eq!(
            entries[0].outcome,
            format!("refused:not_right client:{client}")
        );
        assert_eq!(entries[0].actor_user, Actor::SYSTEM.user.to_string());
        // An account that does not exist: the client only.
        assert_eq!(entries[1].subject, None);
        assert_eq!(
            entries[1].outcome,
            format!("refused:not_right client:{client}")
        );
        // Success: the person is the actor.
        assert_eq!(entries[2].actor_user, user.to_string());
        assert_eq!(entries[2].actor_organisation, organisation.to_string());
        assert_eq!(entries[2].outcome, format!("ok client:{client}"));
        // The address itself is nowhere in the log.
        assert!(
            entries
                .iter()
                .all(|e| !format!("{e:?}").contains("127.0.0.1"))
        );
        app
    })
    .await;
}
