//! `nrm`: the one binary. `serve` runs the service, `migrate` brings the schema up to date,
//! `demo` seeds synthetic cases and serves them, `link dedupe` finds the records of one person
//! in a CSV file, `bench` measures intake, audit, pages, scale and linkage.

/// mimalloc for every allocation of the process, SQLite's included (see the workspace's
/// Cargo.toml): it doubles the rate at which a SQLite bulk load writes its batches. `link
/// dedupe` runs it with other settings ([`allocator`]).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod accounts;
mod allocator;
mod bench;
mod bench_pages;
mod bench_rss;
mod bench_scale;
mod config;
mod demo;
mod demo_persons;
mod htcds;
mod https;
mod import;
mod link;
mod ops;
mod progress;
mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use axum::serve::ListenerExt as _;
use clap::{Parser, Subcommand};
use nrm_domain::Rulebook;
use nrm_service::Cases;
use nrm_store::{ConnectOptions, Store};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "nrm",
    version,
    about = "NRM Digital: the National Referral Mechanism case system"
)]
struct Cli {
    /// A TOML configuration file (default: nrm.toml when present). NRM_* variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        /// Start even if the database would not keep acknowledged writes safe (development only).
        #[arg(long)]
        unsafe_dev: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Raise "due soon" and "overdue" deadline flags once, and exit (idempotent).
    Sweep,
    /// Organisations.
    Org {
        #[command(subcommand)]
        which: accounts::OrgCommand,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        which: accounts::UserCommand,
    },
    /// API tokens for system-to-system clients.
    Token {
        #[command(subcommand)]
        which: accounts::TokenCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        which: AuditCommand,
    },
    /// Seed demo accounts and synthetic cases (if the database is empty) and run the service.
    Demo {
        /// How many submissions to create.
        #[arg(long, default_value_t = 3000)]
        cases: u32,
        /// Seed the random generator, for repeatable data.
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Seed only; do not start the service.
        #[arg(long)]
        no_serve: bool,
    },
    /// Import legacy cases (JSON Lines, docs/legacy-import.md), each step judged by the rules
    /// of its own date. Exits 1 if any line was refused.
    Import(import::ImportOptions),
    /// Record linkage: find the records of one person in a file.
    Link {
        #[command(subcommand)]
        which: link::LinkCommand,
    },
    /// The official statistics of a period: a CSV file per table and one ODS workbook.
    Stats(stats::StatsOptions),
    /// A pseudonymised case-level extract for research: keyed pseudonyms new to each extract,
    /// dates as months, age bands, and quasi-identifiers generalised until every row shares
    /// them with at least k-1 others (audited with its purpose).
    Extract(stats::ExtractOptions),
    /// HTCDS 2.0 exchange (docs/htcds.md): k-anonymous export, import as legacy cases.
    Htcds {
        #[command(subcommand)]
        which: htcds::HtcdsCommand,
    },
    /// Retention: what falls due, the erasure job, legal holds (docs/operations.md).
    Retention {
        #[command(subcommand)]
        which: ops::RetentionCommand,
    },
    /// Write an encrypted, compressed, consistent copy of the database while it runs.
    Backup {
        /// The backup file to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Replace the database with a backup (stop the service first), then verify its audit
    /// chain. Exits 1 if the restored chain is broken.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
    /// Subject access: everything held about the person of a case, as an HTML bundle and JSON.
    Sar {
        /// The person's case reference (never a name).
        #[arg(long)]
        person: String,
        /// The folder to write the two files into.
        #[arg(long)]
        out: PathBuf,
    },
    /// The master key: `nrm key rotate` (docs/operations.md).
    Key {
        #[command(subcommand)]
        which: ops::KeyCommand,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the whole keyed chain and every signed checkpoint; report the first broken entry
    /// or the missing range. Exits 1 if anything is wrong.
    Verify {
        /// The checkpoint folder to check against (default: audit_checkpoint_dir).
        #[arg(long)]
        checkpoints: Option<PathBuf>,
    },
    /// Write a signed checkpoint of the audit head into audit_checkpoint_dir, after checking
    /// that the chain still extends the last one. Exits 1, writing nothing, if it does not.
    Checkpoint,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Acknowledged referrals per second and latency through the HTTP API, with the raw
    /// durable-commit rate of the same database as the ceiling.
    Intake(bench::IntakeOptions),
    /// Time to verify an audit chain of N entries (written first to a fresh SQLite store).
    Audit(bench::AuditOptions),
    /// The GOV.UK pages under load: whole journeys, the work queue and the case page.
    Pages(bench_pages::PagesOptions),
    /// The work queue, case page and sweep at national volume: p50/p99 at each scale.
    Scale(bench_scale::ScaleOptions),
    /// Record linkage on generated people: F1, time, peak memory, intake p99.
    Link(link::LinkBenchOptions),
    /// Every statistics table for a quarter and a year at a million cases, and a CSV export
    /// of the same facts for the DuckDB anchor (scripts/stats-duckdb.sh).
    Stats(stats::BenchStatsOptions),
}

/// Logging to stderr, filtered by `NRM_LOG`, as text or (`log_format = "json"` or
/// `NRM_LOG_FORMAT=json`) one JSON object a line; either way every line written while a
/// request is answered carries that request's id (the `request` span).
fn init_logging(format: config::LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("NRM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = format == config::LogFormat::Json;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Every file this process creates (the SQLite database, its `-wal` and `-shm` files, the master
/// key, the data folder) is for its owner only: the data is OFFICIAL-SENSITIVE.
fn owner_only_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
}

fn main() -> anyhow::Result<()> {
    owner_only_files();
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    init_logging(config.log_format);
    match cli.command {
        // Linking a file needs no runtime: it runs on this thread (and threads of its own)
        // without the runtime's worker threads, each about 2 MiB resident, which is much of
        // the peak memory of a small file's dedupe.
        Command::Link {
            which: which @ (link::LinkCommand::Dedupe(_) | link::LinkCommand::Evaluate(_)),
        } => {
            if matches!(which, link::LinkCommand::Dedupe(_)) {
                allocator::for_bulk_work();
            }
            link::run(which)
        }
        command => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(command, config)),
    }
}

/// Every command but linking a file, on the runtime.
async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { unsafe_dev } => {
            let store = open(&config, unsafe_dev).await?;
            serve(&config, store).await
        }
        Command::Org { which } => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = accounts::org(&cases, which).await;
            store.close().await;
            result
        }
        Command::User { which } => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = accounts::user(&cases, &config, which).await;
            store.close().await;
            result
        }
        Command::Token { which } => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = accounts::token(&cases, which).await;
            store.close().await;
            result
        }
        Command::Sweep => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let report = cases.sweep(chrono::Utc::now()).await?;
            let ages = cases.review_guardian_ages(chrono::Utc::now()).await?;
            let support = cases.reconcile_support(chrono::Utc::now()).await?;
            store.close().await;
            println!(
                "Checked {} cases; recorded {} deadline changes.",
                report.cases_checked, report.changes
            );
            println!(
                "Reviewed {} children with guardians: {} turning 18 soon, {} turned 18, {} post-18 support ended.",
                ages.checked, ages.flagged, ages.turned_18, ages.post_18_ended
            );
            println!(
                "Children's cases: {} moved to the adult route at 18; {} ICTG referrals made that were missing.",
                ages.cases_turned_18, ages.ictg_referred
            );
            println!(
                "Support: {} changed cases checked; {} episodes made, {} brought up to date with their case, {} refused.",
                support.checked, support.referred, support.updated, support.refused
            );
            Ok(())
        }
        Command::Import(options) => {
            let store = open(&config, false).await?;
            let result =
                import::run(&Cases::new(store.clone(), Rulebook::current()), options).await;
            store.close().await;
            if !result? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Migrate => {
            let store = open(&config, false).await?;
            store.close().await;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::Demo {
            cases,
            seed,
            no_serve,
        } => {
            demo::refuse_production(&config)?;
            config.ensure_data_dir()?;
            config.ensure_master_key_file()?;
            config.ensure_audit_key_file()?;
            config.validate()?;
            let store = open(&config, false).await?;
            demo::seed_accounts(&store).await?;
            demo::seed(&store, cases, seed).await?;
            if no_serve {
                store.close().await;
                return Ok(());
            }
            demo::print_how_to_use(&config);
            // The demo's figures are open to anyone: it holds no real person's data.
            let config = Config {
                metrics_open: true,
                ..config
            };
            serve(&config, store).await
        }
        Command::Bench {
            which: BenchCommand::Intake(options),
        } => bench::intake(options).await,
        Command::Bench {
            which: BenchCommand::Audit(options),
        } => bench::audit(options).await,
        Command::Bench {
            which: BenchCommand::Pages(options),
        } => bench_pages::pages(options).await,
        Command::Bench {
            which: BenchCommand::Scale(options),
        } => bench_scale::scale(options).await,
        Command::Bench {
            which: BenchCommand::Link(options),
        } => link::bench(options),
        Command::Bench {
            which: BenchCommand::Stats(options),
        } => stats::bench(options).await,
        Command::Stats(options) => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = stats::run(&cases, options).await;
            store.close().await;
            result
        }
        Command::Extract(options) => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = stats::extract(&cases, options).await;
            store.close().await;
            result
        }
        Command::Htcds { which } => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = match which {
                htcds::HtcdsCommand::Export(options) => {
                    htcds::export(&cases, options).await.map(|()| true)
                }
                htcds::HtcdsCommand::Import(options) => htcds::import(&cases, options).await,
            };
            store.close().await;
            if !result? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Link {
            which: link::LinkCommand::Rebuild,
        } => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = link::rebuild(&cases).await;
            store.close().await;
            result
        }
        Command::Link {
            which: link::LinkCommand::Index,
        } => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = link::index(&cases).await;
            store.close().await;
            result
        }
        // Dedupe and evaluate are run by `main`, without the runtime.
        Command::Link { which } => link::run(which),
        Command::Retention { which } => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = ops::retention(&cases, which).await;
            store.close().await;
            result
        }
        Command::Backup { out } => {
            let store = open(&config, false).await?;
            let result = ops::backup(&config, &store, &out).await;
            store.close().await;
            result
        }
        Command::Restore { file } => {
            ops::restore(&config, &file).await?;
            let store = open(&config, false).await?;
            let result = audit_verify(&config, &store, None).await;
            store.close().await;
            if !result? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Sar { person, out } => {
            let store = open(&config, false).await?;
            let cases = Cases::new(store.clone(), Rulebook::current());
            let result = ops::sar(&cases, &person, &out).await;
            store.close().await;
            result
        }
        Command::Key { which } => {
            let store = open_unchecked(&config, false).await?;
            let result = ops::key(&config, &store, which).await;
            store.close().await;
            result
        }
        Command::Audit {
            which: AuditCommand::Verify { checkpoints },
        } => {
            let store = open(&config, false).await?;
            let result = audit_verify(&config, &store, checkpoints).await;
            store.close().await;
            if !result? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Audit {
            which: AuditCommand::Checkpoint,
        } => {
            let store = open(&config, false).await?;
            let dir = config.audit_checkpoint_path();
            let previous = match store.read_audit_checkpoints(&dir) {
                Ok(files) => nrm_store::audit::checkpoint::latest(&files).cloned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read {}", dir.display()));
                }
            };
            let taken = store
                .audit_checkpoint(previous.as_ref(), chrono::Utc::now())
                .await;
            store.close().await;
            match taken? {
                Ok(checkpoint) => {
                    let path = store
                        .write_audit_checkpoint(&dir, &checkpoint)
                        .with_context(|| format!("cannot write into {}", dir.display()))?;
                    println!(
                        "Checkpoint of audit entry {} written to {}.",
                        checkpoint.seq,
                        path.display()
                    );
                    Ok(())
                }
                Err(problem) => {
                    println!("BROKEN: {problem}");
                    println!("No checkpoint was written.");
                    std::process::exit(1);
                }
            }
        }
    }
}

/// `nrm audit verify`: prints what it found; `Ok(false)` when anything is wrong.
async fn audit_verify(
    config: &Config,
    store: &Store,
    checkpoints: Option<PathBuf>,
) -> anyhow::Result<bool> {
    let started = std::time::Instant::now();
    let dir = checkpoints
        .clone()
        .unwrap_or_else(|| config.audit_checkpoint_path());
    let files = match store.read_audit_checkpoints(&dir) {
        Ok(files) => files,
        // The default folder may not exist yet; a folder named on the command line must.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && checkpoints.is_none() => Vec::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    let verdict = store.verify_audit_against(&files).await?;
    if verdict.is_intact() {
        println!(
            "The audit chain is intact: {} entries verified in {:.2} s, against {} checkpoints in {}.",
            verdict.entries,
            started.elapsed().as_secs_f64(),
            verdict.checkpoints,
            dir.display()
        );
    }
    if verdict.unkeyed > 0 {
        println!(
            "Entries 1..{} predate the audit key and were checked by their unkeyed hash.",
            verdict.unkeyed
        );
    }
    if verdict.checkpoints == 0 {
        println!(
            "WARNING: no checkpoints in {}: entries removed from the end together with the head cannot be detected.",
            dir.display()
        );
    }
    for problem in &verdict.problems {
        println!("BROKEN: {problem}");
    }
    Ok(verdict.is_intact())
}

/// Opens and migrates the configured database, refusing a retired master key or a lookup key
/// other than the one the last key rotation kept.
async fn open(config: &Config, unsafe_dev: bool) -> anyhow::Result<Store> {
    let store = open_unchecked(config, unsafe_dev).await?;
    store
        .check_master_key()
        .await
        .context("the configured keys are refused")?;
    Ok(store)
}

/// Opens and migrates the configured database without checking the master key against past
/// rotations (for `nrm key rotate`, which resumes an unfinished one).
async fn open_unchecked(config: &Config, unsafe_dev: bool) -> anyhow::Result<Store> {
    let key = config.load_master_key()?;
    let audit_key = config.load_audit_key()?;
    let mut options = ConnectOptions::new(key, audit_key);
    options.max_connections = config.max_connections;
    options.allow_unsafe_durability = unsafe_dev;
    options.database_ca_file = config.database_ca_file.clone();
    let store = Store::connect(&config.database_url, options)
        .await
        .context("cannot open the database")?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    Ok(store)
}

async fn serve(config: &Config, store: Store) -> anyhow::Result<()> {
    let cases = Cases::new(store.clone(), Rulebook::current());
    let instance = instance_id();
    if config.retention_interval_seconds > 0 {
        tokio::spawn(ops::retention_periodically(
            cases.clone(),
            instance.clone(),
            std::time::Duration::from_secs(config.retention_interval_seconds),
        ));
    }
    if config.sweep_interval_seconds > 0 {
        tokio::spawn(sweep_periodically(
            cases.clone(),
            instance,
            std::time::Duration::from_secs(config.sweep_interval_seconds),
        ));
    }
    let checkpoints = AuditCheckpoints::start(config, store.clone());
    if config.audit_checkpoint_interval_seconds > 0 {
        tokio::spawn(checkpoint_periodically(
            checkpoints.clone(),
            std::time::Duration::from_secs(config.audit_checkpoint_interval_seconds),
        ));
    }
    let state = nrm_web::AppState::new(cases, nrm_web::Settings::default())
        .with_open_metrics(config.metrics_open);
    // Read the certificate before binding, so a bad file stops start-up with its name.
    let tls = config
        .https_files()
        .map(|(certificate, key)| https::server_config(certificate, key))
        .transpose()?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let database_connection = store
        .connection_security()
        .await
        .context("cannot ask the database how the connection is protected")?;
    let app = nrm_web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("NRM Digital is listening on {scheme}://{address}");
    tracing::info!(
        %address,
        scheme,
        database = store.kind().as_str(),
        %database_connection,
        "listening"
    );
    match tls {
        Some(tls) => {
            // `tap_io` only gives the listener axum's `ConnectInfo<SocketAddr>` (read by the
            // per-client sign-in limits), as plain TCP has.
            let listener = https::TlsListener::new(listener, tls)?.tap_io(|_| {});
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown())
                .await?;
        }
        None => {
            axum::serve(no_delay(listener), app)
                .with_graceful_shutdown(shutdown())
                .await?;
        }
    }
    // The last entries written before shutdown are anchored too.
    checkpoints.take().await;
    store.close().await;
    Ok(())
}

/// The audit checkpoints `serve` writes, and the last one taken (each new one is checked to
/// extend it, which costs only the entries in between).
#[derive(Clone)]
struct AuditCheckpoints {
    store: Store,
    dir: PathBuf,
    last: std::sync::Arc<tokio::sync::Mutex<Option<nrm_store::audit::Checkpoint>>>,
}

impl AuditCheckpoints {
    fn start(config: &Config, store: Store) -> Self {
        let dir = config.audit_checkpoint_path();
        let last = store
            .read_audit_checkpoints(&dir)
            .ok()
            .and_then(|files| nrm_store::audit::checkpoint::latest(&files).cloned());
        Self {
            store,
            dir,
            last: std::sync::Arc::new(tokio::sync::Mutex::new(last)),
        }
    }

    /// Writes a checkpoint of the head if the chain still verifies up to it; otherwise writes
    /// nothing and logs the problem as an error (someone has tampered with the log).
    async fn take(&self) {
        let mut last = self.last.lock().await;
        match self
            .store
            .audit_checkpoint(last.as_ref(), chrono::Utc::now())
            .await
        {
            // Nothing appended since the last one: it still stands.
            Ok(Ok(checkpoint)) if last.as_ref().is_some_and(|l| l.seq == checkpoint.seq) => {}
            Ok(Ok(checkpoint)) => match self.store.write_audit_checkpoint(&self.dir, &checkpoint) {
                Ok(_) => {
                    tracing::info!(seq = checkpoint.seq, "audit checkpoint written");
                    *last = Some(checkpoint);
                }
                Err(e) => tracing::error!(error = %e, "cannot write the audit checkpoint"),
            },
            Ok(Err(problem)) => {
                tracing::error!(%problem, "the audit log does not verify; no checkpoint written");
            }
            Err(e) => tracing::warn!(error = %e, "audit checkpoint failed; will retry"),
        }
    }
}

/// Writes an audit checkpoint at start and then every `interval`.
async fn checkpoint_periodically(checkpoints: AuditCheckpoints, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        checkpoints.take().await;
    }
}

/// This process's name among the instances sharing a database: random, never the host's.
fn instance_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Sweeps deadlines at start and then every `interval`, once per interval across every
/// instance on the database (the first to take the interval's lease sweeps; see
/// `Cases::periodic_sweep`). A failed sweep is logged and tried again next time; because every
/// due date lives on its case, nothing is lost in between.
async fn sweep_periodically(cases: Cases, instance: String, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match cases
            .periodic_sweep(&instance, interval, chrono::Utc::now())
            .await
        {
            Ok(nrm_service::operations::Turn::HeldElsewhere) => {
                tracing::debug!("deadline sweep: another instance has this interval's turn");
            }
            Ok(nrm_service::operations::Turn::Ran(_)) => {
                // The guardians' age review rides on the sweep's turn: once per interval.
                if let Err(e) = cases.review_guardian_ages(chrono::Utc::now()).await {
                    tracing::warn!(error = %e, "guardians' age review failed; will retry");
                }
                // So does the reconciliation of support episodes with their cases.
                if let Err(e) = cases.reconcile_support(chrono::Utc::now()).await {
                    tracing::warn!(error = %e, "support reconciliation failed; will retry");
                }
            }
            Err(e) => tracing::warn!(error = %e, "deadline sweep failed; will retry"),
        }
        // Once a day (its own turn, across every instance), the statistics read model is
        // brought up to date, so an analyst's request reads kept facts only.
        if let Err(e) = cases
            .periodic_statistics_refresh(&instance, chrono::Utc::now())
            .await
        {
            tracing::warn!(error = %e, "statistics refresh failed; will retry");
        }
    }
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down");
}

/// `listener`, its connections with Nagle's algorithm off (`TCP_NODELAY`), as database drivers
/// set it on theirs: a response written in two parts (headers, then the body) could otherwise
/// wait for the client's delayed acknowledgement of the first, about 40 ms on Linux, before
/// the second is sent. axum's `serve` leaves the socket as accepted. (Measured with `bench
/// intake` on 4 December 2026: no change, as hyper wrote those responses whole.)
pub(crate) fn no_delay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    fn set(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not turn off Nagle's algorithm on a connection");
        }
    }
    listener.tap_io(set as fn(&mut tokio::net::TcpStream))
}
