//! Day-two operations at the console (issue #17): `nrm retention report|run|hold|lift|holds`
//! and `nrm key rotate`. See docs/operations.md.
//!
//! The operator acts as the system principal of the service's administrators, through the
//! same services (and audit entries) as the pages: nothing here reaches the store around a
//! capability.

use anyhow::{Context, bail};
use chrono::{Duration, NaiveDate, Utc};
use clap::Subcommand;
use nrm_access::{Operation, Principal};
use nrm_domain::CaseReference;
use nrm_domain::clock::uk_date;
use nrm_domain::retention::{HoldId, HoldReason};
use nrm_service::Cases;
use nrm_store::{MasterKey, Store};
use uuid::Uuid;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// What falls due for erasure on or before a day (default: 30 days from today): case
    /// references, how each concluded, when its retention ends, holds. No personal data.
    Report {
        /// The last day to look ahead to (YYYY-MM-DD).
        #[arg(long)]
        until: Option<NaiveDate>,
    },
    /// Erase the personal data of every concluded case whose retention has ended and that no
    /// legal hold keeps (by destroying the person's data key). Irreversible.
    Run,
    /// Place a legal hold on a case: its personal data is kept until the hold is lifted.
    Hold {
        /// The case reference.
        #[arg(long = "case")]
        case: String,
        /// litigation, investigation, inquiry or subject_request.
        #[arg(long)]
        reason: String,
    },
    /// Lift a legal hold.
    Lift {
        #[arg(long = "case")]
        case: String,
        /// The hold's id (from `nrm retention holds`).
        #[arg(long)]
        hold: Uuid,
    },
    /// The legal holds in place (on one case, or all).
    Holds {
        #[arg(long = "case")]
        case: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Re-wrap every data key, and re-seal every secret sealed with the master key, under a
    /// new master key. Stop the service first. Resumable: run it again with the same new key
    /// after an interruption. Afterwards configure the new key; the old one is refused.
    Rotate {
        /// A file holding the new master key as 64 hexadecimal characters.
        #[arg(long)]
        new_key_file: std::path::PathBuf,
        /// Rows per committed batch.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
}

fn retention_capability() -> anyhow::Result<nrm_access::Capability> {
    nrm_access::authorise(&Principal::system(), Operation::ManageRetention)
        .map_err(|_| anyhow::anyhow!("the access policy refused retention to the console"))
}

fn reference(text: &str) -> anyhow::Result<CaseReference> {
    text.trim()
        .parse::<CaseReference>()
        .ok()
        .with_context(|| format!("{text} is not a case reference"))
}

pub async fn retention(cases: &Cases, which: RetentionCommand) -> anyhow::Result<()> {
    let capability = retention_capability()?;
    let now = Utc::now();
    match which {
        RetentionCommand::Report { until } => {
            let until = until.unwrap_or_else(|| uk_date(now) + Duration::days(30));
            let report = cases.retention_report(&capability, until, now).await?;
            println!(
                "Retention rules {}: {} concluded cases not yet erased; {} fall due on or before {}.",
                report.rulebook_version,
                report.concluded,
                report.due.len(),
                report.until
            );
            if !report.due.is_empty() {
                println!(
                    "reference\tconcluded\tconcluded_on\tretention_ends_on\trule\tholds\tcertainty"
                );
            }
            for item in &report.due {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    item.reference,
                    item.conclusion.as_str(),
                    item.concluded_on,
                    item.ends_on,
                    if item.child_rule {
                        "child_until_age"
                    } else {
                        "years_after"
                    },
                    item.holds,
                    match item.certainty {
                        nrm_domain::rules::Certainty::Verified => "verified",
                        nrm_domain::rules::Certainty::Uncertain => "uncertain",
                    }
                );
            }
            Ok(())
        }
        RetentionCommand::Run => {
            let run = cases.run_retention(&capability, now).await?;
            println!(
                "Erased the personal data of {} cases ({} data keys destroyed, {} records and {} drafts overwritten); {} held; {} not due; {} failed.",
                run.erased.len(),
                run.subjects_erased,
                run.records_erased,
                run.drafts_erased,
                run.held.len(),
                run.not_due,
                run.failed.len()
            );
            for r in &run.erased {
                println!("erased\t{r}");
            }
            for r in &run.held {
                println!("held\t{r}");
            }
            for r in &run.failed {
                println!("FAILED\t{r}");
            }
            if !run.failed.is_empty() {
                bail!(
                    "{} erasures failed; the next run tries again",
                    run.failed.len()
                );
            }
            Ok(())
        }
        RetentionCommand::Hold { case, reason } => {
            let reason = HoldReason::parse(&reason).with_context(|| {
                format!("{reason} is not a hold reason: litigation, investigation, inquiry or subject_request")
            })?;
            let hold = cases
                .place_legal_hold(&capability, &reference(&case)?, reason, now)
                .await?;
            println!("Legal hold {} placed on {case}.", hold.0);
            Ok(())
        }
        RetentionCommand::Lift { case, hold } => {
            cases
                .lift_legal_hold(&capability, &reference(&case)?, HoldId(hold), now)
                .await?;
            println!("Legal hold {hold} lifted from {case}.");
            Ok(())
        }
        RetentionCommand::Holds { case } => {
            let case = case.as_deref().map(reference).transpose()?;
            let holds = cases.legal_holds(&capability, case.as_ref(), now).await?;
            println!("{} legal holds in place.", holds.len());
            for h in &holds {
                println!(
                    "{}\tcase {}\t{}\tplaced {}",
                    h.hold.0,
                    h.case_id.0,
                    h.reason.code(),
                    h.placed_at.to_rfc3339()
                );
            }
            Ok(())
        }
    }
}

/// `nrm key rotate`: the store must be opened with the old (configured) key and without the
/// retired-key check, which refuses an unfinished rotation.
pub async fn key(config: &Config, store: &Store, which: KeyCommand) -> anyhow::Result<()> {
    match which {
        KeyCommand::Rotate {
            new_key_file,
            batch,
        } => {
            let old = config.load_master_key()?;
            let hex = std::fs::read_to_string(&new_key_file)
                .with_context(|| format!("cannot read {}", new_key_file.display()))?;
            let new = MasterKey::from_hex("rotated", &hex)
                .with_context(|| {
                    format!(
                        "{} must hold 64 hexadecimal characters",
                        new_key_file.display()
                    )
                })?
                .with_lookup_key_of(&old);
            // The lookup key outlives the old master key: write it down before anything moves.
            config.ensure_lookup_key_file(&old.lookup_key_hex())?;
            let started = std::time::Instant::now();
            let progress = store
                .rotate_master_key(&new, batch, None, Utc::now())
                .await
                .context("the rotation stopped; run the same command again to resume")?;
            println!(
                "Re-wrapped {} data keys, re-sealed {} drafts and {} second-factor seeds in {:.1} s.",
                progress.subjects_rewrapped,
                progress.drafts_resealed,
                progress.totp_resealed,
                started.elapsed().as_secs_f64()
            );
            if !progress.finished {
                bail!(
                    "{} data keys are still under the old key; run the same command again",
                    progress.subjects_remaining
                );
            }
            println!(
                "The rotation is finished. Put the new key in {} (or NRM_MASTER_KEY) and keep the lookup key{}; the old master key is now refused.",
                config.master_key_path().display(),
                if config.lookup_key.is_some() {
                    " configured as it is".to_owned()
                } else {
                    format!(" in {}", config.lookup_key_path().display())
                }
            );
            Ok(())
        }
    }
}

/// Runs the retention job every `interval` (the first run after one interval).
pub async fn retention_periodically(cases: Cases, instance: String, interval: std::time::Duration) {
    let Ok(capability) = retention_capability() else {
        tracing::error!("the access policy refused the retention job");
        return;
    };
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        // Once per interval across every instance on the database.
        match cases
            .take_turn("retention", &instance, interval, Utc::now())
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::error!(error = %e, "retention job: could not take its turn");
                continue;
            }
        }
        match cases.run_retention(&capability, Utc::now()).await {
            Ok(run) => tracing::info!(
                erased = run.erased.len(),
                held = run.held.len(),
                not_due = run.not_due,
                failed = run.failed.len(),
                "retention job"
            ),
            Err(e) => tracing::error!(error = %e, "retention job failed"),
        }
    }
}

/// `nrm backup --out FILE`: a consistent online copy, compressed and encrypted with the master
/// key.
pub async fn backup(config: &Config, store: &Store, out: &std::path::Path) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let report = store
        .backup(&config.database_url, out, Utc::now())
        .await
        .context("the backup failed; nothing was written")?;
    println!(
        "Backup {} of the {} database written to {}: {} bytes of database in {} bytes, in {:.1} s.",
        report.header.backup_id,
        report.header.engine,
        out.display(),
        report.plain_bytes,
        report.file_bytes,
        started.elapsed().as_secs_f64()
    );
    println!(
        "It opens only with the master key in force now (fingerprint {}): keep that key as long as the backup.",
        report.header.master_key_fingerprint
    );
    Ok(())
}

/// `nrm restore FILE`: replaces the configured database with the backup (stop the service
/// first), then checks the audit chain of what was restored.
pub async fn restore(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let key = config.load_master_key()?;
    let started = std::time::Instant::now();
    let header = nrm_store::backup::read_header(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    if header.master_key_fingerprint != key.fingerprint() {
        bail!(
            "the backup was taken under another master key (fingerprint {}): configure that key to restore it",
            header.master_key_fingerprint
        );
    }
    let report = nrm_store::backup::restore(&key, &config.database_url, file)
        .await
        .context("the restore failed; the database was not changed")?;
    println!(
        "Restored backup {} taken at {} ({} bytes of database) in {:.1} s.",
        report.header.backup_id,
        report.header.taken_at.to_rfc3339(),
        report.plain_bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `nrm sar --person REFERENCE --out DIR`: the subject access bundle (HTML) and data (JSON)
/// of the person of a case, written owner-only into DIR.
pub async fn sar(cases: &Cases, person: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let capability = nrm_access::authorise(&Principal::system(), Operation::SubjectAccess)
        .map_err(|_| anyhow::anyhow!("the access policy refused subject access to the console"))?;
    let export = cases
        .subject_access(&capability, &reference(person)?, Utc::now())
        .await?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let html = out.join(format!("subject-access-{}.html", export.case_reference));
    let json = out.join(format!("subject-access-{}.json", export.case_reference));
    write_private(&html, nrm_web::pages::dpo::bundle_html(&export).as_bytes())?;
    write_private(&json, &serde_json::to_vec_pretty(&export)?)?;
    println!(
        "Subject access for {}: {} events, {} records, {} accesses; respond by {}.",
        export.case_reference,
        export.events.len(),
        export.records.len(),
        export.access_log.len(),
        export.respond_by
    );
    println!("Written {} and {}.", html.display(), json.display());
    for r in &export.redactions {
        println!("Note: {r}");
    }
    Ok(())
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write as _;
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist)", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
