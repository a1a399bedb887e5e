//! Training completions and per-account sessions on both backends (migration 0024): a pass
//! stored per account with its date and course version, the latest one per account and per
//! organisation (another organisation's never), and an account's live sessions listed and
//! ended one at a time.

use chrono::{DateTime, Duration, TimeZone, Utc};
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_store::Store;
use nrm_store::identity::{OrganisationRow, UserRow};
use nrm_store::testing::{self, TestStore};
use nrm_store::training::CompletionRow;
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 2, 11, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn each_backend<F, Fut>(test: F)
where
    F: Fn(TestStore) -> Fut,
    Fut: std::future::Future<Output = TestStore>,
{
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let store = test(store).await;
        store.cleanup().await;
    }
}

async fn organisation(store: &Store) -> OrganisationId {
    let id = OrganisationId(Uuid::new_v4());
    store
        .create_organisation(
            &OrganisationRow {
                id,
                name: "A charity".to_owned(),
                kind: "first_responder_organisation".to_owned(),
                designated_from: None,
                designated_to: None,
            },
            now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    id
}

async fn user(store: &Store, organisation: OrganisationId) -> UserId {
    let id = UserId(Uuid::new_v4());
    store
        .create_user(
            &UserRow {
                id,
                organisation,
                email: format!("{}@example.invalid", id.0),
                roles: vec!["first_responder".to_owned()],
                allocated_only: false,
                password_hash: "x".to_owned(),
                totp_secret: vec![1],
                totp_last_step: 0,
                disabled: false,
            },
            now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    id
}

fn pass(user: UserId, days: i64, version: &str) -> CompletionRow {
    CompletionRow {
        user,
        completed_at: now() + Duration::days(days),
        course_version: version.to_owned(),
        correct: 5,
        total: 6,
    }
}

#[tokio::test]
async fn the_latest_completion_per_account_and_per_organisation() {
    each_backend(|t| async move {
        let store = &t.store;
        let org = organisation(store).await;
        let other_org = organisation(store).await;
        let (a, b, c) = (
            user(store, org).await,
            user(store, org).await,
            user(store, other_org).await,
        );
        assert_eq!(
            store.latest_training_completion(a).await.ok().flatten(),
            None
        );
        for row in [pass(a, 0, "v1"), pass(a, 400, "v2"), pass(c, 1, "v1")] {
            store
                .record_training_completion(&row)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(
            store.latest_training_completion(a).await.ok().flatten(),
            Some(pass(a, 400, "v2")),
            "the later pass is the record"
        );
        let in_org = store
            .latest_training_completions(org)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            in_org,
            vec![pass(a, 400, "v2")],
            "b never passed; c is elsewhere"
        );
        assert!(
            store
                .latest_training_completion(b)
                .await
                .ok()
                .flatten()
                .is_none()
        );
        t
    })
    .await;
}

#[tokio::test]
async fn an_accounts_sessions_are_listed_and_ended_one_at_a_time() {
    each_backend(|t| async move {
        let store = &t.store;
        let org = organisation(store).await;
        let (a, b) = (user(store, org).await, user(store, org).await);
        for (hash, who, minutes) in [(b"one".as_slice(), a, 0), (b"two", a, 5), (b"three", b, 1)] {
            store
                .create_session(hash, who, now() + Duration::minutes(minutes))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let live = store
            .user_sessions(a)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let hashes: Vec<&[u8]> = live.iter().map(|(h, _)| h.as_slice()).collect();
        assert_eq!(
            hashes,
            vec![b"two".as_slice(), b"one"],
            "newest first, only a's"
        );
        assert!(
            !store.revoke_user_session(b, b"one").await.unwrap_or(true),
            "not b's session"
        );
        assert!(store.revoke_user_session(a, b"one").await.unwrap_or(false));
        assert!(
            !store.revoke_user_session(a, b"one").await.unwrap_or(true),
            "already ended"
        );
        let live = store
            .user_sessions(a)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(live.len(), 1);
        assert!(
            store
                .session(b"one")
                .await
                .ok()
                .flatten()
                .is_some_and(|s| s.revoked)
        );
        assert_eq!(
            store.user_sessions(b).await.map(|s| s.len()).unwrap_or(0),
            1
        );
        t
    })
    .await;
}
