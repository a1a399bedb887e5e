//! The statistics' event stream, on SQLite and PostgreSQL: every case once, in case-id order,
//! with exactly its events of the kinds asked for, in stream order, whatever the page size
//! (cases fall across page boundaries), and nothing recorded after the cut-off.

use chrono::{NaiveDate, TimeZone, Utc};
use nrm_store::seeding::SyntheticCases;
use nrm_store::testing;

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

/// The read model of kept facts: a fact is handed back only while it was kept for the case's
/// current version in the format asked for; an older fold never replaces a newer one; and the
/// events of chosen cases come back case by case, in the order asked.
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
        let mut versions = std::collections::BTreeMap::new();
        store
            .each_case_kept_fact(7, |case, version, kept| {
                assert!(kept.is_none(), "nothing kept yet");
                versions.insert(case, version);
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
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
            ])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // An older fold of case 3 does not replace the one kept; a newer fold of case 0 does.
        store
            .keep_facts(&[keep(3, v(3) - 1, 7, vec![66]), keep(0, v(0), 7, vec![9])])
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let mut kept = std::collections::BTreeMap::new();
        let seen = store
            .each_case_kept_fact(7, |case, _, k| {
                if let Some(k) = k {
                    kept.insert(case, (k.last_day, k.fact.to_vec()));
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(seen, made.len() as u64);
        let expected: std::collections::BTreeMap<_, _> = [
            (ids[0], (Some(today()), vec![9])),
            (ids[3], (Some(today()), vec![6])),
        ]
        .into_iter()
        .collect();
        assert_eq!(kept, expected);

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
