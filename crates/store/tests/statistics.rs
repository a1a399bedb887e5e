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
