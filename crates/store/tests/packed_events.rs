//! Events are written packed (compressed against a preset dictionary), and events written as
//! JSON before packing existed still read, on both backends.

use chrono::NaiveDate;
use nrm_domain::CaseEvent;
use nrm_domain::ids::CaseId;
use nrm_store::seeding::SyntheticCases;
use nrm_store::testing;
use uuid::Uuid;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
}

#[tokio::test]
async fn events_are_written_packed_and_read_back_as_written() {
    let mut synthetic = SyntheticCases::new(3, today(), 5, 3);
    let cases: Vec<_> = (0..200)
        .map(|_| synthetic.next_case().unwrap_or_else(|e| panic!("{e}")))
        .collect();
    for backend in testing::all().await {
        let name = backend.name;
        // Half through the import, half one command at a time.
        let (imported, appended) = cases.split_at(100);
        backend
            .store
            .import_cases(imported)
            .await
            .unwrap_or_else(|e| panic!("import on {name}: {e}"));
        for case in appended {
            for append in case.appends() {
                backend
                    .store
                    .append(append)
                    .await
                    .unwrap_or_else(|e| panic!("append on {name}: {e}"));
            }
        }
        let unpacked = backend
            .query_i64("SELECT COUNT(*) FROM case_events WHERE packed IS NULL OR body <> ''")
            .await;
        assert_eq!(unpacked, 0, "{name}: every event is written packed");
        let packed = backend
            .query_i64("SELECT SUM(LENGTH(packed)) FROM case_events")
            .await;
        let json: usize = cases
            .iter()
            .flat_map(|c| c.steps.iter().flat_map(|s| &s.events))
            .map(|e| serde_json::to_string(e).map_or(0, |j| j.len()))
            .sum();
        assert!(
            i64::try_from(json).unwrap_or(0) > 2 * packed,
            "{name}: packed {packed} bytes against {json} bytes of JSON"
        );
        for case in &cases {
            let loaded = backend
                .store
                .load(case.case_id)
                .await
                .unwrap_or_else(|e| panic!("load on {name}: {e}"))
                .unwrap_or_else(|| panic!("case on {name}"));
            let want: Vec<&CaseEvent> = case.steps.iter().flat_map(|s| &s.events).collect();
            let got: Vec<&CaseEvent> = loaded.events.iter().map(|e| &e.event).collect();
            assert_eq!(want, got, "{name}");
        }
        backend.cleanup().await;
    }
}

#[tokio::test]
async fn events_written_as_json_before_packing_still_read() {
    let mut synthetic = SyntheticCases::new(9, today(), 5, 3);
    let case = (0..50)
        .map(|_| synthetic.next_case().unwrap_or_else(|e| panic!("{e}")))
        .find(|c| c.steps.len() >= 3)
        .unwrap_or_else(|| panic!("a case with several steps"));
    let events: Vec<&CaseEvent> = case.steps.iter().flat_map(|s| &s.events).collect();
    for backend in testing::all().await {
        let name = backend.name;
        let case_id = CaseId(Uuid::new_v4());
        let (id, at) = if name == "sqlite" {
            (
                format!("X'{}'", case_id.0.simple()),
                "'2026-06-01T12:00:00+00:00'".to_owned(),
            )
        } else {
            (
                format!("'{}'::uuid", case_id.0),
                "'2026-06-01T12:00:00+00:00'::timestamptz".to_owned(),
            )
        };
        let mut sql = format!(
            "INSERT INTO cases (case_id, reference, version, created_at) VALUES ({id}, 'NRM-2026-OLDJ-SON0', {}, {at});",
            events.len()
        );
        for (i, event) in events.iter().enumerate() {
            let json = serde_json::to_string(event)
                .unwrap_or_else(|e| panic!("{e}"))
                .replace('\'', "''");
            sql.push_str(&format!(
                "INSERT INTO case_events (case_id, version, kind, body, actor_user, actor_organisation, recorded_at) VALUES ({id}, {}, '{}', '{json}', {id}, {id}, {at});",
                i + 1,
                event.kind()
            ));
        }
        backend.execute_raw(&sql).await;
        let loaded = backend
            .store
            .load(case_id)
            .await
            .unwrap_or_else(|e| panic!("load on {name}: {e}"))
            .unwrap_or_else(|| panic!("case on {name}"));
        let got: Vec<&CaseEvent> = loaded.events.iter().map(|e| &e.event).collect();
        assert_eq!(events, got, "{name}: JSON rows read as before");
        backend.cleanup().await;
    }
}
