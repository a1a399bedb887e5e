//! The audit log: append-only in the database, and every tampering detected by the chain.

use chrono::{TimeZone, Utc};
use nrm_domain::Actor;
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_store::audit::AuditRecord;
use nrm_store::audit::chain::{AuditEntry, GENESIS, next_entry, verify};
use nrm_store::testing;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use uuid::Uuid;

fn chain(n: u64) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    for seq in 0..n {
        let prev = out.last().map_or(GENESIS, |e| e.hash);
        out.push(next_entry(
            seq,
            prev,
            format!("2026-01-01T00:00:{:02}.000000Z", seq % 60),
            Uuid::from_u128(u128::from(seq % 3)).to_string(),
            Uuid::from_u128(100).to_string(),
            if seq % 2 == 0 {
                "case.read"
            } else {
                "decision.reasonable_grounds"
            }
            .to_owned(),
            Some(Uuid::from_u128(u128::from(seq % 7)).to_string()),
            "ok".to_owned(),
            (seq % 5 == 0).then(|| format!("user:{}", Uuid::from_u128(u128::from(seq)))),
        ));
    }
    out
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
    /// Edit an entry and recompute its own hash: the next entry no longer follows it.
    EditAndRehash(usize),
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
            entries[i].hash = nrm_store::audit::chain::entry_hash(&entries[i]);
            // Entry i now verifies on its own, but the head or entry i+1 no longer follow it.
            seq(i) + 1
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
        if e.seq != position
            || e.prev_hash != prev
            || nrm_store::audit::chain::entry_hash(e) != e.hash
        {
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

#[test]
fn ten_thousand_random_tamperings_are_all_detected_at_the_right_entry() {
    const N: u64 = 40;
    let original = chain(N);
    let head = (N, original.last().map_or(GENESIS, |e| e.hash));
    assert_eq!(verify(&original, head.0, head.1), Ok(N));
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
            let result = verify(&entries, head.0, head.1);
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
