//! Backup and restore on SQLite and PostgreSQL (issue #17 item 3): a backup taken while cases
//! are being written restores to a database whose audit chain verifies and in which every
//! case the backup holds is whole (all its events, every vault record readable) and no case is
//! half there; the file holds no plaintext; a backup altered, cut short or opened with another
//! key restores nothing.

// Security target #28

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_domain::fixtures::CANARY;
use nrm_store::backup::{self, BackupError};
use nrm_store::seeding::SyntheticCases;
use nrm_store::testing::{self, TestStore};
use nrm_store::{AuditKey, ConnectOptions, MasterKey, NewCase, Store};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn open(url: &str, t: &TestStore) -> Store {
    let key = MasterKey::from_hex("test", &t.master_key_hex).unwrap_or_else(|| panic!("key"));
    let audit = AuditKey::from_hex(&t.audit_key_hex).unwrap_or_else(|| panic!("audit key"));
    let mut options = ConnectOptions::new(key, audit);
    options.max_connections = 4;
    let store = Store::connect(url, options)
        .await
        .unwrap_or_else(|e| panic!("open {url}: {e}"));
    store.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    store
}

/// Checks every case of `made` is either whole in `store` or absent; returns how many are there.
async fn whole_or_absent(store: &Store, made: &[NewCase]) -> u64 {
    let mut present = 0;
    for case in made {
        let Some(loaded) = store
            .load(case.case_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
        else {
            continue;
        };
        present += 1;
        let events: usize = case.steps.iter().map(|s| s.events.len()).sum();
        assert_eq!(
            loaded.events.len(),
            events,
            "case {} is whole",
            case.reference
        );
        for write in case.steps.iter().flat_map(|s| s.vault_writes.iter()) {
            store
                .read_vault(write.subject, write.record)
                .await
                .unwrap_or_else(|e| panic!("record of {}: {e}", case.reference));
        }
    }
    present
}

#[tokio::test]
async fn a_backup_taken_under_write_load_restores_whole() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let today = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap_or_default();
        let mut synthetic = SyntheticCases::new(21, today, 3, 2);
        let mut made: Vec<NewCase> = (0..40)
            .map(|_| synthetic.next_case().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        t.store
            .import_cases(&made)
            .await
            .unwrap_or_else(|e| panic!("{e}"));

        // Writers carry on while the backup is taken.
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let store = t.store.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut written = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let case = synthetic.next_case().unwrap_or_else(|e| panic!("{e}"));
                    store
                        .import_cases(std::slice::from_ref(&case))
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    written.push(case);
                    tokio::task::yield_now().await;
                }
                written
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let file = dir.path().join("nrm.backup");
        let report = t
            .store
            .backup(&t.url, &file, now())
            .await
            .unwrap_or_else(|e| panic!("backup: {e}"));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        stop.store(true, Ordering::Relaxed);
        made.extend(writer.await.unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(report.header.engine, t.name);
        assert!(report.plain_bytes > 0 && report.file_bytes > 0);
        let total = t.store.case_count().await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(total, made.len() as u64);

        // No plaintext: not the canary, not even SQLite's or pg_dump's headers.
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
        for needle in [
            CANARY.as_bytes(),
            b"SQLite format 3",
            b"PGDMP",
            b"case_events",
        ] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle));
        }

        // Altered, cut short, or another key: refused, and nothing restored.
        let key = MasterKey::from_hex("test", &t.master_key_hex).unwrap_or_else(|| panic!("key"));
        let target_url = if t.name == "sqlite" {
            format!("sqlite://{}", dir.path().join("restored.sqlite").display())
        } else {
            t.url.clone()
        };
        let mut flipped = bytes.clone();
        let at = flipped.len() / 2;
        flipped[at] ^= 1;
        let cut = bytes[..bytes.len() - 10].to_vec();
        for (name, body) in [("flipped", flipped), ("cut", cut)] {
            let bad = dir.path().join(name);
            std::fs::write(&bad, body).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                matches!(
                    backup::restore(&key, &target_url, &bad).await,
                    Err(BackupError::Crypto)
                ),
                "{name}"
            );
        }
        let other = MasterKey::from_hex("other", &MasterKey::generate_hex())
            .unwrap_or_else(|| panic!("key"));
        assert!(matches!(
            backup::restore(&other, &target_url, &file).await,
            Err(BackupError::Crypto)
        ));

        // Restore. PostgreSQL restores over the store's own schema, which has moved on since.
        t.store.close().await;
        let restored_report = backup::restore(&key, &target_url, &file)
            .await
            .unwrap_or_else(|e| panic!("restore: {e}"));
        assert_eq!(restored_report.header, report.header);
        let restored = open(&target_url, &t).await;
        let verdict = restored
            .verify_audit_against(&[])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(verdict.is_intact(), "{:?}", verdict.problems);
        let present = whole_or_absent(&restored, &made).await;
        assert_eq!(
            restored
                .case_count()
                .await
                .unwrap_or_else(|e| panic!("{e}")),
            present
        );
        assert!(present >= 40, "the cases before the backup are all there");
        eprintln!("{}: {present} of {total} cases in the backup", t.name);
        restored.close().await;
        t.cleanup().await;
    }
}
