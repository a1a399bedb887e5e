//! `nrm htcds export` and `nrm htcds import` (`docs/htcds.md`): the cases of a period as
//! k-anonymous HTCDS 2.0 records, and HTCDS files imported as legacy cases through the legacy
//! import.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use nrm_service::Cases;
use nrm_stats::Period;

use crate::progress::Progress;

/// `nrm htcds` subcommands.
#[derive(Debug, Subcommand)]
pub enum HtcdsCommand {
    /// The cases referred in a period as HTCDS 2.0 records (CSV): keyed pseudonyms new to
    /// each export, dates as months, quasi-identifiers generalised until every record shares
    /// them with at least k-1 others (audited with its purpose).
    Export(ExportOptions),
    /// Import an HTCDS CSV file as legacy cases (the legacy import's checks and idempotence);
    /// prints the refused records and the fields not imported. Exits 1 if any was refused.
    Import(ImportOptions),
}

/// Options for `nrm htcds export`.
#[derive(Debug, Args)]
pub struct ExportOptions {
    /// The period whose referrals are exported: a quarter (2024Q4) or a year (2024).
    #[arg(long)]
    period: String,
    /// Every record shares its quasi-identifiers with at least k-1 others.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// The reference of the data sharing agreement or research approval (audited).
    #[arg(long)]
    purpose: String,
    /// The case file as it stood at the end of this day (YYYY-MM-DD; default today).
    #[arg(long)]
    as_at: Option<NaiveDate>,
    /// The CSV file to write.
    #[arg(long)]
    out: PathBuf,
}

/// Options for `nrm htcds import`.
#[derive(Debug, Args)]
pub struct ImportOptions {
    /// The HTCDS CSV file (a header row of field names including prefix).
    pub file: PathBuf,
}

/// `nrm htcds export`.
pub async fn export(cases: &Cases, options: ExportOptions) -> anyhow::Result<()> {
    let period = Period::parse(&options.period)?;
    let purpose = nrm_stats::extract::Purpose::parse(&options.purpose)?;
    if options.k == 0 {
        anyhow::bail!("k must be at least 1");
    }
    let capability = crate::stats::console_analyst()?;
    let total = cases.statistics_case_count(&capability).await?;
    let mut progress = Progress::new("reading cases", total);
    let request = nrm_service::HtcdsExportRequest {
        period,
        as_at: options.as_at,
        k: options.k,
        purpose,
    };
    let (records, report) = cases
        .htcds_export(&capability, request, Utc::now(), |n| progress.set(n))
        .await?;
    progress.finish(total);
    std::fs::write(&options.out, nrm_stats::htcds::to_csv(&records))
        .with_context(|| format!("cannot write {}", options.out.display()))?;
    eprint!("{}", nrm_stats::htcds::report_text(&report));
    println!(
        "Wrote {} HTCDS records to {}",
        records.len(),
        options.out.display()
    );
    Ok(())
}

/// `nrm htcds import`; `Ok(false)` when any record was refused.
pub async fn import(cases: &Cases, options: ImportOptions) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(&options.file)
        .with_context(|| format!("cannot read {} as UTF-8 text", options.file.display()))?;
    let capability = nrm_access::authorise(
        &crate::import::system_client(),
        nrm_access::Operation::ImportLegacyCases,
    )
    .map_err(|_| anyhow::anyhow!("the system client may not import"))?;
    let report = cases.import_htcds(&capability, &text, Utc::now()).await?;
    for r in &report.refused {
        eprintln!("line {} refused [{}]: {}", r.line, r.rule, r.message);
    }
    println!(
        "{} HTCDS records: imported {}, refused {}, {} already present.",
        report.records,
        report.imported,
        report.refused.len(),
        report.already_present
    );
    if report.unmapped.is_empty() {
        println!("Every field given was imported.");
    } else {
        println!("Fields not imported (field: records giving it):");
        for (field, count) in &report.unmapped {
            println!("  {field}: {count}");
        }
    }
    if let Some(run) = report.run {
        println!("Audit run import:{run}.");
    }
    Ok(report.refused.is_empty())
}
