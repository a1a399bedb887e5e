//! Master key rotation on SQLite and PostgreSQL (issue #17 item 5): interrupted after two
//! batches, resumed by a store opened again with the old key, finished; then every vault record
//! and draft reads under the new key, lookup hashes are unchanged, and the old key is refused.

// Security target #30

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_domain::Actor;
use nrm_domain::fixtures::CANARY;
use nrm_domain::ids::{OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_store::seeding::SyntheticCases;
use nrm_store::testing::{self, TestStore};
use nrm_store::{AuditKey, ConnectOptions, MasterKey, Store, StoreError};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn reopen(t: &TestStore, key: MasterKey) -> Store {
    let audit = AuditKey::from_hex(&t.audit_key_hex).unwrap_or_else(|| panic!("audit key"));
    let mut options = ConnectOptions::new(key, audit);
    options.max_connections = 4;
    let store = Store::connect(&t.url, options)
        .await
        .unwrap_or_else(|e| panic!("reopen: {e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    store
}

#[tokio::test]
async fn rotation_interrupted_and_resumed_rewraps_everything_and_retires_the_old_key() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let mut synthetic = SyntheticCases::new(
            11,
            NaiveDate::from_ymd_opt(2026, 5, 1).unwrap_or_default(),
            3,
            2,
        );
        let made: Vec<_> = (0..60)
            .map(|_| synthetic.next_case().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        t.store
            .import_cases(&made)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let records: Vec<(SubjectId, VaultRecordId)> = made
            .iter()
            .flat_map(|c| c.steps.iter())
            .flat_map(|s| s.vault_writes.iter().map(|w| (w.subject, w.record)))
            .collect();
        let subjects = made
            .iter()
            .flat_map(|c| c.steps.iter())
            .map(|s| s.new_subjects.len())
            .sum::<usize>();
        // Duty to Notify reports have no subject.
        assert!(subjects > 40, "{subjects}");
        let owner = Actor {
            user: UserId(Uuid::new_v4()),
            organisation: OrganisationId(Uuid::new_v4()),
        };
        let draft = Uuid::new_v4();
        let answers = serde_json::json!({ "given_names": CANARY });
        t.store
            .create_draft(draft, owner, "adult", &answers, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        let old = MasterKey::from_hex("old", &t.master_key_hex).unwrap_or_else(|| panic!("key"));
        let new_hex = MasterKey::generate_hex();
        let new = MasterKey::from_hex("new", &new_hex)
            .unwrap_or_else(|| panic!("key"))
            .with_lookup_key_of(&old);
        let before = old.lookup_hash("legacy-import", "L-1");

        // A new key that would change lookup hashes is refused.
        let careless = MasterKey::from_hex("careless", &MasterKey::generate_hex())
            .unwrap_or_else(|| panic!("key"));
        assert!(matches!(
            t.store.rotate_master_key(&careless, 25, None, now()).await,
            Err(StoreError::KeyRefused(_))
        ));

        // Interrupted after two batches of 20.
        let first = t
            .store
            .rotate_master_key(&new, 20, Some(2), now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.subjects_rewrapped, 40);
        assert_eq!(first.subjects_remaining, subjects as u64 - 40);
        assert!(!first.finished);
        t.store.close().await;

        // The service will not start on either key while the rotation is unfinished.
        let resumed = reopen(&t, old.clone()).await;
        assert!(matches!(
            resumed.check_master_key().await,
            Err(StoreError::KeyRefused(_))
        ));
        // Another new key cannot take over an unfinished rotation.
        let other = MasterKey::from_hex("other", &MasterKey::generate_hex())
            .unwrap_or_else(|| panic!("key"))
            .with_lookup_key_of(&old);
        assert!(matches!(
            resumed.rotate_master_key(&other, 25, None, now()).await,
            Err(StoreError::KeyRefused(_))
        ));
        // Resumed with the same new key: the rest, and the draft.
        let second = resumed
            .rotate_master_key(&new, 25, None, now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(second.subjects_rewrapped, subjects as u64 - 40);
        assert_eq!(second.drafts_resealed, 1);
        assert!(second.finished);
        resumed.close().await;

        // The new key reads every record and the draft; lookups are unchanged.
        let rotated = reopen(&t, new.clone()).await;
        rotated
            .check_master_key()
            .await
            .unwrap_or_else(|e| panic!("the new key is accepted: {e}"));
        for (subject, record) in &records {
            rotated
                .read_vault(*subject, *record)
                .await
                .unwrap_or_else(|e| panic!("record {} after rotation: {e}", record.0));
        }
        let opened = rotated
            .draft(draft, owner)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("draft"));
        assert_eq!(opened.answers, answers);
        assert_eq!(new.lookup_hash("legacy-import", "L-1"), before);
        rotated.close().await;

        // The old key is refused, and could not read anything anyway.
        let stale = reopen(&t, old.clone()).await;
        assert!(matches!(
            stale.check_master_key().await,
            Err(StoreError::KeyRefused(_))
        ));
        let (subject, record) = records[0];
        assert!(matches!(
            stale.read_vault(subject, record).await,
            Err(StoreError::Crypto(_))
        ));
        stale.close().await;
        // So is the new key without the kept lookup key.
        let forgetful = reopen(
            &t,
            MasterKey::from_hex("new", &new_hex).unwrap_or_else(|| panic!("key")),
        )
        .await;
        assert!(matches!(
            forgetful.check_master_key().await,
            Err(StoreError::KeyRefused(_))
        ));
        forgetful.close().await;
        t.cleanup().await;
    }
}
