//! `nrm stats`: the official tables of a period as CSV files and one ODS workbook; and
//! `nrm bench stats`: how long every table takes at a million cases on each backend, beside a
//! CSV export of the same facts for DuckDB (`scripts/stats-duckdb.sh`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::Args;
use nrm_access::{OrganisationKind, Principal, Role};
use nrm_domain::clock::uk_date;
use nrm_domain::{Actor, Rulebook};
use nrm_service::{Cases, StatisticsRequest};
use nrm_stats::facts::{Fact, Kind, Nationality, Stage};
use nrm_stats::{Options, Period, Policy, Publication, tables};
use nrm_store::seeding::SyntheticCases;

use crate::progress::Progress;

/// Options for `nrm stats`.
#[derive(Debug, Args)]
pub struct StatsOptions {
    /// The period: a quarter (2024Q4) or a year (2024).
    #[arg(long)]
    period: String,
    /// The folder to write the CSV files and the workbook into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Count the case file as it stood at the end of this day (YYYY-MM-DD; default today).
    #[arg(long)]
    as_at: Option<NaiveDate>,
    /// Counts from 1 to threshold-1 are withheld ([c]); 0 turns suppression off.
    #[arg(long, default_value_t = Policy::default().threshold)]
    threshold: u64,
    /// Counts are rounded to a multiple of this; 1 turns rounding off.
    #[arg(long, default_value_t = Policy::default().rounding_base)]
    rounding: u64,
}

/// The operator at the console acts as the system, with the analyst's permission only.
pub(crate) fn console_analyst() -> anyhow::Result<nrm_access::Capability> {
    let principal = Principal {
        actor: Actor::SYSTEM,
        organisation_kind: OrganisationKind::Analysts,
        roles: vec![Role::Analyst],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    };
    nrm_access::authorise(&principal, nrm_access::Operation::ReadStatistics)
        .map_err(|_| anyhow::anyhow!("the access policy refused the statistics"))
}

pub fn options() -> Options {
    Options {
        country_name: nrm_web::pages::countries::name,
        ..Options::default()
    }
}

/// Writes `<id>.csv` for every table and the workbook; returns the workbook's path.
pub fn write_publication(publication: &Publication, out: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for table in &publication.tables {
        let path = out.join(format!("{}.csv", table.id));
        std::fs::write(&path, nrm_stats::csv::table(table))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let path = out.join(format!("nrm-statistics-{}.ods", publication.period));
    std::fs::write(&path, nrm_stats::ods::workbook(publication)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

pub async fn run(cases: &Cases, options: StatsOptions) -> anyhow::Result<()> {
    let period = Period::parse(&options.period)?;
    let capability = console_analyst()?;
    let total = cases.statistics_case_count(&capability).await?;
    let mut progress = Progress::new("reading cases", total);
    let request = StatisticsRequest {
        period,
        as_at: options.as_at,
        policy: Policy {
            threshold: options.threshold,
            rounding_base: options.rounding.max(1),
        },
        options: self::options(),
    };
    let publication = cases
        .statistics(&capability, request, Utc::now(), |n| progress.set(n))
        .await?;
    progress.finish(total);
    let workbook = write_publication(&publication, &options.out)?;
    let withheld: usize = publication
        .tables
        .iter()
        .map(|t| t.primary_suppressed + t.secondary_suppressed)
        .sum();
    println!(
        "{} tables for {} as at {}: {} CSV files and {} in {} ({withheld} cells withheld).",
        publication.tables.len(),
        period,
        publication.as_at,
        publication.tables.len(),
        workbook.display(),
        options.out.display()
    );
    Ok(())
}

/// Options for `nrm bench stats`.
#[derive(Debug, Args)]
pub struct BenchStatsOptions {
    /// Synthetic cases to seed on each backend.
    #[arg(long, default_value_t = 1_000_000)]
    cases: u64,
    /// Which backends: sqlite, postgres.
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    backends: Vec<String>,
    /// Cases per seeding transaction.
    #[arg(long, default_value_t = 5000)]
    batch: u64,
    /// Write the facts as CSV here (facts.csv, decisions.csv) for scripts/stats-duckdb.sh.
    #[arg(long)]
    export: Option<PathBuf>,
    /// Timed repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

/// Resets this process's peak resident memory (Linux), so the next reading is of what follows.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median_secs(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

pub async fn bench(options: BenchStatsOptions) -> anyhow::Result<()> {
    let today = uk_date(Utc::now());
    let quarter = Period::quarter_of(today - chrono::Duration::days(92));
    let year = match quarter {
        Period::Quarter { year, .. } | Period::Year(year) => Period::Year(year),
    };
    println!(
        "nrm bench stats: {} cases per backend; every table for {quarter} and for {year}, as at {today}; median of {} runs",
        options.cases, options.repeat
    );
    let capability = console_analyst()?;
    for backend in &options.backends {
        let Some(test_store) = crate::bench::backend_store(backend).await? else {
            continue;
        };
        let store = &test_store.store;
        let name = test_store.name;
        let mut synthetic = SyntheticCases::new(2026, today, 400, 60);
        let mut progress = Progress::new(format!("{name}: seeding"), options.cases);
        synthetic
            .load(store, options.cases, options.batch, |n| progress.set(n))
            .await?;
        progress.finish(options.cases);
        if name == "postgres" {
            store.analyze().await?;
        }
        let cases = Cases::new(store.clone(), Rulebook::current());
        // The first request after the seeding folds every case from its events and keeps the
        // facts in the read model; every later one reads the kept facts.
        let request = |period| StatisticsRequest {
            period,
            as_at: Some(today),
            policy: Policy::default(),
            options: self::options(),
        };
        reset_peak_rss();
        let started = Instant::now();
        cases
            .statistics(&capability, request(quarter), Utc::now(), |_| {})
            .await?;
        let first = started.elapsed().as_secs_f64();
        let first_peak = crate::bench_pages::peak_rss_mib();
        if name == "postgres" {
            // The read model was empty when the seeding's statistics were gathered; and as
            // autovacuum would by now, set the visibility map the walk's index-only scans use.
            store.vacuum_analyze().await?;
        }
        let mut end_to_end = Vec::new();
        let mut counting = Vec::new();
        let mut peak = 0;
        for _ in 0..options.repeat.max(1) {
            reset_peak_rss();
            let started = Instant::now();
            for period in [quarter, year] {
                cases
                    .statistics(&capability, request(period), Utc::now(), |_| {})
                    .await?;
            }
            end_to_end.push(started.elapsed().as_secs_f64());
            peak = peak.max(crate::bench_pages::peak_rss_mib());
        }
        // The counting alone, from facts already in memory (what DuckDB's queries do).
        let facts = read_facts(&cases, today).await?;
        for _ in 0..options.repeat.max(1) {
            let started = Instant::now();
            for period in [quarter, year] {
                let t = nrm_stats::build(&facts, period, today, self::options());
                let _ = nrm_stats::publish(&t, Policy::default());
            }
            counting.push(started.elapsed().as_secs_f64());
        }
        let q = nrm_stats::build(&facts, quarter, today, self::options());
        let total = |id: &str| {
            q.tables
                .iter()
                .find(|t| t.id == id)
                .and_then(|t| t.rows.last())
                // The total row's last count (a decision table ends with a derived rate).
                .and_then(|r| r.cells.iter().rev().find_map(|c| c.count()))
                .unwrap_or(0)
        };
        println!("{name}");
        println!(
            "  {} facts; {quarter}: {} referrals, {} Duty to Notify reports, {} RG decisions, {} CG decisions",
            facts.len(),
            total("referrals_by_gender"),
            total("duty_to_notify_by_gender"),
            total("rg_decisions_by_authority"),
            total("cg_decisions_by_authority"),
        );
        println!(
            "  first request after the seeding, every table for {quarter} (reads every case's events, folds them, keeps the facts in the read model): {first:.2} s; peak RSS {first_peak} MiB"
        );
        println!(
            "  every table for {quarter} and {year} through the service (kept facts read, count, disclosure control, audit): {:.2} s; peak RSS {peak} MiB",
            median_secs(end_to_end)
        );
        println!(
            "  of which counting from facts in memory, both periods: {:.3} s",
            median_secs(counting)
        );
        if let Some(dir) = &options.export {
            let dir = dir.join(name);
            export(&facts, &dir)?;
            println!("  facts exported to {}", dir.display());
        }
        test_store.cleanup().await;
    }
    Ok(())
}

async fn read_facts(cases: &Cases, as_at: NaiveDate) -> anyhow::Result<Vec<Fact>> {
    let capability = console_analyst()?;
    Ok(cases
        .statistics_fact_rows(&capability, as_at, Utc::now())
        .await?)
}

/// `facts.csv` (one row per case) and `decisions.csv` (one row per decision), with the same
/// category labels as the tables, for the DuckDB anchor.
fn export(facts: &[Fact], dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("facts.csv"))?);
    let mut d = std::io::BufWriter::new(std::fs::File::create(dir.join("decisions.csv"))?);
    writeln!(
        f,
        "id,kind,referred_on,age,gender,nationality,exploitation,location,first_responder,authority,nation,police_force_area"
    )?;
    writeln!(
        d,
        "id,stage,decided_on,outcome,authority,first,referred_on,age,gender,nationality,exploitation"
    )?;
    for (i, fact) in facts.iter().enumerate() {
        let nationality = match fact.nationality {
            Nationality::Single(c) => c.code(),
            Nationality::Multiple => "multiple".to_owned(),
            Nationality::NotKnown => "not_known".to_owned(),
        };
        let exploitation = match fact.exploitation.single() {
            Some(t) => tables::type_label(t),
            None if fact.exploitation.is_empty() => "Not specified or unknown",
            None => tables::COMBINED,
        };
        let age = tables::age_label(fact.age);
        let gender = tables::gender_label(fact.gender);
        writeln!(
            f,
            "{i},{},{},{age},{gender},{nationality},{exploitation},{},{},{},{},{}",
            match fact.kind {
                Kind::Referral => "referral",
                Kind::DutyToNotify => "duty_to_notify",
            },
            fact.referred_on,
            tables::location_label(fact.location),
            tables::responder_label(fact.first_responder),
            fact.authority.map_or("", tables::authority_label),
            fact.nation.map_or(tables::NOT_IN_UK, tables::nation_label),
            fact.police_force_area
                .map_or(tables::NOT_IN_UK, |a| a.name()),
        )?;
        for dec in &fact.decisions {
            writeln!(
                d,
                "{i},{},{},{},{},{},{},{age},{gender},{nationality},{exploitation}",
                match dec.stage {
                    Stage::ReasonableGrounds => "rg",
                    Stage::ConclusiveGrounds => "cg",
                },
                dec.decided_on,
                match dec.outcome {
                    nrm_domain::event::Outcome::Positive => "positive",
                    nrm_domain::event::Outcome::Negative => "negative",
                },
                tables::authority_label(dec.authority),
                dec.first,
                fact.referred_on,
            )?;
        }
    }
    f.flush()?;
    d.flush()?;
    Ok(())
}

/// Options for `nrm extract`.
#[derive(Debug, Args)]
pub struct ExtractOptions {
    /// The period whose referrals are extracted: a quarter (2024Q4) or a year (2024).
    #[arg(long)]
    period: String,
    /// Every row shares its quasi-identifiers with at least k-1 others.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// The reference of the data sharing agreement or research approval (audited).
    #[arg(long)]
    purpose: String,
    /// The case file as it stood at the end of this day (YYYY-MM-DD; default today).
    #[arg(long)]
    as_at: Option<NaiveDate>,
    /// The CSV file to write (owner-only).
    #[arg(long)]
    out: PathBuf,
}

/// `nrm extract`: a pseudonymised, k-anonymous case-level extract as CSV, and what was
/// generalised to reach k on stderr.
pub async fn extract(cases: &Cases, options: ExtractOptions) -> anyhow::Result<()> {
    let period = Period::parse(&options.period)?;
    let purpose = nrm_stats::extract::Purpose::parse(&options.purpose)?;
    if options.k == 0 {
        anyhow::bail!("k must be at least 1");
    }
    let capability = console_analyst()?;
    let total = cases.statistics_case_count(&capability).await?;
    let mut progress = Progress::new("reading cases", total);
    let request = nrm_service::ExtractRequest {
        period,
        as_at: options.as_at,
        k: options.k,
        purpose,
    };
    let (rows, report) = cases
        .statistics_extract(&capability, request, Utc::now(), |n| progress.set(n))
        .await?;
    progress.finish(total);
    std::fs::write(&options.out, nrm_stats::extract::to_csv(&rows))
        .with_context(|| format!("cannot write {}", options.out.display()))?;
    eprint!("{}", nrm_stats::extract::report_text(&report));
    println!("Wrote {} rows to {}", rows.len(), options.out.display());
    Ok(())
}
