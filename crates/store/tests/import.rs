//! The bulk import writes exactly what appending the same cases one command at a time writes,
//! on both backends, and writes nothing when any case in a batch is refused.

use chrono::{Duration, NaiveDate};
use nrm_domain::case::CaseState;
use nrm_domain::command::{Command, LifecycleCommand, decide};
use nrm_domain::event::{
    ClosureReason, CompetentAuthority, DecisionRef, DisqualificationGround, InformationSource,
    ReviewOutcome, SuspensionReason, WithdrawalReason,
};
use nrm_domain::ids::{CaseId, SubjectId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, VaultContent};
use nrm_domain::rules::Requester;
use nrm_domain::{Actor, CaseEvent, Rulebook};
use nrm_store::seeding::SyntheticCases;
use nrm_store::testing::{self, TestStore};
use nrm_store::{ImportStep, NewCase, StoreError, VaultWrite};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
}

/// Lifecycle commands a case might see after the synthetic ones, each with the vault record
/// of its written reasons where it has one.
fn lifecycle(rng: &mut StdRng, on: NaiveDate, reasons: VaultRecordId) -> LifecycleCommand {
    use LifecycleCommand as L;
    let decision = if rng.gen_bool(0.5) {
        DecisionRef::ReasonableGrounds
    } else {
        DecisionRef::ConclusiveGrounds
    };
    match rng.gen_range(0..14) {
        0 => L::Reroute {
            to: if rng.gen_bool(0.5) {
                CompetentAuthority::Ieca
            } else {
                CompetentAuthority::Sca
            },
            pilot_site: None,
            reason: nrm_domain::event::RerouteReason::DetentionStarted,
        },
        1 => L::Allocate {
            to: nrm_domain::ids::UserId(Uuid::from_u128(rng.r#gen())),
        },
        2 => L::RequestInformation {
            request: Uuid::from_u128(rng.r#gen()),
            from: InformationSource::Police,
        },
        3 => L::ExtendRecoveryPeriod {
            until: on + Duration::days(60),
        },
        4 => L::Disqualify {
            ground: DisqualificationGround::PublicOrder,
            decided_on: on,
            reasons,
        },
        5 => L::ReviewNegativeConclusiveGrounds {
            outcome: if rng.gen_bool(0.5) {
                ReviewOutcome::Agree
            } else {
                ReviewOutcome::ReferBack
            },
            panel: None,
            reviewer_agency: "Single Competent Authority".to_owned(),
            reviewed_on: on,
            reasons,
        },
        6 => L::ServeDecision {
            decision,
            served_on: on,
            legal_representative: false,
        },
        7 => L::RequestReconsideration {
            decision,
            requested_on: on,
            requested_by: Requester::FirstResponder,
            facing_removal: false,
        },
        8 => L::DecideReconsideration {
            accepted: rng.gen_bool(0.7),
            decided_on: on,
            reasons,
        },
        9 => L::Withdraw {
            on,
            reason: WithdrawalReason::ConsentWithdrawn,
        },
        10 => L::Suspend {
            on,
            reason: SuspensionReason::MissingPerson,
        },
        11 => L::Resume { on },
        12 => L::Close {
            on,
            reason: ClosureReason::ProcessComplete,
        },
        _ => L::SweepDeadlines,
    }
}

/// Adds up to eight more commands to `case`, each decided by the domain on the case as it
/// stands (refused ones are skipped), so the import meets every kind of event.
fn extend(case: &mut NewCase, rng: &mut StdRng) {
    let rules = Rulebook::current();
    let subject: Option<SubjectId> = case
        .steps
        .first()
        .and_then(|s| s.new_subjects.first().copied());
    let caseworker = Actor {
        user: nrm_domain::ids::UserId(Uuid::from_u128(rng.r#gen())),
        organisation: nrm_domain::ids::OrganisationId(Uuid::from_u128(rng.r#gen())),
    };
    for _ in 0..rng.gen_range(0..=8) {
        let Some(last) = case.steps.last() else {
            return;
        };
        let at = last.recorded_at + Duration::days(rng.gen_range(1..40));
        let reasons = VaultRecordId(Uuid::from_u128(rng.r#gen()));
        let command = Command::Lifecycle(lifecycle(rng, at.date_naive(), reasons));
        let events: Vec<CaseEvent> = case.steps.iter().flat_map(|s| s.events.clone()).collect();
        let state = CaseState::from_events(&events);
        let actor = if matches!(
            command,
            Command::Lifecycle(LifecycleCommand::SweepDeadlines)
        ) {
            Actor::SYSTEM
        } else {
            caseworker
        };
        let Ok(new) = decide(&state, &command, actor, &rules, at) else {
            continue;
        };
        if new.is_empty() {
            continue;
        }
        let writes_reasons = new.iter().any(|e| {
            serde_json::to_string(e).is_ok_and(|json| json.contains(&reasons.0.to_string()))
        });
        let vault_writes = match (writes_reasons, subject) {
            (true, Some(subject)) => vec![VaultWrite {
                record: reasons,
                subject,
                content: VaultContent::DecisionReasons {
                    text: DecisionReasons("Synthetic reasons for the import test.".to_owned()),
                },
            }],
            (true, None) => continue,
            (false, _) => Vec::new(),
        };
        case.steps.push(ImportStep {
            events: new,
            actor,
            recorded_at: at,
            new_subjects: Vec::new(),
            vault_writes,
        });
    }
}

fn cases(count: usize, seed: u64) -> Vec<NewCase> {
    let mut synthetic = SyntheticCases::new(seed, today(), 8, 4);
    // Not the generator's own seed: the same stream would repeat its ids.
    let mut rng = StdRng::seed_from_u64(seed ^ 0x05ee_d0fe_7e4d);
    (0..count)
        .map(|_| {
            let mut case = synthetic
                .next_case()
                .unwrap_or_else(|e| panic!("synthetic case: {e}"));
            extend(&mut case, &mut rng);
            case
        })
        .collect()
}

/// Every table the append and the import write, with the columns to compare (all of them but
/// the random nonces' ciphertexts) and the order.
const TABLES: [(&str, Option<&[&str]>, &str); 7] = [
    ("cases", None, "case_id"),
    ("case_events", None, "case_id, version"),
    ("case_summaries", None, "case_id"),
    ("case_deadlines", None, "case_id, deadline"),
    (
        "case_exploitation_types",
        None,
        "case_id, exploitation_type",
    ),
    (
        "vault_subjects",
        Some(&["subject_id", "master_key_id", "created_at"]),
        "subject_id",
    ),
    (
        "vault_records",
        Some(&["record_id", "subject_id", "kind", "created_at"]),
        "record_id",
    ),
];

async fn pair(postgres: bool) -> Option<(TestStore, TestStore)> {
    if postgres {
        let one = testing::postgres().await?;
        let two = testing::postgres().await?;
        Some((one, two))
    } else {
        Some((testing::sqlite().await, testing::sqlite().await))
    }
}

#[tokio::test]
async fn an_import_writes_exactly_what_appending_one_command_at_a_time_writes() {
    // More summaries than one SQLite statement takes (32,766 variables / 29 columns), so the
    // first batch is split across statements.
    let cases = cases(1_200, 41);
    let kinds: std::collections::BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| {
            c.steps
                .iter()
                .flat_map(|s| s.events.iter().map(CaseEvent::kind))
        })
        .collect();
    assert!(
        kinds.len() >= 14,
        "the cases cover most kinds of event: {kinds:?}"
    );
    for postgres in [false, true] {
        let Some((appended, imported)) = pair(postgres).await else {
            continue;
        };
        let name = appended.name;
        for case in &cases {
            for append in case.appends() {
                appended
                    .store
                    .append(append)
                    .await
                    .unwrap_or_else(|e| panic!("append on {name}: {e}"));
            }
        }
        let (first, rest) = cases.split_at(1_150);
        for batch in [first, rest] {
            imported
                .store
                .import_cases(batch)
                .await
                .unwrap_or_else(|e| panic!("import on {name}: {e}"));
        }
        for (table, columns, order) in TABLES {
            let want = appended.table_rows(table, columns, order).await;
            let got = imported.table_rows(table, columns, order).await;
            assert!(!want.is_empty(), "{table} on {name} has rows");
            assert_eq!(want.len(), got.len(), "{table} on {name}: row count");
            for (w, g) in want.iter().zip(&got) {
                assert_eq!(w, g, "{table} on {name}");
            }
        }
        // The queue's kept counts agree once each side's deltas are folded (an import writes
        // each summary with its exploitation types' mask, where appends update it per type).
        for backend in [&appended, &imported] {
            backend
                .store
                .fold_queue_counts()
                .await
                .unwrap_or_else(|e| panic!("fold on {name}: {e}"));
        }
        let order = "scope_kind, scope_id, status, competent_authority, age_group, deadline_flag, suspended, review_pending, pilot_site, exploitation_mask, rg_due_key";
        let want = appended.table_rows("queue_counts", None, order).await;
        let got = imported.table_rows("queue_counts", None, order).await;
        assert!(!want.is_empty(), "queue_counts on {name} has rows");
        assert_eq!(want, got, "queue_counts on {name}");
        // The vault records decrypt to the same content (the ciphertexts differ only by nonce).
        let records = appended
            .table_rows(
                "vault_records",
                Some(&["subject_id", "record_id"]),
                "record_id",
            )
            .await;
        let mut read = 0;
        for case in &cases {
            for step in &case.steps {
                for write in &step.vault_writes {
                    let a = appended.store.read_vault(write.subject, write.record).await;
                    let b = imported.store.read_vault(write.subject, write.record).await;
                    match (a, b) {
                        (Ok(a), Ok(b)) => assert_eq!(a, b, "vault record on {name}"),
                        (a, b) => panic!("vault record on {name}: {a:?} / {b:?}"),
                    }
                    read += 1;
                }
            }
        }
        assert_eq!(read, records.len(), "every vault record read on {name}");
        appended.cleanup().await;
        imported.cleanup().await;
    }
}

#[tokio::test]
async fn a_case_imported_under_a_key_is_found_by_it_and_no_second_case_takes_it() {
    let mut cases = cases(5, 9);
    let (k0, k1, unknown) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    cases[0].import_key = Some(k0);
    cases[1].import_key = Some(k1);
    // As the legacy import of releases before migration 0035 wrote a case: the key its id.
    let old_style = cases[2].case_id.0;
    for backend in testing::all().await {
        let name = backend.name;
        let store = &backend.store;
        store
            .import_cases(&cases[..3])
            .await
            .unwrap_or_else(|e| panic!("import on {name}: {e}"));
        let found = store
            .imported_keys(&[k0, unknown, k1, old_style])
            .await
            .unwrap_or_else(|e| panic!("imported keys on {name}: {e}"));
        assert_eq!(
            found,
            [k0, k1, old_style].into_iter().collect(),
            "{name}: the keys written and the old-style id, not the unknown key"
        );
        assert_eq!(
            backend
                .query_i64("SELECT COUNT(*) FROM imported_cases")
                .await,
            2,
            "{name}: a row per case imported with a key"
        );

        // Another case under a key already taken, among new ones: refused as a case that
        // exists, nothing of the batch written.
        let mut again = cases[3].clone();
        again.import_key = Some(k1);
        let result = store.import_cases(&[cases[4].clone(), again]).await;
        assert!(
            matches!(result, Err(StoreError::VersionConflict { expected: 0, actual }) if actual > 0),
            "{name}: {result:?}"
        );
        assert_eq!(
            backend.query_i64("SELECT COUNT(*) FROM cases").await,
            3,
            "{name}: nothing written"
        );
        backend.cleanup().await;
    }
}

#[tokio::test]
async fn an_import_with_a_case_that_exists_writes_nothing() {
    let cases = cases(30, 5);
    for backend in testing::all().await {
        let name = backend.name;
        let store = &backend.store;
        store
            .import_cases(&cases[..10])
            .await
            .unwrap_or_else(|e| panic!("import on {name}: {e}"));
        let count = || backend.query_i64("SELECT COUNT(*) FROM cases");
        let events = || backend.query_i64("SELECT COUNT(*) FROM case_events");
        let (before, events_before) = (count().await, events().await);
        assert_eq!(before, 10);

        // The same case again, among new ones: refused as a case that exists.
        let again: Vec<NewCase> = cases[10..20].iter().chain(&cases[3..4]).cloned().collect();
        let result = store.import_cases(&again).await;
        assert!(
            matches!(result, Err(StoreError::VersionConflict { expected: 0, actual }) if actual > 0),
            "{name}: {result:?}"
        );
        assert_eq!(count().await, before, "{name}: nothing written");
        assert_eq!(events().await, events_before, "{name}: no events written");

        // A new case holding a reference already taken: refused, nothing written.
        let mut clash = cases[20].clone();
        clash.case_id = CaseId(Uuid::new_v4());
        clash.reference = cases[0].reference.clone();
        let result = store.import_cases(&[cases[21].clone(), clash]).await;
        assert!(
            matches!(result, Err(StoreError::DuplicateReference)),
            "{name}: {result:?}"
        );
        assert_eq!(count().await, before, "{name}: nothing written");

        // A case whose events do not start with a submission is refused before any write.
        let mut headless = cases[22].clone();
        headless.steps.remove(0);
        if !headless.steps.is_empty() {
            let result = store.import_cases(&[headless]).await;
            assert!(
                matches!(result, Err(StoreError::Corrupt(_))),
                "{name}: {result:?}"
            );
        }
        assert_eq!(count().await, before, "{name}: nothing written");

        // The rest go in, and each reads back as appended.
        store
            .import_cases(&cases[10..30])
            .await
            .unwrap_or_else(|e| panic!("import on {name}: {e}"));
        assert_eq!(count().await, 30);
        for case in &cases {
            let loaded = store
                .load(case.case_id)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|| panic!("case imported on {name}"));
            let want: Vec<&CaseEvent> = case.steps.iter().flat_map(|s| &s.events).collect();
            let got: Vec<&CaseEvent> = loaded.events.iter().map(|e| &e.event).collect();
            assert_eq!(want, got, "{name}");
        }
        backend.cleanup().await;
    }
}
