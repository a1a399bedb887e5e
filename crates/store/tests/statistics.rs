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

/// The read model of kept facts: a fact is handed back only while it was kept for the case's
/// current version in the format asked for, has no event after the as-at day, and its span
/// meets the window; every other case is handed back to be folded again (kept, unless only
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

/// The walk reads the cases by their key and each case's kept fact by its key, on both
/// engines: never a whole table per chunk (which would make the walk quadratic), and on
/// SQLite never a sort (PostgreSQL may gather a chunk's cases by bitmap and sort them).
#[tokio::test]
async fn the_walk_reads_both_tables_by_their_keys() {
    for backend in testing::all().await {
        let steps = backend
            .store
            .statistics_walk_plan()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let plan = steps.join(" | ");
        assert!(!steps.is_empty());
        for step in &steps {
            assert!(!step.starts_with("SCAN"), "{}: {plan}", backend.name);
            assert!(!step.contains("TEMP B-TREE"), "{}: {plan}", backend.name);
            assert!(!step.starts_with("Seq Scan"), "{}: {plan}", backend.name);
        }
        assert!(
            steps
                .iter()
                .any(|s| s.contains("case_statistics") || s.starts_with("SEARCH s")),
            "{}: {plan}",
            backend.name
        );
        backend.cleanup().await;
    }
}
