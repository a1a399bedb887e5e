//! Running several instances on one database, on SQLite and PostgreSQL: the periodic sweep
//! runs once per interval however many instances tick together, and the service's gauges
//! count the queue from the kept counts.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use nrm_access::{Operation, Principal};
use nrm_domain::Rulebook;
use nrm_service::Cases;
use nrm_service::operations::Turn;
use nrm_store::testing::{self, TestStore};
use nrm_store::{AuditKey, ConnectOptions, MasterKey, Store};

/// Another process's connection to the same database.
async fn second_instance(t: &TestStore) -> Store {
    let key = MasterKey::from_hex("test", &t.master_key_hex).unwrap_or_else(|| panic!("key"));
    let audit = AuditKey::from_hex(&t.audit_key_hex).unwrap_or_else(|| panic!("audit key"));
    Store::connect(&t.url, ConnectOptions::new(key, audit))
        .await
        .unwrap_or_else(|e| panic!("second connection: {e}"))
}

fn at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 11, 3, hour, minute, second)
        .single()
        .unwrap_or_default()
}

#[tokio::test]
async fn instances_ticking_together_sweep_once_per_interval() {
    for t in testing::all().await {
        eprintln!("backend: {}", t.name);
        let other = second_instance(&t).await;
        // Four "instances": two processes' stores, each shared by two services.
        let instances = [
            Cases::new(t.store.clone(), Rulebook::current()),
            Cases::new(t.store.clone(), Rulebook::current()),
            Cases::new(other.clone(), Rulebook::current()),
            Cases::new(other.clone(), Rulebook::current()),
        ];
        let interval = Duration::from_secs(600);
        let mut ran_total = 0;
        // Five intervals; in each, every instance ticks at once, a little apart in time.
        for turn in 0..5u32 {
            let mut ticks = tokio::task::JoinSet::new();
            for (i, cases) in instances.iter().enumerate() {
                let cases = cases.clone();
                let holder = format!("instance-{i}");
                let now = at(10, turn * 10, u32::try_from(i).unwrap_or(0));
                ticks.spawn(async move { cases.periodic_sweep(&holder, interval, now).await });
            }
            let results = ticks.join_all().await;
            let ran = results
                .iter()
                .filter(|r| matches!(r, Ok(Turn::Ran(_))))
                .count();
            let held = results
                .iter()
                .filter(|r| matches!(r, Ok(Turn::HeldElsewhere)))
                .count();
            assert_eq!((ran, held), (1, 3), "turn {turn}: {results:?}");
            ran_total += ran;
            // A second tick inside the same interval (a restarted instance) does not sweep again.
            let again = instances[0]
                .periodic_sweep("instance-0", interval, at(10, turn * 10 + 5, 0))
                .await;
            assert!(matches!(again, Ok(Turn::HeldElsewhere)), "{again:?}");
        }
        let turns = instances[0]
            .sweep_turns()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(turns.map(|(n, _)| n), Some(5));
        let ran_by_stats: u64 = instances.iter().map(|c| c.job_stats().sweeps_run).sum();
        let skipped: u64 = instances.iter().map(|c| c.job_stats().sweeps_skipped).sum();
        assert_eq!(ran_by_stats, u64::try_from(ran_total).unwrap_or(0));
        assert_eq!(skipped, 5 * 3 + 5);

        // The gauges: only for a capability to read them.
        let capability = nrm_service::admin::system_capability(Operation::ReadServiceMetrics)
            .unwrap_or_else(|e| panic!("{e}"));
        let gauges = instances[0]
            .service_gauges(&capability)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(gauges.queue.is_empty(), "no cases yet: {:?}", gauges.queue);
        assert!(gauges.pool.max >= 1);
        let wrong = nrm_access::authorise(&Principal::system(), Operation::RunDeadlineSweep)
            .unwrap_or_else(|_| panic!("the system sweeps"));
        assert!(instances[0].service_gauges(&wrong).await.is_err());
        other.close().await;
        t.cleanup().await;
    }
}
