//! Crash durability: a submission acknowledged over HTTP survives `kill -9` of the server.
//!
//! Starts the real `nrm serve` binary, submits referrals from several clients at once, kills
//! the process with SIGKILL while requests are still in flight, starts it again on the same
//! database, and reads back every acknowledged referral. Runs a few cycles on SQLite and on
//! PostgreSQL; `scripts/crash-soak.sh` runs many more.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nrm_store::testing::{self, TestStore};
use serde_json::{Value, json};

const CYCLES: usize = 3;
const ACKS_BEFORE_KILL: usize = 40;

struct Server {
    child: Child,
    base: String,
}

fn start(store: &TestStore) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nrm"))
        .arg("serve")
        .env("NRM_DATABASE_URL", &store.url)
        .env("NRM_MASTER_KEY", &store.master_key_hex)
        .env("NRM_LISTEN", "127.0.0.1:0")
        .env("NRM_DEV_ACTOR_HEADERS", "true")
        .env("NRM_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("start nrm: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("read: {e}"));
    let base = line
        .trim()
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://"))
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    Server { child, base }
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

async fn cycle(store: &TestStore, acknowledged: &mut Vec<(String, String)>) {
    let mut server = start(store);
    let base = server.base.clone();
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<(String, String)>();
    let mut writers = Vec::new();
    for w in 0..8 {
        let sender = sender.clone();
        let base = base.clone();
        writers.push(tokio::spawn(async move {
            let client = client();
            for i in 0..1000 {
                let name = format!("Crash{w}-{i}");
                let mut body = referral(i);
                body["victim"]["given_names"] = json!(name);
                let response = client
                    .post(format!("{base}/api/v1/referrals/adult"))
                    .header("nrm-dev-user", "00000000-0000-4000-8000-00000000c001")
                    .header(
                        "nrm-dev-organisation",
                        "00000000-0000-4000-8000-00000000c101",
                    )
                    .header("nrm-dev-organisation-kind", "first_responder_organisation")
                    .header("nrm-dev-roles", "first_responder")
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
    let mut server = start(store);
    let client = client();
    for (reference, name) in acknowledged {
        let response = client
            .get(format!("{}/api/v1/cases/{reference}", server.base))
            .header("nrm-dev-user", "00000000-0000-4000-8000-00000000c001")
            .header(
                "nrm-dev-organisation",
                "00000000-0000-4000-8000-00000000c101",
            )
            .header("nrm-dev-organisation-kind", "first_responder_organisation")
            .header("nrm-dev-roles", "first_responder")
            .send()
            .await
            .unwrap_or_else(|e| panic!("read back {reference}: {e}"));
        assert_eq!(
            response.status(),
            200,
            "{}: acknowledged {reference} was lost",
            store.name
        );
        let case: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(
            case["personal_details"]["given_names"],
            json!(name),
            "{reference} came back different"
        );
        assert_eq!(case["version"], 1);
    }
    let _ = server.child.kill();
    let _ = server.child.wait();
}

async fn crash_cycles(store: TestStore) {
    // The store handle the test helper opened must not hold the database during the cycles.
    store.store.close().await;
    let mut acknowledged = Vec::new();
    for _ in 0..CYCLES {
        cycle(&store, &mut acknowledged).await;
        verify(&store, &acknowledged).await;
    }
    eprintln!(
        "{}: {} acknowledged referrals survived {CYCLES} kill -9 cycles",
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
    store.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_submissions_survive_kill_9_on_sqlite() {
    crash_cycles(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_submissions_survive_kill_9_on_postgres() {
    if let Some(store) = testing::postgres().await {
        crash_cycles(store).await;
    }
}
