//! The statistics' event stream, on SQLite and PostgreSQL: every case once, in case-id order,
//! with exactly its events of the kinds asked for, in stream order, whatever the page size
//! (cases fall across page boundaries), and nothing recorded after the cut-off.

use chrono::{NaiveDate, TimeZone, Utc};
use nrm_domain::ids::CaseId;
use nrm_store::seeding::SyntheticCases;
use nrm_store::testing;
use nrm_store::{EVERY_DAY, Kept};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
}

const KINDS: [&str; 3] = [
    "referral_submitted",
    "duty_to_notify_reported",
    "reasonable_grounds_decided",
];

#[tokio::test]
async fn every_case_streams_once_with_its_events_of_the_kinds_asked_for() {
    for backend in testing::all().await {
        let store = &backend.store;
        let mut synthetic = SyntheticCases::new(5, today(), 4, 2);
        let made: Vec<_> = (0..120)
            .map(|_| synthetic.next_case().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        store
            .import_cases(&made)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // What the stream should give: per case, its events of those kinds, in order.
        let mut expected: Vec<(uuid::Uuid, Vec<String>)> = made
            .iter()
            .map(|c| {
                let kinds = c
                    .steps
                    .iter()
                    .flat_map(|s| s.events.iter())
                    .map(|e| e.kind().to_owned())
                    .filter(|k| KINDS.contains(&k.as_str()))
                    .collect();
                (c.case_id.0, kinds)
            })
            .collect();
        expected.sort();
        let far = Utc
            .with_ymd_and_hms(2100, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        for page in [1, 2, 7, 100, 20_000] {
            let mut got: Vec<(uuid::Uuid, Vec<String>)> = Vec::new();
            let n = store
                .each_case_events_paged(&KINDS, far, page, |case, events| {
                    got.push((
                        case.0,
                        events.iter().map(|(_, e)| e.kind().to_owned()).collect(),
                    ));
                })
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(n, 120, "{} page {page}", backend.name);
            assert_eq!(got, expected, "{} page {page}", backend.name);
        }
        // Nothing recorded after the cut-off: before every referral, no case at all.
        let before = Utc
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let n = store
            .each_case_events_paged(&KINDS, before, 7, |_, _| panic!("an event from the future"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, 0);
        assert_eq!(store.case_count().await.unwrap_or(0), 120);
        backend.cleanup().await;
    }
}

/// Walks the read model for format 7 as at `as_at`, facts whose span meets `window`: the
/// kept facts handed back, the cases to fold (with whether to keep the fold), and the counts.
async fn walk(
    store: &nrm_store::Store,
    as_at: NaiveDate,
    window: (NaiveDate, NaiveDate),
) -> (
    std::collections::BTreeMap<CaseId, (u64, Vec<u8>)>,
    std::collections::BTreeMap<CaseId, (u64, bool)>,
    nrm_store::FactWalk,
) {
    let mut facts = std::collections::BTreeMap::new();
    let mut folds = std::collections::BTreeMap::new();
    let mut last = None;
    let mut progress = Vec::new();
    let walked = store
        .each_case_fact_in(
            7,
            as_at,
            window,
            |case, kept| {
                assert!(last < Some(case), "in case-id order, each once");
                last = Some(case);
                match kept {
                    Kept::Fact { version, fact } => {
                        facts.insert(case, (version, fact.to_vec()));
                    }
                    Kept::Fold { version, keep } => {
                        folds.insert(case, (version, keep));
                    }
                }
            },
            |n| progress.push(n),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        progress.last(),
        Some(&walked.cases),
        "progress ends at every case"
    );
    (facts, folds, walked)
}

/// The read model of kept facts while some fact is kept in another format (so every case is
/// walked): a fact is handed back only while it was kept for the case's current version in
/// the format asked for, has no event after the as-at day, and its span meets the window; every other case is handed back to be folded again (kept, unless only
/// the as-at day stood in the way); an older fold never replaces a newer one; the count of
/// facts counts only usable ones; and the events of chosen cases come back case by case.
#[tokio::test]
async fn a_kept_fact_is_handed_back_only_while_it_is_current() {
    use nrm_store::FactToKeep;
    for backend in testing::all().await {
        let store = &backend.store;
        let mut synthetic = SyntheticCases::new(9, today(), 4, 2);
        let made: Vec<_> = (0..30)
            .map(|_| synthetic.next_case().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        store
            .import_cases(&made)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (facts, folds, walked) = walk(store, today(), EVERY_DAY).await;
        assert!(facts.is_empty(), "nothing kept yet");
        assert_eq!(walked.cases, made.len() as u64);
        assert_eq!(walked.kept_facts, 0);
        assert!(folds.values().all(|(_, keep)| *keep));
        let versions: std::collections::BTreeMap<CaseId, u64> =
            folds.iter().map(|(c, (v, _))| (*c, *v)).collect();
        assert_eq!(versions.len(), made.len());
        for c in &made {
            let events = c.steps.iter().map(|s| s.events.len()).sum::<usize>() as u64;
            assert_eq!(
                versions.get(&c.case_id),
                Some(&events),
                "the case's version"
            );
        }
        let ids: Vec<_> = versions.keys().copied().collect();
        let keep = |i: usize, version: u64, format: i64, fact: Vec<u8>| FactToKeep {
            case_id: ids[i],
            version,
            format,
            last_day: Some(today()),
            span: Some((today() - chrono::Days::new(40), today())),
            quarters: vec![2026 * 4 + 1],
            fact,
        };
        let v = |i: usize| versions[&ids[i]];
        store
            .keep_facts(&[
                // Current, in format 7.
                keep(0, v(0), 7, vec![1, 2, 3]),
                // Current, in another format.
                keep(1, v(1), 8, vec![4]),
                // Folded through an older version.
                keep(2, v(2) - 1, 7, vec![5]),
                keep(3, v(3), 7, vec![6]),
                // Current, a case with no fact (no span).
                FactToKeep {
                    span: None,
                    quarters: Vec::new(),
                    ..keep(4, v(4), 7, vec![0])
                },
            ])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // An older fold of case 3 does not replace the one kept; a newer fold of case 0 does.
        store
            .keep_facts(&[keep(3, v(3) - 1, 7, vec![66]), keep(0, v(0), 7, vec![9])])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (facts, folds, walked) = walk(store, today(), EVERY_DAY).await;
        assert_eq!(walked.cases, made.len() as u64);
        let expected: std::collections::BTreeMap<_, _> =
            [(ids[0], (v(0), vec![9])), (ids[3], (v(3), vec![6]))]
                .into_iter()
                .collect();
        assert_eq!(facts, expected);
        // Cases 0 and 3 usable, case 4 usable with no fact: neither handed back nor counted.
        assert_eq!(walked.kept_facts, 2, "{}", backend.name);
        assert!(!folds.contains_key(&ids[4]), "a kept case with no fact");
        assert_eq!(folds.len(), made.len() - 3);
        assert_eq!(folds.get(&ids[1]), Some(&(v(1), true)), "another format");
        assert_eq!(folds.get(&ids[2]), Some(&(v(2), true)), "another version");

        // A window the spans do not meet: the usable facts stay in the database, still counted.
        let later = (today() + chrono::Days::new(1), EVERY_DAY.1);
        let (facts, folds, walked) = walk(store, today(), later).await;
        assert!(facts.is_empty());
        assert_eq!(walked.kept_facts, 2);
        assert_eq!(folds.len(), made.len() - 3);
        // A window that meets them at one end only.
        let (facts, _, _) = walk(store, today(), (today(), today())).await;
        assert_eq!(facts.len(), 2);
        let early = today() - chrono::Days::new(40);
        let (facts, _, _) = walk(store, today(), (EVERY_DAY.0, early)).await;
        assert_eq!(facts.len(), 2);
        let (facts, _, _) = walk(store, today(), (EVERY_DAY.0, early - chrono::Days::new(1))).await;
        assert!(facts.is_empty());

        // As at the day before their last event, the current facts are folded again for this
        // answer only (not kept), and none is counted as usable.
        let before = today() - chrono::Days::new(1);
        let (facts, folds, walked) = walk(store, before, EVERY_DAY).await;
        assert!(facts.is_empty());
        assert_eq!(walked.kept_facts, 0);
        for i in [0, 3, 4] {
            assert_eq!(folds.get(&ids[i]), Some(&(v(i), false)), "case {i}");
        }
        assert_eq!(folds.get(&ids[2]), Some(&(v(2), true)));

        // Events of chosen cases, in the order asked, each with its own events only.
        let chosen = [ids[5], ids[1], ids[4]];
        let events = store
            .events_of_cases(&KINDS, &chosen)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            events.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            chosen.to_vec()
        );
        for (case, got) in &events {
            let Some(c) = made.iter().find(|m| m.case_id == *case) else {
                panic!("a case not asked for")
            };
            let want: Vec<String> = c
                .steps
                .iter()
                .flat_map(|s| s.events.iter())
                .map(|e| e.kind().to_owned())
                .filter(|k| KINDS.contains(&k.as_str()))
                .collect();
            let got: Vec<String> = got.iter().map(|(_, e)| e.kind().to_owned()).collect();
            assert_eq!(got, want);
            assert!(!got.is_empty());
        }
        // A range of cases, read in order: every case from the first to the last, no other.
        let range = store
            .events_of_case_range(&KINDS, ids[2], ids[6])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            range.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            ids[2..=6].to_vec()
        );
        for (case, got) in &range {
            let Some((_, by_case)) = store
                .events_of_cases(&KINDS, &[*case])
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .pop()
            else {
                panic!("no events")
            };
            assert_eq!(got, &by_case);
        }
        backend.cleanup().await;
    }
}

/// Every query of the walk reads its tables by their keys or an index, on both engines:
/// never a whole table (which would make the walk of every case quadratic and the others read
/// every case), and on SQLite never a sort (PostgreSQL may gather a chunk's cases by bitmap
/// and sort them). The quarter's facts are found from the quarter's key, each fact by its key.
#[tokio::test]
async fn the_walk_reads_every_table_by_its_keys() {
    for backend in testing::all().await {
        let plans = backend
            .store
            .statistics_walk_plans()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plans.len(), 6);
        for (query, steps) in &plans {
            let plan = steps.join(" | ");
            assert!(!steps.is_empty(), "{}: {query}", backend.name);
            for step in steps {
                for table in [
                    "cases",
                    "case_statistics",
                    "case_statistics_quarters",
                    "case_statistics_stale",
                    "c",
                    "s",
                    "q",
                ] {
                    assert!(
                        !step.starts_with(&format!("SCAN {table} "))
                            && step != &format!("SCAN {table}"),
                        "{} {query}: {plan}",
                        backend.name
                    );
                }
                assert!(
                    !step.contains("TEMP B-TREE"),
                    "{} {query}: {plan}",
                    backend.name
                );
                assert!(
                    !step.starts_with("Seq Scan"),
                    "{} {query}: {plan}",
                    backend.name
                );
            }
            if *query == "quarter" {
                assert!(
                    steps.iter().any(|s| {
                        s.contains("case_statistics_quarters")
                            || s.starts_with("SEARCH q USING PRIMARY KEY (quarter=?")
                    }),
                    "{} {query}: {plan}",
                    backend.name
                );
            }
        }
        backend.cleanup().await;
    }
}

/// A day of quarter `n` (1 to 4) of 2026, and that quarter's number.
fn q(n: u32) -> (NaiveDate, i32) {
    (
        NaiveDate::from_ymd_opt(2026, n * 3 - 1, 15).unwrap_or_default(),
        2026 * 4 + n as i32 - 1,
    )
}

/// The quarter `n` of 2026 as a window.
fn quarter(n: u32) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(2026, n * 3 - 2, 1).unwrap_or_default();
    let end = if n == 4 {
        NaiveDate::from_ymd_opt(2026, 12, 31)
    } else {
        NaiveDate::from_ymd_opt(2026, n * 3 + 1, 1).and_then(|d| d.pred_opt())
    };
    (start, end.unwrap_or_default())
}

/// While every fact is kept in the format asked for, the walk reads no case it need not: the
/// cases the database marked stale itself (every new case, every new version) are folded again
/// until a fold of their version is kept; the facts handed back are exactly those kept in a
/// quarter of the window, each once (not those whose span only straddles it); a fact kept
/// again replaces its quarters; an older fold replaces neither fact nor quarters; the facts of
/// cases with an event after the as-at day are folded for that answer only; and one fact in
/// another format sends the next walk over every case.
#[tokio::test]
async fn only_stale_cases_and_the_windows_quarters_are_read() {
    use nrm_store::Append;
    use nrm_store::FactToKeep;
    for backend in testing::all().await {
        let store = &backend.store;
        let name = backend.name;
        let mut synthetic = SyntheticCases::new(11, today(), 4, 2);
        let made: Vec<_> = (0..12)
            .map(|_| synthetic.next_case().unwrap_or_else(|e| panic!("{e}")))
            .collect();
        store
            .import_cases(&made)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // Every imported case is stale: folded and kept, none read as a fact.
        let (facts, folds, walked) = walk(store, today(), EVERY_DAY).await;
        assert!(facts.is_empty(), "{name}");
        assert_eq!(walked.cases, 12, "{name}");
        assert_eq!(walked.kept_facts, 0, "{name}");
        assert_eq!(folds.len(), 12, "{name}");
        assert!(folds.values().all(|(_, keep)| *keep), "{name}");
        let ids: Vec<CaseId> = folds.keys().copied().collect();
        let v = |i: usize| folds[&ids[i]].0;
        let keep = |i: usize, version: u64, quarters: &[u32], fact: u8| {
            let days: Vec<(NaiveDate, i32)> = quarters.iter().map(|n| q(*n)).collect();
            FactToKeep {
                case_id: ids[i],
                version,
                format: 7,
                last_day: Some(q(2).0),
                span: days
                    .first()
                    .zip(days.last())
                    .map(|(first, last)| (first.0, last.0)),
                quarters: days.iter().map(|d| d.1).collect(),
                fact: vec![fact],
            }
        };
        store
            .keep_facts(&[
                keep(0, v(0), &[1], 10),
                keep(1, v(1), &[1, 3], 11),
                // Referred in the first quarter, decided in the fourth: its span straddles the
                // third quarter, but no table of the third counts it.
                keep(2, v(2), &[1, 4], 12),
                keep(3, v(3), &[3], 13),
                // A case with no fact.
                keep(4, v(4), &[], 0),
                // Folded through an older version: still stale.
                keep(5, v(5) - 1, &[3], 15),
            ])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let rest: Vec<FactToKeep> = (6..12).map(|i| keep(i, v(i), &[2], i as u8)).collect();
        store
            .keep_facts(&rest)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // After keeping many facts the service brings the planner's statistics up to date: on
        // PostgreSQL the tables are sampled (their row estimates are the facts just kept).
        store
            .analyze_statistics_read_model()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if name == "postgres" {
            for (table, rows) in [("case_statistics", 12), ("case_statistics_quarters", 13)] {
                let estimate = backend
                    .query_i64(&format!(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = '{table}'::regclass"
                    ))
                    .await;
                assert_eq!(estimate, rows, "{name}: {table} analysed");
            }
        }

        let fact = |i: usize, f: u8| (ids[i], (v(i), vec![f]));
        let (facts, folds, walked) = walk(store, today(), quarter(3)).await;
        assert_eq!(
            facts,
            [fact(1, 11), fact(3, 13)].into_iter().collect(),
            "{name}: the third quarter's facts, not the one straddling it"
        );
        assert_eq!(
            folds,
            [(ids[5], (v(5), true))].into_iter().collect(),
            "{name}: the case kept through an older version"
        );
        // Ten facts (the case with none is not one), less the out-of-date one.
        assert_eq!(walked.kept_facts, 10, "{name}");
        assert_eq!(walked.cases, 12, "{name}");
        // The year: every fact of a quarter of 2026, each once.
        let (facts, _, _) = walk(store, today(), (quarter(1).0, quarter(4).1)).await;
        assert_eq!(facts.len(), 10, "{name}");
        assert!(!facts.contains_key(&ids[5]), "{name}");
        // No window: nothing but the folds.
        let (facts, folds, _) = walk(store, today(), (EVERY_DAY.1, EVERY_DAY.0)).await;
        assert!(facts.is_empty(), "{name}");
        assert_eq!(folds.len(), 1, "{name}");

        // A new event on case 1: the database marks it stale; its fact is no longer read.
        let version = store
            .append(Append {
                case_id: ids[1],
                expected_version: v(1),
                reference: None,
                events: &[nrm_domain::CaseEvent::TurnedEighteen(
                    nrm_domain::children::adulthood::TurnedEighteen {
                        on: today(),
                        consent_to_support_offered: true,
                        notified: Vec::new(),
                        rule: "test".to_owned(),
                    },
                )],
                actor: nrm_domain::Actor::SYSTEM,
                recorded_at: Utc
                    .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
                    .single()
                    .unwrap_or_default(),
                new_subjects: &[],
                vault_writes: &[],
                audit: None,
                draft: None,
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(version, v(1) + 1);
        let (facts, folds, walked) = walk(store, today(), quarter(3)).await;
        assert_eq!(facts, [fact(3, 13)].into_iter().collect(), "{name}");
        assert_eq!(folds.get(&ids[1]), Some(&(version, true)), "{name}");
        assert_eq!(walked.kept_facts, 9, "{name}");

        // Kept again with other quarters: read in those, no longer in the old ones; an older
        // fold (of the case's last version but one) replaces neither.
        let mut again = keep(1, version, &[2], 21);
        again.last_day = Some(today());
        store
            .keep_facts(&[again, keep(3, v(3) - 1, &[4], 99)])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (facts, folds, walked) = walk(store, today(), quarter(3)).await;
        assert_eq!(facts, [fact(3, 13)].into_iter().collect(), "{name}");
        assert!(!folds.contains_key(&ids[1]), "{name}: no longer stale");
        assert_eq!(walked.kept_facts, 10, "{name}");
        let (facts, _, _) = walk(store, today(), quarter(2)).await;
        assert_eq!(facts.get(&ids[1]), Some(&(version, vec![21])), "{name}");
        let (facts, _, _) = walk(store, today(), quarter(4)).await;
        assert_eq!(facts, [fact(2, 12)].into_iter().collect(), "{name}");

        // As at the day before case 1's last event: folded for that answer only, not counted.
        let before = today() - chrono::Days::new(1);
        let (facts, folds, walked) = walk(store, before, quarter(2)).await;
        assert!(!facts.contains_key(&ids[1]), "{name}");
        assert_eq!(folds.get(&ids[1]), Some(&(version, false)), "{name}");
        assert_eq!(walked.kept_facts, 9, "{name}");
        // A quarter whose only kept fact cannot be used as at that day: nothing read from it,
        // until the day asked is after the fact's last event.
        let far = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap_or_default();
        store
            .keep_facts(&[FactToKeep {
                last_day: Some(today()),
                quarters: vec![q(2).1, 2030 * 4],
                ..keep(1, version, &[2], 21)
            }])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (facts, _, _) = walk(store, before, (far, far)).await;
        assert!(facts.is_empty(), "{name}");
        let (facts, _, _) = walk(store, today(), (far, far)).await;
        assert_eq!(facts.get(&ids[1]), Some(&(version, vec![21])), "{name}");
        assert_eq!(facts.len(), 1, "{name}");

        // One fact in another format: the next walk reads every case, and folds that one.
        store
            .keep_facts(&[FactToKeep {
                format: 8,
                ..keep(0, v(0), &[1], 10)
            }])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (_, folds, walked) = walk(store, today(), quarter(3)).await;
        assert_eq!(folds.get(&ids[0]), Some(&(v(0), true)), "{name}");
        assert_eq!(walked.kept_facts, 9, "{name}");
        backend.cleanup().await;
    }
}
