//! Several instances on one database behave as one service (issue #17), on SQLite and
//! PostgreSQL: two real `nrm serve` processes share the database; intake runs across both
//! from 16 clients at once and every acknowledged referral is there exactly once, with a
//! reference no other referral has; the periodic sweep, ticking every second in both, runs once
//! per interval across the two (the turns the database counted are at most one a second, and
//! the sweeps the two instances report at `/metrics` never more than the turns).

mod server;

use std::collections::HashSet;
use std::time::Duration;

use nrm_access::{Operation, OrganisationKind};
use nrm_domain::ids::OrganisationId;
use nrm_domain::{CaseReference, Rulebook};
use nrm_service::Cases;
use nrm_store::testing::{self, TestStore};
use nrm_store::{AuditKey, ConnectOptions, MasterKey, Store};
use serde_json::{Value, json};
use server::Server;

const CLIENTS: usize = 16;
const PER_CLIENT: usize = 25;

fn referral(client: usize, n: usize) -> Value {
    json!({
        "victim": {"given_names": format!("Two{client}-{n}"), "family_name": "Instances", "narrative": "Two instances test referral"},
        "profile": {"gender": "male", "nationalities": ["AL"]},
        "consent": {"informed_consent_to_referral": true, "referral_consent_given_on": "2025-01-01", "support_consent": true},
        "exploitation": {"types": ["labour"]},
        "first_responder": {"organisation_type": "police"}
    })
}

/// The sum of every sample of `name` in an OpenMetrics text.
fn total(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

async fn two_instances(store: TestStore) {
    let cases = Cases::new(store.store.clone(), Rulebook::current());
    let admin = nrm_service::admin::system_capability(Operation::ManageOrganisations)
        .unwrap_or_else(|e| panic!("{e}"));
    let police = cases
        .administration()
        .add_organisation(
            &admin,
            OrganisationId(uuid::Uuid::new_v4()),
            "Two instances police",
            &OrganisationKind::FirstResponderOrganisation,
            chrono::Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, token) = cases
        .administration()
        .create_api_token(
            &admin,
            police,
            "two instances",
            &[Operation::SubmitReferral],
            chrono::Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    store.store.close().await;

    let env = [
        ("NRM_METRICS_OPEN", "true".to_owned()),
        ("NRM_SWEEP_INTERVAL_SECONDS", "1".to_owned()),
        ("NRM_AUDIT_CHECKPOINT_INTERVAL_SECONDS", "0".to_owned()),
    ];
    let started = std::time::Instant::now();
    let servers = [Server::start(&store, &env), Server::start(&store, &env)];
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();

    // Intake across both: each client alternates between the instances.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut writers = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let client = client.clone();
        let bases = bases.clone();
        let bearer = format!("Bearer {token}");
        writers.spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0..PER_CLIENT {
                let base = &bases[(c + n) % bases.len()];
                let response = client
                    .post(format!("{base}/api/v1/referrals/adult"))
                    .header("authorization", bearer.as_str())
                    .json(&referral(c, n))
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("submit: {e}"));
                assert_eq!(response.status(), 201, "client {c}, referral {n}");
                let created: Value = response.json().await.unwrap_or(Value::Null);
                acknowledged.push(created["reference"].as_str().unwrap_or_default().to_owned());
            }
            acknowledged
        });
    }
    let acknowledged: Vec<String> = writers.join_all().await.into_iter().flatten().collect();
    assert_eq!(acknowledged.len(), CLIENTS * PER_CLIENT);
    let unique: HashSet<&String> = acknowledged.iter().collect();
    assert_eq!(
        unique.len(),
        acknowledged.len(),
        "{}: a reference was given twice",
        store.name
    );

    // Let both instances tick a few times, then read their sweep figures.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let mut sweeps = 0.0;
    let mut skipped = 0.0;
    let mut submitted = 0.0;
    for base in &bases {
        let text = client
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .text()
            .await
            .unwrap_or_default();
        // A sweep that failed (a busy database under load) still took its turn.
        sweeps +=
            total(&text, "nrm_deadline_sweeps_run") + total(&text, "nrm_deadline_sweeps_failed");
        skipped += total(&text, "nrm_deadline_sweeps_skipped");
        submitted += text
            .lines()
            .filter(|l| {
                l.starts_with("nrm_http_requests_total{")
                    && l.contains("route=\"/api/v1/referrals/adult\"")
                    && l.contains("status=\"201\"")
            })
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum::<f64>();
    }
    for server in servers {
        server.kill();
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(submitted, (CLIENTS * PER_CLIENT) as f64);

    let key = MasterKey::from_hex("test", &store.master_key_hex).unwrap_or_else(|| panic!("key"));
    let audit_key = AuditKey::from_hex(&store.audit_key_hex).unwrap_or_else(|| panic!("key"));
    let db = Store::connect(&store.url, ConnectOptions::new(key, audit_key))
        .await
        .unwrap_or_else(|e| panic!("reopen: {e}"));
    // Every acknowledged referral is there, once: as many cases as acknowledgements.
    for reference in &acknowledged {
        let parsed: CaseReference = reference.parse().unwrap_or_else(|_| panic!("{reference}"));
        assert!(
            db.case_id_by_reference(&parsed)
                .await
                .ok()
                .flatten()
                .is_some(),
            "{}: acknowledged {reference} is missing",
            store.name
        );
    }
    let cases = Cases::new(db.clone(), Rulebook::current());
    let turns = cases
        .sweep_turns()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .map_or(0, |(n, _)| n);
    // Both instances ticked every second, yet the turns taken are at most one per second
    // (and the first, at start), and no instance swept without taking a turn: a sweep that
    // ran in both for one interval would show as more sweeps than turns. A turn taken after
    // the scrape (or with its sweep still running) is why sweeps may be fewer.
    assert!(turns >= 2, "{}: only {turns} sweep turns", store.name);
    assert!(
        turns as f64 <= elapsed.ceil() + 1.0,
        "{}: {turns} sweep turns in {elapsed:.1} s",
        store.name
    );
    assert!(
        sweeps <= turns as f64 && sweeps >= turns as f64 - 2.0,
        "{}: {sweeps} sweeps reported for {turns} turns",
        store.name
    );
    assert!(
        skipped >= 1.0,
        "{}: neither instance ever yielded a turn",
        store.name
    );
    let gauges = cases
        .service_gauges(
            &nrm_service::admin::system_capability(Operation::ReadServiceMetrics)
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let counted: i64 = gauges.queue.iter().map(|d| d.cases).sum();
    assert_eq!(counted, (CLIENTS * PER_CLIENT) as i64, "{}", store.name);
    db.close().await;
    store.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_sqlite_lose_and_duplicate_nothing() {
    two_instances(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_lose_and_duplicate_nothing() {
    if let Some(store) = testing::postgres().await {
        two_instances(store).await;
    }
}
