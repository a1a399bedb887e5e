//! `nrm bench pages`: the GOV.UK pages under load, as browsers would use them.
//!
//! For each backend it starts the real router on a loopback port over a fresh database,
//! seeds cases through the API, signs in a First Responder and a decision maker through the
//! sign-in page, then measures:
//! - whole Duty to Notify journeys through the question pages (draft saved at every step, check
//!   answers, send), as journeys per second and per-request latency;
//! - the work queue page (filtered, sorted, a random page of the results);
//! - the case page (summary, due dates, timeline; personal details decrypted).
//!
//! It ends with the process's peak resident memory. Traffic goes to 127.0.0.1 only and every
//! loop is bounded by a count.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use nrm_access::{OrganisationKind, Role};
use nrm_domain::Rulebook;
use nrm_domain::event::CompetentAuthority;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_service::Cases;
use nrm_store::testing::TestStore;
use rand::Rng;

/// Options for `nrm bench pages`.
#[derive(Debug, Args)]
pub struct PagesOptions {
    /// Cases to seed before measuring the queue and case pages.
    #[arg(long, default_value_t = 5000)]
    cases: u32,
    /// Duty to Notify journeys to complete at each concurrency level.
    #[arg(long, default_value_t = 200)]
    journeys: u32,
    /// Queue and case page views at each concurrency level.
    #[arg(long, default_value_t = 1000)]
    views: u32,
    /// Concurrency levels, comma-separated.
    #[arg(long, default_value = "1,8", value_delimiter = ',')]
    concurrency: Vec<u32>,
    /// Which backends: sqlite, postgres.
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    backends: Vec<String>,
}

const PASSWORD: &str = "benchmark passphrase 2026";

const ADULT: &str = r#"{
  "victim": {"given_names": "Bench", "family_name": "Person", "date_of_birth": "1990-01-01",
             "narrative": "Synthetic benchmark referral."},
  "profile": {"gender": "male", "nationalities": ["AL"]},
  "consent": {"informed_consent_to_referral": true, "referral_consent_given_on": "2025-01-01", "support_consent": true},
  "exploitation": {"types": ["labour"], "location": {"police_force_areas": ["west-midlands"]}},
  "first_responder": {"organisation_type": "police"}
}"#;

pub async fn pages(options: PagesOptions) -> anyhow::Result<()> {
    println!(
        "nrm bench pages: {} seeded cases, {} journeys and {} views per level, concurrency {:?}",
        options.cases, options.journeys, options.views, options.concurrency
    );
    println!(
        "{:<9} {:<8} {:>11} {:>11} {:>9} {:>9} {:>7}",
        "backend", "what", "concurrency", "per second", "p50 ms", "p99 ms", "errors"
    );
    for backend in &options.backends {
        let Some(test_store) = crate::bench::backend_store(backend).await? else {
            continue;
        };
        run_backend(&options, &test_store).await?;
        test_store.cleanup().await;
    }
    println!(
        "peak resident memory of this process: {} MiB",
        peak_rss_mib()
    );
    Ok(())
}

/// VmHWM from /proc (Linux); 0 where it is not available.
pub(crate) fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

pub(crate) struct Site {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
}

impl Site {
    pub(crate) async fn get(&self, path: &str, cookie: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await?)
    }

    async fn post(
        &self,
        path: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> anyhow::Result<reqwest::Response> {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        Ok(self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .body(body)
            .send()
            .await?)
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub(crate) async fn sign_in(
    cases: &Cases,
    site: &Site,
    organisation: OrganisationId,
    roles: &[Role],
) -> anyhow::Result<String> {
    let now = chrono::Utc::now();
    let email = format!("{}@bench.invalid", uuid::Uuid::new_v4());
    let user = cases
        .administration()
        .add_user(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)?,
            UserId(uuid::Uuid::new_v4()),
            organisation,
            &email,
            roles,
            PASSWORD,
            now,
        )
        .await?
        .id;
    let code = cases
        .identity()
        .current_code(user, now)
        .await?
        .context("a sign-in code")?;
    let response = site
        .post(
            "/sign-in",
            "",
            &[
                ("email", email.as_str()),
                ("password", PASSWORD),
                ("code", &code),
            ],
        )
        .await?;
    anyhow::ensure!(
        response.status() == 303,
        "sign-in failed: {}",
        response.status()
    );
    Ok(response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_owned())
}

fn form_token(html: &str) -> String {
    html.split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// Posts forms with the session's token, timing each.
struct Timed<'a> {
    site: &'a Site,
    cookie: &'a str,
    token: &'a str,
    latencies: &'a mut Vec<Duration>,
}

impl Timed<'_> {
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<String> {
        let mut fields = form.to_vec();
        fields.push(("form_token", self.token));
        let sent = Instant::now();
        let response = self.site.post(path, self.cookie, &fields).await?;
        self.latencies.push(sent.elapsed());
        anyhow::ensure!(response.status() == 303, "{path}: {}", response.status());
        Ok(location(&response))
    }
}

/// One Duty to Notify journey through the pages; returns each request's latency.
async fn journey(site: &Site, cookie: &str, token: &str) -> anyhow::Result<Vec<Duration>> {
    let mut latencies = Vec::with_capacity(12);
    let mut timed = Timed {
        site,
        cookie,
        token,
        latencies: &mut latencies,
    };
    let first = timed
        .post("/referrals/new", &[("kind", "duty_to_notify")])
        .await?;
    let base = first.trim_end_matches("/gender").to_owned();
    let steps: [(&str, &[(&str, &str)]); 7] = [
        ("gender", &[("gender", "male")]),
        ("nationality", &[("nationality", "AL")]),
        ("age-at-exploitation", &[("age_at_exploitation", "adult")]),
        (
            "exploitation/1",
            &[("kind", "labour"), ("place", "england")],
        ),
        ("exploitation", &[("another", "no")]),
        ("when", &[("ongoing", "no")]),
        (
            "organisation",
            &[
                ("organisation_type", "police"),
                ("immigration_cohort", "none"),
            ],
        ),
    ];
    for (slug, form) in steps {
        timed.post(&format!("{base}/{slug}"), form).await?;
    }
    let sent = Instant::now();
    let check = site
        .get(&format!("{base}/check"), cookie)
        .await?
        .text()
        .await?;
    timed.latencies.push(sent.elapsed());
    let version = check
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let done = timed
        .post(&format!("{base}/check"), &[("version", &version)])
        .await?;
    anyhow::ensure!(done.ends_with("/confirmation"), "not sent: {done}");
    Ok(latencies)
}

fn report(
    backend: &str,
    what: &str,
    concurrency: u32,
    rate: f64,
    mut latencies: Vec<Duration>,
    errors: u32,
) {
    latencies.sort_unstable();
    let percentile = |p: f64| crate::bench::percentile_ms(&latencies, p);
    println!(
        "{:<9} {:<8} {:>11} {:>11.1} {:>9.2} {:>9.2} {:>7}",
        backend,
        what,
        concurrency,
        rate,
        percentile(0.50),
        percentile(0.99),
        errors
    );
}

async fn run_backend(options: &PagesOptions, test_store: &TestStore) -> anyhow::Result<()> {
    let cases = Cases::new(test_store.store.clone(), Rulebook::current());
    let now = chrono::Utc::now();
    let responders = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?,
            OrganisationId(uuid::Uuid::new_v4()),
            "Benchmark council",
            &OrganisationKind::FirstResponderOrganisation,
            now,
        )
        .await?;
    // A council in England: on the First Responder Organisation list, and one of the s52
    // authorities, so its Duty to Notify reports are accepted.
    cases
        .administration()
        .set_referrer(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?,
            responders,
            &nrm_service::ReferrerSettings {
                nation: Some(nrm_domain::geography::UkNation::England),
                first_responder_list: Some("local-authority".to_owned()),
                designated_from: None,
                designated_to: None,
            },
            now,
        )
        .await?;
    let sca = cases
        .administration()
        .add_organisation(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?,
            OrganisationId(uuid::Uuid::new_v4()),
            "Benchmark SCA",
            &OrganisationKind::CompetentAuthority {
                authority: CompetentAuthority::Sca,
            },
            now,
        )
        .await?;
    let (_, api_token) = cases
        .administration()
        .create_api_token(
            &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?,
            responders,
            "benchmark",
            &[nrm_access::Operation::SubmitReferral],
            now,
        )
        .await?;
    let state = nrm_web::AppState::new(cases.clone(), nrm_web::Settings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            nrm_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let site = Arc::new(Site {
        base: format!("http://{address}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .timeout(Duration::from_secs(60))
            .build()?,
    });

    // Seed cases through the API, 16 at a time.
    let seeded = Instant::now();
    let remaining = Arc::new(AtomicU32::new(options.cases));
    let mut seeders = Vec::new();
    for _ in 0..16 {
        let site = site.clone();
        let remaining = remaining.clone();
        let bearer = format!("Bearer {api_token}");
        seeders.push(tokio::spawn(async move {
            let mut references = Vec::new();
            while remaining
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                let response = site
                    .client
                    .post(format!("{}/api/v1/referrals/adult", site.base))
                    .header("authorization", bearer.as_str())
                    .header("content-type", "application/json")
                    .body(ADULT)
                    .send()
                    .await?;
                let body: serde_json::Value = response.json().await?;
                if let Some(reference) = body["reference"].as_str() {
                    references.push(reference.to_owned());
                }
            }
            anyhow::Ok(references)
        }));
    }
    let mut references = Vec::new();
    for seeder in seeders {
        references.extend(seeder.await??);
    }
    println!(
        "{:<9} seeded {} cases in {:.1} s",
        test_store.name,
        references.len(),
        seeded.elapsed().as_secs_f64()
    );
    anyhow::ensure!(!references.is_empty(), "no cases were seeded");

    let responder = sign_in(&cases, &site, responders, &[Role::FirstResponder]).await?;
    let decider = sign_in(&cases, &site, sca, &[Role::DecisionMaker]).await?;
    let token = form_token(&site.get("/referrals", &responder).await?.text().await?);
    let references = Arc::new(references);

    for &concurrency in &options.concurrency {
        // Whole journeys.
        let remaining = Arc::new(AtomicU32::new(options.journeys));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..concurrency.max(1) {
            let (site, remaining, cookie, token) = (
                site.clone(),
                remaining.clone(),
                responder.clone(),
                token.clone(),
            );
            workers.push(tokio::spawn(async move {
                let (mut latencies, mut done, mut errors) = (Vec::new(), 0u32, 0u32);
                while remaining
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
                {
                    match journey(&site, &cookie, &token).await {
                        Ok(l) => {
                            latencies.extend(l);
                            done += 1;
                        }
                        Err(_) => errors += 1,
                    }
                }
                (latencies, done, errors)
            }));
        }
        let (mut latencies, mut done, mut errors) = (Vec::new(), 0, 0);
        for worker in workers {
            let (l, d, e) = worker.await.context("journey worker")?;
            latencies.extend(l);
            done += d;
            errors += e;
        }
        let rate = f64::from(done) / started.elapsed().as_secs_f64();
        report(
            test_store.name,
            "journey",
            concurrency,
            rate,
            latencies,
            errors,
        );

        // Queue and case pages.
        for what in ["queue", "case"] {
            let remaining = Arc::new(AtomicU32::new(options.views));
            let started = Instant::now();
            let mut workers = Vec::new();
            for _ in 0..concurrency.max(1) {
                let (site, remaining, cookie, references) = (
                    site.clone(),
                    remaining.clone(),
                    decider.clone(),
                    references.clone(),
                );
                workers.push(tokio::spawn(async move {
                    let (mut latencies, mut errors) = (Vec::new(), 0u32);
                    while remaining
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                    {
                        // The queue pages by cursor now (deep pages are timed by `bench scale`).
                        let path = if what == "queue" {
                            "/cases?status=awaiting_reasonable_grounds&sort=rg_due".to_owned()
                        } else {
                            let i = rand::thread_rng().gen_range(0..references.len());
                            format!("/cases/{}", references[i])
                        };
                        let sent = Instant::now();
                        match site.get(&path, &cookie).await {
                            Ok(r) if r.status() == 200 => {
                                let _ = r.bytes().await;
                                latencies.push(sent.elapsed());
                            }
                            _ => errors += 1,
                        }
                    }
                    (latencies, errors)
                }));
            }
            let (mut latencies, mut errors) = (Vec::new(), 0);
            for worker in workers {
                let (l, e) = worker.await.context("view worker")?;
                latencies.extend(l);
                errors += e;
            }
            let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
            report(test_store.name, what, concurrency, rate, latencies, errors);
        }
    }
    server.abort();
    Ok(())
}
