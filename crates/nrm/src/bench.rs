//! `nrm bench intake`: acknowledged referrals per second and latency through the HTTP API.
//!
//! For each backend it starts the real router on a loopback port over a fresh database, submits
//! adult referrals from N concurrent clients, and reports throughput with p50/p99 latency per
//! concurrency level. It then measures single-row durable commits on the same database, the
//! ceiling any acknowledged write rate is bounded by. Traffic goes to 127.0.0.1 only and every
//! loop is bounded by a request count.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use nrm_domain::Rulebook;
use nrm_service::Cases;
use nrm_store::testing::{self, TestStore};

/// Options for `nrm bench intake`.
#[derive(Debug, Args)]
pub struct IntakeOptions {
    /// Referrals to submit at each concurrency level.
    #[arg(long, default_value_t = 1000)]
    requests: u32,
    /// Concurrency levels, comma-separated.
    #[arg(long, default_value = "1,4,16,64", value_delimiter = ',')]
    concurrency: Vec<u32>,
    /// Single-row commits for the ceiling measurement.
    #[arg(long, default_value_t = 1000)]
    commits: u32,
    /// Register a support prime contractor for England first, as the service has in
    /// production, so that every referral (an adult who consents) is also referred for
    /// support at intake, with an episode of its own. Without it a referral's support hook
    /// finds no prime and writes nothing.
    #[arg(long)]
    with_support: bool,
    /// Which backends: sqlite, postgres (uses NRM_TEST_DATABASE_URL or the local test database).
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    backends: Vec<String>,
}

/// A referral's JSON body about `person`: the victim's name and date of birth from the
/// linkage crate's generator, so that each referral is about someone (households, common
/// names, some people referred again with the variants of real referrals) and intake's person
/// linkage does the work it does in service, not the work of one person referred thousands of
/// times (a constant body made every referral a re-referral of the one person, whose
/// candidates and history then grew with every request).
fn body(person: &nrm_linkage::synth::SynthRecord) -> String {
    let mut victim = serde_json::json!({
        "given_names": person.given_names,
        "family_name": person.family_name,
        "narrative": "Synthetic benchmark referral.",
    });
    if let Some(dob) = birth_date(person) {
        victim["date_of_birth"] = serde_json::json!(dob.to_string());
    }
    serde_json::json!({
        "victim": victim,
        "profile": {"gender": "male", "nationalities": ["AL"]},
        "consent": {"informed_consent_to_referral": true, "referral_consent_given_on": "2025-01-01", "support_consent": true},
        "exploitation": {"types": ["labour"], "location": {"police_force_areas": ["west-midlands"]}},
        "first_responder": {"organisation_type": "police"}
    })
    .to_string()
}

/// `n` adult referral bodies, each about one of the generator's people (records without a
/// given or family name, which the generator leaves out now and then, and its children, whom
/// the adult referral refuses, passed over).
fn bodies(n: usize, seed: u64) -> Vec<String> {
    let mut generator = nrm_linkage::synth::Generator::new(seed);
    let mut queued = Vec::new();
    let mut out = Vec::with_capacity(n);
    let adult_by = chrono::Utc::now().date_naive() - chrono::Days::new(19 * 366);
    while out.len() < n {
        generator.next_household(&mut queued);
        for record in queued.drain(..) {
            if out.len() < n
                && !record.given_names.trim().is_empty()
                && !record.family_name.trim().is_empty()
                && birth_date(&record).is_none_or(|d| d <= adult_by)
            {
                out.push(body(&record));
            }
        }
    }
    out
}

/// The generator's date of birth, in either of its forms.
pub(crate) fn birth_date(person: &nrm_linkage::synth::SynthRecord) -> Option<chrono::NaiveDate> {
    ["%Y-%m-%d", "%Y%m%d"]
        .iter()
        .find_map(|f| chrono::NaiveDate::parse_from_str(&person.date_of_birth, f).ok())
}

pub async fn intake(options: IntakeOptions) -> anyhow::Result<()> {
    println!(
        "nrm bench intake: {} referrals per level, concurrency {:?}",
        options.requests, options.concurrency
    );
    println!(
        "{:<9} {:>11} {:>13} {:>9} {:>9} {:>9} {:>11} {:>9}",
        "backend",
        "concurrency",
        "referrals/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "mean batch",
        "CPU busy"
    );
    for backend in &options.backends {
        let Some(test_store) = backend_store(backend).await? else {
            continue;
        };
        run_backend(&options, &test_store).await?;
        let started = Instant::now();
        let commits = test_store
            .store
            .bench_single_row_commits(options.commits)
            .await?;
        let rate = f64::from(commits) / started.elapsed().as_secs_f64();
        println!(
            "{:<9} {:>11} {:>13.0}   (ceiling: single-row durable commits/s, one writer)",
            test_store.name, "-", rate
        );
        test_store.cleanup().await;
    }
    Ok(())
}

/// A fresh store on the named backend; `None` (said) when PostgreSQL is unreachable. Both
/// with the pool a service opens by default (the tests' PostgreSQL store has half of it, and
/// at intake's concurrency the group committer then waits for a connection behind the reads).
pub(crate) async fn backend_store(name: &str) -> anyhow::Result<Option<TestStore>> {
    match name {
        "sqlite" => Ok(Some(testing::sqlite().await)),
        "postgres" => {
            let store = testing::postgres_with_connections(
                nrm_store::ConnectOptions::DEFAULT_MAX_CONNECTIONS,
            )
            .await;
            if store.is_none() {
                println!("postgres  (unreachable; skipped)");
            }
            Ok(store)
        }
        other => anyhow::bail!("unknown backend {other}: use sqlite or postgres"),
    }
}

/// The `p` quantile of sorted latencies, in milliseconds (0 when there are none).
pub(crate) fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

async fn run_backend(options: &IntakeOptions, test_store: &TestStore) -> anyhow::Result<()> {
    let cases = Cases::new(test_store.store.clone(), Rulebook::current());
    // The benchmark submits as a police system would: with a scoped API token.
    let police = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?,
            nrm_domain::ids::OrganisationId(uuid::Uuid::new_v4()),
            "Benchmark police force",
            &nrm_access::OrganisationKind::FirstResponderOrganisation,
            chrono::Utc::now(),
        )
        .await?;
    let (_, token) = cases
        .administration()
        .create_api_token(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?,
            police,
            "benchmark",
            &[nrm_access::Operation::SubmitReferral],
            chrono::Utc::now(),
        )
        .await?;
    let bearer = format!("Bearer {token}");
    if options.with_support {
        register_prime(&cases, test_store).await?;
    }
    let state = nrm_web::AppState::new(cases, nrm_web::Settings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let listener = crate::no_delay(listener);
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            nrm_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(60))
        .build()?;
    let url = format!("http://{address}/api/v1/referrals/adult");
    for (level, &concurrency) in options.concurrency.iter().enumerate() {
        // Made before the clock starts; a new seed for each level, new people each time.
        let bodies: Arc<Vec<String>> =
            Arc::new(bodies(options.requests as usize, 2026 + level as u64));
        let remaining = Arc::new(AtomicU32::new(options.requests));
        let before = test_store.store.group_commit_stats();
        let cpu_before = machine_cpu();
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..concurrency.max(1) {
            let client = client.clone();
            let url = url.clone();
            let remaining = remaining.clone();
            let bearer = bearer.clone();
            let bodies = Arc::clone(&bodies);
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u32;
                while let Ok(left) =
                    remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                {
                    let body = bodies.get(left as usize - 1).cloned().unwrap_or_default();
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("authorization", bearer.as_str())
                        .body(body)
                        .send()
                        .await;
                    match response {
                        Ok(r) if r.status().as_u16() == 201 => latencies.push(sent.elapsed()),
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            }));
        }
        let mut latencies = Vec::new();
        let mut errors = 0;
        for worker in workers {
            let (l, e) = worker.await.context("benchmark worker")?;
            latencies.extend(l);
            errors += e;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let busy = machine_cpu()
            .zip(cpu_before)
            .and_then(|(after, before)| after.busy_since(&before))
            .map_or_else(|| "-".to_owned(), |share| format!("{:.0} %", share * 100.0));
        let after = test_store.store.group_commit_stats();
        // Appends per transaction of the group committer over this level.
        let mean_batch = (after.appends - before.appends) as f64
            / (after.batches - before.batches).max(1) as f64;
        latencies.sort_unstable();
        let percentile = |p: f64| percentile_ms(&latencies, p);
        println!(
            "{:<9} {:>11} {:>13.0} {:>9.2} {:>9.2} {:>9} {:>11.1} {:>9}",
            test_store.name,
            concurrency,
            latencies.len() as f64 / elapsed,
            percentile(0.50),
            percentile(0.99),
            errors,
            mean_batch,
            busy
        );
    }
    server.abort();
    Ok(())
}

/// Registers a support prime contractor for every English region (see
/// `IntakeOptions::with_support`).
async fn register_prime(cases: &Cases, test_store: &TestStore) -> anyhow::Result<()> {
    let manage = nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?;
    let prime = cases
        .administration()
        .add_organisation(
            &manage,
            nrm_domain::ids::OrganisationId(uuid::Uuid::new_v4()),
            "Benchmark prime contractor",
            &nrm_access::OrganisationKind::SupportProvider,
            chrono::Utc::now(),
        )
        .await?;
    let regions = nrm_domain::support::accommodation::REGIONS
        .iter()
        .filter(|r| !matches!(**r, "wales" | "scotland" | "northern_ireland"))
        .map(|r| (*r).to_owned())
        .collect();
    nrm_service::Support::new(test_store.store.clone(), Rulebook::current())
        .add_provider(
            &manage,
            nrm_store::support::SupportProviderRow {
                organisation: prime,
                name: String::new(),
                parent: None,
                regions,
                services: vec!["accommodation".to_owned(), "outreach".to_owned()],
            },
            chrono::Utc::now(),
        )
        .await?;
    Ok(())
}

/// The machine's CPU time so far, from the first line of `/proc/stat` (Linux), in clock
/// ticks: what was busy (user, nice, system, interrupts) and what was not (idle, I/O wait).
/// Read around each level, it says whether intake was bound by the CPU (every core busy:
/// the benchmark's clients, the service and the database server together) or by waiting
/// (the disk, a lock, hand-overs between threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MachineCpu {
    busy: u64,
    idle: u64,
}

impl MachineCpu {
    /// Parses the aggregate `cpu` line of `/proc/stat`.
    fn parse(stat: &str) -> Option<Self> {
        let line = stat.lines().next()?;
        let mut fields = line.split_whitespace();
        if fields.next()? != "cpu" {
            return None;
        }
        let ticks: Vec<u64> = fields.map(|f| f.parse().ok()).collect::<Option<_>>()?;
        let at = |i: usize| ticks.get(i).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal: steal is time the machine did
        // not have, counted as neither.
        Some(Self {
            busy: at(0) + at(1) + at(2) + at(5) + at(6),
            idle: at(3) + at(4),
        })
    }

    /// The share of the machine's CPU time that was busy between `before` and `self`.
    fn busy_since(&self, before: &Self) -> Option<f64> {
        let busy = self.busy.checked_sub(before.busy)?;
        let idle = self.idle.checked_sub(before.idle)?;
        let all = busy + idle;
        (all > 0).then(|| busy as f64 / all as f64)
    }
}

fn machine_cpu() -> Option<MachineCpu> {
    MachineCpu::parse(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// Options for `nrm bench audit`.
#[derive(Debug, Args)]
pub struct AuditOptions {
    /// Entries in the chain to verify.
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
}

/// Writes a chain of `entries` straight into a fresh SQLite store (in large transactions, since
/// writing is not what is measured), then times `verify_audit` over it.
pub async fn audit(options: AuditOptions) -> anyhow::Result<()> {
    let test_store = testing::sqlite().await;
    let started = Instant::now();
    nrm_store::audit::bulk_fill_for_benchmark(&test_store.store, options.entries).await?;
    println!(
        "wrote {} audit entries in {:.1} s",
        options.entries,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let report = test_store.store.verify_audit().await?;
    let elapsed = started.elapsed().as_secs_f64();
    match report {
        Ok(r) => println!(
            "verified {} entries in {elapsed:.2} s ({:.0} entries/s)",
            r.entries,
            r.entries as f64 / elapsed
        ),
        Err(e) => anyhow::bail!("the benchmark chain did not verify: {e}"),
    }
    test_store.cleanup().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MachineCpu;

    #[test]
    fn the_machines_busy_share_is_read_from_proc_stat() {
        let before =
            MachineCpu::parse("cpu  100 5 50 800 40 3 2 7 0 0\ncpu0 50 2 25 400 20 1 1 3 0 0\n")
                .expect("parsed");
        assert_eq!(
            before,
            MachineCpu {
                busy: 160,
                idle: 840
            }
        );
        let after = MachineCpu {
            busy: 460,
            idle: 940,
        };
        assert_eq!(after.busy_since(&before), Some(0.75));
        assert_eq!(before.busy_since(&after), None);
        assert_eq!(before.busy_since(&before), None);
        assert_eq!(MachineCpu::parse("intr 1 2 3"), None);
        assert_eq!(MachineCpu::parse(""), None);
    }
}
