//! The resident memory of `nrm serve` over a database at scale, for `nrm bench scale`.
//!
//! Starts the real binary (`nrm serve`, this executable) on the benchmark's database with
//! the production defaults (pool size, SQLite cache, the sweep at start), signs a competent
//! authority's case worker in through the sign-in page, reads every queue filter and sort
//! and some case pages through the GOV.UK pages, then reads the child's peak resident set
//! (VmHWM) from /proc and stops it. This is the figure the 200 MiB target is about: the
//! seeding process's own memory says nothing about the service's.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use nrm_access::{OrganisationKind, Role};
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::OrganisationId;
use nrm_service::Cases;
use nrm_store::testing::TestStore;

use crate::bench_pages::{Site, sign_in};

/// Queue pages a case worker opens: every filter and every sort.
const QUEUE_PAGES: [&str; 14] = [
    "/cases",
    "/cases?status=awaiting_reasonable_grounds",
    "/cases?status=awaiting_conclusive_grounds",
    "/cases?deadline=overdue",
    "/cases?deadline=due_soon",
    "/cases?age=child",
    "/cases?exploitation=labour",
    "/cases?sort=next_deadline",
    "/cases?sort=referred_on",
    "/cases?sort=reference",
    "/cases?deadline=overdue&sort=referred_on",
    "/cases?age=child&sort=reference",
    "/cases?exploitation=criminal&sort=next_deadline",
    "/cases?status=negative_reasonable_grounds",
];

/// `serve`'s peak resident memory in MiB after reading the queue and `references`' case
/// pages; `None` where /proc is not available.
pub async fn serve_peak_rss(
    test_store: &TestStore,
    references: &[String],
) -> anyhow::Result<Option<u64>> {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let data = std::env::temp_dir().join(format!("nrm-bench-serve-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir(&data)?;
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg("serve")
        .env("NRM_DATABASE_URL", &test_store.url)
        .env("NRM_MASTER_KEY", &test_store.master_key_hex)
        .env("NRM_AUDIT_KEY", &test_store.audit_key_hex)
        .env("NRM_LISTEN", format!("127.0.0.1:{port}"))
        .env("NRM_DATA_DIR", &data)
        .env("NRM_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start nrm serve")?;
    let pid = child.id();
    let result = read_pages(test_store, port, references).await;
    let peak = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024);
    child.kill().ok();
    child.wait().ok();
    std::fs::remove_dir_all(&data).ok();
    result?;
    Ok(peak)
}

async fn read_pages(
    test_store: &TestStore,
    port: u16,
    references: &[String],
) -> anyhow::Result<()> {
    let site = Site {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(120))
            .build()?,
    };
    // Wait for it to listen (migrations are already done; the first sweep runs at start).
    let mut ready = false;
    for _ in 0..600 {
        if site
            .get("/ready", "")
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(ready, "nrm serve did not become ready within a minute");
    let cases = Cases::new(test_store.store.clone(), nrm_domain::Rulebook::current());
    let sca = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?,
            OrganisationId(uuid::Uuid::new_v4()),
            "Benchmark SCA",
            &OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            chrono::Utc::now(),
        )
        .await?;
    let cookie = sign_in(&cases, &site, sca, &[Role::CaManager, Role::DecisionMaker]).await?;
    for path in QUEUE_PAGES {
        let response = site.get(path, &cookie).await?;
        anyhow::ensure!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.bytes().await?;
    }
    for reference in references {
        let response = site.get(&format!("/cases/{reference}"), &cookie).await?;
        response.bytes().await?;
    }
    Ok(())
}
