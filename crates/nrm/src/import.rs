//! `nrm import FILE`: cases from the legacy system, each step judged by the rules of its own
//! date (`docs/legacy-import.md`). Streams the file with a progress bar (bytes of the file);
//! prints each refused line with its line number and rule, then the totals. Run from the
//! shell, it acts as a system client holding the `import` scope (whoever runs the shell has
//! the database's keys already), and every batch and refusal is audited under the system.

use std::io::BufReader;
use std::path::PathBuf;

use anyhow::Context;
use nrm_access::{Operation, OrganisationKind, Principal, Role};
use nrm_domain::Actor;
use nrm_service::{Cases, ImportMode};

use crate::progress::Progress;

/// `nrm import` options.
#[derive(Debug, clap::Args)]
pub struct ImportOptions {
    /// The JSON Lines file (`-` for standard input).
    pub file: PathBuf,
    /// Instead of importing, write this many synthetic legacy cases to FILE (for the
    /// benchmark: `nrm import --generate 100000 cases.jsonl`, then `nrm import cases.jsonl`).
    #[arg(long, value_name = "CASES")]
    pub generate: Option<u64>,
    /// The random seed for `--generate`.
    #[arg(long, default_value_t = 2009)]
    pub seed: u64,
    /// A migration into a database nobody is using yet (`nrm serve` must not be running):
    /// the case tables' secondary indexes are dropped for the run and built once at its end,
    /// and batches are larger. Same rules, same refusals, same audit.
    #[arg(long)]
    pub before_go_live: bool,
}

/// The shell's principal for an import: the system, as a client with the `import` scope.
pub(crate) fn system_client() -> Principal {
    Principal {
        actor: Actor::SYSTEM,
        organisation_kind: OrganisationKind::Administrators,
        roles: vec![Role::Administrator],
        allocated_cases_only: false,
        token_scopes: Some(vec![Operation::ImportLegacyCases]),
        authenticated_at: None,
    }
}

/// Runs the import; `Ok(false)` when any line was refused (the exit status says so).
pub async fn run(cases: &Cases, options: ImportOptions) -> anyhow::Result<bool> {
    if let Some(count) = options.generate {
        synthetic::write(&options.file, count, options.seed, cases.rules())?;
        println!(
            "Wrote {count} synthetic legacy cases to {}.",
            options.file.display()
        );
        return Ok(true);
    }
    let capability = nrm_access::authorise(&system_client(), Operation::ImportLegacyCases)
        .map_err(|_| anyhow::anyhow!("the system client may not import"))?;
    let (input, size): (Box<dyn std::io::BufRead + Send>, u64) = if options.file.as_os_str() == "-"
    {
        (Box::new(BufReader::new(std::io::stdin())), 0)
    } else {
        let file = std::fs::File::open(&options.file)
            .with_context(|| format!("cannot open {}", options.file.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        (Box::new(BufReader::with_capacity(1 << 16, file)), size)
    };
    let mut bar = Progress::new("import (bytes)", size.max(1));
    let started = std::time::Instant::now();
    let mode = if options.before_go_live {
        ImportMode::BeforeGoLive
    } else {
        ImportMode::Live
    };
    let report = cases
        .import_legacy_as(
            &capability,
            mode,
            input,
            chrono::Utc::now(),
            |r| bar.set(r.bytes),
            |r| {
                let id = r.legacy_id.as_deref().unwrap_or("-");
                let step = r.step.map(|s| format!(" step {s}")).unwrap_or_default();
                eprintln!(
                    "line {} (legacy id {id}{step}) refused [{}]: {}",
                    r.line, r.rule, r.message
                );
            },
        )
        .await?;
    bar.finish(report.bytes.max(size));
    let seconds = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "Imported {} cases, refused {} lines, {} already present ({} lines in {:.1} s, {:.0} cases/s). Audit run {}.",
        report.imported,
        report.refused,
        report.already_present,
        report.lines,
        seconds,
        report.imported as f64 / seconds,
        report.run
    );
    if report.guardian_referrals > 0 {
        println!(
            "Made {} ICTG referrals for open child cases in covered areas.",
            report.guardian_referrals
        );
    }
    if let Some(kib) = crate::link::peak_rss_kib() {
        println!("Peak resident memory: {} MiB.", kib / 1024);
    }
    Ok(report.refused == 0)
}

/// Synthetic legacy cases: referrals from 2010 to 2026 with their decisions, each step dated
/// so that it keeps the rules of its own date (the 45-day minimum before 30 January 2023 and
/// 30 after, a second caseworker's review of a negative RG from December 2022). Invented
/// people only.
pub(crate) mod synthetic {
    use std::io::Write as _;
    use std::path::Path;

    use chrono::{Duration, NaiveDate, TimeZone, Utc};
    use nrm_domain::Rulebook;
    use nrm_domain::event::{CompetentAuthority, ReviewedDecision};
    use nrm_domain::rules::ReviewKind;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use serde_json::{Value, json};

    fn at(day: NaiveDate, hour: u32) -> String {
        Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
            .to_rfc3339()
    }

    fn details(rng: &mut StdRng, n: u64, on: NaiveDate, child: bool) -> Value {
        let born = if child {
            on - Duration::days(rng.gen_range(12 * 365..17 * 365))
        } else {
            on - Duration::days(rng.gen_range(19 * 365..60 * 365))
        };
        let kind = ["labour", "sexual", "criminal", "domestic_servitude"][rng.gen_range(0..4)];
        let exploitation = json!({
            "types": [kind],
            "county_lines": false,
            "location": {"uk_nations": ["england"], "police_force_areas": [], "overseas_countries": []},
            "period": {"started_on": on - Duration::days(300), "ended_on": on - Duration::days(20), "ongoing": false}
        });
        let victim = json!({
            "given_names": format!("Synthetic{n}"),
            "family_name": "Person",
            "other_names": [],
            "date_of_birth": born,
            "languages": ["English"],
            "interpreter_needed": false,
            "contact": null,
            "current_address": null,
            "other_references": [],
            "narrative": "An invented account for the import benchmark."
        });
        let profile = json!({"gender": "male", "nationalities": ["GB"]});
        let responder = json!({"organisation_type": "police"});
        if child {
            json!({"kind": "child", "details": {
                "victim": victim, "profile": profile, "age_disputed": false,
                "local_authority_notified": true, "local_authority_area": null,
                "exploitation": exploitation, "first_responder": responder,
                "immigration_cohort": null
            }})
        } else {
            json!({"kind": "adult", "details": {
                "victim": victim, "profile": profile,
                "consent": {"referral_consent_given_on": on, "support_consent": true},
                "exploitation": exploitation, "first_responder": responder,
                "immigration_cohort": null
            }})
        }
    }

    fn one(rng: &mut StdRng, n: u64, rules: &Rulebook, today: NaiveDate) -> Value {
        let start = NaiveDate::from_ymd_opt(2010, 1, 4).unwrap_or_default();
        let span = (today - start).num_days() - 400;
        let on = start + Duration::days(rng.gen_range(0..span));
        let child = rng.gen_bool(0.3);
        let by = |user: &str| json!({"user": user, "organisation": "legacy-competent-authority"});
        let reasons = "Invented reasons for the import benchmark.";
        let mut steps = Vec::new();
        let rg_on = on + Duration::days(rng.gen_range(1..30));
        let positive = rng.gen_bool(0.55);
        let rg = if positive {
            json!({"type": "reasonable_grounds", "outcome": "positive", "decided_on": rg_on, "reasons": reasons})
        } else {
            json!({"type": "reasonable_grounds", "outcome": "negative", "decided_on": rg_on, "reasons": reasons, "negative_reason": "insufficient_evidence"})
        };
        steps.push(json!({"at": at(rg_on, 11), "by": by("cw-1"), "do": rg}));
        if positive {
            let earliest = rules.conclusive_grounds_earliest(rg_on);
            let cg_on = earliest + Duration::days(rng.gen_range(0..200));
            if cg_on < today {
                steps.push(json!({"at": at(cg_on, 11), "by": by("cw-1"), "do": {
                    "type": "conclusive_grounds", "outcome": "positive", "decided_on": cg_on, "reasons": reasons
                }}));
                steps.push(json!({"at": at(cg_on, 15), "by": by("cw-1"), "do": {
                    "type": "served", "decision": "conclusive_grounds", "served_on": cg_on
                }}));
            }
        } else {
            let review = rules
                .negative_decision_review(
                    ReviewedDecision::ReasonableGrounds,
                    CompetentAuthority::Sca,
                    rg_on,
                )
                .value;
            if review == ReviewKind::SecondCaseworker {
                steps.push(json!({"at": at(rg_on, 14), "by": by("cw-2"), "do": {
                    "type": "reviewed", "decision": "reasonable_grounds", "outcome": "agree",
                    "reviewer_agency": "Home Office", "reviewed_on": rg_on, "reasons": reasons
                }}));
            }
            steps.push(json!({"at": at(rg_on, 16), "by": by("cw-1"), "do": {
                "type": "served", "decision": "reasonable_grounds", "served_on": rg_on
            }}));
        }
        json!({
            "legacy_id": format!("SYN/{n}"),
            "submitted_at": at(on, 10),
            "submitted_by": {"user": format!("fr-{}", n % 500), "organisation": "legacy-police", "nation": "england", "list": "police"},
            "submission": details(rng, n, on, child),
            "steps": steps,
        })
    }

    /// `count` synthetic legacy cases as JSON Lines in memory (the demo imports a slice of
    /// its cases this way, through the same path as `nrm import`).
    pub fn lines(count: u64, seed: u64, rules: &Rulebook) -> anyhow::Result<Vec<u8>> {
        let mut rng = StdRng::seed_from_u64(seed);
        let today = nrm_domain::clock::uk_date(Utc::now());
        let mut out = Vec::new();
        for n in 0..count {
            serde_json::to_writer(&mut out, &one(&mut rng, n, rules, today))?;
            out.push(b'\n');
        }
        Ok(out)
    }

    pub fn write(path: &Path, count: u64, seed: u64, rules: &Rulebook) -> anyhow::Result<()> {
        let mut rng = StdRng::seed_from_u64(seed);
        let today = nrm_domain::clock::uk_date(Utc::now());
        let file = std::fs::File::create(path)?;
        let mut out = std::io::BufWriter::new(file);
        for n in 0..count {
            serde_json::to_writer(&mut out, &one(&mut rng, n, rules, today))?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(())
    }
}
