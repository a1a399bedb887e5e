//! The audit log: append-only in the database, and every tampering detected by the chain.

use chrono::{TimeZone, Utc};
use nrm_domain::Actor;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_store::audit::chain::{
    AuditEntry, AuditKey, EntryContent, GENESIS, entry_mac, legacy_hash, next_entry, verify,
};
use nrm_store::audit::{AuditProblem, AuditRecord};
use nrm_store::testing;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use uuid::Uuid;

fn key() -> AuditKey {
    AuditKey::from_bytes(&[0x5a; 32])
}

/// A key that is not the service's: what an attacker without the audit key might use.
fn wrong_key() -> AuditKey {
    AuditKey::from_bytes(&[0xa5; 32])
}

fn content(seq: u64) -> EntryContent {
    EntryContent {
        recorded_at: format!("2026-01-01T00:00:{:02}.000000Z", seq % 60),
        actor_user: Uuid::from_u128(u128::from(seq % 3)).to_string(),
        actor_organisation: Uuid::from_u128(100).to_string(),
        action: if seq.is_multiple_of(2) {
            "case.read"
        } else {
            "decision.reasonable_grounds"
        }
        .to_owned(),
        case_id: Some(Uuid::from_u128(u128::from(seq % 7)).to_string()),
        outcome: "ok".to_owned(),
        subject: seq
            .is_multiple_of(5)
            .then(|| format!("user:{}", Uuid::from_u128(u128::from(seq)))),
    }
}

fn chain(n: u64) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    for seq in 0..n {
        let prev = out.last().map_or(GENESIS, |e| e.hash);
        out.push(next_entry(&key(), seq, prev, content(seq)));
    }
    out
}

/// Re-chains `entries[from..]` with `hash`, as an attacker who edited entry `from` would.
fn rechain(entries: &mut [AuditEntry], from: usize, hash: impl Fn(&AuditEntry) -> [u8; 32]) {
    for i in from..entries.len() {
        if i > 0 {
            entries[i].prev_hash = entries[i - 1].hash;
        }
        entries[i].hash = hash(&entries[i]);
    }
}

/// One way an attacker with write access to the table might alter it.
#[derive(Debug, Clone)]
enum Tamper {
    EditAction(usize),
    EditOutcome(usize),
    EditCase(usize),
    EditTime(usize),
    /// Give an entry a different subject, or take its subject away.
    EditSubject(usize),
    FlipHashBit(usize, usize),
    FlipPrevBit(usize, usize),
    Delete(usize),
    Swap(usize, usize),
    Truncate(usize),
    /// Edit an entry and recompute its own MAC with the audit key (an insider holding the
    /// key): the next entry no longer follows it.
    EditAndRehash(usize),
    /// Edit an entry and re-chain it and every later one with the old unkeyed SHA-256.
    RechainUnkeyed(usize),
    /// Edit an entry and re-chain it and every later one with a key that is not the audit key.
    RechainWrongKey(usize),
}

fn tamper_strategy(n: usize) -> impl Strategy<Value = Tamper> {
    prop_oneof![
        (0..n).prop_map(Tamper::EditAction),
        (0..n).prop_map(Tamper::EditOutcome),
        (0..n).prop_map(Tamper::EditCase),
        (0..n).prop_map(Tamper::EditTime),
        (0..n).prop_map(Tamper::EditSubject),
        (0..n, 0..256usize).prop_map(|(i, b)| Tamper::FlipHashBit(i, b)),
        (0..n, 0..256usize).prop_map(|(i, b)| Tamper::FlipPrevBit(i, b)),
        (0..n).prop_map(Tamper::Delete),
        (0..n, 0..n)
            .prop_filter("two different entries", |(a, b)| a != b)
            .prop_map(|(a, b)| Tamper::Swap(a.min(b), a.max(b))),
        (0..n).prop_map(Tamper::Truncate),
        (0..n - 1).prop_map(Tamper::EditAndRehash),
        (0..n).prop_map(Tamper::RechainUnkeyed),
        (0..n).prop_map(Tamper::RechainWrongKey),
    ]
}

/// Applies `t` and returns the sequence number the verifier must report.
fn apply(entries: &mut Vec<AuditEntry>, t: &Tamper) -> u64 {
    let seq = |i: usize| i as u64 + 1;
    match *t {
        Tamper::EditAction(i) => {
            entries[i].action.push('x');
            seq(i)
        }
        Tamper::EditOutcome(i) => {
            entries[i].outcome = "refused:forged".to_owned();
            seq(i)
        }
        Tamper::EditCase(i) => {
            entries[i].case_id = None;
            seq(i)
        }
        Tamper::EditTime(i) => {
            entries[i].recorded_at = "1999-01-01T00:00:00.000000Z".to_owned();
            seq(i)
        }
        Tamper::EditSubject(i) => {
            entries[i].subject = match entries[i].subject {
                Some(_) => None,
                None => Some(format!("token:{}", Uuid::from_u128(7))),
            };
            seq(i)
        }
        Tamper::FlipHashBit(i, b) => {
            entries[i].hash[b / 8] ^= 1 << (b % 8);
            seq(i)
        }
        Tamper::FlipPrevBit(i, b) => {
            entries[i].prev_hash[b / 8] ^= 1 << (b % 8);
            seq(i)
        }
        Tamper::Delete(i) => {
            entries.remove(i);
            seq(i)
        }
        Tamper::Swap(a, b) => {
            entries.swap(a, b);
            seq(a)
        }
        Tamper::Truncate(keep) => {
            entries.truncate(keep);
            seq(keep)
        }
        Tamper::EditAndRehash(i) => {
            entries[i].outcome = "ok-but-different".to_owned();
            entries[i].hash = entry_mac(&key(), &entries[i]);
            // Entry i now verifies on its own, but the head or entry i+1 no longer follow it.
            seq(i) + 1
        }
        Tamper::RechainUnkeyed(i) => {
            entries[i].outcome = "refused:forged".to_owned();
            rechain(entries, i, legacy_hash);
            seq(i)
        }
        Tamper::RechainWrongKey(i) => {
            entries[i].outcome = "refused:forged".to_owned();
            rechain(entries, i, |e| entry_mac(&wrong_key(), e));
            seq(i)
        }
    }
}

/// A plain, independent reading of the rules: the first position whose entry is out of
/// sequence, does not follow its predecessor, or does not match its own hash; a chain that is
/// intact but shorter than the head fails one past its end.
fn first_failing(entries: &[AuditEntry], head_hash: [u8; 32]) -> u64 {
    let mut prev = GENESIS;
    for (i, e) in entries.iter().enumerate() {
        let position = i as u64 + 1;
        if e.seq != position || e.prev_hash != prev || entry_mac(&key(), e) != e.hash {
            return position;
        }
        prev = e.hash;
    }
    if prev == head_hash {
        u64::MAX
    } else {
        entries.len() as u64 + 1
    }
}

// ASVS v5.0.0-16.4.2
#[test]
fn ten_thousand_random_tamperings_are_all_detected_at_the_right_entry() {
    const N: u64 = 40;
    let original = chain(N);
    let head = (N, original.last().map_or(GENESIS, |e| e.hash));
    assert_eq!(verify(&key(), 1, &original, head.0, head.1), Ok(N));
    let mut runner = TestRunner::new(Config {
        cases: 10_000,
        failure_persistence: None,
        ..Config::default()
    });
    // One tampering per case: two could cancel out (a swap undone) and prove nothing.
    let tampers = proptest::collection::vec(tamper_strategy(N as usize), 1..=1);
    runner
        .run(&tampers, |tampers| {
            let mut entries = original.clone();
            let mut first_bad = u64::MAX;
            for t in &tampers {
                if entries.len() < 2 {
                    break;
                }
                let t = match t {
                    Tamper::EditAndRehash(i) if *i + 1 >= entries.len() => {
                        Tamper::EditOutcome(*i % entries.len())
                    }
                    Tamper::Swap(a, b) if *b >= entries.len() => {
                        Tamper::EditAction(*a % entries.len())
                    }
                    Tamper::EditAction(i)
                    | Tamper::EditOutcome(i)
                    | Tamper::EditCase(i)
                    | Tamper::EditTime(i)
                    | Tamper::EditSubject(i)
                    | Tamper::RechainUnkeyed(i)
                    | Tamper::RechainWrongKey(i)
                    | Tamper::Delete(i)
                    | Tamper::Truncate(i)
                    | Tamper::FlipHashBit(i, _)
                    | Tamper::FlipPrevBit(i, _)
                        if *i >= entries.len() =>
                    {
                        Tamper::Truncate(entries.len() - 1)
                    }
                    other => other.clone(),
                };
                first_bad = first_bad.min(apply(&mut entries, &t));
            }
            // A re-chaining attacker also rewinds the head onto their last entry.
            let head = match tampers.first() {
                Some(Tamper::RechainUnkeyed(_) | Tamper::RechainWrongKey(_)) => {
                    (head.0, entries.last().map_or(GENESIS, |e| e.hash))
                }
                _ => head,
            };
            let result = verify(&key(), 1, &entries, head.0, head.1);
            prop_assert!(result.is_err(), "{tampers:?} went undetected");
            if let Err(broken) = result {
                // The report is the first entry that fails on its own terms, and never later
                // than one past the first altered entry (a re-hashed entry is caught by its
                // successor or by the head).
                prop_assert_eq!(broken.seq, first_failing(&entries, head.1), "{:?}", tampers);
                prop_assert!(
                    broken.seq <= first_bad + 1,
                    "{tampers:?}: reported {} but {first_bad} was the first altered",
                    broken.seq
                );
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

fn actor() -> Actor {
    Actor {
        user: UserId(Uuid::from_u128(1)),
        organisation: OrganisationId(Uuid::from_u128(2)),
    }
}

#[tokio::test]
async fn the_database_refuses_to_change_the_log_and_verify_finds_tampering() {
    for t in testing::all().await {
        let at = Utc
            .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
            .single()
            .unwrap_or_default();
        for i in 0..20u128 {
            let record = AuditRecord {
                actor: actor(),
                action: "case.read".to_owned(),
                case_id: Some(CaseId(Uuid::from_u128(i % 4))),
                outcome: "ok".to_owned(),
                subject: (i % 3 == 0).then(|| format!("user:{}", Uuid::from_u128(i))),
            };
            t.store
                .audit(&record, at)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let report = t
            .store
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.map(|r| r.entries), Ok(20), "{}", t.name);
        let first = t
            .store
            .audit_entries(1, 1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            first.first().and_then(|e| e.subject.clone()),
            Some(format!("user:{}", Uuid::from_u128(0))),
            "{}: the subject is stored",
            t.name
        );
        assert_eq!(
            t.store
                .audit_for_case(CaseId(Uuid::from_u128(1)))
                .await
                .map(|e| e.len())
                .ok(),
            Some(5)
        );

        // The application's own connection cannot change or remove entries.
        let attacks = [
            "UPDATE audit_log SET outcome = 'forged' WHERE seq = 5",
            "DELETE FROM audit_log WHERE seq = 20",
            "DELETE FROM audit_head",
        ];
        let (edit, truncate) = if t.name == "sqlite" {
            let pool = sqlx::SqlitePool::connect(&t.url)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            for sql in attacks {
                assert!(
                    sqlx::query(sql).execute(&pool).await.is_err(),
                    "sqlite allowed {sql}"
                );
            }
            // An attacker who drops the triggers is still caught by the chain.
            sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::query("DROP TRIGGER audit_log_no_delete")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::query("UPDATE audit_log SET outcome = 'forged' WHERE seq = 7")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let edit = t
                .store
                .verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::query("UPDATE audit_log SET outcome = 'ok' WHERE seq = 7")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::query("DELETE FROM audit_log WHERE seq > 17")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let truncate = t
                .store
                .verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            pool.close().await;
            (edit, truncate)
        } else {
            let pool = sqlx::PgPool::connect(&t.url)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            for sql in attacks.iter().chain(["TRUNCATE audit_log"].iter()) {
                assert!(
                    sqlx::query(sqlx::AssertSqlSafe(*sql))
                        .execute(&pool)
                        .await
                        .is_err(),
                    "postgres allowed {sql}"
                );
            }
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER USER")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::query("UPDATE audit_log SET outcome = 'forged' WHERE seq = 7")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let edit = t
                .store
                .verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::query("UPDATE audit_log SET outcome = 'ok' WHERE seq = 7")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            sqlx::query("DELETE FROM audit_log WHERE seq > 17")
                .execute(&pool)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let truncate = t
                .store
                .verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            pool.close().await;
            (edit, truncate)
        };
        assert_eq!(edit.err().map(|b| b.seq), Some(7), "{}", t.name);
        assert_eq!(truncate.err().map(|b| b.seq), Some(18), "{}", t.name);
        t.cleanup().await;
    }
}

fn legacy_then_keyed(legacy: u64, keyed: u64) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    for seq in 0..legacy + keyed {
        let prev = out.last().map_or(GENESIS, |e| e.hash);
        let mut entry = next_entry(&key(), seq, prev, content(seq));
        if seq < legacy {
            entry.hash = legacy_hash(&entry);
        }
        out.push(entry);
    }
    out
}

// ASVS v5.0.0-16.4.2
#[test]
fn entries_from_before_the_key_verify_unkeyed_and_the_first_keyed_entry_seals_them() {
    let entries = legacy_then_keyed(10, 10);
    let head = entries.last().map_or(GENESIS, |e| e.hash);
    assert_eq!(verify(&key(), 11, &entries, 20, head), Ok(20));
    // Keyed from the start, the unkeyed entries do not verify.
    assert_eq!(
        verify(&key(), 1, &entries, 20, head).map_err(|b| b.seq),
        Err(1)
    );

    // Editing an unkeyed entry and re-chaining the unkeyed ones breaks the first keyed entry,
    // which committed to the last unkeyed one.
    let mut edited = entries.clone();
    edited[3].outcome = "refused:forged".to_owned();
    rechain(&mut edited[..10], 3, legacy_hash);
    assert_eq!(
        verify(&key(), 11, &edited, 20, head).map_err(|b| b.seq),
        Err(11)
    );
    // Re-chaining everything after it without the key fails at the same entry.
    let mut edited = entries;
    edited[3].outcome = "refused:forged".to_owned();
    rechain(&mut edited, 3, legacy_hash);
    let head = edited.last().map_or(GENESIS, |e| e.hash);
    assert_eq!(
        verify(&key(), 11, &edited, 20, head).map_err(|b| b.seq),
        Err(11)
    );
}

/// A connection with every right on the database, as an attacker who got past the
/// application would have.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn open(t: &testing::TestStore) -> Self {
        if t.name == "sqlite" {
            Self::Sqlite(
                sqlx::SqlitePool::connect(&t.url)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            )
        } else {
            Self::Postgres(
                sqlx::PgPool::connect(&t.url)
                    .await
                    .unwrap_or_else(|e| panic!("{e}")),
            )
        }
    }

    async fn run(&self, sql: &'static str) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            Self::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        }
    }

    /// Switches off the triggers that keep the log append-only and the head moving forward,
    /// as the owner of the tables can.
    async fn disable_triggers(&self) {
        let statements: &[&'static str] = match self {
            Self::Sqlite(_) => &[
                "DROP TRIGGER audit_log_no_update",
                "DROP TRIGGER audit_log_no_delete",
                "DROP TRIGGER audit_head_moves_only_by_append",
            ],
            Self::Postgres(_) => &[
                "ALTER TABLE audit_log DISABLE TRIGGER USER",
                "ALTER TABLE audit_head DISABLE TRIGGER USER",
            ],
        };
        for sql in statements {
            self.run(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }

    /// Overwrites an entry's content and chain fields.
    async fn overwrite(&self, e: &AuditEntry) {
        const SQL: &str =
            "UPDATE audit_log SET outcome = $1, prev_hash = $2, hash = $3 WHERE seq = $4";
        let seq = i64::try_from(e.seq).unwrap_or(i64::MAX);
        let result = match self {
            Self::Sqlite(pool) => sqlx::query(SQL)
                .bind(&e.outcome)
                .bind(e.prev_hash.to_vec())
                .bind(e.hash.to_vec())
                .bind(seq)
                .execute(pool)
                .await
                .map(|_| ()),
            Self::Postgres(pool) => sqlx::query(SQL)
                .bind(&e.outcome)
                .bind(e.prev_hash.to_vec())
                .bind(e.hash.to_vec())
                .bind(seq)
                .execute(pool)
                .await
                .map(|_| ()),
        };
        result.unwrap_or_else(|e| panic!("{e}"));
    }

    /// Inserts a bare entry `seq` whose `prev_hash` is entry `prev_of`'s hash (or `prev`
    /// when given) and whose hash is `hash`, as someone writing the table directly would.
    async fn insert_entry(&self, seq: i64, prev_of: i64, prev: Option<[u8; 32]>, hash: [u8; 32]) {
        const SQL: &str = "INSERT INTO audit_log (seq, recorded_at, actor_user, actor_organisation, action, case_id, outcome, subject, prev_hash, hash) VALUES ($1, 'x', 'x', 'x', 'case.read', NULL, 'ok', NULL, COALESCE($2, (SELECT hash FROM audit_log WHERE seq = $3)), $4)";
        let prev = prev.map(|p| p.to_vec());
        let result = match self {
            Self::Sqlite(pool) => sqlx::query(SQL)
                .bind(seq)
                .bind(prev)
                .bind(prev_of)
                .bind(hash.to_vec())
                .execute(pool)
                .await
                .map(|_| ()),
            Self::Postgres(pool) => sqlx::query(SQL)
                .bind(seq)
                .bind(prev)
                .bind(prev_of)
                .bind(hash.to_vec())
                .execute(pool)
                .await
                .map(|_| ()),
        };
        result.unwrap_or_else(|e| panic!("insert entry {seq}: {e}"));
    }

    async fn close(self) {
        match self {
            Self::Sqlite(pool) => pool.close().await,
            Self::Postgres(pool) => pool.close().await,
        }
    }
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

async fn record_entries(t: &testing::TestStore, n: u128) {
    for i in 0..n {
        let record = AuditRecord {
            actor: actor(),
            action: "case.read".to_owned(),
            case_id: Some(CaseId(Uuid::from_u128(i % 4))),
            outcome: "ok".to_owned(),
            subject: None,
        };
        t.store
            .audit(&record, at())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Takes a checkpoint of the chain as it stands and writes it into `dir`.
async fn checkpoint(t: &testing::TestStore, dir: &std::path::Path) -> nrm_store::audit::Checkpoint {
    let checkpoint = t
        .store
        .audit_checkpoint(None, at())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|p| panic!("{}: {p}", t.name));
    t.store
        .write_audit_checkpoint(dir, &checkpoint)
        .unwrap_or_else(|e| panic!("{e}"));
    checkpoint
}

async fn verdict(t: &testing::TestStore, dir: &std::path::Path) -> nrm_store::audit::AuditVerdict {
    let files = t
        .store
        .read_audit_checkpoints(dir)
        .unwrap_or_else(|e| panic!("{e}"));
    t.store
        .verify_audit_against(&files)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn temporary_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("nrm-audit-test-{}", Uuid::new_v4().simple()))
}

// ASVS v5.0.0-16.4.3
#[tokio::test]
async fn the_database_refuses_to_move_the_head_except_by_appending() {
    for t in testing::all().await {
        record_entries(&t, 5).await;
        let raw = Raw::open(&t).await;
        let mut attacks = vec![
            // Rewind onto an earlier entry, as a truncation would need.
            "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_log WHERE seq = 4) WHERE id = 1",
            "UPDATE audit_head SET seq = 0 WHERE id = 1",
            // Move past the end, or onto a hash that is not the last entry's.
            "UPDATE audit_head SET seq = seq + 1 WHERE id = 1",
            "UPDATE audit_head SET hash = (SELECT hash FROM audit_log WHERE seq = 3) WHERE id = 1",
            // Claim the entries predate the key.
            "UPDATE audit_head SET keyed_from = 100 WHERE id = 1",
            "DELETE FROM audit_head",
        ];
        if t.name == "postgres" {
            attacks.push("TRUNCATE audit_head");
        }
        for sql in attacks {
            assert!(raw.run(sql).await.is_err(), "{} allowed {sql}", t.name);
        }
        raw.close().await;
        // The append path still moves it.
        record_entries(&t, 1).await;
        let report = t
            .store
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.map(|r| r.entries), Ok(6), "{}", t.name);
        t.cleanup().await;
    }
}

// ASVS v5.0.0-16.4.3
#[tokio::test]
async fn the_head_moves_over_several_entries_only_when_each_follows_the_one_before() {
    for t in testing::all().await {
        record_entries(&t, 5).await;
        let raw = Raw::open(&t).await;
        // Entries 6 and 7, chained after the head: the head may move over both at once.
        raw.insert_entry(6, 5, None, [6; 32]).await;
        raw.insert_entry(7, 6, None, [7; 32]).await;
        // Entry 8 follows 7; entry 9 does not follow 8; entry 10 follows 9.
        raw.insert_entry(8, 7, None, [8; 32]).await;
        raw.insert_entry(9, 0, Some([1; 32]), [9; 32]).await;
        raw.insert_entry(10, 9, None, [10; 32]).await;
        let refused = [
            // Over an entry that does not follow the one before it.
            "UPDATE audit_head SET seq = 10, hash = (SELECT hash FROM audit_log WHERE seq = 10) WHERE id = 1",
            "UPDATE audit_head SET seq = 9, hash = (SELECT hash FROM audit_log WHERE seq = 9) WHERE id = 1",
            // Onto an entry with another entry's hash.
            "UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_log WHERE seq = 6) WHERE id = 1",
            // Past the end.
            "UPDATE audit_head SET seq = 11, hash = (SELECT hash FROM audit_log WHERE seq = 10) WHERE id = 1",
        ];
        for sql in refused {
            assert!(raw.run(sql).await.is_err(), "{} allowed {sql}", t.name);
        }
        let allowed = "UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_log WHERE seq = 8) WHERE id = 1";
        assert!(
            raw.run(allowed).await.is_ok(),
            "{} refused {allowed}",
            t.name
        );
        // And from there, still not over entry 9.
        assert!(
            raw.run(refused[0]).await.is_err(),
            "{} allowed {}",
            t.name,
            refused[0]
        );
        // Back is never allowed.
        let back = "UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_log WHERE seq = 7) WHERE id = 1";
        assert!(raw.run(back).await.is_err(), "{} allowed {back}", t.name);
        raw.close().await;
        t.cleanup().await;
    }
}

// ASVS v5.0.0-16.4.2
#[tokio::test]
async fn deleting_the_tail_and_rewinding_the_head_is_reported_from_the_checkpoint() {
    for t in testing::all().await {
        let dir = temporary_dir();
        record_entries(&t, 20).await;
        let taken = checkpoint(&t, &dir).await;
        assert_eq!(taken.seq, 20);
        let clean = verdict(&t, &dir).await;
        assert!(clean.is_intact(), "{}: {:?}", t.name, clean.problems);
        assert_eq!(clean.checkpoints, 1);

        // The attack: with the triggers out of the way, delete entries 18 to 20 and put the
        // head back on entry 17, so what is left is a perfectly good chain.
        let raw = Raw::open(&t).await;
        raw.disable_triggers().await;
        raw.run("DELETE FROM audit_log WHERE seq > 17")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        raw.run("UPDATE audit_head SET seq = 17, hash = (SELECT hash FROM audit_log WHERE seq = 17) WHERE id = 1")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        raw.close().await;

        // The database alone cannot tell...
        let alone = t
            .store
            .verify_audit()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alone.map(|r| r.entries), Ok(17), "{}", t.name);
        // ...the checkpoint outside it can.
        let found = verdict(&t, &dir).await;
        assert_eq!(
            found.problems,
            vec![AuditProblem::Missing {
                from: 18,
                to: 20,
                checkpoint: taken.file_name(),
            }],
            "{}",
            t.name
        );
        assert!(
            found.problems[0]
                .to_string()
                .contains("entries 18..20 are missing"),
            "{}",
            found.problems[0]
        );
        // And no new checkpoint is taken over the gap.
        let next = t
            .store
            .audit_checkpoint(Some(&taken), at())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(
                next,
                Err(AuditProblem::Missing {
                    from: 18,
                    to: 20,
                    ..
                })
            ),
            "{}: {next:?}",
            t.name
        );
        let _ = std::fs::remove_dir_all(&dir);
        t.cleanup().await;
    }
}

/// How an attacker re-chains the entries they edited.
#[derive(Debug, Clone, Copy)]
enum Rechain {
    /// With the old unkeyed SHA-256.
    Unkeyed,
    /// With a key that is not the audit key.
    WrongKey,
    /// Unkeyed, and the marker moved past the end so every entry claims to predate the key.
    UnkeyedAndMarkerMoved,
}

// ASVS v5.0.0-16.4.2
#[tokio::test]
async fn edited_entries_rechained_without_the_audit_key_are_named() {
    for how in [
        Rechain::Unkeyed,
        Rechain::WrongKey,
        Rechain::UnkeyedAndMarkerMoved,
    ] {
        for t in testing::all().await {
            let dir = temporary_dir();
            record_entries(&t, 10).await;
            let taken = checkpoint(&t, &dir).await;
            record_entries(&t, 10).await;

            // The attack: change entry 7's outcome and re-chain 7..20, head included.
            let mut entries = t
                .store
                .audit_entries(1, 100)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(entries.len(), 20);
            entries[6].outcome = "refused:forged".to_owned();
            match how {
                Rechain::Unkeyed | Rechain::UnkeyedAndMarkerMoved => {
                    rechain(&mut entries, 6, legacy_hash);
                }
                Rechain::WrongKey => rechain(&mut entries, 6, |e| entry_mac(&wrong_key(), e)),
            }
            let raw = Raw::open(&t).await;
            raw.disable_triggers().await;
            for e in &entries[6..] {
                raw.overwrite(e).await;
            }
            let last = entries.last().cloned().unwrap_or_else(|| panic!("entries"));
            match &raw {
                Raw::Sqlite(pool) => {
                    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                        .bind(last.hash.to_vec())
                        .execute(pool)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                Raw::Postgres(pool) => {
                    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
                        .bind(last.hash.to_vec())
                        .execute(pool)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
            if let Rechain::UnkeyedAndMarkerMoved = how {
                // Every entry now has to pass as unkeyed, so re-chain them all from the first.
                rechain(&mut entries, 0, legacy_hash);
                for e in &entries {
                    raw.overwrite(e).await;
                }
                raw.run("UPDATE audit_head SET keyed_from = 21, hash = (SELECT hash FROM audit_log WHERE seq = 20) WHERE id = 1")
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
            raw.close().await;

            let alone = t
                .store
                .verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let found = verdict(&t, &dir).await;
            match how {
                Rechain::Unkeyed | Rechain::WrongKey => {
                    assert_eq!(
                        alone.map_err(|b| b.seq),
                        Err(7),
                        "{} {how:?}: the first edited entry is named",
                        t.name
                    );
                    assert_eq!(
                        found.problems.first().and_then(AuditProblem::first_seq),
                        Some(7),
                        "{} {how:?}: {:?}",
                        t.name,
                        found.problems
                    );
                }
                Rechain::UnkeyedAndMarkerMoved => {
                    // Without the checkpoint this passes as twenty entries from before the key,
                    // and verify says so; the checkpoint shows both the moved marker and the
                    // rewritten chain.
                    assert_eq!(
                        alone.map(|r| (r.entries, r.unkeyed)),
                        Ok((20, 20)),
                        "{}",
                        t.name
                    );
                    assert!(
                        found.problems.contains(&AuditProblem::KeyingMoved {
                            recorded: 1,
                            found: 21,
                            checkpoint: taken.file_name(),
                        }),
                        "{}: {:?}",
                        t.name,
                        found.problems
                    );
                    assert!(
                        found.problems.contains(&AuditProblem::Rewritten {
                            seq: 10,
                            checkpoint: taken.file_name(),
                        }),
                        "{}: {:?}",
                        t.name,
                        found.problems
                    );
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
            t.cleanup().await;
        }
    }
}

// ASVS v5.0.0-16.4.2
#[tokio::test]
async fn a_forged_or_altered_checkpoint_is_reported() {
    let t = testing::sqlite().await;
    let dir = temporary_dir();
    record_entries(&t, 3).await;
    let taken = checkpoint(&t, &dir).await;
    // A checkpoint signed with another key, claiming more entries than were written.
    let forged = nrm_store::audit::Checkpoint {
        seq: 9,
        ..taken.clone()
    };
    std::fs::write(dir.join(forged.file_name()), forged.to_json(&wrong_key()))
        .unwrap_or_else(|e| panic!("{e}"));
    let found = verdict(&t, &dir).await;
    assert_eq!(
        found.checkpoints, 1,
        "only the genuine checkpoint is compared"
    );
    assert!(
        matches!(
            found.problems.as_slice(),
            [AuditProblem::BadCheckpoint { checkpoint, .. }] if *checkpoint == forged.file_name()
        ),
        "{:?}",
        found.problems
    );
    let _ = std::fs::remove_dir_all(&dir);
    t.cleanup().await;
}

#[tokio::test]
async fn verifying_and_checkpointing_while_entries_are_appended_finds_nothing_wrong() {
    for t in testing::all().await {
        let dir = temporary_dir();
        record_entries(&t, 5).await;
        let store = t.store.clone();
        let writer = tokio::spawn(async move {
            for i in 0..300u128 {
                let record = AuditRecord {
                    actor: actor(),
                    action: "case.read".to_owned(),
                    case_id: Some(CaseId(Uuid::from_u128(i))),
                    outcome: "ok".to_owned(),
                    subject: None,
                };
                store
                    .audit(&record, at())
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        });
        let mut previous = None;
        while !writer.is_finished() {
            let taken = t
                .store
                .audit_checkpoint(previous.as_ref(), at())
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|p| panic!("{}: {p}", t.name));
            t.store
                .write_audit_checkpoint(&dir, &taken)
                .unwrap_or_else(|e| panic!("{e}"));
            previous = Some(taken);
            let found = verdict(&t, &dir).await;
            assert!(found.is_intact(), "{}: {:?}", t.name, found.problems);
            let alone = t
                .store
                .verify_audit()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(alone.is_ok(), "{}: {alone:?}", t.name);
        }
        writer.await.unwrap_or_else(|e| panic!("{e}"));
        let found = verdict(&t, &dir).await;
        assert_eq!(
            (found.entries, found.problems.len()),
            (305, 0),
            "{}",
            t.name
        );
        let _ = std::fs::remove_dir_all(&dir);
        t.cleanup().await;
    }
}
