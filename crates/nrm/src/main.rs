//! `nrm`: the one binary. `serve` runs the service, `migrate` brings the schema up to date,
//! `demo` seeds synthetic cases and serves them, `bench intake` measures submission throughput.

mod accounts;
mod bench;
mod bench_pages;
mod bench_scale;
mod config;
mod demo;
mod https;

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
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the whole hash chain; report the first broken entry. Exits 1 if broken.
    Verify,
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
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("NRM_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("NRM_LOG_FORMAT").is_ok_and(|v| v == "json");
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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    owner_only_files();
    init_logging();
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
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
            store.close().await;
            println!(
                "Checked {} cases; recorded {} deadline changes.",
                report.cases_checked, report.changes
            );
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
            config.validate()?;
            let store = open(&config, false).await?;
            demo::seed_accounts(&store).await?;
            demo::seed(&store, cases, seed).await?;
            if no_serve {
                store.close().await;
                return Ok(());
            }
            demo::print_how_to_use(&config);
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
        Command::Audit {
            which: AuditCommand::Verify,
        } => {
            let store = open(&config, false).await?;
            let started = std::time::Instant::now();
            let result = store.verify_audit().await;
            store.close().await;
            match result? {
                Ok(report) => {
                    println!(
                        "The audit chain is intact: {} entries verified in {:.2} s.",
                        report.entries,
                        started.elapsed().as_secs_f64()
                    );
                    Ok(())
                }
                Err(broken) => {
                    println!("BROKEN: {broken}");
                    std::process::exit(1);
                }
            }
        }
    }
}

/// Opens and migrates the configured database.
async fn open(config: &Config, unsafe_dev: bool) -> anyhow::Result<Store> {
    let key = config.load_master_key()?;
    let mut options = ConnectOptions::new(key);
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
    if config.sweep_interval_seconds > 0 {
        tokio::spawn(sweep_periodically(
            cases.clone(),
            std::time::Duration::from_secs(config.sweep_interval_seconds),
        ));
    }
    let state = nrm_web::AppState::new(cases, nrm_web::Settings::default());
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
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown())
                .await?;
        }
    }
    store.close().await;
    Ok(())
}

/// Sweeps deadlines at start and then every `interval`. A failed sweep is logged and tried
/// again next time; because every due date lives on its case, nothing is lost in between.
async fn sweep_periodically(cases: Cases, interval: std::time::Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = cases.sweep(chrono::Utc::now()).await {
            tracing::warn!(error = %e, "deadline sweep failed; will retry");
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
