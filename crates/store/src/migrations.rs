//! Schema migrations, one folder per engine with the same file names, embedded in the binary.

use std::borrow::Cow;

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Store, StoreError, on_pool};

/// `(version, description, sqlite sql, postgres sql)`. Add new files to both folders and a row
/// here; a migration is never edited once released (sqlx checks each one's checksum).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "case_file",
        include_str!("../migrations/sqlite/0001_case_file.sql"),
        include_str!("../migrations/postgres/0001_case_file.sql"),
    ),
    (
        2,
        "lifecycle",
        include_str!("../migrations/sqlite/0002_lifecycle.sql"),
        include_str!("../migrations/postgres/0002_lifecycle.sql"),
    ),
    (
        3,
        "audit",
        include_str!("../migrations/sqlite/0003_audit.sql"),
        include_str!("../migrations/postgres/0003_audit.sql"),
    ),
    (
        4,
        "identity",
        include_str!("../migrations/sqlite/0004_identity.sql"),
        include_str!("../migrations/postgres/0004_identity.sql"),
    ),
    (
        5,
        "api_tokens",
        include_str!("../migrations/sqlite/0005_api_tokens.sql"),
        include_str!("../migrations/postgres/0005_api_tokens.sql"),
    ),
    (
        6,
        "recovery_codes",
        include_str!("../migrations/sqlite/0006_recovery_codes.sql"),
        include_str!("../migrations/postgres/0006_recovery_codes.sql"),
    ),
    (
        7,
        "designation",
        include_str!("../migrations/sqlite/0007_designation.sql"),
        include_str!("../migrations/postgres/0007_designation.sql"),
    ),
    (
        8,
        "organisation_nation",
        include_str!("../migrations/sqlite/0008_organisation_nation.sql"),
        include_str!("../migrations/postgres/0008_organisation_nation.sql"),
    ),
    (
        9,
        "drafts",
        include_str!("../migrations/sqlite/0009_drafts.sql"),
        include_str!("../migrations/postgres/0009_drafts.sql"),
    ),
    (
        10,
        "audit_keyed",
        include_str!("../migrations/sqlite/0010_audit_keyed.sql"),
        include_str!("../migrations/postgres/0010_audit_keyed.sql"),
    ),
    (
        11,
        "sign_in_failures",
        include_str!("../migrations/sqlite/0011_sign_in_failures.sql"),
        include_str!("../migrations/postgres/0011_sign_in_failures.sql"),
    ),
    (
        12,
        "referring_user",
        include_str!("../migrations/sqlite/0012_referring_user.sql"),
        include_str!("../migrations/postgres/0012_referring_user.sql"),
    ),
    (
        13,
        "queue_at_volume",
        include_str!("../migrations/sqlite/0013_queue_at_volume.sql"),
        include_str!("../migrations/postgres/0013_queue_at_volume.sql"),
    ),
    (
        14,
        "queue_counts",
        include_str!("../migrations/sqlite/0014_queue_counts.sql"),
        include_str!("../migrations/postgres/0014_queue_counts.sql"),
    ),
    (
        15,
        "audit_head_batch",
        include_str!("../migrations/sqlite/0015_audit_head_batch.sql"),
        include_str!("../migrations/postgres/0015_audit_head_batch.sql"),
    ),
    (
        16,
        "bulk_load_and_packed_events",
        include_str!("../migrations/sqlite/0016_bulk_load_and_packed_events.sql"),
        include_str!("../migrations/postgres/0016_bulk_load_and_packed_events.sql"),
    ),
    (
        17,
        "first_responder_list",
        include_str!("../migrations/sqlite/0017_first_responder_list.sql"),
        include_str!("../migrations/postgres/0017_first_responder_list.sql"),
    ),
    (
        18,
        "support",
        include_str!("../migrations/sqlite/0018_support.sql"),
        include_str!("../migrations/postgres/0018_support.sql"),
    ),
    (
        19,
        "guardians",
        include_str!("../migrations/sqlite/0019_guardians.sql"),
        include_str!("../migrations/postgres/0019_guardians.sql"),
    ),
    (
        21,
        "persons",
        include_str!("../migrations/sqlite/0021_persons.sql"),
        include_str!("../migrations/postgres/0021_persons.sql"),
    ),
    (
        22,
        "retention",
        include_str!("../migrations/sqlite/0022_retention.sql"),
        include_str!("../migrations/postgres/0022_retention.sql"),
    ),
    (
        23,
        "job_leases",
        include_str!("../migrations/sqlite/0023_job_leases.sql"),
        include_str!("../migrations/postgres/0023_job_leases.sql"),
    ),
    (
        24,
        "training",
        include_str!("../migrations/sqlite/0024_training.sql"),
        include_str!("../migrations/postgres/0024_training.sql"),
    ),
    (
        26,
        "guardian_referral_checks",
        include_str!("../migrations/sqlite/0026_guardian_referral_checks.sql"),
        include_str!("../migrations/postgres/0026_guardian_referral_checks.sql"),
    ),
    (
        27,
        "support_case_checks",
        include_str!("../migrations/sqlite/0027_support_case_checks.sql"),
        include_str!("../migrations/postgres/0027_support_case_checks.sql"),
    ),
    (
        28,
        "case_age_reviews",
        include_str!("../migrations/sqlite/0028_case_age_reviews.sql"),
        include_str!("../migrations/postgres/0028_case_age_reviews.sql"),
    ),
    (
        29,
        "case_statistics",
        include_str!("../migrations/sqlite/0029_case_statistics.sql"),
        include_str!("../migrations/postgres/0029_case_statistics.sql"),
    ),
    (
        30,
        "case_statistics_span",
        include_str!("../migrations/sqlite/0030_case_statistics_span.sql"),
        include_str!("../migrations/postgres/0030_case_statistics_span.sql"),
    ),
    (
        31,
        "queue_partial_indexes",
        include_str!("../migrations/sqlite/0031_queue_partial_indexes.sql"),
        include_str!("../migrations/postgres/0031_queue_partial_indexes.sql"),
    ),
    (
        32,
        "case_statistics_quarters",
        include_str!("../migrations/sqlite/0032_case_statistics_quarters.sql"),
        include_str!("../migrations/postgres/0032_case_statistics_quarters.sql"),
    ),
    (
        33,
        "queue_not_due_keys",
        include_str!("../migrations/sqlite/0033_queue_not_due_keys.sql"),
        include_str!("../migrations/postgres/0033_queue_not_due_keys.sql"),
    ),
    (
        34,
        "queue_not_due_by_day",
        include_str!("../migrations/sqlite/0034_queue_not_due_by_day.sql"),
        include_str!("../migrations/postgres/0034_queue_not_due_by_day.sql"),
    ),
    (
        35,
        "imported_cases",
        include_str!("../migrations/sqlite/0035_imported_cases.sql"),
        include_str!("../migrations/postgres/0035_imported_cases.sql"),
    ),
    (
        36,
        "queue_filter_columns",
        include_str!("../migrations/sqlite/0036_queue_filter_columns.sql"),
        include_str!("../migrations/postgres/0036_queue_filter_columns.sql"),
    ),
    (
        37,
        "queue_filter_included",
        include_str!("../migrations/sqlite/0037_queue_filter_included.sql"),
        include_str!("../migrations/postgres/0037_queue_filter_included.sql"),
    ),
    (
        38,
        "queue_count_trigger_planned",
        include_str!("../migrations/sqlite/0038_queue_count_trigger_planned.sql"),
        include_str!("../migrations/postgres/0038_queue_count_trigger_planned.sql"),
    ),
    (
        39,
        "person_name_counts",
        include_str!("../migrations/sqlite/0039_person_name_counts.sql"),
        include_str!("../migrations/postgres/0039_person_name_counts.sql"),
    ),
    (
        40,
        "queue_tie_by_case_id",
        include_str!("../migrations/sqlite/0040_queue_tie_by_case_id.sql"),
        include_str!("../migrations/postgres/0040_queue_tie_by_case_id.sql"),
    ),
    (
        41,
        "link_tokens_without_rowid",
        include_str!("../migrations/sqlite/0041_link_tokens_without_rowid.sql"),
        include_str!("../migrations/postgres/0041_link_tokens_without_rowid.sql"),
    ),
    (
        42,
        "erased_link_tokens",
        include_str!("../migrations/sqlite/0042_erased_link_tokens.sql"),
        include_str!("../migrations/postgres/0042_erased_link_tokens.sql"),
    ),
];

fn migrator(postgres: bool) -> Migrator {
    migrator_to(postgres, i64::MAX)
}

/// The migrations up to `version` (a test's store as it was before a later one).
fn migrator_to(postgres: bool, version: i64) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .filter(|(v, ..)| *v <= version)
            .map(|(version, description, sqlite, pg)| {
                let sql = if postgres { pg } else { sqlite };
                Migration::new(
                    *version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    SqlStr::from_static(sql),
                    false,
                )
            })
            .collect(),
    )
}

impl Store {
    /// Brings the schema up to date. Safe to run on every start and from several instances at
    /// once (sqlx takes an advisory lock on PostgreSQL).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let postgres = matches!(self.kind(), crate::DatabaseKind::Postgres);
        if postgres {
            on_pool!(self, pool => migrator(postgres).run(pool).await?);
        } else {
            self.migrate_sqlite().await?;
        }
        // Indexes an interrupted bulk load left to rebuild.
        self.rebuild_deferred_indexes().await
    }

    /// Brings the schema up to `version` only: for tests of a later migration's backfill,
    /// which need the data it finds. A later [`Store::migrate`] applies the rest.
    pub async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        let postgres = matches!(self.kind(), crate::DatabaseKind::Postgres);
        on_pool!(self, pool => migrator_to(postgres, version).run(pool).await?);
        Ok(())
    }

    /// SQLite has no advisory lock: two processes starting together on a new file could both
    /// find a migration missing, and the second would fail creating what the first just made.
    /// Each migration is one transaction, so the loser's attempt changed nothing; once the
    /// winner has committed, running the migrator again finds them applied. So a failure is
    /// retried (after the winner's commit, which SQLite's busy wait already waited for), and
    /// only a failure that persists is an error.
    async fn migrate_sqlite(&self) -> Result<(), StoreError> {
        let mut attempt = 0;
        loop {
            let result: Result<(), sqlx::migrate::MigrateError> =
                on_pool!(self, pool => migrator(false).run(pool).await);
            match result {
                Ok(()) => return Ok(()),
                Err(_) if attempt < 3 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}
