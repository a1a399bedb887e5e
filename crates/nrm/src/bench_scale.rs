//! `nrm bench scale`: the work queue, the case page and the sweep at national volume.
//!
//! For each backend it grows one fresh database through each scale in turn (10,000 cases,
//! then a million, say), seeding synthetic cases made by the domain's own `decide` in batched
//! transactions (`nrm_store::seeding`), and at each scale times, sequentially: the first
//! page of every queue filter and sort as a competent authority sees it (the scope the access
//! policy adds), pages followed by cursor deep into the queue, finding a case by reference
//! (search), finding a person by name and date of birth (`Persons::search`, as an SCA decision
//! maker, over the keyed tokens `nrm link index` writes: the seeded people have varied names
//! from the linkage crate's generator, some referred more than once, and their tokens are
//! written after each seeding, timed), the reads of the case page, and the deadline sweep. It prints p50/p99 per scale
//! side by side with the ratio of the p99s (the target: at most 1.5 from the smallest scale to
//! the largest), the seeding rate (through the bulk import, with a progress bar), bytes per
//! case, and the peak resident memory of the real `nrm serve` started on the database at each
//! scale and made to read the queue and case pages (`bench_rss`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use nrm_access::{OrganisationKind, Principal, Role};
use nrm_domain::Actor;
use nrm_domain::case::CaseStatus;
use nrm_domain::clock::uk_date;
use nrm_domain::event::{CompetentAuthority, DeadlineStatus};
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::submission::AgeGroup;
use nrm_domain::{CaseReference, Rulebook};
use nrm_service::Cases;
use nrm_service::persons::search::PersonQuery;
use nrm_store::seeding::{SyntheticCases, SyntheticPerson};
use nrm_store::{QueueQuery, QueueSort, SortDirection, Store};
use rand::Rng;

use crate::bench::percentile_ms;
use crate::progress::Progress;

/// Options for `nrm bench scale`.
#[derive(Debug, Args)]
pub struct ScaleOptions {
    /// The scales to measure at, comma-separated, smallest first.
    #[arg(long, default_value = "10000,1000000", value_delimiter = ',')]
    cases: Vec<u64>,
    /// Which backends: sqlite, postgres (uses NRM_TEST_DATABASE_URL or the local test database).
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    backends: Vec<String>,
    /// Timed requests per measurement.
    #[arg(long, default_value_t = 100)]
    samples: usize,
    /// Cases per seeding transaction.
    #[arg(long, default_value_t = 5000)]
    batch: u64,
    /// Skip starting `nrm serve` at each scale to measure its memory.
    #[arg(long)]
    no_serve_rss: bool,
    /// Seed with random keys (as intake makes them) instead of time-ordered ones (UUIDv7
    /// layout), to compare the seeding rates.
    #[arg(long)]
    random_ids: bool,
    /// Only seed each scale and report the seeding rate and bytes per case: no search
    /// indexing, no timed reads, no `nrm serve` (to measure seeding at a million in minutes).
    #[arg(long)]
    seed_only: bool,
    /// Time everything but the search by name, and skip indexing the referrals for it (which
    /// takes longer than the seeding at a million): to compare the queue before and after a
    /// change in minutes.
    #[arg(long)]
    no_search: bool,
    /// Leave each backend's database (a SQLite file, a PostgreSQL schema) in place after the
    /// run and print how to open it, to read its plans and buffers by hand. Its keys are
    /// printed too: it holds synthetic cases only.
    #[arg(long)]
    keep: bool,
}

type Measurements = BTreeMap<(usize, String), Vec<Duration>>;

/// A named change to a queue query.
type Filter = (&'static str, fn(&mut QueueQuery));

/// The queue filters timed, each as a competent authority's caseworkers see them.
fn filters() -> Vec<Filter> {
    vec![
        ("all cases", |_| {}),
        ("open cases", |q| {
            q.statuses = vec![
                CaseStatus::AwaitingReasonableGrounds,
                CaseStatus::AwaitingConclusiveGrounds,
            ]
        }),
        ("deadline=overdue", |q| {
            q.deadline = Some(DeadlineStatus::Overdue)
        }),
        ("deadline=due_soon", |q| {
            q.deadline = Some(DeadlineStatus::DueSoon)
        }),
        ("overdue=true", |q| q.overdue = Some(true)),
        ("overdue=false", |q| q.overdue = Some(false)),
        ("age_group=child", |q| q.age_group = Some(AgeGroup::Child)),
        ("exploitation=labour", |q| {
            q.exploitation_type = Some(ExploitationType::Labour)
        }),
        ("suspended=true", |q| q.suspended = Some(true)),
    ]
}

const SORTS: [(QueueSort, &str); 4] = [
    (QueueSort::ReasonableGroundsDue, "rg_due"),
    (QueueSort::NextDeadline, "next_deadline"),
    (QueueSort::ReferredOn, "referred_on"),
    (QueueSort::Reference, "reference"),
];

pub async fn scale(options: ScaleOptions) -> anyhow::Result<()> {
    let mut scales = options.cases.clone();
    scales.sort_unstable();
    scales.dedup();
    anyhow::ensure!(!scales.is_empty(), "give at least one scale with --cases");
    println!(
        "nrm bench scale: {:?} cases, {} samples per measurement, {} cases per seeding transaction",
        scales, options.samples, options.batch
    );
    for backend in &options.backends {
        let Some(test_store) = crate::bench::backend_store(backend).await? else {
            continue;
        };
        run_backend(&options, &scales, &test_store).await?;
        if options.keep {
            test_store.store.close().await;
            println!(
                "{backend}: kept at {} (NRM_MASTER_KEY={} NRM_AUDIT_KEY={})",
                test_store.kept_location(),
                test_store.master_key_hex,
                test_store.audit_key_hex
            );
            test_store.keep();
        } else {
            test_store.cleanup().await;
        }
    }
    println!(
        "peak resident memory of this benchmark process (seeder and reader): {} MiB",
        crate::bench_pages::peak_rss_mib()
    );
    Ok(())
}

async fn run_backend(
    options: &ScaleOptions,
    scales: &[u64],
    test_store: &nrm_store::testing::TestStore,
) -> anyhow::Result<()> {
    let (store, name) = (&test_store.store, test_store.name);
    let today = uk_date(Utc::now());
    let people = People::default();
    let mut synthetic = SyntheticCases::new(2026, today, 400, 60).with_people(people.source(2026));
    if !options.random_ids {
        synthetic = synthetic.with_time_ordered_ids();
    }
    let cases = Cases::new(store.clone(), Rulebook::current());
    let mut measurements: Measurements = BTreeMap::new();
    let mut seeded = 0u64;
    let mut facts = Vec::new();
    for (i, &scale) in scales.iter().enumerate() {
        let previous = seeded;
        let mut progress = Progress::new(format!("{name}: seeding to {scale}"), scale - seeded);
        let cpu_before = cpu_seconds();
        synthetic
            .load(store, scale - seeded, options.batch, |n| progress.set(n))
            .await?;
        let rate = progress.finish(scale - seeded);
        let cpu_per_case = (cpu_seconds() - cpu_before) / (scale - seeded).max(1) as f64;
        seeded = scale;
        // As the sweep would: the kept queue counts' deltas from seeding, folded.
        store.fold_queue_counts().await?;
        if name == "postgres" {
            // What autovacuum does some time after a bulk load: the planner's statistics, and
            // the visibility map, without which an index-only scan (the not-yet-due range of
            // `overdue=false`) still visits every row's table page.
            store.vacuum_analyze().await?;
        }
        if options.seed_only {
            let bytes = store.database_bytes().await?;
            facts.push((scale, rate, cpu_per_case, bytes / scale.max(1), None, 0.0));
            continue;
        }
        // As `nrm link index` would: the keyed tokens of the new referrals, for the search.
        let index_rate = if options.no_search {
            0.0
        } else {
            let mut progress = Progress::new(
                format!("{name}: indexing for the search by name"),
                scale - previous,
            );
            let started = Instant::now();
            let indexed = index_for_search(&cases, &mut progress).await?;
            progress.finish(indexed);
            indexed as f64 / started.elapsed().as_secs_f64().max(1e-9)
        };
        let bytes = store.database_bytes().await?;
        let relations = store.space_by_relation().await?;
        let per_case = |b: u64| b / scale.max(1);
        let listed: Vec<String> = relations
            .iter()
            .filter(|(_, b)| per_case(*b) > 0)
            .map(|(relation, b)| format!("{relation} {}", per_case(*b)))
            .collect();
        eprintln!(
            "  {name}: bytes per case by table and index: {}",
            listed.join(", ")
        );
        eprintln!("  {name}: {scale} cases, measuring");
        // No people to look for: the search by name is not timed.
        let sample = if options.no_search {
            Vec::new()
        } else {
            people.sample()
        };
        let references = measure(options, i, store, &cases, &sample, &mut measurements).await?;
        let serve_rss = if options.no_serve_rss {
            None
        } else {
            eprintln!("  {name}: {scale} cases, starting nrm serve to measure its memory");
            crate::bench_rss::serve_peak_rss(test_store, &references).await?
        };
        facts.push((
            scale,
            rate,
            cpu_per_case,
            bytes / scale.max(1),
            serve_rss,
            index_rate,
        ));
    }
    println!();
    println!("{name}");
    for (scale, rate, cpu, per_case, serve_rss, index_rate) in &facts {
        let rss = serve_rss.map_or_else(|| "not measured".to_owned(), |m| format!("{m} MiB"));
        let indexed = if options.seed_only || options.no_search {
            "not indexed for the search by name".to_owned()
        } else {
            format!("indexed for the search by name at {index_rate:.0} cases/s")
        };
        println!(
            "  at {scale:>9} cases: seeded at {rate:.0} cases/s ({:.0} µs of this process's CPU per case), {indexed}, {per_case} bytes per case, nrm serve peak RSS {rss}",
            cpu * 1e6
        );
    }
    let width = 30;
    print!("  {:<width$}", "p50 / p99 ms");
    for scale in scales {
        print!(" {:>19}", format!("at {scale}"));
    }
    println!(" {:>13}", "p99 ratio");
    let names: Vec<String> = {
        let mut seen = Vec::new();
        for (_, n) in measurements.keys() {
            if !seen.contains(n) {
                seen.push(n.clone());
            }
        }
        seen
    };
    let mut worst = 0f64;
    for what in names {
        print!("  {what:<width$}");
        let mut p99s = Vec::new();
        for i in 0..scales.len() {
            let mut latencies = measurements
                .get(&(i, what.clone()))
                .cloned()
                .unwrap_or_default();
            latencies.sort_unstable();
            let (p50, p99) = (
                percentile_ms(&latencies, 0.5),
                percentile_ms(&latencies, 0.99),
            );
            p99s.push(p99);
            print!(" {:>19}", format!("{p50:.2} / {p99:.2}"));
        }
        let ratio = match (p99s.first(), p99s.last()) {
            (Some(first), Some(last)) if *first > 0.0 => last / first,
            _ => 0.0,
        };
        worst = worst.max(ratio);
        println!(" {ratio:>13.2}");
    }
    println!("  worst p99 ratio: {worst:.2} (target: at most 1.5)");
    Ok(())
}

/// User and system CPU seconds this process has used (Linux; 0 elsewhere): with the seeding
/// rate it shows what a machine shared with other work would do alone. PostgreSQL's own
/// work is in its server's processes, not here.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name (which may hold spaces) end with ')'.
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let user: f64 = fields.get(11)?.parse().ok()?;
            let system: f64 = fields.get(12)?.parse().ok()?;
            // /proc counts in USER_HZ, 100 a second on Linux.
            Some((user + system) / 100.0)
        })
        .unwrap_or(0.0)
}

/// The people of the seeded referrals, from the linkage crate's generator (households whose
/// members share a family name and address, some people referred more than once with the
/// typing mistakes and variants of real referrals), with every hundredth kept to search for.
#[derive(Clone, Default)]
struct People {
    sample: Arc<Mutex<Vec<SyntheticPerson>>>,
}

impl People {
    const SAMPLE_EVERY: u64 = 100;
    const SAMPLE_AT_MOST: usize = 2_000;

    fn source(&self, seed: u64) -> impl FnMut() -> SyntheticPerson + Send + 'static {
        let mut generator = nrm_linkage::synth::Generator::new(seed);
        let mut queued: Vec<nrm_linkage::synth::SynthRecord> = Vec::new();
        let sample = Arc::clone(&self.sample);
        let mut made = 0u64;
        move || {
            // A referral needs a given and a family name: the generator leaves one out now and
            // then on purpose (for the linkage benchmark), so those records are passed over.
            let record = loop {
                while queued.is_empty() {
                    generator.next_household(&mut queued);
                    queued.reverse();
                }
                let record = queued.pop().unwrap_or_default();
                if !record.given_names.trim().is_empty() && !record.family_name.trim().is_empty() {
                    break record;
                }
            };
            let dob = crate::bench::birth_date(&record);
            let address = [record.address, record.town, record.postcode]
                .into_iter()
                .filter(|p| !p.trim().is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            let person = SyntheticPerson {
                given_names: record.given_names,
                family_name: record.family_name,
                date_of_birth: dob,
                address: (!address.is_empty()).then_some(address),
            };
            made += 1;
            if made.is_multiple_of(Self::SAMPLE_EVERY)
                && let Ok(mut sample) = sample.lock()
                && sample.len() < Self::SAMPLE_AT_MOST
            {
                sample.push(person.clone());
            }
            person
        }
    }

    fn sample(&self) -> Vec<SyntheticPerson> {
        self.sample.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Writes the keyed search tokens of every referral that has none, as `nrm link index` does.
async fn index_for_search(cases: &Cases, progress: &mut Progress) -> anyhow::Result<u64> {
    let capability = nrm_access::authorise(
        &Principal::system(),
        nrm_access::Operation::RebuildPersonLinks,
    )
    .map_err(|_| anyhow::anyhow!("the shell may not index referrals"))?;
    let report = cases
        .persons()
        .index_unindexed(&capability, Utc::now(), &mut |n| progress.set(n))
        .await?;
    Ok(report.indexed)
}

/// An SCA decision maker, who may read the personal details of the SCA's cases.
fn sca_decision_maker() -> Principal {
    Principal {
        actor: Actor {
            user: UserId(uuid::Uuid::from_u128(0x5ca_0001)),
            organisation: OrganisationId(uuid::Uuid::from_u128(0x5ca)),
        },
        organisation_kind: OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Sca,
        },
        roles: vec![Role::DecisionMaker],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

async fn measure(
    options: &ScaleOptions,
    scale: usize,
    store: &Store,
    cases: &Cases,
    people: &[SyntheticPerson],
    out: &mut Measurements,
) -> anyhow::Result<Vec<String>> {
    let today = uk_date(Utc::now());
    let mut authority = QueueQuery::new(today);
    authority.competent_authority = Some(CompetentAuthority::Sca);
    let mut record = |what: String, took: Duration| {
        out.entry((scale, what)).or_default().push(took);
    };
    // Warm the caches once, as a running service would have them.
    store.queue(&authority).await?;
    for (filter, apply) in filters() {
        for (sort, sort_name) in SORTS {
            let mut q = authority.clone();
            apply(&mut q);
            q.sort = sort;
            for _ in 0..options.samples {
                let started = Instant::now();
                store.queue(&q).await?;
                record(format!("queue {filter}, {sort_name}"), started.elapsed());
            }
        }
    }
    // Deep pages: follow "next" from the start of the open cases, as far as the samples go.
    let mut q = authority.clone();
    q.statuses = vec![
        CaseStatus::AwaitingReasonableGrounds,
        CaseStatus::AwaitingConclusiveGrounds,
    ];
    let mut references = Vec::new();
    let mut depth = 0;
    let mut descending = q.clone();
    descending.direction = SortDirection::Descending;
    for start in [q, descending] {
        let mut page = start;
        for _ in 0..options.samples {
            let started = Instant::now();
            let result = store.queue(&page).await?;
            record("queue next pages by cursor".to_owned(), started.elapsed());
            depth += 1;
            references.extend(
                result
                    .cases
                    .iter()
                    .map(|c| (c.case_id, c.reference.clone())),
            );
            match result.next {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
    }
    eprintln!("    followed {depth} pages by cursor");
    // Search by reference, and the reads of the case page, for cases picked at random.
    for _ in 0..options.samples {
        let (case_id, reference) = &references[rand::thread_rng().gen_range(0..references.len())];
        let reference: CaseReference = reference
            .parse()
            .map_err(|_| anyhow::anyhow!("a listed reference does not parse"))?;
        let started = Instant::now();
        store.case_id_by_reference(&reference).await?;
        record("search by reference".to_owned(), started.elapsed());
        let started = Instant::now();
        store.load(*case_id).await?;
        record("case events load".to_owned(), started.elapsed());
        let started = Instant::now();
        store.load(*case_id).await?;
        store.summary(*case_id, today).await?;
        store.deadlines(*case_id).await?;
        record("case page reads".to_owned(), started.elapsed());
    }
    // Finding a person by name and date of birth (and by name alone), for people seeded.
    let searcher = sca_decision_maker();
    let list = nrm_access::authorise(&searcher, nrm_access::Operation::ListCases)
        .map_err(|_| anyhow::anyhow!("a decision maker may list cases"))?;
    let mut hits = 0usize;
    // Per kind of search: referrals decrypted and compared, and searches that found a
    // referral with the person's own name (the date of birth may have moved to fit the
    // referral's age group, so it is not required to match).
    let mut compared = [0usize; 2];
    let mut found_name = [0usize; 2];
    let mut searches = 0usize;
    if !people.is_empty() {
        for _ in 0..options.samples {
            let person = &people[rand::thread_rng().gen_range(0..people.len())];
            searches += 1;
            let name = format!(
                "{} {}",
                person.given_names.trim(),
                person.family_name.trim()
            );
            for (kind, (what, date_of_birth)) in [
                ("search by name and date of birth", person.date_of_birth),
                ("search by name alone", None),
            ]
            .into_iter()
            .enumerate()
            {
                let query = PersonQuery {
                    given_names: person.given_names.clone(),
                    family_name: person.family_name.clone(),
                    date_of_birth,
                };
                let started = Instant::now();
                let found = cases
                    .persons()
                    .search(&list, &searcher, &query, Utc::now())
                    .await?;
                record(what.to_owned(), started.elapsed());
                hits += found.hits.len();
                compared[kind] += found.compared;
                found_name[kind] += usize::from(found.hits.iter().any(|h| h.name == name.trim()));
            }
        }
    }
    eprintln!(
        "    searches by name found {hits} hits in {} searches; with the date of birth: {:.1} referrals compared per search, the name found in {} of {searches}; by name alone: {:.1} compared, the name found in {} of {searches}",
        2 * searches,
        compared[0] as f64 / searches.max(1) as f64,
        found_name[0],
        compared[1] as f64 / searches.max(1) as f64,
        found_name[1],
    );
    // The sweep, as `serve` runs it every few minutes: the day's flags are already raised.
    for _ in 0..options.samples.min(20) {
        let started = Instant::now();
        cases.sweep(Utc::now()).await?;
        record("deadline sweep".to_owned(), started.elapsed());
    }
    Ok(references.into_iter().take(20).map(|(_, r)| r).collect())
}
