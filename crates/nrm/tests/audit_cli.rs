//! `nrm audit checkpoint` and `nrm audit verify`, driven as an operator would, against a log
//! whose tail an attacker with database rights removed.

use std::process::{Command, Output};

use nrm_domain::Actor;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_store::audit::AuditRecord;
use nrm_store::testing::{self, TestStore};
use uuid::Uuid;

fn nrm(store: &TestStore, dir: &std::path::Path, audit_key: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nrm"))
        .args(args)
        .env("NRM_DATABASE_URL", &store.url)
        .env("NRM_MASTER_KEY", &store.master_key_hex)
        .env("NRM_AUDIT_KEY", audit_key)
        .env("NRM_AUDIT_CHECKPOINT_DIR", dir)
        .env("NRM_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("run nrm: {e}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs `statements` on one connection, as the database's owner.
async fn attack(store: &TestStore, statements: &[&'static str]) {
    use sqlx::Connection;
    if store.name == "sqlite" {
        let mut db = sqlx::SqliteConnection::connect(&store.url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for sql in statements {
            sqlx::query(*sql)
                .execute(&mut db)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let _ = db.close().await;
    } else {
        let mut db = sqlx::PgConnection::connect(&store.url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for sql in statements {
            sqlx::query(*sql)
                .execute(&mut db)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let _ = db.close().await;
    }
}

// ASVS v5.0.0-16.4.2
#[tokio::test]
async fn verify_reports_the_range_an_attacker_removed_with_the_head() {
    for store in testing::all().await {
        let dir = std::env::temp_dir().join(format!("nrm-audit-cli-{}", Uuid::new_v4().simple()));
        let key = store.audit_key_hex.clone();
        let actor = Actor {
            user: UserId(Uuid::from_u128(1)),
            organisation: OrganisationId(Uuid::from_u128(2)),
        };
        for _ in 0..5 {
            let record = AuditRecord {
                actor,
                action: "user.disable".to_owned(),
                case_id: None,
                outcome: "ok".to_owned(),
                subject: Some(format!("user:{}", Uuid::from_u128(3))),
            };
            store
                .store
                .audit(&record, chrono::Utc::now())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }

        let taken = nrm(&store, &dir, &key, &["audit", "checkpoint"]);
        assert!(taken.status.success(), "{}: {taken:?}", store.name);
        assert!(
            stdout(&taken).contains("Checkpoint of audit entry 5"),
            "{taken:?}"
        );
        let clean = nrm(&store, &dir, &key, &["audit", "verify"]);
        assert!(clean.status.success(), "{}: {clean:?}", store.name);
        assert!(stdout(&clean).contains("intact: 5 entries"), "{clean:?}");

        // Someone who holds the database removes entries 4 and 5 and rewinds the head.
        let bypass: &[&'static str] = if store.name == "sqlite" {
            &[
                "DROP TRIGGER audit_log_no_delete",
                "DROP TRIGGER audit_head_moves_only_by_append",
            ]
        } else {
            &["SET session_replication_role = replica"]
        };
        let mut statements = bypass.to_vec();
        statements.extend([
            "DELETE FROM audit_log WHERE seq > 3",
            "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3) WHERE id = 1",
        ]);
        attack(&store, &statements).await;

        let dir_arg = dir.display().to_string();
        let found = nrm(
            &store,
            &dir,
            &key,
            &["audit", "verify", "--checkpoints", &dir_arg],
        );
        assert_eq!(found.status.code(), Some(1), "{}: {found:?}", store.name);
        assert!(
            stdout(&found).contains("BROKEN: entries 4..5 are missing"),
            "{}: {}",
            store.name,
            stdout(&found)
        );
        // No checkpoint is taken over the gap.
        let refused = nrm(&store, &dir, &key, &["audit", "checkpoint"]);
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{}: {refused:?}",
            store.name
        );
        assert!(
            stdout(&refused).contains("No checkpoint was written"),
            "{refused:?}"
        );

        // Verified with another key, nothing passes: not the chain, not the checkpoint.
        let other = nrm_store::AuditKey::generate_hex();
        let wrong = nrm(&store, &dir, &other, &["audit", "verify"]);
        assert_eq!(wrong.status.code(), Some(1), "{}: {wrong:?}", store.name);
        let text = stdout(&wrong);
        assert!(text.contains("cannot be trusted"), "{text}");
        assert!(text.contains("broken at entry 1"), "{text}");

        let _ = std::fs::remove_dir_all(&dir);
        store.cleanup().await;
    }
}
