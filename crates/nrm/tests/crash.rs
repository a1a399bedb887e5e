//! Crash durability: a submission acknowledged over HTTP survives `kill -9` of the server.
//!
//! Starts the real `nrm serve` binary, submits referrals from several clients at once, kills
//! the process with SIGKILL while requests are still in flight, starts it again on the same
//! database, and reads every acknowledged referral back from the database itself (events and
//! decrypted personal details). Submissions use a scoped API token, as a police system would.
//! Runs a few cycles on SQLite and on PostgreSQL; `scripts/crash-campaign.sh` runs 200 per engine.

use std::time::Duration;

use nrm_access::{Operation, OrganisationKind};
use nrm_domain::ids::OrganisationId;
use nrm_domain::personal::VaultContent;
use nrm_domain::{CaseEvent, CaseReference, Rulebook};
use nrm_service::Cases;
use nrm_store::testing::{self, TestStore};
use nrm_store::{AuditKey, ConnectOptions, MasterKey, Store};
use serde_json::{Value, json};

/// Kill -9 cycles per backend: 3 in the test suite; `scripts/crash-campaign.sh` sets
/// `NRM_CRASH_CYCLES` to run the 200-cycle campaign.
fn cycles() -> usize {
    std::env::var("NRM_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(3)
}
const ACKS_BEFORE_KILL: usize = 40;

mod server;

use server::Server;

/// Where the server under test writes its audit checkpoints (one folder per backend, kept
/// across its restarts).
fn checkpoint_dir(store: &TestStore) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "nrm-crash-checkpoints-{}-{}",
        std::process::id(),
        store.name
    ))
}

fn start(store: &TestStore) -> Server {
    let dir = checkpoint_dir(store).display().to_string();
    Server::start(store, &[("NRM_AUDIT_CHECKPOINT_DIR", dir)])
}

fn referral(n: usize) -> Value {
    json!({
        "victim": {"given_names": format!("Crash{n}"), "family_name": "Test", "narrative": format!("Crash test referral {n}")},
        "profile": {"gender": "female", "nationalities": ["VN"]},
        "consent": {"informed_consent_to_referral": true, "referral_consent_given_on": "2025-01-01", "support_consent": false},
        "exploitation": {"types": ["labour"]},
        "first_responder": {"organisation_type": "non_governmental_organisation"}
    })
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"))
}

async fn cycle(store: &TestStore, token: &str, acknowledged: &mut Vec<(String, String)>) {
    let mut server = start(store);
    let base = server.base.clone();
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let mut writers = Vec::new();
    let bearer = format!("Bearer {token}");
    for w in 0..8 {
        let sender = sender.clone();
        let base = base.clone();
        let bearer = bearer.clone();
        writers.push(tokio::spawn(async move {
            let client = client();
            for i in 0..1000 {
                let name = format!("Crash{w}-{i}");
                let mut body = referral(i);
                body["victim"]["given_names"] = json!(name);
                let response = client
                    .post(format!("{base}/api/v1/referrals/adult"))
                    .header("authorization", bearer.as_str())
                    .json(&body)
                    .send()
                    .await;
                // After the kill, requests fail: that is expected and ends this writer.
                let Ok(response) = response else { return };
                if response.status() != 201 {
                    return;
                }
                let Ok(created) = response.json::<Value>().await else {
                    return;
                };
                let reference = created["reference"].as_str().unwrap_or_default().to_owned();
                if sender.send((reference, name)).is_err() {
                    return;
                }
            }
        }));
    }
    drop(sender);
    let mut this_cycle = 0;
    while let Some(ack) = receiver.recv().await {
        acknowledged.push(ack);
        this_cycle += 1;
        if this_cycle == ACKS_BEFORE_KILL {
            // SIGKILL: no graceful shutdown, no flush; requests are still in flight.
            server.child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
            break;
        }
    }
    let _ = server.child.wait();
    // Acknowledgements already on the wire when the process died count too.
    while let Ok(ack) = receiver.try_recv() {
        acknowledged.push(ack);
    }
    for writer in writers {
        let _ = writer.await;
    }
    assert!(
        this_cycle >= ACKS_BEFORE_KILL,
        "only {this_cycle} acknowledgements before the server stopped"
    );
}

async fn verify(store: &TestStore, acknowledged: &[(String, String)]) {
    // The service starts again on the database the killed process left.
    let mut server = start(store);
    let ready = client()
        .get(format!("{}/ready", server.base))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert_eq!(ready, 200, "{}: the service did not come back", store.name);
    let _ = server.child.kill();
    let _ = server.child.wait();
    // Every acknowledged referral is in the database, whole.
    let key = MasterKey::from_hex("test", &store.master_key_hex).unwrap_or_else(|| panic!("key"));
    let audit_key = AuditKey::from_hex(&store.audit_key_hex).unwrap_or_else(|| panic!("key"));
    let db = Store::connect(&store.url, ConnectOptions::new(key, audit_key))
        .await
        .unwrap_or_else(|e| panic!("reopen: {e}"));
    // The audit checkpoints the server wrote at each start still match the chain: a kill -9
    // never leaves one ahead of what the database kept.
    let files = db
        .read_audit_checkpoints(&checkpoint_dir(store))
        .unwrap_or_else(|e| panic!("{}: no audit checkpoints: {e}", store.name));
    let verdict = db
        .verify_audit_against(&files)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        verdict.is_intact() && verdict.checkpoints > 0,
        "{}: {verdict:?}",
        store.name
    );
    for (reference, name) in acknowledged {
        let parsed: CaseReference = reference.parse().unwrap_or_else(|_| panic!("{reference}"));
        let id = db
            .case_id_by_reference(&parsed)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{}: acknowledged {reference} was lost", store.name));
        let loaded = db
            .load(id)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{reference}: no events"));
        assert_eq!(loaded.version, 1, "{reference}");
        let CaseEvent::ReferralSubmitted(submitted) = &loaded.events[0].event else {
            panic!("{reference}: not a referral");
        };
        let details = db
            .read_vault(submitted.subject, submitted.personal_details)
            .await;
        assert!(
            matches!(details, Ok(VaultContent::PersonalDetails(ref d)) if d.given_names == *name),
            "{reference} came back different"
        );
    }
    db.close().await;
}

async fn crash_cycles(store: TestStore) {
    // A police force and its API token, registered before the server first starts.
    let cases = Cases::new(store.store.clone(), Rulebook::current());
    let police = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            OrganisationId(uuid::Uuid::new_v4()),
            "Crash test police",
            &OrganisationKind::FirstResponderOrganisation,
            chrono::Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (_, token) = cases
        .administration()
        .create_api_token(
            &nrm_service::admin::system_capability(Operation::ManageOrganisations)
                .unwrap_or_else(|e| panic!("{e}")),
            police,
            "crash test",
            &[Operation::SubmitReferral],
            chrono::Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    // The store handle the test helper opened must not hold the database during the cycles.
    store.store.close().await;
    let mut acknowledged = Vec::new();
    let cycles = cycles();
    for n in 0..cycles {
        let from = acknowledged.len();
        cycle(&store, &token, &mut acknowledged).await;
        // Events are never deleted, so each cycle checks what it acknowledged, and the last
        // checks everything again.
        let check = if n + 1 == cycles { 0 } else { from };
        verify(&store, &acknowledged[check..]).await;
        if cycles > 3 {
            eprintln!(
                "{}: cycle {} of {cycles}: {} acknowledged so far, none lost",
                store.name,
                n + 1,
                acknowledged.len()
            );
        }
    }
    eprintln!(
        "{}: {} acknowledged referrals survived {cycles} kill -9 cycles",
        store.name,
        acknowledged.len()
    );
    if store.name == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&store.url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap_or_default();
        assert_eq!(check, "ok");
        pool.close().await;
    }
    let _ = std::fs::remove_dir_all(checkpoint_dir(&store));
    store.cleanup().await;
}

// Security target #36
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_submissions_survive_kill_9_on_sqlite() {
    crash_cycles(testing::sqlite().await).await;
}

// Security target #36
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_submissions_survive_kill_9_on_postgres() {
    if let Some(store) = testing::postgres().await {
        crash_cycles(store).await;
    }
}
